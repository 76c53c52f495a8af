"""timesync.fleet.sync_company over in-process emulated companies, a SQLite store per company
and the client's own limiter: results, skips, transient and permanent failures, secrets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from intacct_sdk import (
    AuthenticationError,
    ClientOptions,
    ConfigurationError,
    Credentials,
    RateLimitError,
    RequestNotSentError,
    ResponseLostError,
    RetryPolicy,
    ServerError,
)
from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator, FaultPlan
from intacct_sdk.testing._seed import demo_company
from timesync.engine import EngineOptions, PushOptions
from timesync.errors import ConfigurationError as SyncConfigurationError
from timesync.errors import GatewayUnreachableError, MappingError
from timesync.fleet import CompanySetup, Fleet, is_transient, sync_company
from timesync.local import EntryInput, ReferenceApp
from timesync.store import LockLostError, SQLiteStateStore, StateStore

NO_RETRY = RetryPolicy(attempts=1, sleep=lambda _: None)
SECRET = "s3cret-user-password"


class CountingLimiter:
    """A limiter of ``slots`` slots (threads only) that counts what it handed out."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._sem = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self.taken = 0
        self.held = 0
        self.peak = 0

    @contextmanager
    def _slot(self) -> Iterator[None]:
        with self._sem:
            with self._lock:
                self.taken += 1
                self.held += 1
                self.peak = max(self.peak, self.held)
            try:
                yield
            finally:
                with self._lock:
                    self.held -= 1

    def slot(self) -> AbstractContextManager[None]:
        return self._slot()


class MemoryFleet:
    """A fleet of in-process emulated companies, each with its own files under ``folder``."""

    def __init__(self, folder: Path, emulators: dict[str, Emulator]) -> None:
        self.folder = folder
        self.emulators = emulators
        self.limiters: dict[str, CountingLimiter] = {}
        self.password: dict[str, str] = {}
        self.retry = NO_RETRY
        self.named: dict[str, str] = {}

    def companies(self) -> Iterable[str]:
        return list(self.emulators)

    def setup(self, company_id: str) -> CompanySetup:
        emulator = self.emulators[company_id]
        c = emulator.credentials
        return CompanySetup(
            company_id=self.named.get(company_id, company_id),
            credentials=Credentials(
                sender_id=c.sender_id,
                sender_password=c.sender_password,
                company_id=c.company_id,
                user_id=c.user_id,
                user_password=self.password.get(company_id, c.user_password),
            ),
            local=ReferenceApp(self.folder / f"{company_id}-app.db"),
            options=EngineOptions(push=PushOptions(target_state="Approved", batch_size=2)),
            client_options=ClientOptions(timezone=UTC, retry=self.retry),
            transport=emulator.transport(),
        )

    def store(self, company_id: str) -> StateStore:
        return SQLiteStateStore(self.folder / f"{company_id}-state.db")

    def limiter(self, company_id: str, slots: int) -> CountingLimiter:
        return self.limiters.setdefault(company_id, CountingLimiter(slots))


def _company(company_id: str, seed: int) -> Emulator:
    creds = attrs.evolve(DEMO_CREDENTIALS, company_id=company_id, user_password=SECRET)
    company = demo_company(employees=3, projects=1, tasks_per_project=2, customers=1, seed=seed)
    return Emulator(company, credentials=creds)


def _enter_timesheets(fleet: MemoryFleet, company_id: str) -> int:
    company = fleet.emulators[company_id].company
    people = [r["EMPLOYEEID"] for r in company.records("EMPLOYEE") if r["STATUS"] == "active"]
    task = next(iter(company.records("TASK")))
    monday = date(2025, 1, 6)
    with ReferenceApp(fleet.folder / f"{company_id}-app.db") as app:
        for person in people:
            entries = [
                EntryInput(
                    entry_date=monday + timedelta(days=d),
                    hours=Decimal(6),
                    project_number=str(task["PROJECTID"]),
                    task_code=str(task["TASKID"]),
                )
                for d in range(5)
            ]
            app.create_timesheet(str(person), monday, entries)
    return len(people)


@pytest.fixture
def fleet(tmp_path: Path) -> MemoryFleet:
    return MemoryFleet(tmp_path, {"C0001": _company("C0001", 1), "C0002": _company("C0002", 2)})


def _timesheets(emulator: Emulator) -> int:
    return len(list(emulator.company.records("TIMESHEET")))


def test_the_memory_fleet_is_a_fleet(fleet: MemoryFleet) -> None:
    assert isinstance(fleet, Fleet)


def test_a_company_syncs_and_a_second_run_writes_nothing(fleet: MemoryFleet) -> None:
    entered = _enter_timesheets(fleet, "C0001")
    first = sync_company(fleet, "C0001")
    assert first.status == "synced" and first.ok and not first.transient
    assert first.run_id is not None and first.error is None
    assert first.summary["objects"]["TIMESHEET"]["created"] == entered
    assert _timesheets(fleet.emulators["C0001"]) == entered
    assert _timesheets(fleet.emulators["C0002"]) == 0  # the other company is untouched

    again = sync_company(fleet, "C0001")
    assert again.status == "synced"
    assert again.run_id is not None and again.run_id > first.run_id
    assert again.summary["objects"].get("TIMESHEET", {}).get("created", 0) == 0
    assert _timesheets(fleet.emulators["C0001"]) == entered


def test_every_request_holds_a_slot_of_the_company_limiter(fleet: MemoryFleet) -> None:
    if "limiter" not in attrs.fields_dict(ClientOptions):  # REBASE: remove with the shim
        pytest.skip("the client has no shared limiter yet")
    _enter_timesheets(fleet, "C0002")
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
    entered = _enter_timesheets(fleet, "C0002")
    emulator = fleet.emulators["C0002"]
    emulator.faults = FaultPlan.parse("lost:1")  # every write applied, its answer lost
    failed = sync_company(fleet, "C0002")
    assert failed.status == "failed" and failed.transient
    assert failed.run_id is not None  # the run finished, with steps not done
    emulator.faults = None
    done = sync_company(fleet, "C0002")
    assert done.status == "synced", done
    assert _timesheets(emulator) == entered  # each once, the lost ones adopted


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
