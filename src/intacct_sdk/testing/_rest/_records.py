"""The object endpoints: GET, POST (one or a batch), PATCH and DELETE of one record.

Writes are turned into the XML emulator's ``create``, ``update`` and ``delete`` so its write
rules apply. PATCH of an owner with lines merges the lines as REST does (a line with ``key``
is updated, one without is added, ``"ia::operation": "delete"`` removes one) and sends the
merged set as one XML update: header and lines change together or not at all.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from intacct_sdk.rest.names import RestObject
from intacct_sdk.testing._objects import ObjectDef
from intacct_sdk.testing._rest._convert import flatten, to_xml
from intacct_sdk.testing._rest._service import MAX_BATCH, RestFailure, Service, _bad, failure_of

__all__ = ["create", "delete", "read_one", "update"]

_IGNORED = frozenset({"key", "href", "id"})


def _put(parent: ET.Element, dotted: str, text: str) -> None:
    here = parent
    parts = dotted.split(".")
    for p in parts[:-1]:
        nxt = here.find(p)
        if nxt is None:
            nxt = ET.SubElement(here, p)
        here = nxt
    ET.SubElement(here, parts[-1]).text = text


def _id_of_key(svc: Service, d: ObjectDef, key_field: str, key: Any) -> tuple[str, str] | None:
    """The reference a ``....key`` names: (the XML id field, the target's id), or None."""
    for ref in d.rules.refs:
        if (key_field, "RECORDNO") not in ref.fill:
            continue
        target = svc.em.company.resolve(ref.object_name)
        text = str(key or "")
        row = (
            svc.em.company.table(target.name).rows.get(int(text))
            if target and text.isdigit()
            else None
        )
        if target is None or row is None or not target.id_field:
            raise _bad(f"No {ref.object_name.lower()} with key '{text}'.", key_field)
        return ref.field, str(row.get(target.id_field, ""))
    return None


def _fields_el(
    tag: str,
    d: ObjectDef,
    mapping: Mapping[str, str],
    body: Mapping[str, Any],
    skip: set[str],
    svc: Service | None = None,
) -> ET.Element:
    """An XML record element from a REST record (without its lines).

    A reference given by ``key`` alone (``{"employee": {"key": "5"}}``) is written by the id
    of the record with that key.
    """
    inverse = {v: k for k, v in mapping.items()}
    el = ET.Element(tag)
    given = dict(flatten(body))
    for path, value in given.items():
        xml_key = inverse.get(path)
        if svc is not None and xml_key and path.endswith(".key") and value not in (None, ""):
            sibling = path[: -len("key")] + "id"
            if given.get(sibling) in (None, ""):
                found = _id_of_key(svc, d, xml_key, value)
                if found is not None:
                    _put(el, found[0], found[1])
    for path, value in given.items():
        if path in skip or path.startswith(("audit.", "ia::")) or path in _IGNORED - {"id"}:
            continue
        xml = inverse.get(path)
        if xml is None:
            if path == "id":
                continue
            raise _bad(f"/{path.replace('.', '/')} is not a valid field", f"/{path}")
        if xml == "RECORDNO":
            continue
        _put(el, xml, to_xml(d.fields.get(xml), value))
    return el


def _line_def(svc: Service, d: ObjectDef) -> ObjectDef:
    line = d.rules.line
    assert line is not None
    ld = svc.em.company.resolve(line.object_name)
    assert ld is not None
    return ld


def _lines_el(
    svc: Service, ro: RestObject, d: ObjectDef, lines: list[Any], keep: Mapping[str, Any]
) -> ET.Element:
    line = d.rules.line
    assert line is not None
    ld = _line_def(svc, d)
    out = ET.Element(line.list_tag)
    for i, item in enumerate(lines, 1):
        if not isinstance(item, Mapping):
            raise _bad(f"line {i} must be an object.", f"/{ro.lines}/{i - 1}")
        el = _fields_el(line.item_tag, ld, ro.line_fields, item, {"timesheet.key"}, svc)
        key = keep.get(str(item.get("key", "")))
        if key is not None:
            ET.SubElement(el, "RECORDNO").text = str(key)
        out.append(el)
    return out


def _reference(ro: RestObject, d: ObjectDef, rec: Mapping[str, Any]) -> dict[str, str]:
    key = str(rec.get("RECORDNO", ""))
    idf = d.id_field
    rid = str(rec.get(idf, key)) if idf and ro.fields.get(idf) == "id" else key
    return {"key": key, "id": rid, "href": f"/objects/{ro.path}/{key}"}


def read_one(svc: Service, path: str, key: str) -> dict[str, Any]:
    """``GET /objects/{path}/{key}``: the record with every mapped field (and its lines)."""
    ro, d = svc.rest_object(path)
    row = svc.em.company.visible(d.name).get(int(key)) if key.isdigit() else None
    if row is None:
        raise RestFailure(404, "notFound", f"No {path} record with key '{key}'.")
    paths = [*list(ro.fields.values()), "href"]
    out = svc.record(ro, d, row, paths)
    out.setdefault("id", str(row.get("RECORDNO")))
    if ro.lines and d.rules.line is not None:
        ld = _line_def(svc, d)
        line = d.rules.line
        rows = [
            r
            for r in svc.em.company.visible(ld.name).values()
            if r.get(line.parent_key) == str(row["RECORDNO"])
        ]
        rows.sort(key=lambda r: int(r.get("LINENO") or r.get("LINE_NO") or 0))
        line_ro = RestObject(ld.name, "", ro.line_fields)
        out[ro.lines] = [
            {**svc.record(line_ro, ld, r, list(ro.line_fields.values())), "id": str(r["RECORDNO"])}
            for r in rows
        ]
    return {"ia::result": out, "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0}}


def _create_el(svc: Service, ro: RestObject, d: ObjectDef, body: Any) -> ET.Element:
    if not isinstance(body, Mapping):
        raise _bad("Each record must be a JSON object.")
    skip = {ro.lines} if ro.lines else set()
    el = _fields_el(d.name, d, ro.fields, body, skip, svc)
    if d.id_field and ro.fields.get(d.id_field) == "id" and body.get("id") is not None:
        _put(el, d.id_field, str(body["id"]))
    if ro.lines and d.rules.line is not None:
        lines = body.get(ro.lines) or []
        if not isinstance(lines, list):
            raise _bad(f"{ro.lines} must be a list.", f"/{ro.lines}")
        el.append(_lines_el(svc, ro, d, lines, {}))
    return el


def _error_item(exc: RestFailure) -> dict[str, Any]:
    return {
        "ia::error": {
            "code": exc.code,
            "message": exc.message,
            "supportId": "emulator",
            "details": exc.details,
        }
    }


def create(svc: Service, path: str, body: Any, transaction: bool) -> tuple[int, dict[str, Any]]:
    """``POST /objects/{path}``: one record (201) or a list of up to 500 (207)."""
    ro, d = svc.rest_object(path)
    if not isinstance(body, list):
        rec = _create_one(svc, ro, d, body)
        return 201, {
            "ia::result": _reference(ro, d, rec),
            "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0},
        }
    if not body or len(body) > MAX_BATCH:
        raise _bad(f"A batch holds 1 to {MAX_BATCH} records, got {len(body)}.")
    company = svc.em.company
    items: list[dict[str, Any]] = []
    failed = 0
    company.begin(actor=("api", svc.user_id))
    try:
        for rec_body in body:
            try:
                el = _create_el(svc, ro, d, rec_body)
                wrapper = ET.Element("create")
                wrapper.append(el)
                outcome = svc._run("create", wrapper, d.name)
                if outcome.errors:
                    raise failure_of(outcome.errors)
                items.append(_reference(ro, d, _created(svc, d, outcome.payload)))
                if not transaction:
                    company.commit()
            except RestFailure as exc:
                failed += 1
                items.append(_error_item(exc))
                if transaction:
                    break
                company.rollback()
        if transaction and failed:
            company.rollback()
            at = len(items)
            items += [
                _error_item(RestFailure(400, "rolledBack", "Not written: the transaction failed."))
                for _ in body[at:]
            ]
            items = [
                _error_item(RestFailure(400, "rolledBack", f"Rolled back: record {at} failed."))
                if "ia::error" not in it
                else it
                for it in items
            ]
        else:
            company.commit()
    except BaseException:
        company.rollback()
        raise
    finally:
        company.end()
    ok = len(body) - failed if not (transaction and failed) else 0
    return 207, {
        "ia::result": items,
        "ia::meta": {"totalCount": len(body), "totalSuccess": ok, "totalError": len(body) - ok},
    }


def _created(svc: Service, d: ObjectDef, payload: str) -> Mapping[str, Any]:
    data = ET.fromstring(payload)
    first = next(iter(data))
    rn = int((first.findtext("RECORDNO") or "0").strip())
    row = svc.em.company.table(d.name).rows.get(rn)
    return row if row is not None else {"RECORDNO": str(rn)}


def _create_one(svc: Service, ro: RestObject, d: ObjectDef, body: Any) -> Mapping[str, Any]:
    wrapper = ET.Element("create")
    wrapper.append(_create_el(svc, ro, d, body))
    outcome = svc.write("create", wrapper, d.name)
    if outcome.errors:
        raise failure_of(outcome.errors, 500 if outcome.crashed else 400)
    return _created(svc, d, outcome.payload)


def update(svc: Service, path: str, key: str, body: Any) -> dict[str, Any]:
    """``PATCH /objects/{path}/{key}``: the fields sent; owned lines merged (200)."""
    ro, d = svc.rest_object(path)
    if not isinstance(body, Mapping):
        raise _bad("The PATCH body must be a JSON object.")
    row = svc.em.company.table(d.name).rows.get(int(key)) if key.isdigit() else None
    if row is None:
        raise RestFailure(404, "notFound", f"No {path} record with key '{key}'.")
    skip = {ro.lines} if ro.lines else set()
    el = _fields_el(d.name, d, ro.fields, body, skip, svc)
    ET.SubElement(el, "RECORDNO").text = key
    line = d.rules.line
    if ro.lines and line is not None:
        ld = _line_def(svc, d)
        existing = {
            str(r["RECORDNO"]): r
            for r in svc.em.company.table(ld.name).rows.values()
            if r.get(line.parent_key) == key
        }
        merged: dict[str, dict[str, Any]] = {}
        for rn, r in sorted(existing.items(), key=lambda kv: int(kv[0])):
            merged[rn] = _stored_line(ro, ld, r)
        added: list[Mapping[str, Any]] = []
        for i, item in enumerate(body.get(ro.lines) or []):
            if not isinstance(item, Mapping):
                raise _bad(f"line {i + 1} must be an object.", f"/{ro.lines}/{i}")
            lk = str(item.get("key", "") or "")
            if not lk:
                added.append(item)
            elif lk not in merged:
                raise _bad(f"line key '{lk}' is not a line of {path} {key}.", f"/{ro.lines}/{i}")
            elif item.get("ia::operation") == "delete":
                del merged[lk]
            else:
                merged[lk].update({k: v for k, v in item.items() if k != "ia::operation"})
        lines = [{**v, "key": k} for k, v in merged.items()] + list(added)
        el.append(_lines_el(svc, ro, d, lines, {k: k for k in merged}))
    wrapper = ET.Element("update")
    wrapper.append(el)
    outcome = svc.write("update", wrapper, d.name)
    if outcome.errors:
        raise failure_of(outcome.errors, 500 if outcome.crashed else 400)
    rec = svc.em.company.table(d.name).rows.get(int(key), {"RECORDNO": key})
    return {
        "ia::result": _reference(ro, d, rec),
        "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0},
    }


def _stored_line(ro: RestObject, ld: ObjectDef, row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored line as the writable REST fields a PATCH would resend."""
    from intacct_sdk.testing._rest._convert import nest, to_rest

    pairs = []
    for xml, p in ro.line_fields.items():
        f = ld.fields.get(xml)
        if p in ("key", "lineNumber", "state", "isBilled", "timesheet.key", "employeeExpense.key"):
            continue
        if p.startswith("audit.") or (f is not None and f.readonly) or xml.endswith("KEY"):
            continue
        value = row.get(xml)
        if value in (None, ""):
            continue
        pairs.append((p, to_rest(f, p, value)))
    return nest(pairs)


def delete(svc: Service, path: str, key: str) -> None:
    """``DELETE /objects/{path}/{key}`` (204)."""
    _ro, d = svc.rest_object(path)
    if not key.isdigit() or svc.em.company.table(d.name).rows.get(int(key)) is None:
        raise RestFailure(404, "notFound", f"No {path} record with key '{key}'.")
    el = ET.Element("delete")
    ET.SubElement(el, "object").text = d.name
    ET.SubElement(el, "keys").text = key
    outcome = svc.write("delete", el, d.name)
    if outcome.errors:
        raise failure_of(outcome.errors, 500 if outcome.crashed else 400)
