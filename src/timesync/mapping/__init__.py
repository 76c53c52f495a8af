"""Declarative, bidirectional mapping between Intacct records and timesync models.

- :class:`MappingSpec` / :class:`FieldMap` / :class:`ChildMap`: how one object maps.
- :func:`default_specs`: the default spec of every object; :func:`load_specs` merges a TOML
  file or dict over them; :func:`dump_spec_toml` writes a spec back.
- :func:`register_converter`: named converter pairs usable from TOML.
- :class:`AllocationRule` and :func:`apply_rules`: route entries (time off to grants, labor vs
  equipment) declaratively.
"""

from timesync.mapping.converters import (
    Converter,
    converter_names,
    get_converter,
    register_converter,
)
from timesync.mapping.defaults import DEFAULT_STAMP_FIELD, default_specs, dimension_value_spec
from timesync.mapping.loading import dump_spec_toml, dump_specs_toml, load_specs, spec_to_dict
from timesync.mapping.rules import (
    AllocationRule,
    RoutedEntry,
    RuleContext,
    apply_rules,
    route_timesheet,
)
from timesync.mapping.spec import (
    ACTIVE_ONLY,
    ChildMap,
    Direction,
    FieldMap,
    MappingSpec,
    UnknownPolicy,
    active_filter,
)

__all__ = [
    "ACTIVE_ONLY",
    "DEFAULT_STAMP_FIELD",
    "AllocationRule",
    "ChildMap",
    "Converter",
    "Direction",
    "FieldMap",
    "MappingSpec",
    "RoutedEntry",
    "RuleContext",
    "UnknownPolicy",
    "active_filter",
    "apply_rules",
    "converter_names",
    "default_specs",
    "dimension_value_spec",
    "dump_spec_toml",
    "dump_specs_toml",
    "get_converter",
    "load_specs",
    "register_converter",
    "route_timesheet",
    "spec_to_dict",
]
