"""Dispatch of REST requests: OAuth endpoints, bearer checks, the session bridge, the query
service and objects; the ``Idempotency-Key`` cache, throttling answers and error envelopes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import attrs

from intacct_sdk.testing._hooks import EmulatorResponse, RequestContext
from intacct_sdk.testing._rest import _records
from intacct_sdk.testing._rest._oauth import (
    REST_CLIENT_ID,
    REST_CLIENT_SECRET,
    AccessGrant,
    OAuthError,
    OAuthServer,
)
from intacct_sdk.testing._rest._service import RestFailure, Service

if TYPE_CHECKING:
    from intacct_sdk.testing._emulator import Emulator

__all__ = ["REST_PREFIX", "RestEmulator", "is_rest_path"]

log = logging.getLogger(__name__)

REST_PREFIX = "/ia/api/v1"
JSON = "application/json"
IDEMPOTENCY_TTL = timedelta(hours=48)
Envelope = Literal["result", "top", "legacy"]


def is_rest_path(path: str) -> bool:
    """Whether a request path (query string allowed) is under ``/ia/api/v1``."""
    bare = path.split("?", 1)[0]
    return bare == REST_PREFIX or bare.startswith(REST_PREFIX + "/")


@attrs.define(slots=True)
class _Cached:
    fingerprint: str
    response: EmulatorResponse
    expires: datetime


def _fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


class RestEmulator:
    """The REST API of one :class:`~intacct_sdk.testing.Emulator` (its ``rest`` attribute).

    Args:
        emulator: The emulator whose company, users, faults and limits it shares.
        clients: OAuth client id to secret (default one client, :data:`REST_CLIENT_ID`).

    Attributes:
        authorize_as: Whom the authorize endpoint approves as, ``user@company`` or
            ``user@company|entity`` (default the emulator's user and company).
        error_envelope: The error body shape: ``"result"`` (``ia::result.ia::error``, the
            OpenAPI documents' shape), ``"top"`` (``ia::error`` at the top) or ``"legacy"``
            (``error`` with ``code``, ``message``, ``errorId``).
        oauth: The OAuth server (clients, tokens; ``oauth.token_ttl`` is the access-token
            lifetime, default one hour).
    """

    def __init__(self, emulator: Emulator, clients: Mapping[str, str] | None = None) -> None:
        self._em = emulator
        creds = emulator.credentials
        self.authorize_as = f"{creds.user_id}@{creds.company_id}"
        self.error_envelope: Envelope = "result"
        self.oauth = OAuthServer(
            clients if clients is not None else {REST_CLIENT_ID: REST_CLIENT_SECRET},
            lambda: emulator.clock(),
            self._user,
            emulator._entity_exists,
        )
        self._idem: dict[tuple[str, str], _Cached] = {}
        self._idem_lock = threading.Lock()
        self._inflight: set[tuple[str, str]] = set()

    def __repr__(self) -> str:
        return f"RestEmulator(clients={len(self.oauth.clients)})"

    @property
    def token_ttl(self) -> timedelta:
        """How long an access token lives (``expires_in``), on the emulator's clock."""
        return self.oauth.token_ttl

    @token_ttl.setter
    def token_ttl(self, value: timedelta) -> None:
        self.oauth.token_ttl = value

    def _user(self, user: str, company: str) -> tuple[str, str] | None:
        creds = self._em.credentials
        if user == creds.user_id and company.upper() == creds.company_id.upper():
            return creds.user_id, creds.company_id
        return None

    def claims(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether a REST request is for this company (routing among several companies).

        A bearer call goes by its token, a token request by its ``username`` (client
        credentials), code or refresh token; an authorize call by :attr:`authorize_as`.

        Args:
            method: The HTTP method.
            path: The URL path with any query string.
            headers: The request headers.
            body: The request body.

        Returns:
            True when this company issued the token, code or refresh token, or has the user.
        """
        route = urlsplit(path).path[len(REST_PREFIX) :].rstrip("/")
        if route == "/oauth2/authorize":
            return self._user(*self._split(self.authorize_as)) is not None
        if route == "/oauth2/token":
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            if "username" in form:
                return self._user(*self._split(form["username"])) is not None
            return self.oauth.holds(form.get("code", ""), form.get("refresh_token", ""))
        auth = _lower(headers).get("authorization", "")
        return self.oauth.bearer(auth.partition(" ")[2].strip()) not in ("unknown",)

    @staticmethod
    def _split(username: str) -> tuple[str, str]:
        user, _, company = username.partition("|")[0].rpartition("@")
        return user, company

    # -- what fault hooks see -----------------------------------------------------------------

    @staticmethod
    def context(number: int, method: str, path: str, body: bytes) -> RequestContext:
        """The fault context of a REST request: the XML function it runs, by object.

        A query shows as ``query``, a POST as ``create``, a PATCH as ``update``, a DELETE as
        ``delete`` and a GET of an object as ``read``, so ``function=query`` and the other
        fault selectors apply to REST calls as they do to XML ones; token and session-bridge
        calls show no function.

        Args:
            number: The request's number.
            method: The HTTP method.
            path: The URL path with any query string.
            body: The request body.

        Returns:
            The context fault hooks see.
        """
        rest = urlsplit(path).path[len(REST_PREFIX) :]
        names: tuple[str, ...] = ()
        if rest.startswith("/services/core/query"):
            names = ("query",)
        elif rest.startswith("/objects/"):
            names = {"POST": ("create",), "PATCH": ("update",), "DELETE": ("delete",)}.get(
                method.upper(), ("read",)
            )
        is_write = bool(names) and names[0] in ("create", "update", "delete")
        return RequestContext(number, is_write, names)

    # -- answers ------------------------------------------------------------------------------

    def _json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> EmulatorResponse:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return EmulatorResponse(status, {"Content-Type": JSON, **(headers or {})}, body)

    def error(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatorResponse:
        """An error answer in the configured envelope (:attr:`error_envelope`).

        Args:
            status: The HTTP status.
            code: The ``ia::error`` code (``GW-0010``, ``invalidRequest``...).
            message: The message.
            details: The ``details`` items.
            headers: Extra response headers.

        Returns:
            The JSON answer, with a fresh ``supportId``.
        """
        support = secrets.token_hex(8)
        err: dict[str, Any] = {
            "code": code,
            "message": message,
            "supportId": support,
            "details": list(details or []),
        }
        if code.startswith(("REST-", "GW-")):
            err["errorId"] = code
        payload: dict[str, Any]
        if self.error_envelope == "top":
            payload = {"ia::error": err}
        elif self.error_envelope == "legacy":
            payload = {
                "error": {
                    "code": code,
                    "message": message,
                    "errorId": code,
                    "supportId": support,
                    "details": list(details or []),
                }
            }
        else:
            payload = {
                "ia::result": {"ia::error": err},
                "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1},
            }
        return self._json(status, payload, headers)

    def throttled(self, retry_after: int = 1) -> EmulatorResponse:
        """HTTP 429 ``GW-0010`` with the ``X-IA-Throttle-*`` headers (no slot was free).

        Args:
            retry_after: Seconds for ``X-IA-Throttle-RetryAfter`` and ``Retry-After``.

        Returns:
            The answer; ``X-IA-Throttle-Limit`` is the company's ``max_concurrent``.
        """
        limit = self._em.max_concurrent or 0
        return self.error(
            429,
            "GW-0010",
            "API rate limit exceeded",
            headers={
                "X-IA-Throttle-Limit": str(limit),
                "X-IA-Throttle-Limit-Remaining": "0",
                "X-IA-Throttle-RetryAfter": str(retry_after),
                "Retry-After": str(retry_after),
            },
        )

    # -- dispatch -----------------------------------------------------------------------------

    def serve(
        self, number: int, body: bytes, method: str, path: str, headers: Mapping[str, str]
    ) -> EmulatorResponse:
        """Answer one REST request through the emulator's fault hooks.

        The caller holds a concurrency slot. An ``http429`` fault answers the REST
        throttle shape; the other request-level faults answer as they do on the gateway.

        Args:
            number: The request's number.
            body: The request body.
            method: The HTTP method.
            path: The URL path with any query string.
            headers: The request headers.

        Returns:
            The answer, possibly replaced or altered by the fault injector.
        """
        em = self._em
        ctx = self.context(number, method, path, body)
        faults = em.faults
        if faults is not None:
            early = faults.before_request(ctx)
            if early is not None and early.status == 429:
                retry = early.headers.get("Retry-After", "1")
                return self.throttled(int(float(retry)) if retry else 1)
            if early is not None:
                return early
            if faults.invalidate_sessions(ctx):
                with em._lock:
                    em._sessions.clear()
        response = self.handle(ctx, method, path, headers, body)
        if faults is not None:
            response = faults.after_request(ctx, response)
        return response

    def handle(
        self,
        ctx: RequestContext,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> EmulatorResponse:
        """Answer one REST request (the caller holds a concurrency slot).

        Args:
            ctx: The request's fault context (from :meth:`context`).
            method: The HTTP method.
            path: The URL path with any query string.
            headers: The request headers.
            body: The request body.

        Returns:
            The answer: JSON, a 302 from the authorize endpoint, or an empty 204.
        """
        split = urlsplit(path)
        route = split.path[len(REST_PREFIX) :].rstrip("/")
        hdrs = _lower(headers)
        method = method.upper()
        try:
            if route == "/oauth2/token":
                return self._token(method, hdrs, body)
            if route == "/oauth2/authorize":
                return self._authorize(method, split.query)
            grant = self._bearer(hdrs)
            if isinstance(grant, EmulatorResponse):
                return grant
            entity = hdrs.get("x-ia-api-param-entity") or grant.entity
            if entity and not self._em._entity_exists(entity):
                return self.error(400, "invalidRequest", f"Unknown entity '{entity}'.")
            if route == "/services/core/session/id" and method == "GET":
                return self._session(grant, entity, hdrs)
            key = hdrs.get("idempotency-key")
            if key is not None and method in ("POST", "PATCH"):
                return self._idempotent(ctx, grant, entity, method, route, hdrs, body, key)
            return self._api(ctx, grant, entity, method, route, hdrs, body)
        except OAuthError as exc:
            return self._json(
                exc.status, {"error": exc.error, "error_description": exc.description}
            )

    def _bearer(self, hdrs: Mapping[str, str]) -> AccessGrant | EmulatorResponse:
        auth = hdrs.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return self.error(401, "GW-0012", "Authorization is required: send a Bearer token.")
        found = self.oauth.bearer(token.strip())
        if found == "expired":
            return self.error(401, "GW-0013", "The access token has expired.")
        if isinstance(found, str):
            return self.error(401, "GW-0012", "The access token is not valid.")
        return found

    def _token(self, method: str, hdrs: Mapping[str, str], body: bytes) -> EmulatorResponse:
        if method != "POST":
            return self.error(405, "invalidRequest", "Use POST for the token endpoint.")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        basic: tuple[str, str] | None = None
        auth = hdrs.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                raw = base64.b64decode(auth[6:].strip()).decode()
            except (binascii.Error, UnicodeDecodeError):
                raw = ""
            user, _, pw = raw.partition(":")
            basic = (user, pw)
        answer = self.oauth.token(form, basic)
        return self._json(200, answer, {"Cache-Control": "no-store"})

    def _authorize(self, method: str, query: str) -> EmulatorResponse:
        if method != "GET":
            return self.error(405, "invalidRequest", "Use GET for the authorize endpoint.")
        q = {k: v[0] for k, v in parse_qs(query).items()}
        if q.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code.")
        redirect = q.get("redirect_uri", "")
        if not redirect:
            raise OAuthError("invalid_request", "redirect_uri is required.")
        code = self.oauth.authorize(
            q.get("client_id", ""),
            redirect,
            self.authorize_as,
            q.get("code_challenge"),
            q.get("code_challenge_method"),
        )
        params = {"code": code}
        if "state" in q:
            params["state"] = q["state"]
        sep = "&" if "?" in redirect else "?"
        return EmulatorResponse(302, {"Location": f"{redirect}{sep}{urlencode(params)}"}, b"")

    def _session(
        self, grant: AccessGrant, entity: str | None, hdrs: Mapping[str, str]
    ) -> EmulatorResponse:
        from intacct_sdk.testing._emulator import _endpoint_from, _Session

        em = self._em
        endpoint = em.endpoint_url or _endpoint_from(hdrs)
        now = em.clock()
        sid = secrets.token_urlsafe(24) + ".."
        with em._lock:
            em._sessions[sid] = _Session(
                grant.user_id, grant.company_id, entity, endpoint, now + em.session_duration
            )
        result = {
            "sessionId": sid,
            "expiresIn": int(em.session_duration.total_seconds()),
            "endpoint": endpoint,
        }
        meta = {"totalCount": 1, "totalSuccess": 1, "totalError": 0}
        return self._json(200, {"ia::result": result, "ia::meta": meta})

    def _idempotent(
        self,
        ctx: RequestContext,
        grant: AccessGrant,
        entity: str | None,
        method: str,
        route: str,
        hdrs: Mapping[str, str],
        body: bytes,
        key: str,
    ) -> EmulatorResponse:
        if not key or len(key) > 256:
            return self.error(400, "invalidRequest", "Idempotency-Key must be 1 to 256 characters.")
        print_ = _fingerprint(method, route, body)
        slot = (grant.company_id.upper(), key)
        now = self._em.clock()
        with self._idem_lock:
            for k in [k for k, v in self._idem.items() if v.expires <= now]:
                del self._idem[k]
            cached = self._idem.get(slot)
            busy = cached is None and slot in self._inflight
            if cached is None and not busy:
                self._inflight.add(slot)
        if busy:
            return self.error(
                409,
                "idempotencyKeyInUse",
                "A request with this Idempotency-Key is still being processed.",
            )
        if cached is not None:
            if cached.fingerprint != print_:
                return self.error(
                    409,
                    "idempotencyKeyReused",
                    "This Idempotency-Key was used with a different request.",
                )
            r = cached.response
            return EmulatorResponse(r.status, {**r.headers, "Idempotency-Replayed": "true"}, r.body)
        try:
            response = self._api(ctx, grant, entity, method, route, hdrs, body)
            if response.status < 500 and response.status != 429:
                with self._idem_lock:
                    self._idem[slot] = _Cached(print_, response, now + IDEMPOTENCY_TTL)
        finally:
            with self._idem_lock:
                self._inflight.discard(slot)
        return response

    def _api(
        self,
        ctx: RequestContext,
        grant: AccessGrant,
        entity: str | None,
        method: str,
        route: str,
        hdrs: Mapping[str, str],
        body: bytes,
    ) -> EmulatorResponse:
        svc = Service(self._em, ctx, grant.user_id, entity)
        try:
            data: Any = None
            if method in ("POST", "PATCH"):
                try:
                    data = json.loads(body or b"null")
                except ValueError:
                    return self.error(400, "invalidRequest", "The body is not valid JSON.")
                if data is None:
                    return self.error(
                        400, "invalidRequest", f"A {method} request requires a payload"
                    )
            with self._em._lock:
                if route == "/services/core/query" and method == "POST":
                    return self._json(200, svc.query(data))
                if route.startswith("/objects/"):
                    return self._objects(svc, method, route[len("/objects/") :], hdrs, data)
        except RestFailure as exc:
            return self.error(exc.status, exc.code, exc.message, exc.details)
        except Exception:
            log.exception("REST emulator call %s %s failed", method, route)
            return self.error(500, "DL02000001", "There was an error processing the request.")
        return self.error(404, "notFound", f"No REST resource at {route or '/'}.")

    def _objects(
        self, svc: Service, method: str, rest: str, hdrs: Mapping[str, str], data: Any
    ) -> EmulatorResponse:
        parts = rest.split("/")
        if len(parts) == 2:
            path, key = rest, None
        elif len(parts) == 3:
            path, key = "/".join(parts[:2]), parts[2]
        else:
            return self.error(404, "notFound", f"No REST resource at /objects/{rest}.")
        if key is None and method == "POST":
            transaction = hdrs.get("x-ia-api-param-transaction", "").lower() == "true"
            status, payload = _records.create(svc, path, data, transaction)
            return self._json(status, payload)
        if key is None and method == "GET":
            return self._json(200, self._list(svc, path))
        if key is not None and method == "GET":
            return self._json(200, _records.read_one(svc, path, key))
        if key is not None and method == "PATCH":
            return self._json(200, _records.update(svc, path, key, data))
        if key is not None and method == "DELETE":
            _records.delete(svc, path, key)
            return EmulatorResponse(204, {}, b"")
        return self.error(405, "methodNotAllowed", f"{method} is not allowed here.")

    @staticmethod
    def _list(svc: Service, path: str) -> dict[str, Any]:
        _ro, d = svc.rest_object(path)
        rows = svc.em.company.visible(d.name)
        total = len(rows)
        refs = [
            {
                "key": str(rn),
                "id": str(r.get(d.id_field or "RECORDNO", rn)),
                "href": f"/objects/{path}/{rn}",
            }
            for rn, r in sorted(rows.items())[:100]
        ]
        meta = {
            "totalCount": total,
            "start": 1,
            "pageSize": 100,
            "next": 101 if total > 100 else None,
            "previous": None,
        }
        return {"ia::result": refs, "ia::meta": meta}
