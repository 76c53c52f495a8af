""":class:`RestClient`: the synchronous client of Intacct's REST API."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from intacct_sdk._errors import (
    ClientClosedError,
    IntacctError,
    PagingError,
    RequestNotSentError,
    ResponseLostError,
)
from intacct_sdk._limiter import slot_of
from intacct_sdk.query import Filter
from intacct_sdk.rest._core import (
    KEYSET,
    Answer,
    Call,
    Op,
    QueryPage,
    RecordResult,
    RestCore,
    RestOptions,
    WriteResult,
    XmlSession,
    batch_key,
    cursor_of,
    keyset_fields,
    keyset_filter,
    keyset_order,
    split,
)
from intacct_sdk.rest._errors import retry_after_of
from intacct_sdk.rest._oauth import (
    RestCredentials,
    TokenSet,
    TokenStore,
    code_body,
)

if TYPE_CHECKING:
    from intacct_sdk._client import Client
    from intacct_sdk._config import ClientOptions

__all__ = ["RestClient"]

# One lock per (store, connection) in this process: concurrent refreshes refresh once.
_LOCKS: dict[tuple[int, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _connection_lock(store: TokenStore, key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((id(store), key), threading.Lock())


def lost_or_unsent(exc: httpx.HTTPError, call: Call) -> IntacctError:
    """An httpx failure as the error tree says: not sent (connect, pool) or lost."""
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return RequestNotSentError(f"{call.function}: could not send the request ({name})")
    return ResponseLostError(f"{call.function}: the answer was lost ({name})")


class RestClient(RestCore):
    """A client of Intacct's REST API (``/ia/api/v1``), over ``httpx``.

    Args:
        credentials: The OAuth client, and the user for the client-credentials grant.
        store: Where the connection's tokens are kept (default: a :class:`MemoryTokenStore`).
        options: How to talk to the API.
        transport: An httpx transport (the emulator's in-process one in tests).

    Use it as a context manager, or call :meth:`close`. Thread-safe.
    """

    def __init__(
        self,
        credentials: RestCredentials,
        *,
        store: TokenStore | None = None,
        options: RestOptions | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(credentials, store, options)
        self._http = httpx.Client(
            transport=transport, timeout=self._options.timeout, follow_redirects=False
        )
        self._lock = _connection_lock(self._store, credentials.key)
        self._tokens: TokenSet | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections; later calls raise :class:`ClientClosedError`."""
        self._closed = True
        self._http.close()

    def __repr__(self) -> str:
        return f"RestClient({self._base!r}, connection={self._creds.key!r})"

    # --- tokens -----------------------------------------------------------------------------

    def exchange_code(self, code: str, code_verifier: str | None = None) -> TokenSet:
        """Turn an authorization code into tokens and save them in the store.

        Args:
            code: The ``code`` of the redirect.
            code_verifier: The :class:`AuthorizationRequest`'s verifier (PKCE).
        """
        self._redact.add(code)
        self._redact.add(code_verifier)
        with self._lock:
            tokens: TokenSet = self._run(
                self._op_token(
                    code_body(self._creds, code, code_verifier), refreshing=False, safe=False
                )
            )
            self._store.save(self._creds.key, tokens)
            self._tokens = tokens
        return tokens

    def _access_token(self) -> str:
        tokens = self._tokens
        if tokens is not None and not tokens.expired(margin=self._options.token_margin):
            return tokens.access_token
        return self._renew(None)

    def _renew(self, stale: str | None) -> str:
        """A valid access token, asking the token endpoint only when the store has none newer
        than ``stale`` (so the callers that met the same 401 renew once)."""
        with self._lock:
            saved = self._store.load(self._creds.key)
            plan = self._renewal(saved, stale)
            if isinstance(plan, str):
                self._tokens = saved
                return plan
            self._tokens = self._renewed(saved, self._run(plan))
            return self._tokens.access_token

    # --- the driver -------------------------------------------------------------------------

    def _run(self, op: Op) -> Any:
        """Drive an operation: send each call it yields, give it the answer, return its value."""
        try:
            call = next(op)
            while True:
                answer = self._send(call)
                call = op.send(answer)
        except StopIteration as stop:
            return stop.value
        except IntacctError as exc:
            self._fail(exc)
            raise

    def _attempt(self, call: Call, token: str | None) -> Answer:
        if self._closed:
            raise ClientClosedError("the REST client is closed")
        self._count(requests=1)
        if call.token:
            self._count(token_requests=1)
        try:
            with slot_of(self._options.limiter):
                response = self._http.request(
                    call.method,
                    self._base + call.path,
                    content=call.body,
                    headers=self._headers(call, token),
                )
        except httpx.HTTPError as exc:
            raise lost_or_unsent(exc, call) from None
        return Answer(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content,
        )

    def _send(self, call: Call) -> Answer:
        state = self._options.retry.start(replay_safe=call.replay_safe, hazard=call.hazard)
        renewed = False
        while True:
            token = None if call.token else self._access_token()
            error: IntacctError
            retry_after = None
            try:
                answer = self._attempt(call, token)
            except (RequestNotSentError, ResponseLostError) as exc:
                error = exc
            else:
                outcome = self._outcome(call, answer, state.attempt, renewed)
                if isinstance(outcome, Answer):
                    return outcome
                if outcome is None:
                    renewed = True
                    self._renew(token)
                    continue
                error = outcome
                retry_after = retry_after_of(answer.headers)
            delay = state.next_delay(error, retry_after=retry_after)
            self._count(retries=1)
            self._log_retry(call, error, delay)
            self._options.retry.sleep(delay)

    # --- API --------------------------------------------------------------------------------

    def get(self, obj: str, key: str, *, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """Read one record (``GET /objects/{app}/{object}/{key}``).

        Raises:
            NotFoundError: No such record.
        """
        result: dict[str, Any] = self._run(self._op_get(obj, key, fields))
        return result

    def create(
        self, obj: str, record: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> WriteResult:
        """Create one record; sent with ``idempotency_key`` (or a random one) on every attempt."""
        result: WriteResult = self._run(self._op_create(obj, record, idempotency_key))
        return result

    def update(
        self,
        obj: str,
        key: str,
        changes: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> WriteResult:
        """PATCH one record. Owned lines with a ``key`` are updated, lines without one added,
        lines from :func:`delete_line` removed, atomically with the owner."""
        result: WriteResult = self._run(self._op_update(obj, key, changes, idempotency_key))
        return result

    def delete(self, obj: str, key: str) -> None:
        """Delete one record (a retried delete whose first attempt ran counts as done)."""
        self._run(self._op_delete(obj, key))

    def create_many(
        self,
        obj: str,
        records: Sequence[Mapping[str, Any]],
        *,
        transaction: bool = False,
        idempotency_key: str | None = None,
    ) -> list[RecordResult]:
        """Create records in batches of up to 500, one :class:`RecordResult` per record in order.

        Args:
            obj: The object (``time/timesheet``).
            records: The records.
            transaction: Each batch all-or-nothing (``X-IA-API-Param-Transaction``).
            idempotency_key: The key of the write (suffixed ``-{offset}`` per batch when the
                input needs several); default a random key per batch.
        """
        return self._batches("POST", obj, records, transaction, idempotency_key)

    def update_many(
        self,
        obj: str,
        records: Sequence[Mapping[str, Any]],
        *,
        transaction: bool = False,
        idempotency_key: str | None = None,
    ) -> list[RecordResult]:
        """PATCH records (each with its ``key``) in batches of up to 500; as :meth:`create_many`."""
        return self._batches("PATCH", obj, records, transaction, idempotency_key)

    def _batches(
        self,
        method: Any,
        obj: str,
        records: Sequence[Mapping[str, Any]],
        transaction: bool,
        key: str | None,
    ) -> list[RecordResult]:
        out: list[RecordResult] = []
        chunks = list(split(records))
        for offset, chunk in chunks:
            op = self._op_batch(
                method, obj, chunk, offset, batch_key(key, offset, len(chunks)), transaction
            )
            out.extend(self._run(op))
        return out

    def query_page(
        self,
        obj: str,
        fields: Sequence[str],
        *,
        where: Filter | None = None,
        order_by: Sequence[tuple[str, str]] = (),
        start: int = 1,
        size: int | None = None,
    ) -> QueryPage:
        """One page of the query service (``start`` 1-based, ``size`` up to 4,000)."""
        page: QueryPage = self._run(
            self._op_query(obj, fields, where, order_by, start, size or self._options.page_size)
        )
        return page

    def query(
        self,
        obj: str,
        fields: Sequence[str],
        *,
        where: Filter | None = None,
        page_size: int | None = None,
        prefetch: int | None = None,
        keyset: Sequence[str] = KEYSET,
    ) -> Iterator[dict[str, Any]]:
        """Every matching record, lazily, in keyset order (``audit.modifiedDateTime``, ``key``).

        Each page asks for the records after the last one of the page before, so records
        modified during the walk are neither skipped nor read twice in one walk (a changed
        record moves to the end and is read there). ``audit.modifiedDateTime`` and ``key``
        are added to ``fields`` when missing. With ``prefetch=1`` (the default) the next
        page is on the wire while the caller reads the current one.

        Args:
            obj: The object (``company-config/employee``, or an XML name).
            fields: The fields to read (REST paths).
            where: A filter built with :class:`~intacct_sdk.F` on REST paths.
            page_size: Records per page (default ``RestOptions.page_size``, up to 4,000).
            prefetch: Pages ahead, 0 or 1 (default ``RestOptions.prefetch``).
            keyset: The fields that order the walk, the last one unique (``("key",)`` for
                an object without an audit block).
        """
        size = page_size or self._options.page_size
        ahead = self._options.prefetch if prefetch is None else prefetch
        wanted = keyset_fields(fields, keyset)
        order = keyset_order(keyset)

        def fetch(cursor: tuple[str, ...] | None) -> QueryPage:
            return self.query_page(
                obj, wanted, where=keyset_filter(where, keyset, cursor), order_by=order, size=size
            )

        page = fetch(None)
        pending: Future[QueryPage] | None = None
        try:
            while True:
                cursor = cursor_of(page.records[-1], keyset) if page.records else None
                last = len(page.records) < size or cursor is None
                if not last and ahead:
                    pending = Future()
                    threading.Thread(
                        target=_fill, args=(pending, fetch, cursor), daemon=True
                    ).start()
                yield from page.records
                if last:
                    return
                page = pending.result() if pending is not None else fetch(cursor)
                pending = None
                if page.records and cursor_of(page.records[-1], keyset) == cursor:
                    raise PagingError(
                        f"query {obj}: a keyset page did not move past the last one",
                        function="query",
                        num_remaining=None,
                    )
        finally:
            if pending is not None:
                pending.cancel()
                # Wait for its thread (no request outlives the walk); nobody reads its outcome.
                with contextlib.suppress(BaseException):
                    pending.exception()

    def xml_session(self) -> XmlSession:
        """An XML gateway session id for this connection's user, company and entity
        (``GET /services/core/session/id``): the path for what REST lacks (timesheet
        approvals). See :meth:`xml_client`."""
        session: XmlSession = self._run(self._op_session())
        return session

    def xml_client(
        self,
        sender_id: str,
        sender_password: str,
        *,
        options: ClientOptions | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> Client:
        """An XML :class:`intacct_sdk.Client` on a session from :meth:`xml_session`.

        XML requests also carry the Web Services sender, so its id and password are needed.
        The session is not renewed by that client: ask for a new one when it expires.
        """
        from intacct_sdk import Client

        session = self.xml_session()
        return Client(
            session.credentials(sender_id, sender_password), options=options, transport=transport
        )


def _fill(future: Future[QueryPage], fetch: Any, cursor: tuple[str, ...] | None) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(fetch(cursor))
    except BaseException as exc:
        future.set_exception(exc)
