"""The run lock lives in the state store, and the outbox refuses a second writer (the
protocol tests run over SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from timesync.store import (
    LockHeldError,
    LockLostError,
    OutboxEntry,
    OutboxState,
    SQLiteStateStore,
    StateStore,
)


def _row(run_id: int, control_id: str = "c1") -> OutboxEntry:
    return OutboxEntry(
        "TIMESHEET", "7", "1", "create", control_id, OutboxState.IN_FLIGHT, 1, run_id=run_id
    )


def test_the_lock_is_on_the_database_file_and_no_lock_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SQLiteStateStore(path) as a, SQLiteStateStore(path) as b:
        with a.run_lock():
            with pytest.raises(LockHeldError, match=r"state\.db"):
                b.run_lock().acquire()
            # whatever an operator deletes beside the database, the lock holds
            for extra in tmp_path.glob("*.lock"):
                extra.unlink()
            with pytest.raises(LockHeldError):
                b.run_lock().acquire()
        b.run_lock().acquire()
        b.run_lock().release()
    assert not list(tmp_path.glob("*.lock"))


def test_the_lock_is_reentrant_for_its_holder(store_pair: tuple[StateStore, StateStore]) -> None:
    a, b = store_pair
    lock = a.run_lock()
    assert lock is a.run_lock()
    lock.acquire()
    lock.acquire()
    lock.release()
    with pytest.raises(LockHeldError):
        b.run_lock().acquire()  # still held once
    lock.release()
    b.run_lock().acquire()


def test_locking_leaves_the_database_intact(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SQLiteStateStore(path) as a, a.run_lock():
        run = a.start_run("incremental")
        a.put_outbox(_row(run))
    with SQLiteStateStore(path) as again:
        assert again.get_outbox("c1") is not None
        assert again.schema_version >= 4


def test_a_dead_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SQLiteStateStore(path).close()
    code = (
        "import sys, time\n"
        "from timesync.store import SQLiteStateStore\n"
        "s = SQLiteStateStore(sys.argv[1]); s.run_lock().acquire()\n"
        "print('held', flush=True); time.sleep(120)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with SQLiteStateStore(path) as mine:
            with pytest.raises(LockHeldError):
                mine.run_lock().acquire()
            proc.kill()  # SIGKILL: no chance to release anything
            proc.wait(timeout=30)
            mine.run_lock().acquire()
            mine.run_lock().release()


def test_an_earlier_run_cannot_claim_a_write_once_a_later_run_started(
    store_pair: tuple[StateStore, StateStore],
) -> None:
    first, second = store_pair
    run1 = first.start_run("incremental")
    first.put_outbox(_row(run1, "a"))
    run2 = second.start_run("incremental")  # overlapping, the lock bypassed
    with pytest.raises(LockLostError, match=f"run {run2} started"):
        first.put_outbox(_row(run1, "b"))
    assert first.get_outbox("b") is None
    second.put_outbox(_row(run2, "b"))
    # an earlier run may still settle what it had in flight (done, failed, pending)
    first.put_outbox(attrs.evolve(_row(run1, "a"), state=OutboxState.DONE))
    done = first.get_outbox("a")
    assert done is not None and done.state is OutboxState.DONE


def test_a_dry_run_does_not_take_the_writer_over(store: StateStore) -> None:
    run1 = store.start_run("incremental")
    store.start_run("incremental", dry_run=True)
    store.put_outbox(_row(run1))


def test_a_database_deleted_during_a_run_stops_its_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SQLiteStateStore(path) as store:
        run = store.start_run("incremental")
        store.put_outbox(_row(run, "a"))
        for f in tmp_path.glob("state.db*"):
            os.unlink(f)
        with pytest.raises(LockLostError, match="deleted or replaced"):
            store.put_outbox(_row(run, "b"))
