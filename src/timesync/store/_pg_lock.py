"""Advisory locks of the PostgreSQL store: the per-company run lock and the key scheme."""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import TYPE_CHECKING, Any

from timesync.store._errors import LockHeldError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresRunLock", "advisory_key"]

log = logging.getLogger(__name__)


def advisory_key(*parts: str, bits: int = 64) -> int:
    """A signed advisory-lock key (64 or 32 bits) derived from ``parts``, the same in every
    process and on every machine (a hash of the parts, not Python's ``hash``)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest[: bits // 8], "big", signed=True)


class PostgresRunLock:
    """The run lock of one company in PostgreSQL: a session-level advisory lock
    (``pg_try_advisory_lock``) on a connection taken from the pool and kept for as long as
    the lock is held.

    When the holding process dies its connection closes and PostgreSQL drops the lock: a
    killed worker never keeps a company locked. Reentrant in its holder like
    :class:`~timesync.store.FileLock`: every :meth:`acquire` has its :meth:`release`.

    Args:
        pool: The store's connection pool (the lock holds one of its connections).
        company_id: The company the lock guards.
        schema: The store's schema (stores in different schemas lock apart).
    """

    def __init__(self, pool: ConnectionPool[Any], company_id: str, *, schema: str) -> None:
        self.pool = pool
        self.company_id = company_id
        self.key = advisory_key("timesync-run", schema, company_id)
        self._conn: Connection[Any] | None = None
        self._depth = 0
        self._mutex = threading.Lock()

    def __repr__(self) -> str:
        return f"PostgresRunLock({self.company_id!r}, held={self.held})"

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._conn is not None

    def acquire(self) -> None:
        """Take the lock without waiting.

        Raises:
            LockHeldError: Another session (another worker, or another store object) holds it.
        """
        with self._mutex:
            if self._conn is not None:
                self._depth += 1
                return
            conn = self.pool.getconn()
            try:
                conn.autocommit = True
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            except BaseException:
                self.pool.putconn(conn)
                raise
            if not (row and row[0]):
                conn.autocommit = False
                self.pool.putconn(conn)
                raise LockHeldError(f"company {self.company_id}")
            self._conn, self._depth = conn, 1

    def release(self) -> None:
        """Give back one :meth:`acquire`; the lock is free once every one is given back
        (a no-op when not held)."""
        with self._mutex:
            if self._conn is None:
                return
            self._depth -= 1
            if self._depth > 0:
                return
            conn, self._conn = self._conn, None
            try:
                conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
                conn.autocommit = False
            except Exception:  # a broken connection: the server dropped the lock with it
                log.debug("run lock of %s: unlock failed", self.company_id, exc_info=True)
                conn.close()
            self.pool.putconn(conn)

    def close(self) -> None:
        """Give the lock back whatever the number of acquisitions."""
        self._depth = min(self._depth, 1)
        self.release()

    def __enter__(self) -> PostgresRunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
