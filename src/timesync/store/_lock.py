"""A file lock that the operating system releases when its process dies."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

from timesync.store._errors import LockHeldError

__all__ = ["FileLock", "MemoryLock"]


class FileLock:
    """An exclusive ``flock`` on a file, so two runs for one company never overlap.

    The kernel drops a ``flock`` when the descriptor closes, which happens when the holding
    process exits for any reason, ``SIGKILL`` included: a crashed run never leaves a stale
    lock behind. The lock file itself is left in place (deleting it would race with a
    process that has just opened it).

    The lock is reentrant within one object: each :meth:`acquire` needs its
    :meth:`release`, so a caller (the demo, a vendor's job runner) can hold it around a
    whole job that includes :meth:`timesync.engine.Engine.run`.

    :class:`~timesync.store.SQLiteStateStore` locks its own database file this way
    (:meth:`~timesync.store.SQLiteStateStore.run_lock`), so nothing an operator can delete
    apart from the state itself stands between two runs; a separate lock file serves a
    store that has no lock of its own.

    Args:
        path: The file to lock.
        write_pid: Write the holder's process id into the file (only for a file that
            exists to be a lock; never for a database).
    """

    def __init__(self, path: str | os.PathLike[str], *, write_pid: bool = True) -> None:
        self.path = Path(path)
        self.write_pid = write_pid
        self._fd: int | None = None
        self._depth = 0

    def __repr__(self) -> str:
        return f"FileLock({str(self.path)!r}, held={self.held})"

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock without waiting.

        Raises:
            LockHeldError: Another process (or another FileLock object) holds it.
        """
        if self._fd is not None:
            self._depth += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise LockHeldError(str(self.path)) from None
        if self.write_pid:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        self._fd, self._depth = fd, 1

    def release(self) -> None:
        """Give back one :meth:`acquire`; the lock is free once every one is given back
        (a no-op when not held)."""
        if self._fd is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        fd, self._fd = self._fd, None
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def close(self) -> None:
        """Give the lock back whatever the number of acquisitions."""
        self._depth = min(self._depth, 1)
        self.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class MemoryLock:
    """The run lock of a store that lives in this process only (``":memory:"``): held by
    one holder at a time, reentrant like :class:`FileLock`.

    Args:
        name: What the lock guards, for messages.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._owner: int | None = None
        self._depth = 0

    def __repr__(self) -> str:
        return f"MemoryLock({self.name!r}, held={self.held})"

    @property
    def held(self) -> bool:
        """Whether the lock is held."""
        return self._depth > 0

    def acquire(self) -> None:
        """Take the lock without waiting.

        Raises:
            LockHeldError: Another thread holds it.
        """
        me = threading.get_ident()
        if self._depth and self._owner != me:
            raise LockHeldError(self.name)
        self._owner, self._depth = me, self._depth + 1

    def release(self) -> None:
        """Give back one :meth:`acquire` (a no-op when not held)."""
        if self._depth:
            self._depth -= 1

    def close(self) -> None:
        """Give the lock back whatever the number of acquisitions."""
        self._depth = 0
