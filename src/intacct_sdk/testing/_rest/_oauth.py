"""The emulator's OAuth 2.0 server: clients, grants, codes, access and refresh tokens.

Tokens are opaque random strings shaped like a JWT (three dot-separated parts); nothing is
encoded in them. Every secret lives only in this object's tables, never in a repr or log.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Final

import attrs

__all__ = [
    "REST_CLIENT_ID",
    "REST_CLIENT_SECRET",
    "AccessGrant",
    "OAuthError",
    "OAuthServer",
]

REST_CLIENT_ID: Final = "emulator-client"
"""The OAuth client id the emulator accepts unless given others (a documented demo value)."""
REST_CLIENT_SECRET: Final = "emulator-secret"  # noqa: S105 - documented demo value
"""The secret of :data:`REST_CLIENT_ID` (a documented demo value)."""

_CODE_TTL = timedelta(minutes=10)
_JWT_HEAD = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()


class OAuthError(Exception):
    """A refused token request: the OAuth ``error`` code, a description and the status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@attrs.define(slots=True, repr=False)
class AccessGrant:
    """Who an access token acts for, and until when."""

    user_id: str
    company_id: str
    entity: str | None
    client_id: str
    expires: datetime
    grant: int  # the authorization it came from (0: client credentials)

    def __repr__(self) -> str:
        return f"AccessGrant(user={self.user_id!r}, company={self.company_id!r})"


@attrs.define(slots=True)
class _Code:
    user_id: str
    company_id: str
    entity: str | None
    client_id: str
    redirect_uri: str
    challenge: str | None
    expires: datetime


@attrs.define(slots=True)
class _Refresh:
    grant: int
    user_id: str
    company_id: str
    entity: str | None
    client_id: str


def _token() -> str:
    body = secrets.token_urlsafe(24)
    return f"{_JWT_HEAD}.{body}.{secrets.token_urlsafe(16)}"


class OAuthServer:
    """Clients, authorizations and tokens of one emulated company.

    Args:
        clients: Client id to secret.
        clock: The emulator's clock (token expiry).
        users: Checks ``(user, company)``; returns the canonical pair or None.
        entity_exists: Whether an entity (location) id exists.
    """

    def __init__(
        self,
        clients: Mapping[str, str],
        clock: Callable[[], datetime],
        users: Callable[[str, str], tuple[str, str] | None],
        entity_exists: Callable[[str], bool],
    ) -> None:
        self.clients = dict(clients)
        self.clock = clock
        self.token_ttl = timedelta(hours=1)
        self._users = users
        self._entity_exists = entity_exists
        self._lock = threading.Lock()
        self._access: dict[str, AccessGrant] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._codes: dict[str, _Code] = {}
        self._current: dict[tuple[str, str, str], int] = {}  # user, company, client -> grant
        self._revoked: set[str] = set()  # refresh tokens of superseded grants
        self._next_grant = 1
        self._grant_of_code: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"OAuthServer(clients={len(self.clients)}, tokens={len(self._access)})"

    # -- clients and users --------------------------------------------------------------------

    def check_client(self, client_id: str, secret: str | None) -> None:
        """Raise 401 ``invalid_client`` unless the client (and its secret, when given) match."""
        known = self.clients.get(client_id)
        if known is None or (secret is not None and not secrets.compare_digest(known, secret)):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)

    def principal(self, username: str) -> tuple[str, str, str | None]:
        """``user@company[|entity]`` as (user, company, entity); 401 for unknown ones."""
        who, _, entity = username.partition("|")
        user, _, company = who.rpartition("@")
        found = self._users(user, company) if user and company else None
        if found is None:
            raise OAuthError("invalid_grant", "Unknown user or company.", 401)
        if entity and not self._entity_exists(entity):
            raise OAuthError("invalid_grant", f"Unknown entity {entity!r}.", 401)
        return found[0], found[1], entity or None

    # -- authorize --------------------------------------------------------------------------

    def authorize(
        self,
        client_id: str,
        redirect_uri: str,
        username: str,
        challenge: str | None,
        method: str | None,
    ) -> str:
        """Approve an authorization for ``username``; a new code.

        A second authorization for the same user, company and client supersedes the first:
        the refresh tokens of the first are revoked.
        """
        self.check_client(client_id, None)
        if challenge is not None and (method or "plain") != "S256":
            raise OAuthError("invalid_request", "code_challenge_method must be S256.")
        user, company, entity = self.principal(username)
        code = secrets.token_urlsafe(24)
        with self._lock:
            grant = self._next_grant
            self._next_grant += 1
            old = self._current.get((user, company.upper(), client_id))
            self._current[(user, company.upper(), client_id)] = grant
            if old is not None:
                for tok, r in list(self._refresh.items()):
                    if r.grant == old:
                        del self._refresh[tok]
                        self._revoked.add(tok)
                for tok, a in list(self._access.items()):
                    if a.grant == old:
                        del self._access[tok]
            self._codes[code] = _Code(
                user, company, entity, client_id, redirect_uri, challenge, self.clock() + _CODE_TTL
            )
            self._grant_of_code[code] = grant
        return code

    # -- token ------------------------------------------------------------------------------

    def token(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> dict[str, object]:
        """Answer a token request (form fields; client from the form or HTTP Basic)."""
        client_id = form.get("client_id") or (basic[0] if basic else "")
        secret = form.get("client_secret") or (basic[1] if basic else "")
        self.check_client(client_id, secret)
        kind = form.get("grant_type", "")
        now = self.clock()
        with self._lock:
            if kind == "client_credentials":
                user, company, entity = self.principal(form.get("username", ""))
                return self._issue(AccessGrant(user, company, entity, client_id, now, 0), False)
            if kind == "authorization_code":
                return self._from_code(form, client_id, now)
            if kind == "refresh_token":
                return self._from_refresh(form.get("refresh_token", ""), client_id, now)
        raise OAuthError("unsupported_grant_type", f"grant_type {kind!r} is not supported.")

    def _from_code(
        self, form: Mapping[str, str], client_id: str, now: datetime
    ) -> dict[str, object]:
        code = self._codes.pop(form.get("code", ""), None)
        grant = self._grant_of_code.pop(form.get("code", ""), 0)
        if code is None or code.expires <= now or code.client_id != client_id:
            raise OAuthError("invalid_grant", "The authorization code is invalid or expired.")
        if form.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization.")
        if code.challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not verifier or not secrets.compare_digest(expected, code.challenge):
                raise OAuthError("invalid_grant", "PKCE verification failed.")
        if self._current.get((code.user_id, code.company_id.upper(), client_id)) != grant:
            raise OAuthError("invalid_grant", "The authorization was superseded.")
        return self._issue(
            AccessGrant(code.user_id, code.company_id, code.entity, client_id, now, grant), True
        )

    def _from_refresh(self, token: str, client_id: str, now: datetime) -> dict[str, object]:
        if token in self._revoked:
            raise OAuthError("invalid_grant", "REST-2102 Token is not valid", 401)
        r = self._refresh.pop(token, None)
        if r is None or r.client_id != client_id:
            raise OAuthError("invalid_grant", "The refresh token is invalid.")
        return self._issue(
            AccessGrant(r.user_id, r.company_id, r.entity, client_id, now, r.grant), True
        )

    def _issue(self, grant: AccessGrant, refresh: bool) -> dict[str, object]:
        grant.expires = self.clock() + self.token_ttl
        access = _token()
        self._access[access] = grant
        out: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.token_ttl.total_seconds()),
        }
        if refresh:
            rt = secrets.token_urlsafe(32)
            self._refresh[rt] = _Refresh(
                grant.grant, grant.user_id, grant.company_id, grant.entity, grant.client_id
            )
            out["refresh_token"] = rt
        return out

    # -- API calls --------------------------------------------------------------------------

    def bearer(self, token: str) -> AccessGrant | str:
        """The grant of an access token, or why it is refused: ``unknown`` or ``expired``."""
        with self._lock:
            grant = self._access.get(token)
            if grant is None:
                return "unknown"
            if grant.expires <= self.clock():
                return "expired"
            return grant

    def holds(self, code: str, refresh_token: str) -> bool:
        """Whether this server issued the code or refresh token (current or revoked)."""
        with self._lock:
            return (
                code in self._codes
                or refresh_token in self._refresh
                or refresh_token in self._revoked
            )

    def revoke_all(self) -> None:
        """Forget every access and refresh token (tests of re-authentication)."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()
