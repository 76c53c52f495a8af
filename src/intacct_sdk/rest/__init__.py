"""A client for Sage Intacct's REST API (``/ia/api/v1``): OAuth 2.0, the query service and writes.

::

    from intacct_sdk.rest import RestClient, RestCredentials

    creds = RestCredentials(client_id="...", client_secret="...", username="user@company")
    with RestClient(creds) as rest:
        for record in rest.query("company-config/employee", ["key", "id", "name"]):
            ...

See the REST guide (``docs/rest.md``) for both OAuth grants, token storage, errors, paging,
idempotency and the bridge to the XML client.
"""

from __future__ import annotations

from intacct_sdk.rest._async import AsyncRestClient
from intacct_sdk.rest._client import RestClient
from intacct_sdk.rest._core import (
    MAX_BATCH,
    MAX_PAGE_SIZE,
    QueryPage,
    RecordResult,
    RestOptions,
    RestStats,
    WriteResult,
    XmlSession,
    delete_line,
    get_path,
)
from intacct_sdk.rest._errors import (
    ConflictError,
    GrantRevokedError,
    NotFoundError,
    OAuthError,
    RecordError,
    RestRequestError,
    TokenRejectedError,
)
from intacct_sdk.rest._filters import render_filter
from intacct_sdk.rest._oauth import (
    DEFAULT_BASE_URL,
    AuthorizationRequest,
    MemoryTokenStore,
    RestCredentials,
    TokenSet,
    TokenStore,
    authorization_url,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_BATCH",
    "MAX_PAGE_SIZE",
    "AsyncRestClient",
    "AuthorizationRequest",
    "ConflictError",
    "GrantRevokedError",
    "MemoryTokenStore",
    "NotFoundError",
    "OAuthError",
    "QueryPage",
    "RecordError",
    "RecordResult",
    "RestClient",
    "RestCredentials",
    "RestOptions",
    "RestRequestError",
    "RestStats",
    "TokenRejectedError",
    "TokenSet",
    "TokenStore",
    "WriteResult",
    "XmlSession",
    "authorization_url",
    "delete_line",
    "get_path",
    "render_filter",
]
