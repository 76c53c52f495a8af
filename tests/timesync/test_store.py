"""The state stores (SQLite and PostgreSQL, through one protocol suite) and the file lock."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import subprocess_env

from timesync.store import (
    MIGRATIONS,
    CorrectionSheet,
    Cursor,
    DecisionNotice,
    ErrorEntry,
    FileLock,
    Link,
    LinkState,
    LockHeldError,
    Notice,
    OutboxEntry,
    OutboxState,
    SQLiteStateStore,
    StateStore,
    StateStoreError,
)


def test_is_a_state_store(store: StateStore) -> None:
    assert isinstance(store, StateStore)


def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    with SQLiteStateStore(tmp_path / "s.db") as s:
        assert s.schema_version == len(MIGRATIONS)
    conn = sqlite3.connect(tmp_path / "s.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert {"links", "cursors", "runs", "outbox", "errors"} <= tables


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    with SQLiteStateStore(tmp_path / "s.db") as s:
        s.set_cursor(Cursor("EMPLOYEE", datetime(2024, 1, 2, 3, 4, 5), 7))
    with SQLiteStateStore(tmp_path / "s.db") as s:
        assert s.get_cursor("EMPLOYEE") == Cursor("EMPLOYEE", datetime(2024, 1, 2, 3, 4, 5), 7)


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StateStoreError, match="schema"):
        SQLiteStateStore(tmp_path / "s.db")


def test_link_round_trip_and_lookup_by_local_id(store: StateStore) -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    link = Link("EMPLOYEE", "E1", "17", record_no=3, content_hash="h", remote_modified=when)
    store.put_link(link)
    assert store.get_link("EMPLOYEE", "E1") == link
    assert store.link_for_local("EMPLOYEE", "17") == link
    assert store.get_link("PROJECT", "E1") is None
    assert store.links_by_key("EMPLOYEE", ["E1", "E2"]) == {"E1": link}


def test_facts_and_lookup_by_record_no(store: StateStore) -> None:
    kept = Link("EMPLOYEE", "E1", "17", record_no=3, facts={"department_key": "D1"})
    none = Link("EMPLOYEE", "E2", "18", record_no=4)
    store.put_link(kept)
    store.put_link(none)
    assert store.get_link("EMPLOYEE", "E1") == kept
    assert store.get_link("EMPLOYEE", "E1").facts == {"department_key": "D1"}  # type: ignore[union-attr]
    assert store.get_link("EMPLOYEE", "E2").facts is None  # type: ignore[union-attr]
    assert store.links_by_record_no("EMPLOYEE", [4, 3, 99]) == {3: kept, 4: none}
    assert store.links_by_record_no("PROJECT", [3]) == {}


def test_a_store_of_an_older_schema_keeps_its_links_and_gains_facts(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1])
    conn.execute("INSERT INTO links (object_name, remote_key, local_id) VALUES ('ITEM', 'I1', '5')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with SQLiteStateStore(tmp_path / "s.db") as s:
        assert s.schema_version == len(MIGRATIONS)
        assert s.get_link("ITEM", "I1") == Link("ITEM", "I1", "5")


def test_a_schema_5_store_gains_the_correction_sheets_of_its_documents(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.executescript("".join(MIGRATIONS[:5]))
    conn.execute(
        "INSERT INTO links (object_name, remote_key, local_id, record_no)"
        " VALUES ('TIMESHEET', '5', '5', 40)"
    )
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with SQLiteStateStore(tmp_path / "s.db") as s:
        assert s.schema_version == 6
        assert s.get_link("TIMESHEET", "5") == Link("TIMESHEET", "5", "5", record_no=40)
        assert s.correction_sheets("TIMESHEET", ["5"]) == {}
        second = CorrectionSheet("TIMESHEET", "5", 2, 44, "Submitted", "r3", 9)
        s.put_correction_sheet(second)
        s.put_correction_sheet(CorrectionSheet("TIMESHEET", "5", 1, 42, "Approved"))
        s.put_correction_sheet(CorrectionSheet("TIMESHEET", "6", 1, 43))
        s.put_correction_sheet(attrs.evolve(second, remote_state="Approved"))
    with SQLiteStateStore(tmp_path / "s.db") as s:
        got = s.correction_sheets("TIMESHEET", ["5", "7"])
        assert list(got) == ["5"]
        assert [(c.number, c.record_no, c.remote_state) for c in got["5"]] == [
            (1, 42, "Approved"),
            (2, 44, "Approved"),
        ]
        assert got["5"][1].revision == "r3" and got["5"][1].last_run == 9
        assert s.correction_sheets("EEXPENSES", ["5"]) == {}


def test_a_local_record_belongs_to_one_link(store: StateStore) -> None:
    store.put_link(Link("EMPLOYEE", "E1", "17"))
    store.put_link(Link("EMPLOYEE", "E2", "17"))
    assert store.get_link("EMPLOYEE", "E1") is None
    assert store.link_for_local("EMPLOYEE", "17") == Link("EMPLOYEE", "E2", "17")


def test_unlinked_rows_have_no_local_id(store: StateStore) -> None:
    store.put_link(Link("EMPLOYEE", "E1", None, state=LinkState.UNLINKED))
    store.put_link(Link("EMPLOYEE", "E2", None, state=LinkState.UNLINKED))
    assert [link.remote_key for link in store.links("EMPLOYEE")] == ["E1", "E2"]


def test_transaction_rolls_back_links_and_cursor_together(store: StateStore) -> None:
    store.set_cursor(Cursor("PROJECT", datetime(2024, 1, 1), 1))

    def batch() -> None:
        with store.transaction():
            store.put_link(Link("PROJECT", "P1", "1"))
            store.set_cursor(Cursor("PROJECT", datetime(2024, 2, 1), 9))
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        batch()
    assert store.get_link("PROJECT", "P1") is None
    assert store.get_cursor("PROJECT") == Cursor("PROJECT", datetime(2024, 1, 1), 1)


def test_uncommitted_transaction_is_invisible_to_another_connection(
    store_pair: tuple[StateStore, StateStore],
) -> None:
    a, b = store_pair
    with a.transaction():
        a.put_link(Link("PROJECT", "P1", "1"))
        assert b.get_link("PROJECT", "P1") is None
    assert b.get_link("PROJECT", "P1") == Link("PROJECT", "P1", "1")


def test_outbox_update_in_place_keeps_order(store: StateStore) -> None:
    first = OutboxEntry("TIMESHEET", "1", "1", "create", "ts-1-v1-create")
    second = OutboxEntry("TIMESHEET", "2", "1", "create", "ts-2-v1-create")
    store.put_outbox(first)
    store.put_outbox(second)
    done = OutboxEntry(
        "TIMESHEET", "1", "1", "create", "ts-1-v1-create", OutboxState.DONE, 1, record_no=5
    )
    store.put_outbox(done)
    assert store.outbox() == [done, second]
    assert store.outbox(states=[OutboxState.PENDING]) == [second]
    assert store.get_outbox("ts-1-v1-create") == done


def test_error_queue_counts_attempts(store: StateStore) -> None:
    store.record_error(ErrorEntry("TIMESHEET", "7", "error", "boom", first_run=1, last_run=1))
    store.record_error(ErrorEntry("TIMESHEET", "7", "error", "again", first_run=2, last_run=2))
    [entry] = store.errors()
    assert (entry.attempts, entry.message, entry.first_run, entry.last_run) == (2, "again", 1, 2)
    store.resolve_error("TIMESHEET", "7")
    assert store.errors() == []


def test_runs_newest_first(store: StateStore) -> None:
    one = store.start_run("incremental")
    two = store.start_run("full", dry_run=True)
    store.finish_run(one, "ok", {"created": 3})
    runs = store.runs()
    assert [r.run_id for r in runs] == [two, one]
    assert runs[1].summary == {"created": 3}
    assert runs[0].dry_run
    assert runs[0].status == "running"


@given(
    st.lists(
        st.tuples(st.sampled_from(["E1", "E2", "E3"]), st.sampled_from(["a", "b", "c", "d"])),
        max_size=12,
    )
)
def test_links_behave_like_a_one_to_one_map(ops: list[tuple[str, str]]) -> None:
    """After any sequence of put_link calls, each remote key and each local id appear once,
    and the last binding written for a local id is the one kept."""
    with SQLiteStateStore(":memory:") as s:
        model: dict[str, str] = {}
        for remote, local in ops:
            s.put_link(Link("EMPLOYEE", remote, local))
            model = {r: loc for r, loc in model.items() if loc != local}
            model[remote] = local
        assert {lk.remote_key: lk.local_id for lk in s.links("EMPLOYEE")} == model


# --------------------------------------------------------------------------- lock


def test_lock_is_exclusive_and_reusable(tmp_path: Path) -> None:
    a = FileLock(tmp_path / "x.lock")
    b = FileLock(tmp_path / "x.lock")
    with a:
        with pytest.raises(LockHeldError):
            b.acquire()
        assert a.held
    b.acquire()
    b.release()
    b.release()


_HOLDER = """
import sys, time
from timesync.store import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_lock_held_by_another_process_is_released_when_it_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "state.db.lock"
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdout=subprocess.PIPE,
        env=subprocess_env(),
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError):
            FileLock(path).acquire()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    with FileLock(path) as lock:
        assert lock.held


def test_a_notice_is_replaced_by_a_newer_one_and_cleared_only_when_unchanged(
    store: StateStore,
) -> None:
    first = Notice("TIMESHEET", "7", 101, "Submitted")
    newer = Notice("TIMESHEET", "7", 101, "Approved")
    store.queue_notice(first)
    store.queue_notice(Notice("TIMESHEET", "8", 102, "Submitted"))
    store.queue_notice(newer)
    assert [n.local_id for n in store.pending_notices("TIMESHEET")] == ["8", "7"]
    store.clear_notice(first)  # delivered the old news: the newer notice must stay
    assert newer in store.pending_notices("TIMESHEET")
    store.clear_notice(newer)
    assert [n.local_id for n in store.pending_notices("TIMESHEET")] == ["8"]
    assert store.pending_notices("EEXPENSES") == []
    store.queue_notice(Notice("TIMESHEET", "9", None, None))  # withdrawn: NULLs still match
    store.clear_notice(Notice("TIMESHEET", "9", None, None))
    assert [n.local_id for n in store.pending_notices("TIMESHEET")] == ["8"]


def test_cursors_round_trip_list_and_reset(store: StateStore) -> None:
    when = datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
    store.set_cursor(Cursor("PROJECT", when, 12))
    store.set_cursor(Cursor("EMPLOYEE", None, 0, token="feed-7"))
    store.set_cursor(Cursor("PROJECT", when, 13))
    assert store.cursors() == [Cursor("EMPLOYEE", None, 0, "feed-7"), Cursor("PROJECT", when, 13)]
    store.reset_cursor("PROJECT")
    assert store.get_cursor("PROJECT") is None
    assert [c.object_name for c in store.cursors()] == ["EMPLOYEE"]


def test_correction_sheets_by_document_and_number(store: StateStore) -> None:
    store.put_correction_sheet(CorrectionSheet("TIMESHEET", "5", 2, 44, "Submitted", "r3", 9))
    store.put_correction_sheet(CorrectionSheet("TIMESHEET", "5", 1, 42, "Approved"))
    store.put_correction_sheet(CorrectionSheet("TIMESHEET", "6", 1, 43))
    store.put_correction_sheet(CorrectionSheet("TIMESHEET", "5", 2, 44, "Approved", "r3", 9))
    got = store.correction_sheets("TIMESHEET", ["5", "7"])
    assert list(got) == ["5"]
    assert [(c.number, c.remote_state) for c in got["5"]] == [(1, "Approved"), (2, "Approved")]
    assert store.correction_sheets("EEXPENSES", ["5"]) == {}


def test_decisions_are_pending_until_cleared_and_a_repeat_is_not_news(store: StateStore) -> None:
    when = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
    first = DecisionNotice("TIMESHEET", "7", 70, '{"state": "Approved"}', when)
    store.queue_decision(first)
    assert store.pending_decisions("TIMESHEET") == [first]
    store.clear_decision(first)
    assert store.pending_decisions("TIMESHEET") == []
    later = datetime(2024, 6, 4, 9, 0, tzinfo=UTC)
    store.queue_decision(attrs.evolve(first, modified=later))  # same payload: stays delivered
    assert store.pending_decisions("TIMESHEET") == []
    assert store.last_decision("TIMESHEET", "7") == attrs.evolve(
        first, modified=later, pending=False
    )
    declined = DecisionNotice("TIMESHEET", "7", 70, '{"state": "Declined"}', later)
    store.queue_decision(declined)
    store.clear_decision(first)  # the old news: the new decision stays pending
    assert store.pending_decisions("TIMESHEET") == [declined]
    assert store.last_decision("TIMESHEET", "8") is None


def test_meta_and_outbox_filters(store: StateStore) -> None:
    assert store.get_meta("installation_id") is None
    store.set_meta("installation_id", "i-1")
    store.set_meta("installation_id", "i-2")
    assert store.get_meta("installation_id") == "i-2"
    rows = [
        OutboxEntry("TIMESHEET", "1", "1", "create", "a"),
        OutboxEntry("EEXPENSES", "1", "1", "create", "b", OutboxState.FAILED),
        OutboxEntry("TIMESHEET", "2", "1", "create", "c", OutboxState.DONE),
    ]
    for row in rows:
        store.put_outbox(row)
    assert store.outbox(object_name="TIMESHEET") == [rows[0], rows[2]]
    assert store.outbox(local_id="1") == rows[:2]
    assert store.outbox(states=[OutboxState.FAILED, OutboxState.DONE]) == rows[1:]
    assert store.outbox(states=[]) == []
    assert store.get_outbox("zzz") is None
    store.record_error(ErrorEntry("TIMESHEET", "1", "error", "x"))
    store.record_error(ErrorEntry("TIMESHEET", "1", "conflict", "y"))
    store.resolve_error("TIMESHEET", "1", "error")
    assert [e.kind for e in store.errors()] == ["conflict"]
    assert store.errors(kind="error") == []
