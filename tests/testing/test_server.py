"""The loopback server: bytes in and out, keep-alive, disconnects, delays, clean stops."""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping

import httpx
import pytest

from intacct_sdk.testing._emulator import EmulatorResponse
from intacct_sdk.testing._server import EmulatorServer, serve


class Echo:
    """Stands in for the emulator: answers with what it was asked, records every call."""

    def __init__(self, response: EmulatorResponse | None = None) -> None:
        self.calls: list[tuple[str, str, bytes, dict[str, str]]] = []
        self.response = response
        self.lock = threading.Lock()

    def handle(
        self,
        body: bytes,
        *,
        method: str = "POST",
        path: str = "/ia/xml/xmlgw.phtml",
        headers: Mapping[str, str] | None = None,
    ) -> EmulatorResponse:
        with self.lock:
            self.calls.append((method, path, body, dict(headers or {})))
        if self.response is not None:
            return self.response
        return EmulatorResponse(
            status=200, headers={"Content-Type": "text/xml"}, body=b"<echo>" + body + b"</echo>"
        )


def test_url_has_the_real_port_and_gateway_path() -> None:
    with serve(Echo()) as server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}/ia/xml/xmlgw.phtml"
        assert server.running
    assert not server.running


def test_post_reaches_the_emulator_and_the_answer_comes_back() -> None:
    echo = Echo()
    with serve(echo) as server, httpx.Client() as client:
        response = client.post(
            server.url, content=b"<request/>", headers={"Content-Type": "application/xml"}
        )
    assert response.status_code == 200
    assert response.content == b"<echo><request/></echo>"
    assert response.headers["content-type"] == "text/xml"
    method, path, body, headers = echo.calls[0]
    assert (method, path, body) == ("POST", "/ia/xml/xmlgw.phtml", b"<request/>")
    assert headers["Content-Type"] == "application/xml"


def test_keep_alive_serves_several_requests_on_one_connection() -> None:
    echo = Echo()
    peers: set[tuple[str, int]] = set()
    with serve(echo) as server, httpx.Client() as client:
        for i in range(3):
            r = client.post(server.url, content=f"<n>{i}</n>".encode())
            assert r.content == f"<echo><n>{i}</n></echo>".encode()
            stream = r.extensions["network_stream"]
            peers.add(stream.get_extra_info("client_addr"))
    assert len(echo.calls) == 3
    assert len(peers) == 1


def test_status_and_headers_pass_through_unchanged() -> None:
    answer = EmulatorResponse(
        status=524, headers={"Content-Type": "text/html", "Retry-After": "3"}, body=b"<html/>"
    )
    with serve(Echo(answer)) as server, httpx.Client() as client:
        r = client.post(server.url, content=b"x")
    assert r.status_code == 524
    assert r.headers["retry-after"] == "3"
    assert r.content == b"<html/>"


def test_other_methods_reach_the_emulator_too() -> None:
    echo = Echo(EmulatorResponse(status=405, headers={}, body=b"no"))
    with serve(echo) as server, httpx.Client() as client:
        r = client.get(server.url + "?x=1")
    assert r.status_code == 405
    assert echo.calls[0][:2] == ("GET", "/ia/xml/xmlgw.phtml?x=1")


def test_chunked_bodies_are_read() -> None:
    echo = Echo()

    def parts() -> object:
        yield b"<req"
        yield b"uest/>"

    with serve(echo) as server, httpx.Client() as client:
        r = client.post(server.url, content=parts())  # type: ignore[arg-type]
    assert r.content == b"<echo><request/></echo>"


def test_disconnect_drops_the_connection_after_handling() -> None:
    echo = Echo(EmulatorResponse(status=200, headers={}, body=b"never sent", disconnect=True))
    with serve(echo) as server, httpx.Client() as client:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.post(server.url, content=b"<write/>")
        assert len(echo.calls) == 1  # handled (the write applied), the answer lost
        echo.response = None
        assert client.post(server.url, content=b"<again/>").status_code == 200  # fresh connection


def test_delay_outlasting_the_client_timeout_is_a_read_timeout() -> None:
    echo = Echo(EmulatorResponse(status=200, headers={}, body=b"late", delay=30.0))
    timeout = httpx.Timeout(5.0, read=0.2)
    with (
        serve(echo) as server,
        httpx.Client(timeout=timeout) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post(server.url, content=b"<slow/>")
    assert len(echo.calls) == 1  # stop() woke the delayed thread; nothing hangs


def test_short_delay_still_answers() -> None:
    echo = Echo(EmulatorResponse(status=200, headers={}, body=b"late", delay=0.05))
    with serve(echo) as server, httpx.Client() as client:
        assert client.post(server.url, content=b"x").content == b"late"


def test_stop_is_idempotent_and_closes_the_port() -> None:
    server = EmulatorServer(Echo())
    url = server.url
    server.stop()
    server.stop()
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.post(url, content=b"x")


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = serve(Echo())
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        request = b"POST /ia/xml/xmlgw.phtml HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        sock.sendall(request)
        first = b""
        while not first.endswith(b"</echo>"):
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        server.stop()
        # The server closed its end: reading now ends (EOF or reset), it does not block.
        try:
            rest = sock.recv(65536)
        except ConnectionResetError:
            rest = b""
        assert rest == b""
    finally:
        sock.close()


def test_oversized_bodies_are_refused_without_reading_them() -> None:
    echo = Echo()
    with serve(echo) as server, socket.create_connection(("127.0.0.1", server.port), 5) as sock:
        sock.sendall(
            b"POST /ia/xml/xmlgw.phtml HTTP/1.1\r\nHost: x\r\n"
            + f"Content-Length: {2**40}\r\n\r\n".encode()
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413")
    assert echo.calls == []


def test_repr_names_the_url_not_secrets() -> None:
    with serve(Echo()) as server:
        assert repr(server) == f"<EmulatorServer {server.url} running>"


def test_emulator_serve_answers_a_real_client_over_loopback() -> None:
    from intacct_sdk import Client, Credentials
    from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator, demo_company

    emulator = Emulator(demo_company(employees=3, projects=1, tasks_per_project=1))
    with emulator.serve() as server:
        assert server.url.startswith("http://127.0.0.1:")
        creds = Credentials(
            sender_id=DEMO_CREDENTIALS.sender_id,
            sender_password=DEMO_CREDENTIALS.sender_password,
            company_id=DEMO_CREDENTIALS.company_id,
            user_id=DEMO_CREDENTIALS.user_id,
            user_password=DEMO_CREDENTIALS.user_password,
            endpoint_url=server.url,
        )
        with Client(creds) as client:
            ids = [r["EMPLOYEEID"] for r in client.query("EMPLOYEE", ["EMPLOYEEID"])]
    assert len(ids) == 3
    assert emulator.stats.http_requests == 2  # the login, then one page


def test_a_client_vanishing_mid_request_prints_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    import struct
    import time

    echo = Echo()
    with serve(echo) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(
            b"POST /ia/xml/xmlgw.phtml HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<req"
        )
        time.sleep(0.2)  # the server is now waiting for the rest of the body
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # a reset, as when a worker is killed
        time.sleep(0.2)
    assert echo.calls == []
    assert "Traceback" not in capfd.readouterr().err
