"""Laws of the mapping: round trips, TOML round trips, stable and sensitive hashes."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from typing import Any, get_type_hints

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import subprocess_env
from intacct_sdk import schema
from intacct_sdk.query import F, Filter
from timesync.mapping import (
    ACTIVE_ONLY,
    AllocationRule,
    FieldMap,
    MappingSpec,
    default_specs,
    dump_spec_toml,
    load_specs,
)
from timesync.mapping._schema import field_facts, is_sensitive, is_udd
from timesync.mapping._values import attribute_kinds, kind_of_datatype
from timesync.models import FrozenMap, Status

SPECS = default_specs()
ROOTS = [
    "EMPLOYEE",
    "PROJECT",
    "TASK",
    "CUSTOMER",
    "DEPARTMENT",
    "LOCATION",
    "CLASS",
    "PROJECTTYPE",
    "TIMETYPE",
    "TIMESHEET",
    "EEXPENSES",
]
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s.strip() != "")
BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "str": TEXT,
    "any": TEXT,
    "int": st.integers(min_value=1, max_value=2**31),
    "decimal": st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False),
    "bool": st.booleans(),
    "date": st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
    "datetime": st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ).map(lambda d: d.replace(microsecond=0)),
    "status": st.sampled_from(list(Status)),
}
TASK_STATES = ["Not Started", "Planned", "In Progress", "Completed", "On Hold"]


def remote_kind(spec: MappingSpec, fm: FieldMap) -> str:
    facts = field_facts(spec.object_name) or {}
    fact = facts.get(fm.remote)
    if fact is not None:
        return kind_of_datatype(fact.datatype)
    if fm.remote in spec.custom:
        return kind_of_datatype(spec.custom[fm.remote])
    return "str" if is_udd(fm.remote) else "any"


def closed_values(spec: MappingSpec, remote: str) -> set[str]:
    return {v.lower() for v in spec.inactive_when.get(remote, ())}


def remote_strategy(spec: MappingSpec, fm: FieldMap) -> st.SearchStrategy[Any]:
    """Values as a typed client hands them over, in the canonical form to_remote writes."""
    if fm.local == "status" and fm.converter is None:
        return st.sampled_from(["active", "inactive"])
    if fm.remote == "TASKSTATUS":
        return st.sampled_from(TASK_STATES)
    base = BY_KIND[remote_kind(spec, fm)]
    closed = closed_values(spec, fm.remote)
    if closed:
        base = base.filter(lambda v: str(v).lower() not in closed)
    return base


def has_value_default(spec: MappingSpec, local: str) -> bool:
    """Whether the model fills the attribute when the record has nothing (status: active)."""
    fields = attrs.fields_dict(spec.model)
    field = fields.get(local)
    return field is not None and field.default not in (None, attrs.NOTHING)


def record_strategy(spec: MappingSpec, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Records as Intacct returns them: STATUS is always there when it is requested."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for fm in spec.fields:
        if not fm.pulls or fm.remote in parts:
            continue
        value = remote_strategy(spec, fm)
        always = fm.required or has_value_default(spec, fm.local)
        parts[fm.remote] = value if always else st.none() | value
    if spec.udd_passthrough:
        parts["GLDIMTESTDIM"] = st.none() | TEXT
    for child in spec.children:
        parts[child.remote] = st.lists(record_strategy(child.spec, depth + 1), max_size=3)
    return st.fixed_dictionaries(parts).map(lambda d: {k: v for k, v in d.items() if v is not None})


def local_strategy(
    spec: MappingSpec, fm: FieldMap, kinds: dict[str, str]
) -> st.SearchStrategy[Any]:
    attr, _, item = fm.local.partition(".")
    if item:
        return BY_KIND["str" if attr == "dimensions" else remote_kind(spec, fm)]
    if fm.remote == "TASKSTATUS":
        return st.sampled_from(TASK_STATES)
    base = BY_KIND[kinds[attr]]
    closed = closed_values(spec, fm.remote)
    if closed:
        base = base.filter(lambda v: str(v).lower() not in closed)
    return base


def derived(spec: MappingSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Pull-only attributes computed from pushed fields (a task's status from TASKSTATUS)."""
    if spec.object_name == "TASK" and values.get("task_status") is not None:
        values["status"] = (
            Status.INACTIVE if values["task_status"] == "Completed" else Status.ACTIVE
        )
    return values


@st.composite
def model_strategy(draw: st.DrawFn, spec: MappingSpec) -> Any:
    kinds = attribute_kinds(spec.model)
    values: dict[str, Any] = {}
    items: dict[str, dict[str, Any]] = {}
    for fm in spec.fields:
        if fm.direction != "both":
            continue
        value = draw(local_strategy(spec, fm, kinds))
        if not fm.required and draw(st.booleans()):
            value = None
        attr, _, item = fm.local.partition(".")
        if item:
            if value is not None:
                items.setdefault(attr, {})[item] = value
        else:
            values[attr] = value
    for group in spec.exclusive:
        seen = False
        for fm in spec.fields:
            if fm.remote in group and fm.pushes:
                attr = fm.local.partition(".")[0]
                if values.get(attr) is not None:
                    if seen:
                        values[attr] = None
                    seen = True
    if spec.udd_passthrough and draw(st.booleans()):
        items.setdefault(spec.udd_passthrough, {})["GLDIMTESTDIM"] = draw(TEXT)
    for child in spec.children:
        values[child.local] = tuple(draw(st.lists(model_strategy(child.spec), max_size=3)))
    values.update({attr: FrozenMap(m) for attr, m in items.items()})
    values = {k: v for k, v in derive_all(spec, values).items() if v is not None}
    return spec.model(**values)


def derive_all(spec: MappingSpec, values: dict[str, Any]) -> dict[str, Any]:
    return derived(spec, values)


def expected_pushed(spec: MappingSpec, record: dict[str, Any]) -> dict[str, Any]:
    """What to_remote must write for the both-direction fields of ``record``."""
    out = {fm.remote: record.get(fm.remote) for fm in spec.fields if fm.direction == "both"}
    for group in spec.exclusive:
        present = [f for f in group if out.get(f) is not None]
        for loser in present[1:]:
            out[loser] = None
    return out


def check_round_trip(spec: MappingSpec, record: dict[str, Any], pushed: dict[str, Any]) -> None:
    for remote, value in expected_pushed(spec, record).items():
        assert pushed.get(remote) == value, (spec.object_name, remote)
    if spec.udd_passthrough:
        assert pushed.get("GLDIMTESTDIM") == record.get("GLDIMTESTDIM")
    for child in spec.children:
        rows_in = record.get(child.remote, [])
        rows_out = pushed[child.remote]
        assert len(rows_in) == len(rows_out)
        for row_in, row_out in zip(rows_in, rows_out, strict=True):
            check_round_trip(child.spec, row_in, row_out)


@pytest.mark.parametrize("name", ROOTS)
@PROPERTY
@given(data=st.data())
def test_remote_local_remote_round_trip(name: str, data: st.DataObject) -> None:
    spec = SPECS[name]
    record = data.draw(record_strategy(spec))
    local = spec.to_local(record)
    check_round_trip(spec, record, spec.to_remote(local))


@pytest.mark.parametrize("name", ROOTS)
@PROPERTY
@given(data=st.data())
def test_local_remote_local_round_trip(name: str, data: st.DataObject) -> None:
    spec = SPECS[name]
    model = data.draw(model_strategy(spec))
    assert spec.to_local(spec.to_remote(model)) == model


@pytest.mark.parametrize("name", ROOTS)
@PROPERTY
@given(data=st.data())
def test_raw_string_records_map_like_typed_records(name: str, data: st.DataObject) -> None:
    spec = SPECS[name]
    record = data.draw(record_strategy(spec))
    assert spec.to_local(as_strings(record)) == spec.to_local(record)


def as_strings(value: Any) -> Any:
    """A record as a ``typed=False`` client hands it over: every value a wire string."""
    if isinstance(value, dict):
        return {k: as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value.strftime("%m/%d/%Y")
    if hasattr(value, "hour"):
        return value.astimezone(UTC).strftime("%m/%d/%Y %H:%M:%S")
    return str(value)


# -- hashing --------------------------------------------------------------------------------


def hashed_both_maps(spec: MappingSpec) -> list[FieldMap]:
    return [fm for fm in spec.fields if fm.direction == "both" and fm.hashed]


@pytest.mark.parametrize("name", ROOTS)
@PROPERTY
@given(data=st.data())
def test_hash_is_stable_and_changes_with_any_mapped_field(name: str, data: st.DataObject) -> None:
    spec = SPECS[name]
    model = data.draw(model_strategy(spec))
    digest = spec.content_hash(model)
    assert spec.content_hash(spec.to_local(spec.to_remote(model))) == digest
    kinds = attribute_kinds(spec.model)
    fm = data.draw(st.sampled_from(hashed_both_maps(spec)))
    attr, _, item = fm.local.partition(".")
    old = getattr(model, attr).get(item) if item else getattr(model, attr)
    new = data.draw(local_strategy(spec, fm, kinds).filter(lambda v: v != old))
    if item:
        changed = attrs.evolve(model, **{attr: getattr(model, attr).set(item, new)})
    else:
        changed = attrs.evolve(model, **{attr: new})
    assert spec.content_hash(changed) != digest, fm.local


_HASH_SCRIPT = """
import json, sys
from timesync.mapping import default_specs
specs = default_specs()
cases = json.load(sys.stdin)
print(json.dumps([specs[name].content_hash(specs[name].to_local(rec)) for name, rec in cases]))
"""


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.tuples(*(record_strategy(SPECS[name]) for name in ROOTS)))
def test_hashes_are_the_same_in_a_fresh_process(records: tuple[dict[str, Any], ...]) -> None:
    cases = [(name, as_strings(rec)) for name, rec in zip(ROOTS, records, strict=True)]
    here = [SPECS[name].content_hash(SPECS[name].to_local(rec)) for name, rec in cases]
    proc = subprocess.run(
        [sys.executable, "-c", _HASH_SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=subprocess_env(PYTHONHASHSEED="12345"),
        timeout=120,
        check=True,
    )
    assert json.loads(proc.stdout) == here


# -- generated custom specs through TOML ----------------------------------------------------

CUSTOM_OBJECTS = ["EMPLOYEE", "PROJECT", "CUSTOMER", "TASK", "TIMESHEETENTRY", "LOCATION"]
LABELS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10)


def filters_for(fields: list[str]) -> st.SearchStrategy[Filter]:
    field = st.sampled_from(fields)
    leaf = st.one_of(
        st.builds(lambda f, v: F(f) == v, field, LABELS),
        st.builds(lambda f, vs: F(f).in_(vs), field, st.lists(LABELS, min_size=1, max_size=3)),
        st.builds(
            lambda f, a, b: F(f).between(min(a, b), max(a, b)),
            field,
            BY_KIND["date"],
            BY_KIND["date"],
        ),
        st.builds(lambda f: F(f).is_null(), field),
        st.builds(lambda f, v: F(f).like(v), field, LABELS),
    )
    return st.recursive(
        leaf,
        lambda inner: (
            st.builds(lambda a, b: a & b, inner, inner)
            | st.builds(lambda a, b: a | b, inner, inner)
        ),
        max_leaves=4,
    )


@st.composite
def custom_specs(draw: st.DrawFn) -> MappingSpec:
    name = draw(st.sampled_from(CUSTOM_OBJECTS))
    base = SPECS[name]
    obj = schema.get_schema(name)
    assert obj is not None
    candidates = sorted(
        f for f, info in obj.fields.items() if not is_sensitive(f) and not info.custom
    )
    fields = [fm for fm in base.fields if fm.required]
    taken = {fm.remote for fm in fields}
    free = [c for c in candidates if c not in taken]
    chosen = draw(st.lists(st.sampled_from(free), min_size=1, max_size=6, unique=True))
    custom = draw(
        st.dictionaries(
            st.from_regex(r"X_[A-Z]{1,6}", fullmatch=True),
            st.sampled_from(["TEXT", "INTEGER", "DECIMAL", "DATE", "BOOLEAN"]),
            max_size=2,
        )
    )
    for i, remote in enumerate([*chosen, *custom]):
        info = obj.fields.get(remote)
        readonly = info is not None and info.readonly
        text = (info.datatype if info else custom[remote]) == "TEXT"
        fields.append(
            FieldMap(
                local=f"custom_fields.f{i}",
                remote=remote,
                direction="pull" if readonly else draw(st.sampled_from(["pull", "push", "both"])),
                converter=draw(st.sampled_from([None, "strip", "upper", "identity"]))
                if text
                else None,
                default=draw(st.none() | LABELS) if text else None,
                required=draw(st.booleans()),
                hashed=draw(st.booleans()),
            )
        )
    hints = list(get_type_hints(base.model))
    flt = draw(st.sampled_from([ACTIVE_ONLY, None]) | filters_for(candidates))
    return MappingSpec(
        object_name=name,
        model=base.model,
        fields=tuple(fields),
        lexicon=draw(st.dictionaries(st.sampled_from(hints), LABELS, max_size=3)),
        filter=flt,
        unknown=draw(st.sampled_from(["keep", "ignore", "raise"])),
        custom=custom,
        exclusive=base.exclusive
        if all(any(f.remote == r and f.pushes for f in fields) for g in base.exclusive for r in g)
        else (),
        udd_passthrough=base.udd_passthrough,
        timezone=draw(st.sampled_from(["UTC", "Europe/Paris"])),
    )


RULE_TABLES = st.lists(
    st.builds(
        AllocationRule,
        name=LABELS,
        priority=st.integers(-5, 500),
        time_types=st.lists(LABELS, max_size=2).map(tuple),
        gl_groups=st.lists(LABELS, max_size=2).map(tuple),
        set=st.dictionaries(
            st.sampled_from(["project", "task", "department", "GLDIMX"]),
            LABELS,
            min_size=1,
            max_size=2,
        ),
    ),
    max_size=3,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=custom_specs())
def test_generated_specs_round_trip_through_toml(spec: MappingSpec) -> None:
    text = dump_spec_toml(spec)
    loaded = load_specs(tomllib.loads(text), base={})
    assert loaded[spec.object_name] == spec
    assert dump_spec_toml(loaded[spec.object_name]) == text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=RULE_TABLES)
def test_rule_tables_round_trip_through_toml(rules: list[AllocationRule]) -> None:
    spec = attrs.evolve(SPECS["TIMESHEET"], rules=tuple(rules))
    text = dump_spec_toml(spec)
    loaded = load_specs(tomllib.loads(text))
    assert loaded["TIMESHEET"].rules == spec.rules
