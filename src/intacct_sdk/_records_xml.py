"""Records as the XML of ``create`` and ``update``: nesting, lists and values.

Records are mappings keyed by Intacct field names. Values are written in wire format (see
:func:`intacct_sdk._values.to_wire`): dates and datetimes in the API user's format when the
client builds the request, aware datetimes for the fields the schema marks GMT in UTC;
``None`` is left out. Nested groups are written from dotted keys (``"PERSONALINFO.EMAIL1"``)
or nested mappings; a list of mappings under a plural key (``"TIMESHEETENTRIES"``) becomes
repeated children named by its singular (``TIMESHEETENTRY``: ``IES`` -> ``Y``, else the
trailing ``S`` dropped); ``{"TIMESHEETENTRIES": {"TIMESHEETENTRY": [...]}}`` names the child
explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from intacct_sdk import schema
from intacct_sdk._errors import ConfigurationError
from intacct_sdk._values import to_wire
from intacct_sdk._xml import escape_text, is_xml_name

__all__ = ["singular", "write_record"]

_MAX_NESTING: Final = 32
_NAMES_KEPT: Final = 4096
# Field names already checked: a push writes the same few names for every record.
_checked_names: dict[str, str] = {}


def singular(tag: str) -> str | None:
    """The child tag of a plural group tag (``TIMESHEETENTRIES`` -> ``TIMESHEETENTRY``)."""
    if tag.endswith("IES"):
        return tag[:-3] + "Y"
    if tag.endswith("ies"):
        return tag[:-3] + "y"
    if len(tag) > 1 and tag[-1] in "Ss":
        return tag[:-1]
    return None


def _check_name(name: Any) -> str:
    if type(name) is str and name in _checked_names:
        return name
    if not isinstance(name, str) or not is_xml_name(name):
        raise ConfigurationError(f"{name!r} is not a valid field name")
    if len(_checked_names) < _NAMES_KEPT:
        _checked_names[name] = name
    return name


def _nest(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """Fold dotted keys into nested dicts, keeping first-seen order.

    A record of plain string keys (the usual case) is returned as it is: without dots, no
    key can collide with a group.
    """
    if all(type(key) is str and "." not in key for key in record):
        return record
    out: dict[str, Any] = {}
    for key, value in record.items():
        if not isinstance(key, str):
            raise ConfigurationError(f"field names are strings, got {type(key).__name__}")
        head, dot, rest = key.partition(".")
        if dot:
            sub = out.setdefault(head, {})
            if not isinstance(sub, dict):
                raise ConfigurationError(f"{head!r} is given both as a value and as a group")
            sub[rest] = value
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key].update(value)
        elif key in out and isinstance(out[key], dict):
            raise ConfigurationError(f"{key!r} is given both as a value and as a group")
        else:
            out[key] = value
    return out


def _is_records(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value)


def _write_fields(
    record: Mapping[str, Any], out: list[str], depth: int, gmt: frozenset[str] = frozenset()
) -> None:
    if depth > _MAX_NESTING:
        raise ConfigurationError(f"records nest deeper than {_MAX_NESTING} levels")
    for key, value in _nest(record).items():
        if value is None:
            continue
        tag = _check_name(key)
        if type(value) is str:  # the common case first: no group, no list, no conversion
            out.append(f"<{tag}>{escape_text(value)}</{tag}>" if value else f"<{tag}></{tag}>")
        elif isinstance(value, Mapping):
            if len(value) == 1:
                ((child, items),) = value.items()
                if _is_records(items) and items:
                    _write_list(tag, _check_name(child), items, out, depth)
                    continue
            out.append(f"<{tag}>")
            _write_fields(value, out, depth + 1)
            out.append(f"</{tag}>")
        elif _is_records(value) and value:
            child = singular(tag)
            if child is None:
                raise ConfigurationError(
                    f"cannot name the children of {tag!r}; pass {{'{tag}': {{'CHILD': [...]}}}}"
                )
            _write_list(tag, child, value, out, depth)
        else:
            text = to_wire(value, gmt=tag in gmt)
            out.append(f"<{tag}>{escape_text(text)}</{tag}>" if text else f"<{tag}></{tag}>")


def _write_list(
    tag: str, child: str, items: Sequence[Mapping[str, Any]], out: list[str], depth: int
) -> None:
    out.append(f"<{tag}>")
    for item in items:
        out.append(f"<{child}>")
        _write_fields(item, out, depth + 1)
        out.append(f"</{child}>")
    out.append(f"</{tag}>")


def write_record(object_name: str, record: Mapping[str, Any]) -> str:
    """One record as ``<OBJECT>...</OBJECT>`` (see the module docstring for the rules)."""
    if not isinstance(record, Mapping):
        raise ConfigurationError(f"records are mappings, got {type(record).__name__}")
    out = [f"<{object_name}>"]
    _write_fields(record, out, 0, schema.gmt_fields(object_name))
    out.append(f"</{object_name}>")
    return "".join(out)
