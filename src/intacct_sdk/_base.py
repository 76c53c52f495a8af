"""The I/O-free half of the clients: request preparation, answer interpretation, paging plans.

``Client`` and ``AsyncClient`` (in :mod:`intacct_sdk._client`) hold an instance of
:class:`BaseClient` and differ only where they send bytes, sleep, or lock. Everything that
decides *what* to send and *what an answer means* lives here, so both shells behave alike.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs
import httpx

from intacct_sdk._body import Deadline
from intacct_sdk._config import ClientOptions, Credentials, RequestOptions
from intacct_sdk._discovery import UserFormats
from intacct_sdk._envelope import Control, LoginAuth, SessionAuth, build_request
from intacct_sdk._errors import (
    ClientClosedError,
    ConfigurationError,
    IntacctError,
    MalformedResponseError,
    PagingError,
    RequestNotSentError,
    ResponseLostError,
    ResultMismatchError,
    TransportError,
)
from intacct_sdk._formats import ValueFormat, writing
from intacct_sdk._log import Redactor, body_text, redact_error
from intacct_sdk._parse import parse_response
from intacct_sdk._results import Page, Response, Result, mismatch
from intacct_sdk._retry import parse_retry_after
from intacct_sdk._session import LOGIN_CONTROL_ID, SessionManager, utc_now
from intacct_sdk._transient import transient_failure
from intacct_sdk.functions import (
    MAX_READ_KEYS,
    Approve,
    Create,
    Decline,
    Delete,
    Function,
    GetAPISession,
    GetDimensions,
    Inspect,
    Lookup,
    Query,
    Raw,
    Read,
    ReadByName,
    ReadByQuery,
    ReadMore,
    Update,
)
from intacct_sdk.query import Filter, OrderBy

__all__ = [
    "MAX_PREFETCH",
    "Answer",
    "BaseClient",
    "ClientStats",
    "PagesAhead",
    "Prepared",
    "check_prefetch",
]

log = logging.getLogger("intacct_sdk.client")
wire_log = logging.getLogger("intacct_sdk.wire")

Record = dict[str, Any]
#: One attempt's answer as it came off the wire: HTTP status, headers, body.
Answer = tuple[int, httpx.Headers, bytes]

_PLAIN: Final = ValueFormat()  # the login request carries no values

# httpx errors raised before any byte of the request can have reached the server.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


@attrs.define
class ClientStats:
    """Counters of one client's traffic (all attempts, retries and logins included).

    Attributes:
        http_requests: HTTP requests sent (each attempt counts).
        functions: Functions sent (counted once per attempt that carried them).
        retries: Attempts that repeated an earlier one after a transient failure.
        logins: ``getAPISession`` logins.
        session_refreshes: Sessions replaced after the gateway rejected them.
    """

    http_requests: int = 0
    functions: int = 0
    retries: int = 0
    logins: int = 0
    session_refreshes: int = 0

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.http_requests = self.functions = self.retries = 0
        self.logins = self.session_refreshes = 0


@attrs.frozen
class Prepared:
    """One request ready to be sent (and resent, byte for byte, on a retry).

    Attributes:
        url: Where to POST it.
        body: The envelope (holds secrets: never logged unredacted, hidden from ``repr``).
        functions: The functions it carries, in order.
        session_id: The session it authenticates with; None for a login request.
        replay_safe: Resending cannot apply a write twice (reads only, or ``uniqueid=true``)
            nor skip a page (a ``readMore`` moves its result set on when the gateway runs it,
            so one whose answer was lost is never resent).
        hazard: What a resend could do wrong, for the error raised when it is not safe.
        retry_reads: Its functions are all reads, outside a transaction, on a session: any
            that fail transiently may be sent again on their own.
    """

    url: str
    body: bytes = attrs.field(repr=False)
    functions: tuple[Function, ...]
    session_id: str | None = attrs.field(repr=False)
    replay_safe: bool
    retry_reads: bool = False
    hazard: str = ""


def _where(url: str) -> str:
    """``host:port`` (or ``host``) of ``url``, for error messages."""
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port is not None else parsed.host


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _keys(values: Sequence[int | str] | int | str) -> list[int | str]:
    if isinstance(values, str | int):
        return [values]
    return list(values)


class BaseClient:
    """State and decisions shared by :class:`Client` and :class:`AsyncClient`."""

    # How the shell is used as a context manager (named when a closed client is called).
    _with_statement = "with"

    def __init__(self, credentials: Credentials, options: ClientOptions | None) -> None:
        if not isinstance(credentials, Credentials):
            raise ConfigurationError("credentials must be an intacct_sdk.Credentials")
        self._credentials = credentials
        self._options = options if options is not None else ClientOptions()
        if not isinstance(self._options, ClientOptions):
            raise ConfigurationError("options must be an intacct_sdk.ClientOptions")
        self._sessions = SessionManager(
            credentials,
            margin=self._options.session_ttl_margin,
            endpoint_hosts=self._options.session_endpoint_hosts,
        )
        self._redact = Redactor(
            [credentials.sender_password, credentials.user_password, credentials.session_id]
        )
        self._stats = ClientStats()
        self._stats_lock = threading.Lock()  # attempts are counted from several threads
        self._closed = False  # set by close()/aclose(); checked before every attempt
        self._formats = UserFormats(credentials)  # the API user's zone and date format

    # ------------------------------------------------------------------ public state

    @property
    def credentials(self) -> Credentials:
        """The credentials this client signs in with."""
        return self._credentials

    @property
    def options(self) -> ClientOptions:
        """The client's default options (per-call options merge over them)."""
        return self._options

    @property
    def stats(self) -> ClientStats:
        """Counters of HTTP requests, functions, retries and logins so far."""
        return self._stats

    @property
    def session_endpoint(self) -> str | None:
        """The endpoint of the current session (None before the first login)."""
        session = self._sessions.session
        return session.endpoint if session is not None else None

    # ------------------------------------------------------------------ preparation

    def _merge(self, options: RequestOptions | None) -> ClientOptions:
        return self._options.merge(options)

    def _format(self, opts: ClientOptions) -> ValueFormat:
        """The API user's format for a call with ``opts`` (discovered ones once read)."""
        return self._formats.resolve(opts)

    def _http_headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/xml; charset=utf-8",
            "Accept": "application/xml, text/xml",
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": self._options.user_agent,
        }

    def _control(self, unique_id: bool) -> Control:
        c = self._credentials
        return Control(
            sender_id=c.sender_id,
            sender_password=c.sender_password,
            control_id=uuid.uuid4().hex,
            unique_id=unique_id,
        )

    def _prepare_login(self) -> Prepared:
        url, auth, fn = self._sessions.login_request()
        return self._prepare(url, auth, (fn,), unique_id=False, transaction=False)

    def _first_call(
        self, functions: Sequence[Function], opts: ClientOptions, transaction: bool
    ) -> Prepared | None:
        """The client's first request sent with the user login instead of a session, when
        ``login_with_first_request`` is on and no session was fetched yet; else None."""
        if not self._options.login_with_first_request:
            return None
        with self._sessions.lock:
            first = self._sessions.first_request_login()
        if first is None:
            return None
        return self._prepare_call(functions, opts, transaction, first)

    def _fold_session(self, prepared: Prepared, response: Response) -> None:
        """Keep the session a ``getAPISession`` among the first request's functions returned.

        Only for the request that went with the user login (``login_with_first_request``):
        a caller that knows more requests follow adds ``GetAPISession()`` to it, and they then
        go with that session instead of a login request of their own.
        """
        if prepared.session_id is not None:
            return
        for fn in prepared.functions:
            if isinstance(fn, GetAPISession) and fn.control_id != LOGIN_CONTROL_ID:
                with self._sessions.lock:
                    session = self._sessions.accept_folded(response, fn.control_id, prepared.url)
                if session is not None:
                    with self._stats_lock:
                        self._stats.logins += 1
                    self._redact.add(session.session_id)
                return

    def _prepare_call(
        self,
        functions: Sequence[Function],
        opts: ClientOptions,
        transaction: bool,
        login: tuple[str, LoginAuth] | None = None,
    ) -> Prepared:
        url, auth = login or self._sessions.auth()
        writes = any(fn.is_write for fn in functions)
        return self._prepare(
            url,
            auth,
            tuple(functions),
            unique_id=writes and opts.unique_id,
            transaction=transaction,
            value_format=self._format(opts),
        )

    def _prepare(
        self,
        url: str,
        auth: LoginAuth | SessionAuth,
        functions: tuple[Function, ...],
        *,
        unique_id: bool,
        transaction: bool,
        value_format: ValueFormat = _PLAIN,
    ) -> Prepared:
        with writing(value_format):
            body = build_request(self._control(unique_id), auth, functions, transaction=transaction)
        session_id = auth.session_id if isinstance(auth, SessionAuth) else None
        self._redact.add(session_id)
        writes = any(fn.is_write for fn in functions)
        cursor = any(fn.name == "readMore" for fn in functions)
        if cursor:
            hazard = (
                "it holds a readMore, which the gateway may have run, moving its result set "
                "on: a resend could skip a page; read again from the readByQuery"
            )
        else:
            hazard = "the writes may have been applied: check, or resend with unique_id=True"
        return Prepared(
            url=url,
            body=body,
            functions=functions,
            session_id=session_id,
            replay_safe=(unique_id or not writes) and not cursor,
            retry_reads=session_id is not None and not writes and not transaction,
            hazard=hazard,
        )

    def _reads_to_retry(
        self, prepared: Prepared, response: Response, opts: ClientOptions
    ) -> Prepared | None:
        """The request that sends again the reads of ``prepared`` that failed transiently.

        Only for a request of reads alone (no write, no transaction): its failed reads are
        independent of everything else in it, and sending a read again changes nothing.
        ``readMore`` is left out: the gateway may have moved its result set on before it
        failed, and a second one could skip a page. A request that holds a write reports its
        reads' failures as they are.

        Returns:
            A request of the failed functions (same control ids), or None when none is worth
            sending again.
        """
        if not prepared.retry_reads:
            return None
        results = self._route(prepared.functions, response)
        again = tuple(
            fn
            for fn, result in zip(prepared.functions, results, strict=True)
            if result.status == "failure"
            and fn.name != "readMore"
            and transient_failure(result.errors)
        )
        if not again:
            return None
        return self._prepare_call(again, opts, False)

    def _merge_retried(
        self, prepared: Prepared, response: Response, retry: Prepared, answer: Response
    ) -> Response:
        """``response`` with the results of ``retry`` (its failed reads, sent again) in place."""
        redone = dict(
            zip(map(id, retry.functions), self._route(retry.functions, answer), strict=True)
        )
        results = self._route(prepared.functions, response)
        merged = tuple(
            redone.get(id(fn), result)
            for fn, result in zip(prepared.functions, results, strict=True)
        )
        return attrs.evolve(answer, results=merged)

    def _log_function_retry(self, retry: Prepared, delay: float, attempt: int) -> None:
        log.warning(
            "%d read function(s) failed transiently (%s); sending them again in %.2fs (attempt %d)",
            len(retry.functions),
            ", ".join(fn.name for fn in retry.functions),
            delay,
            attempt,
        )

    # ------------------------------------------------------------------ exchange

    def _check_open(self) -> None:
        """Raise :class:`ClientClosedError` when the client was closed."""
        if self._closed:
            name = type(self).__name__
            raise ClientClosedError(
                f"this {name} is closed; create a new {name}, or make the calls inside its "
                f"'{self._with_statement}' block"
            )

    def _start_attempt(self, prepared: Prepared, attempt: int) -> None:
        """Refuse a closed client, then count and log one attempt (first, retry or login).

        Raises:
            ClientClosedError: the client was closed; nothing is sent.
        """
        self._check_open()
        with self._stats_lock:
            self._stats.http_requests += 1
            self._stats.functions += len(prepared.functions)
            if attempt > 1:
                self._stats.retries += 1
        if wire_log.isEnabledFor(logging.DEBUG):
            wire_log.debug(
                "request %s (attempt %d, %s):\n%s",
                self._redact(prepared.url),
                attempt,
                ", ".join(fn.name for fn in prepared.functions),
                self._redact(body_text(prepared.body)),
            )

    @staticmethod
    def _limits(prepared: Prepared, opts: ClientOptions) -> tuple[httpx.Timeout, Deadline]:
        """The timeout and the deadline of one attempt, the deadline starting now.

        No single wait may outlast the deadline, so the timeout is the shorter of the two.
        """
        deadline = Deadline(opts.request_deadline, _where(prepared.url))
        return httpx.Timeout(min(opts.timeout, deadline.seconds)), deadline

    def _transport_error(
        self, exc: httpx.HTTPError, prepared: Prepared, deadline: Deadline | None = None
    ) -> TransportError:
        where = _where(prepared.url)
        detail = self._redact(str(exc)) or type(exc).__name__
        if isinstance(exc, _NOT_SENT):
            return RequestNotSentError(f"request to {where} not sent: {detail}")
        if deadline is not None and not deadline.remaining():
            return deadline.error()  # the wait cut short was the deadline's
        if isinstance(exc, httpx.TimeoutException):
            return ResponseLostError(f"no answer from {where} in time ({type(exc).__name__})")
        return ResponseLostError(f"connection to {where} failed after sending: {detail}")

    def _interpret(
        self,
        prepared: Prepared,
        opts: ClientOptions,
        status_code: int,
        headers: httpx.Headers,
        body: bytes,
    ) -> Response:
        """Turn one HTTP answer into a :class:`Response`, or raise its typed error."""
        received = utc_now()  # the session's lifetime counts from here, on our clock
        if wire_log.isEnabledFor(logging.DEBUG):
            wire_log.debug(
                "response HTTP %d from %s:\n%s",
                status_code,
                self._redact(prepared.url),
                self._redact(body_text(body)),
            )
        if status_code == 524:
            raise ResponseLostError(
                "HTTP 524: the gateway's CDN gave up waiting while Intacct may still be "
                "processing the request",
                status_code=524,
            )
        try:
            response = parse_response(
                body,
                status_code=status_code,
                content_type=headers.get("content-type"),
                typing=self._formats.typing(opts),
                max_bytes=opts.max_response_bytes,
                retry_after=self._retry_after(headers),
                redact=self._redact,
            )
        except IntacctError as exc:
            # The gateway's text may quote a secret (a password it refused, say): the
            # message and every text attribute are redacted before the error leaves.
            redact_error(exc, self._redact)
            raise
        if prepared.session_id is not None:
            self._sessions.observe(response, prepared.session_id, now=received)
        return response

    @staticmethod
    def _retry_after(headers: httpx.Headers) -> float | None:
        return parse_retry_after(headers.get("retry-after"))

    def _log_retry(self, error: IntacctError, delay: float, attempt: int) -> None:
        # a retry is the client doing its job: INFO; the error that ends the retries is raised
        log.info(
            "%s: %s; retrying in %.2fs (attempt %d)",
            type(error).__name__,
            self._redact(str(error)),
            delay,
            attempt + 1,
        )

    # ------------------------------------------------------------------ results

    def _check_batch(self, functions: Sequence[Function], transaction: bool, size: int) -> None:
        if transaction and len(functions) > size:
            raise ConfigurationError(
                f"a transaction of {len(functions)} functions cannot be split; "
                f"raise max_functions_per_request (now {size}) or send fewer functions"
            )
        for fn in functions:
            if not isinstance(fn, Function):
                raise ConfigurationError(f"{fn!r} is not a gateway function")

    @staticmethod
    def _route(functions: Sequence[Function], response: Response) -> list[Result]:
        """Pair each function with its result, by control id.

        The gateway answers one result per function, in request order, each echoing its
        function's control id (the batch and transaction answers of shared reference §3
        and §3.5): the answer must agree on both. One
        that does not (a control id missing, repeated, unknown or out of place) is refused,
        never paired by position.

        Raises:
            MalformedResponseError: An offline acknowledgement holds no results.
            ResultMismatchError: The results do not pair with the functions.
        """
        results = response.results
        if response.acknowledged:
            raise MalformedResponseError(
                "the gateway only acknowledged the request (offline processing); "
                "online clients need the results"
            )
        expected = [fn.control_id for fn in functions]
        received = [r.control_id.strip() for r in results]
        if received != expected:
            raise ResultMismatchError(
                f"the gateway's results do not pair with the request's functions by control "
                f"id: {mismatch(expected, received)}; the functions may have run",
                expected=expected,
                received=received,
            )
        return list(results)

    @staticmethod
    def _first_error(results: Sequence[Result]) -> None:
        """Raise the error of the first failed function (a failure before an abort)."""
        failed = [r for r in results if r.status == "failure"] or [r for r in results if not r.ok]
        if failed:
            failed[0].raise_for_error()

    @staticmethod
    def _records(results: Sequence[Result]) -> list[Record]:
        out: list[Record] = []
        for r in results:
            if r.page is not None:
                out.extend(r.page.records)
        return out

    # ------------------------------------------------------------------ function plans

    @staticmethod
    def _plan_read(
        object: str, keys: Sequence[int | str] | int | str, fields: Sequence[str] | None
    ) -> list[Function]:
        return [Read(object, chunk, fields) for chunk in _chunks(_keys(keys), MAX_READ_KEYS)]

    @staticmethod
    def _plan_read_by_name(
        object: str, names: Sequence[str] | str, fields: Sequence[str] | None
    ) -> list[Function]:
        return [ReadByName(object, chunk, fields) for chunk in _chunks(_keys(names), MAX_READ_KEYS)]

    @staticmethod
    def _plan_delete(
        object: str, keys: Sequence[int | str] | int | str, control_id: str | None
    ) -> list[Function]:
        chunks = list(_chunks(_keys(keys), MAX_READ_KEYS)) or [[]]  # [] -> Delete refuses it
        if control_id is None:
            return [Delete(object, c) for c in chunks]
        if len(chunks) == 1:
            return [Delete(object, chunks[0], control_id=control_id)]
        return [Delete(object, c, control_id=f"{control_id}-{i}") for i, c in enumerate(chunks)]

    @staticmethod
    def _plan_write(
        kind: type[Create] | type[Update],
        object: str,
        records: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        control_id: str | None,
    ) -> Function:
        if isinstance(records, Mapping):
            records = [records]
        if control_id is None:
            return kind(object, records)
        return kind(object, records, control_id=control_id)

    @staticmethod
    def _plan_approval(
        kind: type[Approve] | type[Decline],
        object: str,
        record_no: int | str,
        entry_keys: Sequence[int | str] | None,
        by: str | None,
        comment: str | None,
        control_id: str | None,
    ) -> Function:
        extra: dict[str, Any] = {} if control_id is None else {"control_id": control_id}
        return kind(object, record_no, entry_keys, by, comment, **extra)

    @staticmethod
    def _plan_lookup(object: str) -> Function:
        return Lookup(object)

    @staticmethod
    def _plan_inspect(object: str, detail: bool) -> Function:
        return Inspect(object, detail)

    @staticmethod
    def _plan_dimensions() -> Function:
        return GetDimensions()

    @staticmethod
    def _plan_raw(xml: str, is_write: bool, control_id: str | None) -> Function:
        if control_id is None:
            return Raw(xml, is_write=is_write)
        return Raw(xml, is_write=is_write, control_id=control_id)

    @staticmethod
    def _plan_query(
        object: str,
        fields: Sequence[str],
        where: Filter | None,
        order_by: Sequence[OrderBy],
        page_size: int,
        case_insensitive: bool,
    ) -> Query:
        return Query(
            object,
            fields,
            where=where,
            order_by=order_by,
            page_size=page_size,
            case_insensitive=case_insensitive,
        )

    @staticmethod
    def _next_query(fn: Query, page: Page, before: int | None = None) -> Query | None:
        """The query for the page after ``page``, or None when ``page`` was the last.

        Args:
            fn: The query ``page`` answers.
            page: The page just read.
            before: The ``numremaining`` of the page before it (None for the first page):
                a page that reports no offset must leave fewer records than that, since
                nothing else shows that the gateway moved on.

        Raises:
            PagingError: The page announced more records but held none, or the next offset
                does not move past this page's: the walk would repeat pages forever.
        """
        if not page.num_remaining:
            return None
        if page.count <= 0 or not page.records:
            raise PagingError(
                f"query page reported {page.num_remaining} more records but held none",
                function="query",
                num_remaining=page.num_remaining,
            )
        if page.offset is None and before is not None and page.num_remaining >= before:
            raise PagingError(
                f"query paging made no progress: a page of {page.count} records with no "
                f"offset left {page.num_remaining} to read, where the page before left "
                f"{before}",
                function="query",
                num_remaining=page.num_remaining,
            )
        start = page.offset if page.offset is not None else fn.offset
        if start + page.count <= fn.offset:
            raise PagingError(
                f"query paging made no progress: the page asked at offset {fn.offset} came "
                f"back at offset {start} with {page.count} records and "
                f"{page.num_remaining} more, so the next page would start no further on",
                function="query",
                num_remaining=page.num_remaining,
            )
        return attrs.evolve(fn, offset=start + page.count, control_id=uuid.uuid4().hex)

    @staticmethod
    def _next_read_more(page: Page, before: int | None = None) -> ReadMore | None:
        """The readMore after a readByQuery/readMore ``page``, or None at the end.

        Args:
            page: The page just read.
            before: The ``numremaining`` of the page before it (None for the first page).
                A result set is fixed when the readByQuery runs, so each page must leave
                fewer records to read than the one before.

        Raises:
            MalformedResponseError: More records announced but no resultId.
            PagingError: More records announced but none held, or ``numremaining`` did not
                fall: the walk would read pages forever.
        """
        if not page.num_remaining:
            return None
        if not page.result_id:
            raise MalformedResponseError(
                f"readByQuery page reported {page.num_remaining} more records but no resultId"
            )
        if page.count <= 0 or not page.records:
            raise PagingError(
                f"readByQuery page reported {page.num_remaining} more records but held none",
                function="readByQuery" if before is None else "readMore",
                num_remaining=page.num_remaining,
            )
        if before is not None and page.num_remaining >= before:
            raise PagingError(
                f"readByQuery paging made no progress: a readMore page of {page.count} "
                f"records left {page.num_remaining} to read, where the page before left "
                f"{before}",
                function="readMore",
                num_remaining=page.num_remaining,
            )
        return ReadMore(page.result_id)

    @staticmethod
    def _page_of(result: Result) -> Page:
        result.raise_for_error()
        if result.page is None:
            raise MalformedResponseError(f"{result.function} answer holds no <data> list")
        return result.page

    @staticmethod
    def _plan_read_by_query(
        object: str, query: str, fields: Sequence[str] | None, page_size: int
    ) -> ReadByQuery:
        return ReadByQuery(object, query, fields, page_size)


#: The most query pages a client requests ahead of the one being read (see ``prefetch``).
MAX_PREFETCH: Final = 8


def check_prefetch(prefetch: int) -> None:
    """Refuse a ``prefetch`` that is not an int from 0 to :data:`MAX_PREFETCH`.

    Raises:
        ConfigurationError: Out of range or not an int; nothing is sent.
    """
    if isinstance(prefetch, bool) or not isinstance(prefetch, int):
        raise ConfigurationError(f"prefetch must be an int, got {type(prefetch).__name__}")
    if not 0 <= prefetch <= MAX_PREFETCH:
        raise ConfigurationError(
            f"prefetch must be from 0 to {MAX_PREFETCH} (each page requested ahead holds one "
            f"of the company's concurrent API slots), got {prefetch}"
        )


@attrs.define(slots=True)
class PagesAhead:
    """Which ``query`` pages to request while an earlier one is being read.

    Every page reports how many records follow it (``numremaining``), so after the first
    page the offsets of all the others are known and several can be in flight at once. The
    shells request pages from :meth:`take` and hand each answer, in offset order, to
    :meth:`follow`. A walk to the end sends exactly the requests a one-page-at-a-time walk
    sends; only a caller that stops early can have pages requested (and billed) that it
    never reads.

    Attributes:
        template: The query of the next page to request (its offset is replaced).
        next_offset: The offset of the next page :meth:`take` plans.
        end: The offset after the last record the latest page announced.
        before: The ``numremaining`` of the latest page followed.
    """

    template: Query
    next_offset: int
    end: int
    before: int | None = None

    @classmethod
    def after(cls, fn: Query, page: Page) -> PagesAhead | None:
        """The plan after the first page ``page`` (answer to ``fn``); None when it was the last.

        Raises:
            MalformedResponseError: The page announced more records but held none.
        """
        nxt = BaseClient._next_query(fn, page)
        if nxt is None:
            return None
        end = nxt.offset + (page.num_remaining or 0)
        return cls(nxt, nxt.offset, end, page.num_remaining)

    def take(self) -> Query | None:
        """The query of the next page to request, or None when every known page is planned."""
        if self.next_offset >= self.end:
            return None
        fn = attrs.evolve(self.template, offset=self.next_offset, control_id=uuid.uuid4().hex)
        self.next_offset += fn.page_size
        return fn

    def follow(self, fn: Query, page: Page) -> Literal["more", "replan", "end"]:
        """Take in the answer ``page`` to ``fn``, the earliest page not read yet.

        Returns:
            ``"end"``: no record follows ``page``; pages still in flight are not needed.
            ``"replan"``: the next records do not start where the pages in flight do (a
            short page, or the gateway moved the offset); drop them and plan again.
            ``"more"``: the pages in flight are the right ones.

        Raises:
            MalformedResponseError: The page announced more records but held none.
        """
        nxt = BaseClient._next_query(fn, page, self.before)
        self.before = page.num_remaining
        if nxt is None:
            return "end"
        self.end = nxt.offset + (page.num_remaining or 0)
        if nxt.offset != fn.offset + fn.page_size:
            self.next_offset = nxt.offset
            return "replan"
        return "more"


def single(results: list[Result]) -> Result:
    """The only result of a one-function request, raising its error when it failed."""
    result = results[0]
    result.raise_for_error()
    return result
