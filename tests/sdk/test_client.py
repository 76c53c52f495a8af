"""Client behaviour over an injected transport: sessions, paging, batching, retries, stats."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from _fake_gateway import (
    CREDS,
    ENDPOINT,
    SENDER,
    SESSION_ENDPOINT,
    USER,
    FakeGateway,
    auth_failure,
    html_page,
    rate_limited,
    xml_response,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REFERENCE
from intacct_sdk import (
    AuthenticationError,
    Client,
    ClientOptions,
    ConfigurationError,
    Credentials,
    FunctionError,
    MalformedResponseError,
    RequestNotSentError,
    ResponseLostError,
    RetryPolicy,
    ServerError,
    SessionExpiredError,
    TransactionAbortedError,
)
from intacct_sdk.functions import Create, Lookup, Raw, Read


def employees(n: int) -> list[dict[str, Any]]:
    return [{"RECORDNO": i, "EMPLOYEEID": f"E{i:05d}"} for i in range(1, n + 1)]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(gw: FakeGateway, **options: Any) -> tuple[Client, Sleeps]:
    sleeps = Sleeps()
    retry = options.pop("retry", RetryPolicy(jitter=0, sleep=sleeps))
    return Client(
        CREDS, options=ClientOptions(retry=retry, **options), transport=gw.transport()
    ), sleeps


# ---------------------------------------------------------------- sessions


def test_login_in_its_own_request_then_session_endpoint() -> None:
    gw = FakeGateway({"EMPLOYEE": employees(3)})
    with client_for(gw)[0] as client:
        rows = list(client.query("EMPLOYEE", ["RECORDNO", "EMPLOYEEID"]))
        list(client.query("EMPLOYEE", ["RECORDNO"]))
    assert [r["EMPLOYEEID"] for r in rows] == ["E00001", "E00002", "E00003"]
    login, first, second = gw.seen
    assert login.functions == ["getAPISession"]
    assert login.url == ENDPOINT
    assert login.session_id is None
    assert first.url == second.url == SESSION_ENDPOINT
    assert first.session_id == second.session_id is not None  # the session is reused
    assert client.stats.logins == 1
    assert client.session_endpoint == SESSION_ENDPOINT


def test_entity_login_sends_locationid() -> None:
    gw = FakeGateway()
    creds = Credentials(
        SENDER[0],
        SENDER[1],
        user_id=USER[0],
        company_id=USER[1],
        user_password=USER[2],
        entity_id="E100",
        endpoint_url=ENDPOINT,
    )
    with Client(creds, transport=gw.transport()) as client:
        client.lookup("EMPLOYEE")
    assert b"<locationid>E100</locationid>" in gw.seen[0].body
    assert client._sessions.session is not None
    assert client._sessions.session.location_id == "E100"


def test_rejected_session_is_renewed_once_transparently() -> None:
    gw = FakeGateway({"EMPLOYEE": employees(2)})
    client, _ = client_for(gw)
    with client:
        client.lookup("EMPLOYEE")
        gw.sessions.clear()  # the gateway forgets every session
        result = client.read("EMPLOYEE", [1])
    assert result is not None
    names = [s.functions for s in gw.seen]
    assert names == [["getAPISession"], ["lookup"], ["read"], ["getAPISession"], ["read"]]
    assert gw.seen[2].control_ids == gw.seen[4].control_ids  # the same function resent
    assert client.stats.session_refreshes == 1


def test_session_rejected_twice_raises_session_expired() -> None:
    gw = FakeGateway()
    client, _ = client_for(gw)
    with client:
        client.lookup("EMPLOYEE")
        gw.fault(3, lambda r: auth_failure())
        gw.fault(5, lambda r: auth_failure())
        with pytest.raises(SessionExpiredError):
            client.lookup("EMPLOYEE")
    assert [s.functions[0] for s in gw.seen] == [
        "getAPISession",
        "lookup",
        "lookup",
        "getAPISession",
        "lookup",
    ]


def test_fixed_session_is_used_as_is_and_never_renewed() -> None:
    gw = FakeGateway()
    gw.sessions.add("given-session-id-123")
    creds = Credentials(
        SENDER[0], SENDER[1], session_id="given-session-id-123", endpoint_url=SESSION_ENDPOINT
    )
    with Client(creds, transport=gw.transport()) as client:
        client.lookup("EMPLOYEE")
        gw.sessions.clear()
        with pytest.raises(SessionExpiredError) as info:
            client.lookup("EMPLOYEE")
    assert [s.functions for s in gw.seen] == [["lookup"], ["lookup"]]
    message = str(info.value)
    assert "XL03000006: Invalid session" in message
    assert message.endswith(
        "; create a new session, or log in with user credentials "
        "(company id, user id, user password)"
    )
    assert "given-session-id-123" not in message
    assert "given-session-id-123" not in repr(info.value)
    assert all(s.session_id == "given-session-id-123" for s in gw.seen)


def test_wrong_password_is_authentication_error_not_retried() -> None:
    gw = FakeGateway()
    creds = Credentials(
        SENDER[0],
        SENDER[1],
        user_id=USER[0],
        company_id=USER[1],
        user_password="wrong-password",
        endpoint_url=ENDPOINT,
    )
    with (
        Client(creds, transport=gw.transport()) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.lookup("EMPLOYEE")
    assert not isinstance(info.value, SessionExpiredError)
    assert gw.requests == 1
    assert "wrong-password" not in str(info.value)
    assert str(info.value).endswith(
        "; check the company id, user id and user password (and the entity id, if one is set)"
    )


def test_sliding_timeout_is_tracked() -> None:
    gw = FakeGateway(session_duration=timedelta(hours=1))
    client, _ = client_for(gw)
    with client:
        client.lookup("X")
        first = client._sessions.session
        gw.session_duration = timedelta(hours=3)
        client.lookup("X")
        second = client._sessions.session
    assert first is not None
    assert second is not None
    assert first.expires_at is not None
    assert second.expires_at is not None
    assert second.expires_at - first.expires_at >= timedelta(hours=2) - timedelta(seconds=5)
    assert client.stats.logins == 1


def test_session_near_expiry_is_renewed_before_use() -> None:
    gw = FakeGateway(session_duration=-timedelta(minutes=1))  # every session reported expired
    client, _ = client_for(gw)
    with client:
        client.lookup("X")
        client.lookup("X")
    assert [s.functions[0] for s in gw.seen] == ["getAPISession", "lookup"] * 2
    assert client.stats.logins == 2


# ---------------------------------------------------------------- paging


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 60), page_size=st.integers(1, 25))
def test_query_pages_to_exhaustion(n: int, page_size: int) -> None:
    gw = FakeGateway({"EMPLOYEE": employees(n)})
    with client_for(gw)[0] as client:
        got = [r["RECORDNO"] for r in client.query("EMPLOYEE", ["RECORDNO"], page_size=page_size)]
    assert got == list(range(1, n + 1))  # each record once, in order
    assert gw.functions("query") == max(1, math.ceil(n / page_size))
    assert client.stats.http_requests == gw.functions("query") + 1  # + the login


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 50), page_size=st.integers(1, 20))
def test_read_by_query_follows_read_more(n: int, page_size: int) -> None:
    gw = FakeGateway({"PROJECT": employees(n)})
    with client_for(gw)[0] as client:
        got = [r["RECORDNO"] for r in client.read_by_query("PROJECT", "", page_size=page_size)]
    assert got == list(range(1, n + 1))
    pages = max(1, math.ceil(n / page_size))
    assert gw.functions("readByQuery") == 1
    assert gw.functions("readMore") == pages - 1


def test_paging_is_lazy() -> None:
    gw = FakeGateway({"EMPLOYEE": employees(100)})
    with client_for(gw)[0] as client:
        it = client.query("EMPLOYEE", ["RECORDNO"], page_size=10)
        assert gw.functions("query") == 0
        first = [next(it) for _ in range(10)]
        assert gw.functions("query") == 1
        next(it)
        assert gw.functions("query") == 2
    assert [r["RECORDNO"] for r in first] == list(range(1, 11))


def test_query_pages_expose_paging_attributes() -> None:
    gw = FakeGateway({"EMPLOYEE": employees(5)})
    with client_for(gw)[0] as client:
        pages = list(client.query_pages("EMPLOYEE", ["RECORDNO"], page_size=2))
    assert [(p.offset, p.count, p.num_remaining, p.total_count) for p in pages] == [
        (0, 2, 3, 5),
        (2, 2, 1, 5),
        (4, 1, 0, 5),
    ]


def test_inconsistent_page_does_not_loop_forever() -> None:
    gw = FakeGateway()
    gw.fault(
        2,
        lambda r: xml_response(
            "<control><status>success</status></control><operation><authentication><status>success"
            "</status></authentication><result><status>success</status><function>query</function>"
            "<controlid>" + gw.seen[-1].control_ids[0] + "</controlid>"
            '<data listtype="EMPLOYEE" totalcount="9" offset="0" count="0" numremaining="9"/>'
            "</result></operation>"
        ),
    )
    with client_for(gw)[0] as client, pytest.raises(MalformedResponseError):
        list(client.query("EMPLOYEE", ["RECORDNO"]))


# ---------------------------------------------------------------- batching


def test_execute_splits_batches_and_keeps_order() -> None:
    gw = FakeGateway()
    fns = [Lookup(f"OBJ{i}") for i in range(7)] + [Raw("<fail/>", is_write=False)]
    with client_for(gw, max_functions_per_request=3)[0] as client:
        results = client.execute(fns)
    assert gw.functions("lookup") == 7
    assert [len(s.functions) for s in gw.seen[1:]] == [3, 3, 2]
    assert [r.control_id for r in results] == [f.control_id for f in fns]
    assert [r.ok for r in results] == [True] * 7 + [False]
    assert client.stats.functions == 8 + 1  # + getAPISession


def test_execute_raise_on_error() -> None:
    gw = FakeGateway()
    with client_for(gw)[0] as client, pytest.raises(FunctionError) as info:
        client.execute([Lookup("A"), Raw("<fail/>", is_write=False)], raise_on_error=True)
    assert info.value.errorno == "BL01001973"


def test_transaction_is_never_split() -> None:
    gw = FakeGateway()
    fns = [Create("CLASS", [{"CLASSID": str(i)}]) for i in range(4)]
    with client_for(gw, max_functions_per_request=3)[0] as client:
        with pytest.raises(ConfigurationError, match="cannot be split"):
            client.execute(fns, transaction=True)
        assert gw.requests == 0
        client.execute(fns[:3], transaction=True)
    assert gw.seen[-1].transaction == "true"
    assert len(gw.seen[-1].functions) == 3


ABORTED_BATCHES = [
    pytest.param(
        (Path(__file__).resolve().parents[1] / "fixtures/responses/transaction_rolled_back.xml"),
        ("step-a", "step-b"),
        id="own",
    ),
    pytest.param(
        REFERENCE
        / "fixtures/intacct-sdk-php/OnlineClientTest.testExecuteBatchTransactionResultException.xml",
        ("func1UnitTest", "func2UnitTest"),
        id="shared",
        marks=pytest.mark.shared_reference,
    ),
]


@pytest.mark.parametrize(("path", "control_ids"), ABORTED_BATCHES)
def test_transaction_abort_surfaces_failure_first(path: Path, control_ids: tuple[str, str]) -> None:
    body = path.read_bytes()
    gw = FakeGateway()
    gw.fault(2, lambda r: httpx.Response(200, content=body))
    # The fixture's control ids: results are paired with functions by them.
    batch = [Raw("<a/>", control_id=control_ids[0]), Raw("<b/>", control_id=control_ids[1])]
    with client_for(gw)[0] as client:
        results = client.execute(batch, transaction=True)
        assert [r.status for r in results] == ["aborted", "failure"]
        with pytest.raises(TransactionAbortedError):
            results[0].raise_for_error()
        gw.fault(3, lambda r: httpx.Response(200, content=body))
        with pytest.raises(FunctionError) as info:
            client.execute(batch, transaction=True, raise_on_error=True)
    assert not isinstance(info.value, TransactionAbortedError)


def test_reads_are_chunked_per_function_limit() -> None:
    gw = FakeGateway()
    with client_for(gw)[0] as client:
        client.read("EMPLOYEE", list(range(1, 251)))
    assert gw.functions("read") == 3
    assert gw.requests == 2  # login + one request carrying the three reads


def test_writes_and_unique_id() -> None:
    gw = FakeGateway()
    with client_for(gw)[0] as client:
        keys = client.create("CLASS", [{"CLASSID": "A"}, {"CLASSID": "B"}], control_id="cls-1")
        client.create("CLASS", {"CLASSID": "C"}, options={"unique_id": True})
        client.read("CLASS", [1], options={"unique_id": True})
    assert [int(k["RECORDNO"]) for k in keys] == [2, 3]
    assert gw.seen[1].control_ids == ["cls-1"]
    assert gw.seen[1].unique_id == "false"
    assert gw.seen[2].unique_id == "true"
    assert gw.seen[3].unique_id == "false"  # reads never ask for uniqueid


# ---------------------------------------------------------------- retries


def test_read_retried_after_5xx_html_and_connect_error() -> None:
    gw = FakeGateway({"EMPLOYEE": employees(2)})
    gw.fault(2, lambda r: html_page(503))

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    gw.fault(3, refuse)
    client, sleeps = client_for(gw)
    with client:
        rows = list(client.query("EMPLOYEE", ["RECORDNO"]))
    assert len(rows) == 2
    assert sleeps == [0.5, 1.0]
    assert client.stats.retries == 2
    assert gw.seen[1].body == gw.seen[2].body == gw.seen[3].body  # the same bytes resent


def test_unsafe_write_after_524_is_response_lost_without_retry() -> None:
    gw = FakeGateway()
    gw.fault(2, lambda r: httpx.Response(524, content=b"<html>524</html>"))
    client, sleeps = client_for(gw)
    with client, pytest.raises(ResponseLostError) as info:
        client.create("CLASS", [{"CLASSID": "A"}])
    assert info.value.status_code == 524
    assert gw.functions("create") == 1
    assert sleeps == []


def test_unsafe_write_after_502_is_response_lost() -> None:
    gw = FakeGateway()
    gw.fault(2, lambda r: html_page(502))
    client, _ = client_for(gw)
    with client, pytest.raises(ResponseLostError):
        client.create("CLASS", [{"CLASSID": "A"}])
    assert gw.functions("create") == 1


def test_unique_id_write_is_resent_with_same_control_id() -> None:
    gw = FakeGateway()
    gw.fault(2, lambda r: httpx.Response(524))

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    gw.fault(3, timeout)
    client, sleeps = client_for(gw, unique_id=True)
    with client:
        client.create("CLASS", [{"CLASSID": "A"}], control_id="class-A-v1")
    creates = [s for s in gw.seen if s.functions == ["create"]]
    assert len(creates) == 3
    assert {s.control_ids[0] for s in creates} == {"class-A-v1"}
    assert all(s.unique_id == "true" for s in creates)
    assert len(sleeps) == 2


def test_not_sent_write_is_retried() -> None:
    gw = FakeGateway()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    gw.fault(2, refuse)
    with client_for(gw)[0] as client:
        client.create("CLASS", [{"CLASSID": "A"}])
    assert gw.functions("create") == 2


def test_read_timeout_on_unsafe_write_is_response_lost() -> None:
    gw = FakeGateway()

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    gw.fault(2, timeout)
    with client_for(gw)[0] as client, pytest.raises(ResponseLostError):
        client.delete("CLASS", [5])
    assert gw.functions("delete") == 1


def test_rate_limit_honours_retry_after() -> None:
    gw = FakeGateway()
    gw.fault(2, lambda r: rate_limited("7"))
    client, sleeps = client_for(gw)
    with client:
        client.create("CLASS", [{"CLASSID": "A"}])
    assert sleeps == [7.0]
    assert gw.functions("create") == 2


def test_retries_give_up_after_attempts() -> None:
    gw = FakeGateway()
    for n in range(2, 6):
        gw.fault(n, lambda r: html_page(502))
    sleeps = Sleeps()
    client = Client(
        CREDS,
        transport=gw.transport(),
        options=ClientOptions(retry=RetryPolicy(attempts=3, jitter=0, sleep=sleeps)),
    )
    with client, pytest.raises(ServerError) as info:
        client.lookup("X")
    assert info.value.status_code == 502
    assert gw.functions("lookup") == 3
    assert len(sleeps) == 2


def test_no_retry_policy() -> None:
    gw = FakeGateway()
    gw.fault(1, lambda r: (_ for _ in ()).throw(httpx.ConnectError("down", request=r)))
    client = Client(
        CREDS, transport=gw.transport(), options=ClientOptions(retry=RetryPolicy.never())
    )
    with client, pytest.raises(RequestNotSentError):
        client.lookup("X")
    assert gw.requests == 1


def test_every_request_has_a_timeout() -> None:
    seen: list[dict[str, Any]] = []
    gw = FakeGateway()

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return gw.handle(request)

    client = Client(CREDS, options=ClientOptions(timeout=12.5), transport=httpx.MockTransport(spy))
    with client:
        client.lookup("X")
        client.lookup("X", options={"timeout": 3.0})
    assert [t["read"] for t in seen] == [12.5, 12.5, 3.0]
    assert all(t["connect"] is not None for t in seen)


def test_options_type_checked() -> None:
    with pytest.raises(ConfigurationError):
        Client("not credentials")  # type: ignore[arg-type]
    gw = FakeGateway()
    with client_for(gw)[0] as client:
        read = client.execute([Read("EMPLOYEE", [1])])
    assert read[0].ok
