"""A company's concurrent request slots: a request over the limit waits, then is refused.

The best evidence for the XML gateway (shared reference §2.8, XML reference §10) is two
requests at once per company, with a third waiting about 30 seconds for a slot before the
gateway refuses it with ``GW-0010`` / HTTP 429. :class:`RequestSlots` models that wait:
a request takes a slot at once while one is free, otherwise it waits (first come, first
served) until one frees up or its wait runs out.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

__all__ = ["DEFAULT_MAX_CONCURRENT", "DEFAULT_WAIT", "RequestSlots", "check_limits"]

#: Requests a company's gateway handles at once (shared reference §2.8).
DEFAULT_MAX_CONCURRENT: Final = 2
#: Seconds a request over the limit waits for a slot before it is refused.
DEFAULT_WAIT: Final = 30.0


def check_limits(max_concurrent: object, wait: object) -> None:
    """Refuse a limit that is not a positive int or None, or a wait that is not >= 0.

    Raises:
        ValueError: Either is out of range or of the wrong type (the message names it).
    """
    if max_concurrent is not None and (
        isinstance(max_concurrent, bool)
        or not isinstance(max_concurrent, int)
        or max_concurrent < 1
    ):
        raise ValueError(f"max_concurrent must be a positive int or None, got {max_concurrent!r}")
    if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 <= wait < float("inf"):
        raise ValueError(f"concurrency_wait must be a finite number of seconds >= 0, got {wait!r}")


class RequestSlots:
    """The slots of one emulated company (thread-safe).

    Args:
        on_take: Called with the number of slots in use, each time one is taken (under the
            slots' lock, so a peak computed from it is exact).
        on_wait: Called for each request that finds every slot taken and has to wait.

    Attributes:
        in_use: Requests holding a slot now.
    """

    def __init__(self, on_take: Callable[[int], None], on_wait: Callable[[], None]) -> None:
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()  # waiting requests, in arrival order
        self._on_take = on_take
        self._on_wait = on_wait
        self.in_use = 0

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        with self._cond:
            return len(self._queue)

    def enter(self, limit: int | None, wait: float) -> bool:
        """Take a slot, waiting up to ``wait`` seconds for one; False when none came.

        Args:
            limit: Slots the company has; None for no limit.
            wait: Seconds a request over the limit waits for a slot (0: refused at once).
        """
        with self._cond:
            if limit is None or (self.in_use < limit and not self._queue):
                self._take()
                return True
            self._on_wait()
            if wait <= 0:
                return False
            me = object()
            self._queue.append(me)
            deadline = time.monotonic() + wait
            try:
                while not (self.in_use < limit and self._queue[0] is me):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
                self._take()
                return True
            finally:
                self._queue.remove(me)
                self._cond.notify_all()  # the next in line may go now, or see its turn

    def leave(self) -> None:
        """Give a slot back."""
        with self._cond:
            self.in_use -= 1
            self._cond.notify_all()

    def _take(self) -> None:
        self.in_use += 1
        self._on_take(self.in_use)
