"""A typed client for Sage Intacct's XML Web Services gateway."""

from intacct_sdk import functions
from intacct_sdk._async_client import AsyncClient
from intacct_sdk._base import ClientStats
from intacct_sdk._client import Client
from intacct_sdk._config import ClientOptions, Credentials, RequestOptions
from intacct_sdk._errors import (
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    DuplicateControlIdError,
    ErrorDetail,
    FunctionError,
    GatewayError,
    IntacctError,
    MalformedResponseError,
    RateLimitError,
    RequestNotSentError,
    ResponseLostError,
    ServerError,
    SessionExpiredError,
    TransactionAbortedError,
    TransportError,
)
from intacct_sdk._results import Page, Result, SessionInfo
from intacct_sdk._retry import RetryPolicy
from intacct_sdk._values import ValueTyping
from intacct_sdk._version import __version__
from intacct_sdk.query import F, Filter, and_, or_

__all__ = [
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ClientClosedError",
    "ClientOptions",
    "ClientStats",
    "ConfigurationError",
    "Credentials",
    "DuplicateControlIdError",
    "ErrorDetail",
    "F",
    "Filter",
    "FunctionError",
    "GatewayError",
    "IntacctError",
    "MalformedResponseError",
    "Page",
    "RateLimitError",
    "RequestNotSentError",
    "RequestOptions",
    "ResponseLostError",
    "Result",
    "RetryPolicy",
    "ServerError",
    "SessionExpiredError",
    "SessionInfo",
    "TransactionAbortedError",
    "TransportError",
    "ValueTyping",
    "__version__",
    "and_",
    "functions",
    "or_",
]
