"""The REST API's failures, as branches of the XML client's error tree.

::

    IntacctError
    ├── TransportError (RequestNotSentError, ResponseLostError)   as for XML
    ├── GatewayError
    │   ├── MalformedResponseError   an answer that is not the JSON the API documents
    │   ├── ServerError              HTTP 5xx
    │   └── RateLimitError           HTTP 429 / GW-0010 (``retry_after``: X-IA-Throttle-RetryAfter)
    ├── AuthenticationError
    │   ├── OAuthError               the token endpoint refused a grant (``error``, ``status_code``)
    │   │   └── GrantRevokedError    the refresh token is dead (REST-2102, invalid_grant)
    │   └── SessionExpiredError
    │       └── TokenRejectedError   an API call refused the access token even after a refresh
    └── FunctionError
        └── RestRequestError         HTTP 400/403/405/422...: the API refused the request
            ├── NotFoundError        HTTP 404
            ├── ConflictError        HTTP 409 (an Idempotency-Key reused with another body...)
            └── RecordError          one record of a batch failed (``index``)

So ``except RateLimitError`` or ``except FunctionError`` catches the same situation from either
API. No message is built from a request body or a token; the API's own ``message`` text is
kept (it names fields and values, never credentials) and redacted by the client anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from intacct_sdk._errors import (
    AuthenticationError,
    ErrorDetail,
    FunctionError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
    SessionExpiredError,
)
from intacct_sdk._retry import parse_retry_after

__all__ = [
    "ConflictError",
    "GrantRevokedError",
    "NotFoundError",
    "OAuthError",
    "RecordError",
    "RestRequestError",
    "TokenRejectedError",
    "error_entries",
    "error_of",
    "retry_after_of",
]


class OAuthError(AuthenticationError):
    """The token endpoint refused a grant (client id/secret, username, code, refresh token).

    Args:
        message: What went wrong.
        error: The OAuth ``error`` code (``invalid_grant``, ``invalid_client``...), or the
            ``ia::error`` code when the endpoint answered in that shape.
        status_code: HTTP status of the answer.
    """

    def __init__(self, message: str, *, error: str | None = None, status_code: int | None = None):
        super().__init__(message, errorno=error, status_code=status_code, level="control")
        self.error = error


class GrantRevokedError(OAuthError):
    """The refresh token is no longer accepted: the grant was revoked, or replaced by a newer
    authorization of the same user and company (``REST-2102 Token is not valid``).

    Nothing but a new authorization helps; the client does not retry it.
    """


class TokenRejectedError(SessionExpiredError):
    """An API call refused the access token (expired, revoked, unknown: ``GW-0012``..``GW-0042``)
    and a fresh token did not help either."""


class RestRequestError(FunctionError):
    """The REST API refused a request (HTTP 400, 403, 405, 422...); retrying cannot change it.

    Attributes:
        status_code: HTTP status of the answer.
        code: The ``ia::error`` code (``errorno`` too).
        support_id: The answer's ``supportId``, for Sage support.
    """

    def __init__(
        self,
        *,
        function: str,
        errors: Iterable[ErrorDetail] = (),
        status_code: int | None = None,
        support_id: str | None = None,
        control_id: str = "",
        message: str | None = None,
    ) -> None:
        errors = tuple(errors)
        if message is None:
            detail = "; ".join(str(e) for e in errors) or "no error details"
            message = f"{function} failed (HTTP {status_code}): {detail}"
        super().__init__(function=function, control_id=control_id, errors=errors, message=message)
        self.status_code = status_code
        self.code = self.errorno
        self.support_id = support_id


class NotFoundError(RestRequestError):
    """HTTP 404: the object or record does not exist (or is not visible to the user)."""


class ConflictError(RestRequestError):
    """HTTP 409: the write conflicts (an Idempotency-Key reused with a different body, a
    duplicate id...)."""


class RecordError(RestRequestError):
    """One record of a batch write failed; the others are reported in their own results.

    Attributes:
        index: The record's position in the caller's input, from 0.
    """

    def __init__(self, *, index: int, **kwargs: Any) -> None:
        super().__init__(control_id=str(index), **kwargs)
        self.index = index


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _error_object(body: object) -> Mapping[str, Any] | None:
    """The ``ia::error`` of any of the three envelopes, or the legacy ``error`` object."""
    if not isinstance(body, Mapping):
        return None
    result = body.get("ia::result")
    if isinstance(result, Mapping) and isinstance(result.get("ia::error"), Mapping):
        found: Mapping[str, Any] = result["ia::error"]  # {"ia::result": {"ia::error": ...}}
        return found
    if isinstance(body.get("ia::error"), Mapping):
        top: Mapping[str, Any] = body["ia::error"]  # {"ia::error": {...}}
        return top
    legacy = body.get("error")
    if isinstance(legacy, Mapping):
        return legacy  # {"error": {"code", "message", "errorId"...}}
    return None


def error_entries(error: Mapping[str, Any]) -> tuple[tuple[ErrorDetail, ...], str | None]:
    """An ``ia::error`` as error entries (the error first, then its ``details``) and its
    support id."""
    code = _text(error.get("code") or error.get("errorId"))
    entries = [ErrorDetail(code, _text(error.get("message")))]
    details = error.get("details")
    if isinstance(details, list):
        for item in details:
            if isinstance(item, Mapping):
                text = _text(item.get("message"))
                field = _text(item.get("target") or item.get("field"))
                entries.append(ErrorDetail(_text(item.get("code")), text, field))
            else:
                entries.append(ErrorDetail("", _text(item)))
    support = error.get("supportId") or error.get("errorId")
    return tuple(entries), (_text(support) or None)


def retry_after_of(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``X-IA-Throttle-RetryAfter`` (or any ``X-IA-*-RetryAfter``) or
    ``Retry-After``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("x-ia-throttle-retryafter", "x-ia-throttle-retry-after"):
        if name in lowered:
            return parse_retry_after(lowered[name])
    for name, value in lowered.items():
        if name.startswith("x-ia-") and name.replace("-", "").endswith("retryafter"):
            return parse_retry_after(value)
    return parse_retry_after(lowered.get("retry-after"))


def error_of(
    status: int, body: bytes, headers: Mapping[str, str], *, function: str
) -> MalformedResponseError | ServerError | RateLimitError | RestRequestError | Exception:
    """The exception for a non-success answer (callers raise it, after redaction)."""
    try:
        parsed: object = json.loads(body) if body else None
    except ValueError:
        parsed = None
    error = _error_object(parsed)
    entries, support = error_entries(error) if error is not None else ((), None)
    code = entries[0].errorno if entries else None
    if status == 429 or code == "GW-0010":
        return RateLimitError(
            f"{function}: rate limit exceeded (HTTP {status})",
            retry_after=retry_after_of(headers),
            status_code=status,
            errorno=code or "GW-0010",
            errors=entries,
        )
    if status >= 500:
        return ServerError(
            f"{function}: server error (HTTP {status}{', ' + code if code else ''})",
            status_code=status,
            errorno=code,
            errors=entries,
        )
    if error is None and parsed is None and body:
        return MalformedResponseError(
            f"{function}: HTTP {status} with a body that is not JSON", status_code=status
        )
    cls: type[RestRequestError] = RestRequestError
    if status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = ConflictError
    return cls(function=function, errors=entries, status_code=status, support_id=support)
