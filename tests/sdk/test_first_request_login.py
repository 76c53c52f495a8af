"""``login_with_first_request``: a client's first request carries the login itself.

A client that sends one request (a sync run with nothing to do) then costs one HTTP request
instead of a ``getAPISession`` request and the call. Later requests use a session as usual.
"""

from __future__ import annotations

import attrs
import pytest
from tests.sdk._emulated import CREDS, NO_SLEEP, calls, company_with

from intacct_sdk import AsyncClient, AuthenticationError, Client
from intacct_sdk.functions import GetAPISession, Lookup
from intacct_sdk.testing import Emulator

FIRST = attrs.evolve(NO_SLEEP, login_with_first_request=True)


def test_one_call_is_one_request_and_later_calls_use_a_session() -> None:
    emu = Emulator(company_with(3))
    with Client(CREDS, options=FIRST, transport=emu.transport()) as client:
        assert len(list(client.query("EMPLOYEE", ["RECORDNO"]))) == 3
        assert emu.stats.http_requests == 1
        assert calls(emu, "getAPISession") == 0
        for _ in range(3):
            client.lookup("EMPLOYEE")
        stats = client.stats
    assert calls(emu, "getAPISession") == 1  # one session for every later request
    assert emu.stats.http_requests == 1 + 1 + 3
    assert (stats.logins, stats.session_refreshes) == (1, 0)


def test_off_by_default_a_first_call_logs_in_first() -> None:
    emu = Emulator(company_with(3))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        client.lookup("EMPLOYEE")
    assert emu.stats.http_requests == 2
    assert calls(emu, "getAPISession") == 1


def test_a_refused_login_is_raised_not_looped() -> None:
    emu = Emulator(company_with(1))
    wrong = attrs.evolve(CREDS, user_password="not-the-password")
    with (
        Client(wrong, options=FIRST, transport=emu.transport()) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.lookup("EMPLOYEE")
    assert "not-the-password" not in str(info.value)
    assert emu.stats.http_requests == 2  # the first request, then one getAPISession


def test_a_client_given_a_session_uses_it() -> None:
    emu = Emulator(company_with(1))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as first:
        first.lookup("EMPLOYEE")
        session = first._sessions.session
    assert session is not None
    given = attrs.evolve(CREDS, session_id=session.session_id, endpoint_url=session.endpoint)
    before = emu.stats.http_requests
    with Client(given, options=FIRST, transport=emu.transport()) as client:
        client.lookup("EMPLOYEE")
    assert emu.stats.http_requests - before == 1
    assert calls(emu, "getAPISession") == 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_too() -> None:
    emu = Emulator(company_with(2))
    async with AsyncClient(CREDS, options=FIRST, transport=emu.transport()) as client:
        await client.lookup("EMPLOYEE")
        assert emu.stats.http_requests == 1
        await client.lookup("EMPLOYEE")
    assert calls(emu, "getAPISession") == 1
    assert emu.stats.http_requests == 3


def test_a_get_api_session_in_the_first_request_serves_the_later_ones() -> None:
    emu = Emulator(company_with(3))
    with Client(CREDS, options=FIRST, transport=emu.transport()) as client:
        results = client.execute([Lookup("EMPLOYEE"), GetAPISession()])
        assert [r.ok for r in results] == [True, True]
        assert emu.stats.http_requests == 1
        for _ in range(3):
            client.lookup("EMPLOYEE")
        stats = client.stats
        session = client._sessions.session
    assert session is not None
    assert session.session_id not in repr(stats)
    assert emu.stats.http_requests == 1 + 3  # no login request of its own
    assert calls(emu, "getAPISession") == 1
    assert (stats.logins, stats.session_refreshes) == (1, 0)


def test_a_failed_folded_get_api_session_falls_back_to_a_login() -> None:
    emu = Emulator(company_with(1))
    with Client(CREDS, options=FIRST, transport=emu.transport()) as client:
        # an entity that does not exist: the session function fails, the lookup does not
        results = client.execute([Lookup("EMPLOYEE"), GetAPISession(entity_id="NO-SUCH")])
        assert results[0].ok
        assert not results[1].ok
        client.lookup("EMPLOYEE")
    assert emu.stats.http_requests == 1 + 1 + 1  # the later call logs in first


def test_a_get_api_session_after_the_first_request_changes_nothing() -> None:
    emu = Emulator(company_with(1))
    with Client(CREDS, options=FIRST, transport=emu.transport()) as client:
        client.lookup("EMPLOYEE")
        client.lookup("EMPLOYEE")  # logs in: the session exists from here on
        before = client._sessions.session
        client.execute([GetAPISession()])
        after = client._sessions.session
        assert before is not None and after is not None
        assert after.session_id == before.session_id
        assert client.stats.logins == 1
    assert emu.stats.http_requests == 4


@pytest.mark.anyio
async def test_async_client_folds_too() -> None:
    emu = Emulator(company_with(2))
    async with AsyncClient(CREDS, options=FIRST, transport=emu.transport()) as client:
        await client.execute([Lookup("EMPLOYEE"), GetAPISession()])
        await client.lookup("EMPLOYEE")
    assert emu.stats.http_requests == 2
    assert calls(emu, "getAPISession") == 1
