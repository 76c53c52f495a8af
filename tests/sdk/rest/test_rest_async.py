"""AsyncRestClient: the same operations as RestClient, over httpx.AsyncClient."""

from __future__ import annotations

import json
import urllib.parse

import anyio
import httpx
import pytest
from tests.sdk.rest._fake_rest import CLIENT_ID, CLIENT_SECRET, FakeRest

from intacct_sdk import RateLimitError, RetryPolicy
from intacct_sdk.rest import (
    AsyncRestClient,
    MemoryTokenStore,
    NotFoundError,
    RestCredentials,
    RestOptions,
    authorization_url,
)

BASE = "https://api.example.test/ia/api/v1"
EMP = "company-config/employee"
REDIRECT = "https://vendor.example.test/callback"


async def _no_sleep(seconds: float) -> None:
    SLEPT.append(seconds)


SLEPT: list[float] = []
OPTS = RestOptions(base_url=BASE, retry=RetryPolicy(async_sleep=_no_sleep, jitter=0))
CREDS = RestCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, username="admin@ACME")


def test_async_query_writes_and_errors() -> None:
    fake = FakeRest()
    fake.seed(EMP, 25)

    async def main() -> None:
        async with AsyncRestClient(CREDS, options=OPTS, transport=fake.transport) as rest:
            rows = [r async for r in rest.query(EMP, ["id"], page_size=10)]
            assert sorted(int(r["key"]) for r in rows) == list(range(1, 26))
            created = await rest.create(EMP, {"id": "N1"}, idempotency_key="k-1")
            assert created.key is not None
            results = await rest.create_many(EMP, [{"id": "N2"}, {"name": "bad"}])
            assert [r.ok for r in results] == [True, False]
            with pytest.raises(NotFoundError):
                await rest.get(EMP, "9999")
            fake.faults.append(
                lambda r: (
                    httpx.Response(429, headers={"X-IA-Throttle-RetryAfter": "2"})
                    if "query" in r.url.path
                    else None
                )
            )
            page = await rest.query_page(EMP, ["id"], size=5)
            assert len(page.records) == 5 and page.next_start == 6
            session = await rest.xml_session()
            assert session.session_id
            assert rest.stats.token_requests == 1

    SLEPT.clear()
    anyio.run(main)
    assert SLEPT == [2.0]
    assert len(fake.calls("/services/core/query")) == 5  # three pages, a 429 and its retry


def test_async_refresh_once_for_concurrent_tasks() -> None:
    fake = FakeRest()
    fake.seed(EMP, 3)
    store = MemoryTokenStore()
    request = authorization_url(CLIENT_ID, REDIRECT, base_url=BASE)
    query = urllib.parse.urlsplit(fake.authorize(request.url)).query
    code = dict(urllib.parse.parse_qsl(query))["code"]
    creds = RestCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, connection="a")

    async def main() -> None:
        async with AsyncRestClient(
            creds, store=store, options=OPTS, transport=fake.transport
        ) as rest:
            await rest.exchange_code(code, request.code_verifier)
            await rest.query_page(EMP, ["id"])
            fake.expire_tokens()
            async with anyio.create_task_group() as tg:
                for _ in range(5):
                    tg.start_soon(rest.query_page, EMP, ["id"])
            assert rest.stats.token_refreshes == 1

    anyio.run(main)
    refreshes = [r for r in fake.calls("/oauth2/token") if b"refresh_token" in r.content]
    assert len(refreshes) == 1
    saved = store.load("a")
    assert saved is not None and saved.refresh_token in fake.refresh


def test_async_rate_limit_is_the_shared_error() -> None:
    fake = FakeRest()
    for _ in range(4):
        fake.faults.append(
            lambda r: (
                httpx.Response(429, json={"ia::error": {"code": "GW-0010", "message": "x"}})
                if "query" in r.url.path
                else None
            )
        )

    async def main() -> None:
        async with AsyncRestClient(CREDS, options=OPTS, transport=fake.transport) as rest:
            with pytest.raises(RateLimitError):
                await rest.query_page(EMP, ["id"])

    anyio.run(main)
    assert json.loads(fake.calls("query")[0].content)["fields"] == ["id"]


def test_async_client_holds_a_limiter_slot_per_request() -> None:
    from intacct_sdk import LocalLimiter

    fake = FakeRest()
    fake.seed(EMP, 9)
    limiter = LocalLimiter(1)
    opts = RestOptions(base_url=BASE, limiter=limiter)

    async def main() -> None:
        async with (
            AsyncRestClient(CREDS, options=opts, transport=fake.transport) as rest,
            anyio.create_task_group() as tg,
        ):
            for _ in range(3):
                tg.start_soon(rest.query_page, EMP, ["id"])

    anyio.run(main)
    assert limiter.peak == 1 and limiter.held == 0
    assert len(fake.calls("query")) == 3
