"""Routing pushed timesheets by the spec's allocation rules, with the facts the pull kept.

Rules may match facts an entry does not carry: the employee's department, the GL group of
the entry's item (:data:`timesync.mapping.rules.CONTEXT_FACTS`). The pull keeps those facts
on the links of the records it applies, so routing a batch costs no request. A key the pull
never kept (an object not pulled, a record linked before facts were kept, an unlinked one)
is read from Intacct with the batch, one ``query`` per object, so a rule never fails to
fire for want of a fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from intacct_sdk.query import F
from timesync.engine._context import RunContext, page_records
from timesync.engine._options import MappingSpecLike
from timesync.engine._plan import chunks
from timesync.errors import ConfigurationError
from timesync.mapping.rules import (
    CONTEXT_FACTS,
    AllocationRule,
    RuleContext,
    context_objects,
    route_timesheet,
)

__all__ = ["Router", "check_rules", "facts_of"]


def _fact_attrs(object_name: str) -> tuple[str, ...]:
    return tuple(attr for obj, attr in CONTEXT_FACTS.values() if obj == object_name)


_KEPT: dict[str, tuple[str, ...]] = {obj: _fact_attrs(obj) for obj, _ in CONTEXT_FACTS.values()}


def facts_of(object_name: str, model: Any) -> dict[str, str] | None:
    """The routing facts the pull keeps of one record (None for objects with none)."""
    kept = _KEPT.get(object_name)
    if not kept:
        return None
    out: dict[str, str] = {}
    for attr in kept:
        value = getattr(model, attr, None)
        if value is not None:
            out[attr] = str(value)
    return out


def check_rules(rules: Iterable[AllocationRule], specs: Mapping[str, MappingSpecLike]) -> None:
    """Refuse rules whose conditions need facts of an object the engine cannot map.

    Raises:
        ConfigurationError: No spec maps the object (or its key or the fact's field).
    """
    for object_name, condition in context_objects(rules).items():
        spec = specs.get(object_name)
        attr = CONTEXT_FACTS[condition][1]
        field_for = getattr(spec, "remote_field_for", None)
        if field_for is None or getattr(spec, "key_field", None) is None or not field_for(attr):
            raise ConfigurationError(
                f"an allocation rule matches {condition}, which needs {object_name}.{attr} "
                f"from Intacct, but no {object_name} spec maps it"
            )


@attrs.define(slots=True)
class Router:
    """Routes the timesheets of one push run.

    Call :meth:`load` with the batch's timesheets first (it gathers the facts the rules need
    in at most one request), then :meth:`route` each one.
    """

    ctx: RunContext
    rules: tuple[AllocationRule, ...]
    facts: dict[str, dict[str, Mapping[str, str]]] = attrs.field(factory=dict)

    @property
    def needs(self) -> dict[str, str]:
        """The objects whose facts the rules need, with the condition that needs each."""
        return context_objects(self.rules)

    def _wanted(self, timesheets: Iterable[Any]) -> dict[str, set[str]]:
        wanted: dict[str, set[str]] = {name: set() for name in self.needs}
        for ts in timesheets:
            if "EMPLOYEE" in wanted:
                wanted["EMPLOYEE"].add(str(ts.employee_key))
            if "ITEM" in wanted:
                for entry in ts.entries:
                    item = entry.dimensions.get("item")
                    if item is not None:
                        wanted["ITEM"].add(str(item))
        return wanted

    def load(self, timesheets: Iterable[Any]) -> None:
        """Gather the facts the rules need for these timesheets: from the links the pull
        kept, and for keys without kept facts from Intacct, in one request."""
        if not self.rules or not self.needs:
            return
        store = self.ctx.store
        missing: dict[str, list[str]] = {}
        for object_name, keys in self._wanted(timesheets).items():
            known = self.facts.setdefault(object_name, {})
            links = store.links_by_key(object_name, sorted(keys - set(known)))
            for key in sorted(keys - set(known)):
                link = links.get(key)
                if link is not None and link.facts is not None:
                    known[key] = link.facts
                else:
                    missing.setdefault(object_name, []).append(key)
        if missing:
            self._read(missing)

    def _read(self, missing: Mapping[str, list[str]]) -> None:
        ctx = self.ctx
        queries, owners = [], []
        for object_name, keys in missing.items():
            spec = ctx.specs[object_name]
            key_field = getattr(spec, "key_field", None)
            assert key_field is not None  # check_rules refused specs without one
            field_for = getattr(spec, "remote_field_for")  # noqa: B009 - checked by check_rules
            fields = {a: field_for(a) for a in _KEPT[object_name]}
            select = [key_field, *(f for f in fields.values() if f)]
            for batch in chunks(keys, 1000):
                queries.append(
                    ctx.page_query(object_name, select, F(key_field).in_(list(batch)), (), 2000)
                )
                owners.append((object_name, key_field, fields))
        results = ctx.execute(queries)
        for (object_name, key_field, fields), result in zip(owners, results, strict=True):
            known = self.facts[object_name]
            links = ctx.store.links_by_key(
                object_name, [str(r.get(key_field)) for r in page_records(result)[0]]
            )
            for record in page_records(result)[0]:
                key = str(record.get(key_field))
                facts = {a: str(record[f]) for a, f in fields.items() if f and record.get(f)}
                known[key] = facts
                link = links.get(key)
                if link is not None and link.facts is None and not ctx.dry_run:
                    ctx.store.put_link(attrs.evolve(link, facts=facts))

    def route(self, timesheet: Any) -> Any:
        """``timesheet`` with every entry routed by the first matching rule."""
        if not self.rules:
            return timesheet
        employee = self.facts.get("EMPLOYEE", {}).get(str(timesheet.employee_key), {})
        items = self.facts.get("ITEM", {})
        context = RuleContext(
            employee_key=timesheet.employee_key,
            employee_department=employee.get("department_key"),
            gl_groups={k: f["gl_group"] for k, f in items.items() if "gl_group" in f},
        )
        routed, _ = route_timesheet(timesheet, self.rules, context)
        return routed
