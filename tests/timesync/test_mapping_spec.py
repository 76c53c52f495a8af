"""Mapping specs: conversion, nested paths, defaults, lexicon, filters, errors, load-time checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from intacct_sdk.query import F
from timesync.errors import ConfigurationError, MappingError, SyncError
from timesync.mapping import (
    ChildMap,
    FieldMap,
    MappingSpec,
    default_specs,
    get_converter,
    register_converter,
)
from timesync.models import (
    Employee,
    FrozenMap,
    Project,
    Status,
    Task,
    Timesheet,
    TimesheetEntry,
)

SPECS = default_specs()


def employee_spec(**kw: Any) -> MappingSpec:
    base: dict[str, Any] = {
        "object_name": "EMPLOYEE",
        "model": Employee,
        "fields": (
            FieldMap(local="key", remote="EMPLOYEEID", required=True),
            FieldMap(local="email", remote="PERSONALINFO.EMAIL1"),
        ),
    }
    base.update(kw)
    return MappingSpec(**base)


# -- converters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "remote", "local"),
    [
        ("strip", "  a b  ", "a b"),
        ("upper", "abc", "ABC"),
        ("lower", "AbC", "abc"),
        ("bool_yn", "Y", True),
        ("bool_yn", "n", False),
        ("decimal_hours_to_minutes", Decimal("1.25"), 75),
        ("decimal_hours_to_minutes", "0.5", 30),
        ("cents", Decimal("12.34"), 1234),
        ("task_status", "Completed", Status.INACTIVE),
        ("task_status", "In Progress", Status.ACTIVE),
        ("multi_select", "A#~#B#~#C", ("A", "B", "C")),
    ],
)
def test_builtin_converters_pull(name: str, remote: object, local: object) -> None:
    assert get_converter(name).to_local(remote) == local


@pytest.mark.parametrize(
    ("name", "local", "remote"),
    [
        ("bool_yn", True, "Y"),
        ("bool_yn", False, "N"),
        ("decimal_hours_to_minutes", 75, Decimal("1.25")),
        ("decimal_hours_to_minutes", 1, Decimal("0.02")),
        ("cents", 1234, Decimal("12.34")),
        ("task_status", Status.INACTIVE, "Completed"),
        ("multi_select", ("A", "B"), ["A", "B"]),
    ],
)
def test_builtin_converters_push(name: str, local: object, remote: object) -> None:
    assert get_converter(name).to_remote(local) == remote


def test_minutes_survive_a_trip_through_hours() -> None:
    conv = get_converter("decimal_hours_to_minutes")
    for minutes in range(600):
        assert conv.to_local(conv.to_remote(minutes)) == minutes


def test_register_converter_refuses_duplicates_and_bad_names() -> None:
    with pytest.raises(ConfigurationError, match="already registered"):
        register_converter("strip", str, str)
    with pytest.raises(ConfigurationError, match="invalid converter name"):
        register_converter("has space", str, str)
    with pytest.raises(ConfigurationError, match="unknown converter 'nope'"):
        get_converter("nope")


def test_a_registered_converter_is_used_by_name() -> None:
    register_converter("test_reverse", lambda s: s[::-1], lambda s: s[::-1], replace=True)
    spec = employee_spec(
        fields=(
            FieldMap(local="key", remote="EMPLOYEEID"),
            FieldMap(local="title", remote="TITLE", converter="test_reverse"),
        )
    )
    emp = spec.to_local({"EMPLOYEEID": "E1", "TITLE": "rotcod"})
    assert emp.title == "doctor"
    assert spec.to_remote(emp)["TITLE"] == "rotcod"


# -- values, nested paths, defaults -------------------------------------------------------


def test_nested_paths_read_flat_and_nested_records_and_write_dotted_keys() -> None:
    spec = employee_spec()
    flat = spec.to_local({"EMPLOYEEID": "E1", "PERSONALINFO.EMAIL1": "a@example.com"})
    nested = spec.to_local({"EMPLOYEEID": "E1", "PERSONALINFO": {"EMAIL1": "a@example.com"}})
    assert flat == nested
    assert flat.email == "a@example.com"
    assert spec.to_remote(flat) == {"EMPLOYEEID": "E1", "PERSONALINFO.EMAIL1": "a@example.com"}
    assert "PERSONALINFO.EMAIL1" in spec.remote_fields()


def test_raw_string_records_map_like_typed_ones() -> None:
    spec = SPECS["EMPLOYEE"]
    typed = {
        "RECORDNO": 12,
        "EMPLOYEEID": "E1",
        "STATUS": "active",
        "STARTDATE": date(2021, 3, 4),
        "WHENMODIFIED": datetime(2024, 1, 2, 3, 4, 5),
    }
    raw = {
        "RECORDNO": "12",
        "EMPLOYEEID": "E1",
        "STATUS": "active",
        "STARTDATE": "03/04/2021",
        "WHENMODIFIED": "01/02/2024 03:04:05",
    }
    a, b = spec.to_local(typed), spec.to_local(raw)
    assert a == b
    assert a.record_no == 12
    assert a.start_date == date(2021, 3, 4)
    assert a.modified_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_naive_timestamps_take_the_spec_time_zone() -> None:
    spec = employee_spec(
        fields=(
            FieldMap(local="key", remote="EMPLOYEEID"),
            FieldMap(local="modified_at", remote="WHENMODIFIED", direction="pull"),
        ),
        timezone="America/New_York",
    )
    emp = spec.to_local({"EMPLOYEEID": "E1", "WHENMODIFIED": "07/01/2024 12:00:00"})
    assert emp.modified_at is not None
    assert emp.modified_at.utcoffset() == timedelta(hours=-4)
    aware = datetime(2024, 7, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert spec.to_local({"EMPLOYEEID": "E1", "WHENMODIFIED": aware}).modified_at == aware


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("active", Status.ACTIVE),
        ("active non-posting", Status.ACTIVE),
        ("T", Status.ACTIVE),
        ("inactive", Status.INACTIVE),
        ("F", Status.INACTIVE),
    ],
)
def test_status_values(raw: str, status: Status) -> None:
    dept = SPECS["DEPARTMENT"].to_local({"DEPARTMENTID": "D1", "STATUS": raw})
    assert dept.status is status
    assert SPECS["DEPARTMENT"].to_remote(dept)["STATUS"] == status.value


def test_defaults_apply_on_pull_and_push() -> None:
    spec = employee_spec(
        fields=(
            FieldMap(local="key", remote="EMPLOYEEID"),
            FieldMap(local="title", remote="TITLE", default="Staff"),
        )
    )
    assert spec.to_local({"EMPLOYEEID": "E1"}).title == "Staff"
    assert spec.to_local({"EMPLOYEEID": "E1", "TITLE": ""}).title == "Staff"
    assert spec.to_local({"EMPLOYEEID": "E1", "TITLE": "Boss"}).title == "Boss"
    assert spec.to_remote(Employee(key="E1"))["TITLE"] == "Staff"


def test_push_only_and_pull_only_fields() -> None:
    spec = SPECS["TIMESHEET"]
    record = {
        "TIMESYNC_ID": "ts-1",
        "EMPLOYEEID": "E1",
        "BEGINDATE": "07/01/2024",
        "STATE": "Approved",
        "RECORDNO": "55",
        "TIMESHEETENTRIES": [],
    }
    ts = spec.to_local(record)
    assert ts.state == "Approved"
    assert ts.record_no == 55
    out = spec.to_remote(ts)
    assert "STATE" not in out, "STATE is an action on create: never pushed from the mapping"
    assert "RECORDNO" not in out
    assert out["TIMESYNC_ID"] == "ts-1"
    assert "STATE" in spec.remote_fields()


def test_timesheet_push_prefers_taskkey_over_taskid() -> None:
    spec = SPECS["TIMESHEET"]
    ts = Timesheet(
        local_id="ts-1",
        employee_key="E1",
        begin_date=date(2024, 7, 1),
        description="week 27",
        entries=(
            TimesheetEntry(
                entry_date=date(2024, 7, 1),
                hours=Decimal("7.5"),
                project_key="P1",
                task_key="T1",
                task_record_no=321,
                time_type="Salary",
                billable=True,
                notes="design",
                dimensions={
                    "department": "ENG",
                    "location": "100",
                    "class": "C1",
                    "customer": "C-9",
                    "item": "LAB",
                    "GLDIMFUND": "F2",
                },
            ),
            TimesheetEntry(
                entry_date=date(2024, 7, 2), hours=Decimal("1"), project_key="P1", task_key="T2"
            ),
        ),
    )
    out = spec.to_remote(ts)
    first, second = out["TIMESHEETENTRIES"]
    assert first == {
        "ENTRYDATE": date(2024, 7, 1),
        "QTY": Decimal("7.5"),
        "PROJECTID": "P1",
        "TASKKEY": 321,
        "TIMETYPE": "Salary",
        "BILLABLE": True,
        "NOTES": "design",
        "DEPARTMENTID": "ENG",
        "LOCATIONID": "100",
        "CLASSID": "C1",
        "CUSTOMERID": "C-9",
        "ITEMID": "LAB",
        "GLDIMFUND": "F2",
    }
    assert second["TASKID"] == "T2"
    assert "TASKKEY" not in second
    assert out["EMPLOYEEID"] == "E1"
    assert out["BEGINDATE"] == date(2024, 7, 1)
    assert out["DESCRIPTION"] == "week 27"


def test_entries_accept_the_wrapped_list_shape() -> None:
    spec = SPECS["TIMESHEET"]
    base = {"TIMESYNC_ID": "t", "EMPLOYEEID": "E1", "BEGINDATE": date(2024, 7, 1)}
    one = {"ENTRYDATE": date(2024, 7, 1), "QTY": Decimal(1)}
    a = spec.to_local({**base, "TIMESHEETENTRIES": [one]})
    b = spec.to_local({**base, "TIMESHEETENTRIES": {"TIMESHEETENTRY": [one]}})
    c = spec.to_local({**base, "TIMESHEETENTRIES": {"TIMESHEETENTRY": one}})
    assert a == b == c
    assert spec.to_local({**base, "TIMESHEETENTRIES": None}).entries == ()


def test_udd_fields_pass_through_the_entry_dimensions() -> None:
    entry = SPECS["TIMESHEETENTRY"].to_local(
        {"ENTRYDATE": "07/01/2024", "QTY": "2", "GLDIMGRANT": "G-7", "DEPARTMENTID": "ADM"}
    )
    assert entry.dimensions == {"GLDIMGRANT": "G-7", "department": "ADM"}
    assert SPECS["TIMESHEETENTRY"].to_remote(entry)["GLDIMGRANT"] == "G-7"


def test_closed_projects_and_completed_tasks_are_inactive_locally() -> None:
    proj = SPECS["PROJECT"]
    record = {"PROJECTID": "P1", "NAME": "Build", "STATUS": "active"}
    assert proj.to_local({**record, "PROJECTSTATUS": "In Progress"}).status is Status.ACTIVE
    closed = proj.to_local({**record, "PROJECTSTATUS": "closed"})
    assert closed.status is Status.INACTIVE
    assert closed.project_status == "closed"
    assert proj.to_local({**record, "STATUS": "inactive"}).status is Status.INACTIVE
    assert "PROJECTSTATUS" in proj.remote_fields()

    task = SPECS["TASK"].to_local(
        {"TASKID": "T1", "PROJECTID": "P1", "NAME": "n", "TASKSTATUS": "Completed"}
    )
    assert task.status is Status.INACTIVE
    assert task.task_status == "Completed"
    assert SPECS["TASK"].to_remote(task)["TASKSTATUS"] == "Completed"


def test_project_custom_fields_from_the_seeds() -> None:
    proj = SPECS["PROJECT"].to_local(
        {
            "PROJECTID": "P1",
            "NAME": "n",
            "PONUMBER": "PO-1",
            "POAMOUNT": "1000.00",
            "SONUMBER": "SO-2",
        }
    )
    assert proj.custom_fields == {
        "PONUMBER": "PO-1",
        "POAMOUNT": Decimal("1000.00"),
        "SONUMBER": "SO-2",
    }


# -- lexicon, filters, requested fields -----------------------------------------------------


def test_lexicon_labels_appear_in_error_messages() -> None:
    spec = SPECS["PROJECT"].with_fields(
        FieldMap(local="department_key", remote="DEPARTMENTID", required=True)
    )
    assert spec.label("department_key") == "Cost center 1"
    assert spec.label("name") == "name"
    with pytest.raises(MappingError) as info:
        spec.to_local({"PROJECTID": "P1", "NAME": "n", "BEGINDATE": "soon"})
    messages = {e.path: e.message for e in info.value.errors}
    assert messages["project.begin_date"].startswith("expected a date")
    assert messages["project.department_key"] == "(Cost center 1) is required"


def test_filters_default_to_active_only_where_the_object_has_status() -> None:
    assert SPECS["EMPLOYEE"].filter == (F("STATUS") == "active")
    assert SPECS["EMPLOYEE"].active_only
    assert SPECS["TASK"].filter is None, "TASK has no STATUS field"
    assert SPECS["TIMESHEET"].filter is None
    for name in ("PROJECT", "CUSTOMER", "DEPARTMENT", "LOCATION", "CLASS", "TIMETYPE"):
        assert SPECS[name].filter == (F("STATUS") == "active"), name
    custom = F("PROJECTTYPE").in_(["Billable", "Internal"]) & (F("STATUS") == "active")
    spec = SPECS["PROJECT"].__class__(
        object_name="PROJECT",
        model=Project,
        fields=(FieldMap(local="key", remote="PROJECTID"),),
        filter=custom,
    )
    assert spec.filter == custom
    assert not spec.active_only
    assert spec.filter is not None
    assert "<in><field>PROJECTTYPE</field>" in spec.filter.to_xml()


def test_requested_fields_never_star_and_never_sensitive() -> None:
    for name, spec in SPECS.items():
        fields = spec.remote_fields()
        assert fields, name
        assert "*" not in fields
        for field in fields:
            assert "SSN" not in field
            assert not field.startswith("ACH")
            assert "TAXID" not in field


def test_sensitive_fields_need_an_explicit_allow() -> None:
    fields = (
        FieldMap(local="key", remote="EMPLOYEEID"),
        FieldMap(local="custom_fields.ssn", remote="SSN", direction="pull"),
    )
    with pytest.raises(ConfigurationError, match="SSN is sensitive"):
        employee_spec(fields=fields)
    spec = employee_spec(fields=fields, allow_sensitive={"SSN"})
    assert "SSN" in spec.remote_fields()


# -- unknown fields -------------------------------------------------------------------------


def test_unknown_field_policies() -> None:
    record = {"EMPLOYEEID": "E1", "TITLE": "x", "SSN": "123-45-6789", "ACHACCOUNTNUMBER": "1"}
    kept = employee_spec(unknown="keep").to_local(record)
    assert kept.custom_fields == {"TITLE": "x"}, "sensitive fields are never kept"
    assert employee_spec(unknown="ignore").to_local(record).custom_fields == {}
    with pytest.raises(MappingError) as info:
        employee_spec(unknown="raise").to_local(record)
    assert [e.path for e in info.value.errors] == ["employee.TITLE"]


# -- error reporting ------------------------------------------------------------------------


def test_every_field_error_is_reported_at_once_with_paths() -> None:
    good_entry = {"ENTRYDATE": "07/01/2024", "QTY": "1"}
    bad = {
        "TIMESYNC_ID": "ts-1",
        "EMPLOYEEID": None,
        "BEGINDATE": "2024-13-45",
        "TIMESHEETENTRIES": [
            good_entry,
            {"ENTRYDATE": "07/02/2024", "QTY": "NaN", "BILLABLE": "maybe"},
            {"QTY": "abc", "TASKKEY": "x"},
        ],
    }
    with pytest.raises(MappingError) as info:
        SPECS["TIMESHEET"].to_local(bad)
    err = info.value
    assert isinstance(err, SyncError)
    assert {e.path for e in err.errors} == {
        "timesheet.employee_key",
        "timesheet.begin_date",
        "timesheet.entries[1].hours",
        "timesheet.entries[1].billable",
        "timesheet.entries[2].entry_date",
        "timesheet.entries[2].hours",
        "timesheet.entries[2].task_record_no",
    }
    assert err.key == "ts-1"
    assert "7 field errors mapping TIMESHEET 'ts-1'" in str(err)
    assert "\n" not in str(err)
    by_path = {e.path: e for e in err.errors}
    assert by_path["timesheet.entries[1].hours"].remote_field == "QTY"
    assert by_path["timesheet.entries[1].hours"].message == "expected a finite number"


def test_batch_errors_carry_the_record_index() -> None:
    entries = [{"ENTRYDATE": "07/01/2024", "QTY": "1"}] * 5 + [
        {"ENTRYDATE": "07/01/2024", "QTY": "NaN"}
    ]
    good = {
        "TIMESYNC_ID": "a",
        "EMPLOYEEID": "E1",
        "BEGINDATE": "07/01/2024",
        "TIMESHEETENTRIES": entries[:5],
    }
    bad = {**good, "TIMESYNC_ID": "c", "TIMESHEETENTRIES": entries}
    with pytest.raises(MappingError) as info:
        SPECS["TIMESHEET"].to_local_many([good, good, bad])
    assert [e.path for e in info.value.errors] == ["timesheet[2].entries[5].hours"]
    assert len(SPECS["TIMESHEET"].to_local_many([good, good])) == 2


def test_push_errors_are_collected_too() -> None:
    spec = employee_spec(
        fields=(
            FieldMap(local="key", remote="EMPLOYEEID"),
            FieldMap(local="title", remote="TITLE", required=True),
            FieldMap(local="email", remote="PERSONALINFO.EMAIL1", required=True),
        )
    )
    with pytest.raises(MappingError) as info:
        spec.to_remote(Employee(key="E1"))
    assert [e.path for e in info.value.errors] == ["employee.title", "employee.email"]
    with pytest.raises(TypeError):
        spec.to_remote(Project(key="P1"))


# -- load-time checks -----------------------------------------------------------------------


def test_unknown_intacct_fields_fail_at_load_time_with_close_matches() -> None:
    with pytest.raises(ConfigurationError) as info:
        employee_spec(
            fields=(
                FieldMap(local="key", remote="EMPLOYEID"),
                FieldMap(local="email", remote="PERSONALINFO.EMIAL1"),
                FieldMap(local="nickname", remote="TITLE"),
                FieldMap(local="title", remote="WHENMODIFIED"),
                FieldMap(local="name", remote="TITLE", direction="pull", converter="no_such"),
                FieldMap(local="class_key", remote="CLASSID", direction="sideways"),  # type: ignore[arg-type]
            )
        )
    problems = info.value.problems
    text = "\n".join(problems)
    assert "EMPLOYEID is not a field of EMPLOYEE; close matches: EMPLOYEEID" in text
    assert "close matches: PERSONALINFO.EMAIL1" in text
    assert "Employee has no attribute 'nickname'" in text
    assert "WHENMODIFIED is read-only" in text
    assert "unknown converter 'no_such'" in text
    assert "direction must be pull, push or both" in text
    assert len(problems) == 6


def test_custom_and_udd_fields_are_allowed_when_declared_or_by_rule() -> None:
    with pytest.raises(ConfigurationError, match="declare custom fields"):
        employee_spec(fields=(FieldMap(local="custom_fields.badge", remote="BADGE_NO"),))
    spec = employee_spec(
        fields=(
            FieldMap(local="key", remote="EMPLOYEEID"),
            FieldMap(local="custom_fields.badge", remote="BADGE_NO"),
        ),
        custom={"BADGE_NO": "INTEGER"},
    )
    assert spec.to_local({"EMPLOYEEID": "E1", "BADGE_NO": "42"}).custom_fields == {"badge": 42}
    entry_spec = SPECS["TIMESHEETENTRY"].with_fields(
        FieldMap(local="dimensions.fund", remote="GLDIMFUND")
    )
    e = entry_spec.to_local({"ENTRYDATE": "07/01/2024", "QTY": "1", "GLDIMFUND": "F1"})
    assert e.dimensions == {"fund": "F1"}


def test_structural_spec_problems() -> None:
    with pytest.raises(ConfigurationError, match="name a key of the mapping"):
        employee_spec(fields=(FieldMap(local="custom_fields", remote="TITLE"),))
    with pytest.raises(ConfigurationError, match="is not a mapping"):
        employee_spec(fields=(FieldMap(local="title.x", remote="TITLE"),))
    with pytest.raises(ConfigurationError, match="pushed twice"):
        employee_spec(
            fields=(FieldMap(local="title", remote="TITLE"), FieldMap(local="name", remote="TITLE"))
        )
    with pytest.raises(ConfigurationError, match="child collection"):
        MappingSpec(
            object_name="TIMESHEET",
            model=Timesheet,
            fields=(FieldMap(local="entries", remote="DESCRIPTION"),),
            children=(
                ChildMap(local="entries", remote="TIMESHEETENTRIES", spec=SPECS["TIMESHEETENTRY"]),
            ),
        )
    with pytest.raises(ConfigurationError, match="not in the schema table"):
        MappingSpec(
            object_name="FUND", model=Employee, fields=(FieldMap(local="key", remote="ID"),)
        )
    with pytest.raises(ConfigurationError, match="unknown time zone"):
        employee_spec(timezone="Mars/Olympus")


# -- hashing --------------------------------------------------------------------------------


def test_content_hash_ignores_bookkeeping_and_decimal_spelling() -> None:
    spec = SPECS["TIMESHEETENTRY"]
    a = spec.to_local({"ENTRYDATE": "07/01/2024", "QTY": "1.50", "RECORDNO": "7", "STATE": "Draft"})
    b = spec.to_local({"ENTRYDATE": "07/01/2024", "QTY": "1.5", "RECORDNO": "8"})
    assert a != b
    assert spec.content_hash(a) == spec.content_hash(b)
    c = spec.to_local({"ENTRYDATE": "07/01/2024", "QTY": "1.5", "NOTES": "x"})
    assert spec.content_hash(c) != spec.content_hash(b)
    assert len(spec.content_hash(a)) == 64


def test_task_hash_distinguishes_projects() -> None:
    spec = SPECS["TASK"]
    a = Task(key="T1", project_key="P1", name="n")
    b = Task(key="T1", project_key="P2", name="n")
    assert spec.content_hash(a) != spec.content_hash(b)


def test_with_and_without_fields() -> None:
    spec = SPECS["EMPLOYEE"].without_fields("email")
    assert spec.remote_field_for("email") is None
    again = spec.with_fields(FieldMap(local="email", remote="PERSONALINFO.EMAIL2"))
    assert again.remote_field_for("email") == "PERSONALINFO.EMAIL2"
    assert SPECS["EMPLOYEE"].key_field == "EMPLOYEEID"
    assert SPECS["TIMESHEET"].key_field == "TIMESYNC_ID"
    assert isinstance(again.lexicon, FrozenMap)


def test_custom_stamp_field_name() -> None:
    specs = default_specs(stamp_field="LOCAL_TS_ID")
    ts = specs["TIMESHEET"]
    assert ts.key_field == "LOCAL_TS_ID"
    assert "LOCAL_TS_ID" in ts.remote_fields()
    assert specs["EEXPENSES"].key_field == "LOCAL_TS_ID"


def test_user_defined_dimension_records() -> None:
    from timesync.mapping import dimension_value_spec

    spec = dimension_value_spec("fund")
    value = spec.to_local({"ID": "F1", "NAME": "Fund one", "RECORDNO": "3"})
    assert (value.dimension, value.key, value.name, value.record_no) == (
        "FUND",
        "F1",
        "Fund one",
        3,
    )
    assert spec.filter is None
    assert spec.to_remote(value) == {"ID": "F1", "NAME": "Fund one"}


def test_expense_reports_map_their_lines() -> None:
    spec = SPECS["EEXPENSES"]
    report = spec.to_local(
        {
            "TIMESYNC_ID": "x-1",
            "EMPLOYEEID": "E1",
            "WHENCREATED": "07/03/2024",
            "STATE": "Submitted",
            "EEXPENSESITEMS": [
                {
                    "ENTRYDATE": "07/01/2024",
                    "AMOUNT": "120.50",
                    "EXPENSETYPE": "Hotel",
                    "PROJECTID": "P1",
                    "BILLABLE": "true",
                    "GLDIMFUND": "F1",
                },
            ],
        }
    )
    assert report.total == Decimal("120.50")
    assert report.lines[0].dimensions == {"GLDIMFUND": "F1"}
    out = spec.to_remote(report)
    assert "STATE" not in out
    assert out["EEXPENSESITEMS"] == [
        {
            "ENTRYDATE": date(2024, 7, 1),
            "AMOUNT": Decimal("120.50"),
            "EXPENSETYPE": "Hotel",
            "PROJECTID": "P1",
            "BILLABLE": True,
            "GLDIMFUND": "F1",
        }
    ]


def test_converter_failures_become_field_errors_in_both_directions() -> None:
    def strict_code(value: str) -> str:
        if not value.isalnum():
            raise ValueError("codes are letters and digits")
        return value

    register_converter("test_code", strict_code, strict_code, replace=True)
    spec = employee_spec(
        fields=(
            FieldMap(local="key", remote="EMPLOYEEID"),
            FieldMap(local="title", remote="TITLE", converter="test_code"),
            FieldMap(local="class_key", remote="CLASSID", converter="test_code"),
        )
    )
    with pytest.raises(MappingError) as pulled:
        spec.to_local({"EMPLOYEEID": "E1", "TITLE": "a b", "CLASSID": "c-d"})
    assert [(e.path, e.message) for e in pulled.value.errors] == [
        ("employee.title", "codes are letters and digits"),
        ("employee.class_key", "codes are letters and digits"),
    ]
    with pytest.raises(MappingError) as pushed:
        spec.to_remote(Employee(key="E1", title="ok", class_key="not ok"))
    assert [e.path for e in pushed.value.errors] == ["employee.class_key"]
