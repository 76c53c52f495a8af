# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Timesheets begin on the company's week start, or they are that record's error before any
call."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
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
from timesync.engine import WEEKDAYS, PushOptions, SyncConfig, check_document
from timesync.errors import ConfigurationError
from timesync.local import EntryInput, ReferenceApp
from timesync.models import Timesheet, TimesheetEntry
from timesync.store import SQLiteStateStore


def _sheet(begin: date) -> Timesheet:
    entry = TimesheetEntry(entry_date=begin, hours=Decimal("8"), project_key="P1")
    return Timesheet(local_id="1", employee_key="E1", begin_date=begin, entries=(entry,))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.sampled_from(WEEKDAYS))
def test_a_timesheet_is_refused_exactly_when_it_begins_on_another_day(
    begin: date, week_start: str
) -> None:
    problems = check_document("TIMESHEET", _sheet(begin), week_start=week_start)
    misaligned = [p for p in problems if p.field == "begin_date"]
    assert bool(misaligned) == (WEEKDAYS[begin.weekday()] != week_start)
    if misaligned:
        assert week_start in misaligned[0].message
    assert not [p for p in check_document("TIMESHEET", _sheet(begin)) if p.field == "begin_date"]


def test_an_unknown_week_start_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="week_start must be one of"):
        PushOptions(week_start="Funday")  # type: ignore[arg-type]


def test_the_config_file_sets_the_week_start(tmp_path: Path) -> None:
    cfg = tmp_path / "sync.toml"
    cfg.write_text('[push]\nweek_start = "Sunday"\n', encoding="utf-8")
    assert SyncConfig.load(cfg).options().push.week_start == "Sunday"
    cfg.write_text('[push]\nweek_start = "sunday"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"push\.week_start"):
        SyncConfig.load(cfg)


def test_a_misaligned_timesheet_is_its_own_error_and_costs_no_call(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine(push={"week_start": "Monday"})
    engine.run()
    good = add_timesheets(app, 2)  # Monday 2025-01-06
    person = next(r for r in app.list_records("EMPLOYEE") if r.active)
    task = next(r for r in app.list_records("TASK") if r.active)
    project, _, code = (task.key or "").partition("/")
    tuesday = date(2025, 1, 7)
    bad = app.create_timesheet(
        str(person.key),
        tuesday,
        [EntryInput(tuesday + timedelta(days=1), Decimal(8), project, code)],
    )
    report = engine.run()
    assert report.objects["TIMESHEET"].created == 2
    [failure] = report.failures
    assert failure.key == bad and "begin_date" in failure.message and "Monday" in failure.message
    assert report.functions_by_name.get("create") == 2
    assert sorted(live_timesheets(emulator), key=int) == good
    assert [e.key for e in store.errors("TIMESHEET")] == [bad]
