"""Reading gateway answers: bytes in, a :class:`Response` or a typed exception out.

The gateway reports failure at three levels, and each level maps to one outcome:

1. ``response/control/status`` failure: nothing ran. ``GW-0010`` (or HTTP 429) raises
   :class:`RateLimitError`; sender/login rejections (``XL03000006``, ``XMLGW_JPP0002``)
   raise :class:`AuthenticationError` with ``level="control"``; anything else raises
   :class:`ServerError`.
2. ``operation/authentication/status`` failure: no function ran; raises
   :class:`AuthenticationError` (``level="operation"``), or :class:`SessionExpiredError` when
   the error text speaks of the session (the gateway's wording for an expired session is not
   documented).
3. ``result/status`` per function: never raised here. Each :class:`Result` carries its
   status and errors; :meth:`Result.raise_for_error` raises :class:`FunctionError`,
   :class:`TransactionAbortedError` (``aborted``) or :class:`DuplicateControlIdError`.

An authentication error's message keeps the gateway's text and ends with what to check: the
sender (control level, or a sender the company has not authorised), the user login, or the
session.

Duplicate control ids: with ``uniqueid=true`` the gateway refuses a function whose control
id already ran, but no source shows the literal refusal. We take errorno ``XL03000008``
(next to the documented ``XL03000003``/``XL03000006``/``XL03000009`` control-level
numbers) or error text naming a repeated/already-used control id as that refusal; see
:data:`intacct_sdk._results.DUPLICATE_CONTROL_ID_ERRORNOS`.

HTTP status: a 4xx answer with an XML body (the gateway sends 401 with a control
failure) is read like any other; 429 is always :class:`RateLimitError`; any other non-2xx
answer without a usable ``<response>`` is :class:`ServerError` (5xx) or
:class:`MalformedResponseError` (others). HTTP 524 never reaches this module: the transport
layer reports it as a lost response. An HTML page, whatever its status, and the gateway's
"temporarily off-line" refusal are recognised first (:mod:`intacct_sdk._transient`).

Records are read by :mod:`intacct_sdk._read_records` (flat dicts keyed by Intacct field
names, values typed by :mod:`intacct_sdk._values`, a value that does not type refused as
:class:`ValueTypeError` unless typing is lenient).
"""

from __future__ import annotations

import gc
import html
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from intacct_sdk._errors import (
    LOGIN_HINT,
    SENDER_HINT,
    SESSION_HINT,
    SIGN_IN_HINT,
    AuthenticationError,
    ErrorDetail,
    MalformedResponseError,
    RateLimitError,
    ServerError,
    SessionExpiredError,
    with_hint,
)
from intacct_sdk._read_records import EMPTY_TABLE, UNTYPED, fill, read_records, singular
from intacct_sdk._results import (
    AuthInfo,
    ControlInfo,
    Page,
    Response,
    Result,
    SessionInfo,
)
from intacct_sdk._transient import html_answer, offline_error
from intacct_sdk._values import ValueTyping
from intacct_sdk._xml import DEFAULT_MAX_BYTES, parse_xml

__all__ = ["parse_response", "read_errors"]


RATE_LIMIT_ERRORNOS: Final = frozenset({"GW-0010"})
AUTH_ERRORNOS: Final = frozenset({"XL03000006", "XMLGW_JPP0002"})
_DEFAULT_TYPING: Final = ValueTyping()
_STATUSES: Final[frozenset[str]] = frozenset({"success", "failure", "aborted"})
Redact = Callable[[str], str]

_TAG: Final = re.compile(r"<[^>]*>")
_SUPPORT_ID: Final = re.compile(r"\[Support ID: ([^\]]*)\]")
_SESSION_TEXT: Final = re.compile(r"session", re.IGNORECASE)
# An authentication-level refusal of a sender the company has not authorised ("Invalid Web
# Services Authorization", "The sender ID 'x' is not authorized to make Web Services ...").
_SENDER_TEXT: Final = re.compile(r"sender|web services authori[sz]ation", re.IGNORECASE)


def parse_response(
    body: bytes,
    *,
    status_code: int = 200,
    content_type: str | None = None,
    typing: ValueTyping = _DEFAULT_TYPING,
    max_bytes: int = DEFAULT_MAX_BYTES,
    retry_after: float | None = None,
    redact: Redact | None = None,
) -> Response:
    """Parse a gateway answer.

    Args:
        body: The raw response body.
        status_code: The HTTP status of the answer.
        content_type: The ``Content-Type`` header, when known (informational: any body
            that parses as a gateway ``<response>`` is read).
        typing: How record values are typed.
        max_bytes: Refuse bodies larger than this.
        retry_after: Seconds from a ``Retry-After`` header, passed on to
            :class:`RateLimitError`.
        redact: Applied to every error text of the answer, before and after it is cleaned
            (cleaning strips tags, which could leave a secret unrecognisable): a client
            passes its redactor, so no error built from the answer quotes a secret.

    Returns:
        The response, with one result per function.

    Raises:
        MalformedResponseError: Not a usable gateway answer.
        RateLimitError: HTTP 429 or GW-0010.
        ServerError: HTTP 5xx without a usable answer, or a control-level failure.
        AuthenticationError: Sender or login rejected (SessionExpiredError for a session).
    """
    del content_type  # the body decides; see the docstring
    if not _COLLECTOR.pause():
        return _parse(body, status_code, typing, max_bytes, retry_after, redact)
    try:
        return _parse(body, status_code, typing, max_bytes, retry_after, redact)
    finally:
        _COLLECTOR.resume()


class _CollectorPause:
    """Pauses Python's cyclic garbage collector while answers are parsed.

    A page is tens of thousands of element objects and a few thousand record dicts, none of
    them in a reference cycle; while they are built, the collector would walk the growing
    tree again and again (a third of the parse's time in a small process). Reference
    counting still frees everything as usual; collection resumes when the last parse
    running in any thread ends. A collector the application has disabled is left alone.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0

    def pause(self) -> bool:
        """Pause (or join a pause in progress); False when the collector was off already."""
        with self._lock:
            if self._holders == 0:
                if not gc.isenabled():
                    return False
                gc.disable()
            self._holders += 1
            return True

    def resume(self) -> None:
        """End one :meth:`pause`; the last one re-enables the collector."""
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                gc.enable()


_COLLECTOR: Final = _CollectorPause()


def _parse(
    body: bytes,
    status_code: int,
    typing: ValueTyping,
    max_bytes: int,
    retry_after: float | None,
    redact: Redact | None,
) -> Response:
    html = html_answer(body, status_code, retry_after)  # a CDN's or maintenance page
    if html is not None:
        raise html
    try:
        root = parse_xml(body, max_bytes=max_bytes)
        if root.tag != "response":
            raise MalformedResponseError(
                f"answer is a <{_safe_tag(root.tag)}> document, not a gateway <response>"
            )
    except MalformedResponseError as exc:
        if status_code == 429:
            raise RateLimitError(
                "rate limited (HTTP 429)", retry_after=retry_after, status_code=429
            ) from None
        if status_code >= 500:
            raise ServerError(
                f"HTTP {status_code} from the gateway without a usable answer ({exc})",
                status_code=status_code,
            ) from None
        if not 200 <= status_code < 300:
            raise MalformedResponseError(
                f"HTTP {status_code} from the gateway without a usable answer ({exc})",
                status_code=status_code,
            ) from None
        raise MalformedResponseError(str(exc), status_code=status_code) from None
    return _read(root, status_code, typing, retry_after, redact)


def _safe_tag(tag: Any) -> str:
    text = str(tag)
    return text if len(text) <= 40 and text.isprintable() else "unexpected"


# --------------------------------------------------------------------------- errors


def _clean(text: str | None, redact: Redact | None = None) -> str:
    """Error text as the official SDKs show it: entities decoded, tags stripped (and
    ``redact`` applied before and after)."""
    if not text:
        return ""
    if redact is not None:
        return redact(_clean(redact(text)))
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub("", text)
    if "[Support ID:" in text:
        text = _SUPPORT_ID.sub(lambda m: f"[Support ID: {urllib.parse.unquote(m[1])}]", text)
    return " ".join(text.split())


def read_errors(
    errormessage: ET.Element | None, redact: Redact | None = None
) -> tuple[ErrorDetail, ...]:
    """The cleaned entries of an ``<errormessage>`` element (empty for None).

    Args:
        errormessage: The element, or None.
        redact: Applied to each text before and after cleaning (see :func:`parse_response`).
    """
    if errormessage is None:
        return ()
    return tuple(
        ErrorDetail(
            errorno=_clean(e.findtext("errorno"), redact),
            description=_clean(e.findtext("description"), redact),
            description2=_clean(e.findtext("description2"), redact),
            correction=_clean(e.findtext("correction"), redact),
        )
        for e in errormessage.iterfind("error")
    )


def _summary(errors: tuple[ErrorDetail, ...]) -> str:
    return "; ".join(str(e) for e in errors) or "no error details"


# --------------------------------------------------------------------------- blocks


def _opt(elem: ET.Element, tag: str) -> str | None:
    text = elem.findtext(tag)
    return text if text else None


def _bool(text: str | None) -> bool | None:
    if text is None:
        return None
    low = text.strip().lower()
    return True if low == "true" else False if low == "false" else None


def _iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.strip().isdigit():
        return None
    return int(text)


def _read(
    root: ET.Element,
    status_code: int,
    typing: ValueTyping,
    retry_after: float | None,
    redact: Redact | None,
) -> Response:
    control_el = root.find("control")
    if control_el is None:
        raise MalformedResponseError("gateway response has no <control> block")
    control = ControlInfo(
        status=(control_el.findtext("status") or "").strip(),
        sender_id=_opt(control_el, "senderid"),
        control_id=_opt(control_el, "controlid"),
        unique_id=_bool(control_el.findtext("uniqueid")),
        dtd_version=_opt(control_el, "dtdversion"),
    )
    if control.status != "success" or status_code == 429:
        errors = read_errors(root.find("errormessage"), redact)
        _control_failure(control, errors, status_code, retry_after)

    ack = root.find("acknowledgement")
    if ack is not None:
        if (ack.findtext("status") or "").strip() != "success":
            raise ServerError(
                "offline request was not acknowledged",
                status_code=status_code,
            )
        return Response(control=control, authentication=None, results=(), acknowledged=True)

    operation = root.find("operation")
    if operation is None:
        raise MalformedResponseError("gateway response has no <operation> block")
    auth_el = operation.find("authentication")
    if auth_el is None:
        raise MalformedResponseError("gateway response has no <authentication> block")
    auth = AuthInfo(
        status=(auth_el.findtext("status") or "").strip(),
        user_id=_opt(auth_el, "userid"),
        company_id=_opt(auth_el, "companyid"),
        location_id=_opt(auth_el, "locationid"),
        session_timestamp=_iso(auth_el.findtext("sessiontimestamp")),
        session_timeout=_iso(auth_el.findtext("sessiontimeout")),
    )
    if auth.status != "success":
        errors = read_errors(operation.find("errormessage"), redact)
        offline_error(errors, status_code)
        first = errors[0] if errors else ErrorDetail("")
        text = " ".join(e.text for e in errors)
        cls: type[AuthenticationError] = AuthenticationError
        if _SESSION_TEXT.search(text):
            cls, hint = SessionExpiredError, SESSION_HINT
        elif _SENDER_TEXT.search(text):
            hint = SENDER_HINT
        else:
            hint = LOGIN_HINT
        raise cls(
            with_hint(f"authentication failed: {_summary(errors)}", hint),
            errorno=first.errorno or None,
            description=first.text or None,
            errors=errors,
            status_code=status_code,
            level="operation",
        )
    results = tuple(_result(r, typing, redact) for r in operation.iterfind("result"))
    return Response(control=control, authentication=auth, results=results)


def _control_failure(
    control: ControlInfo,
    errors: tuple[ErrorDetail, ...],
    status_code: int,
    retry_after: float | None,
) -> None:
    numbers = {e.errorno for e in errors}
    first = errors[0].errorno if errors else None
    summary = _summary(errors)
    if status_code == 429 or numbers & RATE_LIMIT_ERRORNOS:
        limited = next((n for n in numbers if n in RATE_LIMIT_ERRORNOS), first)
        raise RateLimitError(
            f"rate limited: {summary}",
            retry_after=retry_after,
            status_code=status_code,
            errorno=limited,
            errors=errors,
        )
    if numbers & AUTH_ERRORNOS:
        auth = next(e for e in errors if e.errorno in AUTH_ERRORNOS)
        # XL03000006 here is the sender check; XMLGW_JPP0002 ("Sign-in information is
        # incorrect", with HTTP 401) does not say which of sender or login it refused.
        hint = SENDER_HINT if auth.errorno == "XL03000006" else SIGN_IN_HINT
        raise AuthenticationError(
            with_hint(f"gateway refused the sender or login: {summary}", hint),
            errorno=auth.errorno,
            description=auth.text or None,
            errors=errors,
            status_code=status_code,
            level="control",
        )
    offline_error(errors, status_code)
    raise ServerError(
        f"gateway refused the request ({control.status or 'no status'}): {summary}",
        status_code=status_code,
        errorno=first,
        errors=errors,
    )


# --------------------------------------------------------------------------- results


def _result(elem: ET.Element, typing: ValueTyping, redact: Redact | None) -> Result:
    status = (elem.findtext("status") or "").strip()
    if status not in _STATUSES:
        raise MalformedResponseError("a function result has no valid <status>")
    function = (elem.findtext("function") or "").strip()
    control_id = elem.findtext("controlid") or ""
    errors = read_errors(elem.find("errormessage"), redact)
    page: Page | None = None
    payload: Any = None
    data = elem.find("data")
    legacy_list = elem.find("listtype")
    key = elem.find("key")
    if key is not None and data is None:
        payload = key.text or ""
    elif function == "getDimensions":
        page = _dimensions(data if data is not None else elem.find("dimensions"))
    elif data is not None:
        api = data.find("api")
        if api is not None and len(data) == 1:
            payload = SessionInfo(
                session_id=api.findtext("sessionid") or "",
                endpoint=api.findtext("endpoint") or "",
                location_id=_opt(api, "locationid"),
            )
        elif function in ("lookup", "inspect"):
            payload = _definition(data)
        else:
            page = _page(_unwrap(data), legacy_list, typing)
    return Result(
        function=function,
        control_id=control_id,
        status=status,  # type: ignore[arg-type]
        page=page,
        payload=payload,
        errors=errors,
    )


def _page(data: ET.Element, legacy: ET.Element | None, typing: ValueTyping) -> Page:
    records = read_records(data, typing)
    get = data.attrib.get
    if legacy is not None:
        # get_list: <listtype start end total>object</listtype> beside <data>
        return Page(
            records=records,
            listtype=(legacy.text or "").strip(),
            count=len(records),
            total_count=_int(legacy.get("total")),
            num_remaining=None,
            result_id=None,
            offset=_int(legacy.get("start")),
        )
    count = _int(get("count"))
    return Page(
        records=records,
        listtype=get("listtype") or (records and str(data[0].tag)) or "",
        count=len(records) if count is None else count,
        total_count=_int(get("totalcount")),
        num_remaining=_int(get("numremaining")),
        result_id=get("resultId") or None,
        offset=_int(get("offset")),
    )


def _unwrap(data: ET.Element) -> ET.Element:
    """The list inside a bare wrapper (``<data><dimensions><dimension>..``), else ``data``.

    Functions outside the generic read family answer with one element named by the plural
    of its items; each item is a record. A ``<data>`` with paging attributes, or a single
    record (its children are fields with different tags), is returned as it is.
    """
    if len(data) == 1 and not data.attrib:
        wrapper = data[0]
        item = singular(str(wrapper.tag))
        if item and len(wrapper) and all(c.tag == item and len(c) for c in wrapper):
            return wrapper
    return data


def _dimensions(container: ET.Element | None) -> Page:
    if container is None:
        return Page(records=[], listtype="dimension")
    records = read_records(_unwrap(container), UNTYPED)
    return Page(records=records, listtype="dimension", count=len(records))


def _definition(data: ET.Element) -> Any:
    if len(data) and not any(len(typ) for typ in data):
        # inspect "*": one <Type typename="OBJECT">Label</Type> per object -> {name: label}.
        return {(t.get("typename") or t.text or "").strip(): (t.text or "").strip() for t in data}
    items = []
    for typ in data:
        out: dict[str, Any] = dict(typ.attrib)
        fill(typ, "", EMPTY_TABLE, UNTYPED, out, 1, "")
        items.append(out)
    return items[0] if len(items) == 1 else items
