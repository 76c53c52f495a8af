"""``query(prefetch=n)`` for :class:`~intacct_sdk.Client`: later pages on the wire meanwhile.

Kept apart from ``_client`` so that module stays one thing: the shell. The function drives
the client's own private steps (login, prepare, send, interpret) and the I/O-free plan
:class:`~intacct_sdk._base.PagesAhead`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

from intacct_sdk._base import Answer, PagesAhead, Prepared, single
from intacct_sdk._config import RequestOptions
from intacct_sdk._results import Page
from intacct_sdk.functions import Query

if TYPE_CHECKING:
    from concurrent.futures import Future

    from intacct_sdk._client import Client

__all__ = ["pages_ahead"]


def pages_ahead(
    client: Client, fn: Query, prefetch: int, options: RequestOptions | None
) -> Iterator[Page]:
    """The pages of ``fn``, with up to ``prefetch`` later ones on the wire meanwhile.

    Worker threads only send and receive. Each answer is parsed (and retried, or its
    session renewed, when it failed) in the caller's thread when its turn comes, after
    the requests that replace it in flight are on their way: the gateway writes the
    next pages while this thread parses the current one.
    """
    # Imported here: a client that never prefetches does not pay for them.
    from concurrent.futures import ThreadPoolExecutor, wait
    from threading import Event

    opts = client._merge(options)
    page = client._query_page(fn, options)
    plan = PagesAhead.after(fn, page)
    if plan is None:
        yield page
        return
    # One thread more than pages in flight: a finished page's thread may still be
    # winding down when the page that replaces it is handed over.
    pool = ThreadPoolExecutor(prefetch + 1, thread_name_prefix="intacct-query")
    ahead: deque[tuple[Query, Prepared, Future[Answer]]] = deque()

    def fill() -> None:
        while len(ahead) < prefetch and (nxt := plan.take()) is not None:
            if client._sessions.needs_login():
                client._login(opts)
            prepared = client._prepare_call([nxt], opts, False)
            started = Event()
            answer = pool.submit(client._send_ahead, prepared, opts, started)
            ahead.append((nxt, prepared, answer))
            # Hand the worker the interpreter until its request is being sent: parsing
            # holds it for long stretches, and the point is to overlap with the gateway.
            started.wait()

    try:
        fill()
        while True:
            yield page
            if not ahead:
                return
            fn, prepared, answer = ahead.popleft()
            wait([answer])  # its bytes are here, or it failed
            fill()
            response = client._request([fn], opts, False, (prepared, answer))
            page = client._page_of(single(client._route([fn], response)))
            step = plan.follow(fn, page)
            if step != "more":
                for _, _, stale in ahead:
                    stale.cancel()
                ahead.clear()
                if step == "end":
                    yield page
                    return
            fill()  # the page may have moved the end, or where the next records start
    finally:
        for _, _, pending in ahead:
            pending.cancel()
        # Pages already on the wire finish in their threads; nobody waits for them.
        pool.shutdown(wait=False, cancel_futures=True)
