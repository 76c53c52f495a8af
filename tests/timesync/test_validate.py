"""The push's local checks, directly, and the law they keep: arbitrary text in a note never
crashes a run; it lands (reading back as sent, line ends as LF) or is that record's error."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.timesync.engine_fixtures import engine_client, live_timesheets

from intacct_sdk.testing import Emulator
from intacct_sdk.testing._seed import demo_company
from timesync.engine import DocumentProblem, Engine, check_document
from timesync.engine._validate import check_record, normalise_line_endings
from timesync.local import EntryInput, LocalDocument, ReferenceApp
from timesync.models import ExpenseLine, ExpenseReport, Timesheet, TimesheetEntry
from timesync.store import SQLiteStateStore

WEEK = date(2025, 1, 6)


def _sheet(*entries: TimesheetEntry, **kwargs: object) -> Timesheet:
    return Timesheet(local_id="7", employee_key="E1", begin_date=WEEK, entries=entries, **kwargs)  # type: ignore[arg-type]


def _entry(day: int = 0, hours: str = "1", **kwargs: object) -> TimesheetEntry:
    return TimesheetEntry(entry_date=WEEK + timedelta(day), hours=Decimal(hours), **kwargs)  # type: ignore[arg-type]


def _forbidden(ch: str) -> bool:
    """XML 1.0's Char production, written out independently of the code under test."""
    code = ord(ch)
    allowed = (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
    return not allowed


def test_a_clean_timesheet_has_no_problem() -> None:
    sheet = _sheet(_entry(0, "8", notes="tab\tand\nlines\r\n"), _entry(6, "0"), _entry(0, "16"))
    assert check_document("TIMESHEET", sheet) == []


def test_every_problem_is_named_by_field_and_found_at_once() -> None:
    sheet = _sheet(
        _entry(0, "-2", notes="ok"),
        _entry(-1, "1", dimensions={"grant": "G\x01"}),
        _entry(3, "23"),
        _entry(3, "2"),
        description="\x7f is fine, \x0c is not",
    )
    problems = check_document("TIMESHEET", sheet)
    assert [p.field for p in problems] == [
        "description",
        "entries[1].dimensions['grant']",
        "entries[0].hours",
        "entries[1].entry_date",
        "entries[2,3].hours",
    ]
    assert str(problems[0]) == (
        "description: holds U+000C, a character XML cannot carry; remove it"
        " (Intacct would never receive the record)"
    )
    assert problems[2].message.startswith("-2 is negative")
    assert problems[3].message == (
        "2025-01-05 is outside the timesheet's period 2025-01-06 to 2025-01-12"
    )
    assert problems[4].message == "25 hours on 2025-01-09; at most 24 a day"


def test_the_period_is_the_timesheets_end_date_when_it_has_one() -> None:
    two_weeks = _sheet(_entry(13), end_date=WEEK + timedelta(13))
    assert check_document("TIMESHEET", two_weeks) == []
    assert [p.field for p in check_document("TIMESHEET", _sheet(_entry(13)))] == [
        "entries[0].entry_date"
    ]
    backwards = _sheet(_entry(0), end_date=WEEK - timedelta(1))
    assert [p.field for p in check_document("TIMESHEET", backwards)] == ["end_date"]


def test_a_problem_never_carries_the_value() -> None:
    sheet = _sheet(_entry(notes="my password is hunter2\x00"))
    [problem] = check_document("TIMESHEET", sheet)
    assert "hunter2" not in str(problem)


def test_expense_reports_are_checked_for_text_only() -> None:
    report = ExpenseReport(
        local_id="9",
        employee_key="E1",
        report_date=WEEK,
        lines=(
            ExpenseLine(entry_date=WEEK, amount=Decimal("-12.50"), notes="refund"),
            ExpenseLine(entry_date=WEEK + timedelta(30), amount=Decimal(5), notes="\x1b"),
        ),
    )
    assert [p.field for p in check_document("EEXPENSES", report)] == ["lines[1].notes"]


def test_a_mapped_record_is_checked_by_intacct_field() -> None:
    record = {"EMPLOYEEID": "E1", "TIMESHEETENTRIES": [{"QTY": 1}, {"NOTES": "a\x02"}]}
    assert check_record("TIMESHEET", record) == [
        DocumentProblem(
            "TIMESHEETENTRIES[1].NOTES",
            "holds U+0002, a character XML cannot carry; remove it"
            " (Intacct would never receive the record)",
        )
    ]
    [bad_name] = check_record("TIMESHEET", {"NOT A NAME": "x"})
    assert bad_name.field == "TIMESHEET"
    assert bad_name.message.startswith("cannot be written: ")
    # an aware timestamp is written in the API user's zone: not a problem of the record
    assert check_record("TIMESHEET", {"WHEN": datetime(2025, 1, 6, tzinfo=UTC)}) == []


@given(st.text(st.characters(codec="utf-8")))
def test_text_is_refused_exactly_when_xml_cannot_carry_it(text: str) -> None:
    problems = check_document("TIMESHEET", _sheet(_entry(notes=text)))
    assert bool(problems) == any(_forbidden(ch) for ch in text)
    assert all(p.field == "entries[0].notes" for p in problems)


@given(st.text(st.sampled_from("ab\r\n\t ")))
def test_line_ends_become_lf_and_nothing_else_changes(text: str) -> None:
    sheet = _sheet(_entry(notes=text), description=text)
    done = normalise_line_endings(sheet)
    assert done.entries[0].notes == text.replace("\r\n", "\n").replace("\r", "\n")
    assert done.description == done.entries[0].notes
    assert normalise_line_endings(done) is done
    assert done.entries[0].hours == sheet.entries[0].hours
    if "\r" not in text:
        assert done is sheet


def test_a_document_with_a_problem_is_not_a_deletion() -> None:
    assert LocalDocument("1", "1", None).deleted
    assert not LocalDocument("1", "1", None, problem="entries[0].hours: ...").deleted


_NOTE = st.text(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from("\r\n\t \x00\x0b\x1b\x7f\x85\ufffe\uffff"),
    ),
    max_size=24,
)


def test_arbitrary_text_in_a_note_lands_or_is_that_records_error() -> None:
    emulator = Emulator(demo_company(employees=12, projects=4, tasks_per_project=3, customers=4))
    with (
        tempfile.TemporaryDirectory() as folder,
        engine_client(emulator) as client,
        ReferenceApp(Path(folder) / "app.db") as app,
        SQLiteStateStore(Path(folder) / "state.db") as store,
    ):
        engine = Engine(client, app, store)
        engine.run()
        task = next(r for r in app.list_records("TASK") if r.active)
        project, _, code = str(task.key).partition("/")
        outcomes: list[str] = []

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(note=_NOTE)
        def run_with(note: str) -> None:
            entries = [EntryInput(WEEK, Decimal(2), project, code, notes=note)]
            local_id = app.create_timesheet("E00001", WEEK, entries)
            witness = app.create_timesheet("E00002", WEEK, [EntryInput(WEEK, Decimal(1))])
            report = engine.run(["TIMESHEET"])
            live = live_timesheets(emulator)
            assert witness in live
            if any(_forbidden(ch) for ch in note):
                [failure] = report.failures
                assert failure.key == local_id
                assert failure.message.startswith("entries[0].notes: holds U+")
                assert local_id not in live
                app.delete_timesheet(local_id)  # out of the queue for the next example
                outcomes.append("refused")
                return
            assert report.ok, report.failures
            [rec] = live[local_id]
            [line] = [
                r
                for r in emulator.company.records("TIMESHEETENTRY")
                if str(r.get("TIMESHEETKEY")) == str(rec["RECORDNO"])
            ]
            # sent with LF line ends; the emulator trims what it is sent (documented)
            sent = note.replace("\r\n", "\n").replace("\r", "\n").strip()
            assert line.get("NOTES") == (sent or None)
            outcomes.append("landed")

        run_with()
        engine.run(["TIMESHEET"])  # the last refused one was deleted after its run
        assert store.errors() == []
        assert len(outcomes) >= 20
