"""The fleet on real parts: a Redis broker, the multi-company emulator in a subprocess and
real Celery worker processes running ``timesync.sync_company`` (``tests.fleet_app``).

One fan-out over 200 tiny companies on 4 worker processes syncs each company exactly once,
with no duplicate timesheet and no company ever above its request limit; workers SIGKILLed
in the middle of a company's push have their task redelivered, and every company converges
to the end state of a clean run with nothing written twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests import fleet_app
from tests.fleet_run import (
    Fleet,
    celery_workers,
    fan_out,
    kill_mid_push,
    outcome,
    served_companies,
    wait_converged,
)
from tests.server_redis import redis_url

pytestmark = [pytest.mark.slow, pytest.mark.redis]

__all__ = ["redis_url"]


@pytest.fixture
def broker(redis_url: str) -> Iterator[str]:
    """The Redis server, emptied before and after the test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
        yield redis_url
        client.flushdb()
    finally:
        client.close()


def _companies(n: int) -> list[str]:
    return [f"C{i:04d}" for i in range(1, n + 1)]


def test_one_fan_out_syncs_200_companies_once_each_within_their_limits(
    tmp_path: Path, broker: str
) -> None:
    companies = _companies(200)
    with served_companies(len(companies), employees=3, max_concurrent=2) as url:
        fleet = Fleet(tmp_path, url, broker, slots=2)
        entered = fleet_app.prepare(tmp_path, url, companies, weeks=1, per_company=2)
        with celery_workers(fleet.env(), nodes=2, concurrency=2):
            fan_out(broker)
            wait_converged(fleet, companies, timeout=240)
        end = outcome(fleet, entered)
    assert end.synced == len(companies)
    assert set(end.runs.values()) == {1}, {c: n for c, n in end.runs.items() if n != 1}
    assert end.missing == {}
    assert end.duplicates == 0
    assert end.pending == 0
    assert end.over_limit == 0 and end.refused == 0
    assert end.peak <= 2


def test_workers_killed_mid_push_are_redelivered_and_converge(tmp_path: Path, broker: str) -> None:
    companies = _companies(12)
    with served_companies(len(companies), employees=3, max_concurrent=2) as url:
        # one timesheet per push request, so a push spans several requests to be killed in
        fleet = Fleet(tmp_path, url, broker, slots=2, batch=1)
        entered = fleet_app.prepare(tmp_path, url, companies, weeks=4, per_company=3)
        with celery_workers(fleet.env(), nodes=2, concurrency=2) as workers:
            fan_out(broker)
            kills = kill_mid_push(fleet, workers, kills=5, timeout=120)
            wait_converged(fleet, companies, timeout=240)
        end = outcome(fleet, entered)
    assert len(kills) >= 5, kills
    for _, company_id in kills:  # the killed run stays unfinished; the redelivery finished it
        assert end.started[company_id] >= 2 and end.runs[company_id] >= 1, company_id
    assert end.synced == len(companies)
    assert end.missing == {}  # each local timesheet in Intacct, as a clean run leaves it
    assert end.duplicates == 0
    assert end.pending == 0
