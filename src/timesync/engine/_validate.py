"""Local checks of a document before it is pushed: what Intacct would refuse or mangle.

A document that fails a check is one record's error (named by record, entry and field),
queued and retried like any other per-record failure; the rest of the run goes on. The
checks are pure functions over ``timesync.models`` objects and mapped records, so they are
tested directly and a host app can run them before a person approves a timesheet.

What is checked, and why:

- Text that XML 1.0 cannot carry (the C0 controls other than tab, line feed and carriage
  return, the surrogates, U+FFFE and U+FFFF): no request holding it can be written, so
  Intacct never sees the record.
- Negative hours: reversing entries are not pushed (yet); a negative quantity is refused
  here instead of reaching Intacct as something nobody meant.
- More than 24 hours on one day, summed over the timesheet's entries of that date.
- Entries dated outside the timesheet's period: BEGINDATE to ENDDATE, or BEGINDATE + 6 days
  when the timesheet has no end date (the end Intacct gives a timesheet by default).

Carriage returns are not an error, but they are not sent either: the push writes every CRLF
and lone CR as LF (:func:`normalise_line_endings`). What Intacct does with a CR it receives is
not documented; a CR written into XML as it is becomes LF (XML end-of-line handling), and text
typed into Intacct's own pages comes with a browser's line ends. LF is the one line end all
of these agree on, so a note reads back as it was sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs

from intacct_sdk import ConfigurationError
from intacct_sdk.functions import Create
from timesync.engine._options import WEEKDAYS
from timesync.local import LocalDocument
from timesync.models import FrozenMap, Timesheet

__all__ = [
    "MAX_HOURS_A_DAY",
    "WEEKDAYS",
    "DocumentProblem",
    "check_document",
    "check_record",
    "describe_problems",
    "normalise_line_endings",
    "refusal",
]

MAX_HOURS_A_DAY: Final = Decimal(24)
"""The most hours one timesheet may hold on one date."""

_FORBIDDEN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters outside XML 1.0's ``Char`` production (W3C XML 1.0, section 2.2)."""

_T = TypeVar("_T")


@attrs.frozen(slots=True)
class DocumentProblem:
    """Why one document cannot be pushed as it is.

    Attributes:
        field: Where: a model path such as ``entries[2].notes`` (entries counted from 0, in
            the document's order), or an Intacct field path for a mapped record.
        message: What is wrong, in one line; never the field's value.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def describe_problems(problems: list[DocumentProblem]) -> str:
    """One line for a document's problems, in the order found."""
    return "; ".join(str(p) for p in problems)


def _bad_char(text: str) -> str | None:
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    code = ord(found.group())
    what = "not a character" if 0xD800 <= code <= 0xDFFF else "a character XML cannot carry"
    return f"holds U+{code:04X}, {what}; remove it (Intacct would never receive the record)"


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside a model value, with its path."""
    if isinstance(value, str):
        yield path, value
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            inner = f"{path}.{field.name}" if path else field.name
            yield from _texts(getattr(value, field.name), inner)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _texts(item, f"{path}[{i}]")


def _period(sheet: Timesheet) -> tuple[date, date]:
    return sheet.begin_date, sheet.end_date or sheet.begin_date + timedelta(days=6)


def _check_timesheet(sheet: Timesheet, week_start: str | None) -> Iterator[DocumentProblem]:
    if week_start is not None and sheet.begin_date.weekday() != WEEKDAYS.index(week_start):
        yield DocumentProblem(
            "begin_date",
            f"{sheet.begin_date} is a {WEEKDAYS[sheet.begin_date.weekday()]}; this company's "
            f"timesheet weeks start on {week_start}",
        )
    first, last = _period(sheet)
    if last < first:
        yield DocumentProblem("end_date", f"{last} is before begin_date {first}")
        return
    by_day: dict[date, list[int]] = {}
    for i, entry in enumerate(sheet.entries):
        if entry.hours < 0:
            yield DocumentProblem(
                f"entries[{i}].hours",
                f"{entry.hours} is negative; hours must be 0 or more"
                " (reversing entries are not pushed)",
            )
        if not first <= entry.entry_date <= last:
            yield DocumentProblem(
                f"entries[{i}].entry_date",
                f"{entry.entry_date} is outside the timesheet's period {first} to {last}",
            )
        by_day.setdefault(entry.entry_date, []).append(i)
    for day, indexes in sorted(by_day.items()):
        total = sum((sheet.entries[i].hours for i in indexes), Decimal(0))
        if total > MAX_HOURS_A_DAY:
            where = ",".join(str(i) for i in indexes)
            yield DocumentProblem(
                f"entries[{where}].hours",
                f"{total.normalize():f} hours on {day}; at most {MAX_HOURS_A_DAY} a day",
            )


def check_document(
    object_name: str, model: Any, *, week_start: str | None = None
) -> list[DocumentProblem]:
    """What Intacct would refuse or mangle in one local document, before it is mapped.

    Args:
        object_name: The Intacct object it is pushed as (``TIMESHEET``, ``EEXPENSES``).
        model: The document (``Timesheet``, ``ExpenseReport`` or any attrs model).
        week_start: The company's first day of the timesheet week (one of
            :data:`WEEKDAYS`); a timesheet that begins on another day is refused. None: not
            checked here (Intacct refuses it).

    Returns:
        The problems found, empty when the document may be pushed. Text is checked in every
        model; hours, dates and daily totals in timesheets.
    """
    problems = [
        DocumentProblem(path, why)
        for path, text in _texts(model, "")
        if (why := _bad_char(text)) is not None
    ]
    if object_name == "TIMESHEET" and isinstance(model, Timesheet):
        problems.extend(_check_timesheet(model, week_start))
    return problems


def refusal(object_name: str, doc: LocalDocument, *, week_start: str | None = None) -> str | None:
    """Why an approved local document cannot be pushed, in one line (None: it can be):
    the problem the app reported building it, or what :func:`check_document` finds."""
    if doc.problem is not None:
        return doc.problem
    if doc.model is None:
        return None
    return describe_problems(check_document(object_name, doc.model, week_start=week_start)) or None


def _record_texts(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _record_texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _record_texts(item, f"{path}[{i}]")
    else:
        yield path, value


def _writable(value: Any) -> Any:
    """``value`` as it is written, but with aware timestamps made naive: rendering a record
    to find what XML cannot carry must not depend on the API user's zone."""
    if isinstance(value, Mapping):
        return {k: _writable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_writable(v) for v in value]
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def check_record(object_name: str, record: Mapping[str, Any]) -> list[DocumentProblem]:
    """What keeps a mapped record from being written into a request, by Intacct field.

    The last check before an outbox row is written, so that no row is ever left in flight
    for a record that could not have been sent: text XML cannot carry (from a converter or a
    custom field the model check cannot see) and anything else the client's writer refuses
    (an element name XML does not allow, a value with no wire format).

    Args:
        object_name: The Intacct object.
        record: The record as the mapping spec made it (``to_remote``).

    Returns:
        The problems found, empty when the record can be written.
    """
    problems = [
        DocumentProblem(path, why)
        for path, value in _record_texts(record, "")
        if isinstance(value, str) and (why := _bad_char(value)) is not None
    ]
    if problems:
        return problems
    try:
        Create(object_name, [_writable(record)], control_id="check").to_xml()
    except ConfigurationError as exc:
        return [DocumentProblem(object_name, f"cannot be written: {exc}")]
    return []


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return _lf(value)
    if attrs.has(type(value)):
        changes = {}
        for field in attrs.fields(type(value)):
            if not field.init:
                continue
            old = getattr(value, field.name)
            new = _normalised(old)
            if new is not old:
                changes[field.alias or field.name] = new
        return attrs.evolve(value, **changes) if changes else value
    if isinstance(value, FrozenMap | dict):
        items = {k: _normalised(v) for k, v in value.items()}
        if all(items[k] is value[k] for k in items):
            return value
        return FrozenMap(items) if isinstance(value, FrozenMap) else items
    if isinstance(value, tuple):
        out = tuple(_normalised(v) for v in value)
        return value if all(a is b for a, b in zip(out, value, strict=True)) else out
    return value


def normalise_line_endings(model: _T) -> _T:
    """``model`` with every CRLF and lone CR in its text written as LF.

    Intacct's handling of a carriage return is not documented, while XML end-of-line
    handling (W3C XML 1.0, section 2.11) makes LF of any CR written as it is: the push sends
    the LF form, so a note reads back as it was sent, whatever the gateway does with a CR.
    The content hash is taken before, so this never makes a pushed document look changed.
    """
    result: _T = _normalised(model)
    return result
