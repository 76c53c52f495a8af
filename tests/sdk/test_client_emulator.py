"""The client end to end against the gateway emulator's in-process transport."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.sdk._emulated import CREDS, ENDPOINT, NO_SLEEP, calls, company_with

from intacct_sdk import (
    AsyncClient,
    AuthenticationError,
    Client,
    ClientClosedError,
    ConfigurationError,
    Credentials,
    DuplicateControlIdError,
    F,
    IntacctError,
    ResponseLostError,
    SessionExpiredError,
)
from intacct_sdk.functions import Create, Lookup
from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator, EmulatorResponse, NoFaults


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 45), page_size=st.integers(1, 20))
def test_query_yields_each_record_once_whatever_the_page_size(n: int, page_size: int) -> None:
    emu = Emulator(company_with(n), endpoint_url=ENDPOINT)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        ids = [
            r["EMPLOYEEID"]
            for r in client.query(
                "EMPLOYEE",
                ["RECORDNO", "EMPLOYEEID"],
                order_by=[("RECORDNO", "asc")],
                page_size=page_size,
            )
        ]
    assert sorted(ids) == [f"E{i:05d}" for i in range(1, n + 1)]
    assert len(set(ids)) == len(ids)
    assert calls(emu, "query") == max(1, math.ceil(n / page_size))
    assert client.stats.http_requests == calls(emu, "query") + 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 45), page_size=st.integers(1, 20))
def test_read_by_query_pages_through_read_more(n: int, page_size: int) -> None:
    emu = Emulator(company_with(n), endpoint_url=ENDPOINT)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        ids = [r["EMPLOYEEID"] for r in client.read_by_query("EMPLOYEE", page_size=page_size)]
    assert sorted(ids) == [f"E{i:05d}" for i in range(1, n + 1)]
    assert calls(emu, "readByQuery") == 1
    assert calls(emu, "readMore") == max(1, math.ceil(n / page_size)) - 1


def test_filtered_query_and_writes_round_trip() -> None:
    emu = Emulator(company_with(5), endpoint_url=ENDPOINT)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        keys = client.create(
            "EMPLOYEE", [{"EMPLOYEEID": "NEW1", "PERSONALINFO.CONTACTNAME": "New One"}]
        )
        found = list(
            client.query("EMPLOYEE", ["RECORDNO", "EMPLOYEEID"], where=F("EMPLOYEEID") == "NEW1")
        )
        assert [r["EMPLOYEEID"] for r in found] == ["NEW1"]
        assert int(found[0]["RECORDNO"]) == int(keys[0]["RECORDNO"])
        client.delete("EMPLOYEE", [found[0]["RECORDNO"]])
        assert list(client.query("EMPLOYEE", ["RECORDNO"], where=F("EMPLOYEEID") == "NEW1")) == []
    assert emu.company.count("EMPLOYEE") == 5


def test_batching_splits_requests() -> None:
    emu = Emulator(endpoint_url=ENDPOINT)
    fns = [Lookup("EMPLOYEE") for _ in range(7)]
    with Client(
        CREDS, options=NO_SLEEP.merge({"max_functions_per_request": 3}), transport=emu.transport()
    ) as client:
        results = client.execute(fns)
    assert all(r.ok for r in results)
    assert [r.control_id for r in results] == [f.control_id for f in fns]
    assert emu.stats.http_requests == 1 + 3


def test_transaction_rolls_back_everything() -> None:
    emu = Emulator(endpoint_url=ENDPOINT)
    fns = [
        Create("EMPLOYEE", [{"EMPLOYEEID": "T1", "PERSONALINFO.CONTACTNAME": "T One"}]),
        Create("NOSUCHOBJECT", [{"X": "1"}]),
    ]
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        results = client.execute(fns, transaction=True)
    assert [r.status for r in results] == ["aborted", "failure"]
    assert emu.company.count("EMPLOYEE") == 0


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_expired_session_is_renewed_transparently() -> None:
    clock = Clock()
    emu = Emulator(
        company_with(3), endpoint_url=ENDPOINT, clock=clock, session_duration=timedelta(hours=1)
    )
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        assert next(iter(client.read_by_query("EMPLOYEE")))["EMPLOYEEID"] == "E00001"
        clock.now += timedelta(hours=2)  # the emulator's session expires; the client can't tell
        assert len(list(client.query("EMPLOYEE", ["RECORDNO"]))) == 3
        assert client.stats.session_refreshes == 1
        assert client.stats.logins == 2
        emu.invalidate_sessions()
        assert len(list(client.query("EMPLOYEE", ["RECORDNO"]))) == 3
        assert client.stats.session_refreshes == 2


def test_given_session_id_expiry_raises() -> None:
    emu = Emulator(endpoint_url=ENDPOINT)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        client.lookup("EMPLOYEE")
        session = client._sessions.session
        assert session is not None
    fixed = Credentials(
        CREDS.sender_id,
        CREDS.sender_password,
        session_id=session.session_id,
        endpoint_url=session.endpoint,
    )
    with Client(fixed, options=NO_SLEEP, transport=emu.transport()) as client:
        client.lookup("EMPLOYEE")
        emu.invalidate_sessions()
        with pytest.raises(SessionExpiredError) as info:
            client.lookup("EMPLOYEE")
        assert client.stats.logins == 0
    message = str(info.value)
    assert "Invalid session. The session ID is unknown or has expired" in message  # the gateway's
    assert message.endswith(
        "Create a new session, or log in with user credentials "
        "(company id, user id, user password)."
    )
    for secret in (session.session_id, CREDS.sender_password, CREDS.user_password):
        assert secret is not None
        assert secret not in message
        assert secret not in repr(info.value)


class LoseAnswer(NoFaults):
    """Fault injector: the answer to request ``number`` is replaced by an HTTP 524."""

    def __init__(self, number: int) -> None:
        self.number = number

    def after_request(self, ctx: Any, response: EmulatorResponse) -> EmulatorResponse:
        if ctx.request_number == self.number:
            return EmulatorResponse(524, {"Content-Type": "text/html"}, b"<html>524</html>")
        return response


def make_write(client: Client) -> Callable[[], Any]:
    return lambda: client.create(
        "EMPLOYEE", [{"EMPLOYEEID": "W1", "PERSONALINFO.CONTACTNAME": "W"}], control_id="w1-v1"
    )


def test_lost_write_without_unique_id_is_surfaced_not_retried() -> None:
    emu = Emulator(endpoint_url=ENDPOINT, faults=LoseAnswer(2))
    client = Client(CREDS, options=NO_SLEEP, transport=emu.transport())
    with client, pytest.raises(ResponseLostError):
        make_write(client)()
    assert emu.company.count("EMPLOYEE") == 1  # it did apply: the caller must reconcile
    assert calls(emu, "create") == 1


def test_lost_write_with_unique_id_is_resent_and_applied_once() -> None:
    emu = Emulator(endpoint_url=ENDPOINT, faults=LoseAnswer(2))
    options = NO_SLEEP.merge({"unique_id": True})
    client = Client(CREDS, options=options, transport=emu.transport())
    with client, pytest.raises(DuplicateControlIdError):
        make_write(client)()  # the replay is refused: it already ran
    assert emu.company.count("EMPLOYEE") == 1
    assert emu.stats.http_requests == 3  # login, the lost create, the refused replay
    assert client.stats.retries == 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_matches_sync_on_the_emulator() -> None:
    emu_sync, emu_async = (
        Emulator(company_with(23), endpoint_url=ENDPOINT),
        Emulator(company_with(23), endpoint_url=ENDPOINT),
    )
    with Client(CREDS, options=NO_SLEEP, transport=emu_sync.transport()) as client:
        expected = list(client.query("EMPLOYEE", ["RECORDNO", "EMPLOYEEID"], page_size=5))
        expected_rbq = list(client.read_by_query("EMPLOYEE", page_size=7))
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu_async.transport()) as aclient:
        got = [r async for r in aclient.query("EMPLOYEE", ["RECORDNO", "EMPLOYEEID"], page_size=5)]
        got_rbq = [r async for r in aclient.read_by_query("EMPLOYEE", page_size=7)]
    assert got == expected
    assert len(got_rbq) == len(expected_rbq) == 23
    assert emu_async.stats.http_requests == emu_sync.stats.http_requests


def test_paging_releases_each_page() -> None:
    """Memory stays flat: a consumed page is not kept alive by the iterator."""
    import gc
    import weakref

    emu = Emulator(company_with(30), endpoint_url=ENDPOINT)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        pages = client.query_pages("EMPLOYEE", ["RECORDNO"], page_size=10)
        first = next(pages)
        ref = weakref.ref(first)
        del first
        next(pages)
        gc.collect()
        assert ref() is None
        rbq = client.read_by_query_pages("EMPLOYEE", page_size=10)
        first = next(rbq)
        ref = weakref.ref(first)
        del first
        next(rbq)
        gc.collect()
        assert ref() is None


def test_answer_bodies_are_freed_without_the_cyclic_collector() -> None:
    """httpx keeps each response in a reference cycle; the client must not leave the body
    in it, or every page would stay in memory until the collector (paused while parsing)
    runs."""
    import gc
    import tracemalloc

    emu = Emulator(company_with(5000))
    with emu.serve() as server:
        creds = attrs.evolve(CREDS, endpoint_url=server.url)
        with Client(creds, options=NO_SLEEP) as client:
            fields = ["RECORDNO", "EMPLOYEEID", "PERSONALINFO.CONTACTNAME"]
            first = next(client.query_pages("EMPLOYEE", fields, page_size=1000))
            page_bytes = sum(len(str(r)) for r in first.records)
            del first
            gc.collect()
            gc.disable()
            tracemalloc.start()
            try:
                count = sum(1 for _ in client.query("EMPLOYEE", fields, page_size=1000))
                # The server shares this process; count what the client side holds.
                client_side = tracemalloc.take_snapshot().filter_traces(
                    [tracemalloc.Filter(False, "*intacct_sdk/testing/*")]
                )
                retained = sum(stat.size for stat in client_side.statistics("filename"))
            finally:
                tracemalloc.stop()
                gc.enable()
    assert count == 5000
    assert page_bytes > 50_000
    # Five pages went through; what is left (small objects of each exchange, caches) is far
    # less than their bodies would be.
    assert retained < 5 * page_bytes / 4


# ---------------------------------------------------------------- a closed client


def assert_closed_error(error: ClientClosedError, statement: str) -> None:
    assert isinstance(error, IntacctError)
    assert isinstance(error, ConfigurationError)
    assert "is closed" in str(error)
    assert f"'{statement}' block" in str(error)


def test_a_call_after_close_raises_before_anything_is_sent() -> None:
    emu = Emulator(company_with(3), endpoint_url=ENDPOINT)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        client.lookup("EMPLOYEE")
    sent = emu.stats.http_requests
    for call in (
        lambda: client.lookup("EMPLOYEE"),
        lambda: client.read("EMPLOYEE", [1]),
        lambda: list(client.query("EMPLOYEE", ["RECORDNO"])),
        lambda: client.execute([Lookup("EMPLOYEE")]),
    ):
        with pytest.raises(ClientClosedError) as info:
            call()
        assert_closed_error(info.value, "with")
    assert emu.stats.http_requests == sent
    assert client.stats.http_requests == sent


def test_a_client_closed_before_its_first_call_does_not_log_in() -> None:
    emu = Emulator(endpoint_url=ENDPOINT)
    client = Client(CREDS, options=NO_SLEEP, transport=emu.transport())
    client.close()
    with pytest.raises(ClientClosedError):
        client.lookup("EMPLOYEE")
    assert emu.stats.http_requests == 0
    assert client.stats.logins == 0


@pytest.mark.parametrize("pages", ["query_pages", "read_by_query_pages"])
def test_a_page_fetch_after_close_raises_mid_iteration(pages: str) -> None:
    emu = Emulator(company_with(25), endpoint_url=ENDPOINT)
    client = Client(CREDS, options=NO_SLEEP, transport=emu.transport())
    walk = (
        client.query_pages("EMPLOYEE", ["RECORDNO"], page_size=10)
        if pages == "query_pages"
        else client.read_by_query_pages("EMPLOYEE", page_size=10)
    )
    with client:
        first = next(walk)
        assert len(first.records) == 10
    sent = emu.stats.http_requests
    with pytest.raises(ClientClosedError) as info:
        next(walk)
    assert_closed_error(info.value, "with")
    assert emu.stats.http_requests == sent


def test_closing_twice_is_harmless() -> None:
    emu = Emulator(endpoint_url=ENDPOINT)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        client.lookup("EMPLOYEE")
        client.close()
    client.close()
    with pytest.raises(ClientClosedError):
        client.lookup("EMPLOYEE")


@pytest.mark.anyio
async def test_async_calls_and_page_fetches_after_close_raise() -> None:
    emu = Emulator(company_with(25), endpoint_url=ENDPOINT)
    client = AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport())
    async with client:
        walk = client.query_pages("EMPLOYEE", ["RECORDNO"], page_size=10)
        first = await anext(walk)
        assert len(first.records) == 10
    sent = emu.stats.http_requests
    with pytest.raises(ClientClosedError) as info:
        await anext(walk)
    assert_closed_error(info.value, "async with")
    with pytest.raises(ClientClosedError) as info:
        await client.lookup("EMPLOYEE")
    assert_closed_error(info.value, "async with")
    with pytest.raises(ClientClosedError):
        [r async for r in client.read_by_query("EMPLOYEE")]
    assert emu.stats.http_requests == sent
    await client.aclose()  # closing again is harmless
    await client.aclose()


@pytest.mark.anyio
async def test_async_client_closed_before_its_first_call_does_not_log_in() -> None:
    emu = Emulator(endpoint_url=ENDPOINT)
    client = AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport())
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await client.execute([Lookup("EMPLOYEE")])
    assert emu.stats.http_requests == 0


# ------------------------------------------------------------------ a refused sender

WRONG_SENDER_PASSWORD = "not-the-sender-password"
SENDER_REFUSED = "XL03000006: Incorrect Intacct XML Partner ID or password."
SENDER_ADVICE = (
    "Check the sender id and sender password, and that the sender is authorised in the "
    "company's Web Services settings."
)


@attrs.frozen
class SenderCase:
    """A client whose sender the emulator refuses, and what the refused call should cost."""

    emu: Emulator
    creds: Credentials
    logins: int  # logins the client makes before the refused call
    calls_before: int  # lookups the client makes before the refused call
    secrets: tuple[str, ...]
    rotate: bool = False  # the emulator changes its sender password before the refused call


def sender_case(kind: str) -> SenderCase:
    """``kind``: how the client authenticates, and how its sender comes to be refused.

    - ``session``: a given session id and no user login, with a wrong sender password;
    - ``session and login``: a given session id and a user login, wrong sender password;
    - ``login``: a user login with a wrong sender password (the login itself is refused);
    - ``rotated``: a user login whose sender password the gateway stops accepting once the
      client holds a session.
    """
    emu = Emulator(endpoint_url=ENDPOINT)
    assert CREDS.user_password is not None
    if kind == "rotated":
        return SenderCase(
            emu,
            CREDS,
            logins=1,
            calls_before=1,
            secrets=(CREDS.sender_password, CREDS.user_password, "rotated-sender-password"),
            rotate=True,
        )
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as setup:
        setup.lookup("EMPLOYEE")
        session = setup._sessions.session
        assert session is not None
    login = {
        "company_id": CREDS.company_id,
        "user_id": CREDS.user_id,
        "user_password": CREDS.user_password,
    }
    given = {"session_id": session.session_id}
    parts = {"session": given, "session and login": {**given, **login}, "login": login}[kind]
    creds = Credentials(
        CREDS.sender_id, WRONG_SENDER_PASSWORD, endpoint_url=session.endpoint, **parts
    )
    secrets = (
        WRONG_SENDER_PASSWORD,
        CREDS.sender_password,
        CREDS.user_password,
        session.session_id,
    )
    return SenderCase(emu, creds, logins=0, calls_before=0, secrets=secrets)


def refuse_sender(case: SenderCase) -> int:
    """Make the emulator refuse the case's sender from now on; the requests seen so far."""
    if case.rotate:
        case.emu.credentials = attrs.evolve(
            DEMO_CREDENTIALS,
            sender_password="rotated-sender-password",
        )
    return case.emu.stats.http_requests


def assert_sender_refused(case: SenderCase, error: AuthenticationError, client: Any) -> None:
    assert type(error) is AuthenticationError  # not SessionExpiredError
    assert error.level == "control"
    assert error.errorno == "XL03000006"
    message = str(error)
    assert SENDER_REFUSED in message
    assert message.endswith(SENDER_ADVICE)
    assert "create a new session" not in message.lower()
    assert client.stats.session_refreshes == 0
    assert client.stats.logins == case.logins
    for secret in case.secrets:
        assert secret not in message
        assert secret not in repr(error)


SENDER_KINDS = ["session", "session and login", "login", "rotated"]


@pytest.mark.parametrize("kind", SENDER_KINDS)
def test_refused_sender_is_raised_as_is_without_renewing_the_session(kind: str) -> None:
    case = sender_case(kind)
    with Client(case.creds, options=NO_SLEEP, transport=case.emu.transport()) as client:
        for _ in range(case.calls_before):
            client.lookup("EMPLOYEE")
        seen = refuse_sender(case)
        with pytest.raises(AuthenticationError) as info:
            client.lookup("EMPLOYEE")
    assert case.emu.stats.http_requests == seen + 1  # no new login, no resend
    assert client.stats.http_requests == case.logins + case.calls_before + 1
    assert_sender_refused(case, info.value, client)


@pytest.mark.anyio
@pytest.mark.parametrize("kind", SENDER_KINDS)
async def test_async_refused_sender_is_raised_as_is_without_renewing_the_session(
    kind: str,
) -> None:
    case = sender_case(kind)
    async with AsyncClient(case.creds, options=NO_SLEEP, transport=case.emu.transport()) as client:
        for _ in range(case.calls_before):
            await client.lookup("EMPLOYEE")
        seen = refuse_sender(case)
        with pytest.raises(AuthenticationError) as info:
            await client.lookup("EMPLOYEE")
    assert case.emu.stats.http_requests == seen + 1
    assert client.stats.http_requests == case.logins + case.calls_before + 1
    assert_sender_refused(case, info.value, client)
