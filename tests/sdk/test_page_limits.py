"""Page sizes over the gateway's limits are refused by the client before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.sdk._emulated import CREDS, NO_SLEEP, company_with

from intacct_sdk import AsyncClient, Client, ConfigurationError
from intacct_sdk.functions import (
    MAX_QUERY_PAGE_SIZE,
    MAX_READ_BY_QUERY_PAGE_SIZE,
    Query,
    ReadByQuery,
)
from intacct_sdk.testing import Emulator

FIELDS = ["RECORDNO"]

CALLS: dict[str, Callable[[Any, int], object]] = {
    "query": lambda c, n: c.query("EMPLOYEE", FIELDS, page_size=n),
    "query_pages": lambda c, n: c.query_pages("EMPLOYEE", FIELDS, page_size=n),
    "query prefetch": lambda c, n: c.query("EMPLOYEE", FIELDS, page_size=n, prefetch=2),
    "read_by_query": lambda c, n: c.read_by_query("EMPLOYEE", page_size=n),
    "read_by_query_pages": lambda c, n: c.read_by_query_pages("EMPLOYEE", page_size=n),
}
LIMITS = {
    "query": MAX_QUERY_PAGE_SIZE,
    "query_pages": MAX_QUERY_PAGE_SIZE,
    "query prefetch": MAX_QUERY_PAGE_SIZE,
    "read_by_query": MAX_READ_BY_QUERY_PAGE_SIZE,
    "read_by_query_pages": MAX_READ_BY_QUERY_PAGE_SIZE,
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_call_itself_refuses_a_page_size_over_the_limit(name: str) -> None:
    emu = Emulator(company_with(3))
    limit = LIMITS[name]
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        # Refused when called, not when first iterated: a caller sees it at the call site.
        with pytest.raises(
            ConfigurationError, match=f"page_size must be 1 to {limit}, got {limit + 1}"
        ):
            CALLS[name](client, limit + 1)
        # The limit itself is fine.
        assert list(CALLS[name](client, limit))  # type: ignore[call-overload]
    assert emu.stats.http_requests == 2  # the login and the one good call; nothing else


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(CALLS))
async def test_async_calls_refuse_it_before_anything_is_sent(name: str) -> None:
    emu = Emulator(company_with(3))
    limit = LIMITS[name]
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        with pytest.raises(ConfigurationError, match=f"1 to {limit}"):
            CALLS[name](client, limit + 1)
    assert emu.stats.http_requests == 0


@pytest.mark.parametrize(
    ("build", "limit"),
    [
        (lambda n: Query("EMPLOYEE", FIELDS, page_size=n), MAX_QUERY_PAGE_SIZE),
        (lambda n: ReadByQuery("EMPLOYEE", page_size=n), MAX_READ_BY_QUERY_PAGE_SIZE),
    ],
)
def test_the_function_values_refuse_it_too(build: Callable[[int], object], limit: int) -> None:
    assert (MAX_QUERY_PAGE_SIZE, MAX_READ_BY_QUERY_PAGE_SIZE) == (2000, 1000)
    build(limit)
    for bad in (0, limit + 1, 10**6):
        with pytest.raises(ConfigurationError, match=f"1 to {limit}"):
            build(bad)
