"""``Client``: the synchronous thin shell over :class:`intacct_sdk._base.BaseClient`.

It sends bytes (one ``httpx`` client, so connections are reused), sleeps between retries, and
serialises logins; every decision is made by the shared core. ``AsyncClient`` (in
``_async_client``) mirrors it method for method, its paging methods returning async iterators.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import tzinfo
from itertools import chain
from operator import attrgetter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from intacct_sdk._base import (
    Answer,
    BaseClient,
    Prepared,
    Record,
    check_prefetch,
    single,
)
from intacct_sdk._body import read_body
from intacct_sdk._budget import RequestBudget
from intacct_sdk._config import ClientOptions, Credentials, RequestOptions
from intacct_sdk._errors import AuthenticationError, GatewayError, TransportError
from intacct_sdk._formats import ValueFormat
from intacct_sdk._limiter import slot_of
from intacct_sdk._prefetch import pages_ahead
from intacct_sdk._results import Page, Response, Result
from intacct_sdk._tls import LazyTransport, env_proxies, shared_ssl_context
from intacct_sdk.functions import Approve, Create, Decline, Function, Query, Update
from intacct_sdk.query import Filter, OrderBy

if TYPE_CHECKING:
    from concurrent.futures import Future
    from threading import Event

    from intacct_sdk._retry import RetryState

__all__ = ["Client"]

_RECORDS_OF = attrgetter("records")


def _timeout(opts: ClientOptions) -> httpx.Timeout:
    return httpx.Timeout(min(opts.timeout, opts.request_deadline))


class Client(BaseClient):
    """A synchronous client for the gateway, over one ``httpx.Client``.

    Use it as a context manager (or call :meth:`close`) so its connections are released.

    Args:
        credentials: Who to sign in as.
        options: Defaults for every call; a call's ``options`` dict merges over them.
        transport: An ``httpx`` transport to send through instead of the network (tests,
            the emulator's in-process transport).

    Example:
        >>> with Client(Credentials.from_env()) as client:  # doctest: +SKIP
        ...     for employee in client.query("EMPLOYEE", ["RECORDNO", "EMPLOYEEID"]):
        ...         print(employee["EMPLOYEEID"])
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        options: ClientOptions | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(credentials, options)
        self._budget = RequestBudget(self._options.max_concurrent)
        self._formats_lock = threading.Lock()  # discovery runs once, whichever thread asks
        proxied = transport is None and env_proxies()
        self._http = httpx.Client(
            transport=LazyTransport() if transport is None else transport,
            # Only proxy transports from the environment would build a context of their own.
            verify=shared_ssl_context() if proxied else True,
            timeout=_timeout(self._options),
            headers=self._http_headers(),
            follow_redirects=False,
        )

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
        """Close the HTTP connections; later calls raise :class:`ClientClosedError`.

        Closing again does nothing. A paging iterator still running raises at its next page.
        """
        self._closed = True
        self._http.close()

    # ------------------------------------------------------------------ sending

    def _send(self, prepared: Prepared, opts: ClientOptions) -> Answer:
        """One attempt on the wire: the answer's status, headers and body.

        Raises:
            TransportError: No answer came (the subclass says whether it was sent), or not
                all of it before the deadline (:class:`DeadlineExceededError`).
            ResponseTooLargeError: The body passed ``max_response_bytes``.
            SlotWaitTimeoutError: No slot of ``ClientOptions.limiter`` came in time.
        """
        # The client's concurrency budget, shared by its threads, then a slot of the
        # company's limiter shared with other clients: both for this attempt alone.
        with self._budget, slot_of(self._options.limiter):
            self._check_open()  # it may have been closed while this waited for a slot
            timeout, deadline = self._limits(prepared, opts)
            try:
                # Streamed, so that the body is read under the byte cap and the deadline, and
                # belongs to this frame alone: httpx keeps a response in a reference cycle,
                # which would hold a read body until the cyclic collector runs.
                with self._http.stream(
                    "POST", prepared.url, content=prepared.body, timeout=timeout
                ) as answer:
                    body = read_body(answer, opts.max_response_bytes, deadline)
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, prepared, deadline) from None
        return answer.status_code, answer.headers, body

    def _send_ahead(self, prepared: Prepared, opts: ClientOptions, started: Event) -> Answer:
        """The first attempt of a page requested ahead (run by a worker thread)."""
        try:
            self._start_attempt(prepared, 1)
        finally:
            started.set()
        return self._send(prepared, opts)

    def _exchange(
        self, prepared: Prepared, opts: ClientOptions, sent: Future[Answer] | None = None
    ) -> Response:
        """Send ``prepared`` until it gets an answer worth returning, retrying per policy.

        ``sent`` is a first attempt already on its way (a page requested ahead): its answer
        is read here, in the caller's thread, and any retry is sent from here too. Reads
        that failed transiently in a good answer are sent again on their own, under the same
        retry budget, and their new results take their place.
        """
        state = opts.retry.start(replay_safe=prepared.replay_safe, hazard=prepared.hazard)
        response = self._attempts(prepared, opts, state, sent)
        while (retry := self._reads_to_retry(prepared, response, opts)) is not None:
            delay = state.next_function_retry()
            if delay is None:
                return response  # the budget is spent: the failures stand
            self._log_function_retry(retry, delay, state.attempt)
            opts.retry.sleep(delay)
            answer = self._attempts(retry, opts, state)
            response = self._merge_retried(prepared, response, retry, answer)
        return response

    def _attempts(
        self,
        prepared: Prepared,
        opts: ClientOptions,
        state: RetryState,
        sent: Future[Answer] | None = None,
    ) -> Response:
        """Attempts at ``prepared`` until one gets a usable answer, per ``state``."""
        while True:
            retry_after: float | None = None
            try:
                if sent is not None:
                    first, sent = sent, None
                    status, headers, body = first.result()
                else:
                    self._start_attempt(prepared, state.attempt)
                    status, headers, body = self._send(prepared, opts)
                retry_after = self._retry_after(headers)
                return self._interpret(prepared, opts, status, headers, body)
            except (TransportError, GatewayError) as exc:
                delay = state.next_delay(exc, retry_after=retry_after)
                self._log_retry(exc, delay, state.attempt - 1)
                opts.retry.sleep(delay)

    def _login(self, opts: ClientOptions) -> None:
        with self._sessions.lock:
            if not self._sessions.needs_login():
                return
            prepared = self._prepare_login()
            response = self._exchange(prepared, opts)
            session = self._sessions.accept_login(response, prepared.url)
            self._stats.logins += 1
            self._redact.add(session.session_id)

    def _discover(self, opts: ClientOptions) -> None:
        """Read the API user's preferences once (two requests; see ``timezone``)."""
        with self._formats_lock:
            if not self._formats.needs_discovery(opts):
                return
            plain = self._formats.plain(opts)
            user = self._formats.user_function()
            found = single(self._route([user], self._request([user], plain, False)))
            fmt = self._formats.formatting_function(found)
            self._formats.accept(single(self._route([fmt], self._request([fmt], plain, False))))

    def value_format(self, *, options: RequestOptions | None = None) -> ValueFormat:
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
            self._discover(opts)
        return self._format(opts)

    def timestamp_zone(self, *, options: RequestOptions | None = None) -> tzinfo | None:
        """The zone ``TIMESTAMP`` values are read and written in: the API user's.

        None when the zone is unknown (``timezone=None``): timestamps are then naive wall
        time in the API user's zone. Discovers the preferences first with
        ``timezone="discover"`` (see :meth:`value_format`). GMT fields such as
        ``AUDITHISTORY.ACCESSTIME`` are in UTC whatever this returns.

        Raises:
            ConfigurationError: Preferences the client cannot read safely.
            IntacctError: The discovery requests failed.
        """
        return self.value_format(options=options).timezone

    def _request(
        self,
        functions: Sequence[Function],
        opts: ClientOptions,
        transaction: bool,
        sent: tuple[Prepared, Future[Answer]] | None = None,
    ) -> Response:
        if self._formats.needs_discovery(opts):
            self._discover(opts)
        retried = False
        while True:
            answer: Future[Answer] | None = None
            if sent is not None:
                (prepared, answer), sent = sent, None
            else:
                first = self._first_call(functions, opts, transaction) if not retried else None
                if first is not None:
                    prepared = first
                else:
                    if self._sessions.needs_login():
                        self._login(opts)
                    prepared = self._prepare_call(functions, opts, transaction)
            try:
                response = self._exchange(prepared, opts, answer)
            except AuthenticationError as exc:
                self._sessions.rejected(prepared.session_id or "", exc, retried=retried)
                with self._stats_lock:  # a client may be shared by threads
                    self._stats.session_refreshes += 1
                retried = True
                continue
            self._fold_session(prepared, response)  # only a login-authenticated request
            return response

    # ------------------------------------------------------------------ generic

    def execute(
        self,
        functions: Sequence[Function],
        *,
        transaction: bool = False,
        raise_on_error: bool = False,
        options: RequestOptions | None = None,
    ) -> list[Result]:
        """Run functions, several per request, and return one result per function in order.

        Functions are sent in requests of at most ``max_functions_per_request``. With
        ``transaction=True`` they form one unit in one request (a failure rolls the others
        back) and are never split.

        Args:
            functions: The functions to run.
            transaction: Run them as one all-or-nothing unit.
            raise_on_error: Raise the first failed function's error instead of returning it.
            options: Per-call options.

        Returns:
            One :class:`Result` per function, in the order given.

        Raises:
            ConfigurationError: a transaction larger than the batch size.
            FunctionError: with ``raise_on_error``, the first function failure.
            IntacctError: transport, gateway or authentication failures.
        """
        opts = self._merge(options)
        functions = list(functions)
        self._check_batch(functions, transaction, opts.max_functions_per_request)
        results: list[Result] = []
        for start in range(0, len(functions), opts.max_functions_per_request):
            chunk = functions[start : start + opts.max_functions_per_request]
            results.extend(self._route(chunk, self._request(chunk, opts, transaction)))
        if raise_on_error:
            self._first_error(results)
        return results

    def _run(self, functions: Sequence[Function], options: RequestOptions | None) -> list[Result]:
        return self.execute(functions, raise_on_error=True, options=options)

    def call(
        self,
        xml: str,
        *,
        is_write: bool = True,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> Result:
        """Run one caller-written function (legacy ``create_timesheet`` and friends).

        Args:
            xml: The function body, e.g. ``"<get_list object='timetype'/>"``.
            is_write: Whether it changes data (writes are not retried unless safe).
            control_id: A stable control id (for ``unique_id`` replays).
            options: Per-call options.

        Returns:
            The function's result (``.data`` holds records or the payload).

        Raises:
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        return single(self._run([self._plan_raw(xml, is_write, control_id)], options))

    # ------------------------------------------------------------------ reads

    def read(
        self,
        object: str,
        keys: Sequence[int | str] | int | str,
        fields: Sequence[str] | None = None,
        *,
        options: RequestOptions | None = None,
    ) -> list[Record]:
        """Read records by RECORDNO (any number of keys; 100 per function).

        Args:
            object: The object, e.g. ``"TASK"``.
            keys: One RECORDNO or several.
            fields: Fields to return; None for all.
            options: Per-call options.

        Returns:
            The records found, in the gateway's order (unknown keys are left out).

        Raises:
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        return self._records(self._run(self._plan_read(object, keys, fields), options))

    def read_by_name(
        self,
        object: str,
        names: Sequence[str] | str,
        fields: Sequence[str] | None = None,
        *,
        options: RequestOptions | None = None,
    ) -> list[Record]:
        """Read records by their name or ID field (any number of names; 100 per function).

        Args:
            object: The object, e.g. ``"EMPLOYEE"``.
            names: One ID (EMPLOYEEID, PROJECTID, NAME, ...) or several.
            fields: Fields to return; None for all.
            options: Per-call options.

        Returns:
            The records found (unknown names are left out).

        Raises:
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        return self._records(self._run(self._plan_read_by_name(object, names, fields), options))

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
    ) -> Iterator[Page]:
        """Run a ``query`` and yield its pages lazily, one request per page, to the end.

        By default each page is requested when the previous one has been consumed, so
        memory holds one page at a time. Paging is by offset: rows changed between pages can
        be skipped or repeated (order by RECORDNO for a stable walk).

        With ``prefetch=n``, up to ``n`` of the following pages are requested (from worker
        threads) while the caller reads the current one; they are still yielded in order.
        The first page says how many records follow, so a walk to the end sends the same
        requests as without prefetching, only sooner. Each page in flight holds one of the
        client's ``max_concurrent`` slots (and one of the company's): pages beyond what the
        budget leaves free wait their turn. A caller that stops early may already have
        requested (and been billed for) up to ``n`` pages it never reads.

        Args:
            object: The object, e.g. ``"EMPLOYEE"``.
            fields: Fields to return (``query`` cannot return all fields).
            where: A filter built with :class:`intacct_sdk.F`.
            order_by: ``(field, "asc" | "desc")`` pairs.
            page_size: Records per request (1-2000).
            case_insensitive: Compare strings without case.
            prefetch: Pages to request ahead of the one being read, 0 to 8.
            options: Per-call options.

        Returns:
            A lazy iterator over each :class:`Page`, with the paging facts the gateway sent.

        Raises:
            ConfigurationError: A bad argument (a page size over the gateway's 2,000, a field
                name, prefetch), raised by this call itself: nothing was sent.
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        check_prefetch(prefetch)
        first = self._plan_query(object, fields, where, order_by, page_size, case_insensitive)
        return self._query_pages(first, prefetch, options)

    def _query_pages(
        self, first: Query, prefetch: int, options: RequestOptions | None
    ) -> Iterator[Page]:
        if prefetch:
            yield from pages_ahead(self, first, prefetch, options)
            return
        fn: Query | None = first
        before: int | None = None  # numremaining of the page before (see _next_query)
        while fn is not None:
            page = self._query_page(fn, options)
            yield page
            fn, before = self._next_query(fn, page, before), page.num_remaining

    def _query_page(self, fn: Query, options: RequestOptions | None) -> Page:
        return self._page_of(single(self._run([fn], options)))

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
    ) -> Iterator[Record]:
        """Run a ``query`` and yield its records lazily, fetching pages as needed.

        Args:
            object: The object, e.g. ``"EMPLOYEE"``.
            fields: Fields to return (``query`` cannot return all fields).
            where: A filter built with :class:`intacct_sdk.F`.
            order_by: ``(field, "asc" | "desc")`` pairs.
            page_size: Records per request (1-2000).
            case_insensitive: Compare strings without case.
            prefetch: Pages to request ahead of the one being read, 0 to 8 (see
                :meth:`query_pages`: faster walks to the end; an early stop may leave pages
                requested and billed but unread).
            options: Per-call options.

        Returns:
            A lazy iterator over the records (each a ``dict`` keyed by Intacct's field
            names); pages are fetched as it is consumed.

        Raises:
            ConfigurationError: A bad argument (a page size over the gateway's 2,000, a field
                name, prefetch), raised by this call itself: nothing was sent.
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
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
        # chain hands out records in C: no generator frame to resume per record.
        return chain.from_iterable(map(_RECORDS_OF, pages))

    def read_by_query_pages(
        self,
        object: str,
        query: str = "",
        *,
        fields: Sequence[str] | None = None,
        page_size: int = 1000,
        options: RequestOptions | None = None,
    ) -> Iterator[Page]:
        """Run ``readByQuery`` and follow ``readMore`` to the end, yielding pages lazily.

        Args:
            object: The object, e.g. ``"PROJECT"``.
            query: The readByQuery condition; empty for every record.
            fields: Fields to return; None for all (``*``).
            page_size: Records per request (1-1000).
            options: Per-call options.

        Returns:
            A lazy iterator over each :class:`Page`, with the paging facts the gateway sent.

        Raises:
            ConfigurationError: A bad argument (a page size over the gateway's 1,000), raised
                by this call itself: nothing was sent.
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        return self._read_by_query_pages(
            self._plan_read_by_query(object, query, fields, page_size), options
        )

    def _read_by_query_pages(
        self, fn: Function | None, options: RequestOptions | None
    ) -> Iterator[Page]:
        before: int | None = None  # numremaining of the page before, which must fall
        while fn is not None:
            page = self._page_of(single(self._run([fn], options)))
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
    ) -> Iterator[Record]:
        """Run ``readByQuery`` (a query string such as ``"STATUS = 'T'"``) lazily to the end.

        Args:
            object: The object, e.g. ``"PROJECT"``.
            query: The readByQuery condition; empty for every record.
            fields: Fields to return; None for all (``*``).
            page_size: Records per request (1-1000).
            options: Per-call options.

        Returns:
            A lazy iterator over the records (each a ``dict`` keyed by Intacct's field
            names); pages are fetched as it is consumed.

        Raises:
            ConfigurationError: A bad argument (a page size over the gateway's 1,000), raised
                by this call itself: nothing was sent.
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        pages = self.read_by_query_pages(
            object, query, fields=fields, page_size=page_size, options=options
        )
        return chain.from_iterable(map(_RECORDS_OF, pages))

    def lookup(self, object: str, *, options: RequestOptions | None = None) -> Any:
        """The object's definition: fields, types, valid values, relationships.

        Args:
            object: The object, e.g. ``"TIMESHEET"``.
            options: Per-call options.

        Returns:
            The definition as a ``dict`` (``Name``, ``Fields``: one dict per field, ...).

        Raises:
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        return single(self._run([self._plan_lookup(object)], options)).data

    def inspect(
        self, object: str, *, detail: bool = False, options: RequestOptions | None = None
    ) -> Any:
        """The object's definition as ``inspect`` reports it, or with ``"*"`` every object.

        Args:
            object: The object, e.g. ``"TIMESHEET"``; ``"*"`` lists the company's objects.
            detail: Ask for per-field detail (``detail="1"``).
            options: Per-call options.

        Returns:
            The definition as a ``dict`` (``Fields``: names, or one dict per field with
            detail); for ``"*"`` a ``dict`` of object name to label
            (``{"EMPLOYEE": "Employee", ...}``), in the gateway's order.

        Raises:
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        return single(self._run([self._plan_inspect(object, detail)], options)).data

    def get_dimensions(self, *, options: RequestOptions | None = None) -> Any:
        """The company's dimensions (standard and user-defined).

        Args:
            options: Per-call options.

        Returns:
            One ``dict`` per dimension (``objectName``, ``termLabel``, ...).

        Raises:
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        return single(self._run([self._plan_dimensions()], options)).data

    # ------------------------------------------------------------------ writes

    def create(
        self,
        object: str,
        records: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> list[Record]:
        """Create records; returns each new record's RECORDNO and ID field.

        Pass a stable ``control_id`` together with ``options={"unique_id": True}`` to make
        the write safe to resend after a lost response.

        Args:
            object: The object, e.g. ``"TIMESHEET"``.
            records: One record or several (Python values; see "Records and values").
            control_id: The function control id; default a random one.
            options: Per-call options (``unique_id``, ``timeout``, ...).

        Returns:
            One ``dict`` per created record: ``RECORDNO`` and the object's ID field.

        Raises:
            DuplicateControlIdError: A ``unique_id`` replay was refused: the write ran before.
            ResponseLostError: The answer was lost and the write could not be safely resent.
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        fn = self._plan_write(Create, object, records, control_id)
        return self._records(self._run([fn], options))

    def update(
        self,
        object: str,
        records: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> list[Record]:
        """Update records (each identified by RECORDNO or its ID field).

        Args:
            object: The object, e.g. ``"PROJECT"``.
            records: One record or several, each with its RECORDNO or ID field.
            control_id: The function control id; default a random one.
            options: Per-call options (``unique_id``, ``timeout``, ...).

        Returns:
            One ``dict`` per updated record: ``RECORDNO`` and the object's ID field.

        Raises:
            DuplicateControlIdError: A ``unique_id`` replay was refused: the write ran before.
            ResponseLostError: The answer was lost and the write could not be safely resent.
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        fn = self._plan_write(Update, object, records, control_id)
        return self._records(self._run([fn], options))

    def delete(
        self,
        object: str,
        keys: Sequence[int | str] | int | str,
        *,
        control_id: str | None = None,
        options: RequestOptions | None = None,
    ) -> None:
        """Delete records by RECORDNO.

        Args:
            object: The object, e.g. ``"TIMESHEET"``.
            keys: One RECORDNO or several.
            control_id: The function control id; default a random one.
            options: Per-call options.

        Raises:
            ResponseLostError: The answer was lost and the delete could not be safely resent.
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        self._run(self._plan_delete(object, keys, control_id), options)

    def approve(
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
        """Approve a timesheet (or its listed entries).

        Args:
            object: The object (``"TIMESHEET"``).
            record_no: The timesheet's RECORDNO.
            entry_keys: The entries to approve; None for every submitted entry.
            approved_by: The approver's employee ID (``APPROVEDBY``).
            comment: A comment recorded with the approval.
            control_id: The function control id; default a random one.
            options: Per-call options.

        Raises:
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        fn = self._plan_approval(
            Approve, object, record_no, entry_keys, approved_by, comment, control_id
        )
        self._run([fn], options)

    def decline(
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
        """Decline a timesheet (or its listed entries).

        Args:
            object: The object (``"TIMESHEET"``).
            record_no: The timesheet's RECORDNO.
            entry_keys: The entries to decline; None for every submitted entry.
            declined_by: The approver's employee ID.
            comment: A comment recorded with the decline.
            control_id: The function control id; default a random one.
            options: Per-call options.

        Raises:
            FunctionError: The function failed (unknown object or field, bad value, ...).
            IntacctError: A transport, gateway or authentication failure (see its subclasses).
        """
        fn = self._plan_approval(
            Decline, object, record_no, entry_keys, declined_by, comment, control_id
        )
        self._run([fn], options)
