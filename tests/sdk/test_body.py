"""The I/O-free body reader: decoding, the byte cap on both sides of it, and the deadline."""

from __future__ import annotations

import gzip
import zlib
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import (
    ClientOptions,
    ConfigurationError,
    DeadlineExceededError,
    MalformedResponseError,
    ResponseLostError,
    ResponseTooLargeError,
    RetryPolicy,
)
from intacct_sdk._body import BodyReader, Deadline


def encode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "raw-deflate":
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        return packer.compress(body) + packer.flush()
    return body


def header(encoding: str) -> str | None:
    return {"identity": None, "raw-deflate": "deflate"}.get(encoding, encoding)


def feed(reader: BodyReader, data: bytes, cuts: list[int]) -> bytes:
    """Feed ``data`` cut at ``cuts`` (any chunking the network might choose)."""
    edges = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    for start, end in pairwise(edges):
        reader.feed(data[start:end])
    return reader.finish()


ENCODINGS = st.sampled_from(["identity", "gzip", "deflate", "raw-deflate"])


@given(
    body=st.binary(max_size=4000),
    encoding=ENCODINGS,
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    slack=st.integers(min_value=0, max_value=100),
)
def test_a_body_within_the_cap_decodes_whatever_the_chunking(
    body: bytes, encoding: str, cuts: list[int], slack: int
) -> None:
    wire = encode(body, encoding)
    limit = max(len(body), len(wire), 1) + slack
    assert feed(BodyReader(header(encoding), limit, 200), wire, cuts) == body


@given(
    body=st.binary(min_size=2, max_size=4000),
    encoding=ENCODINGS,
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    short=st.integers(min_value=1, max_value=100),
)
def test_a_body_over_the_cap_is_refused_on_either_side_of_decoding(
    body: bytes, encoding: str, cuts: list[int], short: int
) -> None:
    wire = encode(body, encoding)
    limit = max(1, max(len(body), len(wire)) - short)
    with pytest.raises(ResponseTooLargeError) as info:
        feed(BodyReader(header(encoding), limit, 200), wire, cuts)
    assert info.value.limit == limit
    assert info.value.status_code == 200


def test_the_decoded_bytes_held_never_pass_the_cap_by_more_than_one() -> None:
    reader = BodyReader("gzip", 100_000, 200)
    with pytest.raises(ResponseTooLargeError, match=r"inflated \(gzip\)"):
        reader.feed(gzip.compress(b"\0" * 10**7))
    assert reader.decoded == 100_001


def test_several_gzip_members_are_one_body() -> None:
    reader = BodyReader("gzip", 100, 200)
    reader.feed(gzip.compress(b"<response>") + gzip.compress(b"</response>"))
    assert reader.finish() == b"<response></response>"


@pytest.mark.parametrize(
    ("encoding", "wire", "message"),
    [
        ("gzip", b"not gzip at all", "gzip body is corrupt"),
        ("deflate", b"\xff\xfe not deflate", "deflate body is corrupt"),
        ("gzip", gzip.compress(b"<response/>" * 50)[:-12], "gzip body is truncated"),
        ("deflate", zlib.compress(b"<response/>") + b"tail", "deflate body is corrupt"),
        ("br", b"", "Content-Encoding 'br' is not one the client asked for"),
        ("gzip, gzip", b"", "Content-Encoding 'gzip, gzip'"),
    ],
)
def test_bodies_the_reader_cannot_decode_are_malformed(
    encoding: str, wire: bytes, message: str
) -> None:
    def read() -> bytes:
        reader = BodyReader(encoding, 10**6, 502)
        reader.feed(wire)
        return reader.finish()

    with pytest.raises(MalformedResponseError, match=message) as info:
        read()
    assert not isinstance(info.value, ResponseTooLargeError)
    assert info.value.status_code == 502


def test_identity_encodings_are_read_as_they_are() -> None:
    for encoding in (None, "", "identity", " Identity "):
        reader = BodyReader(encoding, 10, 200)
        reader.feed(b"abc")
        assert reader.finish() == b"abc"


def test_deadline_passes_on_its_clock() -> None:
    now = [100.0]
    deadline = Deadline(5, "gw.example.test:443", clock=lambda: now[0])
    deadline.check()
    now[0] = 104.5
    assert deadline.remaining() == pytest.approx(0.5)
    deadline.check()
    now[0] = 105.0
    assert deadline.remaining() == 0
    with pytest.raises(DeadlineExceededError) as info:
        deadline.check()
    assert isinstance(info.value, ResponseLostError)
    assert str(info.value) == (
        "no complete answer from gw.example.test:443 within the deadline of 5 s "
        "(ClientOptions.deadline)"
    )


def test_deadline_defaults_to_twice_the_timeout() -> None:
    assert ClientOptions().request_deadline == 180
    assert ClientOptions(timeout=10).request_deadline == 20
    assert ClientOptions(timeout=10, deadline=3).request_deadline == 3
    assert ClientOptions().merge({"deadline": 7}).request_deadline == 7


@pytest.mark.parametrize("bad", [0, -1, "5", True])
def test_deadline_must_be_positive(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="deadline must be a positive number or None"):
        ClientOptions(deadline=bad)  # type: ignore[arg-type]


def test_too_large_is_not_retried_but_lost_for_a_write() -> None:
    error = ResponseTooLargeError("too big", limit=10, status_code=200)
    read = RetryPolicy().start(replay_safe=True)
    with pytest.raises(ResponseTooLargeError):
        read.next_delay(error)
    write = RetryPolicy().start(replay_safe=False)
    with pytest.raises(ResponseLostError) as info:
        write.next_delay(error)
    assert info.value.__cause__ is error
