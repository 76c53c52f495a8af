"""Many companies on many workers: one function that syncs one company of a fleet.

A vendor who syncs hundreds of customer companies describes the fleet once, as a
:class:`Fleet` (which companies are due, each one's credentials and local system from the
vendor's own secret store and app, its state store and its shared request limiter), and
calls :func:`sync_company` from whatever runs its jobs: a Celery task
(:mod:`timesync.contrib.celery`), a Dagster op, an Airflow task, a Temporal activity or a
cron loop. The function never raises for a company's own trouble; it returns a
:class:`CompanyResult` that says whether the company synced, was skipped (its run is already
going elsewhere) or failed, and whether a failure is worth retrying::

    result = sync_company(fleet, "ACME")
    if result.status == "failed" and result.transient:
        ...  # retry later, with backoff

Nothing secret leaves :class:`CompanySetup`: results, logs and errors carry the company id,
the run id and one-line error texts that never hold credentials.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, runtime_checkable

import attrs

from intacct_sdk import (
    AuthenticationError,
    Client,
    ClientOptions,
    Credentials,
    IntacctError,
    RateLimitError,
    RequestLimiter,
    ServerError,
    SlotWaitTimeoutError,
    TransportError,
)
from intacct_sdk import ConfigurationError as ClientConfigurationError
from timesync.engine import (
    Conflict,
    Engine,
    EngineHooks,
    EngineOptions,
    Hooks,
    MappingSpecLike,
    RecordFailure,
    RunReport,
)
from timesync.errors import ConfigurationError, GatewayUnreachableError, MappingError, SyncError
from timesync.local import LocalSystem
from timesync.store import LockHeldError, LockLostError, StateStore, StateStoreError

if TYPE_CHECKING:
    import httpx
    from psycopg_pool import ConnectionPool

__all__ = [
    "MODES",
    "PARTS",
    "CompanyResult",
    "CompanySetup",
    "Fleet",
    "PostgresFleet",
    "ResultStatus",
    "check_mode",
    "is_transient",
    "sync_company",
]

log = logging.getLogger(__name__)

MODES: Final = ("incremental", "full")
"""The run modes :func:`sync_company` accepts: an incremental run reads changes since the
last cursors; a full run reads everything and reconciles."""
PARTS: Final = ("both", "pull", "push")
"""What a run of :func:`sync_company` does: pull master data and push documents (``both``),
or only one of them."""

ResultStatus = Literal["synced", "skipped", "failed"]
"""What became of one company's sync (see :class:`CompanyResult`)."""

_ERROR_CHARS: Final = 300


@attrs.frozen(slots=True)
class CompanySetup:
    """Everything needed to sync one company, as the vendor's :meth:`Fleet.setup` returns it.

    Attributes:
        company_id: The Intacct company id (the tenant key of the state store).
        credentials: The company's sender and user login, from the vendor's secret store
            (their repr hides the passwords). They reach the client only.
        local: The vendor's app for this company. :func:`sync_company` closes it after the
            run when it has a ``close()`` method.
        options: Engine options (default ``EngineOptions()``).
        specs: Mapping specs by Intacct object (default ``timesync.mapping.default_specs()``).
        endpoint: The gateway URL, overriding ``credentials.endpoint_url`` (an emulator, a
            regional endpoint).
        slots: The company's shared request budget: how many HTTP requests every process
            syncing this company (and, where the vendor counts them in, the customer's other
            integrations) may have in flight at once.
        client_options: The client's options (default: ``unique_id`` on, the API user's time
            zone discovered from Intacct). ``unique_id`` is always switched on and the
            fleet's limiter always set, whatever is given here.
        transport: An httpx transport for the client (tests: an in-process emulator).
        hooks: Engine hooks for the run (metrics, tracing).
    """

    company_id: str
    credentials: Credentials
    local: LocalSystem
    options: EngineOptions | None = None
    specs: Mapping[str, MappingSpecLike] | None = None
    endpoint: str | None = None
    slots: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    client_options: ClientOptions | None = None
    transport: httpx.BaseTransport | None = attrs.field(default=None, repr=False)
    hooks: EngineHooks | None = attrs.field(default=None, repr=False)


@runtime_checkable
class Fleet(Protocol):
    """The vendor's description of its companies; :func:`sync_company` asks it for each run.

    Implementations should be cheap to call: a worker asks :meth:`setup`, :meth:`store`
    and :meth:`limiter` once per run of a company.
    """

    def companies(self) -> Iterable[str]:
        """The ids of the companies due for a sync now."""
        ...

    def setup(self, company_id: str) -> CompanySetup:
        """One company's credentials (from the vendor's secret store) and local system.

        Raises:
            Exception: Anything; :func:`sync_company` reports a ``SyncError`` or an
                ``IntacctError`` raised here as the company's failure and lets others
                propagate.
        """
        ...

    def store(self, company_id: str) -> StateStore:
        """The company's state store (one shared database keyed by company, or a file each).
        :func:`sync_company` closes it after the run when it has a ``close()`` method."""
        ...

    def limiter(self, company_id: str, slots: int) -> RequestLimiter:
        """The company's request limiter, shared by every process: ``slots`` requests at once."""
        ...


@attrs.frozen(slots=True)
class CompanyResult:
    """What one call of :func:`sync_company` did.

    Attributes:
        company_id: The company.
        status: ``synced`` (the run finished; record-level failures and conflicts are in
            ``summary`` and the store's error queue, and are retried by the next run),
            ``skipped`` (another run for the company holds its run lock: not an error and
            not worth a retry) or ``failed``.
        transient: For a failure, whether trying again later may succeed (the gateway
            unreachable, busy or failing, a request slot not free in time, the run lock
            lost, a step left in flight); False for credentials, configuration and mapping
            errors, which need a person.
        run_id: The run's id in the state store, when a run started.
        summary: The run's report summary (``RunReport.summary()``), when a run finished.
        error: One line saying what failed (never a secret), for a failure.
    """

    company_id: str
    status: ResultStatus
    transient: bool = False
    run_id: int | None = None
    summary: Mapping[str, Any] = attrs.field(factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the company synced or was skipped (nothing for the caller to do)."""
        return self.status != "failed"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (what a task queue keeps as the task's result)."""
        return {
            "company_id": self.company_id,
            "status": self.status,
            "transient": self.transient,
            "run_id": self.run_id,
            "summary": dict(self.summary),
            "error": self.error,
        }


_TRANSIENT: Final[tuple[type[BaseException], ...]] = (
    SlotWaitTimeoutError,  # no request slot of the company freed up in time: nothing sent
    TransportError,  # RequestNotSentError, ResponseLostError
    RateLimitError,
    ServerError,
    LockLostError,
    GatewayUnreachableError,  # the engine's stop on a transport or server error
)
_PERMANENT: Final[tuple[type[BaseException], ...]] = (
    AuthenticationError,
    ClientConfigurationError,
    ConfigurationError,
    MappingError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether an error that stopped a company's run may pass when tried again later.

    Transient: transport errors (nothing sent, a slot not free in time, a lost answer),
    the gateway's rate limit and server errors (and the engine's
    ``GatewayUnreachableError`` that wraps them), and a lost run lock. Permanent: refused
    credentials, configuration and mapping errors, and anything unknown (a retry would
    fail the same way, so a person should look).
    """
    if isinstance(exc, _PERMANENT):
        return False
    return isinstance(exc, _TRANSIENT)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no details"
    line = f"{type(exc).__name__}: {text}"
    return line if len(line) <= _ERROR_CHARS else line[: _ERROR_CHARS - 3] + "..."


def _client_options(setup: CompanySetup, limiter: RequestLimiter) -> ClientOptions:
    base = setup.client_options or ClientOptions(login_with_first_request=True, timezone="discover")
    return attrs.evolve(base, unique_id=True, limiter=limiter)


def _credentials(setup: CompanySetup) -> Credentials:
    if setup.endpoint is None or setup.endpoint == setup.credentials.endpoint_url:
        return setup.credentials
    return attrs.evolve(setup.credentials, endpoint_url=setup.endpoint)


def _close(thing: object) -> None:
    close = getattr(thing, "close", None)
    if callable(close):
        close()


class _Recorder(Hooks):
    """Forwards to the setup's hooks and keeps the run's id and report, which a run that
    stops with an exception reports too."""

    def __init__(self, inner: EngineHooks | None) -> None:
        self.inner = inner
        self.run_id: int | None = None
        self.report: RunReport | None = None

    def run_started(self, run_id: int, objects: tuple[str, ...], *, dry_run: bool) -> None:
        self.run_id = run_id
        if self.inner is not None:
            self.inner.run_started(run_id, objects, dry_run=dry_run)

    def record_applied(self, object_name: str, key: str, action: str) -> None:
        if self.inner is not None:
            self.inner.record_applied(object_name, key, action)

    def conflict(self, conflict: Conflict) -> None:
        if self.inner is not None:
            self.inner.conflict(conflict)

    def error(self, failure: RecordFailure) -> None:
        if self.inner is not None:
            self.inner.error(failure)

    def run_finished(self, report: RunReport) -> None:
        self.report = report
        if self.inner is not None:
            self.inner.run_finished(report)


def _report_result(company_id: str, report: RunReport) -> CompanyResult:
    """A finished run's result: a run that stopped a whole object on a gateway error, or
    left outbox steps pending or in flight, failed transiently; record failures and
    conflicts do not fail the company (the error queue retries them)."""
    summary = report.summary()
    stopped = [f for f in report.failures if f.key == "*"]
    if stopped:
        first = stopped[0]
        error = f"{first.object_name}: {' '.join(first.message.split())}"[:_ERROR_CHARS]
        return CompanyResult(company_id, "failed", True, report.run_id, summary, error)
    if report.pending:
        error = f"{report.pending} outbox step(s) left pending or in flight"
        return CompanyResult(company_id, "failed", True, report.run_id, summary, error)
    return CompanyResult(company_id, "synced", False, report.run_id, summary)


def check_mode(mode: str, part: str = "both") -> None:
    """Refuse a run mode or part :func:`sync_company` does not know.

    Raises:
        ValueError: ``mode`` is not one of :data:`MODES` or ``part`` not one of :data:`PARTS`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")


def sync_company(
    fleet: Fleet,
    company_id: str,
    *,
    mode: str = "incremental",
    part: str = "both",
    objects: Iterable[str] | None = None,
) -> CompanyResult:
    """Run one sync of one company of the fleet, and say how it went.

    Asks the fleet for the company's setup, store and limiter, builds a client whose every
    HTTP request holds one of the company's shared slots, and runs the engine (which holds
    the store's run lock for the company throughout). The store and the local system are
    closed afterwards when they have ``close()``.

    Args:
        fleet: The vendor's fleet.
        company_id: The company to sync.
        mode: ``incremental`` or ``full`` (see :data:`MODES`).
        part: ``both``, or only the ``pull`` of master data or the ``push`` of documents
            (see :data:`PARTS`).
        objects: Limit the run to these Intacct objects (default: every configured one of
            ``part``).

    Returns:
        The result; it never raises for the company's own errors (Intacct, sync and state
        store errors become ``failed`` results).

    Raises:
        ValueError: ``mode`` or ``part`` is not one of those known.
    """
    check_mode(mode, part)
    wanted = None if objects is None else list(objects)
    recorder = _Recorder(None)
    try:
        setup = fleet.setup(company_id)
        if setup.company_id.casefold() != company_id.casefold():
            raise ConfigurationError(
                f"the fleet's setup for {company_id} names company {setup.company_id}"
            )
        recorder.inner = setup.hooks
        if part != "both" and wanted is None:
            opts = setup.options or EngineOptions()
            wanted = list(opts.pull_objects if part == "pull" else opts.push_objects)
        with ExitStack() as stack:  # closed whatever happens: the store, then the app
            stack.callback(_close, setup.local)
            store = fleet.store(company_id)
            stack.callback(_close, store)
            limiter = fleet.limiter(company_id, setup.slots)
            options = _client_options(setup, limiter)
            with Client(_credentials(setup), options=options, transport=setup.transport) as client:
                engine = Engine(
                    client,
                    setup.local,
                    store,
                    specs=setup.specs,
                    options=setup.options,
                    hooks=recorder,
                )
                report = engine.run(wanted, full=mode == "full")
    except LockHeldError as exc:
        if isinstance(exc, LockLostError):  # a newer run took over mid-run: transient
            log.warning("company %s failed (transient): %s", company_id, _one_line(exc))
            return CompanyResult(company_id, "failed", True, recorder.run_id, error=_one_line(exc))
        log.info("company %s: a run is going elsewhere, skipped", company_id)
        return CompanyResult(company_id, "skipped")
    except (IntacctError, SyncError, StateStoreError) as exc:
        transient = is_transient(exc)
        log.warning(
            "company %s failed (%s): %s",
            company_id,
            "transient" if transient else "permanent",
            _one_line(exc),
        )
        summary = {} if recorder.report is None else recorder.report.summary()
        return CompanyResult(
            company_id, "failed", transient, recorder.run_id, summary, _one_line(exc)
        )
    result = _report_result(company_id, report)
    log.info("company %s: %s, run %s", company_id, result.status, result.run_id)
    return result


class PostgresFleet:
    """A :class:`Fleet` over one PostgreSQL database shared by every company and worker.

    The state of every company lives in one database (``PostgresStateStore``, keyed by
    company id) and the request limiter holds advisory locks in it
    (``PostgresLimiter``): a worker that dies frees its run lock and its slots with its
    connection. Which companies are due and how each is set up come from the vendor.

    Args:
        pool: A ``psycopg_pool.ConnectionPool`` (one per worker process).
        companies: Returns the ids of the companies due now.
        setup: Returns one company's :class:`CompanySetup` (the vendor's secret store and
            app lookup).
        schema: The PostgreSQL schema the state lives in.
        slot_wait: Seconds a request waits for one of its company's slots before it fails
            with ``SlotWaitTimeoutError`` (not sent, so safe to retry).
    """

    def __init__(
        self,
        pool: ConnectionPool[Any],
        *,
        companies: Callable[[], Iterable[str]],
        setup: Callable[[str], CompanySetup],
        schema: str = "timesync",
        slot_wait: float = 60.0,
    ) -> None:
        self.pool = pool
        self._companies = companies
        self._setup = setup
        self.schema = schema
        self.slot_wait = slot_wait

    def companies(self) -> Iterable[str]:
        """The vendor's due companies."""
        return self._companies()

    def setup(self, company_id: str) -> CompanySetup:
        """The vendor's setup of one company."""
        return self._setup(company_id)

    def store(self, company_id: str) -> StateStore:
        """The company's rows of the shared PostgreSQL state store."""
        from timesync.store import PostgresStateStore

        store: StateStore = PostgresStateStore(self.pool, company_id, schema=self.schema)
        return store

    def limiter(self, company_id: str, slots: int) -> RequestLimiter:
        """The company's ``slots`` advisory-lock request slots in the shared database."""
        from timesync.store import PostgresLimiter

        return PostgresLimiter(self.pool, company_id, slots, wait=self.slot_wait)

    def __repr__(self) -> str:
        return f"PostgresFleet(schema={self.schema!r})"
