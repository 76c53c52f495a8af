"""The retry policy as a value: delays, budgets, Retry-After, and which errors are retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import (
    AuthenticationError,
    MalformedResponseError,
    RateLimitError,
    RequestNotSentError,
    ResponseLostError,
    RetryPolicy,
    ServerError,
    ServiceOfflineError,
)
from intacct_sdk._retry import parse_retry_after


def fixed(value: float) -> RetryPolicy:
    return RetryPolicy(random=lambda: value)


def test_exponential_backoff_without_jitter() -> None:
    p = RetryPolicy(initial_backoff=0.5, max_backoff=3.0, jitter=0.0)
    assert [p.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_spans_zero_to_delay() -> None:
    assert RetryPolicy(jitter=1.0, random=lambda: 0.0).backoff(3) == 0.0
    assert RetryPolicy(jitter=1.0, random=lambda: 0.999).backoff(1) == pytest.approx(0.4995)


@given(
    n=st.integers(1, 40),
    jitter=st.floats(0, 1),
    r=st.floats(0, 1, exclude_max=True),
    initial=st.floats(0, 10),
    cap=st.floats(0, 100),
)
def test_backoff_within_bounds(n: int, jitter: float, r: float, initial: float, cap: float) -> None:
    p = RetryPolicy(initial_backoff=initial, max_backoff=cap, jitter=jitter, random=lambda: r)
    base = min(cap, initial * 2.0 ** (n - 1))
    delay = p.backoff(n)
    assert base * (1 - jitter) - 1e-9 <= delay <= base + 1e-9


def test_attempts_bound_retries() -> None:
    state = RetryPolicy(attempts=3, jitter=0).start(replay_safe=True)
    err = RequestNotSentError("down")
    assert state.next_delay(err) == 0.5
    assert state.next_delay(err) == 1.0
    with pytest.raises(RequestNotSentError):
        state.next_delay(err)


def test_max_wait_caps_total_sleep() -> None:
    state = RetryPolicy(attempts=10, initial_backoff=4, jitter=0, max_wait=10).start(
        replay_safe=True
    )
    err = ServerError("502", status_code=502)
    assert state.next_delay(err) == 4
    with pytest.raises(ServerError):
        state.next_delay(err)  # 4 + 8 > 10


def test_retry_after_replaces_backoff() -> None:
    state = RetryPolicy(jitter=0).start(replay_safe=False)
    assert state.next_delay(RateLimitError("slow down", status_code=429), retry_after=7) == 7
    assert state.next_delay(RateLimitError("slow down", retry_after=3.0)) == 3.0


def test_retry_after_ignored_when_not_honoured() -> None:
    state = RetryPolicy(jitter=0, honour_retry_after=False).start(replay_safe=True)
    assert state.next_delay(RateLimitError("x"), retry_after=60) == 0.5


def test_retry_after_beyond_budget_gives_up() -> None:
    state = RetryPolicy(max_wait=5).start(replay_safe=True)
    with pytest.raises(RateLimitError):
        state.next_delay(RateLimitError("x"), retry_after=30)


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 1.5 ") == 1.5
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0
    )
    assert parse_retry_after("-5") == 0
    for bad in (None, "", "soon", "nan"):
        assert parse_retry_after(bad) is None


READ, UNSAFE_WRITE, SAFE_WRITE = True, False, True


@pytest.mark.parametrize(
    ("error", "replay_safe", "retried"),
    [
        (RequestNotSentError("refused"), UNSAFE_WRITE, True),
        (RateLimitError("429", status_code=429), UNSAFE_WRITE, True),
        (ServerError("502", status_code=502), READ, True),
        (MalformedResponseError("html", status_code=200), READ, True),
        (ResponseLostError("timeout"), READ, True),
        (ResponseLostError("524", status_code=524), SAFE_WRITE, True),
        (ResponseLostError("524", status_code=524), UNSAFE_WRITE, False),
        (ServerError("control failure XL03000003", status_code=200), READ, False),
        (AuthenticationError("bad login"), READ, False),
        (ServiceOfflineError("off-line", status_code=200), UNSAFE_WRITE, True),
        (MalformedResponseError("HTML 404", status_code=404), READ, False),
        (MalformedResponseError("HTML 403", status_code=403), READ, False),
        (MalformedResponseError("408", status_code=408), READ, True),
        (ServerError("HTML 520", status_code=520), READ, True),
    ],
)
def test_which_errors_are_retried(error: Exception, replay_safe: bool, retried: bool) -> None:
    state = RetryPolicy(jitter=0).start(replay_safe=replay_safe)
    if retried:
        assert state.next_delay(error) == 0.5  # type: ignore[arg-type]
    else:
        with pytest.raises(type(error)):
            state.next_delay(error)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error", [ServerError("503", status_code=503), MalformedResponseError("truncated")]
)
def test_unsafe_write_gets_response_lost(error: Exception) -> None:
    state = RetryPolicy().start(replay_safe=False)
    with pytest.raises(ResponseLostError) as info:
        state.next_delay(error)  # type: ignore[arg-type]
    assert info.value.__cause__ is error
    assert "unique_id" in str(info.value)


def test_policy_is_frozen_value() -> None:
    p = RetryPolicy()
    with pytest.raises(AttributeError):
        p.attempts = 9  # type: ignore[misc]
    assert p == RetryPolicy(sleep=lambda s: None)  # injectables do not take part in equality
    assert RetryPolicy.never().attempts == 1
