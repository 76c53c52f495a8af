"""One object's stored records, with the order indexes the keyset queries read.

A client reads changes keyset-paged: ``orderby WHENMODIFIED, RECORDNO`` with a filter
"strictly after the last row seen". Answering each page by parsing every record's timestamp and
sorting the whole table makes a read of N records cost N² / page size; an :class:`OrderIndex`
keeps the records' ``(timestamp, RECORDNO)`` keys sorted instead, parsed once per write, so a
page is a bisection and a slice (see :mod:`intacct_sdk.testing._keyset`).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Mapping
from typing import Any

from intacct_sdk.testing._query import comparable

__all__ = ["OrderIndex", "Table"]

Key = str | tuple[str, str]
OrderKey = tuple[tuple[int, ...], int]


class OrderIndex:
    """The records of one table in ``(field, RECORDNO)`` order, for one DATE/TIMESTAMP field.

    Attributes:
        field: The timestamp field.
        keys: ``(parsed timestamp, RECORDNO)`` of every record whose field is readable, sorted.
        unreadable: RECORDNOs whose field holds text that is not a date (such records are
            not in ``keys``; a query path that relies on the index must not be taken while
            there are any, since a filter may still select them).
    """

    __slots__ = ("_of", "field", "keys", "unreadable")

    def __init__(self, field: str, rows: Mapping[int, Mapping[str, Any]]) -> None:
        self.field = field
        self._of: dict[int, OrderKey] = {}
        self.unreadable: set[int] = set()
        for rn, rec in rows.items():
            k = self._key(rn, rec)
            if k is not None:
                self._of[rn] = k
        self.keys: list[OrderKey] = sorted(self._of.values())

    def _key(self, rn: int, rec: Mapping[str, Any]) -> OrderKey | None:
        value = rec.get(self.field)
        if value is None or value == "":
            return None
        parsed = comparable("TIMESTAMP", value)
        if parsed is None:
            self.unreadable.add(rn)
            return None
        return parsed, rn

    def replace(self, rn: int, rec: Mapping[str, Any] | None) -> None:
        """Record that the record ``rn`` is now ``rec`` (None: deleted)."""
        old = self._of.pop(rn, None)
        self.unreadable.discard(rn)
        new = self._key(rn, rec) if rec is not None else None
        if old == new:
            if new is not None:
                self._of[rn] = new
            return
        if old is not None:
            i = bisect_left(self.keys, old)
            del self.keys[i]
        if new is not None:
            self._of[rn] = new
            insort(self.keys, new)


class Table:
    """The live records of one object.

    Attributes:
        rows: RECORDNO -> record, in RECORDNO order.
        by_id: ID key -> RECORDNO.
        seq: The last RECORDNO given out.
    """

    __slots__ = ("_orders", "by_id", "rows", "seq")

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.by_id: dict[Key, int] = {}
        self.seq = 0
        self._orders: dict[str, OrderIndex] = {}

    def changed(self, rn: int, rec: Mapping[str, Any] | None) -> None:
        """Keep the order indexes up to date after ``rows[rn]`` became ``rec`` (None: gone)."""
        for index in self._orders.values():
            index.replace(rn, rec)

    def order_index(self, field: str) -> OrderIndex:
        """The index of ``field`` (built on first use, then kept up to date by :meth:`changed`)."""
        index = self._orders.get(field)
        if index is None:
            index = self._orders[field] = OrderIndex(field, self.rows)
        return index

    def forget_orders(self) -> None:
        """Drop the order indexes (after ``rows`` changed behind :meth:`changed`'s back)."""
        self._orders.clear()
