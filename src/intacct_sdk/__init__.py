"""A typed client for Sage Intacct's XML Web Services gateway."""

from intacct_sdk import functions
from intacct_sdk._errors import (
    AuthenticationError,
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
from intacct_sdk._values import ValueTyping
from intacct_sdk._version import __version__
from intacct_sdk.query import F, Filter, and_, or_

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
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
    "ResponseLostError",
    "Result",
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
