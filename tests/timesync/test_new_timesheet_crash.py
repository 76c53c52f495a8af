# ruff: noqa: F811 - the loopback fixture is imported by name and shadowed by test arguments
"""SIGKILL at every request of a correction of approved time made as a new timesheet
(``approved_changes = "new_timesheet"``), then reruns: each document gets exactly one
correction sheet holding one reversal and one new entry, the approved timesheet is untouched,
and Intacct's net hours over both equal the app's."""

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
from timesync.store import OutboxState, SQLiteStateStore

pytestmark = pytest.mark.slow

# the correction run of 3 timesheets in batches of 3 takes 5 requests (the first reads with
# the login and a session for the writes, the read of the linked records with the stamps of
# the next correction sheets, the entries, the creates of the correction sheets, their
# approval), each killed before it is handled and after it was applied (a 6th request would
# fail the kill: the run has no more)
CRASH_POINTS = [(offset, when) for offset in range(1, 6) for when in ("before", "after")]


def _entries(emulator: Emulator, record_no: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in emulator.company.records("TIMESHEETENTRY")
        if str(e.get("TIMESHEETKEY")) == str(record_no)
    ]


def _snapshot(emulator: Emulator, record_no: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (e["RECORDNO"], e["QTY"], e["STATE"], e["WHENMODIFIED"])
        for e in _entries(emulator, record_no)
    )


@pytest.mark.parametrize(("offset", "when"), CRASH_POINTS)
def test_sigkill_during_a_correction_into_a_new_timesheet_then_rerun(
    loopback: tuple[Emulator, Killer, str], tmp_path: Path, offset: int, when: str
) -> None:
    emulator, killer, url = loopback
    cfg = write_sync_config(tmp_path, url, emulator)  # target Approved, batches of 3
    with cfg.open("a", encoding="utf-8") as f:
        f.write('approved_changes = "new_timesheet"\n')
    assert finish_sync(start_sync(cfg))[0] == 0
    with ReferenceApp(tmp_path / "app.db") as app:
        ids = add_timesheets(app, 3)
    assert finish_sync(start_sync(cfg, "--object", "TIMESHEET"))[0] == 0
    originals = {k: v[0]["RECORDNO"] for k, v in live_timesheets(emulator).items()}
    before = {k: _snapshot(emulator, rn) for k, rn in originals.items()}
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
    for local_id in ids:
        sheets = sorted(live[local_id], key=lambda r: int(r["RECORDNO"]))
        assert len(sheets) == 2, sheets  # the first timesheet and one correction sheet
        assert sheets[0]["RECORDNO"] == originals[local_id]
        assert _snapshot(emulator, originals[local_id]) == before[local_id]  # untouched
        added = _entries(emulator, sheets[1]["RECORDNO"])
        assert sorted(Decimal(str(e["QTY"])) for e in added) == [Decimal("-7.5"), Decimal(6)]
        assert {e["STATE"] for e in added} == {"Approved"}
        by_day: Counter[str] = Counter()
        for sheet in sheets:
            for e in _entries(emulator, sheet["RECORDNO"]):
                by_day[str(e["ENTRYDATE"])] += Decimal(str(e["QTY"]))  # type: ignore[assignment]
        assert by_day["01/06/2025"] == Decimal(6)
        assert by_day["01/07/2025"] > 0  # untouched
    with SQLiteStateStore(tmp_path / "state.db") as store:
        kept = store.correction_sheets("TIMESHEET", ids)
        assert {k: [(s.number, s.record_no) for s in v] for k, v in kept.items()} == {
            k: [(1, int(sorted(live[k], key=lambda r: int(r["RECORDNO"]))[1]["RECORDNO"]))]
            for k in ids
        }
        assert not store.outbox(
            object_name="TIMESHEET", states=[OutboxState.PENDING, OutboxState.IN_FLIGHT]
        )
