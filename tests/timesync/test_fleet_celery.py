"""The fleet on real parts: a Redis broker, the shared PostgreSQL state store and limiter,
the multi-company emulator in a subprocess and real Celery worker processes running
``timesync.sync_company`` (``tests.fleet_app``).

One fan-out over 200 tiny companies on 4 worker processes syncs each company exactly once,
with no duplicate timesheet and no company ever above its request limit; workers SIGKILLed
in the middle of a company's push have their task redelivered, and every company converges
to the end state of a clean run with nothing written twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
from tests.fleet_run import run_fleet
from tests.server_redis import redis_url

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

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
    tmp_path: Path, broker: str, postgres_dsn: str, pg_schema: str
) -> None:
    run = run_fleet(
        tmp_path,
        broker,
        companies=200,
        workers=4,
        employees=2,
        dsn=postgres_dsn,
        schema=pg_schema,
        timeout=240,
    )
    end = run.outcome
    assert end.synced == 200
    assert set(end.runs.values()) == {1}, {c: n for c, n in end.runs.items() if n != 1}
    assert end.missing == {}
    assert sum(end.timesheets.values()) > 300  # most companies pushed their two
    assert end.duplicates == 0
    assert end.pending == 0
    assert end.over_limit == 0 and end.refused == 0
    assert end.peak <= 2


def test_workers_killed_mid_push_are_redelivered_and_converge(tmp_path: Path, broker: str) -> None:
    # one timesheet per push request, so a push spans several requests to be killed in
    run = run_fleet(
        tmp_path, broker, companies=12, workers=4, kills=5, weeks=4, batch=1, timeout=240
    )
    end = run.outcome
    assert len(run.kills) >= 5, run.kills
    for _, company_id in run.kills:  # the killed run stays unfinished; the redelivery ends it
        assert end.started[company_id] >= 2 and end.runs[company_id] >= 1, company_id
    assert end.synced == 12
    assert end.missing == {}  # each local timesheet in Intacct once, as a clean run leaves it
    assert end.duplicates == 0
    assert end.pending == 0
