"""The API user's preferences in the emulator: the zone and formats values are shown in.

The emulated company stores every value in one canonical form: timestamps as
``MM/DD/YYYY HH:MM:SS`` in UTC, dates as ``MM/DD/YYYY``. The gateway shows them to each API
user in that user's preferences (shared reference rest-and-fidelity.md §2.5): timestamps as
wall time in the user's time zone, dates and the date part of timestamps in the user's date
format, and reads the values of filters and writes the same way. Fields that are GMT
whatever the preferences (``AUDITHISTORY.ACCESSTIME``, marked in ``intacct_sdk.schema``) keep
UTC but still take the user's date format (an assumption: see
``docs/emulator-behaviour.md``).

This module is the emulator's own: it shares no code with the client's value formats (it
uses ``strftime``/``strptime`` where the client slices), so a mistake in one is not agreed
to by the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import attrs

from intacct_sdk.testing._objects import ObjectDef
from intacct_sdk.testing._query import FieldAccess

if TYPE_CHECKING:
    from intacct_sdk.testing._company import Company

__all__ = [
    "CANONICAL",
    "DEFAULT_PREFERENCES",
    "Presenter",
    "UserPreferences",
    "canonical_stamp",
    "ensure_user",
    "kinds_of",
    "presenter",
    "reading",
]

CANONICAL = "%m/%d/%Y %H:%M:%S"
_CANONICAL_DATE = "%m/%d/%Y"
_ORDERS = {"mdY": "%m{s}%d{s}%Y", "dmY": "%d{s}%m{s}%Y", "Ymd": "%Y{s}%m{s}%d"}
_SEPARATORS = "/-. "


def _zone(value: tzinfo | str) -> tzinfo:
    if isinstance(value, tzinfo):
        return value
    if value in ("UTC", "GMT"):
        return UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(value)  # raises ZoneInfoNotFoundError (a KeyError) for unknown names


def _pattern(code: str) -> str:
    """``/mdY`` -> ``%m/%d/%Y``; a lower-case ``y`` is a two-digit year (``%y``)."""
    sep, order = code[:1], code[1:]
    key = order.replace("y", "Y")
    if sep not in _SEPARATORS or key not in _ORDERS or order.count("y") > 1:
        raise ValueError(
            f"date format {code!r} is not a separator and an order such as '/mdY' or '-Ymd'"
        )
    pattern = _ORDERS[key].format(s=sep)
    return pattern.replace("%Y", "%y") if "y" in order else pattern


def _check_format(_: Any, __: Any, value: str) -> None:
    _pattern(value)


def _check_clock(_: Any, __: Any, value: str) -> None:
    if value not in ("12", "24"):
        raise ValueError(f"clock is '12' or '24', got {value!r}")


@attrs.frozen(slots=True)
class UserPreferences:
    """What one API user has chosen on Intacct's "My preferences" page.

    ``readUserFormatting`` reports them; every value the emulator shows that user or reads
    from them follows them.

    Attributes:
        timezone: The user's time zone: a ``tzinfo`` or an IANA name
            (``"America/New_York"``), with its daylight saving rules.
        date_format: As ``readUserFormatting`` names it: a separator (``/ - .`` or space)
            and the order of day, month and year (``/mdY``, ``/dmY``, ``-Ymd``; a lower-case
            ``y`` is a two-digit year).
        clock: ``"24"`` (``HH:MM:SS``) or ``"12"`` (``hh:MM:SS AM``).
        locale: Reported as given (``en_US``); values are not localised.
    """

    timezone: tzinfo = attrs.field(default=UTC, converter=_zone)
    date_format: str = attrs.field(default="/mdY", validator=_check_format)
    clock: str = attrs.field(default="24", validator=_check_clock)
    locale: str = "en_US"

    @property
    def canonical(self) -> bool:
        """Whether values show exactly as stored (UTC, ``/mdY``, 24-hour clock)."""
        return self.timezone is UTC and self.date_format == "/mdY" and self.clock == "24"

    @property
    def date_pattern(self) -> str:
        """The ``strftime`` pattern of a date."""
        return _pattern(self.date_format)

    @property
    def stamp_pattern(self) -> str:
        """The ``strftime`` pattern of a timestamp."""
        clock = "%H:%M:%S" if self.clock == "24" else "%I:%M:%S %p"
        return f"{self.date_pattern} {clock}"

    def gmt_offset(self, at: datetime) -> str:
        """The zone's offset from GMT at a moment, as ``readUserFormatting`` writes it.

        Args:
            at: The moment (aware); daylight saving time applies.

        Returns:
            ``-0500``, ``+0530``, ``+0000``...
        """
        offset = at.astimezone(self.timezone).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        sign = "-" if minutes < 0 else "+"
        hours, mins = divmod(abs(minutes), 60)
        return f"{sign}{hours:02d}{mins:02d}"

    def show_stamp(self, stored: str, gmt: bool = False) -> str:
        """A stored timestamp as this user sees it.

        Args:
            stored: The stored value (``MM/DD/YYYY HH:MM:SS`` in UTC).
            gmt: The field is GMT whatever the user's zone: keep UTC, take the format only.

        Returns:
            The text in the user's zone and format (``stored`` itself when it is not a
            stored timestamp).
        """
        return _show_stamp(self, stored, gmt)

    def show_date(self, stored: str) -> str:
        """A stored date as this user sees it.

        Args:
            stored: The stored value (``MM/DD/YYYY``).

        Returns:
            The date in the user's format (``stored`` itself when it is not a date).
        """
        return _show_date(self, stored)

    def read_stamp(self, text: str, gmt: bool = False) -> str | None:
        """A timestamp this user wrote, as it is stored.

        Args:
            text: The value as written, in the user's format and zone.
            gmt: The field is GMT: the wall time is UTC already.

        Returns:
            ``MM/DD/YYYY HH:MM:SS`` in UTC, or None when ``text`` is not in the user's format.
        """
        try:
            moment = datetime.strptime(text.strip(), self.stamp_pattern)
        except ValueError:
            return None
        zone = UTC if gmt else self.timezone
        return moment.replace(tzinfo=zone).astimezone(UTC).strftime(CANONICAL)

    def read_date(self, text: str) -> str | None:
        """A date this user wrote, as it is stored.

        Args:
            text: The value as written, in the user's date format.

        Returns:
            ``MM/DD/YYYY``, or None when ``text`` is not in the user's format.
        """
        try:
            return datetime.strptime(text.strip(), self.date_pattern).strftime(_CANONICAL_DATE)
        except ValueError:
            return None

    def read_moment(self, text: str, gmt: bool = False) -> str | None:
        """A filter value for a timestamp field, as it is stored.

        Args:
            text: A timestamp in the user's format, or a date alone (midnight of that day
                in the user's zone).
            gmt: The field is GMT: the wall time is UTC already.

        Returns:
            ``MM/DD/YYYY HH:MM:SS`` in UTC, or None when ``text`` fits neither shape.
        """
        stamp = self.read_stamp(text, gmt)
        if stamp is not None:
            return stamp
        try:
            day = datetime.strptime(text.strip(), self.date_pattern)
        except ValueError:
            return None
        return day.replace(tzinfo=UTC if gmt else self.timezone).astimezone(UTC).strftime(CANONICAL)


DEFAULT_PREFERENCES = UserPreferences()
"""UTC, ``/mdY``, 24-hour clock, ``en_US``: values show exactly as stored."""


@lru_cache(maxsize=65536)
def _show_stamp(prefs: UserPreferences, stored: str, gmt: bool) -> str:
    try:
        moment = datetime.strptime(stored, CANONICAL).replace(tzinfo=UTC)
    except ValueError:
        return stored  # not a stored timestamp (empty, or set by a test as it is)
    if not gmt:
        moment = moment.astimezone(prefs.timezone)
    return moment.strftime(prefs.stamp_pattern)


@lru_cache(maxsize=65536)
def _show_date(prefs: UserPreferences, stored: str) -> str:
    try:
        return datetime.strptime(stored, _CANONICAL_DATE).strftime(prefs.date_pattern)
    except ValueError:
        return stored


def canonical_stamp(moment: datetime) -> str:
    """An aware moment as a stored timestamp (UTC)."""
    return moment.astimezone(UTC).strftime(CANONICAL)


Record = dict[str, Any]
Kinds = Mapping[str, str]  # field -> "stamp" | "gmt" | "date"


class Presenter:
    """Shows stored records to one user: their timestamps and dates in the user's format.

    Built once per answer from the fields to convert; :meth:`__call__` returns a converted
    copy of a record (the stored record is never changed). Lists of line records (a
    timesheet's entries) are converted with the presenter given for their tag.
    """

    __slots__ = ("_kinds", "_lines", "_prefs")

    def __init__(
        self,
        prefs: UserPreferences,
        kinds: Kinds,
        lines: Mapping[str, Presenter] | None = None,
    ) -> None:
        self._prefs = prefs
        self._kinds = dict(kinds)
        self._lines = dict(lines or {})

    def __call__(self, rec: Mapping[str, Any]) -> Record:
        out = dict(rec)
        prefs = self._prefs
        for key, kind in self._kinds.items():
            value = out.get(key)
            if not isinstance(value, str) or not value:
                continue
            if kind == "date":
                out[key] = prefs.show_date(value)
            else:
                out[key] = prefs.show_stamp(value, gmt=kind == "gmt")
        for tag, inner in self._lines.items():
            items = out.get(tag)
            if isinstance(items, list):
                out[tag] = [inner(item) if isinstance(item, Mapping) else item for item in items]
        return out


def kinds_of(fields: Iterable[tuple[str, str, bool]]) -> dict[str, str]:
    """``(name, datatype, gmt)`` triples -> the conversions a :class:`Presenter` makes."""
    out: dict[str, str] = {}
    for name, datatype, gmt in fields:
        if datatype == "TIMESTAMP":
            out[name] = "gmt" if gmt else "stamp"
        elif datatype == "DATE":
            out[name] = "date"
    return out


def _fields(d: ObjectDef) -> dict[str, str]:
    return kinds_of((f.id, f.datatype, f.gmt) for f in d.fields.values())


def presenter(
    prefs: UserPreferences,
    company: Company,
    d: ObjectDef,
    extra: Mapping[str, str] | None = None,
) -> Presenter | None:
    """How ``d``'s records are shown to a user with ``prefs``; None when as stored.

    Args:
        prefs: The user's preferences.
        company: The company (for the object of owned lines).
        d: The object.
        extra: More fields to convert (related fields of a query: name -> datatype).
    """
    if prefs.canonical:
        return None
    kinds = _fields(d)
    if extra:
        kinds.update(kinds_of((name, dt, False) for name, dt in extra.items()))
    lines: dict[str, Presenter] = {}
    if d.rules.line is not None:
        ld = company.resolve(d.rules.line.object_name)
        if ld is not None:
            lines[d.rules.line.list_tag] = Presenter(prefs, _fields(ld))
    return Presenter(prefs, kinds, lines)


def reading(prefs: UserPreferences, acc: FieldAccess, gmt: bool = False) -> FieldAccess:
    """``acc`` reading filter values of dates and timestamps in the user's format and zone."""
    if prefs.canonical or acc.datatype not in ("DATE", "TIMESTAMP"):
        return acc
    if acc.datatype == "DATE":
        return attrs.evolve(acc, literal=prefs.read_date)
    return attrs.evolve(acc, literal=lambda text: prefs.read_moment(text, gmt))


def ensure_user(company: Company, login_id: str) -> int:
    """The USERINFO RECORDNO of the API user ``login_id``, added to ``company`` when missing.

    The emulator calls this for the user its credentials accept, so that ``readByName
    USERINFO`` finds that user (as a client discovering its preferences asks). Thread-safe.
    """
    with company.lock:
        found = company.find("USERINFO", login_id)
        if found is None:
            # Seeded as bulk_insert seeds: a user predates the audit trail, so no row.
            user = {"LOGINID": login_id, "DESCRIPTION": login_id, "USERTYPE": "business user"}
            company.bulk_insert("USERINFO", [user])
            found = company.find("USERINFO", login_id)
        assert found is not None
        return int(found["RECORDNO"])
