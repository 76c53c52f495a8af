"""Status across the companies of a shared PostgreSQL store, and ``timesync fleet status``."""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import pytest

from timesync.cli import main
from timesync.store import (
    ErrorEntry,
    OutboxEntry,
    OutboxState,
    PostgresStateStore,
    fleet_status,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def fleet(pg_pool: Any, pg_schema: str) -> str:
    synced = PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    first = synced.start_run("incremental")
    synced.finish_run(first, "ok", {})
    synced.start_run("incremental", dry_run=True)  # a plan is not a run of the fleet
    synced.record_error(ErrorEntry("TIMESHEET", "7", "error", "boom"))
    synced.put_outbox(OutboxEntry("TIMESHEET", "7", "r1", "create", "a"))
    synced.put_outbox(OutboxEntry("TIMESHEET", "8", "r1", "create", "b", OutboxState.FAILED))
    synced.put_outbox(
        OutboxEntry("TIMESHEET", "9", "r1", "create", "c", OutboxState.IN_FLIGHT, run_id=first)
    )
    synced.put_outbox(OutboxEntry("TIMESHEET", "6", "r1", "create", "d", OutboxState.DONE))
    died = PostgresStateStore(pg_pool, "C0002", schema=pg_schema)
    died.start_run("full")  # its worker was killed: never finished
    PostgresStateStore(pg_pool, "C0003", schema=pg_schema)  # no state yet: not listed
    return pg_schema


def test_every_company_with_state_is_listed_with_its_lag_errors_and_outbox(
    pg_pool: Any, fleet: str
) -> None:
    one, two = fleet_status(pg_pool, schema=fleet)
    assert (one.company_id, one.last_status, one.open_errors) == ("C0001", "ok", 1)
    assert (one.pending, one.in_flight) == (2, 1)
    assert one.last_finished is not None and one.last_success == one.last_started
    assert one.lag is not None and one.lag.total_seconds() >= 0
    assert (two.company_id, two.last_status, two.last_finished, two.lag) == (
        "C0002",
        "running",
        None,
        None,
    )
    assert (two.open_errors, two.pending, two.in_flight) == (0, 0, 0)


def test_the_command_prints_a_table_and_json(
    postgres_dsn: str, fleet: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fleet", "status", "--store", postgres_dsn, "--schema", fleet]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "company", "run", "status", "started", "finished", "lag", "errors", "pending", "in-flight"
    ]  # fmt: skip
    assert lines[1].split()[0] == "C0001" and lines[1].split()[-3:] == ["1", "2", "1"]
    assert lines[2].split()[0] == "C0002" and "running" in lines[2] and "never" in lines[2]
    assert main(["fleet", "status", "--store", postgres_dsn, "--schema", fleet, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["company_id"] for c in doc["companies"]] == ["C0001", "C0002"]
    assert doc["companies"][0]["pending"] == 2 and doc["companies"][1]["lag"] is None


def test_an_unreachable_store_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dsn = f"postgresql://ops:s3cret-pw@127.0.0.1:{port}/fleet"
    assert main(["fleet", "status", "--store", dsn]) == 2
    err = capsys.readouterr().err
    assert err.startswith("timesync: cannot read the fleet store") and len(err.splitlines()) == 1
    assert "s3cret-pw" not in err


def test_without_psycopg_the_command_names_the_extra_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "psycopg_pool", None)
    assert main(["fleet", "status", "--store", "postgresql://ops:s3cret-pw@127.0.0.1/x"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "intacct-timesync[postgres]" in err
    assert "s3cret-pw" not in err
