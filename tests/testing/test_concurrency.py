"""A company's concurrent requests: two at once by default; a third waits, then is refused."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from intacct_sdk.testing import Emulator, EmulatorResponse, NoFaults, RequestContext, demo_company

from ._xml import envelope, statuses

QUERY = envelope("<query><object>EMPLOYEE</object><select><field>RECORDNO</field></select></query>")


class Hold(NoFaults):
    """Keeps the first ``n`` requests inside the emulator (holding their slots) until released."""

    def __init__(self, n: int = 1) -> None:
        self.n = n
        self.inside = threading.Semaphore(0)
        self.release = threading.Event()

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if ctx.request_number <= self.n:
            self.inside.release()
            self.release.wait(10)
        return None

    def all_inside(self) -> bool:
        return all(self.inside.acquire(timeout=10) for _ in range(self.n))


def in_thread(
    fn: Callable[[], EmulatorResponse],
) -> tuple[threading.Thread, list[EmulatorResponse]]:
    out: list[EmulatorResponse] = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    return worker, out


def until(condition: Callable[[], bool]) -> bool:
    done = threading.Event()
    for _ in range(10_000):
        if condition():
            return True
        done.wait(0.001)
    return False


def test_the_default_is_two_at_once_with_a_thirty_second_wait() -> None:
    emu = Emulator()
    assert (emu.max_concurrent, emu.concurrency_wait) == (2, 30.0)


def test_a_third_request_waits_then_is_refused_with_gw_0010_and_runs_nothing() -> None:
    hold = Hold(2)
    emu = Emulator(demo_company(employees=3), faults=hold, concurrency_wait=0.05)
    workers = [in_thread(lambda: emu.handle(QUERY)) for _ in range(2)]
    try:
        assert hold.all_inside()
        refused = emu.handle(QUERY)  # waits out its 0.05 s, then the gateway gives up
    finally:
        hold.release.set()
        for worker, _ in workers:
            worker.join(10)
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "1"
    assert b"<errorno>GW-0010</errorno>" in refused.body
    assert [statuses(out[0].body) for _, out in workers] == [["success"], ["success"]]
    stats = emu.stats
    assert (stats.http_requests, stats.refused, stats.waited, stats.total_functions) == (3, 1, 1, 2)
    assert stats.peak_concurrent == 2
    # The slots are free again once the first requests are answered.
    assert statuses(emu.handle(QUERY).body) == ["success"]
    assert emu.stats.refused == 1


def test_a_request_that_gets_a_slot_within_its_wait_is_served_normally() -> None:
    hold = Hold(1)
    emu = Emulator(demo_company(employees=3), faults=hold, max_concurrent=1, concurrency_wait=10)
    first, first_out = in_thread(lambda: emu.handle(QUERY))
    assert hold.all_inside()
    second, second_out = in_thread(lambda: emu.handle(QUERY))
    assert until(lambda: emu.waiting == 1)  # the second request is waiting for the slot
    hold.release.set()  # the first is answered: its slot goes to the one waiting
    first.join(10)
    second.join(10)
    assert statuses(first_out[0].body) == statuses(second_out[0].body) == ["success"]
    stats = emu.stats
    assert (stats.refused, stats.waited, stats.peak_concurrent, stats.total_functions) == (
        0,
        1,
        1,
        2,
    )


def test_waiting_requests_get_the_slots_in_arrival_order() -> None:
    hold = Hold(1)
    order: list[int] = []

    class Record(NoFaults):
        def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
            hold.before_request(ctx)
            order.append(ctx.request_number)
            return None

    emu = Emulator(faults=Record(), max_concurrent=1, concurrency_wait=10)
    first, _ = in_thread(lambda: emu.handle(QUERY))
    assert hold.all_inside()
    waiters = []
    for n in range(2, 6):
        waiters.append(in_thread(lambda: emu.handle(QUERY))[0])
        assert until(lambda n=n: emu.waiting == n - 1)  # type: ignore[misc]
    hold.release.set()
    for worker in [first, *waiters]:
        worker.join(10)
    assert order == [1, 2, 3, 4, 5]
    assert emu.stats.refused == 0


def test_zero_wait_refuses_at_once() -> None:
    hold = Hold(1)
    emu = Emulator(demo_company(employees=3), faults=hold, max_concurrent=1, concurrency_wait=0)
    worker, _ = in_thread(lambda: emu.handle(QUERY))
    try:
        assert hold.all_inside()
        assert emu.handle(QUERY).status == 429
    finally:
        hold.release.set()
        worker.join(10)
    assert (emu.stats.refused, emu.stats.waited) == (1, 1)


def test_requests_one_after_another_never_wait() -> None:
    emu = Emulator(demo_company(employees=3), max_concurrent=1)
    for _ in range(5):
        assert statuses(emu.handle(QUERY).body) == ["success"]
    assert (emu.stats.refused, emu.stats.waited, emu.stats.peak_concurrent) == (0, 0, 1)


def test_no_limit_lets_every_request_in() -> None:
    hold = Hold(4)
    emu = Emulator(faults=hold, max_concurrent=None)
    workers = [in_thread(lambda: emu.handle(QUERY))[0] for _ in range(4)]
    assert hold.all_inside()
    hold.release.set()
    for worker in workers:
        worker.join(10)
    assert (emu.stats.peak_concurrent, emu.stats.waited) == (4, 0)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_a_bad_limit_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="max_concurrent"):
        Emulator(max_concurrent=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-0.1, float("inf"), float("nan"), "1", None])
def test_a_bad_wait_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="concurrency_wait"):
        Emulator(concurrency_wait=bad)  # type: ignore[arg-type]
