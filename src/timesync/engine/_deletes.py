"""Deletions seen incrementally: Intacct's audit trail (AUDITHISTORY) names what was deleted.

An incremental read by WHENMODIFIED cannot see a record that is gone. The audit trail keeps a
row for every deletion (``ACCESSMODE = 'D'``, ``OBJECTKEY = '<RECORDNO>--REC'``,
``ACCESSTIME`` in GMT), so each incremental run reads the pulled objects' deletions since its
own cursor, in one ``query`` sent with the first pages, and inactivates the linked local
records (a deleted project takes its tasks with it). The trail is eventually consistent like
every read, and re-applying a deletion changes nothing, so the read always starts
``reread_window`` before its cursor.

A user without permission for the audit trail gets PL04000005: the report says so once and
deletions are then seen by full runs (mark and sweep) only; the read is tried again after
``reread_every``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import attrs

from intacct_sdk import FunctionError
from intacct_sdk.functions import Query
from intacct_sdk.query import F, Filter, and_, or_
from timesync.engine._context import RunContext, describe, page_records
from timesync.engine._streams import as_timestamp, periodic_due
from timesync.store import Cursor, Link, LinkState

__all__ = ["AUDIT_CURSOR", "Deletions"]

AUDIT_CURSOR: Final = "AUDITHISTORY:deleted"
"""The store row of the audit trail's position: ACCESSTIME and (as the token) ID."""
DENIED: Final = "AUDITHISTORY:denied"
"""The store row saying when the gateway last refused the audit trail."""
PERMISSION_DENIED: Final = "PL04000005"

_FIELDS: Final = ("ID", "OBJECTTYPE", "OBJECTKEY", "ACCESSTIME")
_ORDER: Final = (("ACCESSTIME", "asc"), ("ID", "asc"))


class _Inactivator(Protocol):
    """The part of an object's pull that takes a local record out of use."""

    def inactivate(self, link: Link) -> None:
        """Inactivate the linked local record (and its children)."""


def _gmt(value: Any) -> datetime | None:
    """An ACCESSTIME (GMT whatever the user's preferences) as an aware instant in UTC."""
    return as_timestamp(value, UTC)


def _record_no(object_key: Any) -> int | None:
    """The RECORDNO of an OBJECTKEY such as ``'123--REC'``."""
    number, sep, kind = str(object_key or "").partition("--")
    if not sep or kind != "REC" or not number.isdigit():
        return None
    return int(number)


def _after(position: tuple[datetime, str]) -> Filter:
    when, ident = position
    return or_(F("ACCESSTIME") > when, and_(F("ACCESSTIME") == when, F("ID") > ident))


@attrs.define(slots=True)
class Deletions:
    """The run's read of the audit trail for the pulled objects.

    Attributes:
        ctx: The run.
        objects: The pulled objects, by name.
        full: A full run (its sweep sees deletions; the trail is not read).
    """

    ctx: RunContext
    objects: tuple[str, ...]
    full: bool
    start_at: tuple[datetime, str] | None = None
    best: tuple[datetime, str] | None = None
    now: datetime | None = None
    skipped: bool = True

    @property
    def _base(self) -> Filter:
        return and_(
            F("OBJECTTYPE").in_([name.lower() for name in self.objects]),
            F("ACCESSMODE") == "D",
        )

    def _query(self, position: tuple[datetime, str] | None) -> Query:
        where = self._base if position is None else and_(self._base, _after(position))
        return Query(
            "AUDITHISTORY", _FIELDS, where, order_by=_ORDER, page_size=self.ctx.options.page_size
        )

    def start(self) -> list[Query]:
        """The first page of the read (nothing when it is not needed this run)."""
        ctx, store, opts = self.ctx, self.ctx.store, self.ctx.options
        self.now = opts.clock()
        if not opts.deletions or not self.objects or self.full:
            return []
        denied = store.get_cursor(DENIED)
        if denied is not None and not periodic_due(denied.modified, self.now, opts.reread_every):
            ctx.note(self._denied_note())
            return []
        cursor = store.get_cursor(AUDIT_CURSOR)
        since = _gmt(cursor.modified) if cursor is not None else None
        if since is not None and cursor is not None:
            self.best = (since, cursor.token or "")
        start = (since if since is not None else self.now) - opts.reread_window
        self.start_at = (start, "")
        self.skipped = False
        return [self._query(self.start_at)]

    def _denied_note(self) -> str:
        return (
            "AUDITHISTORY: the API user may not read the audit trail (PL04000005); "
            "deletions are seen by full runs only"
        )

    def run(
        self, pulls: Mapping[str, _Inactivator], prefetched: Sequence[Any] | None = None
    ) -> None:
        """Read the trail to its end and inactivate the linked records it says are gone."""
        ctx = self.ctx
        if self.skipped:
            self._first_cursor()
            return
        first = prefetched[0] if prefetched else None
        position = self.start_at
        while True:
            if first is None:
                [result] = ctx.execute([self._query(position)])
            else:
                result, first = first, None
            try:
                records, more = page_records(result)
            except FunctionError as exc:
                if exc.errorno == PERMISSION_DENIED:
                    ctx.note(self._denied_note())
                    if not ctx.dry_run:
                        ctx.store.set_cursor(Cursor(DENIED, self.now))
                    return
                ctx.fail("AUDITHISTORY", "*", f"deletions not read: {describe(exc)}")
                return
            self._apply(records, pulls)
            if (
                not records
                or more is False
                or (more is None and len(records) < ctx.options.page_size)
            ):
                break
            last = records[-1]
            when = _gmt(last.get("ACCESSTIME"))
            if when is None:
                return  # no position to go on from: the next run reads again
            position = (when, str(last.get("ID") or ""))
        if ctx.dry_run:
            return
        # read to the end: the trail is known up to when the read began (the next read
        # starts a window before that, which covers commits seen late)
        assert self.now is not None
        began = (self.now.astimezone(UTC), "")
        if self.best is None or began > self.best:
            ctx.store.set_cursor(Cursor(AUDIT_CURSOR, began[0], token=began[1]))
        if ctx.store.get_cursor(DENIED) is not None:
            ctx.store.reset_cursor(DENIED)  # the permission was granted meanwhile
        ctx.settled("AUDITHISTORY")

    def _first_cursor(self) -> None:
        """On a full run, start the trail where the run started, when it has no position."""
        ctx = self.ctx
        if ctx.dry_run or not self.full or self.now is None or not ctx.options.deletions:
            return
        if ctx.store.get_cursor(AUDIT_CURSOR) is None:
            ctx.store.set_cursor(Cursor(AUDIT_CURSOR, self.now.astimezone(UTC), token=""))

    def _apply(
        self, records: Sequence[Mapping[str, Any]], pulls: Mapping[str, _Inactivator]
    ) -> None:
        ctx, store = self.ctx, self.ctx.store
        by_object: dict[str, list[int]] = {}
        names = {name.lower(): name for name in self.objects}
        best = self.best
        for record in records:
            when = _gmt(record.get("ACCESSTIME"))
            if when is not None and (best is None or (when, str(record.get("ID") or "")) > best):
                best = (when, str(record.get("ID") or ""))
            name = names.get(str(record.get("OBJECTTYPE") or "").lower())
            record_no = _record_no(record.get("OBJECTKEY"))
            if name is not None and record_no is not None:
                by_object.setdefault(name, []).append(record_no)
        with store.transaction():
            for name, record_nos in by_object.items():
                pull = pulls.get(name)
                if pull is None:
                    continue
                for link in store.links_by_record_no(name, record_nos).values():
                    if link.state is LinkState.LINKED and link.active and link.local_id:
                        pull.inactivate(link)
            if best is not None and best != self.best and not ctx.dry_run:
                store.set_cursor(Cursor(AUDIT_CURSOR, best[0], token=best[1]))
        self.best = best
