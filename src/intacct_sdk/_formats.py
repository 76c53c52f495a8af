"""The API user's value formats: the zone of timestamps and the order of dates.

The gateway writes and reads ``TIMESTAMP`` values (``WHENMODIFIED`` and friends) as wall
time in the *API user's* time-zone preference, and dates in that user's date format, not the
company's and not UTC (shared reference rest-and-fidelity.md §2.5; Estuary's Intacct
connector reads the preferences with ``readUserFormatting``). A few fields are always GMT
whatever the preferences (``AUDITHISTORY.ACCESSTIME``; see :data:`intacct_sdk.schema.GMT_FIELDS`).

This module knows the formats (:class:`DateFormat`), the resolved pair of zone and date format
(:class:`ValueFormat`), how to read a ``readUserFormatting`` answer (:func:`from_user_formatting`),
and which format values are being *written* in (:func:`writing`): the client sets it while it
builds a request, so that filters, query strings and records render aware datetimes in the
user's zone and dates in the user's order.

Date formats are named as ``readUserFormatting`` names them: a separator, then the order of
day, month and four-digit year (``/mdY`` is ``MM/DD/YYYY``; ``-Ymd`` is ``YYYY-MM-DD``). The
two-digit-year formats Intacct also offers are refused: their century would be a guess.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from typing import Any, Final, Literal

import attrs

from intacct_sdk._errors import ConfigurationError

__all__ = [
    "DATE_FORMATS",
    "DEFAULT_DATE_FORMAT",
    "DISCOVER",
    "DateFormat",
    "ValueFormat",
    "current_format",
    "date_format",
    "from_user_formatting",
    "parse_gmt_offset",
    "writing",
    "zone_of",
]

DISCOVER: Final = "discover"
"""The ``timezone`` option that reads the API user's preferences from Intacct."""

DEFAULT_DATE_FORMAT: Final = "/mdY"
_ORDERS: Final = ("mdY", "dmY", "Ymd")
_SEPARATORS: Final = "/-. "
DATE_FORMATS: Final[tuple[str, ...]] = tuple(s + o for s in _SEPARATORS for o in _ORDERS)
"""The date formats the client reads and writes (separator, then the order of the parts)."""

Order = Literal["mdY", "dmY", "Ymd"]

# Where day, month and year sit in a ten-character date of each order.
_SLICES: Final[dict[str, tuple[slice, slice, slice, tuple[int, int]]]] = {
    # order: (year, month, day, separator positions)
    "mdY": (slice(6, 10), slice(0, 2), slice(3, 5), (2, 5)),
    "dmY": (slice(6, 10), slice(3, 5), slice(0, 2), (2, 5)),
    "Ymd": (slice(0, 4), slice(5, 7), slice(8, 10), (4, 7)),
}


@attrs.frozen(slots=True, eq=False)
class DateFormat:
    """One of Intacct's date formats, with what reading and writing it needs.

    Build one with :func:`date_format` (which checks the code and shares instances); two
    formats are the same object exactly when their codes are equal.

    Attributes:
        code: The format as ``readUserFormatting`` names it (``/mdY``, ``.dmY``, ``-Ymd``).
        separator: The character between the parts.
        order: The order of the parts: ``mdY``, ``dmY`` or ``Ymd``.
        date_marks: Picks the separator characters out of a date text.
        date_shape: What :attr:`date_marks` gives for a date in this format.
        date_parts: Picks year, month and day (in ISO order) out of a date text.
        stamp_marks: Picks the separators out of a timestamp text (``date HH:MM:SS``).
        stamp_shape: What :attr:`stamp_marks` gives for a timestamp in this format.
        stamp_parts: Picks year, month, day and ``HH:MM:SS`` out of a timestamp text.
    """

    code: str
    separator: str
    order: str
    date_marks: Any = attrs.field(repr=False)
    date_shape: tuple[str, ...] = attrs.field(repr=False)
    date_parts: Any = attrs.field(repr=False)
    stamp_marks: Any = attrs.field(repr=False)
    stamp_shape: tuple[str, ...] = attrs.field(repr=False)
    stamp_parts: Any = attrs.field(repr=False)

    def __str__(self) -> str:
        return self.code

    def format_date(self, value: date) -> str:
        """``value`` in this format."""
        s = self.separator
        y, m, d = f"{value.year:04d}", f"{value.month:02d}", f"{value.day:02d}"
        if self.order == "mdY":
            return f"{m}{s}{d}{s}{y}"
        if self.order == "dmY":
            return f"{d}{s}{m}{s}{y}"
        return f"{y}{s}{m}{s}{d}"

    def format_datetime(self, value: datetime) -> str:
        """``value``'s own wall time as ``<date> HH:MM:SS`` (24-hour clock)."""
        return f"{self.format_date(value)} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"

    def iso_date(self, text: str) -> str | None:
        """``text`` rearranged as ``YYYY-MM-DD`` when it has this format's shape, else None.

        Only the positions of the separators are checked; ``date.fromisoformat`` checks the
        digits of the result.
        """
        if len(text) != 10 or self.date_marks(text) != self.date_shape:
            return None
        year, month, day = self.date_parts(text)
        return f"{year}-{month}-{day}"

    def iso_datetime(self, text: str) -> str | None:
        """``text`` as ``YYYY-MM-DDTHH:MM:SS`` when it has this format's timestamp shape."""
        if len(text) != 19 or self.stamp_marks(text) != self.stamp_shape:
            return None
        year, month, day, clock = self.stamp_parts(text)
        return f"{year}-{month}-{day}T{clock}"


@cache
def _build(code: str) -> DateFormat:
    sep, order = code[0], code[1:]
    year, month, day, (a, b) = _SLICES[order]
    return DateFormat(
        code=code,
        separator=sep,
        order=order,
        date_marks=operator.itemgetter(a, b),
        date_shape=(sep, sep),
        date_parts=operator.itemgetter(year, month, day),
        stamp_marks=operator.itemgetter(a, b, 10, 13, 16),
        stamp_shape=(sep, sep, " ", ":", ":"),
        stamp_parts=operator.itemgetter(year, month, day, slice(11, 19)),
    )


def date_format(code: str | DateFormat) -> DateFormat:
    """The :class:`DateFormat` named ``code`` (``/mdY``, ``/dmY``, ``-Ymd``, ...).

    Raises:
        ConfigurationError: Not one of :data:`DATE_FORMATS` (two-digit years included).
    """
    if isinstance(code, DateFormat):
        return code
    if not isinstance(code, str) or code not in DATE_FORMATS:
        raise ConfigurationError(
            f"unsupported date format {code!r}: use one of {', '.join(map(repr, DATE_FORMATS))}"
            " (a separator, then the order of day, month and four-digit year)"
        )
    return _build(code)


MDY: Final = date_format(DEFAULT_DATE_FORMAT)

_OFFSET: Final = re.compile(r"([+-])([0-9]{2}):?([0-9]{2})")


def parse_gmt_offset(text: str) -> tzinfo:
    """A ``readUserFormatting`` ``gmtoffset`` (``-0500``, ``+05:30``) as a fixed-offset zone.

    Raises:
        ConfigurationError: Not an offset of that shape, or beyond 14 hours.
    """
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        raise ConfigurationError(f"the API user's gmtoffset {text!r} is not an offset like -0500")
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        raise ConfigurationError(f"the API user's gmtoffset {text!r} is out of range")
    if not delta:
        return UTC
    return timezone(-delta if sign == "-" else delta)


def zone_of(name: str) -> tzinfo:
    """The zone named ``name``: ``UTC``, or an IANA name such as ``America/New_York``.

    Raises:
        ConfigurationError: No such zone on this system.
    """
    if name in ("UTC", "GMT", "Etc/UTC"):
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"unknown time zone {name!r}: use an IANA name such as 'America/New_York', "
            f"a tzinfo, or {DISCOVER!r}"
        ) from None


@attrs.frozen(slots=True)
class ValueFormat:
    """How the API user's values are written on the wire, both ways.

    Attributes:
        timezone: The API user's time zone: timestamps the gateway sends are wall time in
            it, and aware datetimes the client writes are converted to it. None: unknown
            (timestamps stay naive; writing an aware datetime is refused).
        date_format: The API user's date format.
    """

    timezone: tzinfo | None = None
    date_format: DateFormat = attrs.field(default=MDY, converter=date_format)

    def stamp(self, value: datetime, *, gmt: bool = False) -> str:
        """``value`` as a timestamp: aware values in the user's zone (UTC when ``gmt``).

        A naive ``value`` is written as given (it is taken to be wall time already).

        Raises:
            ConfigurationError: ``value`` is aware and the user's zone is unknown.
        """
        if value.tzinfo is not None and value.utcoffset() is not None:
            zone = UTC if gmt else self.timezone
            if zone is None:
                raise ConfigurationError(
                    "an aware datetime cannot be written while the API user's time zone is "
                    "unknown: set ClientOptions(timezone=...) (a zone or 'discover'), or pass "
                    "a naive datetime in that user's zone"
                )
            value = value.astimezone(zone)
        return self.date_format.format_datetime(value)


DEFAULT_FORMAT: Final = ValueFormat()

_WRITING: ContextVar[ValueFormat] = ContextVar("intacct_sdk_writing", default=DEFAULT_FORMAT)


def current_format() -> ValueFormat:
    """The format values are being written in (:data:`DEFAULT_FORMAT` outside :func:`writing`)."""
    return _WRITING.get()


@contextmanager
def writing(value_format: ValueFormat) -> Iterator[None]:
    """Write values in ``value_format`` inside the ``with`` block (this thread or task only)."""
    token = _WRITING.set(value_format)
    try:
        yield
    finally:
        _WRITING.reset(token)


def _hint() -> str:
    return (
        "change the Web Services user's preferences in Intacct, or set "
        "ClientOptions(timezone=..., date_format=...) instead of 'discover'"
    )


def from_user_formatting(record: Mapping[str, Any]) -> ValueFormat:
    """The format of a ``readUserFormatting`` answer (``locale``, ``dateformat``,
    ``gmtoffset``, ``clock``), refusing what the client cannot read safely.

    Only the 24-hour clock and the ``en_US`` locale are accepted, as in Estuary's connector:
    a 12-hour clock changes the shape of every timestamp, and another locale may write
    numbers with other separators.

    Raises:
        ConfigurationError: A field is missing, or a preference is not supported.
    """
    missing = [k for k in ("locale", "dateformat", "gmtoffset", "clock") if not record.get(k)]
    if missing:
        raise ConfigurationError(
            f"readUserFormatting answered without {', '.join(missing)}; set "
            "ClientOptions(timezone=..., date_format=...) instead of 'discover'"
        )
    clock, locale = str(record["clock"]).strip(), str(record["locale"]).strip()
    code = str(record["dateformat"]).strip()
    if clock != "24":
        raise ConfigurationError(
            f"the API user's clock is {clock!r}: only the 24-hour clock can be read; {_hint()}"
        )
    if locale != "en_US":
        raise ConfigurationError(
            f"the API user's locale is {locale!r}: only en_US can be read (other locales may "
            f"write numbers differently); {_hint()}"
        )
    if code not in DATE_FORMATS:
        raise ConfigurationError(
            f"the API user's date format {code!r} cannot be read (supported: "
            f"{', '.join(DATE_FORMATS)}); {_hint()}"
        )
    return ValueFormat(parse_gmt_offset(str(record["gmtoffset"])), date_format(code))
