"""Write-side functions: create, update, delete (approvals and legacy forms: ``_approvals``).

Every record is checked completely before anything is written, so a failing record leaves no
trace; records of one ``create`` are independent unless the operation is a transaction.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from intacct_sdk.testing._company import Company
from intacct_sdk.testing._expense_rules import expense_locked_error
from intacct_sdk.testing._functions import Call, FunctionFailure, Outcome, require_object
from intacct_sdk.testing._objects import LineRule, ObjectDef
from intacct_sdk.testing._prefs import DEFAULT_PREFERENCES, UserPreferences
from intacct_sdk.testing._timesheet_rules import (
    changed_fields,
    record_approval,
    rollup_state,
    second_sheet_error,
    week_start_error,
)
from intacct_sdk.testing._wire import ErrorEntry, child_text, data_list, esc

__all__ = ["TIMESHEET_DELETABLE", "WRITE_FUNCTIONS"]

Rec = dict[str, Any]

TIMESHEET_DELETABLE = frozenset({"Draft", "Saved", "Submitted", "Declined"})
_ACTIVE = frozenset({"active", "active non-posting"})
BL = "BL01001973"


def _err(text: str, correction: str = "") -> ErrorEntry:
    return ErrorEntry(BL, "", text, correction)


def _label(d: ObjectDef) -> str:
    return d.rules.label or d.name.title()


# ---------------------------------------------------------------------------------------------
# reading records from request XML


def _flat_children(el: ET.Element, prefix: str, out: Rec) -> None:
    for child in el:
        key = prefix + child.tag.upper()
        if len(child):
            _flat_children(child, key + ".", out)
        else:
            out[key] = (child.text or "").strip()


def parse_record(el: ET.Element, line: LineRule | None) -> Rec:
    """A request record element as a flat dict; owned line lists become lists of dicts."""
    out: Rec = {}
    for child in el:
        tag = child.tag.upper()
        if line is not None and tag == line.list_tag:
            items: list[Rec] = []
            for item in child:
                if item.tag.upper() != line.item_tag:
                    raise FunctionFailure(_err(f"Unexpected element {item.tag} in {tag}"))
                rec: Rec = {}
                _flat_children(item, "", rec)
                items.append(rec)
            out[tag] = items
        elif len(child):
            _flat_children(child, tag + ".", out)
        else:
            out[tag] = (child.text or "").strip()
    return out


# ---------------------------------------------------------------------------------------------
# checks


def _check_value(
    f_type: str, valid: tuple[str, ...], key: str, value: str
) -> tuple[str, str | None]:
    """Normalised value and an error text (None when fine)."""
    if f_type == "INTEGER":
        if not value.lstrip("-").isdigit():
            return value, f"{key}: '{value}' is not a whole number"
    elif f_type in ("DECIMAL", "CURRENCY", "PERCENT"):
        try:
            Decimal(value)
        except InvalidOperation:
            return value, f"{key}: '{value}' is not a number"
    elif f_type == "DATE":
        try:
            return datetime.strptime(value, "%m/%d/%Y").strftime("%m/%d/%Y"), None
        except ValueError:
            return value, f"{key}: '{value}' is not a date in MM/DD/YYYY format"
    elif f_type == "BOOLEAN":
        low = value.lower()
        if low not in ("true", "false"):
            return value, f"{key}: '{value}' is not true or false"
        return low, None
    if valid and value not in valid:
        return (
            value,
            f"{key}: '{value}' is not one of the valid values ({', '.join(v for v in valid if v)})",
        )
    return value, None


def _check_moment(
    f_type: str, gmt: bool, key: str, value: str, prefs: UserPreferences
) -> tuple[str, str | None]:
    """A date or timestamp written in the user's format, as stored, and an error text."""
    if f_type == "DATE" and prefs.canonical:
        return _check_value(f_type, (), key, value)
    if f_type == "DATE":
        stored = prefs.read_date(value)
        shape = prefs.date_format
    else:
        stored = prefs.read_stamp(value, gmt)
        shape = f"{prefs.date_format} and a {prefs.clock}-hour time"
    if stored is None:
        return value, f"{key}: '{value}' is not a {f_type.lower()} in the user's format ({shape})"
    return stored, None


def _clean(
    d: ObjectDef,
    rec: Rec,
    creating: bool,
    errors: list[ErrorEntry],
    prefs: UserPreferences = DEFAULT_PREFERENCES,
) -> Rec:
    """Known, writable, well-typed fields of ``rec`` (errors for the rest).

    Dates and timestamps are read in the API user's format and zone (``prefs``) and kept
    in the stored form (``MM/DD/YYYY``, timestamps in UTC).
    """
    out: Rec = {}
    line = d.rules.line
    for key, value in rec.items():
        if line is not None and key == line.list_tag:
            continue
        f = d.fields.get(key)
        if f is None:
            errors.append(
                _err(
                    f"{key} is not a field of {d.name}",
                    "Use lookup to see the object's fields.",
                )
            )
            continue
        if f.readonly and key != "RECORDNO":
            continue
        if value == "":
            if not creating:
                out[key] = ""
            continue
        if f.datatype in ("DATE", "TIMESTAMP"):
            norm, problem = _check_moment(f.datatype, f.gmt, key, value, prefs)
        else:
            norm, problem = _check_value(f.datatype, f.valid_values, key, value)
        if problem:
            errors.append(_err(f"Invalid value for {problem}"))
        else:
            out[key] = norm
    return out


def _is_active(row: Mapping[str, Any]) -> bool:
    return str(row.get("STATUS") or "active") in _ACTIVE


def _check_refs(call: Call, d: ObjectDef, rec: Rec, errors: list[ErrorEntry]) -> None:
    company = call.company
    for ref in d.rules.refs:
        v = rec.get(ref.field)
        if not v:
            continue
        target = company.resolve(ref.object_name)
        if target is None:
            continue
        if ref.by == "recordno":
            row = company.table(target.name).rows.get(int(v)) if str(v).isdigit() else None
        else:
            row = company.find(target.name, str(v))
        if row is None:
            errors.append(
                _err(
                    f"Invalid {_label(target)} '{v}' specified.",
                    f"Use an existing {_label(target).lower()}.",
                )
            )
            continue
        if ref.active and not _is_active(row):
            errors.append(
                _err(
                    f"{_label(target)} '{v}' is inactive.",
                    f"Use an active {_label(target).lower()}.",
                )
            )
            continue
        for dst, src in ref.fill:
            if dst in d.fields:
                rec[dst] = row.get(src, "")
    for key in list(rec):
        if key.startswith("GLDIM") and rec[key]:
            udd = key[5:]
            udd_def = company.udd_definition(udd)
            if udd_def is None:
                continue
            val = str(rec[key])
            row = company.find(udd, val)
            if row is None and val.isdigit():
                row = company.table(udd).rows.get(int(val))
            if row is None or not _is_active(row):
                errors.append(
                    _err(
                        f"Invalid {_label(udd_def)} '{val}' specified.",
                        "Use an existing, active dimension value.",
                    )
                )


def _check_entity(call: Call, d: ObjectDef, rec: Rec, errors: list[ErrorEntry]) -> None:
    field = d.rules.entity_field
    if not field or call.company.entities <= 0:
        return
    if not rec.get(field):
        if call.location_id:
            rec[field] = call.location_id
        else:
            errors.append(
                _err(f"{field} is required in a multi-entity company.", f"Provide {field}.")
            )


def _stamp(call: Call, d: ObjectDef, rec: Rec, creating: bool) -> None:
    now = call.company.stamp()
    if creating:
        f = d.fields.get("WHENCREATED")
        if f is not None and f.datatype == "DATE":
            rec.setdefault("WHENCREATED", now[:10])
        else:
            rec["WHENCREATED"] = now
    rec["WHENMODIFIED"] = now


# ---------------------------------------------------------------------------------------------
# plain objects


def _create_plain(call: Call, d: ObjectDef, raw: Rec) -> Rec:
    errors: list[ErrorEntry] = []
    rec = _clean(d, raw, True, errors, call.prefs)
    rec.pop("RECORDNO", None)
    errors.extend(
        _err(f"{req} is required.", f"Provide a value for {req}.")
        for req in d.rules.required
        if not rec.get(req) and not (req == d.id_field and d.rules.auto_id)
    )
    if d.rules.scope_field and d.id_field and rec.get(d.id_field):
        key = (str(rec.get(d.rules.scope_field, "")), str(rec[d.id_field]))
        if call.company.find(d.name, key) is not None:
            errors.append(
                _err(
                    f"Another {_label(d)} with the given value(s) {rec[d.id_field]}"
                    f" already exists in project {key[0]}"
                )
            )
    elif d.id_field and rec.get(d.id_field) and call.company.find(d.name, str(rec[d.id_field])):
        errors.append(
            ErrorEntry(
                "BL34000061",
                "",
                f"Another {_label(d)} with the given value(s) {rec[d.id_field]} already exists",
                "Use a unique value.",
            )
        )
    _check_refs(call, d, rec, errors)
    _check_entity(call, d, rec, errors)
    if errors:
        raise FunctionFailure(*errors, _err(f"Could not create {_label(d)} record!"))
    rn = call.company.next_recordno(d.name)
    rec["RECORDNO"] = str(rn)
    if d.id_field and not rec.get(d.id_field):
        ident = str(rn)
        while call.company.find(d.name, ident) is not None:
            ident += "-1"
        rec[d.id_field] = ident
    if d.rules.status_field and not rec.get(d.rules.status_field):
        rec[d.rules.status_field] = "active"
    for k, v in d.rules.defaults:
        rec.setdefault(k, v)
    if d.name == "EMPLOYEE":
        rec.setdefault("PERSONALINFO.PRINTAS", rec.get("PERSONALINFO.CONTACTNAME", ""))
    _stamp(call, d, rec, True)
    call.company.put(d, rec)
    return rec


def _find_for_update(call: Call, d: ObjectDef, raw: Rec) -> Rec:
    rn_text = raw.get("RECORDNO", "")
    t = call.company.table(d.name)
    if rn_text:
        row = t.rows.get(int(rn_text)) if rn_text.isdigit() else None
        if row is None:
            raise FunctionFailure(
                ErrorEntry(f"Cannot update non-existing {d.name} with RECORDNO={rn_text}.")
            )
        return row
    idf = d.id_field
    if idf and d.rules.update_by_id and raw.get(idf):
        row = call.company.find(d.name, raw[idf])
        if row is None:
            raise FunctionFailure(
                ErrorEntry(f"Cannot update non-existing {d.name} with {idf}={raw[idf]}.")
            )
        return row
    keys = "RECORDNO" + (f" or {idf}" if idf and d.rules.update_by_id else "")
    raise FunctionFailure(_err(f"{d.name} update needs {keys}.", f"Provide {keys}."))


def _update_plain(call: Call, d: ObjectDef, raw: Rec) -> Rec:
    old = _find_for_update(call, d, raw)
    errors: list[ErrorEntry] = []
    changes = _clean(d, raw, False, errors, call.prefs)
    changes.pop("RECORDNO", None)
    if d.id_field and d.id_field in changes and changes[d.id_field] != old.get(d.id_field):
        if d.rules.update_by_id and not raw.get("RECORDNO"):
            pass  # the ID named the record
        elif not d.rules.scope_field and call.company.find(d.name, str(changes[d.id_field])):
            errors.append(
                ErrorEntry(
                    "BL34000061",
                    "",
                    f"Another {_label(d)} with the given value(s) {changes[d.id_field]}"
                    " already exists",
                )
            )
    rec = dict(old)
    rec.update(changes)
    errors.extend(
        _err(f"{req} is required.", f"Provide a value for {req}.")
        for req in d.rules.required
        if not rec.get(req)
    )
    _check_refs(call, d, rec, errors)
    _check_entity(call, d, rec, errors)
    if errors:
        raise FunctionFailure(*errors, _err(f"Could not update {_label(d)} record!"))
    _stamp(call, d, rec, False)
    call.company.put(d, rec)
    return rec


# ---------------------------------------------------------------------------------------------
# objects with lines (timesheets, expense reports)


def _state_action(raw: Rec, default: str) -> str:
    state = raw.pop("STATE", "") or default
    if state not in ("Draft", "Submitted", "Saved"):
        raise FunctionFailure(
            _err(
                f"Invalid STATE '{state}': use Draft or Submitted.",
                "STATE is an action on create and update.",
            )
        )
    return state


def _check_lines(
    call: Call, d: ObjectDef, header: Rec, items: list[Rec], errors: list[ErrorEntry]
) -> list[Rec]:
    line = d.rules.line
    assert line is not None
    ld = call.company.resolve(line.object_name)
    assert ld is not None
    out: list[Rec] = []
    if not items:
        errors.append(
            _err(f"A {_label(d)} needs at least one {line.item_tag}.", f"Add a {line.item_tag}.")
        )
    for i, raw in enumerate(items, start=1):
        n = len(errors)
        rec = _clean(ld, raw, True, errors, call.prefs)
        errors.extend(
            _err(f"Line {i}: {req} is required.") for req in line.required if not rec.get(req)
        )
        if d.name == "TIMESHEET":
            _check_task(call, rec, i, errors)
        _check_refs(call, ld, rec, errors)
        _check_entity(call, ld, rec, errors)
        if len(errors) == n:
            out.append(rec)
    return out


def _check_task(call: Call, rec: Rec, i: int, errors: list[ErrorEntry]) -> None:
    company = call.company
    task_id, task_key = rec.get("TASKID"), rec.get("TASKKEY")
    if task_id and task_key:
        errors.append(_err(f"Line {i}: give TASKID or TASKKEY, not both."))
        return
    task = None
    if task_key:
        task = company.table("TASK").rows.get(int(task_key))
        if task is None:
            errors.append(_err(f"Line {i}: Invalid Task '{task_key}' specified."))
            return
    elif task_id:
        if not rec.get("PROJECTID"):
            errors.append(_err(f"Line {i}: TASKID needs PROJECTID.", "Provide the task's project."))
            return
        task = company.find("TASK", (rec["PROJECTID"], task_id))
        if task is None:
            errors.append(
                _err(f"Line {i}: Invalid Task '{task_id}' for project {rec['PROJECTID']}.")
            )
            return
    if task is None:
        return
    if rec.get("PROJECTID") and rec["PROJECTID"] != task.get("PROJECTID"):
        errors.append(
            _err(
                f"Line {i}: Task {task.get('TASKID')} does not belong to project"
                f" {rec['PROJECTID']}."
            )
        )
        return
    rec["PROJECTID"] = task.get("PROJECTID", "")
    rec["TASKKEY"] = task["RECORDNO"]
    rec["TASKID"] = task.get("TASKID", "")
    rec["TASKNAME"] = task.get("NAME", "")


def _write_lines(
    call: Call,
    d: ObjectDef,
    header: Rec,
    lines: list[Rec],
    keep: Mapping[str, Rec],
    locked: Mapping[str, Rec] | None = None,
) -> None:
    """Store a record's lines; ``locked`` (approved entries) are left exactly as stored.

    With locked entries, the other lines are numbered after them and await approval.
    """
    line = d.rules.line
    assert line is not None
    ld = call.company.resolve(line.object_name)
    assert ld is not None
    entry_state = header.get("STATE", "")
    number = 0
    if locked:
        entry_state = "Submitted"
        lines = [x for x in lines if str(x.get("RECORDNO", "")) not in locked]
        number = max(int(x.get("LINENO") or 0) for x in locked.values())
    for i, rec in enumerate(lines, start=number + 1):
        old = keep.get(str(rec.get("RECORDNO", "")))
        if old is not None:
            rn = int(old["RECORDNO"])
        else:
            rn = call.company.next_recordno(ld.name)
        rec["RECORDNO"] = str(rn)
        rec[line.parent_key] = header["RECORDNO"]
        if d.name == "TIMESHEET":
            rec["LINENO"] = str(i)
            rec["STATE"] = entry_state
            rec["EMPLOYEEID"] = header.get("EMPLOYEEID", "")
            rec["EMPLOYEEDIMKEY"] = header.get("EMPLOYEEKEY", "")
            rec["TS_BEGINDATE"] = header.get("BEGINDATE", "")
            rec["TS_ENDDATE"] = header.get("ENDDATE", "")
            rec.setdefault("BILLABLE", "false")
            rec.setdefault("BILLED", "false")
        else:
            rec["LINE_NO"] = str(i)
        if old is not None:
            rec["WHENCREATED"] = old.get("WHENCREATED", "")
            _stamp(call, ld, rec, False)
        else:
            _stamp(call, ld, rec, True)
        call.company.put(ld, rec)
        if d.name == "TIMESHEET" and entry_state == "Submitted":
            _approval_row(call, header, rec, "Submitted", "", "")


def _lines_of(company: Company, d: ObjectDef, record_no: str) -> list[Rec]:
    line = d.rules.line
    assert line is not None
    return [
        r
        for r in company.table(line.object_name).rows.values()
        if r.get(line.parent_key) == record_no
    ]


def _header_fill(d: ObjectDef, rec: Rec, lines: list[Rec]) -> None:
    if d.name == "TIMESHEET":
        begin = datetime.strptime(rec["BEGINDATE"], "%m/%d/%Y")
        rec.setdefault("ENDDATE", (begin + timedelta(days=6)).strftime("%m/%d/%Y"))
        rec["LINES#"] = str(len(lines))
    else:
        total = sum((Decimal(str(x.get("AMOUNT") or "0")) for x in lines), Decimal(0))
        rec["TOTALENTERED"] = str(total)
        rec["TOTALDUE"] = str(total)
    for k, v in d.rules.defaults:
        rec.setdefault(k, v)


def _create_with_lines(call: Call, d: ObjectDef, raw: Rec, default_state: str = "Draft") -> Rec:
    line = d.rules.line
    assert line is not None
    items = raw.pop(line.list_tag, [])
    if not isinstance(items, list):
        items = []
    state = _state_action(raw, default_state) if d.name == "TIMESHEET" else None
    errors: list[ErrorEntry] = []
    rec = _clean(d, raw, True, errors, call.prefs)
    rec.pop("RECORDNO", None)
    errors.extend(
        _err(f"{req} is required.", f"Provide a value for {req}.")
        for req in d.rules.required
        if not rec.get(req)
    )
    _check_week(call, d, rec, errors)
    _check_one_per_week(call, d, rec, errors)
    _check_refs(call, d, rec, errors)
    lines = _check_lines(call, d, rec, items, errors)
    if errors:
        raise FunctionFailure(*errors, _err(f"Could not create {_label(d)} record!"))
    rn = call.company.next_recordno(d.name)
    rec["RECORDNO"] = str(rn)
    if d.id_field and not rec.get(d.id_field):
        rec[d.id_field] = str(rn)
    if state is not None:
        rec["STATE"] = state
    _header_fill(d, rec, lines)
    _stamp(call, d, rec, True)
    call.company.put(d, rec)
    _write_lines(call, d, rec, lines, {})
    return rec


def _check_week(call: Call, d: ObjectDef, rec: Rec, errors: list[ErrorEntry]) -> None:
    if d.name == "TIMESHEET":
        week_start = getattr(call.company, "week_start", None)
        text = week_start_error(str(rec.get("BEGINDATE", "")), week_start)
        if text:
            errors.append(_err(text, f"Give a BEGINDATE that is a {week_start}."))


def _check_one_per_week(call: Call, d: ObjectDef, rec: Rec, errors: list[ErrorEntry]) -> None:
    if d.name == "TIMESHEET" and getattr(call.company, "one_timesheet_per_week", False):
        text = second_sheet_error(call.company.table(d.name).rows.values(), rec)
        if text:
            errors.append(_err(text, "Correct that timesheet instead of adding another."))


def _check_locked(
    old: Rec, rec: Rec, locked: Mapping[str, Rec], lines: list[Rec], errors: list[ErrorEntry]
) -> None:
    """Approved entries must come back unchanged, by RECORDNO; new ones may be added."""
    rn = old["RECORDNO"]
    errors.extend(
        _err(
            f"Timesheet {rn} has approved entries: its {f} cannot be changed.",
            "Send the timesheet's approved entries unchanged and add new ones.",
        )
        for f in ("EMPLOYEEID", "BEGINDATE", "ENDDATE")
        if str(rec.get(f, "")) != str(old.get(f, ""))
    )
    sent = {str(x.get("RECORDNO", "")): x for x in lines}
    for lrn, entry in locked.items():
        if lrn not in sent:
            errors.append(
                _err(
                    f"Timesheet entry {lrn} is Approved and cannot be removed.",
                    "Send it unchanged with its RECORDNO; to correct it, add an entry with"
                    " the negative quantity.",
                )
            )
            continue
        changed = changed_fields(entry, sent[lrn])
        if changed:
            errors.append(
                _err(
                    f"Timesheet entry {lrn} is Approved and cannot be changed"
                    f" ({', '.join(changed)}).",
                    "To correct approved time, add an entry with the negative quantity and a"
                    " new entry with the right values.",
                )
            )


def _update_with_lines(call: Call, d: ObjectDef, raw: Rec) -> Rec:
    line = d.rules.line
    assert line is not None
    rn_text = raw.get("RECORDNO", "")
    old = call.company.table(d.name).rows.get(int(rn_text)) if rn_text.isdigit() else None
    if old is None:
        raise FunctionFailure(
            ErrorEntry(f"Cannot update non-existing {d.name} with RECORDNO={rn_text}."),
        )
    current = str(old.get("STATE", ""))
    old_lines = {r["RECORDNO"]: r for r in _lines_of(call.company, d, rn_text)}
    locked = {k: r for k, r in old_lines.items() if r.get("STATE") == "Approved"}
    if d.name != "TIMESHEET":
        locked = {}
    if d.name == "EEXPENSES" and (refusal := expense_locked_error(rn_text, current)):
        raise FunctionFailure(_err(refusal), _err(f"Could not update {_label(d)} record!"))
    items = raw.pop(line.list_tag, None)
    state = None
    if d.name == "TIMESHEET":
        state = _state_action(raw, "Draft" if current in ("Draft", "Saved") else "Submitted")
        if locked and state != "Submitted":
            raise FunctionFailure(
                _err(
                    f"Timesheet {rn_text} has approved entries and cannot become {state}.",
                    "New entries on a timesheet with approved time are submitted.",
                ),
                _err("Could not update Timesheet record!"),
            )
    errors: list[ErrorEntry] = []
    changes = _clean(d, raw, False, errors, call.prefs)
    changes.pop("RECORDNO", None)
    rec = dict(old)
    rec.update(changes)
    errors.extend(
        _err(f"{req} is required.", f"Provide a value for {req}.")
        for req in d.rules.required
        if not rec.get(req)
    )
    if items is None:
        errors.append(
            _err(
                f"{line.list_tag} is required: an update replaces every line.",
                f"Send all {line.item_tag} elements.",
            )
        )
        items = []
    if "BEGINDATE" in changes:
        _check_week(call, d, rec, errors)
    _check_refs(call, d, rec, errors)
    lines = _check_lines(call, d, rec, items, errors)
    if locked and not errors:
        _check_locked(old, rec, locked, lines, errors)
    if errors:
        raise FunctionFailure(*errors, _err(f"Could not update {_label(d)} record!"))
    ld = call.company.resolve(line.object_name)
    assert ld is not None
    keep_ids = {str(x.get("RECORDNO", "")) for x in lines}
    for lrn, _r in list(old_lines.items()):
        if lrn not in keep_ids:
            call.company.remove(ld, int(lrn))
    if state is not None:
        rec["STATE"] = state
    elif d.name == "EEXPENSES" and current == "Declined":
        rec["STATE"] = "Submitted"  # corrected after a decline: back for approval
    if "BEGINDATE" in changes and "ENDDATE" not in changes:
        rec.pop("ENDDATE", None)  # recomputed from the new BEGINDATE
    _header_fill(d, rec, lines)
    if locked:
        rec["STATE"] = rollup_state(
            ["Approved"] * len(locked) + ["Submitted"] * (len(lines) - len(locked))
        )
    _stamp(call, d, rec, False)
    call.company.put(d, rec)
    _write_lines(call, d, rec, lines, old_lines, locked)
    return rec


# ---------------------------------------------------------------------------------------------
# create / update


def _result_row(d: ObjectDef, rec: Mapping[str, Any]) -> str:
    tag = d.name.lower()
    idf = d.id_field
    inner = f"<RECORDNO>{esc(str(rec['RECORDNO']))}</RECORDNO>"
    if idf and idf != "RECORDNO":
        inner += f"<{idf}>{esc(str(rec.get(idf, '')))}</{idf}>"
    return f"<{tag}>{inner}</{tag}>"


def _create_or_update(call: Call, creating: bool) -> Outcome:
    rows: list[str] = []
    errors: list[ErrorEntry] = []
    objs = list(call.element)
    if not objs:
        raise FunctionFailure(_err(f"{call.function} needs at least one object element."))
    for el in objs:
        d = require_object(call.company, el.tag, call.function)
        try:
            _refuse_read_only(d)
            if d.rules.child_of:
                raise FunctionFailure(
                    _err(
                        f"{d.name} records are written through their {d.rules.child_of}.",
                        f"{call.function} the {d.rules.child_of} instead.",
                    )
                )
            if not d.rules.generic_write:
                legacy = f"{call.function}_{d.name.lower()}"
                raise FunctionFailure(
                    _err(f"{d.name} cannot be written with {call.function}.", f"Use {legacy}.")
                )
            raw = parse_record(el, d.rules.line)
            if d.rules.line is not None:
                rec = (
                    _create_with_lines(call, d, raw)
                    if creating
                    else _update_with_lines(call, d, raw)
                )
            else:
                rec = _create_plain(call, d, raw) if creating else _update_plain(call, d, raw)
        except FunctionFailure as exc:
            errors.extend(exc.errors)
            continue
        rows.append(_result_row(d, rec))
    payload = data_list([("listtype", "objects"), ("count", len(rows))], rows)
    return Outcome(payload, tuple(errors))


# ---------------------------------------------------------------------------------------------
# delete


def _refuse_read_only(d: ObjectDef) -> None:
    if d.rules.read_only:
        raise FunctionFailure(
            _err(
                f"{d.name} is read-only: Intacct writes its records itself.",
                f"Read {d.name} with query, readByQuery or read.",
            )
        )


def _delete_one(call: Call, d: ObjectDef, key: str) -> None:
    _refuse_read_only(d)
    t = call.company.table(d.name)
    row = t.rows.get(int(key)) if key.isdigit() else None
    if row is None:
        raise FunctionFailure(_err(f"Cannot find {_label(d).lower()} with key '{key}' to delete."))
    if d.rules.child_of:
        raise FunctionFailure(
            _err(f"{d.name} records are deleted through their {d.rules.child_of}.")
        )
    if d.name == "TIMESHEET":
        state = str(row.get("STATE", ""))
        if state not in TIMESHEET_DELETABLE:
            raise FunctionFailure(_err(f"Timesheet {key} is {state} and cannot be deleted."))
    if d.name == "EEXPENSES" and (refusal := expense_locked_error(key, str(row.get("STATE", "")))):
        raise FunctionFailure(_err(refusal))
    call.company.remove_with_owned(d, int(key))


def _delete(call: Call) -> Outcome:
    el = call.element
    d = require_object(call.company, child_text(el, "object"), call.function)
    keys = [k.strip() for k in (child_text(el, "keys") or "").split(",") if k.strip()]
    if not keys:
        raise FunctionFailure(_err("delete needs <keys>."))
    errors: list[ErrorEntry] = []
    for k in keys:
        try:
            _delete_one(call, d, k)
        except FunctionFailure as exc:
            errors.extend(exc.errors)
    return Outcome("", tuple(errors))


# ---------------------------------------------------------------------------------------------
# approve / decline


def _approval_row(call: Call, ts: Rec, entry: Rec, state: str, by: str, comment: str) -> None:
    record_approval(call.company, ts, entry, state, by, comment)


WRITE_FUNCTIONS: dict[str, Callable[[Call], Outcome]] = {
    "create": lambda c: _create_or_update(c, creating=True),
    "update": lambda c: _create_or_update(c, creating=False),
    "delete": _delete,
}
