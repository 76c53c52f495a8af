"""TLS set-up of the default transports: none for ``http://``, one per process for ``https://``."""

from __future__ import annotations

import ssl
from typing import Any

import anyio
import pytest
from _emulated import CREDS
from attrs import evolve

from intacct_sdk import AsyncClient, Client, ClientOptions, RetryPolicy, _tls
from intacct_sdk._errors import RequestNotSentError
from intacct_sdk.testing import Emulator

ONE_TRY = ClientOptions(retry=RetryPolicy(attempts=1, sleep=lambda s: None), timeout=5.0)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every CA bundle load in this process (the costly part of a verifying context)."""
    seen: list[Any] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        seen.append(args or kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    monkeypatch.setattr(_tls, "_context", None)
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return seen


def test_http_endpoint_loads_no_ca_bundle(loads: list[Any]) -> None:
    with Emulator().serve() as server:
        creds = evolve(CREDS, endpoint_url=server.url)
        for _ in range(3):
            with Client(creds, options=ONE_TRY) as client:
                assert client.lookup("EMPLOYEE")
    assert loads == []


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_https_clients_share_one_context_built_on_first_request(loads: list[Any]) -> None:
    creds = evolve(CREDS, endpoint_url=f"https://127.0.0.1:{_closed_port()}/ia/xml/xmlgw.phtml")
    clients = [Client(creds, options=ONE_TRY) for _ in range(3)]
    assert loads == []  # constructing a client builds nothing
    for client in clients:
        with client, pytest.raises(RequestNotSentError):
            client.lookup("EMPLOYEE")
    assert len(loads) == 1
    assert _tls._context is not None


def test_async_clients_share_the_same_context(loads: list[Any]) -> None:
    creds = evolve(CREDS, endpoint_url=f"https://127.0.0.1:{_closed_port()}/ia/xml/xmlgw.phtml")

    async def main() -> None:
        for _ in range(2):
            async with AsyncClient(creds, options=ONE_TRY) as client:
                with pytest.raises(RequestNotSentError):
                    await client.lookup("EMPLOYEE")

    with Client(creds, options=ONE_TRY) as client, pytest.raises(RequestNotSentError):
        client.lookup("EMPLOYEE")
    anyio.run(main)
    assert len(loads) == 1


def test_a_proxy_from_the_environment_gets_the_shared_context(
    loads: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    for _ in range(3):
        Client(CREDS, options=ONE_TRY).close()
    assert len(loads) == 1
