"""A hostile HTTP server on 127.0.0.1 (a free port) for transport tests.

Each connection's request is read, then handed to a scripted ``answer`` that writes raw bytes
to the socket: an endless chunked body, a compression bomb, a body trickled byte by byte, or
ordinary gateway XML. Every answer closes its connection. The server stops when its ``with``
block ends, and by itself after ``lifetime`` seconds, so a client that never stops reading
cannot hold a test forever; an answer that writes forever stops when the client hangs up.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs

Answer = Callable[["Received", "Wire"], None]


@attrs.define
class Received:
    """One request the server read."""

    head: bytes
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Wire:
    """The connection an answer writes to; counts what was sent and stops on a hang-up."""

    def __init__(self, conn: socket.socket, stopping: threading.Event) -> None:
        self._conn = conn
        self._stopping = stopping
        self.sent = 0
        self.closed = False

    def send(self, data: bytes) -> bool:
        """Write ``data``; False once the client has gone (or the server is stopping)."""
        if self.closed or self._stopping.is_set():
            return False
        try:
            self._conn.sendall(data)
        except OSError:
            self.closed = True
            return False
        self.sent += len(data)
        return True

    def wait(self, seconds: float) -> bool:
        """Pause ``seconds``; False when the server is stopping meanwhile."""
        return not self._stopping.wait(seconds)


def head(status: int = 200, **headers: str) -> bytes:
    """A response head: status line, the headers given (``content_type=`` style), close."""
    lines = [f"HTTP/1.1 {status} OK"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def whole(body: bytes, status: int = 200, **headers: str) -> Answer:
    """An answer of one complete body with its Content-Length."""

    def answer(request: Received, wire: Wire) -> None:
        wire.send(
            head(status, content_type="text/xml", content_length=str(len(body)), **headers) + body
        )

    return answer


class HostileServer:
    """Serve scripted answers on 127.0.0.1, one request per connection.

    Args:
        answer: Writes the answer to each request (it may choose by the request's body).
        lifetime: Seconds after which the server stops by itself.

    Attributes:
        url: The gateway endpoint on the server.
        received: Every request read, in order.
        wires: The connection of every answer, in order (``sent`` counts its bytes).
    """

    def __init__(self, answer: Answer, *, lifetime: float = 30.0) -> None:
        self.answer = answer
        self.lifetime = lifetime
        self.received: list[Received] = []
        self.wires: list[Wire] = []
        self._stopping = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/ia/xml/xmlgw.phtml"
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> HostileServer:
        self._started = time.monotonic()
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._acceptor.join(timeout=10)
        for thread in self._threads:
            thread.join(timeout=10)
        self._sock.close()

    @property
    def sent(self) -> int:
        """Bytes written to clients in all."""
        return sum(w.sent for w in self.wires)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            if time.monotonic() - self._started > self.lifetime:
                self._stopping.set()
                self._sock.close()  # later connections are refused, not left waiting
                return
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            request = _read_request(conn)
            if request is None:
                return
            self.received.append(request)
            wire = Wire(conn, self._stopping)
            self.wires.append(wire)
            self.answer(request, wire)


def _read_request(conn: socket.socket) -> Received | None:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        top, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in top.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
    except OSError:
        return None
    return Received(top, body)


def chunked(pieces: Iterator[bytes], wire: Wire, *, end: bool = True) -> None:
    """Write ``pieces`` as chunks of a chunked body, until they end or the client hangs up.

    With ``end=False`` the last chunk is never sent: the body is cut off, not finished.
    """
    for piece in pieces:
        if not wire.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n"):
            return
    if end:
        wire.send(b"0\r\n\r\n")


def served(server: HostileServer) -> dict[str, Any]:
    """What the server saw, for assertion messages."""
    return {"requests": len(server.received), "sent": server.sent}
