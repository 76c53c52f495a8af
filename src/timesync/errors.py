"""Exceptions raised by the sync engine, its state store and its local-system adapters.

::

    SyncError
    ├── SyncConfigurationError   bad options, unknown object, a config file that cannot be used
    ├── LockHeldError            another run for the same company holds the lock
    ├── StateStoreError          the state store cannot be opened or is newer than this code
    └── RecordError              one record could not be synced (skippable; queued for retry)
        └── ConflictError        the record changed on both sides, or its remote state forbids
                                 the change: reported, never overwritten

Errors from the gateway keep their own tree (``intacct_sdk.IntacctError``); the engine turns
per-record gateway failures into :class:`RecordError` entries of its error queue and lets
run-wide ones (authentication, configuration) propagate.
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "LockHeldError",
    "RecordError",
    "StateStoreError",
    "SyncConfigurationError",
    "SyncError",
]


class SyncError(Exception):
    """Root of every exception raised by ``timesync``'s engine, store and adapters."""


class SyncConfigurationError(SyncError, ValueError):
    """The engine was given options, specs or a config it cannot work with."""


class LockHeldError(SyncError):
    """Another run for the same company is in progress (its lock is held).

    Attributes:
        path: The lock file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"another sync run holds the lock {path}")


class StateStoreError(SyncError):
    """The state store cannot be used (unreadable, or written by a newer version)."""


class RecordError(SyncError):
    """One record could not be synced; the rest of the run goes on.

    Attributes:
        object_name: The Intacct object (``TIMESHEET``, ``EMPLOYEE``, ...).
        key: The record's key (Intacct ID, or the local id for pushed records).
        reason: One line saying what went wrong.
    """

    def __init__(self, object_name: str, key: str, reason: str) -> None:
        self.object_name = object_name
        self.key = key
        self.reason = reason
        super().__init__(f"{object_name} {key}: {reason}")


class ConflictError(RecordError):
    """The record changed on both sides, or its remote state forbids the change."""
