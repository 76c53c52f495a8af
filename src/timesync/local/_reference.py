"""A small time-tracking app on SQLite: the reference :class:`LocalSystem` for demos and tests.

It keeps the tables such an app would have (people, clients, projects, tasks, dimension
values, timesheets with entries, expense reports with lines) in its own vocabulary, and
translates to and from ``timesync.models`` only at the protocol methods, as a host app would.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs

from timesync.errors import ConfigurationError as SyncConfigurationError
from timesync.local._decided import DecisionLog
from timesync.local._protocol import DocumentBatch, LocalDocument, LocalRecord

__all__ = ["EntryInput", "ExpenseInput", "ReferenceApp"]

_DOCS: Final = {"TIMESHEET": "timesheets", "EEXPENSES": "expense_reports"}
_M = TypeVar("_M", bound=attrs.AttrsInstance)

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS people (
    id INTEGER PRIMARY KEY, number TEXT, full_name TEXT, email TEXT, title TEXT,
    department TEXT, location TEXT, extra TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 1, intacct_key TEXT, intacct_recordno INTEGER);
CREATE TABLE IF NOT EXISTS clients (
    id INTEGER PRIMARY KEY, number TEXT, name TEXT, extra TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 1, intacct_key TEXT, intacct_recordno INTEGER);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY, number TEXT, name TEXT, client_ref TEXT, cost_center_1 TEXT,
    cost_center_2 TEXT, extra TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 1, intacct_key TEXT, intacct_recordno INTEGER);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY, number TEXT, project_number TEXT, name TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 1, intacct_key TEXT, intacct_recordno INTEGER);
CREATE TABLE IF NOT EXISTS dimension_values (
    id INTEGER PRIMARY KEY, dimension TEXT NOT NULL, number TEXT, name TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 1, intacct_key TEXT, intacct_recordno INTEGER);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, doc_id INTEGER);
CREATE TABLE IF NOT EXISTS timesheets (
    id INTEGER PRIMARY KEY, person_number TEXT NOT NULL, week_start TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'approved', revision INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0, intacct_recordno INTEGER, intacct_state TEXT);
CREATE TABLE IF NOT EXISTS expense_reports (
    id INTEGER PRIMARY KEY, person_number TEXT NOT NULL, report_date TEXT NOT NULL,
    description TEXT, status TEXT NOT NULL DEFAULT 'approved',
    revision INTEGER NOT NULL DEFAULT 1, deleted INTEGER NOT NULL DEFAULT 0,
    intacct_recordno INTEGER, intacct_state TEXT);
CREATE TABLE IF NOT EXISTS expense_lines (
    id INTEGER PRIMARY KEY, report_id INTEGER NOT NULL REFERENCES expense_reports(id),
    entry_date TEXT NOT NULL, amount TEXT NOT NULL, expense_type TEXT, project_number TEXT,
    notes TEXT);
CREATE TABLE IF NOT EXISTS timesheet_entries (
    id INTEGER PRIMARY KEY, timesheet_id INTEGER NOT NULL REFERENCES timesheets(id),
    entry_date TEXT NOT NULL, hours TEXT NOT NULL, project_number TEXT, task_code TEXT,
    time_type TEXT, billable INTEGER NOT NULL DEFAULT 0, notes TEXT, department TEXT,
    location TEXT, item TEXT);
CREATE INDEX IF NOT EXISTS timesheet_entries_sheet ON timesheet_entries (timesheet_id);
CREATE INDEX IF NOT EXISTS expense_lines_report ON expense_lines (report_id);
CREATE INDEX IF NOT EXISTS changes_kind ON changes (kind, seq);
CREATE INDEX IF NOT EXISTS dimension_values_dimension ON dimension_values (dimension, id);
"""

# table, key column, name column, and column <- model attribute names (first present wins)
_COLUMNS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "people": {
        "number": ("key",),
        "full_name": ("name", "full_name", "contact_name"),
        "email": ("email",),
        "title": ("title",),
        "department": ("department_key", "department_id", "department"),
        "location": ("location_key", "location_id", "location"),
    },
    "clients": {"number": ("key",), "name": ("name",)},
    "projects": {
        "number": ("key",),
        "name": ("name",),
        "client_ref": ("customer_key", "customer_id", "client_ref"),
        "cost_center_1": ("department_key", "department_id", "department"),
        "cost_center_2": ("location_key", "location_id", "location"),
    },
    "tasks": {"number": ("key",), "project_number": ("project_key",), "name": ("name",)},
    "dimension_values": {"number": ("key",), "name": ("name", "title")},
}
_TABLES: Final = {
    "EMPLOYEE": "people",
    "CUSTOMER": "clients",
    "PROJECT": "projects",
    "TASK": "tasks",
}
_NAME_COLUMN: Final = {"people": "full_name"}


def _table(object_name: str) -> str:
    return _TABLES.get(object_name, "dimension_values")


def _attr(model: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        value = getattr(model, name, None)
        if value is not None:
            return getattr(value, "value", value) if not isinstance(value, str) else value
    return None


def _is_active(model: Any) -> bool:
    status = getattr(model, "status", "active")
    return str(getattr(status, "value", status)).lower() == "active"


class _Unbuildable(Exception):
    """A stored row the app cannot turn into a model; the message names the field."""


def _build(cls: type[_M], path: str, **values: Any) -> _M:
    """``cls(**values)``, or :class:`_Unbuildable` naming the field a validator refused
    (``entries[2].hours: must be a finite number``)."""
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        for field in attrs.fields(cls):
            if field.name not in values or field.validator is None:
                continue
            value = values[field.name]
            try:
                if field.converter is not None:
                    value = field.converter(value)
                field.validator(None, field, value)
            except (TypeError, ValueError) as inner:
                raise _Unbuildable(f"{path}{field.name}: {inner}") from None
        raise _Unbuildable(f"{path.rstrip('.') or cls.__name__}: {exc}") from None


def _digest(values: Mapping[str, Any]) -> str:
    """A record's fingerprint: the digest of its engine-written columns."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _row_values(object_name: str, model: Any) -> dict[str, Any]:
    """The columns ``upsert`` stores for a model (``dimension`` aside)."""
    values: dict[str, Any] = {
        col: _attr(model, names) for col, names in _COLUMNS[_table(object_name)].items()
    }
    values["active"] = int(_is_active(model))
    values["extra"] = json.dumps(
        _jsonable(dict(getattr(model, "custom_fields", {}) or {})), sort_keys=True
    )
    return values


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


@attrs.frozen(slots=True)
class EntryInput:
    """One line of a timesheet as the app's user typed it."""

    entry_date: date
    hours: Decimal
    project_number: str | None = None
    task_code: str | None = None
    time_type: str | None = None
    billable: bool = False
    notes: str | None = None
    department: str | None = None
    location: str | None = None
    item: str | None = None


@attrs.frozen(slots=True)
class ExpenseInput:
    """One line of an expense report as the app's user typed it."""

    entry_date: date
    amount: Decimal
    expense_type: str
    project_number: str | None = None
    notes: str | None = None


class ReferenceApp(DecisionLog):
    """The reference local system: a time-tracking app's own SQLite tables.

    Args:
        path: The app's database file (``":memory:"`` for a throwaway one).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        columns = {r["name"] for r in self._conn.execute("PRAGMA table_info(timesheet_entries)")}
        if "item" not in columns:  # a database made before entries kept their item
            self._conn.execute("ALTER TABLE timesheet_entries ADD COLUMN item TEXT")
        columns = {r["name"] for r in self._conn.execute("PRAGMA table_info(timesheets)")}
        if "import_key" not in columns:  # a database made before timesheets had import keys
            try:
                self._conn.execute("ALTER TABLE timesheets ADD COLUMN import_key TEXT")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise
        self._conn.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS timesheets_import_key ON timesheets (import_key)"
        )
        self._create_decision_table()
        self._tx_depth = 0

    def __repr__(self) -> str:
        return f"ReferenceApp({self.path!r})"

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def __enter__(self) -> ReferenceApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self._tx_depth:  # inside transaction(): the outer block commits or rolls back
            yield self._conn
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._tx_depth = 1
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._tx_depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every change inside the block one transaction: all of them are stored, or
        (on an exception, or when the process dies first) none.

        A job that enters many timesheets or edits several at once uses it so that a crash
        halfway leaves nothing half done, and a rerun can safely start the job over. Blocks
        nest; the outermost one commits.
        """
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        with self._tx():
            yield

    # ------------------------------------------------------ master records

    def _where(self, object_name: str) -> tuple[str, tuple[Any, ...]]:
        table = _table(object_name)
        if table == "dimension_values":
            return "dimension = ?", (object_name,)
        return "1 = 1", ()

    def _fingerprint(self, table: str, row: sqlite3.Row) -> str:
        values = {col: row[col] for col in _COLUMNS[table]}
        values["active"] = row["active"]
        values["extra"] = json.loads(row["extra"])
        return _digest(values)

    def fingerprint_of(self, object_name: str, model: Any) -> str:
        """The fingerprint a record would have once ``model`` is stored (nothing written).

        Equal to :attr:`LocalRecord.fingerprint` of a record that holds these values, so
        linking a matched record that already agrees writes nothing (see
        :class:`~timesync.local.ComparingLocalSystem`).
        """
        columns: dict[str, Any] = {}
        for col, names in _COLUMNS[_table(object_name)].items():
            value = _attr(model, names)
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # the TEXT column keeps a number as its text
            elif value is not None and not isinstance(value, str):
                return ""  # stored in a form not worked out here: never taken as equal
            columns[col] = value
        columns["active"] = int(_is_active(model))
        # what json.loads gives back of the stored column: these values, as they are
        columns["extra"] = _jsonable(dict(getattr(model, "custom_fields", {}) or {}))
        return _digest(columns)

    def _record(self, object_name: str, row: sqlite3.Row) -> LocalRecord:
        table = _table(object_name)
        key = row["number"]
        if table == "tasks" and key is not None:
            key = f"{row['project_number']}/{key}"
        return LocalRecord(
            local_id=str(row["id"]),
            key=key,
            name=row[_NAME_COLUMN.get(table, "name")],
            email=row["email"] if table == "people" else None,
            active=bool(row["active"]),
            intacct_key=row["intacct_key"],
            fingerprint=self._fingerprint(table, row),
            intacct_record_no=row["intacct_recordno"],
        )

    def list_records(self, object_name: str) -> list[LocalRecord]:
        """Every local record of an object."""
        table = _table(object_name)
        where, params = self._where(object_name)
        rows = self._conn.execute(
            f"SELECT * FROM {table} WHERE {where} ORDER BY id",  # noqa: S608
            params,
        )
        return [self._record(object_name, row) for row in rows]  # rows read as they go

    def get_record(self, object_name: str, local_id: str) -> LocalRecord | None:
        """One local record, or None when it does not exist."""
        table = _table(object_name)
        row = self._conn.execute(
            f"SELECT * FROM {table} WHERE id = ?",  # noqa: S608
            (int(local_id),),
        ).fetchone()
        return None if row is None else self._record(object_name, row)

    def upsert(self, object_name: str, model: Any, local_id: str | None) -> LocalRecord:
        """Create or update a master record from a mapped Intacct record."""
        table = _table(object_name)
        values = _row_values(object_name, model)
        if table == "dimension_values":
            values["dimension"] = object_name
        with self._tx() as conn:
            row_id: int | None = None
            if local_id is not None:
                exists = conn.execute(
                    f"SELECT id FROM {table} WHERE id = ?",  # noqa: S608
                    (int(local_id),),
                ).fetchone()
                row_id = int(local_id) if exists else None
            if row_id is None:
                cols = ", ".join(values)
                marks = ", ".join("?" * len(values))
                cur = conn.execute(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608
                    tuple(values.values()),
                )
                assert cur.lastrowid is not None
                row_id = cur.lastrowid
            else:
                sets = ", ".join(f"{col} = ?" for col in values)
                conn.execute(
                    f"UPDATE {table} SET {sets} WHERE id = ?",  # noqa: S608
                    (*values.values(), row_id),
                )
        record = self.get_record(object_name, str(row_id))
        assert record is not None
        return record

    def inactivate(self, object_name: str, local_id: str) -> None:
        """Mark a record inactive."""
        self._conn.execute(
            f"UPDATE {_table(object_name)} SET active = 0 WHERE id = ?",  # noqa: S608
            (int(local_id),),
        )

    def record_intacct_key(
        self, object_name: str, local_id: str, key: str, record_no: int | None
    ) -> None:
        """Remember the Intacct key a record was linked to."""
        self._conn.execute(
            f"UPDATE {_table(object_name)} SET intacct_key = ?, intacct_recordno = ?"  # noqa: S608
            " WHERE id = ?",
            (key, record_no, int(local_id)),
        )

    # --------------------------------------------- the app's own editing API

    def add_record(
        self,
        object_name: str,
        number: str | None,
        name: str | None,
        *,
        email: str | None = None,
        project_number: str | None = None,
    ) -> str:
        """Create a record the way a user of the app would (not from Intacct)."""
        table = _table(object_name)
        values: dict[str, Any] = {"number": number, _NAME_COLUMN.get(table, "name"): name}
        if table == "people":
            values["email"] = email
        if table == "tasks":
            values["project_number"] = project_number
        if table == "dimension_values":
            values["dimension"] = object_name
        cols = ", ".join(values)
        cur = self._conn.execute(
            f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(values))})",  # noqa: S608
            tuple(values.values()),
        )
        return str(cur.lastrowid)

    def edit_record(self, object_name: str, local_id: str, **columns: Any) -> None:
        """Change columns of a record as a user would (``full_name="..."``, ``active=0``)."""
        table = _table(object_name)
        allowed = {*_COLUMNS[table], "active"}
        if not columns or not set(columns) <= allowed:
            raise SyncConfigurationError(f"columns of {table} are {sorted(allowed)}")
        sets = ", ".join(f"{col} = ?" for col in columns)
        self._conn.execute(
            f"UPDATE {table} SET {sets} WHERE id = ?",  # noqa: S608
            (*columns.values(), int(local_id)),
        )

    def delete_record(self, object_name: str, local_id: str) -> None:
        """Delete a record outright, as a careless user might."""
        self._conn.execute(
            f"DELETE FROM {_table(object_name)} WHERE id = ?",  # noqa: S608
            (int(local_id),),
        )

    def _entries(
        self, conn: sqlite3.Connection, sheet_id: int, entries: Sequence[EntryInput]
    ) -> None:
        conn.execute("DELETE FROM timesheet_entries WHERE timesheet_id = ?", (sheet_id,))
        conn.executemany(
            "INSERT INTO timesheet_entries (timesheet_id, entry_date, hours, project_number,"
            " task_code, time_type, billable, notes, department, location, item)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sheet_id,
                    e.entry_date.isoformat(),
                    str(e.hours),
                    e.project_number,
                    e.task_code,
                    e.time_type,
                    int(e.billable),
                    e.notes,
                    e.department,
                    e.location,
                    e.item,
                )
                for e in entries
            ],
        )

    def _changed(self, conn: sqlite3.Connection, sheet_id: int) -> None:
        conn.execute("INSERT INTO changes (kind, doc_id) VALUES ('TIMESHEET', ?)", (sheet_id,))

    def create_timesheet(
        self,
        person_number: str,
        week_start: date,
        entries: Sequence[EntryInput],
        *,
        status: str = "approved",
        import_key: str | None = None,
    ) -> str:
        """Enter a timesheet; returns its id.

        Args:
            person_number: The person's number.
            week_start: The first day of the week.
            entries: The timesheet's lines.
            status: ``approved`` (pushed) or another status (not pushed).
            import_key: The id of the timesheet in the system it was imported or generated
                from. When a timesheet with this key exists already (deleted ones included),
                nothing is entered and its id is returned: entering the same import again
                never duplicates it.
        """
        with self._tx() as conn:
            if import_key is not None:
                row = conn.execute(
                    "SELECT id FROM timesheets WHERE import_key = ?", (import_key,)
                ).fetchone()
                if row is not None:
                    return str(row["id"])
            cur = conn.execute(
                "INSERT INTO timesheets (person_number, week_start, status, import_key)"
                " VALUES (?, ?, ?, ?)",
                (person_number, week_start.isoformat(), status, import_key),
            )
            assert cur.lastrowid is not None
            self._entries(conn, cur.lastrowid, entries)
            self._changed(conn, cur.lastrowid)
            return str(cur.lastrowid)

    def update_timesheet(
        self,
        local_id: str,
        entries: Sequence[EntryInput] | None = None,
        *,
        status: str | None = None,
    ) -> None:
        """Change a timesheet's entries and/or status; bumps its revision."""
        with self._tx() as conn:
            if entries is not None:
                self._entries(conn, int(local_id), entries)
            if status is not None:
                conn.execute(
                    "UPDATE timesheets SET status = ? WHERE id = ?", (status, int(local_id))
                )
            conn.execute(
                "UPDATE timesheets SET revision = revision + 1 WHERE id = ?", (int(local_id),)
            )
            self._changed(conn, int(local_id))

    def delete_timesheet(self, local_id: str) -> None:
        """Delete a timesheet (kept as a tombstone so the deletion can be synced)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE timesheets SET deleted = 1, revision = revision + 1 WHERE id = ?",
                (int(local_id),),
            )
            self._changed(conn, int(local_id))

    def timesheet_entries(self, local_id: str) -> list[EntryInput]:
        """A timesheet's entries as stored."""
        rows = self._conn.execute(
            "SELECT * FROM timesheet_entries WHERE timesheet_id = ? ORDER BY id", (int(local_id),)
        ).fetchall()
        return [
            EntryInput(
                entry_date=date.fromisoformat(r["entry_date"]),
                hours=Decimal(r["hours"]),
                project_number=r["project_number"],
                task_code=r["task_code"],
                time_type=r["time_type"],
                billable=bool(r["billable"]),
                notes=r["notes"],
                department=r["department"],
                location=r["location"],
                item=r["item"],
            )
            for r in rows
        ]

    def timesheet_for_import_key(self, import_key: str) -> str | None:
        """The id of the timesheet entered with this import key (deleted or not), or None."""
        row = self._conn.execute(
            "SELECT id FROM timesheets WHERE import_key = ?", (import_key,)
        ).fetchone()
        return None if row is None else str(row["id"])

    def timesheet_deleted(self, local_id: str) -> bool:
        """Whether the timesheet was deleted (or never existed)."""
        row = self._conn.execute(
            "SELECT deleted FROM timesheets WHERE id = ?", (int(local_id),)
        ).fetchone()
        return row is None or bool(row["deleted"])

    def timesheet_ids(self) -> list[str]:
        """Ids of every timesheet that is not deleted."""
        rows = self._conn.execute("SELECT id FROM timesheets WHERE deleted = 0 ORDER BY id")
        return [str(r["id"]) for r in rows]

    def pushed_state(
        self, local_id: str, object_name: str = "TIMESHEET"
    ) -> tuple[int | None, str | None]:
        """The Intacct RECORDNO and state recorded on a timesheet (or, with ``object_name``
        ``EEXPENSES``, on an expense report)."""
        table = _DOCS.get(object_name)
        if table is None:
            raise SyncConfigurationError(f"documents are {sorted(_DOCS)}, not {object_name!r}")
        row = self._conn.execute(
            f"SELECT intacct_recordno, intacct_state FROM {table} WHERE id = ?",  # noqa: S608
            (int(local_id),),
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    # ------------------------------------------------------- expense reports

    def create_expense_report(
        self,
        person_number: str,
        report_date: date,
        lines: Sequence[ExpenseInput],
        *,
        description: str | None = None,
        status: str = "approved",
    ) -> str:
        """Enter an expense report; returns its id."""
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO expense_reports (person_number, report_date, description, status)"
                " VALUES (?, ?, ?, ?)",
                (person_number, report_date.isoformat(), description, status),
            )
            assert cur.lastrowid is not None
            self._lines(conn, cur.lastrowid, lines)
            conn.execute(
                "INSERT INTO changes (kind, doc_id) VALUES ('EEXPENSES', ?)", (cur.lastrowid,)
            )
            return str(cur.lastrowid)

    def update_expense_report(self, local_id: str, lines: Sequence[ExpenseInput]) -> None:
        """Replace an expense report's lines; bumps its revision."""
        with self._tx() as conn:
            self._lines(conn, int(local_id), lines)
            conn.execute(
                "UPDATE expense_reports SET revision = revision + 1 WHERE id = ?", (int(local_id),)
            )
            conn.execute(
                "INSERT INTO changes (kind, doc_id) VALUES ('EEXPENSES', ?)", (int(local_id),)
            )

    def delete_expense_report(self, local_id: str) -> None:
        """Delete an expense report (kept as a tombstone so the deletion can be synced)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE expense_reports SET deleted = 1, revision = revision + 1 WHERE id = ?",
                (int(local_id),),
            )
            conn.execute(
                "INSERT INTO changes (kind, doc_id) VALUES ('EEXPENSES', ?)", (int(local_id),)
            )

    def _lines(
        self, conn: sqlite3.Connection, report_id: int, lines: Sequence[ExpenseInput]
    ) -> None:
        conn.execute("DELETE FROM expense_lines WHERE report_id = ?", (report_id,))
        conn.executemany(
            "INSERT INTO expense_lines (report_id, entry_date, amount, expense_type,"
            " project_number, notes) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    report_id,
                    x.entry_date.isoformat(),
                    str(x.amount),
                    x.expense_type,
                    x.project_number,
                    x.notes,
                )
                for x in lines
            ],
        )

    def _expense_document(self, row: sqlite3.Row) -> LocalDocument:
        from timesync.models import ExpenseLine, ExpenseReport

        local_id = str(row["id"])
        if row["deleted"]:
            return LocalDocument(local_id, str(row["revision"]), None, approved=False)
        rows = self._conn.execute(
            "SELECT * FROM expense_lines WHERE report_id = ? ORDER BY id", (row["id"],)
        ).fetchall()
        approved = row["status"] == "approved"
        try:
            model = _build(
                ExpenseReport,
                "",
                local_id=local_id,
                employee_key=row["person_number"],
                report_date=date.fromisoformat(row["report_date"]),
                description=row["description"],
                lines=tuple(
                    _build(
                        ExpenseLine,
                        f"lines[{i}].",
                        entry_date=date.fromisoformat(r["entry_date"]),
                        amount=Decimal(r["amount"]),
                        expense_type=r["expense_type"],
                        project_key=r["project_number"],
                        notes=r["notes"],
                    )
                    for i, r in enumerate(rows)
                ),
            )
        except _Unbuildable as exc:
            return LocalDocument(
                local_id, str(row["revision"]), None, approved=approved, problem=str(exc)
            )
        return LocalDocument(local_id, str(row["revision"]), model, approved=approved)

    # ----------------------------------------------------- documents (push)

    def _document(self, row: sqlite3.Row) -> LocalDocument:
        local_id = str(row["id"])
        if row["deleted"]:
            return LocalDocument(local_id, str(row["revision"]), None, approved=False)
        approved = row["status"] == "approved"
        try:
            model = self._timesheet(row)
        except _Unbuildable as exc:
            problem = str(exc)
        except (ValueError, ArithmeticError) as exc:  # a row edited outside the app
            problem = f"a stored value cannot be read ({type(exc).__name__})"
        else:
            return LocalDocument(local_id, str(row["revision"]), model, approved=approved)
        return LocalDocument(
            local_id, str(row["revision"]), None, approved=approved, problem=problem
        )

    def _timesheet(self, row: sqlite3.Row) -> Any:
        from timesync.models import Timesheet, TimesheetEntry

        local_id = str(row["id"])
        entries = tuple(
            _build(
                TimesheetEntry,
                f"entries[{i}].",
                entry_date=e.entry_date,
                hours=e.hours,
                project_key=e.project_number,
                task_key=e.task_code,
                time_type=e.time_type,
                billable=e.billable,
                notes=e.notes,
                dimensions={
                    k: v
                    for k, v in (
                        ("department", e.department),
                        ("location", e.location),
                        ("item", e.item),
                    )
                    if v is not None
                },
            )
            for i, e in enumerate(self.timesheet_entries(local_id))
        )
        return _build(
            Timesheet,
            "",
            local_id=local_id,
            employee_key=row["person_number"],
            begin_date=date.fromisoformat(row["week_start"]),
            entries=entries,
        )

    def changed_documents(self, object_name: str, since: str | None) -> DocumentBatch:
        """Timesheets or expense reports changed after the ``since`` change number."""
        if object_name not in _DOCS:
            return DocumentBatch((), since)
        after = int(since) if since else 0
        rows = self._conn.execute(
            "SELECT doc_id, MAX(seq) AS seq FROM changes WHERE kind = ? AND seq > ?"
            " GROUP BY doc_id ORDER BY MIN(seq)",
            (object_name, after),
        ).fetchall()
        if not rows:
            return DocumentBatch((), since)
        last = max(r["seq"] for r in rows)
        docs = self.get_documents(object_name, [str(r["doc_id"]) for r in rows])
        return DocumentBatch(tuple(docs), str(last))

    def get_documents(self, object_name: str, local_ids: Sequence[str]) -> list[LocalDocument]:
        """The current state of these documents, in the order asked."""
        table = _DOCS.get(object_name)
        if table is None:
            return []
        docs: list[LocalDocument] = []
        for local_id in local_ids:
            row = self._conn.execute(
                f"SELECT * FROM {table} WHERE id = ?",  # noqa: S608
                (int(local_id),),
            ).fetchone()
            if row is None:
                docs.append(LocalDocument(local_id, "gone", None, approved=False))
            elif object_name == "TIMESHEET":
                docs.append(self._document(row))
            else:
                docs.append(self._expense_document(row))
        return docs

    def document_pushed(
        self, object_name: str, local_id: str, record_no: int | None, state: str | None
    ) -> None:
        """Remember the Intacct RECORDNO and state of a pushed document."""
        table = _DOCS.get(object_name)
        if table is not None:
            self._conn.execute(
                f"UPDATE {table} SET intacct_recordno = ?, intacct_state = ?"  # noqa: S608
                " WHERE id = ?",
                (record_no, state, int(local_id)),
            )
