"""A complete LocalSystem over a small SQLite database (the standard library's sqlite3).

Master records from Intacct (people, projects, tasks, customers, dimension values) land in one
table; timesheets and their entries live in two more, with a revision counter that is the
change feed the engine reads from. Run a sync with it::

    app = SqliteTimeApp("timeapp.db")
    Engine(client, app, SQLiteStateStore("state.db")).run()
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from timesync.local import DocumentBatch, LocalDocument, LocalRecord
from timesync.models import Status, Timesheet, TimesheetEntry

SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    object TEXT NOT NULL, local_id INTEGER PRIMARY KEY, key TEXT, name TEXT, email TEXT,
    active INTEGER NOT NULL, intacct_key TEXT, record_no INTEGER, fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sheet (
    local_id INTEGER PRIMARY KEY, employee_key TEXT NOT NULL, begin_date TEXT NOT NULL,
    approved INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL, record_no INTEGER, intacct_state TEXT);
CREATE TABLE IF NOT EXISTS entry (
    sheet_id INTEGER NOT NULL REFERENCES sheet, day TEXT NOT NULL, hours TEXT NOT NULL,
    project_key TEXT, task_key TEXT);
"""


class SqliteTimeApp:
    """A time-tracking app's side of the sync: implements ``timesync.local.LocalSystem``."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    # -- master data pulled from Intacct ---------------------------------------------------

    def list_records(self, object_name: str) -> Iterable[LocalRecord]:
        rows = self.db.execute(
            "SELECT local_id, key, name, email, active, intacct_key, fingerprint, record_no"
            " FROM record WHERE object = ?",
            (object_name,),
        )
        return [
            LocalRecord(str(r[0]), r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows
        ]

    def fingerprint_of(self, object_name: str, model: Any) -> str:
        # optional: the fingerprint upsert would store, so a re-match leaves agreeing records be
        return hashlib.sha256(repr(model).encode()).hexdigest()

    def upsert(self, object_name: str, model: Any, local_id: str | None) -> LocalRecord:
        # a task's ID is unique only within its project: the key is PROJECTID/TASKID
        key = f"{model.project_key}/{model.key}" if object_name == "TASK" else model.key
        values = (
            key,
            getattr(model, "name", None),
            getattr(model, "email", None),
            model.status is Status.ACTIVE,
            self.fingerprint_of(object_name, model),  # what the engine wrote
        )
        with self.db:
            if local_id is None:
                cur = self.db.execute(
                    "INSERT INTO record (object, key, name, email, active, fingerprint)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (object_name, *values),
                )
                local_id = str(cur.lastrowid)
            else:  # repeated after a crash: updating in place is safe
                self.db.execute(
                    "UPDATE record SET key = ?, name = ?, email = ?, active = ?, fingerprint = ?"
                    " WHERE local_id = ?",
                    (*values, int(local_id)),
                )
        (stored,) = [r for r in self.list_records(object_name) if r.local_id == local_id]
        return stored  # the record as stored, with the fingerprint of what was written

    def inactivate(self, object_name: str, local_id: str) -> None:
        with self.db:
            self.db.execute("UPDATE record SET active = 0 WHERE local_id = ?", (int(local_id),))

    def record_intacct_key(
        self, object_name: str, local_id: str, key: str, record_no: int | None
    ) -> None:
        with self.db:
            self.db.execute(
                "UPDATE record SET intacct_key = ?, record_no = ? WHERE local_id = ?",
                (key, record_no, int(local_id)),
            )

    # -- timesheets pushed to Intacct -------------------------------------------------------

    def add_timesheet(
        self, employee_key: str, begin: date, entries: Sequence[tuple[date, str, str, str | None]]
    ) -> str:
        """Enter an approved timesheet: entries are (day, hours, project key, task key or None)."""
        with self.db:
            cur = self.db.execute(
                "INSERT INTO sheet (employee_key, begin_date, approved, revision)"
                " VALUES (?, ?, 1, (SELECT COALESCE(MAX(revision), 0) + 1 FROM sheet))",
                (employee_key, begin.isoformat()),
            )
            self.db.executemany(
                "INSERT INTO entry VALUES (?, ?, ?, ?, ?)",
                [(cur.lastrowid, d.isoformat(), h, p, t) for d, h, p, t in entries],
            )
        return str(cur.lastrowid)

    def _document(self, row: tuple[Any, ...]) -> LocalDocument:
        local_id, employee_key, begin, approved, deleted, revision = row
        if deleted:
            return LocalDocument(local_id=str(local_id), revision=str(revision), model=None)
        entries = tuple(
            TimesheetEntry(
                entry_date=date.fromisoformat(day),
                hours=Decimal(hours),
                project_key=project_key,
                task_key=task_key,
            )
            for day, hours, project_key, task_key in self.db.execute(
                "SELECT day, hours, project_key, task_key FROM entry WHERE sheet_id = ?",
                (local_id,),
            )
        )
        model = Timesheet(  # every model's constructor takes keyword arguments only
            local_id=str(local_id),
            employee_key=employee_key,
            begin_date=date.fromisoformat(begin),
            entries=entries,
        )
        return LocalDocument(
            local_id=str(local_id), revision=str(revision), model=model, approved=bool(approved)
        )

    _COLUMNS = "SELECT local_id, employee_key, begin_date, approved, deleted, revision FROM sheet"

    def changed_documents(self, object_name: str, since: str | None) -> DocumentBatch:
        if object_name != "TIMESHEET":  # this app keeps no expense reports
            return DocumentBatch(documents=(), cursor=since)
        rows = self.db.execute(
            f"{self._COLUMNS} WHERE revision > ? ORDER BY revision", (int(since or 0),)
        ).fetchall()
        cursor = str(rows[-1][5]) if rows else since
        return DocumentBatch(documents=tuple(self._document(r) for r in rows), cursor=cursor)

    def get_documents(self, object_name: str, local_ids: Sequence[str]) -> list[LocalDocument]:
        return [
            self._document(row)
            for lid in local_ids
            for row in self.db.execute(f"{self._COLUMNS} WHERE local_id = ?", (int(lid),))
        ]

    def document_pushed(
        self, object_name: str, local_id: str, record_no: int | None, state: str | None
    ) -> None:
        # delivered at least once: setting the same values again changes nothing
        with self.db:
            self.db.execute(
                "UPDATE sheet SET record_no = ?, intacct_state = ? WHERE local_id = ?",
                (record_no, state, int(local_id)),
            )

    def close(self) -> None:
        self.db.close()
