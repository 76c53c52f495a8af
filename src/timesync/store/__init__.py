"""The engine's memory between runs: a :class:`StateStore` protocol and its SQLite default.

Bring your own database by implementing :class:`StateStore` (and :class:`Lock`); the engine
uses nothing else.
"""

from timesync.store._errors import LockHeldError, LockLostError, StateStoreError
from timesync.store._lock import FileLock
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
    "RunRecord",
    "SQLiteStateStore",
    "StateStore",
    "StateStoreError",
]
