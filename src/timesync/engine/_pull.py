"""Pull: Intacct master data into the local system, keyset-paged, linked, hashed, swept."""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import attrs

from intacct_sdk.functions import Query, Update
from intacct_sdk.query import F
from timesync.engine._context import (
    RunContext,
    as_int,
    describe,
    local_batch,
    log,
    page_records,
)
from timesync.engine._match import (
    WEAK_CRITERIA,
    Matcher,
    link_agreeing,
    norm,
    remote_duplicates,
)
from timesync.engine._options import MappingSpecLike
from timesync.engine._plan import chunks, filter_fields, matches, remote_key
from timesync.engine._routing import facts_of
from timesync.engine._streams import (
    ChangeFacts,
    StreamPlan,
    as_timestamp,
    change_facts,
    periodic_due,
    plan_streams,
    sort_key,
)
from timesync.errors import GatewayUnreachableError
from timesync.store import Cursor, Link, LinkState

__all__ = ["pull_object", "start_pull"]

_BY_RECORDNO = (("RECORDNO", "asc"),)
_PARENTS = {"TASK": "PROJECT"}
"""Child object -> parent object: a child is active locally only while its parent is, so
inactivating a project inactivates its tasks, and reopening it brings them back. A child's
remote key starts with its parent's (``PROJECTID/TASKID``)."""


def _filter(spec: MappingSpecLike) -> Any:
    """The spec's pull filter (``ACTIVE_ONLY`` resolved for its object)."""
    return getattr(spec, "effective_filter", spec.filter)


def _is_active(model: Any) -> bool:
    status = getattr(model, "status", "active")
    return str(getattr(status, "value", status)).lower() == "active"


def _position(cursor: Cursor | None, zone: tzinfo) -> tuple[datetime, int] | None:
    """A stored cursor as an instant in UTC (one stored naive, before cursors were kept in
    UTC, was the API user's wall time)."""
    when = as_timestamp(cursor.modified, zone) if cursor is not None else None
    return None if when is None or cursor is None else (when, cursor.record_no)


@attrs.frozen(slots=True)
class _Look:
    """One Intacct record as read, mapped and looked up, before anything is written."""

    record: Mapping[str, Any]
    model: Any
    rkey: str
    in_scope: bool
    content_hash: str
    record_no: int | None
    modified: datetime | None
    link: Link | None


@attrs.define(slots=True)
class _ObjectPull:
    ctx: RunContext
    spec: MappingSpecLike
    full: bool
    matcher: Matcher | None = None
    # in-scope keys read; the model only where the sweep may need it to repair a local
    # record (None for a record this run wrote), so a first sync holds keys, not models
    seen: dict[str, Any] = attrs.field(factory=dict)
    writebacks: list[dict[str, Any]] = attrs.field(factory=list)
    streams: tuple[StreamPlan, ...] = ()
    periodic: bool = False
    started_at: datetime | None = None
    best: dict[str, tuple[datetime, int] | None] = attrs.field(factory=dict)
    read: int = 0
    pending_keys: list[str] = attrs.field(factory=list)
    started: bool = False
    parents: dict[str, bool] = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        return self.spec.object_name

    @property
    def _key_field(self) -> str | None:
        """The Intacct field of the record's key (its business ID)."""
        field: str | None = getattr(self.spec, "key_field", None)
        return field

    def _matcher(self) -> Matcher:
        if self.matcher is None:
            store, local = self.ctx.store, self.ctx.local
            linked = {link.local_id for link in store.links(self.name) if link.local_id}
            free = (r for r in local.list_records(self.name) if r.local_id not in linked)
            self.matcher = Matcher(free, self.ctx.options.match_on)
        return self.matcher

    @property
    def facts(self) -> ChangeFacts:
        """Which change timestamps the object has (the schema facts)."""
        return change_facts(self.name, getattr(self.spec, "custom", {}))

    def fields(self) -> list[str]:
        fields = [
            "RECORDNO",
            *(("WHENMODIFIED",) if self.facts.modified else ()),
            *self.spec.remote_fields(),
            *filter_fields(_filter(self.spec)),
        ]
        wb = self.ctx.options.writeback_field.get(self.name)
        if wb:
            fields.append(wb)
        return list(dict.fromkeys(fields))

    def start(self) -> list[Query]:
        """The reads this object needs before anything is applied: the first page of each
        of its keyset reads (see :func:`~timesync.engine._streams.plan_streams`), then the
        records of links made by hand that wait for data.

        The engine sends every object's reads together, in one request, and hands the
        results to :meth:`run`.
        """
        store, opts = self.ctx.store, self.ctx.options
        self.ctx.report.object(self.name)  # reported even when a read finds nothing new
        self.started_at = opts.clock()
        marker = store.get_cursor(f"{self.name}:reread")
        periodic_at = marker.modified if marker else None
        read = store.get_cursor(f"{self.name}:read")
        due = periodic_due(periodic_at, self.started_at, opts.reread_every)
        self.periodic = self.full or due
        self.streams = plan_streams(
            self.name,
            self.facts,
            spec_filter=_filter(self.spec),
            cursor=self._cursor(self.name),
            created_cursor=self._cursor(f"{self.name}:created"),
            full=self.full,
            periodic=self.periodic,
            lag=opts.lag,
            window=opts.reread_window,
            read_at=read.modified if read else None,
            periodic_at=periodic_at,
        )
        self.best = {
            plan.cursor: None if self.full else self._cursor(plan.cursor)
            for plan in self.streams
            if plan.cursor is not None
        }
        self.pending_keys = self._pending()
        self.started = True
        return [
            *(self._page_query(plan, plan.start) for plan in self.streams),
            *self._pending_queries(self.pending_keys),
        ]

    def _cursor(self, name: str) -> tuple[datetime, int] | None:
        """A stored keyset position as an instant in UTC; one stored naive (before cursors
        were kept in UTC: the API user's wall time) is stored again in UTC."""
        ctx = self.ctx
        stored = ctx.store.get_cursor(name)
        position = _position(stored, ctx.zone)
        moved = stored is not None and position is not None and stored.modified != position[0]
        if moved and stored is not None and position is not None and not ctx.dry_run:
            ctx.store.set_cursor(attrs.evolve(stored, modified=position[0]))
        return position

    def _page_query(self, plan: StreamPlan, position: tuple[datetime, int] | None) -> Query:
        fields = self.fields()
        if plan.kind == "created":
            fields.append("WHENCREATED")
        return self.ctx.page_query(self.name, fields, plan.where(position), plan.order)

    def run(self, prefetched: Sequence[Any] | None = None) -> None:
        """Make each keyset read (its first page from ``prefetched`` when given), one
        request per page, then :meth:`finish`."""
        steps = self.reads(prefetched)
        try:
            query = next(steps)
            while True:
                [result] = self.ctx.execute([query])
                query = steps.send(result)
        except StopIteration as stop:
            complete: bool = stop.value
        self.finish(complete, prefetched)

    def reads(self, prefetched: Sequence[Any] | None = None) -> Generator[Query, Any, bool]:
        """The keyset reads, page by page: yields the query of each page it needs sent
        and takes its result back (the first pages come from ``prefetched`` when given),
        applying every page in one store transaction with its cursor. Returns whether
        every read got to its end.

        The caller sends the queries, alone (:meth:`run`) or together with other objects'
        (:func:`~timesync.engine._schedule.pull_all`); one page is in hand at a time (a
        first page given in a list is taken out of it).
        """
        if not self.started:
            self.start()
        complete = True
        for i, plan in enumerate(self.streams):
            first = prefetched[i] if prefetched else None
            if isinstance(prefetched, list):
                prefetched[i] = None  # let go once applied (the caller holds the list)
            read = self._read(plan, first)
            del first
            complete = (yield from read) and complete
        return complete

    def finish(self, complete: bool, prefetched: Sequence[Any] | None = None) -> None:
        """After the reads: apply manual links and, when every read saw the whole list,
        sweep and true up; then record when the object was last read whole."""
        ctx = self.ctx
        count = len(self.streams)
        self.reopen_children()
        self.flush_writebacks()
        self.refresh_pending(prefetched[count:] if prefetched else None)
        self.matcher = None  # the unmatched candidates are not needed past the reads
        if complete and self.streams and all(plan.complete_read for plan in self.streams):
            self.sweep_and_true_up()
        if complete and self.streams and not ctx.dry_run:
            with ctx.store.transaction():
                ctx.store.set_cursor(Cursor(f"{self.name}:read", self.started_at))
                if self.periodic:
                    ctx.store.set_cursor(Cursor(f"{self.name}:reread", self.started_at))

    def _read(self, plan: StreamPlan, first: Any) -> Generator[Query, Any, bool]:
        """Read one keyset to its end; True when it got there."""
        ctx, store = self.ctx, self.ctx.store
        position = plan.start
        best = self.best.get(plan.cursor) if plan.cursor else None
        while True:
            if first is None:
                result = yield self._page_query(plan, position)
            else:
                result, first = first, None
            records, more = page_records(result)
            self.read += len(records)
            newest = best
            for record in records:
                key = sort_key(plan.kind, record, ctx.zone)
                if key is not None and (newest is None or key > newest):
                    newest = key
            looks, ambiguous = self.prepare_page(records, in_scope_filter=plan.filter_locally)
            with store.transaction():
                with local_batch(ctx.local):  # the app commits before the store does
                    for look in looks:
                        self.apply_look(look, ambiguous)
                if plan.cursor and newest is not None and newest != best and not ctx.dry_run:
                    store.set_cursor(Cursor(plan.cursor, newest[0], newest[1]))
            best = newest
            if plan.cursor:
                self.best[plan.cursor] = best
            ctx.progress(self.name, "pull", self.read)
            if not records or (more is False) or (more is None and len(records) < self.page_size):
                return True
            last = sort_key(plan.kind, records[-1], ctx.zone)
            if last is None:
                log.warning("%s: a %s read met an empty timestamp; stopping", self.name, plan.kind)
                return False
            position = last
            # nothing of this page stays in hand while the next one is asked for (beside
            # other objects' pages)
            del records, looks, ambiguous, result

    @property
    def page_size(self) -> int:
        return self.ctx.options.page_size

    # ---------------------------------------------------------------- one record

    def prepare_page(
        self, records: Sequence[Mapping[str, Any]], *, in_scope_filter: bool
    ) -> tuple[list[_Look], dict[tuple[str, str], list[str]]]:
        """Map and look up one page before anything is written.

        When unlinked records match local records by a weak criterion, Intacct is asked
        (one request) whether other unlinked records share those values; the second value
        returned holds the ones that do, for :meth:`apply_look`.
        """
        mapped = [(r, m) for r in records if (m := self._map(r)) is not None]
        # every link of the page in one store query
        links = self.ctx.store.links_by_key(self.name, [rkey for _, (_, rkey) in mapped])
        looks = [
            self._look(r, model, rkey, in_scope_filter, links.get(rkey))
            for r, (model, rkey) in mapped
        ]
        return looks, self.reverse_ambiguity(looks)

    def apply(self, record: Mapping[str, Any], *, in_scope_filter: bool) -> None:
        """Apply one record (no reverse-ambiguity check: for records read by key)."""
        look = self.look(record, in_scope_filter)
        if look is not None:
            self.apply_look(look, {})

    def look(self, record: Mapping[str, Any], in_scope_filter: bool) -> _Look | None:
        """Map one record and find its link; None (reported) when it cannot be mapped."""
        mapped = self._map(record)
        if mapped is None:
            return None
        model, rkey = mapped
        return self._look(
            record, model, rkey, in_scope_filter, self.ctx.store.get_link(self.name, rkey)
        )

    def _map(self, record: Mapping[str, Any]) -> tuple[Any, str] | None:
        """One record's model and remote key; None (reported) when it cannot be mapped."""
        ctx = self.ctx
        wb = ctx.options.writeback_field.get(self.name)
        mapped = {k: v for k, v in record.items() if k != wb} if wb else record
        try:
            model = self.spec.to_local(mapped)
        except Exception as exc:
            key = str(record.get(self._key_field or "RECORDNO", record.get("RECORDNO")))
            ctx.fail(self.name, key, describe(exc))
            return None
        return model, remote_key(self.name, model)

    def _look(
        self,
        record: Mapping[str, Any],
        model: Any,
        rkey: str,
        in_scope_filter: bool,
        link: Link | None,
    ) -> _Look:
        ctx = self.ctx
        in_scope = (
            _is_active(model)
            and (not in_scope_filter or matches(_filter(self.spec), record, ctx.zone))
            and self._parent_active(model)
        )
        return _Look(
            record,
            model,
            rkey,
            in_scope,
            self.spec.content_hash(model) if in_scope else "",  # read only when in scope
            as_int(record.get("RECORDNO")) or getattr(model, "record_no", None),
            as_timestamp(record.get("WHENMODIFIED"), ctx.zone),
            link,
        )

    def reverse_ambiguity(self, looks: Sequence[_Look]) -> dict[tuple[str, str], list[str]]:
        """Values matched weakly on this page that several unlinked Intacct records hold."""
        weak: dict[str, set[str]] = {}
        for look in looks:
            if look.link is not None or not look.in_scope:
                continue
            found, criterion = self._matcher().find(look.rkey, look.model)
            if len(found) == 1 and criterion in WEAK_CRITERIA:
                value = getattr(look.model, criterion, None)
                if value is not None:
                    weak.setdefault(criterion, set()).add(str(value))
        if not weak:
            return {}
        return remote_duplicates(
            ctx=self.ctx,
            spec=self.spec,
            key_of=self._record_key,
            base=_filter(self.spec),
            weak=weak,
        )

    def apply_look(self, look: _Look, ambiguous: Mapping[tuple[str, str], list[str]]) -> None:
        ctx = self.ctx
        rep = ctx.report.object(self.name)
        record, model, rkey, in_scope = look.record, look.model, look.rkey, look.in_scope
        if in_scope:
            self.seen[rkey] = model
        content_hash, record_no, modified = look.content_hash, look.record_no, look.modified
        link = look.link
        if link is not None and link.state is LinkState.UNLINKED:
            rep.skip("unlinked")
            return
        if link is not None and link.local_id is not None:
            if not in_scope:
                if link.active:
                    self.inactivate(link)
                else:
                    rep.unchanged += 1
                return
            if link.content_hash == content_hash and link.active:
                rep.unchanged += 1
                facts = facts_of(self.name, model)
                if facts is not None and link.facts != facts and not ctx.dry_run:
                    ctx.store.put_link(attrs.evolve(link, facts=facts))
                self.want_writeback(record, link.local_id, record_no)
                return
            written = self.write(
                model, rkey, link.local_id, content_hash, record_no, modified, action="updated"
            )
            if written is not None:
                self.seen[rkey] = None  # just written: nothing to repair from the model
                if not link.active and self.name in _PARENTS.values():
                    ctx.reopened.setdefault(self.name, set()).add(rkey)
            self.want_writeback(record, link.local_id, record_no)
            return
        if not in_scope:
            rep.skip("filtered" if _is_active(model) else "inactive")
            return
        matcher = self._matcher()
        found, criterion = matcher.find(rkey, model)
        if len(found) > 1:
            ids = ", ".join(r.local_id for r in found)
            ctx.fail(
                self.name, rkey, f"ambiguous: local records {ids} match by {criterion}", "ambiguous"
            )
            return
        if found and criterion in WEAK_CRITERIA:
            rivals = ambiguous.get((criterion, norm(getattr(model, criterion, None)) or ""))
            if rivals:
                ctx.fail(
                    self.name,
                    rkey,
                    f"ambiguous: Intacct records {', '.join(rivals)} all match local record "
                    f"{found[0].local_id} by {criterion}",
                    "ambiguous",
                )
                return
        allow = ctx.options.import_selected.get(self.name)
        if not found and allow is not None and rkey not in allow:
            rep.skip("not_selected")
            return
        local_id = found[0].local_id if found else None
        if found:
            matcher.take(found[0])
            rep.linked += 1
            if link_agreeing(
                ctx,
                self.name,
                found[0],
                model,
                rkey,
                content_hash=content_hash,
                record_no=record_no,
                modified=modified,
            ):  # the local record already agrees: linked, nothing written to it
                self.seen[rkey] = None
                self.want_writeback(record, found[0].local_id, record_no)
                return
        new_id = self.write(
            model,
            rkey,
            local_id,
            content_hash,
            record_no,
            modified,
            action="updated" if local_id else "created",
        )
        if new_id is not None:
            self.seen[rkey] = None  # just written: nothing to repair from the model
            self.want_writeback(record, new_id, record_no)

    def write(
        self,
        model: Any,
        rkey: str,
        local_id: str | None,
        content_hash: str,
        record_no: int | None,
        modified: datetime | None,
        *,
        action: str,
    ) -> str | None:
        ctx = self.ctx
        rep = ctx.report.object(self.name)
        setattr(rep, action, getattr(rep, action) + 1)
        ctx.applied(self.name, rkey, action)
        if ctx.dry_run:
            ctx.report.planned.append(f"{action[:-1]} local {self.name} {rkey}")
            return local_id
        try:
            stored = ctx.local.upsert(self.name, model, local_id)
            ctx.local.record_intacct_key(self.name, stored.local_id, rkey, record_no)
        except Exception as exc:
            setattr(rep, action, getattr(rep, action) - 1)
            ctx.fail(self.name, rkey, f"local system: {describe(exc)}")
            return None
        ctx.store.put_link(
            Link(
                self.name,
                rkey,
                stored.local_id,
                record_no=record_no,
                content_hash=content_hash,
                local_hash=stored.fingerprint,
                remote_modified=modified,
                active=stored.active,
                last_run=ctx.run_id,
                facts=facts_of(self.name, model),
            )
        )
        ctx.store.resolve_error(self.name, rkey)
        return stored.local_id

    def inactivate(self, link: Link) -> None:
        ctx = self.ctx
        ctx.report.object(self.name).inactivated += 1
        ctx.applied(self.name, link.remote_key, "inactivated")
        if ctx.dry_run:
            ctx.report.planned.append(f"inactivate local {self.name} {link.remote_key}")
            return
        assert link.local_id is not None
        ctx.local.inactivate(self.name, link.local_id)
        ctx.store.put_link(attrs.evolve(link, active=False, content_hash=None, last_run=ctx.run_id))
        for child, parent in _PARENTS.items():
            if parent == self.name:
                self.cascade(child, link.remote_key)

    def cascade(self, child: str, parent_key: str) -> None:
        """Inactivate the active local children (tasks) of a parent record (a project)
        that was just inactivated; they come back when it reopens."""
        ctx = self.ctx
        prefix = f"{parent_key}/"
        kids = [
            lk
            for lk in ctx.store.links(child)
            if lk.remote_key.startswith(prefix)
            and lk.active
            and lk.local_id is not None
            and lk.state is LinkState.LINKED
        ]
        for kid in kids:
            ctx.report.object(child).inactivated += 1
            ctx.applied(child, kid.remote_key, "inactivated")
            if ctx.dry_run:
                ctx.report.planned.append(f"inactivate local {child} {kid.remote_key}")
                continue
            assert kid.local_id is not None
            ctx.local.inactivate(child, kid.local_id)
            ctx.store.put_link(
                attrs.evolve(kid, active=False, content_hash=None, last_run=ctx.run_id)
            )
        if kids:
            ctx.note(
                f"{child}: {len(kids)} inactivated with {self.name} {parent_key} "
                f"({', '.join(k.remote_key for k in kids)})"
            )

    def _parent_active(self, model: Any) -> bool:
        """False when the record's parent (a task's project) is linked and inactive."""
        parent = _PARENTS.get(self.name)
        if parent is None:
            return True
        key = str(getattr(model, "project_key", ""))
        if key not in self.parents:
            link = self.ctx.store.get_link(parent, key)
            self.parents[key] = link is None or link.active or link.local_id is None
        return self.parents[key]

    def reopen_children(self) -> None:
        """Read again the records (tasks) of parents (projects) that reopened this run, so
        those that are active in Intacct become active locally again."""
        ctx = self.ctx
        parent = _PARENTS.get(self.name)
        keys = sorted(ctx.reopened.get(parent, ())) if parent else []
        if not keys:
            return
        before = ctx.report.object(self.name).updated
        for batch in chunks(keys, 1000):
            query = ctx.page_query(
                self.name, self.fields(), F("PROJECTID").in_(list(batch)), _BY_RECORDNO
            )
            [result] = ctx.execute([query])
            looks, ambiguous = self.prepare_page(page_records(result)[0], in_scope_filter=True)
            with ctx.store.transaction():
                for look in looks:
                    self.apply_look(look, ambiguous)
        back = ctx.report.object(self.name).updated - before
        ctx.note(f"{self.name}: {back} made active again with reopened {parent} {', '.join(keys)}")

    # ---------------------------------------------------------------- write-back

    def want_writeback(
        self, record: Mapping[str, Any], local_id: str, record_no: int | None
    ) -> None:
        field = self.ctx.options.writeback_field.get(self.name)
        if not field or record_no is None or str(record.get(field) or "") == local_id:
            return
        self.writebacks.append({"RECORDNO": record_no, field: local_id})

    def flush_writebacks(self) -> None:
        ctx = self.ctx
        if not self.writebacks or ctx.dry_run:
            for wb in self.writebacks:
                ctx.report.planned.append(f"write local id back to {self.name} {wb['RECORDNO']}")
            self.writebacks.clear()
            return
        for batch in chunks(self.writebacks, 100):
            [result] = ctx.execute([Update(self.name, list(batch))])
            if not result.ok:
                ctx.fail(self.name, "write-back", describe_result(result))
        self.writebacks.clear()
        ctx.settled(self.name, "write-back")

    # ---------------------------------------------- manual links waiting for data

    def _pending(self) -> list[str]:
        """Remote keys of links made by hand that have no content yet."""
        return [
            lk.remote_key
            for lk in self.ctx.store.links(self.name)
            if lk.state is LinkState.LINKED and lk.content_hash is None and lk.active
        ]

    def _pending_queries(self, pending: Sequence[str]) -> list[Query]:
        key_field = self._key_field
        if not pending or key_field is None:
            return []
        keys = sorted({rk.split("/", 1)[1] if self.name == "TASK" else rk for rk in pending})
        return [
            self.ctx.page_query(
                self.name, self.fields(), F(key_field).in_(list(batch)), _BY_RECORDNO
            )
            for batch in chunks(keys, 1000)
        ]

    def _record_key(self, record: Mapping[str, Any]) -> str:
        key = str(record.get(self._key_field or "RECORDNO", ""))
        return f"{record.get('PROJECTID', '')}/{key}" if self.name == "TASK" else key

    def refresh_pending(self, prefetched: Sequence[Any] | None = None) -> None:
        """Read the Intacct records of links made by hand (no content yet) and apply them.

        The records read with the first pages are used when they cover every link still
        waiting (the pages may have filled some in the meantime: those are left alone).
        """
        ctx = self.ctx
        pending = set(self._pending())
        if not pending or self._key_field is None:
            return
        if prefetched is not None and pending <= set(self.pending_keys):
            pages = [page_records(result)[0] for result in prefetched]
        else:
            pages = [
                page_records(result)[0]
                for query in self._pending_queries(sorted(pending))
                for result in ctx.execute([query])
            ]
        for records in pages:
            with ctx.store.transaction():
                for record in records:
                    if self._record_key(record) in pending:
                        self.apply(record, in_scope_filter=True)

    # ------------------------------------------------------ full run: sweep, true-up

    def sweep_and_true_up(self) -> None:
        ctx = self.ctx
        # only the fingerprints: a first sync's sweep then holds strings, not records
        by_id = {r.local_id: r.fingerprint for r in ctx.local.list_records(self.name)}
        gone: list[Link] = []
        drifted: list[tuple[Link, Any, bool]] = []
        for link in ctx.store.links(self.name):  # kept: only the links to act on
            if link.state is not LinkState.LINKED or link.local_id is None:
                continue
            if link.remote_key not in self.seen:
                if link.active:
                    gone.append(link)
                continue
            exists = link.local_id in by_id
            if exists and by_id[link.local_id] == link.local_hash:
                continue
            model = self.seen[link.remote_key]
            if model is not None:  # (None: written by this run and changed since: the next
                drifted.append((link, model, exists))  # complete read repairs it)
        for link in gone:
            with ctx.store.transaction():
                self.inactivate(link)
        for link, model, exists in drifted:
            what = "edited" if exists else "deleted"
            ctx.report.repairs.append(
                f"{self.name} {link.remote_key}: local record {what}, restored"
            )
            ctx.report.object(self.name).repaired += 1
            if ctx.dry_run:
                continue
            with ctx.store.transaction():
                stored = ctx.local.upsert(self.name, model, link.local_id if exists else None)
                ctx.local.record_intacct_key(
                    self.name, stored.local_id, link.remote_key, link.record_no
                )
                ctx.store.put_link(
                    attrs.evolve(
                        link,
                        local_id=stored.local_id,
                        local_hash=stored.fingerprint,
                        active=stored.active,
                        last_run=ctx.run_id,
                    )
                )


def describe_result(result: Any) -> str:
    """One line from a failed result."""
    try:
        result.raise_for_error()
    except Exception as exc:
        return describe(exc)
    return "failed"


def start_pull(ctx: RunContext, spec: MappingSpecLike, *, full: bool) -> _ObjectPull:
    """Prepare the pull of one object; ``.start()`` gives the reads it needs first."""
    return _ObjectPull(ctx, spec, full)


def pull_object(
    ctx: RunContext,
    spec: MappingSpecLike,
    *,
    full: bool,
    pull: _ObjectPull | None = None,
    prefetched: Sequence[Any] | None = None,
) -> None:
    """Pull one object (all pages), then apply manual links and, on full runs, sweep and true up.

    Args:
        ctx: The run.
        spec: The object's mapping spec.
        full: Read everything and reconcile.
        pull: A pull already started (its first reads sent by the engine).
        prefetched: The results of ``pull.start()``'s reads, in order.
    """
    try:
        (pull or _ObjectPull(ctx, spec, full)).run(prefetched)
    except GatewayUnreachableError:
        raise  # the run stops: said once, by whoever runs the engine
    except Exception as exc:
        log.warning("pull of %s stopped: %s", spec.object_name, describe(exc))
        log.debug("pull of %s stopped", spec.object_name, exc_info=True)
        ctx.fail(spec.object_name, "*", f"pull stopped: {describe(exc)}")
        raise
    ctx.settled(spec.object_name)
