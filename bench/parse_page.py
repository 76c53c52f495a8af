"""Time parsing of a 2,000-record EMPLOYEE page: our parser against bare ElementTree.

Run from the repository root: ``python bench/parse_page.py [--fields 5|15|22] [--json]``.
Prints the best of several rounds for each step, and the ratio to
``xml.etree.ElementTree.fromstring`` on the same bytes. The steps take turns within each
round, so a change in the machine's load touches all of them. Every XML backend found is
reported: the standard library's C parser, defusedxml, and lxml where it is installed. The
last two steps type the same page for an API user in New York, in ``/mdY`` and in ``/dmY``
(the page's dates rewritten day first): the cost of a time zone and a date format.

``bench/run.py`` runs it with ``--json`` at 5 and 15 fields (the fields the sync engine's
EMPLOYEE mapping reads, and the first five of them).
"""

from __future__ import annotations

import argparse
import json
import re
import timeit
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as DET

from intacct_sdk import ValueTyping
from intacct_sdk._parse import parse_response
from intacct_sdk._xml import parse_xml

RECORDS = 2000
#: The fields of the sync engine's EMPLOYEE mapping, in its order (the first 5 and all 15
#: are the parse row's two widths); a page of ``len(FIELDS_ALL)`` fields has every element.
FIELDS_15 = (
    "EMPLOYEEID",
    "RECORDNO",
    "STATUS",
    "WHENMODIFIED",
    "PERSONALINFO.CONTACTNAME",
    "PERSONALINFO.FIRSTNAME",
    "PERSONALINFO.LASTNAME",
    "PERSONALINFO.EMAIL1",
    "TITLE",
    "DEPARTMENTID",
    "LOCATIONID",
    "CLASSID",
    "SUPERVISORID",
    "STARTDATE",
    "ENDDATE",
)
WIDTHS = (5, 15, 22)


def employee(n: int, fields: int = 22) -> str:
    """One record: every element below (22 leaves), or only the first ``fields`` of
    ``FIELDS_15`` in the order the gateway writes a query's fields."""
    if fields < 22:
        return _narrow(n, fields)
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


_VALUES = {
    "EMPLOYEEID": "E{n:05d}",
    "RECORDNO": "{n}",
    "STATUS": "active",
    "WHENMODIFIED": "07/24/2024 15:{m:02d}:46",
    "PERSONALINFO.CONTACTNAME": "Doe, Jane",
    "PERSONALINFO.FIRSTNAME": "Jane",
    "PERSONALINFO.LASTNAME": "Doe {n}",
    "PERSONALINFO.EMAIL1": "jane.{n}@example.com",
    "TITLE": "Consultant &amp; Lead",
    "DEPARTMENTID": "D100",
    "LOCATIONID": "100",
    "CLASSID": "",
    "SUPERVISORID": "E00001",
    "STARTDATE": "0{d}/15/2019",
    "ENDDATE": "",
}


def _narrow(n: int, fields: int) -> str:
    parts = ["<employee>"]
    group: list[str] = []
    for name in FIELDS_15[:fields]:
        value = _VALUES[name].format(n=n, m=n % 60, d=1 + n % 9)
        head, _, leaf = name.rpartition(".")
        if head:
            group.append(f"<{leaf}>{value}</{leaf}>")
            continue
        if group:
            parts.append("<PERSONALINFO>" + "".join(group) + "</PERSONALINFO>")
            group = []
        parts.append(f"<{name}>{value}</{name}>")
    if group:
        parts.append("<PERSONALINFO>" + "".join(group) + "</PERSONALINFO>")
    parts.append("</employee>")
    return "".join(parts)


def page(fields: int = 22) -> bytes:
    """A whole response holding one page of ``RECORDS`` employees of ``fields`` fields."""
    rows = "".join(employee(n, fields) for n in range(1, RECORDS + 1))
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


def backends(body: bytes) -> dict[str, object]:
    """The bare XML parsers found here, each a step on the same bytes."""
    steps: dict[str, object] = {
        "ET.fromstring (baseline)": lambda: ET.fromstring(body),
        "defusedxml fromstring": lambda: DET.fromstring(body),
    }
    try:
        from lxml import etree
    except ImportError:
        pass
    else:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        steps["lxml.etree.fromstring"] = lambda: etree.fromstring(body, parser)
    return steps


def measure(fields: int = 22, *, rounds: int = 7, number: int = 5) -> dict[str, object]:
    """Seconds per parse of one page, best of ``rounds`` (the steps take turns each round)."""
    body = page(fields)
    untyped = ValueTyping(typed=False)
    zone = ZoneInfo("America/New_York")
    new_york = ValueTyping(timezone=zone)
    new_york_dmy = ValueTyping(timezone=zone, date_format="/dmY")
    dmy = day_first(body)
    steps = {
        **backends(body),
        "_xml.parse_xml (guard + C parser)": lambda: parse_xml(body),
        "parse_response, untyped records": lambda: parse_response(body, typing=untyped),
        "parse_response, typed records": lambda: parse_response(body),
        "typed, zone America/New_York": lambda: parse_response(body, typing=new_york),
        "typed, New York, /dmY": lambda: parse_response(dmy, typing=new_york_dmy),
    }
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(rounds):
        for name, fn in steps.items():
            t = timeit.timeit(fn, number=number) / number  # type: ignore[arg-type]
            best[name] = min(best[name], t)
    rec = parse_response(body).results[0].page.records[0]  # type: ignore[union-attr]
    return {"bytes": len(body), "records": RECORDS, "fields": len(rec), "seconds": best}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, choices=WIDTHS, default=22)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args = parser.parse_args(argv)
    result = measure(args.fields, rounds=args.rounds)
    if args.json:
        print("BENCH " + json.dumps(result))
        return 0
    seconds: dict[str, float] = result["seconds"]  # type: ignore[assignment]
    print(f"{result['bytes'] / 1e6:.2f} MB, {RECORDS} records x {result['fields']} fields")
    base = seconds["ET.fromstring (baseline)"]
    for name, t in seconds.items():
        print(f"{name:36s} {t * 1000:8.2f} ms   {t / base:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
