"""How each pulled object is read: its change cursor, and which keyset reads a run makes.

Pure decisions, no I/O. An object's change cursor comes from the schema facts (real
``lookup`` output): an object with WHENMODIFIED is read incrementally by it, keyset-paged on
``(WHENMODIFIED, RECORDNO)``; its records whose WHENMODIFIED is empty (they exist in real
companies) are read by a second keyset on ``(WHENCREATED, RECORDNO)`` among those records
only; an object without WHENMODIFIED (TIMETYPE) has no change cursor and is read whole, as a
snapshot, compared by hash and swept.

Intacct is eventually consistent for readers, so every incremental read starts a little
before its cursor: the frequent pass by ``lag``, and a periodic pass (every
``reread_every``) by ``reread_window``. The periodic pass also reads the records without a
WHENMODIFIED and takes the snapshots. Records read again are recognised by their hash and
not written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final, Literal

import attrs

from intacct_sdk import schema
from intacct_sdk.query import F, Filter, and_, or_

__all__ = [
    "ChangeFacts",
    "StreamPlan",
    "as_timestamp",
    "change_facts",
    "keyset_after",
    "periodic_due",
    "plan_streams",
    "sort_key",
]

StreamKind = Literal["modified", "created", "snapshot"]

_ORDER: Final[dict[StreamKind, tuple[tuple[str, str], ...]]] = {
    "modified": (("WHENMODIFIED", "asc"), ("RECORDNO", "asc")),
    "created": (("WHENCREATED", "asc"), ("RECORDNO", "asc")),
    "snapshot": (("RECORDNO", "asc"),),
}
_TIME_FIELD: Final[dict[StreamKind, str | None]] = {
    "modified": "WHENMODIFIED",
    "created": "WHENCREATED",
    "snapshot": None,
}


@attrs.frozen(slots=True)
class ChangeFacts:
    """Which change timestamps an object has.

    Attributes:
        modified: It has WHENMODIFIED (an incremental change cursor).
        created: It has WHENCREATED (records with an empty WHENMODIFIED are found by it).
    """

    modified: bool
    created: bool

    @property
    def snapshot_only(self) -> bool:
        """No change cursor: the object is read whole, periodically."""
        return not self.modified


def change_facts(object_name: str, declared: Iterable[str] = ()) -> ChangeFacts:
    """The change facts of an object: from the schema table when the object is in it,
    else from the fields its spec declares (custom objects, user-defined dimensions)."""
    known = schema.get_schema(object_name)
    fields = set(known.fields) if known is not None else {f.upper() for f in declared}
    return ChangeFacts("WHENMODIFIED" in fields, "WHENCREATED" in fields)


Position = tuple[datetime, int]


@attrs.frozen(slots=True)
class StreamPlan:
    """One keyset read of one object in one run.

    Attributes:
        kind: ``modified`` (by WHENMODIFIED), ``created`` (records with an empty
            WHENMODIFIED, by WHENCREATED) or ``snapshot`` (every record, by RECORDNO).
        base: The fixed part of the filter (the spec's filter when the read sends it; the
            empty-WHENMODIFIED condition of a ``created`` read).
        start: Where the keyset starts; None from the beginning.
        cursor: The store row the read advances (None: a snapshot keeps no position).
        filter_locally: The spec's filter is applied to each record read instead of sent
            (incremental reads ask for every change, so records leaving the filter are seen).
    """

    kind: StreamKind
    base: Filter | None
    start: Position | None
    cursor: str | None
    filter_locally: bool

    @property
    def order(self) -> tuple[tuple[str, str], ...]:
        """The keyset's ``orderby``."""
        return _ORDER[self.kind]

    @property
    def complete_read(self) -> bool:
        """Whether reading to the end sees every record the spec's filter selects."""
        return self.start is None and not self.filter_locally

    def where(self, position: Position | None) -> Filter | None:
        """The filter of the page that starts after ``position`` (``start`` for the first)."""
        return keyset_after(self.kind, position, self.base)


def keyset_after(kind: StreamKind, position: Position | None, base: Filter | None) -> Filter | None:
    """Records strictly after ``position`` in the stream's order, within ``base``.

    Keyset paging, unlike offset paging, neither skips nor repeats rows when records change
    while a read is under way: each page starts strictly after the last row applied.
    """
    if position is None:
        return base
    when, record_no = position
    field = _TIME_FIELD[kind]
    if field is None:
        after: Filter = F("RECORDNO") > record_no
    else:
        after = or_(F(field) > when, and_(F(field) == when, F("RECORDNO") > record_no))
    return after if base is None else and_(base, after)


def sort_key(kind: StreamKind, record: Mapping[str, Any], zone: tzinfo) -> Position | None:
    """A record's place in the stream's order (its timestamp as an instant in UTC); None when
    its timestamp is empty."""
    try:
        record_no = int(record.get("RECORDNO") or 0)
    except (TypeError, ValueError):
        record_no = 0
    field = _TIME_FIELD[kind]
    if field is None:
        return _EPOCH, record_no
    when = as_timestamp(record.get(field), zone)
    return None if when is None else (when, record_no)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def as_timestamp(value: Any, zone: tzinfo) -> datetime | None:
    """A timestamp field's value as an aware instant in UTC; None when empty or unreadable.

    A typed client gives an aware ``datetime`` already. A naive one, or the gateway's text
    (``MM/DD/YYYY HH:MM:SS``, from an untyped client or a cursor stored before cursors were
    kept in UTC), is wall time in ``zone``: the API user's zone, or UTC for GMT fields.
    """
    when: datetime
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and value:
        try:
            when = datetime.strptime(value, "%m/%d/%Y %H:%M:%S")
        except ValueError:
            return None
    else:
        return None
    if when.tzinfo is None or when.utcoffset() is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(UTC)


def periodic_due(last: datetime | None, now: datetime, every: timedelta) -> bool:
    """Whether the periodic pass (wide re-read, empty-WHENMODIFIED records, snapshots) is due."""
    return last is None or now - last >= every


def _back(position: Position | None, by: timedelta, read_at: datetime | None) -> Position | None:
    """A cursor moved back by a window (every record at the earlier instant is read again;
    the content hash skips those already applied), but never behind what is settled.

    A complete read that started at ``read_at`` saw every record whose change was older
    than the window then (the window bounds how late a change becomes visible): those
    records are settled, and only changes after ``read_at - by`` are read again. A quiet
    company whose last changes are older than that is read from its cursor alone, however
    many records share the cursor's instant.
    """
    if position is None:
        return None
    if by <= timedelta(0):
        return position
    start = position[0] - by
    if read_at is not None:
        settled = read_at - by
        if settled >= position[0]:
            return position
        start = max(start, settled)
    return start, 0


def _and(base: Filter | None, extra: Filter) -> Filter:
    return extra if base is None else and_(base, extra)


def plan_streams(
    object_name: str,
    facts: ChangeFacts,
    *,
    spec_filter: Filter | None,
    cursor: Position | None,
    created_cursor: Position | None,
    full: bool,
    periodic: bool,
    lag: timedelta,
    window: timedelta,
    read_at: datetime | None = None,
    periodic_at: datetime | None = None,
) -> tuple[StreamPlan, ...]:
    """The keyset reads of one object in one run, in the order they are made.

    Args:
        object_name: The object.
        facts: Its change facts.
        spec_filter: The spec's pull filter.
        cursor: Its WHENMODIFIED cursor (None: never read).
        created_cursor: Its WHENCREATED cursor among empty-WHENMODIFIED records.
        full: A full run: read everything the filter selects.
        periodic: The periodic pass is due for this object.
        lag: How far back the frequent pass starts before its cursor.
        window: How far back the periodic pass starts.
        read_at: When the last complete read of the object started (None: unknown).
        periodic_at: When the last complete periodic pass started (None: unknown).

    Returns:
        No reads at all for an object without a change cursor outside its periodic pass.
    """
    created_name = f"{object_name}:created"
    empty = F("WHENMODIFIED").is_null()
    if facts.snapshot_only:
        if not (full or periodic):
            return ()
        return (StreamPlan("snapshot", spec_filter, None, None, filter_locally=False),)
    if full or cursor is None:
        if not facts.created:
            return (StreamPlan("modified", spec_filter, None, object_name, filter_locally=False),)
        # two disjoint reads: the records with a WHENMODIFIED, then those without
        dated = F("WHENMODIFIED").is_not_null()
        return (
            StreamPlan("modified", _and(spec_filter, dated), None, object_name, False),
            StreamPlan("created", _and(spec_filter, empty), None, created_name, False),
        )
    back, since = (window, periodic_at) if periodic else (lag, read_at)
    start = _back(cursor, back, since)
    reads = [StreamPlan("modified", None, start, object_name, filter_locally=True)]
    if periodic and facts.created:
        start = _back(created_cursor, window, periodic_at)
        reads.append(StreamPlan("created", empty, start, created_name, filter_locally=True))
    return tuple(reads)
