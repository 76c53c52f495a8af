"""The REST client over a REST server of our own: retries and throttle headers, the error
tree and its three envelopes, keyset paging, batches, idempotency, owned lines, the bridge."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import httpx
import pytest
from tests.sdk.rest._fake_rest import CLIENT_ID, CLIENT_SECRET, FakeRest

from intacct_sdk import (
    F,
    FunctionError,
    LocalLimiter,
    RateLimitError,
    ResponseLostError,
    RetryPolicy,
    ServerError,
)
from intacct_sdk.rest import (
    ConflictError,
    NotFoundError,
    RestClient,
    RestCredentials,
    RestOptions,
    RestRequestError,
    delete_line,
    get_path,
    render_filter,
)

BASE = "https://api.example.test/ia/api/v1"
EMP = "company-config/employee"
CREDS = RestCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, username="admin@ACME")


def client(fake: FakeRest, sleeps: list[float] | None = None, **options: object) -> RestClient:
    log = sleeps if sleeps is not None else []
    opts = RestOptions(base_url=BASE, retry=RetryPolicy(sleep=log.append, jitter=0), **options)  # type: ignore[arg-type]
    return RestClient(CREDS, options=opts, transport=fake.transport)


def answer(status: int, body: object, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return lambda request: (
        httpx.Response(status, json=body, headers=headers)
        if "oauth2" not in request.url.path
        else None
    )


def test_filters_render_to_the_rest_shape() -> None:
    where = (F("status") == "active") & (
        (F("audit.modifiedDateTime") > datetime(2026, 10, 1, tzinfo=UTC))
        | F("id").in_(["E1", "E2"])
    )
    filters, expression = render_filter(where)
    assert filters == [
        {"$eq": {"status": "active"}},
        {"$gt": {"audit.modifiedDateTime": "2026-10-01T00:00:00Z"}},
        {"$in": {"id": ["E1", "E2"]}},
    ]
    assert expression == "1 and (2 or 3)"
    plain, none = render_filter((F("a") == 1) & F("b").between(date(2026, 1, 1), date(2026, 2, 1)))
    assert none is None and plain[1] == {"$between": {"b": ["2026-01-01", "2026-02-01"]}}
    assert render_filter(F("name").like("Jo%"))[0] == [{"$startsWith": {"name": "Jo"}}]
    assert render_filter(F("name").not_like("%x%"))[0] == [{"$notContains": {"name": "x"}}]


def test_keyset_paging_reads_every_record_once_with_a_page_ahead() -> None:
    fake = FakeRest()
    fake.seed(EMP, 2500)
    with client(fake) as rest:
        rows = list(rest.query(EMP, ["id", "department.id"], page_size=1000))
        assert rest.stats.records_read == 2500
    assert sorted(int(r["key"]) for r in rows) == list(range(1, 2501))
    assert get_path(rows[0], "department.id") == "D1" and rows[0]["audit"]["modifiedDateTime"]
    pages = [json.loads(r.content) for r in fake.calls("/services/core/query")]
    assert len(pages) == 3
    assert all(p["orderBy"] == [{"audit.modifiedDateTime": "asc"}, {"key": "asc"}] for p in pages)
    assert pages[0].get("filters") is None and pages[1]["filterExpression"] == "1 or (2 and 3)"


def test_keyset_paging_is_lazy_and_keeps_the_callers_filter() -> None:
    fake = FakeRest()
    fake.seed(EMP, 30)
    with client(fake, prefetch=0) as rest:
        walk = rest.query(EMP, ["id"], where=F("status") == "active", page_size=5)
        first = next(walk)
        assert len(fake.calls("/services/core/query")) == 1
        rest_of = list(walk)
    assert len([first, *rest_of]) == 15
    last = json.loads(fake.calls("/services/core/query")[-1].content)
    assert last["filters"][0] == {"$eq": {"status": "active"}}
    assert last["filterExpression"] == "1 and (2 or (3 and 4))"


def test_page_size_is_capped_at_4000() -> None:
    with pytest.raises(ValueError, match="4000"):
        RestOptions(page_size=4001)


def test_429_waits_as_long_as_the_throttle_header_says() -> None:
    fake = FakeRest()
    fake.seed(EMP, 1)
    sleeps: list[float] = []
    throttle = {"X-IA-Throttle-RetryAfter": "7", "X-IA-Throttle-Limit": "8"}
    fake.faults.append(
        answer(429, {"ia::error": {"code": "GW-0010", "message": "limit"}}, throttle)
    )
    fake.faults.append(answer(503, {}, {"Retry-After": "3"}))
    with client(fake, sleeps) as rest:
        assert len(rest.query_page(EMP, ["id"]).records) == 1
        assert rest.stats.retries == 2
    assert sleeps == [7.0, 3.0]


def test_throttling_that_outlasts_the_policy_is_the_xml_clients_rate_limit_error() -> None:
    fake = FakeRest()
    for _ in range(4):
        fake.faults.append(answer(429, {"ia::error": {"code": "GW-0010", "message": "x"}}))
    with client(fake) as rest, pytest.raises(RateLimitError) as limited:
        rest.query_page(EMP, ["id"])
    assert limited.value.errorno == "GW-0010" and limited.value.status_code == 429


@pytest.mark.parametrize("envelope", ["result", "top", "legacy"])
def test_every_error_envelope_is_read(envelope: str) -> None:
    err = {"code": "REST-1001", "message": "Field 'x' is invalid", "supportId": "S9"}
    body = {
        "result": {"ia::result": {"ia::error": err}},
        "top": {"ia::error": err},
        "legacy": {
            "error": {"code": "REST-1001", "message": "Field 'x' is invalid", "errorId": "S9"}
        },
    }[envelope]
    fake = FakeRest()
    fake.faults.append(answer(422, body))
    with client(fake) as rest, pytest.raises(RestRequestError) as refused:
        rest.query_page(EMP, ["id"])
    assert isinstance(refused.value, FunctionError)
    assert refused.value.code == "REST-1001" and refused.value.support_id == "S9"
    assert "Field 'x' is invalid" in str(refused.value) and refused.value.status_code == 422
    assert len(fake.calls("query")) == 1  # a 4xx is not retried


def test_not_found_and_server_errors() -> None:
    fake = FakeRest()
    with client(fake) as rest:
        with pytest.raises(NotFoundError):
            rest.get(EMP, "999")
        for _ in range(4):
            fake.faults.append(answer(500, {"ia::error": {"code": "GW-0001", "message": "boom"}}))
        with pytest.raises(ServerError):
            rest.query_page(EMP, ["id"])
        assert rest.stats.retries == 3


def test_a_lost_create_is_resent_with_the_same_key_and_written_once() -> None:
    fake = FakeRest()
    with client(fake) as rest:
        rest.query_page(EMP, ["id"])  # the token first
        fake.lose_after.add(len(fake.requests) + 1)
        result = rest.create(EMP, {"id": "E77", "name": "New"})
    posts = fake.calls("/objects/")
    assert len(posts) == 2
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    assert result.replayed and result.id == "E77"
    assert [r["id"] for r in fake.records[EMP]] == ["E77"]


def test_a_reused_key_with_another_body_is_a_conflict() -> None:
    fake = FakeRest()
    with client(fake) as rest:
        first = rest.create(EMP, {"id": "E1"}, idempotency_key="ts-1-v1-create")
        again = rest.create(EMP, {"id": "E1"}, idempotency_key="ts-1-v1-create")
        assert again.replayed and again.key == first.key
        with pytest.raises(ConflictError):
            rest.create(EMP, {"id": "E2"}, idempotency_key="ts-1-v1-create")
    assert len(fake.records[EMP]) == 1


def test_a_lost_delete_whose_first_attempt_ran_is_done() -> None:
    fake = FakeRest()
    fake.seed(EMP, 1)
    with client(fake) as rest:
        rest.query_page(EMP, ["id"])
        fake.lose_after.add(len(fake.requests) + 1)
        rest.delete(EMP, "1")
    assert fake.records[EMP] == []


@pytest.mark.parametrize("fault", ["reset", "502"])
def test_a_lost_refresh_is_not_resent(fault: str) -> None:
    from intacct_sdk.rest import MemoryTokenStore, TokenSet

    store = MemoryTokenStore()
    store.save(
        "c", TokenSet("expired-access-token", datetime(2020, 1, 1, tzinfo=UTC), "refresh-zzzz")
    )
    creds = RestCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, connection="c")
    fake = FakeRest()
    if fault == "reset":
        fake.lose_after.add(1)
    else:
        fake.faults.append(lambda r: httpx.Response(502))
    opts = RestOptions(base_url=BASE, retry=RetryPolicy(sleep=lambda s: None))
    with (
        RestClient(creds, store=store, options=opts, transport=fake.transport) as rest,
        pytest.raises(ResponseLostError, match="authorize the connection again"),
    ):
        rest.query_page(EMP, ["id"])
    assert len(fake.requests) == 1


def test_a_transaction_batch_writes_nothing_when_one_record_fails() -> None:
    fake = FakeRest()
    with client(fake) as rest:
        results = rest.create_many(
            EMP, [{"id": "A"}, {"name": "bad"}, {"id": "C"}], transaction=True
        )
    assert fake.calls("/objects/")[0].headers["x-ia-api-param-transaction"] == "true"
    assert not any(r.ok for r in results)
    assert "another record" in str(results[0].error)
    assert fake.records.get(EMP, []) == []


def test_patch_updates_adds_and_removes_owned_lines() -> None:
    fake = FakeRest()
    fake.records["time/timesheet"] = [
        {
            "key": "5",
            "id": "5",
            "lines": [{"key": "51", "quantity": "1"}, {"key": "52", "quantity": "2"}],
        }
    ]
    with client(fake) as rest:
        rest.update(
            "time/timesheet",
            "5",
            {"lines": [{"key": "51", "quantity": "3"}, {"quantity": "4"}, delete_line("52")]},
        )
    patch = fake.calls("/objects/")[0]
    assert patch.method == "PATCH" and patch.headers["idempotency-key"]
    lines = fake.records["time/timesheet"][0]["lines"]
    assert [(line["quantity"]) for line in lines] == ["3", "4"]


def test_the_limiter_holds_a_slot_per_request() -> None:
    fake = FakeRest()
    fake.seed(EMP, 10)
    limiter = LocalLimiter(1)
    with client(fake, limiter=limiter) as rest:
        assert len(list(rest.query(EMP, ["id"], page_size=3))) == 10
    assert limiter.peak == 1 and limiter.held == 0


def test_the_bridge_gives_an_xml_client_on_the_session() -> None:
    fake = FakeRest()
    with client(fake) as rest:
        session = rest.xml_session()
        assert session.session_id == "xml-session-secret-77"
        assert session.endpoint_url == "https://api.example.test/ia/xml/xmlgw.phtml"
        assert session.expires_in == 3600
        xml = rest.xml_client("sender", "sender-password")
        with xml:
            assert xml.credentials.session_id == "xml-session-secret-77"  # type: ignore[attr-defined]


def test_the_entity_header_is_sent_on_api_calls_only() -> None:
    fake = FakeRest()
    with client(fake, entity_id="US1") as rest:
        rest.query_page(EMP, ["id"])
    token, query = fake.requests
    assert "x-ia-api-param-entity" not in token.headers
    assert query.headers["x-ia-api-param-entity"] == "US1"
    assert query.headers["user-agent"].startswith("intacct-timesync/")
