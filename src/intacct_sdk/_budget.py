"""The client's concurrency budget: at most n HTTP requests in flight, granted in order.

A company's gateway handles only a few requests at once (two for the XML gateway by the best
evidence, shared reference §2.8); one more waits, then is refused with ``GW-0010``. Every
thread using one :class:`~intacct_sdk.Client` (pages requested ahead included) takes a slot
of one :class:`RequestBudget` around each HTTP request, logins included, so a client alone
never goes over. ``AsyncClient`` uses an ``anyio.Semaphore`` the same way.

The budget is per client instance: several clients, or several processes, for one company
share nothing, and their sum can exceed the company's limit (the client then waits out the
gateway's refusals and retries).
"""

from __future__ import annotations

import threading
from collections import deque

__all__ = ["RequestBudget"]


class RequestBudget:
    """A counting semaphore that hands slots out first come, first served (thread-safe).

    Python's ``threading.Semaphore`` lets a newcomer take a slot ahead of a thread already
    waiting; here a freed slot goes to the longest waiter, so a page requested ahead is not
    overtaken by the pages requested after it.

    Args:
        slots: How many holders at once (at least 1).
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._lock = threading.Lock()
        self._free = slots
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot, waiting for one up to ``timeout`` seconds (None: as long as it takes).

        Returns:
            True when a slot was taken, False when ``timeout`` ran out first.
        """
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            if timeout is not None and timeout <= 0:
                return False
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        try:
            # released by release(), which hands its slot over
            if turn.acquire(timeout=-1 if timeout is None else timeout):
                return True
        except BaseException:
            with self._lock:
                if turn in self._waiters:
                    self._waiters.remove(turn)  # never got the slot
                    raise
            self.release()  # the slot came as we were interrupted: pass it on
            raise
        with self._lock:
            if turn in self._waiters:
                self._waiters.remove(turn)  # the wait ran out: never got the slot
                return False
        return True  # the slot was handed over as the wait ran out: it is ours

    def release(self) -> None:
        """Give a slot back, to the longest waiter if any."""
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._free += 1

    def __enter__(self) -> RequestBudget:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
