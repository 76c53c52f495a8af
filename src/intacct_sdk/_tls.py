"""The clients' default HTTP transports: no TLS set-up for ``http://``, one shared for ``https://``.

Building an SSL context that verifies certificates means loading the CA bundle (tens of
milliseconds, more than the rest of a ``Client``'s construction), and ``httpx`` builds one
for every client whether or not it ever speaks TLS. The transports here build nothing until
the first request of each scheme: a plain-HTTP endpoint (the emulator's loopback server, a
local proxy) never loads the bundle, and every client of a process that talks to the real
gateway shares one context, built on the first ``https://`` request with ``httpx``'s default
verification settings (its CA bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set, read
once per process).

A proxy from the environment (``HTTPS_PROXY`` and the like) is honoured as before: the client
then hands ``httpx`` the shared context, so its proxy transports verify the same way.
"""

from __future__ import annotations

import ssl
import threading
import urllib.request

import httpx

__all__ = ["AsyncLazyTransport", "LazyTransport", "env_proxies", "shared_ssl_context"]

_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """The process's one verifying SSL context (built on the first call, thread-safe)."""
    global _context
    context = _context
    if context is None:
        with _lock:
            if _context is None:
                _context = httpx.create_ssl_context(verify=True)
            context = _context
    return context


def env_proxies() -> bool:
    """Whether the environment names a proxy ``httpx`` would mount (it reads the same names)."""
    return any(key in ("http", "https", "all") for key in urllib.request.getproxies())


def _plain() -> ssl.SSLContext:
    # httpx's transports take a context even for plain HTTP; this one loads no CA bundle and
    # is never used for a handshake (only ``http://`` requests reach its transport).
    return httpx.create_ssl_context(verify=False)


class LazyTransport(httpx.BaseTransport):
    """An ``httpx`` transport that builds its pool per scheme on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_scheme: dict[str, httpx.HTTPTransport] = {}

    def _for(self, scheme: str) -> httpx.HTTPTransport:
        transport = self._by_scheme.get(scheme)
        if transport is None:
            with self._lock:
                transport = self._by_scheme.get(scheme)
                if transport is None:
                    verify = shared_ssl_context() if scheme == "https" else _plain()
                    transport = httpx.HTTPTransport(verify=verify)
                    self._by_scheme[scheme] = transport
        return transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the pool of its URL's scheme."""
        return self._for(request.url.scheme).handle_request(request)

    def close(self) -> None:
        """Close every pool built so far."""
        with self._lock:
            transports, self._by_scheme = list(self._by_scheme.values()), {}
        for transport in transports:
            transport.close()


class AsyncLazyTransport(httpx.AsyncBaseTransport):
    """The asynchronous twin of :class:`LazyTransport`."""

    def __init__(self) -> None:
        self._by_scheme: dict[str, httpx.AsyncHTTPTransport] = {}

    def _for(self, scheme: str) -> httpx.AsyncHTTPTransport:
        # No await between the look-up and the store: tasks cannot interleave here.
        transport = self._by_scheme.get(scheme)
        if transport is None:
            verify = shared_ssl_context() if scheme == "https" else _plain()
            transport = httpx.AsyncHTTPTransport(verify=verify)
            self._by_scheme[scheme] = transport
        return transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the pool of its URL's scheme."""
        return await self._for(request.url.scheme).handle_async_request(request)

    async def aclose(self) -> None:
        """Close every pool built so far."""
        transports, self._by_scheme = list(self._by_scheme.values()), {}
        for transport in transports:
            await transport.aclose()
