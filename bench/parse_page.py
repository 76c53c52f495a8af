"""Time parsing of a 2,000-record EMPLOYEE page: our parser against bare ElementTree.

Run from the repository root: ``python bench/parse_page.py``. Prints the best of several
rounds for each step, and the ratio to ``xml.etree.ElementTree.fromstring`` on the same bytes.
The last two steps type the same page for an API user in New York, in ``/mdY`` and in
``/dmY`` (the page's dates rewritten day first): the cost of a time zone and a date format.
"""

from __future__ import annotations

import re
import timeit
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as DET

from intacct_sdk import ValueTyping
from intacct_sdk._parse import parse_response
from intacct_sdk._xml import parse_xml

RECORDS = 2000


def employee(n: int) -> str:
    return (
        "<employee>"
        f"<RECORDNO>{n}</RECORDNO><EMPLOYEEID>E{n:05d}</EMPLOYEEID>"
        "<PERSONALINFO><CONTACTNAME>Doe, Jane</CONTACTNAME><FIRSTNAME>Jane</FIRSTNAME>"
        f"<LASTNAME>Doe {n}</LASTNAME><EMAIL1>jane.{n}@example.com</EMAIL1>"
        "<PHONE1>555-0100</PHONE1></PERSONALINFO>"
        "<TITLE>Consultant &amp; Lead</TITLE><DEPARTMENTID>D100</DEPARTMENTID>"
        "<LOCATIONID>100</LOCATIONID><CLASSID></CLASSID><SUPERVISORID>E00001</SUPERVISORID>"
        f"<STARTDATE>0{1 + n % 9}/15/2019</STARTDATE><ENDDATE></ENDDATE>"
        "<STATUS>active</STATUS><EMPLOYEETYPE>Full Time</EMPLOYEETYPE>"
        "<GENDER>female</GENDER><BIRTHDATE>03/04/1990</BIRTHDATE>"
        "<WHENCREATED>01/02/2019 08:00:00</WHENCREATED>"
        f"<WHENMODIFIED>07/24/2024 15:{n % 60:02d}:46</WHENMODIFIED>"
        "<CREATEDBY>1</CREATEDBY><MODIFIEDBY>9</MODIFIEDBY>"
        "</employee>"
    )


def page() -> bytes:
    rows = "".join(employee(n) for n in range(1, RECORDS + 1))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status>'
        "<senderid>s</senderid><controlid>c</controlid><uniqueid>false</uniqueid>"
        "<dtdversion>3.0</dtdversion></control><operation><authentication>"
        "<status>success</status><userid>u</userid><companyid>c</companyid>"
        "<sessiontimestamp>2024-07-24T15:00:00-07:00</sessiontimestamp></authentication>"
        "<result><status>success</status><function>readByQuery</function>"
        "<controlid>f</controlid>"
        f'<data listtype="employee" count="{RECORDS}" totalcount="{RECORDS}" '
        f'numremaining="0" resultId="">{rows}</data></result></operation></response>'
    ).encode()


def day_first(body: bytes) -> bytes:
    """The page with every MM/DD/YYYY written DD/MM/YYYY (the user's /dmY format)."""
    return re.sub(rb"(\d\d)/(\d\d)/(\d{4})", rb"\2/\1/\3", body)


def best(fn: object, number: int = 5, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number  # type: ignore[arg-type]


def main() -> None:
    body = page()
    untyped = ValueTyping(typed=False)
    zone = ZoneInfo("America/New_York")
    new_york = ValueTyping(timezone=zone)
    new_york_dmy = ValueTyping(timezone=zone, date_format="/dmY")
    dmy = day_first(body)
    steps = {
        "ET.fromstring (baseline)": lambda: ET.fromstring(body),
        "defusedxml fromstring": lambda: DET.fromstring(body),
        "_xml.parse_xml (guard + C parser)": lambda: parse_xml(body),
        "parse_response, untyped records": lambda: parse_response(body, typing=untyped),
        "parse_response, typed records": lambda: parse_response(body),
        "typed, zone America/New_York": lambda: parse_response(body, typing=new_york),
        "typed, New York, /dmY": lambda: parse_response(dmy, typing=new_york_dmy),
    }
    rec = parse_response(body).results[0].page.records[0]  # type: ignore[union-attr]
    print(f"{len(body) / 1e6:.2f} MB, {RECORDS} records x {len(rec)} fields")
    base = None
    for name, fn in steps.items():
        t = best(fn)
        base = base or t
        print(f"{name:36s} {t * 1000:8.2f} ms   {t / base:5.2f}x")


if __name__ == "__main__":
    main()
