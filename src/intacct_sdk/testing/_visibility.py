"""Late visibility: changes that gateway reads do not see until a while after they were made.

Intacct is eventually consistent for readers: a change committed at T (its WHENMODIFIED is T)
may reach queries only later. Sage documents no figure, but integrations that run in
production re-read hours back for this reason (shared reference §2.5: Estuary's connector
reads with a two-minute lag plus a two-hour lookback). The emulator reproduces it on demand:

- ``Company.visibility_lag``: every change made through the gateway or the company's own
  helpers is invisible to reads for that long;
- ``Company.invisible_until(moment)``: the changes made inside the block stay invisible until
  ``moment``.

While a change is invisible, reads see the record as it was before it: the previous version of
a modified record, nothing for a new one, and a deleted record still there. Changes become
visible in the order they were made (a later change never shows before an earlier one of the
same record). Time is the company's clock, so tests move a clock instead of sleeping.

Nothing is kept, and reads take no detour, while neither switch is on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

__all__ = ["Visibility"]

Record = dict[str, Any]

_SWEEP_EVERY = 1024  # notes between sweeps of changes that have become visible


class _Clocked(Protocol):
    clock: Callable[[], datetime]


class Visibility:
    """The changes of one company that reads do not see yet.

    Args:
        owner: The company; its ``clock`` is read on every call, so a replaced clock is
            followed.
    """

    def __init__(self, owner: _Clocked) -> None:
        self._owner = owner
        self._lag: timedelta | None = None
        self.until: datetime | None = None
        # object name -> RECORDNO -> [(visible from, the record before that change)], oldest first
        self._pending: dict[str, dict[int, list[tuple[datetime, Record | None]]]] = {}
        self._notes = 0
        self._uncommitted: list[tuple[str, int]] = []  # notes a rollback takes back

    @property
    def lag(self) -> timedelta | None:
        """How long every change stays invisible (None: changes are seen at once)."""
        return self._lag

    @lag.setter
    def lag(self, value: timedelta | None) -> None:
        if value is not None and (not isinstance(value, timedelta) or value < timedelta(0)):
            raise ValueError(f"visibility_lag must be a timedelta >= 0 or None, got {value!r}")
        self._lag = value or None

    def note(self, object_name: str, record_no: int, before: Record | None) -> None:
        """Hide a change that was just made, when a lag or an ``invisible_until`` applies.

        Args:
            object_name: The record's object (upper case).
            record_no: Its RECORDNO.
            before: The record as it was before the change (None: it did not exist).
        """
        if self._lag is None and self.until is None:
            return
        now = self._owner.clock()
        visible = self.until if self.until is not None else now + (self._lag or timedelta(0))
        if visible <= now:
            return
        self._pending.setdefault(object_name, {}).setdefault(record_no, []).append(
            (visible, before)
        )
        self._uncommitted.append((object_name, record_no))
        self._notes += 1
        if self._notes % _SWEEP_EVERY == 0:
            self._sweep(now)

    def commit(self) -> None:
        """Keep the notes of the changes committed."""
        self._uncommitted.clear()

    def rollback(self) -> None:
        """Take back the notes of changes rolled back (they never happened)."""
        for name, rn in reversed(self._uncommitted):
            changes = self._pending.get(name, {}).get(rn)
            if changes:
                changes.pop()
                if not changes:
                    del self._pending[name][rn]
        self._uncommitted.clear()

    def rows(self, object_name: str, live: Mapping[int, Record]) -> Mapping[int, Record]:
        """The records of an object as a read sees them now, in RECORDNO order.

        Args:
            object_name: The object (upper case).
            live: The object's stored records (RECORDNO -> record, in RECORDNO order).

        Returns:
            ``live`` itself when nothing of the object is invisible; else a copy in which every
            record with invisible changes is as it was before the first of them.
        """
        pending = self._pending.get(object_name)
        if not pending:
            return live
        now = self._owner.clock()
        shown: dict[int, Record | None] = {}
        for rn in list(pending):
            changes = _unseen(pending, rn, now)
            if changes is not None:
                shown[rn] = changes[0][1]
        if not pending:
            del self._pending[object_name]
        if not shown:
            return live
        out: dict[int, Record] = dict(live)
        resort = False
        for rn, before in shown.items():
            if before is None:
                out.pop(rn, None)
            else:
                resort = resort or rn not in out
                out[rn] = before
        return dict(sorted(out.items())) if resort else out

    def _sweep(self, now: datetime) -> None:
        for name in list(self._pending):
            pending = self._pending[name]
            for rn in list(pending):
                _unseen(pending, rn, now)
            if not pending:
                del self._pending[name]


def _unseen(
    pending: dict[int, list[tuple[datetime, Record | None]]], record_no: int, now: datetime
) -> list[tuple[datetime, Record | None]] | None:
    """Drop a record's changes that are visible by ``now`` (oldest first; stop at the first
    that is not); the rest, or None when nothing is left (the record's entry is removed)."""
    changes = pending[record_no]
    seen = 0
    while seen < len(changes) and changes[seen][0] <= now:
        seen += 1
    if seen:
        del changes[:seen]
    if not changes:
        del pending[record_no]
        return None
    return changes
