"""A REST harness for the emulator tests: plain httpx over the in-process transport or the
loopback server, every answer checked against the schema fragments in tests/fixtures/rest/."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema

from intacct_sdk.testing import REST_CLIENT_ID, REST_CLIENT_SECRET, Emulator

SCHEMAS: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "rest" / "schemas.json").read_text()
)
BASE = "/ia/api/v1"
CHECKED: list[str] = []  # which schema each answer matched, in order (the tests read it)


def schema_for(method: str, path: str, status: int, body: Any) -> str:
    """The name of the response schema an answer must match."""
    route = path[len(BASE) :] if path.startswith(BASE) else path
    if route.startswith("/oauth2/"):
        return "token" if status == 200 else "oauth-error"
    if status >= 400:
        if isinstance(body, dict) and "error" in body:
            return "error-legacy"
        if isinstance(body, dict) and "ia::error" in body:
            return "error-top"
        return "error-result"
    if route == "/services/core/query":
        return "query"
    if route == "/services/core/session/id":
        return "session-id"
    parts = route.strip("/").split("/")
    if status == 207:
        return "batch"
    if method in ("POST", "PATCH"):
        return "reference"
    if len(parts) == 3:
        return "list"
    return "timesheet" if parts[1:3] == ["time", "timesheet"] else "record"


def validate(method: str, path: str, status: int, raw: bytes) -> None:
    """Check one answer against its schema (204 and 302 carry no body)."""
    if status in (204, 302):
        assert raw == b""
        return
    body = json.loads(raw)
    name = schema_for(method, path, status, body)
    schema = {"$defs": SCHEMAS["$defs"], **SCHEMAS["responses"][name]}
    jsonschema.Draft202012Validator(schema).validate(body)
    route = path[len(BASE) :]
    parts = route.strip("/").split("/")
    if method == "GET" and status == 200 and parts[0] == "objects" and len(parts) == 4:
        props = set(SCHEMAS["objects"]["/".join(parts[1:3])])
        assert set(body["ia::result"]) <= props, set(body["ia::result"]) - props
        line_path = {
            "time/timesheet": "time/timesheet-line",
            "expenses/employee-expense": "expenses/employee-expense-line",
        }.get("/".join(parts[1:3]))
        line_props = set(SCHEMAS["objects"].get(line_path or "", []))
        for line in body["ia::result"].get("lines", []) if line_path else []:
            assert set(line) <= line_props, set(line) - line_props
    if route == "/services/core/query" and status == 200 and body["ia::result"]:
        CHECKED.append("query-rows")
    CHECKED.append(name)


def _hook(response: httpx.Response) -> None:
    response.read()
    if response.request.url.path.startswith(BASE):
        validate(
            response.request.method,
            response.request.url.path,
            response.status_code,
            response.content,
        )


@contextmanager
def rest_client(emulator: Emulator, over: str) -> Iterator[httpx.Client]:
    """An httpx client on the REST base URL, in process (``"transport"``) or over HTTP."""
    hooks = {"response": [_hook]}
    if over == "transport":
        with httpx.Client(
            transport=emulator.transport(),
            base_url=f"https://api.intacct.com{BASE}",
            event_hooks=hooks,
        ) as client:
            yield client
        return
    with (
        emulator.serve() as server,
        httpx.Client(base_url=server.url.rsplit("/ia/", 1)[0] + BASE, event_hooks=hooks) as client,
    ):
        yield client


def client_token(client: httpx.Client, username: str = "demo-user@DEMO") -> str:
    """An access token by the client-credentials grant."""
    r = client.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": REST_CLIENT_ID,
            "client_secret": REST_CLIENT_SECRET,
            "username": username,
        },
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def authorize(client: httpx.Client, *, pkce: bool = True) -> tuple[str, str | None]:
    """An authorization code (auto-approved) and the PKCE verifier used, if any."""
    params = {
        "response_type": "code",
        "client_id": REST_CLIENT_ID,
        "redirect_uri": "http://localhost/cb",
        "state": "s1",
        "scope": "offline_access",
    }
    verifier = None
    if pkce:
        verifier = secrets.token_urlsafe(40)
        digest = hashlib.sha256(verifier.encode()).digest()
        params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        params["code_challenge_method"] = "S256"
    r = client.get("/oauth2/authorize", params=params)
    assert r.status_code == 302, r.text
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["state"] == ["s1"]
    return q["code"][0], verifier


def code_grant(client: httpx.Client, code: str, verifier: str | None) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://localhost/cb",
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return client.post("/oauth2/token", data=data, auth=(REST_CLIENT_ID, REST_CLIENT_SECRET))


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post(
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": REST_CLIENT_ID,
            "client_secret": REST_CLIENT_SECRET,
        },
    )
