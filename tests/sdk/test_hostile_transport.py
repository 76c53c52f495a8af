"""A hostile server cannot make the client read forever, or hold unbounded memory.

Each test runs a real server on 127.0.0.1 that answers with an endless chunked body, a
compression bomb, a body trickled a byte at a time, or paging that never ends, and checks
that ``Client`` and ``AsyncClient`` stop with a typed error after a bounded number of bytes
and requests. Caps and deadlines are set small in each test's options; the servers stop by
themselves after ``lifetime`` seconds, a safety bound, not a measurement.
"""

from __future__ import annotations

import re
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from _fake_gateway import SENDER, auth_block, control, records_xml
from _hostile_server import HostileServer, Received, Wire, chunked, head, served, whole

from intacct_sdk import (
    AsyncClient,
    Client,
    ClientOptions,
    Credentials,
    DeadlineExceededError,
    MalformedResponseError,
    PagingError,
    ResponseLostError,
    ResponseTooLargeError,
    RetryPolicy,
)

CAP = 256 * 1024  # max_response_bytes in these tests


async def _no_sleep(seconds: float) -> None:
    return None


def options(**kw: Any) -> ClientOptions:
    retry = kw.pop("retry", RetryPolicy(jitter=0, sleep=lambda s: None, async_sleep=_no_sleep))
    return ClientOptions(retry=retry, **kw)


def creds(server: HostileServer) -> Credentials:
    """A fixed session on the server: the first request is the call itself, no login."""
    return Credentials(SENDER[0], SENDER[1], session_id="sess-1", endpoint_url=server.url)


def run_sync(server: HostileServer, opts: ClientOptions, call: Callable[[Client], Any]) -> Any:
    with Client(creds(server), options=opts) as client:
        return call(client)


def run_async(
    server: HostileServer, opts: ClientOptions, call: Callable[[AsyncClient], Awaitable[Any]]
) -> Any:
    import anyio

    async def main() -> Any:
        async with AsyncClient(creds(server), options=opts) as client:
            return await call(client)

    return anyio.run(main)


def read_one(kind: str, server: HostileServer, opts: ClientOptions) -> Any:
    """``read("EMPLOYEE", [1])`` with the sync or the async client."""
    if kind == "sync":
        return run_sync(server, opts, lambda c: c.read("EMPLOYEE", [1]))

    async def call(c: AsyncClient) -> Any:
        return await c.read("EMPLOYEE", [1])

    return run_async(server, opts, call)


KINDS = pytest.mark.parametrize("kind", ["sync", "async"])


# ---------------------------------------------------------------- endless chunked body


ENDLESS_SAFETY = 64 * 2**20  # the server gives up here, so a client that never stops is safe


def endless(request: Received, wire: Wire) -> None:
    """A chunked body that never ends (until the client hangs up, or the safety bound)."""
    wire.send(head(content_type="text/xml", transfer_encoding="chunked"))
    piece = b"<response>" + b"<x>endless</x>" * 4000  # about 56 KiB a chunk

    def pieces() -> Iterator[bytes]:
        while wire.sent < ENDLESS_SAFETY:
            yield piece

    chunked(pieces(), wire, end=False)


@KINDS
def test_endless_chunked_body_stops_at_the_cap(kind: str) -> None:
    with HostileServer(endless) as server, pytest.raises(ResponseTooLargeError) as info:
        read_one(kind, server, options(max_response_bytes=CAP))
    assert info.value.limit == CAP
    assert "max_response_bytes" in str(info.value)
    # Not retried: the same request would get the same answer.
    assert len(server.received) == 1, served(server)
    # The client hung up soon after the cap (socket buffers hold a few MB at most).
    assert server.sent < ENDLESS_SAFETY // 2, served(server)


# ---------------------------------------------------------------- compression bombs


def _bomb(encoding: str, inflated: int) -> bytes:
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[encoding]
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * 2**20
    out = [packer.compress(block) for _ in range(inflated // len(block))]
    return b"".join(out) + packer.flush()


BOMB_INFLATED = 64 * 2**20


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {e: _bomb(e, BOMB_INFLATED) for e in ("gzip", "deflate", "raw-deflate")}


@KINDS
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compression_bomb_is_refused_while_it_inflates(
    kind: str, encoding: str, bombs: dict[str, bytes]
) -> None:
    body = bombs[encoding]
    assert len(body) < CAP  # small on the wire: only the inflated count can catch it
    header = "deflate" if encoding == "raw-deflate" else encoding
    with HostileServer(whole(body, content_encoding=header)) as server:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as info:
                read_one(kind, server, options(max_response_bytes=CAP))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert "inflated" in str(info.value)
    assert len(server.received) == 1
    # Inflated a bounded slice at a time: nowhere near the 64 MiB the bomb expands to.
    assert peak < 16 * 2**20, peak


@KINDS
def test_gzip_answer_within_the_cap_is_read(kind: str) -> None:
    def gzipped(request: Received, wire: Wire) -> None:
        data = '<data listtype="EMPLOYEE" count="1">' + records_xml(
            "EMPLOYEE", [{"RECORDNO": 1, "EMPLOYEEID": "E1"}]
        )
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)
        answer = _result("read", data + "</data>", request)
        whole(packer.compress(answer) + packer.flush(), content_encoding="gzip")(request, wire)

    with HostileServer(gzipped) as server:
        records = read_one(kind, server, options(max_response_bytes=CAP))
    assert records == [{"RECORDNO": 1, "EMPLOYEEID": "E1"}]


@KINDS
def test_an_encoding_the_client_did_not_ask_for_is_refused(kind: str) -> None:
    with (
        HostileServer(whole(b"\x00\x01\x02", content_encoding="br")) as server,
        pytest.raises(MalformedResponseError, match="Content-Encoding 'br'"),
    ):
        read_one(kind, server, options(retry=RetryPolicy.never()))


# ---------------------------------------------------------------- trickled answers


def trickle(request: Received, wire: Wire) -> None:
    """A 10,000-byte body sent a byte at a time, each well within the read timeout."""
    if not wire.send(head(content_type="text/xml", content_length="10000")):
        return
    for _ in range(10000):
        if not wire.send(b" ") or not wire.wait(0.2):
            return


def trickled_head(request: Received, wire: Wire) -> None:
    """The response head itself, a byte at a time."""
    for byte in head(content_type="text/xml", content_length="10"):
        if not wire.send(bytes([byte])) or not wire.wait(0.2):
            return


@KINDS
def test_trickled_body_ends_at_the_deadline(kind: str) -> None:
    opts = options(timeout=5, deadline=1, retry=RetryPolicy.never())
    with HostileServer(trickle) as server, pytest.raises(DeadlineExceededError) as info:
        read_one(kind, server, opts)
    assert isinstance(info.value, ResponseLostError)  # sent, answer lost: a write may apply
    assert info.value.deadline == 1
    assert re.search(r"127\.0\.0\.1:\d+ within the deadline of 1 s", str(info.value))
    assert len(server.received) == 1


@KINDS
def test_a_read_past_its_deadline_is_retried_as_a_lost_answer(kind: str) -> None:
    retry = RetryPolicy(attempts=2, jitter=0, sleep=lambda s: None, async_sleep=_no_sleep)
    with HostileServer(trickle) as server, pytest.raises(DeadlineExceededError):
        read_one(kind, server, options(timeout=5, deadline=1, retry=retry))
    assert len(server.received) == 2


@KINDS
def test_a_write_past_its_deadline_is_not_resent(kind: str) -> None:
    opts = options(timeout=5, deadline=1)
    record = {"CLASSID": "C1", "NAME": "One"}

    async def create(c: AsyncClient) -> Any:
        return await c.create("CLASS", record)

    def call(server: HostileServer) -> Any:
        if kind == "sync":
            return run_sync(server, opts, lambda c: c.create("CLASS", record))
        return run_async(server, opts, create)

    with (
        HostileServer(trickle) as server,
        pytest.raises(ResponseLostError, match="not resent") as info,
    ):
        call(server)
    assert isinstance(info.value.__cause__, DeadlineExceededError)
    assert len(server.received) == 1


def test_async_deadline_also_bounds_a_trickled_response_head() -> None:
    # AsyncClient cancels the attempt at its deadline wherever it waits; Client checks the
    # deadline as body bytes arrive (see docs/configuration.md).
    opts = options(timeout=5, deadline=1, retry=RetryPolicy.never())
    with HostileServer(trickled_head) as server, pytest.raises(DeadlineExceededError):
        read_one("async", server, opts)
    assert len(server.received) == 1


# ---------------------------------------------------------------- endless paging


def _result(function: str, data: str, request: Received) -> bytes:
    """A one-result answer to ``request``, paired with its function by control id."""
    found = re.search(r'<function controlid="([^"]+)"', request.text)
    control_id = found.group(1) if found else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><response>'
        + control()
        + "<operation>"
        + auth_block(None)
        + f"<result><status>success</status><function>{function}</function>"
        + f"<controlid>{control_id}</controlid>{data}</result></operation></response>"
    ).encode()


def _rows(start: int) -> str:
    return records_xml("EMPLOYEE", [{"RECORDNO": start + 1}, {"RECORDNO": start + 2}])


def endless_read_more(request: Received, wire: Wire) -> None:
    """Every readByQuery/readMore page: two records, five more to come, the same resultId."""
    function = "readMore" if "<readMore>" in request.text else "readByQuery"
    data = f'<data listtype="employee" count="2" numremaining="5" resultId="r1">{_rows(0)}</data>'
    whole(_result(function, data, request))(request, wire)


def offset_stuck(request: Received, wire: Wire) -> None:
    """Every query page claims offset 0, whatever offset was asked: the walk never moves."""
    data = (
        '<data listtype="EMPLOYEE" totalcount="7" offset="0" count="2" numremaining="5">'
        f"{_rows(0)}</data>"
    )
    whole(_result("query", data, request))(request, wire)


def no_offset(request: Received, wire: Wire) -> None:
    """Query pages that carry no offset and always announce five more records."""
    data = f'<data listtype="EMPLOYEE" count="2" numremaining="5">{_rows(0)}</data>'
    whole(_result("query", data, request))(request, wire)


def walk(kind: str, server: HostileServer, pages: Callable[[Any], Any]) -> list[Any]:
    """Consume the page iterator ``pages(client)`` returns; the pages read before it raised."""
    seen: list[Any] = []
    if kind == "sync":

        def consume(client: Client) -> None:
            for page in pages(client):
                seen.append(page)

        run_sync(server, options(), consume)
        return seen

    async def aconsume(client: AsyncClient) -> None:
        async for page in pages(client):
            seen.append(page)

    run_async(server, options(), aconsume)
    return seen


@KINDS
def test_read_by_query_paging_that_never_ends_is_stopped(kind: str) -> None:
    with (
        HostileServer(endless_read_more) as server,
        pytest.raises(PagingError, match="no progress") as info,
    ):
        walk(kind, server, lambda c: c.read_by_query_pages("EMPLOYEE", page_size=2))
    assert info.value.function == "readMore"
    assert info.value.num_remaining == 5
    # The first page and one readMore that left as much to read as before: then it stops.
    assert len(server.received) == 2, served(server)


@KINDS
@pytest.mark.parametrize("prefetch", [0, 2])
@pytest.mark.parametrize("answer", [offset_stuck, no_offset], ids=["offset-stuck", "no-offset"])
def test_query_paging_that_never_ends_is_stopped(
    kind: str, prefetch: int, answer: Callable[[Received, Wire], None]
) -> None:
    def pages(c: Any) -> Any:
        return c.query_pages("EMPLOYEE", ["RECORDNO"], page_size=2, prefetch=prefetch)

    with (
        HostileServer(answer) as server,
        pytest.raises(PagingError, match="no progress") as info,
    ):
        walk(kind, server, pages)
    assert info.value.function == "query"
    # The first page, then at most the pages requested ahead and the one that replaced one.
    assert len(server.received) <= 2 + prefetch, served(server)
