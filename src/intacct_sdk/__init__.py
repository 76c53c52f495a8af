"""A typed client for Sage Intacct's XML Web Services gateway.

``import intacct_sdk`` is cheap: the names below load their modules on first use (PEP 562),
so a command line or a short-lived worker pays for httpx, attrs and the function classes only
when it touches a name that needs them. ``from intacct_sdk import Client`` works as usual.
"""

from __future__ import annotations

from intacct_sdk._lazy import exports
from intacct_sdk._version import __version__

# Not ``typing.TYPE_CHECKING``: importing typing alone costs more than the rest of this file.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from intacct_sdk import functions
    from intacct_sdk._async_client import AsyncClient
    from intacct_sdk._base import ClientStats
    from intacct_sdk._client import Client
    from intacct_sdk._config import ClientOptions, Credentials, RequestOptions, format_settings
    from intacct_sdk._errors import (
        AuthenticationError,
        ClientClosedError,
        ConfigurationError,
        DeadlineExceededError,
        DuplicateControlIdError,
        ErrorDetail,
        FunctionError,
        GatewayError,
        IntacctError,
        MalformedResponseError,
        MissingCredentialsError,
        PagingError,
        RateLimitError,
        RequestNotSentError,
        ResponseLostError,
        ResponseTooLargeError,
        ResultMismatchError,
        ServerError,
        ServiceOfflineError,
        SessionExpiredError,
        SlotWaitTimeoutError,
        TransactionAbortedError,
        TransportError,
        UntrustedEndpointError,
        ValueTypeError,
    )
    from intacct_sdk._formats import DateFormat, ValueFormat
    from intacct_sdk._limiter import LocalLimiter, RequestLimiter
    from intacct_sdk._results import Page, Result, SessionInfo
    from intacct_sdk._retry import RetryPolicy
    from intacct_sdk._values import ValueTyping
    from intacct_sdk.query import F, Filter, and_, or_

# Where each lazily loaded name lives: the module, relative to this package.
_WHERE = {
    "AsyncClient": "_async_client",
    "ClientStats": "_base",
    "Client": "_client",
    "ClientOptions": "_config",
    "Credentials": "_config",
    "RequestOptions": "_config",
    "format_settings": "_config",
    "AuthenticationError": "_errors",
    "ClientClosedError": "_errors",
    "ConfigurationError": "_errors",
    "MissingCredentialsError": "_errors",
    "DeadlineExceededError": "_errors",
    "DuplicateControlIdError": "_errors",
    "ErrorDetail": "_errors",
    "FunctionError": "_errors",
    "GatewayError": "_errors",
    "IntacctError": "_errors",
    "MalformedResponseError": "_errors",
    "PagingError": "_errors",
    "RateLimitError": "_errors",
    "RequestNotSentError": "_errors",
    "ResponseLostError": "_errors",
    "ResponseTooLargeError": "_errors",
    "ResultMismatchError": "_errors",
    "ValueTypeError": "_errors",
    "ServerError": "_errors",
    "ServiceOfflineError": "_errors",
    "SessionExpiredError": "_errors",
    "SlotWaitTimeoutError": "_errors",
    "TransactionAbortedError": "_errors",
    "TransportError": "_errors",
    "UntrustedEndpointError": "_errors",
    "DateFormat": "_formats",
    "ValueFormat": "_formats",
    "LocalLimiter": "_limiter",
    "RequestLimiter": "_limiter",
    "Page": "_results",
    "Result": "_results",
    "SessionInfo": "_results",
    "RetryPolicy": "_retry",
    "ValueTyping": "_values",
    "F": "query",
    "Filter": "query",
    "and_": "query",
    "or_": "query",
}
# Submodules that are exported as names of their own.
_SUBMODULES = frozenset({"functions"})

__all__ = [
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ClientClosedError",
    "ClientOptions",
    "ClientStats",
    "ConfigurationError",
    "Credentials",
    "DateFormat",
    "DeadlineExceededError",
    "DuplicateControlIdError",
    "ErrorDetail",
    "F",
    "Filter",
    "FunctionError",
    "GatewayError",
    "IntacctError",
    "LocalLimiter",
    "MalformedResponseError",
    "MissingCredentialsError",
    "Page",
    "PagingError",
    "RateLimitError",
    "RequestLimiter",
    "RequestNotSentError",
    "RequestOptions",
    "ResponseLostError",
    "ResponseTooLargeError",
    "Result",
    "ResultMismatchError",
    "RetryPolicy",
    "ServerError",
    "ServiceOfflineError",
    "SessionExpiredError",
    "SessionInfo",
    "SlotWaitTimeoutError",
    "TransactionAbortedError",
    "TransportError",
    "UntrustedEndpointError",
    "ValueFormat",
    "ValueTypeError",
    "ValueTyping",
    "__version__",
    "and_",
    "format_settings",
    "functions",
    "or_",
]


if not TYPE_CHECKING:
    # Hidden from type checkers: they see the imports above, and a misspelt name stays an error
    # for them instead of becoming ``Any``.
    __getattr__, __dir__ = exports(globals(), _WHERE, _SUBMODULES)
