"""Push: approved local timesheets (and expense reports) to Intacct, exactly once.

The outbox row of every write is committed, with a deterministic function control id,
before the write is sent with ``uniqueid=true``; the Intacct RECORDNO is committed right
after the answer. A write whose outcome is unknown (response lost, HTTP 524, a refused
replay, a crash) stays ``in_flight`` and is resolved by reading Intacct back by the local id
stamped on every pushed record before anything is written again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import attrs

from intacct_sdk import (
    AuthenticationError,
    ConfigurationError,
    DuplicateControlIdError,
    FunctionError,
    IntacctError,
    RequestNotSentError,
)
from intacct_sdk.functions import Function, Query
from intacct_sdk.query import F
from timesync.engine._adopt import ForeignCheck, adopt
from timesync.engine._amend import Amendments, is_amend
from timesync.engine._context import RunContext, as_int, describe, log, page_records
from timesync.engine._corrections import Corrections
from timesync.engine._notices import close_superseded, notify_local, queue_notice
from timesync.engine._options import MappingSpecLike
from timesync.engine._plan import (
    ACCEPTED,
    PushPlan,
    PushStep,
    TargetState,
    chunks,
    control_id,
    plan_push,
    stamp_value,
)
from timesync.engine._routing import Router
from timesync.engine._steps import resolve_row, step_function
from timesync.engine._streams import as_timestamp
from timesync.engine._validate import (
    check_record,
    describe_problems,
    normalise_line_endings,
    refusal,
)
from timesync.local import LocalDocument
from timesync.store import Cursor, ErrorEntry, Link, OutboxEntry, OutboxState

__all__ = ["push_object", "start_push"]

_PREFIX = {"TIMESHEET": "ts", "EEXPENSES": "ex"}


def _changed_since(when: datetime | None, stored: datetime | None, zone: tzinfo) -> bool:
    """Whether a record's WHENMODIFIED differs from the one stored after our last write (a
    stored value kept naive, before timestamps were kept in UTC, is the user's wall time)."""
    before = as_timestamp(stored, zone)
    return bool(when and before and when != before)


@attrs.define(slots=True)
class _Item:
    doc: LocalDocument
    plan: PushPlan
    record: dict[str, Any] | None
    content_hash: str | None
    link: Link | None
    failed: bool = False


class _Pusher:
    def __init__(self, ctx: RunContext, spec: MappingSpecLike) -> None:
        self.ctx = ctx
        self.spec = spec
        self.name = spec.object_name
        self.prefix = _PREFIX.get(self.name, self.name.lower())
        self.opts = ctx.options.push
        self.stamp = self.opts.stamp_field
        self.inst = ctx.installation.id
        self.touched: dict[int, str] = {}
        self.uncertain = False
        self.prefetched_ids: frozenset[str] = frozenset()
        self.collected: tuple[dict[str, LocalDocument], str | None] | None = None
        self.early_stamps: frozenset[str] = frozenset()
        self.early_count = 0
        self.early_probe = False
        self.early_results: Sequence[Any] | None = None
        self.adopted: frozenset[str] = frozenset()
        self.corrections = Corrections(ctx, spec)
        self.amending = self.name == "TIMESHEET" and self.opts.approved_changes == "new_timesheet"
        self.amends = Amendments(
            ctx,
            self.name,
            self.stamp,
            self.corrections,
            "Draft" if self.opts.target_state == "Draft" else "Submitted",
        )
        self.held: frozenset[str] = frozenset()
        self.router = Router(ctx, tuple(getattr(spec, "rules", ())))

    @property
    def rep(self) -> Any:
        return self.ctx.report.object(self.name)

    # ------------------------------------------------------------ read-backs

    def _stamp_of(self, local_id: str) -> str:
        """The stamp this installation puts on the record of a local document."""
        return stamp_value(self.inst, local_id)

    def _row_stamp(self, row: OutboxEntry) -> str:
        """The stamp an outbox row's write carried: a row written before installation ids
        (its control id has no installation prefix) stamped the bare local id."""
        if is_amend(row.step):  # what a lost create of a correction sheet carried
            if row.local_id not in self.amends.sheets:
                self.amends.load([row.local_id])
            return self.amends.stamp(row.local_id)
        if self.inst and not row.control_id.startswith(f"{self.inst}."):
            return row.local_id
        return self._stamp_of(row.local_id)

    def _queries(self, field: str, values: Sequence[Any]) -> list[Query]:
        fields = ["RECORDNO", "STATE", "WHENMODIFIED", self.stamp]
        return [
            self.ctx.page_query(
                self.name, fields, F(field).in_(list(batch)), (("RECORDNO", "asc"),), 2000
            )
            for batch in chunks(sorted(set(values)), 1000)
        ]

    def _stamp_queries(self, stamps: Sequence[str]) -> list[Query]:
        return self._queries(self.stamp, stamps)

    def _send_reads(self, queries: Sequence[Query]) -> list[Any]:
        """Send reads together, in one request."""
        return self.ctx.execute(queries) if queries else []

    def read_by_stamp(
        self, stamps: Sequence[str], results: Sequence[Any] | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Intacct records carrying these stamps, by stamp: one ``query`` per 1,000 (or the
        results of those queries, already sent)."""
        if results is None:
            results = self._send_reads(self._stamp_queries(stamps))
        found: dict[str, list[dict[str, Any]]] = {}
        for result in results:
            for rec in page_records(result)[0]:
                found.setdefault(str(rec.get(self.stamp)), []).append(rec)
        return found

    def recovery_reads(self) -> list[Query]:
        """The read-back of the rows a crashed or unanswered run left in flight (none in a
        dry run): the engine sends it with the pull's first pages, in the same request.

        Reading earlier than just before the push is safe: between the two, the run writes
        nothing to this object in Intacct and the run lock keeps other runs out; a write of
        an earlier run that lands after the read is caught by its deterministic control id
        (a replay is refused, and a create is then settled by the next read-back).
        """
        if self.ctx.dry_run:
            return []
        rows = self.ctx.store.outbox(object_name=self.name, states=[OutboxState.IN_FLIGHT])
        self.prefetched_ids = frozenset(self._row_stamp(r) for r in rows)
        return self._stamp_queries(sorted(self.prefetched_ids))

    def first_reads(self) -> list[Query]:
        """Every read this push can name before the pulls, for the run's first request:
        the read-back of rows left in flight, the read by stamp of the documents about to
        be created (what this installation may already have written), and the one-time
        check for other installations' stamps."""
        recovery = self.recovery_reads()
        self.early_count = len(recovery)
        try:
            self.collected = self.collect()
        except Exception:  # the push collects again at its turn, and reports it there
            log.debug("%s: early collect failed; collecting at push time", self.name, exc_info=True)
            return recovery
        docs = self.collected[0]
        if docs:  # documents to send: the first request fetches the writes' session too
            self.ctx.writes_follow = True
        links = self.ctx.store.links_by_key(self.name, list(docs))
        creating = [
            lid
            for lid, doc in docs.items()
            if doc.model is not None
            and doc.approved
            and not doc.deleted
            and (links.get(lid) is None or links[lid].record_no is None)
        ]
        self.early_stamps = frozenset(self._stamp_of(i) for i in creating)
        # one read by stamp serves the recovery and the creates
        self.prefetched_ids |= self.early_stamps
        reads = self._stamp_queries(sorted(self.prefetched_ids))
        self.early_count = len(reads)
        check = ForeignCheck(self.ctx, self.name, self.stamp)
        if creating and check.needed():
            reads.append(check.query())
            self.early_probe = True
        return reads

    def read_by_record_no(
        self, record_nos: Sequence[int], results: Sequence[Any] | None = None
    ) -> dict[int, dict[str, Any]]:
        """Intacct records by RECORDNO: one ``query`` per 1,000 (or their results)."""
        if results is None:
            results = self._send_reads(self._queries("RECORDNO", record_nos))
        found: dict[int, dict[str, Any]] = {}
        for result in results:
            for rec in page_records(result)[0]:
                rn = as_int(rec.get("RECORDNO"))
                if rn is not None:
                    found[rn] = rec
        return found

    def _read_before_writes(
        self,
        record_nos: Sequence[int],
        creating: Sequence[str],
        links: dict[str, Link],
        hashes: Mapping[str, str | None],
        amending: Sequence[str] = (),
    ) -> dict[int, dict[str, Any]]:
        """One request before the writes: the pushed records that may have changed (by
        RECORDNO), the records this installation may already have written for the documents
        about to be created (by stamp), and, on a store that never pushed this object,
        whether another installation's stamps are there. Adopted records join ``links``."""
        early = self.early_results
        if early is None:
            self.early_stamps = frozenset()
        late = [i for i in creating if self._stamp_of(i) not in self.early_stamps]
        by_no = self._queries("RECORDNO", record_nos)
        probes = self.amends.probe(amending)
        by_stamp = self._stamp_queries([*(self._stamp_of(i) for i in late), *probes])
        check = ForeignCheck(self.ctx, self.name, self.stamp)
        early_probe = self.early_probe and early is not None
        probe = [check.query()] if creating and not early_probe and check.needed() else []
        results = self._send_reads([*by_no, *by_stamp, *probe])
        remote = self.read_by_record_no(record_nos, results[: len(by_no)])
        stamp_results = list(results[len(by_no) : len(by_no) + len(by_stamp)])
        probe_result = results[-1] if probe else None
        if early is not None:
            stamp_results.extend(early[: self.early_count])
            if early_probe:
                probe_result = early[self.early_count]
        found = self.read_by_stamp([], stamp_results)
        self.amends.adopt(found)
        if probe_result is not None and creating:
            owners = check.owners(probe_result)
            if owners:
                check.hold(owners, len(creating))
                self.held = frozenset(creating)
            else:
                check.passed()
        adopted = adopt(
            self.ctx,
            self.name,
            {lid: found.get(self._stamp_of(lid), []) for lid in creating},
            hashes,
            links,
            remote,
        )
        if adopted:
            self.adopted = frozenset(lk.local_id or "" for lk in adopted)
            self.rep.recovered += len(adopted)
        return remote

    # -------------------------------------------------------------- recovery

    def recover(self, prefetched: Sequence[Any] | None = None) -> None:
        """Resolve in-flight outbox rows by reading Intacct back by the stamped local ids.

        ``prefetched`` holds the results of :meth:`recovery_reads`; they are used when they
        cover every row still in flight.
        """
        ctx, store = self.ctx, self.ctx.store
        rows = store.outbox(object_name=self.name, states=[OutboxState.IN_FLIGHT])
        if not rows:
            return
        if ctx.dry_run:
            ctx.report.planned.extend(f"resolve in-flight {r.control_id}" for r in rows)
            return
        stamps = [self._row_stamp(r) for r in rows]
        if prefetched is not None and set(stamps) <= self.prefetched_ids:
            remote = self.read_by_stamp(stamps, prefetched)
        else:
            remote = self.read_by_stamp(stamps)
        with store.transaction():
            held = store.outbox(object_name=self.name, states=[OutboxState.IN_FLIGHT])
            claimed = {r.control_id for r in held}  # a database store locks them (SKIP LOCKED)
            for row in rows:
                if row.control_id not in claimed:
                    continue
                recs = remote.get(self._row_stamp(row), [])
                link = store.get_link(self.name, row.local_id)
                if is_amend(row.step):
                    done = self.amends.resolve(row, recs) is OutboxState.DONE
                    if done and link is not None:
                        link = attrs.evolve(
                            link, content_hash=row.payload_hash, revision=row.revision
                        )
                else:
                    done, link = resolve_row(row, recs, link, self.ctx.zone, self.ctx.run_id)
                state = OutboxState.DONE if done else OutboxState.PENDING
                store.put_outbox(
                    attrs.evolve(
                        row,
                        state=state,
                        run_id=ctx.run_id,
                        record_no=(
                            link.record_no if done and link and not is_amend(row.step) else None
                        )
                        or row.record_no,
                    )
                )
                if done:
                    close_superseded(self.ctx.store, row)
                    self.rep.recovered += 1
                    ctx.applied(self.name, row.local_id, f"recovered {row.step}")
                    if link is not None:
                        store.put_link(link)
                        queue_notice(self.ctx, self.name, link)
        log.info("%s: resolved %d in-flight outbox row(s)", self.name, len(rows))
        notify_local(self.ctx, self.name)

    # --------------------------------------------------------------- collect

    def collect(self) -> tuple[dict[str, LocalDocument], str | None]:
        ctx, store = self.ctx, self.ctx.store
        cursor = store.get_cursor(f"local:{self.name}")
        batch = ctx.local.changed_documents(self.name, cursor.token if cursor else None)
        docs = {d.local_id: d for d in batch.documents}
        retry = {e.key for e in store.errors(self.name) if not e.key.startswith("*")} | {
            r.local_id
            for r in store.outbox(
                object_name=self.name,
                states=[OutboxState.PENDING, OutboxState.FAILED, OutboxState.IN_FLIGHT],
            )
        }
        missing = sorted(retry - set(docs))
        if missing:
            docs.update({d.local_id: d for d in ctx.local.get_documents(self.name, missing)})
        return docs, batch.cursor

    def prepare(self, model: Any) -> Any:
        """Route entries by the spec's allocation rules (with the facts :meth:`plan` loaded),
        then fill each entry's task RECORDNO (TASKKEY) from the task links."""
        if self.name != "TIMESHEET":
            return model
        model = self.router.route(model)
        entries = getattr(model, "entries", None)
        if not entries:
            return model
        fixed = []
        for entry in entries:
            if getattr(entry, "task_record_no", "x") is None and getattr(entry, "task_key", None):
                link = self.ctx.store.get_link("TASK", f"{entry.project_key}/{entry.task_key}")
                if link is not None and link.record_no is not None:
                    entry = attrs.evolve(entry, task_record_no=link.record_no)
            fixed.append(entry)
        return attrs.evolve(model, entries=tuple(fixed))

    @property
    def target(self) -> TargetState:
        """The state this object's pushes land in: ``target_state`` for timesheets; expense
        reports are always left submitted for Intacct's own approval."""
        return self.opts.target_state if self.name == "TIMESHEET" else "Submitted"

    def plan(self, docs: Mapping[str, LocalDocument]) -> list[_Item]:
        ctx = self.ctx
        links = ctx.store.links_by_key(self.name, list(docs))
        items: list[_Item] = []
        hashes: dict[str, str | None] = {}
        records: dict[str, dict[str, Any] | None] = {}
        if self.name == "TIMESHEET":
            self.router.load(d.model for d in docs.values() if d.model is not None and d.approved)
        for local_id, doc in docs.items():
            if doc.deleted or not doc.approved:
                hashes[local_id] = records[local_id] = None
                continue
            try:
                # checked before any outbox row is written: a document Intacct would refuse
                # or mangle is this record's error, never the batch's
                problem = refusal(self.name, doc, week_start=self.opts.week_start)
                if problem is None:
                    model = self.prepare(doc.model)
                    record = self.spec.to_remote(normalise_line_endings(model))
                    problem = describe_problems(check_record(self.name, record)) or None
                    if problem is None:
                        records[local_id] = record
                        hashes[local_id] = self.spec.content_hash(model)
                        continue
            except Exception as exc:
                problem = describe(exc)
            ctx.fail(self.name, local_id, problem)
            docs = {k: v for k, v in docs.items() if k != local_id}
        need = [
            lk.record_no
            for lid, lk in links.items()
            if lid in docs
            and lk.record_no is not None
            and (
                hashes.get(lid) != lk.content_hash
                or docs[lid].deleted
                or (self.target == "Approved" and lk.remote_state != "Approved")
            )
        ]
        creating = [
            lid
            for lid, rec in records.items()
            if rec is not None
            and lid in docs
            and not docs[lid].deleted
            and (links.get(lid) is None or links[lid].record_no is None)
        ]
        if self.amending:
            self.amends.load(list(docs))
        amending = [lid for lid, lk in links.items() if self.amending and lk.record_no in need]
        remote = self._read_before_writes(need, creating, links, hashes, amending)
        accepted = {e.key for e in ctx.store.errors(self.name, kind=ACCEPTED)}
        need.extend(
            lk.record_no
            for lid, lk in links.items()
            if lid in self.adopted and lk.record_no is not None
        )
        for local_id, doc in docs.items():
            if local_id not in records:
                continue
            link = links.get(local_id)
            pushed = link is not None and link.record_no is not None
            rec = (
                remote.get(link.record_no)
                if pushed and link and link.record_no is not None
                else None
            )
            checked = pushed and link is not None and link.record_no in need
            when = as_timestamp(rec.get("WHENMODIFIED"), self.ctx.zone) if rec else None
            exists = rec is not None or not checked
            settled = local_id in accepted  # a person took the local side: apply it
            plan = plan_push(
                deleted=doc.deleted,
                approved=doc.approved,
                changed=link is None or hashes[local_id] != link.content_hash or settled,
                pushed=pushed and (exists or not settled),
                remote_state=(rec.get("STATE") if rec else link.remote_state if link else None),
                remote_exists=exists,
                remote_changed=not settled
                and bool(rec and link)
                and _changed_since(when, link.remote_modified if link else None, ctx.zone),
                target=self.target,
                on_delete=self.opts.on_delete,
                approved_changes=(
                    "conflict"
                    if self.name != "TIMESHEET"
                    else "reverse"
                    if settled and not self.amending
                    else self.opts.approved_changes
                ),
                correction_waiting=self.amending and self.amends.waiting(local_id),
            )
            if plan.conflict:
                ctx.conflict(self.name, local_id, plan.conflict)
                continue
            if local_id in self.held and any(st.step == "create" for st in plan.steps):
                continue
            if not plan.steps:
                self.rep.unchanged += 1
                if not ctx.dry_run:
                    ctx.store.resolve_error(self.name, local_id)
                continue
            items.append(_Item(doc, plan, records[local_id], hashes[local_id], link))
        return items

    def _amend(self, it: _Item) -> bool:
        """Decide what an item's correction-sheet steps write; False when nothing is left to
        send (what the document says is already in Intacct: the item is in step)."""
        assert it.link is not None and it.link.record_no is not None
        steps = self.amends.prepare(it.doc.local_id, it.link.record_no, it.record, it.plan.steps)
        if steps:
            it.plan = attrs.evolve(it.plan, steps=steps)
            return True
        self.rep.unchanged += 1
        self.amends.in_step(it.link, it.content_hash, it.doc.revision)
        return False

    # --------------------------------------------------------------- execute

    def _control_id(self, doc: LocalDocument, step: str) -> tuple[str, int]:
        attempt = 1
        while True:
            cid = control_id(
                self.prefix, doc.local_id, doc.revision, step, attempt, installation=self.inst
            )
            row = self.ctx.store.get_outbox(cid)
            if row is None or row.state in (OutboxState.PENDING, OutboxState.IN_FLIGHT):
                return cid, row.attempts if row else 0
            attempt += 1

    def _function(self, item: _Item, step: PushStep, cid: str) -> Function:
        if is_amend(step.step):
            return self.amends.function(
                item.doc.local_id,
                step.step,
                cid,
                self.opts.approved_by,
                self.opts.approval_comment,
            )
        return step_function(
            self.name,
            step,
            cid,
            record=item.record,
            record_no=item.link.record_no if item.link else None,
            stamp=(self.stamp, self._stamp_of(item.doc.local_id)),
            options=self.opts,
            lines=(
                self.corrections.lines(item.link, item.record) if step.step == "correct" else None
            ),
        )

    def execute(self, items: list[_Item]) -> None:
        ctx = self.ctx
        wave = 0
        while True:
            todo = [it for it in items if not it.failed and wave < len(it.plan.steps)]
            if not todo:
                return
            done = 0
            for batch in chunks(todo, max(1, self.opts.batch_size)):
                self._send(list(batch), wave)
                done += len(batch)
                ctx.progress(self.name, "push" if wave == 0 else "push step 2+", done, len(todo))
            wave += 1
            if ctx.dry_run:
                continue

    def _send(self, batch: list[_Item], wave: int) -> None:
        ctx, store = self.ctx, self.ctx.store
        if ctx.dry_run:
            for it in batch:
                step = it.plan.steps[wave]
                ctx.report.planned.append(f"{step.step} {self.name} for local {it.doc.local_id}")
                self._count(step.step)
            return
        rows: list[OutboxEntry] = []
        functions: list[Function] = []
        with store.transaction():
            for it in batch:
                step = it.plan.steps[wave]
                cid, attempts = self._control_id(it.doc, step.step)
                row = OutboxEntry(
                    self.name,
                    it.doc.local_id,
                    it.doc.revision,
                    step.step,
                    cid,
                    OutboxState.IN_FLIGHT,
                    attempts + 1,
                    record_no=(
                        self.amends.row_record_no(it.doc.local_id, step.step)
                        if is_amend(step.step)
                        else it.link.record_no
                        if it.link
                        else None
                    ),
                    payload_hash=it.content_hash,
                    run_id=ctx.run_id,
                )
                store.put_outbox(row)
                rows.append(row)
                functions.append(self._function(it, step, cid))
        try:
            results = ctx.execute(functions)
        except (AuthenticationError, ConfigurationError):
            raise
        except RequestNotSentError as exc:
            with store.transaction():
                for it, row in zip(batch, rows, strict=True):
                    store.put_outbox(
                        attrs.evolve(row, state=OutboxState.PENDING, last_error=describe(exc))
                    )
                    it.failed = True
                    ctx.fail(self.name, it.doc.local_id, f"not sent: {describe(exc)}")
            return
        except IntacctError as exc:
            # response lost, 524, server error, malformed answer: the writes may have applied
            log.warning(
                "%s: outcome of %d write(s) unknown (%s)", self.name, len(rows), describe(exc)
            )
            self.uncertain = True
            for it in batch:
                self._unknown(it, describe(exc))
            return
        with store.transaction():
            for it, row, result in zip(batch, rows, results, strict=True):
                step = it.plan.steps[wave]
                if result.ok:
                    self._succeeded(it, row, step, result)
                    continue
                try:
                    result.raise_for_error()
                except DuplicateControlIdError as exc:
                    # the gateway says this exact write ran before (a replay after a lost
                    # answer): an update/approve/delete is therefore done; a create still
                    # needs its RECORDNO, which the read-back by stamp finds
                    if step.step == "create" or self.amends.is_create(it.doc.local_id, step.step):
                        self.uncertain = True
                        self._unknown(it, describe(exc))
                    else:
                        self._succeeded(it, row, step, None)
                    continue
                except FunctionError as exc:
                    message = describe(exc)
                store.put_outbox(attrs.evolve(row, state=OutboxState.FAILED, last_error=message))
                it.failed = True
                ctx.fail(self.name, it.doc.local_id, f"{step.step}: {message}")
        notify_local(self.ctx, self.name)

    def _unknown(self, it: _Item, why: str) -> None:
        """A write whose outcome is unknown: stop this document's steps for this run and
        queue it, so the next run reads it back and carries on."""
        it.failed = True
        self.ctx.store.record_error(
            ErrorEntry(
                self.name,
                it.doc.local_id,
                "retry",
                f"outcome unknown: {why}",
                first_run=self.ctx.run_id,
                last_run=self.ctx.run_id,
            )
        )

    def _count(self, step: str) -> None:
        field = {
            "create": "created",
            "update": "updated",
            "correct": "updated",
            "amend": "updated",
            "amend_approve": "approved",
            "approve": "approved",
            "decline": "declined",
            "delete": "deleted",
        }[step]
        setattr(self.rep, field, getattr(self.rep, field) + 1)

    def _succeeded(
        self,
        it: _Item,
        row: OutboxEntry,
        step: PushStep,
        result: Any,
    ) -> None:
        ctx, store = self.ctx, self.ctx.store
        base = it.link or Link(self.name, it.doc.local_id, it.doc.local_id)
        if step.step == "create":
            recs = result.page.records if result.page is not None else []
            rn = as_int(recs[0].get("RECORDNO")) if recs else None
            link = attrs.evolve(
                base,
                record_no=rn,
                content_hash=it.content_hash,
                revision=it.doc.revision,
                remote_state=step.create_state,
                remote_modified=None,
                last_run=ctx.run_id,
            )
        elif is_amend(step.step):
            self.amends.succeeded(it.doc.local_id, step.step, result, it.doc.revision)
            link = attrs.evolve(base, last_run=ctx.run_id)
            if step.step == "amend":
                link = attrs.evolve(link, content_hash=it.content_hash, revision=it.doc.revision)
        elif step.step in ("update", "correct"):
            link = attrs.evolve(
                base,
                content_hash=it.content_hash,
                revision=it.doc.revision,
                remote_modified=None,
                last_run=ctx.run_id,
            )
        elif step.step == "approve":
            link = attrs.evolve(
                base, remote_state="Approved", remote_modified=None, last_run=ctx.run_id
            )
        else:
            link = attrs.evolve(
                base,
                record_no=None,
                remote_state=None,
                last_run=ctx.run_id,
                content_hash=None if it.doc.deleted else base.content_hash,
            )
        if link.record_no is not None and not is_amend(step.step):
            self.touched[link.record_no] = it.doc.local_id
        it.link = link
        store.put_outbox(
            attrs.evolve(
                row,
                state=OutboxState.DONE,
                record_no=link.record_no or row.record_no,
                last_error=None,
            )
        )
        store.put_link(link)
        close_superseded(self.ctx.store, row)
        store.resolve_error(self.name, it.doc.local_id)
        self._count(step.step)
        ctx.applied(self.name, it.doc.local_id, step.step)
        queue_notice(self.ctx, self.name, link)

    # --------------------------------------------------------------- finish

    def refresh_touched(self) -> None:
        """Store WHENMODIFIED and STATE of the records written (for conflict checks)."""
        if not self.touched or self.ctx.dry_run:
            return
        store = self.ctx.store
        remote = self.read_by_record_no(sorted(self.touched))
        with store.transaction():
            for record_no, local_id in self.touched.items():
                link = store.get_link(self.name, local_id)
                rec = remote.get(record_no)
                if link is None or rec is None or link.record_no != record_no:
                    continue
                fresh = attrs.evolve(
                    link,
                    remote_modified=as_timestamp(rec.get("WHENMODIFIED"), self.ctx.zone),
                    remote_state=rec.get("STATE") or link.remote_state,
                )
                store.put_link(fresh)
                if fresh.remote_state != link.remote_state:
                    queue_notice(self.ctx, self.name, fresh)
        notify_local(self.ctx, self.name)

    def run(self, prefetched: Sequence[Any] | None = None) -> None:
        ctx = self.ctx
        ctx.report.object(self.name)
        if prefetched is not None:
            self.early_results = prefetched
        self.recover(None if prefetched is None else prefetched[: self.early_count])
        notify_local(self.ctx, self.name)  # notices a killed run left behind
        try:
            docs, cursor = self.collected or self.collect()
        except Exception as exc:  # the local system's own failure: this object stops here
            log.debug("%s: the local system failed to list documents", self.name, exc_info=True)
            ctx.fail(self.name, "*", f"local system: {describe(exc)}")
            return
        ctx.progress(self.name, "push", 0, len(docs))
        items = self.plan(docs)
        amended = [it for it in items if any(is_amend(st.step) for st in it.plan.steps)]
        if amended:
            self.corrections.extra = ["EMPLOYEEID", "TS_BEGINDATE"]
        self.corrections.read(
            n
            for it in items
            if it.link is not None
            and any(st.step in ("correct", "amend", "amend_approve") for st in it.plan.steps)
            for n in (it.link.record_no, *self.amends.record_nos(it.doc.local_id))
        )
        items = [it for it in items if it not in amended or self._amend(it)]
        self.execute(items)
        if self.corrections.reversed:
            ctx.note(
                f"{self.name}: {self.corrections.reversed} reversing entry(ies) sent for "
                "approved time"
            )
        self.refresh_touched()
        if self.uncertain:
            self.recover()
        if not ctx.dry_run and cursor is not None and not self.held:
            # (held creates keep the cursor where it was, so the next run sees them again)
            ctx.store.set_cursor(Cursor(f"local:{self.name}", token=cursor))
        ctx.progress(self.name, "push", len(docs), len(docs))


def start_push(ctx: RunContext, spec: MappingSpecLike) -> _Pusher:
    """Prepare the push of one object; ``.recovery_reads()`` gives the reads it needs first."""
    return _Pusher(ctx, spec)


def push_object(
    ctx: RunContext,
    spec: MappingSpecLike,
    *,
    pusher: _Pusher | None = None,
    prefetched: Sequence[Any] | None = None,
) -> None:
    """Push one document object (recover, collect, plan, write, read back).

    Args:
        ctx: The run.
        spec: The object's mapping spec.
        pusher: A push already prepared (its recovery reads sent by the engine).
        prefetched: The results of ``pusher.recovery_reads()``, in order.
    """
    (pusher or _Pusher(ctx, spec)).run(prefetched)
    ctx.settled(spec.object_name)
