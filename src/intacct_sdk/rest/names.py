"""The name table: our (XML) object and field names and their REST objects and field paths.

Each :class:`RestObject` says where an XML object lives in the REST API
(``/objects/{path}``) and how its fields are spelt there, as dotted paths into the REST
record (``"DEPARTMENTID" -> "department.id"``: the REST record carries
``{"department": {"id": ...}}``). The audit fields are the same on every object:
``RECORDNO -> key``, ``WHENMODIFIED -> audit.modifiedDateTime``,
``WHENCREATED -> audit.createdDateTime`` and, where the object has one, ``STATUS -> status``.

The paths and field names come from Sage's OpenAPI documents for REST API v1 (groups time,
company-config, projects, accounts-receivable and expenses). Objects with owned lines
(timesheets, expense reports) name their line collection (``lines``) and the line fields.

Examples:
    >>> from intacct_sdk.rest.names import rest_object
    >>> ts = rest_object("TIMESHEET")
    >>> ts.path, ts.fields["WHENMODIFIED"], ts.lines, ts.line_fields["QTY"]
    ('time/timesheet', 'audit.modifiedDateTime', 'lines', 'quantity')
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

__all__ = ["AUDIT_FIELDS", "REST_OBJECTS", "RestObject", "rest_object"]

AUDIT_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "RECORDNO": "key",
        "WHENMODIFIED": "audit.modifiedDateTime",
        "WHENCREATED": "audit.createdDateTime",
    }
)
"""The audit fields every object maps alike (``STATUS -> status`` where it has one)."""


def _frozen(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen
class RestObject:
    """Where one XML object lives in the REST API, and its fields' REST paths.

    Attributes:
        name: The XML object name (``"EMPLOYEE"``).
        path: The REST object, ``application/object`` (``"company-config/employee"``); its
            records are at ``/objects/{path}`` and ``/objects/{path}/{key}``.
        fields: XML field name to REST dotted path (``"EMPLOYEEID" -> "id"``).
        lines: The owned-line collection of the REST record (``"lines"``), or None.
        line_fields: XML line field name to REST dotted path within a line.
    """

    name: str
    path: str
    fields: Mapping[str, str] = attrs.field(converter=_frozen)
    lines: str | None = None
    line_fields: Mapping[str, str] = attrs.field(default=MappingProxyType({}), converter=_frozen)

    @property
    def xml_fields(self) -> Mapping[str, str]:
        """REST dotted path to XML field name (the inverse of :attr:`fields`)."""
        return {v: k for k, v in self.fields.items()}


def _obj(
    name: str,
    path: str,
    fields: Mapping[str, str],
    *,
    status: bool = True,
    audit: bool = True,
    lines: str | None = None,
    line_fields: Mapping[str, str] | None = None,
) -> RestObject:
    merged = dict(AUDIT_FIELDS) if audit else {"RECORDNO": "key"}
    if status:
        merged["STATUS"] = "status"
    merged.update(fields)
    return RestObject(name, path, merged, lines, line_fields or {})


_DIMENSION_LINE = {
    "PROJECTID": "dimensions.project.id",
    "PROJECTKEY": "dimensions.project.key",
    "TASKID": "dimensions.task.id",
    "TASKKEY": "dimensions.task.key",
    "CUSTOMERID": "dimensions.customer.id",
    "CUSTOMERKEY": "dimensions.customer.key",
    "DEPARTMENTID": "dimensions.department.id",
    "DEPARTMENTKEY": "dimensions.department.key",
    "LOCATIONID": "dimensions.location.id",
    "LOCATIONKEY": "dimensions.location.key",
    "CLASSID": "dimensions.class.id",
    "CLASSKEY": "dimensions.class.key",
    "ITEMID": "dimensions.item.id",
    "ITEMKEY": "dimensions.item.key",
}

REST_OBJECTS: Mapping[str, RestObject] = MappingProxyType(
    {
        o.name: o
        for o in (
            _obj(
                "EMPLOYEE",
                "company-config/employee",
                {
                    "EMPLOYEEID": "id",
                    "CONTACT_NAME": "name",
                    "PERSONALINFO.CONTACTNAME": "primaryContact.id",
                    "CONTACTKEY": "primaryContact.key",
                    "PERSONALINFO.FIRSTNAME": "primaryContact.firstName",
                    "PERSONALINFO.LASTNAME": "primaryContact.lastName",
                    "PERSONALINFO.PRINTAS": "primaryContact.printAs",
                    "PERSONALINFO.EMAIL1": "primaryContact.email1",
                    "PERSONALINFO.PHONE1": "primaryContact.phone1",
                    "TITLE": "jobTitle",
                    "STARTDATE": "startDate",
                    "ENDDATE": "endDate",
                    "DEPARTMENTID": "department.id",
                    "DEPARTMENTKEY": "department.key",
                    "LOCATIONID": "location.id",
                    "LOCATIONKEY": "location.key",
                    "CLASSID": "class.id",
                    "CLASSKEY": "class.key",
                    "SUPERVISORID": "manager.id",
                    "EMPLOYEETYPE": "employeeType.id",
                    "EARNINGTYPENAME": "earningType.id",
                    "CURRENCY": "defaultCurrency",
                },
            ),
            _obj(
                "DEPARTMENT",
                "company-config/department",
                {
                    "DEPARTMENTID": "id",
                    "TITLE": "name",
                    "PARENTID": "parent.id",
                    "PARENTKEY": "parent.key",
                    "SUPERVISORID": "supervisor.id",
                    "SUPERVISORKEY": "supervisor.key",
                    "CUSTTITLE": "reportTitle",
                },
            ),
            _obj(
                "LOCATION",
                "company-config/location",
                {
                    "LOCATIONID": "id",
                    "NAME": "name",
                    "PARENTID": "parent.id",
                    "PARENTKEY": "parent.key",
                    "SUPERVISORID": "manager.id",
                    "SUPERVISORKEY": "manager.key",
                    "STARTDATE": "startDate",
                    "ENDDATE": "endDate",
                    "CURRENCY": "baseCurrency",
                    "TAXID": "taxId",
                },
            ),
            _obj(
                "CLASS",
                "company-config/class",
                {
                    "CLASSID": "id",
                    "NAME": "name",
                    "DESCRIPTION": "description",
                    "PARENTID": "parent.id",
                    "PARENTKEY": "parent.key",
                },
            ),
            _obj(
                "CUSTOMER",
                "accounts-receivable/customer",
                {
                    "CUSTOMERID": "id",
                    "NAME": "name",
                    "PARENTID": "parent.id",
                    "PARENTKEY": "parent.key",
                    "TAXID": "taxId",
                    "CREDITLIMIT": "creditLimit",
                    "ONHOLD": "isOnHold",
                    "CURRENCY": "currency",
                    "TERMNAME": "term.id",
                    "TOTALDUE": "totalDue",
                    "COMMENTS": "notes",
                },
            ),
            _obj(
                "PROJECT",
                "projects/project",
                {
                    "PROJECTID": "id",
                    "NAME": "name",
                    "DESCRIPTION": "description",
                    "PROJECTCATEGORY": "category",
                    "PROJECTSTATUS": "projectStatus.id",
                    "PROJECTSTATUSKEY": "projectStatus.key",
                    "PROJECTTYPE": "projectType.id",
                    "PROJECTTYPEKEY": "projectType.key",
                    "BEGINDATE": "startDate",
                    "ENDDATE": "endDate",
                    "PARENTID": "parent.id",
                    "PARENTKEY": "parent.key",
                    "CUSTOMERID": "customer.id",
                    "CUSTOMERKEY": "customer.key",
                    "MANAGERID": "manager.id",
                    "MANAGERKEY": "manager.key",
                    "DEPARTMENTID": "department.id",
                    "LOCATIONID": "location.id",
                    "CLASSID": "class.id",
                    "CLASSKEY": "class.key",
                    "SONUMBER": "salesOrderNumber",
                    "PONUMBER": "purchaseOrderNumber",
                    "CURRENCY": "projectCurrency",
                    "BILLINGTYPE": "billingType",
                    "CONTRACTAMOUNT": "contractAmount",
                },
            ),
            _obj(
                "TASK",
                "projects/task",
                {
                    "TASKID": "id",
                    "NAME": "name",
                    "DESCRIPTION": "description",
                    "PROJECTID": "project.id",
                    "PROJECTKEY": "project.key",
                    "PARENTID": "parent.id",
                    "PARENTKEY": "parent.key",
                    "CUSTOMERID": "customer.id",
                    "CUSTOMERKEY": "customer.key",
                    "ITEMID": "item.id",
                    "ITEMKEY": "item.key",
                    "PBEGINDATE": "planned.startDate",
                    "PENDDATE": "planned.endDate",
                    "BILLABLE": "isBillable",
                    "UTILIZED": "isUtilized",
                    "ISMILESTONE": "isMilestone",
                    "TASKSTATUS": "taskStatus",
                    "TIMETYPENAME": "timeType.id",
                    "TIMETYPEKEY": "timeType.key",
                    "CLASSID": "class.id",
                    "CLASSKEY": "class.key",
                    "PRIORITY": "priority",
                },
                status=False,
            ),
            _obj(
                "TIMETYPE",
                "time/time-type",
                {"NAME": "id", "EARNINGTYPENAME": "earningType.id"},
                audit=False,  # the time-type schema has no audit block
            ),
            _obj(
                "TIMESHEET",
                "time/timesheet",
                {
                    "EMPLOYEEID": "employee.id",
                    "EMPLOYEEKEY": "employee.key",
                    "EMPLOYEEFIRSTNAME": "employeeContact.firstName",
                    "EMPLOYEELASTNAME": "employeeContact.lastName",
                    "BEGINDATE": "beginDate",
                    "ENDDATE": "endDate",
                    "GLPOSTDATE": "postingDate",
                    "STATE": "state",
                    "UOM": "unitOfMeasure",
                    "HOURSINDAY": "hoursInDay",
                    "DESCRIPTION": "description",
                    "METHOD": "calculationMethod",
                    "MEGAENTITYID": "entity.id",
                    "MEGAENTITYKEY": "entity.key",
                },
                status=False,
                lines="lines",
                line_fields={
                    **AUDIT_FIELDS,
                    "TIMESHEETKEY": "timesheet.key",
                    "LINENO": "lineNumber",
                    "ENTRYDATE": "entryDate",
                    "QTY": "quantity",
                    "DESCRIPTION": "description",
                    "NOTES": "notes",
                    "STATE": "state",
                    "TIMETYPE": "timeType.id",
                    "TIMETYPEKEY": "timeType.key",
                    "BILLABLE": "isBillable",
                    "BILLED": "isBilled",
                    "EMPLOYEEID": "dimensions.employee.id",
                    **_DIMENSION_LINE,
                },
            ),
            _obj(
                "EEXPENSES",
                "expenses/employee-expense",
                {
                    "RECORDID": "expenseReportNumber",
                    "EMPLOYEEID": "employee.id",
                    "FIRSTNAME": "employeeContact.firstName",
                    "LASTNAME": "employeeContact.lastName",
                    "WHENCREATED": "createdDate",
                    "AUWHENCREATED": "audit.createdDateTime",
                    "STATE": "state",
                    "MEMO": "memo",
                    "DESCRIPTION": "description",
                    "BASECURR": "basePayment.baseCurrency",
                    "TOTALENTERED": "basePayment.totalEntered",
                    "TOTALPAID": "basePayment.totalPaid",
                    "TOTALDUE": "basePayment.totalDue",
                    "CURRENCY": "reimbursement.reimbursementCurrency",
                },
                status=False,
                lines="lines",
                line_fields={
                    **AUDIT_FIELDS,
                    "RECORDKEY": "employeeExpense.key",
                    "LINE_NO": "lineNumber",
                    "ENTRYDATE": "entryDate",
                    "EXPENSETYPE": "expenseType.id",
                    "AMOUNT": "baseAmount",
                    "TRX_AMOUNT": "txnAmount",
                    "CURRENCY": "txnCurrency",
                    "QUANTITY": "quantity",
                    "UNITRATE": "unitRate",
                    "PAIDTO": "paidTo",
                    "PAIDFOR": "paidFor",
                    "GLACCOUNTNO": "glAccount.id",
                    "BILLABLE": "isBillable",
                    **_DIMENSION_LINE,
                },
            ),
        )
    }
)
"""The objects the sync needs, keyed by XML object name (lines too, as their own objects)."""

REST_OBJECTS = MappingProxyType(
    {
        **REST_OBJECTS,
        "TIMESHEETENTRY": RestObject(
            "TIMESHEETENTRY", "time/timesheet-line", REST_OBJECTS["TIMESHEET"].line_fields
        ),
        "EEXPENSESITEM": RestObject(
            "EEXPENSESITEM",
            "expenses/employee-expense-line",
            REST_OBJECTS["EEXPENSES"].line_fields,
        ),
    }
)


def rest_object(name: str) -> RestObject:
    """The REST mapping of one XML object.

    Args:
        name: The XML object name, any case (``"timesheet"``).

    Returns:
        Its :class:`RestObject`.

    Raises:
        ValueError: The table has no such object; the message names the known ones.
    """
    found = REST_OBJECTS.get(name.upper())
    if found is None:
        known = ", ".join(sorted(REST_OBJECTS))
        raise ValueError(f"no REST mapping for object {name!r}; known objects: {known}")
    return found
