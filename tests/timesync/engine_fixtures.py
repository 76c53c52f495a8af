"""Fixtures for the engine tests: an emulated company, a client on it, the reference app, and
the local documents (timesheets, expense reports) to push."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from intacct_sdk import Client, ClientOptions, Credentials, RetryPolicy
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._seed import demo_company
from timesync.engine import Engine, EngineOptions, PushOptions
from timesync.engine._streams import change_facts
from timesync.local import EntryInput, ExpenseInput, ReferenceApp
from timesync.store import SQLiteStateStore

PULLED = EngineOptions().pull_objects
"""The objects a default engine pulls, in order."""
FREQUENT = tuple(o for o in PULLED if not change_facts(o).snapshot_only)
"""Those the frequent incremental pass reads (one first page each); the others have no change
cursor and are read whole by the periodic pass."""
FIRST_READS = {o: 1 if change_facts(o).snapshot_only else 2 for o in PULLED}
"""Reads of each object on a first or full run: records with a WHENMODIFIED and those without
one (an object without a change cursor: one snapshot)."""
DELETIONS = "AUDITHISTORY"
"""Every incremental run (a first one included) also reads the pulled objects' deletions from
the audit trail: one more function in the same request."""

FAST_RETRY = RetryPolicy(attempts=4, initial_backoff=0.001, max_backoff=0.002, sleep=lambda _: None)


def credentials(emulator: Emulator, endpoint_url: str | None = None) -> Credentials:
    c = emulator.credentials
    return Credentials(
        sender_id=c.sender_id,
        sender_password=c.sender_password,
        company_id=c.company_id,
        user_id=c.user_id,
        user_password=c.user_password,
        endpoint_url=endpoint_url,
    )


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(demo_company(employees=12, projects=4, tasks_per_project=3, customers=4))


def engine_client(emulator: Emulator, **options: Any) -> Client:
    """A client on the emulator as the engine tests use it: ``uniqueid=true``, fast retries,
    the emulated user's zone (UTC); ``options`` override."""
    return Client(
        credentials(emulator),
        options=ClientOptions(
            **{"unique_id": True, "retry": FAST_RETRY, "timezone": UTC, **options}
        ),
        transport=emulator.transport(),
    )


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    with engine_client(emulator) as c:
        yield c


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ReferenceApp]:
    with ReferenceApp(tmp_path / "app.db") as a:
        yield a


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStateStore]:
    with SQLiteStateStore(tmp_path / "state.db") as s:
        yield s


EngineFactory = Callable[..., Engine]


@pytest.fixture
def make_engine(
    client: Client, app: ReferenceApp, store: SQLiteStateStore, tmp_path: Path
) -> EngineFactory:
    def make(target_state: str = "Submitted", **options: Any) -> Engine:
        push = PushOptions(target_state=target_state, **options.pop("push", {}))  # type: ignore[arg-type]
        return Engine(
            client,
            app,
            store,
            options=EngineOptions(push=push, **options),
        )

    return make


def local_of(stamp: Any) -> str:
    """The local id in a pushed record's stamp (``INSTALLATION:LOCAL_ID``)."""
    owner, sep, local_id = str(stamp).partition(":")
    return local_id if sep else owner


def live_documents(emulator: Emulator, object_name: str) -> dict[str, list[dict[str, Any]]]:
    """Intacct documents of ``object_name`` that are not declined, by the local id stamped on
    them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in emulator.company.records(object_name):
        if rec.get("STATE") != "Declined" and rec.get("TIMESYNC_ID"):
            out.setdefault(local_of(rec["TIMESYNC_ID"]), []).append(rec)
    return out


def live_timesheets(emulator: Emulator) -> dict[str, list[dict[str, Any]]]:
    """Intacct timesheets that are not declined, by the local id stamped on them."""
    return live_documents(emulator, "TIMESHEET")


def add_timesheets(app: ReferenceApp, count: int, *, week: date = date(2025, 1, 6)) -> list[str]:
    """``count`` approved timesheets over the app's people and first active task."""
    people = [r for r in app.list_records("EMPLOYEE") if r.active]
    task = next(r for r in app.list_records("TASK") if r.active)
    project, _, code = (task.key or "").partition("/")
    ids = []
    for i in range(count):
        person = people[i % len(people)]
        entries = [
            EntryInput(week, Decimal("7.5"), project, code, notes=f"sheet {i}"),
            EntryInput(week.replace(day=week.day + 1), Decimal(i % 8 + 1), project, code),
        ]
        ids.append(app.create_timesheet(str(person.key), week, entries))
    return ids


def live_expense_reports(emulator: Emulator) -> dict[str, list[dict[str, Any]]]:
    """Intacct expense reports that are not declined, by the local id stamped on them."""
    return live_documents(emulator, "EEXPENSES")


def expense_lines(emulator: Emulator, record_no: Any) -> list[tuple[str, str, str, str, str]]:
    """The lines of one Intacct expense report: (date, amount, type, project, notes), sorted."""
    return sorted(
        (
            str(x.get("ENTRYDATE") or ""),
            str(x.get("AMOUNT") or ""),
            str(x.get("EXPENSETYPE") or ""),
            str(x.get("PROJECTID") or ""),
            str(x.get("PAIDFOR") or ""),
        )
        for x in emulator.company.records("EEXPENSESITEM")
        if str(x.get("RECORDKEY")) == str(record_no)
    )


def add_expense_reports(
    app: ReferenceApp, count: int, *, day: date = date(2025, 1, 10), first: int = 0
) -> list[str]:
    """``count`` approved expense reports over the app's people and first active project,
    two lines each (numbered from ``first``, so later batches differ)."""
    people = [r for r in app.list_records("EMPLOYEE") if r.active]
    project = next(r for r in app.list_records("PROJECT") if r.active)
    ids = []
    for i in range(first, first + count):
        person = people[i % len(people)]
        lines = [
            ExpenseInput(day, Decimal("120.00") + i, "Hotel", project.key, notes=f"trip {i}"),
            ExpenseInput(day, Decimal(i % 5 + 1) * Decimal("9.50"), "Meals"),
        ]
        ids.append(
            app.create_expense_report(str(person.key), day, lines, description=f"report {i}")
        )
    return ids
