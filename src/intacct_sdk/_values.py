"""Values on the wire and in Python: typed reading from the schema table, and writing.

Reading is the hot path of a 2,000-record page, so it is table-driven: for each object, a
dictionary maps the field names whose ``lookup`` type is not text to one small converter
(:func:`converters`, cached). A field missing from the table stays a ``str``; a value that
does not parse also stays a ``str`` (the gateway is trusted more than the table), and no
converter ever raises. Dates and timestamps are parsed by slicing, not ``strptime``.

Writing (:func:`to_wire`) produces Intacct's formats: ``date`` -> ``MM/DD/YYYY``,
``datetime`` -> ``MM/DD/YYYY HH:MM:SS`` (the wall-clock time of the value), ``bool`` ->
``true``/``false``, ``Decimal``/``int`` -> plain digits, ``None`` -> nothing.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final

import attrs

from intacct_sdk import schema
from intacct_sdk._errors import ConfigurationError

__all__ = [
    "MULTI_SELECT_GLUE",
    "Converter",
    "ValueTyping",
    "convert_column",
    "convert_many",
    "converters",
    "format_date",
    "format_datetime",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
    "to_wire",
]

Converter = Callable[[str], Any]
MULTI_SELECT_GLUE: Final = "#~#"


@attrs.frozen(slots=True)
class ValueTyping:
    """How field values of records are turned into Python values.

    Attributes:
        typed: Convert values by their ``lookup`` type (dates, numbers, booleans); when
            False every value stays the string the gateway sent (empty elements as ``""``).
        timezone: The company's time zone. When set, timestamps (``WHENMODIFIED`` and
            friends, which the gateway sends without a zone) become aware datetimes in it;
            otherwise they are naive.
    """

    typed: bool = True
    timezone: tzinfo | None = None


_DEC: Final = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?").fullmatch
_CACHE_LIMIT: Final = 4096
_date_cache: dict[str, date | str] = {}


def _date(text: str) -> date | str:
    if len(text) == 10 and text[2] == "/" and text[5] == "/":
        # date.fromisoformat only accepts ASCII digits in YYYY-MM-DD: it does the checking.
        try:
            return date.fromisoformat(f"{text[6:]}-{text[:2]}-{text[3:5]}")
        except ValueError:
            return text
    return text


def parse_date(text: str) -> date | str:
    """``MM/DD/YYYY`` to a date; anything else is returned unchanged."""
    # Pages repeat the same dates over and over; dates are immutable, so share them.
    value = _date_cache.get(text)
    if value is None:
        value = _date(text)
        if len(_date_cache) >= _CACHE_LIMIT:
            _date_cache.clear()
        _date_cache[text] = value
    return value


def _datetime(text: str, tz: tzinfo | None) -> datetime | str:
    if (
        len(text) == 19
        and text[2] == "/"
        and text[5] == "/"
        and text[10] == " "
        and text[13] == ":"
        and text[16] == ":"
    ):
        try:
            value = datetime.fromisoformat(f"{text[6:10]}-{text[:2]}-{text[3:5]}T{text[11:]}")
        except ValueError:
            return text
        return value if tz is None else value.replace(tzinfo=tz)
    return text


def parse_datetime(text: str, tz: tzinfo | None = None) -> datetime | str:
    """``MM/DD/YYYY HH:MM:SS`` to a datetime (aware in ``tz`` when given); else unchanged."""
    return _datetime(text, tz)


def _naive_datetime(text: str) -> datetime | str:
    # _datetime without the time zone, inlined: it runs for every WHENMODIFIED of a page.
    if (
        len(text) == 19
        and text[2] == "/"
        and text[5] == "/"
        and text[10] == " "
        and text[13] == ":"
        and text[16] == ":"
    ):
        try:
            return _fromisoformat(f"{text[6:10]}-{text[:2]}-{text[3:5]}T{text[11:]}")
        except ValueError:
            return text
    return text


_fromisoformat: Final = datetime.fromisoformat


def parse_int(text: str) -> int | str:
    """Plain ASCII digits (optional leading minus) to an int; anything else unchanged."""
    if (text.isdigit() or (text[:1] == "-" and text[1:].isdigit())) and text.isascii():
        try:
            return int(text)
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
            return text
    return text


def parse_decimal(text: str) -> Decimal | str:
    """A plain decimal number to a Decimal; anything else (``NaN``, ``1,000``) unchanged."""
    if _DEC(text) is None:
        return text
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return text


def parse_bool(text: str) -> bool | str:
    """``true``/``false`` (any case) to a bool; anything else unchanged."""
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    return text


@attrs.frozen(slots=True)
class _AwareDatetime:
    """The TIMESTAMP converter of a table with a time zone (bulk conversion knows it)."""

    tz: tzinfo

    def __call__(self, text: str) -> datetime | str:
        return _datetime(text, self.tz)


_BY_TYPE: Final[dict[str, Converter]] = {
    "DATE": parse_date,
    "INTEGER": parse_int,
    "DECIMAL": parse_decimal,
    "CURRENCY": parse_decimal,
    "PERCENT": parse_decimal,
    "BOOLEAN": parse_bool,
}


@lru_cache(maxsize=512)
def converters(object_name: str, tz: tzinfo | None = None) -> dict[str, Converter]:
    """The converter table of one object: field name -> converter, for non-text fields only.

    Field names are exactly as ``lookup`` spells them, including dotted group paths
    (``PERSONALINFO.EMAIL1``). Unknown objects get an empty table (all values strings).
    Callers must not mutate the returned dict: it is shared.
    """
    info = schema.get_schema(object_name)
    if info is None:
        return {}
    ts: Converter = _AwareDatetime(tz) if tz is not None else _naive_datetime
    table: dict[str, Converter] = {}
    for name, field in info.fields.items():
        if field.datatype == "TIMESTAMP":
            table[name] = ts
        else:
            conv = _BY_TYPE.get(field.datatype)
            if conv is not None:
                table[name] = conv
    return table


# --------------------------------------------------------------------------- bulk


def convert_column(conv: Converter, column: list[str | None]) -> list[Any]:
    """``[conv(text) for text in column]``, None kept, converted in bulk.

    A column of distinct texts (record numbers, modification stamps) is converted in order
    by the bulk converters; a column with repeats (dates, quantities, the stamps of one
    document's lines) converts each distinct text once and maps the column through them.
    The result is always what ``conv`` gives for each text.
    """
    distinct = set(column)
    distinct.discard(None)
    if not distinct:
        return column  # every value empty: None stays None
    if len(distinct) == len(column):  # no None and no repeat
        values = _bulk_values(conv, column)  # type: ignore[arg-type]
        if values is not None:
            return values
    memo: dict[Any, Any] = convert_many(conv, distinct)  # type: ignore[arg-type]  # no None
    memo[None] = None
    return list(map(memo.__getitem__, column))


def _bulk_values(conv: Converter, items: list[str]) -> list[Any] | None:
    """The bulk conversion of ``items`` in order, or None where ``conv`` has none (or the
    texts do not all have the shape it converts in bulk)."""
    if conv is _naive_datetime or isinstance(conv, _AwareDatetime):
        return _datetime_values(items, conv)
    if conv is parse_date:
        return _date_values(items)
    if conv is parse_int:
        joined = "".join(items)
        if joined.isascii() and joined.isdigit():
            try:
                return list(map(int, items))
            except ValueError:  # more digits than int() converts
                return None
    return None


def convert_many(conv: Converter, texts: set[str]) -> dict[str, Any]:
    """``{text: conv(text)}`` for many distinct texts, in bulk where ``conv`` allows it.

    A column of plain ASCII digit strings (checked once, on the joined texts) goes to ``int``
    in one C-level ``map``; anything else text by text (dates go through their cache). The
    result is always what ``conv`` gives for each text.
    """
    items = list(texts)
    bulk: dict[str, Any] | None = None
    if conv is parse_date:
        # Dates recur across pages: the shared cache answers most of them in one C map.
        cached = list(map(_date_cache.get, items))
        if None not in cached:
            return dict(zip(items, cached, strict=True))
        values = _date_values(items)
        if values is not None:
            bulk = dict(zip(items, values, strict=True))
            if len(_date_cache) + len(bulk) <= _CACHE_LIMIT:
                _date_cache.update(bulk)
    else:
        values = _bulk_values(conv, items)
        if values is not None:
            bulk = dict(zip(items, values, strict=True))
    if bulk is None:
        bulk = {text: conv(text) for text in items}
    return bulk


# The fixed positions of MM/DD/YYYY HH:MM:SS, and its parts in ISO order.
_TS_MARKS: Final = operator.itemgetter(2, 5, 10, 13, 16)
_TS_SHAPE: Final = {("/", "/", " ", ":", ":")}
_TS_PARTS: Final = operator.itemgetter(slice(6, 10), slice(0, 2), slice(3, 5), slice(11, 19))
_DATE_MARKS: Final = operator.itemgetter(2, 5)
_DATE_SHAPE: Final = {("/", "/")}
_DATE_PARTS: Final = operator.itemgetter(slice(6, 10), slice(0, 2), slice(3, 5))


def _datetime_values(items: list[str], conv: Converter) -> list[Any] | None:
    """Timestamps in C-level maps when every text has the wire shape; else None.

    The rearranged strings are exactly those :func:`_datetime` builds one by one, and
    ``fromisoformat`` checks the digits; any failure leaves the column to the caller's
    one-by-one conversion.
    """
    if set(map(len, items)) != {19} or set(map(_TS_MARKS, items)) != _TS_SHAPE:
        return None
    try:
        values = list(map(_fromisoformat, map("%s-%s-%sT%s".__mod__, map(_TS_PARTS, items))))
    except ValueError:
        return None
    if isinstance(conv, _AwareDatetime):
        values = list(map(operator.methodcaller("replace", tzinfo=conv.tz), values))
    return values


def _date_values(items: list[str]) -> list[Any] | None:
    """Dates in C-level maps when every text has the wire shape; else None (as above)."""
    if set(map(len, items)) != {10} or set(map(_DATE_MARKS, items)) != _DATE_SHAPE:
        return None
    try:
        return list(map(_date_fromisoformat, map("%s-%s-%s".__mod__, map(_DATE_PARTS, items))))
    except ValueError:
        return None


_date_fromisoformat: Final = date.fromisoformat


def format_date(value: date) -> str:
    """A date in Intacct's ``MM/DD/YYYY``."""
    return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


def format_datetime(value: datetime) -> str:
    """A datetime in Intacct's ``MM/DD/YYYY HH:MM:SS`` (its own wall-clock time)."""
    return (
        f"{value.month:02d}/{value.day:02d}/{value.year:04d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ConfigurationError("NaN and infinite numbers cannot be sent to Intacct")
    text = format(value, "f")
    return "0" if text in ("-0", "+0") else text


def to_wire(value: Any) -> str | None:
    """Render a Python value in Intacct's wire format; None means "omit the element".

    Args:
        value: ``str``, ``bool``, ``int``, ``Decimal``, ``float``, ``date``, ``datetime``,
            None, or a list/tuple of such scalars (a multi-select value, joined by ``#~#``).

    Raises:
        ConfigurationError: A type with no wire format, or a NaN/infinite number.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigurationError("NaN and infinite numbers cannot be sent to Intacct")
        return _decimal_text(Decimal(repr(value)))
    if isinstance(value, list | tuple):
        return MULTI_SELECT_GLUE.join(_scalar(v) for v in value)
    raise ConfigurationError(f"values of type {type(value).__name__} have no Intacct format")


def _scalar(value: Any) -> str:
    if isinstance(value, list | tuple) or value is None:
        raise ConfigurationError("a multi-select value holds only non-empty scalars")
    text = to_wire(value)
    assert text is not None
    return text
