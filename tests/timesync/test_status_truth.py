# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""The store tells the truth: attempts that later landed are closed, and errors that later
runs got through leave the queue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    EngineFactory,
    add_timesheets,
    app,
    client,
    emulator,
    live_timesheets,
    make_engine,
    store,
)

from intacct_sdk import Client
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._faults import FaultPlan
from timesync.engine import Engine, EngineOptions
from timesync.local import EntryInput, ReferenceApp
from timesync.store import OutboxState, SQLiteStateStore

NOT_DONE = [OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.FAILED]


def _fail_next_create(emulator: Emulator) -> None:
    """The next run's first create fails (the gateway's transient function error)."""
    first = emulator.stats.http_requests + 1
    emulator.faults = FaultPlan.parse(f"function=create@{first}-{first + 20}")


def test_a_failed_create_that_lands_on_a_later_attempt_is_closed(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    [one, two] = add_timesheets(app, 2)
    _fail_next_create(emulator)
    failed = engine.run()
    assert [f.key for f in failed.failures] == [one]
    assert [r.local_id for r in store.outbox(states=NOT_DONE)] == [one]
    emulator.faults = FaultPlan()
    again = engine.run()
    assert again.ok and again.pending == 0
    assert store.outbox(states=NOT_DONE) == []
    [first_try] = store.outbox(states=[OutboxState.SUPERSEDED])
    assert first_try.local_id == one and first_try.step == "create"
    assert store.errors("TIMESHEET") == []
    assert sorted(live_timesheets(emulator), key=int) == [one, two]


def test_a_failed_revision_is_closed_when_a_newer_one_lands(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    [one, _] = add_timesheets(app, 2)
    _fail_next_create(emulator)
    engine.run()
    emulator.faults = FaultPlan()
    project, _, code = next(r for r in app.list_records("TASK") if r.active).key.partition("/")
    app.update_timesheet(one, [EntryInput(date(2025, 1, 6), Decimal("4"), project, code)])
    assert engine.run().ok
    assert store.outbox(states=NOT_DONE) == []
    [old] = store.outbox(states=[OutboxState.SUPERSEDED])
    assert (old.local_id, old.revision) == (one, "1")


def test_an_objects_pull_error_leaves_the_queue_once_a_pull_gets_through(
    make_engine: EngineFactory, emulator: Emulator, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    emulator.denied_objects = frozenset({"CUSTOMER"})
    first = engine.run()
    assert not first.ok
    assert [(e.object_name, e.key) for e in store.errors()] == [("CUSTOMER", "*")]
    emulator.denied_objects = frozenset()
    assert engine.run().ok
    assert store.errors() == []


class _Flaky(ReferenceApp):
    """A local system whose document listing fails until told otherwise."""

    broken = True

    def changed_documents(self, object_name: str, since: str | None) -> Any:
        if self.broken:
            raise RuntimeError("the app's database is being migrated")
        return super().changed_documents(object_name, since)


def test_a_local_system_that_cannot_list_documents_stops_only_its_push(
    emulator: Emulator, client: Client, tmp_path: Path, store: SQLiteStateStore
) -> None:
    with _Flaky(tmp_path / "flaky.db") as flaky:
        engine = Engine(client, flaky, store, options=EngineOptions())
        report = engine.run()
        assert report.objects["EMPLOYEE"].created > 0  # the pulls went on
        [failure] = report.failures
        assert (failure.object_name, failure.key) == ("TIMESHEET", "*")
        assert "being migrated" in failure.message
        flaky.broken = False
        [one] = add_timesheets(flaky, 1)
        assert engine.run().ok
        assert store.errors() == []
        assert list(live_timesheets(emulator)) == [one]
