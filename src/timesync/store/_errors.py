"""Errors of the state store and its lock (under ``timesync.errors.SyncError``)."""

from __future__ import annotations

from timesync.errors import SyncError

__all__ = ["LockHeldError", "LockLostError", "StateStoreError"]


class LockHeldError(SyncError):
    """Another run for the same company is in progress (its lock is held).

    Attributes:
        path: The locked file (the state database, or a lock file).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"another sync run holds the lock on {path}")


class LockLostError(LockHeldError):
    """A newer run took the state store over (or its file was deleted or replaced) while
    this run held it: this run stopped before sending another write.

    Attributes:
        path: The state store.
        why: What happened, one line.
    """

    def __init__(self, path: str, why: str) -> None:
        self.path = path
        self.why = why
        SyncError.__init__(self, f"{why}; this run stopped before sending another write")


class StateStoreError(SyncError):
    """The state store cannot be used (for example it was written by a newer version)."""
