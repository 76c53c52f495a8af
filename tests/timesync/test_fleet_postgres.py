"""PostgresFleet: sync_company over the shared PostgreSQL store and limiter, with in-process
emulated companies; a company whose run lock another connection holds is skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.timesync.fleet_fixtures import MemoryFleet, enter_timesheets, make_company, timesheets

from timesync.fleet import Fleet, PostgresFleet, sync_company

pytestmark = pytest.mark.postgres


@pytest.fixture
def fleet(tmp_path: Path, pg_pool: Any, pg_schema: str) -> tuple[PostgresFleet, MemoryFleet]:
    memory = MemoryFleet(
        tmp_path, {"C0001": make_company("C0001", 1), "C0002": make_company("C0002", 2)}
    )
    fleet = PostgresFleet(
        pg_pool, companies=memory.companies, setup=memory.setup, schema=pg_schema, slot_wait=5
    )
    return fleet, memory


def test_companies_sync_through_the_shared_database(
    fleet: tuple[PostgresFleet, MemoryFleet],
) -> None:
    pg, memory = fleet
    assert isinstance(pg, Fleet)
    assert list(pg.companies()) == ["C0001", "C0002"]
    entered = {c: enter_timesheets(memory, c) for c in ("C0001", "C0002")}
    for company_id in ("C0001", "C0002"):
        result = sync_company(pg, company_id)
        assert result.status == "synced", result
        assert timesheets(memory.emulators[company_id]) == entered[company_id]
    again = sync_company(pg, "C0001")
    assert again.status == "synced"
    assert again.summary["objects"].get("TIMESHEET", {}).get("created", 0) == 0
    store = pg.store("C0002")
    assert [r.status for r in store.runs(5)] == ["ok"]  # each company sees its own runs
    assert pg.limiter("C0001", 3).slots == 3
    assert "password" not in repr(pg).lower()


def test_a_run_lock_held_elsewhere_skips_the_company(
    fleet: tuple[PostgresFleet, MemoryFleet],
) -> None:
    pg, memory = fleet
    lock = pg.store("C0001").run_lock()
    lock.acquire()
    try:
        result = sync_company(pg, "C0001")
    finally:
        lock.release()
    assert result.status == "skipped"
    assert memory.emulators["C0001"].stats.http_requests == 0
