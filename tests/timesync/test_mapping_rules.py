"""Allocation rules: time off to grants, labor vs equipment, first match by priority."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from timesync.errors import ConfigurationError
from timesync.mapping import AllocationRule, RuleContext, apply_rules, route_timesheet
from timesync.models import Timesheet, TimesheetEntry

DAY = date(2024, 7, 1)


def entry(**kw: object) -> TimesheetEntry:
    base: dict[str, object] = {
        "entry_date": DAY,
        "hours": Decimal(8),
        "project_key": "P-CLIENT",
        "task_key": "DESIGN",
        "task_record_no": 44,
        "time_type": "Salary",
    }
    base.update(kw)
    return TimesheetEntry(**base)  # type: ignore[arg-type]


PTO = AllocationRule(
    name="time off to grant",
    priority=10,
    time_types=("PTO", "Holiday*"),
    set={"project": "GRANT-ADMIN", "department": "ADM"},
)
EQUIPMENT = AllocationRule(
    name="equipment", priority=20, gl_groups=("Equipment",), set={"class": "EQUIP"}
)
LABOR = AllocationRule(name="labor", priority=30, gl_groups=("Labor",), set={"class": "LABOR"})


def test_time_off_goes_to_the_grant_and_drops_the_old_task() -> None:
    routed = apply_rules(entry(time_type="PTO"), [LABOR, EQUIPMENT, PTO])
    assert routed.rule is PTO
    assert routed.entry.project_key == "GRANT-ADMIN"
    assert routed.entry.task_key is None, "the task belonged to the old project"
    assert routed.entry.task_record_no is None
    assert routed.entry.dimensions == {"department": "ADM"}
    assert routed.entry.hours == Decimal(8), "routing never changes hours"


def test_patterns_and_no_match() -> None:
    assert apply_rules(entry(time_type="Holiday-US"), [PTO]).rule is PTO
    unrouted = apply_rules(entry(), [PTO, EQUIPMENT])
    assert unrouted.rule is None
    assert unrouted.entry == entry()
    assert apply_rules(entry(time_type=None), [PTO]).rule is None


def test_gl_group_of_the_item_comes_from_the_context() -> None:
    ctx = RuleContext(gl_groups={"EXC-01": "Equipment", "CARP": "Labor"})
    dig = apply_rules(entry(dimensions={"item": "EXC-01"}), [LABOR, EQUIPMENT], ctx)
    work = apply_rules(entry(dimensions={"item": "CARP"}), [LABOR, EQUIPMENT], ctx)
    assert dig.rule is EQUIPMENT
    assert dig.entry.dimensions == {"item": "EXC-01", "class": "EQUIP"}
    assert work.rule is LABOR
    assert apply_rules(entry(dimensions={"item": "OTHER"}), [LABOR, EQUIPMENT], ctx).rule is None


def test_priority_orders_rules_and_ties_keep_table_order() -> None:
    broad = AllocationRule(name="broad", priority=50, set={"location": "HQ"})
    narrow = AllocationRule(
        name="narrow", priority=5, time_types=("Salary",), set={"location": "B"}
    )
    assert apply_rules(entry(), [broad, narrow]).rule is narrow
    first = AllocationRule(name="first", priority=1, set={"location": "1"})
    second = AllocationRule(name="second", priority=1, set={"location": "2"})
    assert apply_rules(entry(), [first, second]).rule is first
    assert apply_rules(entry(), [second, first]).rule is second


def test_employee_and_department_conditions() -> None:
    rule = AllocationRule(
        name="field crew", employees=("E1*",), departments=("FIELD",), set={"item": "CREW"}
    )
    ctx = RuleContext(employee_key="E100", employee_department="FIELD")
    assert apply_rules(entry(), [rule], ctx).rule is rule
    assert apply_rules(entry(), [rule], RuleContext(employee_key="E200")).rule is None
    office = entry(dimensions={"department": "OFFICE"})
    assert apply_rules(office, [rule], ctx).rule is None, "the entry's department wins"


def test_task_targets_and_user_defined_dimensions() -> None:
    rule = AllocationRule(
        name="r", set={"project": "G1", "task": "LEAVE", "task_record_no": 9, "GLDIMFUND": "F"}
    )
    e = apply_rules(entry(), [rule]).entry
    assert (e.project_key, e.task_key, e.task_record_no) == ("G1", "LEAVE", 9)
    assert e.dimensions == {"GLDIMFUND": "F"}
    only_task = apply_rules(entry(), [AllocationRule(name="t", set={"task": "X"})]).entry
    assert only_task.project_key == "P-CLIENT"
    assert only_task.task_key == "X"
    assert only_task.task_record_no is None


def test_route_timesheet_uses_its_employee_and_reports_each_entry() -> None:
    rule = AllocationRule(name="e7", employees=("E7",), time_types=("PTO",), set={"project": "G"})
    ts = Timesheet(
        local_id="t1",
        employee_key="E7",
        begin_date=DAY,
        entries=(entry(time_type="PTO"), entry()),
    )
    routed, results = route_timesheet(ts, [rule])
    assert [r.rule for r in results] == [rule, None]
    assert routed.entries[0].project_key == "G"
    assert routed.entries[1] == ts.entries[1]
    assert ts.entries[0].project_key == "P-CLIENT", "the input is not changed"


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least one target"):
        AllocationRule(name="empty", set={})
    with pytest.raises(ConfigurationError, match="task_record_no must be an integer"):
        AllocationRule(name="bad", set={"task_record_no": "x"})
