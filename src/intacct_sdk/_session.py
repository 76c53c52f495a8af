"""API sessions, without I/O: when to log in, what to send, and what an answer changes.

The client logs in with ``getAPISession`` in a request of its own (login authentication), then
sends everything else with the returned session id to the returned endpoint (a session is
bound to its endpoint). Every answer reports the session's projected timeout
(``authentication/sessiontimeout``), which slides forward with each call; the client renews
the session a margin before that time, and once, transparently, when the gateway rejects it.

Both times in an answer are on the gateway's clock, and the client's clock may be off by any
amount. So the client takes only the *lifetime* from an answer (``sessiontimeout`` minus
``sessiontimestamp``, both the gateway's) and counts it from the moment the answer arrived,
on its own clock: a client whose clock is a day ahead or behind still logs in once.

Credentials that hold only a session id (no user password) are used as they are: such a
session cannot be renewed, so its rejection surfaces as :class:`SessionExpiredError`.

The endpoint a login answer names receives the sender password and the session id with every
request, so it is followed only to the login endpoint's own origin or to an allowed host
(``ClientOptions.session_endpoint_hosts``, Intacct's ``*.intacct.com`` by default), and
never from https to plain http (:func:`trusted_endpoint`).

Only a refused ``<authentication>`` is taken for a rejected session. A control-level refusal
(the sender id or sender password) is raised as it is, with its own hint: no new session
would be accepted either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import attrs

from intacct_sdk._config import INTACCT_HOSTS, Credentials, validate_endpoint
from intacct_sdk._envelope import LoginAuth, SessionAuth
from intacct_sdk._errors import (
    SESSION_HINT,
    AuthenticationError,
    ConfigurationError,
    MalformedResponseError,
    ResultMismatchError,
    SessionExpiredError,
    UntrustedEndpointError,
    with_hint,
)
from intacct_sdk._results import AuthInfo, Response, Result, SessionInfo, mismatch
from intacct_sdk.functions import GetAPISession

__all__ = ["Session", "SessionManager", "trusted_endpoint"]

log = logging.getLogger(__name__)

LOGIN_CONTROL_ID = "sessionProvider"


def utc_now() -> datetime:
    """The current time, aware (UTC)."""
    return datetime.now(UTC)


def session_lifetime(auth: AuthInfo | None) -> timedelta | None:
    """How long the session lives from this answer on, by the gateway's own clock.

    ``sessiontimeout - sessiontimestamp`` (never negative); None when the answer does not
    carry both times with an offset.
    """
    if auth is None or auth.session_timeout is None or auth.session_timestamp is None:
        return None
    timeout, stamp = auth.session_timeout, auth.session_timestamp
    if timeout.tzinfo is None or stamp.tzinfo is None:
        return None
    return max(timeout - stamp, timedelta(0))


def _expiry(auth: AuthInfo | None, received: datetime) -> datetime | None:
    """When the session expires on the client's clock, for an answer ``received`` then.

    Without a timestamp, an aware timeout is taken as it is (the gateway's clock is then
    assumed right); without an aware timeout the expiry is unknown.
    """
    lifetime = session_lifetime(auth)
    if lifetime is not None:
        return received + lifetime
    timeout = auth.session_timeout if auth is not None else None
    if timeout is not None and timeout.tzinfo is not None:
        return timeout
    return None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL, the port filled in from the scheme."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme, 0)


def _shown(origin: tuple[str, str, int]) -> str:
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return (
        f"{scheme}://{host}" if port == _DEFAULT_PORTS.get(scheme) else f"{scheme}://{host}:{port}"
    )


def _allowed(host: str, hosts: Sequence[str]) -> bool:
    """Whether ``host`` is one of ``hosts`` (``*.example.com``: any host under the domain)."""
    for entry in hosts:
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False


def trusted_endpoint(endpoint: str, login_url: str, hosts: Sequence[str] = INTACCT_HOSTS) -> str:
    """Check the session endpoint a login answer named before anything is sent to it.

    Accepted: the login endpoint's own origin (scheme, host and port), or a host of
    ``hosts``; never plain http when the login went over https.

    Args:
        endpoint: The ``<endpoint>`` of the getAPISession answer (an http(s) URL).
        login_url: Where the login was sent.
        hosts: Allowed hosts besides the login's (``ClientOptions.session_endpoint_hosts``).

    Returns:
        ``endpoint``, unchanged.

    Raises:
        UntrustedEndpointError: A downgrade to http, or a host that is not allowed; the
            message names the endpoint's origin (never its path or query).
    """
    origin, login = _origin(endpoint), _origin(login_url)
    shown = _shown(origin)
    if login[0] == "https" and origin[0] != "https":
        raise UntrustedEndpointError(
            f"refused the session endpoint {shown} named by the login answer: it is plain "
            f"http while the login went over https ({_shown(login)}), and the sender password "
            "and session id would travel unencrypted; nothing was sent to it",
            endpoint=shown,
            reason="downgrade",
        )
    if origin == login or _allowed(origin[1], hosts):
        return endpoint
    allowed = ", ".join(hosts) or "none"
    raise UntrustedEndpointError(
        f"refused the session endpoint {shown} named by the login answer: it is neither the "
        f"login endpoint's origin ({_shown(login)}) nor a host of session_endpoint_hosts "
        f"({allowed}); nothing was sent to it (add its host to session_endpoint_hosts if it "
        "is a gateway you trust)",
        endpoint=shown,
        reason="host",
    )


@attrs.frozen
class Session:
    """A live API session.

    Attributes:
        session_id: The session id (hidden from ``repr``).
        endpoint: The URL the session belongs to.
        expires_at: The projected timeout, on the client's clock: the lifetime the last
            answer reported, counted from its arrival; None when unknown.
        location_id: The entity the session is bound to (None or "" for the top level).
        renewable: Whether the client can log in again to replace it.
        issued_at: When the login answer arrived, on the client's clock.
    """

    session_id: str = attrs.field(repr=False)
    endpoint: str
    expires_at: datetime | None = None
    location_id: str | None = None
    renewable: bool = True
    issued_at: datetime | None = None


class SessionManager:
    """Holds the current session of one client and decides when a new one is needed.

    Thread-safe for reading and replacing the session; the client serialises logins with
    :attr:`lock` (a ``threading.Lock`` for ``Client``; ``AsyncClient`` uses its own).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        margin: timedelta,
        endpoint_hosts: Sequence[str] = INTACCT_HOSTS,
    ) -> None:
        self.credentials = credentials
        self.margin = margin
        self.endpoint_hosts = tuple(endpoint_hosts)
        self.lock = threading.Lock()
        self._session: Session | None = None
        self.logins = 0
        self._first_spent = False
        if credentials.session_id is not None:
            self._session = Session(
                session_id=credentials.session_id,
                endpoint=credentials.endpoint,
                location_id=credentials.entity_id,
                renewable=credentials.user_password is not None,
            )

    @property
    def session(self) -> Session | None:
        """The current session, if any."""
        return self._session

    @property
    def can_login(self) -> bool:
        """Whether the credentials allow logging in (a user id, company id and password)."""
        c = self.credentials
        return c.user_id is not None and c.company_id is not None and c.user_password is not None

    def needs_login(self, now: datetime | None = None) -> bool:
        """Whether a new session must be fetched before the next request."""
        session = self._session
        if session is None:
            return True
        if not session.renewable or session.expires_at is None:
            return False
        margin = self.margin
        if session.issued_at is not None:
            # Never renew more eagerly than a quarter of the session's own lifetime, or a
            # short session duration would make every request log in again.
            margin = min(margin, (session.expires_at - session.issued_at) / 4)
        return (now or utc_now()) >= session.expires_at - margin

    def first_request_login(self) -> tuple[str, LoginAuth] | None:
        """URL and login authentication for a client's very first request, once.

        None when a session exists or was ever fetched, when the credentials hold no user
        login, or when this was handed out before: only one request of a client travels with
        the login instead of a session (the caller holds :attr:`lock`).
        """
        if self._first_spent or self._session is not None or self.logins or not self.can_login:
            return None
        self._first_spent = True
        url, auth, _ = self.login_request()
        return url, auth

    def login_request(self) -> tuple[str, LoginAuth, GetAPISession]:
        """What to send to get a session: URL, login authentication, and the function.

        Raises:
            ConfigurationError: the credentials hold no user login.
        """
        c = self.credentials
        if c.user_id is None or c.company_id is None or c.user_password is None:
            raise ConfigurationError(
                "cannot log in: user_id, company_id and user_password are required"
            )
        auth = LoginAuth(
            user_id=c.user_id,
            company_id=c.company_id,
            password=c.user_password,
            entity_id=c.entity_id,
            client_id=c.client_id,
        )
        return c.endpoint, auth, GetAPISession(control_id=LOGIN_CONTROL_ID)

    def accept_login(
        self, response: Response, login_url: str, *, now: datetime | None = None
    ) -> Session:
        """Store the session a ``getAPISession`` answer carries.

        Raises:
            FunctionError: getAPISession failed.
            MalformedResponseError: the answer holds no session.
            ResultMismatchError: its result is not the login's (by control id).
            UntrustedEndpointError: the answer names an endpoint the client will not send
                credentials to (see :func:`trusted_endpoint`); no session is kept.
        """
        if not response.results:
            raise MalformedResponseError("getAPISession answer has no result")
        answered = [r.control_id.strip() for r in response.results]
        if answered != [LOGIN_CONTROL_ID]:
            raise ResultMismatchError(
                "the getAPISession answer does not pair with the login by control id: "
                f"{mismatch([LOGIN_CONTROL_ID], answered)}",
                expected=[LOGIN_CONTROL_ID],
                received=answered,
            )
        return self._adopt(response.results[0], response, login_url, now)

    def accept_folded(
        self, response: Response, control_id: str, login_url: str, *, now: datetime | None = None
    ) -> Session | None:
        """Store the session of a ``getAPISession`` sent among other functions in the
        client's first request (the one that travels with the user login).

        The caller put it there because more requests follow: they then go with this
        session instead of logging in with a request of their own. Nothing is stored when
        a session exists already, when no result carries ``control_id``, or when it failed
        or names an endpoint the client would not use (the next request then logs in as
        usual, and a refusal surfaces there).

        Returns:
            The new session, or None when none was stored.
        """
        if self._session is not None:
            return None
        found = [r for r in response.results if r.control_id.strip() == control_id.strip()]
        if len(found) != 1 or not found[0].ok:
            return None
        try:
            return self._adopt(found[0], response, login_url, now)
        except (MalformedResponseError, UntrustedEndpointError) as exc:
            log.info("session from the first request not kept: %s", exc)
            return None

    def _adopt(
        self, result: Result, response: Response, login_url: str, now: datetime | None
    ) -> Session:
        result.raise_for_error()
        info = result.payload
        if not isinstance(info, SessionInfo) or not info.session_id:
            raise MalformedResponseError("getAPISession answer holds no session id")
        endpoint = login_url
        if info.endpoint:
            try:
                endpoint = validate_endpoint(info.endpoint, what="session endpoint")
            except ConfigurationError:
                raise MalformedResponseError(
                    "getAPISession returned an endpoint that is not an http(s) URL"
                ) from None
            endpoint = trusted_endpoint(endpoint, login_url, self.endpoint_hosts)
        auth = response.authentication
        received = now or utc_now()
        session = Session(
            session_id=info.session_id,
            endpoint=endpoint,
            expires_at=_expiry(auth, received),
            location_id=info.location_id or (auth.location_id if auth is not None else None),
            renewable=True,
            issued_at=received,
        )
        self._session = session
        self.logins += 1
        log.info(
            "new API session on %s (entity %s), expires %s",
            endpoint,
            session.location_id or "top level",
            session.expires_at.isoformat() if session.expires_at else "unknown",
        )
        return session

    def auth(self) -> tuple[str, SessionAuth]:
        """URL and authentication for a request on the current session."""
        session = self._session
        if session is None:
            raise SessionExpiredError("no API session")
        return session.endpoint, SessionAuth(session.session_id)

    def observe(self, response: Response, session_id: str, *, now: datetime | None = None) -> None:
        """Slide the session's expiry by an answer sent on it, which arrived at ``now``.

        Args:
            response: The answer.
            session_id: The session the request was sent on.
            now: When the answer arrived, on the client's clock (default: now).
        """
        session = self._session
        if session is None or session.session_id != session_id:
            return  # no session, or one that has since been replaced
        expires = _expiry(response.authentication, now or utc_now())
        if expires is not None:
            self._session = attrs.evolve(session, expires_at=expires)

    def rejected(self, session_id: str, error: AuthenticationError, *, retried: bool) -> None:
        """The gateway refused a request sent on ``session_id``.

        Drops that session so that the next request logs in again, or raises when that
        cannot help.

        Raises:
            AuthenticationError: ``error`` itself when the gateway refused the request at the
                control level (the sender): the session stays, and a new one would not help.
            SessionExpiredError: the session cannot be renewed, or a fresh one was refused too.
        """
        if error.level == "control":
            raise error
        session = self._session
        renewable = self.can_login and (session is None or session.renewable)
        if session is not None and session.session_id == session_id:
            self._session = None if renewable else session
        # The gateway's own words, from its error entries (nothing from the request).
        detail = "; ".join(str(e) for e in error.errors) or error.errorno or "no error details"
        if not renewable:
            raise SessionExpiredError(
                with_hint(
                    "the gateway rejected the API session and the credentials hold no user "
                    f"login to renew it: {detail}",
                    SESSION_HINT,
                ),
                errorno=error.errorno,
                description=error.description,
                errors=error.errors,
                status_code=error.status_code,
            ) from error
        if retried:
            raise SessionExpiredError(
                f"the gateway rejected a freshly renewed API session: {detail}",
                errorno=error.errorno,
                description=error.description,
                errors=error.errors,
                status_code=error.status_code,
            ) from error
        log.info("API session rejected (%s); logging in again", error.errorno or "no errorno")
