"""What :class:`RestClient` and :class:`AsyncRestClient` share: options, stats, results, the
requests each operation sends and how each answer is read.

Operations are written once, as generators that yield a :class:`Call` and receive its
successful :class:`Answer` (the clients drive them: the sync one over ``httpx.Client``, the
async one over ``httpx.AsyncClient``), so retry, token renewal and error reading stay in one
place and cannot drift apart between the two clients.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from intacct_sdk._errors import ConfigurationError, IntacctError, MalformedResponseError
from intacct_sdk._limiter import RequestLimiter
from intacct_sdk._log import REDACTED, Redactor, body_text, redact_error
from intacct_sdk._retry import RetryPolicy
from intacct_sdk._version import __version__
from intacct_sdk.query import F, Filter, and_, or_
from intacct_sdk.rest._errors import (
    OAuthError,
    RecordError,
    TokenRejectedError,
    error_entries,
    error_of,
)
from intacct_sdk.rest._filters import render_filter
from intacct_sdk.rest._oauth import (
    DEFAULT_BASE_URL,
    RestCredentials,
    TokenSet,
    TokenStore,
    credentials_body,
    refresh_body,
)

if TYPE_CHECKING:
    from intacct_sdk._config import Credentials

__all__ = [
    "MAX_BATCH",
    "MAX_PAGE_SIZE",
    "Answer",
    "Call",
    "QueryPage",
    "RecordResult",
    "RestOptions",
    "RestStats",
    "WriteResult",
    "XmlSession",
    "delete_line",
    "get_path",
]

logger = logging.getLogger("intacct_sdk.rest")

MAX_PAGE_SIZE: Final = 4000
"""The query service's largest page."""
MAX_BATCH: Final = 500
"""The most records one batch write carries; larger inputs are split."""
MODIFIED: Final = "audit.modifiedDateTime"
KEY: Final = "key"
XML_GATEWAY_PATH: Final = "/ia/xml/xmlgw.phtml"


def _page_size(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"{attribute.name} must be between 1 and {MAX_PAGE_SIZE}")


@attrs.frozen
class RestOptions:
    """How a REST client talks to the API; an immutable value.

    Attributes:
        base_url: The API base, ``https://api.intacct.com/ia/api/v1`` by default.
        timeout: Seconds for each HTTP request (connect, read, write and pool).
        retry: The retry policy, the XML client's (429/503 wait as long as
            ``X-IA-Throttle-RetryAfter`` or ``Retry-After`` asks).
        limiter: The company's request slots shared with other clients and processes (the
            XML client's ``ClientOptions.limiter``: one limit per company across both APIs).
        entity_id: Sent as ``X-IA-API-Param-Entity`` on every API call.
        page_size: Records per query page (1 to 4,000).
        prefetch: Query pages requested ahead while the caller reads the current one (0 or 1:
            a keyset page's filter needs the last record of the page before).
        token_margin: Renew an access token this long before it expires.
        user_agent: The ``User-Agent`` header.
    """

    base_url: str = DEFAULT_BASE_URL
    timeout: float = 90.0
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    limiter: RequestLimiter | None = attrs.field(default=None, repr=False)
    entity_id: str | None = None
    page_size: int = attrs.field(default=1000, validator=_page_size)
    prefetch: int = attrs.field(default=1, validator=attrs.validators.in_((0, 1)))
    token_margin: timedelta = timedelta(seconds=60)
    user_agent: str = f"intacct-timesync/{__version__}"


@attrs.define
class RestStats:
    """Counters of one REST client's traffic (every attempt counts).

    Attributes:
        requests: HTTP requests sent, token requests included.
        retries: Attempts that repeated an earlier one.
        token_requests: Requests to the token endpoint.
        token_refreshes: Access tokens replaced after expiry or a 401.
        records_read: Records returned by queries and reads.
        records_written: Records created, updated or deleted (per-item failures excluded).
    """

    requests: int = 0
    retries: int = 0
    token_requests: int = 0
    token_refreshes: int = 0
    records_read: int = 0
    records_written: int = 0

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.requests = self.retries = self.token_requests = self.token_refreshes = 0
        self.records_read = self.records_written = 0


@attrs.frozen
class Call:
    """One logical HTTP request (resent unchanged on its retries).

    Attributes:
        method: ``GET``, ``POST``, ``PATCH`` or ``DELETE``.
        path: The path under the base URL (``/objects/time/timesheet``).
        body: The body bytes (JSON, or the form of a token request: hidden from repr).
        headers: Extra headers (Idempotency-Key, transaction).
        function: What the call does, for messages (``POST objects/time/timesheet``).
        token: A token-endpoint call (no bearer token; a 401 is the grant's refusal).
        replay_safe: Resending cannot apply anything twice.
        hazard: What a resend could do wrong when it is not safe (for the error).
    """

    method: str
    path: str
    body: bytes | None = attrs.field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    function: str = ""
    token: bool = False
    replay_safe: bool = True
    hazard: str = ""


@attrs.frozen
class Answer:
    """A successful answer: status, headers (lower-cased names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes = attrs.field(repr=False)

    def json(self) -> Any:
        """The body as JSON (None when empty).

        Raises:
            MalformedResponseError: The body is not JSON.
        """
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise MalformedResponseError(
                f"HTTP {self.status} answer is not JSON", status_code=self.status
            ) from exc


@attrs.frozen
class WriteResult:
    """What a write of one record answered.

    Attributes:
        key: The record's system key.
        id: The record's id, when it has one.
        href: The record's URL path.
        replayed: The API replayed a cached answer for this Idempotency-Key (the write ran
            earlier; nothing was written again).
    """

    key: str | None
    id: str | None = None
    href: str | None = None
    replayed: bool = False


@attrs.frozen
class RecordResult:
    """One record's outcome in a batch write.

    Attributes:
        index: The record's position in the caller's input, from 0.
        key: The key written (None when it failed).
        id: The id written, when the object has one.
        href: The record's URL path.
        error: Why it failed, else None.
    """

    index: int
    key: str | None = None
    id: str | None = None
    href: str | None = None
    error: RecordError | None = None

    @property
    def ok(self) -> bool:
        """Whether the record was written."""
        return self.error is None


@attrs.frozen
class QueryPage:
    """One page of a query.

    Attributes:
        records: The records, as the API nests them.
        total_count: ``ia::meta.totalCount`` (the matches of this page's query).
        next_start: ``ia::meta.next``: where the next offset page starts, None at the end.
    """

    records: tuple[dict[str, Any], ...]
    total_count: int | None
    next_start: int | None


@attrs.frozen
class XmlSession:
    """An XML gateway session for the REST connection's user, company and entity.

    Attributes:
        session_id: The session id (a secret: hidden from repr).
        endpoint_url: The XML gateway URL the session belongs to.
        expires_in: Seconds the session lives, when the answer said.
    """

    session_id: str = attrs.field(repr=False)
    endpoint_url: str
    expires_in: int | None = None

    def credentials(self, sender_id: str, sender_password: str) -> Credentials:
        """XML client credentials on this session (XML requests also carry the sender)."""
        from intacct_sdk._config import Credentials

        return Credentials(
            sender_id=sender_id,
            sender_password=sender_password,
            session_id=self.session_id,
            endpoint_url=self.endpoint_url,
        )


_SECRET_KEYS_RE = re.compile(
    r'"(?P<key>access_token|refresh_token|id_token|client_secret|code_verifier|sessionId|'
    r'session_id|password)"\s*:\s*"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)


def redact_json(text: str) -> str:
    """``text`` with the values of JSON keys that hold secrets replaced by ``REDACTED``
    (works on truncated text too)."""
    return _SECRET_KEYS_RE.sub(lambda m: f'"{m["key"]}":"{REDACTED}"', text)


def get_path(record: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at a dotted ``path`` of a nested record (``get_path(r, "employee.id")``).

    A list on the way is indexed by a number part (``lines.0.key``); a missing part gives
    ``default``.
    """
    value: Any = record
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return default
    return value


def delete_line(key: str) -> dict[str, str]:
    """An owned line to remove in a PATCH of its owner.

    ``{"key": key, "ia::operation": "delete"}``, put in the owner's line list.
    """
    return {"key": str(key), "ia::operation": "delete"}


def rest_path(name: str) -> str:
    """An object's ``application/object`` name (checked): ``time/timesheet`` as given, an
    XML object name (``TIMESHEET``) looked up in :mod:`intacct_sdk.rest.names`."""
    clean = name.strip("/")
    if "/" not in clean and clean.isupper():
        from intacct_sdk.rest.names import rest_object

        clean = rest_object(clean).path
    if clean.startswith("objects/"):
        clean = clean[len("objects/") :]
    if clean.count("/") != 1 or not all(clean.split("/")):
        raise ConfigurationError(f"a REST object is 'application/object', got {name!r}")
    return clean


def object_path(name: str) -> str:
    """``time/timesheet`` (or ``TIMESHEET``) -> ``/objects/time/timesheet``."""
    return f"/objects/{rest_path(name)}"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def _meta(data: Any) -> Mapping[str, Any]:
    meta = data.get("ia::meta") if isinstance(data, Mapping) else None
    return meta if isinstance(meta, Mapping) else {}


def _result(data: Any, status: int) -> Any:
    if not isinstance(data, Mapping) or "ia::result" not in data:
        raise MalformedResponseError(f"HTTP {status} answer has no ia::result", status_code=status)
    return data["ia::result"]


def _ref(item: Any, replayed: bool = False) -> WriteResult:
    if not isinstance(item, Mapping):
        return WriteResult(None, replayed=replayed)
    key, ident, href = item.get("key"), item.get("id"), item.get("href")
    return WriteResult(
        None if key is None else str(key),
        None if ident is None else str(ident),
        None if href is None else str(href),
        replayed,
    )


def _is_uuid_key(key: str | None) -> str:
    if key is None:
        return str(uuid.uuid4())
    if not key or len(key) > 256:
        raise ConfigurationError("an Idempotency-Key has 1 to 256 characters")
    return key


Op = Generator[Call, Answer, Any]


class TokenOps:
    """Token endpoint operations, shared by both clients (mixed into :class:`RestCore`)."""

    _creds: RestCredentials
    _store: TokenStore
    _redact: Redactor
    _stats: RestStats

    def _op_token(self, body: bytes, *, refreshing: bool, safe: bool) -> Op:
        from intacct_sdk.rest._oauth import TOKEN_PATH, token_answer

        hazard = (
            "a refresh token or code is spent once: load the store (another process may hold "
            "newer tokens) or authorize the connection again"
        )
        call = Call(
            "POST",
            TOKEN_PATH,
            body,
            function="oauth2/token",
            token=True,
            replay_safe=safe,
            hazard="" if safe else hazard,
        )
        answer = yield call
        try:
            data = json.loads(answer.body) if answer.body else None
        except ValueError:
            data = None
        tokens = token_answer(answer.status, data, refreshing=refreshing)
        self._redact.add(tokens.access_token)
        self._redact.add(tokens.refresh_token)
        return tokens


class RestCore(TokenOps):
    """The state and the operations both REST clients share (not public)."""

    def __init__(
        self,
        credentials: RestCredentials,
        store: TokenStore | None,
        options: RestOptions | None,
    ) -> None:
        from intacct_sdk.rest._oauth import MemoryTokenStore

        self._creds = credentials
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        self._options = options or RestOptions()
        self._redact = Redactor([credentials.client_secret])
        self._stats = RestStats()
        self._stats_lock = threading.Lock()  # pages ahead and threads count at once
        self._closed = False
        base = self._options.base_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigurationError("base_url must be an http(s) URL")
        self._base = base

    @property
    def stats(self) -> RestStats:
        """This client's traffic counters."""
        return self._stats

    def _count(self, **deltas: int) -> None:
        with self._stats_lock:
            for name, delta in deltas.items():
                setattr(self._stats, name, getattr(self._stats, name) + delta)

    @contextlib.contextmanager
    def counting(self) -> Iterator[RestStats]:
        """Count the traffic of a block: the yielded stats hold the difference when it ends.

        ::

            with rest.counting() as count:
                rest.create_many("time/timesheet", sheets)
            assert count.requests == 2
        """
        before = attrs.evolve(self._stats)
        count = RestStats()
        try:
            yield count
        finally:
            for field in attrs.fields(RestStats):
                now = getattr(self._stats, field.name) - getattr(before, field.name)
                setattr(count, field.name, now)

    @property
    def options(self) -> RestOptions:
        """The client's options."""
        return self._options

    @property
    def credentials(self) -> RestCredentials:
        """The client's OAuth credentials."""
        return self._creds

    def _entity(self) -> str | None:
        return self._options.entity_id

    def _headers(self, call: Call, access_token: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self._options.user_agent}
        if call.token:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            if access_token is not None:
                headers["Authorization"] = f"Bearer {access_token}"
            if call.body is not None:
                headers["Content-Type"] = "application/json"
            entity = self._entity()
            if entity:
                headers["X-IA-API-Param-Entity"] = entity
        headers.update(dict(call.headers))
        return headers

    def _renewal(self, saved: TokenSet | None, stale: str | None) -> str | Op:
        """What renewing needs (called under the connection's lock, with the stored tokens):
        the stored access token when it is valid and newer than ``stale`` (another thread or
        process renewed it), else the token request to send."""
        if saved is not None:
            self._redact.add(saved.access_token)
            self._redact.add(saved.refresh_token)
            fresh = not saved.expired(margin=self._options.token_margin)
            if fresh and saved.access_token != stale:
                return saved.access_token
        if self._creds.username is not None:
            return self._op_token(credentials_body(self._creds), refreshing=False, safe=True)
        if saved is not None and saved.refresh_token:
            body = refresh_body(self._creds, saved.refresh_token)
            return self._op_token(body, refreshing=True, safe=False)
        raise OAuthError(
            "no tokens for this connection: authorize it and call exchange_code() first"
        )

    def _renewed(self, saved: TokenSet | None, tokens: TokenSet) -> TokenSet:
        """Keep the new tokens: saved in the store before anything uses them."""
        tokens = kept_tokens(saved, tokens, self._creds)
        self._store.save(self._creds.key, tokens)
        if saved is not None:
            self._count(token_refreshes=1)
        return tokens

    def _outcome(
        self, call: Call, answer: Answer, attempt: int, renewed: bool
    ) -> Answer | IntacctError | None:
        """How one answer ends its attempt: the answer to hand the operation, the error to
        retry (or raise), or None to renew the token and send again.

        Raises:
            TokenRejectedError: A 401 after the token was already renewed once.
        """
        self._log_answer(call, answer.status, answer.body, attempt)
        status = answer.status
        if status < 300 or (call.token and status in (400, 401)):
            return answer  # a token refusal is read by the token operation
        if call.method == "DELETE" and status == 404 and attempt > 1:
            return answer  # a retried delete whose first attempt ran
        if status == 401 and not call.token:
            if renewed:
                raise TokenRejectedError(
                    f"{call.function}: the API refused the access token (HTTP 401) "
                    "after it was renewed",
                    status_code=401,
                )
            return None
        found = error_of(status, answer.body, answer.headers, function=call.function)
        if not isinstance(found, IntacctError):  # pragma: no cover - error_of's own types
            raise found
        return found

    def _fail(self, error: BaseException) -> BaseException:
        """``error`` with every known secret removed (message, args, attributes, chain)."""
        return redact_error(error, self._redact)

    def _log_answer(self, call: Call, status: int, body: bytes, attempt: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            # A token answer is logged by size only: its tokens are not known yet.
            text = f"[{len(body)} bytes]" if call.token else redact_json(body_text(body, 4000))
            logger.debug(
                "%s %s (attempt %d) -> HTTP %d %s",
                call.method,
                call.path,
                attempt,
                status,
                self._redact(text),
            )

    def _log_retry(self, call: Call, error: IntacctError, delay: float) -> None:
        logger.warning(
            "%s %s failed (%s); retrying in %.2fs",
            call.method,
            call.path,
            self._redact(str(error)),
            delay,
        )

    # --- operations (driven by the clients) ---------------------------------------------

    def _write_headers(
        self, key: str | None, *, transaction: bool = False
    ) -> tuple[tuple[str, str], ...]:
        headers = [("Idempotency-Key", _is_uuid_key(key))]
        if transaction:
            headers.append(("X-IA-API-Param-Transaction", "true"))
        return tuple(headers)

    def _op_get(self, obj: str, key: str, fields: Sequence[str] | None) -> Op:
        path = f"{object_path(obj)}/{key}"
        if fields:
            path += "?fields=" + ",".join(fields)
        answer = yield Call("GET", path, function=f"GET {obj}")
        record = _result(answer.json(), answer.status)
        if isinstance(record, list):
            record = record[0] if record else {}
        self._count(records_read=1)
        return record

    def _op_create(self, obj: str, record: Mapping[str, Any], key: str | None) -> Op:
        call = Call(
            "POST", object_path(obj), _dumps(record), self._write_headers(key), f"POST {obj}"
        )
        answer = yield call
        self._count(records_written=1)
        return _ref(_result(answer.json(), answer.status), _replayed(answer))

    def _op_update(self, obj: str, key: str, changes: Mapping[str, Any], idem: str | None) -> Op:
        call = Call(
            "PATCH",
            f"{object_path(obj)}/{key}",
            _dumps(changes),
            self._write_headers(idem),
            f"PATCH {obj}",
        )
        answer = yield call
        self._count(records_written=1)
        data = answer.json()
        return _ref(_result(data, answer.status) if data else {"key": key}, _replayed(answer))

    def _op_delete(self, obj: str, key: str) -> Op:
        yield Call("DELETE", f"{object_path(obj)}/{key}", function=f"DELETE {obj}")
        self._count(records_written=1)

    def _op_batch(
        self,
        method: Literal["POST", "PATCH"],
        obj: str,
        records: Sequence[Mapping[str, Any]],
        offset: int,
        key: str,
        transaction: bool,
    ) -> Op:
        call = Call(
            method,
            object_path(obj),
            _dumps(list(records)),
            self._write_headers(key, transaction=transaction),
            f"{method} {obj} (batch)",
        )
        answer = yield call
        data = answer.json()
        items = _result(data, answer.status)
        if not isinstance(items, list) or len(items) != len(records):
            raise MalformedResponseError(
                f"{call.function}: {len(records)} records sent, the answer does not list "
                "one result per record",
                status_code=answer.status,
            )
        results = [_item(call.function, offset + n, item) for n, item in enumerate(items)]
        if transaction and any(not r.ok for r in results):
            results = [r if not r.ok else _rolled_back(call.function, r.index) for r in results]
        self._count(records_written=sum(r.ok for r in results))
        return results

    def _op_query(
        self,
        obj: str,
        fields: Sequence[str],
        where: Filter | None,
        order_by: Sequence[tuple[str, str]],
        start: int,
        size: int,
    ) -> Op:
        if not fields:
            raise ConfigurationError("a REST query needs its fields (there is no '*')")
        body: dict[str, Any] = {"object": rest_path(obj), "fields": list(fields)}
        if where is not None:
            filters, expression = render_filter(where)
            body["filters"] = filters
            if expression is not None:
                body["filterExpression"] = expression
        if order_by:
            body["orderBy"] = [{field: direction} for field, direction in order_by]
        body["start"] = start
        body["size"] = size
        answer = yield Call("POST", "/services/core/query", _dumps(body), function=f"query {obj}")
        data = answer.json()
        records = _result(data, answer.status)
        if not isinstance(records, list):
            raise MalformedResponseError("query answer's ia::result is not a list")
        meta = _meta(data)
        self._count(records_read=len(records))
        total, nxt = meta.get("totalCount"), meta.get("next")
        return QueryPage(
            tuple(r for r in records if isinstance(r, dict)),
            int(total) if isinstance(total, int | str) and str(total).isdigit() else None,
            int(nxt) if isinstance(nxt, int | str) and str(nxt).isdigit() else None,
        )

    def _op_session(self) -> Op:
        from intacct_sdk._session import trusted_endpoint

        answer = yield Call("GET", "/services/core/session/id", function="session/id")
        result = _result(answer.json(), answer.status)
        session = result.get("sessionId") if isinstance(result, Mapping) else None
        if not isinstance(session, str) or not session:
            raise MalformedResponseError("session/id answer has no sessionId")
        self._redact.add(session)
        origin = self._base.split("/ia/api/", 1)[0]
        default = origin + XML_GATEWAY_PATH
        endpoint = result.get("endpoint") or result.get("endpointUrl") or default
        endpoint = trusted_endpoint(str(endpoint), default, ())
        expires = result.get("expiresIn")
        return XmlSession(session, endpoint, int(expires) if isinstance(expires, int) else None)


def kept_tokens(saved: TokenSet | None, new: TokenSet, creds: RestCredentials) -> TokenSet:
    """``new``, keeping the saved refresh token when a refresh answered none (a server that
    does not rotate)."""
    if saved is None or new.refresh_token is not None or creds.username is not None:
        return new
    return attrs.evolve(new, refresh_token=saved.refresh_token)


KEYSET: Final = (MODIFIED, KEY)
"""The default keyset of a query walk: ``audit.modifiedDateTime``, then ``key``."""


def keyset_filter(
    where: Filter | None, keyset: Sequence[str], cursor: tuple[str, ...] | None
) -> Filter | None:
    """``where`` narrowed to the records after ``cursor`` (the keyset values of the last
    record read) in keyset order: ``k1 > v1 or (k1 = v1 and k2 > v2) or ...``."""
    if cursor is None:
        return where
    terms = [
        and_(*(F(keyset[j]) == cursor[j] for j in range(n)), F(field) > cursor[n])
        for n, field in enumerate(keyset)
    ]
    after = or_(*terms)
    return after if where is None else where & after


def keyset_fields(fields: Sequence[str], keyset: Sequence[str]) -> list[str]:
    """``fields`` with the keyset's fields added when missing."""
    return [*fields, *(k for k in keyset if k not in fields)]


def keyset_order(keyset: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The ``orderBy`` of a keyset walk (every keyset field ascending)."""
    if not keyset:
        raise ConfigurationError("a keyset needs at least one field (the last one unique)")
    return tuple((field, "asc") for field in keyset)


def cursor_of(record: Mapping[str, Any], keyset: Sequence[str]) -> tuple[str, ...]:
    """The keyset position of a record."""
    values = [get_path(record, field) for field in keyset]
    if any(v is None for v in values):
        raise MalformedResponseError(
            f"a query record lacks one of {', '.join(keyset)}, needed to page by keyset "
            "(an object without them takes keyset=('key',))"
        )
    return tuple(str(v) for v in values)


def split(
    records: Sequence[Mapping[str, Any]], size: int = MAX_BATCH
) -> Iterable[tuple[int, Sequence[Mapping[str, Any]]]]:
    """Batches of at most ``size`` records, each with the offset of its first record."""
    for start in range(0, len(records), size):
        yield start, records[start : start + size]


def batch_key(key: str | None, offset: int, count: int) -> str:
    """The Idempotency-Key of one batch: the caller's key (suffixed per batch when the input
    needs several), or a random one."""
    if key is None:
        return str(uuid.uuid4())
    return key if offset == 0 and count == 1 else f"{key}-{offset}"


def _replayed(answer: Answer) -> bool:
    return answer.headers.get("idempotency-replayed", "").lower() == "true"


def _item(function: str, index: int, item: Any) -> RecordResult:
    if isinstance(item, Mapping) and isinstance(item.get("ia::error"), Mapping):
        entries, support = error_entries(item["ia::error"])
        error = RecordError(
            index=index, function=function, errors=entries, status_code=207, support_id=support
        )
        return RecordResult(index, error=error)
    ref = _ref(item)
    return RecordResult(index, ref.key, ref.id, ref.href)


def _rolled_back(function: str, index: int) -> RecordResult:
    error = RecordError(
        index=index,
        function=function,
        status_code=207,
        message=f"{function}: record {index} not written: another record of the transaction failed",
    )
    return RecordResult(index, error=error)
