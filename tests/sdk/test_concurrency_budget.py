"""The client's concurrency budget (``ClientOptions.max_concurrent``), and GW-0010 backoff."""

from __future__ import annotations

import asyncio
import threading

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.sdk._emulated import CREDS, NO_SLEEP, Gate, calls, company_with

from intacct_sdk import AsyncClient, Client, ClientOptions, ConfigurationError, RetryPolicy
from intacct_sdk._budget import RequestBudget
from intacct_sdk.testing import Emulator, EmulatorResponse, NoFaults, RequestContext

FIELDS = ["RECORDNO", "EMPLOYEEID"]
ALL = [f"E{i:05d}" for i in range(1, 101)]


def test_prefetch_8_with_a_budget_of_2_keeps_2_in_flight() -> None:
    gate = Gate()
    # No limit at the emulator: whatever the client sends arrives.
    emu = Emulator(company_with(100), faults=gate, max_concurrent=None)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        pages = client.query_pages("EMPLOYEE", FIELDS, page_size=10, prefetch=8)
        first = next(pages)
        assert gate.wait_for_held(2)
        # Eight pages are asked for, two are at the gateway; the rest wait in the client.
        assert (gate.held, emu.stats.http_requests) == (2, 4)
        gate.release()
        got = [r["EMPLOYEEID"] for p in [first, *pages] for r in p.records]
    assert got == ALL
    assert emu.stats.peak_concurrent == 2
    assert calls(emu, "query") == 10  # the same requests as one page at a time


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefetch=st.integers(1, 8), budget=st.integers(1, 4), page_size=st.integers(3, 30))
def test_pages_in_flight_never_exceed_the_budget(
    prefetch: int, budget: int, page_size: int
) -> None:
    emu = Emulator(company_with(100), max_concurrent=None)
    options = attrs.evolve(NO_SLEEP, max_concurrent=budget)
    with Client(CREDS, options=options, transport=emu.transport()) as client:
        got = [
            r["EMPLOYEEID"]
            for r in client.query("EMPLOYEE", FIELDS, page_size=page_size, prefetch=prefetch)
        ]
    assert got == ALL
    assert emu.stats.peak_concurrent <= budget


def test_threads_sharing_a_client_share_its_budget() -> None:
    emu = Emulator(company_with(100), max_concurrent=None)
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        results: list[list[str]] = []
        lock = threading.Lock()

        def walk() -> None:
            rows = [r["EMPLOYEEID"] for r in client.query("EMPLOYEE", FIELDS, page_size=7)]
            with lock:
                results.append(rows)

        threads = [threading.Thread(target=walk) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert results == [ALL] * 6
    assert emu.stats.peak_concurrent <= 2
    assert client.stats.logins == 1


def test_a_client_alone_never_meets_the_companys_default_limit() -> None:
    emu = Emulator(company_with(100), concurrency_wait=0)  # two slots, refused at once
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        threads = [
            threading.Thread(target=lambda: list(client.query("EMPLOYEE", FIELDS, page_size=9)))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        got = list(client.query("EMPLOYEE", FIELDS, page_size=10, prefetch=8))
        for t in threads:
            t.join(30)
        assert client.stats.retries == 0
    assert len(got) == 100
    assert (emu.stats.refused, emu.stats.waited) == (0, 0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_tasks_share_the_budget_too() -> None:
    emu = Emulator(company_with(100), max_concurrent=None)
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:

        async def walk(prefetch: int) -> list[str]:
            pages = client.query("EMPLOYEE", FIELDS, page_size=10, prefetch=prefetch)
            return [r["EMPLOYEEID"] async for r in pages]

        got = await asyncio.gather(*(walk(p) for p in (0, 2, 8, 8)))
    assert got == [ALL] * 4
    assert emu.stats.peak_concurrent <= 2


def test_the_budget_is_a_client_option_and_not_a_per_call_one() -> None:
    assert ClientOptions().max_concurrent == 2
    assert ClientOptions().timeout == 90.0
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ConfigurationError, match="max_concurrent"):
            ClientOptions(max_concurrent=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="set it in the ClientOptions"):
        ClientOptions().merge({"max_concurrent": 4})  # type: ignore[typeddict-unknown-key]


def test_the_budget_hands_slots_out_in_arrival_order() -> None:
    budget = RequestBudget(1)
    budget.acquire()
    order: list[int] = []
    queued = threading.Semaphore(0)

    def take(n: int) -> None:
        queued.release()
        with budget:
            order.append(n)

    threads = []
    for n in range(5):
        t = threading.Thread(target=take, args=(n,))
        t.start()
        assert queued.acquire(timeout=10)
        while len(budget._waiters) < n + 1:  # this one is in the queue before the next starts
            threading.Event().wait(0.001)
        threads.append(t)
    budget.release()
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2, 3, 4]
    assert budget._free == 1


# ------------------------------------------------------------------ GW-0010 from the company


class HoldFirst(NoFaults):
    """Keeps request 1 (another client's) inside the emulator until released."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if ctx.request_number == 1:
            self.inside.set()
            self.release.wait(10)
        return None


def other_client_holding_the_slot(emu: Emulator, hold: HoldFirst) -> threading.Thread:
    other = threading.Thread(target=lambda: emu.handle(b"<request/>"))
    other.start()
    assert hold.inside.wait(10)
    return other


@pytest.mark.parametrize("write", [False, True])
def test_a_refused_request_backs_off_as_retry_after_says_and_is_resent(write: bool) -> None:
    hold = HoldFirst()
    emu = Emulator(company_with(3), faults=hold, max_concurrent=1, concurrency_wait=0)
    other = other_client_holding_the_slot(emu, hold)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        hold.release.set()  # the other client's request ends while this one backs off
        other.join(10)

    options = ClientOptions(retry=RetryPolicy(jitter=0, sleep=sleep))
    with Client(CREDS, options=options, transport=emu.transport()) as client:
        if write:  # no unique_id: resent all the same, since the gateway ran nothing
            client.create("CLASS", {"CLASSID": "C1", "NAME": "n"})
        else:
            client.lookup("EMPLOYEE")
        stats = client.stats
    assert slept == [1.0]  # the emulator's Retry-After: 1
    assert (stats.retries, emu.stats.refused) == (1, 1)
    assert emu.company.count("CLASS") == (1 if write else 0)
    assert calls(emu, "create" if write else "lookup") == 1  # the refused attempt ran nothing


def test_without_retry_after_the_policy_backs_off_exponentially() -> None:
    from tests.sdk._fake_gateway import CREDS as FAKE_CREDS
    from tests.sdk._fake_gateway import FakeGateway, rate_limited

    gw = FakeGateway()
    for n in (2, 3, 4):
        gw.fault(n, lambda r: rate_limited())
    slept: list[float] = []
    options = ClientOptions(retry=RetryPolicy(jitter=0, sleep=slept.append, attempts=4))
    with Client(FAKE_CREDS, options=options, transport=gw.transport()) as client:
        assert client.lookup("EMPLOYEE")
    assert slept == [0.5, 1.0, 2.0]
