"""The pulls of one run as a dependency graph: independent objects read their pages together.

An object depends on another when each of its records belongs to one of the other's: a
required pulled field whose local attribute is a reference (the models name a reference to
another record ``<what>_key``) and whose Intacct field is the other object's key field. A
task belongs to its project (``project_key``, required, from ``PROJECTID``), so TASK starts
after PROJECT is complete: it resolves PROJECT's links (an inactive project keeps its tasks
inactive, a reopened one brings them back). An optional reference (an employee's
department, a project's customer) is a value kept as read: EMPLOYEE, PROJECT and CUSTOMER
are independent, so their later pages, then TASK's beside EMPLOYEE's, go in the same
requests, and a customer read that fails stops no project.

Only references to objects earlier in the run's pull order count, so the graph has no cycle
and never lets an object start before one that today's order puts first and that it
refers to. A spec that does not show its field maps depends on every object before it.

The first page of every object still goes in the run's first request (with the push's and
the deletions' first reads); :func:`pull_all` then sends, in each request, the next page of
every object that is reading (up to the client's ``max_functions_per_request``), applies
each page in turn, and starts an object once everything it depends on is complete. A
failed object stops its dependants (the report says which and why); the others go on.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any

from intacct_sdk import AuthenticationError, ConfigurationError, IntacctError
from intacct_sdk.functions import Query
from timesync.engine._context import RunContext, describe, log
from timesync.engine._options import MappingSpecLike
from timesync.errors import GatewayUnreachableError

__all__ = ["pull_all", "pull_dependencies", "references"]

_DEFAULT_LIMIT = 100
"""Functions per request when the client does not say (``ClientOptions``' default)."""


def references(spec: MappingSpecLike) -> frozenset[str] | None:
    """The Intacct fields through which a spec's records belong to other records: those its
    required reference attributes (``<what>_key``) are pulled from. None when the spec does
    not show its field maps."""
    fields = getattr(spec, "fields", None)
    if fields is None:
        return None
    out: set[str] = set()
    for fm in fields:
        local, remote = getattr(fm, "local", ""), getattr(fm, "remote", "")
        pulls, required = getattr(fm, "pulls", True), getattr(fm, "required", False)
        if pulls and required and isinstance(local, str) and local.endswith("_key") and remote:
            out.add(str(remote).upper())
    return frozenset(out)


def pull_dependencies(
    specs: Mapping[str, MappingSpecLike], order: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """Which objects each pulled object waits for, from the mapping specs.

    Args:
        specs: The mapping specs by object name.
        order: The run's pulled objects, in pull order.

    Returns:
        Object -> the objects before it in ``order`` whose key field one of its reference
        fields holds (every object before it when its spec does not show its fields).
    """
    keys = {name: getattr(specs[name], "key_field", None) for name in order}
    out: dict[str, tuple[str, ...]] = {}
    for i, name in enumerate(order):
        refs = references(specs[name])
        earlier = order[:i]
        if refs is None:
            out[name] = tuple(earlier)
            continue
        out[name] = tuple(
            other for other in earlier if keys[other] and str(keys[other]).upper() in refs
        )
    return out


def _limit(ctx: RunContext) -> int:
    options = getattr(ctx.client, "options", None)
    limit = getattr(options, "max_functions_per_request", None)
    return limit if isinstance(limit, int) and limit >= 1 else _DEFAULT_LIMIT


def _send(ctx: RunContext, queries: Sequence[Query], alone: list[bool]) -> list[Any]:
    """One request with every query; one result (or the error that failed it) per query.

    When a combined request fails as a whole for a reason that is not the run's end (see
    :meth:`RunContext.execute`), each query is sent alone, so each object meets its own
    failure as it would reading alone, and so is every later page of the run (``alone``
    is set).
    """
    if len(queries) > 1 and not alone[0]:
        try:
            return ctx.execute(queries, fallback=True)
        except (AuthenticationError, ConfigurationError, GatewayUnreachableError):
            raise
        except IntacctError as exc:
            log.info("combined read of %d page(s) failed: %s", len(queries), describe(exc))
            alone[0] = True
    out: list[Any] = []
    for query in queries:
        try:
            out.extend(ctx.execute([query]))
        except (AuthenticationError, ConfigurationError, GatewayUnreachableError):
            raise
        except IntacctError as exc:
            out.append(exc)
    return out


def pull_all(
    ctx: RunContext,
    pulls: Sequence[Any],
    prefetched: Sequence[Sequence[Any] | None],
    depends: Mapping[str, Sequence[str]],
) -> None:
    """Pull every object, independent objects' pages together.

    Args:
        ctx: The run.
        pulls: The objects' pulls (``_ObjectPull``, started), in pull order.
        prefetched: Each pull's first reads' results (None: it reads them itself).
        depends: Object -> the objects it waits for (:func:`pull_dependencies`).

    Raises:
        GatewayUnreachableError: The run stops (said once, by whoever runs the engine).
        AuthenticationError: Credentials were refused.
        ConfigurationError: A configuration error.
    """
    firsts = {p.name: first for p, first in zip(pulls, prefetched, strict=True)}
    waiting = list(pulls)
    reading: dict[str, tuple[Any, Generator[Query, Any, bool], Query]] = {}
    done: set[str] = set()
    failed: dict[str, str] = {}

    def stop(pull: Any, exc: BaseException) -> None:
        """An object failed: reported; an error that is not Intacct's is raised."""
        if isinstance(exc, GatewayUnreachableError):
            raise exc
        log.warning("pull of %s stopped: %s", pull.name, describe(exc))
        log.debug("pull of %s stopped", pull.name, exc_info=exc)
        ctx.fail(pull.name, "*", f"pull stopped: {describe(exc)}")
        failed[pull.name] = describe(exc)
        if isinstance(exc, AuthenticationError | ConfigurationError):
            raise exc
        if not isinstance(exc, IntacctError):
            raise exc

    def advance(pull: Any, steps: Generator[Query, Any, bool], result: Any) -> None:
        """Hand a page's result (None: start) to a pull; keep its next query, or finish it."""
        try:
            if isinstance(result, BaseException):
                query = steps.throw(result)
            else:
                query = next(steps) if result is None else steps.send(result)
        except StopIteration as end:
            reading.pop(pull.name, None)
            try:
                pull.finish(bool(end.value), firsts[pull.name])
            except Exception as exc:
                stop(pull, exc)
                return
            ctx.settled(pull.name)
            done.add(pull.name)
            return
        except Exception as exc:
            reading.pop(pull.name, None)
            stop(pull, exc)
            return
        reading[pull.name] = (pull, steps, query)

    def start_ready() -> None:
        """Start every waiting object whose dependencies are complete, until none is left
        (an object read whole by its first pages completes at once); stop those whose
        dependency failed."""
        moved = True
        while moved:
            moved = False
            for pull in list(waiting):
                deps = depends.get(pull.name, ())
                broken = [d for d in deps if d in failed]
                if broken:
                    waiting.remove(pull)
                    why = f"not pulled: {', '.join(broken)} failed this run"
                    ctx.fail(pull.name, "*", why)
                    failed[pull.name] = why
                    moved = True
                elif all(d in done or d not in firsts for d in deps):
                    waiting.remove(pull)
                    advance(pull, pull.reads(firsts[pull.name]), None)
                    moved = True

    limit = _limit(ctx)
    alone = [any(first is None for first in prefetched)]  # the first request failed
    start_ready()
    while reading:
        batch = list(reading.values())[: 1 if alone[0] else limit]
        results = _send(ctx, [query for _, _, query in batch], alone)
        for (pull, steps, _), result in zip(batch, results, strict=True):
            advance(pull, steps, result)
        start_ready()
