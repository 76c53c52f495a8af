"""Ordering one ``query`` answer: the general sort, the indexed keyset page, and aggregates.

A keyset read orders by ``(T, RECORDNO)`` for a timestamp field T and filters "strictly after
the last row seen": ``T > t OR (T = t AND RECORDNO > n)``, within some fixed condition. The
general path tests every record against the filter and sorts the matches, which makes a read
of N records in pages of P cost N² / P. :func:`keyset_page` answers the same query from the
table's :class:`~intacct_sdk.testing._tables.OrderIndex`: it finds the first key after the
bound by bisection and tests only what the bound does not settle. It gives exactly the page,
``totalcount`` and ``numremaining`` the general path gives (a property test compares them), and
declines (returns None) whenever it cannot be sure to, leaving the query to the general path.
"""

from __future__ import annotations

import heapq
import xml.etree.ElementTree as ET
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from intacct_sdk.testing._query import (
    FieldAccess,
    Predicate,
    QueryError,
    comparable,
    compile_filter_element,
    literal_value,
)
from intacct_sdk.testing._tables import OrderIndex

__all__ = ["aggregate", "keyset_page", "order_page"]

Record = Mapping[str, Any]
Resolver = Callable[[str], FieldAccess]
_TIMES = frozenset({"DATE", "TIMESTAMP"})
_INF = float("inf")


def order_page(
    rows: list[Record], orders: list[tuple[FieldAccess, bool]], offset: int, size: int, ci: bool
) -> list[Record]:
    """The page ``[offset, offset + size)`` of ``rows`` sorted by ``orders`` (empty values last)."""
    if not orders:
        return rows[offset : offset + size]

    def keyf(acc: FieldAccess) -> Callable[[Record], tuple[Any, ...]]:
        def k(rec: Record) -> tuple[Any, ...]:
            v = comparable(acc.datatype, acc.getter(rec), ci)
            return (1,) if v is None else (0, v)

        return k

    need = offset + size
    if len(orders) == 1 and need * 4 < len(rows):
        acc, desc = orders[0]
        k = keyf(acc)
        top = heapq.nlargest(need, rows, key=k) if desc else heapq.nsmallest(need, rows, key=k)
        return top[offset:need]
    ordered = list(rows)
    for acc, desc in reversed(orders):
        ordered.sort(key=keyf(acc), reverse=desc)
    return ordered[offset:need]


def _field(el: ET.Element) -> str:
    f = el.find("field")
    return (f.text or "").strip().upper() if f is not None else ""


def _values(el: ET.Element) -> list[str]:
    return [(v.text or "").strip() for v in el.findall("value")]


def _conjuncts(el: ET.Element) -> list[ET.Element]:
    if el.tag == "and" and len(el) >= 2:
        return [c for kid in el for c in _conjuncts(kid)]
    return [el]


class _Bounds:
    """What the filter's conjuncts say about the index field, and what they leave to test."""

    def __init__(self, field: str, resolve: Resolver, ci: bool) -> None:
        self.field = field
        self.resolve = resolve
        self.ci = ci
        self.low: tuple[Any, ...] | None = None  # keys must be > low (a bisect_right bound)
        self.not_null = False
        self.rest: list[ET.Element] = []

    def _time(self, raw: str) -> tuple[int, ...]:
        value = literal_value(self.resolve(self.field), raw, self.ci)
        if not isinstance(value, tuple):
            raise QueryError("not a timestamp")  # '' never matches: leave it to the general path
        return value

    def _record_no(self, raw: str) -> int:
        value = literal_value(self.resolve("RECORDNO"), raw, self.ci)
        if not isinstance(value, Decimal) or value != value.to_integral_value():
            raise QueryError("not a whole RECORDNO")
        return int(value)

    def _raise(self, low: tuple[Any, ...]) -> None:
        self.not_null = True
        if self.low is None or low > self.low:
            self.low = low

    def _after(self, el: ET.Element) -> tuple[Any, ...] | None:
        """``T > t OR (T = t AND RECORDNO > n)`` (either way round): the bound ``(t, n)``."""
        if el.tag != "or" or len(el) != 2:
            return None
        for gt, eq_and in ((el[0], el[1]), (el[1], el[0])):
            if gt.tag != "greaterthan" or _field(gt) != self.field or eq_and.tag != "and":
                continue
            if len(eq_and) != 2:
                continue
            for eq, rn in ((eq_and[0], eq_and[1]), (eq_and[1], eq_and[0])):
                if eq.tag != "equalto" or _field(eq) != self.field:
                    continue
                if rn.tag != "greaterthan" or _field(rn) != "RECORDNO":
                    continue
                t1, t2, n = _values(gt), _values(eq), _values(rn)
                if len(t1) != 1 or len(t2) != 1 or len(n) != 1:
                    return None
                when = self._time(t1[0])
                if self._time(t2[0]) != when:
                    return None
                return when, self._record_no(n[0])
        return None

    def take(self, el: ET.Element) -> None:
        """Read one conjunct: a bound or a not-null test on the field, else something to test."""
        tag = el.tag
        if tag == "isnotnull" and _field(el) == self.field:
            self.not_null = True
            return
        after = self._after(el)
        if after is not None:
            self._raise(after)
            return
        vals = _values(el)
        if tag in ("greaterthan", "greaterthanorequalto") and _field(el) == self.field and vals:
            when = self._time(vals[0]) if len(vals) == 1 else None
            if when is not None:
                self._raise((when, _INF) if tag == "greaterthan" else (when, -_INF))
                return
        self.rest.append(el)


def keyset_page(
    rows: Mapping[int, Record],
    index: Callable[[str], OrderIndex],
    known: Callable[[str], str | None],
    filter_el: ET.Element | None,
    orders: Sequence[tuple[str, bool]],
    resolve: Resolver,
    ci: bool,
    offset: int,
    size: int,
) -> tuple[list[Record], int] | None:
    """The page and total count of a keyset query answered from an order index, or None.

    Args:
        rows: The records reads see (the live table: the caller takes the general path while
            some changes are not visible yet).
        index: Gives the table's order index of a field.
        known: Gives a field's datatype when the object has it directly, else None.
        filter_el: The ``<filter>``'s one condition, or None.
        orders: The ``orderby`` as ``(field, descending)``.
        resolve: Reads a filter field (in the API user's formats).
        ci: Case-insensitive comparisons.
        offset: The page's offset.
        size: The page size.

    Returns:
        ``(page, totalcount)``; None when the query is not ``orderby T, RECORDNO`` (both
        ascending, T a DATE or TIMESTAMP field) with a filter that keeps T non-empty.
    """
    if len(orders) != 2 or orders[0][1] or orders[1] != ("RECORDNO", False):
        return None
    field = orders[0][0]
    if field == "RECORDNO" or known(field) not in _TIMES or known("RECORDNO") is None:
        return None
    bounds = _Bounds(field, resolve, ci)
    try:
        for el in _conjuncts(filter_el) if filter_el is not None else []:
            bounds.take(el)
        rest: list[Predicate] = [compile_filter_element(el, resolve, ci) for el in bounds.rest]
    except QueryError:
        return None  # the general path gives the gateway's error
    if not bounds.not_null:
        return None  # records with an empty T would match and sort last
    idx = index(field)
    if idx.unreadable:
        return None
    keys = idx.keys
    start = 0 if bounds.low is None else bisect_right(keys, bounds.low)
    if not rest:
        total = len(keys) - start
        chosen = keys[start + offset : start + offset + size]
    else:
        matched = [k for k in keys[start:] if all(p(rows[k[1]]) for p in rest)]
        total = len(matched)
        chosen = matched[offset : offset + size]
    return [rows[rn] for _, rn in chosen], total


def _sort_key(datatype: str) -> Callable[[Any], Any]:
    def key(v: Any) -> Any:
        return comparable(datatype, v) or 0

    return key


def aggregate(
    access: Callable[[str], FieldAccess],
    rows: list[Record],
    fields: list[str],
    aggs: list[tuple[str, str]],
) -> list[Record]:
    """Group ``rows`` by ``fields`` and compute ``aggs`` (``(function, field)``) per group."""
    getters = {f: access(f) for f in fields}
    agg_acc = {f: access(f) for _, f in aggs}
    groups: dict[tuple[Any, ...], list[Record]] = {}
    for r in rows:
        groups.setdefault(tuple(getters[f].getter(r) for f in fields), []).append(r)
    out: list[Record] = []
    for key, members in groups.items():
        rec: dict[str, Any] = dict(zip(fields, key, strict=True))
        for a, f in aggs:
            acc = agg_acc[f]
            vals = [v for v in (acc.getter(m) for m in members) if v not in (None, "")]
            name = f"{a.upper()}.{f}"
            if a == "count":
                rec[name] = str(len(vals))
            elif a in ("sum", "avg"):
                nums = [comparable("DECIMAL", v) for v in vals]
                total = sum((n for n in nums if n is not None), Decimal(0))
                rec[name] = str(total if a == "sum" else (total / len(nums) if nums else ""))
            elif vals:
                pick = min if a == "min" else max
                rec[name] = pick(vals, key=_sort_key(acc.datatype))
            else:
                rec[name] = ""
        out.append(rec)
    return out
