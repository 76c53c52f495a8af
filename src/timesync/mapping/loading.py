"""Specs from TOML files and dicts, merged over the defaults, and back to TOML.

A file has one table per Intacct object. Tables for objects that have a default change that
default; other tables define new specs (they must name a ``model``)::

    [TIMESHEET]
    custom = { APPROVAL_NOTE = "TEXT" }

    [[TIMESHEET.fields]]
    local = "custom_fields.APPROVAL_NOTE"
    remote = "APPROVAL_NOTE"
    direction = "push"

Field maps in a file replace default maps with the same ``local`` name and add the rest;
``remove = ["notes"]`` drops default maps; ``replace = true`` makes the file's table the whole
spec (what :func:`dump_spec_toml` writes, so ``mapping show --format toml`` output is a complete,
loadable spec).
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Final

from intacct_sdk.query import Filter
from timesync.errors import ConfigurationError
from timesync.mapping.converters import Converter, converter_names, get_converter
from timesync.mapping.defaults import default_specs
from timesync.mapping.rules import AllocationRule
from timesync.mapping.spec import ACTIVE_ONLY, ChildMap, FieldMap, MappingSpec
from timesync.models import MODELS

__all__ = ["dump_spec_toml", "dump_specs_toml", "load_specs", "spec_to_dict"]

_SPEC_KEYS: Final = frozenset(
    {
        "model",
        "replace",
        "fields",
        "remove",
        "children",
        "lexicon",
        "filter",
        "unknown",
        "custom",
        "allow_sensitive",
        "exclusive",
        "inactive_when",
        "udd_passthrough",
        "rules",
        "timezone",
        "constants",
    }
)
_FIELD_KEYS: Final = frozenset(
    {"local", "remote", "direction", "converter", "default", "required", "hashed"}
)
_RULE_KEYS: Final = frozenset(
    {
        "name",
        "priority",
        "time_types",
        "items",
        "gl_groups",
        "employees",
        "departments",
        "projects",
        "set",
    }
)
_CHILD_KEYS: Final = frozenset({"local", "remote", "object", "direction"})


# -- spec -> dict ---------------------------------------------------------------------------


def _model_ref(model: type) -> str:
    if MODELS.get(model.__name__) is model:
        return model.__name__
    return f"{model.__module__}:{model.__qualname__}"


def filter_to_dict(flt: Filter) -> dict[str, Any]:
    """A filter as nested tables: ``{op, field, values}`` or ``{op, filters}``."""
    if flt.children:
        return {"op": flt.op, "filters": [filter_to_dict(c) for c in flt.children]}
    out: dict[str, Any] = {"op": flt.op, "field": flt.field}
    if flt.values:
        out["values"] = list(flt.values)
    return out


def _converter_ref(conv: str | Converter | None) -> str | Converter | None:
    if isinstance(conv, Converter):
        try:
            if get_converter(conv.name) is conv:
                return conv.name
        except ConfigurationError:
            pass
    return conv


def spec_to_dict(spec: MappingSpec) -> dict[str, Any]:
    """The complete table of ``spec`` (``replace = true``), child specs by object name."""
    out: dict[str, Any] = {"model": _model_ref(spec.model), "replace": True}
    if spec.active_only:
        out["filter"] = "active"
    elif spec.filter is None:
        out["filter"] = "none"
    else:
        out["filter"] = filter_to_dict(spec.filter)
    out["unknown"] = spec.unknown
    out["timezone"] = spec.timezone
    if spec.udd_passthrough:
        out["udd_passthrough"] = spec.udd_passthrough
    if spec.custom:
        out["custom"] = dict(spec.custom)
    if spec.allow_sensitive:
        out["allow_sensitive"] = sorted(spec.allow_sensitive)
    if spec.exclusive:
        out["exclusive"] = [list(g) for g in spec.exclusive]
    if spec.inactive_when:
        out["inactive_when"] = {k: list(v) for k, v in spec.inactive_when.items()}
    if spec.lexicon:
        out["lexicon"] = dict(spec.lexicon)
    if spec.constants:
        out["constants"] = dict(spec.constants)
    if spec.children:
        out["children"] = [
            {
                "local": c.local,
                "remote": c.remote,
                "object": c.spec.object_name,
                "direction": c.direction,
            }
            for c in spec.children
        ]
    fields = []
    for fm in spec.fields:
        row: dict[str, Any] = {"local": fm.local, "remote": fm.remote, "direction": fm.direction}
        conv = _converter_ref(fm.converter)
        if conv is not None:
            row["converter"] = conv
        if fm.default is not None:
            row["default"] = fm.default
        if fm.required:
            row["required"] = True
        if not fm.hashed:
            row["hashed"] = False
        fields.append(row)
    out["fields"] = fields
    if spec.rules:
        out["rules"] = [_rule_to_dict(r) for r in spec.rules]
    return out


def _rule_to_dict(rule: AllocationRule) -> dict[str, Any]:
    row: dict[str, Any] = {"name": rule.name, "priority": rule.priority}
    for key in ("time_types", "items", "gl_groups", "employees", "departments", "projects"):
        value = getattr(rule, key)
        if value:
            row[key] = list(value)
    row["set"] = dict(rule.set)
    return row


# -- dict -> spec ---------------------------------------------------------------------------


def _unknown_keys(where: str, table: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    out = []
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f"{where}: unknown option {key!r}{hint}")
    return out


def _resolve_model(ref: Any) -> type:
    if isinstance(ref, type):
        return ref
    if not isinstance(ref, str):
        raise ConfigurationError(f"model must be a name, not {type(ref).__name__}")
    if ref in MODELS:
        return MODELS[ref]
    module_name, _, attr = ref.partition(":")
    if not attr:
        close = difflib.get_close_matches(ref, list(MODELS), n=3)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise ConfigurationError(
            f"unknown model {ref!r}{hint} (use a timesync model name or 'module:Class')"
        )
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot import model {ref!r}: {exc}") from None
    if not isinstance(obj, type):
        raise ConfigurationError(f"model {ref!r} is not a class")
    return obj


def filter_from_dict(value: Any, where: str) -> Filter:
    """Build a filter from :func:`filter_to_dict`'s form (``value`` may stand for ``values``)."""
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where}: a filter is a table, 'active' or 'none'")
    op = value.get("op")
    if not isinstance(op, str):
        raise ConfigurationError(f"{where}: a filter needs an 'op'")
    if "filters" in value:
        children = tuple(
            filter_from_dict(c, f"{where}.filters[{i}]") for i, c in enumerate(value["filters"])
        )
        return Filter(op, children=children)
    values = value.get("values", [value["value"]] if "value" in value else [])
    if not isinstance(values, list):
        values = [values]
    try:
        return Filter(op, field=value.get("field"), values=tuple(_wire(v) for v in values))
    except ValueError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None


def _wire(value: Any) -> str | date:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        # Kept as a value: the client writes it in the API user's date format and zone.
        return value
    return str(value)


def _field_from_dict(row: Any, where: str, problems: list[str]) -> FieldMap | None:
    if not isinstance(row, Mapping):
        problems.append(f"{where}: a field map is a table")
        return None
    if "local" not in row or "remote" not in row:
        problems.append(f"{where}: a field map needs 'local' and 'remote'")
        return None
    return FieldMap(
        local=str(row["local"]),
        remote=str(row["remote"]),
        direction=row.get("direction", "both"),
        converter=row.get("converter"),
        default=row.get("default"),
        required=bool(row.get("required", False)),
        hashed=bool(row.get("hashed", True)),
    )


def _rule_from_dict(row: Any, where: str, problems: list[str]) -> AllocationRule | None:
    if not isinstance(row, Mapping):
        problems.append(f"{where}: a rule is a table")
        return None
    try:
        kwargs = {k: v for k, v in row.items() if k in _RULE_KEYS}
        return AllocationRule(**kwargs)
    except (ConfigurationError, TypeError, ValueError) as exc:
        problems.append(f"{where}: {exc}")
        return None


def _table_key_problems(name: str, table: Mapping[str, Any]) -> list[str]:
    """Misspelt option names in one table of the source (indexes as in the file)."""
    out = _unknown_keys(name, table, _SPEC_KEYS)
    for key, allowed in (("fields", _FIELD_KEYS), ("rules", _RULE_KEYS), ("children", _CHILD_KEYS)):
        rows = table.get(key, [])
        if not isinstance(rows, list):
            out.append(f"{name}.{key}: expected a list of tables")
            continue
        for i, row in enumerate(rows):
            if isinstance(row, Mapping):
                out.extend(_unknown_keys(f"{name}.{key}[{i}]", row, allowed))
    return out


def _summary(problems: Sequence[str]) -> str:
    """One line that states every problem (a run's error shows them all, not the first)."""
    label = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    return f"{label} in mapping specs: {'; '.join(problems)}"


def _known_objects() -> frozenset[str]:
    """Every object the schema facts know (a spec for another one is a new object)."""
    from intacct_sdk.schema import known_objects
    from timesync.mapping._schema import _EXTRA

    return known_objects() | frozenset(_EXTRA)


def _without_misspelt_rows(
    name: str, table: Mapping[str, Any], found: Sequence[str]
) -> Mapping[str, Any]:
    """``table`` without the field rows that a misspelt option left incomplete (``remtoe``
    for ``remote``): the misspelling is reported, not again as a row without ``remote``.
    Rows that are complete go on to be checked, so each of their problems is reported."""
    if not found:
        return table
    out = dict(table)
    for key in ("fields", "rules", "children"):
        rows = table.get(key)
        if not isinstance(rows, list):
            continue
        out[key] = [
            row
            for i, row in enumerate(rows)
            if not (
                key == "fields"
                and isinstance(row, Mapping)
                and not ("local" in row and "remote" in row)
                and any(p.startswith(f"{name}.{key}[{i}]:") for p in found)
            )
        ]
    return out


def _merge(base: dict[str, Any] | None, table: Mapping[str, Any]) -> dict[str, Any]:
    if base is None or table.get("replace"):
        merged = dict(table)
        merged.pop("remove", None)
        return merged
    merged = dict(base)
    for key in ("lexicon", "custom", "inactive_when", "constants"):
        if key in table:
            merged[key] = {**base.get(key, {}), **table[key]}
    for key in (
        "filter",
        "unknown",
        "timezone",
        "udd_passthrough",
        "model",
        "children",
        "allow_sensitive",
        "exclusive",
    ):
        if key in table:
            merged[key] = table[key]
    fields = list(base.get("fields", []))
    remove = set(table.get("remove", []))
    new_fields = list(table.get("fields", []))
    new_locals = {row.get("local") for row in new_fields if isinstance(row, Mapping)}
    fields = [f for f in fields if f["local"] not in remove and f["local"] not in new_locals]
    merged["fields"] = fields + new_fields
    merged["rules"] = list(base.get("rules", [])) + list(table.get("rules", []))
    merged["_remove"] = sorted(remove - {f["local"] for f in base.get("fields", [])})
    return merged


def _build_all(tables: dict[str, dict[str, Any]]) -> dict[str, MappingSpec]:
    problems: list[str] = []
    built: dict[str, MappingSpec] = {}
    building: set[str] = set()

    def build(name: str) -> MappingSpec | None:
        if name in built:
            return built[name]
        if name in building:
            problems.append(f"{name}: child specs form a cycle")
            return None
        building.add(name)
        try:
            return _build_one(name)
        finally:
            building.discard(name)

    def _build_one(name: str) -> MappingSpec | None:
        table = tables[name]
        problems.extend(
            f"{name}: remove names {local!r}, which no default map has"
            for local in table.get("_remove", [])
        )
        if "model" not in table:
            problems.append(f"{name}: a new spec must name its 'model'")
            return None
        try:
            model = _resolve_model(table["model"])
        except ConfigurationError as exc:
            problems.append(f"{name}: {exc}")
            return None
        fields: list[FieldMap] = []
        for i, row in enumerate(table.get("fields", [])):
            fm = _field_from_dict(row, f"{name}.fields[{i}]", problems)
            if fm is not None:
                fields.append(fm)
        rules: list[AllocationRule] = []
        for i, row in enumerate(table.get("rules", [])):
            rule = _rule_from_dict(row, f"{name}.rules[{i}]", problems)
            if rule is not None:
                rules.append(rule)
        children: list[ChildMap] = []
        for i, row in enumerate(table.get("children", [])):
            where = f"{name}.children[{i}]"
            if not isinstance(row, Mapping) or not {"local", "remote", "object"} <= set(row):
                problems.append(f"{where}: a child needs 'local', 'remote' and 'object'")
                continue
            child_name = str(row["object"]).upper()
            if child_name not in tables:
                problems.append(f"{where}: no spec for child object {child_name}")
                continue
            child = build(child_name)
            if child is not None:
                children.append(
                    ChildMap(
                        local=row["local"],
                        remote=row["remote"],
                        spec=child,
                        direction=row.get("direction", "both"),
                    )
                )
        flt: Any = table.get("filter", "active")
        if flt == "active":
            flt = ACTIVE_ONLY
        elif flt == "none":
            flt = None
        else:
            try:
                flt = filter_from_dict(flt, f"{name}.filter")
            except ConfigurationError as exc:
                problems.append(str(exc))
                flt = None
        try:
            spec = MappingSpec(
                object_name=name,
                model=model,
                fields=tuple(fields),
                children=tuple(children),
                lexicon=table.get("lexicon", {}),
                filter=flt,
                unknown=table.get("unknown", "keep"),
                custom=table.get("custom", {}),
                allow_sensitive=table.get("allow_sensitive", ()),
                exclusive=table.get("exclusive", ()),
                inactive_when=table.get("inactive_when", {}),
                udd_passthrough=table.get("udd_passthrough"),
                rules=tuple(rules),
                timezone=table.get("timezone", "UTC"),
                constants=table.get("constants", {}),
            )
        except ConfigurationError as exc:
            problems.extend(exc.problems)
            return None
        except (TypeError, ValueError, AttributeError) as exc:
            problems.append(f"{name}: {exc}")
            return None
        built[name] = spec
        return spec

    for name in tables:
        build(name)
    if problems:
        unique = list(dict.fromkeys(problems))
        raise ConfigurationError(_summary(unique), unique)
    return built


def load_specs(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    base: Mapping[str, MappingSpec] | None = None,
) -> dict[str, MappingSpec]:
    """Load specs from a TOML file (path) or a dict, merged over ``base`` (the defaults).

    Args:
        source: A TOML file path, or the parsed dict.
        base: The specs to merge over; ``default_specs()`` when None.

    Returns:
        Every spec of ``base`` (changed where the source says so) plus the new ones.

    Raises:
        ConfigurationError: With ``problems`` listing every problem found.
    """
    if isinstance(source, Mapping):
        data: Mapping[str, Any] = source
    else:
        path = Path(source)
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path} is not valid TOML: {exc}") from None
    specs = default_specs() if base is None else dict(base)
    tables: dict[str, dict[str, Any]] = {name: spec_to_dict(s) for name, s in specs.items()}
    problems: list[str] = []
    for raw_name, table in data.items():
        if not isinstance(table, Mapping):
            problems.append(f"{raw_name}: expected a table of spec options")
            continue
        name = raw_name.upper()
        found = _table_key_problems(name, table)
        problems.extend(found)
        if name not in tables and name not in _known_objects() and "custom" not in table:
            close = difflib.get_close_matches(name, sorted(_known_objects() | set(tables)), n=1)
            if close:  # a misspelt object, not a new one (that would declare its fields)
                problems.append(
                    f"[{raw_name}]: no object {name} (did you mean [{close[0]}]?); a new object"
                    " needs its key field declared in its custom fields"
                )
                continue
        tables[name] = _merge(tables.get(name), _without_misspelt_rows(name, table, found))
    specs = {}
    try:
        specs = _build_all(tables)
    except ConfigurationError as exc:
        problems.extend(exc.problems)
    if problems:
        unique = list(dict.fromkeys(problems))
        raise ConfigurationError(_summary(unique), unique)
    return specs


# -- TOML writing ---------------------------------------------------------------------------


def _toml_key(key: str) -> str:
    if key and all(c.isalnum() or c in "_-" for c in key):
        return key
    return _toml_str(key)


def _toml_str(text: str) -> str:
    # JSON escapes every control character TOML forbids in basic strings except DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, Decimal):
        return _toml_str(format(value, "f"))
    if isinstance(value, Enum):
        return _toml_value(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Converter):
        raise ConfigurationError(
            f"converter {value.name!r} is not registered, so the spec cannot be written as TOML "
            f"(register it with register_converter; known: {', '.join(converter_names())})"
        )
    raise ConfigurationError(f"cannot write a {type(value).__name__} value as TOML")


def _table_toml(name: str, table: Mapping[str, Any]) -> list[str]:
    lines = [f"[{_toml_key(name)}]"]
    arrays = ("fields", "rules")
    for key, value in table.items():
        if key not in arrays:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key in arrays:
        for row in table.get(key, []):
            lines.append("")
            lines.append(f"[[{_toml_key(name)}.{key}]]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in row.items())
    return lines


def _with_children(spec: MappingSpec, seen: dict[str, MappingSpec]) -> None:
    for child in spec.children:
        _with_children(child.spec, seen)
    seen.setdefault(spec.object_name, spec)


def dump_specs_toml(specs: Mapping[str, MappingSpec] | list[MappingSpec]) -> str:
    """Several specs (and their child specs) as one TOML document."""
    seen: dict[str, MappingSpec] = {}
    for spec in specs.values() if isinstance(specs, Mapping) else specs:
        _with_children(spec, seen)
    blocks = ["\n".join(_table_toml(name, spec_to_dict(s))) for name, s in seen.items()]
    return "\n\n".join(blocks) + "\n"


def dump_spec_toml(spec: MappingSpec) -> str:
    """``spec`` (with its child specs) as a complete TOML spec file that :func:`load_specs` reads.

    Raises:
        ConfigurationError: The spec uses a converter that is not registered by name.
    """
    return dump_specs_toml([spec])
