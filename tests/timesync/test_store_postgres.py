# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""What only the PostgreSQL store has to prove: companies sharing one database never see each
other, its run lock dies with its holder, rows being sent are skipped by a second writer, and
workers migrating at once are safe."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.conftest import subprocess_env
from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    add_timesheets,
    app,
    client,
    emulator,
    live_timesheets,
)

from intacct_sdk import Client
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._faults import FaultPlan
from timesync.engine import Engine, EngineOptions, PushOptions
from timesync.local import ReferenceApp
from timesync.store import (
    PG_MIGRATIONS,
    CorrectionSheet,
    Cursor,
    DecisionNotice,
    ErrorEntry,
    Link,
    LockHeldError,
    Notice,
    OutboxEntry,
    OutboxState,
    PostgresStateStore,
    StateStoreError,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def two(pg_pool: Any, pg_schema: str) -> Iterator[tuple[PostgresStateStore, PostgresStateStore]]:
    a = PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    b = PostgresStateStore(pg_pool, "C0002", schema=pg_schema)
    yield a, b
    a.close()
    b.close()


def _fill(s: PostgresStateStore) -> int:
    when = datetime(2024, 1, 2, tzinfo=UTC)
    s.put_link(Link("EMPLOYEE", "E1", "1", record_no=5, facts={"department_key": "D"}))
    s.set_cursor(Cursor("EMPLOYEE", when, 5))
    run = s.start_run("incremental")
    s.put_outbox(OutboxEntry("TIMESHEET", "1", "r1", "create", "cid-1", run_id=run))
    s.record_error(ErrorEntry("TIMESHEET", "1", "error", "boom", first_run=run, last_run=run))
    s.queue_notice(Notice("TIMESHEET", "1", 9, "Submitted"))
    s.queue_decision(DecisionNotice("TIMESHEET", "1", 9, "{}", when))
    s.put_correction_sheet(CorrectionSheet("TIMESHEET", "1", 1, 10))
    s.set_meta("installation_id", f"inst-{s.company_id}")
    return run


def test_two_companies_in_one_database_never_see_each_others_rows(
    two: tuple[PostgresStateStore, PostgresStateStore],
) -> None:
    a, b = two
    run_a = _fill(a)
    assert b.get_link("EMPLOYEE", "E1") is None
    assert list(b.links("EMPLOYEE")) == []
    assert b.links_by_record_no("EMPLOYEE", [5]) == {}
    assert b.cursors() == [] and b.runs() == [] and b.outbox() == [] and b.errors() == []
    assert b.pending_notices("TIMESHEET") == [] and b.pending_decisions("TIMESHEET") == []
    assert b.correction_sheets("TIMESHEET", ["1"]) == {}
    assert b.get_meta("installation_id") is None
    # the same keys in the other company are rows of their own; deletes stay on their side
    run_b = _fill(b)
    assert run_b != run_a
    b.delete_link("EMPLOYEE", "E1")
    b.reset_cursor("EMPLOYEE")
    b.resolve_error("TIMESHEET", "1")
    b.clear_notice(Notice("TIMESHEET", "1", 9, "Submitted"))
    assert a.get_link("EMPLOYEE", "E1") is not None
    assert a.get_cursor("EMPLOYEE") is not None
    assert len(a.errors()) == 1 and len(a.pending_notices("TIMESHEET")) == 1
    assert a.get_meta("installation_id") == "inst-C0001"
    assert [r.run_id for r in a.runs()] == [run_a]
    # a's writer is a's latest run, whatever b started since
    a.put_outbox(
        OutboxEntry("TIMESHEET", "2", "r1", "create", "cid-2", OutboxState.IN_FLIGHT, run_id=run_a)
    )


def test_the_run_lock_is_per_company_reentrant_and_held_against_other_sessions(
    pg_pool: Any, pg_schema: str, two: tuple[PostgresStateStore, PostgresStateStore]
) -> None:
    a, b = two
    again = PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    lock = a.run_lock()
    assert lock is a.run_lock()
    with lock:
        lock.acquire()
        lock.release()
        with pytest.raises(LockHeldError, match="C0001"):
            again.run_lock().acquire()
        with b.run_lock():  # another company is not blocked
            pass
    again.run_lock().acquire()
    again.close()
    a.run_lock().acquire()
    a.run_lock().release()


_HOLDER = """
import sys, time
from psycopg_pool import ConnectionPool
from timesync.store import PostgresStateStore
pool = ConnectionPool(sys.argv[1], min_size=1, max_size=2, open=True)
store = PostgresStateStore(pool, "C0001", schema=sys.argv[2])
store.run_lock().acquire()
print("held", flush=True)
time.sleep(120)
"""


def test_a_killed_worker_leaves_no_run_lock_behind(
    postgres_dsn: str, pg_pool: Any, pg_schema: str
) -> None:
    mine = PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, postgres_dsn, pg_schema],
        stdout=subprocess.PIPE,
        env=subprocess_env(),
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError):
            mine.run_lock().acquire()
        proc.kill()  # SIGKILL: its connection drops, PostgreSQL drops the lock
        proc.wait(timeout=30)
    for _ in range(100):  # the server notices the closed socket at once; allow it a moment
        try:
            mine.run_lock().acquire()
            break
        except LockHeldError:
            threading.Event().wait(0.05)
    assert mine.run_lock().held
    mine.close()


def test_rows_being_sent_are_skipped_by_a_second_writer(pg_pool: Any, pg_schema: str) -> None:
    a = PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    b = PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    for i in range(3):
        a.put_outbox(OutboxEntry("TIMESHEET", str(i), "r1", "create", f"cid-{i}"))
    claimed = threading.Event()
    done = threading.Event()
    seen: dict[str, list[str]] = {}

    def first() -> None:
        with a.transaction():
            rows = a.outbox(states=[OutboxState.PENDING], local_id="1")
            seen["a"] = [r.control_id for r in rows]
            claimed.set()
            done.wait(30)

    t = threading.Thread(target=first)
    t.start()
    try:
        assert claimed.wait(30)
        with b.transaction():
            seen["b"] = [r.control_id for r in b.outbox(states=[OutboxState.PENDING])]
        # a plain read (no transaction) still lists every row
        seen["all"] = [r.control_id for r in b.outbox(states=[OutboxState.PENDING])]
    finally:
        done.set()
        t.join(30)
    assert seen == {"a": ["cid-1"], "b": ["cid-0", "cid-2"], "all": ["cid-0", "cid-1", "cid-2"]}


def test_workers_migrating_at_once_create_the_schema_once(pg_pool: Any, pg_schema: str) -> None:
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def worker() -> None:
        barrier.wait(30)
        try:
            results.append(PostgresStateStore.migrate(pg_pool, schema=pg_schema))
        except Exception as exc:  # reported below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [len(PG_MIGRATIONS)] * 4
    with pg_pool.connection() as conn:
        query = f'SELECT version FROM "{pg_schema}".migrations ORDER BY 1'  # noqa: S608
        rows = conn.execute(query).fetchall()
    assert [r[0] for r in rows] == list(range(1, len(PG_MIGRATIONS) + 1))
    store = PostgresStateStore(pg_pool, "C0001", schema=pg_schema, migrate=False)
    assert store.schema_version == len(PG_MIGRATIONS)


def test_a_missing_or_newer_schema_is_refused(pg_pool: Any, pg_schema: str) -> None:
    with pytest.raises(StateStoreError, match="version 0"):
        PostgresStateStore(pg_pool, "C0001", schema=pg_schema, migrate=False)
    PostgresStateStore.migrate(pg_pool, schema=pg_schema)
    with pg_pool.connection() as conn:
        conn.execute(f'INSERT INTO "{pg_schema}".migrations (version) VALUES (99)')  # noqa: S608
    with pytest.raises(StateStoreError, match="99"):
        PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    with pytest.raises(StateStoreError, match="99"):
        PostgresStateStore.migrate(pg_pool, schema=pg_schema)
    with pytest.raises(ValueError, match="identifier"):
        PostgresStateStore(pg_pool, "C0001", schema='x"; DROP TABLE y; --')


def test_an_engine_pushes_exactly_once_through_the_postgres_store(
    client: Client, emulator: Emulator, app: ReferenceApp, pg_pool: Any, pg_schema: str
) -> None:
    store = PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    engine = Engine(
        client, app, store, options=EngineOptions(push=PushOptions(target_state="Approved"))
    )
    engine.run()
    ids = add_timesheets(app, 4)
    # the batch of creates is applied, then the connection drops: recovered by read-back
    emulator.faults = FaultPlan.parse(f"lost@{emulator.stats.http_requests + 1}")
    engine.run(["TIMESHEET"])
    emulator.faults = None
    engine.run(["TIMESHEET"])
    live = live_timesheets(emulator)
    assert sorted(live) == sorted(ids)
    assert all(len(v) == 1 and v[0]["STATE"] == "Approved" for v in live.values())
    assert store.outbox(states=[OutboxState.IN_FLIGHT, OutboxState.PENDING]) == []
    assert {lk.local_id for lk in store.links("TIMESHEET")} == set(ids)
    assert [r.status for r in store.runs()][:1] == ["ok"]
    assert not store.run_lock().held
    store.close()


def test_no_secret_reaches_the_store(
    client: Client, emulator: Emulator, app: ReferenceApp, pg_pool: Any, pg_schema: str
) -> None:
    store = PostgresStateStore(pg_pool, "C0001", schema=pg_schema)
    Engine(client, app, store).run()
    add_timesheets(app, 2)
    Engine(client, app, store).run()
    creds = emulator.credentials
    secrets = [creds.sender_password, creds.user_password]
    with pg_pool.connection() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (pg_schema,),
            )
        ]
        dump = "".join(
            str(conn.execute(f'SELECT * FROM "{pg_schema}"."{t}"').fetchall())  # noqa: S608
            for t in tables
        )
    assert dump and all(s not in dump for s in secrets)
    assert "C0001" in repr(store) and all(s not in repr(store) for s in secrets)
