"""Values on the wire and in Python: typed reading from the schema table, and writing.

Reading is the hot path of a 2,000-record page, so it is table-driven: for each object, zone
and date format, a dictionary maps the field names whose ``lookup`` type is not text to one
small converter (:func:`converters`, cached: the per-format work is done once per table, not
per value). A field missing from the table stays a ``str``. No converter ever raises: a value
that does not parse comes back as the ``str`` it was, which the reader of an answer
(:mod:`intacct_sdk._parse`) then refuses (:class:`~intacct_sdk.ValueTypeError`, with
``ValueTyping.strict``) or keeps, logged (without it).
Dates and timestamps are parsed by slicing, not ``strptime``.

Dates come in the API user's date format (``/mdY`` unless configured or discovered), and
timestamps as ``<date> HH:MM:SS`` wall time in the API user's time zone: aware datetimes in
that zone when it is known, naive ones (wall time in a zone the client does not know)
otherwise. Fields the schema marks GMT (:data:`intacct_sdk.schema.GMT_FIELDS`) are aware in
UTC whatever the user's zone.

Writing (:func:`to_wire`) produces Intacct's formats in the format being written
(:func:`intacct_sdk._formats.writing`, set by the client while it builds a request):
``date`` in the user's date format, ``datetime`` as ``<date> HH:MM:SS`` (aware values
converted to the user's zone, or UTC for GMT fields; naive values as given), ``bool`` ->
``true``/``false``, ``Decimal``/``int`` -> plain digits, ``None`` -> nothing.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final

import attrs

from intacct_sdk import schema
from intacct_sdk._errors import ConfigurationError
from intacct_sdk._formats import MDY, DateFormat, current_format, date_format

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
        timezone: The API user's time-zone preference. When set, timestamps
            (``WHENMODIFIED`` and friends, which the gateway sends as wall time in that
            zone) become aware datetimes in it; otherwise they are naive: wall time in the
            API user's zone, the zone unknown. GMT fields are aware in UTC either way.
        date_format: The API user's date format (``/mdY``, ``/dmY``, ``-Ymd``, ...; see
            :data:`intacct_sdk._formats.DATE_FORMATS`), for dates and the date part of
            timestamps.
        strict: A value the table types that does not parse (``RECORDNO`` of
            ``not-a-number``) raises :class:`~intacct_sdk.ValueTypeError`; when False it
            stays the string the gateway sent, and the first such value of each object and
            field is logged at WARNING.
    """

    typed: bool = True
    timezone: tzinfo | None = None
    date_format: DateFormat = attrs.field(default=MDY, converter=date_format)
    strict: bool = True


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


class _Dates:
    """The DATE converter of a format other than ``/mdY``, with a cache of its own (the
    same text is another date in another format)."""

    __slots__ = ("cache", "fmt")

    def __init__(self, fmt: DateFormat) -> None:
        self.fmt = fmt
        self.cache: dict[str, date | str] = {}

    def __call__(self, text: str) -> date | str:
        value = self.cache.get(text)
        if value is None:
            iso = self.fmt.iso_date(text)
            value = text
            if iso is not None:
                try:
                    value = _date_fromisoformat(iso)
                except ValueError:
                    value = text
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            self.cache[text] = value
        return value


def _datetime(text: str, tz: tzinfo | None, fmt: DateFormat = MDY) -> datetime | str:
    iso = fmt.iso_datetime(text)
    if iso is None:
        return text
    try:
        value = _fromisoformat(iso)
    except ValueError:
        return text
    return value if tz is None else value.replace(tzinfo=tz)


def parse_datetime(
    text: str, tz: tzinfo | None = None, date_format: str | DateFormat = MDY
) -> datetime | str:
    """``<date> HH:MM:SS`` to a datetime (aware in ``tz`` when given); else unchanged.

    Args:
        text: The timestamp as the gateway wrote it.
        tz: The zone the wall time is in; None gives a naive datetime.
        date_format: The order of the date part (default ``/mdY``).
    """
    return _datetime(text, tz, _date_format(date_format))


def _naive_datetime(text: str) -> datetime | str:
    # _datetime for /mdY without a zone, inlined: it runs for every WHENMODIFIED of a page.
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
_date_format: Final = date_format


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
class _Stamps:
    """The TIMESTAMP converter of a table in a known zone or another date format (bulk
    conversion knows it)."""

    fmt: DateFormat
    tz: tzinfo | None

    def __call__(self, text: str) -> datetime | str:
        return _datetime(text, self.tz, self.fmt)


_NAIVE_MDY: Final = _Stamps(MDY, None)

_BY_TYPE: Final[dict[str, Converter]] = {
    "INTEGER": parse_int,
    "DECIMAL": parse_decimal,
    "CURRENCY": parse_decimal,
    "PERCENT": parse_decimal,
    "BOOLEAN": parse_bool,
}


@lru_cache(maxsize=64)
def _date_converter(fmt: DateFormat) -> Converter:
    return parse_date if fmt is MDY else _Dates(fmt)


def _stamp_converter(fmt: DateFormat, tz: tzinfo | None) -> Converter:
    return _naive_datetime if fmt is MDY and tz is None else _Stamps(fmt, tz)


def converters(
    object_name: str, tz: tzinfo | None = None, date_format: str | DateFormat = MDY
) -> dict[str, Converter]:
    """The converter table of one object: field name -> converter, for non-text fields only.

    Field names are exactly as ``lookup`` spells them, including dotted group paths
    (``PERSONALINFO.EMAIL1``). Unknown objects get an empty table (all values strings).
    Callers must not mutate the returned dict: it is shared.

    Args:
        object_name: The object (upper case, as the schema table names it).
        tz: The API user's zone: timestamps become aware in it (naive when None). GMT
            fields are aware in UTC either way.
        date_format: The API user's date format.
    """
    return _table(object_name, tz, _date_format(date_format))


@lru_cache(maxsize=512)
def _table(object_name: str, tz: tzinfo | None, fmt: DateFormat) -> dict[str, Converter]:
    info = schema.get_schema(object_name)
    if info is None:
        return {}
    ts = _stamp_converter(fmt, tz)
    gmt = _stamp_converter(fmt, UTC)
    dates = _date_converter(fmt)
    table: dict[str, Converter] = {}
    for name, field in info.fields.items():
        if field.datatype == "TIMESTAMP":
            table[name] = gmt if field.gmt else ts
        elif field.datatype == "DATE":
            table[name] = dates
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
    if conv is _naive_datetime:
        return _datetime_values(items, _NAIVE_MDY)
    if isinstance(conv, _Stamps):
        return _datetime_values(items, conv)
    if conv is parse_date:
        return _date_values(items, MDY)
    if isinstance(conv, _Dates):
        return _date_values(items, conv.fmt)
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
    if conv is parse_date or isinstance(conv, _Dates):
        # Dates recur across pages: the format's cache answers most of them in one C map.
        if isinstance(conv, _Dates):
            fmt, cache = conv.fmt, conv.cache
        else:
            fmt, cache = MDY, _date_cache
        cached = list(map(cache.get, items))
        if None not in cached:
            return dict(zip(items, cached, strict=True))
        values = _date_values(items, fmt)
        if values is not None:
            bulk = dict(zip(items, values, strict=True))
            if len(cache) + len(bulk) <= _CACHE_LIMIT:
                cache.update(bulk)
    else:
        values = _bulk_values(conv, items)
        if values is not None:
            bulk = dict(zip(items, values, strict=True))
    if bulk is None:
        bulk = {text: conv(text) for text in items}
    return bulk


def _datetime_values(items: list[str], conv: _Stamps) -> list[Any] | None:
    """Timestamps in C-level maps when every text has the wire shape; else None.

    The rearranged strings are exactly those :func:`_datetime` builds one by one, and
    ``fromisoformat`` checks the digits; any failure leaves the column to the caller's
    one-by-one conversion.
    """
    fmt = conv.fmt
    if set(map(len, items)) != {19} or set(map(fmt.stamp_marks, items)) != {fmt.stamp_shape}:
        return None
    try:
        values = list(map(_fromisoformat, map("%s-%s-%sT%s".__mod__, map(fmt.stamp_parts, items))))
    except ValueError:
        return None
    if conv.tz is not None:
        values = list(map(operator.methodcaller("replace", tzinfo=conv.tz), values))
    return values


def _date_values(items: list[str], fmt: DateFormat) -> list[Any] | None:
    """Dates in C-level maps when every text has the wire shape; else None (as above)."""
    if set(map(len, items)) != {10} or set(map(fmt.date_marks, items)) != {fmt.date_shape}:
        return None
    try:
        return list(map(_date_fromisoformat, map("%s-%s-%s".__mod__, map(fmt.date_parts, items))))
    except ValueError:
        return None


_date_fromisoformat: Final = date.fromisoformat


def format_date(value: date, date_format: str | DateFormat = MDY) -> str:
    """A date in one of Intacct's date formats (default ``MM/DD/YYYY``)."""
    return _date_format(date_format).format_date(value)


def format_datetime(value: datetime, date_format: str | DateFormat = MDY) -> str:
    """A datetime as ``<date> HH:MM:SS`` (its own wall-clock time, whatever its zone)."""
    return _date_format(date_format).format_datetime(value)


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ConfigurationError("NaN and infinite numbers cannot be sent to Intacct")
    text = format(value, "f")
    return "0" if text in ("-0", "+0") else text


def to_wire(value: Any, *, gmt: bool = False) -> str | None:
    """Render a Python value in Intacct's wire format; None means "omit the element".

    Dates and datetimes are written in the format being written
    (:func:`~intacct_sdk._formats.current_format`): the API user's date format, and aware
    datetimes converted to the user's zone (to UTC when ``gmt``); naive datetimes as given.

    Args:
        value: ``str``, ``bool``, ``int``, ``Decimal``, ``float``, ``date``, ``datetime``,
            None, or a list/tuple of such scalars (a multi-select value, joined by ``#~#``).
        gmt: The value is for a field the gateway keeps in GMT.

    Raises:
        ConfigurationError: A type with no wire format, a NaN/infinite number, or an aware
            datetime while the user's zone is unknown.
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
        return current_format().stamp(value, gmt=gmt)
    if isinstance(value, date):
        return current_format().date_format.format_date(value)
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
