"""Celery tasks that sync a fleet of companies (install the ``celery`` extra).

A thin layer over :func:`timesync.fleet.sync_company`: the engine stays a library, and a
Celery worker is one more runner of the same function::

    from celery import Celery
    from timesync.contrib.celery import beat_schedule, make_tasks

    app = Celery("sync", broker="redis://localhost:6379/0")
    tasks = make_tasks(app, make_fleet)          # make_fleet() -> a timesync.fleet.Fleet
    app.conf.beat_schedule = beat_schedule()      # incremental every 15 minutes, full nightly

Two tasks are registered:

``timesync.sync_company(company_id, mode="incremental", part="both", objects=None)``
    One run of one company: pull and push, or only one of them (``part``). Acknowledged late
    and rejected back to the queue when its worker process dies (``acks_late``,
    ``reject_on_worker_lost``), so a killed worker's company is run again by another; the
    engine's outbox makes that rerun finish what the dead one started without writing
    anything twice. Retried with exponential backoff and jitter on transient failures only
    (the gateway unreachable or busy, a request slot not free in time, a step left in
    flight), never on credential, configuration or mapping errors; a company whose run is
    going elsewhere is skipped, not retried. Soft and hard time limits bound a run.
``timesync.fan_out(mode="incremental", part="both")``
    Enqueues one ``sync_company`` for every company the fleet says is due, except those
    queued or running already: each enqueue first takes a short-lived claim on the company
    (a Redis key with a time to live), which the task refreshes when it starts and clears
    when it ends.

Task arguments are company ids, modes and object names, never credentials: a worker asks
the fleet for the company's setup when it runs. Celery's own rate limits count per worker,
not per company; the per-company limit is the fleet's shared limiter, taken around every
HTTP request by the client.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import attrs

from timesync.fleet import CompanyResult, Fleet, check_mode, sync_company

if TYPE_CHECKING:
    import redis

__all__ = [
    "FAN_OUT",
    "SYNC_COMPANY",
    "Claims",
    "FleetTasks",
    "RedisClaims",
    "TaskOptions",
    "beat_schedule",
    "make_tasks",
    "retry_delay",
]

log = logging.getLogger(__name__)

_JITTER: Final = random.Random()

SYNC_COMPANY: Final = "timesync.sync_company"
"""The name of the task that syncs one company."""
FAN_OUT: Final = "timesync.fan_out"
"""The name of the task that enqueues every due company."""


@attrs.frozen(slots=True)
class TaskOptions:
    """How the tasks retry, how long they may run and how long a claim lasts.

    Attributes:
        max_retries: Retries of a company's run after transient failures (then its result
            says ``failed``, and the next fan-out tries again).
        backoff: Seconds before the first retry; each retry doubles it, up to
            ``backoff_max``, and waits a random 50-100 % of that (jitter, so the companies
            a gateway outage failed together do not come back together).
        backoff_max: The longest wait before a retry, in seconds.
        soft_time_limit: Seconds after which a run is interrupted (it raises inside the run;
            what was written stays recorded, and the retry goes on from there).
        time_limit: Seconds after which the worker process running it is killed.
        claim_ttl: Seconds a company's claim outlives its last refresh: longer than a task
            waits in the queue plus its run. A claim whose worker died lapses after this.
        queue: The queue ``sync_company`` tasks are sent to (None: the app's default).
    """

    max_retries: int = attrs.field(default=5, validator=attrs.validators.ge(0))
    backoff: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))
    backoff_max: float = attrs.field(default=900.0, validator=attrs.validators.gt(0))
    soft_time_limit: float = attrs.field(default=1500.0, validator=attrs.validators.gt(0))
    time_limit: float = attrs.field(default=1800.0, validator=attrs.validators.gt(0))
    claim_ttl: float = attrs.field(default=3600.0, validator=attrs.validators.gt(0))
    queue: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.time_limit <= self.soft_time_limit:
            raise ValueError("time_limit must be longer than soft_time_limit")


def retry_delay(
    retries: int, *, backoff: float, backoff_max: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``retries + 1``: ``backoff * 2**retries`` capped
    at ``backoff_max``, times a random factor from 0.5 to 1."""
    ceiling = min(backoff_max, backoff * 2.0 ** max(0, retries))
    factor: float = (rng or _JITTER).uniform(0.5, 1.0)
    return ceiling * factor


@runtime_checkable
class Claims(Protocol):
    """Short-lived per-company markers that keep a company from being queued twice."""

    def claim(self, company_id: str, ttl: float) -> bool:
        """Take the company's claim for ``ttl`` seconds; False when someone holds it."""
        ...

    def refresh(self, company_id: str, ttl: float) -> None:
        """Hold the company's claim for ``ttl`` more seconds (taking it when it lapsed)."""
        ...

    def release(self, company_id: str) -> None:
        """Drop the company's claim."""
        ...


class RedisClaims:
    """:class:`Claims` as Redis keys with a time to live (``SET NX PX``).

    Args:
        url: The Redis server, e.g. the Celery broker's ``redis://host:6379/0``.
        prefix: The keys' prefix; the company id follows it.
    """

    def __init__(self, url: str, *, prefix: str = "timesync:claim:") -> None:
        self.url = url
        self.prefix = prefix
        self._client: redis.Redis | None = None
        self._pid = 0

    def _redis(self) -> redis.Redis:
        if self._client is None or self._pid != os.getpid():  # one client per process
            import redis

            self._client = redis.Redis.from_url(self.url)
            self._pid = os.getpid()
        return self._client

    def claim(self, company_id: str, ttl: float) -> bool:
        """Take the company's claim unless it is held."""
        return bool(self._redis().set(self.prefix + company_id, "1", nx=True, px=_ms(ttl)))

    def refresh(self, company_id: str, ttl: float) -> None:
        """Hold (or take) the company's claim for ``ttl`` more seconds."""
        self._redis().set(self.prefix + company_id, "1", px=_ms(ttl))

    def release(self, company_id: str) -> None:
        """Drop the company's claim."""
        self._redis().delete(self.prefix + company_id)

    def close(self) -> None:
        """Close this process's connection to Redis."""
        if self._client is not None and self._pid == os.getpid():
            self._client.close()
        self._client = None

    def __repr__(self) -> str:
        return f"RedisClaims(prefix={self.prefix!r})"  # the URL may carry a password


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


@attrs.frozen(slots=True)
class FleetTasks:
    """The tasks :func:`make_tasks` registered.

    Attributes:
        sync_company: ``timesync.sync_company(company_id, mode, part, objects)``.
        fan_out: ``timesync.fan_out(mode, part)``; returns
            ``{"mode", "part", "queued", "already"}``.
        claims: The claims the fan-out takes.
        options: The tasks' options.
    """

    sync_company: Any
    fan_out: Any
    claims: Claims
    options: TaskOptions


class _PerProcess:
    """The fleet, made once in each process (after a prefork worker forks, so pools and
    connections are never shared between processes)."""

    def __init__(self, factory: Callable[[], Fleet]) -> None:
        self.factory = factory
        self._fleet: Fleet | None = None
        self._pid = 0

    def __call__(self) -> Fleet:
        if self._fleet is None or self._pid != os.getpid():
            self._fleet = self.factory()
            self._pid = os.getpid()
        return self._fleet


def make_tasks(
    app: Any,
    fleet_factory: Callable[[], Fleet],
    *,
    claims: Claims | None = None,
    options: TaskOptions | None = None,
) -> FleetTasks:
    """Register ``timesync.sync_company`` and ``timesync.fan_out`` on a Celery app.

    Args:
        app: The ``celery.Celery`` app.
        fleet_factory: Makes the vendor's :class:`~timesync.fleet.Fleet`; called once per
            worker process, on first use (so a database pool is made after the fork).
        claims: Where the fan-out's claims live (default: :class:`RedisClaims` on the app's
            broker, which must then be Redis).
        options: Retries, time limits and the claim's lifetime.

    Returns:
        The registered tasks.

    Raises:
        ValueError: No ``claims`` given and the broker is not Redis.
    """
    opts = options or TaskOptions()
    if claims is None:
        broker = str(app.conf.broker_url or "")
        if not broker.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("give make_tasks(claims=...) when the Celery broker is not Redis")
        claims = RedisClaims(broker)
    held: Claims = claims
    fleet = _PerProcess(fleet_factory)

    @app.task(  # type: ignore[untyped-decorator]
        name=SYNC_COMPANY,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=opts.max_retries,
        soft_time_limit=opts.soft_time_limit,
        time_limit=opts.time_limit,
    )
    def sync_company_task(
        task: Any,
        company_id: str,
        mode: str = "incremental",
        part: str = "both",
        objects: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        from celery.exceptions import SoftTimeLimitExceeded

        held.refresh(company_id, opts.claim_ttl)  # queued -> running
        try:
            result = sync_company(fleet(), company_id, mode=mode, part=part, objects=objects)
        except SoftTimeLimitExceeded:
            result = CompanyResult(
                company_id, "failed", True, error="the run passed the task's soft time limit"
            )
        except BaseException:
            held.release(company_id)
            raise
        retries = int(task.request.retries or 0)
        if result.status == "failed" and result.transient and retries < opts.max_retries:
            delay = retry_delay(retries, backoff=opts.backoff, backoff_max=opts.backoff_max)
            held.refresh(company_id, delay + opts.claim_ttl)  # still queued: keep it claimed
            log.info(
                "company %s: %s; retry %d in %.0f s",
                company_id,
                result.error,
                retries + 1,
                delay,
            )
            raise task.retry(countdown=delay, max_retries=opts.max_retries)
        held.release(company_id)
        return result.as_dict()

    @app.task(name=FAN_OUT)  # type: ignore[untyped-decorator]
    def fan_out_task(mode: str = "incremental", part: str = "both") -> dict[str, Any]:
        check_mode(mode, part)
        queued = already = 0
        for company_id in fleet().companies():
            if not held.claim(company_id, opts.claim_ttl):
                already += 1
                continue
            try:
                sync_company_task.apply_async((company_id, mode, part), queue=opts.queue)
            except BaseException:
                held.release(company_id)
                raise
            queued += 1
        log.info("fan-out (%s): %d queued, %d queued or running already", mode, queued, already)
        return {"mode": mode, "part": part, "queued": queued, "already": already}

    return FleetTasks(sync_company_task, fan_out_task, held, opts)


def beat_schedule(
    *,
    incremental_every: timedelta = timedelta(minutes=15),
    full_hour: int = 2,
    full_minute: int = 0,
) -> dict[str, dict[str, Any]]:
    """An example ``app.conf.beat_schedule``: frequent incremental fan-outs, a nightly full one.

    Args:
        incremental_every: How often every due company gets an incremental run.
        full_hour: The hour (in the app's ``timezone``) of the nightly full run.
        full_minute: Its minute.

    Returns:
        The schedule, for ``app.conf.beat_schedule``.
    """
    from celery.schedules import crontab

    return {
        "timesync-incremental": {
            "task": FAN_OUT,
            "schedule": incremental_every.total_seconds(),
            "args": ("incremental",),
        },
        "timesync-full-nightly": {
            "task": FAN_OUT,
            "schedule": crontab(hour=full_hour, minute=full_minute),
            "args": ("full",),
        },
    }
