"""Read-side functions of the emulated gateway and what every function handler shares.

Handlers take a :class:`Call` (the company, the session, the function's element) and return an
:class:`Outcome` (the ``<data>`` payload and any errors), or raise :class:`FunctionFailure`.
"""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from intacct_sdk.schema import get_schema
from intacct_sdk.testing._company import Company
from intacct_sdk.testing._objects import DB_CODES, OBJECT_RULES, ObjectDef
from intacct_sdk.testing._paging import aggregate, keyset_page, order_page
from intacct_sdk.testing._prefs import DEFAULT_PREFERENCES, UserPreferences, presenter, reading
from intacct_sdk.testing._query import (
    FieldAccess,
    Predicate,
    QueryError,
    compile_filter_element,
    compile_query_string,
)
from intacct_sdk.testing._wire import (
    ErrorEntry,
    RenderPlan,
    child_text,
    data_list,
    esc,
    plan_for,
    render_record,
    render_records,
)

__all__ = [
    "READ_FUNCTIONS",
    "Call",
    "FunctionFailure",
    "Outcome",
    "ResultStore",
    "field_access",
    "object_of",
    "require_object",
    "schema_problem",
]

Record = Mapping[str, Any]

READBYQUERY_MAX = 1000
QUERY_MAX = 2000


class FunctionFailure(Exception):
    """A function failed: its errors, most specific first, and any partial data."""

    def __init__(self, *errors: ErrorEntry, payload: str = "") -> None:
        super().__init__(errors[0].description2 if errors else "function failed")
        self.errors = errors
        self.payload = payload


@attrs.frozen(slots=True)
class Outcome:
    """What a function handler produced."""

    payload: str = ""
    errors: tuple[ErrorEntry, ...] = ()
    crashed: bool = False  # an unexpected error: whatever it wrote must be undone


@attrs.define(slots=True)
class _ResultSet:
    object_name: str
    tag: str
    record_nos: list[int]
    plan: RenderPlan
    position: int
    page_size: int
    expires: datetime


class ResultStore:
    """readByQuery result sets kept for readMore, each expiring ``ttl`` after its last use."""

    def __init__(self, ttl: timedelta) -> None:
        self.ttl = ttl
        self._sets: dict[str, _ResultSet] = {}
        self._latest: dict[str, str] = {}

    def add(self, rs: _ResultSet) -> str:
        self._purge(rs.expires - self.ttl)
        rid = secrets.token_hex(16)
        self._sets[rid] = rs
        self._latest[rs.object_name] = rid
        return rid

    def get(self, rid: str, now: datetime) -> _ResultSet | None:
        self._purge(now)
        return self._sets.get(rid)

    def _purge(self, now: datetime) -> None:
        if any(v.expires <= now for v in self._sets.values()):
            self._sets = {k: v for k, v in self._sets.items() if v.expires > now}
            self._latest = {k: v for k, v in self._latest.items() if v in self._sets}

    def latest(self, object_name: str) -> str | None:
        return self._latest.get(object_name.upper())

    def drop(self, rid: str) -> None:
        self._sets.pop(rid, None)


@attrs.define(slots=True)
class Call:
    """One function being handled."""

    company: Company
    results: ResultStore
    function: str
    control_id: str
    element: ET.Element
    user_id: str
    location_id: str | None
    now: datetime
    dimension_labels: Mapping[str, str] = attrs.field(factory=dict)
    cap_oversized_pages: bool = False  # cap a readByQuery pagesize over 1000 instead of failing
    prefs: UserPreferences = DEFAULT_PREFERENCES  # the API user's: how values show and read

    def filter_field(self, d: ObjectDef, acc: FieldAccess, name: str) -> FieldAccess:
        """``acc`` reading filter values in this user's date format and zone."""
        f = d.fields.get(name.upper())
        return reading(self.prefs, acc, f is not None and f.gmt)


def object_of(function: str, el: ET.Element) -> str | None:
    """The object a function works on (for stats), or None."""
    if function in ("create", "update", "approve", "decline"):
        first = next(iter(el), None)
        return first.tag.upper() if first is not None else None
    if function.endswith(("_timesheet", "_timetype")):
        return function.partition("_")[2].upper()
    text = child_text(el, "object")
    if text:
        return text.upper()
    if function == "inspect":
        name = child_text(el, "name")
        return name.upper() if name else None
    return None


def _query_error(text: str) -> FunctionFailure:
    return FunctionFailure(ErrorEntry("Query Failed", "", text, ""))


def require_object(company: Company, name: str | None, function: str) -> ObjectDef:
    """The object's definition, or the gateway's "Object definition X not found" failure."""
    if not name:
        raise FunctionFailure(ErrorEntry("XL03000003", "", f"{function}: <object> is required", ""))
    d = company.resolve(name)
    if d is None:
        errno = "Query Failed" if function in _READ_NAMES else "BL01001973"
        raise FunctionFailure(ErrorEntry(errno, "", f"Object definition {name} not found", ""))
    return d


_READ_NAMES = frozenset({"read", "readByName", "readByQuery", "readMore", "query"})


# ---------------------------------------------------------------------------------------------
# fields


def _codes(d: ObjectDef, name: str, datatype: str) -> Mapping[str, str]:
    c = DB_CODES.get((d.name, name)) or (DB_CODES.get(("*", name)) if name == "STATUS" else None)
    if c:
        return c
    if datatype == "BOOLEAN":
        return {"T": "true", "F": "false"}
    return {}


def _key_getter(key: str) -> Callable[[Record], Any]:
    def get(rec: Record) -> Any:
        return rec.get(key)

    return get


def _none_getter(rec: Record) -> Any:
    return None


def field_access(
    company: Company, d: ObjectDef, name: str, *, related: bool, depth: int = 0
) -> FieldAccess:
    """How to read field ``name`` of object ``d`` (relationship paths when ``related``).

    Raises:
        QueryError: the field is unknown.
    """
    up = name.strip().upper()
    f = d.fields.get(up)
    if f is not None and not (d.rules.line and up == d.rules.line.list_tag):
        return FieldAccess(_key_getter(up), f.datatype, _codes(d, up, f.datatype))
    if related and "." in up and depth < 2:
        head, _, rest = up.partition(".")
        schema = get_schema(d.name)
        rels = schema.relationships if schema else ()
        rel = next((r for r in rels if r.path == head), None)
        if rel is not None:
            target = company.resolve(rel.object_name)
            if target is None:
                tschema = get_schema(rel.object_name)
                if tschema is None or tschema.field(rest) is None:
                    raise QueryError(f"Invalid field {name} for object {d.name}")
                src = rel.related_by
                last = src.rpartition(".")[2]
                if rest == last:
                    return FieldAccess(_key_getter(src), "TEXT")
                return FieldAccess(_none_getter, tschema.fields[rest].datatype)
            inner = field_access(company, target, rest, related=True, depth=depth + 1)
            src = rel.related_by
            by_recordno = src.endswith("KEY") or src == "RECORDNO"
            tname = target.name
            if not by_recordno and rest == target.id_field and not target.rules.scope_field:
                return FieldAccess(_key_getter(src), inner.datatype, inner.codes)

            def getter(rec: Record, k: str = src) -> Any:
                v = rec.get(k)
                if not v:
                    return None
                if by_recordno:
                    row = company.table(tname).rows.get(int(v)) if str(v).isdigit() else None
                elif target.rules.scope_field:
                    row = None
                else:
                    row = company.find(tname, str(v))
                return inner.getter(row) if row is not None else None

            return FieldAccess(getter, inner.datatype, inner.codes)
    raise QueryError(f"Invalid field {name} for object {d.name}")


_XML_NAME = re.compile(r"[A-Za-z_][\w.\-]*\Z")


def _all_fields(d: ObjectDef) -> list[str]:
    line = d.rules.line
    return [f for f in d.fields if not (line and f == line.list_tag) and _XML_NAME.match(f)]


def _requested_fields(
    company: Company, d: ObjectDef, text: str | None, *, related: bool
) -> tuple[list[str], set[str]]:
    """Field list of a read: ``*``/empty -> all; else names checked. Returns (fields, flat)."""
    if text is None or text.strip() in ("", "*"):
        return _all_fields(d), set()
    out: list[str] = []
    flat: set[str] = set()
    for raw in text.split(","):
        name = raw.strip().upper()
        if not name:
            continue
        if name == "*":
            out.extend(_all_fields(d))
            continue
        if d.rules.line and name == d.rules.line.list_tag:
            out.append(name)
            continue
        try:
            field_access(company, d, name, related=related)
        except QueryError as exc:
            raise _query_error(str(exc)) from exc
        if not _XML_NAME.match(name):
            continue  # e.g. TIMESHEET's LINES#: not writable as an XML element name
        if name not in d.fields:
            flat.add(name)
        out.append(name)
    return out, flat


def _line_plan(company: Company, d: ObjectDef) -> dict[str, tuple[str, RenderPlan | None]]:
    line = d.rules.line
    if line is None:
        return {}
    ld = company.resolve(line.object_name)
    sub = plan_for(_all_fields(ld)) if ld else None
    return {line.list_tag: (line.item_tag, sub)}


def _with_lines(company: Company, d: ObjectDef, rec: Record, fields: Sequence[str]) -> Record:
    line = d.rules.line
    if line is None or line.list_tag not in fields:
        return rec
    rn = rec.get("RECORDNO")
    lines = [r for r in company.visible(line.object_name).values() if r.get(line.parent_key) == rn]
    out = dict(rec)
    out[line.list_tag] = lines
    return out


def _getters(
    company: Company, d: ObjectDef, fields: Iterable[str], flat: set[str]
) -> Callable[[Record], Record]:
    rel = {f: field_access(company, d, f, related=True).getter for f in flat}
    if not rel:
        return lambda rec: rec

    def view(rec: Record) -> Record:
        out = dict(rec)
        for k, g in rel.items():
            v = g(rec)
            out[k] = "" if v is None else v
        return out

    return view


# ---------------------------------------------------------------------------------------------
# read, readByName


def _read(call: Call, by_name: bool) -> Outcome:
    el = call.element
    d = require_object(call.company, child_text(el, "object"), call.function)
    keys = [k.strip() for k in (child_text(el, "keys") or "").split(",") if k.strip()]
    fields_text = child_text(el, "fields")
    fields, _flat = _requested_fields(call.company, d, fields_text, related=False)
    if (fields_text or "*").strip() == "*" and d.rules.line:
        fields.append(d.rules.line.list_tag)
    fmt = (child_text(el, "returnFormat") or "xml").lower()
    if fmt != "xml":
        raise _query_error(f"returnFormat {fmt} is not supported by the emulator")
    by_id = call.company.table(d.name).by_id
    visible = call.company.visible(d.name)
    rows: list[Record] = []
    if by_name:
        if d.id_field is None or d.rules.scope_field:
            raise _query_error(f"readByName is not available for {d.name}; use read")
        found = (by_id.get(k) for k in keys)
        rows = [visible[rn] for rn in found if rn is not None and rn in visible]
    else:
        rows = [visible[int(k)] for k in keys if k.isdigit() and int(k) in visible]
    plan = plan_for(fields, lists=_line_plan(call.company, d))
    records = [_with_lines(call.company, d, r, fields) for r in rows]
    show = presenter(call.prefs, call.company, d)
    if show is not None:
        records = list(map(show, records))
    body = [render_record(d.name, r, plan) for r in records]
    return Outcome(data_list([("listtype", d.name), ("count", len(body))], body))


# ---------------------------------------------------------------------------------------------
# readByQuery, readMore


def _page_size(text: str | None, default: int, maximum: int, *, cap: bool = True) -> int:
    if text is None or text == "":
        return default
    try:
        n = int(text)
    except ValueError:
        raise _query_error(f"pagesize must be a number, got '{text}'") from None
    if n < 1:
        raise _query_error("pagesize must be at least 1")
    if n > maximum and not cap:
        raise _query_error(f"pagesize must be 1 to {maximum}, got {n}")
    return min(n, maximum)


_XSD_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


def schema_problem(element: ET.Element, *, cap_oversized_pages: bool = False) -> str | None:
    """What the request schema refuses in one function's element, or None.

    The gateway validates a request against its XSD before running anything, so a violation
    fails the whole request at the control level (``XL03000003``). Of the schema's facets, the
    emulator checks those of ``query``: ``pagesize`` an integer from 1 to 2,000 and ``offset``
    an integer from 0. (``readByQuery`` types its ``pagesize`` as a plain string: its limit of
    1,000 is the function's own.)

    Args:
        element: The function's element (the child of ``<function>``).
        cap_oversized_pages: Let a ``query`` pagesize above 2,000 through (it is then capped).

    Returns:
        The schema error's text, in the words of the XML validator the gateway uses.
    """
    if element.tag != "query":
        return None
    for name, low, high in (("pagesize", 1, QUERY_MAX), ("offset", 0, None)):
        text = child_text(element, name)
        if text is None:
            continue
        if not _XSD_INTEGER.fullmatch(text):
            return (
                f"Element '{name}': '{text}' is not a valid value of the atomic type 'xs:integer'."
            )
        value = int(text)
        if value < low:
            return (
                f"Element '{name}': [facet 'minInclusive'] The value '{value}' is less than the "
                f"minimum value allowed ('{low}')."
            )
        if high is not None and value > high and not cap_oversized_pages:
            return (
                f"Element '{name}': [facet 'maxInclusive'] The value '{value}' is greater than "
                f"the maximum value allowed ('{high}')."
            )
    return None


def _read_by_query(call: Call) -> Outcome:
    el = call.element
    d = require_object(call.company, child_text(el, "object"), call.function)
    fields, _flat = _requested_fields(call.company, d, child_text(el, "fields"), related=False)
    fmt = (child_text(el, "returnFormat") or "xml").lower()
    if fmt != "xml":
        raise _query_error(f"returnFormat {fmt} is not supported by the emulator")
    size = _page_size(
        child_text(el, "pagesize"), 100, READBYQUERY_MAX, cap=call.cap_oversized_pages
    )
    text = child_text(el, "query") or ""

    def resolve(name: str) -> FieldAccess:
        if "." in name:
            raise QueryError(f"Invalid field {name}: readByQuery reaches no related fields")
        return call.filter_field(d, field_access(call.company, d, name, related=False), name)

    try:
        pred = compile_query_string(text, resolve)
        matches = [rn for rn, rec in call.company.visible(d.name).items() if pred(rec)]
    except QueryError as exc:
        raise _query_error(f"Invalid query: {exc}") from exc
    plan = plan_for(fields)
    rs = _ResultSet(d.name, d.name.lower(), matches, plan, 0, size, call.now + call.results.ttl)
    return Outcome(_next_page(call, rs, None))


def _next_page(call: Call, rs: _ResultSet, rid: str | None) -> str:
    rows = call.company.visible(rs.object_name)
    chunk = rs.record_nos[rs.position : rs.position + rs.page_size]
    rs.position += len(chunk)
    remaining = len(rs.record_nos) - rs.position
    d = call.company.resolve(rs.object_name)
    show = presenter(call.prefs, call.company, d) if d is not None else None
    body = [
        render_record(rs.tag, rows[rn] if show is None else show(rows[rn]), rs.plan)
        for rn in chunk
        if rn in rows
    ]
    if rid is None and remaining > 0:
        rid = call.results.add(rs)
    if rid is not None:
        rs.expires = call.now + call.results.ttl
        if remaining == 0:
            call.results.drop(rid)
    return data_list(
        [
            ("listtype", rs.tag),
            ("count", len(body)),
            ("totalcount", len(rs.record_nos)),
            ("numremaining", remaining),
            ("resultId", rid or ""),
        ],
        body,
    )


def _read_more(call: Call) -> Outcome:
    el = call.element
    rid = child_text(el, "resultId")
    if not rid:
        obj = child_text(el, "object")
        if obj:
            rid = call.results.latest(obj)
            if rid is None:
                raise FunctionFailure(
                    ErrorEntry(
                        "readMore failed", "", f"There is no readByQuery on {obj} to continue", ""
                    )
                )
    if not rid:
        raise FunctionFailure(
            ErrorEntry("readMore failed", "", "readMore needs a resultId or an object", "")
        )
    rs = call.results.get(rid, call.now)
    if rs is None:
        raise FunctionFailure(
            ErrorEntry(
                "readMore failed",
                "",
                f"Attempt to readMore with an invalid or expired resultId: {rid}",
                "",
            )
        )
    return Outcome(_next_page(call, rs, rid))


# ---------------------------------------------------------------------------------------------
# query


_AGGREGATES = ("count", "sum", "avg", "min", "max")


def _query(call: Call) -> Outcome:
    el = call.element
    d = require_object(call.company, child_text(el, "object"), call.function)
    company = call.company
    select = el.find("select")
    if select is None or len(select) == 0:
        raise _query_error("query needs a <select> with at least one field")
    opts = el.find("options")
    ci = (
        (child_text(opts, "caseinsensitive") or "").lower() == "true" if opts is not None else False
    )
    fmt = (child_text(opts, "returnformat") or "xml").lower() if opts is not None else "xml"
    if fmt != "xml":
        raise _query_error(f"returnformat {fmt} is not supported by the emulator")
    fields: list[str] = []
    aggs: list[tuple[str, str]] = []
    try:
        for s in select:
            name = (s.text or "").strip().upper()
            field_access(company, d, name, related=True)
            if s.tag == "field":
                if _XML_NAME.match(name):
                    fields.append(name)
            elif s.tag in _AGGREGATES:
                aggs.append((s.tag, name))
            else:
                raise QueryError(f"unknown select element <{s.tag}>")

        def resolve(name: str) -> FieldAccess:
            return call.filter_field(d, field_access(company, d, name, related=True), name)

        filt = el.find("filter")
        pred: Predicate = lambda rec: True  # noqa: E731
        if filt is not None:
            kids = list(filt)
            if len(kids) != 1:
                raise QueryError("<filter> holds exactly one condition (use <and>/<or>)")
            pred = compile_filter_element(kids[0], resolve, ci)
        orders: list[tuple[FieldAccess, bool]] = []
        ob = el.find("orderby")
        if ob is not None:
            for o in ob.findall("order"):
                fname = child_text(o, "field")
                if not fname:
                    raise QueryError("<order> needs a <field>")
                orders.append((resolve(fname), o.find("descending") is not None))
        size = _page_size(child_text(el, "pagesize"), 100, QUERY_MAX)
        offset_text = child_text(el, "offset") or "0"
        if not offset_text.isdigit():
            raise QueryError(f"offset must be a number >= 0, got '{offset_text}'")
        offset = int(offset_text)
        rows = company.visible(d.name)
        table = company.table(d.name)
        fast = None
        if not aggs and rows is table.rows:
            fast = keyset_page(
                rows,
                table.order_index,
                lambda f: d.fields[f].datatype if f in d.fields else None,
                kids[0] if filt is not None else None,
                [
                    ((child_text(o, "field") or "").upper(), o.find("descending") is not None)
                    for o in ob.findall("order")
                ]
                if ob is not None
                else [],
                resolve,
                ci,
                offset,
                size,
            )
        matches: list[Record] = (
            []
            if fast is not None
            else [rec for rec in rows.values() if pred(rec)]
            if filt is not None
            else list(rows.values())
        )
    except QueryError as exc:
        raise _query_error(f"Invalid query: {exc}") from exc
    flat = {f for f in fields if f not in d.fields} | {f"{a.upper()}.{f}" for a, f in aggs}
    if aggs:

        def access(f: str) -> FieldAccess:
            return field_access(company, d, f, related=True)

        matches = aggregate(access, matches, fields, aggs)
        out_fields = fields + [f"{a.upper()}.{f}" for a, f in aggs]
        view: Callable[[Record], Record] = lambda rec: rec  # noqa: E731
    else:
        out_fields = fields
        related = {f for f in fields if f not in d.fields}
        view = _getters(company, d, fields, related)
        extra = {f: field_access(company, d, f, related=True).datatype for f in related}
        show = presenter(call.prefs, company, d, extra)
        if show is not None:
            view = _then(view, show)
    if fast is not None:
        page, total = fast
    else:
        total = len(matches)
        page = order_page(matches, orders, offset, size, ci)
    plan = plan_for(out_fields, flat=flat)
    body = render_records(d.name, map(view, page), plan)
    remaining = max(total - offset - len(body), 0)
    return Outcome(
        data_list(
            [
                ("listtype", d.name),
                ("totalcount", total),
                ("offset", offset),
                ("count", len(body)),
                ("numremaining", remaining),
            ],
            body,
        )
    )


def _then(
    first: Callable[[Record], Record], second: Callable[[Record], Record]
) -> Callable[[Record], Record]:
    return lambda rec: second(first(rec))


# ---------------------------------------------------------------------------------------------
# lookup, inspect, getDimensions


def _lookup(call: Call) -> Outcome:
    d = require_object(call.company, child_text(call.element, "object"), call.function)
    parts = [f'<Type Name="{esc(d.name)}" DocumentType=""><Fields>']
    for f in d.fields.values():
        vv = ""
        if f.valid_values:
            vv = (
                "<VALIDVALUES>"
                + "".join(f"<VALIDVALUE>{esc(v)}</VALIDVALUE>" for v in f.valid_values)
                + "</VALIDVALUES>"
            )
        parts.append(
            f"<Field><ID>{esc(f.id)}</ID><LABEL>{esc(f.label)}</LABEL>"
            f"<DESCRIPTION>{esc(f.description or 'No description specified')}</DESCRIPTION>"
            f"<REQUIRED>{_b(f.required)}</REQUIRED><READONLY>{_b(f.readonly)}</READONLY>"
            f"<DATATYPE>{esc(f.datatype)}</DATATYPE>{vv}<ISCUSTOM>{_b(f.custom)}</ISCUSTOM></Field>"
        )
    parts.append("</Fields><Relationships>")
    schema = get_schema(d.name)
    for r in schema.relationships if schema else ():
        parts.append(  # noqa: PERF401 - one formatted block per relationship
            f"<Relationship><OBJECTPATH>{esc(r.path)}</OBJECTPATH><OBJECTNAME>{esc(r.object_name)}</OBJECTNAME>"
            f"<LABEL>{esc(r.label)}</LABEL><RELATIONSHIPTYPE>{esc(r.kind)}</RELATIONSHIPTYPE>"
            f"<RELATEDBY>{esc(r.related_by)}</RELATEDBY></Relationship>"
        )
    parts.append("</Relationships></Type>")
    return Outcome(data_list([("listtype", "All"), ("count", 1)], ["".join(parts)]))


def _b(v: bool) -> str:
    return "true" if v else "false"


_EXTERNAL = {
    "INTEGER": ("Pt_FieldInt", "integer"),
    "DECIMAL": ("Pt_FieldDouble", "decimal"),
    "CURRENCY": ("Pt_FieldCurrency", "currency"),
    "PERCENT": ("Pt_FieldPercent", "percent"),
    "BOOLEAN": ("Pt_FieldBoolean", "boolean"),
    "DATE": ("Pt_FieldDate", "date"),
    "TIMESTAMP": ("Pt_FieldDateTime", "datetime"),
}


def _inspect(call: Call) -> Outcome:
    el = call.element
    name = child_text(el, "object") or child_text(el, "name")
    detail = el.get("detail", "0") in ("1", "true")
    if name == "*":
        names = sorted(
            {n for n in _known_names(call.company) if call.company.resolve(n) is not None}
        )
        rows = [f'<Type typename="{esc(n)}">{esc(n.title())}</Type>' for n in names]
        return Outcome(data_list([("listtype", "All"), ("count", len(rows))], rows))
    d = require_object(call.company, name, call.function)
    label = d.rules.label or d.name.title()
    parts = [
        f'<Type Name="{esc(d.name)}"><Attributes><SingularName>{esc(label)}</SingularName>'
        f"<PluralName>{esc(label)}s</PluralName><Description></Description></Attributes><Fields>"
    ]
    for f in d.fields.values():
        if detail:
            dn, ext = _EXTERNAL.get(f.datatype, ("Pt_FieldString", "string"))
            parts.append(
                f"<Field><Name>{esc(f.id)}</Name><GroupName></GroupName><dataName>{dn}</dataName>"
                f"<externalDataName>{ext}</externalDataName><isRequired>{_b(f.required)}</isRequired>"
                f"<isReadOnly>{_b(f.readonly)}</isReadOnly><maxLength>0</maxLength>"
                f"<DisplayLabel>{esc(f.label)}</DisplayLabel><Description>{esc(f.description)}</Description>"
                f"<id></id></Field>"
            )
        else:
            parts.append(f"<Field>{esc(f.id)}</Field>")
    parts.append("</Fields></Type>")
    return Outcome(data_list([("listtype", "All"), ("count", 1)], ["".join(parts)]))


def _known_names(company: Company) -> list[str]:
    return [*OBJECT_RULES, *company.dimensions]


_STANDARD_DIMENSIONS = (
    ("DEPARTMENT", "Department"),
    ("LOCATION", "Location"),
    ("PROJECT", "Project"),
    ("CUSTOMER", "Customer"),
    ("EMPLOYEE", "Employee"),
    ("ITEM", "Item"),
    ("CLASS", "Class"),
    ("TASK", "Task"),
)


def _get_dimensions(call: Call) -> Outcome:
    rows = []
    for name, label in _STANDARD_DIMENSIONS:
        rows.append(_dimension_xml(name, label, call.dimension_labels.get(name, label), False))
    for name, label in call.company.dimensions.items():
        rows.append(_dimension_xml(name, label, label, True))
    return Outcome(f"<data><dimensions>{''.join(rows)}</dimensions></data>")


def _dimension_xml(name: str, label: str, term: str, udd: bool) -> str:
    return (
        f"<dimension><objectName>{esc(name)}</objectName><objectLabel>{esc(label)}</objectLabel>"
        f"<termLabel>{esc(term)}</termLabel><userDefinedDimension>{_b(udd)}</userDefinedDimension>"
        f"<enabledInGL>true</enabledInGL></dimension>"
    )


def _get_dimension_relationships(call: Call) -> Outcome:
    names = [n for n, _ in _STANDARD_DIMENSIONS] + list(call.company.dimensions)
    rows = "".join(
        f"<dimension><objectName>{esc(n)}</objectName><relationships></relationships></dimension>"
        for n in names
    )
    return Outcome(f"<data><dimensions>{rows}</dimensions></data>")


READ_FUNCTIONS: dict[str, Callable[[Call], Outcome]] = {
    "read": lambda c: _read(c, by_name=False),
    "readByName": lambda c: _read(c, by_name=True),
    "readByQuery": _read_by_query,
    "readMore": _read_more,
    "query": _query,
    "lookup": _lookup,
    "inspect": _inspect,
    "getDimensions": _get_dimensions,
    "getDimensionRelationships": _get_dimension_relationships,
}
