"""The retry policy: which failures are retried, and how long to wait between attempts.

The rules follow what a failure tells the caller about the request:

* nothing reached Intacct (:class:`RequestNotSentError`), or Intacct refused it before running
  it (:class:`RateLimitError`, HTTP 429 / GW-0010; :class:`ServiceOfflineError`, "temporarily
  off-line"): always safe to send again;
* the gateway answered with a 5xx or an HTML/garbled page (:class:`ServerError`,
  :class:`MalformedResponseError`), or the response was lost after sending
  (:class:`ResponseLostError`, timeouts, resets, HTTP 524): retried only when resending cannot
  apply a write twice, i.e. the request holds only reads, or it was sent with ``uniqueid=true``
  (the same body, so the same function control ids, is resent and Intacct refuses a replay).
  For any other write the caller gets :class:`ResponseLostError` and must reconcile;
* an HTTP 4xx other than 408 and 429 (404, 403, 400, ...) is an answer a retry cannot change:
  never retried; nor is an answer over ``max_response_bytes``
  (:class:`ResponseTooLargeError`), which the same request would get again (a write that met
  one is reported as :class:`ResponseLostError`: it may have been applied).
* an attempt that outlived its deadline (:class:`DeadlineExceededError`) is a lost response.

HTTP 524 (the CDN gave up while Intacct kept working) is therefore never retried blindly.

Besides whole attempts, a good answer may hold read functions that failed transiently
(``DL02000001``, "temporarily off-line"): the client sends those functions again, under the
same budget of attempts and wait (:meth:`RetryState.next_function_retry`).
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs

from intacct_sdk._errors import (
    ConfigurationError,
    GatewayError,
    IntacctError,
    MalformedResponseError,
    RateLimitError,
    RequestNotSentError,
    ResponseLostError,
    ResponseTooLargeError,
    ServerError,
    ServiceOfflineError,
)

__all__ = ["RetryPolicy", "RetryState", "parse_retry_after"]


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ConfigurationError(f"{attribute.name} must not be negative")


def _at_least_one(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ConfigurationError(f"{attribute.name} must be at least 1")


def _jitter_range(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigurationError(f"{attribute.name} must be between 0 and 1")


@attrs.frozen
class RetryPolicy:
    """How often and how patiently to retry a request; an immutable value.

    The delay before retry ``n`` (1-based) is ``min(max_backoff, initial_backoff * 2**(n-1))``,
    of which the fraction ``jitter`` is randomised: ``jitter=1`` is "full jitter" (uniform in
    ``[0, delay]``), ``jitter=0`` none. A ``Retry-After`` from the gateway replaces the computed
    delay when ``honour_retry_after`` is set. Retrying stops after ``attempts`` attempts in all,
    or when the next wait would take the total time slept past ``max_wait``.

    Attributes:
        attempts: Attempts in all, the first included (``1`` disables retries).
        initial_backoff: Seconds before the first retry (before jitter).
        max_backoff: Cap on one computed delay, in seconds.
        jitter: Fraction of each delay that is random, from 0 to 1.
        max_wait: Cap on the total seconds slept for one request.
        honour_retry_after: Wait as long as a ``Retry-After`` header asks.
        sleep: Blocking sleep used by ``Client`` (injectable for tests).
        random: Source of uniform numbers in [0, 1) for jitter (injectable for tests).
        async_sleep: Awaitable sleep used by ``AsyncClient`` (default ``anyio.sleep``).
    """

    attempts: int = attrs.field(default=4, validator=_at_least_one)
    initial_backoff: float = attrs.field(default=0.5, validator=_non_negative)
    max_backoff: float = attrs.field(default=30.0, validator=_non_negative)
    jitter: float = attrs.field(default=0.5, validator=_jitter_range)
    max_wait: float = attrs.field(default=120.0, validator=_non_negative)
    honour_retry_after: bool = True
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, repr=False, eq=False)
    random: Callable[[], float] = attrs.field(default=_random.random, repr=False, eq=False)
    async_sleep: Callable[[float], Awaitable[None]] | None = attrs.field(
        default=None, repr=False, eq=False
    )

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that makes exactly one attempt."""
        return cls(attempts=1)

    def backoff(self, retry_number: int) -> float:
        """The delay before retry ``retry_number`` (1 = the first retry), jitter applied."""
        base = min(self.max_backoff, self.initial_backoff * 2.0 ** max(0, retry_number - 1))
        return base * (1.0 - self.jitter) + base * self.jitter * self.random()

    def start(self, *, replay_safe: bool, hazard: str = "") -> RetryState:
        """Begin retry bookkeeping for one request.

        Args:
            replay_safe: Resending cannot apply anything twice: the request holds only reads,
                or it is sent with ``uniqueid=true`` and the same function control ids.
            hazard: What a resend could do wrong when it is not safe (for the error).
        """
        return RetryState(self, replay_safe=replay_safe, hazard=hazard)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


class RetryState:
    """Bookkeeping for one logical request across its attempts (not thread-safe; per call).

    Call :meth:`next_delay` with each failure: it returns the seconds to wait before the next
    attempt, or raises the error the caller should see.
    """

    def __init__(self, policy: RetryPolicy, *, replay_safe: bool, hazard: str = "") -> None:
        self.policy = policy
        self.replay_safe = replay_safe
        self.hazard = (
            hazard or "the writes may have been applied: check, or resend with unique_id=True"
        )
        self.attempt = 1
        self.waited = 0.0

    def retryable(self, error: IntacctError) -> bool:
        """Whether ``error`` may be answered by sending the same request again."""
        if isinstance(error, RequestNotSentError | RateLimitError | ServiceOfflineError):
            return True
        if isinstance(error, ResponseLostError):
            return self.replay_safe
        if isinstance(error, ResponseTooLargeError):
            return False  # the same request would get the same answer, and cost as much
        if isinstance(error, ServerError | MalformedResponseError):
            return self.replay_safe and _server_side(error)
        return False

    def next_delay(self, error: IntacctError, *, retry_after: float | None = None) -> float:
        """Account for a failed attempt and return how long to wait before the next one.

        Args:
            error: What the attempt raised.
            retry_after: Seconds from a ``Retry-After`` header, when the response had one.

        Raises:
            IntacctError: ``error`` itself when it is not retryable or the budget is spent; a
                :class:`ResponseLostError` (chained to ``error``) when a write that is not safe to
                resend met a gateway failure, since it may have been applied.
        """
        if not self.retryable(error):
            raise self._surface(error)
        if self.attempt >= self.policy.attempts:
            raise error
        if retry_after is None and isinstance(error, RateLimitError):
            retry_after = error.retry_after
        if retry_after is not None and self.policy.honour_retry_after:
            delay = retry_after
        else:
            delay = self.policy.backoff(self.attempt)
        if self.waited + delay > self.policy.max_wait:
            raise error
        self.attempt += 1
        self.waited += delay
        return delay

    def next_function_retry(self) -> float | None:
        """Account for an answer whose read functions failed transiently (``DL02000001``).

        Those functions are sent again as a new attempt, under the same budget as whole
        requests.

        Returns:
            The seconds to wait before sending them again, or None when the budget of
            attempts or of total wait is spent (the failures then stand).
        """
        if self.attempt >= self.policy.attempts:
            return None
        delay = self.policy.backoff(self.attempt)
        if self.waited + delay > self.policy.max_wait:
            return None
        self.attempt += 1
        self.waited += delay
        return delay

    def _surface(self, error: IntacctError) -> IntacctError:
        if not self.replay_safe and isinstance(error, ResponseLostError):
            lost = ResponseLostError(
                f"{error}; it is not resent: {self.hazard}", status_code=error.status_code
            )
            lost.__cause__ = error
            return lost
        if (
            not self.replay_safe
            and isinstance(error, ServerError | MalformedResponseError)
            and _server_side(error)
        ):
            lost = ResponseLostError(
                f"the gateway failed after the request was sent ({error}), "
                f"and it is not resent: {self.hazard}"
            )
            lost.__cause__ = error
            return lost
        return error


def _server_side(error: GatewayError) -> bool:
    """A 5xx, or an unusable body: the gateway may or may not have run the request.

    A well-formed control-level failure (HTTP 200 with ``control/status`` failure) means nothing
    ran and retrying the same bytes would fail the same way, so it is not retried; nor is an
    HTTP 4xx (other than 408 Request Timeout): the page was not found, or the request refused,
    and would be again.
    """
    status: int | None = getattr(error, "status_code", None)
    if status is not None and 400 <= status < 500:
        return status == 408  # 404, 403, 400...: a retry gets the same answer
    if isinstance(error, MalformedResponseError):
        return True
    return status is None or status >= 500
