"""A small REST server of our own for the REST client's tests (an httpx.MockTransport handler).

It implements the parts of the wire contract the client needs: the token endpoint (both
grants, rotating refresh tokens, revocation on re-authorization), the query service (the
filter operators the client writes, filterExpression, orderBy, start/size), objects (one
record, 207 batches, transactions, owned-line PATCH, DELETE), Idempotency-Key replay and 409,
the session bridge, and scripted faults (answers served before the real handling, lost
answers after it).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

CLIENT_ID = "fake-client"
CLIENT_SECRET = "fake-client-secret-0001"
USERS = {"admin@ACME", "jane@ACME"}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def _error(status: int, code: str, message: str, envelope: str = "result") -> httpx.Response:
    err = {"code": code, "message": message, "supportId": "SUP-1"}
    if envelope == "top":
        return _json(status, {"ia::error": err})
    if envelope == "legacy":
        return _json(status, {"error": {"code": code, "message": message, "errorId": "E-1"}})
    return _json(status, {"ia::result": {"ia::error": err}, "ia::meta": {"totalError": 1}})


class FakeRest:
    """The server's state, and ``transport`` to hand the client."""

    def __init__(self) -> None:
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[httpx.Request] = []
        self.faults: list[Callable[[httpx.Request], httpx.Response | None]] = []
        self.lose_after: set[int] = set()  # request numbers whose answer is lost after handling
        self.access: dict[str, datetime] = {}  # access token -> expiry
        self.refresh: dict[str, str] = {}  # live refresh token -> grant id
        self.codes: dict[str, tuple[str, str | None]] = {}  # code -> (grant id, challenge)
        self.grants: dict[str, str] = {}  # user -> live grant id
        self.expires_in = 3600
        self.idem: dict[str, tuple[bytes, httpx.Response]] = {}
        self.clock = datetime(2026, 11, 1, tzinfo=UTC)
        self._ids = itertools.count(1)
        self.transport = httpx.MockTransport(self.handle)

    # --- set-up and inspection for the tests ---------------------------------------------

    def seed(self, obj: str, count: int) -> None:
        rows = self.records.setdefault(obj, [])
        for _ in range(count):
            n = next(self._ids)
            self.clock += timedelta(seconds=1 if n % 3 else 0)  # some share a timestamp
            rows.append(
                {
                    "key": str(n),
                    "id": f"E{n}",
                    "name": f"Employee {n}",
                    "status": "active" if n % 2 else "inactive",
                    "audit": {"modifiedDateTime": self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")},
                    "department": {"id": f"D{n % 3}"},
                }
            )

    def authorize(self, url: str, user: str = "admin@ACME") -> str:
        """Follow an authorize URL as the user (auto-approved); answers the redirect URL."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        grant = f"g{next(self._ids)}"
        self.grants[user] = grant  # a new authorization replaces the last one
        code = f"code-{next(self._ids)}-abcdef"
        self.codes[code] = (grant, query.get("code_challenge"))
        return f"{query['redirect_uri']}?code={code}&state={query['state']}"

    def expire_tokens(self) -> None:
        for token in self.access:
            self.access[token] = self.clock - timedelta(seconds=1)

    def calls(self, path_part: str) -> list[httpx.Request]:
        return [r for r in self.requests if path_part in r.url.path]

    # --- handler ---------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        number = len(self.requests)
        for fault in list(self.faults):
            answer = fault(request)
            if answer is not None:
                self.faults.remove(fault)
                return answer
        answer = self._route(request)
        if number in self.lose_after:
            raise httpx.ReadError("connection reset after the server ran the request")
        return answer

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ia/api/v1")
        if path == "/oauth2/token":
            return self._token(request)
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        if token not in self.access or self.access[token] <= self.clock:
            return _error(401, "GW-0013", "Access token expired or invalid")
        if path == "/services/core/query":
            return self._query(json.loads(request.content))
        if path == "/services/core/session/id":
            return _json(
                200, {"ia::result": {"sessionId": "xml-session-secret-77", "expiresIn": 3600}}
            )
        match = re.fullmatch(r"/objects/([\w-]+/[\w-]+)(?:/(\w+))?", path)
        if match is None:
            return _error(404, "REST-404", "no such path")
        if request.method in ("POST", "PATCH"):
            key = request.headers.get("idempotency-key")
            if key is not None and key in self.idem:
                body, cached = self.idem[key]
                if body != request.content:
                    return _error(409, "REST-1409", "Idempotency-Key reused with another body")
                return httpx.Response(
                    cached.status_code,
                    content=cached.content,
                    headers={**cached.headers, "Idempotency-Replayed": "true"},
                )
            answer = self._write(request, match[1], match[2])
            if key is not None:
                self.idem[key] = (request.content, answer)
            return answer
        rows = self.records.setdefault(match[1], [])
        found = [r for r in rows if r["key"] == match[2]]
        if not found:
            return _error(404, "REST-1404", f"record {match[2]} not found")
        if request.method == "DELETE":
            rows.remove(found[0])
            return httpx.Response(204)
        return _json(200, {"ia::result": found[0], "ia::meta": {"totalCount": 1}})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(urllib.parse.parse_qsl(request.content.decode()))
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return _json(401, {"error": "invalid_client", "error_description": "bad client"})
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            if form.get("username", "").split("|")[0] not in USERS:
                return _json(401, {"error": "invalid_grant", "error_description": "unknown user"})
            return self._issue(None)
        if grant_type == "authorization_code":
            entry = self.codes.pop(form.get("code", ""), None)
            if entry is None:
                return _json(400, {"error": "invalid_grant", "error_description": "bad code"})
            grant, challenge = entry
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if challenge and base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
                return _json(400, {"error": "invalid_grant", "error_description": "PKCE failed"})
            return self._issue(grant)
        if grant_type == "refresh_token":
            grant = self.refresh.pop(form.get("refresh_token", ""), None)
            if grant is None or grant not in self.grants.values():
                return _json(400, {"error": "REST-2102", "error_description": "Token is not valid"})
            return self._issue(grant)
        return _json(400, {"error": "unsupported_grant_type"})

    def _issue(self, grant: str | None) -> httpx.Response:
        n = next(self._ids)
        access = f"eyJhbGciOi.access-{n}-{'x' * 12}"
        self.access[access] = self.clock + timedelta(seconds=self.expires_in)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if grant is not None:
            refresh = f"refresh-{n}-{'y' * 12}"
            self.refresh[refresh] = grant
            body["refresh_token"] = refresh
        return _json(200, body)

    def _query(self, body: dict[str, Any]) -> httpx.Response:
        rows = list(self.records.get(body["object"], []))
        conditions = [_condition(f) for f in body.get("filters", [])]
        if conditions:
            expression = body.get("filterExpression") or " and ".join(
                str(i + 1) for i in range(len(conditions))
            )
            rows = [r for r in rows if _evaluate(expression, conditions, r)]
        for order in reversed(body.get("orderBy", [])):
            ((field, direction),) = order.items()
            rows.sort(key=lambda r: _sort_key(_get(r, field)), reverse=direction == "desc")
        start, size = body.get("start", 1), body.get("size", 100)
        assert size <= 4000
        page = rows[start - 1 : start - 1 + size]
        out = [{f: _get(r, f) for f in body["fields"]} for r in page]
        nested = [_nest(o) for o in out]
        nxt = start + size if start - 1 + size < len(rows) else None
        meta = {"totalCount": len(rows), "start": start, "pageSize": size, "next": nxt}
        return _json(200, {"ia::result": nested, "ia::meta": meta})

    def _write(self, request: httpx.Request, obj: str, key: str | None) -> httpx.Response:
        data = json.loads(request.content)
        rows = self.records.setdefault(obj, [])
        if request.method == "PATCH" and key is not None:
            found = [r for r in rows if r["key"] == key]
            if not found:
                return _error(404, "REST-1404", f"record {key} not found")
            record = found[0]
            for field, value in data.items():
                if field == "lines":
                    lines = record.setdefault("lines", [])
                    for line in value:
                        if line.get("ia::operation") == "delete":
                            lines[:] = [x for x in lines if x["key"] != line["key"]]
                        elif "key" in line:
                            next(x for x in lines if x["key"] == line["key"]).update(line)
                        else:
                            lines.append({**line, "key": str(next(self._ids))})
                else:
                    record[field] = value
            return _json(200, {"ia::result": {"key": key, "id": record.get("id")}})
        transaction = request.headers.get("x-ia-api-param-transaction") == "true"
        items = data if isinstance(data, list) else [data]
        results: list[dict[str, Any]] = []
        staged: list[dict[str, Any]] = []
        for item in items:
            if not item.get("id"):
                results.append({"ia::error": {"code": "REST-1001", "message": "id is required"}})
                continue
            n = str(next(self._ids))
            staged.append({**item, "key": n, "audit": {"modifiedDateTime": "2026-11-02T00:00:00Z"}})
            results.append({"key": n, "id": item["id"], "href": f"/objects/{obj}/{n}"})
        failed = sum("ia::error" in r for r in results)
        if not (transaction and failed):
            rows.extend(staged)
        if not isinstance(data, list):
            if failed:
                return _error(400, "REST-1001", "id is required")
            return _json(201, {"ia::result": results[0], "ia::meta": {"totalCount": 1}})
        meta = {"totalCount": len(items), "totalSuccess": len(items) - failed, "totalError": failed}
        return _json(207, {"ia::result": results, "ia::meta": meta})


def _get(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, str) and value.isdigit():
        return (0, int(value))
    return (1, value)


def _condition(item: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    ((op, spec),) = item.items()
    ((field, want),) = spec.items()

    def test(record: dict[str, Any]) -> bool:
        have = _get(record, field)
        a, b = _sort_key(have), _sort_key(want) if not isinstance(want, list) else None
        if op == "$eq":
            return bool(have == want)
        if op == "$ne":
            return bool(have != want)
        if op == "$in":
            return have in want
        if op == "$notIn":
            return have not in want
        if op == "$between":
            return _sort_key(want[0]) <= a <= _sort_key(want[1])
        if op == "$startsWith":
            return str(have).startswith(want)
        if op == "$contains":
            return want in str(have)
        if have is None:
            return False
        assert b is not None
        return {"$lt": a < b, "$lte": a <= b, "$gt": a > b, "$gte": a >= b}[op]

    return test


def _evaluate(
    expression: str, conditions: list[Callable[[dict[str, Any]], bool]], record: dict[str, Any]
) -> bool:
    python = re.sub(r"\d+", lambda m: f"c[{int(m[0]) - 1}](r)", expression)
    return bool(eval(python, {"c": conditions, "r": record}))  # noqa: S307 - test server only
