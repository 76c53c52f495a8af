"""The SQLite store's schema: its versioned migrations and the tables each adds."""

from __future__ import annotations

from typing import Final

__all__ = ["MIGRATIONS", "TABLES"]

MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: the first schema
    """
    CREATE TABLE links (
        object_name TEXT NOT NULL,
        remote_key TEXT NOT NULL,
        local_id TEXT,
        record_no INTEGER,
        content_hash TEXT,
        local_hash TEXT,
        remote_modified TEXT,
        remote_state TEXT,
        revision TEXT,
        state TEXT NOT NULL DEFAULT 'linked',
        active INTEGER NOT NULL DEFAULT 1,
        last_run INTEGER,
        PRIMARY KEY (object_name, remote_key)
    );
    CREATE UNIQUE INDEX links_local ON links (object_name, local_id) WHERE local_id IS NOT NULL;
    CREATE TABLE cursors (
        object_name TEXT PRIMARY KEY,
        modified TEXT,
        record_no INTEGER NOT NULL DEFAULT 0,
        token TEXT
    );
    CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        mode TEXT NOT NULL,
        dry_run INTEGER NOT NULL DEFAULT 0,
        summary TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        control_id TEXT NOT NULL UNIQUE,
        object_name TEXT NOT NULL,
        local_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        step TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        record_no INTEGER,
        last_error TEXT,
        payload_hash TEXT,
        run_id INTEGER,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX outbox_state ON outbox (state, object_name);
    CREATE INDEX outbox_local ON outbox (object_name, local_id);
    CREATE TABLE errors (
        object_name TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1,
        first_run INTEGER,
        last_run INTEGER,
        PRIMARY KEY (object_name, key, kind)
    );
    """,
    # 2: notices to the local system, delivered at least once
    """
    CREATE TABLE notices (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        object_name TEXT NOT NULL,
        local_id TEXT NOT NULL,
        record_no INTEGER,
        state TEXT,
        UNIQUE (object_name, local_id)
    );
    """,
    # 3: routing facts kept from pulled records; links found by RECORDNO (deletions)
    """
    ALTER TABLE links ADD COLUMN facts TEXT;
    CREATE INDEX links_record_no ON links (object_name, record_no) WHERE record_no IS NOT NULL;
    """,
    # 4: facts about the store itself (installation id, the run allowed to write)
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 5: the last approval decision read per pushed document, and whether it was delivered
    """
    CREATE TABLE decisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        object_name TEXT NOT NULL,
        local_id TEXT NOT NULL,
        record_no INTEGER,
        payload TEXT NOT NULL,
        modified TEXT,
        pending INTEGER NOT NULL DEFAULT 1,
        UNIQUE (object_name, local_id)
    );
    """,
    # 6: the further Intacct records of one local document (correction timesheets)
    """
    CREATE TABLE sheets (
        object_name TEXT NOT NULL,
        local_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        record_no INTEGER,
        remote_state TEXT,
        revision TEXT,
        last_run INTEGER,
        PRIMARY KEY (object_name, local_id, number)
    );
    CREATE INDEX sheets_record_no ON sheets (object_name, record_no) WHERE record_no IS NOT NULL;
    """,
)
"""Schema steps; step ``n`` moves ``PRAGMA user_version`` from ``n - 1`` to ``n``. Append only."""


TABLES: Final = {
    1: ("links", "cursors", "runs", "outbox", "errors"),
    2: ("notices",),
    4: ("meta",),
    5: ("decisions",),
    6: ("sheets",),
}
"""The tables each schema version adds."""
