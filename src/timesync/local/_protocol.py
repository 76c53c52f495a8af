"""The protocol a host application implements so the engine can sync it with Intacct."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any, Final, Protocol, runtime_checkable

import attrs

__all__ = [
    "DECIDED_STATES",
    "BatchingLocalSystem",
    "ComparingLocalSystem",
    "DecidingLocalSystem",
    "Decision",
    "DocumentBatch",
    "LocalDocument",
    "LocalRecord",
    "LocalSystem",
]


@attrs.frozen(slots=True)
class LocalRecord:
    """A local master record (person, project, task, client, dimension value) as the engine
    sees it when linking and checking for drift.

    Attributes:
        local_id: The app's own id for the record.
        key: The business ID the app keeps for it (employee number, project number, task
            code as ``PROJECTID/TASKID`` for tasks), or None.
        name: Display name, for name matching.
        email: E-mail address, for matching people.
        active: Whether the app considers the record active.
        intacct_key: The Intacct key the engine recorded on it earlier, if any.
        fingerprint: A digest of the fields the engine writes, as the app holds them now.
            When it differs from the digest right after the engine's last write, the record
            drifted (edited locally); a full run repairs it.
        intacct_record_no: The Intacct RECORDNO the engine recorded on it earlier, if any
            (``record_intacct_key``'s ``record_no``). Optional: when an app leaves it None,
            linking the record again always records the key.
    """

    local_id: str
    key: str | None
    name: str | None = None
    email: str | None = None
    active: bool = True
    intacct_key: str | None = None
    fingerprint: str = ""
    intacct_record_no: int | None = None


@attrs.frozen(slots=True)
class LocalDocument:
    """A local timesheet or expense report offered for pushing.

    Attributes:
        local_id: The app's id; it is stamped on the Intacct record.
        revision: Changes whenever the document changes (a counter or a version string).
        model: The document as a ``timesync.models`` object (``Timesheet`` or
            ``ExpenseReport``); None when the document was deleted locally, or when it
            could not be built (see ``problem``).
        approved: Only approved documents are pushed.
        problem: Why the app could not build the document's model, naming the field
            (``entries[2].hours: ...``), with ``model`` None. The engine reports an approved
            document with a problem as that record's error, queues it and asks for it again
            on later runs until it can be built; every other document goes through. Never
            a deletion.
    """

    local_id: str
    revision: str
    model: Any | None
    approved: bool = True
    problem: str | None = None

    @property
    def deleted(self) -> bool:
        """Whether the app deleted the document (a document it could not build is not)."""
        return self.model is None and self.problem is None


@attrs.frozen(slots=True)
class DocumentBatch:
    """Documents changed since a point, and the point to ask from next time.

    Attributes:
        documents: The changed documents, deleted ones included.
        cursor: An opaque position; pass it back as ``since`` on the next call.
    """

    documents: tuple[LocalDocument, ...]
    cursor: str | None


DECIDED_STATES: Final = frozenset(
    {"Approved", "Partially Approved", "Declined", "Partially Declined"}
)
"""The Intacct timesheet states an approver's decision leads to."""


@attrs.frozen(slots=True)
class Decision:
    """What Intacct decided about a pushed timesheet or expense report, as the app hears it.

    Attributes:
        state: The document's Intacct STATE: ``Approved``, ``Partially Approved``,
            ``Declined``, ``Partially Declined`` (or ``Submitted`` again, when a decision
            was read while the sheet went back for approval); an expense report also
            reports the states on its way to payment (``Selected``, ``Paid``,
            ``Partially Paid``).
        record_no: The document's Intacct RECORDNO.
        approver: Who made the latest decision (a timesheet: ``APPROVEDBY`` of its approval
            record; an expense report: the login that last changed it, MODIFIEDBYLOGINID),
            or None when Intacct does not say.
        decided_on: The day of the latest decision (a timesheet: ``EVENTDATE``; an expense
            report: the day of its WHENMODIFIED), when known.
        comment: The approver's comment on the latest decision that has one, or None (always
            None for an expense report: the XML API does not expose its approval comments).
        entry_states: The state of each entry, as ``(line number, state)`` in line order
            (Intacct's ``LINENO``, 1 for the first entry pushed), given only when the entries
            do not all share ``state`` (a partial decision); empty otherwise.
    """

    state: str
    record_no: int | None = None
    approver: str | None = None
    decided_on: date | None = None
    comment: str | None = None
    entry_states: tuple[tuple[int, str], ...] = ()


@runtime_checkable
class LocalSystem(Protocol):
    """What the engine needs from the host app. Implement it over your own models.

    Objects are named by their Intacct object name: ``EMPLOYEE``, ``PROJECT``, ``TASK``,
    ``CUSTOMER``, the dimension objects (``DEPARTMENT``, ``LOCATION``, ``CLASS``, ...), and
    the pushed ``TIMESHEET`` / ``EEXPENSES``. Records travel as ``timesync.models`` objects.

    Methods must be safe to call again with the same arguments (a crashed run repeats its
    last batch): ``upsert`` with a ``local_id`` updates that record in place.
    """

    def list_records(self, object_name: str) -> Iterable[LocalRecord]:
        """Every local record of an object, active or not."""

    def upsert(self, object_name: str, model: Any, local_id: str | None) -> LocalRecord:
        """Create (``local_id`` None) or update a record from Intacct; return it as stored.

        The model's status decides whether the record is active.
        """

    def inactivate(self, object_name: str, local_id: str) -> None:
        """Mark a record inactive (never delete it: history points at it)."""

    def record_intacct_key(
        self, object_name: str, local_id: str, key: str, record_no: int | None
    ) -> None:
        """Remember the Intacct key and RECORDNO the engine linked this record to."""

    def changed_documents(self, object_name: str, since: str | None) -> DocumentBatch:
        """Timesheets or expense reports changed after ``since`` (None: all).

        A document the app cannot turn into a model is handed back with ``problem`` set
        rather than raised: one bad record must not stop the others.
        """

    def get_documents(self, object_name: str, local_ids: Sequence[str]) -> list[LocalDocument]:
        """The current state of these documents (deleted ones with ``model=None``)."""

    def document_pushed(
        self, object_name: str, local_id: str, record_no: int | None, state: str | None
    ) -> None:
        """Remember the Intacct RECORDNO and state a document now has (None: withdrawn)."""


class DecidingLocalSystem(LocalSystem, Protocol):
    """A :class:`LocalSystem` that also hears Intacct's approval decisions.

    ``document_decided`` is optional: the engine calls it only when the local system has it
    (an implementation written before it existed keeps working, and its decisions are
    recorded in the store as delivered). Like every method it must be safe to call again
    with the same arguments: a decision is delivered at least once.
    """

    def document_decided(self, object_name: str, local_id: str, decision: Decision) -> None:
        """Remember what Intacct decided about a pushed document (its state, approver,
        date, comment, and per-entry states where they differ)."""


@runtime_checkable
class BatchingLocalSystem(LocalSystem, Protocol):
    """A :class:`LocalSystem` that can make many writes one transaction.

    ``transaction`` is optional: when the local system has it, the engine applies each page
    it pulls (up to ``page_size`` records) inside one block, so an app on a database commits
    once per page rather than once or twice per record. Everything in the block is stored,
    or (on an exception, or when the process dies first) none of it; blocks may nest. A write
    that fails inside the block must leave the block usable (the engine reports that record
    and goes on with the others).
    """

    def transaction(self) -> AbstractContextManager[None]:
        """A block whose writes are committed together when it ends."""


@runtime_checkable
class ComparingLocalSystem(LocalSystem, Protocol):
    """A :class:`LocalSystem` that can say, without writing, what a record would look like
    after an :meth:`~LocalSystem.upsert`.

    ``fingerprint_of`` is optional. When the engine links an Intacct record to a local
    record found by matching (a first sync over an app that already holds the data, or a
    re-match after the state store was lost), it compares this digest with the matched
    record's :attr:`LocalRecord.fingerprint` (read by ``list_records``): when they are equal
    the record already holds what the engine would write, so it is linked without calling
    ``upsert`` and reported unchanged; ``record_intacct_key`` is also skipped when the record
    already carries that key and RECORDNO (:attr:`LocalRecord.intacct_record_no`). A
    re-match of an app that agrees with Intacct then writes nothing to the app.

    A digest that differs when the values are the same only costs a write; one that is
    equal when they differ would keep the old values, so compute it from exactly the
    values ``upsert`` stores, the same way the fingerprint of a stored record is computed.
    """

    def fingerprint_of(self, object_name: str, model: Any) -> str:
        """The fingerprint the record would have right after ``upsert(object_name, model,
        local_id)`` stored ``model`` (computed from the model alone, nothing written)."""
