"""Time-off and allocation rules: route timesheet entries by what they are.

Connectors route some time by rule rather than by what the person picked: ClickTime sends time
off to a grant or cost center, Assignar sends labor and equipment time to different items by GL
group. A rule table does the same declaratively::

    rules = (
        AllocationRule("pto to grant", priority=10, time_types=("PTO", "Holiday"),
                       set={"project": "GRANT-ADMIN", "task": "LEAVE", "department": "ADM"}),
        AllocationRule("equipment", priority=20, gl_groups=("Equipment",), set={"class": "EQUIP"}),
    )
    routed = apply_rules(entry, rules, RuleContext(gl_groups={"EXC-01": "Equipment"}))
    routed.entry, routed.rule

Rules are tried in ascending ``priority`` (ties: table order); the first whose every condition
matches wins. Conditions are shell-style patterns (``PTO*``); an empty condition matches
anything. Routing never happens behind the caller's back: :func:`apply_rules` returns the
entry and the rule that changed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any, Final

import attrs

from timesync.errors import ConfigurationError
from timesync.models import FrozenMap, Timesheet, TimesheetEntry, frozen_map

__all__ = [
    "CONTEXT_FACTS",
    "ENTRY_TARGETS",
    "ROUTE_TARGETS",
    "AllocationRule",
    "RoutedEntry",
    "RuleContext",
    "apply_rules",
    "context_objects",
    "route_timesheet",
    "rule_problems",
]

ENTRY_TARGETS: Final = frozenset({"project", "task", "task_record_no", "time_type"})
"""Targets that set an attribute of the entry itself."""

ROUTE_TARGETS: Final = ENTRY_TARGETS | {"department", "class", "location", "item"}
"""The usual targets; any other name sets that key of the entry's ``dimensions`` (a
user-defined dimension), which the entry's spec must map."""

_DIMENSIONS: Final = frozenset({"department", "class", "location", "item"})

CONTEXT_FACTS: Final = {
    "departments": ("EMPLOYEE", "department_key"),
    "gl_groups": ("ITEM", "gl_group"),
}
"""Conditions that read a fact the entry does not carry: the pulled object and the
attribute of its model the engine keeps for routing (the employee's department, an
item's GL group)."""


def _patterns(value: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _check_set(_inst: object, _attr: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    if not value:
        raise ConfigurationError("an allocation rule must set at least one target")
    for key, target in value.items():
        if not isinstance(key, str) or not key:
            raise ConfigurationError("allocation rule targets must be non-empty names")
        if isinstance(target, bool) or not isinstance(target, str | int):
            raise ConfigurationError(f"allocation rule target {key!r} must be text")
        if key == "task_record_no" and not isinstance(target, int):
            raise ConfigurationError("task_record_no must be an integer")


@attrs.frozen(slots=True, kw_only=True)
class AllocationRule:
    """One row of the routing table.

    Attributes:
        name: Shown in reports (which rule routed which entry).
        priority: Lower runs first; rules with equal priority keep their table order.
        time_types: Patterns for the entry's time type.
        items: Patterns for the entry's item (``dimensions["item"]``).
        gl_groups: Patterns for the GL group of the entry's item (from the context).
        employees: Patterns for the timesheet's employee key.
        departments: Patterns for the entry's department, else the employee's.
        projects: Patterns for the entry's project key.
        set: What to route to: ``project``, ``task``, ``task_record_no``, ``time_type``,
            ``department``, ``class``, ``location``, ``item`` or a user-defined dimension.
            Setting ``project`` without ``task`` clears the task (it belonged to the old
            project); setting ``task`` without ``task_record_no`` clears the record number.
    """

    name: str
    priority: int = 100
    time_types: tuple[str, ...] = attrs.field(default=(), converter=_patterns)
    items: tuple[str, ...] = attrs.field(default=(), converter=_patterns)
    gl_groups: tuple[str, ...] = attrs.field(default=(), converter=_patterns)
    employees: tuple[str, ...] = attrs.field(default=(), converter=_patterns)
    departments: tuple[str, ...] = attrs.field(default=(), converter=_patterns)
    projects: tuple[str, ...] = attrs.field(default=(), converter=_patterns)
    set: Mapping[str, str | int] = attrs.field(converter=frozen_map, validator=_check_set)

    def matches(self, entry: TimesheetEntry, context: RuleContext) -> bool:
        """Whether every condition of this rule holds for ``entry``."""
        item = _text(entry.dimensions.get("item"))
        department = _text(entry.dimensions.get("department")) or context.employee_department
        gl_group = context.gl_groups.get(item) if item else None
        return all(
            _match(patterns, value)
            for patterns, value in (
                (self.time_types, entry.time_type),
                (self.items, item),
                (self.gl_groups, gl_group),
                (self.employees, context.employee_key),
                (self.departments, department),
                (self.projects, entry.project_key),
            )
        )

    def route(self, entry: TimesheetEntry) -> TimesheetEntry:
        """Return ``entry`` with this rule's targets set."""
        changes: dict[str, Any] = {}
        dims = dict(entry.dimensions)
        target = self.set
        if "project" in target:
            changes["project_key"] = str(target["project"])
            if "task" not in target:
                changes["task_key"] = None
                changes["task_record_no"] = None
        if "task" in target:
            changes["task_key"] = str(target["task"])
            if "task_record_no" not in target:
                changes["task_record_no"] = None
        if "task_record_no" in target:
            changes["task_record_no"] = int(target["task_record_no"])
        if "time_type" in target:
            changes["time_type"] = str(target["time_type"])
        for key, value in target.items():
            if key in _DIMENSIONS or key not in ROUTE_TARGETS:
                dims[key] = str(value)
        changes["dimensions"] = FrozenMap(dims)
        return attrs.evolve(entry, **changes)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _match(patterns: tuple[str, ...], value: str | None) -> bool:
    if not patterns:
        return True
    if value is None:
        return False
    return any(fnmatchcase(value, p) for p in patterns)


def rule_problems(rules: Iterable[AllocationRule], dimension_keys: Iterable[str]) -> list[str]:
    """What in a rule table could never take effect, one line each.

    Args:
        rules: The table.
        dimension_keys: The ``dimensions`` keys the entry's spec maps (``department`` ...);
            ``GLDIM*`` keys are always accepted as user-defined dimensions.

    Returns:
        A target the entry's spec would drop on push, or an ``items`` condition on
        entries whose spec carries no item, is a problem: the rule would be silently
        ignored.
    """
    known = frozenset(dimension_keys)
    out: list[str] = []
    for rule in rules:
        for target in rule.set:
            if target in ENTRY_TARGETS or target in known or _UDD.match(target):
                continue
            out.append(
                f"rule {rule.name!r} sets {target!r}, which the entry spec does not map "
                f"(it maps {', '.join(sorted(known)) or 'no dimensions'} and GLDIM<NAME>)"
            )
        if rule.items and "item" not in known:
            out.append(f"rule {rule.name!r} matches items, but the entry spec maps no item")
    return out


def context_objects(rules: Iterable[AllocationRule]) -> dict[str, str]:
    """The pulled objects a rule table needs facts from, with the condition that needs
    each (``{"ITEM": "gl_groups"}``)."""
    out: dict[str, str] = {}
    for rule in rules:
        for condition, (object_name, _attr) in CONTEXT_FACTS.items():
            if getattr(rule, condition):
                out.setdefault(object_name, condition)
    return out


_UDD: Final = re.compile(r"^GLDIM[A-Z0-9_]+$")


@attrs.frozen(slots=True, kw_only=True)
class RuleContext:
    """Facts a rule may match that an entry does not carry itself.

    Attributes:
        employee_key: The timesheet's employee.
        employee_department: The employee's department (used when the entry has none).
        gl_groups: GL group of each item id (Assignar's Labor / Equipment split).
    """

    employee_key: str | None = None
    employee_department: str | None = None
    gl_groups: Mapping[str, str] = attrs.field(factory=FrozenMap, converter=frozen_map)


@attrs.frozen(slots=True)
class RoutedEntry:
    """The result of :func:`apply_rules`: the (possibly) routed entry and the rule that won."""

    entry: TimesheetEntry
    rule: AllocationRule | None


def ordered(rules: Iterable[AllocationRule]) -> tuple[AllocationRule, ...]:
    """The rules in the order they are tried (stable sort by priority)."""
    return tuple(sorted(rules, key=lambda r: r.priority))


def apply_rules(
    entry: TimesheetEntry,
    rules: Sequence[AllocationRule],
    context: RuleContext | None = None,
) -> RoutedEntry:
    """Route ``entry`` by the first matching rule; a pure function.

    Args:
        entry: The entry to route.
        rules: The rule table (any order; sorted by priority here).
        context: Employee and GL-group facts.

    Returns:
        The routed entry and the matched rule, or the entry unchanged and None.
    """
    ctx = context or RuleContext()
    for rule in ordered(rules):
        if rule.matches(entry, ctx):
            return RoutedEntry(rule.route(entry), rule)
    return RoutedEntry(entry, None)


def route_timesheet(
    timesheet: Timesheet,
    rules: Sequence[AllocationRule],
    context: RuleContext | None = None,
) -> tuple[Timesheet, tuple[RoutedEntry, ...]]:
    """Route every entry of ``timesheet``; the context's employee defaults to the timesheet's.

    Returns:
        The routed timesheet and, per entry, the routing result.
    """
    ctx = context or RuleContext()
    if ctx.employee_key is None:
        ctx = attrs.evolve(ctx, employee_key=timesheet.employee_key)
    results = tuple(apply_rules(e, rules, ctx) for e in timesheet.entries)
    routed = attrs.evolve(timesheet, entries=tuple(r.entry for r in results))
    return routed, results
