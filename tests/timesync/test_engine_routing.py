# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Allocation rules and dimensions inside the engine: what the pull kept routes what is pushed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    app,
    client,
    emulator,
    store,
)

from intacct_sdk import Client
from intacct_sdk.testing import Emulator
from timesync.engine import Engine, EngineOptions
from timesync.errors import ConfigurationError, MappingError
from timesync.local import EntryInput, ReferenceApp
from timesync.mapping import AllocationRule, default_specs, load_specs
from timesync.models import Timesheet, TimesheetEntry
from timesync.store import SQLiteStateStore

WEEK = date(2025, 1, 6)
PULLED = ("DEPARTMENT", "LOCATION", "CLASS", "ITEM", "EMPLOYEE", "PROJECT", "TASK")


def _engine(
    client: Client,
    app: ReferenceApp,
    store: SQLiteStateStore,
    rules: tuple[AllocationRule, ...],
    pull_objects: tuple[str, ...] = PULLED,
    **specs_without: Any,
) -> Engine:
    specs = default_specs()
    specs["TIMESHEET"] = attrs.evolve(specs["TIMESHEET"], rules=rules)
    for name in specs_without:
        specs.pop(name)
    return Engine(client, app, store, specs=specs, options=EngineOptions(pull_objects=pull_objects))


def _pushed_entries(emulator: Emulator, store: SQLiteStateStore, local_id: str) -> list[Any]:
    link = store.get_link("TIMESHEET", local_id)
    assert link is not None and link.record_no is not None
    return sorted(
        (
            e
            for e in emulator.company.records("TIMESHEETENTRY")
            if str(e.get("TIMESHEETKEY")) == str(link.record_no)
        ),
        key=lambda e: int(e["LINENO"]),
    )


def _first_task(app: ReferenceApp) -> tuple[str, str]:
    task = next(r for r in app.list_records("TASK") if r.active)
    project, _, code = (task.key or "").partition("/")
    return project, code


def _query_count(emulator: Emulator, object_name: str) -> int:
    return emulator.stats.functions.get(("query", object_name), 0)


def test_a_gl_group_rule_routes_entries_pushed_by_the_engine(
    client: Client, app: ReferenceApp, store: SQLiteStateStore, emulator: Emulator
) -> None:
    equip = next(r["CLASSID"] for r in emulator.company.records("CLASS"))
    rule = AllocationRule(name="equipment", gl_groups=("Equipment",), set={"class": equip})
    engine = _engine(client, app, store, (rule,))
    engine.run()
    assert store.get_link("ITEM", "EQ-VAN").facts == {"gl_group": "Equipment"}  # type: ignore[union-attr]
    project, code = _first_task(app)
    person = next(r.key for r in app.list_records("EMPLOYEE") if r.active)
    local_id = app.create_timesheet(
        str(person),
        WEEK,
        [
            EntryInput(WEEK, Decimal(8), project, code, item="EQ-VAN"),
            EntryInput(WEEK, Decimal(4), project, code, item="LAB-ENG"),
        ],
    )
    items_read = _query_count(emulator, "ITEM")
    report = engine.run()
    assert report.ok, report.failures
    van, labor = _pushed_entries(emulator, store, local_id)
    assert (van["ITEMID"], van["CLASSID"]) == ("EQ-VAN", equip)
    assert labor["ITEMID"] == "LAB-ENG"
    assert labor.get("CLASSID") in (None, ""), "only equipment is routed"
    # the GL groups came from what the pull kept: no item was read for the push
    assert _query_count(emulator, "ITEM") == items_read + 1  # the incremental pull's page


def test_a_department_rule_uses_the_employees_department_from_the_pull(
    client: Client, app: ReferenceApp, store: SQLiteStateStore, emulator: Emulator
) -> None:
    employee = next(
        r
        for r in emulator.company.records("EMPLOYEE")
        if r.get("DEPARTMENTID") and r.get("STATUS") == "active"
    )
    location = next(r["LOCATIONID"] for r in emulator.company.records("LOCATION"))
    rule = AllocationRule(
        name="by department", departments=(employee["DEPARTMENTID"],), set={"location": location}
    )
    engine = _engine(client, app, store, (rule,))
    engine.run()
    project, code = _first_task(app)
    local_id = app.create_timesheet(
        employee["EMPLOYEEID"], WEEK, [EntryInput(WEEK, Decimal(8), project, code)]
    )
    assert engine.run().ok
    [entry] = _pushed_entries(emulator, store, local_id)
    assert entry["LOCATIONID"] == location


def test_facts_the_pull_did_not_keep_are_read_with_the_batch(
    client: Client, app: ReferenceApp, store: SQLiteStateStore, emulator: Emulator
) -> None:
    equip = next(r["CLASSID"] for r in emulator.company.records("CLASS"))
    rule = AllocationRule(name="equipment", gl_groups=("Equip*",), set={"class": equip})
    without_items = tuple(o for o in PULLED if o != "ITEM")
    engine = _engine(client, app, store, (rule,), pull_objects=without_items)
    engine.run()
    project, code = _first_task(app)
    person = next(r.key for r in app.list_records("EMPLOYEE") if r.active)
    ids = [
        app.create_timesheet(
            str(person), WEEK, [EntryInput(WEEK, Decimal(2), project, code, item=item)]
        )
        for item in ("EQ-VAN", "EQ-LAPTOP", "LAB-PM")
    ]
    assert _query_count(emulator, "ITEM") == 0
    assert engine.run().ok
    assert _query_count(emulator, "ITEM") == 1, "one read for the whole batch"
    classes = [_pushed_entries(emulator, store, i)[0].get("CLASSID") for i in ids]
    assert classes[:2] == [equip, equip]
    assert classes[2] in (None, "")


def test_a_rule_needing_facts_no_spec_maps_is_refused(
    client: Client, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    rule = AllocationRule(name="equipment", gl_groups=("Equipment",), set={"class": "EQ"})
    with pytest.raises(ConfigurationError, match=r"gl_groups.*ITEM"):
        _engine(client, app, store, (rule,), pull_objects=("EMPLOYEE",), ITEM=True)


def test_entry_department_and_location_reach_intacct(
    client: Client, app: ReferenceApp, store: SQLiteStateStore, emulator: Emulator
) -> None:
    engine = _engine(client, app, store, ())
    engine.run()
    project, code = _first_task(app)
    person = next(r.key for r in app.list_records("EMPLOYEE") if r.active)
    department = next(r["DEPARTMENTID"] for r in emulator.company.records("DEPARTMENT"))
    location = next(r["LOCATIONID"] for r in emulator.company.records("LOCATION"))
    local_id = app.create_timesheet(
        str(person),
        WEEK,
        [EntryInput(WEEK, Decimal(3), project, code, department=department, location=location)],
    )
    assert engine.run().ok
    [entry] = _pushed_entries(emulator, store, local_id)
    assert (entry["DEPARTMENTID"], entry["LOCATIONID"]) == (department, location)


def test_an_unknown_dimension_key_is_an_error_naming_it() -> None:
    spec = default_specs()["TIMESHEET"]
    sheet = Timesheet(
        local_id="1",
        employee_key="E1",
        begin_date=WEEK,
        entries=[
            TimesheetEntry(
                entry_date=WEEK,
                hours=Decimal(1),
                dimensions={"department": "D1", "DEPARTMENTID": "D1", "GLDIMFUND": "F1"},
            )
        ],
    )
    with pytest.raises(MappingError) as info:
        spec.to_remote(sheet)
    [error] = info.value.errors
    assert error.path == "timesheet.entries[0].dimensions.DEPARTMENTID"
    assert "unknown dimension 'DEPARTMENTID'" in error.message
    good = attrs.evolve(
        sheet,
        entries=[
            attrs.evolve(sheet.entries[0], dimensions={"department": "D1", "GLDIMFUND": "F1"})
        ],
    )
    [line] = spec.to_remote(good)["TIMESHEETENTRIES"]
    assert (line["DEPARTMENTID"], line["GLDIMFUND"]) == ("D1", "F1")


def test_a_rule_setting_an_unmapped_dimension_is_refused_when_the_spec_loads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[TIMESHEET.rules]]\nname = "grant"\nset = { fund = "F1" }\n'
        '[[TIMESHEET.rules]]\nname = "by item"\nitems = ["EQ*"]\nset = { GLDIMFUND = "F2" }\n',
        "utf-8",
    )
    with pytest.raises(ConfigurationError) as info:
        load_specs(path)
    text = "\n".join(info.value.problems)  # type: ignore[attr-defined]
    assert "rule 'grant' sets 'fund'" in text
    assert "by item" not in text, "items and GLDIM targets are mapped by the default entry spec"
