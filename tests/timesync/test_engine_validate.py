# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""One bad local document never blocks the others: it is that record's error, named by
record, entry and field, queued and retried until it is fixed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
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

from intacct_sdk.testing import Emulator
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore

WEEK = date(2025, 1, 6)


def _task(app: ReferenceApp) -> tuple[str, str]:
    task = next(r for r in app.list_records("TASK") if r.active)
    project, _, code = str(task.key).partition("/")
    return project, code


def _entries(app: ReferenceApp, *specs: tuple[date, str, str | None]) -> list[EntryInput]:
    project, code = _task(app)
    return [
        EntryInput(day, Decimal(hours), project, code, notes=notes) for day, hours, notes in specs
    ]


def _notes(emulator: Emulator, record_no: Any) -> list[str | None]:
    return [
        r.get("NOTES")
        for r in sorted(
            emulator.company.records("TIMESHEETENTRY"), key=lambda r: int(r.get("LINENO") or 0)
        )
        if str(r.get("TIMESHEETKEY")) == str(record_no)
    ]


def _creates(emulator: Emulator) -> int:
    return sum(n for (fn, obj), n in emulator.stats.functions.items() if fn == "create")


# (entries of the bad timesheet, the field its error names, words of the message)
BAD: dict[str, tuple[Callable[[ReferenceApp], list[EntryInput]], str, str]] = {
    "negative hours": (
        lambda app: _entries(app, (WEEK, "8", "fine"), (WEEK + timedelta(1), "-1.5", None)),
        "entries[1].hours",
        "-1.5 is negative",
    ),
    "NUL in a note": (
        lambda app: _entries(app, (WEEK, "2", "a\x00b")),
        "entries[0].notes",
        "U+0000",
    ),
    "vertical tab in a note": (
        lambda app: _entries(app, (WEEK, "2", "fine"), (WEEK, "2", "x\x0by")),
        "entries[1].notes",
        "U+000B",
    ),
    "escape in a note": (
        lambda app: _entries(app, (WEEK, "2", "\x1b[31mred")),
        "entries[0].notes",
        "U+001B",
    ),
    "over 24 hours a day": (
        lambda app: _entries(
            app, (WEEK, "20", None), (WEEK + timedelta(1), "1", None), (WEEK, "4.5", None)
        ),
        "entries[0,2].hours",
        "24.5 hours on 2025-01-06",
    ),
    "entry outside the week": (
        lambda app: _entries(app, (WEEK, "2", None), (WEEK + timedelta(7), "2", None)),
        "entries[1].entry_date",
        "2025-01-13 is outside the timesheet's period 2025-01-06 to 2025-01-12",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_one_bad_timesheet_is_its_own_error_and_every_other_lands(
    case: str,
    make_engine: EngineFactory,
    emulator: Emulator,
    app: ReferenceApp,
    store: SQLiteStateStore,
) -> None:
    entries, field, words = BAD[case]
    engine = make_engine()
    engine.run()
    before = add_timesheets(app, 2)
    bad = app.create_timesheet("E00001", WEEK, entries(app))
    after = add_timesheets(app, 2)
    good = [*before, *after]
    creates = _creates(emulator)

    report = engine.run()

    assert not report.ok
    assert report.objects["TIMESHEET"].created == 4
    assert report.objects["TIMESHEET"].errors == 1
    assert _creates(emulator) - creates == 4  # the bad one cost nothing
    assert sorted(live_timesheets(emulator)) == sorted(good)
    [failure] = report.failures
    assert (failure.object_name, failure.key) == ("TIMESHEET", bad)
    assert failure.message.startswith(f"{field}: ")
    assert words in failure.message
    assert "\n" not in failure.message
    assert f"error: TIMESHEET {bad}: {field}: " in report.format()
    [queued] = store.errors("TIMESHEET")
    assert (queued.key, queued.kind, queued.message) == (bad, "error", failure.message)
    assert [r for r in store.outbox(object_name="TIMESHEET") if r.local_id == bad] == []
    assert report.pending == 0

    again = engine.run()  # retried, still refused, still alone
    assert [f.key for f in again.failures] == [bad]
    assert again.objects["TIMESHEET"].created == 0
    [queued] = store.errors("TIMESHEET")
    assert queued.attempts == 2

    app.update_timesheet(bad, _entries(app, (WEEK, "7.5", "fixed")))
    fixed = engine.run()
    assert fixed.ok
    assert fixed.objects["TIMESHEET"].created == 1
    assert store.errors("TIMESHEET") == []
    live = live_timesheets(emulator)
    assert sorted(live) == sorted([*good, bad])
    assert _notes(emulator, live[bad][0]["RECORDNO"]) == ["fixed"]


def test_a_correction_that_turns_bad_leaves_the_pushed_timesheet_alone(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    [local_id] = add_timesheets(app, 1)
    engine.run()
    [rec] = live_timesheets(emulator)[local_id]
    app.update_timesheet(local_id, _entries(app, (WEEK, "-2", "oops")))
    report = engine.run()
    assert [f.key for f in report.failures] == [local_id]
    assert report.objects["TIMESHEET"].updated == 0
    assert live_timesheets(emulator)[local_id] == [rec]
    assert store.get_link("TIMESHEET", local_id) is not None  # still linked, not withdrawn


def test_an_unapproved_bad_timesheet_is_not_reported(
    make_engine: EngineFactory, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    app.create_timesheet("E00001", WEEK, _entries(app, (WEEK, "-1", "\x00")), status="draft")
    report = engine.run()
    assert report.ok
    assert store.errors() == []


def test_a_timesheet_the_app_cannot_build_is_an_error_not_a_deletion(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    good = add_timesheets(app, 2)
    bad = app.create_timesheet(" ", WEEK, _entries(app, (WEEK, "2", None)))  # no person
    report = engine.run()
    assert sorted(live_timesheets(emulator)) == sorted(good)
    [failure] = report.failures
    assert failure.key == bad
    assert failure.message == "employee_key: must be a non-empty string"
    assert [e.key for e in store.errors("TIMESHEET")] == [bad]
    assert report.objects["TIMESHEET"].deleted == 0


def test_line_ends_are_sent_as_lf_and_read_back_as_sent(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    local_id = app.create_timesheet(
        "E00001", WEEK, _entries(app, (WEEK, "2", "one\r\ntwo\rthree\nfour"), (WEEK, "1", "a\r\rb"))
    )
    report = engine.run()
    assert report.ok
    [rec] = live_timesheets(emulator)[local_id]
    assert _notes(emulator, rec["RECORDNO"]) == ["one\ntwo\nthree\nfour", "a\n\nb"]
    again = engine.run()  # nothing looks changed
    assert again.objects["TIMESHEET"].updated == 0
    assert again.ok
