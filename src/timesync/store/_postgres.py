"""A state store in PostgreSQL (psycopg 3): one database for every company of a fleet.

psycopg is imported only when a store is used, so the default install needs none of it
(``pip install "intacct-timesync[postgres]"`` brings it).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, LiteralString

from timesync.store._errors import LockLostError, StateStoreError
from timesync.store._pg_lock import PostgresRunLock
from timesync.store._pg_schema import PG_MIGRATIONS, checked_schema, compose, schema_version
from timesync.store._pg_schema import migrate as _migrate
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

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.sql import Composed
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresStateStore"]

_LINK_PAGE: Final = 2000
"""Links read per statement when walking every link of an object."""

log = logging.getLogger(__name__)

_WRITER: Final = "writer_run"
_CLAIMABLE: Final = frozenset({OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.FAILED})


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class PostgresStateStore:
    """A :class:`~timesync.store.StateStore` in PostgreSQL, one company's view of a database
    that serves every company.

    Every table leads its primary key with ``company_id`` and every statement filters by it,
    so two stores of different companies on one database never see each other's rows. The
    schema is created or upgraded on first use (:meth:`migrate`, guarded by an advisory lock
    so workers starting together are safe).

    :meth:`transaction` pins one pooled connection to the calling thread until the outer
    transaction ends; outside one, each call takes a connection and commits by itself. Read
    inside a transaction, outbox rows still to be sent (pending, in flight or failed) are
    locked ``FOR UPDATE SKIP LOCKED``: a second writer that got past the run lock skips
    rows the first one holds instead of sending them twice.

    Args:
        pool: A psycopg 3 ``ConnectionPool`` on the database (size it for two connections
            per company running at once: the run lock holds one).
        company_id: The company (tenant) whose state this store reads and writes.
        schema: The PostgreSQL schema of the tables.
        migrate: Create or upgrade the schema when needed (otherwise only check it).

    Raises:
        StateStoreError: The schema is missing (with ``migrate=False``) or newer than this
            code knows.
    """

    def __init__(
        self,
        pool: ConnectionPool[Any],
        company_id: str,
        *,
        schema: str = "timesync",
        migrate: bool = True,
    ) -> None:
        if not company_id:
            raise ValueError("company_id must not be empty")
        self.pool = pool
        self.company_id = company_id
        self.schema = checked_schema(schema)
        self._local = threading.local()
        self._sql: dict[str, Composed] = {}
        version = self._current_version()
        if version != len(PG_MIGRATIONS):
            if version > len(PG_MIGRATIONS) or not migrate:
                raise StateStoreError(
                    f"state database schema {schema!r} has version {version}; this version "
                    f"of timesync needs {len(PG_MIGRATIONS)} (run PostgresStateStore.migrate)"
                )
            self.migrate(pool, schema=schema)
        self._lock = PostgresRunLock(pool, company_id, schema=self.schema)

    @staticmethod
    def migrate(pool: ConnectionPool[Any], *, schema: str = "timesync") -> int:
        """Create or upgrade the schema in the pool's database; safe to run from many
        workers at once (they queue on one advisory lock; each step runs in a transaction).

        Returns:
            The schema version now in the database.

        Raises:
            StateStoreError: The database holds a newer schema than this code knows.
        """
        return _migrate(pool, schema=schema)

    def _current_version(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT to_regclass(%s) IS NOT NULL", (f'"{self.schema}".migrations',)
            ).fetchone()
            if not (row and row[0]):
                return 0
            return schema_version(conn, self.schema)

    def __repr__(self) -> str:
        return f"PostgresStateStore(company_id={self.company_id!r}, schema={self.schema!r})"

    @property
    def schema_version(self) -> int:
        """The schema version in the database."""
        return self._current_version()

    def run_lock(self) -> PostgresRunLock:
        """The company's run lock (the same object every call): an advisory lock held on its
        own connection, dropped by PostgreSQL if the holding process dies."""
        return self._lock

    # ------------------------------------------------------------ connections

    def _q(self, text: LiteralString) -> Composed:
        query = self._sql.get(text)
        if query is None:
            query = self._sql[text] = compose(text, self.schema)
        return query

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction on one pooled connection pinned to this thread; nested calls join
        the outer one. Rolls back on an exception."""
        local = self._local
        if getattr(local, "conn", None) is not None:
            local.depth += 1
            try:
                yield
            finally:
                local.depth -= 1
            return
        with self.pool.connection() as conn, conn.transaction():
            local.conn, local.depth = conn, 1
            try:
                yield
            finally:
                local.conn, local.depth = None, 0

    @contextmanager
    def _conn(self) -> Iterator[Connection[Any]]:
        pinned: Connection[Any] | None = getattr(self._local, "conn", None)
        if pinned is not None:
            yield pinned
            return
        with self.pool.connection() as conn:
            yield conn

    @property
    def _in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    def _exec(self, text: LiteralString, params: Sequence[Any] = ()) -> int:
        with self._conn() as conn:
            return conn.execute(self._q(text), [self.company_id, *params]).rowcount

    def _rows(self, text: LiteralString, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        with self._conn() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(self._q(text), [self.company_id, *params])
            return cur.fetchall()

    # ------------------------------------------------------------------ links

    @staticmethod
    def _link(row: Mapping[str, Any]) -> Link:
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
        rows = self._rows(
            "SELECT * FROM {s}.links WHERE company_id = %s AND object_name = %s"
            " AND remote_key = %s",
            (object_name, remote_key),
        )
        return self._link(rows[0]) if rows else None

    def link_for_local(self, object_name: str, local_id: str) -> Link | None:
        """The link holding a local record, if any."""
        rows = self._rows(
            "SELECT * FROM {s}.links WHERE company_id = %s AND object_name = %s AND local_id = %s",
            (object_name, local_id),
        )
        return self._link(rows[0]) if rows else None

    def links(self, object_name: str) -> Iterator[Link]:
        """Every link of an object, by remote key.

        Read a page of links at a time (keyset on the remote key), so walking every link of
        a large object holds one page, not all of them.
        """
        after: str | None = None
        while True:
            if after is None:
                rows = self._rows(
                    "SELECT * FROM {s}.links WHERE company_id = %s AND object_name = %s"
                    ' ORDER BY remote_key COLLATE "C" LIMIT %s',
                    (object_name, _LINK_PAGE),
                )
            else:
                rows = self._rows(
                    "SELECT * FROM {s}.links WHERE company_id = %s AND object_name = %s"
                    ' AND remote_key COLLATE "C" > %s ORDER BY remote_key COLLATE "C" LIMIT %s',
                    (object_name, after, _LINK_PAGE),
                )
            yield from (self._link(row) for row in rows)
            if len(rows) < _LINK_PAGE:
                return
            after = rows[-1]["remote_key"]

    def links_by_key(self, object_name: str, remote_keys: Sequence[str]) -> dict[str, Link]:
        """The links of these remote keys, by key."""
        rows = self._rows(
            "SELECT * FROM {s}.links WHERE company_id = %s AND object_name = %s"
            " AND remote_key = ANY(%s)",
            (object_name, list(dict.fromkeys(remote_keys))),
        )
        return {lk.remote_key: lk for lk in map(self._link, rows)}

    def links_by_record_no(self, object_name: str, record_nos: Sequence[int]) -> dict[int, Link]:
        """The links of these Intacct RECORDNOs, by RECORDNO."""
        rows = self._rows(
            "SELECT * FROM {s}.links WHERE company_id = %s AND object_name = %s"
            " AND record_no = ANY(%s)",
            (object_name, list(dict.fromkeys(record_nos))),
        )
        return {lk.record_no: lk for lk in map(self._link, rows) if lk.record_no is not None}

    def put_link(self, link: Link) -> None:
        """Insert or replace the link of ``(object_name, remote_key)``; a different link
        holding the same local id is dropped in the same transaction."""
        with self.transaction():
            if link.local_id is not None:
                self._exec(
                    "DELETE FROM {s}.links WHERE company_id = %s AND object_name = %s"
                    " AND local_id = %s AND remote_key != %s",
                    (link.object_name, link.local_id, link.remote_key),
                )
            self._exec(
                "INSERT INTO {s}.links (company_id, object_name, remote_key, local_id,"
                " record_no, content_hash, local_hash, remote_modified, remote_state, revision,"
                " state, active, last_run, facts)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (company_id, object_name, remote_key) DO UPDATE SET"
                " local_id = excluded.local_id, record_no = excluded.record_no,"
                " content_hash = excluded.content_hash, local_hash = excluded.local_hash,"
                " remote_modified = excluded.remote_modified,"
                " remote_state = excluded.remote_state, revision = excluded.revision,"
                " state = excluded.state, active = excluded.active,"
                " last_run = excluded.last_run, facts = excluded.facts",
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
                    link.active,
                    link.last_run,
                    None if link.facts is None else json.dumps(dict(link.facts), sort_keys=True),
                ),
            )

    def delete_link(self, object_name: str, remote_key: str) -> None:
        """Forget a link."""
        self._exec(
            "DELETE FROM {s}.links WHERE company_id = %s AND object_name = %s AND remote_key = %s",
            (object_name, remote_key),
        )

    # ---------------------------------------------------------------- cursors

    @staticmethod
    def _cursor(row: Mapping[str, Any]) -> Cursor:
        return Cursor(row["object_name"], _dt(row["modified"]), row["record_no"], row["token"])

    def get_cursor(self, object_name: str) -> Cursor | None:
        """The cursor of an object, if any."""
        rows = self._rows(
            "SELECT * FROM {s}.cursors WHERE company_id = %s AND object_name = %s", (object_name,)
        )
        return self._cursor(rows[0]) if rows else None

    def set_cursor(self, cursor: Cursor) -> None:
        """Insert or replace a cursor."""
        self._exec(
            "INSERT INTO {s}.cursors (company_id, object_name, modified, record_no, token)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (company_id, object_name) DO UPDATE SET"
            " modified = excluded.modified, record_no = excluded.record_no,"
            " token = excluded.token",
            (cursor.object_name, _ts(cursor.modified), cursor.record_no, cursor.token),
        )

    def cursors(self) -> list[Cursor]:
        """Every cursor, by object."""
        rows = self._rows(
            'SELECT * FROM {s}.cursors WHERE company_id = %s ORDER BY object_name COLLATE "C"'
        )
        return [self._cursor(r) for r in rows]

    def reset_cursor(self, object_name: str) -> None:
        """Forget a cursor."""
        self._exec(
            "DELETE FROM {s}.cursors WHERE company_id = %s AND object_name = %s", (object_name,)
        )

    # ------------------------------------------------------------------- runs

    def start_run(self, mode: str, *, dry_run: bool = False) -> int:
        """Record the start of a run and return its id; a run that may write becomes the
        company's writer (see :meth:`put_outbox`)."""
        with self.transaction():
            [row] = self._rows(
                "INSERT INTO {s}.runs (company_id, started_at, status, mode, dry_run)"
                " VALUES (%s, %s, 'running', %s, %s) RETURNING run_id",
                (datetime.now(UTC), mode, dry_run),
            )
            run_id = int(row["run_id"])
            if not dry_run:
                self.set_meta(_WRITER, str(run_id))
        return run_id

    def _check_writer(self, run_id: int) -> None:
        """Refuse an in-flight row of a run that is no longer the company's writer; the
        writer row is share-locked until the transaction ends, so a run starting meanwhile
        waits for it."""
        rows = self._rows(
            "SELECT value FROM {s}.meta WHERE company_id = %s AND key = %s FOR SHARE",
            (_WRITER,),
        )
        writer = rows[0]["value"] if rows else None
        if writer is not None and writer != str(run_id):
            raise LockLostError(
                f"company {self.company_id}",
                f"run {writer} started for company {self.company_id} while run {run_id} "
                "was writing",
            )

    def finish_run(self, run_id: int, status: str, summary: Mapping[str, Any]) -> None:
        """Record how a run ended, with a JSON summary."""
        self._exec(
            "WITH k AS (SELECT %s::text AS c) UPDATE {s}.runs SET finished_at = %s,"
            " status = %s, summary = %s WHERE company_id = (SELECT c FROM k) AND run_id = %s",
            (datetime.now(UTC), status, json.dumps(summary, sort_keys=True, default=str), run_id),
        )

    def runs(self, limit: int = 10) -> list[RunRecord]:
        """The latest runs, newest first."""
        rows = self._rows(
            "SELECT * FROM {s}.runs WHERE company_id = %s ORDER BY run_id DESC LIMIT %s", (limit,)
        )
        return [
            RunRecord(
                run_id=row["run_id"],
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                status=row["status"],
                mode=row["mode"],
                dry_run=bool(row["dry_run"]),
                summary=json.loads(row["summary"]),
            )
            for row in rows
        ]

    # ----------------------------------------------------------------- outbox

    @staticmethod
    def _entry(row: Mapping[str, Any]) -> OutboxEntry:
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
            LockLostError: ``entry`` is in flight for a run that is no longer the company's
                writer (see :meth:`start_run`); nothing is written.
        """
        with self.transaction():
            if entry.state is OutboxState.IN_FLIGHT and entry.run_id is not None:
                self._check_writer(entry.run_id)
            self._exec(
                "INSERT INTO {s}.outbox (company_id, control_id, object_name, local_id, revision,"
                " step, state, attempts, record_no, last_error, payload_hash, run_id, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())"
                " ON CONFLICT (company_id, control_id) DO UPDATE SET"
                " object_name = excluded.object_name, local_id = excluded.local_id,"
                " revision = excluded.revision, step = excluded.step, state = excluded.state,"
                " attempts = excluded.attempts, record_no = excluded.record_no,"
                " last_error = excluded.last_error, payload_hash = excluded.payload_hash,"
                " run_id = excluded.run_id, updated_at = excluded.updated_at",
                (
                    entry.control_id,
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
                ),
            )

    def get_outbox(self, control_id: str) -> OutboxEntry | None:
        """One outbox row by control id."""
        rows = self._rows(
            "SELECT * FROM {s}.outbox WHERE company_id = %s AND control_id = %s", (control_id,)
        )
        return self._entry(rows[0]) if rows else None

    def outbox(
        self,
        *,
        object_name: str | None = None,
        states: Sequence[OutboxState] | None = None,
        local_id: str | None = None,
    ) -> list[OutboxEntry]:
        """Outbox rows, oldest first, optionally filtered by object, state and document.

        Inside a :meth:`transaction`, a read of rows still to be sent (``states`` among
        pending, in flight and failed) locks them ``FOR UPDATE SKIP LOCKED`` until the
        transaction ends: rows another transaction holds are left out.
        """
        params = (
            object_name,
            object_name,
            local_id,
            local_id,
            states is None,
            [s.value for s in states or ()],
        )
        where: LiteralString = (
            "SELECT * FROM {s}.outbox WHERE company_id = %s"
            " AND (%s::text IS NULL OR object_name = %s)"
            " AND (%s::text IS NULL OR local_id = %s)"
            " AND (%s OR state = ANY(%s::text[])) ORDER BY seq"
        )
        if self._in_transaction and states is not None and set(states) <= _CLAIMABLE:
            return [self._entry(r) for r in self._rows(where + " FOR UPDATE SKIP LOCKED", params)]
        return [self._entry(r) for r in self._rows(where, params)]

    # ------------------------------------------------------------ error queue

    def record_error(self, entry: ErrorEntry) -> None:
        """Add a record to the error queue, or bump its attempts and message."""
        self._exec(
            "INSERT INTO {s}.errors (company_id, object_name, key, kind, message, attempts,"
            " first_run, last_run) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (company_id, object_name, key, kind) DO UPDATE SET"
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
        self._exec(
            "DELETE FROM {s}.errors WHERE company_id = %s AND object_name = %s AND key = %s"
            " AND (%s::text IS NULL OR kind = %s)",
            (object_name, key, kind, kind),
        )

    def errors(self, object_name: str | None = None, kind: str | None = None) -> list[ErrorEntry]:
        """Open error-queue entries, by object and key."""
        rows = self._rows(
            "SELECT * FROM {s}.errors WHERE company_id = %s"
            " AND (%s::text IS NULL OR object_name = %s) AND (%s::text IS NULL OR kind = %s)"
            ' ORDER BY object_name COLLATE "C", key COLLATE "C", kind COLLATE "C"',
            (object_name, object_name, kind, kind),
        )
        return [
            ErrorEntry(
                row["object_name"],
                row["key"],
                row["kind"],
                row["message"],
                row["attempts"],
                row["first_run"],
                row["last_run"],
            )
            for row in rows
        ]

    # --------------------------------------------------------------- notices

    def queue_notice(self, notice: Notice) -> None:
        """Queue (or replace, as the newest) the notice for a document."""
        with self.transaction():
            self._exec(
                "DELETE FROM {s}.notices WHERE company_id = %s AND object_name = %s"
                " AND local_id = %s",
                (notice.object_name, notice.local_id),
            )
            self._exec(
                "INSERT INTO {s}.notices (company_id, object_name, local_id, record_no, state)"
                " VALUES (%s, %s, %s, %s, %s)",
                (notice.object_name, notice.local_id, notice.record_no, notice.state),
            )

    def pending_notices(self, object_name: str) -> list[Notice]:
        """Notices not yet delivered for ``object_name``, oldest first."""
        rows = self._rows(
            "SELECT * FROM {s}.notices WHERE company_id = %s AND object_name = %s ORDER BY seq",
            (object_name,),
        )
        return [Notice(r["object_name"], r["local_id"], r["record_no"], r["state"]) for r in rows]

    def clear_notice(self, notice: Notice) -> None:
        """Remove a delivered notice, unless a newer one replaced it."""
        self._exec(
            "DELETE FROM {s}.notices WHERE company_id = %s AND object_name = %s AND local_id = %s"
            " AND record_no IS NOT DISTINCT FROM %s AND state IS NOT DISTINCT FROM %s",
            (notice.object_name, notice.local_id, notice.record_no, notice.state),
        )

    # -------------------------------------------------------------- decisions

    @staticmethod
    def _decision(row: Mapping[str, Any]) -> DecisionNotice:
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
        rows = self._rows(
            "SELECT * FROM {s}.decisions WHERE company_id = %s AND object_name = %s"
            " AND local_id = %s",
            (object_name, local_id),
        )
        return self._decision(rows[0]) if rows else None

    def queue_decision(self, notice: DecisionNotice) -> None:
        """Record a decision read: pending, unless the same payload is already recorded."""
        modified = _ts(notice.modified)
        with self.transaction():
            before = self.last_decision(notice.object_name, notice.local_id)
            if before is not None and before.payload == notice.payload:
                self._exec(
                    "WITH k AS (SELECT %s::text AS c) UPDATE {s}.decisions SET modified = %s,"
                    " record_no = %s WHERE company_id = (SELECT c FROM k) AND object_name = %s"
                    " AND local_id = %s",
                    (modified, notice.record_no, notice.object_name, notice.local_id),
                )
                return
            self._exec(
                "DELETE FROM {s}.decisions WHERE company_id = %s AND object_name = %s"
                " AND local_id = %s",
                (notice.object_name, notice.local_id),
            )
            self._exec(
                "INSERT INTO {s}.decisions (company_id, object_name, local_id, record_no,"
                " payload, modified, pending) VALUES (%s, %s, %s, %s, %s, %s, TRUE)",
                (notice.object_name, notice.local_id, notice.record_no, notice.payload, modified),
            )

    def pending_decisions(self, object_name: str) -> list[DecisionNotice]:
        """Decisions not yet delivered for ``object_name``, oldest first."""
        rows = self._rows(
            "SELECT * FROM {s}.decisions WHERE company_id = %s AND object_name = %s AND pending"
            " ORDER BY seq",
            (object_name,),
        )
        return [self._decision(r) for r in rows]

    def clear_decision(self, notice: DecisionNotice) -> None:
        """Mark a decision delivered, unless a different one replaced it."""
        self._exec(
            "UPDATE {s}.decisions SET pending = FALSE WHERE company_id = %s AND object_name = %s"
            " AND local_id = %s AND payload = %s",
            (notice.object_name, notice.local_id, notice.payload),
        )

    # ------------------------------------------------------- correction sheets

    def correction_sheets(
        self, object_name: str, local_ids: Sequence[str]
    ) -> dict[str, list[CorrectionSheet]]:
        """The correction sheets of these documents, by local id and number."""
        rows = self._rows(
            "SELECT * FROM {s}.sheets WHERE company_id = %s AND object_name = %s"
            ' AND local_id = ANY(%s) ORDER BY local_id COLLATE "C", number',
            (object_name, list(dict.fromkeys(local_ids))),
        )
        out: dict[str, list[CorrectionSheet]] = {}
        for r in rows:
            out.setdefault(r["local_id"], []).append(
                CorrectionSheet(
                    r["object_name"],
                    r["local_id"],
                    r["number"],
                    r["record_no"],
                    r["remote_state"],
                    r["revision"],
                    r["last_run"],
                )
            )
        return out

    def put_correction_sheet(self, sheet: CorrectionSheet) -> None:
        """Insert or replace the sheet of ``(object_name, local_id, number)``."""
        self._exec(
            "INSERT INTO {s}.sheets (company_id, object_name, local_id, number, record_no,"
            " remote_state, revision, last_run) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (company_id, object_name, local_id, number) DO UPDATE SET"
            " record_no = excluded.record_no, remote_state = excluded.remote_state,"
            " revision = excluded.revision, last_run = excluded.last_run",
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
        """A fact about the company's store (such as ``installation_id``), if set."""
        rows = self._rows("SELECT value FROM {s}.meta WHERE company_id = %s AND key = %s", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a fact about the company's store."""
        self._exec(
            "INSERT INTO {s}.meta (company_id, key, value) VALUES (%s, %s, %s)"
            " ON CONFLICT (company_id, key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        """Give back the run lock if held; the pool belongs to the caller and stays open."""
        self._lock.close()

    def __enter__(self) -> PostgresStateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
