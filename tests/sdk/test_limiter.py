"""``ClientOptions.limiter``: the company's request slots shared by clients and processes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import anyio
import anyio.to_thread
import attrs
import pytest
from tests.sdk._emulated import CREDS, NO_SLEEP, Gate, company_with

from intacct_sdk import (
    AsyncClient,
    Client,
    ClientOptions,
    ConfigurationError,
    LocalLimiter,
    RequestLimiter,
    RequestNotSentError,
    RetryPolicy,
    SlotWaitTimeoutError,
)
from intacct_sdk.testing import Emulator, FaultPlan

FIELDS = ["RECORDNO", "EMPLOYEEID"]
ALL = [f"E{i:05d}" for i in range(1, 101)]


class Counting:
    """A limiter over a :class:`LocalLimiter` that counts the slots taken and refuses the
    first ``refuse`` of them with :class:`SlotWaitTimeoutError`."""

    def __init__(self, slots: int = 2, refuse: int = 0) -> None:
        self.inner = LocalLimiter(slots)
        self.taken = 0
        self.refuse = refuse
        self.lock = threading.Lock()

    @contextmanager
    def _slot(self) -> Iterator[None]:
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                raise SlotWaitTimeoutError("no shared slot came free in time")
            self.taken += 1
        with self.inner.slot():
            yield

    def slot(self) -> AbstractContextManager[None]:
        return self._slot()


def wait_until(check: Callable[[], bool]) -> bool:
    """Whether ``check()`` came true within ten seconds (polled)."""
    stop = threading.Event()
    for _ in range(10_000):
        if check():
            return True
        stop.wait(0.001)
    return check()


def with_limiter(limiter: RequestLimiter, **changes: object) -> ClientOptions:
    return attrs.evolve(NO_SLEEP, limiter=limiter, **changes)


def test_the_local_limiter_hands_out_n_slots_and_refuses_when_told_not_to_wait() -> None:
    limiter = LocalLimiter(2, wait=0)
    assert isinstance(limiter, RequestLimiter)
    with limiter.slot(), limiter.slot():
        assert limiter.held == 2
        with pytest.raises(SlotWaitTimeoutError, match="2 shared request slot") as caught:
            limiter.slot().__enter__()
        assert isinstance(caught.value, RequestNotSentError)
    assert (limiter.held, limiter.peak) == (0, 2)
    with limiter.slot():  # the refusal took nothing
        assert limiter.held == 1
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ConfigurationError, match="slots"):
            LocalLimiter(bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="wait"):
        LocalLimiter(1, wait=-1)


def test_a_waiter_gets_the_freed_slot_in_arrival_order() -> None:
    limiter = LocalLimiter(1)
    order: list[int] = []
    first = limiter.slot()
    first.__enter__()
    started = [threading.Event() for _ in range(3)]

    def take(n: int) -> None:
        started[n].set()
        with limiter.slot():
            order.append(n)

    threads = []
    for n in range(3):
        t = threading.Thread(target=take, args=(n,))
        t.start()
        started[n].wait(10)
        # the thread is queued once the budget lists it as a waiter
        assert wait_until(lambda n=n: len(limiter._budget._waiters) == n + 1)  # type: ignore[misc]
        threads.append(t)
    first.__exit__(None, None, None)
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2]
    assert limiter.held == 0


def test_every_http_attempt_holds_one_slot_logins_and_retries_included() -> None:
    emu = Emulator(company_with(25), faults=FaultPlan.parse("http503@3"))
    limiter = Counting()
    with Client(CREDS, options=with_limiter(limiter), transport=emu.transport()) as client:
        got = [r["EMPLOYEEID"] for r in client.query("EMPLOYEE", FIELDS, page_size=10)]
        assert got == ALL[:25]
        # a login, three pages, and the page answered 503 sent again
        assert (client.stats.http_requests, client.stats.retries) == (5, 1)
    assert limiter.taken == emu.stats.http_requests == 5
    assert limiter.inner.held == 0


def test_pages_requested_ahead_hold_slots_too_and_the_budget_comes_first() -> None:
    emu = Emulator(company_with(100), max_concurrent=None)
    limiter = Counting(slots=4)
    options = with_limiter(limiter, max_concurrent=1)
    with Client(CREDS, options=options, transport=emu.transport()) as client:
        got = [r["EMPLOYEEID"] for r in client.query("EMPLOYEE", FIELDS, page_size=10, prefetch=8)]
    assert got == ALL
    assert limiter.taken == emu.stats.http_requests == 11
    # the client's own budget of one is taken first: it never holds two of the four
    assert limiter.inner.peak == 1


def test_no_slot_is_held_while_the_client_sleeps_between_retries() -> None:
    limiter = LocalLimiter(2)
    held_in_sleep: list[int] = []
    retry = RetryPolicy(jitter=0, sleep=lambda s: held_in_sleep.append(limiter.held))
    emu = Emulator(company_with(5), faults=FaultPlan.parse("http429@2,http503@3"))
    options = ClientOptions(retry=retry, limiter=limiter)
    with Client(CREDS, options=options, transport=emu.transport()) as client:
        assert len(list(client.query("EMPLOYEE", FIELDS))) == 5
    assert held_in_sleep == [0, 0]
    assert limiter.peak == 1


def test_a_slot_wait_timeout_is_retried_as_a_request_not_sent_even_for_a_write() -> None:
    emu = Emulator(company_with(1))
    limiter = Counting(refuse=2)  # the login is refused once, then the create once
    retry = RetryPolicy(jitter=0, sleep=lambda s: None)
    options = with_limiter(limiter, retry=retry)  # no unique_id: a lost write is not resent
    with Client(CREDS, options=options, transport=emu.transport()) as client:
        made = client.create("EMPLOYEE", {"EMPLOYEEID": "E9", "PERSONALINFO.CONTACTNAME": "N"})
        assert made[0]["EMPLOYEEID"] == "E9"
        assert client.stats.retries == 2
    assert emu.stats.functions[("create", "EMPLOYEE")] == 1
    assert emu.stats.http_requests == 2  # the login and the create: nothing twice


def test_the_last_slot_wait_timeout_is_raised_and_nothing_reaches_the_gateway() -> None:
    emu = Emulator(company_with(1))
    limiter = LocalLimiter(1, wait=0)
    retry = RetryPolicy(attempts=3, jitter=0, sleep=lambda s: None)
    with (
        limiter.slot(),  # another client holds the company's only slot
        Client(
            CREDS, options=ClientOptions(retry=retry, limiter=limiter), transport=emu.transport()
        ) as client,
    ):
        with pytest.raises(SlotWaitTimeoutError, match="nothing was sent"):
            client.read_by_name("EMPLOYEE", "E00001")
        assert client.stats.http_requests == 3
    assert emu.stats.http_requests == 0


def test_a_limiter_shared_by_two_clients_in_two_threads_keeps_n_at_the_emulator() -> None:
    gate = Gate(lambda ctx: ctx.function_names != ("getAPISession",))  # logins pass
    emu = Emulator(company_with(100), faults=gate, max_concurrent=None)  # no limit there
    limiter = LocalLimiter(2)
    options = with_limiter(limiter)  # each client may have two in flight: four in all
    results: list[list[str]] = []
    done = threading.Lock()

    def walk(client: Client) -> None:
        rows = [r["EMPLOYEEID"] for r in client.query("EMPLOYEE", FIELDS, page_size=10, prefetch=4)]
        with done:
            results.append(rows)

    with (
        Client(CREDS, options=options, transport=emu.transport()) as one,
        Client(CREDS, options=options, transport=emu.transport()) as two,
    ):
        threads = [threading.Thread(target=walk, args=(c,)) for c in (one, two, one, two)]
        for t in threads:
            t.start()
        assert gate.wait_for_held(2)
        # every slot is taken at the gateway; the other requests wait in the limiter
        assert wait_until(lambda: len(limiter._budget._waiters) >= 2)
        assert (gate.held, limiter.held) == (2, 2)
        gate.release()
        for t in threads:
            t.join(30)
    assert results == [ALL] * 4
    assert emu.stats.peak_concurrent == 2
    assert limiter.peak == 2


def test_the_limiter_is_a_client_option_shown_by_type_only() -> None:
    limiter = LocalLimiter(3)
    options = ClientOptions(limiter=limiter)
    assert options.limiter is limiter
    assert "limiter=<LocalLimiter>" in repr(options)
    assert ClientOptions().limiter is None
    with pytest.raises(ConfigurationError, match="limiter must be"):
        ClientOptions(limiter=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="set it in the ClientOptions"):
        options.merge({"limiter": limiter})  # type: ignore[typeddict-unknown-key]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_async_client_holds_a_slot_per_attempt_from_worker_threads() -> None:
    emu = Emulator(company_with(100), max_concurrent=None, faults=FaultPlan.parse("http503@4"))
    limiter = Counting(slots=2)
    options = with_limiter(limiter, max_concurrent=4)
    loop_thread = threading.get_ident()
    entered: list[int] = []
    inner_slot = limiter.slot

    def slot() -> AbstractContextManager[None]:
        entered.append(threading.get_ident())
        return inner_slot()

    limiter.slot = slot  # type: ignore[method-assign]
    async with AsyncClient(CREDS, options=options, transport=emu.transport()) as client:

        async def walk(prefetch: int) -> list[str]:
            pages = client.query("EMPLOYEE", FIELDS, page_size=10, prefetch=prefetch)
            return [r["EMPLOYEEID"] async for r in pages]

        got = await asyncio.gather(walk(0), walk(4), walk(8))
        assert client.stats.retries == 1
        assert limiter.taken == client.stats.http_requests == emu.stats.http_requests
    assert got == [ALL] * 3
    assert emu.stats.peak_concurrent <= 2
    assert limiter.inner.peak == 2 and limiter.inner.held == 0
    assert loop_thread in entered  # slot() is called on the loop; entering runs in threads


@pytest.mark.anyio
async def test_the_async_client_retries_a_slot_wait_timeout() -> None:
    emu = Emulator(company_with(3))
    limiter = Counting(refuse=1)
    async with AsyncClient(
        CREDS, options=with_limiter(limiter), transport=emu.transport()
    ) as client:
        got = [r async for r in client.query("EMPLOYEE", FIELDS)]
        assert (len(got), client.stats.retries) == (3, 1)
    assert limiter.inner.held == 0


@pytest.mark.anyio
async def test_many_async_clients_waiting_for_slots_do_not_starve_the_holders() -> None:
    # 25 clients of two requests each wait for two slots: more waits than anyio's 40 shared
    # worker threads, which a holder would need to give its slot back.
    emu = Emulator(company_with(30), max_concurrent=None)
    limiter = LocalLimiter(2)
    options = with_limiter(limiter)

    async def walk() -> int:
        async with AsyncClient(CREDS, options=options, transport=emu.transport()) as client:
            pages = client.query("EMPLOYEE", FIELDS, page_size=5, prefetch=2)
            return len([r async for r in pages])

    with anyio.fail_after(120):
        got = await asyncio.gather(*(walk() for _ in range(25)))
    assert got == [30] * 25
    assert emu.stats.peak_concurrent <= 2 and limiter.peak <= 2
    assert limiter.held == 0


@pytest.mark.anyio
async def test_a_task_cancelled_while_it_waits_for_a_slot_leaks_none() -> None:
    emu = Emulator(company_with(3))
    limiter = LocalLimiter(1)
    taken = limiter.slot()
    taken.__enter__()  # another process holds the company's only slot
    async with AsyncClient(CREDS, options=with_limiter(limiter), transport=emu.transport()) as c:
        task = asyncio.ensure_future(c.read_by_name("EMPLOYEE", "E00001"))
        assert await anyio.to_thread.run_sync(
            lambda: wait_until(lambda: len(limiter._budget._waiters) == 1)
        )
        task.cancel()
        taken.__exit__(None, None, None)  # the waiter gets the slot, then sees the cancel
        with pytest.raises(asyncio.CancelledError):
            await task
        assert limiter.held == 0
        assert emu.stats.http_requests == 0  # the login never went out
        got = await c.read_by_name("EMPLOYEE", "E00002")
        assert got[0]["EMPLOYEEID"] == "E00002"
        taken = limiter.slot()
        taken.__enter__()  # held elsewhere again: an anyio cancel scope stops the wait at once
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:

                async def cancel_when_waiting() -> None:
                    waiting = lambda: len(limiter._budget._waiters) == 1  # noqa: E731
                    assert await anyio.to_thread.run_sync(lambda: wait_until(waiting))
                    scope.cancel()

                tg.start_soon(cancel_when_waiting)
                await c.read_by_name("EMPLOYEE", "E00003")
        assert scope.cancelled_caught
        assert limiter.held == 1  # only the other holder's slot
        taken.__exit__(None, None, None)
        assert wait_until(lambda: limiter.held == 0 and not limiter._budget._waiters)
    assert emu.stats.functions[("readByName", "EMPLOYEE")] == 1
