"""Named converter pairs: how a value changes on its way in (pull) and out (push).

A spec names converters by string (so TOML files can use them); the registry holds the
built-in ones and any the application adds with :func:`register_converter`::

    register_converter("tenths", lambda d: int(d * 10), lambda t: Decimal(t) / 10)

A converter receives values already coerced to the Intacct field's type (``Decimal`` for a
DECIMAL field even when the client handed over a string), and its result is coerced to the
model attribute's type.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from timesync.errors import ConfigurationError
from timesync.mapping._values import coerce
from timesync.models import Status

__all__ = ["Converter", "converter_names", "get_converter", "register_converter"]


@attrs.frozen(slots=True)
class Converter:
    """A pair of one-value functions, one per direction.

    Attributes:
        name: The registry name.
        to_local: Intacct value -> local value (pull). Raise ValueError for a bad value.
        to_remote: Local value -> Intacct value (push). Raise ValueError for a bad value.
        description: One line for ``mapping show`` and the docs.
    """

    name: str
    to_local: Callable[[Any], Any] = attrs.field(eq=False)
    to_remote: Callable[[Any], Any] = attrs.field(eq=False)
    description: str = ""


_LOCK = threading.Lock()
_REGISTRY: dict[str, Converter] = {}


def register_converter(
    name: str,
    to_local: Callable[[Any], Any],
    to_remote: Callable[[Any], Any],
    *,
    description: str = "",
    replace: bool = False,
) -> Converter:
    """Add a named converter pair to the registry, for use by name in specs and TOML.

    Args:
        name: The name specs use (letters, digits, ``_``, ``-``, ``.``).
        to_local: Pull direction.
        to_remote: Push direction.
        description: One line shown by ``mapping show``.
        replace: Allow replacing an existing converter of that name.

    Raises:
        ConfigurationError: Bad name, or the name is taken and ``replace`` is false.
    """
    if not name or not all(c.isalnum() or c in "_-." for c in name):
        raise ConfigurationError(f"invalid converter name {name!r}")
    conv = Converter(name, to_local, to_remote, description)
    with _LOCK:
        if name in _REGISTRY and not replace:
            raise ConfigurationError(f"a converter named {name!r} is already registered")
        _REGISTRY[name] = conv
    return conv


def get_converter(name: str) -> Converter:
    """Return the converter registered as ``name``.

    Raises:
        ConfigurationError: No such converter (the message lists the known names).
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigurationError(f"unknown converter {name!r} (known: {known})") from None


def converter_names() -> tuple[str, ...]:
    """Names of every registered converter, sorted."""
    return tuple(sorted(_REGISTRY))


def _text(fn: Callable[[str], str]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        return fn(value) if isinstance(value, str) else value

    return apply


def _same(value: Any) -> Any:
    return value


def _yn_to_bool(value: Any) -> bool:
    result = coerce(value, "bool")
    if result is None:
        raise ValueError("expected Y or N")
    return bool(result)


def _bool_to_yn(value: Any) -> str:
    result = coerce(value, "bool")
    return "Y" if result else "N"


_MINUTE = Decimal(60)
_HUNDREDTH = Decimal("0.01")


def _hours_to_minutes(value: Any) -> int:
    hours = coerce(value, "decimal")
    return int((hours * _MINUTE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _minutes_to_hours(value: Any) -> Decimal:
    minutes = coerce(value, "int")
    return (Decimal(minutes) / _MINUTE).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def _to_cents(value: Any) -> int:
    amount = coerce(value, "decimal")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _from_cents(value: Any) -> Decimal:
    return (Decimal(coerce(value, "int")) / 100).quantize(_HUNDREDTH)


_TASK_DONE = frozenset({"completed", "c"})


def _task_status(value: Any) -> Status:
    text = str(value).strip().lower()
    return Status.INACTIVE if text in _TASK_DONE else Status.ACTIVE


def _task_status_out(value: Any) -> str:
    return "Completed" if coerce(value, "status") is Status.INACTIVE else "In Progress"


_GLUE = "#~#"


def _split_multi(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return tuple(part for part in str(value).split(_GLUE) if part)


def _join_multi(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


for _name, _local, _remote, _doc in (
    ("identity", _same, _same, "no change"),
    ("strip", _text(str.strip), _text(str.strip), "trim surrounding whitespace both ways"),
    ("upper", _text(str.upper), _same, "upper-case on pull; pushed as stored"),
    ("lower", _text(str.lower), _same, "lower-case on pull; pushed as stored"),
    ("bool_yn", _yn_to_bool, _bool_to_yn, "Intacct Y/N <-> local bool"),
    (
        "decimal_hours_to_minutes",
        _hours_to_minutes,
        _minutes_to_hours,
        "Intacct decimal hours <-> local whole minutes",
    ),
    ("cents", _to_cents, _from_cents, "Intacct money <-> local whole cents"),
    (
        "task_status",
        _task_status,
        _task_status_out,
        "TASKSTATUS -> Status (Completed is inactive); pushes In Progress/Completed",
    ),
    ("multi_select", _split_multi, _join_multi, "a #~# multi-select <-> a tuple of strings"),
):
    register_converter(_name, _local, _remote, description=_doc)
