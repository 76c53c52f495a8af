"""The engine's memory between runs: a :class:`StateStore` protocol, its SQLite default and
a PostgreSQL store for fleets of companies (:class:`PostgresStateStore`).

Bring your own database by implementing :class:`StateStore` (and :class:`Lock`); the engine
uses nothing else. The PostgreSQL classes import psycopg only when used
(``pip install "intacct-timesync[postgres]"``).
"""

from intacct_sdk import SlotWaitTimeoutError as SlotWaitTimeoutError  # PostgresLimiter raises it
from timesync.store._errors import LockHeldError, LockLostError, StateStoreError
from timesync.store._lock import FileLock
from timesync.store._pg_fleet import CompanyStatus, fleet_status
from timesync.store._pg_limiter import PostgresLimiter
from timesync.store._pg_lock import PostgresRunLock
from timesync.store._pg_schema import PG_MIGRATIONS
from timesync.store._postgres import PostgresStateStore
from timesync.store._protocol import (
    CorrectionSheet,
    Cursor,
    DecisionNotice,
    ErrorEntry,
    Link,
    LinkState,
    Lock,
    Notice,
    OutboxEntry,
    OutboxState,
    RunRecord,
    StateStore,
)
from timesync.store._sqlite import MIGRATIONS, SQLiteStateStore

__all__ = [
    "MIGRATIONS",
    "PG_MIGRATIONS",
    "CompanyStatus",
    "CorrectionSheet",
    "Cursor",
    "DecisionNotice",
    "ErrorEntry",
    "FileLock",
    "Link",
    "LinkState",
    "Lock",
    "LockHeldError",
    "LockLostError",
    "Notice",
    "OutboxEntry",
    "OutboxState",
    "PostgresLimiter",
    "PostgresRunLock",
    "PostgresStateStore",
    "RunRecord",
    "SQLiteStateStore",
    "StateStore",
    "StateStoreError",
    "fleet_status",
]
