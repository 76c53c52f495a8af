"""The Celery app the fleet tests and the fleet bench run real workers of
(``celery -A tests.fleet_app worker``), and the test fleet behind it.

Everything comes from the environment, so a worker subprocess needs nothing else:

``TIMESYNC_FLEET_BROKER``
    The Redis URL (broker, claims, and the markers the kill test watches).
``TIMESYNC_FLEET_DIR``
    A folder with ``companies.txt`` (one company id a line) and the companies' local apps
    (``apps/<company>.db``); with no DSN also their SQLite state stores and slot files.
``TIMESYNC_FLEET_ENDPOINT``
    The multi-company emulator's gateway URL.
``TIMESYNC_FLEET_DSN``
    A PostgreSQL DSN: state store and limiter in one shared database. Without it each
    company has a SQLite store and a limiter of ``flock``-ed slot files (one machine only).
``TIMESYNC_FLEET_SCHEMA``
    The PostgreSQL schema of the state (default ``timesync``).
``TIMESYNC_FLEET_SLOTS`` / ``TIMESYNC_FLEET_BATCH``
    Request slots per company (default 2) and timesheets per push request (default 50).
"""

from __future__ import annotations

import fcntl
import os
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from celery import Celery

from intacct_sdk import Client, ClientOptions, Credentials, RetryPolicy
from intacct_sdk.functions import Query
from intacct_sdk.testing import DEMO_CREDENTIALS
from timesync.contrib.celery import TaskOptions, make_tasks
from timesync.engine import EngineOptions, Hooks, PushOptions
from timesync.fleet import CompanySetup
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore, StateStore

PUSHING = "fleet-test:pushing:"
"""Key prefix of the markers a worker process sets while it pushes a company's timesheets
(``<prefix><pid>`` = company id); the kill test picks its victims from them."""
RUNS = "fleet-test:runs"
"""A hash: company id -> runs that finished (killed ones never do)."""
FIRST_WEEK = date(2025, 1, 6)


def _env(name: str, default: str | None = None, *, env: Mapping[str, str] = os.environ) -> str:
    value = env.get(name, default)
    if value is None:
        raise RuntimeError(f"{name} is not set")
    return value


def credentials(company_id: str, endpoint: str) -> Credentials:
    """The emulator's demo sender and user, logging in to ``company_id``."""
    c = DEMO_CREDENTIALS
    return Credentials(
        sender_id=c.sender_id,
        sender_password=c.sender_password,
        company_id=company_id,
        user_id=c.user_id,
        user_password=c.user_password,
        endpoint_url=endpoint,
    )


CLIENT_OPTIONS = ClientOptions(
    timezone=UTC,
    login_with_first_request=True,
    retry=RetryPolicy(attempts=6, initial_backoff=0.05, max_backoff=0.5),
)


class FileLimiter:
    """``slots`` request slots per company as ``flock``-ed files: a process that dies frees
    its slot with its descriptors (one machine only; the shared database's limiter replaces
    it where there is one)."""

    def __init__(self, folder: Path, company_id: str, slots: int, wait: float = 60.0) -> None:
        self.paths = [folder / f"{company_id}.slot{k}" for k in range(slots)]
        self.slots = slots
        self.wait = wait
        folder.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _held(self) -> Iterator[None]:
        deadline = time.monotonic() + self.wait
        while True:
            for path in random.sample(self.paths, len(self.paths)):
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                return
            if time.monotonic() > deadline:
                from intacct_sdk import SlotWaitTimeoutError

                raise SlotWaitTimeoutError("no request slot freed up in time")
            time.sleep(random.uniform(0.002, 0.01))

    def slot(self) -> AbstractContextManager[None]:
        return self._held()


class PushMarker(Hooks):
    """Marks this process as pushing ``company_id`` in Redis from its first applied
    timesheet to the end of the run."""

    def __init__(self, redis_client: Any, company_id: str) -> None:
        self.redis = redis_client
        self.company_id = company_id
        self.key = f"{PUSHING}{os.getpid()}"

    def record_applied(self, object_name: str, key: str, action: str) -> None:
        if object_name == "TIMESHEET":
            self.redis.set(self.key, self.company_id, ex=60)

    def run_finished(self, report: Any) -> None:
        self.redis.delete(self.key)
        self.redis.hincrby(RUNS, self.company_id, 1)


class DirFleet:
    """The test fleet: companies listed in a file, apps and (without a DSN) state in a folder."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        import redis

        env = os.environ if env is None else env
        self.folder = Path(_env("TIMESYNC_FLEET_DIR", env=env))
        self.endpoint = _env("TIMESYNC_FLEET_ENDPOINT", env=env)
        self.dsn = env.get("TIMESYNC_FLEET_DSN") or None
        self.schema = env.get("TIMESYNC_FLEET_SCHEMA") or "timesync"
        self.slots = int(_env("TIMESYNC_FLEET_SLOTS", "2", env=env))
        self.batch = int(_env("TIMESYNC_FLEET_BATCH", "50", env=env))
        self.redis = redis.Redis.from_url(_env("TIMESYNC_FLEET_BROKER", env=env))
        self._pool: Any = None

    def pool(self) -> Any:
        if self._pool is None:
            from psycopg_pool import ConnectionPool

            self._pool = ConnectionPool(self.dsn, min_size=1, max_size=8, open=True)
        return self._pool

    def close(self) -> None:
        self.redis.close()
        if self._pool is not None:
            self._pool.close()

    def companies(self) -> Iterable[str]:
        return read_companies(self.folder)

    def setup(self, company_id: str) -> CompanySetup:
        return CompanySetup(
            company_id=company_id,
            credentials=credentials(company_id, self.endpoint),
            local=ReferenceApp(self.folder / "apps" / f"{company_id}.db"),
            options=EngineOptions(push=PushOptions(target_state="Approved", batch_size=self.batch)),
            slots=self.slots,
            client_options=CLIENT_OPTIONS,
            hooks=PushMarker(self.redis, company_id),
        )

    def store(self, company_id: str) -> StateStore:
        if self.dsn:
            from timesync.store import PostgresStateStore

            store: StateStore = PostgresStateStore(self.pool(), company_id, schema=self.schema)
            return store
        (self.folder / "state").mkdir(exist_ok=True)
        return SQLiteStateStore(self.folder / "state" / f"{company_id}.db")

    def limiter(self, company_id: str, slots: int) -> Any:
        if self.dsn:
            from timesync.store import PostgresLimiter

            return PostgresLimiter(self.pool(), company_id, slots, wait=60.0)
        return FileLimiter(self.folder / "slots", company_id, slots)


def read_companies(folder: Path) -> list[str]:
    text = (folder / "companies.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def prepare(
    folder: Path, endpoint: str, companies: list[str], *, weeks: int = 1, per_company: int = 3
) -> dict[str, int]:
    """Write ``companies.txt`` and enter approved timesheets in each company's local app:
    ``weeks`` per active employee (at most ``per_company`` employees), on the company's
    tasks as the emulator serves them. Returns the timesheets entered per company."""
    (folder / "apps").mkdir(parents=True, exist_ok=True)
    (folder / "companies.txt").write_text("".join(f"{c}\n" for c in companies), encoding="utf-8")
    entered: dict[str, int] = {}
    for company_id in companies:
        with Client(credentials(company_id, endpoint), options=CLIENT_OPTIONS) as client:
            people, projects, tasks = client.execute(
                [
                    Query("EMPLOYEE", ("EMPLOYEEID", "STATUS"), None),
                    Query("PROJECT", ("PROJECTID", "STATUS"), None),
                    Query("TASK", ("PROJECTID", "TASKID"), None),
                ]
            )
        employees = sorted(
            str(r["EMPLOYEEID"]) for r in _records(people) if str(r["STATUS"]) == "active"
        )[:per_company]
        active = {str(r["PROJECTID"]) for r in _records(projects) if str(r["STATUS"]) == "active"}
        task_ids = sorted(
            (str(r["PROJECTID"]), str(r["TASKID"]))
            for r in _records(tasks)
            if str(r["PROJECTID"]) in active
        )
        if not task_ids:  # a seed can close every project: nothing to enter time on
            employees = []
        with ReferenceApp(folder / "apps" / f"{company_id}.db") as app, app.transaction():
            for n, employee in enumerate(employees):
                for week in range(weeks):
                    monday = FIRST_WEEK + timedelta(weeks=week)
                    project, task = task_ids[(n + week) % len(task_ids)]
                    entries = [
                        EntryInput(
                            entry_date=monday + timedelta(days=day),
                            hours=Decimal(4 + (n + day) % 4),
                            project_number=project,
                            task_code=task,
                            notes="fleet work",
                        )
                        for day in range(5)
                    ]
                    app.create_timesheet(
                        employee,
                        monday,
                        entries,
                        import_key=f"fleet-{company_id}-{employee}-{monday.isoformat()}",
                    )
        entered[company_id] = len(employees) * weeks
    return entered


def _records(result: Any) -> list[Any]:
    result.raise_for_error()
    return [] if result.page is None else list(result.page.records)


def make_app() -> Celery:
    broker = _env("TIMESYNC_FLEET_BROKER", "redis://127.0.0.1:6379/0")
    app = Celery("fleet_app", broker=broker)
    app.conf.update(
        task_ignore_result=True,
        worker_prefetch_multiplier=1,  # a killed process loses one task, not a batch
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
    )
    return app


app = make_app()
tasks = make_tasks(
    app,
    lambda: DirFleet(),
    options=TaskOptions(
        max_retries=8,
        backoff=0.2,
        backoff_max=2.0,
        soft_time_limit=120.0,
        time_limit=150.0,
        claim_ttl=300.0,
    ),
)
