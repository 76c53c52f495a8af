""":class:`AsyncRestClient`: the REST client for ``async`` code, the same surface as
:class:`~intacct_sdk.rest.RestClient` over ``httpx.AsyncClient``.

Both drive the same operations (:mod:`intacct_sdk.rest._core`); only the sending differs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import anyio
import httpx

from intacct_sdk._errors import (
    ClientClosedError,
    IntacctError,
    PagingError,
    RequestNotSentError,
    ResponseLostError,
)
from intacct_sdk._limiter import Entering
from intacct_sdk.query import Filter
from intacct_sdk.rest._client import lost_or_unsent
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
    from intacct_sdk._async_client import AsyncClient
    from intacct_sdk._config import ClientOptions

__all__ = ["AsyncRestClient"]


class AsyncRestClient(RestCore):
    """The async REST client; see :class:`~intacct_sdk.rest.RestClient` for each method.

    Concurrent tasks of one client that meet an expired token refresh it once. The token
    store's methods are called directly (keep them quick, or hand them to a thread inside).

    Args:
        credentials: The OAuth client, and the user for the client-credentials grant.
        store: Where the connection's tokens are kept (default: in memory).
        options: How to talk to the API.
        transport: An httpx async transport (the emulator's in-process one in tests).
    """

    def __init__(
        self,
        credentials: RestCredentials,
        *,
        store: TokenStore | None = None,
        options: RestOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(credentials, store, options)
        self._http = httpx.AsyncClient(
            transport=transport, timeout=self._options.timeout, follow_redirects=False
        )
        self._lock = anyio.Lock()
        self._tokens: TokenSet | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections; later calls raise :class:`ClientClosedError`."""
        self._closed = True
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"AsyncRestClient({self._base!r}, connection={self._creds.key!r})"

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> TokenSet:
        """Turn an authorization code into tokens and save them in the store."""
        self._redact.add(code)
        self._redact.add(code_verifier)
        async with self._lock:
            tokens: TokenSet = await self._run(
                self._op_token(
                    code_body(self._creds, code, code_verifier), refreshing=False, safe=False
                )
            )
            self._store.save(self._creds.key, tokens)
            self._tokens = tokens
        return tokens

    async def _access_token(self) -> str:
        tokens = self._tokens
        if tokens is not None and not tokens.expired(margin=self._options.token_margin):
            return tokens.access_token
        return await self._renew(None)

    async def _renew(self, stale: str | None) -> str:
        """A valid access token, asking the token endpoint only when the store has none newer
        than ``stale`` (so the callers that met the same 401 renew once)."""
        async with self._lock:
            saved = self._store.load(self._creds.key)
            plan = self._renewal(saved, stale)
            if isinstance(plan, str):
                self._tokens = saved
                return plan
            self._tokens = self._renewed(saved, await self._run(plan))
            return self._tokens.access_token

    async def _run(self, op: Op) -> Any:
        try:
            call = next(op)
            while True:
                answer = await self._send(call)
                call = op.send(answer)
        except StopIteration as stop:
            return stop.value
        except IntacctError as exc:
            self._fail(exc)
            raise

    async def _attempt(self, call: Call, token: str | None) -> Answer:
        if self._closed:
            raise ClientClosedError("the REST client is closed")
        self._count(requests=1)
        if call.token:
            self._count(token_requests=1)
        limiter = self._options.limiter
        if limiter is None:
            response = await self._request(call, token)
        else:
            # The limiter is synchronous: entered and left in worker threads, so a wait for a
            # slot never blocks the event loop; a cancelled wait gives its slot straight back.
            slot = Entering(limiter.slot())
            try:
                await anyio.to_thread.run_sync(slot.enter, abandon_on_cancel=True)
            except BaseException:
                if slot.abandon():
                    with anyio.CancelScope(shield=True):
                        await anyio.to_thread.run_sync(slot.exit)
                raise
            try:
                response = await self._request(call, token)
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(slot.exit)
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, headers, response.content)

    async def _request(self, call: Call, token: str | None) -> httpx.Response:
        try:
            return await self._http.request(
                call.method,
                self._base + call.path,
                content=call.body,
                headers=self._headers(call, token),
            )
        except httpx.HTTPError as exc:
            raise lost_or_unsent(exc, call) from None

    async def _send(self, call: Call) -> Answer:
        state = self._options.retry.start(replay_safe=call.replay_safe, hazard=call.hazard)
        renewed = False
        sleep = self._options.retry.async_sleep or anyio.sleep
        while True:
            token = None if call.token else await self._access_token()
            error: IntacctError
            retry_after = None
            try:
                answer = await self._attempt(call, token)
            except (RequestNotSentError, ResponseLostError) as exc:
                error = exc
            else:
                outcome = self._outcome(call, answer, state.attempt, renewed)
                if isinstance(outcome, Answer):
                    return outcome
                if outcome is None:
                    renewed = True
                    await self._renew(token)
                    continue
                error = outcome
                retry_after = retry_after_of(answer.headers)
            delay = state.next_delay(error, retry_after=retry_after)
            self._count(retries=1)
            self._log_retry(call, error, delay)
            await sleep(delay)

    async def get(
        self, obj: str, key: str, *, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Read one record."""
        result: dict[str, Any] = await self._run(self._op_get(obj, key, fields))
        return result

    async def create(
        self, obj: str, record: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> WriteResult:
        """Create one record (with an Idempotency-Key on every attempt)."""
        result: WriteResult = await self._run(self._op_create(obj, record, idempotency_key))
        return result

    async def update(
        self,
        obj: str,
        key: str,
        changes: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> WriteResult:
        """PATCH one record (owned lines as :meth:`RestClient.update`)."""
        result: WriteResult = await self._run(self._op_update(obj, key, changes, idempotency_key))
        return result

    async def delete(self, obj: str, key: str) -> None:
        """Delete one record."""
        await self._run(self._op_delete(obj, key))

    async def create_many(
        self,
        obj: str,
        records: Sequence[Mapping[str, Any]],
        *,
        transaction: bool = False,
        idempotency_key: str | None = None,
    ) -> list[RecordResult]:
        """Create records in batches of up to 500 (as :meth:`RestClient.create_many`)."""
        return await self._batches("POST", obj, records, transaction, idempotency_key)

    async def update_many(
        self,
        obj: str,
        records: Sequence[Mapping[str, Any]],
        *,
        transaction: bool = False,
        idempotency_key: str | None = None,
    ) -> list[RecordResult]:
        """PATCH records in batches of up to 500 (as :meth:`RestClient.update_many`)."""
        return await self._batches("PATCH", obj, records, transaction, idempotency_key)

    async def _batches(
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
            out.extend(await self._run(op))
        return out

    async def query_page(
        self,
        obj: str,
        fields: Sequence[str],
        *,
        where: Filter | None = None,
        order_by: Sequence[tuple[str, str]] = (),
        start: int = 1,
        size: int | None = None,
    ) -> QueryPage:
        """One page of the query service."""
        page: QueryPage = await self._run(
            self._op_query(obj, fields, where, order_by, start, size or self._options.page_size)
        )
        return page

    async def query(
        self,
        obj: str,
        fields: Sequence[str],
        *,
        where: Filter | None = None,
        page_size: int | None = None,
        keyset: Sequence[str] = KEYSET,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching record, lazily, in keyset order (as :meth:`RestClient.query`; pages
        are fetched one after the other)."""
        size = page_size or self._options.page_size
        wanted = keyset_fields(fields, keyset)
        order = keyset_order(keyset)
        cursor: tuple[str, ...] | None = None
        while True:
            page = await self.query_page(
                obj, wanted, where=keyset_filter(where, keyset, cursor), order_by=order, size=size
            )
            if (
                page.records
                and cursor is not None
                and cursor_of(page.records[-1], keyset) == cursor
            ):
                raise PagingError(
                    f"query {obj}: a keyset page did not move past the last one",
                    function="query",
                    num_remaining=None,
                )
            for record in page.records:
                yield record
            if len(page.records) < size:
                return
            cursor = cursor_of(page.records[-1], keyset)

    async def xml_session(self) -> XmlSession:
        """An XML gateway session for this connection (as :meth:`RestClient.xml_session`)."""
        session: XmlSession = await self._run(self._op_session())
        return session

    async def xml_client(
        self,
        sender_id: str,
        sender_password: str,
        *,
        options: ClientOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncClient:
        """An XML :class:`intacct_sdk.AsyncClient` on a session from :meth:`xml_session`
        (as :meth:`RestClient.xml_client`)."""
        from intacct_sdk import AsyncClient

        session = await self.xml_session()
        creds = session.credentials(sender_id, sender_password)
        return AsyncClient(creds, options=options, transport=transport)
