"""Exceptions raised by ``intacct_sdk``: one root, branched by what the caller can do.

::

    IntacctError
    ├── ConfigurationError          bad credentials/options, invalid arguments (a ValueError)
    │   ├── ClientClosedError       a call on a client after close(): nothing was sent
    │   ├── MissingCredentialsError credentials lack required keys (``keys`` names them all)
    │   └── UntrustedEndpointError  a login answer named a session endpoint the client will not
    │                               send credentials to (another host, or http after https)
    ├── TransportError
    │   ├── RequestNotSentError     nothing reached Intacct (connect failed, DNS, pool timeout):
    │   │   │                       safe to retry
    │   │   └── SlotWaitTimeoutError  no slot of the company's shared limiter came free in time
    │   └── ResponseLostError       sent, then a timeout, reset or HTTP 524: a write may have
    │       │                       applied; reconcile before writing again
    │       └── DeadlineExceededError  no complete answer within the request's deadline
    ├── GatewayError                the gateway answered, but not with a usable result
    │   ├── MalformedResponseError  not XML, HTML page, truncated, DTD/entities, oversized
    │   │   ├── ResultMismatchError the results' control ids do not pair with the functions
    │   │   ├── ResponseTooLargeError  over ``max_response_bytes`` (sent or inflated), not retried
    │   │   └── PagingError         a paging walk that makes no progress (endless pages)
    │   ├── ValueTypeError          a value the schema types (integer, date...) does not parse
    │   ├── ServerError             HTTP 5xx (not 524) or a control-level failure
    │   │   └── ServiceOfflineError "The Service is Temporarily Off-line": nothing ran
    │   └── RateLimitError          HTTP 429 / GW-0010; ``retry_after`` seconds when known
    ├── AuthenticationError         sender or login rejected (XL03000006 and friends); ``level``
    │   │                           says whether the request (sender) or its operation was refused
    │   └── SessionExpiredError     the session id is no longer accepted
    └── FunctionError               one function failed (errorno, description, description2,
        │                           correction, control id, function, every error entry)
        ├── DuplicateControlIdError a ``uniqueid=true`` replay was refused: the write ran before
        └── TransactionAbortedError rolled back because another function of the transaction failed

Every exception keeps its facts in attributes and renders ``str()`` as one line. No message is
ever built from a request or response body, so passwords and session ids cannot leak through
them. Authentication errors end with what to check next (:func:`with_hint`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import attrs

__all__ = [
    "AuthenticationError",
    "ClientClosedError",
    "ConfigurationError",
    "DeadlineExceededError",
    "DuplicateControlIdError",
    "ErrorDetail",
    "FunctionError",
    "GatewayError",
    "IntacctError",
    "MalformedResponseError",
    "MissingCredentialsError",
    "PagingError",
    "RateLimitError",
    "RequestNotSentError",
    "ResponseLostError",
    "ResponseTooLargeError",
    "ResultMismatchError",
    "ServerError",
    "ServiceOfflineError",
    "SessionExpiredError",
    "SlotWaitTimeoutError",
    "TransactionAbortedError",
    "TransportError",
    "UntrustedEndpointError",
    "ValueTypeError",
]


@attrs.frozen(slots=True)
class ErrorDetail:
    """One ``<error>`` entry of a gateway ``<errormessage>``.

    The gateway lists entries most specific first; the last is often a generic
    "Could not create X record". Texts are already cleaned (tags stripped, entities
    and URL-encoded Support IDs decoded).
    """

    errorno: str
    description: str = ""
    description2: str = ""
    correction: str = ""

    @property
    def text(self) -> str:
        """The non-empty parts of the entry joined by spaces (as the official SDKs show it)."""
        return " ".join(p for p in (self.description, self.description2, self.correction) if p)

    def __str__(self) -> str:
        text = self.text
        return f"{self.errorno}: {text}" if text else self.errorno


def _one_line(text: str) -> str:
    return " ".join(text.split())


# What to do about a rejected authentication, appended to the messages that report it.
SENDER_HINT = (
    "check the sender id and sender password, and that the sender is authorised in the "
    "company's Web Services settings"
)
LOGIN_HINT = "check the company id, user id and user password (and the entity id, if one is set)"
SIGN_IN_HINT = (
    "check the sender id and sender password, then the company id, user id and user password"
)
SESSION_HINT = (
    "create a new session, or log in with user credentials (company id, user id, user password)"
)


def with_hint(message: str, hint: str) -> str:
    """``message`` followed by ``hint``, as a new sentence when ``message`` ends one."""
    if message.endswith((".", "!", "?")):
        return f"{message} {hint[:1].upper()}{hint[1:]}."
    return f"{message}; {hint}"


def _restore(cls: type[IntacctError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class IntacctError(Exception):
    """Root of every exception raised by ``intacct_sdk``.

    Args:
        message: A human-readable summary; rendered on one line.
    """

    def __init__(self, message: str) -> None:
        self.message = _one_line(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default Exception pickling.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class ConfigurationError(IntacctError, ValueError):
    """Bad or missing credentials or options, or an invalid argument to a function."""


class ClientClosedError(ConfigurationError):
    """A call on a client after ``close()``/``aclose()`` or its ``with`` block; nothing was sent.

    Paging iterators still running when the client is closed raise it at their next page.
    """


class MissingCredentialsError(ConfigurationError):
    """Credentials lack required keys; the message and ``keys`` name every one at once.

    Attributes:
        keys: The missing keys, in the order :class:`~intacct_sdk.Credentials` lists them.
    """

    def __init__(self, message: str, keys: tuple[str, ...]) -> None:
        super().__init__(message)
        self.keys = keys


class TransportError(IntacctError):
    """The HTTP exchange with the gateway failed.

    Args:
        message: What went wrong.
        status_code: The HTTP status when one was received (HTTP 524), else None.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class RequestNotSentError(TransportError):
    """Nothing reached Intacct (connect error, DNS, pool timeout): retrying is always safe."""


class SlotWaitTimeoutError(RequestNotSentError):
    """No slot of the company's shared request limiter (``ClientOptions.limiter``) came free
    in time: the request was never sent, so retrying is safe (the retry policy does)."""


class ResponseLostError(TransportError):
    """The request was sent but its answer was lost: a write may have been applied."""


class GatewayError(IntacctError):
    """The gateway answered, but not with a usable result.

    Args:
        message: What went wrong.
        status_code: HTTP status of the answer, when known.
        errorno: The gateway's error number, when the answer carried one.
        errors: Every error entry of the answer, most specific first.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        errorno: str | None = None,
        errors: Iterable[ErrorDetail] = (),
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.errorno = errorno
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)


class MalformedResponseError(GatewayError):
    """The answer is not a usable gateway response (not XML, HTML, truncated, DTD, too big)."""


class ResultMismatchError(MalformedResponseError):
    """The answer's results cannot be paired with the request's functions by control id.

    Each function is sent with its own control id and the gateway answers one result per
    function, in request order, echoing it. An answer whose control ids are missing,
    repeated, unknown or out of order is refused rather than paired by position: a result
    given to the wrong function would report another function's outcome (a write's keys,
    or its failure). The functions may have run: a write in the request is not resent.

    Args:
        message: What went wrong.
        expected: The control ids sent, in order.
        received: The control ids answered, in order.
    """

    def __init__(
        self, message: str, *, expected: Iterable[str] = (), received: Iterable[str] = ()
    ) -> None:
        super().__init__(message)
        self.expected: tuple[str, ...] = tuple(expected)
        self.received: tuple[str, ...] = tuple(received)


class ValueTypeError(GatewayError):
    """A record value that the schema facts type does not parse as that type.

    Raised while an answer is read, with ``strict_types=True`` (the default): the value is
    not turned into a string silently. ``ClientOptions(strict_types=False)`` keeps such
    values as the strings the gateway sent (logged once per object and field at WARNING).

    Args:
        message: What went wrong.
        object_name: The object of the record (``TIMESHEET``).
        field: The field, dotted for groups (``PERSONALINFO.EMAIL1``); a list item is named
            by its index (``TIMESHEETENTRIES[2].QTY``).
        value: The text the gateway sent (record values are not secrets).
        datatype: The schema type the value should have (``INTEGER``, ``DATE``...).
        position: The record's position in its page, from 0.
    """

    def __init__(
        self,
        message: str,
        *,
        object_name: str,
        field: str,
        value: str,
        datatype: str,
        position: int,
    ) -> None:
        super().__init__(message)
        self.object_name = object_name
        self.field = field
        self.value = value
        self.datatype = datatype
        self.position = position


class ServerError(GatewayError):
    """HTTP 5xx (other than 524), or a control-level failure not covered by another class."""


class ServiceOfflineError(ServerError):
    """The gateway refused the request as "temporarily off-line" (maintenance); nothing ran.

    The refusal comes before any function runs (at the control or authentication level), so
    the request is safe to send again, writes included; the client retries it per its policy.
    """


class RateLimitError(GatewayError):
    """HTTP 429 or gateway error GW-0010: too many requests or concurrent processes.

    Args:
        message: What went wrong.
        retry_after: Seconds the gateway asked to wait (``Retry-After``), when known.
        status_code: HTTP status of the answer.
        errorno: The gateway's error number, when the answer carried one.
        errors: Every error entry of the answer.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
        errorno: str | None = None,
        errors: Iterable[ErrorDetail] = (),
    ) -> None:
        super().__init__(message, status_code=status_code, errorno=errorno, errors=errors)
        self.retry_after = retry_after


class AuthenticationError(IntacctError):
    """The sender credentials or the login were rejected.

    ``level`` tells the two refusals apart. ``"control"``: the gateway refused the request
    itself, before reading its operation (the sender id or sender password, or the sign-in as
    a whole); a new session cannot help, so the client never renews one for it. ``"operation"``:
    the operation's ``<authentication>`` was refused (the user login, a sender the company has
    not authorised, or the session id); a rejected session is renewed once when the
    credentials hold a user login.

    Args:
        message: What went wrong.
        errorno: The gateway's error number (XL03000006, XMLGW_JPP0002, ...).
        description: The cleaned text of the first error entry.
        errors: Every error entry, most specific first.
        status_code: HTTP status of the answer, when known.
        level: ``"control"`` or ``"operation"``: where the gateway refused the request.
    """

    def __init__(
        self,
        message: str,
        *,
        errorno: str | None = None,
        description: str | None = None,
        errors: Iterable[ErrorDetail] = (),
        status_code: int | None = None,
        level: Literal["control", "operation"] = "operation",
    ) -> None:
        super().__init__(message)
        self.errorno = errorno
        self.description = description
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)
        self.status_code = status_code
        self.level: Literal["control", "operation"] = level


class SessionExpiredError(AuthenticationError):
    """The session id is no longer accepted (the client refreshes once, then raises this)."""


class FunctionError(IntacctError):
    """One function of a request failed; the others may have succeeded.

    Args:
        function: The function element name (``create``, ``readByQuery``, ...).
        control_id: The function's control id.
        errors: Every error entry, most specific first.
        status: The result status (``failure`` or ``aborted``).
        message: Overrides the generated one-line message.
    """

    def __init__(
        self,
        *,
        function: str,
        control_id: str,
        errors: Iterable[ErrorDetail] = (),
        status: str = "failure",
        message: str | None = None,
    ) -> None:
        self.function = function
        self.control_id = control_id
        self.status = status
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)
        first = self.errors[0] if self.errors else ErrorDetail("")
        self.errorno: str = first.errorno
        self.description: str = first.description
        self.description2: str = first.description2
        self.correction: str = first.correction
        if message is None:
            detail = "; ".join(str(e) for e in self.errors) or "no error details"
            message = f"{function} (control id {control_id!r}) {status}: {detail}"
        super().__init__(message)


class DuplicateControlIdError(FunctionError):
    """A ``uniqueid=true`` request repeated a function control id the gateway already ran.

    The earlier execution completed, so the write is already applied: read the record back
    instead of sending it again.
    """


class TransactionAbortedError(FunctionError):
    """The function was rolled back because another function of its transaction failed."""


class UntrustedEndpointError(ConfigurationError):
    """A login answer named a session endpoint the client refuses to send credentials to.

    The session endpoint must be on the login endpoint's own origin or on a host of
    ``ClientOptions.session_endpoint_hosts``, and never plain http after an https login.
    Nothing was sent to it; the session it came with is dropped.

    Args:
        message: Which endpoint was refused (its origin only) and why.
        endpoint: The refused endpoint's origin (``scheme://host[:port]``).
        reason: ``"downgrade"`` (http after https) or ``"host"`` (not an allowed host).
    """

    def __init__(
        self, message: str, *, endpoint: str, reason: Literal["downgrade", "host"]
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.reason: Literal["downgrade", "host"] = reason


class DeadlineExceededError(ResponseLostError):
    """No complete answer arrived within the request's overall deadline.

    The read timeout bounds each wait for bytes; the deadline bounds the whole attempt, so an
    answer trickled a byte at a time still ends. The request was sent, so like a read
    timeout it is retried only when resending is safe.

    Args:
        message: What went wrong.
        deadline: The deadline, in seconds.
    """

    def __init__(self, message: str, *, deadline: float) -> None:
        super().__init__(message)
        self.deadline = deadline


class ResponseTooLargeError(MalformedResponseError):
    """The answer grew past ``max_response_bytes`` while it was read; the rest was not read.

    Both the bytes on the wire and the bytes they inflate to (``Content-Encoding: gzip``) are
    counted, so neither an endless body nor a compression bomb can take more memory than the
    cap. It is not retried: the same request would get the same answer.

    Args:
        message: What went wrong.
        limit: The cap, in bytes.
        status_code: HTTP status of the answer.
    """

    def __init__(self, message: str, *, limit: int, status_code: int | None = None) -> None:
        super().__init__(message, status_code=status_code)
        self.limit = limit


class PagingError(MalformedResponseError):
    """A paging walk the gateway keeps going without progress (or with no records).

    A ``readByQuery`` walk whose ``numremaining`` does not fall from page to page, or a
    ``query`` walk whose next offset does not move past the last one, would otherwise
    request the same pages forever (each one billed).

    Args:
        message: What went wrong.
        function: The paging function (``query``, ``readByQuery``, ``readMore``).
        num_remaining: The ``numremaining`` of the page that stopped the walk.
    """

    def __init__(self, message: str, *, function: str, num_remaining: int | None) -> None:
        super().__init__(message)
        self.function = function
        self.num_remaining = num_remaining
