"""Our functions write the request forms of the fixtures of our own (modulo whitespace).

Each file under ``tests/fixtures/requests`` holds one request form of the gateway (a function,
a filter, a value, a control or authentication block) with values of its own; each case here
builds the same request with the public functions and compares the canonical XML. The list is
discovered from the folder, so a new fixture fails until it has a case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from intacct_sdk import F, and_, or_
from intacct_sdk._envelope import Control, LoginAuth, SessionAuth, build_request
from intacct_sdk._values import to_wire
from intacct_sdk.functions import (
    Approve,
    Create,
    Decline,
    GetAPISession,
    Inspect,
    Lookup,
    Query,
    Raw,
    Read,
    ReadByName,
    ReadByQuery,
    ReadMore,
    Update,
    write_record,
)

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "requests"
CID = {"control_id": "run-1"}


def canon(xml: str | bytes) -> str:
    if isinstance(xml, bytes):
        xml = xml.decode("utf-8")
    return ET.canonicalize(xml_data=xml, strip_text=True)


def expected(name: str) -> str:
    return canon(ET.tostring(ET.parse(OWN / f"{name}.xml").getroot(), encoding="unicode"))


def _part(body: bytes, path: str) -> str:
    part = ET.fromstring(body).find(path)
    assert part is not None
    return ET.tostring(part, encoding="unicode")


def _one_function(auth: LoginAuth | SessionAuth, *, transaction: bool = False) -> bytes:
    return build_request(
        Control("s", "p", "c"), auth, [GetAPISession(**CID)], transaction=transaction
    )


CASES: dict[str, Callable[[], str]] = {
    "read_with_docparid": lambda: Read(
        "PROJECT", [41, 42, 43], ["PROJECTID", "NAME"], docparid="Work Order", **CID
    ).to_xml(),
    "read_by_name": lambda: ReadByName(
        "EMPLOYEE", ["E-12", "E-13"], ["EMPLOYEEID", "RECORDNO"], docparid="Staff Record", **CID
    ).to_xml(),
    "read_by_query_defaults": lambda: ReadByQuery("PROJECT", "STATUS = 'active'", **CID).to_xml(),
    "read_more": lambda: ReadMore("rs-emp-77aa", **CID).to_xml(),
    "query_all_options": lambda: Query(
        "EMPLOYEE",
        ["EMPLOYEEID", "WHENMODIFIED"],
        page_size=250,
        offset=500,
        case_insensitive=True,
        show_private=True,
        docparid="Staff Record",
        **CID,
    ).to_xml(),
    # paging is always sent; these fixtures leave it out, so it is cut from ours before comparing
    "query_order_by": lambda: Query(
        "PROJECT",
        ["PROJECTID"],
        order_by=[("WHENMODIFIED", "desc"), ("PROJECTID", "asc")],
        **CID,
    ).to_xml(),
    "query_aggregates": lambda: Query(
        "TIMESHEET",
        ["EMPLOYEEID"],
        aggregates=[
            ("count", "RECORDNO"),
            ("sum", "HOURSINDAY"),
            ("min", "BEGINDATE"),
            ("max", "BEGINDATE"),
            ("avg", "HOURSINDAY"),
        ],
        **CID,
    ).to_xml(),
    "query_nested_filter": lambda: Query(
        "TIMESHEET",
        ["RECORDNO"],
        where=and_(
            F("STATE") == "Approved",
            or_(
                F("EMPLOYEEID") == "E-12",
                (F("EMPLOYEEID") == "E-13") & (F("BEGINDATE") >= date(2024, 1, 1)),
            ),
        ),
        **CID,
    ).to_xml(),
    "inspect_detail": lambda: Inspect("TIMESHEET", detail=True, **CID).to_xml(),
    "lookup": lambda: Lookup("TIMETYPE", **CID).to_xml(),
    "timesheet_create": lambda: Create(
        "TIMESHEET",
        [
            {
                "EMPLOYEEID": "E-12",
                "BEGINDATE": date(2024, 3, 4),
                "DESCRIPTION": "Week 10",
                "STATE": "Draft",
                "TIMESHEETENTRIES": [
                    {"ENTRYDATE": date(2024, 3, 4), "QTY": Decimal("7.5")},
                    {"ENTRYDATE": date(2024, 3, 5), "QTY": Decimal("0.25")},
                ],
                "source_ref": "tt-9001",
            }
        ],
        **CID,
    ).to_xml(),
    "timesheet_update": lambda: Update(
        "TIMESHEET",
        [
            {
                "RECORDNO": 88,
                "EMPLOYEEID": "E-12",
                "TIMESHEETENTRIES": {
                    "TIMESHEETENTRY": [{"RECORDNO": 301, "ENTRYDATE": date(2024, 3, 4), "QTY": 8}]
                },
            }
        ],
        **CID,
    ).to_xml(),
    "timesheet_approve": lambda: Approve(
        "TIMESHEET",
        88,
        entry_keys=[301, 302, 303],
        approved_by="m.okafor",
        comment="Looks right",
        **CID,
    ).to_xml(),
    "timesheet_decline": lambda: Decline(
        "TIMESHEET", 88, entry_keys=[302], declined_by="m.okafor", comment="Wrong project", **CID
    ).to_xml(),
    "legacy_delete": lambda: Raw('<delete_timesheet key="88"/>', **CID).to_xml(),
    "employee_create_dotted": lambda: Create(
        "EMPLOYEE", [{"EMPLOYEEID": "E-14", "PERSONALINFO.CONTACTNAME": "Ada Byrne"}], **CID
    ).to_xml(),
    "project_update": lambda: Update(
        "PROJECT", [{"PROJECTID": "PRJ-77", "STATUS": "inactive"}], **CID
    ).to_xml(),
    "task_create": lambda: Create(
        "TASK", [{"NAME": "Rigging", "PROJECTID": "PRJ-77"}], **CID
    ).to_xml(),
    "filter_between": lambda: F("BEGINDATE").between(date(2024, 1, 1), date(2024, 3, 31)).to_xml(),
    "filter_in": lambda: F("EMPLOYEEID").in_(["007", "E-12"]).to_xml(),
    "filter_is_null": lambda: F("SUPDOCID").is_null().to_xml(),
    "entry_all_fields": lambda: write_record(
        "TIMESHEETENTRY",
        {
            "ENTRYDATE": date(2024, 2, 29),
            "QTY": Decimal("2.50"),
            "BILLABLE": False,
            "EXTBILLRATE": 95,
            "EXTCOSTRATE": Decimal("61.5"),
            "TASKKEY": 17,
            "TIMETYPE": "Overtime",
            "PROJECTID": "PRJ-77",
            "CUSTOMERID": "CU-3",
            "LOCATIONID": "EAST",
            "DEPARTMENTID": "D-DOCK",
            "NOTES": "night shift",
        },
    ),
    "datetime_value": lambda: f"<stamp>{to_wire(datetime(2023, 12, 31, 23, 59, 1))}</stamp>",
    "control_block": lambda: _part(
        build_request(
            Control("harbor-sender", "s3nder!", "ctl-42", unique_id=True, policy_id="nightly"),
            SessionAuth("s"),
            [GetAPISession(control_id="f")],
        ),
        "control",
    ),
    "login_with_entity": lambda: _part(
        _one_function(LoginAuth("sync_bot", "harbor-works", "bot-pass", entity_id="east-coast")),
        "operation/authentication",
    ),
    "operation_login": lambda: _part(
        _one_function(LoginAuth("sync_bot", "harbor-works", "bot-pass")), "operation"
    ),
    "operation_transaction": lambda: _part(
        _one_function(SessionAuth("held-session.."), transaction=True), "operation"
    ),
}


def _without_paging(xml: str) -> str:
    root = ET.fromstring(xml)
    query = root.find("query")
    if query is not None and query.find("pagesize") is not None:
        for tag in ("pagesize", "offset"):
            el = query.find(tag)
            assert el is not None
            query.remove(el)
    return ET.tostring(root, encoding="unicode")


WITHOUT_PAGING = {"query_order_by", "query_aggregates", "query_nested_filter"}
FILES = sorted(p.stem for p in OWN.glob("*.xml") if p.stem != "request_block")


def test_every_own_request_fixture_has_a_case() -> None:
    assert FILES
    assert set(FILES) == set(CASES)


@pytest.mark.parametrize("name", FILES)
def test_own_request_fixture(name: str) -> None:
    built = CASES[name]()
    if name in WITHOUT_PAGING:
        root = ET.fromstring(built)
        assert root.findtext("query/pagesize") == "2000"  # always sent: the default page is 100
        assert root.findtext("query/offset") == "0"
        built = _without_paging(built)
    assert canon(built) == expected(name)


def test_own_request_block() -> None:
    body = build_request(
        Control("harbor-sender", "s3nder!", "req-1"),
        SessionAuth("held-session.."),
        [GetAPISession(control_id="x")],
        encoding="iso-8859-1",
    )
    raw = (OWN / "request_block.xml").read_bytes()
    assert body.split(b"?>")[0] == raw.split(b"?>")[0]  # the same declaration
    assert b"\n" not in body  # and no indentation at all
    root = ET.fromstring(body)
    content = root.find("operation/content")
    assert content is not None
    for child in list(content):
        content.remove(child)  # the fixture's content is empty; we refuse empty requests
    assert canon(ET.tostring(root, "unicode")) == canon(raw)
