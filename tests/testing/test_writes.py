"""create, update, delete on plain objects: checks, references, custom fields, entities."""

from __future__ import annotations

import pytest
from tests.testing.emu_helpers import LOGIN, Clock, Gateway, created_recordno

from intacct_sdk.testing import Company, Emulator


def find(company: Company, obj: str, field: str, value: str) -> dict[str, str] | None:
    return next((r for r in company.records(obj) if r.get(field) == value), None)


def test_create_returns_lowercase_objects_with_recordno_and_id(
    gw: Gateway, company: Company
) -> None:
    res = gw.ok(
        "<create><CLASS><CLASSID>N1</CLASSID><NAME>one</NAME></CLASS>"
        "<DEPARTMENT><DEPARTMENTID>N2</DEPARTMENTID><TITLE>two</TITLE></DEPARTMENT></create>"
    )
    data = res.find("data")
    assert data is not None
    assert data.attrib == {"listtype": "objects", "count": "2"}
    assert [r.tag for r in data] == ["class", "department"]
    assert [[c.tag for c in r] for r in data] == [
        ["RECORDNO", "CLASSID"],
        ["RECORDNO", "DEPARTMENTID"],
    ]
    rec = find(company, "CLASS", "CLASSID", "N1")
    assert rec is not None
    assert rec["RECORDNO"] == data[0].findtext("RECORDNO")
    assert rec["STATUS"] == "active"


def test_employee_with_contact_and_numbering(gw: Gateway, company: Company) -> None:
    res = gw.ok(
        "<create><EMPLOYEE><PERSONALINFO><CONTACTNAME>Hopper, Grace</CONTACTNAME>"
        "<EMAIL1>g@navy.test</EMAIL1><MAILADDRESS><CITY>Arlington</CITY></MAILADDRESS></PERSONALINFO>"
        "<DEPARTMENTID>D1</DEPARTMENTID></EMPLOYEE></create>"
    )
    rn = created_recordno(res)
    rec = company.get("EMPLOYEE", rn)
    assert rec is not None
    assert rec["EMPLOYEEID"] == res.findtext("data/employee/EMPLOYEEID") != ""
    assert rec["PERSONALINFO.MAILADDRESS.CITY"] == "Arlington"
    assert rec["PERSONALINFO.PRINTAS"] == "Hopper, Grace"
    assert rec["DEPARTMENTKEY"] == "1"  # filled from the department RECORDNO (D1 is the first)
    read = gw.ok(f"<read><object>EMPLOYEE</object><keys>{rn}</keys><fields>*</fields></read>")
    assert read.findtext("data/EMPLOYEE/PERSONALINFO/MAILADDRESS/CITY") == "Arlington"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "<CLASS><CLASSID>Z</CLASSID><NAME>z</NAME><BOGUS>1</BOGUS></CLASS>",
            "BOGUS is not a field of CLASS",
        ),
        ("<CLASS><NAME>z</NAME></CLASS>", "CLASSID is required"),
        ("<CLASS><CLASSID>C1</CLASSID><NAME>z</NAME></CLASS>", "already exists"),
        (
            "<CLASS><CLASSID>Z</CLASSID><NAME>z</NAME><STATUS>sleeping</STATUS></CLASS>",
            "not one of the valid values",
        ),
        (
            "<EMPLOYEE><PERSONALINFO><CONTACTNAME>x</CONTACTNAME></PERSONALINFO><DEPARTMENTID>NOPE</DEPARTMENTID></EMPLOYEE>",
            "Invalid Department 'NOPE'",
        ),
        (
            "<EMPLOYEE><PERSONALINFO><CONTACTNAME>x</CONTACTNAME></PERSONALINFO><STARTDATE>2024-01-01</STARTDATE></EMPLOYEE>",
            "MM/DD/YYYY",
        ),
        (
            "<PROJECT><NAME>x</NAME><PROJECTCATEGORY>Contract</PROJECTCATEGORY><BUDGETQTY>lots</BUDGETQTY></PROJECT>",
            "not a number",
        ),
        ("<TASK><NAME>x</NAME><PROJECTID>NOPE</PROJECTID></TASK>", "Invalid Project 'NOPE'"),
        (
            "<TASK><NAME>x</NAME><PROJECTID>P1</PROJECTID><TASKID>T1</TASKID></TASK>",
            "already exists in project P1",
        ),
        (
            "<TASK><NAME>x</NAME><PROJECTID>P1</PROJECTID><BILLABLE>maybe</BILLABLE></TASK>",
            "true or false",
        ),
        ("<TIMESHEETENTRY><QTY>1</QTY></TIMESHEETENTRY>", "written through their TIMESHEET"),
        ("<NOPE><X>1</X></NOPE>", "Object definition NOPE not found"),
    ],
)
def test_create_failures_name_the_problem(gw: Gateway, body: str, needle: str) -> None:
    texts = gw.fail(f"<create>{body}</create>")
    assert any(needle in t for t in texts), texts


def test_task_ids_are_unique_per_project_and_default_to_recordno(
    gw: Gateway, company: Company
) -> None:
    res = gw.ok(
        "<create><TASK><NAME>Test</NAME><PROJECTID>P2</PROJECTID><TASKID>T2</TASKID></TASK>"
        "<TASK><NAME>Auto</NAME><PROJECTID>P2</PROJECTID></TASK></create>"
    )
    rows = res.findall("data/task")
    assert rows[0].findtext("TASKID") == "T2"
    assert rows[1].findtext("TASKID") == rows[1].findtext("RECORDNO")
    task = company.get("TASK", int(rows[0].findtext("RECORDNO") or 0))
    assert task is not None
    assert task["PROJECTKEY"] == "2"
    assert task["PROJECTNAME"] == "Gemini"


def test_update_by_id_or_recordno_keeps_unsent_fields(gw: Gateway, company: Company) -> None:
    gw.ok(
        "<update><PROJECT><PROJECTID>P1</PROJECTID><DESCRIPTION>moon</DESCRIPTION></PROJECT></update>"
    )
    p = find(company, "PROJECT", "PROJECTID", "P1")
    assert p is not None
    assert p["DESCRIPTION"] == "moon"
    assert p["NAME"] == "Apollo"
    gw.ok(
        "<update><PROJECT><RECORDNO>1</RECORDNO><NAME>Apollo 11</NAME>"
        "<DESCRIPTION/></PROJECT></update>"
    )
    p = company.get("PROJECT", 1)
    assert p is not None
    assert p["NAME"] == "Apollo 11"
    assert p["DESCRIPTION"] == ""


def test_update_key_rules(gw: Gateway) -> None:
    texts = gw.fail("<update><TASK><TASKID>T1</TASKID><NAME>x</NAME></TASK></update>")
    assert any("RECORDNO" in t for t in texts)
    result = gw.one("<update><CLASS><CLASSID>C9</CLASSID><NAME>x</NAME></CLASS></update>")
    assert (
        result.findtext("errormessage/error/errorno")
        == "Cannot update non-existing CLASS with CLASSID=C9."
    )


def test_partial_update_keeps_the_rows_that_worked(gw: Gateway) -> None:
    result = gw.one(
        "<update><CLASS><CLASSID>C1</CLASSID><NAME>ok</NAME></CLASS>"
        "<CLASS><CLASSID>C9</CLASSID><NAME>x</NAME></CLASS></update>"
    )
    assert result.findtext("status") == "failure"
    assert [r.findtext("CLASSID") for r in result.findall("data/class")] == ["C1"]


def test_delete(gw: Gateway, company: Company) -> None:
    gw.ok("<delete><object>CLASS</object><keys>1</keys></delete>")
    assert company.count("CLASS") == 0
    texts = gw.fail("<delete><object>CLASS</object><keys>1</keys></delete>")
    assert texts == ["Cannot find class with key '1' to delete."]


def test_custom_fields_and_dimension_fields(gw: Gateway, company: Company) -> None:
    company.add_custom_field("PROJECT", "RISK", "TEXT")
    gw.ok("<update><PROJECT><PROJECTID>P1</PROJECTID><RISK>high</RISK></PROJECT></update>")
    rows = gw.ok(
        "<query><object>PROJECT</object><select><field>PROJECTID</field><field>RISK</field></select>"
        "<filter><equalto><field>RISK</field><value>high</value></equalto></filter></query>"
    )
    assert [r.findtext("PROJECTID") for r in rows.findall("data/PROJECT")] == ["P1"]
    gw.ok("<create><TEAM><ID>BLUE</ID><NAME>Blue</NAME></TEAM></create>")
    assert find(company, "TEAM", "ID", "BLUE") is not None


def test_multi_entity_requires_locationid(clock: Clock) -> None:
    c = Company(clock=clock, entities=2)
    c.insert("LOCATION", {"LOCATIONID": "E1", "NAME": "Entity 1"})
    gw = Gateway(Emulator(c, clock=clock))
    texts = gw.fail(
        "<create><EMPLOYEE><PERSONALINFO><CONTACTNAME>x</CONTACTNAME></PERSONALINFO></EMPLOYEE></create>"
    )
    assert any("LOCATIONID is required" in t for t in texts)
    gw.ok(
        "<create><EMPLOYEE><PERSONALINFO><CONTACTNAME>x</CONTACTNAME></PERSONALINFO><LOCATIONID>E1</LOCATIONID></EMPLOYEE></create>"
    )
    # in an entity session the entity is the default
    entity_login = LOGIN.replace("</login>", "<locationid>E1</locationid></login>")
    res = gw.ok(
        "<create><EMPLOYEE><PERSONALINFO><CONTACTNAME>y</CONTACTNAME></PERSONALINFO></EMPLOYEE></create>",
        auth=entity_login,
    )
    rec = c.get("EMPLOYEE", created_recordno(res))
    assert rec is not None
    assert rec["LOCATIONID"] == "E1"


def test_time_types_are_written_only_through_legacy_functions(
    gw: Gateway, company: Company
) -> None:
    texts = gw.fail("<create><TIMETYPE><NAME>Overtime</NAME></TIMETYPE></create>")
    assert any("cannot be written with create" in t for t in texts)
    assert (
        gw.ok("<create_timetype><name>Overtime</name></create_timetype>").findtext("key")
        == "Overtime"
    )
    gw.ok('<update_timetype key="Overtime"><accountno>6500</accountno></update_timetype>')
    assert company.find("TIMETYPE", "Overtime")["ACCOUNTNO"] == "6500"  # type: ignore[index]
    gw.ok('<delete_timetype key="Overtime"/>')
    assert company.find("TIMETYPE", "Overtime") is None
