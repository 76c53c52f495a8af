"""Approved time through the client: immutable approved entries, decisions, week start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.testing.change_helpers import client_for
from tests.testing.emu_helpers import Clock, small_company

from intacct_sdk import Client, F, FunctionError
from intacct_sdk.testing import Company, Emulator
from intacct_sdk.testing._timesheet_rules import WEEKDAYS, week_start_error

ENTRY_FIELDS = ["RECORDNO", "LINENO", "QTY", "STATE", "TASKID", "WHENMODIFIED"]
APPROVAL_FIELDS = [
    "RECORDNO",
    "TIMESHEETKEY",
    "TIMESHEETENTRYKEY",
    "APPROVERID",
    "APPROVEDBY",
    "EVENTDATE",
    "COMMENTS",
    "STATE",
    "WHENCREATED",
    "WHENMODIFIED",
]


def line(day: str, qty: str, task: str) -> dict[str, str]:
    return {"ENTRYDATE": day, "QTY": qty, "PROJECTID": "P1", "TASKID": task}


def sheet(*lines: dict[str, Any], begin: str = "03/04/2024", **extra: Any) -> dict[str, Any]:
    return {
        "EMPLOYEEID": "E1",
        "BEGINDATE": begin,
        "STATE": "Submitted",
        "TIMESHEETENTRIES": list(lines),
        **extra,
    }


TWO = (line("03/04/2024", "8", "T1"), line("03/05/2024", "4.5", "T2"))


@pytest.fixture
def env(company: Company, clock: Clock) -> Iterator[tuple[Client, Company, Clock]]:
    with client_for(Emulator(company, clock=clock)) as client:
        yield client, company, clock


def create(client: Client, record: dict[str, Any]) -> int:
    (row,) = client.create("TIMESHEET", record)
    return int(row["RECORDNO"])


def entries(client: Client, rn: int) -> list[dict[str, Any]]:
    return list(
        client.query(
            "TIMESHEETENTRY",
            ENTRY_FIELDS,
            where=F("TIMESHEETKEY") == rn,
            order_by=[("LINENO", "asc")],
        )
    )


def state(client: Client, rn: int) -> str:
    (row,) = client.read("TIMESHEET", rn, ["STATE"])
    return str(row["STATE"])


def kept(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries as an update sends them back unchanged: RECORDNO plus the fields first sent."""
    return [
        {
            "RECORDNO": r["RECORDNO"],
            **line(
                "03/04/2024" if r["TASKID"] == "T1" else "03/05/2024",
                str(r["QTY"]),
                str(r["TASKID"]),
            ),
        }
        for r in rows
    ]


def approved_sheet(client: Client) -> tuple[int, list[dict[str, Any]]]:
    rn = create(client, sheet(*TWO))
    client.approve("TIMESHEET", rn, approved_by="boss", comment="fine")
    return rn, entries(client, rn)


# ---------------------------------------------------------------------------------------------
# 1. approved entries are immutable; new entries (negative too) may be added


def test_update_keeps_approved_entries_and_appends_new_ones(
    env: tuple[Client, Company, Clock],
) -> None:
    client, company, clock = env
    rn, before = approved_sheet(client)
    assert state(client, rn) == "Approved"
    clock.advance(minutes=5)
    reversal = line("03/04/2024", "-8", "T1")
    fixed = line("03/04/2024", "6", "T1")
    client.update("TIMESHEET", {"RECORDNO": rn, **sheet(*kept(before), reversal, fixed)})
    after = entries(client, rn)
    assert after[:2] == before  # same RECORDNO, LINENO, QTY, STATE and WHENMODIFIED
    assert [(r["LINENO"], Decimal(str(r["QTY"])), r["STATE"]) for r in after[2:]] == [
        (3, Decimal(-8), "Submitted"),
        (4, Decimal(6), "Submitted"),
    ]
    assert sum(Decimal(str(r["QTY"])) for r in after) == Decimal("10.5")
    assert state(client, rn) == "Partially Approved"
    awaiting = [
        a["TIMESHEETENTRYKEY"]
        for a in client.query("TIMESHEETAPPROVAL", APPROVAL_FIELDS, where=F("TIMESHEETKEY") == rn)
        if a["STATE"] == "Submitted"
    ]
    # one submission row per entry ever submitted: the two originals and the two new ones
    assert sorted(int(k) for k in awaiting) == sorted(int(r["RECORDNO"]) for r in after)
    # the new entries can be approved in turn; the sheet is Approved again
    client.approve("TIMESHEET", rn)
    assert state(client, rn) == "Approved"
    assert company.count("TIMESHEET") == 1


def test_update_changing_an_approved_entry_is_refused(env: tuple[Client, Company, Clock]) -> None:
    client, company, _ = env
    rn, before = approved_sheet(client)
    changed = kept(before)
    changed[0]["QTY"] = "7"
    with pytest.raises(FunctionError) as exc:
        client.update("TIMESHEET", {"RECORDNO": rn, **sheet(*changed)})
    assert exc.value.errorno == "BL01001973"
    assert f"Timesheet entry {before[0]['RECORDNO']} is Approved and cannot be changed (QTY)" in (
        str(exc.value)
    )
    assert "negative quantity" in str(exc.value)
    assert entries(client, rn) == before
    assert company.count("TIMESHEETENTRY") == 2


def test_update_dropping_an_approved_entry_is_refused(env: tuple[Client, Company, Clock]) -> None:
    client, _, _ = env
    rn, before = approved_sheet(client)
    with pytest.raises(FunctionError, match="is Approved and cannot be removed"):
        client.update(
            "TIMESHEET", {"RECORDNO": rn, **sheet(kept(before)[0], line("03/06/2024", "1", "T1"))}
        )
    assert entries(client, rn) == before


def test_partially_approved_sheet_keeps_approved_and_replaces_the_rest(
    env: tuple[Client, Company, Clock],
) -> None:
    client, _, _ = env
    rn = create(client, sheet(*TWO))
    first, second = entries(client, rn)
    client.approve("TIMESHEET", rn, entry_keys=[first["RECORDNO"]])
    assert state(client, rn) == "Partially Approved"
    first = entries(client, rn)[0]
    # the submitted entry may change; a new one is added; the approved one comes back as it is
    body = sheet(kept([first])[0], {**kept([second])[0], "QTY": "2"}, line("03/06/2024", "1", "T1"))
    client.update("TIMESHEET", {"RECORDNO": rn, **body})
    rows = entries(client, rn)
    assert rows[0] == first
    assert (rows[1]["RECORDNO"], Decimal(str(rows[1]["QTY"])), rows[1]["STATE"]) == (
        second["RECORDNO"],
        Decimal(2),
        "Submitted",
    )
    assert len(rows) == 3
    assert state(client, rn) == "Partially Approved"


def test_header_of_an_approved_sheet_cannot_move_or_go_back_to_draft(
    env: tuple[Client, Company, Clock],
) -> None:
    client, _, _ = env
    rn, before = approved_sheet(client)
    with pytest.raises(FunctionError, match="its EMPLOYEEID cannot be changed"):
        client.update("TIMESHEET", {"RECORDNO": rn, **sheet(*kept(before)), "EMPLOYEEID": "E2"})
    with pytest.raises(FunctionError, match="cannot become Draft"):
        client.update("TIMESHEET", {"RECORDNO": rn, **sheet(*kept(before)), "STATE": "Draft"})
    with pytest.raises(FunctionError):
        client.delete("TIMESHEET", [rn])
    assert entries(client, rn) == before


def test_draft_update_still_replaces_every_entry(env: tuple[Client, Company, Clock]) -> None:
    client, _, _ = env
    rn = create(client, {**sheet(*TWO), "STATE": "Draft"})
    client.update("TIMESHEET", {"RECORDNO": rn, **sheet(line("03/06/2024", "3", "T1"))})
    rows = entries(client, rn)
    assert [(r["LINENO"], r["STATE"]) for r in rows] == [(1, "Submitted")]


# ---------------------------------------------------------------------------------------------
# 2, 3. per-entry state, approval records read incrementally, decline with a comment


def test_decisions_are_read_incrementally(env: tuple[Client, Company, Clock]) -> None:
    client, _, clock = env
    rn = create(client, sheet(*TWO))
    first, second = entries(client, rn)
    clock.advance(minutes=10)
    client.approve("TIMESHEET", rn, entry_keys=[first["RECORDNO"]], approved_by="boss")
    since = datetime(2024, 3, 4, 9, 45)
    clock.advance(minutes=10)
    client.decline(
        "TIMESHEET", rn, entry_keys=[second["RECORDNO"]], declined_by="boss", comment="No task"
    )
    assert [r["STATE"] for r in entries(client, rn)] == ["Approved", "Declined"]
    assert state(client, rn) == "Partially Declined"
    new = list(client.query("TIMESHEETAPPROVAL", APPROVAL_FIELDS, where=F("WHENMODIFIED") > since))
    assert [
        (a["TIMESHEETKEY"], a["TIMESHEETENTRYKEY"], a["STATE"], a["APPROVEDBY"], a["COMMENTS"])
        for a in new
    ] == [(rn, second["RECORDNO"], "Declined", "boss", "No task")]
    assert new[0]["WHENCREATED"] == new[0]["WHENMODIFIED"]
    changed = list(
        client.query("TIMESHEETENTRY", ["RECORDNO", "STATE"], where=F("WHENMODIFIED") > since)
    )
    assert [(r["RECORDNO"], r["STATE"]) for r in changed] == [(second["RECORDNO"], "Declined")]


def test_an_approved_entry_cannot_be_declined(env: tuple[Client, Company, Clock]) -> None:
    client, company, _ = env
    rn, before = approved_sheet(client)
    rows = company.count("TIMESHEETAPPROVAL")
    with pytest.raises(FunctionError, match="is Approved and cannot be declined"):
        client.decline("TIMESHEET", rn, entry_keys=[before[0]["RECORDNO"]], comment="late")
    assert entries(client, rn) == before
    assert company.count("TIMESHEETAPPROVAL") == rows


# ---------------------------------------------------------------------------------------------
# 4. an approver in the UI


def test_company_approves_and_declines_as_an_approver(env: tuple[Client, Company, Clock]) -> None:
    client, company, clock = env
    rn = create(client, sheet(*TWO))
    first, second = entries(client, rn)
    clock.advance(minutes=3)
    header = company.approve_timesheet(
        rn, approver="Maria", comment="ok", entries=[first["RECORDNO"]]
    )
    assert header["STATE"] == "Partially Approved"
    company.decline_timesheet(rn, approver="Maria", comment="Wrong task")
    assert state(client, rn) == "Partially Declined"
    decisions = [
        (a["TIMESHEETENTRYKEY"], a["STATE"], a["APPROVERID"], a["COMMENTS"])
        for a in client.query("TIMESHEETAPPROVAL", APPROVAL_FIELDS)
        if a["STATE"] != "Submitted"
    ]
    assert decisions == [
        (first["RECORDNO"], "Approved", "Maria", "ok"),
        (second["RECORDNO"], "Declined", "Maria", "Wrong task"),
    ]
    assert all(r["WHENMODIFIED"] > first["WHENMODIFIED"] for r in entries(client, rn))
    audit = [
        (r["OBJECTTYPE"], r["ACCESSMODE"], r["SOURCE"], r["USERID"])
        for r in company.records("AUDITHISTORY")
        if r["SOURCE"] == "ui"
    ]
    assert ("timesheetentry", "M", "ui", "Admin") in audit
    assert ("timesheetapproval", "C", "ui", "Admin") in audit
    assert ("timesheet", "M", "ui", "Admin") in audit
    with pytest.raises(ValueError, match="is Approved and cannot be declined"):
        company.decline_timesheet(rn, approver="Maria", entries=[first["RECORDNO"]])
    with pytest.raises(ValueError, match="Invalid Timesheet '999'"):
        company.approve_timesheet(999, approver="Maria")


# ---------------------------------------------------------------------------------------------
# 5. week start


def test_begin_date_off_the_week_start_is_refused(env: tuple[Client, Company, Clock]) -> None:
    client, company, _ = env
    with pytest.raises(FunctionError) as exc:
        create(client, sheet(*TWO, begin="03/05/2024"))
    assert exc.value.errorno == "BL01001973"
    assert "03/05/2024 is a Tuesday" in str(exc.value)
    assert "must begin on a Monday" in str(exc.value)
    assert company.count("TIMESHEET") == 0
    rn = create(client, sheet(*TWO))
    with pytest.raises(FunctionError, match="is a Wednesday"):
        client.update("TIMESHEET", {"RECORDNO": rn, **sheet(*TWO, begin="03/06/2024")})


def test_week_start_is_a_company_setting(clock: Clock) -> None:
    company = small_company(clock, week_start="sunday")
    assert company.week_start == "Sunday"
    with client_for(Emulator(company, clock=clock)) as client:
        with pytest.raises(FunctionError, match="must begin on a Sunday"):
            create(client, sheet(*TWO))
        create(client, sheet(*TWO, begin="03/03/2024"))
        company.week_start = None
        create(client, sheet(*TWO, begin="03/06/2024"))
    with pytest.raises(ValueError, match="week_start must be a weekday name"):
        Company(week_start="Funday")


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    start=st.sampled_from(WEEKDAYS),
)
def test_week_start_rule_accepts_exactly_its_weekday(day: date, start: str) -> None:
    text = week_start_error(day.strftime("%m/%d/%Y"), start)
    assert (text is None) == (WEEKDAYS[day.weekday()] == start)
    assert week_start_error(day.strftime("%m/%d/%Y"), None) is None


# ---------------------------------------------------------------------------------------------
# a second timesheet of the same week (corrections as new timesheets)


def test_a_week_with_an_approved_timesheet_takes_another_one(
    env: tuple[Client, Company, Clock],
) -> None:
    client, company, _ = env
    first = create(client, sheet(*TWO))
    company.approve_timesheet(first, approver="Maria")
    correction = sheet(line("03/04/2024", "-8", "T1"), line("03/04/2024", "6", "T1"))
    second = create(client, correction)
    assert second != first and state(client, first) == "Approved"
    assert [e["QTY"] for e in entries(client, second)] == [Decimal(-8), Decimal(6)]
    assert state(client, second) == "Submitted"


def test_one_timesheet_per_week_refuses_a_second_live_one(
    env: tuple[Client, Company, Clock],
) -> None:
    client, company, _ = env
    company.one_timesheet_per_week = True
    first = create(client, sheet(*TWO))
    company.approve_timesheet(first, approver="Maria")
    with pytest.raises(FunctionError) as exc:
        create(client, sheet(line("03/04/2024", "-8", "T1")))
    assert exc.value.errorno == "BL01001973"
    assert f"already has timesheet {first} beginning 03/04/2024" in str(exc.value)
    assert company.count("TIMESHEET") == 1
    create(client, sheet(*TWO, begin="03/11/2024"))  # another week, or another employee
    declined = create(client, sheet(*TWO, begin="03/18/2024"))
    company.decline_timesheet(declined, approver="Maria")
    create(client, sheet(*TWO, begin="03/18/2024"))  # a declined one does not count
    assert not Company().one_timesheet_per_week
