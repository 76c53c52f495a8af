"""The :class:`Engine`: one bounded unit of sync work per :meth:`Engine.run` call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from intacct_sdk import AuthenticationError, ConfigurationError, IntacctError
from timesync.engine._context import RunContext, describe, log
from timesync.engine._options import PULL_ORDER, EngineOptions, MappingSpecLike
from timesync.engine._pull import pull_object, start_pull
from timesync.engine._push import push_object, start_push
from timesync.engine._report import EngineHooks, Hooks, RunReport, stats_snapshot
from timesync.engine._routing import check_rules
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
        lock: Held for the whole run so two runs for one company never overlap.
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
        self.lock = lock
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
            SyncConfigurationError: Unknown objects or missing specs.
            intacct_sdk.AuthenticationError: Credentials were refused.
        """
        pulls, pushes = self._objects(objects)
        if self.lock is not None:
            self.lock.acquire()
        try:
            return self._run(pulls, pushes, dry_run=dry_run, full=full)
        finally:
            if self.lock is not None:
                self.lock.release()

    def _run(self, pulls: list[str], pushes: list[str], *, dry_run: bool, full: bool) -> RunReport:
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
        )
        before = stats_snapshot(self.client)
        self.hooks.run_started(run_id, (*pulls, *pushes), dry_run=dry_run)
        status = "failed"
        try:
            pullers = [start_pull(ctx, self.specs[name], full=full) for name in pulls]
            pushers = [start_push(ctx, self.specs[name]) for name in pushes]
            reads = [p.start() for p in pullers] + [p.recovery_reads() for p in pushers]
            results = ctx.prefetch([fn for group in reads for fn in group])
            prefetched: list[list[Any] | None] = []
            for group in reads:
                if results is None:
                    prefetched.append(None)
                else:
                    prefetched.append(results[: len(group)])
                    results = results[len(group) :]
            for name, puller, first in zip(pulls, pullers, prefetched[: len(pulls)], strict=True):
                try:
                    pull_object(ctx, self.specs[name], full=full, pull=puller, prefetched=first)
                except (AuthenticationError, ConfigurationError):
                    raise
                except IntacctError as exc:
                    log.warning("pull of %s stopped: %s", name, describe(exc))
            for name, pusher, first in zip(pushes, pushers, prefetched[len(pulls) :], strict=True):
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

        The record's data is applied to the local record on the next run.
        """
        name = object_name.upper()
        self.store.put_link(Link(name, remote_key, local_id, state=LinkState.LINKED))
        self.store.resolve_error(name, remote_key)
        self.local.record_intacct_key(name, local_id, remote_key, None)

    def unlink(self, object_name: str, remote_key: str) -> None:
        """Break a link by hand; the engine then leaves that Intacct record alone until it is
        linked again (it is neither re-matched nor imported)."""
        name = object_name.upper()
        self.store.put_link(Link(name, remote_key, None, state=LinkState.UNLINKED))
        self.store.resolve_error(name, remote_key)

    def accept_local(self, object_name: str, local_id: str) -> None:
        """Resolve a push conflict in favour of the local document: the next run overwrites
        (or declines and recreates) the Intacct record."""
        name = object_name.upper()
        link = self.store.get_link(name, local_id)
        if link is not None:
            self.store.put_link(attrs.evolve(link, remote_modified=None, content_hash=None))
        with self.store.transaction():
            self.store.resolve_error(name, local_id, "conflict")
            self.store.record_error(
                ErrorEntry(name, local_id, "retry", "conflict settled in favour of the local side")
            )
