"""The reference local system (a small time-tracking app on SQLite)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from timesync.errors import ConfigurationError
from timesync.local import EntryInput, ExpenseInput, LocalSystem, ReferenceApp
from timesync.models import Employee, Status, Task, Timesheet


@pytest.fixture
def app(tmp_path: Path) -> ReferenceApp:
    a = ReferenceApp(tmp_path / "app.db")
    yield a  # type: ignore[misc]
    a.close()


def test_is_a_local_system(app: ReferenceApp) -> None:
    assert isinstance(app, LocalSystem)


def test_upsert_creates_then_updates_in_place(app: ReferenceApp) -> None:
    emp = Employee(key="E1", name="Ada Lovelace", email="ada@example.com", department_key="ENG")
    rec = app.upsert("EMPLOYEE", emp, None)
    assert (rec.key, rec.name, rec.email, rec.active) == (
        "E1",
        "Ada Lovelace",
        "ada@example.com",
        True,
    )
    again = app.upsert("EMPLOYEE", emp, rec.local_id)
    assert again == rec  # same content -> same fingerprint, same id
    moved = app.upsert("EMPLOYEE", Employee(key="E1", name="Ada King"), rec.local_id)
    assert moved.local_id == rec.local_id
    assert moved.fingerprint != rec.fingerprint
    assert [r.local_id for r in app.list_records("EMPLOYEE")] == [rec.local_id]


def test_inactive_status_and_inactivate(app: ReferenceApp) -> None:
    rec = app.upsert("EMPLOYEE", Employee(key="E2", status=Status.INACTIVE), None)
    assert not rec.active
    other = app.upsert("EMPLOYEE", Employee(key="E3"), None)
    app.inactivate("EMPLOYEE", other.local_id)
    assert not app.get_record("EMPLOYEE", other.local_id).active  # type: ignore[union-attr]


def test_a_users_edit_changes_the_fingerprint(app: ReferenceApp) -> None:
    rec = app.upsert("EMPLOYEE", Employee(key="E1", name="Ada"), None)
    app.edit_record("EMPLOYEE", rec.local_id, full_name="Someone else")
    edited = app.get_record("EMPLOYEE", rec.local_id)
    assert edited is not None
    assert edited.fingerprint != rec.fingerprint


def test_tasks_are_keyed_by_project_and_task(app: ReferenceApp) -> None:
    rec = app.upsert("TASK", Task(key="T1", project_key="P9", name="Design"), None)
    assert rec.key == "P9/T1"


def test_dimension_objects_share_a_table_but_not_their_values(app: ReferenceApp) -> None:
    from timesync.models import Department, Location

    app.upsert("DEPARTMENT", Department(key="D1", name="Ops"), None)
    app.upsert("LOCATION", Location(key="L1", name="HQ"), None)
    assert [r.key for r in app.list_records("DEPARTMENT")] == ["D1"]
    assert [r.key for r in app.list_records("LOCATION")] == ["L1"]


def test_recorded_intacct_keys_are_listed(app: ReferenceApp) -> None:
    rec = app.upsert("EMPLOYEE", Employee(key="E1"), None)
    app.record_intacct_key("EMPLOYEE", rec.local_id, "E1", 17)
    assert app.list_records("EMPLOYEE")[0].intacct_key == "E1"


def _entries() -> list[EntryInput]:
    return [
        EntryInput(date(2024, 3, 4), Decimal("7.5"), "P1", "T1", notes="build"),
        EntryInput(date(2024, 3, 5), Decimal("8"), "P1", "T2", department="D1"),
    ]


def test_timesheets_come_back_as_models_and_through_the_change_feed(app: ReferenceApp) -> None:
    first = app.create_timesheet("E1", date(2024, 3, 4), _entries())
    draft = app.create_timesheet("E2", date(2024, 3, 4), _entries(), status="draft")
    batch = app.changed_documents("TIMESHEET", None)
    assert [d.local_id for d in batch.documents] == [first, draft]
    doc = batch.documents[0]
    assert doc.approved
    assert not batch.documents[1].approved
    assert isinstance(doc.model, Timesheet)
    assert doc.model.employee_key == "E1"
    assert doc.model.begin_date == date(2024, 3, 4)
    assert [e.hours for e in doc.model.entries] == [Decimal("7.5"), Decimal("8")]
    assert doc.model.entries[1].dimensions == {"department": "D1"}

    assert app.changed_documents("TIMESHEET", batch.cursor).documents == ()
    app.update_timesheet(first, _entries()[:1])
    app.delete_timesheet(draft)
    later = app.changed_documents("TIMESHEET", batch.cursor)
    assert [d.local_id for d in later.documents] == [first, draft]
    assert later.documents[0].revision == "2"
    assert len(later.documents[0].model.entries) == 1  # type: ignore[union-attr]
    assert later.documents[1].deleted


def test_document_pushed_is_remembered(app: ReferenceApp) -> None:
    ts = app.create_timesheet("E1", date(2024, 3, 4), _entries())
    app.document_pushed("TIMESHEET", ts, 55, "Submitted")
    assert app.pushed_state(ts) == (55, "Submitted")


def test_expense_reports_are_deleted_as_tombstones_and_remember_their_push(
    app: ReferenceApp,
) -> None:
    lines = [ExpenseInput(date(2024, 3, 5), Decimal("42.00"), "Meals", "P1", notes="lunch")]
    kept = app.create_expense_report("E1", date(2024, 3, 6), lines)
    gone = app.create_expense_report("E2", date(2024, 3, 6), lines)
    batch = app.changed_documents("EEXPENSES", None)
    app.delete_expense_report(gone)
    later = app.changed_documents("EEXPENSES", batch.cursor)
    assert [(d.local_id, d.revision, d.deleted) for d in later.documents] == [(gone, "2", True)]
    assert not app.get_documents("EEXPENSES", [kept])[0].deleted

    app.document_pushed("EEXPENSES", kept, 7, "Submitted")
    assert app.pushed_state(kept, "EEXPENSES") == (7, "Submitted")
    assert app.pushed_state(kept) == (None, None)  # the timesheet of the same id was not pushed
    with pytest.raises(ConfigurationError):
        app.pushed_state(kept, "PROJECT")


def test_a_timesheet_the_models_refuse_comes_back_with_its_problem(app: ReferenceApp) -> None:
    week = date(2025, 1, 6)
    good = app.create_timesheet("E1", week, [EntryInput(week, Decimal("-1"))])
    bad = app.create_timesheet(
        "E1", week, [EntryInput(week, Decimal(1)), EntryInput(week, Decimal("NaN"))]
    )
    batch = app.changed_documents("TIMESHEET", None)
    docs = {d.local_id: d for d in batch.documents}
    assert docs[good].problem is None  # negative hours are a push rule, not the model's
    assert docs[good].model.entries[0].hours == Decimal(-1)
    assert docs[bad].model is None
    assert docs[bad].problem == "entries[1].hours: must be a finite number"
    assert docs[bad].approved
    assert not docs[bad].deleted
    assert app.get_documents("TIMESHEET", [bad]) == [docs[bad]]
