"""Intacct's approval decisions on pushed documents, read back and told to the local app.

Each run reads the pushed timesheets and expense reports whose WHENMODIFIED moved since the
object's decision cursor (less the lag window), in the run's first request with every other
first read. For a timesheet linked to a local document that shows a change that is not the
engine's own write, one more request reads its approval records (TIMESHEETAPPROVAL:
approver, EVENTDATE, COMMENTS, STATE) and entries (per-entry state). An expense report's
decision is its header alone: the XML API has no approval-record object for EEXPENSES, so
the approver is the header's MODIFIEDBYLOGINID, the day its WHENMODIFIED, and there is no
comment (an assumption, listed in ``docs/emulator-behaviour.md``). The decision is recorded
in the store in the same transaction as the link's new state, and delivered to
``DecidingLocalSystem.document_decided`` afterwards; it is marked delivered only once the app took
it, so a crash in between delivers it on the next run. A document with a write of the
engine in flight (a run died before it knew the write's outcome) is left for a later run:
its change may be that write, which the push resolves first.

A decision read is taken as the document's last change in Intacct (its WHENMODIFIED becomes
the one the push compares against): approving or declining moves WHENMODIFIED, and without
this a declined timesheet the user corrects would be held as "changed in Intacct".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Final

import attrs

from intacct_sdk import AuthenticationError, ConfigurationError, IntacctError
from intacct_sdk.functions import Query
from intacct_sdk.query import F
from timesync.engine._context import RunContext, as_int, describe, log, page_records
from timesync.engine._plan import chunks
from timesync.engine._streams import as_timestamp, keyset_after
from timesync.local import Decision
from timesync.store import Cursor, DecisionNotice, Link, Notice, OutboxState

__all__ = ["SOURCES", "DecisionReader", "decision_from_json", "decision_to_json"]

_ORDER: Final = (("WHENMODIFIED", "asc"), ("RECORDNO", "asc"))


@attrs.frozen(slots=True)
class _Source:
    """Where one pushed object's decisions are read from.

    Attributes:
        object_name: The pushed object.
        fields: The header fields read.
        details: Whether approval records and entries are read for a decided document
            (TIMESHEETAPPROVAL and TIMESHEETENTRY; expense reports have no such object).
        pending: States that await a decision: a document in one of them is news only when
            it left a state already told to the app.
    """

    object_name: str
    fields: tuple[str, ...]
    details: bool
    pending: frozenset[str]

    @property
    def cursor(self) -> str:
        return f"decisions:{self.object_name}"


SOURCES: Final = {
    "TIMESHEET": _Source(
        "TIMESHEET",
        ("RECORDNO", "STATE", "WHENMODIFIED"),
        True,
        frozenset({"", "Draft", "Saved", "Submitted"}),
    ),
    # an expense report goes on after its approval (Paid, Partially Paid, Selected, ...):
    # every state past Submitted is news to the app
    "EEXPENSES": _Source(
        "EEXPENSES",
        ("RECORDNO", "STATE", "WHENMODIFIED", "MODIFIEDBYLOGINID"),
        False,
        frozenset({"", "Draft", "Saved", "Submitted", "Resubmitted"}),
    ),
}
"""The pushed objects whose decisions are read back."""
_APPROVAL_FIELDS: Final = (
    "RECORDNO",
    "TIMESHEETKEY",
    "TIMESHEETENTRYKEY",
    "APPROVEDBY",
    "APPROVERID",
    "EVENTDATE",
    "COMMENTS",
    "STATE",
)
_ENTRY_FIELDS: Final = ("RECORDNO", "TIMESHEETKEY", "LINENO", "STATE")


def decision_to_json(decision: Decision) -> str:
    """A decision as the store keeps it (stable: equal decisions give equal text)."""
    return json.dumps(
        {
            "state": decision.state,
            "record_no": decision.record_no,
            "approver": decision.approver,
            "decided_on": decision.decided_on.isoformat() if decision.decided_on else None,
            "comment": decision.comment,
            "entry_states": [list(e) for e in decision.entry_states],
        },
        sort_keys=True,
    )


def decision_from_json(text: str) -> Decision:
    """The decision a store row holds."""
    raw = json.loads(text)
    day = raw.get("decided_on")
    return Decision(
        state=str(raw["state"]),
        record_no=raw.get("record_no"),
        approver=raw.get("approver"),
        decided_on=date.fromisoformat(day) if day else None,
        comment=raw.get("comment"),
        entry_states=tuple((int(n), str(s)) for n, s in raw.get("entry_states") or ()),
    )


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
            try:  # a timestamp's day is its first ten characters in either form
                return datetime.strptime(value.strip()[:10], fmt).date()
            except ValueError:
                continue
    return None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def build_decision(
    header: dict[str, Any], approvals: Sequence[dict[str, Any]], entries: Sequence[dict[str, Any]]
) -> Decision:
    """The decision on one timesheet from its header, approval records and entries.

    The latest decision is the approval record with the highest RECORDNO whose state is a
    decision (not ``Submitted``); its comment is the latest one given. Entry states are
    listed only when they are not all the timesheet's state. Without approval records (an
    expense report), the header's last modifier and day stand for the approver and the day.
    """
    state = str(header.get("STATE") or "")
    decided = sorted(
        (a for a in approvals if str(a.get("STATE") or "") in ("Approved", "Declined")),
        key=lambda a: as_int(a.get("RECORDNO")) or 0,
    )
    latest = decided[-1] if decided else {}
    comment = next((_text(a.get("COMMENTS")) for a in reversed(decided) if a.get("COMMENTS")), None)
    lines = sorted(
        ((as_int(e.get("LINENO")) or 0, str(e.get("STATE") or "")) for e in entries),
    )
    differs = any(s != state for _, s in lines)
    return Decision(
        state=state,
        record_no=as_int(header.get("RECORDNO")),
        approver=(
            _text(latest.get("APPROVEDBY")) or _text(latest.get("APPROVERID"))
            if decided
            else _text(header.get("MODIFIEDBYLOGINID"))
        ),
        decided_on=_day(latest.get("EVENTDATE") if decided else header.get("WHENMODIFIED")),
        comment=comment,
        entry_states=tuple(lines) if differs else (),
    )


@attrs.define(slots=True)
class _ObjectDecisions:
    """Reads the decisions made in Intacct on the documents of one pushed object."""

    ctx: RunContext
    source: _Source
    cursor: tuple[datetime, int] | None = None
    queries: list[Query] = attrs.field(factory=list)

    @property
    def name(self) -> str:
        return self.source.object_name

    def start(self) -> list[Query]:
        """The read of changed headers, for the run's first request."""
        stored = self.ctx.store.get_cursor(self.source.cursor)
        when = as_timestamp(stored.modified, self.ctx.zone) if stored is not None else None
        self.cursor = None if when is None or stored is None else (when, stored.record_no)
        start = None if self.cursor is None else (self.cursor[0] - self.ctx.options.lag, 0)
        self.queries = [self._page(start)]
        return list(self.queries)

    def _page(self, position: tuple[datetime, int] | None) -> Query:
        where = keyset_after("modified", position, F("WHENMODIFIED").is_not_null())
        return self.ctx.page_query(self.name, self.source.fields, where, _ORDER)

    def _headers(self, prefetched: Sequence[Any] | None) -> list[dict[str, Any]]:
        results = list(prefetched) if prefetched is not None else self.ctx.execute(self.queries)
        records, more = page_records(results[0])
        out = list(records)
        while more and records:
            last = out[-1]
            when = as_timestamp(last.get("WHENMODIFIED"), self.ctx.zone)
            record_no = as_int(last.get("RECORDNO"))
            if when is None or record_no is None:
                break
            [result] = self.ctx.execute([self._page((when, record_no))])
            records, more = page_records(result)
            out.extend(records)
        return out

    def _wanted(
        self, headers: list[dict[str, Any]]
    ) -> tuple[dict[int, tuple[dict[str, Any], Link]], list[tuple[datetime, int]]]:
        """The linked headers whose change is not our own write nor a decision already read,
        and the positions of those deferred: a document with a write in flight (a run that
        died before it knew the outcome) may show the engine's own write, which this run's
        push resolves first; its next change is read on a later run."""
        store, zone, name = self.ctx.store, self.ctx.zone, self.name
        by_rn = {rn: h for h in headers if (rn := as_int(h.get("RECORDNO"))) is not None}
        links = store.links_by_record_no(name, sorted(by_rn))
        in_flight = {
            row.local_id for row in store.outbox(object_name=name, states=[OutboxState.IN_FLIGHT])
        }
        wanted: dict[int, tuple[dict[str, Any], Link]] = {}
        deferred: list[tuple[datetime, int]] = []
        for rn, header in by_rn.items():
            link = links.get(rn)
            if link is None or link.local_id is None:
                continue
            when = as_timestamp(header.get("WHENMODIFIED"), zone)
            if link.local_id in in_flight:
                if when is not None:
                    deferred.append((when, rn))
                continue
            state = str(header.get("STATE") or "")
            if state == link.remote_state and when == as_timestamp(link.remote_modified, zone):
                continue  # the engine's own write was the last change
            seen = store.last_decision(name, link.local_id)
            seen_state = decision_from_json(seen.payload).state if seen is not None else None
            if seen is not None and seen.modified == when and seen_state == state:
                continue  # read in an earlier run (the lag window reads it again)
            if state not in self.source.pending or (seen is not None and state != seen_state):
                wanted[rn] = (header, link)
        return wanted, deferred

    def _details(
        self, record_nos: list[int]
    ) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
        approvals: dict[int, list[dict[str, Any]]] = {}
        entries: dict[int, list[dict[str, Any]]] = {}
        if not record_nos or not self.source.details:
            return approvals, entries
        queries: list[Query] = []
        for batch in chunks(record_nos, 100):
            where = F("TIMESHEETKEY").in_(list(batch))
            queries.append(
                self.ctx.page_query("TIMESHEETAPPROVAL", _APPROVAL_FIELDS, where, (), 2000)
            )
            queries.append(self.ctx.page_query("TIMESHEETENTRY", _ENTRY_FIELDS, where, (), 2000))
        results = self.ctx.execute(queries)
        for i, result in enumerate(results):
            target = approvals if i % 2 == 0 else entries
            records, more = page_records(result)
            if more:
                raise ValueError("more than 2,000 approval records or entries in one batch")
            for rec in records:
                key = as_int(rec.get("TIMESHEETKEY"))
                if key is not None:
                    target.setdefault(key, []).append(rec)
        return approvals, entries

    def run(self, prefetched: Sequence[Any] | None) -> None:
        """Read new decisions, record and deliver them. A failed read leaves the cursor
        where it was (the next run reads again) and is reported; the push goes on."""
        ctx, store, name = self.ctx, self.ctx.store, self.name
        try:
            headers = self._headers(prefetched)
            wanted, deferred = self._wanted(headers)
            approvals, entries = self._details(sorted(wanted))
        except (AuthenticationError, ConfigurationError):
            raise
        except (IntacctError, ValueError) as exc:
            log.warning("approval decisions on %s not read: %s", name, describe(exc))
            ctx.fail(name, "*", f"approval decisions not read: {describe(exc)}")
            return
        with store.transaction():
            for rn, (header, link) in wanted.items():
                decision = build_decision(header, approvals.get(rn, []), entries.get(rn, []))
                when = as_timestamp(header.get("WHENMODIFIED"), ctx.zone)
                assert link.local_id is not None
                store.queue_decision(
                    DecisionNotice(name, link.local_id, rn, decision_to_json(decision), when)
                )
                # the decision is taken as the record's last change: a declined document
                # the user corrects then goes back up as an update, not as a conflict
                fresh = attrs.evolve(
                    link,
                    remote_state=decision.state or link.remote_state,
                    remote_modified=when or link.remote_modified,
                )
                store.put_link(fresh)
                # an app without document_decided still hears the state, as after a push
                store.queue_notice(Notice(name, link.local_id, rn, fresh.remote_state))
            # the cursor stops short of the first deferred header, so a later run reads it
            limit = min(deferred, default=None)
            newest = max(
                (
                    (w, r)
                    for h in headers
                    if (w := as_timestamp(h.get("WHENMODIFIED"), ctx.zone)) is not None
                    and (r := as_int(h.get("RECORDNO"))) is not None
                    and (limit is None or (w, r) < limit)
                ),
                default=None,
            )
            if newest is not None and (self.cursor is None or newest > self.cursor):
                store.set_cursor(Cursor(self.source.cursor, newest[0], newest[1]))


@attrs.define(slots=True)
class DecisionReader:
    """Reads the decisions made in Intacct on the timesheets and expense reports this
    engine pushed, and tells the local app."""

    ctx: RunContext
    readers: list[_ObjectDecisions]
    pushes: tuple[str, ...] = ()

    @classmethod
    def for_run(cls, ctx: RunContext, pushes: Sequence[str]) -> DecisionReader:
        """A reader for this run. An object is read only when it is pushed and something
        of it was ever pushed (nothing to read, no request); nothing in a dry run."""
        readers = [
            _ObjectDecisions(ctx, SOURCES[name])
            for name in pushes
            if name in SOURCES
            and not ctx.dry_run
            and any(lk.record_no is not None for lk in ctx.store.links(name))
        ]
        return cls(ctx, readers, tuple(n for n in pushes if n in SOURCES))

    @property
    def active(self) -> bool:
        """Whether any object's decisions are read this run."""
        return bool(self.readers)

    def start(self) -> list[Query]:
        """The reads of changed headers, for the run's first request."""
        return [q for reader in self.readers for q in reader.start()]

    def run(self, prefetched: Sequence[Any] | None) -> None:
        """Deliver decisions a killed run left queued, read new ones, record and deliver
        them. Each object's read fails alone (reported on that object)."""
        self.deliver()
        offset = 0
        for reader in self.readers:
            size = len(reader.queries)
            mine = None if prefetched is None else list(prefetched[offset : offset + size])
            offset += size
            reader.run(mine)
        if self.readers:
            self.deliver()

    def deliver(self) -> None:
        """Offer every pending decision to ``document_decided``; one the app refuses stays
        pending for the next run. A local system without the method has them marked
        delivered (it keeps only ``document_pushed``'s state)."""
        if self.ctx.dry_run:
            return
        store = self.ctx.store
        tell = getattr(self.ctx.local, "document_decided", None)
        for name in self.pushes:
            for notice in store.pending_decisions(name):
                if callable(tell):
                    try:
                        tell(name, notice.local_id, decision_from_json(notice.payload))
                    except Exception as exc:  # the app's own failure: offered again next run
                        log.warning(
                            "local system refused document_decided for %s %s: %s",
                            name,
                            notice.local_id,
                            describe(exc),
                        )
                        continue
                store.clear_decision(notice)
