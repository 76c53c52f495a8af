"""Records of an answer's ``<data>``: flat dicts keyed by Intacct field names, values typed.

A nested group adds dotted keys (``PERSONALINFO.EMAIL1``); an element whose children all
share one tag, and either repeat or are named by the element's singular
(``TIMESHEETENTRIES``/``TIMESHEETENTRY``), becomes a list (of records, or of values). Values
are typed by :mod:`intacct_sdk._values`.

A value that the schema types (integer, decimal, date, timestamp, boolean) and that does not
parse as that type raises :class:`~intacct_sdk.ValueTypeError`, naming the object, field,
value and the record's position in its page; with lenient typing (``ValueTyping.strict``
False, ``ClientOptions(strict_types=False)``) it stays the string the gateway sent, and the
first such value of each object and field is logged at WARNING. The check costs one C-level
pass per typed column on the fast paths.
"""

from __future__ import annotations

import operator
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Sequence
from itertools import compress, repeat
from typing import Any, Final

from intacct_sdk._errors import MalformedResponseError, ValueTypeError
from intacct_sdk._log import logger
from intacct_sdk._values import (
    Converter,
    ValueTyping,
    _Dates,
    convert_column,
    converters,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)

__all__ = ["EMPTY_TABLE", "UNTYPED", "fill", "read_records", "singular"]

log = logger.getChild("parse")

_MAX_DEPTH: Final = 64
_EMPTY_TABLE: Final[dict[str, Converter]] = {}
_WHITESPACE: Final = " \t\r\n"
_UNTYPED: Final = ValueTyping(typed=False)
_WARNED: set[tuple[str, str]] = set()  # (object, field) pairs logged as untyped (lenient)
_WARNED_LIMIT: Final = 1024

EMPTY_TABLE: Final = _EMPTY_TABLE
"""The converter table of untyped reading (no field converted)."""
UNTYPED: Final = _UNTYPED
"""Typing that keeps every value a string."""


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
    batches: list[tuple[str, dict[str, Converter], list[str], list[dict[str, Any]]]] = []
    obj = ""
    group_tags: list[Any] = []
    group_lens: list[int] = []
    group: _GroupPlan | None = None
    for rec in data:
        tag = rec.tag
        if tag != last_tag:
            last_tag = tag
            obj = str(tag).upper()
            table = converters(obj, tz, fmt) if typed else _EMPTY_TABLE
            shape = []
            group_tags = []
        elems = list(rec.iter())
        n = len(rec)
        if len(elems) == n + 1:
            record = {c.tag: c.text for c in rec}
            if len(record) != n:
                append(_general(rec, table, typing, obj, len(out)))
                continue
        else:
            tags = [e.tag for e in elems]
            lens = list(map(len, elems))
            if tags != group_tags or lens != group_lens:
                group_tags, group_lens = tags, lens
                group = _group_plan(rec)
            if group is None:
                append(_general(rec, table, typing, obj, len(out)))
                continue
            keys, leaves = group
            record = dict(zip(keys, compress([e.text for e in elems], leaves), strict=True))
            if len(record) != len(keys):
                append(_general(rec, table, typing, obj, len(out)))
                continue
        if typed:
            names = list(record)
            if names != shape:  # tags are shared strings: equal shapes compare by identity
                shape = names
                batch = []
                batches.append((obj, table, names, batch))
            batch.append(record)
        elif None in record.values():
            for name, text in record.items():
                if text is None:
                    record[name] = ""
        append(record)
    for name, conv_table, names, records in batches:
        _type_columns(records, names, conv_table, typing, name, out)
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
    obj = str(first.tag).upper()
    table = converters(obj, typing.timezone, typing.date_format) if typing.typed else None
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
                typed = convert_column(conv, column)
                _check_column(typed, column, conv, typing, obj, key, range(n))
                column = typed
        deque(map(operator.setitem, records, repeat(key), column), 0)
    return records


_TAG_OF: Final = operator.attrgetter("tag")
_TEXT_OF: Final = operator.attrgetter("text")


def _type_columns(
    records: list[dict[str, Any]],
    names: list[str],
    table: dict[str, Converter],
    typing: ValueTyping,
    obj: str,
    page: list[dict[str, Any]],
) -> None:
    """Type the fields ``names`` of ``records`` (raw texts, all with these keys) in place.

    A column at a time, as the column reader types its columns
    (:func:`~intacct_sdk._values.convert_column`), and the values are stored by C-level
    ``map`` calls, with no Python frame per field. ``page`` (every record of the page, these
    among them) gives a value that does not type its position.
    """
    for name in names:
        conv = table.get(name)
        if conv is None:
            continue
        texts = list(map(operator.itemgetter(name), records))
        column = convert_column(conv, texts)
        if str in set(map(type, column)):
            ids = {id(r): i for i, r in enumerate(page)}
            _check_column(column, texts, conv, typing, obj, name, [ids[id(r)] for r in records])
        deque(map(operator.setitem, records, repeat(name), column), 0)


_DATATYPES: Final[dict[Converter, str]] = {
    parse_int: "INTEGER",
    parse_decimal: "DECIMAL",
    parse_bool: "BOOLEAN",
    parse_date: "DATE",
}


def _datatype(conv: Converter) -> str:
    """The schema type a converter reads (for messages)."""
    known = _DATATYPES.get(conv)
    if known is not None:
        return known
    return "DATE" if isinstance(conv, _Dates) else "TIMESTAMP"


def _check_column(
    column: list[Any],
    texts: list[str | None],
    conv: Converter,
    typing: ValueTyping,
    obj: str,
    field: str,
    positions: Sequence[int],
) -> None:
    """Refuse (or, lenient, log) the first value of a typed column that stayed a string."""
    if str not in set(map(type, column)):
        return
    i = next(i for i, v in enumerate(column) if type(v) is str)
    _untyped(typing, obj, field, str(texts[i]), conv, positions[i])


class _Untyped(Exception):
    """A value that did not type, met inside a record (the page reader adds its position)."""

    def __init__(self, obj: str, field: str, text: str, conv: Converter) -> None:
        super().__init__(field)
        self.obj, self.field, self.text, self.conv = obj, field, text, conv


def _untyped(
    typing: ValueTyping, obj: str, field: str, text: str, conv: Converter, position: int | None
) -> None:
    """A value that did not type: raise (strict) or log once per object and field."""
    if typing.strict:
        if position is None:
            raise _Untyped(obj, field, text, conv)
        raise _value_type_error(obj, field, text, conv, position)
    key = (obj, field)
    if key in _WARNED:
        return
    if len(_WARNED) < _WARNED_LIMIT:
        _WARNED.add(key)
    log.warning(
        "%s.%s holds %r, which is not a valid %s: kept as a string (strict_types=False); "
        "further such values of this field are not logged",
        obj,
        field,
        _shown(text),
        _datatype(conv),
    )


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _value_type_error(
    obj: str, field: str, text: str, conv: Converter, position: int
) -> ValueTypeError:
    datatype = _datatype(conv)
    return ValueTypeError(
        f"{obj}.{field} of record {position} of the page is {_shown(text)!r}, which is not a "
        f"valid {datatype} as the schema facts type it; pass "
        "ClientOptions(strict_types=False) to keep such values as strings",
        object_name=obj,
        field=field,
        value=text,
        datatype=datatype,
        position=position,
    )


def _general(
    rec: ET.Element, table: dict[str, Converter], typing: ValueTyping, obj: str, position: int
) -> dict[str, Any]:
    """:func:`_record`, with the position of the record added to a value that did not type."""
    try:
        return _record(rec, table, typing, obj)
    except _Untyped as exc:
        raise _value_type_error(obj, exc.field, exc.text, exc.conv, position) from None


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


def _record(
    rec: ET.Element, table: dict[str, Converter], typing: ValueTyping, obj: str = ""
) -> dict[str, Any]:
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
                _fill_child(child, "", table, typing, record, 1, obj)
                extra += len(record) - before - 1
                continue
            if text is None:
                record[child.tag] = empty
                continue
        name = child.tag
        conv = get(name)
        if conv is None:
            record[name] = text
        else:
            value = record[name] = conv(text)
            if type(value) is str:
                _untyped(typing, obj, name, text, conv, None)
    if len(record) != len(rec) + extra:
        # Each child adds at least one key: a shortfall means a repeated tag, which the
        # general _fill keeps as a list.
        record = {}
        _fill(rec, "", table, typing, record, 1, obj)
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
    obj: str,
) -> None:
    """Add the children of ``elem`` to ``out`` under ``prefix`` (general, recursive)."""
    if depth > _MAX_DEPTH:
        raise MalformedResponseError(f"record nesting is deeper than {_MAX_DEPTH} levels")
    get = table.get
    empty = None if typing.typed else ""
    for child in elem:
        if len(child):
            _fill_child(child, prefix, table, typing, out, depth, obj)
            continue
        key = prefix + child.tag
        text = child.text
        value: Any
        if text:
            conv = get(key)
            if conv is None:
                value = text
            else:
                value = conv(text)
                if type(value) is str:
                    _untyped(typing, obj, key, text, conv, None)
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
    obj: str,
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
            item_obj = item_tag.upper()
            item_table = (
                converters(item_obj, typing.timezone, typing.date_format)
                if typing.typed
                else _EMPTY_TABLE
            )
            items = []
            for i, c in enumerate(child):
                rec: dict[str, Any] = {}
                try:
                    _fill(c, "", item_table, typing, rec, depth + 1, item_obj)
                except _Untyped as exc:
                    raise _Untyped(obj, f"{key}[{i}].{exc.field}", exc.text, exc.conv) from None
                items.append(rec)
            _put(out, key, items)
            return
        if not any(complex_items):
            field = key + "." + item_tag
            conv = table.get(field)
            values = [_value(c.text, conv, None if typing.typed else "") for c in child]
            if conv is not None and str in set(map(type, values)):
                i = next(i for i, v in enumerate(values) if type(v) is str)
                _untyped(typing, obj, f"{field}[{i}]", str(child[i].text), conv, None)
            _put(out, key, values)
            return
    _fill(child, key + ".", table, typing, out, depth + 1, obj)


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if key in out:
        _repeat(out, key, value)
    else:
        out[key] = value


read_records = _records
fill = _fill
singular = _singular
