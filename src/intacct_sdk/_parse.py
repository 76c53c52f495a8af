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

Records become flat dicts keyed by Intacct field names. A nested group adds dotted keys
(``PERSONALINFO.EMAIL1``); an element whose children all share one tag, and either repeat
or are named by the element's singular (``TIMESHEETENTRIES``/``TIMESHEETENTRY``), becomes
a list (of records, or of values). Values are typed by :mod:`intacct_sdk._values`.
"""

from __future__ import annotations

import gc
import html
import operator
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from datetime import datetime
from itertools import compress, repeat
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
from intacct_sdk._results import (
    AuthInfo,
    ControlInfo,
    Page,
    Response,
    Result,
    SessionInfo,
)
from intacct_sdk._transient import html_answer, offline_error
from intacct_sdk._values import (
    Converter,
    ValueTyping,
    convert_column,
    converters,
)
from intacct_sdk._xml import DEFAULT_MAX_BYTES, parse_xml

__all__ = ["parse_response", "read_errors"]

RATE_LIMIT_ERRORNOS: Final = frozenset({"GW-0010"})
AUTH_ERRORNOS: Final = frozenset({"XL03000006", "XMLGW_JPP0002"})
_MAX_DEPTH: Final = 64
_DEFAULT_TYPING: Final = ValueTyping()
_STATUSES: Final[frozenset[str]] = frozenset({"success", "failure", "aborted"})
_EMPTY_TABLE: Final[dict[str, Converter]] = {}
_WHITESPACE: Final = " \t\r\n"
_UNTYPED: Final = ValueTyping(typed=False)
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
    records = _records(data, typing)
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
        item = _singular(str(wrapper.tag))
        if item and len(wrapper) and all(c.tag == item and len(c) for c in wrapper):
            return wrapper
    return data


def _dimensions(container: ET.Element | None) -> Page:
    if container is None:
        return Page(records=[], listtype="dimension")
    records = _records(_unwrap(container), _UNTYPED)
    return Page(records=records, listtype="dimension", count=len(records))


def _definition(data: ET.Element) -> Any:
    if len(data) and not any(len(typ) for typ in data):
        # inspect "*": one <Type typename="OBJECT">Label</Type> per object -> {name: label}.
        return {(t.get("typename") or t.text or "").strip(): (t.text or "").strip() for t in data}
    items = []
    for typ in data:
        out: dict[str, Any] = dict(typ.attrib)
        _fill(typ, "", _EMPTY_TABLE, _UNTYPED, out, 1)
        items.append(out)
    return items[0] if len(items) == 1 else items


# --------------------------------------------------------------------------- records


def _records(data: ET.Element, typing: ValueTyping) -> list[dict[str, Any]]:
    """Every child of ``data`` as a record dict (the hot path of big pages).

    The records of one page share one shape, so the work of reading a shape is done once:

    * A flat record (its subtree is itself plus its children, checked in C) is built by
      one dict comprehension over its children; a repeated tag shows as fewer keys than
      children.
    * A record with nested groups (``PERSONALINFO/EMAIL1``) is read by a plan made once
      per shape (tags and child counts in document order): the dotted key of each leaf,
      zipped with the leaves' texts.
    * Values are typed afterwards, a column at a time over the records of one shape
      (:func:`_type_columns`): each distinct text is converted once.

    Anything else (lists such as ``TIMESHEETENTRIES``, repeated tags) takes
    :func:`_record`, the general per-child loop, which types as it goes.
    """
    if len(data) > 1:
        uniform = _uniform_records(data, typing)
        if uniform is not None:
            return uniform
    out: list[dict[str, Any]] = []
    append = out.append
    typed = typing.typed
    tz = typing.timezone
    fmt = typing.date_format
    last_tag: Any = None
    table = _EMPTY_TABLE
    shape: list[str] = []
    batch: list[dict[str, Any]] = []
    batches: list[tuple[dict[str, Converter], list[str], list[dict[str, Any]]]] = []
    group_tags: list[Any] = []
    group_lens: list[int] = []
    group: _GroupPlan | None = None
    for rec in data:
        tag = rec.tag
        if tag != last_tag:
            last_tag = tag
            table = converters(str(tag).upper(), tz, fmt) if typed else _EMPTY_TABLE
            shape = []
            group_tags = []
        elems = list(rec.iter())
        n = len(rec)
        if len(elems) == n + 1:
            record = {c.tag: c.text for c in rec}
            if len(record) != n:
                append(_record(rec, table, typing))
                continue
        else:
            tags = [e.tag for e in elems]
            lens = list(map(len, elems))
            if tags != group_tags or lens != group_lens:
                group_tags, group_lens = tags, lens
                group = _group_plan(rec)
            if group is None:
                append(_record(rec, table, typing))
                continue
            keys, leaves = group
            record = dict(zip(keys, compress([e.text for e in elems], leaves), strict=True))
            if len(record) != len(keys):
                append(_record(rec, table, typing))
                continue
        if typed:
            names = list(record)
            if names != shape:  # tags are shared strings: equal shapes compare by identity
                shape = names
                batch = []
                batches.append((table, names, batch))
            batch.append(record)
        elif None in record.values():
            for name, text in record.items():
                if text is None:
                    record[name] = ""
        append(record)
    for conv_table, names, records in batches:
        _type_columns(records, names, conv_table)
    return out


def _uniform_records(data: ET.Element, typing: ValueTyping) -> list[dict[str, Any]] | None:
    """A page whose records all have one shape, read a column at a time; else None.

    The shape of a record is its subtree in document order: every element's tag and child
    count (together they fix the tree). When ``data.iter()`` is the record tag's shape
    repeated once per record (checked with C-level list comparisons, see below), the texts
    of one field are a slice of the page's texts: each column is typed as a whole, and the
    records are filled from the columns, a field at a time.
    """
    first = data[0]
    head = list(first.iter())
    period = len(head)
    elems = list(data.iter())
    n = len(data)
    if len(elems) != period * n + 1:
        return None
    del elems[0]  # <data> itself
    # Element by element, in C: the page's tags are the first record's, repeated (tag
    # strings are shared by the parser, so most comparisons are by identity).
    if list(map(_TAG_OF, elems)) != list(map(_TAG_OF, head)) * n:
        return None
    # Child counts need checking only where the first record has children: the counts of a
    # tree's elements add up to its size less one, which the length check above fixes, so
    # when every such position matches, every other one holds no child either.
    for j, elem in enumerate(head):
        size = len(elem)
        if size and list(map(len, elems[j::period])).count(size) != n:
            return None
    plan = _group_plan(first)
    if plan is None:
        return None
    keys, leaves = plan
    if len(set(keys)) != len(keys):
        return None  # a repeated tag: the general path keeps it as a list
    texts = list(map(_TEXT_OF, elems))
    table = (
        converters(str(first.tag).upper(), typing.timezone, typing.date_format)
        if typing.typed
        else None
    )
    # The records are filled a column at a time: n empty dicts, then one C-level map of
    # setitem per field (faster than zipping each record's values into a new dict).
    records: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, j in zip(keys, compress(range(period), leaves), strict=True):
        column = texts[j::period]
        if table is None:
            if None in column:
                column = ["" if t is None else t for t in column]
        else:
            conv = table.get(key)
            if conv is not None:
                column = convert_column(conv, column)
        deque(map(operator.setitem, records, repeat(key), column), 0)
    return records


_TAG_OF: Final = operator.attrgetter("tag")
_TEXT_OF: Final = operator.attrgetter("text")


def _type_columns(
    records: list[dict[str, Any]], names: list[str], table: dict[str, Converter]
) -> None:
    """Type the fields ``names`` of ``records`` (raw texts, all with these keys) in place.

    A column at a time, as the column reader types its columns
    (:func:`~intacct_sdk._values.convert_column`), and the values are stored by C-level
    ``map`` calls, with no Python frame per field.
    """
    for name in names:
        conv = table.get(name)
        if conv is None:
            continue
        column = convert_column(conv, list(map(operator.itemgetter(name), records)))
        deque(map(operator.setitem, records, repeat(name), column), 0)


# A record shape with groups: the dotted key of every leaf, and which elements of the
# record's subtree (document order, the record first) are leaves.
_GroupPlan = tuple[list[str], list[bool]]


def _group_plan(rec: ET.Element) -> _GroupPlan | None:
    """The plan of a record whose nested elements are all groups, or None (lists, depth)."""
    keys: list[str] = []
    leaves: list[bool] = [False]  # the record element itself

    def walk(elem: ET.Element, prefix: str, depth: int) -> bool:
        for child in elem:
            if len(child):
                item = child[0].tag
                if depth >= _MAX_DEPTH or (
                    child[-1].tag == item
                    and (len(child) > 1 or item == _singular(child.tag))
                    and all(c.tag == item for c in child)
                ):
                    return False  # a list (or too deep): the general path decides
                leaves.append(False)
                if not walk(child, f"{prefix}{child.tag}.", depth + 1):
                    return False
            else:
                keys.append(prefix + child.tag)
                leaves.append(True)
        return True

    return (keys, leaves) if walk(rec, "", 1) else None


def _record(rec: ET.Element, table: dict[str, Converter], typing: ValueTyping) -> dict[str, Any]:
    """One record with groups, lists or repeated tags (the general per-child loop)."""
    get = table.get
    empty: Any = None if typing.typed else ""
    space = _WHITESPACE
    record: dict[str, Any] = {}
    extra = 0
    for child in rec:
        text = child.text
        if text is None or text[0] in space:
            if len(child):
                before = len(record)
                _fill_child(child, "", table, typing, record, 1)
                extra += len(record) - before - 1
                continue
            if text is None:
                record[child.tag] = empty
                continue
        name = child.tag
        conv = get(name)
        record[name] = text if conv is None else conv(text)
    if len(record) != len(rec) + extra:
        # Each child adds at least one key: a shortfall means a repeated tag, which the
        # general _fill keeps as a list.
        record = {}
        _fill(rec, "", table, typing, record, 1)
    return record


def _value(text: str | None, conv: Converter | None, empty: Any) -> Any:
    if not text:
        return empty
    return text if conv is None else conv(text)


class _Repeated(list[Any]):
    """A list built from repeated elements of one tag (as opposed to a value)."""


def _repeat(out: dict[str, Any], key: str, value: Any) -> None:
    current = out[key]
    if isinstance(current, _Repeated):
        current.append(value)
    else:
        out[key] = _Repeated((current, value))


def _singular(tag: str) -> str:
    if tag.endswith(("IES", "ies")):
        return tag[:-3] + ("Y" if tag[-1] == "S" else "y")
    if len(tag) > 1 and tag[-1] in "Ss":
        return tag[:-1]
    return ""


def _fill(
    elem: ET.Element,
    prefix: str,
    table: dict[str, Converter],
    typing: ValueTyping,
    out: dict[str, Any],
    depth: int,
) -> None:
    """Add the children of ``elem`` to ``out`` under ``prefix`` (general, recursive)."""
    if depth > _MAX_DEPTH:
        raise MalformedResponseError(f"record nesting is deeper than {_MAX_DEPTH} levels")
    get = table.get
    empty = None if typing.typed else ""
    for child in elem:
        if len(child):
            _fill_child(child, prefix, table, typing, out, depth)
            continue
        key = prefix + child.tag
        text = child.text
        if text:
            conv = get(key)
            value = text if conv is None else conv(text)
        else:
            value = empty
        if key in out:
            _repeat(out, key, value)
        else:
            out[key] = value


def _fill_child(
    child: ET.Element,
    prefix: str,
    table: dict[str, Converter],
    typing: ValueTyping,
    out: dict[str, Any],
    depth: int,
) -> None:
    """Add one element that has children: a list (of records or values) or a group."""
    if depth > _MAX_DEPTH:
        raise MalformedResponseError(f"record nesting is deeper than {_MAX_DEPTH} levels")
    tag = child.tag
    key = prefix + tag
    item_tag = child[0].tag
    n = len(child)
    # A group's children have different tags; compare first and last before looking closer.
    if (
        child[-1].tag == item_tag
        and (n > 1 or item_tag == _singular(tag))
        and all(c.tag == item_tag for c in child)
    ):
        complex_items = [len(c) > 0 for c in child]
        if all(complex_items):
            # A list of records, typed by the item's own object when the table knows it.
            item_table = (
                converters(item_tag.upper(), typing.timezone, typing.date_format)
                if typing.typed
                else _EMPTY_TABLE
            )
            items = []
            for c in child:
                rec: dict[str, Any] = {}
                _fill(c, "", item_table, typing, rec, depth + 1)
                items.append(rec)
            _put(out, key, items)
            return
        if not any(complex_items):
            conv = table.get(key + "." + item_tag)
            _put(out, key, [_value(c.text, conv, None if typing.typed else "") for c in child])
            return
    _fill(child, key + ".", table, typing, out, depth + 1)


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if key in out:
        _repeat(out, key, value)
    else:
        out[key] = value
