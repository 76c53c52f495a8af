"""The :class:`~intacct_sdk.query.F` filter builder rendered to the REST query shape.

A filter tree becomes a flat ``filters`` list of ``{"$op": {"field": value}}`` conditions and
a ``filterExpression`` that combines them by number (``"1 and (2 or 3)"``); a single condition
or a plain AND of conditions needs no expression (the API's default is AND of all).

Field names are written as given: REST fields are dotted paths (``audit.modifiedDateTime``,
``employee.id``), not the XML names. Values: dates as ``YYYY-MM-DD``, aware datetimes in UTC
with ``Z``, everything else as the filter holds it (its wire text: numbers as digits, booleans
``true``/``false``). ``like`` patterns of the form ``abc%``, ``%abc`` and ``%abc%`` become
``$startsWith``, ``$endsWith`` and ``$contains``; other patterns are refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from intacct_sdk._errors import ConfigurationError
from intacct_sdk.query import Filter

__all__ = ["render_filter", "rest_value"]

_OPS = {
    "equalto": "$eq",
    "notequalto": "$ne",
    "lessthan": "$lt",
    "lessthanorequalto": "$lte",
    "greaterthan": "$gt",
    "greaterthanorequalto": "$gte",
    "in": "$in",
    "notin": "$notIn",
    "between": "$between",
}


def rest_value(value: str | date) -> str:
    """One filter value as the REST API reads it."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + (
            f".{value.microsecond // 1000:03d}Z" if value.microsecond else "Z"
        )
    if isinstance(value, date):
        return value.isoformat()
    return value


def _like(field: str, pattern: str, negate: bool) -> dict[str, Any]:
    core = pattern.strip("%")
    if "%" in core or "_" in core or not core:
        raise ConfigurationError(
            f"the REST API has no LIKE: {pattern!r} is not 'x%', '%x' or '%x%'"
        )
    if pattern.startswith("%") and pattern.endswith("%") and len(pattern) > 1:
        op = "$contains"
    elif pattern.endswith("%"):
        op = "$startsWith"
    elif pattern.startswith("%"):
        op = "$endsWith"
    else:
        op = "$eq"
        return {"$ne" if negate else "$eq": {field: core}}
    if negate:
        op = "$not" + op[1].upper() + op[2:]
    return {op: {field: core}}


def _condition(node: Filter) -> dict[str, Any]:
    field = node.field
    assert field is not None
    values = [rest_value(v) for v in node.values]
    if node.op in ("like", "notlike"):
        return _like(field, str(values[0]), node.op == "notlike")
    if node.op == "isnull":
        return {"$eq": {field: None}}
    if node.op == "isnotnull":
        return {"$ne": {field: None}}
    op = _OPS[node.op]
    if node.op in ("in", "notin", "between"):
        return {op: {field: values}}
    return {op: {field: values[0]}}


def render_filter(where: Filter) -> tuple[list[dict[str, Any]], str | None]:
    """``filters`` and ``filterExpression`` (None when the default AND of all is meant)."""
    filters: list[dict[str, Any]] = []

    def walk(node: Filter, top: bool) -> str:
        if node.children:
            parts = [walk(child, False) for child in node.children]
            text = f" {node.op} ".join(parts)
            return text if top else f"({text})"
        filters.append(_condition(node))
        return str(len(filters))

    expression = walk(where, True)
    plain_and = where.op == "and" and all(not c.children for c in where.children)
    if len(filters) == 1 or plain_and:
        return filters, None
    return filters, expression
