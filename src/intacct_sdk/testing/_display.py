"""Python values in the gateway's display formats, and records as the gateway stores them.

The company stores every value as the text the gateway shows (``true``/``false``,
``MM/DD/YYYY``, ``MM/DD/YYYY HH:MM:SS``, fixed-point decimals) in flat records keyed by
upper-case field names, dotted for nested groups (``PERSONALINFO.EMAIL1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["flatten", "to_wire_value"]

_STAMPS = frozenset({"WHENCREATED", "WHENMODIFIED"})


def to_wire_value(value: Any) -> str | None:
    """Convert a Python value to the gateway's display format (None stays None).

    Args:
        value: A bool (``true``/``false``), datetime (``MM/DD/YYYY HH:MM:SS``: an aware one
            converted to UTC, a naive one taken as UTC), date (``MM/DD/YYYY``), Decimal
            (fixed-point, no exponent), or anything else (``str()``).

    Returns:
        The text the gateway would show, or None for None.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment: datetime = value
        if moment.tzinfo is not None and moment.utcoffset() is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%m/%d/%Y")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def flatten(record: Mapping[str, Any], prefix: str = "", clear: bool = False) -> dict[str, Any]:
    """A record given with Python values, as the company stores it.

    Args:
        record: Field names to values; nested mappings are groups, a list of mappings is a
            list of owned lines, a list of plain values a multi-select value (``#~#``).
        prefix: The group's dotted prefix (for the recursion).
        clear: Keep a None as an empty value (an update clears the field) instead of leaving
            it out. WHENCREATED and WHENMODIFIED are always kept: None asks for them empty.

    Returns:
        Upper-case dotted keys to display values (lists of such records for lines).
    """
    out: dict[str, Any] = {}
    for k, v in record.items():
        key = f"{prefix}{k.upper()}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + ".", clear))
        elif isinstance(v, list | tuple):
            if all(isinstance(item, Mapping) for item in v):
                out[key] = [flatten(item) for item in v]  # owned lines
            else:  # a multi-select pick list
                out[key] = "#~#".join(w for w in map(to_wire_value, v) if w is not None)
        else:
            w = to_wire_value(v)
            if w is not None:
                out[key] = w
            elif clear or key in _STAMPS:
                out[key] = ""
    return out
