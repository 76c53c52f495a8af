"""Emulator(max_concurrent=n): the company's limit on requests handled at once."""

from __future__ import annotations

import threading

import pytest

from intacct_sdk.testing import Emulator, EmulatorResponse, NoFaults, RequestContext, demo_company

from ._xml import envelope, statuses

QUERY = envelope("<query><object>EMPLOYEE</object><select><field>RECORDNO</field></select></query>")


class Hold(NoFaults):
    """Keeps the first request inside the emulator until released."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if ctx.request_number == 1:
            self.inside.set()
            self.release.wait(10)
        return None


def test_a_request_over_the_limit_is_refused_with_gw_0010_and_runs_nothing() -> None:
    hold = Hold()
    emu = Emulator(demo_company(employees=3), faults=hold, max_concurrent=1)
    first: list[EmulatorResponse] = []
    worker = threading.Thread(target=lambda: first.append(emu.handle(QUERY)))
    worker.start()
    try:
        assert hold.inside.wait(10)
        refused = emu.handle(QUERY)
    finally:
        hold.release.set()
        worker.join(10)
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "1"
    assert b"<errorno>GW-0010</errorno>" in refused.body
    assert statuses(first[0].body) == ["success"]
    assert (emu.stats.http_requests, emu.stats.refused, emu.stats.total_functions) == (2, 1, 1)
    # The slot is free again once the first request is answered.
    assert statuses(emu.handle(QUERY).body) == ["success"]
    assert emu.stats.refused == 1


def test_requests_one_after_another_never_hit_the_limit() -> None:
    emu = Emulator(demo_company(employees=3), max_concurrent=1)
    for _ in range(5):
        assert statuses(emu.handle(QUERY).body) == ["success"]
    assert emu.stats.refused == 0


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_a_bad_limit_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="max_concurrent"):
        Emulator(max_concurrent=bad)  # type: ignore[arg-type]
