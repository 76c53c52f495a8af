"""The default state store: one SQLite file (stdlib ``sqlite3``, WAL, versioned migrations)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from timesync.store._errors import LockHeldError, LockLostError, StateStoreError
from timesync.store._lock import FileLock, MemoryLock
from timesync.store._protocol import (
    CorrectionSheet,
    Cursor,
    DecisionNotice,
    ErrorEntry,
    Link,
    LinkState,
    Notice,
    OutboxEntry,
    OutboxState,
    RunRecord,
)
from timesync.store._schema import MIGRATIONS, TABLES

__all__ = ["MIGRATIONS", "SQLiteStateStore"]

log = logging.getLogger(__name__)

_OPEN_ATTEMPTS: Final = 40
"""Tries to open a file another process is creating or migrating (about 40 s in all)."""
_LINK_PAGE: Final = 2000
"""Links read per statement when walking every link of an object."""

_WRITER: Final = "writer_run"
"""Meta key: the latest run allowed to send writes."""


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SQLiteStateStore:
    """The default :class:`~timesync.store.StateStore`, in one SQLite file.

    The database runs in WAL mode (readers such as ``timesync status`` never block a run)
    with ``synchronous=FULL`` so a committed outbox row survives a power cut, and migrates
    itself forward with ``PRAGMA user_version`` on open.

    Args:
        path: The database file; ``":memory:"`` for a throwaway store.

    Raises:
        StateStoreError: The file was written by a newer schema than this code knows.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._memory = self.path == ":memory:"
        if not self._memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        if not self._memory and Path(self.path).is_dir():
            raise self._unusable("it is a directory")
        for attempt in range(_OPEN_ATTEMPTS):
            if self._open():
                break
            # another process holds the file while it creates or migrates it: not damage
            time.sleep(0.05 * (attempt + 1))
        else:
            raise LockHeldError(self.path)
        self._identity = None if self._memory else self._file_identity()
        self._lock: FileLock | MemoryLock = (
            MemoryLock(self.path) if self._memory else FileLock(self.path, write_pid=False)
        )

    def _open(self) -> bool:
        """Connect, check and migrate; False when another connection has the file locked
        (the caller tries again)."""
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        except sqlite3.Error as exc:
            raise self._unusable(str(exc)) from None
        self._conn.row_factory = sqlite3.Row
        self._depth = 0
        try:
            self._check()
            self._check_tables()
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.OperationalError as exc:
            self._conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                return False
            raise self._unusable(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise self._unusable(str(exc)) from None
        except BaseException:
            self._conn.close()
            raise
        return True

    def _unusable(self, why: str) -> StateStoreError:
        return StateStoreError(
            f"state store {self.path} cannot be used ({why}): restore it from a backup, or "
            "move it aside to start a new one (see 'Installations' in the docs before you do)"
        )

    def _check(self) -> None:
        """Read the whole file's structure before anything is written to it (a file that is
        not a database, or was truncated, fails here)."""
        [(verdict,)] = self._conn.execute("PRAGMA quick_check(1)").fetchall()
        if verdict != "ok":
            raise self._unusable(f"damaged: {verdict}")

    def _check_tables(self) -> None:
        """Every table the file's schema version promises is there (one dropped by hand
        fails here, before anything is written)."""
        version = self.schema_version
        if version > len(MIGRATIONS):
            return  # a newer version's file: _migrate says so
        expected = {t for since, tables in TABLES.items() if since <= version for t in tables}
        rows = self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        missing = sorted(expected - {r[0] for r in rows})
        if missing:
            raise self._unusable(f"table(s) {', '.join(missing)} missing")

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def run_lock(self) -> FileLock | MemoryLock:
        """The lock held for a whole run: an exclusive ``flock`` on the database file itself.

        Nothing an operator can delete besides the state itself stands between two runs,
        and the kernel drops the lock when the holding process dies. The same object is
        returned on every call and is reentrant, so a job can hold it around
        :meth:`~timesync.engine.Engine.run`.
        """
        return self._lock

    def __repr__(self) -> str:
        return f"SQLiteStateStore({self.path!r})"

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StateStoreError(
                f"state database {self.path} has schema {version}; "
                f"this version of timesync knows up to {len(MIGRATIONS)}"
            )
        for number in range(version + 1, len(MIGRATIONS) + 1):
            script = MIGRATIONS[number - 1]
            self._conn.execute("BEGIN IMMEDIATE")
            if self.schema_version >= number:  # another process took this step meanwhile
                self._conn.execute("COMMIT")
                continue
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {number}")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            log.info("state store %s migrated to schema %d", self.path, number)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction (``BEGIN IMMEDIATE``); nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self._conn.execute("COMMIT")

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        if self._depth:
            return self._conn.execute(sql, params)
        with self.transaction():
            return self._conn.execute(sql, params)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._conn.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ links

    @staticmethod
    def _link(row: sqlite3.Row) -> Link:
        return Link(
            object_name=row["object_name"],
            remote_key=row["remote_key"],
            local_id=row["local_id"],
            record_no=row["record_no"],
            content_hash=row["content_hash"],
            local_hash=row["local_hash"],
            remote_modified=_dt(row["remote_modified"]),
            remote_state=row["remote_state"],
            revision=row["revision"],
            state=LinkState(row["state"]),
            active=bool(row["active"]),
            last_run=row["last_run"],
            facts=None if row["facts"] is None else json.loads(row["facts"]),
        )

    def get_link(self, object_name: str, remote_key: str) -> Link | None:
        """The link for a remote record, if any."""
        rows = self._query(
            "SELECT * FROM links WHERE object_name = ? AND remote_key = ?",
            (object_name, remote_key),
        )
        return self._link(rows[0]) if rows else None

    def link_for_local(self, object_name: str, local_id: str) -> Link | None:
        """The link holding a local record, if any."""
        rows = self._query(
            "SELECT * FROM links WHERE object_name = ? AND local_id = ?", (object_name, local_id)
        )
        return self._link(rows[0]) if rows else None

    def links(self, object_name: str) -> Iterator[Link]:
        """Every link of an object, by remote key.

        Read a page of links at a time (keyset on the remote key), so walking every link of
        a large object holds one page, not all of them; no statement stays open between
        pages, so the caller may write while it walks.
        """
        after: str | None = None
        while True:
            if after is None:
                rows = self._query(
                    "SELECT * FROM links WHERE object_name = ? ORDER BY remote_key LIMIT ?",
                    (object_name, _LINK_PAGE),
                )
            else:
                rows = self._query(
                    "SELECT * FROM links WHERE object_name = ? AND remote_key > ?"
                    " ORDER BY remote_key LIMIT ?",
                    (object_name, after, _LINK_PAGE),
                )
            yield from (self._link(row) for row in rows)
            if len(rows) < _LINK_PAGE:
                return
            after = rows[-1]["remote_key"]

    def _links_in(self, object_name: str, column: str, values: Sequence[Any]) -> Iterator[Link]:
        """The links whose ``column`` holds one of ``values`` (asked 500 at a time)."""
        wanted = list(dict.fromkeys(values))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT * FROM links WHERE object_name = ? AND {column} IN ({marks})",  # noqa: S608
                (object_name, *chunk),
            )
            yield from (self._link(row) for row in rows)

    def links_by_key(self, object_name: str, remote_keys: Sequence[str]) -> dict[str, Link]:
        """The links of these remote keys, by key."""
        return {lk.remote_key: lk for lk in self._links_in(object_name, "remote_key", remote_keys)}

    def links_by_record_no(self, object_name: str, record_nos: Sequence[int]) -> dict[int, Link]:
        """The links of these Intacct RECORDNOs, by RECORDNO."""
        links = self._links_in(object_name, "record_no", record_nos)
        return {lk.record_no: lk for lk in links if lk.record_no is not None}

    def put_link(self, link: Link) -> None:
        """Insert or replace the link of ``(object_name, remote_key)``.

        A local record belongs to one link at most: a different link that held the same
        local id is released (its local id cleared) in the same statement batch.
        """
        with self.transaction():
            if link.local_id is not None:
                self._conn.execute(
                    "DELETE FROM links WHERE object_name = ? AND local_id = ? AND remote_key != ?",
                    (link.object_name, link.local_id, link.remote_key),
                )
            self._conn.execute(
                "INSERT OR REPLACE INTO links (object_name, remote_key, local_id, record_no,"
                " content_hash, local_hash, remote_modified, remote_state, revision, state,"
                " active, last_run, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    link.object_name,
                    link.remote_key,
                    link.local_id,
                    link.record_no,
                    link.content_hash,
                    link.local_hash,
                    _ts(link.remote_modified),
                    link.remote_state,
                    link.revision,
                    link.state.value,
                    int(link.active),
                    link.last_run,
                    None if link.facts is None else json.dumps(dict(link.facts), sort_keys=True),
                ),
            )

    def delete_link(self, object_name: str, remote_key: str) -> None:
        """Forget a link."""
        self._exec(
            "DELETE FROM links WHERE object_name = ? AND remote_key = ?", (object_name, remote_key)
        )

    # ---------------------------------------------------------------- cursors

    def get_cursor(self, object_name: str) -> Cursor | None:
        """The cursor of an object, if any."""
        rows = self._query("SELECT * FROM cursors WHERE object_name = ?", (object_name,))
        if not rows:
            return None
        row = rows[0]
        return Cursor(
            object_name=row["object_name"],
            modified=_dt(row["modified"]),
            record_no=row["record_no"],
            token=row["token"],
        )

    def set_cursor(self, cursor: Cursor) -> None:
        """Insert or replace a cursor."""
        self._exec(
            "INSERT OR REPLACE INTO cursors (object_name, modified, record_no, token)"
            " VALUES (?, ?, ?, ?)",
            (cursor.object_name, _ts(cursor.modified), cursor.record_no, cursor.token),
        )

    def cursors(self) -> list[Cursor]:
        """Every cursor, by object."""
        names = [r["object_name"] for r in self._query("SELECT object_name FROM cursors")]
        return [c for c in (self.get_cursor(n) for n in sorted(names)) if c is not None]

    def reset_cursor(self, object_name: str) -> None:
        """Forget a cursor."""
        self._exec("DELETE FROM cursors WHERE object_name = ?", (object_name,))

    # ------------------------------------------------------------------- runs

    def start_run(self, mode: str, *, dry_run: bool = False) -> int:
        """Record the start of a run and return its id.

        A run that may write (not a dry run) becomes the store's writer: from then on an
        in-flight outbox row of any earlier run is refused (:meth:`put_outbox`), so two
        runs that overlap despite the lock never both send writes.
        """
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO runs (started_at, status, mode, dry_run) VALUES (?, 'running', ?, ?)",
                (_now(), mode, int(dry_run)),
            )
            assert cur.lastrowid is not None
            run_id = int(cur.lastrowid)
            if not dry_run:
                self.set_meta(_WRITER, str(run_id))
        return run_id

    def _check_writer(self, run_id: int) -> None:
        """Refuse an in-flight row of a run that is no longer the store's writer, or of a
        store whose file was deleted or replaced since it was opened."""
        if self._identity is not None and self._file_identity() != self._identity:
            raise LockLostError(
                self.path, f"the state database {self.path} was deleted or replaced during the run"
            )
        writer = self.get_meta(_WRITER)
        if writer is not None and writer != str(run_id):
            raise LockLostError(
                self.path,
                f"run {writer} started on the state store {self.path} while run {run_id} "
                "was writing",
            )

    def finish_run(self, run_id: int, status: str, summary: Mapping[str, Any]) -> None:
        """Record how a run ended, with a JSON summary."""
        self._exec(
            "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?",
            (_now(), status, json.dumps(summary, sort_keys=True, default=str), run_id),
        )

    def runs(self, limit: int = 10) -> list[RunRecord]:
        """The latest runs, newest first."""
        rows = self._query("SELECT * FROM runs ORDER BY run_id DESC LIMIT ?", (limit,))
        return [
            RunRecord(
                run_id=row["run_id"],
                started_at=datetime.fromisoformat(row["started_at"]),
                finished_at=_dt(row["finished_at"]),
                status=row["status"],
                mode=row["mode"],
                dry_run=bool(row["dry_run"]),
                summary=json.loads(row["summary"]),
            )
            for row in rows
        ]

    # ----------------------------------------------------------------- outbox

    @staticmethod
    def _entry(row: sqlite3.Row) -> OutboxEntry:
        return OutboxEntry(
            object_name=row["object_name"],
            local_id=row["local_id"],
            revision=row["revision"],
            step=row["step"],
            control_id=row["control_id"],
            state=OutboxState(row["state"]),
            attempts=row["attempts"],
            record_no=row["record_no"],
            last_error=row["last_error"],
            payload_hash=row["payload_hash"],
            run_id=row["run_id"],
        )

    def put_outbox(self, entry: OutboxEntry) -> None:
        """Insert the row of ``entry.control_id``, or update it in place (keeping its order).

        Raises:
            LockLostError: ``entry`` is in flight for a run that is no longer the store's
                writer (see :meth:`start_run`); nothing is written.
        """
        with self.transaction():
            if entry.state is OutboxState.IN_FLIGHT and entry.run_id is not None:
                self._check_writer(entry.run_id)
            values = (
                entry.object_name,
                entry.local_id,
                entry.revision,
                entry.step,
                entry.state.value,
                entry.attempts,
                entry.record_no,
                entry.last_error,
                entry.payload_hash,
                entry.run_id,
                _now(),
                entry.control_id,
            )
            cur = self._conn.execute(
                "UPDATE outbox SET object_name = ?, local_id = ?, revision = ?, step = ?,"
                " state = ?, attempts = ?, record_no = ?, last_error = ?, payload_hash = ?,"
                " run_id = ?, updated_at = ? WHERE control_id = ?",
                values,
            )
            if cur.rowcount == 0:
                self._conn.execute(
                    "INSERT INTO outbox (object_name, local_id, revision, step, state, attempts,"
                    " record_no, last_error, payload_hash, run_id, updated_at, control_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    values,
                )

    def get_outbox(self, control_id: str) -> OutboxEntry | None:
        """One outbox row by control id."""
        rows = self._query("SELECT * FROM outbox WHERE control_id = ?", (control_id,))
        return self._entry(rows[0]) if rows else None

    def outbox(
        self,
        *,
        object_name: str | None = None,
        states: Sequence[OutboxState] | None = None,
        local_id: str | None = None,
    ) -> list[OutboxEntry]:
        """Outbox rows, oldest first, optionally filtered by object, state and document."""
        sql = "SELECT * FROM outbox WHERE 1 = 1"
        params: list[Any] = []
        if object_name is not None:
            sql += " AND object_name = ?"
            params.append(object_name)
        if local_id is not None:
            sql += " AND local_id = ?"
            params.append(local_id)
        if states is not None:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            params.extend(s.value for s in states)
        return [self._entry(row) for row in self._query(sql + " ORDER BY seq", params)]

    # ------------------------------------------------------------ error queue

    def record_error(self, entry: ErrorEntry) -> None:
        """Add a record to the error queue, or bump its attempts and message."""
        self._exec(
            "INSERT INTO errors (object_name, key, kind, message, attempts, first_run, last_run)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (object_name, key, kind) DO UPDATE SET"
            " message = excluded.message, attempts = errors.attempts + 1,"
            " last_run = excluded.last_run",
            (
                entry.object_name,
                entry.key,
                entry.kind,
                entry.message,
                entry.attempts,
                entry.first_run,
                entry.last_run,
            ),
        )

    def resolve_error(self, object_name: str, key: str, kind: str | None = None) -> None:
        """Remove a record's entries (of one kind, or all) from the error queue."""
        if kind is None:
            self._exec("DELETE FROM errors WHERE object_name = ? AND key = ?", (object_name, key))
        else:
            self._exec(
                "DELETE FROM errors WHERE object_name = ? AND key = ? AND kind = ?",
                (object_name, key, kind),
            )

    def errors(self, object_name: str | None = None, kind: str | None = None) -> list[ErrorEntry]:
        """Open error-queue entries, by object and key."""
        sql = "SELECT * FROM errors WHERE 1 = 1"
        params: list[Any] = []
        if object_name is not None:
            sql += " AND object_name = ?"
            params.append(object_name)
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        rows = self._query(sql + " ORDER BY object_name, key, kind", params)
        return [
            ErrorEntry(
                object_name=row["object_name"],
                key=row["key"],
                kind=row["kind"],
                message=row["message"],
                attempts=row["attempts"],
                first_run=row["first_run"],
                last_run=row["last_run"],
            )
            for row in rows
        ]

    def queue_notice(self, notice: Notice) -> None:
        """Queue (or replace, as the newest) the notice for a document."""
        with self.transaction():
            self._exec(
                "DELETE FROM notices WHERE object_name = ? AND local_id = ?",
                (notice.object_name, notice.local_id),
            )
            self._exec(
                "INSERT INTO notices (object_name, local_id, record_no, state) VALUES (?, ?, ?, ?)",
                (notice.object_name, notice.local_id, notice.record_no, notice.state),
            )

    def pending_notices(self, object_name: str) -> list[Notice]:
        """Notices not yet delivered for ``object_name``, oldest first."""
        rows = self._query(
            "SELECT * FROM notices WHERE object_name = ? ORDER BY seq", (object_name,)
        )
        return [
            Notice(row["object_name"], row["local_id"], row["record_no"], row["state"])
            for row in rows
        ]

    def clear_notice(self, notice: Notice) -> None:
        """Remove a delivered notice, unless a newer one replaced it."""
        self._exec(
            "DELETE FROM notices WHERE object_name = ? AND local_id = ?"
            " AND record_no IS ? AND state IS ?",
            (notice.object_name, notice.local_id, notice.record_no, notice.state),
        )

    # -------------------------------------------------------------- decisions

    def _decision(self, row: sqlite3.Row) -> DecisionNotice:
        modified = row["modified"]
        return DecisionNotice(
            row["object_name"],
            row["local_id"],
            row["record_no"],
            row["payload"],
            datetime.fromisoformat(modified) if modified else None,
            bool(row["pending"]),
        )

    def last_decision(self, object_name: str, local_id: str) -> DecisionNotice | None:
        """The last decision read for a document, delivered or not."""
        rows = self._query(
            "SELECT * FROM decisions WHERE object_name = ? AND local_id = ?",
            (object_name, local_id),
        )
        return self._decision(rows[0]) if rows else None

    def queue_decision(self, notice: DecisionNotice) -> None:
        """Record a decision read: pending, unless the same payload is already recorded."""
        modified = notice.modified.isoformat() if notice.modified is not None else None
        with self.transaction():
            before = self.last_decision(notice.object_name, notice.local_id)
            if before is not None and before.payload == notice.payload:
                self._exec(
                    "UPDATE decisions SET modified = ?, record_no = ?"
                    " WHERE object_name = ? AND local_id = ?",
                    (modified, notice.record_no, notice.object_name, notice.local_id),
                )
                return
            self._exec(
                "DELETE FROM decisions WHERE object_name = ? AND local_id = ?",
                (notice.object_name, notice.local_id),
            )
            self._exec(
                "INSERT INTO decisions (object_name, local_id, record_no, payload, modified,"
                " pending) VALUES (?, ?, ?, ?, ?, 1)",
                (notice.object_name, notice.local_id, notice.record_no, notice.payload, modified),
            )

    def pending_decisions(self, object_name: str) -> list[DecisionNotice]:
        """Decisions not yet delivered for ``object_name``, oldest first."""
        rows = self._query(
            "SELECT * FROM decisions WHERE object_name = ? AND pending = 1 ORDER BY seq",
            (object_name,),
        )
        return [self._decision(r) for r in rows]

    def clear_decision(self, notice: DecisionNotice) -> None:
        """Mark a decision delivered, unless a different one replaced it."""
        self._exec(
            "UPDATE decisions SET pending = 0 WHERE object_name = ? AND local_id = ?"
            " AND payload = ?",
            (notice.object_name, notice.local_id, notice.payload),
        )

    # ------------------------------------------------------- correction sheets

    def correction_sheets(
        self, object_name: str, local_ids: Sequence[str]
    ) -> dict[str, list[CorrectionSheet]]:
        """The correction sheets of these documents, by local id and number."""
        wanted = list(dict.fromkeys(local_ids))
        out: dict[str, list[CorrectionSheet]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT * FROM sheets WHERE object_name = ? AND local_id IN ({marks})"  # noqa: S608
                " ORDER BY local_id, number",
                (object_name, *chunk),
            )
            for row in rows:
                out.setdefault(row["local_id"], []).append(
                    CorrectionSheet(
                        row["object_name"],
                        row["local_id"],
                        row["number"],
                        row["record_no"],
                        row["remote_state"],
                        row["revision"],
                        row["last_run"],
                    )
                )
        return out

    def put_correction_sheet(self, sheet: CorrectionSheet) -> None:
        """Insert or replace the sheet of ``(object_name, local_id, number)``."""
        self._exec(
            "INSERT OR REPLACE INTO sheets (object_name, local_id, number, record_no,"
            " remote_state, revision, last_run) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                sheet.object_name,
                sheet.local_id,
                sheet.number,
                sheet.record_no,
                sheet.remote_state,
                sheet.revision,
                sheet.last_run,
            ),
        )

    # ------------------------------------------------------------------- meta

    def get_meta(self, key: str) -> str | None:
        """A fact about the store itself (such as ``installation_id``), if set."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a fact about the store itself."""
        self._exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        """Close the database connection (and give back the run lock, if held)."""
        self._conn.close()
        self._lock.close()

    def __enter__(self) -> SQLiteStateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
