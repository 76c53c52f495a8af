"""Recording gateway exchanges with vcrpy, with every secret scrubbed before it is written.

A cassette of a real Intacct session would otherwise hold the sender password and the user
password (in every login request), session ids (in every request and in the
``getAPISession`` answer) and whatever sensitive fields the records carry. :func:`intacct_vcr`
returns a ``vcr.VCR`` whose filters replace the content of those elements by ``REDACTED`` in
request **and** response bodies, blank session ids in URLs, and drop credential headers,
before anything reaches the YAML file.

Requests are matched on method, scheme, host, port and path only: bodies carry random control
ids, so they never match byte for byte; the recorded answers are played back in order. The
client pairs results with functions by control id, so each replayed answer has the control
ids of its results replaced by those of the request being answered, in order (a replayed
answer stands for the request now sent, function for function).

A replayed session works unchanged: the client logs in, gets the session id ``REDACTED`` from
the cassette, and sends it back to the cassette, which does not check it.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from intacct_sdk._log import redact_text

__all__ = ["intacct_vcr", "scrub_request", "scrub_response"]

_DROP_HEADERS = ("authorization", "cookie", "set-cookie", "proxy-authorization")
_FUNCTION_ID = re.compile(r"<function\s[^>]*?controlid=(?:\"([^\"]*)\"|'([^']*)')")
_RESULT_ID = re.compile(
    r"(<result>\s*<status>[^<]*</status>\s*<function>[^<]*</function>\s*<controlid>)"
    r"[^<]*(</controlid>)"
)


def with_request_control_ids(response: dict[str, Any], request_body: Any) -> dict[str, Any]:
    """A copy of a recorded ``response`` whose results carry the control ids of the
    functions of ``request_body``, in order (unchanged when the counts differ)."""
    body = response.get("body")
    if not isinstance(body, dict) or not body.get("string") or not request_body:
        return response
    sent = (
        request_body.decode("utf-8", "replace")
        if isinstance(request_body, bytes)
        else str(request_body)
    )
    ids = [html.unescape(a or b) for a, b in _FUNCTION_ID.findall(sent)]
    data = body["string"]
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else str(data)
    if len(_RESULT_ID.findall(text)) != len(ids):
        return response
    it = iter(ids)
    text = _RESULT_ID.sub(lambda m: f"{m[1]}{escape(next(it))}{m[2]}", text)
    string = text.encode("utf-8", "surrogateescape") if isinstance(data, bytes) else text
    return {**response, "body": {**body, "string": string}}


def _scrub(data: Any, secrets: Iterable[str]) -> Any:
    if isinstance(data, bytes):
        text = data.decode("utf-8", errors="surrogateescape")
        return redact_text(text, secrets).encode("utf-8", errors="surrogateescape")
    if isinstance(data, str):
        return redact_text(data, secrets)
    return data


def scrub_request(request: Any, secrets: Iterable[str] = ()) -> Any:
    """Scrub a ``vcr.request.Request`` in place (body, URI, headers) and return it.

    The content of password, session ID and other sensitive elements becomes ``REDACTED``
    in the body, session IDs in the URI too, every value of ``secrets`` is replaced wherever
    it appears, and the Authorization, Cookie, Set-Cookie and Proxy-Authorization headers
    are dropped.

    Args:
        request: The request vcrpy is about to record.
        secrets: Literal values to remove as well (empty strings are ignored).

    Returns:
        ``request`` itself, scrubbed.
    """
    secrets = tuple(s for s in secrets if s)
    if request.body:
        request.body = _scrub(request.body, secrets)
    request.uri = redact_text(request.uri, secrets)
    for name in list(request.headers):
        if name.lower() in _DROP_HEADERS:
            del request.headers[name]
        else:
            request.headers[name] = _scrub(request.headers[name], secrets)
    return request


def scrub_response(response: dict[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """Scrub a vcrpy response dict (body and headers) in place and return it.

    The same scrubbing as :func:`scrub_request`: sensitive elements (the session ID in a
    ``getAPISession`` answer among them) and ``secrets`` in the body and header values, and
    credential headers dropped.

    Args:
        response: The response as vcrpy records it (``body.string``, ``headers``...).
        secrets: Literal values to remove as well (empty strings are ignored).

    Returns:
        ``response`` itself, scrubbed.
    """
    secrets = tuple(s for s in secrets if s)
    body = response.get("body")
    if isinstance(body, dict) and body.get("string"):
        body["string"] = _scrub(body["string"], secrets)
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in _DROP_HEADERS:
            del headers[name]
        else:
            values = headers[name]
            if isinstance(values, list):
                headers[name] = [_scrub(v, secrets) for v in values]
            else:
                headers[name] = _scrub(values, secrets)
    return response


def intacct_vcr(
    cassette_library_dir: str | os.PathLike[str] | None = None,
    *,
    record_mode: str = "once",
    secrets: Iterable[str] = (),
    **vcr_options: Any,
) -> Any:
    """A ``vcr.VCR`` configured for the Intacct gateway, with secrets scrubbed.

    Args:
        cassette_library_dir: Where cassettes live.
        record_mode: vcrpy's record mode (``once``, ``none``, ``new_episodes``, ``all``).
        secrets: Literal values to remove wherever they appear (e.g. a company id you
            consider private), on top of the passwords and session ids always removed.
        **vcr_options: Passed on to ``vcr.VCR`` (they override the defaults here).

    Returns:
        The configured ``vcr.VCR``.

    Raises:
        ImportError: vcrpy is not installed (it comes with the ``test`` extra).
    """

    extra = tuple(secrets)
    options: dict[str, Any] = {
        "record_mode": record_mode,
        "match_on": ("method", "scheme", "host", "port", "path"),
        "decode_compressed_response": True,
        "before_record_request": lambda r: scrub_request(r, extra),
        "before_record_response": lambda r: scrub_response(r, extra),
    }
    if cassette_library_dir is not None:
        options["cassette_library_dir"] = str(Path(cassette_library_dir))
    options.update(vcr_options)
    return _vcr_class()(**options)


def _vcr_class() -> Any:
    """``vcr.VCR`` whose cassettes replay answers with the live request's control ids."""
    import functools

    import vcr
    from vcr.cassette import Cassette

    class IntacctCassette(Cassette):  # type: ignore[misc]
        def play_response(self, request: Any) -> Any:
            return with_request_control_ids(super().play_response(request), request.body)

    class IntacctVCR(vcr.VCR):  # type: ignore[misc]
        def _use_cassette(self, with_current_defaults: bool = False, **kwargs: Any) -> Any:
            if with_current_defaults:
                return IntacctCassette.use(**self.get_merged_config(**kwargs))
            return IntacctCassette.use_arg_getter(
                functools.partial(self.get_merged_config, **kwargs)
            )

    return IntacctVCR
