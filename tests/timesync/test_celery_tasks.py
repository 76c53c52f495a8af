"""timesync.contrib.celery: the tasks' retries (transient failures only, with backoff), the
claims of the fan-out, what the broker's messages carry, and the beat schedule."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
from celery import Celery
from tests.server_redis import redis_url
from tests.timesync.fleet_fixtures import (
    SECRET,
    MemoryFleet,
    enter_timesheets,
    make_company,
    timesheets,
)

from intacct_sdk.testing import FaultPlan
from timesync.contrib.celery import (
    FAN_OUT,
    SYNC_COMPANY,
    FleetTasks,
    RedisClaims,
    TaskOptions,
    beat_schedule,
    make_tasks,
    retry_delay,
)
from timesync.store import SQLiteStateStore

__all__ = ["redis_url"]


class MemoryClaims:
    """Claims in a dict (one process), recording what was done to them."""

    def __init__(self) -> None:
        self.held: dict[str, float] = {}
        self.log: list[tuple[str, str]] = []

    def claim(self, company_id: str, ttl: float) -> bool:
        self.log.append(("claim", company_id))
        if company_id in self.held:
            return False
        self.held[company_id] = ttl
        return True

    def refresh(self, company_id: str, ttl: float) -> None:
        self.log.append(("refresh", company_id))
        self.held[company_id] = ttl

    def release(self, company_id: str) -> None:
        self.log.append(("release", company_id))
        self.held.pop(company_id, None)


@pytest.fixture
def fleet(tmp_path: Path) -> MemoryFleet:
    return MemoryFleet(
        tmp_path, {"C0001": make_company("C0001", 1), "C0002": make_company("C0002", 2)}
    )


@pytest.fixture
def eager(fleet: MemoryFleet) -> Iterator[tuple[FleetTasks, MemoryClaims]]:
    """The tasks on an eager app (run in this process, retries included)."""
    app = Celery("eager", broker="memory://", set_as_current=False)
    app.conf.update(task_always_eager=True, task_store_eager_result=False)
    claims = MemoryClaims()
    tasks = make_tasks(
        app, lambda: fleet, claims=claims, options=TaskOptions(max_retries=3, backoff=0.001)
    )
    yield tasks, claims
    app.close()


def _runs(fleet: MemoryFleet, company_id: str) -> list[str]:
    with SQLiteStateStore(fleet.folder / f"{company_id}-state.db") as store:
        return [r.status for r in reversed(store.runs(20))]


def test_a_transient_failure_is_retried_until_the_company_syncs(
    fleet: MemoryFleet, eager: tuple[FleetTasks, MemoryClaims]
) -> None:
    tasks, claims = eager
    entered = enter_timesheets(fleet, "C0001")
    fleet.emulators["C0001"].faults = FaultPlan.parse("http503@1-3")
    tasks.sync_company.apply(args=("C0001", "incremental"))
    runs = _runs(fleet, "C0001")
    assert len(runs) in (2, 3, 4) and runs[-1] == "ok", runs  # retried until it synced
    assert set(runs[:-1]) == {"failed"}
    assert timesheets(fleet.emulators["C0001"]) == entered
    assert claims.held == {}  # released once the company synced
    assert claims.log[-1] == ("release", "C0001")


def test_retries_stop_after_max_retries(
    fleet: MemoryFleet, eager: tuple[FleetTasks, MemoryClaims]
) -> None:
    tasks, claims = eager
    fleet.emulators["C0001"].faults = FaultPlan.parse("http503:1")
    tasks.sync_company.apply(args=("C0001",))
    assert _runs(fleet, "C0001") == ["failed"] * 4  # the first run and three retries
    assert claims.held == {}


def test_a_permanent_failure_is_not_retried(
    fleet: MemoryFleet, eager: tuple[FleetTasks, MemoryClaims]
) -> None:
    tasks, claims = eager
    fleet.password["C0002"] = "wrong-" + SECRET
    result = tasks.sync_company.apply(args=("C0002", "full")).get()
    assert result["status"] == "failed" and result["transient"] is False
    assert fleet.emulators["C0002"].stats.http_requests == 1  # one login, refused, no retry
    assert SECRET not in json.dumps(result)
    assert claims.held == {}


def test_a_company_whose_run_is_going_is_skipped_not_retried(
    fleet: MemoryFleet, eager: tuple[FleetTasks, MemoryClaims]
) -> None:
    tasks, _ = eager
    with SQLiteStateStore(fleet.folder / "C0001-state.db") as store:
        lock = store.run_lock()
        lock.acquire()
        try:
            result = tasks.sync_company.apply(args=("C0001",)).get()
        finally:
            lock.release()
    assert result["status"] == "skipped"
    assert fleet.emulators["C0001"].stats.http_requests == 0


def test_the_tasks_are_registered_under_their_names(
    eager: tuple[FleetTasks, MemoryClaims],
) -> None:
    tasks, _ = eager
    assert tasks.sync_company.name == SYNC_COMPANY
    assert tasks.fan_out.name == FAN_OUT
    assert tasks.sync_company.acks_late is True
    assert tasks.sync_company.reject_on_worker_lost is True
    assert tasks.sync_company.soft_time_limit < tasks.sync_company.time_limit


def test_the_retry_delay_grows_to_its_ceiling_with_jitter() -> None:
    rng = random.Random(1)
    delays = [retry_delay(n, backoff=10, backoff_max=100, rng=rng) for n in range(8)]
    for n, delay in enumerate(delays):
        ceiling = min(100, 10 * 2**n)
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)


def test_task_options_are_checked() -> None:
    with pytest.raises(ValueError, match="time_limit"):
        TaskOptions(soft_time_limit=60, time_limit=60)


def test_a_broker_that_is_not_redis_needs_claims(fleet: MemoryFleet) -> None:
    app = Celery("amqp", broker="amqp://127.0.0.1//", set_as_current=False)
    try:
        with pytest.raises(ValueError, match="claims"):
            make_tasks(app, lambda: fleet)
    finally:
        app.close()


def test_the_beat_schedule_fans_out_often_and_fully_at_night() -> None:
    from celery.schedules import crontab

    schedule = beat_schedule()
    incremental = schedule["timesync-incremental"]
    full = schedule["timesync-full-nightly"]
    assert incremental["task"] == full["task"] == FAN_OUT
    assert incremental["args"] == ("incremental",) and incremental["schedule"] == 900
    assert full["args"] == ("full",)
    assert full["schedule"] == crontab(hour=2, minute=0)


@pytest.mark.redis
def test_a_fan_out_queues_each_due_company_once_with_ids_only(
    fleet: MemoryFleet, redis_url: str
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    app = Celery("fan-out", broker=redis_url, set_as_current=False)
    claims = RedisClaims(redis_url)
    try:
        tasks = make_tasks(app, lambda: fleet, claims=claims)
        first = tasks.fan_out.apply(args=("incremental",)).get()
        again = tasks.fan_out.apply(args=("full",)).get()
        messages = [json.loads(m) for m in client.lrange("celery", 0, -1)]
        ttl = client.pttl("timesync:claim:C0001")
    finally:
        claims.close()
        app.close()
        client.flushdb()
        client.close()
    assert first == {"mode": "incremental", "part": "both", "queued": 2, "already": 0}
    assert again == {"mode": "full", "part": "both", "queued": 0, "already": 2}  # not yet run
    assert 0 < ttl <= 3600 * 1000
    bodies = [json.loads(base64.b64decode(m["body"])) for m in messages]
    assert sorted(b[0] for b in bodies) == [
        ["C0001", "incremental", "both"],
        ["C0002", "incremental", "both"],
    ]
    assert {m["headers"]["task"] for m in messages} == {SYNC_COMPANY}
    raw = json.dumps(messages)
    for creds in (e.credentials for e in fleet.emulators.values()):
        assert creds.user_password not in raw and creds.sender_password not in raw
