"""Object definitions of the emulated company.

Field lists, types and valid values come from ``intacct_sdk.schema`` (real ``lookup`` output).
On top of them, a small table of per-object rules says what ``lookup`` does not: which field
is the object's ID, how updates find a record, which fields must be present on create, which
fields point at other records, and which line lists an object owns.

Custom fields that happened to exist in the company the lookup output came from are dropped;
a :class:`~intacct_sdk.testing.Company` declares its own custom fields and user-defined
dimensions instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import attrs

from intacct_sdk.schema import get_schema

__all__ = [
    "DB_CODES",
    "OBJECT_RULES",
    "FieldDef",
    "LineRule",
    "ObjectDef",
    "ObjectRules",
    "Ref",
    "base_definition",
    "udd_definition",
]


@attrs.frozen(slots=True)
class FieldDef:
    """One field: lookup facts the emulator needs."""

    id: str
    datatype: str = "TEXT"
    label: str = ""
    description: str = ""
    required: bool = False
    readonly: bool = False
    custom: bool = False
    valid_values: tuple[str, ...] = ()
    gmt: bool = False  # a TIMESTAMP kept in GMT whatever the user's zone (schema.GMT_FIELDS)


@attrs.frozen(slots=True)
class Ref:
    """A field that names another record.

    Attributes:
        field: the referring field, e.g. ``DEPARTMENTID``.
        object_name: the referenced object.
        by: ``"id"`` to match the target's ID field, ``"recordno"`` to match RECORDNO.
        active: the target must be active (timesheet and expense lines).
        fill: (field on this record, field on the target) copied on write, e.g. keys and names.
    """

    field: str
    object_name: str
    by: str = "id"
    active: bool = False
    fill: tuple[tuple[str, str], ...] = ()


@attrs.frozen(slots=True)
class LineRule:
    """An owned list of line records (timesheet entries, expense items)."""

    list_tag: str  # TIMESHEETENTRIES
    item_tag: str  # TIMESHEETENTRY
    object_name: str  # TIMESHEETENTRY
    parent_key: str  # TIMESHEETKEY
    required: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class ObjectRules:
    """What lookup does not say about an object."""

    id_field: str | None
    scope_field: str | None = None
    update_by_id: bool = True
    required: tuple[str, ...] = ()
    auto_id: bool = False
    generic_write: bool = True
    status_field: str | None = "STATUS"
    line: LineRule | None = None
    refs: tuple[Ref, ...] = ()
    entity_field: str | None = None
    extra_fields: tuple[tuple[str, str], ...] = ()
    label: str = ""
    child_of: str | None = None  # line objects: only written through their parent
    defaults: tuple[tuple[str, str], ...] = ()
    read_only: bool = False  # written by Intacct itself (the audit trail), never by a client


_DIMS = (
    Ref("DEPARTMENTID", "DEPARTMENT", fill=(("DEPARTMENTKEY", "RECORDNO"),)),
    Ref("LOCATIONID", "LOCATION", fill=(("LOCATIONKEY", "RECORDNO"),)),
    Ref("CLASSID", "CLASS", fill=(("CLASSKEY", "RECORDNO"),)),
)
_LINE_DIMS = (
    Ref("DEPARTMENTID", "DEPARTMENT", active=True, fill=(("DEPARTMENTKEY", "RECORDNO"),)),
    Ref("LOCATIONID", "LOCATION", active=True, fill=(("LOCATIONKEY", "RECORDNO"),)),
    Ref("CLASSID", "CLASS", active=True, fill=(("CLASSKEY", "RECORDNO"),)),
    Ref("CUSTOMERID", "CUSTOMER", active=True, fill=(("CUSTOMERKEY", "RECORDNO"),)),
    Ref("ITEMID", "ITEM", active=True, fill=(("ITEMKEY", "RECORDNO"),)),
)
_CONTACT_GROUP = (
    "CONTACTNAME",
    "PRINTAS",
    "COMPANYNAME",
    "PREFIX",
    "FIRSTNAME",
    "LASTNAME",
    "INITIAL",
    "PHONE1",
    "PHONE2",
    "CELLPHONE",
    "PAGER",
    "FAX",
    "EMAIL1",
    "EMAIL2",
    "URL1",
    "URL2",
    "MAILADDRESS.ADDRESS1",
    "MAILADDRESS.ADDRESS2",
    "MAILADDRESS.CITY",
    "MAILADDRESS.STATE",
    "MAILADDRESS.ZIP",
    "MAILADDRESS.COUNTRY",
    "MAILADDRESS.COUNTRYCODE",
    "TAXABLE",
    "TAXGROUP",
    "TAXSOLUTIONID",
    "TAXSCHEDULE",
)

OBJECT_RULES: dict[str, ObjectRules] = {
    "EMPLOYEE": ObjectRules(
        "EMPLOYEEID",
        required=("PERSONALINFO.CONTACTNAME",),
        auto_id=True,
        refs=(*_DIMS, Ref("SUPERVISORID", "EMPLOYEE")),
        entity_field="LOCATIONID",
        label="Employee",
    ),
    "PROJECT": ObjectRules(
        "PROJECTID",
        required=("NAME", "PROJECTCATEGORY"),
        auto_id=True,
        refs=(
            *_DIMS,
            Ref(
                "CUSTOMERID",
                "CUSTOMER",
                fill=(("CUSTOMERKEY", "RECORDNO"), ("CUSTOMERNAME", "NAME")),
            ),
            Ref("MANAGERID", "EMPLOYEE", fill=(("MANAGERKEY", "RECORDNO"),)),
            Ref("PARENTID", "PROJECT", fill=(("PARENTKEY", "RECORDNO"), ("PARENTNAME", "NAME"))),
            Ref("PROJECTTYPE", "PROJECTTYPE", fill=(("PROJECTTYPEKEY", "RECORDNO"),)),
            Ref("PROJECTSTATUS", "PROJECTSTATUS", fill=(("PROJECTSTATUSKEY", "RECORDNO"),)),
        ),
        entity_field="LOCATIONID",
        label="Project",
    ),
    "TASK": ObjectRules(
        "TASKID",
        scope_field="PROJECTID",
        update_by_id=False,
        required=("NAME", "PROJECTID"),
        refs=(
            Ref(
                "PROJECTID",
                "PROJECT",
                fill=(("PROJECTKEY", "RECORDNO"), ("PROJECTNAME", "NAME")),
            ),
            Ref("CLASSID", "CLASS", fill=(("CLASSKEY", "RECORDNO"),)),
            Ref("ITEMID", "ITEM", fill=(("ITEMKEY", "RECORDNO"), ("ITEMNAME", "NAME"))),
            Ref("TIMETYPENAME", "TIMETYPE", fill=(("TIMETYPEKEY", "RECORDNO"),)),
        ),
        label="Task",
    ),
    "TIMESHEET": ObjectRules(
        None,
        update_by_id=False,
        required=("EMPLOYEEID", "BEGINDATE"),
        status_field=None,
        line=LineRule(
            "TIMESHEETENTRIES",
            "TIMESHEETENTRY",
            "TIMESHEETENTRY",
            "TIMESHEETKEY",
            required=("ENTRYDATE", "QTY"),
        ),
        refs=(
            Ref(
                "EMPLOYEEID",
                "EMPLOYEE",
                active=True,
                fill=(
                    ("EMPLOYEEKEY", "RECORDNO"),
                    ("EMPLOYEENAME", "PERSONALINFO.CONTACTNAME"),
                    ("EMPLOYEEFIRSTNAME", "PERSONALINFO.FIRSTNAME"),
                    ("EMPLOYEELASTNAME", "PERSONALINFO.LASTNAME"),
                    ("EMPLOYEE_LOCATIONID", "LOCATIONID"),
                    ("EMPLOYEE_DEPARTMENTID", "DEPARTMENTID"),
                    ("EMPLOYEE_CLASSID", "CLASSID"),
                ),
            ),
        ),
        extra_fields=(("TIMESHEETENTRIES", "TEXT"),),
        label="Timesheet",
        defaults=(("UOM", "Hour"), ("HOURSINDAY", "8"), ("CONFIG", "Hours"), ("METHOD", "Hourly")),
    ),
    "TIMESHEETENTRY": ObjectRules(
        None,
        update_by_id=False,
        status_field=None,
        refs=(
            *_LINE_DIMS,
            Ref(
                "PROJECTID",
                "PROJECT",
                active=True,
                fill=(("PROJECTKEY", "RECORDNO"), ("PROJECTNAME", "NAME")),
            ),
            Ref("TIMETYPE", "TIMETYPE", active=True, fill=(("TIMETYPEKEY", "RECORDNO"),)),
        ),
        entity_field="LOCATIONID",
        extra_fields=(
            ("CLASSID", "TEXT"),
            ("CLASSKEY", "INTEGER"),
            ("VENDORID", "TEXT"),
            ("CONTRACTID", "TEXT"),
            ("WAREHOUSEID", "TEXT"),
        ),
        label="Timesheet entry",
        child_of="TIMESHEET",
    ),
    "TIMESHEETAPPROVAL": ObjectRules(
        None,
        update_by_id=False,
        status_field=None,
        # not in the published field list; assumed present as on every other object
        extra_fields=(("WHENCREATED", "TIMESTAMP"), ("WHENMODIFIED", "TIMESTAMP")),
        label="Timesheet approval",
        child_of="TIMESHEET",
    ),
    "TIMETYPE": ObjectRules("NAME", required=("NAME",), label="Time type", generic_write=False),
    "CUSTOMER": ObjectRules(
        "CUSTOMERID",
        required=("NAME",),
        auto_id=True,
        refs=(
            Ref("PARENTID", "CUSTOMER", fill=(("PARENTKEY", "RECORDNO"), ("PARENTNAME", "NAME"))),
        ),
        extra_fields=(
            ("HIDEDISPLAYCONTACT", "BOOLEAN"),
            ("SHIPTO.CONTACTNAME", "TEXT"),
            ("BILLTO.CONTACTNAME", "TEXT"),
            ("CONTACTINFO.CONTACTNAME", "TEXT"),
            ("CONTACTLIST", "TEXT"),
            ("OBJECTRESTRICTION", "TEXT"),
            ("RESTRICTEDLOCATIONS", "TEXT"),
            ("RESTRICTEDDEPARTMENTS", "TEXT"),
            *((f"DISPLAYCONTACT.{f}", "TEXT") for f in _CONTACT_GROUP),
        ),
        label="Customer",
    ),
    "DEPARTMENT": ObjectRules(
        "DEPARTMENTID",
        required=("DEPARTMENTID", "TITLE"),
        refs=(
            Ref("PARENTID", "DEPARTMENT", fill=(("PARENTKEY", "RECORDNO"),)),
            Ref("SUPERVISORID", "EMPLOYEE", fill=(("SUPERVISORKEY", "RECORDNO"),)),
        ),
        label="Department",
    ),
    "LOCATION": ObjectRules(
        "LOCATIONID",
        required=("LOCATIONID", "NAME"),
        refs=(
            Ref("PARENTID", "LOCATION", fill=(("PARENTKEY", "RECORDNO"), ("PARENTNAME", "NAME"))),
            Ref("SUPERVISORID", "EMPLOYEE", fill=(("SUPERVISORKEY", "RECORDNO"),)),
        ),
        label="Location",
    ),
    "CLASS": ObjectRules(
        "CLASSID",
        required=("CLASSID", "NAME"),
        refs=(Ref("PARENTID", "CLASS", fill=(("PARENTKEY", "RECORDNO"),)),),
        label="Class",
    ),
    "PROJECTTYPE": ObjectRules("NAME", required=("NAME",), label="Project type"),
    "PROJECTSTATUS": ObjectRules("NAME", required=("NAME",), label="Project status"),
    "EEXPENSES": ObjectRules(
        "RECORDID",
        required=("EMPLOYEEID", "WHENCREATED"),  # lookup: "Date filed", required
        update_by_id=False,
        auto_id=True,
        status_field=None,
        line=LineRule(
            "EEXPENSESITEMS",
            "EEXPENSESITEM",
            "EEXPENSESITEM",
            "RECORDKEY",
            required=("EXPENSETYPE", "AMOUNT"),
        ),
        refs=(Ref("EMPLOYEEID", "EMPLOYEE", active=True),),
        extra_fields=(("EEXPENSESITEMS", "TEXT"), ("EXPENSEREPORTNO", "TEXT")),
        label="Expense report",
        defaults=(("STATE", "Submitted"), ("CURRENCY", "USD"), ("BASECURR", "USD")),
    ),
    "EEXPENSESITEM": ObjectRules(
        None,
        update_by_id=False,
        status_field=None,
        refs=(
            *_LINE_DIMS,
            Ref("PROJECTID", "PROJECT", active=True, fill=(("PROJECTKEY", "RECORDNO"),)),
        ),
        entity_field="LOCATIONID",
        label="Expense line",
        child_of="EEXPENSES",
    ),
    "ITEM": ObjectRules(
        "ITEMID",
        required=("ITEMID", "NAME"),
        refs=(Ref("GLGROUP", "ITEMGLGROUP", fill=(("GLGRPKEY", "RECORDNO"),)),),
        label="Item",
        defaults=(("ITEMTYPE", "Non-Inventory"),),
    ),
    "ITEMGLGROUP": ObjectRules("NAME", required=("NAME",), label="Item GL group"),
    "AUDITHISTORY": ObjectRules(
        None, update_by_id=False, status_field=None, label="Audit history", read_only=True
    ),
    # The API users; readByName by LOGINID gives the RECORDNO readUserFormatting takes.
    "USERINFO": ObjectRules("LOGINID", required=("LOGINID",), label="User", generic_write=False),
}

# Objects missing from the lookup table: minimal field lists.
_EXTRA_OBJECTS: dict[str, tuple[tuple[str, str], ...]] = {
    "ITEMGLGROUP": (
        ("RECORDNO", "INTEGER"),
        ("NAME", "TEXT"),
        ("DESCRIPTION", "TEXT"),
        ("INCOMEACCTNO", "TEXT"),
        ("EXPENSEACCTNO", "TEXT"),
        ("INVACCTNO", "TEXT"),
        ("COGSACCTNO", "TEXT"),
        ("STATUS", "TEXT"),
        ("WHENCREATED", "TIMESTAMP"),
        ("WHENMODIFIED", "TIMESTAMP"),
    ),
    "EEXPENSESITEM": (
        ("RECORDNO", "INTEGER"),
        ("RECORDKEY", "INTEGER"),
        ("LINE_NO", "INTEGER"),
        ("EXPENSETYPE", "TEXT"),
        ("GLACCOUNTNO", "TEXT"),
        ("ENTRYDATE", "DATE"),
        ("AMOUNT", "CURRENCY"),
        ("TRX_AMOUNT", "CURRENCY"),
        ("CURRENCY", "TEXT"),
        ("QUANTITY", "DECIMAL"),
        ("UNITRATE", "DECIMAL"),
        ("PAIDTO", "TEXT"),
        ("PAIDFOR", "TEXT"),
        ("DESCRIPTION", "TEXT"),
        ("BILLABLE", "BOOLEAN"),
        ("REIMBURSABLE", "BOOLEAN"),
        ("PROJECTID", "TEXT"),
        ("PROJECTKEY", "INTEGER"),
        ("TASKID", "TEXT"),
        ("TASKKEY", "INTEGER"),
        ("CUSTOMERID", "TEXT"),
        ("CUSTOMERKEY", "INTEGER"),
        ("ITEMID", "TEXT"),
        ("ITEMKEY", "INTEGER"),
        ("DEPARTMENTID", "TEXT"),
        ("DEPARTMENTKEY", "INTEGER"),
        ("LOCATIONID", "TEXT"),
        ("LOCATIONKEY", "INTEGER"),
        ("CLASSID", "TEXT"),
        ("CLASSKEY", "INTEGER"),
        ("WHENCREATED", "TIMESTAMP"),
        ("WHENMODIFIED", "TIMESTAMP"),
    ),
}

# readByQuery compares enumerations and booleans by their one-letter database codes.
_STATUS_CODES = {"T": "active", "F": "inactive", "N": "active non-posting"}
_TS_STATE_CODES = {
    "S": "Submitted",
    "A": "Approved",
    "X": "Partially Approved",
    "R": "Declined",
    "I": "Draft",
    "E": "Partially Declined",
    "V": "Saved",
}
DB_CODES: dict[tuple[str, str], Mapping[str, str]] = {
    ("*", "STATUS"): _STATUS_CODES,
    ("TIMESHEET", "STATE"): _TS_STATE_CODES,
    ("TIMESHEETENTRY", "STATE"): _TS_STATE_CODES,
    # Sage's audit trail page: query filters take the letters, readByQuery the words.
    ("AUDITHISTORY", "ACCESSMODE"): {
        "Access": "A",
        "Create": "C",
        "Modify": "M",
        "Delete": "D",
        "Workflow": "W",
        "Activity": "T",
        "User Action": "U",
    },
    ("TASK", "TASKSTATUS"): {
        "N": "Not Started",
        "L": "Planned",
        "P": "In Progress",
        "C": "Completed",
        "H": "On Hold",
    },
}


@attrs.frozen(slots=True)
class ObjectDef:
    """An object as the emulated company knows it: fields (with custom ones) and rules."""

    name: str
    fields: dict[str, FieldDef]
    rules: ObjectRules
    udd: bool = False

    @property
    def id_field(self) -> str | None:
        """The business ID field (EMPLOYEEID, NAME for TIMETYPE, ...), or None."""
        return self.rules.id_field

    def field(self, name: str) -> FieldDef | None:
        """Field named ``name`` (case-insensitive)."""
        return self.fields.get(name.upper())

    def with_fields(self, extra: Iterable[FieldDef]) -> ObjectDef:
        """A copy with more fields appended (custom fields, GLDIM fields)."""
        fields = dict(self.fields)
        for f in extra:
            fields[f.id] = f
        return ObjectDef(self.name, fields, self.rules, self.udd)


def _fd(fid: str, datatype: str, custom: bool = False) -> FieldDef:
    return FieldDef(fid, datatype, fid.replace("_", " ").title(), "", False, False, custom)


@cache
def base_definition(name: str) -> ObjectDef | None:
    """The definition of a standard object, or None when the emulator does not keep it."""
    rules = OBJECT_RULES.get(name)
    if rules is None:
        return None
    fields: dict[str, FieldDef] = {}
    schema = get_schema(name)
    if schema is not None:
        for f in schema.fields.values():
            if f.custom:
                continue
            fields[f.id] = FieldDef(
                f.id,
                f.datatype,
                f.label,
                f.description,
                f.required,
                f.readonly,
                False,
                f.valid_values,
                f.gmt,
            )
    else:
        for fid, dt in _EXTRA_OBJECTS.get(name, ()):
            fields[fid] = _fd(fid, dt)
    for fid, dt in rules.extra_fields:
        fields.setdefault(fid, _fd(fid, dt))
    if rules.scope_field and rules.scope_field not in fields:  # pragma: no cover - defensive
        fields[rules.scope_field] = _fd(rules.scope_field, "TEXT")
    return ObjectDef(name, fields, rules)


def udd_definition(name: str, label: str) -> ObjectDef:
    """A user-defined dimension: a custom object with ID, NAME, STATUS."""
    fields = {
        fid: _fd(fid, dt)
        for fid, dt in (
            ("RECORDNO", "INTEGER"),
            ("ID", "TEXT"),
            ("NAME", "TEXT"),
            ("DESCRIPTION", "TEXT"),
            ("STATUS", "TEXT"),
            ("WHENCREATED", "TIMESTAMP"),
            ("WHENMODIFIED", "TIMESTAMP"),
        )
    }
    fields["STATUS"] = attrs.evolve(fields["STATUS"], valid_values=("active", "inactive"))
    rules = ObjectRules("ID", required=("ID", "NAME"), label=label)
    return ObjectDef(name, fields, rules, udd=True)
