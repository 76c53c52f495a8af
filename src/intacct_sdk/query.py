"""Filters for the ``query`` function, and quoting for ``readByQuery`` query strings.

Build a filter from field references and combine them with ``&`` and ``|``::

    from intacct_sdk import F, and_, or_

    active = F("STATUS") == "active"
    recent = F("WHENMODIFIED") >= date(2024, 1, 1)
    where = active & (recent | F("EMPLOYEEID").in_(["E1", "E2"]))
    where.to_xml()   # the content of <filter>

A :class:`Filter` is a frozen value: hashable, compared by value, safe to share. Values are
rendered in Intacct's wire formats when the filter is built (booleans ``true``/``false``,
decimals as plain digits), except dates and datetimes: they are kept as given and written
when the request is built, in the API user's date format, aware datetimes converted to the
API user's time zone (UTC for the fields the schema marks GMT, such as
``AUDITHISTORY.ACCESSTIME``); naive datetimes are written as given.

Python evaluates ``a and b`` and chained comparisons (``1 < F("X") < 5``) by truth value,
which cannot be intercepted: always combine filters with ``&``, ``|``, :func:`and_`,
:func:`or_` or :meth:`F.between`.

For the older ``readByQuery`` function, whose query is a SQL-like string, :func:`quote`
and :func:`query_string` write values with the escaping that function expects; pass
``format=client.value_format()`` so that dates and aware datetimes are written the way the
API user's preferences read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Final, Literal

import attrs

from intacct_sdk import schema
from intacct_sdk._errors import ConfigurationError
from intacct_sdk._formats import ValueFormat, writing
from intacct_sdk._values import to_wire
from intacct_sdk._xml import escape_text

__all__ = [
    "MAX_IN_VALUES",
    "F",
    "Filter",
    "OrderBy",
    "Value",
    "and_",
    "or_",
    "query_string",
    "quote",
]

Value = str | int | Decimal | date | bool
OrderBy = tuple[str, Literal["asc", "desc"]]

MAX_IN_VALUES: Final = 1000
"""The gateway's limit on values of one ``in`` / ``notin`` condition."""

_VALUE_OPS: Final = frozenset(
    {
        "equalto",
        "notequalto",
        "lessthan",
        "lessthanorequalto",
        "greaterthan",
        "greaterthanorequalto",
        "like",
        "notlike",
    }
)
_LIST_OPS: Final = frozenset({"in", "notin"})
_NULL_OPS: Final = frozenset({"isnull", "isnotnull"})
_LOGIC_OPS: Final = frozenset({"and", "or"})


def _wire(value: Value, *, gmt: bool = False) -> str:
    if value is None:
        raise ConfigurationError("a filter value cannot be None; use is_null() instead")
    text = to_wire(value, gmt=gmt)
    assert text is not None
    return text


def _held(value: Value) -> str | date:
    """A condition's value as the filter keeps it: dates and datetimes as they are (written
    when the request is built), everything else in wire format now."""
    if isinstance(value, date):
        return value
    return _wire(value)


def _check_field(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError("a filter needs a non-empty field name")
    return name


@attrs.frozen(slots=True)
class Filter:
    """One node of a ``query`` filter: a condition on a field, or ``and``/``or`` of nodes.

    Build filters with :class:`F`, ``&``, ``|``, :func:`and_` and :func:`or_` rather than
    directly.

    Attributes:
        op: The gateway operator element (``equalto``, ``in``, ``and``, ...).
        field: The field of a condition; None for ``and``/``or``.
        values: The values of a condition: wire-format text, or ``date``/``datetime``
            values, which are written in the API user's format when the request is built.
        children: The operands of ``and``/``or``.
    """

    op: str
    field: str | None = None
    values: tuple[str | date, ...] = ()
    children: tuple[Filter, ...] = ()

    def __attrs_post_init__(self) -> None:
        op = self.op
        if op in _LOGIC_OPS:
            if len(self.children) < 2 or self.field is not None or self.values:
                raise ConfigurationError(f"'{op}' needs at least two filters and nothing else")
            return
        if self.field is None or self.children:
            raise ConfigurationError(f"'{op}' needs a field and no sub-filters")
        count = len(self.values)
        if op in _VALUE_OPS:
            ok = count == 1
        elif op in _LIST_OPS:
            ok = 1 <= count <= MAX_IN_VALUES
        elif op == "between":
            ok = count == 2
        elif op in _NULL_OPS:
            ok = count == 0
        else:
            raise ConfigurationError(f"unknown filter operator {op!r}")
        if not ok:
            if op in _LIST_OPS:
                raise ConfigurationError(f"'{op}' takes 1 to {MAX_IN_VALUES} values, got {count}")
            raise ConfigurationError(f"'{op}' got {count} value(s)")

    def __and__(self, other: Filter) -> Filter:
        if not isinstance(other, Filter):
            return NotImplemented
        return and_(self, other)

    def __or__(self, other: Filter) -> Filter:
        if not isinstance(other, Filter):
            return NotImplemented
        return or_(self, other)

    def to_xml(self, object_name: str | None = None) -> str:
        """The XML of this filter, as the content of a ``<filter>`` element.

        Dates and datetimes are written in the format being written (the client sets the
        API user's while it builds a request; ``MM/DD/YYYY`` and no zone otherwise).

        Args:
            object_name: The object queried: its GMT fields (see
                :data:`intacct_sdk.schema.GMT_FIELDS`) get aware datetimes in UTC.

        Raises:
            ConfigurationError: An aware datetime while the API user's zone is unknown.
        """
        parts: list[str] = []
        self._write(parts, schema.gmt_fields(object_name) if object_name else frozenset())
        return "".join(parts)

    def _write(self, out: list[str], gmt: frozenset[str]) -> None:
        op = self.op
        out.append(f"<{op}>")
        if self.children:
            for child in self.children:
                child._write(out, gmt)
        else:
            assert self.field is not None
            out.append(f"<field>{escape_text(self.field)}</field>")
            in_gmt = self.field.upper() in gmt
            for value in self.values:
                text = value if isinstance(value, str) else _wire(value, gmt=in_gmt)
                out.append(f"<value>{escape_text(text)}</value>")
        out.append(f"</{op}>")


def _combine(op: str, filters: Iterable[Filter]) -> Filter:
    flat: list[Filter] = []
    for f in filters:
        if not isinstance(f, Filter):
            raise ConfigurationError(f"{op}_() takes Filter values, got {type(f).__name__}")
        # (a & b) & c is and(a, b, c): the same condition, one level less.
        if f.op == op:
            flat.extend(f.children)
        else:
            flat.append(f)
    if not flat:
        raise ConfigurationError(f"{op}_() needs at least one filter")
    if len(flat) == 1:
        return flat[0]
    return Filter(op, children=tuple(flat))


def and_(*filters: Filter) -> Filter:
    """All of ``filters``; a single filter is returned as it is."""
    return _combine("and", filters)


def or_(*filters: Filter) -> Filter:
    """Any of ``filters``; a single filter is returned as it is."""
    return _combine("or", filters)


class F:
    """A reference to a field, the left side of a filter condition.

    Comparison operators return :class:`Filter` values, so ``F`` objects themselves are
    not hashable.

    Args:
        name: The field name as Intacct spells it; dotted paths reach related objects
            (``PROJECT.CUSTOMERID``).
    """

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str) -> None:
        self.name = _check_field(name)

    def __repr__(self) -> str:
        return f"F({self.name!r})"

    def _cond(self, op: str, *values: Value) -> Filter:
        return Filter(op, self.name, tuple(_held(v) for v in values))

    def __eq__(self, value: Value) -> Filter:  # type: ignore[override]
        return self._cond("equalto", value)

    def __ne__(self, value: Value) -> Filter:  # type: ignore[override]
        return self._cond("notequalto", value)

    def __lt__(self, value: Value) -> Filter:
        return self._cond("lessthan", value)

    def __le__(self, value: Value) -> Filter:
        return self._cond("lessthanorequalto", value)

    def __gt__(self, value: Value) -> Filter:
        return self._cond("greaterthan", value)

    def __ge__(self, value: Value) -> Filter:
        return self._cond("greaterthanorequalto", value)

    def between(self, low: Value, high: Value) -> Filter:
        """``low <= field <= high`` (the gateway wants the earlier value first)."""
        return self._cond("between", low, high)

    def in_(self, values: Iterable[Value]) -> Filter:
        """The field equals one of ``values`` (1 to 1,000 of them)."""
        return self._cond("in", *values)

    def not_in(self, values: Iterable[Value]) -> Filter:
        """The field equals none of ``values`` (1 to 1,000 of them)."""
        return self._cond("notin", *values)

    def like(self, pattern: str) -> Filter:
        """SQL ``LIKE``: ``%`` matches any run of characters, ``_`` one character."""
        return self._cond("like", pattern)

    def not_like(self, pattern: str) -> Filter:
        """SQL ``NOT LIKE``."""
        return self._cond("notlike", pattern)

    def is_null(self) -> Filter:
        """The field is empty."""
        return Filter("isnull", self.name)

    def is_not_null(self) -> Filter:
        """The field is not empty."""
        return Filter("isnotnull", self.name)


def quote(value: Value, *, format: ValueFormat | None = None) -> str:
    """Write ``value`` as a ``readByQuery`` literal.

    Strings, dates and booleans are single-quoted with backslash escapes (``'Jane\\'s'``);
    booleans become the database codes ``'T'``/``'F'`` that ``readByQuery`` compares
    against; numbers are written bare.

    Args:
        value: The value.
        format: The API user's format (``client.value_format()``): dates in its date
            format, aware datetimes converted to its zone. Default: the format being
            written, ``MM/DD/YYYY`` with no zone outside a request.

    Raises:
        ConfigurationError: None, a type with no wire format, or an aware datetime while
            the zone is unknown.
    """
    if format is not None:
        with writing(format):
            return quote(value)
    if isinstance(value, bool):
        return "'T'" if value else "'F'"
    if isinstance(value, int | Decimal):
        return _wire(value)
    text = _wire(value)
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def query_string(template: str, *values: Value, format: ValueFormat | None = None) -> str:
    """Fill each ``?`` of ``template`` with the next of ``values``, quoted by :func:`quote`.

    ``format`` is passed to :func:`quote` (give ``client.value_format()`` when a value is a
    date or an aware datetime).

    Example: ``query_string("EMPLOYEEID = ? AND STATUS = ?", "E'1", "T")`` gives
    ``EMPLOYEEID = 'E\\'1' AND STATUS = 'T'``.

    Raises:
        ConfigurationError: The number of ``?`` and values differ.
    """
    pieces = template.split("?")
    if len(pieces) - 1 != len(values):
        raise ConfigurationError(
            f"query template has {len(pieces) - 1} placeholders but {len(values)} values"
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(quote(value, format=format))
        out.append(piece)
    return "".join(out)
