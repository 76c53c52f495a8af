"""What the engine remembers between runs, as values and a protocol any database can implement."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from timesync.models import FrozenMap

__all__ = [
    "CorrectionSheet",
    "Cursor",
    "ErrorEntry",
    "Link",
    "LinkState",
    "Lock",
    "OutboxEntry",
    "OutboxState",
    "RunRecord",
    "StateStore",
]


class LinkState(enum.StrEnum):
    """How a remote record relates to a local one."""

    LINKED = "linked"
    """Synced: changes flow between the two."""
    UNLINKED = "unlinked"
    """A user broke the link by hand: the engine leaves this remote record alone."""


def _facts(value: Mapping[str, str] | None) -> Mapping[str, str] | None:
    return None if value is None else FrozenMap(value)


@attrs.frozen(slots=True)
class Link:
    """One binding between an Intacct record and a local record.

    For pulled objects ``remote_key`` is the Intacct business ID (for tasks
    ``PROJECTID/TASKID``); for pushed timesheets and expense reports it is the local id
    stamped on the Intacct record.

    Attributes:
        object_name: The Intacct object.
        remote_key: The Intacct-side identity (see above).
        local_id: The local record's id; None when ``state`` is UNLINKED.
        record_no: Intacct RECORDNO, once known.
        content_hash: Hash of the mapped content last written (pull: the remote record as
            mapped; push: the local document as pushed).
        local_hash: Hash of the local record as read back after the last write; a full run
            compares it to spot local drift.
        remote_modified: WHENMODIFIED of the Intacct record as last seen.
        remote_state: STATE of a pushed document (``Submitted``, ``Approved``...).
        revision: The local revision last pushed (push objects only).
        state: LINKED or UNLINKED.
        active: False once inactivated locally.
        last_run: The run that last changed this link.
        facts: What the engine keeps of the pulled record for routing pushed documents
            (an employee's ``department_key``, an item's ``gl_group``); None when nothing is
            kept or the record was linked before facts were kept.
    """

    object_name: str
    remote_key: str
    local_id: str | None
    record_no: int | None = None
    content_hash: str | None = None
    local_hash: str | None = None
    remote_modified: datetime | None = None
    remote_state: str | None = None
    revision: str | None = None
    state: LinkState = LinkState.LINKED
    active: bool = True
    last_run: int | None = None
    facts: Mapping[str, str] | None = attrs.field(default=None, converter=_facts)


@attrs.frozen(slots=True)
class CorrectionSheet:
    """A further Intacct timesheet that belongs to one local document.

    Under ``approved_changes = "new_timesheet"`` a correction of time Intacct approved goes
    into a new timesheet of the same employee and week instead of the approved one. The
    document's :class:`Link` keeps its first timesheet (the one ``document_pushed``
    reports); its correction sheets are numbered 1, 2, ... in the order they were created,
    and the document's hours are the sum over the first timesheet and all of them.

    Attributes:
        object_name: The Intacct object (``TIMESHEET``).
        local_id: The local document's id.
        number: 1 for the document's first correction sheet, 2 for the next...
        record_no: Its Intacct RECORDNO.
        remote_state: Its STATE as last written or read (``Submitted``, ``Approved``...).
        revision: The local revision it last carried.
        last_run: The run that last changed it.
    """

    object_name: str
    local_id: str
    number: int
    record_no: int | None = None
    remote_state: str | None = None
    revision: str | None = None
    last_run: int | None = None


@attrs.frozen(slots=True)
class Cursor:
    """How far an incremental pull (or a local change feed) has read.

    Attributes:
        object_name: The object (``EMPLOYEE``; ``local:TIMESHEET`` for a local change feed).
        modified: The highest WHENMODIFIED applied.
        record_no: The highest RECORDNO applied at ``modified`` (the keyset tie-break).
        token: An opaque position for local change feeds.
    """

    object_name: str
    modified: datetime | None = None
    record_no: int = 0
    token: str | None = None


class OutboxState(enum.StrEnum):
    """Where one outbound write stands."""

    PENDING = "pending"
    """Planned, not yet sent."""
    IN_FLIGHT = "in_flight"
    """Committed before the call; no outcome recorded. After a crash or a lost response it
    is resolved by reading back before anything is written again."""
    DONE = "done"
    FAILED = "failed"
    """The gateway refused it; retried on the next run (see the error queue)."""
    SUPERSEDED = "superseded"
    """A newer revision replaced it before it completed."""


@attrs.frozen(slots=True)
class OutboxEntry:
    """One step of a push (create, update, approve, decline, delete) of one local document.

    Attributes:
        object_name: ``TIMESHEET`` or ``EEXPENSES``.
        local_id: The local document's id.
        revision: The local revision this step pushes.
        step: ``create``, ``update``, ``approve``, ``decline`` or ``delete``.
        control_id: The function control id (deterministic; sent with ``uniqueid=true``).
        state: See :class:`OutboxState`.
        attempts: Times it was sent.
        record_no: The Intacct RECORDNO once known.
        last_error: One line from the last failure.
        payload_hash: Hash of what the step sends.
        run_id: The run that last touched it.
    """

    object_name: str
    local_id: str
    revision: str
    step: str
    control_id: str
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    record_no: int | None = None
    last_error: str | None = None
    payload_hash: str | None = None
    run_id: int | None = None


@attrs.frozen(slots=True)
class ErrorEntry:
    """A record that could not be synced, kept until a later run gets it through.

    Attributes:
        object_name: The Intacct object.
        key: The record key (Intacct ID for pulls, local id for pushes).
        kind: ``error``, ``conflict`` or ``ambiguous``.
        message: One line.
        attempts: Runs that hit it.
        first_run: The first run that hit it.
        last_run: The last run that hit it.
    """

    object_name: str
    key: str
    kind: str
    message: str
    attempts: int = 1
    first_run: int | None = None
    last_run: int | None = None


@attrs.frozen(slots=True)
class Notice:
    """Where a pushed document now lives, still to be told to the local system.

    A notice is queued in the same transaction that moves the document's link, and removed only
    after :meth:`~timesync.local.LocalSystem.document_pushed` returned, so the local app hears
    of every push at least once even when the process dies in between.

    Attributes:
        object_name: The Intacct object (``TIMESHEET``, ``EEXPENSES``).
        local_id: The local document's id.
        record_no: Its Intacct RECORDNO (None: no longer in Intacct).
        state: Its Intacct STATE (None: withdrawn).
    """

    object_name: str
    local_id: str
    record_no: int | None
    state: str | None


@attrs.frozen(slots=True)
class DecisionNotice:
    """The last approval decision read from Intacct for a pushed document, and whether the
    local system still has to hear it.

    Queued in the same transaction that records the document's new Intacct state, and marked
    delivered only after :meth:`~timesync.local.DecidingLocalSystem.document_decided`
    returned, so the app hears of every decision at least once even when the process dies in
    between. The row stays after delivery: it is how a later run recognises a decision it
    already told.

    Attributes:
        object_name: The Intacct object (``TIMESHEET``).
        local_id: The local document's id.
        record_no: Its Intacct RECORDNO.
        payload: The decision, as JSON (see ``timesync.engine``'s decision reader).
        modified: The document's WHENMODIFIED when the decision was read.
        pending: Whether the local system has still to hear it.
    """

    object_name: str
    local_id: str
    record_no: int | None
    payload: str
    modified: datetime | None = None
    pending: bool = True


@attrs.frozen(slots=True)
class RunRecord:
    """One engine run as the store remembers it."""

    run_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    mode: str
    dry_run: bool
    summary: Mapping[str, Any] = attrs.field(factory=dict)


@runtime_checkable
class Lock(Protocol):
    """Mutual exclusion for runs of one company.

    A store's own lock (:meth:`StateStore.run_lock`) is the default: SQLite's is a ``flock``
    on the database file, released by the operating system when the process dies; a
    database-backed lock must offer the same guarantee (an advisory lock tied to the
    session, for example). A lock is reentrant in its holder: every ``acquire`` has its
    ``release``.
    """

    def acquire(self) -> None:
        """Take the lock or raise :class:`~timesync.store.LockHeldError` at once."""

    def release(self) -> None:
        """Give the lock back (idempotent)."""


@runtime_checkable
class StateStore(Protocol):
    """The engine's memory: links, cursors, runs, the push outbox and the error queue.

    Every method runs in the current transaction when called inside :meth:`transaction`,
    or commits by itself otherwise. The engine puts one applied batch (its links, its cursor
    and its outbox rows) in one transaction, so the store never gets ahead of the data.
    """

    def transaction(self) -> AbstractContextManager[None]:
        """A transaction; nested calls join the outer one. Rolls back on an exception."""

    def run_lock(self) -> Lock:
        """The lock a run holds from start to end, kept by the store itself (never a file
        an operator could delete while the state lives on); the same object every call."""

    def get_meta(self, key: str) -> str | None:
        """A fact about the store itself, such as ``installation_id``."""

    def set_meta(self, key: str, value: str) -> None:
        """Set a fact about the store itself."""

    # links
    def get_link(self, object_name: str, remote_key: str) -> Link | None:
        """The link for a remote record, if any."""

    def link_for_local(self, object_name: str, local_id: str) -> Link | None:
        """The link holding a local record, if any."""

    def links(self, object_name: str) -> Iterator[Link]:
        """Every link of an object (linked and unlinked)."""

    def links_by_key(self, object_name: str, remote_keys: Sequence[str]) -> dict[str, Link]:
        """The links of these remote keys, by key."""

    def links_by_record_no(self, object_name: str, record_nos: Sequence[int]) -> dict[int, Link]:
        """The links of these Intacct RECORDNOs, by RECORDNO."""

    def put_link(self, link: Link) -> None:
        """Insert or replace the link of ``(link.object_name, link.remote_key)``."""

    def delete_link(self, object_name: str, remote_key: str) -> None:
        """Forget a link."""

    # cursors
    def get_cursor(self, object_name: str) -> Cursor | None:
        """The cursor of an object, if it has one."""

    def set_cursor(self, cursor: Cursor) -> None:
        """Insert or replace a cursor."""

    def cursors(self) -> list[Cursor]:
        """Every cursor."""

    def reset_cursor(self, object_name: str) -> None:
        """Forget a cursor so the next run reads everything."""

    # runs
    def start_run(self, mode: str, *, dry_run: bool = False) -> int:
        """Record the start of a run and return its id. A run that is not a dry run becomes
        the store's writer: from then on :meth:`put_outbox` refuses an in-flight row of any
        earlier run (raising :class:`~timesync.store.LockLostError`)."""

    def finish_run(self, run_id: int, status: str, summary: Mapping[str, Any]) -> None:
        """Record how a run ended."""

    def runs(self, limit: int = 10) -> list[RunRecord]:
        """The latest runs, newest first."""

    # outbox
    def put_outbox(self, entry: OutboxEntry) -> None:
        """Insert or replace the row of ``entry.control_id``; an in-flight row of a run that
        is no longer the writer is refused (see :meth:`start_run`)."""

    def get_outbox(self, control_id: str) -> OutboxEntry | None:
        """One outbox row by control id."""

    def outbox(
        self,
        *,
        object_name: str | None = None,
        states: Sequence[OutboxState] | None = None,
        local_id: str | None = None,
    ) -> list[OutboxEntry]:
        """Outbox rows, oldest first, optionally filtered by object, state and document."""

    # error queue
    def record_error(self, entry: ErrorEntry) -> None:
        """Add a record to the error queue or bump its attempts."""

    def resolve_error(self, object_name: str, key: str, kind: str | None = None) -> None:
        """Remove a record's entries (of one kind, or all) from the error queue."""

    # notices to the local system
    def queue_notice(self, notice: Notice) -> None:
        """Queue (or replace) the notice for ``(notice.object_name, notice.local_id)``."""

    def pending_notices(self, object_name: str) -> list[Notice]:
        """Notices not yet delivered for ``object_name``, oldest first."""

    def clear_notice(self, notice: Notice) -> None:
        """Remove ``notice`` once delivered, unless a newer one replaced it meanwhile."""

    # approval decisions to the local system
    def last_decision(self, object_name: str, local_id: str) -> DecisionNotice | None:
        """The last decision read for a document, delivered or not."""

    def queue_decision(self, notice: DecisionNotice) -> None:
        """Record a decision read; it is pending unless the same payload was recorded before
        (then only ``modified`` moves, and a delivered decision stays delivered)."""

    def pending_decisions(self, object_name: str) -> list[DecisionNotice]:
        """Decisions not yet delivered for ``object_name``, oldest first."""

    def clear_decision(self, notice: DecisionNotice) -> None:
        """Mark ``notice`` delivered, unless a different decision replaced it meanwhile."""

    # correction sheets (several Intacct records of one local document)
    def correction_sheets(
        self, object_name: str, local_ids: Sequence[str]
    ) -> dict[str, list[CorrectionSheet]]:
        """The correction sheets of these documents, by local id, each list by number
        (documents without any are left out)."""

    def put_correction_sheet(self, sheet: CorrectionSheet) -> None:
        """Insert or replace the sheet of ``(object_name, local_id, number)``."""

    def errors(self, object_name: str | None = None, kind: str | None = None) -> list[ErrorEntry]:
        """Open error-queue entries."""

    def close(self) -> None:
        """Release the store's resources."""
