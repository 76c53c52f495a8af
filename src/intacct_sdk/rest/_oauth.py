"""OAuth 2.0 for the REST API: grants, token sets, token stores, and one refresh at a time.

The protocol pieces (PKCE verifier and S256 challenge, the authorize URL, token request
bodies) come from authlib, imported when first needed so that ``import intacct_sdk`` and the
XML client never load it. The HTTP exchange itself goes through the REST client's own
transport, retry policy, limiter and redaction, like every other request it sends.

Two grants:

* client credentials: :class:`RestCredentials` with ``username="user@company"`` (or
  ``"user@company|entity"``); the client asks for a token whenever it has none that is valid;
* authorization code with PKCE: :func:`authorization_url` gives the URL to send the user to and
  the verifier to keep; :meth:`RestClient.exchange_code` turns the returned code into tokens,
  saved in the :class:`TokenStore`. Refresh tokens rotate: every refresh answers a new one,
  and the old one dies at once, so the new set is saved *before* its access token is used.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from intacct_sdk._errors import ConfigurationError, MalformedResponseError
from intacct_sdk.rest._errors import GrantRevokedError, OAuthError

__all__ = [
    "AuthorizationRequest",
    "MemoryTokenStore",
    "RestCredentials",
    "TokenSet",
    "TokenStore",
    "authorization_url",
]

DEFAULT_BASE_URL = "https://api.intacct.com/ia/api/v1"
TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
AUTHORIZE_PATH = "/oauth2/authorize"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@attrs.frozen
class TokenSet:
    """The tokens of one connection, as the token endpoint answered them.

    The access token is opaque: the client never parses it (it may look like a JWT).

    Attributes:
        access_token: The bearer token sent on API calls.
        expires_at: When the access token expires (UTC), from ``expires_in``; None if unknown.
        refresh_token: The refresh token (authorization-code grant); rotates on every refresh.
        token_type: Always ``Bearer`` for Intacct.
        scope: The granted scope, when the answer named one.
    """

    access_token: str = attrs.field(repr=False)
    expires_at: datetime | None = None
    refresh_token: str | None = attrs.field(default=None, repr=False)
    token_type: str = "Bearer"  # noqa: S105 - a scheme, not a secret
    scope: str | None = None

    def expired(
        self, *, margin: timedelta = timedelta(seconds=60), now: datetime | None = None
    ) -> bool:
        """Whether the access token expires within ``margin`` (False when the expiry is unknown)."""
        if self.expires_at is None:
            return False
        return (now or _utc_now()) + margin >= self.expires_at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for a store that keeps JSON); holds the secrets."""
        return {
            "access_token": self.access_token,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        """The inverse of :meth:`to_dict`."""
        expires = data.get("expires_at")
        return cls(
            access_token=str(data["access_token"]),
            expires_at=None if expires is None else datetime.fromisoformat(str(expires)),
            refresh_token=data.get("refresh_token"),
            token_type=str(data.get("token_type") or "Bearer"),
            scope=data.get("scope"),
        )


@runtime_checkable
class TokenStore(Protocol):
    """Where a vendor keeps each connection's tokens (a database row, a secrets manager...).

    ``save`` must be durable when it returns: a rotated refresh token that is lost cannot be
    replaced without a new authorization. Implementations must be thread-safe.
    """

    def load(self, connection: str) -> TokenSet | None:
        """The tokens saved for ``connection``, or None."""
        ...

    def save(self, connection: str, tokens: TokenSet) -> None:
        """Replace the tokens of ``connection`` (durably, before returning)."""
        ...


class MemoryTokenStore:
    """A :class:`TokenStore` in this process's memory (tests, scripts, short-lived workers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, TokenSet] = {}

    def load(self, connection: str) -> TokenSet | None:
        """The tokens saved for ``connection``, or None."""
        with self._lock:
            return self._tokens.get(connection)

    def save(self, connection: str, tokens: TokenSet) -> None:
        """Replace the tokens of ``connection``."""
        with self._lock:
            self._tokens[connection] = tokens

    def __repr__(self) -> str:
        return f"MemoryTokenStore({len(self._tokens)} connections)"


@attrs.frozen
class RestCredentials:
    """The OAuth client (the vendor's app) and, for client credentials, the user.

    Attributes:
        client_id: The OAuth client id.
        client_secret: The OAuth client secret (never logged, hidden from ``repr``).
        username: ``user@company`` or ``user@company|entity`` for the client-credentials
            grant; None for the authorization-code grant (tokens come from the store).
        redirect_uri: The redirect URI registered for the authorization-code grant.
        connection: The key of this connection's tokens in the store (default: the
            username, else the client id).
        scope: The scope asked for (``offline_access`` gets a refresh token).
    """

    client_id: str
    client_secret: str = attrs.field(repr=False)
    username: str | None = None
    redirect_uri: str | None = None
    connection: str | None = None
    scope: str | None = "offline_access"

    def __attrs_post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ConfigurationError("RestCredentials needs a client_id and a client_secret")
        if self.username is not None and "@" not in self.username:
            raise ConfigurationError("username must be user@company or user@company|entity")

    @property
    def key(self) -> str:
        """The connection's key in the token store."""
        return self.connection or self.username or self.client_id

    @property
    def entity_id(self) -> str | None:
        """The entity named by ``user@company|entity``, if any."""
        if self.username and "|" in self.username:
            return self.username.split("|", 1)[1] or None
        return None


@attrs.frozen
class AuthorizationRequest:
    """Where to send the user to authorize, and what to keep until the code comes back.

    Attributes:
        url: The authorize URL (with the PKCE S256 challenge).
        state: The state to compare with the redirect's ``state``.
        code_verifier: The PKCE verifier to give :meth:`RestClient.exchange_code` (a secret).
    """

    url: str
    state: str
    code_verifier: str = attrs.field(repr=False)


def authorization_url(
    client_id: str,
    redirect_uri: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    scope: str | None = "offline_access",
    state: str | None = None,
) -> AuthorizationRequest:
    """Build the authorize URL of the authorization-code grant, with PKCE (S256).

    Args:
        client_id: The OAuth client id.
        redirect_uri: Where Intacct sends the user back with ``code`` and ``state``.
        base_url: The API base (``.../ia/api/v1``).
        scope: The scope; ``offline_access`` asks for a refresh token.
        state: The state to round-trip (default: a random one).
    """
    from authlib.common.security import generate_token
    from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier = generate_token(64)
    state = state or generate_token(24)
    url = prepare_grant_uri(
        base_url.rstrip("/") + AUTHORIZE_PATH,
        client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=scope,
        state=state,
        code_challenge=create_s256_code_challenge(verifier),  # type: ignore[no-untyped-call]
        code_challenge_method="S256",
    )
    return AuthorizationRequest(url=url, state=state, code_verifier=verifier)


def token_body(grant_type: str, **params: str | None) -> bytes:
    """The form-encoded body of a token request (authlib writes it)."""
    from authlib.oauth2.rfc6749.parameters import prepare_token_request

    clean = {k: v for k, v in params.items() if v is not None}
    body: str = prepare_token_request(grant_type, body="", **clean)
    return body.encode("ascii")


def credentials_body(creds: RestCredentials) -> bytes:
    """A client-credentials token request; the client authenticates in the form."""
    return token_body(
        "client_credentials",
        client_id=creds.client_id,
        client_secret=creds.client_secret,
        username=creds.username,
    )


def code_body(creds: RestCredentials, code: str, code_verifier: str | None) -> bytes:
    """An authorization-code token request."""
    return token_body(
        "authorization_code",
        code=code,
        redirect_uri=creds.redirect_uri,
        code_verifier=code_verifier,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
    )


def refresh_body(creds: RestCredentials, refresh_token: str) -> bytes:
    """A refresh-token request."""
    return token_body(
        "refresh_token",
        refresh_token=refresh_token,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
    )


def token_answer(
    status: int, data: object, *, refreshing: bool, now: datetime | None = None
) -> TokenSet:
    """Read a token endpoint answer (parsed JSON, or None when it was not JSON).

    Raises:
        GrantRevokedError: A refresh refused with ``invalid_grant`` or ``REST-2102``.
        OAuthError: Any other refusal.
        MalformedResponseError: A 200 without an access token.
    """
    if not isinstance(data, Mapping):
        data = {}
    if status == 200 and isinstance(data.get("access_token"), str) and data["access_token"]:
        expires_in = data.get("expires_in")
        expires_at = None
        if isinstance(expires_in, int | float | str) and str(expires_in).strip():
            try:
                expires_at = (now or _utc_now()) + timedelta(seconds=float(expires_in))
            except ValueError:
                expires_at = None
        refresh = data.get("refresh_token")
        return TokenSet(
            access_token=data["access_token"],
            expires_at=expires_at,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            token_type=str(data.get("token_type") or "Bearer"),
            scope=data.get("scope") if isinstance(data.get("scope"), str) else None,
        )
    if status == 200:
        raise MalformedResponseError("the token endpoint answered without an access token")
    code = data.get("error")
    description = data.get("error_description")
    if isinstance(code, Mapping):  # an ia::error-like shape
        description = code.get("message")
        code = code.get("code")
    if code is None and isinstance(data.get("ia::error"), Mapping):
        description = data["ia::error"].get("message")
        code = data["ia::error"].get("code")
    code_text = str(code) if code is not None else None
    text = f"the token endpoint refused the grant (HTTP {status}"
    text += f", {code_text})" if code_text else ")"
    if isinstance(description, str) and description:
        text += f": {description}"
    if refreshing and code_text in ("invalid_grant", "REST-2102"):
        raise GrantRevokedError(
            text + "; the refresh token is no longer valid: authorize the connection again",
            error=code_text,
            status_code=status,
        )
    raise OAuthError(text, error=code_text, status_code=status)
