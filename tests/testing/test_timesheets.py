"""Timesheets: states, entries, references, approve/decline, legacy functions."""

from __future__ import annotations

import pytest
from tests.testing.emu_helpers import Gateway, created_recordno, records, timesheet_xml

from intacct_sdk.testing import Company


def entry(extra: str) -> str:
    """One entry of one hour on 03/04/2024 plus ``extra`` elements."""
    return f"<TIMESHEETENTRY><ENTRYDATE>03/04/2024</ENTRYDATE><QTY>1</QTY>{extra}</TIMESHEETENTRY>"


def entries(company: Company, rn: int) -> list[dict[str, str]]:
    return [r for r in company.records("TIMESHEETENTRY") if r["TIMESHEETKEY"] == str(rn)]


def make(gw: Gateway, **kw: str) -> int:
    return created_recordno(gw.ok("<create>" + timesheet_xml(**kw) + "</create>"))


def test_create_defaults_to_draft_and_fills_entries(gw: Gateway, company: Company) -> None:
    rn = make(gw)
    ts = company.get("TIMESHEET", rn)
    assert ts is not None
    assert (ts["STATE"], ts["ENDDATE"], ts["LINES#"], ts["EMPLOYEEKEY"]) == (
        "Draft",
        "03/10/2024",
        "2",
        "1",
    )
    lines = entries(company, rn)
    assert [(e["LINENO"], e["STATE"], e["TASKKEY"], e["PROJECTKEY"]) for e in lines] == [
        ("1", "Draft", "1", "1"),
        ("2", "Draft", "3", "1"),
    ]
    read = gw.ok(f"<read><object>TIMESHEET</object><keys>{rn}</keys><fields>*</fields></read>")
    items = read.findall("data/TIMESHEET/TIMESHEETENTRIES/TIMESHEETENTRY")
    assert [i.findtext("QTY") for i in items] == ["8", "4.5"]


def test_create_submitted_and_invalid_state(gw: Gateway, company: Company) -> None:
    rn = make(gw, state="Submitted")
    assert {e["STATE"] for e in entries(company, rn)} == {"Submitted"}
    assert any(
        "Invalid STATE" in t
        for t in gw.fail("<create>" + timesheet_xml(state="Approved") + "</create>")
    )


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"employee": "E9"}, "Invalid Employee 'E9'"),
        ({"employee": "E3"}, "Employee 'E3' is inactive"),
        ({"entries": ""}, "at least one TIMESHEETENTRY"),
        (
            {"entries": "<TIMESHEETENTRY><ENTRYDATE>03/04/2024</ENTRYDATE></TIMESHEETENTRY>"},
            "QTY is required",
        ),
        (
            {"entries": entry("<PROJECTID>P3</PROJECTID>")},
            "Project 'P3' is inactive",
        ),
        (
            {"entries": entry("<PROJECTID>P2</PROJECTID><TASKKEY>1</TASKKEY>")},
            "does not belong to project P2",
        ),
        (
            {"entries": entry("<PROJECTID>P1</PROJECTID><TASKID>T1</TASKID><TASKKEY>1</TASKKEY>")},
            "not both",
        ),
        (
            {"entries": entry("<TASKID>T1</TASKID>")},
            "TASKID needs PROJECTID",
        ),
        (
            {"entries": entry("<DEPARTMENTID>D2</DEPARTMENTID>")},
            "Department 'D2' is inactive",
        ),
        (
            {"entries": entry("<TIMETYPE>Retired</TIMETYPE>")},
            "Time type 'Retired' is inactive",
        ),
        (
            {"entries": entry("<GLDIMTEAM>GREEN</GLDIMTEAM>")},
            "Invalid Team 'GREEN'",
        ),
        (
            {"entries": entry("<NOPE>1</NOPE>")},
            "NOPE is not a field of TIMESHEETENTRY",
        ),
    ],
)
def test_reference_and_entry_checks(
    gw: Gateway, company: Company, kw: dict[str, str], needle: str
) -> None:
    texts = gw.fail("<create>" + timesheet_xml(**kw) + "</create>")
    assert any(needle in t for t in texts), texts
    assert texts[-1] == "Could not create Timesheet record!"
    assert company.count("TIMESHEET") == 0
    assert company.count("TIMESHEETENTRY") == 0


def test_dimension_and_custom_field_on_timesheet(gw: Gateway, company: Company) -> None:
    line = (
        "<TIMESHEETENTRY><ENTRYDATE>03/04/2024</ENTRYDATE><QTY>2</QTY><PROJECTID>P1</PROJECTID>"
        "<TASKID>T1</TASKID><GLDIMTEAM>RED</GLDIMTEAM><TIMETYPE>Regular</TIMETYPE></TIMESHEETENTRY>"
    )
    rn = make(gw, entries=line, extra="<SYNC_REF>local-42</SYNC_REF>")
    assert entries(company, rn)[0]["GLDIMTEAM"] == "RED"
    found = gw.ok(
        "<query><object>TIMESHEET</object><select><field>RECORDNO</field></select>"
        "<filter><equalto><field>SYNC_REF</field><value>local-42</value></equalto></filter></query>"
    )
    assert [r["RECORDNO"] for r in records(found)] == [str(rn)]
    found = gw.ok(
        "<readByQuery><object>TIMESHEET</object><fields>RECORDNO,SYNC_REF</fields>"
        "<query>SYNC_REF = 'local-42'</query></readByQuery>"
    )
    assert [r["SYNC_REF"] for r in records(found)] == ["local-42"]


def test_update_replaces_all_entries(gw: Gateway, company: Company) -> None:
    rn = make(gw)
    keep = entries(company, rn)[0]["RECORDNO"]
    new_entries = (
        f"<TIMESHEETENTRY><RECORDNO>{keep}</RECORDNO><ENTRYDATE>03/06/2024</ENTRYDATE><QTY>1</QTY></TIMESHEETENTRY>"
        "<TIMESHEETENTRY><ENTRYDATE>03/07/2024</ENTRYDATE><QTY>2</QTY></TIMESHEETENTRY>"
        "<TIMESHEETENTRY><ENTRYDATE>03/08/2024</ENTRYDATE><QTY>3</QTY></TIMESHEETENTRY>"
    )
    body = timesheet_xml(entries=new_entries).replace(
        "<TIMESHEET>", f"<TIMESHEET><RECORDNO>{rn}</RECORDNO>"
    )
    gw.ok(f"<update>{body}</update>")
    lines = entries(company, rn)
    assert [e["QTY"] for e in lines] == ["1", "2", "3"]
    assert lines[0]["RECORDNO"] == keep
    assert company.get("TIMESHEET", rn)["LINES#"] == "3"  # type: ignore[index]
    assert company.count("TIMESHEETENTRY") == 3


def test_update_needs_recordno_and_entries(gw: Gateway) -> None:
    rn = make(gw)
    assert gw.fail(f"<update>{timesheet_xml()}</update>")
    no_entries = (
        f"<update><TIMESHEET><RECORDNO>{rn}</RECORDNO>"
        "<DESCRIPTION>x</DESCRIPTION></TIMESHEET></update>"
    )
    assert any("replaces every line" in t for t in gw.fail(no_entries))


def approve(
    gw: Gateway, rn: int, keys: str = "", fn: str = "approve", by: str = "APPROVEDBY"
) -> None:
    k = f"<ENTRYKEYS>{keys}</ENTRYKEYS>" if keys else ""
    gw.ok(
        f"<{fn}><TIMESHEET><RECORDNO>{rn}</RECORDNO>{k}<{by}>boss</{by}><COMMENT>c</COMMENT></TIMESHEET></{fn}>"
    )


def test_approve_some_then_all(gw: Gateway, company: Company) -> None:
    rn = make(gw, state="Submitted")
    first, _second = (e["RECORDNO"] for e in entries(company, rn))
    approve(gw, rn, first)
    assert company.get("TIMESHEET", rn)["STATE"] == "Partially Approved"  # type: ignore[index]
    approve(gw, rn)
    assert company.get("TIMESHEET", rn)["STATE"] == "Approved"  # type: ignore[index]
    assert {e["STATE"] for e in entries(company, rn)} == {"Approved"}
    assert company.count("TIMESHEETAPPROVAL") == 4  # two submissions, two approvals
    # an approved timesheet can be neither updated nor deleted, nor approved again
    body = timesheet_xml().replace("<TIMESHEET>", f"<TIMESHEET><RECORDNO>{rn}</RECORDNO>")
    assert any("Approved and cannot be removed" in t for t in gw.fail(f"<update>{body}</update>"))
    assert gw.fail(f"<delete><object>TIMESHEET</object><keys>{rn}</keys></delete>")
    assert gw.fail(f"<approve><TIMESHEET><RECORDNO>{rn}</RECORDNO></TIMESHEET></approve>")


def test_decline_with_php_style_approvedby_and_resubmit(gw: Gateway, company: Company) -> None:
    rn = make(gw, state="Submitted")
    first, _ = (e["RECORDNO"] for e in entries(company, rn))
    approve(gw, rn, first, fn="decline", by="APPROVEDBY")
    assert company.get("TIMESHEET", rn)["STATE"] == "Partially Declined"  # type: ignore[index]
    approve(gw, rn, fn="decline", by="DECLINEDBY")
    assert company.get("TIMESHEET", rn)["STATE"] == "Declined"  # type: ignore[index]
    declined_by = {
        a["APPROVEDBY"] for a in company.records("TIMESHEETAPPROVAL") if a["STATE"] == "Declined"
    }
    assert declined_by == {"boss"}
    body = timesheet_xml().replace("<TIMESHEET>", f"<TIMESHEET><RECORDNO>{rn}</RECORDNO>")
    gw.ok(f"<update>{body}</update>")
    assert company.get("TIMESHEET", rn)["STATE"] == "Submitted"  # type: ignore[index]


def test_draft_cannot_be_approved_and_entry_keys_must_belong(gw: Gateway) -> None:
    rn = make(gw)
    assert gw.fail(f"<approve><TIMESHEET><RECORDNO>{rn}</RECORDNO></TIMESHEET></approve>")
    rn2 = make(gw, state="Submitted")
    assert gw.fail(
        f"<approve><TIMESHEET><RECORDNO>{rn2}</RECORDNO><ENTRYKEYS>999</ENTRYKEYS></TIMESHEET></approve>"
    )


def test_delete_cascades_entries(gw: Gateway, company: Company) -> None:
    rn = make(gw, state="Submitted")
    gw.ok(f"<delete><object>TIMESHEET</object><keys>{rn}</keys></delete>")
    assert (
        company.count("TIMESHEET")
        == company.count("TIMESHEETENTRY")
        == company.count("TIMESHEETAPPROVAL")
        == 0
    )


def test_legacy_create_and_delete_timesheet(gw: Gateway, company: Company) -> None:
    res = gw.ok(
        "<create_timesheet><employeeid>E1</employeeid>"
        "<begindate><year>2024</year><month>3</month><day>4</day></begindate>"
        "<timesheetdescription>legacy</timesheetdescription><timesheetitems><timesheetitem>"
        "<projectid>P1</projectid><taskname>Build</taskname>"
        "<entrydate><year>2024</year><month>3</month><day>5</day></entrydate><qty>1.25</qty>"
        "</timesheetitem></timesheetitems></create_timesheet>"
    )
    rn = int(res.findtext("key") or 0)
    ts = company.get("TIMESHEET", rn)
    assert ts is not None
    assert ts["STATE"] == "Submitted"
    assert ts["BEGINDATE"] == "03/04/2024"
    assert entries(company, rn)[0]["TASKID"] == "T2"
    gw.ok(f'<delete_timesheet key="{rn}"/>')
    assert company.get("TIMESHEET", rn) is None


def test_expense_report_with_items(gw: Gateway, company: Company) -> None:
    res = gw.ok(
        "<create><EEXPENSES><EMPLOYEEID>E1</EMPLOYEEID><WHENCREATED>01/15/2025</WHENCREATED>"
        "<DESCRIPTION>trip</DESCRIPTION><EEXPENSESITEMS>"
        "<EEXPENSESITEM><EXPENSETYPE>Meals</EXPENSETYPE><AMOUNT>12.50</AMOUNT><PROJECTID>P1</PROJECTID></EEXPENSESITEM>"
        "<EEXPENSESITEM><EXPENSETYPE>Taxi</EXPENSETYPE><AMOUNT>30</AMOUNT><GLDIMTEAM>RED</GLDIMTEAM></EEXPENSESITEM>"
        "</EEXPENSESITEMS></EEXPENSES></create>"
    )
    rn = created_recordno(res)
    rep = company.get("EEXPENSES", rn)
    assert rep is not None
    assert rep["TOTALENTERED"] == "42.50"
    assert rep["STATE"] == "Submitted"
    assert company.count("EEXPENSESITEM") == 2
    assert rep["WHENCREATED"] == "01/15/2025"
    assert gw.fail(
        "<create><EEXPENSES><EMPLOYEEID>E1</EMPLOYEEID><WHENCREATED>01/15/2025</WHENCREATED>"
        "<EEXPENSESITEMS><EEXPENSESITEM><EXPENSETYPE>x</EXPENSETYPE></EEXPENSESITEM>"
        "</EEXPENSESITEMS></EEXPENSES></create>"
    )
    # The date filed is required (lookup marks WHENCREATED required on EEXPENSES).
    assert gw.fail(
        "<create><EEXPENSES><EMPLOYEEID>E1</EMPLOYEEID><EEXPENSESITEMS><EEXPENSESITEM>"
        "<EXPENSETYPE>Meals</EXPENSETYPE><AMOUNT>1</AMOUNT></EEXPENSESITEM></EEXPENSESITEMS>"
        "</EEXPENSES></create>"
    )


def test_item_with_gl_group(gw: Gateway, company: Company) -> None:
    gw.ok("<create><ITEMGLGROUP><NAME>Labor</NAME></ITEMGLGROUP></create>")
    res = gw.ok(
        "<create><ITEM><ITEMID>LAB1</ITEMID><NAME>Consulting hour</NAME><GLGROUP>Labor</GLGROUP>"
        "<ITEMTYPE>Non-Inventory</ITEMTYPE></ITEM></create>"
    )
    item = company.get("ITEM", created_recordno(res))
    assert item is not None
    assert item["GLGRPKEY"] == "1"
    assert gw.fail(
        "<create><ITEM><ITEMID>EQ1</ITEMID><NAME>Drill</NAME><GLGROUP>Equipment</GLGROUP></ITEM></create>"
    )


_REPORT = (
    "<create><EEXPENSES><EMPLOYEEID>E1</EMPLOYEEID><WHENCREATED>01/15/2025</WHENCREATED>"
    "<EEXPENSESITEMS><EEXPENSESITEM><EXPENSETYPE>Meals</EXPENSETYPE><AMOUNT>12.50</AMOUNT>"
    "</EEXPENSESITEM></EEXPENSESITEMS></EEXPENSES></create>"
)


def _update_report(rn: int, amount: str) -> str:
    return (
        f"<update><EEXPENSES><RECORDNO>{rn}</RECORDNO><EEXPENSESITEMS><EEXPENSESITEM>"
        f"<EXPENSETYPE>Taxi</EXPENSETYPE><AMOUNT>{amount}</AMOUNT></EEXPENSESITEM>"
        "</EEXPENSESITEMS></EEXPENSES></update>"
    )


def test_an_approved_expense_report_cannot_change_but_a_declined_one_goes_back_up(
    gw: Gateway, company: Company
) -> None:
    approved = created_recordno(gw.ok(_REPORT))
    declined = created_recordno(gw.ok(_REPORT))
    before = company.get("EEXPENSES", approved)
    assert before is not None
    row = company.approve_expense_report(approved, approver="MANAGER1")
    assert (row["STATE"], row["MODIFIEDBYLOGINID"]) == ("Approved", "MANAGER1")
    assert row["WHENMODIFIED"] >= before["WHENMODIFIED"]
    company.decline_expense_report(declined, approver="MANAGER1")

    # approved: no update, no delete, no second decision
    [update_error] = gw.fail(_update_report(approved, "9"))[:1]
    assert "Approved and cannot be changed" in update_error
    assert gw.fail(f"<delete><object>EEXPENSES</object><keys>{approved}</keys></delete>")
    with pytest.raises(ValueError, match="only a submitted report"):
        company.decline_expense_report(approved, approver="MANAGER1")
    still = company.get("EEXPENSES", approved)
    assert still is not None and still["STATE"] == "Approved"

    # declined: corrected and sent again, it awaits approval once more
    gw.ok(_update_report(declined, "30"))
    again = company.get("EEXPENSES", declined)
    assert again is not None and (again["STATE"], again["TOTALENTERED"]) == ("Submitted", "30")
    company.approve_expense_report(declined, approver="MANAGER2")
    with pytest.raises(ValueError, match="Invalid expense report"):
        company.approve_expense_report(9999, approver="MANAGER1")
