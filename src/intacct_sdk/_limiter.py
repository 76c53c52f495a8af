"""A company's request slots shared by every client: the :class:`RequestLimiter` protocol.

A company's gateway handles only a few requests at once (two by the best evidence, shared
reference §2.8), and that limit is shared by every client, process and integration using the
company. A client's own budget (``ClientOptions.max_concurrent``) only counts its own
requests; a limiter given as ``ClientOptions.limiter`` counts them across clients: the client
holds one of its slots around every HTTP request it sends (logins, pages requested ahead and
each retry attempt separately), and never while it sleeps between retries.

The order is fixed: a request first takes a slot of the client's own budget, then one of the
limiter. A limiter that cannot give a slot in time raises :class:`SlotWaitTimeoutError`, a
:class:`~intacct_sdk.RequestNotSentError`: nothing was sent, so the client's retry policy
retries it like any request that never left. The client's retry on ``GW-0010`` stays as the
last line of defence when other integrations take the company's slots.

:class:`LocalLimiter` is the reference implementation for threads of one process; a limiter
shared by processes keeps its slots elsewhere (a database, say) and implements the same
protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Protocol, runtime_checkable

from intacct_sdk._budget import RequestBudget
from intacct_sdk._errors import ConfigurationError, SlotWaitTimeoutError

__all__ = ["Entering", "LocalLimiter", "RequestLimiter", "SlotWaitTimeoutError", "slot_of"]


@runtime_checkable
class RequestLimiter(Protocol):
    """Hands out a company's shared request slots, one per HTTP request in flight.

    ``AsyncClient`` enters and leaves the context manager in worker threads
    (``anyio.to_thread``), so an implementation must be thread-safe and must not assume it
    is left from the thread it was entered in.
    """

    def slot(self) -> AbstractContextManager[None]:
        """Hold one of the company's shared request slots for one HTTP request.

        Returns:
            A context manager that blocks on entry until a slot is free and gives it back on
            exit.

        Raises:
            SlotWaitTimeoutError: No slot freed up in time (raised on entry; nothing was sent).
        """
        ...


class LocalLimiter:
    """A :class:`RequestLimiter` for the threads of one process: ``slots`` slots, first come,
    first served.

    Share one instance between the clients (of any thread) that use one company. It is a
    reference implementation and a test aid: it shares nothing with other processes.

    Args:
        slots: Requests in flight at once (at least 1).
        wait: Seconds a request waits for a slot before :class:`SlotWaitTimeoutError`; None
            waits as long as it takes, 0 refuses at once when every slot is taken.

    Raises:
        ConfigurationError: ``slots`` is not a positive int, or ``wait`` is negative.

    Example:
        >>> from intacct_sdk import ClientOptions, LocalLimiter
        >>> options = ClientOptions(limiter=LocalLimiter(2, wait=60.0))
    """

    def __init__(self, slots: int, *, wait: float | None = None) -> None:
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ConfigurationError(f"slots must be a positive int, got {slots!r}")
        if wait is not None and not wait >= 0:
            raise ConfigurationError(f"wait must be None or seconds >= 0, got {wait!r}")
        self.slots = slots
        self.wait = wait
        self._budget = RequestBudget(slots)
        self._count = threading.Lock()
        self._held = 0
        self._peak = 0

    @property
    def held(self) -> int:
        """Slots held now."""
        return self._held

    @property
    def peak(self) -> int:
        """The most slots held at once so far."""
        return self._peak

    @contextmanager
    def _hold(self) -> Iterator[None]:
        if not self._budget.acquire(self.wait):
            raise SlotWaitTimeoutError(
                f"none of the {self.slots} shared request slot(s) came free within "
                f"{self.wait:g}s; nothing was sent"
            )
        with self._count:
            self._held += 1
            self._peak = max(self._peak, self._held)
        try:
            yield
        finally:
            with self._count:
                self._held -= 1
            self._budget.release()

    def slot(self) -> AbstractContextManager[None]:
        """Hold one slot for one HTTP request (see :meth:`RequestLimiter.slot`).

        Raises:
            SlotWaitTimeoutError: No slot came free within ``wait`` seconds (on entry).
        """
        return self._hold()

    def __repr__(self) -> str:
        return f"LocalLimiter(slots={self.slots}, wait={self.wait!r}, held={self._held})"


def slot_of(limiter: RequestLimiter | None) -> AbstractContextManager[None]:
    """A slot of ``limiter`` for one HTTP request, or a context that does nothing without one."""
    return nullcontext() if limiter is None else limiter.slot()


class Entering:
    """One slot being entered in a worker thread for a task that may stop waiting for it.

    ``AsyncClient`` runs :meth:`enter` in a thread. A task cancelled meanwhile calls
    :meth:`abandon`: a slot that has come is then to be given back by the task (True), and
    one that comes later is given back at once by the thread that took it, so a cancelled
    wait never keeps a slot.

    Args:
        slot: The limiter's context manager for this request.
    """

    def __init__(self, slot: AbstractContextManager[None]) -> None:
        self._slot = slot
        self._lock = threading.Lock()
        self._entered = False
        self._abandoned = False

    def enter(self) -> None:
        """Take the slot (blocking); give it straight back when the task left meanwhile."""
        self._slot.__enter__()
        with self._lock:
            if not self._abandoned:
                self._entered = True
                return
        self._slot.__exit__(None, None, None)

    def abandon(self) -> bool:
        """Mark the wait as given up.

        Returns:
            True when the slot was taken already: the caller must :meth:`exit` it.
        """
        with self._lock:
            self._abandoned = True
            return self._entered

    def exit(self) -> None:
        """Give the slot back."""
        self._slot.__exit__(None, None, None)
