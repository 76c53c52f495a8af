"""Timesheet approvals and the legacy (dtdversion 3.0, non-generic) write functions.

``approve``/``decline`` act on submitted timesheet entries; ``create_timesheet``,
``update_timesheet``, ``delete_timesheet`` and the ``*_timetype`` functions take the legacy
lowercase elements and run through the same checks as the generic functions.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from intacct_sdk.testing._functions import Call, FunctionFailure, Outcome, require_object
from intacct_sdk.testing._objects import ObjectDef
from intacct_sdk.testing._timesheet_rules import DecisionError, decide
from intacct_sdk.testing._wire import child_text, esc
from intacct_sdk.testing._writes import (
    Rec,
    _create_plain,
    _create_with_lines,
    _delete_one,
    _err,
    _update_plain,
    _update_with_lines,
)

__all__ = ["APPROVAL_FUNCTIONS"]


def _approve_or_decline(call: Call) -> Outcome:
    approve = call.function == "approve"
    el = next(iter(call.element), None)
    if el is None or el.tag.upper() != "TIMESHEET":
        name = el.tag if el is not None else ""
        raise FunctionFailure(
            _err(f"{call.function} of '{name}' is not supported by the emulator; use TIMESHEET.")
        )
    require_object(call.company, "TIMESHEET", call.function)
    require_object(call.company, "TIMESHEETENTRY", call.function)
    by = (
        child_text(el, "APPROVEDBY" if approve else "DECLINEDBY")
        or child_text(el, "APPROVEDBY")
        or ""
    )
    keys_text = child_text(el, "ENTRYKEYS")
    keys = [x.strip() for x in keys_text.split(",") if x.strip()] if keys_text else None
    try:
        decide(
            call.company,
            child_text(el, "RECORDNO") or "",
            approve=approve,
            by=by,
            comment=child_text(el, "COMMENT") or "",
            entries=keys,
        )
    except DecisionError as exc:
        raise FunctionFailure(_err(str(exc))) from None
    return Outcome()


# ---------------------------------------------------------------------------------------------
# legacy timesheet functions

_LEGACY_ITEM = {
    "customerid": "CUSTOMERID",
    "itemid": "ITEMID",
    "projectid": "PROJECTID",
    "taskkey": "TASKKEY",
    "taskid": "TASKID",
    "locationid": "LOCATIONID",
    "departmentid": "DEPARTMENTID",
    "classid": "CLASSID",
    "vendorid": "VENDORID",
    "qty": "QTY",
    "timesheetentrydescription": "DESCRIPTION",
    "description": "DESCRIPTION",
    "notes": "NOTES",
    "billable": "BILLABLE",
    "timetype": "TIMETYPE",
    "employeeid": "EMPLOYEEID",
    "extbillrate": "EXTBILLRATE",
    "extcostrate": "EXTCOSTRATE",
}


def _legacy_date(el: ET.Element) -> str:
    try:
        y, m, d = (int(child_text(el, k) or "") for k in ("year", "month", "day"))
        return f"{m:02d}/{d:02d}/{y:04d}"
    except ValueError:
        raise FunctionFailure(_err(f"{el.tag}: expected <year>, <month> and <day>.")) from None


def _legacy_custom(el: ET.Element, out: Rec) -> None:
    for cf in el.findall("customfield"):
        name = (child_text(cf, "customfieldname") or "").upper()
        if name:
            out[name] = child_text(cf, "customfieldvalue") or ""


def _legacy_record(call: Call, el: ET.Element) -> Rec:
    rec: Rec = {}
    items: list[Rec] = []
    for child in el:
        tag = child.tag
        if tag == "employeeid":
            rec["EMPLOYEEID"] = (child.text or "").strip()
        elif tag == "begindate":
            rec["BEGINDATE"] = _legacy_date(child)
        elif tag in ("timesheetdescription", "description"):
            rec["DESCRIPTION"] = (child.text or "").strip()
        elif tag == "supdocid":
            rec["SUPDOCID"] = (child.text or "").strip()
        elif tag == "state":
            rec["STATE"] = (child.text or "").strip()
        elif tag == "customfields":
            _legacy_custom(child, rec)
        elif tag == "timesheetitems":
            items.extend(_legacy_item(call, item) for item in child.findall("timesheetitem"))
        else:
            raise FunctionFailure(_err(f"Unexpected element <{tag}> in <{el.tag}>."))
    rec["TIMESHEETENTRIES"] = items
    return rec


def _legacy_item(call: Call, item: ET.Element) -> Rec:
    out: Rec = {}
    for c in item:
        tag = c.tag
        if tag == "entrydate":
            out["ENTRYDATE"] = _legacy_date(c)
        elif tag == "customfields":
            _legacy_custom(c, out)
        elif tag == "lineno":
            continue
        elif tag == "taskname":
            name = (c.text or "").strip()
            proj = child_text(item, "projectid") or ""
            task = next(
                (
                    t
                    for t in call.company.table("TASK").rows.values()
                    if t.get("NAME") == name and t.get("PROJECTID") == proj
                ),
                None,
            )
            if task is None:
                raise FunctionFailure(_err(f"Invalid Task '{name}' for project {proj}."))
            out["TASKKEY"] = task["RECORDNO"]
        elif tag in _LEGACY_ITEM:
            out[_LEGACY_ITEM[tag]] = (c.text or "").strip()
        else:
            raise FunctionFailure(_err(f"Unexpected element <{tag}> in <timesheetitem>."))
    return out


def _create_timesheet_legacy(call: Call) -> Outcome:
    d = require_object(call.company, "TIMESHEET", call.function)
    raw = _legacy_record(call, call.element)
    rec = _create_with_lines(call, d, raw, default_state="Submitted")
    return Outcome(f"<key>{esc(str(rec['RECORDNO']))}</key>")


def _update_timesheet_legacy(call: Call) -> Outcome:
    d = require_object(call.company, "TIMESHEET", call.function)
    raw = _legacy_record(call, call.element)
    raw["RECORDNO"] = call.element.get("key", "")
    rec = _update_with_lines(call, d, raw)
    return Outcome(f"<key>{esc(str(rec['RECORDNO']))}</key>")


def _delete_timesheet_legacy(call: Call) -> Outcome:
    d = require_object(call.company, "TIMESHEET", call.function)
    _delete_one(call, d, call.element.get("key", ""))
    return Outcome()


def _legacy_plain(call: Call, object_name: str) -> tuple[ObjectDef, Rec]:
    d = require_object(call.company, object_name, call.function)
    rec: Rec = {}
    for child in call.element:
        if len(child):
            raise FunctionFailure(_err(f"Unexpected element <{child.tag}> in <{call.function}>."))
        rec[child.tag.upper()] = (child.text or "").strip()
    return d, rec


def _create_timetype_legacy(call: Call) -> Outcome:
    d, rec = _legacy_plain(call, "TIMETYPE")
    created = _create_plain(call, d, rec)
    return Outcome(f"<key>{esc(str(created['NAME']))}</key>")


def _update_timetype_legacy(call: Call) -> Outcome:
    d, rec = _legacy_plain(call, "TIMETYPE")
    rec["NAME"] = call.element.get("key", "")
    updated = _update_plain(call, d, rec)
    return Outcome(f"<key>{esc(str(updated['NAME']))}</key>")


def _delete_timetype_legacy(call: Call) -> Outcome:
    d = require_object(call.company, "TIMETYPE", call.function)
    key = call.element.get("key", "")
    row = call.company.find("TIMETYPE", key)
    if row is None:
        raise FunctionFailure(_err(f"Cannot find time type with key '{key}' to delete."))
    call.company.remove(d, int(row["RECORDNO"]))
    return Outcome()


APPROVAL_FUNCTIONS: dict[str, Callable[[Call], Outcome]] = {
    "approve": _approve_or_decline,
    "decline": _approve_or_decline,
    "create_timesheet": _create_timesheet_legacy,
    "update_timesheet": _update_timesheet_legacy,
    "delete_timesheet": _delete_timesheet_legacy,
    "create_timetype": _create_timetype_legacy,
    "update_timetype": _update_timetype_legacy,
    "delete_timetype": _delete_timetype_legacy,
}
