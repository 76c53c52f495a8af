"""A loopback HTTP server in front of an emulator: the gateway at a real URL.

Built on the standard library's :class:`http.server.ThreadingHTTPServer`: no dependency beyond
Python itself, one thread per connection (plenty for a test gateway that serves one client or a
small benchmark), keep-alive with HTTP/1.1 so clients pool connections as they would against
Intacct, and full control of the socket, which the faults need: a response can be withheld for
a while (``delay``) or the connection dropped with a TCP reset instead of an answer
(``disconnect``).

The server only moves bytes. Everything the gateway decides (status, headers, body, faults) comes
from the emulator's ``handle``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Protocol

from intacct_sdk.testing._hooks import EmulatorResponse

__all__ = ["EmulatorServer", "serve"]

_log = logging.getLogger(__name__)

GATEWAY_PATH: Final = "/ia/xml/xmlgw.phtml"
#: Largest request body read; the real gateway bounds requests too (500K characters offline).
MAX_BODY: Final = 64 * 2**20
#: Seconds an idle keep-alive connection is kept before the server closes it.
IDLE_TIMEOUT: Final = 30.0


class Handles(Protocol):
    """What the server needs from an emulator."""

    def handle(
        self,
        body: bytes,
        *,
        method: str = "POST",
        path: str = GATEWAY_PATH,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatorResponse: ...


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Handles, stopping: threading.Event):
        self.emulator = emulator
        self.stopping = stopping
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Condition()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished mid-request is routine (killed workers, timeouts): note it
        at DEBUG instead of printing a traceback; anything else is logged as an error."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            _log.debug("connection from %s ended abruptly: %r", client_address, exc)
        else:
            _log.exception("emulator failed while serving %s", client_address)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self._open_lock:
            self._open.discard(request)
            self._open_lock.notify_all()

    def drop_open_connections(self, timeout: float) -> None:
        """Shut open connections down; wait up to ``timeout`` for their threads to close them."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by its thread
                sock.shutdown(socket.SHUT_RDWR)
        with self._open_lock:
            if not self._open_lock.wait_for(lambda: not self._open, timeout):
                _log.warning("%d emulator connections still open after stop", len(self._open))


def _reset(sock: socket.socket) -> None:
    """Abort the connection: SO_LINGER 0 makes close() send a TCP RST instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: send both at once
    server_version = "intacct-emulator"
    sys_version = ""
    timeout = IDLE_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(length_text)
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            return None
        if length < 0 or length > MAX_BODY:
            self.send_error(413, "Request body too large")
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                self.send_error(400, "Bad chunk size")
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                self.send_error(413, "Request body too large")
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(16)  # CRLF after the chunk

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            return
        headers = dict(self.headers.items())
        response = self.server.emulator.handle(
            body, method=self.command, path=self.path, headers=headers
        )
        if response.delay > 0 and self.server.stopping.wait(response.delay):
            _reset(self.connection)  # stopping: do not answer late
            self.close_connection = True
            return
        if response.disconnect:
            _log.debug("dropping the connection instead of answering")
            _reset(self.connection)
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            if self.server.stopping.is_set():
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            _log.debug("client went away before the answer was written")
            self.close_connection = True

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve


class EmulatorServer:
    """An emulator served over HTTP on a local address, in a background thread.

    Use it as a context manager (``with emulator.serve() as server: ...``), or call
    :meth:`stop` yourself. It is already listening when constructed, so :attr:`url` is valid at
    once, with the real port when ``port=0`` asked for any free one.

    Connections are served one thread each (daemon threads), with HTTP/1.1 keep-alive; an
    idle connection is closed after 30 seconds, and request bodies over 64 MiB are refused
    with 413. Every request goes to ``emulator.handle``; this class only moves bytes, and
    carries out the ``delay`` and ``disconnect`` of an answer.

    Args:
        emulator: What answers the requests (an ``Emulator``, or anything with its
            ``handle`` method).
        host: Address to bind. Loopback by default; anything else exposes the emulator (and its
            demo credentials) to the network.
        port: Port to bind; 0 picks a free one.

    Raises:
        OSError: The address cannot be bound (a port in use, an unknown host).

    Attributes:
        emulator: What answers the requests.
        host: The address bound, as given.
        port: The port bound (the real one when 0 was asked).

    Examples:
        >>> import httpx
        >>> from intacct_sdk.testing import EmulatorServer, Emulator
        >>> with EmulatorServer(Emulator()) as server:
        ...     httpx.get(server.url).status_code  # the gateway takes only POST
        405
        >>> server.running
        False
    """

    def __init__(self, emulator: Handles, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((host, port), emulator, self._stopping)
        self.host: str = host
        self.port: int = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"intacct-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        _log.info("emulator listening on %s", self.url)

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The gateway endpoint URL (``.../ia/xml/xmlgw.phtml``) to point a client at."""
        return self.base_url + GATEWAY_PATH

    @property
    def running(self) -> bool:
        """True until :meth:`stop` has been called."""
        return not self._stopping.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, drop open connections, and wait for the threads (idempotent).

        Answers being held back by a ``delay`` are dropped instead of sent; answers being
        written finish with ``Connection: close``.

        Args:
            timeout: Seconds to wait for the serving thread, then again for the connection
                threads to close (so up to twice this in all); a warning is logged if
                connections are still open after it.
        """
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._thread.join(timeout)
        self._httpd.drop_open_connections(timeout)
        self._httpd.server_close()
        _log.info("emulator on port %d stopped", self.port)

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<EmulatorServer {self.url} {state}>"


def serve(emulator: Handles, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Serve ``emulator`` over HTTP on ``host:port``, in background threads.

    The same as :meth:`Emulator.serve` and ``EmulatorServer(emulator, host, port)``.

    Args:
        emulator: What answers the requests (an ``Emulator``).
        host: The address to bind; loopback by default. Any other address exposes the
            emulator, and the credentials it accepts, to the network.
        port: The port to bind; 0 picks a free one.

    Returns:
        The server, already listening: use it as a context manager, or call its ``stop()``.

    Raises:
        OSError: The address cannot be bound (a port in use, an unknown host).
    """
    return EmulatorServer(emulator, host, port)
