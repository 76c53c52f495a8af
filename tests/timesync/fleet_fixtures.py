"""A fleet of in-process emulated companies for the fleet and Celery task tests: a SQLite
store and a reference app per company in a folder, and a counting limiter per company."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs

from intacct_sdk import ClientOptions, Credentials, RetryPolicy
from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator
from intacct_sdk.testing._seed import demo_company
from timesync.engine import EngineOptions, PushOptions
from timesync.fleet import CompanySetup
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore, StateStore

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


def make_company(company_id: str, seed: int) -> Emulator:
    creds = attrs.evolve(DEMO_CREDENTIALS, company_id=company_id, user_password=SECRET)
    company = demo_company(employees=3, projects=1, tasks_per_project=2, customers=1, seed=seed)
    return Emulator(company, credentials=creds)


def enter_timesheets(fleet: MemoryFleet, company_id: str) -> int:
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


def timesheets(emulator: Emulator) -> int:
    return len(list(emulator.company.records("TIMESHEET")))
