# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Correcting time Intacct already approved: reversing entries, never a second timesheet."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    EngineFactory,
    add_timesheets,
    app,
    client,
    emulator,
    live_timesheets,
    make_engine,
    store,
)

from intacct_sdk.testing import Emulator
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore

WEEK = date(2025, 1, 6)


def _entries(emulator: Emulator, record_no: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in emulator.company.records("TIMESHEETENTRY")
        if str(e.get("TIMESHEETKEY")) == str(record_no)
    ]


def _net(entries: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for e in entries:
        out[(str(e["ENTRYDATE"]), str(e["PROJECTID"]))] += Decimal(str(e["QTY"]))  # type: ignore[assignment]
    return Counter({k: v for k, v in out.items() if v})


def _task(app: ReferenceApp) -> tuple[str, str]:
    task = next(r for r in app.list_records("TASK") if r.active)
    project, _, code = (task.key or "").partition("/")
    return project, code


def test_a_correction_of_approved_time_adds_a_reversal_and_a_new_entry(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Approved")
    engine.run()
    [sheet] = add_timesheets(app, 1)
    assert engine.run().ok
    [[record]] = live_timesheets(emulator).values()
    before = _entries(emulator, record["RECORDNO"])
    assert {e["STATE"] for e in before} == {"Approved"} and len(before) == 2
    project, code = _task(app)
    app.update_timesheet(
        sheet,
        [
            EntryInput(WEEK, Decimal("6"), project, code, notes="sheet 0"),
            EntryInput(date(2025, 1, 7), Decimal("1"), project, code),
        ],
    )
    report = engine.run()
    assert report.ok, report.format()
    assert not report.conflicts
    after = _entries(emulator, record["RECORDNO"])
    assert {e["RECORDNO"] for e in before} <= {e["RECORDNO"] for e in after}  # kept
    added = sorted(Decimal(str(e["QTY"])) for e in after if e not in before)
    assert added == [Decimal("-7.5"), Decimal("6")]  # one reversal, one new entry
    assert _net(after) == Counter({("01/06/2025", project): Decimal(6), ("01/07/2025", project): 1})
    assert len(live_timesheets(emulator)[sheet]) == 1  # no second timesheet
    assert any("reversing" in n for n in report.notes)
    again = engine.run()
    assert (
        again.objects["TIMESHEET"].updated == 0 and len(_entries(emulator, record["RECORDNO"])) == 4
    )


def test_the_conflict_policy_keeps_todays_behaviour(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Approved", push={"approved_changes": "conflict"})
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    project, code = _task(app)
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("6"), project, code)])
    report = engine.run()
    assert [c.key for c in report.conflicts] == [sheet]
    [[record]] = live_timesheets(emulator).values()
    assert len(_entries(emulator, record["RECORDNO"])) == 2


def test_a_deleted_approved_timesheet_is_reversed_to_nothing(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine("Approved")
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    [[record]] = live_timesheets(emulator).values()
    app.delete_timesheet(sheet)
    report = engine.run()
    assert report.ok and not report.conflicts, report.format()
    assert _net(_entries(emulator, record["RECORDNO"])) == Counter()
    assert engine.run().objects["TIMESHEET"].updated == 0


def test_approved_in_intacct_then_corrected_locally(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine("Submitted")
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    [[record]] = live_timesheets(emulator).values()
    emulator.company.approve_timesheet(int(record["RECORDNO"]), approver="manager")
    project, code = _task(app)
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("5"), project, code)])
    report = engine.run()
    assert report.ok and not report.conflicts, report.format()
    entries = _entries(emulator, record["RECORDNO"])
    assert _net(entries) == Counter({("01/06/2025", project): Decimal(5)})
    assert sum(Decimal(str(e["QTY"])) < 0 for e in entries) == 2  # both approved lines reversed


def test_accept_local_settles_an_approved_conflict_for_good(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Approved", push={"approved_changes": "conflict"})
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    [[record]] = live_timesheets(emulator).values()
    project, code = _task(app)
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("3"), project, code)])
    assert [c.key for c in engine.run().conflicts] == [sheet]
    assert [c.key for c in engine.run().conflicts] == [sheet]  # reported on every run
    engine.accept_local("TIMESHEET", sheet)
    settled = engine.run()
    assert settled.ok and not settled.conflicts, settled.format()
    assert _net(_entries(emulator, record["RECORDNO"])) == Counter(
        {("01/06/2025", project): Decimal(3)}
    )
    assert store.errors("TIMESHEET") == []
    later = engine.run()
    assert not later.conflicts and later.objects["TIMESHEET"].updated == 0


def test_accept_local_recreates_a_timesheet_deleted_in_intacct(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Submitted")
    engine.run()
    [kept, deleted] = add_timesheets(app, 2)
    engine.run()
    emulator.company.delete("TIMESHEET", int(live_timesheets(emulator)[deleted][0]["RECORDNO"]))
    project, code = _task(app)
    app.update_timesheet(deleted, [EntryInput(WEEK, Decimal("2"), project, code)])
    assert [c.key for c in engine.run().conflicts] == [deleted]
    assert [c.key for c in engine.run().conflicts] == [deleted]
    engine.accept_local("TIMESHEET", deleted)
    report = engine.run()
    assert report.ok and not report.conflicts, report.format()
    assert report.objects["TIMESHEET"].created == 1
    assert store.errors("TIMESHEET") == []
    assert not engine.run().conflicts
    live = live_timesheets(emulator)
    assert sorted(live, key=int) == sorted([kept, deleted], key=int)
    assert all(len(v) == 1 for v in live.values())
