"""The default specs against the emulated gateway: requested fields exist, records map, and a
pushed timesheet reads back to the same model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from intacct_sdk.query import F
from timesync.mapping import default_specs
from timesync.models import ExpenseLine, ExpenseReport, Status, Timesheet, TimesheetEntry

SPECS = default_specs()
PULLED = [
    "EMPLOYEE",
    "PROJECT",
    "TASK",
    "CUSTOMER",
    "DEPARTMENT",
    "LOCATION",
    "CLASS",
    "PROJECTTYPE",
    "TIMETYPE",
]


@pytest.mark.parametrize("name", PULLED)
def test_default_specs_pull_the_demo_company(intacct_client: Any, name: str) -> None:
    spec = SPECS[name]
    records = list(intacct_client.query(name, spec.remote_fields(), where=spec.filter))
    assert records, f"the demo company has {name} records"
    models = spec.to_local_many(records)
    assert len(models) == len(records)
    for model in models:
        assert isinstance(model, spec.model)
        assert model.key
    if spec.filter is not None:
        assert all(m.status is Status.ACTIVE for m in models)
    hashes = {spec.content_hash(m) for m in models}
    assert len(hashes) == len(models), "distinct records hash apart"


def test_a_pushed_timesheet_reads_back_as_the_same_model(intacct_client: Any) -> None:
    employee = SPECS["EMPLOYEE"].to_local(
        next(iter(intacct_client.query("EMPLOYEE", SPECS["EMPLOYEE"].remote_fields())))
    )
    task = SPECS["TASK"].to_local(
        next(iter(intacct_client.query("TASK", SPECS["TASK"].remote_fields())))
    )
    timesheet = Timesheet(
        local_id="local-ts-77",
        employee_key=employee.key,
        begin_date=date(2024, 7, 1),
        description="week 27",
        entries=(
            TimesheetEntry(
                entry_date=date(2024, 7, 1),
                hours=Decimal("7.50"),
                project_key=task.project_key,
                task_key=task.key,
                task_record_no=task.record_no,
                notes="build",
                billable=True,
            ),
            TimesheetEntry(
                entry_date=date(2024, 7, 2),
                hours=Decimal("1.25"),
                project_key=task.project_key,
                task_key=task.key,
            ),
        ),
    )
    spec = SPECS["TIMESHEET"]
    created = intacct_client.create("TIMESHEET", [spec.to_remote(timesheet)])
    assert created
    rows = list(
        intacct_client.query(
            "TIMESHEET", spec.remote_fields(), where=F("TIMESYNC_ID") == "local-ts-77"
        )
    )
    assert len(rows) == 1
    header = rows[0]
    record_no = header["RECORDNO"]
    entry_spec = SPECS["TIMESHEETENTRY"]
    entries = list(
        intacct_client.query(
            "TIMESHEETENTRY",
            entry_spec.remote_fields(),
            where=F("TIMESHEETKEY") == record_no,
            order_by=[("LINENO", "asc")],
        )
    )
    pulled = spec.to_local({**header, "TIMESHEETENTRIES": entries})
    assert pulled.record_no == record_no
    assert pulled.state is not None
    assert (pulled.local_id, pulled.employee_key, pulled.begin_date, pulled.description) == (
        timesheet.local_id,
        timesheet.employee_key,
        timesheet.begin_date,
        timesheet.description,
    )
    assert pulled.end_date is not None, "Intacct fills the end date"
    pushed = [
        (e.entry_date, e.hours, e.project_key, e.task_key, e.notes) for e in timesheet.entries
    ]
    assert [
        (e.entry_date, e.hours, e.project_key, e.task_key, e.notes) for e in pulled.entries
    ] == (pushed)
    assert [e.task_record_no for e in pulled.entries] == [task.record_no, task.record_no]
    # Read back and pushed again, the timesheet writes the same record (TASKKEY now known).
    again = spec.to_remote(pulled)
    assert again["TIMESYNC_ID"] == "local-ts-77"
    assert [row.get("TASKKEY") for row in again["TIMESHEETENTRIES"]] == [task.record_no] * 2
    assert all("TASKID" not in row for row in again["TIMESHEETENTRIES"])
    # Re-reading the same Intacct record hashes the same.
    assert spec.content_hash(spec.to_local({**header, "TIMESHEETENTRIES": entries})) == (
        spec.content_hash(pulled)
    )


def test_a_pushed_expense_report_reads_back(intacct_emulator: Any, intacct_client: Any) -> None:
    # The demo company declares the stamp field on TIMESHEET only.
    if not any(
        cf.object_name == "EEXPENSES" and cf.field_id == "TIMESYNC_ID"
        for cf in intacct_emulator.company.custom_fields
    ):
        intacct_emulator.company.add_custom_field("EEXPENSES", "TIMESYNC_ID", datatype="TEXT")
    employee = SPECS["EMPLOYEE"].to_local(
        next(iter(intacct_client.query("EMPLOYEE", SPECS["EMPLOYEE"].remote_fields())))
    )
    spec = SPECS["EEXPENSES"]
    report = ExpenseReport(
        local_id="local-ex-5",
        employee_key=employee.key,
        report_date=date(2024, 7, 5),
        description="client visit",
        lines=(
            ExpenseLine(
                entry_date=date(2024, 7, 3),
                amount=Decimal("120.50"),
                expense_type="Hotel",
                paid_to="Inn",
                notes="one night",
            ),
            ExpenseLine(entry_date=date(2024, 7, 4), amount=Decimal("18.00"), expense_type="Meals"),
        ),
    )
    intacct_client.create("EEXPENSES", [spec.to_remote(report)])
    rows = list(
        intacct_client.query(
            "EEXPENSES", spec.remote_fields(), where=F("TIMESYNC_ID") == "local-ex-5"
        )
    )
    assert len(rows) == 1
    line_spec = SPECS["EEXPENSESITEM"]
    lines = list(
        intacct_client.query(
            "EEXPENSESITEM",
            line_spec.remote_fields(),
            where=F("RECORDKEY") == rows[0]["RECORDNO"],
            order_by=[("LINE_NO", "asc")],
        )
    )
    pulled = spec.to_local({**rows[0], "EEXPENSESITEMS": lines})
    assert pulled.total == Decimal("138.50")
    assert [(x.entry_date, x.amount, x.expense_type, x.paid_to, x.notes) for x in pulled.lines] == [
        (x.entry_date, x.amount, x.expense_type, x.paid_to, x.notes) for x in report.lines
    ]
    assert (pulled.employee_key, pulled.report_date, pulled.description) == (
        report.employee_key,
        report.report_date,
        report.description,
    )
