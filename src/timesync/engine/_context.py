"""State shared by the pull and push phases of one run."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, tzinfo
from typing import Any, Final

import attrs

from intacct_sdk import (
    AuthenticationError,
    ConfigurationError,
    FunctionError,
    IntacctError,
    MalformedResponseError,
    RateLimitError,
    RequestNotSentError,
    ServerError,
    TransportError,
)
from intacct_sdk.functions import Function, GetAPISession, Query
from intacct_sdk.query import Filter
from timesync.engine._installation import Installation
from timesync.engine._options import EngineOptions, MappingSpecLike
from timesync.engine._report import Conflict, EngineHooks, Progress, RecordFailure, RunReport
from timesync.errors import GatewayUnreachableError
from timesync.local import LocalSystem
from timesync.store import ErrorEntry, StateStore

log = logging.getLogger("timesync.engine")


def request_failed(exc: IntacctError) -> bool:
    """Whether ``exc`` failed a whole request for a reason no other object escapes: not
    sent or answer lost, a server error or maintenance, throttling that outlasted the
    retries, or an answer that is not the gateway's (HTML, not XML). A function's own
    failure, bad credentials or a value that does not parse are not."""
    if isinstance(exc, TransportError | ServerError | RateLimitError):
        return True
    return type(exc) is MalformedResponseError


def _logs_in_with(client: Any) -> bool:
    """Whether the client's next request travels with the user login: its first, with
    ``login_with_first_request`` on and no session fetched yet."""
    options = getattr(client, "options", None)
    if not getattr(options, "login_with_first_request", False):
        return False
    return getattr(client, "session_endpoint", "") is None


UNSTAMPED: Final = Installation("", new=False, configured=False)
"""No installation id: stamps are bare local ids (only for code that builds a context
without an engine)."""


@attrs.define(slots=True)
class RunContext:
    """One run's collaborators and its report."""

    client: Any
    local: LocalSystem
    store: StateStore
    specs: Mapping[str, MappingSpecLike]
    options: EngineOptions
    hooks: EngineHooks
    report: RunReport
    run_id: int
    dry_run: bool
    zone: tzinfo = UTC
    """The API user's time zone: timestamps Intacct writes are that user's wall time."""
    installation: Installation = UNSTAMPED
    """Who the run pushes as (stamps and control ids)."""
    unreachable: GatewayUnreachableError | None = None
    """Set by the first request that failed as a whole after the client's retries (the
    gateway unreachable, down, throttling, or answering what is not the gateway): every
    later request of the run is refused without being sent."""
    writes_follow: bool = False
    """Set before the run's first request when the run will write (a push with documents
    to send): that request then also fetches a session, so the writes need no login
    request of their own (a run with nothing to write stays one request)."""
    reopened: dict[str, set[str]] = attrs.field(factory=dict)
    """Parent records (projects) made active again this run, by object: their children
    (tasks) are read again so they come back with them."""

    def note(self, line: str) -> None:
        """Add a line to the report's notes (things the run did that counts do not say)."""
        self.report.notes.append(line)
        log.info("%s", line)

    def execute(self, functions: Sequence[Function], *, fallback: bool = False) -> list[Any]:
        """Send functions in one request; returns one result per function.

        Writes go with ``uniqueid=true``: their control ids are deterministic, so a replay of
        a write that already ran is refused by the gateway instead of applied twice.

        A request that fails as a whole after the client's retries (:func:`request_failed`)
        ends the run: reads raise :class:`GatewayUnreachableError`; writes raise the
        client's error once (the push records what it knows of them), and every later
        request of the run raises :class:`GatewayUnreachableError` unsent. With
        ``fallback`` (a combined read whose owners can read alone) only a request that was
        not sent at all does so; the others' failures are raised as they are.
        """
        if self.unreachable is not None:  # a fresh error each time, the same words
            raise GatewayUnreachableError(
                self.unreachable.cause, answered=self.unreachable.answered
            )
        counts = self.report.functions_by_name
        for fn in functions:
            counts[fn.name] = counts.get(fn.name, 0) + 1
        writes = any(fn.is_write for fn in functions)
        try:
            if writes:
                return list(self.client.execute(list(functions), options={"unique_id": True}))
            return list(self.client.execute(list(functions)))
        except IntacctError as exc:
            if not request_failed(exc) or (fallback and not isinstance(exc, RequestNotSentError)):
                raise
            answered = not isinstance(exc, TransportError)
            self.unreachable = GatewayUnreachableError(describe(exc), answered=answered)
            if writes:
                raise
            raise GatewayUnreachableError(self.unreachable.cause, answered=answered) from exc

    def page_query(
        self,
        object_name: str,
        fields: Sequence[str],
        where: Filter | None,
        order_by: Sequence[tuple[str, str]] = (),
        page_size: int | None = None,
    ) -> Query:
        """The ``query`` function of one page (not sent)."""
        return Query(
            object_name,
            tuple(dict.fromkeys(fields)),
            where,
            order_by=tuple(order_by),  # type: ignore[arg-type]
            page_size=page_size or self.options.page_size,
        )

    def query_page(
        self,
        object_name: str,
        fields: Sequence[str],
        where: Filter | None,
        order_by: Sequence[tuple[str, str]] = (),
        page_size: int | None = None,
    ) -> list[dict[str, Any]]:
        """One ``query`` page (one HTTP request)."""
        query = self.page_query(object_name, fields, where, order_by, page_size)
        [result] = self.execute([query])
        return page_records(result)[0]

    def prefetch(self, functions: Sequence[Function]) -> list[Any] | None:
        """Send the reads every object of the run needs first, in one request.

        Returns one result per function (a failed function is reported by its owner, as if
        it had been sent alone), or None when the request as a whole failed after the
        client's retries: each owner then sends its own reads, as it would without
        prefetching. Credential and configuration errors are raised.
        """
        if not functions:
            return []
        assert not any(fn.is_write for fn in functions), "only reads are prefetched"
        sent = list(functions)
        if self.writes_follow and _logs_in_with(self.client):
            # this request goes with the user login; its session then serves the writes
            sent.append(GetAPISession())
        try:
            return self.execute(sent, fallback=True)[: len(functions)]
        except (AuthenticationError, ConfigurationError):
            raise
        except IntacctError as exc:
            # each owner reads alone now and reports its own failure, if any
            log.info("combined read of %d function(s) failed: %s", len(functions), describe(exc))
            return None

    def progress(self, object_name: str, phase: str, done: int, total: int | None = None) -> None:
        """Report progress to the caller's callback."""
        if self.options.progress is not None:
            self.options.progress(Progress(object_name, phase, done, total))

    def applied(self, object_name: str, key: str, action: str) -> None:
        """Tell the hooks a record was applied."""
        self.hooks.record_applied(object_name, key, action)

    def conflict(self, object_name: str, key: str, reason: str) -> None:
        """Report and queue a conflict."""
        c = Conflict(object_name, key, reason)
        self.report.conflicts.append(c)
        self.report.object(object_name).conflicts += 1
        self.hooks.conflict(c)
        if not self.dry_run:
            self.store.record_error(
                ErrorEntry(
                    object_name,
                    key,
                    "conflict",
                    reason,
                    first_run=self.run_id,
                    last_run=self.run_id,
                )
            )

    def settled(self, object_name: str, key: str = "*") -> None:
        """An object-level step (``*``: its pull, push or deletions; ``write-back``) went
        through: its entry leaves the error queue, unless this run failed it again."""
        if self.dry_run:
            return
        if any(f.object_name == object_name and f.key == key for f in self.report.failures):
            return
        self.store.resolve_error(object_name, key)

    def fail(self, object_name: str, key: str, message: str, kind: str = "error") -> None:
        """Report and queue a record failure."""
        failure = RecordFailure(object_name, key, message)
        self.report.failures.append(failure)
        rep = self.report.object(object_name)
        if kind == "ambiguous":
            rep.ambiguous += 1
        else:
            rep.errors += 1
        self.hooks.error(failure)
        log.warning("%s %s: %s", object_name, key, message)
        if not self.dry_run:
            self.store.record_error(
                ErrorEntry(
                    object_name, key, kind, message, first_run=self.run_id, last_run=self.run_id
                )
            )


def local_batch(local: LocalSystem) -> AbstractContextManager[Any]:
    """The local system's ``transaction()`` block when it has one (see
    :class:`~timesync.local.BatchingLocalSystem`), else a block that does nothing."""
    begin = getattr(local, "transaction", None)
    return begin() if callable(begin) else nullcontext()


def as_int(value: Any) -> int | None:
    """An Intacct number (RECORDNO, a key) as an int; None when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def page_records(result: Any) -> tuple[list[dict[str, Any]], bool | None]:
    """The records of a ``query`` result and whether the gateway says more follow.

    The second value is None when the answer carries no ``numremaining``.

    Raises:
        FunctionError: The function failed.
    """
    result.raise_for_error()
    page = result.page
    if page is None:
        return [], None
    remaining = page.num_remaining
    return list(page.records), None if remaining is None else remaining > 0


def describe(exc: BaseException) -> str:
    """One line for an exception, without secrets (SDK errors never carry any)."""
    if isinstance(exc, FunctionError):
        parts = [
            p
            for p in (
                getattr(exc, "errorno", None),
                getattr(exc, "description", None),
                getattr(exc, "description2", None),
            )
            if p
        ]
        if parts:
            return " ".join(str(p) for p in parts)
    return f"{type(exc).__name__}: {exc}"
