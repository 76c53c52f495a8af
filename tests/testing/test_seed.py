"""The seeded demo company: deterministic, consistent references, realistic shapes."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intacct_sdk.schema import get_schema
from intacct_sdk.testing._seed import CUSTOM_FIELD, DIMENSION, demo_company, empty_company
from intacct_sdk.testing._seed_data import SeedOptions, demo_objects

Records = dict[str, list[dict[str, str]]]


def generate(**kwargs: int) -> Records:
    return {name: list(records) for name, records in demo_objects(SeedOptions(**kwargs))}


def company_dump(company: object) -> str:
    """Every record of every seeded object, serialized: equal strings mean identical data."""
    out = {}
    for name in generate():
        out[name] = sorted(
            (dict(r) for r in company.records(name)),  # type: ignore[attr-defined]
            key=lambda r: int(r["RECORDNO"]),
        )
    return json.dumps(out, sort_keys=True, default=str)


# -- determinism -------------------------------------------------------------------------------


def test_same_options_give_identical_companies() -> None:
    a = company_dump(demo_company(employees=40, projects=6, seed=7))
    b = company_dump(demo_company(employees=40, projects=6, seed=7))
    assert a == b
    assert a != company_dump(demo_company(employees=40, projects=6, seed=8))


def test_same_options_give_identical_records() -> None:
    options = {"employees": 60, "projects": 9, "tasks_per_project": 3, "entities": 2}
    assert json.dumps(generate(**options)) == json.dumps(generate(**options))


def test_growing_one_object_leaves_the_others_alone() -> None:
    small = generate(employees=30, projects=5)
    more_projects = generate(employees=30, projects=50)
    assert small["EMPLOYEE"] == more_projects["EMPLOYEE"]
    assert small["CUSTOMER"] == more_projects["CUSTOMER"]
    assert small["PROJECT"] == more_projects["PROJECT"][:5]


# -- counts and contents -----------------------------------------------------------------------


def test_counts_follow_the_options() -> None:
    company = demo_company(employees=33, projects=7, tasks_per_project=5, customers=4)
    assert company.count("EMPLOYEE") == 33
    assert company.count("PROJECT") == 7
    assert company.count("TASK") == 35
    assert company.count("CUSTOMER") == 4
    assert company.count("DEPARTMENT") == 5
    assert company.count("LOCATION") == 3
    assert company.count("CLASS") == 4


def test_the_reference_data_a_timesheet_needs_is_there() -> None:
    data = generate()
    assert {r["NAME"] for r in data["TIMETYPE"]} >= {
        "Salary", "Overtime", "Vacation", "Sick", "Holiday"
    }  # fmt: skip
    assert {r["GLGROUP"] for r in data["ITEM"]} == {"Labor", "Equipment"}
    assert {r["NAME"] for r in data["PROJECTSTATUS"]} >= {"In Progress", "Completed"}
    assert len(data[DIMENSION]) >= 3
    statuses = Counter(r["STATUS"] for r in generate(employees=400)["EMPLOYEE"])
    assert statuses["inactive"] > 0
    assert statuses["active"] > statuses["inactive"]


def test_records_use_the_gateway_field_names() -> None:
    data = generate(employees=50, projects=10, entities=2)
    for name, records in data.items():
        schema = get_schema(name)
        if schema is None:
            assert name == DIMENSION
            continue
        # The store stamps WHENCREATED/WHENMODIFIED on every object; the seed gives them
        # fixed values even where lookup lists neither (TIMETYPE), to stay deterministic.
        known = set(schema.fields) | {"WHENCREATED", "WHENMODIFIED"}
        unknown = {key for r in records for key in r} - known
        assert not unknown, f"{name}: {sorted(unknown)}"


def test_values_are_strings_in_gateway_formats() -> None:
    date_re = re.compile(r"\d\d/\d\d/\d{4}")
    for name, records in generate(employees=40).items():
        for r in records:
            assert all(isinstance(v, str) for v in r.values())
            created, modified = (
                datetime.strptime(r[key], "%m/%d/%Y %H:%M:%S")
                for key in ("WHENCREATED", "WHENMODIFIED")
            )
            assert created <= modified <= datetime(2025, 1, 6)
            for key in ("STARTDATE", "ENDDATE", "BEGINDATE", "PBEGINDATE", "PENDDATE"):
                if r.get(key):
                    assert date_re.fullmatch(r[key]), (name, key, r[key])
            for key in ("BILLABLE", "UTILIZED", "ISMILESTONE", "PREVENTTIMESHEET"):
                if key in r:
                    assert r[key] in ("true", "false")


# -- referential consistency (property) --------------------------------------------------------


sizes = st.fixed_dictionaries(
    {
        "employees": st.integers(0, 60),
        "projects": st.integers(0, 15),
        "tasks_per_project": st.integers(0, 12),
        "customers": st.integers(0, 12),
        "departments": st.integers(1, 15),
        "locations": st.integers(1, 14),
        "classes": st.integers(1, 10),
        "entities": st.integers(0, 3),
        "seed": st.integers(0, 2**32),
    }
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(sizes)
def test_every_reference_points_at_a_record_that_exists(options: dict[str, int]) -> None:
    data = generate(**options)
    by_id = {
        name: {r[key]: r for r in data[name]}
        for name, key in [
            ("EMPLOYEE", "EMPLOYEEID"), ("PROJECT", "PROJECTID"), ("CUSTOMER", "CUSTOMERID"),
            ("DEPARTMENT", "DEPARTMENTID"), ("LOCATION", "LOCATIONID"), ("CLASS", "CLASSID"),
            ("TIMETYPE", "NAME"), ("ITEM", "ITEMID"), ("PROJECTSTATUS", "NAME"),
            ("PROJECTTYPE", "NAME"),
        ]
    }  # fmt: skip
    # ids are unique, RECORDNOs are 1..n in order
    for records in data.values():
        assert [int(r["RECORDNO"]) for r in records] == list(range(1, len(records) + 1))
    for name, index in by_id.items():
        assert len(index) == len(data[name]), name

    employees = data["EMPLOYEE"]
    assert len({e["PERSONALINFO.CONTACTNAME"] for e in employees}) == len(employees)
    assert len({e["PERSONALINFO.EMAIL1"] for e in employees}) == len(employees)
    position = {e["EMPLOYEEID"]: i for i, e in enumerate(employees)}
    for i, e in enumerate(employees):
        assert e["DEPARTMENTID"] in by_id["DEPARTMENT"]
        assert e["LOCATIONID"] in by_id["LOCATION"]
        assert e["CLASSID"] in by_id["CLASS"]
        assert by_id["DEPARTMENT"][e["DEPARTMENTID"]]["RECORDNO"] == e["DEPARTMENTKEY"]
        assert by_id["LOCATION"][e["LOCATIONID"]]["RECORDNO"] == e["LOCATIONKEY"]
        if i == 0:
            assert e["SUPERVISORID"] == ""
        else:
            boss = by_id["EMPLOYEE"][e["SUPERVISORID"]]
            assert position[boss["EMPLOYEEID"]] < i  # a tree: no cycles, no self-supervision
            assert boss["STATUS"] == "active"
        if e["STATUS"] == "inactive":
            assert e["ENDDATE"]

    for p in data["PROJECT"]:
        assert p["DEPARTMENTID"] in by_id["DEPARTMENT"]
        assert p["LOCATIONID"] in by_id["LOCATION"]
        assert p["PROJECTSTATUS"] in by_id["PROJECTSTATUS"]
        assert p["PROJECTTYPE"] in by_id["PROJECTTYPE"]
        if "CUSTOMERID" in p:
            assert by_id["CUSTOMER"][p["CUSTOMERID"]]["RECORDNO"] == p["CUSTOMERKEY"]
            assert p["PROJECTCATEGORY"] == "Contract"
        else:
            assert p["PROJECTCATEGORY"].startswith("Internal")
        if employees:
            manager = by_id["EMPLOYEE"][p["MANAGERID"]]
            assert manager["STATUS"] == "active"
            assert manager["RECORDNO"] == p["MANAGERKEY"]

    task_ids: Counter[tuple[str, str]] = Counter()
    for t in data["TASK"]:
        project = by_id["PROJECT"][t["PROJECTID"]]
        assert project["RECORDNO"] == t["PROJECTKEY"]
        assert t["TIMETYPENAME"] in by_id["TIMETYPE"]
        assert t["ITEMID"] in by_id["ITEM"]
        assert len(t["TASKID"]) <= 20
        task_ids[(t["PROJECTID"], t["TASKID"])] += 1
        if "CUSTOMERID" not in project:
            assert t["BILLABLE"] == "false"  # internal work is not billed
    assert all(n == 1 for n in task_ids.values())
    assert len(data["TASK"]) == options["projects"] * options["tasks_per_project"]

    locations = by_id["LOCATION"]
    entity_ids = {r["LOCATIONID"] for r in data["LOCATION"] if r.get("ENTITY")}
    assert len(entity_ids) == options["entities"]
    if options["entities"]:
        for record in [*employees, *data["PROJECT"]]:
            location = locations[record["LOCATIONID"]]
            assert location["PARENTID"] in entity_ids
            assert record["MEGAENTITYID"] == location["PARENTID"]


# -- company-level -----------------------------------------------------------------------------


def test_demo_company_keeps_state_in_a_file(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "company.sqlite"  # type: ignore[operator]
    company = demo_company(employees=12, projects=2, path=path)
    expected = company_dump(company)
    close = getattr(company, "close", None)
    if close is not None:
        close()
    from intacct_sdk.testing._company import Company

    reopened = Company(path=path)
    assert company_dump(reopened) == expected
    close = getattr(reopened, "close", None)
    if close is not None:
        close()


def test_empty_company_has_no_records_but_entities() -> None:
    company = empty_company()
    assert company.count("EMPLOYEE") == 0
    assert company.count("LOCATION") == 0
    multi = empty_company(entities=2)
    assert sorted(r["LOCATIONID"] for r in multi.records("LOCATION")) == ["E100", "E200"]


def test_custom_field_name_is_the_documented_one() -> None:
    assert CUSTOM_FIELD == "TIMESYNC_ID"


@pytest.mark.parametrize("bad", [{"employees": -1}, {"departments": 0}, {"locations": 0}])
def test_impossible_sizes_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be >= "):
        demo_company(**bad)
