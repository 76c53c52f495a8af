"""The PostgreSQL store's schema: versioned migrations, every table keyed by company first.

``{s}`` in a script stands for the store's schema (a quoted identifier). Each step moves the
``migrations`` table from version ``n - 1`` to ``n``; append only.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Final, LiteralString

from timesync.store._errors import StateStoreError
from timesync.store._pg_lock import advisory_key

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.sql import Composed
    from psycopg_pool import ConnectionPool

__all__ = ["PG_MIGRATIONS", "checked_schema", "compose", "migrate", "schema_version"]

log = logging.getLogger(__name__)

_SCHEMA_NAME: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

PG_MIGRATIONS: Final[tuple[LiteralString, ...]] = (
    # 1: the schema of SQLite version 6, one database for every company
    """
    CREATE TABLE {s}.links (
        company_id TEXT NOT NULL,
        object_name TEXT NOT NULL,
        remote_key TEXT NOT NULL,
        local_id TEXT,
        record_no BIGINT,
        content_hash TEXT,
        local_hash TEXT,
        remote_modified TEXT,
        remote_state TEXT,
        revision TEXT,
        state TEXT NOT NULL DEFAULT 'linked',
        active BOOLEAN NOT NULL DEFAULT TRUE,
        last_run BIGINT,
        facts TEXT,
        PRIMARY KEY (company_id, object_name, remote_key)
    );
    CREATE UNIQUE INDEX links_local ON {s}.links (company_id, object_name, local_id)
        WHERE local_id IS NOT NULL;
    CREATE INDEX links_record_no ON {s}.links (company_id, object_name, record_no)
        WHERE record_no IS NOT NULL;
    CREATE TABLE {s}.cursors (
        company_id TEXT NOT NULL,
        object_name TEXT NOT NULL,
        modified TEXT,
        record_no BIGINT NOT NULL DEFAULT 0,
        token TEXT,
        PRIMARY KEY (company_id, object_name)
    );
    CREATE TABLE {s}.runs (
        company_id TEXT NOT NULL,
        run_id BIGINT GENERATED ALWAYS AS IDENTITY,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        status TEXT NOT NULL,
        mode TEXT NOT NULL,
        dry_run BOOLEAN NOT NULL DEFAULT FALSE,
        summary TEXT NOT NULL DEFAULT '{{}}',
        PRIMARY KEY (company_id, run_id)
    );
    CREATE TABLE {s}.outbox (
        company_id TEXT NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        control_id TEXT NOT NULL,
        object_name TEXT NOT NULL,
        local_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        step TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        record_no BIGINT,
        last_error TEXT,
        payload_hash TEXT,
        run_id BIGINT,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (company_id, control_id)
    );
    CREATE INDEX outbox_state ON {s}.outbox (company_id, state, object_name);
    CREATE INDEX outbox_local ON {s}.outbox (company_id, object_name, local_id);
    CREATE TABLE {s}.errors (
        company_id TEXT NOT NULL,
        object_name TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1,
        first_run BIGINT,
        last_run BIGINT,
        PRIMARY KEY (company_id, object_name, key, kind)
    );
    CREATE TABLE {s}.notices (
        company_id TEXT NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        object_name TEXT NOT NULL,
        local_id TEXT NOT NULL,
        record_no BIGINT,
        state TEXT,
        PRIMARY KEY (company_id, object_name, local_id)
    );
    CREATE TABLE {s}.meta (
        company_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (company_id, key)
    );
    CREATE TABLE {s}.decisions (
        company_id TEXT NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        object_name TEXT NOT NULL,
        local_id TEXT NOT NULL,
        record_no BIGINT,
        payload TEXT NOT NULL,
        modified TEXT,
        pending BOOLEAN NOT NULL DEFAULT TRUE,
        PRIMARY KEY (company_id, object_name, local_id)
    );
    CREATE TABLE {s}.sheets (
        company_id TEXT NOT NULL,
        object_name TEXT NOT NULL,
        local_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        record_no BIGINT,
        remote_state TEXT,
        revision TEXT,
        last_run BIGINT,
        PRIMARY KEY (company_id, object_name, local_id, number)
    );
    """,
)
"""Schema steps of :class:`~timesync.store.PostgresStateStore`; append only."""


def checked_schema(schema: str) -> str:
    """``schema`` when it is a plain lower-case identifier (ValueError otherwise)."""
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"schema must be a lower-case SQL identifier, not {schema!r}")
    return schema


def compose(text: LiteralString, schema: str) -> Composed:
    """``text`` with ``{s}`` replaced by the quoted schema name."""
    from psycopg import sql

    return sql.SQL(text).format(s=sql.Identifier(schema))


def migrate(pool: ConnectionPool[Any], *, schema: str = "timesync") -> int:
    """Create or upgrade the store's schema in the pool's database; safe to run from many
    workers at once (they queue on one advisory lock, and each step runs in a transaction).

    Args:
        pool: A psycopg connection pool on the database.
        schema: The PostgreSQL schema holding the store's tables.

    Returns:
        The schema version now in the database.

    Raises:
        StateStoreError: The database holds a newer schema than this code knows.
    """
    schema = checked_schema(schema)
    with pool.connection() as conn, conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock(%s)", (advisory_key("timesync-migrate", schema),)
        )
        conn.execute(compose("CREATE SCHEMA IF NOT EXISTS {s}", schema))
        conn.execute(
            compose(
                "CREATE TABLE IF NOT EXISTS {s}.migrations (version INTEGER PRIMARY KEY,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                schema,
            )
        )
        version = schema_version(conn, schema)
        if version > len(PG_MIGRATIONS):
            raise StateStoreError(
                f"state database schema {schema!r} has version {version}; "
                f"this version of timesync knows up to {len(PG_MIGRATIONS)}"
            )
        for number in range(version + 1, len(PG_MIGRATIONS) + 1):
            conn.execute(compose(PG_MIGRATIONS[number - 1], schema))
            conn.execute(
                compose("INSERT INTO {s}.migrations (version) VALUES (%s)", schema), (number,)
            )
            log.info("state store schema %s migrated to version %d", schema, number)
    return len(PG_MIGRATIONS)


def schema_version(conn: Connection[Any], schema: str) -> int:
    """The version recorded in the schema's ``migrations`` table (0 when empty)."""
    row = conn.execute(
        compose("SELECT coalesce(max(version), 0) FROM {s}.migrations", schema)
    ).fetchone()
    return int(row[0]) if row else 0
