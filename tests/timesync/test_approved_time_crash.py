# ruff: noqa: F811 - the loopback fixture is imported by name and shadowed by test arguments
"""SIGKILL at every request of a correction of approved time, then reruns: every approved
line is reversed exactly once and Intacct's net hours equal the app's."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.timesync.engine_fixtures import add_timesheets, live_timesheets
from tests.timesync.sync_process import (  # noqa: F401 - loopback is a fixture
    Killer,
    finish_sync,
    loopback,
    start_sync,
    write_sync_config,
)

from intacct_sdk.testing import Emulator
from timesync.local import EntryInput, ReferenceApp

pytestmark = pytest.mark.slow

# the correction run of 3 timesheets in batches of 3 takes 6 requests (a login, the first reads
# with the read of the linked records, the entries, the update, the approval of the new
# entries, the read-back), each killed before it is handled and after it was applied
CRASH_POINTS = [(offset, when) for offset in range(1, 7) for when in ("before", "after")]


def _net(emulator: Emulator, record_no: Any) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for e in emulator.company.records("TIMESHEETENTRY"):
        if str(e.get("TIMESHEETKEY")) == str(record_no):
            out[(str(e["ENTRYDATE"]), str(e["TASKKEY"]))] += Decimal(str(e["QTY"]))  # type: ignore[assignment]
    return Counter({k: v for k, v in out.items() if v})


def _reversals(emulator: Emulator, record_no: Any) -> int:
    return sum(
        1
        for e in emulator.company.records("TIMESHEETENTRY")
        if str(e.get("TIMESHEETKEY")) == str(record_no) and Decimal(str(e["QTY"])) < 0
    )


@pytest.mark.parametrize(("offset", "when"), CRASH_POINTS)
def test_sigkill_during_a_correction_of_approved_time_then_rerun(
    loopback: tuple[Emulator, Killer, str], tmp_path: Path, offset: int, when: str
) -> None:
    emulator, killer, url = loopback
    cfg = write_sync_config(tmp_path, url, emulator)  # target Approved, batches of 3
    assert finish_sync(start_sync(cfg))[0] == 0
    with ReferenceApp(tmp_path / "app.db") as app:
        ids = add_timesheets(app, 3)
    assert finish_sync(start_sync(cfg, "--object", "TIMESHEET"))[0] == 0
    records = {k: v[0]["RECORDNO"] for k, v in live_timesheets(emulator).items()}
    with ReferenceApp(tmp_path / "app.db") as app:
        task = next(r for r in app.list_records("TASK") if r.active)
        project, _, code = (task.key or "").partition("/")
        for local_id in ids:  # the first day's 7.5 h become 6 h; the second day stays
            entries = app.timesheet_entries(local_id)
            app.update_timesheet(
                local_id, [EntryInput(date(2025, 1, 6), Decimal(6), project, code), entries[1]]
            )
    killer.kill_sync(cfg, emulator.stats.http_requests + offset, when, "--object", "TIMESHEET")
    for _ in range(2):
        code_, out = finish_sync(start_sync(cfg, "--object", "TIMESHEET"))
    assert code_ == 0, out
    live = live_timesheets(emulator)
    assert {k: v[0]["RECORDNO"] for k, v in live.items()} == records  # no second timesheet
    assert all(len(v) == 1 for v in live.values())
    for local_id in ids:
        net = _net(emulator, records[local_id])
        by_day: Counter[str] = Counter()
        for (day, _), q in net.items():
            by_day[day] += q  # type: ignore[assignment]
        assert by_day["01/06/2025"] == Decimal(6)
        assert by_day["01/07/2025"] > 0  # untouched
        assert _reversals(emulator, records[local_id]) == 1  # reversed exactly once
