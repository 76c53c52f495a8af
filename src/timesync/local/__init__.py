"""The host application's side of a sync: the :class:`LocalSystem` protocol and a reference app.

Implement :class:`LocalSystem` over your own models; :class:`ReferenceApp` is a complete
example on SQLite, used by ``timesync demo`` and by the tests.
"""

from timesync.local._protocol import (
    DECIDED_STATES,
    BatchingLocalSystem,
    ComparingLocalSystem,
    DecidingLocalSystem,
    Decision,
    DocumentBatch,
    LocalDocument,
    LocalRecord,
    LocalSystem,
)
from timesync.local._reference import EntryInput, ExpenseInput, ReferenceApp

__all__ = [
    "DECIDED_STATES",
    "BatchingLocalSystem",
    "ComparingLocalSystem",
    "DecidingLocalSystem",
    "Decision",
    "DocumentBatch",
    "EntryInput",
    "ExpenseInput",
    "LocalDocument",
    "LocalRecord",
    "LocalSystem",
    "ReferenceApp",
]
