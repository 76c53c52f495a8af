"""Field facts for spec checks: the package's ``lookup`` table plus a few documented gaps.

``intacct_sdk.schema`` holds real ``lookup`` output. It has no entry for the expense report
line object (EEXPENSESITEM), which is only reachable through its parent, so its fields are
listed here from Intacct's create/update documentation for ``EEXPENSES``; and lookup of
TIMESHEETENTRY omits a few fields that create accepts (CLASSID among them, per the request
XSD's ``create_timesheet``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Final

import attrs

from intacct_sdk import schema

__all__ = ["FieldFacts", "close_matches", "field_facts", "is_sensitive", "is_udd"]


@attrs.frozen(slots=True)
class FieldFacts:
    """What a spec check needs to know about one Intacct field."""

    datatype: str
    readonly: bool = False
    custom: bool = False
    writeonly: bool = False


_EEXPENSESITEM: Final[Mapping[str, FieldFacts]] = {
    name: FieldFacts(datatype, readonly)
    for name, datatype, readonly in (
        ("RECORDNO", "INTEGER", True),
        ("RECORDKEY", "INTEGER", True),
        ("LINE_NO", "INTEGER", False),
        ("EXPENSETYPE", "TEXT", False),
        ("GLACCOUNTNO", "TEXT", False),
        ("ENTRYDATE", "DATE", False),
        ("AMOUNT", "CURRENCY", False),
        ("TRX_AMOUNT", "CURRENCY", False),
        ("DESCRIPTION", "TEXT", False),
        ("REIMBURSABLE", "BOOLEAN", False),
        ("PROJECTKEY", "INTEGER", True),
        ("TASKKEY", "INTEGER", False),
        ("WHENCREATED", "TIMESTAMP", True),
        ("WHENMODIFIED", "TIMESTAMP", True),
        ("CURRENCY", "TEXT", False),
        ("QUANTITY", "DECIMAL", False),
        ("UNITRATE", "DECIMAL", False),
        ("PAIDTO", "TEXT", False),
        ("PAIDFOR", "TEXT", False),
        ("BILLABLE", "BOOLEAN", False),
        ("DEPARTMENTID", "TEXT", False),
        ("LOCATIONID", "TEXT", False),
        ("PROJECTID", "TEXT", False),
        ("TASKID", "TEXT", False),
        ("CUSTOMERID", "TEXT", False),
        ("VENDORID", "TEXT", False),
        ("EMPLOYEEID", "TEXT", False),
        ("ITEMID", "TEXT", False),
        ("CLASSID", "TEXT", False),
        ("CONTRACTID", "TEXT", False),
        ("WAREHOUSEID", "TEXT", False),
    )
}

_EXTRA: Final[Mapping[str, Mapping[str, FieldFacts]]] = {"EEXPENSESITEM": _EEXPENSESITEM}

# Fields a timesheet entry accepts on create (create_timesheet in the request XSD, and the
# generic create documentation) that lookup output does not list: write-only, since a query
# may only select what lookup lists.
_ADDED: Final[Mapping[str, Mapping[str, FieldFacts]]] = {
    "TIMESHEETENTRY": {
        name: FieldFacts("TEXT", writeonly=True)
        for name in ("CLASSID", "VENDORID", "CONTRACTID", "WAREHOUSEID")
    },
}

_UDD = re.compile(r"^GLDIM[A-Z0-9_]+$")

_SENSITIVE: Final = (
    re.compile(r"(^|\.)SSN$"),
    re.compile(r"(^|\.)TAXID$"),
    re.compile(r"(^|\.)FEDERALID$"),
    re.compile(r"(^|\.)ACH"),
    re.compile(r"ACCOUNT_?NUMBER"),
    re.compile(r"ROUTING_?NUMBER"),
    re.compile(r"(^|\.)BIRTHDATE$"),
)


def field_facts(object_name: str) -> Mapping[str, FieldFacts] | None:
    """The known fields of ``object_name``, or None when the object is unknown."""
    extra = _EXTRA.get(object_name.upper())
    if extra is not None:
        return extra
    obj = schema.get_schema(object_name)
    if obj is None:
        return None
    facts = {
        name: FieldFacts(info.datatype, info.readonly, info.custom)
        for name, info in obj.fields.items()
    }
    for name, fact in _ADDED.get(obj.name, {}).items():
        facts.setdefault(name, fact)
    return facts


def is_udd(field: str) -> bool:
    """Whether ``field`` names a user-defined dimension on a transaction (``GLDIM<NAME>``)."""
    return bool(_UDD.match(field))


def is_sensitive(field: str) -> bool:
    """Whether ``field`` holds personal or banking data never requested unless asked for."""
    name = field.upper()
    return any(p.search(name) for p in _SENSITIVE)


def close_matches(name: str, candidates: list[str]) -> list[str]:
    """Up to three known names that look like ``name``."""
    return difflib.get_close_matches(name.upper(), candidates, n=3, cutoff=0.6)
