"""Answers a later attempt can change: HTML error pages, the off-line notice, transient errors.

Integrations that run against the gateway in production retry these (shared reference §2.9
and the XML reference §4):

* **HTML error pages.** A CDN (Cloudflare's carry ``cf-error-details``), a load balancer or a
  maintenance page answers instead of the gateway, with any HTTP status, 200 included. Such a
  body is reported as what it is, "the server answered HTML (status N)", not as XML that
  failed to parse (an HTML page opens with ``<!DOCTYPE html>``, which the XML reader would
  otherwise refuse as a forbidden DTD).
* **"The Service is Temporarily Off-line"** in an error's description: the gateway is down for
  maintenance. Refused at the control or authentication level, nothing ran, so every request
  may be sent again (:class:`~intacct_sdk.ServiceOfflineError`).
* **DL02000001** "There was an error processing the request.", or the off-line text, on one
  function's result: transient at the gateway. A read that failed so is sent again (see
  :func:`transient_failure`); a write is never resent for it, since it may have run.

Nothing here reads a body beyond its first bytes, and no message quotes one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from intacct_sdk._errors import (
    ErrorDetail,
    GatewayError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
    ServiceOfflineError,
)

__all__ = [
    "OFFLINE_TEXT",
    "TRANSIENT_ERRORNOS",
    "html_answer",
    "is_offline",
    "offline_error",
    "transient_failure",
]

#: Function-level error numbers that a later attempt can clear.
TRANSIENT_ERRORNOS: Final = frozenset({"DL02000001"})
#: The gateway's maintenance notice ("The Service is Temporarily Off-line").
OFFLINE_TEXT: Final = re.compile(r"temporarily\s+off-?\s?line", re.IGNORECASE)

# An HTML document: a byte-order mark, white space, an XML declaration or comments may come
# before <!DOCTYPE html ...> or <html ...>. XHTML pages carry an XML declaration too.
_HTML_START: Final = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]{0,256}\?>\s*)?(?:<!--.{0,1024}?-->\s*)*"
    rb"<(?:!doctype\s+html|html[\s>/])",
    re.IGNORECASE | re.DOTALL,
)
_HEAD: Final = 4096
_CLOUDFLARE: Final = b"cf-error-details"


def html_answer(
    body: bytes, status_code: int, retry_after: float | None = None
) -> GatewayError | None:
    """The error for an HTML page answered instead of the gateway's XML, or None.

    Args:
        body: The answer's body.
        status_code: Its HTTP status.
        retry_after: Seconds from a ``Retry-After`` header, for a 429.

    Returns:
        :class:`RateLimitError` for HTTP 429, :class:`ServerError` for a 5xx,
        :class:`MalformedResponseError` for any other status (200 included); None when the
        body is not an HTML document.
    """
    head = body[:_HEAD]
    if _HTML_START.match(head) is None:
        return None
    where = " (a Cloudflare error page)" if _CLOUDFLARE in body else ""
    message = f"the server answered HTML (status {status_code}){where}, not the gateway's XML"
    if status_code == 429:
        return RateLimitError(
            f"rate limited: {message}", retry_after=retry_after, status_code=status_code
        )
    if status_code >= 500:
        return ServerError(message, status_code=status_code)
    return MalformedResponseError(message, status_code=status_code)


def is_offline(errors: Iterable[ErrorDetail]) -> bool:
    """Whether the gateway's error entries say it is temporarily off-line."""
    return any(OFFLINE_TEXT.search(e.text) is not None for e in errors)


def offline_error(errors: tuple[ErrorDetail, ...], status_code: int) -> None:
    """Raise :class:`ServiceOfflineError` when a refusal's errors say the gateway is off-line.

    Args:
        errors: The error entries of a control- or authentication-level refusal.
        status_code: The answer's HTTP status.

    Raises:
        ServiceOfflineError: The entries carry the off-line notice; nothing ran.
    """
    if is_offline(errors):
        summary = "; ".join(str(e) for e in errors)
        raise ServiceOfflineError(
            f"the gateway is temporarily off-line: {summary}",
            status_code=status_code,
            errorno=errors[0].errorno or None,
            errors=errors,
        )


def transient_failure(errors: Iterable[ErrorDetail]) -> bool:
    """Whether a failed function's errors are ones a later attempt can clear."""
    entries = tuple(errors)
    return any(e.errorno in TRANSIENT_ERRORNOS for e in entries) or is_offline(entries)
