"""The :class:`Engine`: one bounded unit of sync work per :meth:`Engine.run` call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

import attrs

from intacct_sdk import AuthenticationError, ConfigurationError, IntacctError
from intacct_sdk.functions import Query
from intacct_sdk.query import F, and_
from timesync.engine._context import RunContext, describe, page_records
from timesync.engine._decisions import DecisionReader
from timesync.engine._deletes import Deletions
from timesync.engine._installation import resolve_installation
from timesync.engine._options import PULL_ORDER, EngineOptions, MappingSpecLike
from timesync.engine._plan import ACCEPTED
from timesync.engine._pull import start_pull
from timesync.engine._push import push_object, start_push
from timesync.engine._report import EngineHooks, Hooks, RunReport, stats_snapshot
from timesync.engine._routing import check_rules
from timesync.engine._schedule import pull_all, pull_dependencies
from timesync.errors import ConfigurationError as SyncConfigurationError
from timesync.local import LocalSystem
from timesync.store import ErrorEntry, Link, LinkState, Lock, OutboxState, StateStore

__all__ = ["Engine"]


def _default_specs() -> dict[str, MappingSpecLike]:
    from timesync.mapping import default_specs

    return dict(default_specs())


class Engine:
    """Syncs one Intacct company with one local system.

    Intacct is the source of truth for master data (dimensions, customers, employees,
    projects, tasks), pulled in dependency order; approved local timesheets (and expense
    reports) are pushed. Every collaborator is passed in, so the engine runs the same from
    a cron job, a web request or a task queue.

    Args:
        client: An ``intacct_sdk.Client`` (writes should go with ``uniqueid=true``:
            ``ClientOptions(unique_id=True)``).
        local: The host app, as a :class:`~timesync.local.LocalSystem`.
        store: Where links, cursors, runs and the outbox live.
        specs: Mapping specs by Intacct object name; default ``timesync.mapping.default_specs()``.
        options: See :class:`EngineOptions`.
        hooks: Instrumentation callbacks.
        lock: Held for the whole run so two runs for one company never overlap; by default
            the store's own (:meth:`~timesync.store.StateStore.run_lock`).
    """

    def __init__(
        self,
        client: Any,
        local: LocalSystem,
        store: StateStore,
        *,
        specs: Mapping[str, MappingSpecLike] | None = None,
        options: EngineOptions | None = None,
        hooks: EngineHooks | None = None,
        lock: Lock | None = None,
    ) -> None:
        self.client = client
        self.local = local
        self.store = store
        self.specs: Mapping[str, MappingSpecLike] = specs if specs is not None else _default_specs()
        self.options = options or EngineOptions()
        self.hooks: EngineHooks = hooks or Hooks()
        self.lock: Lock = lock if lock is not None else _store_lock(store)
        for name in self.options.push_objects:
            spec = self.specs.get(name)
            if spec is not None:
                check_rules(getattr(spec, "rules", ()), self.specs)

    def _objects(self, objects: Iterable[str] | None) -> tuple[list[str], list[str]]:
        opts = self.options
        wanted = None if objects is None else [o.upper() for o in objects]
        known = set(opts.pull_objects) | set(opts.push_objects)
        if wanted is not None:
            unknown = [o for o in wanted if o not in known]
            if unknown:
                raise SyncConfigurationError(f"unknown object(s) {unknown}; known: {sorted(known)}")
        rank = {name: i for i, name in enumerate(PULL_ORDER)}
        pulls = sorted(
            (o for o in opts.pull_objects if wanted is None or o in wanted),
            key=lambda o: rank.get(o, -1),
        )
        pushes = [o for o in opts.push_objects if wanted is None or o in wanted]
        missing = [o for o in (*pulls, *pushes) if o not in self.specs]
        if missing:
            raise SyncConfigurationError(f"no mapping spec for {missing}")
        return pulls, pushes

    def run(
        self, objects: Iterable[str] | None = None, *, dry_run: bool = False, full: bool = False
    ) -> RunReport:
        """Run one sync: pull master data, then push documents.

        Args:
            objects: Limit the run to these Intacct objects (default: all configured).
            dry_run: Read and plan only: nothing is written locally, in Intacct or in the
                store (except the run record). The report lists the planned writes.
            full: Read every record (not only changes since the cursor), inactivate local
                records whose Intacct record disappeared or left the filter, and repair
                local drift.

        Returns:
            The run's report.

        Raises:
            LockHeldError: Another run for this company is in progress.
            SyncConfigurationError: Unknown objects or missing specs, or the client does not
                know the API user's time zone.
            intacct_sdk.AuthenticationError: Credentials were refused.
        """
        pulls, pushes = self._objects(objects)
        self.lock.acquire()
        try:
            return self._run(pulls, pushes, dry_run=dry_run, full=full)
        finally:
            self.lock.release()

    def _zone(self) -> tzinfo:
        """The API user's time zone, from the client (which may discover it): Intacct writes
        WHENMODIFIED and every timestamp in that user's zone, so without it the cursors would
        be guesses."""
        ask = getattr(self.client, "timestamp_zone", None)
        zone = ask() if callable(ask) else None
        if not isinstance(zone, tzinfo):
            raise SyncConfigurationError(
                "the API user's time zone is unknown, so Intacct's timestamps cannot be read: "
                "set ClientOptions(timezone=...) to the zone of the Intacct user's preferences "
                "(an IANA name, or 'discover'; config file: [intacct] timezone)"
            )
        return zone

    def _run(self, pulls: list[str], pushes: list[str], *, dry_run: bool, full: bool) -> RunReport:
        before = stats_snapshot(self.client)  # a discovery of the zone counts as the run's
        zone = self._zone()
        installation = resolve_installation(
            self.store, self.options.installation_id, dry_run=dry_run
        )
        run_id = self.store.start_run("full" if full else "incremental", dry_run=dry_run)
        report = RunReport(run_id=run_id, dry_run=dry_run, full=full)
        ctx = RunContext(
            client=self.client,
            local=self.local,
            store=self.store,
            specs=self.specs,
            options=self.options,
            hooks=self.hooks,
            report=report,
            run_id=run_id,
            dry_run=dry_run,
            zone=zone,
            installation=installation,
        )
        self.hooks.run_started(run_id, (*pulls, *pushes), dry_run=dry_run)
        status = "failed"
        try:
            pullers = [start_pull(ctx, self.specs[name], full=full) for name in pulls]
            pushers = [start_push(ctx, self.specs[name]) for name in pushes]
            deletions = Deletions(ctx, tuple(pulls), full)
            decisions = DecisionReader.for_run(ctx, pushes)
            reads = [
                *(p.start() for p in pullers),
                *(p.first_reads() for p in pushers),
                decisions.start(),
                deletions.start(),
            ]
            results = ctx.prefetch([fn for group in reads for fn in group])
            prefetched: list[list[Any] | None] = []
            for group in reads:
                if results is None:
                    prefetched.append(None)
                else:
                    prefetched.append(results[: len(group)])
                    results = results[len(group) :]
            # independent objects' later pages go together; a failure stops its dependants
            depends = pull_dependencies(self.specs, pulls)
            pull_all(ctx, pullers, prefetched[: len(pulls)], depends)
            try:
                deletions.run(dict(zip(pulls, pullers, strict=True)), prefetched[-1])
            except (AuthenticationError, ConfigurationError):
                raise
            except IntacctError as exc:
                ctx.fail("AUDITHISTORY", "*", f"deletions not read: {describe(exc)}")
            pushed = prefetched[len(pulls) : len(pulls) + len(pushes)]
            try:  # before the push: a decline read now lets a correction go up this run
                decisions.run(prefetched[-2])
            except (AuthenticationError, ConfigurationError):
                raise
            except IntacctError as exc:
                for name in decisions.pushes:
                    ctx.fail(name, "*", f"approval decisions not read: {describe(exc)}")
            for name, pusher, first in zip(pushes, pushers, pushed, strict=True):
                try:
                    push_object(ctx, self.specs[name], pusher=pusher, prefetched=first)
                except (AuthenticationError, ConfigurationError):
                    raise
                except IntacctError as exc:
                    ctx.fail(name, "*", f"push stopped: {describe(exc)}")
            status = "ok" if report.ok else "partial"
        finally:
            after = stats_snapshot(self.client)
            report.http_requests = after[0] - before[0]
            report.api_functions = after[1] - before[1]
            report.pending = len(
                self.store.outbox(states=[OutboxState.PENDING, OutboxState.IN_FLIGHT])
            )
            self.store.finish_run(run_id, status, report.summary())
            self.hooks.run_finished(report)
        return report

    # ----------------------------------------------------------- manual linking

    def link(self, object_name: str, remote_key: str, local_id: str) -> None:
        """Bind an Intacct record to a local record by hand (resolves an ambiguous match).

        Both must exist: the local record is looked up in the local system and the Intacct
        record is read (one ``query``). The record's data is applied on the next run.

        Raises:
            SyncConfigurationError: An object the engine does not pull, an Intacct key that
                does not exist, or a local id the local system does not hold.
        """
        name = self._pulled(object_name)
        record_no = self._remote_record_no(name, remote_key)
        if record_no is None:
            raise SyncConfigurationError(f"{name} {remote_key!r} does not exist in Intacct")
        if not any(r.local_id == local_id for r in self.local.list_records(name)):
            raise SyncConfigurationError(f"no local {name} record has id {local_id!r}")
        self.store.put_link(
            Link(name, remote_key, local_id, record_no=record_no, state=LinkState.LINKED)
        )
        self.store.resolve_error(name, remote_key)
        self.local.record_intacct_key(name, local_id, remote_key, record_no)

    def unlink(self, object_name: str, remote_key: str) -> None:
        """Break a link by hand; the engine then leaves that Intacct record alone until it is
        linked again (it is neither re-matched nor imported).

        Raises:
            SyncConfigurationError: An object the engine does not pull, or a key that is
                neither linked nor an Intacct record (one ``query`` checks Intacct when the
                store holds no link for it).
        """
        name = self._pulled(object_name)
        known = self.store.get_link(name, remote_key)
        record_no = known.record_no if known is not None else None
        if known is None:
            record_no = self._remote_record_no(name, remote_key)
            if record_no is None:
                raise SyncConfigurationError(
                    f"{name} {remote_key!r} is neither linked nor in Intacct"
                )
        self.store.put_link(
            Link(name, remote_key, None, record_no=record_no, state=LinkState.UNLINKED)
        )
        self.store.resolve_error(name, remote_key)

    def _pulled(self, object_name: str) -> str:
        name = object_name.upper()
        if name not in self.options.pull_objects or name not in self.specs:
            raise SyncConfigurationError(
                f"{name} is not a pulled object; links are kept for "
                f"{', '.join(o for o in self.options.pull_objects if o in self.specs)}"
            )
        return name

    def _remote_record_no(self, name: str, remote_key: str) -> int | None:
        """The RECORDNO of the Intacct record with this key, or None when there is none."""
        spec = self.specs[name]
        key_field = getattr(spec, "key_field", None) or "RECORDNO"
        if name == "TASK":
            project, sep, task = remote_key.partition("/")
            if not sep or not project or not task:
                raise SyncConfigurationError(f"a TASK key is PROJECTID/TASKID, not {remote_key!r}")
            where = and_(F("PROJECTID") == project, F(key_field) == task)
        else:
            where = F(key_field) == remote_key
        [result] = self.client.execute([Query(name, ("RECORDNO", key_field), where, page_size=2)])
        records, _ = page_records(result)
        return int(records[0]["RECORDNO"]) if records else None

    def accept_local(self, object_name: str, local_id: str) -> None:
        """Resolve a push conflict in favour of the local document. The next run applies
        it whatever Intacct did meanwhile: an update over a change made in Intacct, a
        correction by reversal of approved time (whatever ``approved_changes`` says), a new
        record for one deleted in Intacct; the conflict then leaves the queue for good."""
        name = object_name.upper()
        link = self.store.get_link(name, local_id)
        if link is not None:
            self.store.put_link(attrs.evolve(link, remote_modified=None, content_hash=None))
        with self.store.transaction():
            self.store.resolve_error(name, local_id, "conflict")
            self.store.record_error(
                ErrorEntry(name, local_id, ACCEPTED, "conflict settled in favour of the local side")
            )


def _store_lock(store: StateStore) -> Lock:
    """The store's own run lock; a store without one needs an explicit ``lock=``."""
    run_lock = getattr(store, "run_lock", None)
    if not callable(run_lock):
        raise SyncConfigurationError(
            f"{type(store).__name__} has no run_lock(): give Engine(lock=...) a lock that keeps "
            "two runs for one company apart"
        )
    lock: Lock = run_lock()
    return lock
