"""What a parsed gateway answer is made of: the response, its blocks, per-function results."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any, Final, Literal

import attrs

from intacct_sdk._errors import (
    DuplicateControlIdError,
    ErrorDetail,
    FunctionError,
    TransactionAbortedError,
)

__all__ = [
    "DUPLICATE_CONTROL_ID_ERRORNOS",
    "AuthInfo",
    "ControlInfo",
    "Page",
    "Response",
    "Result",
    "SessionInfo",
    "is_duplicate_control_id",
    "mismatch",
]

ResultStatus = Literal["success", "failure", "aborted"]

DUPLICATE_CONTROL_ID_ERRORNOS: Final = frozenset({"XL03000008"})
"""Error numbers taken to mean "this function control id already ran" (``uniqueid=true``).

No public source shows the gateway's literal refusal, so this is an assumption shared with
the emulator; :func:`is_duplicate_control_id` also recognises the refusal by its wording.
"""

_DUPLICATE_TEXT: Final = re.compile(
    r"control ?id.*(already|duplicate|previously|been (executed|processed|used))"
    r"|(duplicate|repeated).*control ?id",
    re.IGNORECASE,
)


def is_duplicate_control_id(errors: tuple[ErrorDetail, ...]) -> bool:
    """Whether ``errors`` report a refused replay of a function control id."""
    for e in errors:
        if e.errorno in DUPLICATE_CONTROL_ID_ERRORNOS:
            return True
        if _DUPLICATE_TEXT.search(f"{e.errorno} {e.text}") is not None:
            return True
    return False


@attrs.frozen(slots=True)
class ControlInfo:
    """The ``<control>`` block of an answer, echoing the request's control."""

    status: str
    sender_id: str | None = None
    control_id: str | None = None
    unique_id: bool | None = None
    dtd_version: str | None = None


@attrs.frozen(slots=True)
class AuthInfo:
    """The ``<authentication>`` block: who is signed in, and until when.

    Attributes:
        session_timestamp: When the session was last used (aware).
        session_timeout: When the session will expire unless used again (aware); the
            gateway reports it on every answer.
    """

    status: str
    user_id: str | None = None
    company_id: str | None = None
    location_id: str | None = None
    session_timestamp: datetime | None = None
    session_timeout: datetime | None = None


@attrs.frozen(slots=True)
class SessionInfo:
    """The payload of ``getAPISession``: a session id and the endpoint it belongs to."""

    session_id: str = attrs.field(repr=False)
    endpoint: str
    location_id: str | None = None


@attrs.frozen(slots=True)
class Page:
    """A list of records, and the paging facts the gateway sent with it.

    Attributes:
        records: One dict per record, keyed by Intacct field names (dotted for groups).
        listtype: The ``listtype`` attribute (object name; ``objects`` for create/update).
        count: Records in this page.
        total_count: Records the whole query matches (``totalcount``), when sent.
        num_remaining: Records after this page (``numremaining``), when sent.
        result_id: The ``readMore`` handle (``resultId``); None when absent or empty.
        offset: The ``offset`` of a ``query`` page, when sent.
    """

    records: list[dict[str, Any]]
    listtype: str = ""
    count: int = 0
    total_count: int | None = None
    num_remaining: int | None = None
    result_id: str | None = None
    offset: int | None = None

    @property
    def has_more(self) -> bool:
        """Whether the gateway said more records follow this page."""
        return bool(self.num_remaining)


@attrs.frozen(slots=True)
class Result:
    """The outcome of one function.

    Attributes:
        function: The function name the gateway echoed.
        control_id: The function's control id.
        status: ``success``, ``failure``, or ``aborted`` (rolled back with its transaction).
        page: Any list of records (reads, queries, create/update keys); may be empty.
        payload: Non-list data: :class:`SessionInfo` for ``getAPISession``, a dict for
            ``lookup``/``inspect``, the key text of a legacy ``create_xxx``.
        errors: Error entries, most specific first (empty on success).
    """

    function: str
    control_id: str
    status: ResultStatus
    page: Page | None = None
    payload: Any = None
    errors: tuple[ErrorDetail, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the function succeeded."""
        return self.status == "success"

    @property
    def data(self) -> Any:
        """The records of :attr:`page` when there is one, else :attr:`payload`."""
        return self.page.records if self.page is not None else self.payload

    @property
    def error(self) -> ErrorDetail | None:
        """The first (most specific) error entry, if any."""
        return self.errors[0] if self.errors else None

    def raise_for_error(self) -> None:
        """Raise the typed error of a failed function; do nothing on success.

        Raises:
            TransactionAbortedError: The function was rolled back with its transaction.
            DuplicateControlIdError: A ``uniqueid=true`` replay was refused (already ran).
            FunctionError: Any other failure.
        """
        if self.status == "success":
            return
        kwargs: dict[str, Any] = {
            "function": self.function,
            "control_id": self.control_id,
            "errors": self.errors,
            "status": self.status,
        }
        if self.status == "aborted":
            raise TransactionAbortedError(**kwargs)
        if is_duplicate_control_id(self.errors):
            raise DuplicateControlIdError(**kwargs)
        raise FunctionError(**kwargs)


@attrs.frozen(slots=True)
class Response:
    """A parsed gateway answer whose control and authentication succeeded.

    Attributes:
        control: The control block.
        authentication: The authentication block (None for an offline acknowledgement).
        results: One result per function, in request order.
        acknowledged: True when the answer is only the acknowledgement of an offline
            (``policyid``) request; its results are delivered later to the policy's URL.
    """

    control: ControlInfo
    authentication: AuthInfo | None
    results: tuple[Result, ...]
    acknowledged: bool = False

    def result(self, control_id: str) -> Result:
        """The result of the function with ``control_id``.

        Raises:
            KeyError: No result carries that control id.
        """
        for r in self.results:
            if r.control_id == control_id:
                return r
        raise KeyError(control_id)


def _ids(ids: list[str], limit: int = 3) -> str:
    shown = ", ".join(repr(i[:40]) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def mismatch(expected: list[str], received: list[str]) -> str:
    """What differs between the control ids sent and those answered, in a few words."""
    counts = Counter(received)
    repeated = sorted(i for i, n in counts.items() if n > 1)
    missing = [i for i in expected if i not in counts]
    sent = set(expected)
    unknown = [i for i in received if i not in sent]
    parts = []
    if len(received) != len(expected):
        parts.append(f"{len(received)} results for {len(expected)} functions")
    if missing:
        parts.append(f"no result for {_ids(missing)}")
    if repeated:
        parts.append(f"repeated {_ids(repeated)}")
    if unknown:
        parts.append(f"unknown {_ids(unknown)}")
    return ", ".join(parts) or "the results are not in request order"
