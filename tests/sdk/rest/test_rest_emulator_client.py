"""The REST client against the emulator's REST side, in process and over the loopback server:
both grants, rotation and revocation, keyset paging, writes, idempotency over a lost answer,
throttling, the error envelopes and the bridge to the XML client."""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import anyio
import attrs
import httpx
import pytest
from tests.testing.emu_helpers import Clock

from intacct_sdk import Client, Credentials, F, RateLimitError, RetryPolicy
from intacct_sdk.rest import (
    AsyncRestClient,
    AuthorizationRequest,
    GrantRevokedError,
    MemoryTokenStore,
    NotFoundError,
    RestClient,
    RestCredentials,
    RestOptions,
    authorization_url,
    delete_line,
    get_path,
)
from intacct_sdk.testing import (
    REST_CLIENT_ID,
    REST_CLIENT_SECRET,
    Emulator,
    FaultPlan,
    demo_company,
)

TS = "time/timesheet"
EMP = "company-config/employee"
REDIRECT = "http://localhost/cb"
TRANSPORT_BASE = "https://api.intacct.com/ia/api/v1"
CC = RestCredentials(
    client_id=REST_CLIENT_ID, client_secret=REST_CLIENT_SECRET, username="demo-user@DEMO"
)


BOTH = pytest.mark.parametrize("over", ["transport", "server"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> Emulator:
    return Emulator(demo_company(employees=23, projects=2, customers=2), clock=clock)


@contextmanager
def wire(emulator: Emulator, over: str) -> Iterator[tuple[str, httpx.BaseTransport | None]]:
    """The base URL and transport for a client of ``emulator``."""
    if over == "transport":
        yield "https://api.intacct.com/ia/api/v1", emulator.transport()
        return
    with emulator.serve() as server:
        yield server.url.rsplit("/ia/", 1)[0] + "/ia/api/v1", None


CODE_CREDS = RestCredentials(
    client_id=REST_CLIENT_ID, client_secret=REST_CLIENT_SECRET, redirect_uri=REDIRECT
)


def authorize(transport: httpx.BaseTransport) -> tuple[AuthorizationRequest, str]:
    """An authorize URL followed as the emulator's user (auto-approved), and its code."""
    request = authorization_url(REST_CLIENT_ID, REDIRECT, base_url=TRANSPORT_BASE)
    with httpx.Client(transport=transport) as browser:
        location = browser.get(request.url).headers["location"]
    return request, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["code"]


def timesheet(employee: str = "E00001", **extra: object) -> dict[str, object]:
    return {
        "employee": {"id": employee},
        "beginDate": "2024-03-04",
        "lines": [{"entryDate": "2024-03-04", "quantity": 8, "timeType": {"id": "Salary"}}],
        **extra,
    }


@BOTH
def test_client_credentials_and_keyset_paging(emulator: Emulator, over: str) -> None:
    with wire(emulator, over) as (base, transport):
        opts = RestOptions(base_url=base, page_size=5)
        with RestClient(CC, options=opts, transport=transport) as rest:
            rows = list(rest.query(EMP, ["id", "status"], where=F("status") == "active"))
            assert rest.stats.token_requests == 1
            queries = rest.stats.requests - 1
    active = [e for e in emulator.company.records("EMPLOYEE") if e.get("STATUS") == "active"]
    assert sorted(r["id"] for r in rows) == sorted(e["EMPLOYEEID"] for e in active)
    assert len({r["key"] for r in rows}) == len(rows)
    assert queries == len(rows) // 5 + 1
    assert all(get_path(r, "audit.modifiedDateTime").endswith("Z") for r in rows)


def test_authorization_code_rotation_and_revocation(emulator: Emulator, clock: Clock) -> None:
    creds = RestCredentials(
        client_id=REST_CLIENT_ID,
        client_secret=REST_CLIENT_SECRET,
        redirect_uri=REDIRECT,
        connection="demo",
    )
    transport = emulator.transport()

    def code_for(request_url: str) -> str:
        with httpx.Client(transport=transport) as browser:
            answer = browser.get(request_url)
        assert answer.status_code == 302
        return dict(
            urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["location"]).query)
        )["code"]

    store = MemoryTokenStore()
    request = authorization_url(
        REST_CLIENT_ID, REDIRECT, base_url="https://api.intacct.com/ia/api/v1"
    )
    with RestClient(creds, store=store, transport=transport) as rest:
        first = rest.exchange_code(code_for(request.url), request.code_verifier)
        assert first.refresh_token
        assert rest.query_page(EMP, ["id"], size=3).records
        clock.advance(hours=2)  # past the emulator's token lifetime
        assert rest.query_page(EMP, ["id"], size=3).records  # a 401, a refresh, a retry
        assert rest.stats.token_refreshes == 1
        second = store.load("demo")
        assert second is not None and second.refresh_token not in (None, first.refresh_token)
        # Another authorization of the same user and company revokes this grant.
        other = authorization_url(
            REST_CLIENT_ID, REDIRECT, base_url="https://api.intacct.com/ia/api/v1"
        )
        with RestClient(creds, store=MemoryTokenStore(), transport=transport) as newer:
            newer.exchange_code(code_for(other.url), other.code_verifier)
        clock.advance(hours=2)
        with pytest.raises(GrantRevokedError):
            rest.query_page(EMP, ["id"])


@BOTH
def test_writes_batches_and_a_lost_answer_replayed(emulator: Emulator, over: str) -> None:
    with wire(emulator, over) as (base, transport):
        opts = RestOptions(base_url=base, retry=RetryPolicy(sleep=lambda s: None))
        with RestClient(CC, options=opts, transport=transport) as rest:
            rest.query_page(EMP, ["id"], size=1)  # requests 1 and 2: token, query
            emulator.faults = FaultPlan.parse("lost@3")
            made = rest.create(TS, timesheet(), idempotency_key="ts-1-v1-create")
            assert made.replayed and made.key
            results = rest.create_many(TS, [timesheet("E00002"), {"beginDate": "2024-03-04"}])
            assert [r.ok for r in results] == [True, False]
            assert results[1].error is not None and results[1].error.index == 1
            atomic = rest.create_many(TS, [timesheet("E00003"), {"x": 1}], transaction=True)
            assert not any(r.ok for r in atomic)
            keys = [r["key"] for r in rest.query(TS, ["key"])]
            assert sorted(keys) == sorted([made.key, results[0].key])
            with pytest.raises(NotFoundError):
                rest.get(TS, "999999")
            record = rest.get(TS, str(made.key))
            assert get_path(record, "employee.id") == "E00001"
            rest.delete(TS, str(made.key))
            assert [r["key"] for r in rest.query(TS, ["key"])] == [results[0].key]


@pytest.mark.parametrize("envelope", ["result", "top", "legacy"])
def test_each_error_envelope(emulator: Emulator, envelope: str) -> None:
    emulator.rest.error_envelope = envelope  # type: ignore[assignment]
    with (
        RestClient(CC, transport=emulator.transport()) as rest,
        pytest.raises(NotFoundError) as missing,
    ):
        rest.get(TS, "999")
    assert missing.value.code == "notFound" and "999" in str(missing.value)


def test_throttling_waits_and_then_gets_through(emulator: Emulator) -> None:
    emulator.concurrency_wait = 0
    limit = emulator.max_concurrent or 0
    slept: list[float] = []

    def release(seconds: float) -> None:
        slept.append(seconds)
        for _ in range(limit):
            emulator._slots.leave()

    opts = RestOptions(retry=RetryPolicy(sleep=release))
    with RestClient(CC, options=opts, transport=emulator.transport()) as rest:
        rest.query_page(EMP, ["id"], size=1)
        for _ in range(limit):
            assert emulator._slots.enter(limit, 0)
        assert rest.query_page(EMP, ["id"], size=1).records
    assert slept == [1.0]  # X-IA-Throttle-RetryAfter


def test_throttling_past_the_policy_raises_rate_limit(emulator: Emulator) -> None:
    emulator.concurrency_wait = 0
    limit = emulator.max_concurrent or 0
    opts = RestOptions(retry=RetryPolicy(attempts=2, sleep=lambda s: None))
    with RestClient(CC, options=opts, transport=emulator.transport()) as rest:
        rest.query_page(EMP, ["id"], size=1)
        for _ in range(limit):
            assert emulator._slots.enter(limit, 0)
        try:
            with pytest.raises(RateLimitError):
                rest.query_page(EMP, ["id"], size=1)
        finally:
            for _ in range(limit):
                emulator._slots.leave()


@BOTH
def test_the_bridge_opens_an_xml_client(emulator: Emulator, over: str) -> None:
    with wire(emulator, over) as (base, transport):
        with RestClient(CC, options=RestOptions(base_url=base), transport=transport) as rest:
            session = rest.xml_session()
            assert session.endpoint_url.startswith(base.split("/ia/")[0])
            sender = emulator.credentials
            xml = rest.xml_client(sender.sender_id, sender.sender_password, transport=transport)
        with xml:
            assert len(list(xml.query("EMPLOYEE", ["EMPLOYEEID"]))) == 23


def test_a_record_written_over_rest_is_read_over_xml(emulator: Emulator) -> None:
    with RestClient(CC, transport=emulator.transport()) as rest:
        made = rest.create(TS, timesheet(description="from REST"))
    xml = Client(Credentials(**attrs.asdict(emulator.credentials)), transport=emulator.transport())
    with xml:
        rows = list(xml.query("TIMESHEET", ["RECORDNO", "DESCRIPTION"]))
    assert [(str(r["RECORDNO"]), r["DESCRIPTION"]) for r in rows] == [(made.key, "from REST")]


def test_async_client_against_the_emulator(emulator: Emulator) -> None:
    async def main() -> None:
        async with AsyncRestClient(
            CC, options=RestOptions(page_size=4), transport=emulator.transport()
        ) as rest:
            rows = [r async for r in rest.query(EMP, ["id"])]
            assert len(rows) == 23
            made = await rest.create(TS, timesheet())
            assert made.key
            sender = emulator.credentials
            xml = await rest.xml_client(
                sender.sender_id, sender.sender_password, transport=emulator.transport()
            )
            async with xml:
                names = [r["EMPLOYEEID"] async for r in xml.query("EMPLOYEE", ["EMPLOYEEID"])]
            assert len(names) == 23

    anyio.run(main)
    assert [t["EMPLOYEEID"] for t in emulator.company.records("TIMESHEET")] == ["E00001"]


def test_xml_object_names_and_a_per_call_count(emulator: Emulator) -> None:
    with RestClient(CC, transport=emulator.transport()) as rest:
        rest.query_page(EMP, ["id"], size=1)
        with rest.counting() as count:
            results = rest.create_many("TIMESHEET", [timesheet(f"E{n:05}") for n in range(1, 4)])
        assert all(r.ok for r in results)
        assert (count.requests, count.records_written, count.token_requests) == (1, 3, 0)
        assert rest.stats.requests == 3


def test_no_secret_reaches_the_log_over_the_emulator(
    emulator: Emulator, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = MemoryTokenStore()
    creds = CODE_CREDS
    transport = emulator.transport()
    request, code = authorize(transport)
    with RestClient(creds, store=store, transport=transport) as rest:
        first = rest.exchange_code(code, request.code_verifier)
        rest.query_page(EMP, ["id"], size=2)
        clock.advance(hours=2)
        rest.query_page(EMP, ["id"], size=2)
        session = rest.xml_session()
        texts = [caplog.text, repr(rest), repr(store.load(creds.key)), repr(session)]
    last = store.load(creds.key)
    assert last is not None and "HTTP 200" in caplog.text
    secrets = [
        REST_CLIENT_SECRET,
        code,
        request.code_verifier,
        first.access_token,
        first.refresh_token,
        last.access_token,
        last.refresh_token,
        session.session_id,
    ]
    for secret in secrets:
        assert secret and all(secret not in text for text in texts), secret


def test_an_object_without_an_audit_block_pages_by_key(emulator: Emulator) -> None:
    with RestClient(CC, options=RestOptions(page_size=1), transport=emulator.transport()) as rest:
        rows = list(rest.query("time/time-type", ["id"], keyset=("key",)))
        assert rows and len({r["key"] for r in rows}) == len(rows)
        assert rest.stats.requests == 1 + len(rows) + 1  # the token, a page each, the empty end


def test_batches_split_at_500_with_a_result_per_record(emulator: Emulator) -> None:
    records = [{"id": f"K{n:04}", "name": f"k{n}"} for n in range(1200)]
    records[700] = {"name": "no id"}
    before = len(list(emulator.company.records("CLASS")))
    with RestClient(CC, transport=emulator.transport()) as rest:
        with rest.counting() as count:
            results = rest.create_many("company-config/class", records, idempotency_key="load-1")
        assert count.requests - count.token_requests == 3 and count.records_written == 1199
        again = rest.create_many("company-config/class", records, idempotency_key="load-1")
    assert [r.index for r in results] == list(range(1200))
    assert [r.index for r in results if not r.ok] == [700]
    assert [r.key for r in again] == [r.key for r in results]  # replayed, not written twice
    assert len(list(emulator.company.records("CLASS"))) == before + 1199


def in_threads(count: int, work: Callable[[], object]) -> list[BaseException]:
    """Run ``work`` in ``count`` threads started together; what they raised."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # pragma: no cover - the caller asserts there are none
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_concurrent_refreshes_refresh_once(emulator: Emulator, clock: Clock) -> None:
    creds = CODE_CREDS
    transport = emulator.transport()
    request, code = authorize(transport)
    store = MemoryTokenStore()
    with RestClient(creds, store=store, transport=transport) as rest:
        rest.exchange_code(code, request.code_verifier)
        clock.advance(hours=2)
        failures = in_threads(5, lambda: rest.query_page(EMP, ["id"], size=2))
        assert failures == []
        assert rest.stats.token_refreshes == 1
        assert rest.stats.token_requests == 2  # the code exchange and one refresh


def test_a_record_modified_during_the_walk_is_read_at_the_end(
    emulator: Emulator, clock: Clock
) -> None:
    with RestClient(
        CC, options=RestOptions(page_size=4, prefetch=0), transport=emulator.transport()
    ) as rest:
        seen: list[str] = []
        for n, row in enumerate(rest.query(EMP, ["id"])):
            seen.append(row["id"])
            if n == 0:
                clock.advance(days=3650)  # past every seeded modification time
                rest.update(EMP, row["key"], {"name": "Moved To The End"})
    assert sorted(set(seen)) == sorted(
        e["EMPLOYEEID"] for e in emulator.company.records("EMPLOYEE")
    )
    assert seen[-1] == seen[0]  # read again at the end, after its change


def test_patch_updates_adds_and_removes_owned_lines(emulator: Emulator) -> None:
    sheet = timesheet()
    sheet["lines"] = [
        {"entryDate": "2024-03-04", "quantity": 8, "timeType": {"id": "Salary"}},
        {"entryDate": "2024-03-05", "quantity": 2, "timeType": {"id": "Salary"}},
    ]
    with RestClient(CC, transport=emulator.transport()) as rest:
        made = rest.create(TS, sheet)
        assert made.key is not None
        lines = rest.get(TS, made.key)["lines"]
        first, second = (line["key"] for line in lines)
        rest.update(
            TS,
            made.key,
            {
                "lines": [
                    {"key": first, "quantity": 6},
                    {"entryDate": "2024-03-06", "quantity": 1, "timeType": {"id": "Salary"}},
                    delete_line(second),
                ]
            },
        )
        after = rest.get(TS, made.key)["lines"]
    assert [float(line["quantity"]) for line in after] == [6.0, 1.0]
    assert after[0]["key"] == first and second not in {line["key"] for line in after}


def test_a_query_names_its_object_by_xml_name_or_rest_path(emulator: Emulator) -> None:
    with RestClient(CC, transport=emulator.transport()) as rest:
        by_xml = [r["id"] for r in rest.query("EMPLOYEE", ["id"])]
        by_path = [r["id"] for r in rest.query("company-config/employee", ["id"])]
        assert by_xml == by_path
        assert len(by_xml) == len(list(emulator.company.records("EMPLOYEE"))) > 0
        with pytest.raises(ValueError, match="EMPLOYEE"):
            rest.query_page("EMPLOYE", ["id"])
