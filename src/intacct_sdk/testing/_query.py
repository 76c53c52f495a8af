"""Filters of the emulated gateway: the readByQuery query string and the query ``<filter>``.

Both compile into a predicate over a stored record (a closure tree built once per request), so
a scan of many thousand records does no parsing. The query string has a real tokenizer and a
recursive-descent parser; anything it cannot read raises :class:`QueryError`, which the emulator
turns into a function failure.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

__all__ = [
    "FieldAccess",
    "Predicate",
    "QueryError",
    "comparable",
    "compile_filter_element",
    "compile_query_string",
    "literal_value",
]

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]


class QueryError(Exception):
    """The filter cannot be read or names something unknown."""


@attrs.frozen(slots=True)
class FieldAccess:
    """How to read one field of a record: a getter, its datatype and its DB codes.

    ``literal`` turns a filter value as the API user wrote it (their date format and zone)
    into the stored form, or gives None when it is not in the user's format; None (the
    default) compares the value as written.
    """

    getter: Callable[[Record], Any]
    datatype: str = "TEXT"
    codes: Mapping[str, str] = attrs.field(factory=dict)
    literal: Callable[[str], str | None] | None = None


Resolver = Callable[[str], FieldAccess]

_NUMERIC = frozenset({"INTEGER", "DECIMAL", "CURRENCY", "PERCENT"})


def _parse_date(text: str) -> tuple[int, ...] | None:
    t = text.strip()
    for fmt in (
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d",
    ):
        try:
            dt = datetime.strptime(t, fmt)
        except ValueError:
            continue
        return (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)
    return None


def comparable(datatype: str, value: Any, case_insensitive: bool = False) -> Any:
    """A stored or literal value as something that orders the way the gateway does.

    Returns None for empty values and for values that do not fit the type.
    """
    if value is None:
        return None
    text = str(value)
    if text == "":
        return None
    if datatype in _NUMERIC:
        try:
            return Decimal(text.strip())
        except InvalidOperation:
            return None
    if datatype in ("DATE", "TIMESTAMP"):
        return _parse_date(text)
    if datatype == "BOOLEAN":
        low = text.lower()
        return {"t": "true", "f": "false", "1": "true", "0": "false"}.get(low, low)
    return text.casefold() if case_insensitive else text


def literal_value(acc: FieldAccess, raw: str, ci: bool) -> Any:
    """A filter value as written, in the form :func:`comparable` gives stored values.

    Raises:
        QueryError: the value is not in the user's format or does not fit the field's type.
    """
    if acc.literal is not None and raw != "":
        stored = acc.literal(raw)
        if stored is None:
            raise QueryError(f"'{raw}' is not a {acc.datatype.lower()} in the user's format")
        raw = stored
    value = acc.codes.get(raw, raw)
    out = comparable(acc.datatype, value, ci)
    if out is None and raw != "":
        raise QueryError(f"'{raw}' is not a valid {acc.datatype.lower()} value")
    return out


def _like_regex(pattern: str, ci: bool) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "%":
            parts.append(".*")
        elif ch == "_":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ci else 0))


def _compare(acc: FieldAccess, op: str, raw: str, ci: bool) -> Predicate:
    get = acc.getter
    dt = acc.datatype
    lit = literal_value(acc, raw, ci)

    def key(rec: Record) -> Any:
        return comparable(dt, get(rec), ci)

    if lit is None:  # comparing with '' never matches, as in SQL
        return lambda rec: False
    if op == "=":
        return lambda rec: key(rec) == lit
    if op == "!=":
        return lambda rec: (k := key(rec)) is not None and k != lit
    if op == "<":
        return lambda rec: (k := key(rec)) is not None and k < lit
    if op == "<=":
        return lambda rec: (k := key(rec)) is not None and k <= lit
    if op == ">":
        return lambda rec: (k := key(rec)) is not None and k > lit
    if op == ">=":
        return lambda rec: (k := key(rec)) is not None and k >= lit
    raise QueryError(f"unknown operator {op}")  # pragma: no cover - parser guards


def _like(acc: FieldAccess, pattern: str, negate: bool, ci: bool) -> Predicate:
    rx = _like_regex(acc.codes.get(pattern, pattern), ci)
    get = acc.getter

    def pred(rec: Record) -> bool:
        v = get(rec)
        if v is None or v == "":
            return False
        return (rx.fullmatch(str(v)) is not None) != negate

    return pred


def _in(acc: FieldAccess, raws: list[str], negate: bool, ci: bool) -> Predicate:
    lits = {literal_value(acc, r, ci) for r in raws}
    lits.discard(None)
    get = acc.getter
    dt = acc.datatype

    def pred(rec: Record) -> bool:
        k = comparable(dt, get(rec), ci)
        if k is None:
            return False
        return (k in lits) != negate

    return pred


def _null(acc: FieldAccess, negate: bool) -> Predicate:
    get = acc.getter

    def pred(rec: Record) -> bool:
        v = get(rec)
        return (v is None or v == "") != negate

    return pred


# ---------------------------------------------------------------------------------------------
# readByQuery query strings

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*')
      | (?P<num>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<op><>|!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE | re.DOTALL,
)
_KEYWORDS = frozenset({"AND", "OR", "NOT", "LIKE", "IN", "IS", "NULL"})


@attrs.frozen(slots=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    n = len(text)
    while pos < n:
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"unexpected character at position {pos}")
        kind = m.lastgroup or ""
        val = m.group(kind)
        start = m.start(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", r"\1", val[1:-1], flags=re.DOTALL)
        elif kind == "word" and val.upper() in _KEYWORDS:
            kind, val = "kw", val.upper()
        out.append(_Tok(kind, val, start))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, toks: list[_Tok], resolve: Resolver, ci: bool) -> None:
        self.toks = toks
        self.i = 0
        self.resolve = resolve
        self.ci = ci

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        t = self.peek()
        if t is None:
            raise QueryError("unexpected end of query")
        self.i += 1
        return t

    def accept_kw(self, word: str) -> bool:
        t = self.peek()
        if t is not None and t.kind == "kw" and t.text == word:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, text: str | None = None) -> _Tok:
        t = self.take()
        if t.kind != kind or (text is not None and t.text != text):
            raise QueryError(f"unexpected '{t.text}' at position {t.pos}")
        return t

    def parse(self) -> Predicate:
        pred = self.or_expr()
        t = self.peek()
        if t is not None:
            raise QueryError(f"unexpected '{t.text}' at position {t.pos}")
        return pred

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.accept_kw("OR"):
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda rec: any(p(rec) for p in parts)

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.accept_kw("AND"):
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda rec: all(p(rec) for p in parts)

    def not_expr(self) -> Predicate:
        if self.accept_kw("NOT"):
            inner = self.not_expr()
            return lambda rec: not inner(rec)
        return self.primary()

    def primary(self) -> Predicate:
        t = self.peek()
        if t is not None and t.kind == "punct" and t.text == "(":
            self.i += 1
            inner = self.or_expr()
            self.expect("punct", ")")
            return inner
        return self.comparison()

    def value(self) -> str:
        t = self.take()
        if t.kind not in ("str", "num"):
            raise QueryError(f"expected a value at position {t.pos}, got '{t.text}'")
        return t.text

    def comparison(self) -> Predicate:
        ft = self.take()
        if ft.kind != "word":
            raise QueryError(f"expected a field name at position {ft.pos}, got '{ft.text}'")
        acc = self.resolve(ft.text)
        t = self.take()
        if t.kind == "op":
            op = "!=" if t.text == "<>" else t.text
            return _compare(acc, op, self.value(), self.ci)
        if t.kind == "kw":
            negate = False
            if t.text == "NOT":
                negate = True
                t = self.take()
                if t.kind != "kw" or t.text not in ("LIKE", "IN"):
                    raise QueryError(f"expected LIKE or IN after NOT at position {t.pos}")
            if t.text == "LIKE":
                return _like(acc, self.value(), negate, self.ci)
            if t.text == "IN":
                self.expect("punct", "(")
                vals = [self.value()]
                while True:
                    p = self.take()
                    if p.kind == "punct" and p.text == ",":
                        vals.append(self.value())
                        continue
                    if p.kind == "punct" and p.text == ")":
                        break
                    raise QueryError(f"unexpected '{p.text}' in IN list at position {p.pos}")
                return _in(acc, vals, negate, self.ci)
            if t.text == "IS" and not negate:
                neg = self.accept_kw("NOT")
                self.expect("kw", "NULL")
                return _null(acc, neg)
        raise QueryError(f"unexpected '{t.text}' at position {t.pos}")


def compile_query_string(text: str, resolve: Resolver, case_insensitive: bool = False) -> Predicate:
    """Compile a readByQuery ``query`` string ("" matches everything).

    Raises:
        QueryError: syntax errors and unknown fields (from ``resolve``).
    """
    toks = _tokenize(text)
    if not toks:
        return lambda rec: True
    return _Parser(toks, resolve, case_insensitive).parse()


# ---------------------------------------------------------------------------------------------
# query <filter> elements

_CMP_TAGS = {
    "equalto": "=",
    "notequalto": "!=",
    "lessthan": "<",
    "lessthanorequalto": "<=",
    "greaterthan": ">",
    "greaterthanorequalto": ">=",
}


def compile_filter_element(el: ET.Element, resolve: Resolver, case_insensitive: bool) -> Predicate:
    """Compile one ``<filter>`` child (an operator element) into a predicate.

    Raises:
        QueryError: unknown operators, missing field/value, and/or with fewer than two children.
    """
    tag = el.tag
    ci = case_insensitive
    if tag in ("and", "or"):
        kids = [compile_filter_element(k, resolve, ci) for k in el]
        if len(kids) < 2:
            raise QueryError(f"<{tag}> needs at least two conditions")
        if tag == "and":
            return lambda rec: all(k(rec) for k in kids)
        return lambda rec: any(k(rec) for k in kids)
    field_el = el.find("field")
    if field_el is None or not (field_el.text or "").strip():
        raise QueryError(f"<{tag}> needs a <field>")
    acc = resolve((field_el.text or "").strip())
    values = [(v.text or "").strip() for v in el.findall("value")]
    if tag in _CMP_TAGS:
        if len(values) != 1:
            raise QueryError(f"<{tag}> needs exactly one <value>")
        return _compare(acc, _CMP_TAGS[tag], values[0], ci)
    if tag == "between":
        if len(values) != 2:
            raise QueryError("<between> needs exactly two <value> elements")
        lo = _compare(acc, ">=", values[0], ci)
        hi = _compare(acc, "<=", values[1], ci)
        return lambda rec: lo(rec) and hi(rec)
    if tag in ("in", "notin"):
        if not values:
            raise QueryError(f"<{tag}> needs at least one <value>")
        if len(values) > 1000:
            raise QueryError(f"<{tag}> accepts at most 1000 values")
        return _in(acc, values, tag == "notin", ci)
    if tag in ("like", "notlike"):
        if len(values) != 1:
            raise QueryError(f"<{tag}> needs exactly one <value>")
        return _like(acc, values[0], tag == "notlike", ci)
    if tag in ("isnull", "isnotnull"):
        return _null(acc, tag == "isnotnull")
    raise QueryError(f"unknown filter operator <{tag}>")
