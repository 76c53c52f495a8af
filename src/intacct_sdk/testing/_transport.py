"""An httpx transport (sync and async) that answers from an :class:`Emulator` in-process."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from intacct_sdk.testing._emulator import EmulatorResponse
    from intacct_sdk.testing._server import Handles

__all__ = ["IN_PROCESS_URL", "EmulatorTransport"]

IN_PROCESS_URL = "http://emulator.invalid/ia/xml/xmlgw.phtml"
"""The endpoint to give a client that talks to an in-process emulator (``.invalid`` is a
reserved name that never resolves): its logs then name the emulator, not Intacct's
production gateway, and nothing can reach a real host by mistake."""


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Pass httpx requests to ``Emulator.handle()`` without any socket.

    One transport serves both ``httpx.Client`` and ``httpx.AsyncClient`` (and so
    :class:`intacct_sdk.Client` and :class:`intacct_sdk.AsyncClient`); the URL's host is kept
    but nothing is resolved or connected. A response marked ``disconnect`` raises
    :class:`httpx.RemoteProtocolError` (the request was handled, so any write is committed); a
    ``delay`` longer than the request's read timeout raises :class:`httpx.ReadTimeout` at
    once (after handling), a shorter one is slept. Thread-safe, as the emulator is.

    Args:
        emulator: The emulator that answers (``Emulator.transport()`` makes one), or a
            :class:`MultiEmulator`.

    Attributes:
        emulator: The emulator that answers.
    """

    def __init__(self, emulator: Handles) -> None:
        self.emulator = emulator

    def __repr__(self) -> str:
        return f"EmulatorTransport({self.emulator!r})"

    def _answer(self, request: httpx.Request, body: bytes) -> tuple[EmulatorResponse, float | None]:
        # The scheme travels as a TLS proxy would send it: an https client is answered an
        # https session endpoint, as the gateway does.
        headers = {**request.headers, "x-forwarded-proto": request.url.scheme}
        resp = self.emulator.handle(
            body,
            method=request.method,
            path=request.url.raw_path.decode("ascii"),
            headers=headers,
        )
        timeout = request.extensions.get("timeout", {}).get("read")
        return resp, timeout

    @staticmethod
    def _raise_if_lost(
        request: httpx.Request, resp: EmulatorResponse, timeout: float | None
    ) -> None:
        if resp.disconnect:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if resp.delay and timeout is not None and resp.delay > timeout:
            raise httpx.ReadTimeout("The read operation timed out", request=request)

    @staticmethod
    def _response(request: httpx.Request, resp: EmulatorResponse) -> httpx.Response:
        return httpx.Response(
            resp.status, headers=dict(resp.headers), content=resp.body, request=request
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a sync request from the emulator.

        Args:
            request: The httpx request.

        Returns:
            The emulator's answer, after any ``delay`` it asks for.

        Raises:
            httpx.RemoteProtocolError: The answer is a dropped connection (``disconnect``).
            httpx.ReadTimeout: The answer's ``delay`` exceeds the request's read timeout.
        """
        resp, timeout = self._answer(request, request.read())
        self._raise_if_lost(request, resp, timeout)
        if resp.delay:
            time.sleep(resp.delay)
        return self._response(request, resp)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer an async request from the emulator, which runs in a worker thread.

        Args:
            request: The httpx request.

        Returns:
            The emulator's answer, after any ``delay`` it asks for (slept with asyncio).

        Raises:
            httpx.RemoteProtocolError: The answer is a dropped connection (``disconnect``).
            httpx.ReadTimeout: The answer's ``delay`` exceeds the request's read timeout.
        """
        body = await request.aread()
        resp, timeout = await asyncio.to_thread(self._answer, request, body)
        self._raise_if_lost(request, resp, timeout)
        if resp.delay:
            await asyncio.sleep(resp.delay)
        return self._response(request, resp)
