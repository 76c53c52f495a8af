"""Reading an answer's body under a byte cap and a deadline, while it streams in.

The client asks for ``gzip`` or ``deflate`` and decodes the body itself, instead of letting
``httpx`` inflate it: the cap (``ClientOptions.max_response_bytes``) is then checked on the
bytes that arrive *and* on the bytes they inflate to, a bounded slice at a time, before they
are kept. Joining a body first and measuring it after lets an endless chunked answer, or a
megabyte of gzip that inflates to gigabytes, take all the memory there is.

The deadline (``ClientOptions.deadline``) bounds one attempt from its start to its last byte;
the read timeout alone restarts with each byte, so a body trickled a byte a second would
never end.

:class:`BodyReader` is I/O-free; :func:`read_body` and :func:`aread_body` feed it from an
``httpx`` response as it streams.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from typing import Final

import httpx

from intacct_sdk._errors import (
    DeadlineExceededError,
    MalformedResponseError,
    ResponseTooLargeError,
)

__all__ = ["BodyReader", "Deadline", "aread_body", "read_body"]

# Content-Encoding values the client decodes (it asks for "gzip, deflate").
_GZIP: Final = frozenset({"gzip", "x-gzip"})
_DEFLATE: Final = "deflate"
_IDENTITY: Final = frozenset({"", "identity"})


class Deadline:
    """The moment one attempt must be complete by, on the monotonic clock.

    Args:
        seconds: How long the attempt may take in all.
        where: The host the request went to (``host:port``), for the error.
        clock: Returns monotonic seconds (injectable for tests).
    """

    def __init__(
        self, seconds: float, where: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.where = where
        self._clock = clock
        self._end = self._clock() + seconds

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self._end - self._clock())

    def check(self) -> None:
        """Raise :class:`DeadlineExceededError` once the deadline has passed."""
        if self._clock() >= self._end:
            raise self.error()

    def error(self) -> DeadlineExceededError:
        """The error for an attempt that outlived its deadline."""
        return DeadlineExceededError(
            f"no complete answer from {self.where} within the deadline of {self.seconds:g} s "
            "(ClientOptions.deadline)",
            deadline=self.seconds,
        )


class BodyReader:
    """Collects one answer's body, decoding it and refusing it past ``limit`` bytes.

    Feed it the raw bytes as they arrive (:meth:`feed`), then take the body (:meth:`finish`).
    No more than ``limit`` decoded bytes, plus one slice of at most ``limit`` more, is ever
    held, whatever the compression ratio.

    Args:
        content_encoding: The answer's ``Content-Encoding`` header (None when absent).
        limit: The most bytes accepted, counted on the wire and after decoding.
        status_code: The answer's HTTP status (for the error).

    Raises:
        MalformedResponseError: An encoding the client did not ask for, or several stacked.
    """

    def __init__(self, content_encoding: str | None, limit: int, status_code: int) -> None:
        self.limit = limit
        self.status_code = status_code
        self.received = 0  # bytes on the wire
        self.decoded = 0  # bytes after decoding
        self._parts: list[bytes] = []
        encoding = (content_encoding or "").strip().lower()
        self._kind = self._encoding(encoding)
        self._inflater: zlib._Decompress | None = self._new_inflater()
        self._started = False  # a deflate body may be zlib-wrapped or raw; told by its start
        self._head = b""  # the first byte of a deflate body, until the second comes

    def _encoding(self, encoding: str) -> str:
        if encoding in _IDENTITY:
            return "identity"
        if encoding in _GZIP:
            return "gzip"
        if encoding == _DEFLATE:
            return "deflate"
        shown = encoding if len(encoding) <= 40 else encoding[:40] + "..."
        raise MalformedResponseError(
            f"the answer's Content-Encoding {shown!r} is not one the client asked for "
            "(gzip, deflate)",
            status_code=self.status_code,
        )

    def _new_inflater(self, raw_deflate: bool = False) -> zlib._Decompress | None:
        if self._kind == "gzip":
            return zlib.decompressobj(zlib.MAX_WBITS | 16)
        if self._kind == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS)
        return None

    def _too_large(self, what: str) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"the answer {what} more than max_response_bytes ({self.limit} bytes); the rest "
            "was not read: ask for smaller pages or fewer fields, or raise max_response_bytes",
            limit=self.limit,
            status_code=self.status_code,
        )

    def feed(self, raw: bytes) -> None:
        """Take in the next bytes of the body as they came off the wire.

        Raises:
            ResponseTooLargeError: The bytes received, or decoded, passed the limit.
            MalformedResponseError: The compressed body is corrupt.
        """
        if not raw:
            return
        self.received += len(raw)
        if self.received > self.limit:
            raise self._too_large("sent" if self._inflater is None else "sent (compressed)")
        if self._inflater is None:
            self.decoded += len(raw)
            self._parts.append(raw)
            return
        self._inflate(raw)

    def _inflate(self, data: bytes) -> None:
        if self._kind == "deflate" and not self._started:
            # "deflate" is zlib-wrapped by the standard, raw by some servers: its first two
            # bytes tell which (a zlib header names method 8 and is a multiple of 31).
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._started = True
            if not (data[0] & 0x0F == 8 and int.from_bytes(data[:2]) % 31 == 0):
                self._inflater = self._new_inflater(raw_deflate=True)
        while data:
            inflater = self._inflater
            assert inflater is not None
            room = self.limit - self.decoded + 1  # one byte over the cap tells it is too big
            try:
                out = inflater.decompress(data, room)
            except zlib.error:
                raise self._corrupt() from None
            self.decoded += len(out)
            if self.decoded > self.limit:
                raise self._too_large(f"inflated ({self._kind}) to")
            if out:
                self._parts.append(out)
            if inflater.eof:
                data = inflater.unused_data
                if data and self._kind != "gzip":
                    raise self._corrupt()
                if data:  # gzip allows several members, one after the other
                    self._inflater = self._new_inflater()
            else:
                data = inflater.unconsumed_tail

    def _corrupt(self) -> MalformedResponseError:
        return MalformedResponseError(
            f"the answer's {self._kind} body is corrupt", status_code=self.status_code
        )

    def finish(self) -> bytes:
        """The decoded body, once every byte has been fed.

        Raises:
            MalformedResponseError: The compressed body ended before its end marker.
        """
        inflater = self._inflater
        if self._head:
            raise self._corrupt()  # one byte: no deflate stream is that short
        if inflater is not None and self.received and not inflater.eof:
            raise MalformedResponseError(
                f"the answer's {self._kind} body is truncated", status_code=self.status_code
            )
        body = b"".join(self._parts)
        self._parts.clear()
        return body


def _reader(answer: httpx.Response, limit: int) -> BodyReader:
    return BodyReader(answer.headers.get("content-encoding"), limit, answer.status_code)


def _read_already(answer: httpx.Response, reader: BodyReader) -> bytes:
    """The body of an answer a layer in between has read already (a cassette recorder's).

    ``httpx`` decoded it then; it is only measured against the cap.
    """
    plain = BodyReader(None, reader.limit, reader.status_code)
    plain.feed(answer.content)
    return plain.finish()


def read_body(answer: httpx.Response, limit: int, deadline: Deadline) -> bytes:
    """Read a streamed answer's body under ``limit`` and ``deadline``.

    The deadline is checked as each piece arrives (an answer complete is kept, however late);
    a single wait for bytes is bounded by the read timeout, which the client sets no longer
    than the deadline.

    Raises:
        ResponseTooLargeError: The body passed ``limit`` (sent or inflated).
        DeadlineExceededError: The body was still arriving at the deadline.
        MalformedResponseError: An unknown encoding, or a corrupt compressed body.
    """
    reader = _reader(answer, limit)
    if answer.is_stream_consumed:
        return _read_already(answer, reader)
    for raw in answer.iter_raw():
        deadline.check()
        reader.feed(raw)
    return reader.finish()


async def aread_body(answer: httpx.Response, limit: int, deadline: Deadline) -> bytes:
    """The ``async`` twin of :func:`read_body` (the caller also cancels at the deadline)."""
    reader = _reader(answer, limit)
    if answer.is_stream_consumed:
        return _read_already(answer, reader)
    async for raw in answer.aiter_raw():
        deadline.check()
        reader.feed(raw)
    return reader.finish()
