"""AsyncClient behaves like Client: same requests, same results, same errors."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from _fake_gateway import CREDS, FakeGateway, auth_failure, html_page

from intacct_sdk import (
    AsyncClient,
    Client,
    ClientOptions,
    FunctionError,
    ResponseLostError,
    RetryPolicy,
    SessionExpiredError,
)
from intacct_sdk.functions import Lookup, Raw

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def data(n: int) -> dict[str, list[dict[str, Any]]]:
    rows = [{"RECORDNO": i, "EMPLOYEEID": f"E{i}"} for i in range(1, n + 1)]
    return {"EMPLOYEE": rows, "PROJECT": rows}


async def _noop(seconds: float) -> None:
    return None


def options(**kw: Any) -> ClientOptions:
    return ClientOptions(retry=RetryPolicy(jitter=0, sleep=lambda s: None, async_sleep=_noop), **kw)


def scenario_sync(gw: FakeGateway) -> list[Any]:
    out: list[Any] = []
    with Client(CREDS, options=options(max_functions_per_request=2), transport=gw.transport()) as c:
        out.append(list(c.query("EMPLOYEE", ["RECORDNO", "EMPLOYEEID"], page_size=3)))
        out.append(list(c.read_by_query("PROJECT", "", page_size=4)))
        out.append(c.read("EMPLOYEE", [1, 2]))
        out.append(c.lookup("EMPLOYEE"))
        out.append([r.status for r in c.execute([Lookup("A"), Lookup("B"), Raw("<fail/>")])])
        out.append(c.stats.http_requests)
    return out


async def scenario_async(gw: FakeGateway) -> list[Any]:
    out: list[Any] = []
    async with AsyncClient(
        CREDS, options=options(max_functions_per_request=2), transport=gw.transport()
    ) as c:
        out.append([r async for r in c.query("EMPLOYEE", ["RECORDNO", "EMPLOYEEID"], page_size=3)])
        out.append([r async for r in c.read_by_query("PROJECT", "", page_size=4)])
        out.append(await c.read("EMPLOYEE", [1, 2]))
        out.append(await c.lookup("EMPLOYEE"))
        out.append([r.status for r in await c.execute([Lookup("A"), Lookup("B"), Raw("<fail/>")])])
        out.append(c.stats.http_requests)
    return out


async def test_same_results_and_same_traffic_as_sync() -> None:
    sync_gw, async_gw = FakeGateway(data(10)), FakeGateway(data(10))
    expected = scenario_sync(sync_gw)
    got = await scenario_async(async_gw)
    assert got == expected
    assert [s.functions for s in async_gw.seen] == [s.functions for s in sync_gw.seen]
    assert len(expected[0]) == 10


@pytest.mark.parametrize("n", [0, 1, 7, 20])
async def test_async_paging_counts(n: int) -> None:
    gw = FakeGateway(data(n))
    async with AsyncClient(CREDS, options=options(), transport=gw.transport()) as c:
        pages = [p async for p in c.query_pages("EMPLOYEE", ["RECORDNO"], page_size=5)]
    assert sum(p.count for p in pages) == n
    assert gw.functions("query") == max(1, math.ceil(n / 5))


async def test_async_retries_and_refresh() -> None:
    gw = FakeGateway(data(1))
    gw.fault(2, lambda r: html_page(502))
    gw.fault(4, lambda r: auth_failure())
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    opts = ClientOptions(retry=RetryPolicy(jitter=0, async_sleep=sleep))
    async with AsyncClient(CREDS, options=opts, transport=gw.transport()) as c:
        await c.read("EMPLOYEE", [1])
        assert await c.lookup("EMPLOYEE")
    assert slept == [0.5]
    assert [s.functions[0] for s in gw.seen] == [
        "getAPISession",
        "read",
        "read",
        "lookup",
        "getAPISession",
        "lookup",
    ]


async def test_async_errors_match_sync() -> None:
    gw = FakeGateway()
    gw.fault(2, lambda r: httpx.Response(524))
    async with AsyncClient(CREDS, options=options(), transport=gw.transport()) as c:
        with pytest.raises(ResponseLostError):
            await c.create("CLASS", [{"CLASSID": "A"}])
        with pytest.raises(FunctionError):
            await c.call("<fail/>", is_write=False)
        gw.sessions.clear()
        gw.fault(6, lambda r: auth_failure())
        with pytest.raises(SessionExpiredError):
            await c.lookup("X")
