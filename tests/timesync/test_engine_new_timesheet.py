# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""``approved_changes = "new_timesheet"``: a correction of approved time goes into a new
timesheet of the same week; the approved one is never touched, and the document's net hours
over all its timesheets equal the app's."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
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

from intacct_sdk.testing import Emulator, FaultPlan
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore

WEEK = date(2025, 1, 6)
POLICY = {"approved_changes": "new_timesheet"}


def _entries(emulator: Emulator, record_no: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in emulator.company.records("TIMESHEETENTRY")
        if str(e.get("TIMESHEETKEY")) == str(record_no)
    ]


def _net(emulator: Emulator, sheets: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for sheet in sheets:
        for e in _entries(emulator, sheet["RECORDNO"]):
            if e.get("STATE") != "Declined":
                out[(str(e["ENTRYDATE"]), str(e["PROJECTID"]))] += Decimal(str(e["QTY"]))  # type: ignore[assignment]
    return Counter({k: v for k, v in out.items() if v})


def _task(app: ReferenceApp) -> tuple[str, str]:
    task = next(r for r in app.list_records("TASK") if r.active)
    project, _, code = (task.key or "").partition("/")
    return project, code


def _sheets(emulator: Emulator, local_id: str) -> list[dict[str, Any]]:
    return sorted(live_timesheets(emulator)[local_id], key=lambda r: int(r["RECORDNO"]))


def _snapshot(emulator: Emulator, record_no: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (e["RECORDNO"], e["QTY"], e["STATE"], e["WHENMODIFIED"])
        for e in _entries(emulator, record_no)
    )


@pytest.mark.parametrize("target", ["Approved", "Submitted"])
def test_corrections_go_into_a_new_timesheet_of_the_same_week(
    make_engine: EngineFactory,
    emulator: Emulator,
    app: ReferenceApp,
    store: SQLiteStateStore,
    target: str,
) -> None:
    engine = make_engine(target, push=POLICY)
    engine.run()
    [sheet] = add_timesheets(app, 1)
    assert engine.run().ok
    [original] = _sheets(emulator, sheet)
    if target == "Submitted":  # an approver in Intacct
        emulator.company.approve_timesheet(int(original["RECORDNO"]), approver="manager")
    before = _snapshot(emulator, original["RECORDNO"])
    header = emulator.company.get("TIMESHEET", int(original["RECORDNO"]))
    project, code = _task(app)
    app.update_timesheet(
        sheet,
        [
            EntryInput(WEEK, Decimal("6"), project, code, notes="sheet 0"),
            EntryInput(date(2025, 1, 7), Decimal("1"), project, code),
        ],
    )
    calls = emulator.stats.http_requests
    report = engine.run(objects=["TIMESHEET"])
    assert report.ok and not report.conflicts, report.format()
    # the first reads, the read before the writes (the first timesheet, the stamp of the next
    # correction sheet), the entries, the create; then the approval of the new sheet, or
    # (approved in Intacct) the read of the approver's decision
    assert emulator.stats.http_requests - calls == 5
    assert emulator.stats.functions[("query", "TIMESHEETENTRY")] == 1 + (target == "Submitted")
    sheets = _sheets(emulator, sheet)
    assert len(sheets) == 2 and sheets[0]["RECORDNO"] == original["RECORDNO"]
    assert _snapshot(emulator, original["RECORDNO"]) == before  # the approved one untouched
    assert emulator.company.get("TIMESHEET", int(original["RECORDNO"])) == header
    correction = sheets[1]
    assert correction["EMPLOYEEID"] == original["EMPLOYEEID"]
    assert correction["BEGINDATE"] == original["BEGINDATE"]
    assert sorted(Decimal(str(e["QTY"])) for e in _entries(emulator, correction["RECORDNO"])) == [
        Decimal("-7.5"),
        Decimal("6"),
    ]
    assert _net(emulator, sheets) == Counter(
        {("01/06/2025", project): Decimal(6), ("01/07/2025", project): Decimal(1)}
    )
    [row] = store.correction_sheets("TIMESHEET", [sheet])[sheet]
    assert (row.number, row.record_no) == (1, int(correction["RECORDNO"]))
    assert app.pushed_state(sheet)[0] == int(original["RECORDNO"])  # the first timesheet
    calls = emulator.stats.http_requests
    again = engine.run(objects=["TIMESHEET"])
    assert again.objects["TIMESHEET"].updated == 0 and len(_sheets(emulator, sheet)) == 2
    assert emulator.stats.functions[("create", "TIMESHEET")] == 2


def test_a_second_correction_updates_the_waiting_sheet_then_makes_a_third_once_approved(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Submitted", push=POLICY)
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    [original] = _sheets(emulator, sheet)
    emulator.company.approve_timesheet(int(original["RECORDNO"]), approver="manager")
    project, code = _task(app)
    second = app.timesheet_entries(sheet)[1]
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("6"), project, code), second])
    assert engine.run().ok
    [_, correction] = _sheets(emulator, sheet)
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("5"), project, code), second])
    report = engine.run()
    assert report.ok and not report.conflicts, report.format()
    sheets = _sheets(emulator, sheet)
    assert [s["RECORDNO"] for s in sheets] == [original["RECORDNO"], correction["RECORDNO"]]
    qtys = sorted(Decimal(str(e["QTY"])) for e in _entries(emulator, correction["RECORDNO"]))
    assert qtys == [Decimal("-7.5"), Decimal("5")]  # the waiting sheet, updated in place
    assert _net(emulator, sheets)[("01/06/2025", project)] == Decimal(5)
    emulator.company.approve_timesheet(int(correction["RECORDNO"]), approver="manager")
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("4"), project, code), second])
    report = engine.run()
    assert report.ok and not report.conflicts, report.format()
    sheets = _sheets(emulator, sheet)
    assert len(sheets) == 3
    third = _entries(emulator, sheets[2]["RECORDNO"])
    assert sorted(Decimal(str(e["QTY"])) for e in third) == [Decimal("-5"), Decimal("4")]
    assert _net(emulator, sheets)[("01/06/2025", project)] == Decimal(4)
    assert [s.number for s in store.correction_sheets("TIMESHEET", [sheet])[sheet]] == [1, 2]
    assert emulator.company.get("TIMESHEET", int(correction["RECORDNO"]))["STATE"] == "Approved"


def test_a_local_delete_reverses_every_approved_entry_in_a_correction_sheet(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine("Approved", push=POLICY)
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    [original] = _sheets(emulator, sheet)
    before = _snapshot(emulator, original["RECORDNO"])
    app.delete_timesheet(sheet)
    report = engine.run()
    assert report.ok and not report.conflicts, report.format()
    sheets = _sheets(emulator, sheet)
    assert len(sheets) == 2 and _net(emulator, sheets) == Counter()
    assert _snapshot(emulator, original["RECORDNO"]) == before
    reversals = _entries(emulator, sheets[1]["RECORDNO"])
    assert len(reversals) == 2 and all(Decimal(str(e["QTY"])) < 0 for e in reversals)
    assert engine.run().objects["TIMESHEET"].updated == 0


def test_a_timesheet_not_yet_approved_is_still_updated_in_place(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine("Submitted", push=POLICY)
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    project, code = _task(app)
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("3"), project, code)])
    assert engine.run().ok
    [only] = _sheets(emulator, sheet)
    assert [Decimal(str(e["QTY"])) for e in _entries(emulator, only["RECORDNO"])] == [3]


def test_a_company_refusing_a_second_sheet_of_a_week_is_an_error_not_a_loop(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    emulator.company.one_timesheet_per_week = True
    engine = make_engine("Approved", push=POLICY)
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    project, code = _task(app)
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("3"), project, code)])
    report = engine.run()
    assert [f.key for f in report.failures] == [sheet]
    assert "already has timesheet" in report.failures[0].message
    assert len(_sheets(emulator, sheet)) == 1


def _approved_and_corrected(
    engine: Any, emulator: Emulator, app: ReferenceApp
) -> tuple[str, dict[str, Any], list[EntryInput]]:
    engine.run()
    [sheet] = add_timesheets(app, 1)
    engine.run()
    [original] = _sheets(emulator, sheet)
    emulator.company.approve_timesheet(int(original["RECORDNO"]), approver="manager")
    return sheet, original, app.timesheet_entries(sheet)


def test_a_correction_sheet_emptied_by_going_back_is_deleted_and_the_next_is_new(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Submitted", push=POLICY)
    sheet, original, entries = _approved_and_corrected(engine, emulator, app)
    project, code = _task(app)
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("6"), project, code), entries[1]])
    assert engine.run().ok
    [_, correction] = _sheets(emulator, sheet)
    app.update_timesheet(sheet, entries)  # back to what Intacct approved
    report = engine.run()
    assert report.ok, report.format()
    assert emulator.company.get("TIMESHEET", int(correction["RECORDNO"])) is None
    assert [s["RECORDNO"] for s in _sheets(emulator, sheet)] == [original["RECORDNO"]]
    [gone] = store.correction_sheets("TIMESHEET", [sheet])[sheet]
    assert gone.record_no is None
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("5"), project, code), entries[1]])
    assert engine.run().ok
    assert len(_sheets(emulator, sheet)) == 2
    assert [s.number for s in store.correction_sheets("TIMESHEET", [sheet])[sheet]] == [1, 2]
    assert engine.run().objects["TIMESHEET"].updated == 0


def test_a_lost_answer_to_the_create_of_a_correction_sheet_never_makes_a_second(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Submitted", push=POLICY)
    sheet, _, entries = _approved_and_corrected(engine, emulator, app)
    project, code = _task(app)
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("6"), project, code), entries[1]])
    # the first reads, the decision read, the read before the writes, the entries, the create
    plan = FaultPlan.parse(f"lost@{emulator.stats.http_requests + 5}")
    emulator.faults = plan
    engine.run()
    assert plan.counts()["lost"] == 1
    assert emulator.stats.functions[("create", "TIMESHEET")] == 2
    app.update_timesheet(sheet, [EntryInput(WEEK, Decimal("5"), project, code), entries[1]])
    report = engine.run()
    assert report.ok, report.format()
    sheets = _sheets(emulator, sheet)
    assert len(sheets) == 2
    assert _net(emulator, sheets)[("01/06/2025", project)] == Decimal(5)
    assert len(store.correction_sheets("TIMESHEET", [sheet])[sheet]) == 1
