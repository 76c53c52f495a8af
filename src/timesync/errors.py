"""Errors raised by timesync, one root branched by what the caller can do.

::

    SyncError
    ├── ConfigurationError   a spec, option or config file is wrong: fix it, then run again
    ├── MappingError         a record does not map; every field error at once, each with its path
    ├── ConflictError        both sides changed, or Intacct forbids the change: a person decides
    ├── RecordError          one record failed; the rest of the run goes on and it is retried later
    └── GatewayUnreachableError  Intacct could not be reached: the run stopped; check, run again

Errors carry structured fields (object, key, paths) and never a secret. ``str(exc)`` is one line.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "FieldError",
    "GatewayUnreachableError",
    "MappingError",
    "RecordError",
    "SyncError",
]


class SyncError(Exception):
    """The root of every error timesync raises on purpose."""


class ConfigurationError(SyncError, ValueError):
    """A mapping spec, option or config file is invalid.

    Attributes:
        problems: Every problem found, one line each (a spec check reports all of them).
    """

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems: tuple[str, ...] = tuple(problems) or (message,)
        super().__init__(message)


@attrs.frozen(slots=True)
class FieldError:
    """One field that did not map.

    Attributes:
        path: Where the value sits, e.g. ``timesheet[2].entries[5].hours``.
        message: What is wrong, without the value itself (values may be private).
        remote_field: The Intacct field involved, when there is one.
    """

    path: str
    message: str
    remote_field: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class MappingError(SyncError):
    """A record (or a batch) could not be mapped; ``errors`` lists every field error.

    Attributes:
        errors: All field errors, in the order they were found.
        object_name: The Intacct object being mapped.
        key: The record's key when it is known.
    """

    def __init__(
        self,
        errors: Iterable[FieldError],
        *,
        object_name: str | None = None,
        key: str | None = None,
    ) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        self.object_name = object_name
        self.key = key
        count = len(self.errors)
        where = f" {object_name}" if object_name else ""
        if key is not None:
            where += f" {key!r}"
        detail = "; ".join(str(e) for e in self.errors[:5])
        more = f"; and {count - 5} more" if count > 5 else ""
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{count} field {noun} mapping{where}: {detail}{more}")


class ConflictError(SyncError):
    """A change cannot be applied without overwriting someone else's change.

    Attributes:
        object_name: The Intacct object.
        key: The local or Intacct key of the record.
        reason: Why it is a conflict.
    """

    def __init__(self, object_name: str, key: str, reason: str) -> None:
        self.object_name = object_name
        self.key = key
        self.reason = reason
        super().__init__(f"conflict on {object_name} {key!r}: {reason}")


class RecordError(SyncError):
    """One record failed; it is skipped for this run and retried later.

    Attributes:
        object_name: The Intacct object.
        key: The local or Intacct key of the record.
        reason: What went wrong.
    """

    def __init__(self, object_name: str, key: str, reason: str) -> None:
        self.object_name = object_name
        self.key = key
        self.reason = reason
        super().__init__(f"{object_name} {key!r} failed: {reason}")


class GatewayUnreachableError(SyncError):
    """Intacct could not be reached, or did not answer as the gateway does, after the
    client's retries: the run stopped before sending anything more.

    Every object would fail the same way, so the run ends at the first such failure instead
    of trying each object in turn. What was written stays as the outbox recorded it (a write
    whose answer was lost is read back on the next run); cursors stay where they were.

    Args:
        cause: One line: the client's error (it names the host, never a secret).
        answered: Something answered, but not as the gateway does (a server error, an HTML
            page, throttling that outlasted the retries); False: nothing answered.

    Attributes:
        cause: The ``cause`` given.
        answered: The ``answered`` given.
    """

    def __init__(self, cause: str, *, answered: bool = False) -> None:
        self.cause = cause
        self.answered = answered
        what = (
            "the endpoint did not answer as Intacct's gateway"
            if answered
            else "Intacct could not be reached"
        )
        super().__init__(
            f"{what} ({cause}); check the endpoint URL and the network, then run"
            " again: nothing more was sent this run"
        )
