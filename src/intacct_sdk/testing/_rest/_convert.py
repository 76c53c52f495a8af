"""Values between the emulator's stored (XML) form and the REST form, through the name table.

Stored dates are ``MM/DD/YYYY`` and timestamps ``MM/DD/YYYY HH:MM:SS`` in UTC; REST shows them
as ``YYYY-MM-DD`` and ISO 8601 UTC with ``Z``. Booleans are JSON booleans, the fields the
OpenAPI documents type as numbers are JSON numbers (other decimals stay strings), and enum
values such as ``Partially Approved`` show as ``partiallyApproved``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from intacct_sdk.rest.names import REST_OBJECTS, RestObject
from intacct_sdk.testing._objects import FieldDef

__all__ = [
    "NUMERIC_PATHS",
    "by_path",
    "flatten",
    "nest",
    "to_rest",
    "to_xml",
]

#: REST fields the OpenAPI documents type as ``number`` or ``integer`` (the rest are strings).
NUMERIC_PATHS = frozenset({"quantity", "hoursInDay", "creditLimit", "lineNumber", "priority"})
#: Flags the OpenAPI documents type as strings (``isBilled``: ``true``, ``false``, ``partial``).
STRING_FLAGS = frozenset({"isBilled"})
_TS_IN = "%m/%d/%Y %H:%M:%S"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ISO_TS = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]00:?00)?\Z")


def by_path(path: str) -> RestObject | None:
    """The table entry whose REST object is ``path`` (``time/timesheet``), or None."""
    for o in REST_OBJECTS.values():
        if o.path == path:
            return o
    return None


def camel(text: str) -> str:
    """``Partially Approved`` -> ``partiallyApproved``; ``active`` stays."""
    words = re.split(r"[\s_&-]+", text.strip())
    words = [w for w in words if w]
    if not words:
        return ""
    return words[0][:1].lower() + words[0][1:] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def to_rest(f: FieldDef | None, path: str, value: Any) -> Any:
    """A stored value as REST shows it at ``path``."""
    if value is None:
        return None
    text = str(value)
    datatype = f.datatype if f is not None else "TEXT"
    if text == "":
        leaf = path.split(".")[-1]
        empty_null = datatype in ("DATE", "TIMESTAMP", "BOOLEAN") or path in NUMERIC_PATHS
        return None if empty_null or leaf.startswith("is") else ""
    if datatype == "TIMESTAMP":
        try:
            return datetime.strptime(text, _TS_IN).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return text
    if datatype == "DATE":
        try:
            return datetime.strptime(text[:10], "%m/%d/%Y").strftime("%Y-%m-%d")
        except ValueError:
            return text
    if path in STRING_FLAGS:
        return text.lower()
    if datatype == "BOOLEAN" or (
        text in ("true", "false") and path.split(".")[-1].startswith("is")
    ):
        return text.lower() == "true"
    if path in NUMERIC_PATHS:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        return int(number) if number == number.to_integral_value() else float(number)
    if f is not None and f.valid_values:
        return camel(text)
    return text


def to_xml(f: FieldDef | None, value: Any) -> str:
    """A REST value (a filter operand, a written field) in the stored (XML) form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    m = _ISO_TS.match(text)
    if m is not None:
        day = datetime.strptime(m.group(1), "%Y-%m-%d").strftime("%m/%d/%Y")
        if f is not None and f.datatype == "DATE":
            return day
        return f"{day} {m.group(2)}"
    if _ISO_DATE.match(text):
        return datetime.strptime(text, "%Y-%m-%d").strftime("%m/%d/%Y")
    if f is not None and f.valid_values:
        for v in f.valid_values:
            if camel(v) == text or v == text:
                return v
    return text


def flatten(record: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The dotted paths and leaf values of a nested REST record (lists are leaves)."""
    for key, value in record.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, path + ".")
        else:
            yield path, value


def nest(pairs: Iterator[tuple[str, Any]] | list[tuple[str, Any]]) -> dict[str, Any]:
    """A nested REST record from dotted paths (``employee.id`` -> ``{"employee": {"id"}}``)."""
    out: dict[str, Any] = {}
    for path, value in pairs:
        parts = path.split(".")
        here = out
        for p in parts[:-1]:
            nxt = here.get(p)
            if not isinstance(nxt, dict):
                nxt = {}
                here[p] = nxt
            here = nxt
        here[parts[-1]] = value
    return out
