"""The asynchronous client: :class:`AsyncClient`, the ``await`` twin of :class:`Client`.

It shares every decision with :class:`~intacct_sdk._client.Client` through the I/O-free
:class:`~intacct_sdk._base.BaseClient`; only the sending and the sleeping differ.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import tzinfo
from types import TracebackType
from typing import Any, Self

import anyio
import anyio.to_thread
import httpx

from intacct_sdk._base import (
    Answer,
    BaseClient,
    PagesAhead,
    Prepared,
    Record,
    check_prefetch,
    single,
)
from intacct_sdk._body import aread_body
from intacct_sdk._client import _timeout
from intacct_sdk._config import ClientOptions, Credentials, RequestOptions
from intacct_sdk._errors import (
    AuthenticationError,
    ConfigurationError,
    GatewayError,
    TransportError,
)
from intacct_sdk._formats import ValueFormat
from intacct_sdk._limiter import Entering
from intacct_sdk._results import Page, Response, Result
from intacct_sdk._retry import RetryState
from intacct_sdk._tls import AsyncLazyTransport, env_proxies, shared_ssl_context
from intacct_sdk.functions import Approve, Create, Decline, Function, Query, Update
from intacct_sdk.query import Filter, OrderBy

__all__ = ["AsyncClient"]


class AsyncClient(BaseClient):
    """The asynchronous twin of :class:`Client`, over one ``httpx.AsyncClient``.

    Same methods, awaited; :meth:`query`, :meth:`query_pages`, :meth:`read_by_query` and
    :meth:`read_by_query_pages` return async iterators. Use ``async with``.

    Args:
        credentials: Who to sign in as.
        options: Defaults for every call; a call's ``options`` dict merges over them.
        transport: An ``httpx`` async transport to send through instead of the network.
    """

    _with_statement = "async with"

    def __init__(
        self,
        credentials: Credentials,
        *,
        options: ClientOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(credentials, options)
        proxied = transport is None and env_proxies()
        self._http = httpx.AsyncClient(
            transport=AsyncLazyTransport() if transport is None else transport,
            # Only proxy transports from the environment would build a context of their own.
            verify=shared_ssl_context() if proxied else True,
            timeout=_timeout(self._options),
            headers=self._http_headers(),
            follow_redirects=False,
        )
        self._login_lock = anyio.Lock()
        # First come, first served, as the sync client's RequestBudget.
        self._budget = anyio.Semaphore(self._options.max_concurrent)
        # Threads of its own for entering and leaving the limiter's slots (at most one of
        # each per request in the budget), so waits for a slot never take anyio's shared
        # worker threads, which a slot's holder may need to give it back.
        self._slot_threads = anyio.CapacityLimiter(2 * self._options.max_concurrent)
        self._formats_lock = anyio.Lock()  # discovery runs once, whichever task asks

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
        """Close the HTTP connections; later calls raise :class:`ClientClosedError`.

        Closing again does nothing. A paging iterator still running raises at its next page.
        """
        self._closed = True
        await self._http.aclose()

    # ------------------------------------------------------------------ sending

    async def _send(self, prepared: Prepared, opts: ClientOptions) -> Answer:
        """One attempt on the wire; see :meth:`Client._send`."""
        async with self._budget:  # the client's concurrency budget, shared by its tasks
            limiter = self._options.limiter
            if limiter is None:
                return await self._send_now(prepared, opts)
            # The company's limiter is synchronous: it is entered and left in worker threads,
            # so a wait for a slot never blocks the event loop.
            slot = Entering(limiter.slot())
            threads = self._slot_threads
            try:
                await anyio.to_thread.run_sync(slot.enter, abandon_on_cancel=True, limiter=threads)
            except BaseException:
                # Cancelled while it waited: the slot, when it comes, is given straight back.
                if slot.abandon():
                    with anyio.CancelScope(shield=True):
                        await anyio.to_thread.run_sync(slot.exit, limiter=threads)
                raise
            try:
                return await self._send_now(prepared, opts)
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(slot.exit, limiter=threads)

    async def _send_now(self, prepared: Prepared, opts: ClientOptions) -> Answer:
        """The attempt itself, once the client holds its slots."""
        self._check_open()
        timeout, deadline = self._limits(prepared, opts)
        try:
            # Streamed: see Client._send. The deadline also cancels a wait in progress.
            with anyio.fail_after(deadline.remaining()):
                async with self._http.stream(
                    "POST", prepared.url, content=prepared.body, timeout=timeout
                ) as answer:
                    body = await aread_body(answer, opts.max_response_bytes, deadline)
        except TimeoutError:
            raise deadline.error() from None
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, prepared, deadline) from None
        return answer.status_code, answer.headers, body

    async def _send_ahead(
        self, prepared: Prepared, opts: ClientOptions, started: asyncio.Event
    ) -> Answer:
        """The first attempt of a page requested ahead (run as a task)."""
        try:
            self._start_attempt(prepared, 1)
        finally:
            started.set()
        return await self._send(prepared, opts)

    async def _exchange(
        self,
        prepared: Prepared,
        opts: ClientOptions,
        sent: asyncio.Task[Answer] | None = None,
    ) -> Response:
        """Send until an answer is worth returning; see :meth:`Client._exchange`."""
        state = opts.retry.start(replay_safe=prepared.replay_safe, hazard=prepared.hazard)
        sleep: Callable[[float], Awaitable[None]] = opts.retry.async_sleep or anyio.sleep
        response = await self._attempts(prepared, opts, state, sleep, sent)
        while (retry := self._reads_to_retry(prepared, response, opts)) is not None:
            delay = state.next_function_retry()
            if delay is None:
                return response  # the budget is spent: the failures stand
            self._log_function_retry(retry, delay, state.attempt)
            await sleep(delay)
            answer = await self._attempts(retry, opts, state, sleep)
            response = self._merge_retried(prepared, response, retry, answer)
        return response

    async def _attempts(
        self,
        prepared: Prepared,
        opts: ClientOptions,
        state: RetryState,
        sleep: Callable[[float], Awaitable[None]],
        sent: asyncio.Task[Answer] | None = None,
    ) -> Response:
        """Attempts at ``prepared`` until one gets a usable answer; see ``Client._attempts``."""
        while True:
            retry_after: float | None = None
            try:
                if sent is not None:
                    first, sent = sent, None
                    status, headers, body = await first
                else:
                    self._start_attempt(prepared, state.attempt)
                    status, headers, body = await self._send(prepared, opts)
                retry_after = self._retry_after(headers)
                return self._interpret(prepared, opts, status, headers, body)
            except (TransportError, GatewayError) as exc:
                delay = state.next_delay(exc, retry_after=retry_after)
                self._log_retry(exc, delay, state.attempt - 1)
                await sleep(delay)

    async def _login(self, opts: ClientOptions) -> None:
        async with self._login_lock:
            if not self._sessions.needs_login():
                return
            prepared = self._prepare_login()
            response = await self._exchange(prepared, opts)
            session = self._sessions.accept_login(response, prepared.url)
            self._stats.logins += 1
            self._redact.add(session.session_id)

    async def _discover(self, opts: ClientOptions) -> None:
        """Read the API user's preferences once (two requests; see ``timezone``)."""
        async with self._formats_lock:
            if not self._formats.needs_discovery(opts):
                return
            plain = self._formats.plain(opts)
            user = self._formats.user_function()
            found = single(self._route([user], await self._request([user], plain, False)))
            fmt = self._formats.formatting_function(found)
            answer = await self._request([fmt], plain, False)
            self._formats.accept(single(self._route([fmt], answer)))

    async def value_format(self, *, options: RequestOptions | None = None) -> ValueFormat:
        """The API user's time zone and date format, as this client writes and reads values.

        With ``timezone="discover"`` the first use reads the preferences from Intacct (two
        requests, once per client); otherwise nothing is sent.

        Args:
            options: Per-call options (a per-call ``timezone`` or ``date_format``).

        Raises:
            ConfigurationError: Preferences the client cannot read safely.
            IntacctError: The discovery requests failed.
        """
        opts = self._merge(options)
        if self._formats.needs_discovery(opts):
            await self._discover(opts)
        return self._format(opts)

    async def timestamp_zone(self, *, options: RequestOptions | None = None) -> tzinfo | None:
        """The zone ``TIMESTAMP`` values are read and written in: the API user's.

        None when the zone is unknown (``timezone=None``): timestamps are then naive wall
        time in the API user's zone. Discovers the preferences first with
        ``timezone="discover"`` (see :meth:`value_format`). GMT fields such as
        ``AUDITHISTORY.ACCESSTIME`` are in UTC whatever this returns.

        Raises:
            ConfigurationError: Preferences the client cannot read safely.
            IntacctError: The discovery requests failed.
        """
        return (await self.value_format(options=options)).timezone

    async def _request(
        self,
        functions: Sequence[Function],
        opts: ClientOptions,
        transaction: bool,
        sent: tuple[Prepared, asyncio.Task[Answer]] | None = None,
    ) -> Response:
        if self._formats.needs_discovery(opts):
            await self._discover(opts)
        retried = False
        while True:
            answer: asyncio.Task[Answer] | None = None
            if sent is not None:
                (prepared, answer), sent = sent, None
            else:
                first = self._first_call(functions, opts, transaction) if not retried else None
                if first is not None:
                    prepared = first
                else:
                    if self._sessions.needs_login():
                        await self._login(opts)
                    prepared = self._prepare_call(functions, opts, transaction)
            try:
                response = await self._exchange(prepared, opts, answer)
            except AuthenticationError as exc:
                self._sessions.rejected(prepared.session_id or "", exc, retried=retried)
                with self._stats_lock:  # a client may be shared by threads
                    self._stats.session_refreshes += 1
                retried = True
                continue
            self._fold_session(prepared, response)  # only a login-authenticated request
            return response

    # ------------------------------------------------------------------ generic

    async def execute(
        self,
        functions: Sequence[Function],
        *,
        transaction: bool = False,
        raise_on_error: bool = False,
        options: RequestOptions | None = None,
    ) -> list[Result]:
        """Run functions in batches; see :meth:`Client.execute`."""
        opts = self._merge(options)
        functions = list(functions)
        self._check_batch(functions, transaction, opts.max_functions_per_request)
        results: list[Result] = []
        for start in range(0, len(functions), opts.max_functions_per_request):
            chunk = functions[start : start + opts.max_functions_per_request]
            results.extend(self._route(chunk, await self._request(chunk, opts, transaction)))
        if raise_on_error:
            self._first_error(results)
        return results

    async def _run(
        self, functions: Sequence[Function], options: RequestOptions | None
    ) -> list[Result]:
        return await self.execute(functions, raise_on_error=True, options=options)

    async def call(
        self,
        xml: str,
        *,
        is_write: bool = True,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> Result:
        """Run one caller-written function; see :meth:`Client.call`."""
        return single(await self._run([self._plan_raw(xml, is_write, control_id)], options))

    # ------------------------------------------------------------------ reads

    async def read(
        self,
        object: str,
        keys: Sequence[int | str] | int | str,
        fields: Sequence[str] | None = None,
        *,
        options: RequestOptions | None = None,
    ) -> list[Record]:
        """Read records by RECORDNO; see :meth:`Client.read`."""
        return self._records(await self._run(self._plan_read(object, keys, fields), options))

    async def read_by_name(
        self,
        object: str,
        names: Sequence[str] | str,
        fields: Sequence[str] | None = None,
        *,
        options: RequestOptions | None = None,
    ) -> list[Record]:
        """Read records by name or ID; see :meth:`Client.read_by_name`."""
        fns = self._plan_read_by_name(object, names, fields)
        return self._records(await self._run(fns, options))

    def query_pages(
        self,
        object: str,
        fields: Sequence[str],
        *,
        where: Filter | None = None,
        order_by: Sequence[OrderBy] = (),
        page_size: int = 2000,
        case_insensitive: bool = False,
        prefetch: int = 0,
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Page]:
        """Pages of a ``query``, lazily; see :meth:`Client.query_pages`.

        A bad argument raises from this call itself, before anything is sent. With
        ``prefetch``, the pages ahead are asyncio tasks on the running loop (other event
        loops raise :class:`ConfigurationError`).
        """
        check_prefetch(prefetch)
        first = self._plan_query(object, fields, where, order_by, page_size, case_insensitive)
        return self._query_pages(first, prefetch, options)

    async def _query_pages(
        self, first: Query, prefetch: int, options: RequestOptions | None
    ) -> AsyncIterator[Page]:
        if prefetch:
            async for page in self._pages_ahead(first, prefetch, options):
                yield page
            return
        fn: Query | None = first
        before: int | None = None  # numremaining of the page before (see _next_query)
        while fn is not None:
            page = await self._query_page(fn, options)
            yield page
            fn, before = self._next_query(fn, page, before), page.num_remaining

    async def _query_page(self, fn: Query, options: RequestOptions | None) -> Page:
        return self._page_of(single(await self._run([fn], options)))

    async def _pages_ahead(
        self, fn: Query, prefetch: int, options: RequestOptions | None
    ) -> AsyncIterator[Page]:
        """The pages of ``fn``, with up to ``prefetch`` later ones on the wire meanwhile
        (tasks that only send and receive; see :meth:`Client._pages_ahead`)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise ConfigurationError(
                "prefetch runs the pages ahead as asyncio tasks: use it under asyncio "
                "(or iterate with prefetch=0)"
            ) from None
        opts = self._merge(options)
        page = await self._query_page(fn, options)
        plan = PagesAhead.after(fn, page)
        if plan is None:
            yield page
            return
        ahead: deque[tuple[Query, Prepared, asyncio.Task[Answer]]] = deque()

        async def fill() -> None:
            while len(ahead) < prefetch and (nxt := plan.take()) is not None:
                if self._sessions.needs_login():
                    await self._login(opts)
                prepared = self._prepare_call([nxt], opts, False)
                started = asyncio.Event()
                task = asyncio.ensure_future(self._send_ahead(prepared, opts, started))
                task.add_done_callback(_retrieved)
                ahead.append((nxt, prepared, task))
                # Let the task run until its request is being sent: parsing does not yield
                # to the event loop, and the point is to overlap with the gateway.
                await started.wait()

        try:
            await fill()
            while True:
                yield page
                if not ahead:
                    return
                fn, prepared, answer = ahead.popleft()
                await asyncio.wait([answer])  # its bytes are here, or it failed
                await fill()
                response = await self._request([fn], opts, False, (prepared, answer))
                page = self._page_of(single(self._route([fn], response)))
                step = plan.follow(fn, page)
                if step != "more":
                    for _, _, stale in ahead:
                        stale.cancel()
                    ahead.clear()
                    if step == "end":
                        yield page
                        return
                await fill()  # the page may have moved the end, or where the next records start
        finally:
            for _, _, pending in ahead:
                pending.cancel()

    def query(
        self,
        object: str,
        fields: Sequence[str],
        *,
        where: Filter | None = None,
        order_by: Sequence[OrderBy] = (),
        page_size: int = 2000,
        case_insensitive: bool = False,
        prefetch: int = 0,
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Record]:
        """Records of a ``query``, lazily; see :meth:`Client.query`."""
        pages = self.query_pages(
            object,
            fields,
            where=where,
            order_by=order_by,
            page_size=page_size,
            case_insensitive=case_insensitive,
            prefetch=prefetch,
            options=options,
        )
        return _records_of(pages)

    def read_by_query_pages(
        self,
        object: str,
        query: str = "",
        *,
        fields: Sequence[str] | None = None,
        page_size: int = 1000,
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Page]:
        """Pages of a ``readByQuery``/``readMore`` walk; see :meth:`Client.read_by_query_pages`."""
        fn = self._plan_read_by_query(object, query, fields, page_size)
        return self._read_by_query_pages(fn, options)

    async def _read_by_query_pages(
        self, fn: Function | None, options: RequestOptions | None
    ) -> AsyncIterator[Page]:
        before: int | None = None  # numremaining of the page before, which must fall
        while fn is not None:
            page = self._page_of(single(await self._run([fn], options)))
            yield page
            fn, before = self._next_read_more(page, before), page.num_remaining

    def read_by_query(
        self,
        object: str,
        query: str = "",
        *,
        fields: Sequence[str] | None = None,
        page_size: int = 1000,
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Record]:
        """Records of a ``readByQuery``, lazily; see :meth:`Client.read_by_query`."""
        pages = self.read_by_query_pages(
            object, query, fields=fields, page_size=page_size, options=options
        )
        return _records_of(pages)

    async def lookup(self, object: str, *, options: RequestOptions | None = None) -> Any:
        """The object's definition; see :meth:`Client.lookup`."""
        return single(await self._run([self._plan_lookup(object)], options)).data

    async def inspect(
        self, object: str, *, detail: bool = False, options: RequestOptions | None = None
    ) -> Any:
        """The object's definition, or with ``"*"`` every object; see :meth:`Client.inspect`."""
        return single(await self._run([self._plan_inspect(object, detail)], options)).data

    async def get_dimensions(self, *, options: RequestOptions | None = None) -> Any:
        """The company's dimensions."""
        return single(await self._run([self._plan_dimensions()], options)).data

    # ------------------------------------------------------------------ writes

    async def create(
        self,
        object: str,
        records: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> list[Record]:
        """Create records; see :meth:`Client.create`."""
        fn = self._plan_write(Create, object, records, control_id)
        return self._records(await self._run([fn], options))

    async def update(
        self,
        object: str,
        records: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> list[Record]:
        """Update records; see :meth:`Client.update`."""
        fn = self._plan_write(Update, object, records, control_id)
        return self._records(await self._run([fn], options))

    async def delete(
        self,
        object: str,
        keys: Sequence[int | str] | int | str,
        *,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> None:
        """Delete records by RECORDNO."""
        await self._run(self._plan_delete(object, keys, control_id), options)

    async def approve(
        self,
        object: str,
        record_no: int | str,
        *,
        entry_keys: Sequence[int | str] | None = None,
        approved_by: str | None = None,
        comment: str | None = None,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> None:
        """Approve a timesheet (or its listed entries)."""
        fn = self._plan_approval(
            Approve, object, record_no, entry_keys, approved_by, comment, control_id
        )
        await self._run([fn], options)

    async def decline(
        self,
        object: str,
        record_no: int | str,
        *,
        entry_keys: Sequence[int | str] | None = None,
        declined_by: str | None = None,
        comment: str | None = None,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> None:
        """Decline a timesheet (or its listed entries)."""
        fn = self._plan_approval(
            Decline, object, record_no, entry_keys, declined_by, comment, control_id
        )
        await self._run([fn], options)


async def _records_of(pages: AsyncIterator[Page]) -> AsyncIterator[Record]:
    """The records of ``pages``, one by one; closing this closes ``pages`` too."""
    try:
        async for page in pages:
            for record in page.records:
                yield record
    finally:
        close = getattr(pages, "aclose", None)
        if close is not None:
            await close()


def _retrieved(task: asyncio.Task[Answer]) -> None:
    """Mark a page task's failure as seen: a page read ahead and then not needed (the
    caller stopped, or an earlier page failed) is not an "exception never retrieved"."""
    if not task.cancelled():
        task.exception()
