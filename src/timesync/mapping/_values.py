"""Value kinds and coercion between Intacct values, raw strings and model attribute types.

Records from the client arrive typed (``date``, ``Decimal``, ``bool``, ``int``, ``datetime``)
when it knows the field, but a client built with ``typed=False`` or legacy data hands over
strings. Coercion accepts both, so a spec works with either.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal, Union, get_args, get_origin, get_type_hints

from timesync.models import Status

__all__ = ["Kind", "coerce", "kind_of_annotation", "kind_of_datatype"]

Kind = Literal["str", "int", "decimal", "bool", "date", "datetime", "status", "any"]

_DATATYPE_KIND: Final[Mapping[str, Kind]] = {
    "TEXT": "str",
    "ENUM": "str",
    "INTEGER": "int",
    "DECIMAL": "decimal",
    "CURRENCY": "decimal",
    "PERCENT": "decimal",
    "BOOLEAN": "bool",
    "DATE": "date",
    "TIMESTAMP": "datetime",
}

_TRUE: Final = frozenset({"true", "t", "yes", "y", "1"})
_FALSE: Final = frozenset({"false", "f", "no", "n", "0"})
_ACTIVE: Final = frozenset({"active", "active non-posting", "t", "true"})
_INACTIVE: Final = frozenset({"inactive", "f", "false"})
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_US_DATETIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def kind_of_datatype(datatype: str | None) -> Kind:
    """The value kind of a ``lookup`` DATATYPE (unknown types are ``any``)."""
    if datatype is None:
        return "any"
    return _DATATYPE_KIND.get(datatype.upper(), "any")


def kind_of_annotation(annotation: Any) -> Kind:
    """The value kind of a model attribute's type annotation (``str | None`` -> ``str``)."""
    origin = get_origin(annotation)
    if origin is Union or (origin is not None and type(None) in get_args(annotation)):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return kind_of_annotation(args[0])
        return "any"
    for typ, kind in (
        (bool, "bool"),
        (int, "int"),
        (Decimal, "decimal"),
        (datetime, "datetime"),
        (date, "date"),
        (Status, "status"),
        (str, "str"),
    ):
        if annotation is typ:
            return kind  # type: ignore[return-value]
    return "any"


def attribute_kinds(model: type) -> dict[str, Kind]:
    """The value kind of every attribute of an attrs model."""
    hints = get_type_hints(model)
    return {name: kind_of_annotation(hint) for name, hint in hints.items()}


def coerce(value: Any, kind: Kind, tz: tzinfo = UTC) -> Any:
    """Convert ``value`` to ``kind``; None and blank strings become None.

    Args:
        value: A typed value or a raw string.
        kind: The wanted kind.
        tz: The zone given to naive timestamps.

    Raises:
        ValueError: The value cannot be read as ``kind``.
        TypeError: The value's type cannot become ``kind``.
    """
    if value is None:
        return None
    if kind == "str" and type(value) is str:
        return value or None
    if isinstance(value, str):
        if not value.strip() and kind != "str":
            return None
        if not value and kind == "str":
            return None
    if kind == "any":
        return value
    if kind == "str":
        return _to_str(value)
    if kind == "int":
        return _to_int(value)
    if kind == "decimal":
        return _to_decimal(value)
    if kind == "bool":
        return _to_bool(value)
    if kind == "date":
        return _to_date(value)
    if kind == "datetime":
        return _to_datetime(value, tz)
    return _to_status(value)


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        raise ValueError("expected a whole number")
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError("expected a whole number") from None
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("expected a number, got bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError("expected a number") from None
    else:
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError("expected a finite number")
    return result


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("expected true or false")
    raise TypeError(f"expected a boolean, got {type(value).__name__}")


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        match = _US_DATE.match(text)
        try:
            if match:
                month, day, year = (int(g) for g in match.groups())
                return date(year, month, day)
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError("expected a date (MM/DD/YYYY or YYYY-MM-DD)") from None
    raise TypeError(f"expected a date, got {type(value).__name__}")


def _to_datetime(value: Any, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, str):
        text = value.strip()
        match = _US_DATETIME.match(text)
        try:
            if match:
                month, day, year, hour, minute = (int(g) for g in match.groups()[:5])
                second = int(match.group(6) or 0)
                result = datetime(year, month, day, hour, minute, second)
            else:
                result = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("expected a timestamp (MM/DD/YYYY HH:MM:SS or ISO 8601)") from None
    else:
        raise TypeError(f"expected a timestamp, got {type(value).__name__}")
    if result.tzinfo is None or result.utcoffset() is None:
        result = result.replace(tzinfo=tz)
    return result


def _to_status(value: Any) -> Status:
    if isinstance(value, Status):
        return value
    if isinstance(value, bool):
        return Status.ACTIVE if value else Status.INACTIVE
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _ACTIVE:
            return Status.ACTIVE
        if text in _INACTIVE:
            return Status.INACTIVE
        raise ValueError("expected a status (active or inactive)")
    raise TypeError(f"expected a status, got {type(value).__name__}")


def remote_form(value: Any) -> Any:
    """A local value in the form the client writes: enums become their values."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: remote_form(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [remote_form(v) for v in value]
    return value
