"""Helpers for driving the emulator core with raw XML (shared by the tests beside it)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from intacct_sdk.testing import DEMO_CREDENTIALS, Company, CustomField, Emulator

LOGIN = (
    f"<login><userid>{DEMO_CREDENTIALS.user_id}</userid>"
    f"<companyid>{DEMO_CREDENTIALS.company_id}</companyid>"
    f"<password>{DEMO_CREDENTIALS.user_password}</password></login>"
)


def envelope(
    functions: str,
    *,
    auth: str = LOGIN,
    transaction: bool = False,
    unique_id: bool = False,
    control_id: str = "req-1",
    sender_id: str = DEMO_CREDENTIALS.sender_id,
    sender_password: str = DEMO_CREDENTIALS.sender_password,
    dtd_version: str = "3.0",
) -> bytes:
    """A complete request document around function elements."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><request><control>'
        f"<senderid>{sender_id}</senderid><password>{sender_password}</password>"
        f"<controlid>{control_id}</controlid><uniqueid>{str(unique_id).lower()}</uniqueid>"
        f"<dtdversion>{dtd_version}</dtdversion><includewhitespace>false</includewhitespace>"
        f'</control><operation transaction="{str(transaction).lower()}">'
        f"<authentication>{auth}</authentication><content>{functions}</content>"
        "</operation></request>"
    ).encode()


def fn(body: str, control_id: str = "f1") -> str:
    """One ``<function>`` element."""
    return f'<function controlid="{control_id}">{body}</function>'


class Clock:
    """A clock tests can move."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class Gateway:
    """An emulator plus helpers to post raw XML and read the answer."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def post(self, functions: str, **kw: object) -> ET.Element:
        resp = self.emu.handle(envelope(functions, **kw))  # type: ignore[arg-type]
        assert resp.status == 200, resp.body
        return ET.fromstring(resp.body)

    def results(self, functions: str, **kw: object) -> list[ET.Element]:
        root = self.post(functions, **kw)
        assert root.findtext("control/status") == "success", ET.tostring(root)
        assert root.findtext("operation/authentication/status") == "success", ET.tostring(root)
        return root.findall("operation/result")

    def one(self, body: str, **kw: object) -> ET.Element:
        (result,) = self.results(fn(body), **kw)
        return result

    def ok(self, body: str, **kw: object) -> ET.Element:
        result = self.one(body, **kw)
        assert result.findtext("status") == "success", ET.tostring(result).decode()
        return result

    def fail(self, body: str, **kw: object) -> list[str]:
        """Run a function expected to fail; returns its description2 texts."""
        result = self.one(body, **kw)
        assert result.findtext("status") == "failure", ET.tostring(result).decode()
        return [e.findtext("description2") or "" for e in result.findall("errormessage/error")]

    def session(self, location: str | None = None) -> str:
        body = (
            "<getAPISession/>"
            if location is None
            else (f"<getAPISession><locationid>{location}</locationid></getAPISession>")
        )
        result = self.ok(body)
        sid = result.findtext("data/api/sessionid")
        assert sid
        return f"<sessionid>{sid}</sessionid>"


def records(result: ET.Element) -> list[dict[str, str]]:
    """Rows of a result's <data>, flattened with dotted keys for nested elements."""

    def flat(el: ET.Element, prefix: str = "") -> dict[str, str]:
        out: dict[str, str] = {}
        for c in el:
            if len(c):
                out.update(flat(c, f"{prefix}{c.tag}."))
            else:
                out[prefix + c.tag] = c.text or ""
        return out

    data = result.find("data")
    assert data is not None
    return [flat(r) for r in data]


def small_company(clock: Callable[[], datetime] | None = None, **kw: object) -> Company:
    """A tiny hand-built company: two of most things, ids the tests name."""
    company = Company(
        clock=clock,
        custom_fields=[CustomField("TIMESHEET", "SYNC_REF")],
        dimensions=["TEAM"],
        **kw,  # type: ignore[arg-type]
    )
    company.insert("LOCATION", {"LOCATIONID": "L1", "NAME": "Head office"})
    company.insert("LOCATION", {"LOCATIONID": "L2", "NAME": "Branch"})
    company.insert("DEPARTMENT", {"DEPARTMENTID": "D1", "TITLE": "Delivery"})
    company.insert("DEPARTMENT", {"DEPARTMENTID": "D2", "TITLE": "Old", "STATUS": "inactive"})
    company.insert("CLASS", {"CLASSID": "C1", "NAME": "Billable"})
    company.insert("CUSTOMER", {"CUSTOMERID": "CU1", "NAME": "Acme"})
    company.insert("TIMETYPE", {"NAME": "Regular"})
    company.insert("TIMETYPE", {"NAME": "Retired", "STATUS": "inactive"})
    company.insert("TEAM", {"ID": "RED", "NAME": "Red team"})
    for i, (first, last) in enumerate(
        [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper")], 1
    ):
        company.insert(
            "EMPLOYEE",
            {
                "EMPLOYEEID": f"E{i}",
                "PERSONALINFO": {
                    "CONTACTNAME": f"{last}, {first}",
                    "FIRSTNAME": first,
                    "LASTNAME": last,
                },
                "DEPARTMENTID": "D1",
                "LOCATIONID": "L1",
                "STATUS": "inactive" if i == 3 else "active",
            },
        )
    company.insert(
        "PROJECT",
        {"PROJECTID": "P1", "NAME": "Apollo", "PROJECTCATEGORY": "Contract", "CUSTOMERID": "CU1"},
    )
    company.insert(
        "PROJECT", {"PROJECTID": "P2", "NAME": "Gemini", "PROJECTCATEGORY": "Internal Billable"}
    )
    company.insert(
        "PROJECT",
        {"PROJECTID": "P3", "NAME": "Closed", "PROJECTCATEGORY": "Contract", "STATUS": "inactive"},
    )
    company.insert("TASK", {"TASKID": "T1", "NAME": "Design", "PROJECTID": "P1"})
    company.insert("TASK", {"TASKID": "T1", "NAME": "Design", "PROJECTID": "P2"})
    company.insert("TASK", {"TASKID": "T2", "NAME": "Build", "PROJECTID": "P1"})
    return company


def timesheet_xml(
    employee: str = "E1",
    entries: str | None = None,
    state: str | None = None,
    extra: str = "",
) -> str:
    entries = (
        entries
        if entries is not None
        else (
            "<TIMESHEETENTRY><ENTRYDATE>03/04/2024</ENTRYDATE><QTY>8</QTY>"
            "<PROJECTID>P1</PROJECTID><TASKID>T1</TASKID></TIMESHEETENTRY>"
            "<TIMESHEETENTRY><ENTRYDATE>03/05/2024</ENTRYDATE><QTY>4.5</QTY>"
            "<PROJECTID>P1</PROJECTID><TASKID>T2</TASKID></TIMESHEETENTRY>"
        )
    )
    st = f"<STATE>{state}</STATE>" if state else ""
    return (
        f"<TIMESHEET><EMPLOYEEID>{employee}</EMPLOYEEID><BEGINDATE>03/04/2024</BEGINDATE>{st}{extra}"
        f"<TIMESHEETENTRIES>{entries}</TIMESHEETENTRIES></TIMESHEET>"
    )


def created_recordno(result: ET.Element) -> int:
    text = result.findtext("data/*/RECORDNO")
    assert text, ET.tostring(result)
    assert re.fullmatch(r"\d+", text), text
    return int(text)
