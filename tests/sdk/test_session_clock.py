"""Session expiry comes from the gateway's own clock, counted on the client's.

The gateway says when a session times out (``sessiontimeout``) and when it answered
(``sessiontimestamp``), both by its clock. The client keeps only the difference, counted from
when the answer arrived by its own clock, so a skewed clock costs no logins.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.sdk._emulated import CREDS, NO_SLEEP, calls, company_with

from intacct_sdk import AsyncClient, Client
from intacct_sdk._results import AuthInfo, ControlInfo, Response, Result, SessionInfo
from intacct_sdk._session import SessionManager
from intacct_sdk.testing import Emulator

SKEWS = {"a day behind": -timedelta(days=1), "a day ahead": timedelta(days=1)}


def skewed(offset: timedelta) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + offset


@pytest.mark.parametrize("skew", sorted(SKEWS))
def test_a_gateway_clock_off_by_a_day_costs_one_login_per_run(skew: str) -> None:
    emu = Emulator(company_with(30), clock=skewed(SKEWS[skew]))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        for _ in range(5):
            assert len(list(client.query("EMPLOYEE", ["RECORDNO"], page_size=10))) == 30
        client.lookup("EMPLOYEE")
        stats = client.stats
    assert (stats.logins, stats.session_refreshes) == (1, 0)
    assert calls(emu, "getAPISession") == 1
    assert stats.http_requests == 1 + 5 * 3 + 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("skew", sorted(SKEWS))
async def test_async_client_too(skew: str) -> None:
    emu = Emulator(company_with(5), clock=skewed(SKEWS[skew]))
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        for _ in range(4):
            await client.lookup("EMPLOYEE")
        assert client.stats.logins == 1
    assert calls(emu, "getAPISession") == 1


# ------------------------------------------------------------------ the I/O-free core

LOCAL = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)  # the client's clock when the answer arrived
LIFETIME = timedelta(hours=2)
MARGIN = timedelta(minutes=2)


def login_answer(gateway_now: datetime, lifetime: timedelta = LIFETIME) -> Response:
    return Response(
        control=ControlInfo(status="success"),
        authentication=AuthInfo(
            status="success",
            session_timestamp=gateway_now,
            session_timeout=gateway_now + lifetime,
        ),
        results=(
            Result(
                function="getAPISession",
                control_id="sessionProvider",
                status="success",
                payload=SessionInfo(session_id="s-1", endpoint="https://gw.example.test/x"),
            ),
        ),
    )


def manager() -> SessionManager:
    return SessionManager(CREDS, margin=MARGIN)


@given(skew_minutes=st.integers(-3 * 24 * 60, 3 * 24 * 60))
def test_renewal_falls_a_margin_before_the_lifetime_ends_whatever_the_skew(
    skew_minutes: int,
) -> None:
    sessions = manager()
    sessions.accept_login(
        login_answer(LOCAL + timedelta(minutes=skew_minutes)),
        "https://gw.example.test/x",
        now=LOCAL,
    )
    session = sessions.session
    assert session is not None and session.expires_at == LOCAL + LIFETIME
    assert not sessions.needs_login(LOCAL)
    assert not sessions.needs_login(LOCAL + LIFETIME - MARGIN - timedelta(seconds=1))
    assert sessions.needs_login(LOCAL + LIFETIME - MARGIN)


def test_each_answer_slides_the_expiry_from_its_own_arrival() -> None:
    sessions = manager()
    behind = LOCAL - timedelta(days=1)
    sessions.accept_login(login_answer(behind), "https://gw.example.test/x", now=LOCAL)
    later = LOCAL + timedelta(minutes=90)
    sessions.observe(login_answer(behind + timedelta(minutes=90)), "s-1", now=later)
    session = sessions.session
    assert session is not None and session.expires_at == later + LIFETIME
    # An answer for a session since replaced changes nothing.
    sessions.observe(login_answer(behind, timedelta(hours=9)), "other", now=later)
    assert sessions.session is session


def test_lifetime_needs_both_times_with_offsets() -> None:
    from intacct_sdk._session import session_lifetime

    naive = datetime(2030, 1, 1, 12, 0)
    assert session_lifetime(AuthInfo(status="success")) is None
    assert session_lifetime(AuthInfo(status="success", session_timeout=LOCAL)) is None
    assert (
        session_lifetime(AuthInfo(status="success", session_timestamp=naive, session_timeout=naive))
        is None
    )
    gone = AuthInfo(status="success", session_timestamp=LOCAL, session_timeout=LOCAL - LIFETIME)
    assert session_lifetime(gone) == timedelta(0)  # already over: renew at once


def test_a_timeout_without_a_timestamp_is_taken_as_it_is() -> None:
    sessions = manager()
    answer = login_answer(LOCAL)
    answer = Response(
        control=answer.control,
        authentication=AuthInfo(status="success", session_timeout=LOCAL + LIFETIME),
        results=answer.results,
    )
    sessions.accept_login(answer, "https://gw.example.test/x", now=LOCAL - timedelta(hours=5))
    session = sessions.session
    assert session is not None and session.expires_at == LOCAL + LIFETIME
