"""What the emulator shows its fault hooks, and what it counts: the hook protocol and stats.

A :class:`FaultInjector` sees each request as a :class:`RequestContext` and may answer it, or
alter the answer, with an :class:`EmulatorResponse`; :class:`NoFaults` is the injector that
does nothing, to subclass. :class:`EmulatorStats` counts what the emulator served.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Final, Protocol

import attrs

__all__ = [
    "WRITE_FUNCTION_NAMES",
    "EmulatorResponse",
    "EmulatorStats",
    "FaultInjector",
    "NoFaults",
    "RequestContext",
    "is_write_function",
    "rate_limited",
]

#: Generic functions that change data (legacy ones start with create_, update_, delete_).
WRITE_FUNCTION_NAMES: Final = frozenset({"create", "update", "delete", "approve", "decline"})


def is_write_function(name: str) -> bool:
    """Whether the function ``name`` changes data: a generic or a legacy write."""
    return name in WRITE_FUNCTION_NAMES or name.startswith(("create_", "update_", "delete_"))


@attrs.frozen(slots=True)
class EmulatorResponse:
    """A raw HTTP answer of the emulator.

    The loopback server and the in-process transport turn it into the real thing; a
    :class:`FaultInjector` may return one of its own or alter this one.

    Attributes:
        status: The HTTP status code: 200 for every gateway answer, errors included; 404 or
            405 for a wrong path or method; a fault's own (502, 503, 524, 429...).
        headers: Response headers (``Content-Type`` ...; the server sets Content-Length).
        body: The response body.
        disconnect: Drop the connection instead of answering (after any commit): the server
            resets the TCP connection, the transport raises ``httpx.RemoteProtocolError``.
        delay: Seconds to wait before answering (slow responses): the server holds the answer
            back (``stop()`` cuts the wait short); the transport sleeps, or raises
            ``httpx.ReadTimeout`` at once when the delay exceeds the request's read timeout.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    disconnect: bool = False
    delay: float = 0.0


@attrs.frozen(slots=True)
class RequestContext:
    """What fault injectors see of a request.

    Attributes:
        request_number: The request's number, from 1, in the order the emulator received
            requests (every HTTP request counts, faulted and malformed ones too).
        is_write: Whether a function changes data: create, update, delete, approve, decline,
            or a legacy ``create_...``, ``update_...`` or ``delete_...``.
        function_names: The function names (the first child of each ``<function>``), in
            order; empty when the body is not a request the emulator can read.
    """

    request_number: int
    is_write: bool
    function_names: tuple[str, ...]


class FaultInjector(Protocol):
    """Hooks the emulator calls on every request; :class:`FaultPlan` implements them.

    For each request, the emulator calls :meth:`before_request`; unless that answers, it calls
    :meth:`invalidate_sessions` and then :meth:`function_failure` for each function it runs
    (these two only for a POST to the gateway path with a readable body, holding the
    company's lock), and :meth:`after_request` with its answer. The emulator serves
    several threads at once, so an injector that keeps state must be thread-safe.
    """

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        """Decide whether to answer before the request is handled.

        Args:
            ctx: The request.

        Returns:
            The answer to give instead of handling the request (502, 503, 429, a reset...),
            or None to handle it.
        """

    def after_request(self, ctx: RequestContext, response: EmulatorResponse) -> EmulatorResponse:
        """Replace or alter the answer of a handled request (524, lost response, slow).

        Args:
            ctx: The request.
            response: The emulator's answer (any write in it is already committed).

        Returns:
            The answer to send: ``response`` itself to change nothing.
        """

    def function_failure(
        self, ctx: RequestContext, function: str, object_name: str | None
    ) -> tuple[str, str] | None:
        """Decide whether one function fails with a transient error instead of running.

        Args:
            ctx: The request.
            function: The function's name (``readByQuery``, ``create``...).
            object_name: The object it works on, upper-cased, or None when it names none.

        Returns:
            ``(errorno, description)`` of the error to answer with, or None to run it.
        """

    def invalidate_sessions(self, ctx: RequestContext) -> bool:
        """Decide whether to drop every session before the request is handled.

        Args:
            ctx: The request.

        Returns:
            True to drop them (a request that uses a session ID then fails authentication).
        """


class NoFaults:
    """A :class:`FaultInjector` that injects nothing: subclass it and override the hooks you need.

    Every hook leaves the request alone: nothing answered early, sessions kept, every
    function run, the answer passed on unchanged.

    Examples:
        >>> from intacct_sdk.testing import Emulator, NoFaults, RequestContext
        >>> class Count(NoFaults):
        ...     def __init__(self) -> None:
        ...         self.seen = 0
        ...
        ...     def before_request(self, ctx: RequestContext) -> None:
        ...         self.seen += 1
        >>> counter = Count()
        >>> emulator = Emulator(faults=counter)
        >>> _ = emulator.handle(b"<request/>")
        >>> counter.seen
        1
    """

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        """Answer nothing early.

        Args:
            ctx: The request.

        Returns:
            None: the request is handled.
        """
        return None

    def after_request(self, ctx: RequestContext, response: EmulatorResponse) -> EmulatorResponse:
        """Pass the answer on.

        Args:
            ctx: The request.
            response: The emulator's answer.

        Returns:
            ``response`` itself.
        """
        return response

    def function_failure(
        self, ctx: RequestContext, function: str, object_name: str | None
    ) -> tuple[str, str] | None:
        """Fail no function.

        Args:
            ctx: The request.
            function: The function's name.
            object_name: The object it works on, or None.

        Returns:
            None: the function runs.
        """
        return None

    def invalidate_sessions(self, ctx: RequestContext) -> bool:
        """Keep every session.

        Args:
            ctx: The request.

        Returns:
            False.
        """
        return False


class EmulatorStats:
    """Counts of what the emulator served (thread-safe), in :attr:`Emulator.stats`.

    Attributes:
        http_requests: Every HTTP request received, faulted and malformed ones included.
        functions: Functions run, keyed by ``(function name, object name or None)``, the
            object upper-cased (``("readByQuery", "EMPLOYEE")``). A function failed by an
            injected ``function`` fault counts; one refused as a duplicate control ID, or in
            a request that failed before its functions ran (authentication, a fault answered
            before handling), does not.
        refused: Requests refused because ``max_concurrent`` others were being handled for
            all of their wait (also in :attr:`http_requests`; Intacct does not bill them).
        waited: Requests that found every slot taken and waited for one (served or refused).
        peak_concurrent: The most requests handled at once so far.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.http_requests = 0
        self.refused = 0
        self.waited = 0
        self.peak_concurrent = 0
        self.functions: Counter[tuple[str, str | None]] = Counter()

    @property
    def total_functions(self) -> int:
        """All functions run: the sum of :attr:`functions`."""
        with self._lock:
            return sum(self.functions.values())

    def reset(self) -> None:
        """Set every count back to zero."""
        with self._lock:
            self.http_requests = 0
            self.refused = 0
            self.waited = 0
            self.peak_concurrent = 0
            self.functions.clear()

    def _request(self) -> int:
        with self._lock:
            self.http_requests += 1
            return self.http_requests

    def _function(self, name: str, object_name: str | None) -> None:
        with self._lock:
            self.functions[(name, object_name)] += 1

    def _refused(self) -> None:
        with self._lock:
            self.refused += 1

    def _slot_taken(self, in_use: int) -> None:
        with self._lock:
            self.peak_concurrent = max(self.peak_concurrent, in_use)

    def _waited(self) -> None:
        with self._lock:
            self.waited += 1

    def __repr__(self) -> str:
        return (
            f"EmulatorStats(http_requests={self.http_requests}, refused={self.refused}, "
            f"waited={self.waited}, peak_concurrent={self.peak_concurrent}, "
            f"functions={dict(self.functions)})"
        )


_RATE_LIMIT_BODY: Final = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<response><control><status>failure</status></control>"
    b"<errormessage><error><errorno>GW-0010</errorno>"
    b"<description>Too many requests: the rate or concurrency limit was reached.</description>"
    b"<description2>API rate limit exceeded. Wait and retry the request.</description2>"
    b"<correction>Retry after the number of seconds in the Retry-After header.</correction>"
    b"</error></errormessage></response>\n"
)


def rate_limited(retry_after: float) -> EmulatorResponse:
    """The gateway's answer to too many requests: HTTP 429, ``Retry-After`` and ``GW-0010``."""
    seconds = str(int(retry_after)) if retry_after == int(retry_after) else f"{retry_after:g}"
    return EmulatorResponse(
        status=429,
        headers={"Content-Type": 'text/xml; encoding="UTF-8"', "Retry-After": seconds},
        body=_RATE_LIMIT_BODY,
    )
