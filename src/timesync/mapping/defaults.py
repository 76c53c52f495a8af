"""The default specs: the connectors' published field maps, plus identity and status.

Each default covers at least what the ClickTime, BigTime, Assignar and Forecast connectors map
(their published tables), plus RECORDNO -> ``record_no``, WHENMODIFIED -> ``modified_at`` and
STATUS -> ``status``. Applications change them with a TOML file (:func:`load_specs`) or in
Python (:meth:`MappingSpec.with_fields`), never by editing this module.
"""

from __future__ import annotations

from typing import Final

from timesync.mapping.spec import ChildMap, Direction, FieldMap, MappingSpec
from timesync.models import (
    Customer,
    Department,
    DimensionValue,
    Employee,
    ExpenseLine,
    ExpenseReport,
    IntacctClass,
    Item,
    Location,
    Project,
    ProjectType,
    Task,
    Timesheet,
    TimesheetEntry,
    TimeType,
)

__all__ = ["DEFAULT_STAMP_FIELD", "default_specs", "dimension_value_spec"]

DEFAULT_STAMP_FIELD: Final = "TIMESYNC_ID"
"""The Intacct custom field that holds the local id of pushed timesheets and expense reports."""


def _f(
    local: str,
    remote: str,
    direction: Direction = "both",
    *,
    converter: str | None = None,
    required: bool = False,
    hashed: bool = True,
) -> FieldMap:
    return FieldMap(
        local=local,
        remote=remote,
        direction=direction,
        converter=converter,
        required=required,
        hashed=hashed,
    )


def _identity(key_field: str, *, modified: bool = True) -> tuple[FieldMap, ...]:
    maps = [
        _f("key", key_field, required=True),
        _f("record_no", "RECORDNO", "pull", hashed=False),
        _f("status", "STATUS"),
    ]
    if modified:
        maps.append(_f("modified_at", "WHENMODIFIED", "pull", hashed=False))
    return tuple(maps)


_DIMENSIONS: Final = (
    ("dimensions.department", "DEPARTMENTID"),
    ("dimensions.location", "LOCATIONID"),
    ("dimensions.class", "CLASSID"),
    ("dimensions.customer", "CUSTOMERID"),
    ("dimensions.item", "ITEMID"),
)
# A timesheet entry takes CLASSID on create, but lookup does not list it, so it cannot be read.
_ENTRY_DIMENSIONS: Final = tuple(
    _f(local, remote, "push" if remote == "CLASSID" else "both") for local, remote in _DIMENSIONS
)


def _employee() -> MappingSpec:
    return MappingSpec(
        object_name="EMPLOYEE",
        model=Employee,
        fields=(
            *_identity("EMPLOYEEID"),
            _f("name", "PERSONALINFO.CONTACTNAME"),
            _f("first_name", "PERSONALINFO.FIRSTNAME"),
            _f("last_name", "PERSONALINFO.LASTNAME"),
            _f("email", "PERSONALINFO.EMAIL1"),
            _f("title", "TITLE"),
            _f("department_key", "DEPARTMENTID"),
            _f("location_key", "LOCATIONID"),
            _f("class_key", "CLASSID"),
            _f("supervisor_key", "SUPERVISORID"),
            _f("start_date", "STARTDATE"),
            _f("end_date", "ENDDATE"),
        ),
        lexicon={"key": "Employee number", "name": "Full name", "class_key": "Class"},
    )


def _project() -> MappingSpec:
    return MappingSpec(
        object_name="PROJECT",
        model=Project,
        fields=(
            *_identity("PROJECTID"),
            _f("name", "NAME", required=True),
            _f("description", "DESCRIPTION"),
            _f("customer_key", "CUSTOMERID"),
            _f("project_type", "PROJECTTYPE"),
            _f("project_category", "PROJECTCATEGORY"),
            _f("project_status", "PROJECTSTATUS"),
            _f("manager_key", "MANAGERID"),
            _f("parent_key", "PARENTID"),
            _f("department_key", "DEPARTMENTID"),
            _f("location_key", "LOCATIONID"),
            _f("class_key", "CLASSID"),
            _f("begin_date", "BEGINDATE"),
            _f("end_date", "ENDDATE"),
            _f("custom_fields.PONUMBER", "PONUMBER"),
            _f("custom_fields.POAMOUNT", "POAMOUNT"),
            _f("custom_fields.SONUMBER", "SONUMBER"),
        ),
        inactive_when={"PROJECTSTATUS": ("Closed",)},
        lexicon={
            "key": "Project number",
            "customer_key": "Client ref",
            "manager_key": "Project manager",
            "department_key": "Cost center 1",
            "location_key": "Cost center 2",
        },
    )


def _task() -> MappingSpec:
    return MappingSpec(
        object_name="TASK",
        model=Task,
        fields=(
            _f("key", "TASKID", required=True),
            _f("project_key", "PROJECTID", required=True),
            _f("record_no", "RECORDNO", "pull", hashed=False),
            _f("modified_at", "WHENMODIFIED", "pull", hashed=False),
            _f("name", "NAME", required=True),
            _f("project_record_no", "PROJECTKEY", "pull"),
            _f("parent_key", "PARENTID"),
            _f("task_status", "TASKSTATUS"),
            _f("status", "TASKSTATUS", "pull", converter="task_status"),
            _f("billable", "BILLABLE"),
            _f("time_type", "TIMETYPENAME"),
            _f("begin_date", "PBEGINDATE"),
            _f("end_date", "PENDDATE"),
            _f("custom_fields.CUSTOMERID", "CUSTOMERID"),
            _f("custom_fields.ITEMID", "ITEMID"),
            _f("custom_fields.CLASSID", "CLASSID"),
        ),
        lexicon={"key": "Task code", "name": "Task name", "project_key": "Project controls ref"},
    )


def _simple(
    object_name: str, model: type, key: str, name: str | None, *extra: FieldMap
) -> MappingSpec:
    fields = list(_identity(key))
    if name is not None:
        fields.append(_f("name", name))
    fields.extend(extra)
    return MappingSpec(object_name=object_name, model=model, fields=tuple(fields))


def _entry() -> MappingSpec:
    return MappingSpec(
        object_name="TIMESHEETENTRY",
        model=TimesheetEntry,
        fields=(
            _f("record_no", "RECORDNO", "pull", hashed=False),
            _f("line_no", "LINENO", "pull", hashed=False),
            _f("entry_date", "ENTRYDATE", required=True),
            _f("hours", "QTY", required=True),
            _f("project_key", "PROJECTID"),
            _f("task_record_no", "TASKKEY"),
            _f("task_key", "TASKID"),
            _f("time_type", "TIMETYPE"),
            _f("billable", "BILLABLE"),
            _f("notes", "NOTES"),
            *_ENTRY_DIMENSIONS,
            _f("state", "STATE", "pull", hashed=False),
        ),
        filter=None,
        exclusive=(("TASKKEY", "TASKID"),),
        udd_passthrough="dimensions",
        lexicon={
            "project_key": "Project number",
            "task_key": "Task number",
            "notes": "Time entry notes",
        },
    )


def _timesheet(stamp: str, entry: MappingSpec) -> MappingSpec:
    return MappingSpec(
        object_name="TIMESHEET",
        model=Timesheet,
        fields=(
            _f("local_id", stamp, required=True),
            _f("record_no", "RECORDNO", "pull", hashed=False),
            _f("modified_at", "WHENMODIFIED", "pull", hashed=False),
            _f("employee_key", "EMPLOYEEID", required=True),
            _f("begin_date", "BEGINDATE", required=True),
            _f("end_date", "ENDDATE", "pull"),
            _f("description", "DESCRIPTION"),
            _f("state", "STATE", "pull", hashed=False),
        ),
        children=(ChildMap(local="entries", remote="TIMESHEETENTRIES", spec=entry),),
        custom={stamp: "TEXT"},
        filter=None,
        lexicon={
            "employee_key": "Employee number",
            "begin_date": "Timesheet start date",
            "state": "Timesheet status",
        },
    )


def _expense_line() -> MappingSpec:
    return MappingSpec(
        object_name="EEXPENSESITEM",
        model=ExpenseLine,
        fields=(
            _f("record_no", "RECORDNO", "pull", hashed=False),
            _f("line_no", "LINE_NO", "pull", hashed=False),
            _f("entry_date", "ENTRYDATE", required=True),
            _f("amount", "AMOUNT", required=True),
            _f("expense_type", "EXPENSETYPE"),
            _f("quantity", "QUANTITY"),
            _f("unit_rate", "UNITRATE"),
            _f("project_key", "PROJECTID"),
            _f("task_key", "TASKID"),
            _f("billable", "BILLABLE"),
            _f("paid_to", "PAIDTO"),
            _f("notes", "PAIDFOR"),
            *(_f(local, remote) for local, remote in _DIMENSIONS),
        ),
        filter=None,
        udd_passthrough="dimensions",
    )


def _expense_report(stamp: str, line: MappingSpec) -> MappingSpec:
    return MappingSpec(
        object_name="EEXPENSES",
        model=ExpenseReport,
        fields=(
            _f("local_id", stamp, required=True),
            _f("record_no", "RECORDNO", "pull", hashed=False),
            _f("modified_at", "WHENMODIFIED", "pull", hashed=False),
            _f("employee_key", "EMPLOYEEID", required=True),
            _f("report_date", "WHENCREATED", required=True),
            _f("description", "DESCRIPTION"),
            _f("memo", "MEMO"),
            _f("currency", "CURRENCY"),
            _f("report_number", "RECORDID"),
            _f("state", "STATE", "pull", hashed=False),
        ),
        children=(ChildMap(local="lines", remote="EEXPENSESITEMS", spec=line),),
        custom={stamp: "TEXT"},
        filter=None,
    )


def dimension_value_spec(
    object_name: str, *, key_field: str = "ID", name_field: str = "NAME"
) -> MappingSpec:
    """A spec for the records of a user-defined dimension (a custom object).

    UDD objects are company-specific, so they are not in the schema table; their fields are
    declared as custom here.

    Args:
        object_name: The UDD's object name (``FUND``).
        key_field: The field holding the value's id (what ``GLDIM<NAME>`` refers to).
        name_field: The field holding its name.
    """
    return MappingSpec(
        object_name=object_name,
        model=DimensionValue,
        fields=(
            _f("key", key_field, required=True),
            _f("name", name_field),
            _f("record_no", "RECORDNO", "pull", hashed=False),
            _f("modified_at", "WHENMODIFIED", "pull", hashed=False),
        ),
        custom={
            key_field: "TEXT",
            name_field: "TEXT",
            "RECORDNO": "INTEGER",
            "WHENMODIFIED": "TIMESTAMP",
        },
        constants={"dimension": object_name.upper()},
        filter=None,
    )


def default_specs(*, stamp_field: str = DEFAULT_STAMP_FIELD) -> dict[str, MappingSpec]:
    """The default spec of every object, keyed by Intacct object name.

    Args:
        stamp_field: The Intacct custom field that stores the local id of pushed timesheets
            and expense reports.

    Returns:
        A new dict (specs are immutable; the dict is yours to change).
    """
    entry = _entry()
    line = _expense_line()
    specs = [
        _employee(),
        _project(),
        _task(),
        _simple(
            "CUSTOMER",
            Customer,
            "CUSTOMERID",
            "NAME",
            _f("email", "DISPLAYCONTACT.EMAIL1"),
            _f("parent_key", "PARENTID"),
        ),
        _simple(
            "DEPARTMENT",
            Department,
            "DEPARTMENTID",
            "TITLE",
            _f("parent_key", "PARENTID"),
            _f("supervisor_key", "SUPERVISORID"),
        ),
        _simple(
            "LOCATION",
            Location,
            "LOCATIONID",
            "NAME",
            _f("parent_key", "PARENTID"),
            _f("supervisor_key", "SUPERVISORID"),
        ),
        _simple(
            "CLASS",
            IntacctClass,
            "CLASSID",
            "NAME",
            _f("description", "DESCRIPTION"),
            _f("parent_key", "PARENTID"),
        ),
        _simple("ITEM", Item, "ITEMID", "NAME", _f("gl_group", "GLGROUP")),
        _simple("PROJECTTYPE", ProjectType, "NAME", None, _f("parent_key", "PARENT.NAME")),
        MappingSpec(
            object_name="TIMETYPE",
            model=TimeType,
            fields=(
                *_identity("NAME", modified=False),
                _f("account_no", "ACCOUNTNO"),
                _f("offset_account_no", "OFFSETACCOUNTNO"),
                _f("earning_type", "EARNINGTYPENAME"),
            ),
        ),
        entry,
        _timesheet(stamp_field, entry),
        line,
        _expense_report(stamp_field, line),
    ]
    return {spec.object_name: spec for spec in specs}
