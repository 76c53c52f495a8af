"""A small scripted gateway for client tests, served through ``httpx.MockTransport``.

It speaks the wire format in the shapes of the reference fixtures (getAPISession, query,
readByQuery/readMore, create, lookup, auth and control failures) and records every request,
so tests can count calls and inspect bodies. Faults are queued per request number.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

import attrs
import httpx

from intacct_sdk import Credentials

SENDER = ("test-sender", "sender-secret-pw")
USER = ("test-user", "test-company", "user-secret-pw")
ENDPOINT = "https://gw.example.test/ia/xml/xmlgw.phtml"
SESSION_ENDPOINT = "https://na99.intacct.com/ia/xml/xmlgw.phtml"
#: The credentials this gateway accepts, for the client under test.
CREDS = Credentials(
    SENDER[0],
    SENDER[1],
    user_id=USER[0],
    company_id=USER[1],
    user_password=USER[2],
    endpoint_url=ENDPOINT,
)

Fault = Callable[[httpx.Request], httpx.Response]


@attrs.define
class Seen:
    """One request the gateway received."""

    url: str
    body: bytes
    functions: list[str]
    control_ids: list[str]
    session_id: str | None
    unique_id: str | None
    transaction: str | None


def xml_response(
    inner: str, *, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = '<?xml version="1.0" encoding="UTF-8"?><response>' + inner + "</response>"
    return httpx.Response(
        status, content=body.encode(), headers={"content-type": "text/xml", **(headers or {})}
    )


def control(status: str = "success") -> str:
    return (
        f"<control><status>{status}</status><senderid>{SENDER[0]}</senderid>"
        "<controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control>"
    )


def auth_block(timeout: datetime | None, status: str = "success") -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    extra = ""
    if timeout is not None:
        extra = (
            f"<sessiontimestamp>{now.isoformat()}</sessiontimestamp>"
            f"<sessiontimeout>{timeout.isoformat()}</sessiontimeout>"
        )
    return (
        f"<authentication><status>{status}</status><userid>{USER[0]}</userid>"
        f"<companyid>{USER[1]}</companyid><locationid></locationid>{extra}</authentication>"
    )


def error_block(errorno: str, text: str) -> str:
    return (
        f"<errormessage><error><errorno>{errorno}</errorno><description></description>"
        f"<description2>{escape(text)}</description2><correction></correction></error></errormessage>"
    )


def auth_failure(text: str = "Invalid session") -> httpx.Response:
    return xml_response(
        control()
        + "<operation>"
        + auth_block(None, "failure")
        + error_block("XL03000006", text)
        + "</operation>"
    )


def html_page(status: int) -> httpx.Response:
    return httpx.Response(
        status,
        content=b"<html><body><h1>Service Temporarily Unavailable</h1></body></html>",
        headers={"content-type": "text/html"},
    )


def rate_limited(retry_after: str | None = None) -> httpx.Response:
    return xml_response(
        "<control><status>failure</status></control>"
        + error_block("GW-0010", "API rate limit exceeded"),
        status=429,
        headers={"retry-after": retry_after} if retry_after else None,
    )


def records_xml(tag: str, records: list[dict[str, Any]]) -> str:
    out = []
    for rec in records:
        fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in rec.items())
        out.append(f"<{tag}>{fields}</{tag}>")
    return "".join(out)


class FakeGateway:
    """In-memory gateway: sessions, paging, and queued faults."""

    def __init__(
        self,
        data: dict[str, list[dict[str, Any]]] | None = None,
        *,
        session_duration: timedelta = timedelta(hours=2),
        extra_response: str = "",
    ) -> None:
        self.data = data or {}
        self.session_duration = session_duration
        self.sessions: set[str] = set()
        self.seen: list[Seen] = []
        self.faults: dict[int, Fault] = {}
        self.result_sets: dict[str, tuple[list[dict[str, Any]], int, int]] = {}
        self._ids = itertools.count(1)
        self.extra_response = extra_response
        self.created: list[str] = []
        self.listtypes: dict[str, str] = {}
        self.session_endpoint = SESSION_ENDPOINT

    # -- plumbing
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fault(self, request_number: int, fault: Fault) -> None:
        """Answer request ``request_number`` (1-based, logins included) with ``fault``."""
        self.faults[request_number] = fault

    @property
    def requests(self) -> int:
        return len(self.seen)

    def functions(self, name: str) -> int:
        return sum(s.functions.count(name) for s in self.seen)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        root = ET.fromstring(body)
        op = root.find("operation")
        assert op is not None
        content = op.find("content")
        assert content is not None
        fns = list(content)
        session_id = op.findtext("authentication/sessionid")
        seen = Seen(
            url=str(request.url),
            body=body,
            functions=[f[0].tag for f in fns],
            control_ids=[f.get("controlid", "") for f in fns],
            session_id=session_id,
            unique_id=root.findtext("control/uniqueid"),
            transaction=op.get("transaction"),
        )
        self.seen.append(seen)
        fault = self.faults.pop(len(self.seen), None)
        if fault is not None:
            return fault(request)
        if (
            root.findtext("control/senderid") != SENDER[0]
            or root.findtext("control/password") != SENDER[1]
        ):
            return xml_response(
                "<control><status>failure</status></control>"
                + error_block("XL03000006", "Incorrect Intacct XML Partner ID or password.")
            )
        login = op.find("authentication/login")
        if login is not None:
            if (
                login.findtext("userid"),
                login.findtext("companyid"),
                login.findtext("password"),
            ) != USER:
                return auth_failure("Sign-in information is incorrect")
        elif session_id not in self.sessions:
            return auth_failure("Invalid session")
        timeout = datetime.now(UTC).replace(microsecond=0) + self.session_duration
        results = "".join(self._function(f, login) for f in fns)
        return xml_response(
            control()
            + "<operation>"
            + auth_block(timeout)
            + results
            + "</operation>"
            + self.extra_response
        )

    # -- functions
    def _result(self, fn: ET.Element, status: str, inner: str) -> str:
        return (
            f"<result><status>{status}</status><function>{fn[0].tag}</function>"
            f"<controlid>{fn.get('controlid')}</controlid>{inner}</result>"
        )

    def _function(self, fn: ET.Element, login: ET.Element | None) -> str:
        body = fn[0]
        name = body.tag
        if name == "getAPISession":
            location = (login.findtext("locationid") if login is not None else None) or ""
            sid = f"sess-{next(self._ids)}-SECRETSESSION"
            self.sessions.add(sid)
            return self._result(
                fn,
                "success",
                f"<data><api><sessionid>{sid}</sessionid><endpoint>{self.session_endpoint}</endpoint>"
                f"<locationid>{escape(location)}</locationid></api></data>",
            )
        if name == "query":
            obj = body.findtext("object") or ""
            rows = self.data.get(obj, [])
            size = int(body.findtext("pagesize") or 100)
            offset = int(body.findtext("offset") or 0)
            page = rows[offset : offset + size]
            remaining = max(0, len(rows) - offset - len(page))
            return self._result(
                fn,
                "success",
                f'<data listtype="{obj}" totalcount="{len(rows)}" offset="{offset}" '
                f'count="{len(page)}" numremaining="{remaining}">{records_xml(obj, page)}</data>',
            )
        if name in ("readByQuery", "readMore"):
            if name == "readByQuery":
                obj = body.findtext("object") or ""
                size = int(body.findtext("pagesize") or 100)
                rid = f"rid{next(self._ids)}"
                self.result_sets[rid] = (self.data.get(obj, []), 0, size)
                self.listtypes[rid] = obj.lower()
            else:
                rid = body.findtext("resultId") or ""
                if rid not in self.result_sets:
                    return self._result(
                        fn,
                        "failure",
                        error_block(
                            "DL02000001",
                            f"Attempt to readMore with an invalid or expired resultId: {rid}",
                        ),
                    )
            rows, pos, size = self.result_sets[rid]
            tag = self.listtypes[rid]
            page = rows[pos : pos + size]
            self.result_sets[rid] = (rows, pos + len(page), size)
            remaining = len(rows) - pos - len(page)
            return self._result(
                fn,
                "success",
                f'<data listtype="{tag}" count="{len(page)}" totalcount="{len(rows)}" '
                f'numremaining="{remaining}" resultId="{rid if remaining or pos else ""}">'
                f"{records_xml(tag, page)}</data>",
            )
        if name == "create":
            out = [{"RECORDNO": next(self._ids)} for _ in body]
            self.created.append(fn.get("controlid", ""))
            return self._result(
                fn,
                "success",
                f'<data listtype="objects" count="{len(out)}">{records_xml("x", out)}</data>',
            )
        if name == "lookup":
            obj = body.findtext("object") or ""
            return self._result(
                fn,
                "success",
                f'<data listtype="All" count="1"><Type Name="{obj}" DocumentType=""><Fields>'
                "<Field><ID>RECORDNO</ID><LABEL>Record number</LABEL><DESCRIPTION></DESCRIPTION>"
                "<REQUIRED>false</REQUIRED><READONLY>true</READONLY><DATATYPE>INTEGER</DATATYPE>"
                "<ISCUSTOM>false</ISCUSTOM></Field></Fields><Relationships/></Type></data>",
            )
        if name == "fail":
            return self._result(fn, "failure", error_block("BL01001973", "it failed"))
        return self._result(fn, "success", "")


class LoopbackServer:
    """Serve a :class:`FakeGateway` over HTTP on 127.0.0.1 (a free port), in a thread."""

    def __init__(self, gateway: FakeGateway) -> None:
        import http.server
        import threading

        gw = gateway

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                request = httpx.Request("POST", f"http://127.0.0.1{self.path}", content=body)
                response = gw.handle(request)
                payload = response.read()
                self.send_response(response.status_code)
                for key, value in response.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ia/xml/xmlgw.phtml"
        gateway.session_endpoint = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
