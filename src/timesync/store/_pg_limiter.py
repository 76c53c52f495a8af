"""A per-company request budget shared by every process, held in PostgreSQL.

Intacct lets very few requests run at once per company, and every integration the customer
runs shares them. :class:`PostgresLimiter` gives a company ``slots`` slots: each is an
advisory lock key, held on a connection of its own for the length of one HTTP request, so
every worker on every machine draws from the same budget, and a process that dies gives its
slots back when its connections close.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from intacct_sdk import SlotWaitTimeoutError
from timesync.store._pg_lock import advisory_key

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresLimiter"]

log = logging.getLogger(__name__)


class PostgresLimiter:
    """``slots`` concurrent requests per company, counted across every process that shares
    the database (a ``RequestLimiter`` for ``ClientOptions.limiter``).

    Slot ``i`` of a company is the advisory lock ``(company key, i)``;
    :meth:`slot` tries each (``pg_try_advisory_lock``) and holds the first free one on a
    pooled connection until the request ends, polling with a small jittered backoff while
    every slot is taken. The company key is a 32-bit hash of its id: two companies whose
    keys collide share one budget (safe, only slower).

    Args:
        pool: A psycopg 3 connection pool (each held slot holds one of its connections).
        company_id: The Intacct company the budget belongs to.
        slots: Requests allowed at once for this company, across every process.
        wait: Seconds to wait for a slot before :class:`SlotWaitTimeoutError`.
        poll: The first pause between tries while every slot is taken (it doubles up to
            ten times this, each pause jittered).
    """

    def __init__(
        self,
        pool: ConnectionPool[Any],
        company_id: str,
        slots: int = 2,
        *,
        wait: float = 60.0,
        poll: float = 0.02,
    ) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.pool = pool
        self.company_id = company_id
        self.slots = slots
        self.wait = wait
        self.poll = poll
        self.key = advisory_key("timesync-slot", company_id, bits=32)

    def __repr__(self) -> str:
        return f"PostgresLimiter({self.company_id!r}, slots={self.slots})"

    def _try(self) -> tuple[Connection[Any], int] | None:
        conn = self.pool.getconn()
        try:
            conn.autocommit = True
            start = random.randrange(self.slots)
            for n in range(self.slots):
                index = (start + n) % self.slots
                row = conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (self.key, index)
                ).fetchone()
                if row and row[0]:
                    return conn, index
        except BaseException:
            self.pool.putconn(conn)
            raise
        self.pool.putconn(conn)
        return None

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the company's slots for the block (one HTTP request).

        Raises:
            SlotWaitTimeoutError: Every slot stayed taken for ``wait`` seconds.
        """
        deadline = time.monotonic() + self.wait
        pause = self.poll
        while (taken := self._try()) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SlotWaitTimeoutError(
                    f"no request slot of company {self.company_id} freed up in {self.wait:g} s"
                )
            time.sleep(min(left, pause * random.uniform(0.5, 1.5)))
            pause = min(pause * 2, self.poll * 10)
        conn, index = taken
        try:
            yield
        finally:
            try:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (self.key, index))
            except Exception:  # a broken connection: the server freed the slot with it
                log.debug("slot %d of %s: unlock failed", index, self.company_id, exc_info=True)
                conn.close()
            self.pool.putconn(conn)

    def in_use(self) -> int:
        """Slots of this company held right now, by any process (from ``pg_locks``)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = (%s::int)::oid AND objsubid = 2",
                (self.key,),
            ).fetchone()
        return int(row[0]) if row else 0
