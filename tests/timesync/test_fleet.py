"""timesync.fleet.sync_company over in-process emulated companies, a SQLite store per company
and the client's own limiter: results, skips, transient and permanent failures, secrets."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests.timesync.fleet_fixtures import (
    SECRET,
    MemoryFleet,
    enter_timesheets,
    make_company,
    timesheets,
)

from intacct_sdk import (
    AuthenticationError,
    ConfigurationError,
    RateLimitError,
    RequestNotSentError,
    ResponseLostError,
    ServerError,
)
from intacct_sdk.testing import FaultPlan
from timesync.errors import ConfigurationError as SyncConfigurationError
from timesync.errors import GatewayUnreachableError, MappingError
from timesync.fleet import Fleet, is_transient, sync_company
from timesync.store import LockLostError, SQLiteStateStore


@pytest.fixture
def fleet(tmp_path: Path) -> MemoryFleet:
    return MemoryFleet(
        tmp_path, {"C0001": make_company("C0001", 1), "C0002": make_company("C0002", 2)}
    )


def test_the_memory_fleet_is_a_fleet(fleet: MemoryFleet) -> None:
    assert isinstance(fleet, Fleet)


def test_a_company_syncs_and_a_second_run_writes_nothing(fleet: MemoryFleet) -> None:
    entered = enter_timesheets(fleet, "C0001")
    first = sync_company(fleet, "C0001")
    assert first.status == "synced" and first.ok and not first.transient
    assert first.run_id is not None and first.error is None
    assert first.summary["objects"]["TIMESHEET"]["created"] == entered
    assert timesheets(fleet.emulators["C0001"]) == entered
    assert timesheets(fleet.emulators["C0002"]) == 0  # the other company is untouched

    again = sync_company(fleet, "C0001")
    assert again.status == "synced"
    assert again.run_id is not None and again.run_id > first.run_id
    assert again.summary["objects"].get("TIMESHEET", {}).get("created", 0) == 0
    assert timesheets(fleet.emulators["C0001"]) == entered


def test_every_request_holds_a_slot_of_the_company_limiter(fleet: MemoryFleet) -> None:
    enter_timesheets(fleet, "C0002")
    emulator = fleet.emulators["C0002"]
    before = emulator.stats.http_requests
    result = sync_company(fleet, "C0002")
    assert result.status == "synced"
    limiter = fleet.limiters["C0002"]
    assert limiter.taken == emulator.stats.http_requests - before > 0
    assert limiter.peak <= 2
    assert limiter.held == 0


def test_a_company_whose_run_is_going_is_skipped(fleet: MemoryFleet) -> None:
    with SQLiteStateStore(fleet.folder / "C0001-state.db") as store:
        lock = store.run_lock()
        lock.acquire()
        try:
            result = sync_company(fleet, "C0001")
        finally:
            lock.release()
    assert result.status == "skipped" and result.ok and not result.transient
    assert result.error is None
    assert fleet.emulators["C0001"].stats.http_requests == 0


def test_refused_credentials_fail_for_good_without_the_password(
    fleet: MemoryFleet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fleet.password["C0001"] = "wrong-" + SECRET
    result = sync_company(fleet, "C0001")
    assert result.status == "failed" and not result.ok
    assert result.transient is False
    assert result.error is not None and result.error.startswith("AuthenticationError")
    assert "\n" not in result.error
    for text in (repr(result), str(result.as_dict()), caplog.text, repr(fleet.setup("C0001"))):
        assert SECRET not in text


def test_a_gateway_that_fails_is_a_transient_failure(fleet: MemoryFleet) -> None:
    fleet.emulators["C0001"].faults = FaultPlan.parse("http503:1")
    result = sync_company(fleet, "C0001")
    assert result.status == "failed" and result.transient
    assert result.error is not None and "status 503" in result.error


def test_a_push_left_in_flight_fails_transiently_and_the_next_run_finishes_it(
    fleet: MemoryFleet,
) -> None:
    entered = enter_timesheets(fleet, "C0002")
    emulator = fleet.emulators["C0002"]
    emulator.faults = FaultPlan.parse("lost:1")  # every write applied, its answer lost
    failed = sync_company(fleet, "C0002")
    assert failed.status == "failed" and failed.transient
    assert failed.run_id is not None  # the run finished, with steps not done
    emulator.faults = None
    done = sync_company(fleet, "C0002")
    assert done.status == "synced", done
    assert timesheets(emulator) == entered  # each once, the lost ones adopted


def test_a_setup_for_another_company_is_a_configuration_failure(fleet: MemoryFleet) -> None:
    fleet.named["C0001"] = "C0002"
    result = sync_company(fleet, "C0001")
    assert result.status == "failed" and not result.transient
    assert result.error is not None and "ConfigurationError" in result.error


def test_an_unknown_mode_is_refused(fleet: MemoryFleet) -> None:
    with pytest.raises(ValueError, match="mode"):
        sync_company(fleet, "C0001", mode="sometimes")


def test_a_full_run_of_some_objects(fleet: MemoryFleet) -> None:
    result = sync_company(fleet, "C0001", mode="full", objects=["EMPLOYEE"])
    assert result.status == "synced"
    assert set(result.summary["objects"]) == {"EMPLOYEE"}
    with SQLiteStateStore(fleet.folder / "C0001-state.db") as store:
        assert store.runs(1)[0].mode == "full"


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (RequestNotSentError("connect failed"), True),
        (ResponseLostError("reset"), True),
        (RateLimitError("GW-0010"), True),
        (ServerError("HTTP 502"), True),
        (LockLostError("state.db", "taken over"), True),
        (AuthenticationError("refused"), False),
        (ConfigurationError("bad option"), False),
        (SyncConfigurationError("bad spec"), False),
        (MappingError([]), False),
        (GatewayUnreachableError("down"), True),
        (RuntimeError("unknown"), False),
    ],
)
def test_transient_or_permanent(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_no_secret_reaches_the_state_store(fleet: MemoryFleet) -> None:
    enter_timesheets(fleet, "C0001")
    fleet.emulators["C0001"].faults = FaultPlan.parse("lost@3")  # an error recorded too
    sync_company(fleet, "C0001")
    fleet.emulators["C0001"].faults = None
    assert sync_company(fleet, "C0001").status == "synced"
    sender = fleet.emulators["C0001"].credentials.sender_password
    files = list(fleet.folder.glob("C0001-state.db*"))
    assert files
    for path in files:
        data = path.read_bytes()
        assert SECRET.encode() not in data and sender.encode() not in data


def test_the_fleet_modules_import_neither_celery_nor_psycopg() -> None:
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    code = (
        "import sys, timesync.fleet, timesync.contrib.celery\n"
        "loaded = [m for m in ('celery', 'kombu', 'redis', 'psycopg', 'psycopg_pool')"
        " if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], env=subprocess_env(), check=True, timeout=60)


def test_a_pull_only_and_a_push_only_run(fleet: MemoryFleet) -> None:
    entered = enter_timesheets(fleet, "C0002")
    pulled = sync_company(fleet, "C0002", part="pull")
    assert pulled.status == "synced"
    assert "TIMESHEET" not in pulled.summary["objects"] and "EMPLOYEE" in pulled.summary["objects"]
    assert timesheets(fleet.emulators["C0002"]) == 0
    pushed = sync_company(fleet, "C0002", part="push")
    assert pushed.status == "synced"
    assert set(pushed.summary["objects"]) <= {"TIMESHEET", "EEXPENSES"}
    assert timesheets(fleet.emulators["C0002"]) == entered
    with pytest.raises(ValueError, match="part"):
        sync_company(fleet, "C0002", part="sideways")
