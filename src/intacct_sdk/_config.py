"""Credentials and client options.

Credentials come from three places, in this order of precedence:

1. arguments given in code (``Credentials(...)`` or ``Credentials.resolve(sender_id=...)``),
2. the ``INTACCT_*`` environment variables the official SDKs read,
3. a profile in an INI file (default ``~/.intacct/credentials.ini``; ``INTACCT_PROFILE`` picks
   the section, ``default`` otherwise) with the official SDKs' keys (``sender_id``,
   ``user_password``, ...).

Secrets (the two passwords and a session id) never appear in ``repr()`` or in error messages:
errors name the missing *key*, never a value.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal, TypedDict
from urllib.parse import urlsplit

import attrs

from intacct_sdk._errors import ConfigurationError, MissingCredentialsError
from intacct_sdk._formats import DISCOVER, date_format, zone_of
from intacct_sdk._limiter import RequestLimiter
from intacct_sdk._retry import RetryPolicy
from intacct_sdk._version import __version__

__all__ = [
    "DEFAULT_ENDPOINT",
    "FORMAT_ENV_VARS",
    "INTACCT_HOSTS",
    "ClientOptions",
    "Credentials",
    "RequestOptions",
    "format_settings",
    "validate_endpoint",
]

DEFAULT_ENDPOINT = "https://api.intacct.com/ia/xml/xmlgw.phtml"
"""The gateway URL used for the first call when no endpoint is configured."""

#: Credential field -> environment variable (the names the official SDKs use).
ENV_VARS: dict[str, str] = {
    "sender_id": "INTACCT_SENDER_ID",
    "sender_password": "INTACCT_SENDER_PASSWORD",
    "company_id": "INTACCT_COMPANY_ID",
    "entity_id": "INTACCT_ENTITY_ID",
    "user_id": "INTACCT_USER_ID",
    "user_password": "INTACCT_USER_PASSWORD",
    "endpoint_url": "INTACCT_ENDPOINT_URL",
    "client_id": "INTACCT_CLIENT_ID",
    "session_id": "INTACCT_SESSION_ID",
}
#: Value-format setting -> environment variable (read by :func:`format_settings`).
FORMAT_ENV_VARS: dict[str, str] = {
    "timezone": "INTACCT_TIMEZONE",
    "date_format": "INTACCT_DATE_FORMAT",
}
PROFILE_ENV = "INTACCT_PROFILE"
DEFAULT_PROFILE = "default"
_FIELDS = tuple(ENV_VARS)
_SECRETS = frozenset({"sender_password", "user_password", "session_id"})


def default_profile_path() -> Path:
    """Where the credentials INI file lives by default (``~/.intacct/credentials.ini``)."""
    return Path.home() / ".intacct" / "credentials.ini"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this
    machine's loopback: ``localhost``, ``127.0.0.0/8`` or ``::1``. Other names may resolve
    to any address, so they are not."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def validate_endpoint(url: str, *, what: str = "endpoint_url") -> str:
    """Check that ``url`` is an absolute http(s) URL and return it stripped.

    Any host is accepted (unlike the official SDKs, which insist on ``*.intacct.com``) so that the
    client can talk to the emulator on loopback.

    A URL with user information (``https://user:password@host/...``) is refused: the gateway
    takes its credentials in the request body, and a password in the URL would travel into
    logs, error messages and reports with it.

    Raises:
        ConfigurationError: the URL is empty, relative, not http/https, or holds user
            information (the message never repeats the URL).
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{what} must be an absolute http(s) URL, such as {DEFAULT_ENDPOINT}"
        )
    if "@" in parts.netloc:
        raise ConfigurationError(
            f"{what} must not hold a user name or password ('user:password@' before the "
            "host): credentials go in the sender and user settings"
        )
    return url


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _missing_error(keys: list[str]) -> MissingCredentialsError:
    """One error naming every missing key, with where each can come from."""
    if len(keys) == 1:
        [key] = keys
        return MissingCredentialsError(
            f"missing credential {key!r}: pass {key}=..., set {ENV_VARS[key]}, "
            f"or add '{key} = ...' to the credentials profile",
            tuple(keys),
        )
    names = ", ".join(repr(k) for k in keys)
    variables = ", ".join(ENV_VARS[k] for k in keys)
    return MissingCredentialsError(
        f"missing credentials {names}: pass them as keywords, set {variables},"
        " or add them to the credentials profile",
        tuple(keys),
    )


@attrs.frozen(repr=False)
class Credentials:
    """Who the client is: the Web Services sender, and a user login or an existing session.

    Either ``company_id`` + ``user_id`` + ``user_password`` (the client logs in with
    ``getAPISession`` and manages the session), or ``session_id`` (used as given, never renewed;
    ``endpoint_url`` should then be the endpoint that session belongs to).

    Attributes:
        sender_id: Web Services sender ID.
        sender_password: Web Services sender password.
        company_id: Company ID to log in to.
        user_id: Web Services user ID.
        user_password: That user's password.
        entity_id: Entity (location ID) for an entity-level session in a multi-entity company.
        client_id: Client company for a console login.
        session_id: An existing API session ID to use instead of logging in.
        endpoint_url: The gateway URL (default: Intacct's public gateway).

    Raises:
        ConfigurationError: a required piece is missing (the message names the key), or the
            endpoint is not an http(s) URL.
    """

    sender_id: str = attrs.field(converter=_clean)
    sender_password: str = attrs.field(converter=_clean, repr=False)
    company_id: str | None = attrs.field(default=None, converter=_clean)
    user_id: str | None = attrs.field(default=None, converter=_clean)
    user_password: str | None = attrs.field(default=None, converter=_clean, repr=False)
    entity_id: str | None = attrs.field(default=None, converter=_clean)
    client_id: str | None = attrs.field(default=None, converter=_clean)
    session_id: str | None = attrs.field(default=None, converter=_clean, repr=False)
    endpoint_url: str | None = attrs.field(default=None, converter=_clean)

    def __attrs_post_init__(self) -> None:
        needed = ["sender_id", "sender_password"]
        if self.session_id is None:
            needed += ["company_id", "user_id", "user_password"]
        missing = [key for key in needed if getattr(self, key) is None]
        if missing:  # every one at once: a newcomer fixes them in one go
            raise _missing_error(missing)
        if self.endpoint_url is not None:
            object.__setattr__(self, "endpoint_url", validate_endpoint(self.endpoint_url))

    def __repr__(self) -> str:
        shown = []
        for name in _FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            shown.append(f"{name}='***'" if name in _SECRETS else f"{name}={value!r}")
        return f"Credentials({', '.join(shown)})"

    __str__ = __repr__

    @property
    def endpoint(self) -> str:
        """The URL of the first request: ``endpoint_url`` or Intacct's default gateway."""
        return self.endpoint_url or DEFAULT_ENDPOINT

    @property
    def uses_session(self) -> bool:
        """True when these credentials carry a fixed session id (no login is possible)."""
        return self.session_id is not None and self.user_password is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Build credentials from the ``INTACCT_*`` environment variables only.

        Args:
            environ: The environment to read (default ``os.environ``).
        """
        return cls._build(_from_env(os.environ if environ is None else environ))

    @classmethod
    def from_profile(
        cls, name: str | None = None, path: str | os.PathLike[str] | None = None
    ) -> Credentials:
        """Build credentials from one profile (INI section) of a credentials file.

        Args:
            name: The section; default ``$INTACCT_PROFILE`` or ``default``.
            path: The INI file; default ``~/.intacct/credentials.ini``.

        Raises:
            ConfigurationError: the file or the section does not exist, or a key is missing.
        """
        profile = name or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
        return cls._build(_from_profile(profile, path, required=True))

    @classmethod
    def resolve(
        cls,
        *,
        profile: str | None = None,
        profile_path: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: str | None,
    ) -> Credentials:
        """Merge arguments over environment variables over a profile.

        Each key is taken from the first source that has a non-empty value. The profile is read
        when the file exists (it must exist, and hold the section, when a profile is named by
        ``profile`` or ``INTACCT_PROFILE``).

        Args:
            profile: Profile name; default ``$INTACCT_PROFILE`` or ``default``.
            profile_path: INI file; default ``~/.intacct/credentials.ini``.
            environ: Environment to read (default ``os.environ``).
            **overrides: Credential fields given in code (``None`` means "not given").

        Raises:
            ConfigurationError: an unknown keyword, a missing piece, or a bad endpoint.
        """
        unknown = sorted(set(overrides) - set(_FIELDS))
        if unknown:
            raise ConfigurationError(f"unknown credential field(s): {', '.join(unknown)}")
        env = os.environ if environ is None else environ
        explicit = profile or env.get(PROFILE_ENV)
        from_file = _from_profile(
            explicit or DEFAULT_PROFILE, profile_path, required=explicit is not None
        )
        merged: dict[str, Any] = dict(from_file)
        for source in (_from_env(env), overrides):
            merged.update({k: v for k, v in source.items() if _clean(v) is not None})
        return cls._build(merged)

    @classmethod
    def _build(cls, values: Mapping[str, Any]) -> Credentials:
        return cls(**{key: values.get(key) for key in _FIELDS})


def _from_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        field: value for field, var in ENV_VARS.items() if (value := environ.get(var, "").strip())
    }


def _from_profile(
    name: str, path: str | os.PathLike[str] | None, *, required: bool
) -> dict[str, str]:
    return _profile_keys(name, path, ENV_VARS, required=required)


def format_settings(
    *,
    profile: str | None = None,
    profile_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The API user's ``timezone`` and ``date_format`` from the environment or a profile.

    ``INTACCT_TIMEZONE`` / ``INTACCT_DATE_FORMAT`` win over the profile's ``timezone`` /
    ``date_format`` keys (the same profile as :meth:`Credentials.resolve` reads). Values
    are given as written (``"America/New_York"``, ``"discover"``, ``"/dmY"``): pass them to
    :class:`ClientOptions`, which checks them.

    Raises:
        ConfigurationError: A profile named explicitly is missing, or the file is invalid.
    """
    env = os.environ if environ is None else environ
    explicit = profile or env.get(PROFILE_ENV)
    name = explicit or DEFAULT_PROFILE
    out = _profile_keys(name, profile_path, FORMAT_ENV_VARS, required=explicit is not None)
    out.update(
        {key: value for key, var in FORMAT_ENV_VARS.items() if (value := env.get(var, "").strip())}
    )
    return out


def _profile_keys(
    name: str, path: str | os.PathLike[str] | None, keys: Mapping[str, str], *, required: bool
) -> dict[str, str]:
    file = Path(path) if path is not None else default_profile_path()
    if not file.is_file():
        if required or path is not None:
            raise ConfigurationError(f"credentials file not found: {file}")
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(file, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"credentials file {file} is not a valid INI file ({type(exc).__name__})"
        ) from None
    if not parser.has_section(name):
        if required:
            raise ConfigurationError(f"profile {name!r} not found in {file}")
        return {}
    section = parser[name]
    return {key: value for key in keys if (value := section.get(key, "").strip())}


class RequestOptions(TypedDict, total=False):
    """Per-call overrides of :class:`ClientOptions` (any subset of its fields)."""

    timeout: float
    retry: RetryPolicy
    unique_id: bool
    max_functions_per_request: int
    typed: bool
    strict_types: bool
    timezone: tzinfo | str | None
    date_format: str | None
    session_ttl_margin: timedelta
    max_response_bytes: int
    deadline: float | None


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ConfigurationError(f"{attribute.name} must be positive")


def _slots(instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{attribute.name} must be an int of at least 1, got {value!r}")


def _timezone(value: tzinfo | str | None) -> tzinfo | Literal["discover"] | None:
    """A ``timezone`` option: a tzinfo, an IANA name (made a zone now), or ``"discover"``."""
    if value is None or isinstance(value, tzinfo):
        return value
    if isinstance(value, str):
        name = value.strip()
        if name == DISCOVER:
            return DISCOVER
        if name:
            return zone_of(name)
    raise ConfigurationError(
        f"timezone must be a tzinfo, an IANA zone name or {DISCOVER!r}, got {value!r}"
    )


def _date_format(value: str | None) -> str | None:
    return None if value is None else date_format(value).code


def _optional_positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"{attribute.name} must be a positive number or None")


#: Intacct's gateway hosts, where a login answer may send the session (shared reference §1).
INTACCT_HOSTS = ("*.intacct.com",)
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def _hosts(value: str | Iterable[str]) -> tuple[str, ...]:
    """A ``session_endpoint_hosts`` option: host names, or ``*.`` and a domain, lower-cased."""
    try:
        items = [value] if isinstance(value, str) else list(value)
    except TypeError:
        items = [value]  # type: ignore[list-item]  # refused below, as any other non-host
    out: list[str] = []
    for item in items:
        entry = item.strip().lower() if isinstance(item, str) else ""
        name = entry[2:] if entry.startswith("*.") else entry
        labels = name.split(".")
        if not name or not all(_HOST_LABEL.fullmatch(label) for label in labels):
            raise ConfigurationError(
                "session_endpoint_hosts holds host names (na12.intacct.com) or '*.' and a "
                f"domain (*.intacct.com), got {item!r}"
            )
        out.append(entry)
    return tuple(out)


def _limiter(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, RequestLimiter):
        raise ConfigurationError(
            f"limiter must be an intacct_sdk.RequestLimiter (an object with a slot() method) "
            f"or None, got {type(value).__name__}"
        )


def _type_name(value: object) -> str:
    return "None" if value is None else f"<{type(value).__name__}>"


@attrs.frozen
class ClientOptions:
    """How the client talks to the gateway; frozen, so one value can be shared.

    Per-call options (a :class:`RequestOptions` dict) are merged over the client's defaults with
    :meth:`merge`, in the manner of stripe-python's ``RequestOptions``.

    Attributes:
        timeout: Seconds for each HTTP request (connect, read, write and pool). Always set.
            The default, 90, outlasts the gateway's wait of about 30 seconds for a concurrency
            slot plus a long page: a shorter read timeout turns the gateway's own refusal
            (``GW-0010``, safe to resend) into a lost response.
        max_concurrent: The most HTTP requests this client has in flight at once, logins
            and pages requested ahead included, shared by every thread or task using the
            client (default 2, a company's limit on the XML gateway by the best evidence).
            Per client instance: other clients and processes for the same company count
            apart. It cannot be changed per call.
        retry: The retry policy for transient failures.
        unique_id: Send ``uniqueid=true`` so Intacct refuses to run a function control id twice;
            this is what makes a write safe to resend after a lost response.
        max_functions_per_request: Batch size used by ``execute``.
        typed: Convert values using the schema table (``False`` keeps every value a string).
        strict_types: With ``typed``, a value the schema table types (an integer, decimal,
            date, timestamp or boolean field) that does not parse as that type raises
            :class:`~intacct_sdk.ValueTypeError` naming the object, field, value and record
            position (default). False keeps such a value as the string the gateway sent
            and logs the first one of each object and field at WARNING.
        timezone: The API user's time-zone preference, which the gateway writes and reads
            timestamps in: a ``tzinfo``, an IANA name (``"America/New_York"``), or
            ``"discover"`` to read the user's preferences from Intacct once (two requests of
            one function each, before the client's first call; then cached for the
            client's lifetime). Timestamps become aware ``datetime`` values in that zone,
            and aware datetimes written are converted to it. A discovered zone is the
            user's GMT offset at the time of discovery, a fixed offset with no daylight
            saving rules; name the zone instead where it observes DST. None (the default):
            naive datetimes exactly as the gateway wrote them, wall time in the API
            user's zone with the zone unknown; writing an aware datetime is then refused.
        date_format: The API user's date format (``"/mdY"``, ``"/dmY"``, ``"-Ymd"``,
            ``".dmY"``, ...: a separator and the order of day, month and four-digit year).
            None: ``/mdY``, or the discovered format with ``timezone="discover"`` (a
            format given with ``"discover"`` must match the discovered one).
        session_ttl_margin: Renew a session this long before its projected timeout.
        user_agent: The ``User-Agent`` header.
        max_response_bytes: The largest answer accepted, in bytes: counted as the body
            streams in, both on the wire and inflated (``gzip``/``deflate``), so the cap also
            bounds the memory a hostile answer can take. A larger one raises
            :class:`~intacct_sdk.ResponseTooLargeError` (not retried) with the rest unread.
        deadline: Seconds one HTTP attempt may take from start to its last byte, whatever
            the read timeout: an answer trickled a byte at a time ends at the deadline with
            :class:`~intacct_sdk.DeadlineExceededError` (a lost answer, retried only when
            resending is safe). None (the default): twice ``timeout``.
        session_endpoint_hosts: Where a login answer may send the session (its
            ``<endpoint>``), besides the login endpoint's own origin: host names, or ``*.``
            and a domain for any host under it. Default Intacct's gateway domain,
            ``*.intacct.com``. An endpoint elsewhere, or plain http after an https login, is
            refused with :class:`~intacct_sdk.UntrustedEndpointError` before anything is
            sent to it. A client-wide setting, not a per-call one.
        login_with_first_request: Send the client's first request with the user login in
            its ``<authentication>`` (as the official SDKs do for every request) instead of
            first fetching a session with ``getAPISession`` in a request of its own; the
            next request logs in for a session as usual. A client that sends one request
            (a sync run with nothing to do) then costs one HTTP request, not two. A
            caller that knows more requests follow adds a
            :class:`~intacct_sdk.functions.GetAPISession` to that first request: its
            session then serves them, with no login request of their own. Off by
            default. A client-wide setting, not a per-call one.
        limiter: The company's request slots shared with other clients and processes (a
            :class:`~intacct_sdk.RequestLimiter` such as :class:`~intacct_sdk.LocalLimiter`),
            or None (the default) for none. The client holds one of its slots around every
            HTTP request (logins, pages requested ahead, and each retry attempt on its own),
            after taking one of its own ``max_concurrent``, and none while it sleeps between
            retries. A slot that does not come in time raises
            :class:`~intacct_sdk.SlotWaitTimeoutError`, retried as a request not sent.
            ``AsyncClient`` enters and leaves it in worker threads (``anyio.to_thread``).
            The repr shows its type only. A client-wide setting, not a per-call one.
    """

    timeout: float = attrs.field(default=90.0, validator=_positive)
    max_concurrent: int = attrs.field(default=2, validator=_slots)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    unique_id: bool = False
    max_functions_per_request: int = attrs.field(default=100, validator=_positive)
    typed: bool = True
    strict_types: bool = True
    timezone: tzinfo | Literal["discover"] | None = attrs.field(default=None, converter=_timezone)
    date_format: str | None = attrs.field(default=None, converter=_date_format)
    session_ttl_margin: timedelta = timedelta(minutes=2)
    user_agent: str = f"intacct-timesync/{__version__}"
    max_response_bytes: int = attrs.field(default=64 * 2**20, validator=_positive)
    deadline: float | None = attrs.field(default=None, validator=_optional_positive)
    session_endpoint_hosts: tuple[str, ...] = attrs.field(default=INTACCT_HOSTS, converter=_hosts)
    login_with_first_request: bool = False
    limiter: RequestLimiter | None = attrs.field(default=None, validator=_limiter, repr=_type_name)

    @property
    def request_deadline(self) -> float:
        """The deadline of one attempt in seconds: ``deadline``, or twice ``timeout``."""
        return self.deadline if self.deadline is not None else 2 * self.timeout

    def merge(self, overrides: RequestOptions | None = None) -> ClientOptions:
        """Return these options with ``overrides`` applied (``self`` when there are none).

        Raises:
            ConfigurationError: an override names no option.
        """
        if not overrides:
            return self
        known = {a.name for a in attrs.fields(ClientOptions)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigurationError(f"unknown option(s): {', '.join(unknown)}")
        if "max_concurrent" in overrides:
            raise ConfigurationError(
                "max_concurrent is the client's budget, shared by every call: set it in the "
                "ClientOptions the client is made with"
            )
        if "limiter" in overrides:
            raise ConfigurationError(
                "limiter is shared by every request of the client: set it in the "
                "ClientOptions the client is made with"
            )
        if "session_endpoint_hosts" in overrides:
            raise ConfigurationError(
                "session_endpoint_hosts applies to the client's logins, not to one call: set "
                "it in the ClientOptions the client is made with"
            )
        return attrs.evolve(self, **overrides)
