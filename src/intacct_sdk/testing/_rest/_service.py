"""The query service and the object endpoints, answered by the XML emulator's own functions.

A REST query becomes an XML ``query`` (so the keyset order indexes serve it), a write becomes
an XML ``create``, ``update`` or ``delete`` (so the write rules of timesheets, approvals and
required fields apply); their results are turned back into REST records.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from intacct_sdk.rest.names import RestObject
from intacct_sdk.testing._functions import READ_FUNCTIONS, Call, FunctionFailure, Outcome
from intacct_sdk.testing._objects import ObjectDef
from intacct_sdk.testing._permissions import refusal
from intacct_sdk.testing._rest._convert import by_path, nest, to_rest, to_xml
from intacct_sdk.testing._wire import ErrorEntry
from intacct_sdk.testing._writes import WRITE_FUNCTIONS

if TYPE_CHECKING:
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._hooks import RequestContext

__all__ = ["MAX_BATCH", "MAX_SIZE", "RestFailure", "Service"]

MAX_SIZE = 4000
MAX_BATCH = 500
_XML_PAGE = 2000
_OPS = {
    "$eq": "equalto",
    "$ne": "notequalto",
    "$lt": "lessthan",
    "$lte": "lessthanorequalto",
    "$gt": "greaterthan",
    "$gte": "greaterthanorequalto",
    "$in": "in",
    "$notIn": "notin",
    "$between": "between",
}
_LIKE = {
    "$contains": ("like", "%{}%"),
    "$notContains": ("notlike", "%{}%"),
    "$startsWith": ("like", "{}%"),
    "$notStartsWith": ("notlike", "{}%"),
    "$endsWith": ("like", "%{}"),
    "$notEndsWith": ("notlike", "%{}"),
}
_EXPR_TOKEN = re.compile(r"\s*(\d+|\(|\)|and\b|or\b)", re.IGNORECASE)


class RestFailure(Exception):
    """A request the REST side refuses: status, ``ia::error`` code, message and details."""

    def __init__(
        self, status: int, code: str, message: str, details: Sequence[Mapping[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)


def _bad(message: str, target: str | None = None) -> RestFailure:
    detail = {"code": "invalidRequest", "message": message}
    if target is not None:
        detail["target"] = target
    return RestFailure(400, "invalidRequest", message, [detail])


def failure_of(errors: Sequence[ErrorEntry], status: int = 400) -> RestFailure:
    """A REST failure from the XML emulator's errors (most specific first)."""
    first = errors[0] if errors else ErrorEntry("", "", "The request failed.", "")
    message = first.description2 or first.description or "The request failed."
    details = [
        {"code": e.errorno or "invalidRequest", "message": e.description2 or e.description}
        for e in errors
    ]
    code = first.errorno or "invalidRequest"
    if "Cannot find" in message or "non-existing" in message:
        status = 404
    return RestFailure(status, code, message, details)


def _el(tag: str, *children: ET.Element, text: str | None = None) -> ET.Element:
    e = ET.Element(tag)
    e.extend(children)
    if text is not None:
        e.text = text
    return e


def _flat(el: ET.Element, prefix: str, out: dict[str, str]) -> None:
    for child in el:
        key = prefix + child.tag
        if len(child):
            _flat(child, key + ".", out)
        else:
            out[key] = (child.text or "").strip()


class Service:
    """Query and object calls of one emulator, for one authenticated user."""

    def __init__(
        self,
        emulator: Emulator,
        ctx: RequestContext,
        user_id: str,
        entity: str | None,
    ) -> None:
        self.em = emulator
        self.ctx = ctx
        self.user_id = user_id
        self.entity = entity

    # -- running XML functions ----------------------------------------------------------------

    def _run(self, name: str, el: ET.Element, obj: str | None) -> Outcome:
        em = self.em
        em.stats._function(name, obj)
        if em.faults is not None:
            injected = em.faults.function_failure(self.ctx, name, obj)
            if injected is not None:
                return Outcome(errors=(ErrorEntry(injected[0], "", injected[1], ""),), crashed=True)
        refused = refusal(name, obj, em.denied_objects)
        if refused is not None:
            raise RestFailure(403, refused.errorno, refused.description2 or refused.description)
        call = Call(
            em.company,
            em._results,
            name,
            "rest",
            el,
            self.user_id,
            self.entity,
            em.clock(),
            em.dimension_labels,
        )
        handler = READ_FUNCTIONS.get(name) or WRITE_FUNCTIONS[name]
        try:
            return handler(call)
        except FunctionFailure as exc:
            return Outcome(exc.payload, exc.errors)

    def write(self, name: str, el: ET.Element, obj: str, atomic: bool = True) -> Outcome:
        """Run one XML write in its own unit of work (undone when it fails)."""
        company = self.em.company
        company.begin(actor=("api", self.user_id))
        try:
            outcome = self._run(name, el, obj)
            if (outcome.errors and atomic) or outcome.crashed:
                company.rollback()
            else:
                company.commit()
        except BaseException:
            company.rollback()
            raise
        finally:
            company.end()
        return outcome

    # -- objects and fields -------------------------------------------------------------------

    def rest_object(self, path: str) -> tuple[RestObject, ObjectDef]:
        """The table entry and the emulator's object for a REST object path; 404 if none."""
        ro = by_path(path)
        d = self.em.company.resolve(ro.name) if ro is not None else None
        if ro is None or d is None:
            raise RestFailure(404, "invalidRequest", f"Unknown object '{path}'.")
        return ro, d

    @staticmethod
    def xml_field(ro: RestObject, path: str) -> str:
        """The XML field of a REST field path; 400 naming the field when unknown."""
        if path == "href":
            return "RECORDNO"
        found = ro.xml_fields.get(path)
        if found is None:
            raise _bad(f"'{path}' is not a valid field of {ro.path}.", path)
        return found

    def record(
        self, ro: RestObject, d: ObjectDef, row: Mapping[str, Any], paths: Sequence[str]
    ) -> dict[str, Any]:
        """A stored row as a nested REST record holding ``paths``."""
        pairs: list[tuple[str, Any]] = []
        for p in paths:
            if p == "href":
                pairs.append((p, f"/objects/{ro.path}/{row.get('RECORDNO', '')}"))
                continue
            xml = ro.xml_fields[p]
            pairs.append((p, to_rest(d.fields.get(xml), p, row.get(xml))))
        return nest(pairs)

    # -- query --------------------------------------------------------------------------------

    def query(self, body: Any) -> dict[str, Any]:
        """Answer ``POST /services/core/query``."""
        if not isinstance(body, Mapping):
            raise _bad("The query body must be a JSON object.")
        ro, d = self.rest_object(str(body.get("object", "")))
        fields = body.get("fields")
        if not isinstance(fields, list) or not fields:
            raise _bad("fields is required: list the fields to return.", "fields")
        for f in fields:
            if not isinstance(f, str) or f == "*":
                raise _bad("fields names fields one by one ('*' is not accepted).", "fields")
        xml_fields = {self.xml_field(ro, f) for f in fields} | {"RECORDNO"}
        start = body.get("start", 1)
        size = body.get("size", 100)
        if not isinstance(start, int) or start < 1:
            raise _bad("start must be an integer >= 1.", "start")
        if not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
            raise _bad(f"size must be an integer from 1 to {MAX_SIZE}.", "size")
        conds = [self._condition(ro, d, c, i) for i, c in enumerate(body.get("filters") or [], 1)]
        expr = body.get("filterExpression")
        filt = self._combine(conds, expr) if conds else None
        orders: list[ET.Element] = []
        for o in body.get("orderBy") or []:
            if not isinstance(o, Mapping) or len(o) != 1:
                raise _bad("each orderBy item is {field: 'asc' | 'desc'}.", "orderBy")
            ((path, direction),) = o.items()
            if direction not in ("asc", "desc"):
                raise _bad(f"orderBy direction must be asc or desc, got {direction!r}.", path)
            order = _el("order", _el("field", text=self.xml_field(ro, path)))
            order.append(_el("descending" if direction == "desc" else "ascending"))
            orders.append(order)
        params = body.get("filterParameters") or {}
        if not isinstance(params, Mapping):
            raise _bad("filterParameters must be an object.", "filterParameters")
        ignore_case = params.get("caseSensitiveComparison", True) is False
        rows: list[dict[str, str]] = []
        total = 0
        offset = start - 1
        remaining = size
        while True:
            el = _el(
                "query",
                _el("object", text=d.name),
                _el("select", *(_el("field", text=f) for f in sorted(xml_fields))),
            )
            if filt is not None:
                el.append(_el("filter", filt))
            if orders:
                el.append(_el("orderby", *orders))
            if ignore_case:
                el.append(_el("options", _el("caseinsensitive", text="true")))
            el.append(_el("pagesize", text=str(min(remaining, _XML_PAGE))))
            el.append(_el("offset", text=str(offset)))
            outcome = self._run("query", el, d.name)
            if outcome.errors:
                raise failure_of(outcome.errors, 500 if outcome.crashed else 400)
            data = ET.fromstring(outcome.payload)
            total = int(data.get("totalcount", "0"))
            got = 0
            for item in data:
                rec: dict[str, str] = {}
                _flat(item, "", rec)
                rows.append(rec)
                got += 1
            offset += got
            remaining -= got
            if remaining <= 0 or got == 0 or offset >= total:
                break
        result = [self.record(ro, d, r, fields) for r in rows]
        nxt = start + size if start - 1 + size < total else None
        prev = max(start - size, 1) if start > 1 else None
        return {
            "ia::result": result,
            "ia::meta": {
                "totalCount": total,
                "start": start,
                "pageSize": size,
                "next": nxt,
                "previous": prev,
            },
        }

    def _condition(self, ro: RestObject, d: ObjectDef, cond: Any, number: int) -> ET.Element:
        if not isinstance(cond, Mapping) or len(cond) != 1:
            raise _bad(f"filter {number} must be one {{operator: {{field: value}}}}.", "filters")
        ((op, operand),) = cond.items()
        if not isinstance(operand, Mapping) or len(operand) != 1:
            raise _bad(f"filter {number}: {op} takes one {{field: value}}.", "filters")
        ((path, value),) = operand.items()
        xml = self.xml_field(ro, str(path))
        f = d.fields.get(xml)
        field = _el("field", text=xml)
        if op in ("$eq", "$ne") and value is None:
            return _el("isnull" if op == "$eq" else "isnotnull", field)
        if op in _LIKE:
            tag, pattern = _LIKE[op]
            return _el(tag, field, _el("value", text=pattern.format(to_xml(f, value))))
        if op == "$notBetween":
            lo, hi = self._pair(value, number, op)
            return _el(
                "or",
                _el("lessthan", field, _el("value", text=to_xml(f, lo))),
                _el("greaterthan", _el("field", text=xml), _el("value", text=to_xml(f, hi))),
            )
        found = _OPS.get(op)
        if found is None:
            raise _bad(f"filter {number}: unknown operator {op!r}.", "filters")
        tag = found
        if tag in ("in", "notin"):
            if not isinstance(value, list) or not value:
                raise _bad(f"filter {number}: {op} takes a non-empty list.", str(path))
            return _el(tag, field, *(_el("value", text=to_xml(f, v)) for v in value))
        if tag == "between":
            lo, hi = self._pair(value, number, op)
            return _el(
                tag, field, _el("value", text=to_xml(f, lo)), _el("value", text=to_xml(f, hi))
            )
        if isinstance(value, list | Mapping):
            raise _bad(f"filter {number}: {op} takes one value.", str(path))
        return _el(tag, field, _el("value", text=to_xml(f, value)))

    @staticmethod
    def _pair(value: Any, number: int, op: str) -> tuple[Any, Any]:
        if not isinstance(value, list) or len(value) != 2:
            raise _bad(f"filter {number}: {op} takes a list of two values.", "filters")
        return value[0], value[1]

    @staticmethod
    def _combine(conds: list[ET.Element], expr: Any) -> ET.Element:
        if expr is None or expr == "":
            return conds[0] if len(conds) == 1 else _el("and", *conds)
        tokens = _EXPR_TOKEN.findall(str(expr))
        if "".join(tokens).replace(" ", "") != re.sub(r"\s+", "", str(expr)):
            raise _bad(f"filterExpression {expr!r} is not valid.", "filterExpression")
        pos = 0

        def take() -> str:
            nonlocal pos
            if pos >= len(tokens):
                raise _bad(f"filterExpression {expr!r} ends too soon.", "filterExpression")
            pos += 1
            return str(tokens[pos - 1]).lower()

        def primary() -> ET.Element:
            tok = take()
            if tok == "(":
                inner = either()
                if take() != ")":
                    raise _bad(f"filterExpression {expr!r}: missing ')'.", "filterExpression")
                return inner
            if not tok.isdigit() or not 1 <= int(tok) <= len(conds):
                raise _bad(f"filterExpression {expr!r}: no filter {tok}.", "filterExpression")
            return conds[int(tok) - 1]

        def joined(word: str, sub: Callable[[], ET.Element]) -> ET.Element:
            parts = [sub()]
            while pos < len(tokens) and tokens[pos].lower() == word:
                take()
                parts.append(sub())
            return parts[0] if len(parts) == 1 else _el(word, *parts)

        def both() -> ET.Element:
            return joined("and", primary)

        def either() -> ET.Element:
            return joined("or", both)

        out = either()
        if pos != len(tokens):
            raise _bad(f"filterExpression {expr!r} is not valid.", "filterExpression")
        return out
