"""Mapping specs: how one Intacct object and one model convert into each other.

A :class:`MappingSpec` is a list of :class:`FieldMap` rows (local attribute, Intacct field,
direction, converter, default, required) plus whole-object options: child collections
(timesheet entries), a lexicon, a filter, the unknown-field policy and allocation rules. It is
checked against the schema facts when it is built, so a typo fails at load time, not mid-sync.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Literal, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from intacct_sdk.query import F, Filter
from timesync.errors import ConfigurationError, FieldError, MappingError
from timesync.mapping import _schema
from timesync.mapping._values import Kind, attribute_kinds, coerce, kind_of_datatype, remote_form
from timesync.mapping.converters import Converter, get_converter
from timesync.mapping.rules import AllocationRule, rule_problems
from timesync.models import FrozenMap, Status

__all__ = [
    "ACTIVE_ONLY",
    "ChildMap",
    "Direction",
    "FieldMap",
    "MappingSpec",
    "UnknownPolicy",
    "active_filter",
]

Direction = Literal["pull", "push", "both"]
UnknownPolicy = Literal["keep", "ignore", "raise"]

_DIRECTIONS: Final = ("pull", "push", "both")
_POLICIES: Final = ("keep", "ignore", "raise")
_DATATYPES: Final = frozenset(
    {"TEXT", "INTEGER", "DECIMAL", "CURRENCY", "PERCENT", "BOOLEAN", "DATE", "TIMESTAMP", "ENUM"}
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HASH_VERSION: Final = 1


class _ActiveOnly:
    """Marker default for ``MappingSpec.filter``: active records only, when the object can say."""

    def __repr__(self) -> str:
        return "ACTIVE_ONLY"


ACTIVE_ONLY: Final[Any] = _ActiveOnly()
"""The default ``filter``: resolved when the spec is built to ``STATUS = active`` where the
object has a STATUS field, else None. ``spec.filter`` is always a ``Filter`` or None."""


def active_filter(object_name: str) -> Filter | None:
    """``STATUS = active`` when the object has an active/inactive STATUS field, else None."""
    facts = _schema.field_facts(object_name)
    if facts is None or "STATUS" not in facts:
        return None
    return F("STATUS") == "active"


@attrs.frozen(slots=True, kw_only=True)
class FieldMap:
    """One field of a spec.

    Attributes:
        local: A model attribute (``email``), or an item of a mapping attribute
            (``custom_fields.PONUMBER``, ``dimensions.fund``).
        remote: The Intacct field; nested groups by dotted path (``PERSONALINFO.EMAIL1``).
        direction: ``pull`` (Intacct to local), ``push`` (local to Intacct) or ``both``.
        converter: A registered converter name or a :class:`Converter`; None coerces by type.
        default: The local value used when the source is empty (both directions).
        required: Report an error when the value is empty after the default.
        hashed: Whether the value is part of :meth:`MappingSpec.content_hash` (identity and
            bookkeeping fields such as RECORDNO and WHENMODIFIED are not).
    """

    local: str
    remote: str
    direction: Direction = "both"
    converter: str | Converter | None = None
    default: Any = None
    required: bool = False
    hashed: bool = True

    @property
    def pulls(self) -> bool:
        """Whether the field flows from Intacct to the local model."""
        return self.direction in ("pull", "both")

    @property
    def pushes(self) -> bool:
        """Whether the field flows from the local model to Intacct."""
        return self.direction in ("push", "both")

    @property
    def converter_name(self) -> str | None:
        """The converter's registry name, if any."""
        if self.converter is None:
            return None
        return self.converter if isinstance(self.converter, str) else self.converter.name


@attrs.frozen(slots=True, kw_only=True)
class ChildMap:
    """A collection of child records mapped by their own spec (timesheet entries).

    Attributes:
        local: The model attribute holding a tuple of child models (``entries``).
        remote: The Intacct list field (``TIMESHEETENTRIES``).
        spec: The child object's spec (``TIMESHEETENTRY``).
        direction: As for fields.
    """

    local: str
    remote: str
    spec: MappingSpec
    direction: Direction = "both"


@attrs.frozen(slots=True)
class _Plan:
    field: FieldMap
    attr: str
    item: str | None
    local_kind: Kind
    remote_kind: Kind
    converter: Converter | None
    default: Any


def _upper(value: str) -> str:
    return value.upper()


def _fields(value: Iterable[FieldMap]) -> tuple[FieldMap, ...]:
    return tuple(value)


def _children(value: Iterable[ChildMap]) -> tuple[ChildMap, ...]:
    return tuple(value)


def _rules(value: Iterable[AllocationRule]) -> tuple[AllocationRule, ...]:
    return tuple(value)


def _groups(value: Iterable[Iterable[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(group) for group in value)


def _value_lists(value: Mapping[str, Iterable[str]]) -> FrozenMap:
    return FrozenMap({k: tuple(v) for k, v in value.items()})


def _model_label(model: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def _mapping_attrs(model: type) -> frozenset[str]:
    hints = get_type_hints(model)
    return frozenset(name for name, hint in hints.items() if get_origin(hint) is Mapping)


@attrs.frozen(slots=True, kw_only=True)
class MappingSpec:
    """How one Intacct object maps to one model, in both directions.

    Attributes:
        object_name: The Intacct object (``EMPLOYEE``).
        model: The attrs model class (``Employee``).
        fields: The field maps.
        children: Child collections mapped by their own specs.
        lexicon: Display labels for local names (``department_key`` -> ``Cost center 1``),
            used in ``mapping show``, docs and error messages; apps may use them as labels.
        filter: The records to pull: any ``intacct_sdk.query`` filter, or None for all. The
            default, ``ACTIVE_ONLY``, becomes ``F("STATUS") == "active"`` where the object has a
            STATUS field and None elsewhere.
        unknown: What to do with record fields no map names: ``keep`` them in
            ``custom_fields``, ``ignore`` them, or ``raise`` a field error. Sensitive fields
            are never kept.
        custom: Intacct custom fields (not in the schema table) this spec may name, with
            their ``lookup`` data type (``TEXT``, ``DECIMAL``, ...).
        allow_sensitive: Sensitive fields (SSN, ACH*, TAXID, ...) this spec may request.
        exclusive: Groups of Intacct fields of which only the first non-empty one is pushed
            (``TASKKEY`` before ``TASKID``: Intacct takes one or the other).
        inactive_when: Intacct field -> values (any case) that make the local status inactive.
        udd_passthrough: A mapping attribute (``dimensions``) that receives unmapped
            ``GLDIM*`` fields on pull and sends its ``GLDIM*`` keys on push.
        rules: Allocation rules for this object's entries (see :mod:`timesync.mapping.rules`).
        timezone: The zone given to timestamps that arrive without one (IANA name).
        constants: Local attributes set to a fixed value on pull (``dimension = "FUND"``).
    """

    object_name: str = attrs.field(converter=_upper)
    model: type
    fields: tuple[FieldMap, ...] = attrs.field(converter=_fields)
    children: tuple[ChildMap, ...] = attrs.field(default=(), converter=_children)
    lexicon: Mapping[str, str] = attrs.field(factory=FrozenMap, converter=FrozenMap)
    filter: Filter | None = ACTIVE_ONLY
    unknown: UnknownPolicy = "keep"
    custom: Mapping[str, str] = attrs.field(factory=FrozenMap, converter=FrozenMap)
    allow_sensitive: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    exclusive: tuple[tuple[str, ...], ...] = attrs.field(default=(), converter=_groups)
    inactive_when: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=FrozenMap, converter=_value_lists
    )
    udd_passthrough: str | None = None
    rules: tuple[AllocationRule, ...] = attrs.field(default=(), converter=_rules)
    timezone: str = "UTC"
    constants: Mapping[str, Any] = attrs.field(factory=FrozenMap, converter=FrozenMap)
    _plans: tuple[_Plan, ...] = attrs.field(init=False, eq=False, repr=False)
    _tz: tzinfo = attrs.field(init=False, eq=False, repr=False)
    _map_attrs: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)
    # what to_local needs of the plans, worked out once: the plans that pull, the remote
    # fields the spec accounts for, and the inactive_when values by field, lower-cased
    _pulled: tuple[_Plan, ...] = attrs.field(init=False, eq=False, repr=False)
    _consumed: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    _closed: tuple[tuple[str, frozenset[str]], ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ConfigurationError(
                f"invalid mapping spec for {self.object_name}: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                problems,
            )
        flt: object = self.filter
        if isinstance(flt, _ActiveOnly):
            object.__setattr__(self, "filter", active_filter(self.object_name))
        plans = self._compile()
        object.__setattr__(self, "_plans", plans)
        object.__setattr__(self, "_pulled", tuple(p for p in plans if p.field.pulls))
        closed = tuple(
            (field.upper(), frozenset(c.lower() for c in values))
            for field, values in self.inactive_when.items()
        )
        object.__setattr__(self, "_closed", closed)
        consumed = {c.remote for c in self.children} | {p.field.remote for p in plans}
        object.__setattr__(self, "_consumed", frozenset(consumed | {f for f, _ in closed}))
        object.__setattr__(self, "_map_attrs", tuple(sorted(_mapping_attrs(self.model))))
        object.__setattr__(self, "_tz", UTC if self.timezone == "UTC" else ZoneInfo(self.timezone))

    # -- checking ---------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Every problem with this spec, one line each, prefixed by the object name."""
        out: list[str] = []
        name = self.object_name
        if not attrs.has(self.model):
            return [f"{name}: model {self.model!r} is not an attrs class"]
        hints = get_type_hints(self.model)
        mapping_attrs = _mapping_attrs(self.model)
        child_attrs = {c.local for c in self.children}
        facts = _schema.field_facts(name)
        known = dict(facts or {})
        for custom_name, datatype in self.custom.items():
            if str(datatype).upper() not in _DATATYPES:
                out.append(
                    f"{name}: custom field {custom_name} has unknown type {datatype!r} "
                    f"(use one of {', '.join(sorted(_DATATYPES))})"
                )
            known[custom_name.upper()] = _schema.FieldFacts(str(datatype).upper(), custom=True)
        pulled: dict[str, str] = {}
        pushed: dict[str, str] = {}
        for fm in self.fields:
            where = f"{name}.{fm.local}"
            if fm.direction not in _DIRECTIONS:
                out.append(f"{where}: direction must be pull, push or both, not {fm.direction!r}")
            attr, _, item = fm.local.partition(".")
            if attr not in hints:
                close = difflib.get_close_matches(attr, list(hints), n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                out.append(f"{where}: {self.model.__name__} has no attribute {attr!r}{hint}")
            elif attr in child_attrs:
                out.append(f"{where}: {attr!r} is a child collection; map it with a ChildMap")
            elif item and attr not in mapping_attrs:
                out.append(f"{where}: {attr!r} is not a mapping, so {fm.local!r} cannot name a key")
            elif not item and attr in mapping_attrs:
                out.append(f"{where}: name a key of the mapping, e.g. '{attr}.NAME'")
            remote = fm.remote.upper()
            if fm.remote != remote:
                out.append(f"{where}: Intacct field names are upper case ({remote})")
            fact = known.get(remote)
            if fact is None and _schema.is_udd(remote):
                fact = _schema.FieldFacts("TEXT", custom=True)
            if fact is None:
                if facts is None and remote not in known:
                    out.append(
                        f"{where}: {name} is not in the schema table, so declare "
                        f"{remote} in the spec's custom fields"
                    )
                else:
                    close = _schema.close_matches(remote, list(known))
                    hint = f"; close matches: {', '.join(close)}" if close else ""
                    out.append(
                        f"{where}: {remote} is not a field of {name}{hint} "
                        "(declare custom fields in the spec's custom fields)"
                    )
            elif fact.readonly and fm.pushes:
                out.append(f"{where}: {remote} is read-only in Intacct; use direction 'pull'")
            elif fact.writeonly and fm.pulls:
                out.append(
                    f"{where}: {remote} is accepted on create but cannot be read; "
                    "use direction 'push'"
                )
            if _schema.is_sensitive(remote) and remote not in self.allow_sensitive:
                out.append(f"{where}: {remote} is sensitive; list it in allow_sensitive to map it")
            if fm.converter is not None and isinstance(fm.converter, str):
                try:
                    get_converter(fm.converter)
                except ConfigurationError as exc:
                    out.append(f"{where}: {exc}")
            if fm.pulls:
                if fm.local in pulled:
                    out.append(f"{where}: pulled twice (also from {pulled[fm.local]})")
                pulled[fm.local] = remote
            if fm.pushes:
                if remote in pushed:
                    out.append(f"{where}: {remote} is pushed twice (also from {pushed[remote]})")
                pushed[remote] = fm.local
        for child in self.children:
            where = f"{name}.{child.local}"
            if child.local not in hints:
                out.append(f"{where}: {self.model.__name__} has no attribute {child.local!r}")
            if child.direction not in _DIRECTIONS:
                out.append(f"{where}: direction must be pull, push or both")
        if self.rules:
            entry = next((c.spec for c in self.children if c.spec.udd_passthrough), None)
            if entry is None:
                out.append(f"{name}: rules route entries, but this spec has no entries to route")
            else:
                out.extend(
                    f"{name}: {p}" for p in rule_problems(self.rules, entry.dimension_keys())
                )
        for group in self.exclusive:
            out.extend(
                f"{name}: exclusive group field {field} is not pushed by any map"
                for field in group
                if field not in pushed
            )
        for field in self.inactive_when:
            if field.upper() not in known:
                out.append(f"{name}: inactive_when names unknown field {field}")
            if "status" not in hints:
                out.append(f"{name}: inactive_when needs a model with a status attribute")
        if self.udd_passthrough is not None and self.udd_passthrough not in mapping_attrs:
            out.append(
                f"{name}: udd_passthrough {self.udd_passthrough!r} is not a mapping attribute"
            )
        out.extend(
            f"{name}: constant names unknown local attribute {const!r}"
            for const in self.constants
            if const not in hints
        )
        out.extend(
            f"{name}: lexicon names unknown local attribute {label_of!r}"
            for label_of in self.lexicon
            if label_of.partition(".")[0] not in hints
        )
        if self.unknown not in _POLICIES:
            out.append(f"{name}: unknown must be keep, ignore or raise, not {self.unknown!r}")
        flt: object = self.filter
        if flt is not None and not isinstance(flt, Filter | _ActiveOnly):
            out.append(f"{name}: filter must be an intacct_sdk.query.Filter or None")
        if self.timezone != "UTC":
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                out.append(f"{name}: unknown time zone {self.timezone!r}")
        return out

    def _compile(self) -> tuple[_Plan, ...]:
        kinds = attribute_kinds(self.model)
        facts = dict(_schema.field_facts(self.object_name) or {})
        for custom_name, datatype in self.custom.items():
            facts[custom_name.upper()] = _schema.FieldFacts(str(datatype).upper(), custom=True)
        plans = []
        for fm in self.fields:
            attr, _, item = fm.local.partition(".")
            fact = facts.get(fm.remote)
            remote_kind = kind_of_datatype(fact.datatype if fact else None)
            if _schema.is_udd(fm.remote) and fact is None:
                remote_kind = "str"
            conv = get_converter(fm.converter) if isinstance(fm.converter, str) else fm.converter
            if item:
                local_kind: Kind = "any" if conv else remote_kind
            else:
                local_kind = kinds.get(attr, "any")
            default = coerce(fm.default, local_kind) if fm.default is not None else None
            plans.append(_Plan(fm, attr, item or None, local_kind, remote_kind, conv, default))
        return tuple(plans)

    # -- facts the engine uses ----------------------------------------------------------------

    @property
    def effective_filter(self) -> Filter | None:
        """The filter to pull with (the same as ``filter``)."""
        return self.filter

    @property
    def active_only(self) -> bool:
        """Whether the filter is exactly the active-only default for this object."""
        return self.filter is not None and self.filter == active_filter(self.object_name)

    def dimension_keys(self) -> frozenset[str]:
        """The keys of the ``udd_passthrough`` mapping that a field map names
        (``dimensions.department`` -> ``department``); any other key must be a ``GLDIM*``
        user-defined dimension."""
        if self.udd_passthrough is None:
            return frozenset()
        return frozenset(
            item
            for fm in self.fields
            for attr, _, item in (fm.local.partition("."),)
            if attr == self.udd_passthrough and item
        )

    def remote_fields(self) -> tuple[str, ...]:
        """The Intacct fields to request: those pulled by a map, never ``*``."""
        out: dict[str, None] = {}
        for fm in self.fields:
            if fm.pulls:
                out[fm.remote] = None
        for field in self.inactive_when:
            out[field.upper()] = None
        return tuple(out)

    def remote_field_for(self, local: str) -> str | None:
        """The Intacct field a local attribute is mapped to (first map), or None."""
        for fm in self.fields:
            if fm.local == local:
                return fm.remote
        return None

    @property
    def key_field(self) -> str | None:
        """The Intacct field holding the model's key (``key`` or ``local_id``)."""
        return self.remote_field_for("key") or self.remote_field_for("local_id")

    def label(self, local: str) -> str:
        """The display label of a local name (the lexicon's, else the name itself)."""
        return self.lexicon.get(local, local)

    @property
    def model_label(self) -> str:
        """The model's name as error paths start (``timesheet``)."""
        return _model_label(self.model)

    # -- mapping ------------------------------------------------------------------------------

    def to_local(self, record: Mapping[str, Any], *, path: str | None = None) -> Any:
        """Build a model from an Intacct record.

        Args:
            record: Flat, dotted-key record as the client returns it (nested dicts and
                raw strings are accepted too).
            path: The error path prefix (default: the model label, e.g. ``timesheet``).

        Raises:
            MappingError: With every field error found, each with its path.
        """
        base = path or self.model_label
        errors: list[FieldError] = []
        flat = _flatten(record, {c.remote for c in self.children} if self.children else set())
        values: dict[str, Any] = {}
        items: dict[str, dict[str, Any]] = {}
        consumed = self._consumed
        for plan in self._pulled:
            fm = plan.field
            try:
                value = self._pull_value(plan, flat.get(fm.remote))
            except (ValueError, TypeError, ArithmeticError) as exc:
                where = f"{base}.{fm.local}"
                errors.append(FieldError(where, self._message(fm.local, exc), fm.remote))
                continue
            if value is None and fm.required:
                where = f"{base}.{fm.local}"
                errors.append(FieldError(where, self._message(fm.local, "is required"), fm.remote))
                continue
            if plan.item is None:
                values[plan.attr] = value
            elif value is not None:
                items.setdefault(plan.attr, {})[plan.item] = value
        for field, closed in self._closed:
            raw = flat.get(field)
            if raw is not None and str(raw).strip().lower() in closed:
                values["status"] = Status.INACTIVE
        for child in self.children:
            if child.direction == "push":
                continue
            rows = _child_rows(record.get(child.remote), child.spec.object_name)
            built = []
            for i, row in enumerate(rows):
                try:
                    built.append(child.spec.to_local(row, path=f"{base}.{child.local}[{i}]"))
                except MappingError as exc:
                    errors.extend(exc.errors)
            values[child.local] = tuple(built)
        for field, value in flat.items():
            if field in consumed or value is None:
                continue
            if self.udd_passthrough and _schema.is_udd(field):
                items.setdefault(self.udd_passthrough, {})[field] = value
            elif _schema.is_sensitive(field):
                continue
            elif self.unknown == "keep":
                items.setdefault("custom_fields", {})[field] = value
            elif self.unknown == "raise":
                errors.append(FieldError(f"{base}.{field}", "is not mapped by the spec", field))
        for attr, mapping in items.items():
            values[attr] = FrozenMap(mapping)
        for attr, constant in self.constants.items():
            if values.get(attr) is None:
                values[attr] = constant
        return self._build(values, base, errors, record)

    def _build(
        self, values: dict[str, Any], base: str, errors: list[FieldError], record: Mapping[str, Any]
    ) -> Any:
        if not errors:
            # the common case: the model takes the values as they are (empty ones left to
            # its defaults); otherwise the pass below names every problem
            try:
                return self.model(**{k: v for k, v in values.items() if v is not None})
            except Exception:  # noqa: S110 - the pass below reports it
                pass
        for a in attrs.fields(self.model):
            name = a.alias or a.name
            if not a.init:
                continue
            if name not in values or values[name] is None:
                if a.default is attrs.NOTHING:
                    if not any(e.path.startswith(f"{base}.{name}") for e in errors):
                        errors.append(
                            FieldError(f"{base}.{name}", self._message(name, "is required"))
                        )
                    values.pop(name, None)
                    continue
                if name in values and values[name] is None:
                    values.pop(name)
                continue
            validator = a.validator
            if validator is not None:
                try:
                    validator(None, a, values[name])
                except (ValueError, TypeError, ArithmeticError) as exc:
                    errors.append(
                        FieldError(
                            f"{base}.{name}", self._message(name, exc), self.remote_field_for(name)
                        )
                    )
        if errors:
            key = self._key_of(record)
            raise MappingError(errors, object_name=self.object_name, key=key)
        try:
            return self.model(**values)
        except (ValueError, TypeError) as exc:  # a cross-field check of a user model
            raise MappingError(
                [FieldError(base, str(exc))], object_name=self.object_name, key=self._key_of(record)
            ) from exc

    def _key_of(self, record: Mapping[str, Any]) -> str | None:
        field = self.key_field
        value = record.get(field) if field else None
        return None if value is None else str(value)

    def _message(self, local: str, problem: object) -> str:
        label = self.lexicon.get(local)
        text = str(problem)
        return f"({label}) {text}" if label else text

    def _pull_value(self, plan: _Plan, raw: Any) -> Any:
        value = coerce(raw, plan.remote_kind, self._tz)
        if value is not None:
            if plan.converter is not None:
                value = coerce(plan.converter.to_local(value), plan.local_kind, self._tz)
            elif plan.local_kind != plan.remote_kind:  # (coerce keeps a value of its kind)
                value = coerce(value, plan.local_kind, self._tz)
        if value is None:
            return plan.default
        return value

    def to_remote(self, obj: Any, *, path: str | None = None) -> dict[str, Any]:
        """Build the Intacct record of ``obj``: push-direction fields only.

        Values stay Python values (``date``, ``Decimal``, ``bool``); the client writes them in
        Intacct's formats. Empty values are omitted. Child collections become lists of
        records under their Intacct list field.

        Raises:
            MappingError: With every field error found.
        """
        if not isinstance(obj, self.model):
            raise TypeError(f"{self.object_name} spec maps {self.model.__name__}, not {type(obj)}")
        base = path or self.model_label
        errors: list[FieldError] = []
        out: dict[str, Any] = {}
        for plan in self._plans:
            fm = plan.field
            if not fm.pushes:
                continue
            value = _local_value(obj, plan.attr, plan.item)
            if value is None:
                value = plan.default
            if value is None:
                if fm.required:
                    errors.append(
                        FieldError(
                            f"{base}.{fm.local}", self._message(fm.local, "is required"), fm.remote
                        )
                    )
                continue
            try:
                if plan.converter is not None:
                    value = plan.converter.to_remote(value)
                value = coerce(value, plan.remote_kind, self._tz)
            except (ValueError, TypeError, ArithmeticError) as exc:
                errors.append(
                    FieldError(f"{base}.{fm.local}", self._message(fm.local, exc), fm.remote)
                )
                continue
            if value is not None:
                out[fm.remote] = remote_form(value)
        if self.udd_passthrough:
            known = self.dimension_keys()
            for key, value in getattr(obj, self.udd_passthrough).items():
                if key in known:
                    continue  # sent by its field map above
                if not _schema.is_udd(key):
                    errors.append(
                        FieldError(
                            f"{base}.{self.udd_passthrough}.{key}",
                            f"unknown dimension {key!r} (this spec maps "
                            f"{', '.join(sorted(known)) or 'none'} and GLDIM<NAME> "
                            "user-defined dimensions)",
                        )
                    )
                elif key not in out and value is not None:
                    out[key] = remote_form(value)
        for group in self.exclusive:
            present = [f for f in group if out.get(f) is not None]
            for loser in present[1:]:
                del out[loser]
        for child in self.children:
            if child.direction == "pull":
                continue
            rows = []
            for i, item in enumerate(getattr(obj, child.local)):
                try:
                    rows.append(child.spec.to_remote(item, path=f"{base}.{child.local}[{i}]"))
                except MappingError as exc:
                    errors.extend(exc.errors)
            out[child.remote] = rows
        if errors:
            key = getattr(obj, "key", None)
            raise MappingError(errors, object_name=self.object_name, key=key)
        return out

    def to_local_many(self, records: Iterable[Mapping[str, Any]]) -> list[Any]:
        """Map a batch; errors of every record are raised together (``timesheet[2]...``)."""
        out: list[Any] = []
        errors: list[FieldError] = []
        for i, record in enumerate(records):
            try:
                out.append(self.to_local(record, path=f"{self.model_label}[{i}]"))
            except MappingError as exc:
                errors.extend(exc.errors)
        if errors:
            raise MappingError(errors, object_name=self.object_name)
        return out

    # -- hashing -----------------------------------------------------------------------------

    def hash_form(self, obj: Any) -> dict[str, Any]:
        """The canonical, JSON-ready form that :meth:`content_hash` digests."""
        form: dict[str, Any] = {}
        for plan in self._plans:
            if plan.field.hashed and plan.item is None:
                form[plan.attr] = _canonical(getattr(obj, plan.attr))
        for attr in self._map_attrs:
            form[attr] = _canonical(getattr(obj, attr))
        for child in self.children:
            form[child.local] = [child.spec.hash_form(c) for c in getattr(obj, child.local)]
        return form

    def content_hash(self, obj: Any) -> str:
        """A sha256 hex digest of the mapped form of ``obj``, stable across runs and processes.

        Bookkeeping fields (``hashed=False``: RECORDNO, WHENMODIFIED, STATE) are left out, so
        an unchanged record hashes the same after it was pushed or re-read.
        """
        payload = {"v": _HASH_VERSION, "object": self.object_name, "form": self.hash_form(obj)}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # -- derivation --------------------------------------------------------------------------

    def with_fields(self, *fields: FieldMap, replace_local: bool = True) -> MappingSpec:
        """A copy with ``fields`` added; a map with the same local name replaces the old one."""
        new_locals = {f.local for f in fields}
        kept = [f for f in self.fields if not (replace_local and f.local in new_locals)]
        return attrs.evolve(self, fields=(*kept, *fields))

    def without_fields(self, *locals_: str) -> MappingSpec:
        """A copy without the maps of the given local names."""
        drop = set(locals_)
        return attrs.evolve(self, fields=tuple(f for f in self.fields if f.local not in drop))


def _local_value(obj: Any, attr: str, item: str | None) -> Any:
    value = getattr(obj, attr)
    if item is not None:
        return value.get(item)
    return value


_PLAIN: Final = frozenset({str, int, bool})
_SCALARS: Final = frozenset({str, int, Decimal, datetime, date, bool, float, type(None)})


def _flatten(record: Mapping[str, Any], skip: set[str], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if not prefix and key in skip:
            continue
        if type(value) not in _SCALARS and isinstance(value, Mapping):
            out.update(_flatten(value, skip, f"{name}."))
        else:
            out[name] = value
    return out


def _child_rows(value: Any, child_object: str) -> Sequence[Mapping[str, Any]]:
    if value is None or value == "":
        return ()
    if isinstance(value, Mapping):
        inner = value.get(child_object, value)
        if isinstance(inner, Mapping):
            return (inner,)
        return tuple(inner)
    return tuple(value)


def _canonical(value: Any) -> Any:
    if value is None or type(value) in _PLAIN or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        if value == 0:
            return "0"
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _canonical(value.value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [_canonical(v) for v in value]
        if isinstance(value, frozenset | set):
            items.sort(key=lambda x: json.dumps(x, sort_keys=True))
        return items
    if isinstance(value, float):
        return repr(value)
    return f"{type(value).__name__}:{value}"
