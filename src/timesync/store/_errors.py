"""Errors of the state store and its lock (under ``timesync.errors.SyncError``)."""

from __future__ import annotations

from timesync.errors import SyncError

__all__ = ["LockHeldError", "StateStoreError"]


class LockHeldError(SyncError):
    """Another run for the same company is in progress (its lock is held).

    Attributes:
        path: The lock file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"another sync run holds the lock {path}")


class StateStoreError(SyncError):
    """The state store cannot be used (for example it was written by a newer version)."""
