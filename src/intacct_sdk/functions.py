"""The gateway's functions as values: one small frozen class per function.

Each instance knows its ``control_id`` (a random UUID unless given; pass a stable one to make
a write safe to repeat with ``uniqueid``), whether it writes (``is_write``) and how to render
itself (``to_xml()``, the ``<function>`` element). The gateway's limits are checked when the
value is built, so a bad argument raises :class:`~intacct_sdk.ConfigurationError` before
anything is sent.

Records for :class:`Create` and :class:`Update` are mappings keyed by Intacct field names.
Values are written in wire format (see :func:`intacct_sdk._values.to_wire`), dates and
datetimes in the API user's format when the client builds the request; ``None`` is
left out. Nested groups are written from dotted keys (``"PERSONALINFO.EMAIL1"``) or nested
mappings; a list of mappings under a plural key (``"TIMESHEETENTRIES"``) becomes repeated
children named by its singular (``TIMESHEETENTRY``: ``IES`` -> ``Y``, else the trailing
``S`` dropped); ``{"TIMESHEETENTRIES": {"TIMESHEETENTRY": [...]}}`` names the child
explicitly.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, Protocol, runtime_checkable

import attrs

from intacct_sdk._errors import ConfigurationError, MalformedResponseError
from intacct_sdk._records_xml import singular, write_record
from intacct_sdk._xml import attr, escape_text, is_xml_name, parse_xml
from intacct_sdk.query import Filter, OrderBy

__all__ = [
    "ALL_OBJECTS",
    "MAX_CONTROL_ID_LENGTH",
    "MAX_QUERY_PAGE_SIZE",
    "MAX_READ_BY_QUERY_PAGE_SIZE",
    "MAX_READ_KEYS",
    "Approve",
    "Create",
    "Decline",
    "Delete",
    "Function",
    "GetAPISession",
    "GetDimensions",
    "Inspect",
    "Lookup",
    "Query",
    "Raw",
    "Read",
    "ReadByName",
    "ReadByQuery",
    "ReadMore",
    "ReadUserFormatting",
    "Update",
    "singular",
    "write_record",
]

MAX_CONTROL_ID_LENGTH: Final = 256
MAX_READ_KEYS: Final = 100
MAX_READ_BY_QUERY_PAGE_SIZE: Final = 1000
MAX_QUERY_PAGE_SIZE: Final = 2000
#: The object name ``inspect`` takes to list every object of the company.
ALL_OBJECTS: Final = "*"
_AGGREGATES: Final = frozenset({"count", "avg", "min", "max", "sum"})


@runtime_checkable
class Function(Protocol):
    """What the envelope builder needs from a function."""

    @property
    def control_id(self) -> str:
        """The function's control id (``<function controlid="...">``)."""
        ...

    @property
    def is_write(self) -> bool:
        """Whether the function changes data (and so must not be blindly retried)."""
        ...

    @property
    def name(self) -> str:
        """The function element name (``read``, ``create``, ...)."""
        ...

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        ...


def _new_control_id() -> str:
    return str(uuid.uuid4())


def _check_control_id(_: Any, __: Any, value: str) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_CONTROL_ID_LENGTH:
        raise ConfigurationError(
            f"a function control id is 1 to {MAX_CONTROL_ID_LENGTH} characters"
        )


def _check_object(_: Any, __: Any, value: str) -> None:
    if not isinstance(value, str) or not is_xml_name(value):
        raise ConfigurationError(f"{value!r} is not a valid object name")


def _check_optional_text(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not isinstance(value, str):
        raise ConfigurationError(f"{attribute.name} must be a string")


def _strings(values: Sequence[int | str] | str | int) -> tuple[str, ...]:
    if isinstance(values, str | int):
        values = [values]
    out: list[str] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, str | int):
            raise ConfigurationError(f"keys are strings or integers, got {type(v).__name__}")
        text = str(v)
        if not text or "," in text:
            raise ConfigurationError(f"{text!r} is not a valid key")
        out.append(text)
    return tuple(out)


def _fields(values: Sequence[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    out = tuple(values)
    for f in out:
        if not isinstance(f, str) or not f.strip():
            raise ConfigurationError("field names must be non-empty strings")
    return out


def _control_id_field() -> Any:
    return attrs.field(kw_only=True, factory=_new_control_id, validator=_check_control_id)


def _wrap(control_id: str, body: str) -> str:
    return f"<function{attr('controlid', control_id)}>{body}</function>"


def _text(tag: str, value: str) -> str:
    return f"<{tag}>{escape_text(value)}</{tag}>"


# --------------------------------------------------------------------------- reads


def _read_body(
    name: str,
    object_name: str,
    keys: tuple[str, ...],
    fields: tuple[str, ...] | None,
    docparid: str | None,
) -> str:
    parts = [
        f"<{name}>",
        _text("object", object_name),
        _text("keys", ",".join(keys)),
        _text("fields", ",".join(fields) if fields else "*"),
        "<returnFormat>xml</returnFormat>",
    ]
    if docparid is not None:
        parts.append(_text("docparid", docparid))
    parts.append(f"</{name}>")
    return "".join(parts)


def _check_keys(count: int, what: str) -> None:
    if not 1 <= count <= MAX_READ_KEYS:
        raise ConfigurationError(f"{what} takes 1 to {MAX_READ_KEYS} keys, got {count}")


@attrs.frozen(slots=True)
class Read:
    """``read``: records by RECORDNO (up to 100 keys).

    Attributes:
        object: The object name (``EMPLOYEE``).
        keys: RECORDNO values.
        fields: Fields to return; None returns every field (``*``).
        docparid: Transaction definition, for document objects.
    """

    name: ClassVar[str] = "read"
    is_write: ClassVar[bool] = False

    object: str = attrs.field(validator=_check_object)
    keys: tuple[str, ...] = attrs.field(converter=_strings)
    fields: tuple[str, ...] | None = attrs.field(default=None, converter=_fields)
    docparid: str | None = attrs.field(default=None, kw_only=True)
    control_id: str = _control_id_field()

    def __attrs_post_init__(self) -> None:
        _check_keys(len(self.keys), self.name)

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(
            self.control_id,
            _read_body(self.name, self.object, self.keys, self.fields, self.docparid),
        )


@attrs.frozen(slots=True)
class ReadByName:
    """``readByName``: records by their ID/name field (up to 100 names).

    Attributes:
        object: The object name.
        names: Values of the object's ID field (``EMPLOYEEID``, ...).
        fields: Fields to return; None returns every field.
        docparid: Transaction definition, for document objects.
    """

    name: ClassVar[str] = "readByName"
    is_write: ClassVar[bool] = False

    object: str = attrs.field(validator=_check_object)
    names: tuple[str, ...] = attrs.field(converter=_strings)
    fields: tuple[str, ...] | None = attrs.field(default=None, converter=_fields)
    docparid: str | None = attrs.field(default=None, kw_only=True)
    control_id: str = _control_id_field()

    def __attrs_post_init__(self) -> None:
        _check_keys(len(self.names), self.name)

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(
            self.control_id,
            _read_body(self.name, self.object, self.names, self.fields, self.docparid),
        )


@attrs.frozen(slots=True)
class ReadByQuery:
    """``readByQuery``: the first page of a SQL-like query; continue with :class:`ReadMore`.

    Attributes:
        object: The object name.
        query: The condition (``"STATUS = 'T'"``; empty for all records). Build literals
            with :func:`intacct_sdk.query.quote`.
        fields: Fields to return; None returns every field.
        page_size: Records per page, 1 to 1,000.
        docparid: Transaction definition, for document objects.
    """

    name: ClassVar[str] = "readByQuery"
    is_write: ClassVar[bool] = False

    object: str = attrs.field(validator=_check_object)
    query: str = ""
    fields: tuple[str, ...] | None = attrs.field(default=None, converter=_fields)
    page_size: int = 1000
    docparid: str | None = attrs.field(default=None, kw_only=True)
    control_id: str = _control_id_field()

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.query, str):
            raise ConfigurationError("query must be a string")
        _check_page_size(self.page_size, MAX_READ_BY_QUERY_PAGE_SIZE, self.name)

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        parts = [
            "<readByQuery>",
            _text("object", self.object),
            _text("query", self.query),
            _text("fields", ",".join(self.fields) if self.fields else "*"),
            f"<pagesize>{self.page_size}</pagesize>",
            "<returnFormat>xml</returnFormat>",
        ]
        if self.docparid is not None:
            parts.append(_text("docparid", self.docparid))
        parts.append("</readByQuery>")
        return _wrap(self.control_id, "".join(parts))


def _check_page_size(value: int, limit: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise ConfigurationError(f"{what} page_size must be 1 to {limit}, got {value!r}")


@attrs.frozen(slots=True)
class ReadMore:
    """``readMore``: the next page of a ``readByQuery``, by its ``resultId``."""

    name: ClassVar[str] = "readMore"
    is_write: ClassVar[bool] = False

    result_id: str
    control_id: str = _control_id_field()

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.result_id, str) or not self.result_id:
            raise ConfigurationError("readMore needs a non-empty result id")

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(self.control_id, f"<readMore>{_text('resultId', self.result_id)}</readMore>")


def _order_by(values: Sequence[OrderBy]) -> tuple[OrderBy, ...]:
    out: list[OrderBy] = []
    for item in values:
        if (
            not isinstance(item, tuple)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not item[0]
            or item[1] not in ("asc", "desc")
        ):
            raise ConfigurationError(f"order_by entries are (field, 'asc'|'desc'), got {item!r}")
        out.append(item)
    return tuple(out)


def _aggregates(values: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for item in values:
        if (
            not isinstance(item, tuple)
            or len(item) != 2
            or item[0] not in _AGGREGATES
            or not isinstance(item[1], str)
            or not item[1]
        ):
            raise ConfigurationError(
                f"aggregates are (one of {sorted(_AGGREGATES)}, field), got {item!r}"
            )
        out.append(item)
    return tuple(out)


@attrs.frozen(slots=True)
class Query:
    """``query``: selected fields of records matching a :class:`~intacct_sdk.query.Filter`.

    Paging is by offset: each page is a new query (see :attr:`offset`).

    Attributes:
        object: The object name.
        fields: Fields to select (at least one, or one aggregate); dotted paths reach
            related objects.
        where: The filter; None selects every record.
        order_by: ``(field, "asc" | "desc")`` pairs. Without one the order is undefined,
            which makes offset paging unreliable.
        page_size: Records per page, 1 to 2,000 (always sent; the gateway default is 100).
        offset: Records to skip.
        case_insensitive: Compare strings without regard to case.
        show_private: Reach records private to entities from the top level.
        aggregates: ``(function, field)`` pairs, function one of count/avg/min/max/sum.
        docparid: Transaction definition, for document objects.
    """

    name: ClassVar[str] = "query"
    is_write: ClassVar[bool] = False

    object: str = attrs.field(validator=_check_object)
    fields: tuple[str, ...] = attrs.field(converter=_fields)
    where: Filter | None = None
    order_by: tuple[OrderBy, ...] = attrs.field(default=(), converter=_order_by)
    page_size: int = 2000
    offset: int = 0
    case_insensitive: bool = False
    show_private: bool = attrs.field(default=False, kw_only=True)
    aggregates: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=_aggregates, kw_only=True
    )
    docparid: str | None = attrs.field(default=None, kw_only=True)
    control_id: str = _control_id_field()

    def __attrs_post_init__(self) -> None:
        if not self.fields and not self.aggregates:
            raise ConfigurationError("query needs at least one field")
        if self.where is not None and not isinstance(self.where, Filter):
            raise ConfigurationError("where must be a Filter (build one with F)")
        _check_page_size(self.page_size, MAX_QUERY_PAGE_SIZE, self.name)
        if isinstance(self.offset, bool) or not isinstance(self.offset, int) or self.offset < 0:
            raise ConfigurationError(f"offset must be a non-negative integer, got {self.offset!r}")

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        parts = ["<query><select>"]
        parts.extend(_text("field", f) for f in self.fields)
        parts.extend(_text(fn, f) for fn, f in self.aggregates)
        parts.append("</select>")
        parts.append(_text("object", self.object))
        if self.docparid is not None:
            parts.append(_text("docparid", self.docparid))
        if self.where is not None:
            parts.append(f"<filter>{self.where.to_xml(self.object)}</filter>")
        if self.order_by:
            parts.append("<orderby>")
            for field, direction in self.order_by:
                way = "<ascending/>" if direction == "asc" else "<descending/>"
                parts.append(f"<order>{_text('field', field)}{way}</order>")
            parts.append("</orderby>")
        if self.case_insensitive or self.show_private:
            parts.append("<options>")
            if self.case_insensitive:
                parts.append("<caseinsensitive>true</caseinsensitive>")
            if self.show_private:
                parts.append("<showprivate>true</showprivate>")
            parts.append("</options>")
        parts.append(f"<pagesize>{self.page_size}</pagesize><offset>{self.offset}</offset>")
        parts.append("</query>")
        return _wrap(self.control_id, "".join(parts))


# --------------------------------------------------------------------------- writes


def _records(values: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    if isinstance(values, Mapping):
        values = [values]
    out = tuple(values)
    if not out:
        raise ConfigurationError("at least one record is needed")
    return out


@attrs.frozen(slots=True)
class Create:
    """``create``: new records of one object (each record is one billable transaction).

    Attributes:
        object: The object name (``TIMESHEET``).
        records: Field mappings; see the module docstring for nesting and value rules.
    """

    name: ClassVar[str] = "create"
    is_write: ClassVar[bool] = True

    object: str = attrs.field(validator=_check_object)
    records: tuple[Mapping[str, Any], ...] = attrs.field(converter=_records, hash=False)
    control_id: str = _control_id_field()

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        body = "".join(write_record(self.object, r) for r in self.records)
        return _wrap(self.control_id, f"<{self.name}>{body}</{self.name}>")


@attrs.frozen(slots=True)
class Update:
    """``update``: change records; each names its record by RECORDNO or its ID field.

    Fields left out stay unchanged, but owned line sets (timesheet entries) are replaced
    as a whole.
    """

    name: ClassVar[str] = "update"
    is_write: ClassVar[bool] = True

    object: str = attrs.field(validator=_check_object)
    records: tuple[Mapping[str, Any], ...] = attrs.field(converter=_records, hash=False)
    control_id: str = _control_id_field()

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        body = "".join(write_record(self.object, r) for r in self.records)
        return _wrap(self.control_id, f"<{self.name}>{body}</{self.name}>")


@attrs.frozen(slots=True)
class Delete:
    """``delete``: records by RECORDNO."""

    name: ClassVar[str] = "delete"
    is_write: ClassVar[bool] = True

    object: str = attrs.field(validator=_check_object)
    keys: tuple[str, ...] = attrs.field(converter=_strings)
    control_id: str = _control_id_field()

    def __attrs_post_init__(self) -> None:
        if not self.keys:
            raise ConfigurationError("delete needs at least one key")

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(
            self.control_id,
            f"<delete>{_text('object', self.object)}{_text('keys', ','.join(self.keys))}</delete>",
        )


def _approval(
    function: str,
    object_name: str,
    record_no: int | str,
    entry_keys: tuple[str, ...] | None,
    by_tag: str,
    by: str | None,
    comment: str | None,
) -> str:
    parts = [f"<{function}><{object_name}>", _text("RECORDNO", str(record_no))]
    if entry_keys:
        parts.append(_text("ENTRYKEYS", ",".join(entry_keys)))
    if by is not None:
        parts.append(_text(by_tag, by))
    if comment is not None:
        parts.append(_text("COMMENT", comment))
    parts.append(f"</{object_name}></{function}>")
    return "".join(parts)


def _optional_keys(values: Sequence[int | str] | None) -> tuple[str, ...] | None:
    return None if values is None else _strings(values)


def _check_record_no(_: Any, __: Any, value: int | str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value):
        raise ConfigurationError("record_no must be an integer or a non-empty string")


@attrs.frozen(slots=True)
class Approve:
    """``approve``: approve a submitted timesheet (or some of its entries).

    Attributes:
        object: ``TIMESHEET`` (the gateway also knows APBILL, PODOCUMENT).
        record_no: The record's RECORDNO.
        entry_keys: RECORDNOs of the entries to approve; None approves all.
        approved_by: Approve on behalf of this user (needs the "API Proxy" permission).
        comment: Approval comment.
    """

    name: ClassVar[str] = "approve"
    is_write: ClassVar[bool] = True

    object: str = attrs.field(validator=_check_object)
    record_no: int | str = attrs.field(validator=_check_record_no)
    entry_keys: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_keys)
    approved_by: str | None = attrs.field(default=None, validator=_check_optional_text)
    comment: str | None = attrs.field(default=None, validator=_check_optional_text)
    control_id: str = _control_id_field()

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(
            self.control_id,
            _approval(
                self.name,
                self.object,
                self.record_no,
                self.entry_keys,
                "APPROVEDBY",
                self.approved_by,
                self.comment,
            ),
        )


@attrs.frozen(slots=True)
class Decline:
    """``decline``: decline a submitted timesheet (or some of its entries).

    The acting user is written as ``DECLINEDBY``, as the request schema names it (one
    official SDK writes ``APPROVEDBY`` here, which the schema does not allow).
    """

    name: ClassVar[str] = "decline"
    is_write: ClassVar[bool] = True

    object: str = attrs.field(validator=_check_object)
    record_no: int | str = attrs.field(validator=_check_record_no)
    entry_keys: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_keys)
    declined_by: str | None = attrs.field(default=None, validator=_check_optional_text)
    comment: str | None = attrs.field(default=None, validator=_check_optional_text)
    control_id: str = _control_id_field()

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(
            self.control_id,
            _approval(
                self.name,
                self.object,
                self.record_no,
                self.entry_keys,
                "DECLINEDBY",
                self.declined_by,
                self.comment,
            ),
        )


# --------------------------------------------------------------------------- metadata


@attrs.frozen(slots=True)
class Lookup:
    """``lookup``: an object's fields, types, valid values and relationships."""

    name: ClassVar[str] = "lookup"
    is_write: ClassVar[bool] = False

    object: str = attrs.field(validator=_check_object)
    docparid: str | None = attrs.field(default=None, kw_only=True)
    control_id: str = _control_id_field()

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        doc = "" if self.docparid is None else _text("docparid", self.docparid)
        return _wrap(self.control_id, f"<lookup>{_text('object', self.object)}{doc}</lookup>")


def _check_inspected(_: Any, __: Any, value: str) -> None:
    if value != ALL_OBJECTS:
        _check_object(_, __, value)


@attrs.frozen(slots=True)
class Inspect:
    """``inspect``: an object's definition (field names, or details with ``detail=True``).

    ``Inspect("*")`` lists every standard and custom object of the company instead.
    """

    name: ClassVar[str] = "inspect"
    is_write: ClassVar[bool] = False

    object: str = attrs.field(validator=_check_inspected)
    detail: bool = False
    control_id: str = _control_id_field()

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        flag = attr("detail", "1") if self.detail else ""
        return _wrap(self.control_id, f"<inspect{flag}>{_text('object', self.object)}</inspect>")


@attrs.frozen(slots=True)
class GetDimensions:
    """``getDimensions``: the standard dimensions and user-defined dimensions in use."""

    name: ClassVar[str] = "getDimensions"
    is_write: ClassVar[bool] = False

    control_id: str = _control_id_field()

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(self.control_id, "<getDimensions/>")


@attrs.frozen(slots=True)
class ReadUserFormatting:
    """``readUserFormatting``: a user's locale, date format, GMT offset and clock.

    The answer's one record holds ``locale`` (``en_US``), ``dateformat`` (``/mdY``),
    ``gmtoffset`` (``-0500``) and ``clock`` (``24``), the preferences the gateway writes and
    reads values in (as Estuary's Intacct connector reads them).

    Attributes:
        user_key: The user's USERINFO RECORDNO (``readByName USERINFO`` gives it).
    """

    name: ClassVar[str] = "readUserFormatting"
    is_write: ClassVar[bool] = False

    user_key: str = attrs.field(converter=str)
    control_id: str = _control_id_field()

    def __attrs_post_init__(self) -> None:
        if not self.user_key.isdigit():
            raise ConfigurationError(f"{self.user_key!r} is not a USERINFO RECORDNO")

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(
            self.control_id,
            f"<readUserFormatting>{_text('key', self.user_key)}</readUserFormatting>",
        )


@attrs.frozen(slots=True)
class GetAPISession:
    """``getAPISession``: a session id and the endpoint to use it on.

    Attributes:
        entity_id: Ask for a session in this entity; ``""`` asks for the top level; None
            keeps the entity of the credentials.
    """

    name: ClassVar[str] = "getAPISession"
    is_write: ClassVar[bool] = False

    entity_id: str | None = attrs.field(default=None, validator=_check_optional_text)
    control_id: str = _control_id_field()

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        if self.entity_id is None:
            return _wrap(self.control_id, "<getAPISession/>")
        return _wrap(
            self.control_id,
            f"<getAPISession>{_text('locationid', self.entity_id)}</getAPISession>",
        )


def _raw_name(xml: str) -> str:
    if not isinstance(xml, str):
        raise ConfigurationError("a raw function is a string of XML")
    try:
        root = parse_xml(xml.encode("utf-8"))
    except MalformedResponseError as exc:
        raise ConfigurationError(f"raw function XML is not usable: {exc}") from None
    return str(root.tag)


def _strip_declaration(xml: str) -> str:
    if not isinstance(xml, str):
        raise ConfigurationError("a raw function is a string of XML")
    text = xml.strip()
    if text.startswith("<?xml"):
        end = text.find("?>")
        if end != -1:
            text = text[end + 2 :].lstrip()
    return text


@attrs.frozen(slots=True)
class Raw:
    """Any function the classes above do not cover, written by the caller.

    Attributes:
        xml: The function body: one element such as ``<create_timesheet>...``
            (an XML declaration is dropped). It is checked to be well-formed, safe XML.
        is_write: Whether it changes data; writes are not retried blindly. Default True.
    """

    xml: str = attrs.field(converter=_strip_declaration)
    is_write: bool = attrs.field(default=True, kw_only=True)
    control_id: str = _control_id_field()
    name: str = attrs.field(init=False)

    @name.default
    def _name_default(self) -> str:
        return _raw_name(self.xml)

    def to_xml(self) -> str:
        """The ``<function>`` element."""
        return _wrap(self.control_id, self.xml)
