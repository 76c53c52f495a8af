"""The demo's building blocks in process: the app's import keys and transactions, the
progress file, and how the final duplicate count reads stamps."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timesync.demo import _stamped_local_id, generate_timesheets
from timesync.demo._data import correct
from timesync.demo._progress import Progress
from timesync.local import EntryInput, ReferenceApp

MONDAY = date(2025, 1, 6)
ENTRY = EntryInput(entry_date=MONDAY, hours=Decimal(8), project_number="P1", task_code="T1")


def test_an_import_key_enters_a_timesheet_once_even_after_deletion(tmp_path: Path) -> None:
    with ReferenceApp(tmp_path / "app.db") as app:
        first = app.create_timesheet("E1", MONDAY, [ENTRY], import_key="k1")
        assert app.create_timesheet("E1", MONDAY, [ENTRY], import_key="k1") == first
        app.delete_timesheet(first)
        assert app.create_timesheet("E1", MONDAY, [ENTRY], import_key="k1") == first
        assert app.timesheet_for_import_key("k1") == first
        assert app.timesheet_for_import_key("k2") is None
        assert app.timesheet_deleted(first)
        # timesheets without a key are never merged
        assert app.create_timesheet("E1", MONDAY, [ENTRY]) != app.create_timesheet(
            "E1", MONDAY, [ENTRY]
        )


def test_a_transaction_keeps_all_or_nothing_and_nests(tmp_path: Path) -> None:
    with ReferenceApp(tmp_path / "app.db") as app:

        def crash_halfway() -> None:
            with app.transaction():
                app.create_timesheet("E1", MONDAY, [ENTRY], import_key="a")
                with app.transaction():
                    app.create_timesheet("E2", MONDAY, [ENTRY], import_key="b")
                raise RuntimeError("crash")

        with pytest.raises(RuntimeError):
            crash_halfway()
        assert app.timesheet_ids() == []
        assert app.changed_documents("TIMESHEET", None).documents == ()
        with app.transaction():
            app.create_timesheet("E1", MONDAY, [ENTRY], import_key="a")
            with app.transaction():
                app.create_timesheet("E2", MONDAY, [ENTRY], import_key="b")
        assert len(app.timesheet_ids()) == 2
        # and single calls outside a block still commit on their own
        app.create_timesheet("E3", MONDAY, [ENTRY])
    with ReferenceApp(tmp_path / "app.db") as app:
        assert len(app.timesheet_ids()) == 3


def test_an_app_made_before_import_keys_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE timesheets (id INTEGER PRIMARY KEY, person_number TEXT NOT NULL,"
        " week_start TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'approved',"
        " revision INTEGER NOT NULL DEFAULT 1, deleted INTEGER NOT NULL DEFAULT 0,"
        " intacct_recordno INTEGER, intacct_state TEXT)"
    )
    db.execute("INSERT INTO timesheets (person_number, week_start) VALUES ('E1', '2025-01-06')")
    db.commit()
    db.close()
    with ReferenceApp(path) as app:
        assert app.timesheet_ids() == ["1"]
        assert app.create_timesheet("E1", MONDAY, [ENTRY], import_key="k") == "2"
        assert app.create_timesheet("E1", MONDAY, [ENTRY], import_key="k") == "2"


def _app_with_people(path: Path) -> ReferenceApp:
    app = ReferenceApp(path)
    for n in range(3):
        app.add_record("EMPLOYEE", f"E{n}", f"Person {n}")
    app.add_record("TASK", "T1", "Build", project_number="P1")
    app.add_record("TASK", "T2", "Test", project_number="P1")
    return app


def test_generating_again_enters_nothing_and_gives_the_same_ids(tmp_path: Path) -> None:
    with _app_with_people(tmp_path / "app.db") as app:
        ids = generate_timesheets(app, weeks=2, seed=3)
        assert len(ids) == 6
        entries = [app.timesheet_entries(i) for i in ids]
        assert generate_timesheets(app, weeks=2, seed=3) == ids
        assert len(app.timesheet_ids()) == 6
        assert [app.timesheet_entries(i) for i in ids] == entries


def test_corrections_are_applied_once(tmp_path: Path) -> None:
    with _app_with_people(tmp_path / "app.db") as app:
        ids = generate_timesheets(app, weeks=2, seed=3)
        before = {i: app.timesheet_entries(i) for i in ids}
        first = correct(app, ids, 3)
        after = {i: app.timesheet_entries(i) for i in ids}
        again = correct(app, ids, 3)
        assert {i: app.timesheet_entries(i) for i in ids} == after
        assert sum("(applied before)" in line for line in again) == 3
        assert sum("deleted (before)" in line for line in again) == 1
        assert not any("before" in line for line in first)
        changed = [i for i in ids if after[i] != before[i]]
        assert len(changed) == 3
        for i in changed:
            assert after[i][0].hours == before[i][0].hours + Decimal("0.5")
        assert len(app.timesheet_ids()) == 5


def test_progress_is_replaced_whole_and_a_broken_file_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "demo.json"
    progress = Progress(path)
    assert progress.problem is None
    assert progress.get("pulled") is None
    progress.mark("pulled")
    progress.mark("generated", ["1", "2"])
    assert json.loads(path.read_text()) == {"pulled": True, "generated": ["1", "2"]}
    assert not (tmp_path / "demo.json.tmp").exists()
    assert Progress(path).get("generated") == ["1", "2"]
    for text, problem in (("", "is empty"), ("{", "is not valid JSON"), ("3", "does not")):
        path.write_text(text)
        broken = Progress(path)
        assert broken.steps == {}
        assert broken.problem is not None
        assert broken.problem.startswith(problem)
    path.write_bytes(b"\xff\xfe")
    assert Progress(path).problem == "cannot be read (UnicodeDecodeError)"


installation_ids = st.text(st.characters(blacklist_characters=":"), min_size=1)


@given(installation_ids, st.text())
def test_a_stamp_is_counted_by_its_local_id(installation: str, local_id: str) -> None:
    assert _stamped_local_id(f"{installation}:{local_id}") == local_id


@given(st.text(st.characters(blacklist_characters=":")))
def test_a_bare_stamp_is_its_own_local_id(stamp: str) -> None:
    assert _stamped_local_id(stamp) == stamp


def test_a_store_migrated_by_another_process_meanwhile_opens(tmp_path: Path) -> None:
    # two demos on a new folder: both read schema 0, one migrates, then the other begins
    from timesync.store import SQLiteStateStore

    path = tmp_path / "state.db"
    SQLiteStateStore(path).close()

    class ReadTooEarly(SQLiteStateStore):
        stale = True

        @property
        def schema_version(self) -> int:
            if ReadTooEarly.stale:
                ReadTooEarly.stale = False
                return 0
            return super().schema_version

    store = ReadTooEarly(path)
    try:
        assert store.schema_version == SQLiteStateStore(path).schema_version
    finally:
        store.close()


def test_an_app_given_its_import_key_column_by_another_process_meanwhile_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "app.db"
    ReferenceApp(path).close()
    real_connect = sqlite3.connect

    class ReadTooEarly(sqlite3.Connection):
        stale = True

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if sql == "PRAGMA table_info(timesheets)" and ReadTooEarly.stale:
                ReadTooEarly.stale = False
                return super().execute("SELECT 'id' AS name")  # as before the column existed
            return super().execute(sql, *args)

    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **k: real_connect(*a, factory=ReadTooEarly, **k)
    )
    with ReferenceApp(path) as app:
        assert app.create_timesheet("E1", MONDAY, [ENTRY], import_key="k") == "1"
    assert not ReadTooEarly.stale


@pytest.mark.parametrize(
    ("server", "emulator"),
    [("intacct-emulator Python/3.11", True), ("Apache", False), (None, False)],
)
def test_only_an_answer_naming_the_emulator_lets_the_demo_approve(
    server: str | None, emulator: bool
) -> None:
    import httpx

    from timesync.demo._approval import IdentifyingTransport

    headers = {"Server": server} if server else {}
    ident = IdentifyingTransport(
        httpx.MockTransport(lambda r: httpx.Response(200, headers=headers))
    )
    assert not ident.emulator  # nothing answered yet
    with httpx.Client(transport=ident) as http:
        http.post("http://127.0.0.1/ia/xml/xmlgw.phtml")
    assert ident.emulator is emulator
