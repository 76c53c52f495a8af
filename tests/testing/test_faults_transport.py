"""Fault hooks and the in-process httpx transport."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import httpx
import pytest
from tests.testing.emu_helpers import Gateway, envelope, fn

from intacct_sdk.testing import Emulator, EmulatorResponse, RequestContext

READ = fn("<readByQuery><object>CLASS</object><query/></readByQuery>")
CREATE = fn("<create><CLASS><CLASSID>F1</CLASSID><NAME>f</NAME></CLASS></create>")


class TinyInjector:
    """Records every hook call and answers from simple settings."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.early: EmulatorResponse | None = None
        self.late: dict[str, object] = {}
        self.fail_function: tuple[str, str] | None = None
        self.drop_sessions = False
        self.contexts: list[RequestContext] = []

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        self.calls.append(("before", ctx.request_number))
        self.contexts.append(ctx)
        return self.early

    def after_request(self, ctx: RequestContext, response: EmulatorResponse) -> EmulatorResponse:
        self.calls.append(("after", ctx.request_number))
        if self.late:
            return EmulatorResponse(
                int(self.late.get("status", response.status)),  # type: ignore[call-overload]
                response.headers,
                response.body,
                disconnect=bool(self.late.get("disconnect", False)),
                delay=float(self.late.get("delay", 0.0)),  # type: ignore[arg-type]
            )
        return response

    def function_failure(
        self, ctx: RequestContext, function: str, object_name: str | None
    ) -> tuple[str, str] | None:
        self.calls.append((f"function:{function}:{object_name}", ctx.request_number))
        return self.fail_function

    def invalidate_sessions(self, ctx: RequestContext) -> bool:
        self.calls.append(("invalidate", ctx.request_number))
        return self.drop_sessions


@pytest.fixture
def injector() -> TinyInjector:
    return TinyInjector()


@pytest.fixture
def faulty(company: object, clock: object, injector: TinyInjector) -> Gateway:
    return Gateway(Emulator(company, clock=clock, faults=injector))  # type: ignore[arg-type]


def test_hooks_are_called_in_order_with_context(faulty: Gateway, injector: TinyInjector) -> None:
    faulty.results(READ + CREATE.replace('"f1"', '"f2"'))
    assert [c[0] for c in injector.calls] == [
        "before",
        "invalidate",
        "function:readByQuery:CLASS",
        "function:create:CLASS",
        "after",
    ]
    ctx = injector.contexts[0]
    assert ctx.request_number == 1
    assert ctx.function_names == ("readByQuery", "create")
    assert ctx.is_write


def test_before_request_answer_replaces_handling(
    faulty: Gateway, injector: TinyInjector, company: object
) -> None:
    injector.early = EmulatorResponse(503, {"Content-Type": "text/html"}, b"<html>busy</html>")
    resp = faulty.emu.handle(envelope(CREATE))
    assert resp.status == 503
    assert not any(r["CLASSID"] == "F1" for r in company.records("CLASS"))  # type: ignore[attr-defined]


def test_function_failure_fails_only_that_function(
    faulty: Gateway, injector: TinyInjector, company: object
) -> None:
    injector.fail_function = ("GW-TEMP", "try again")
    (result,) = faulty.results(CREATE)
    assert result.findtext("status") == "failure"
    assert result.findtext("errormessage/error/errorno") == "GW-TEMP"
    assert not any(r["CLASSID"] == "F1" for r in company.records("CLASS"))  # type: ignore[attr-defined]


def test_invalidate_sessions_hook_drops_sessions(faulty: Gateway, injector: TinyInjector) -> None:
    auth = faulty.session()
    injector.drop_sessions = True
    root = faulty.post(READ, auth=auth)
    assert root.findtext("operation/authentication/status") == "failure"


def test_transport_sync_round_trip(gw: Gateway) -> None:
    with httpx.Client(transport=gw.emu.transport(), base_url="http://emu.test") as client:
        r = client.post("/ia/xml/xmlgw.phtml", content=envelope(READ))
    assert r.status_code == 200
    assert ET.fromstring(r.content).findtext("operation/result/status") == "success"
    # getAPISession reports the endpoint of the Host the client used
    with httpx.Client(transport=gw.emu.transport(), base_url="http://emu.test") as client:
        r = client.post("/ia/xml/xmlgw.phtml", content=envelope(fn("<getAPISession/>")))
    assert ET.fromstring(r.content).findtext(".//endpoint") == "http://emu.test/ia/xml/xmlgw.phtml"


def test_transport_async_round_trip(gw: Gateway) -> None:
    async def go() -> bytes:
        async with httpx.AsyncClient(
            transport=gw.emu.transport(), base_url="http://emu.test"
        ) as client:
            r = await client.post("/ia/xml/xmlgw.phtml", content=envelope(READ))
            return r.content

    body = asyncio.run(go())
    assert ET.fromstring(body).findtext("operation/result/status") == "success"


def test_disconnect_raises_after_the_write_committed(
    faulty: Gateway, injector: TinyInjector, company: object
) -> None:
    injector.late = {"disconnect": True}
    with (
        httpx.Client(transport=faulty.emu.transport(), base_url="http://emu.test") as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.post("/ia/xml/xmlgw.phtml", content=envelope(CREATE))
    assert any(r["CLASSID"] == "F1" for r in company.records("CLASS"))  # type: ignore[attr-defined]


def test_delay_beyond_read_timeout_raises_read_timeout(
    faulty: Gateway, injector: TinyInjector
) -> None:
    injector.late = {"delay": 5.0}
    with (
        httpx.Client(
            transport=faulty.emu.transport(), base_url="http://emu.test", timeout=0.5
        ) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post("/ia/xml/xmlgw.phtml", content=envelope(READ))


def test_async_delay_and_disconnect(faulty: Gateway, injector: TinyInjector) -> None:
    async def go(late: dict[str, object]) -> None:
        injector.late = late
        async with httpx.AsyncClient(
            transport=faulty.emu.transport(), base_url="http://emu.test", timeout=0.5
        ) as client:
            await client.post("/ia/xml/xmlgw.phtml", content=envelope(READ))

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(go({"delay": 5.0}))
    with pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(go({"disconnect": True}))
    asyncio.run(go({"delay": 0.01}))  # a short delay is simply waited out
