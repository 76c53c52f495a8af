"""read, readByName, readByQuery + readMore, query, lookup, inspect, getDimensions."""

from __future__ import annotations

import pytest
from tests.testing.emu_helpers import Clock, Gateway, records

from intacct_sdk.testing import Company, Emulator


def rbq(obj: str, query: str, fields: str = "*", pagesize: int | None = None) -> str:
    q = query.replace("&", "&amp;").replace("<", "&lt;")
    size = f"<pagesize>{pagesize}</pagesize>" if pagesize is not None else ""
    return (
        f"<readByQuery><object>{obj}</object><fields>{fields}</fields>"
        f"<query>{q}</query>{size}</readByQuery>"
    )


def ids(gw: Gateway, obj: str, query: str, field: str) -> list[str]:
    return [r[field] for r in records(gw.ok(rbq(obj, query, f"RECORDNO,{field}")))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["E1", "E2", "E3"]),
        ("EMPLOYEEID = 'E2'", ["E2"]),
        ("EMPLOYEEID != 'E2'", ["E1", "E3"]),
        ("EMPLOYEEID <> 'E2'", ["E1", "E3"]),
        ("RECORDNO > 1 AND RECORDNO <= 3", ["E2", "E3"]),
        ("RECORDNO >= 2", ["E2", "E3"]),
        ("RECORDNO < 2 OR EMPLOYEEID = 'E3'", ["E1", "E3"]),
        ("NOT (EMPLOYEEID = 'E1' OR EMPLOYEEID = 'E2')", ["E3"]),
        ("STATUS = 'T'", ["E1", "E2"]),
        ("STATUS = 'F'", ["E3"]),
        ("EMPLOYEEID like 'E%'", ["E1", "E2", "E3"]),
        ("EMPLOYEEID LIKE '_2'", ["E2"]),
        ("EMPLOYEEID not like '%1'", ["E2", "E3"]),
        ("EMPLOYEEID in ('E1','E3')", ["E1", "E3"]),
        ("EMPLOYEEID NOT IN ('E1')", ["E2", "E3"]),
        ("TITLE IS NULL", ["E1", "E2", "E3"]),
        ("TITLE is not null", []),
        ("(RECORDNO = 1 OR RECORDNO = 2) AND STATUS = 'T'", ["E1", "E2"]),
        ("EMPLOYEEID = 'e1'", []),
        ("WHENCREATED >= '03/04/2024'", ["E1", "E2", "E3"]),
        ("WHENCREATED > '03/04/2024 10:00:00'", []),
    ],
)
def test_read_by_query_language(gw: Gateway, query: str, expected: list[str]) -> None:
    assert ids(gw, "EMPLOYEE", query, "EMPLOYEEID") == expected


def test_quoted_strings_with_backslash_escapes(gw: Gateway) -> None:
    gw.ok(
        "<create><CUSTOMER><CUSTOMERID>JD</CUSTOMERID><NAME>Jane's Deli</NAME></CUSTOMER></create>"
    )
    assert ids(gw, "CUSTOMER", r"NAME = 'Jane\'s Deli'", "CUSTOMERID") == ["JD"]


@pytest.mark.parametrize(
    "query",
    [
        "EMPLOYEEID =",
        "EMPLOYEEID = 'E1' AND",
        "(EMPLOYEEID = 'E1'",
        "NOSUCHFIELD = 'x'",
        "PERSONALINFO.LASTNAME = 'Turing'",
        "EMPLOYEEID = 'unterminated",
        "RECORDNO = 'abc'",
        "EMPLOYEEID IN ()",
        "= 'x'",
        "EMPLOYEEID IS 'x'",
    ],
)
def test_malformed_queries_fail_as_functions(gw: Gateway, query: str) -> None:
    texts = gw.fail(rbq("EMPLOYEE", query))
    assert texts
    assert texts[0]


def test_read_by_query_shape_lowercase_and_nested_groups(gw: Gateway) -> None:
    res = gw.ok(rbq("EMPLOYEE", "EMPLOYEEID = 'E1'", "EMPLOYEEID,PERSONALINFO.LASTNAME,TITLE"))
    data = res.find("data")
    assert data is not None
    assert data.attrib == {
        "listtype": "employee",
        "count": "1",
        "totalcount": "1",
        "numremaining": "0",
        "resultId": "",
    }
    (row,) = list(data)
    assert row.tag == "employee"
    assert [c.tag for c in row] == ["EMPLOYEEID", "PERSONALINFO", "TITLE"]
    assert row.findtext("PERSONALINFO/LASTNAME") == "Lovelace"
    assert row.find("TITLE") is not None
    assert row.findtext("TITLE") == ""


def test_unknown_field_in_fields_list_fails(gw: Gateway) -> None:
    assert gw.fail(rbq("EMPLOYEE", "", "EMPLOYEEID,BOGUS"))


def test_paging_with_result_id_and_read_more(gw: Gateway, company: Company) -> None:
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i:03d}", "NAME": str(i)} for i in range(25)))
    first = gw.ok(rbq("CLASS", "CLASSID like 'K%'", "CLASSID", pagesize=10)).find("data")
    assert first is not None
    assert (first.get("count"), first.get("totalcount"), first.get("numremaining")) == (
        "10",
        "25",
        "15",
    )
    rid = first.get("resultId")
    assert rid
    seen = [r.findtext("CLASSID") for r in first]
    remaining = []
    while True:
        more = gw.ok(f"<readMore><resultId>{rid}</resultId></readMore>").find("data")
        assert more is not None
        assert more.get("resultId") == rid
        seen += [r.findtext("CLASSID") for r in more]
        remaining.append(more.get("numremaining"))
        if more.get("numremaining") == "0":
            break
    assert remaining == ["5", "0"]
    assert seen == [f"K{i:03d}" for i in range(25)]
    assert any(
        "invalid or expired resultId" in t
        for t in gw.fail(f"<readMore><resultId>{rid}</resultId></readMore>")
    )


def test_read_more_by_object_and_expiry(gw: Gateway, company: Company, clock: Clock) -> None:
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i:03d}", "NAME": str(i)} for i in range(5)))
    gw.ok(rbq("CLASS", "", "CLASSID", pagesize=2))
    more = gw.ok("<readMore><object>CLASS</object></readMore>").find("data")
    assert more is not None
    assert [r.findtext("CLASSID") for r in more] == [
        "K001",
        "K002",
    ]
    clock.advance(minutes=16)
    assert gw.fail("<readMore><object>CLASS</object></readMore>")


def test_pagesize_above_the_maximum_is_refused_or_capped(gw: Gateway, company: Company) -> None:
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i:04d}", "NAME": str(i)} for i in range(1200)))
    assert gw.fail(rbq("CLASS", "", "CLASSID", pagesize=5000)) == [
        "pagesize must be 1 to 1000, got 5000"
    ]
    capped = Gateway(Emulator(company, oversized_pages="cap"))
    data = capped.ok(rbq("CLASS", "", "CLASSID", pagesize=5000)).find("data")
    assert data is not None
    assert data.get("count") == "1000"
    assert gw.fail(rbq("CLASS", "", "CLASSID", pagesize=0))


def q(obj: str, fields: list[str], filt: str = "", extra: str = "") -> str:
    sel = "".join(f"<field>{f}</field>" for f in fields)
    flt = f"<filter>{filt}</filter>" if filt else ""
    return f"<query><object>{obj}</object><select>{sel}</select>{flt}{extra}</query>"


def eq(field: str, value: str, op: str = "equalto") -> str:
    return f"<{op}><field>{field}</field><value>{value}</value></{op}>"


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        (eq("STATUS", "active"), ["E1", "E2"]),
        (eq("STATUS", "active", "notequalto"), ["E3"]),
        (eq("RECORDNO", "2", "lessthan"), ["E1"]),
        (eq("RECORDNO", "2", "lessthanorequalto"), ["E1", "E2"]),
        (eq("RECORDNO", "2", "greaterthan"), ["E3"]),
        (eq("RECORDNO", "2", "greaterthanorequalto"), ["E2", "E3"]),
        (
            "<between><field>RECORDNO</field><value>2</value><value>3</value></between>",
            ["E2", "E3"],
        ),
        ("<in><field>EMPLOYEEID</field><value>E1</value><value>E3</value></in>", ["E1", "E3"]),
        ("<notin><field>EMPLOYEEID</field><value>E1</value></notin>", ["E2", "E3"]),
        (eq("EMPLOYEEID", "%2", "like"), ["E2"]),
        (eq("EMPLOYEEID", "%2", "notlike"), ["E1", "E3"]),
        ("<isnull><field>TITLE</field></isnull>", ["E1", "E2", "E3"]),
        ("<isnotnull><field>TITLE</field></isnotnull>", []),
        (eq("PERSONALINFO.LASTNAME", "Turing"), ["E2"]),
        (eq("DEPARTMENT.TITLE", "Delivery"), ["E1", "E2", "E3"]),
        (
            "<and>"
            + eq("STATUS", "active")
            + "<or>"
            + eq("EMPLOYEEID", "E1")
            + eq("EMPLOYEEID", "E3")
            + "</or></and>",
            ["E1"],
        ),
    ],
)
def test_query_filters(gw: Gateway, filt: str, expected: list[str]) -> None:
    rows = records(gw.ok(q("EMPLOYEE", ["EMPLOYEEID"], filt)))
    assert [r["EMPLOYEEID"] for r in rows] == expected


def test_query_shape_order_offset_and_counts(gw: Gateway, company: Company) -> None:
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i:02d}", "NAME": f"n{i % 3}"} for i in range(10)))
    order = (
        "<orderby><order><field>NAME</field><descending/></order>"
        "<order><field>CLASSID</field><ascending/></order></orderby>"
    )
    res = gw.ok(
        q(
            "CLASS",
            ["CLASSID", "NAME"],
            eq("CLASSID", "K%", "like"),
            order + "<pagesize>4</pagesize><offset>2</offset>",
        )
    )
    data = res.find("data")
    assert data is not None
    assert data.attrib == {
        "listtype": "CLASS",
        "totalcount": "10",
        "offset": "2",
        "count": "4",
        "numremaining": "4",
    }
    assert all(r.tag == "CLASS" for r in data)
    expected = sorted((f"K{i:02d}" for i in range(10)), key=lambda k: (-(int(k[1:]) % 3), k))[2:6]
    assert [r.findtext("CLASSID") for r in data] == expected


def test_query_case_insensitive_option(gw: Gateway) -> None:
    opts = "<options><caseinsensitive>true</caseinsensitive></options>"
    assert records(gw.ok(q("EMPLOYEE", ["EMPLOYEEID"], eq("EMPLOYEEID", "e2"), opts))) == [
        {"EMPLOYEEID": "E2"}
    ]
    assert records(gw.ok(q("EMPLOYEE", ["EMPLOYEEID"], eq("EMPLOYEEID", "e2")))) == []


def test_query_related_fields_come_back_as_dotted_elements(gw: Gateway) -> None:
    res = gw.ok(q("PROJECT", ["PROJECTID", "CUSTOMER.NAME"], eq("PROJECTID", "P1")))
    row = res.find("data/PROJECT")
    assert row is not None
    assert row.findtext("CUSTOMER.NAME") == "Acme"


def test_query_errors(gw: Gateway) -> None:
    assert gw.fail("<query><object>EMPLOYEE</object><select/></query>")
    assert gw.fail(q("EMPLOYEE", ["NOPE"]))
    assert gw.fail(q("EMPLOYEE", ["EMPLOYEEID"], "<and>" + eq("STATUS", "active") + "</and>"))
    assert gw.fail(
        q("EMPLOYEE", ["EMPLOYEEID"], "<between><field>RECORDNO</field><value>1</value></between>")
    )
    assert gw.fail(q("NOPE", ["RECORDNO"]))


def test_query_aggregates(gw: Gateway) -> None:
    res = gw.ok(
        "<query><object>TASK</object><select><field>PROJECTID</field><count>RECORDNO</count></select>"
        "<orderby><order><field>PROJECTID</field></order></orderby></query>"
    )
    rows = records(res)
    assert rows == [
        {"PROJECTID": "P1", "COUNT.RECORDNO": "2"},
        {"PROJECTID": "P2", "COUNT.RECORDNO": "1"},
    ]


def test_read_and_read_by_name(gw: Gateway) -> None:
    res = gw.ok(
        "<read><object>EMPLOYEE</object><keys>2,99,1</keys><fields>EMPLOYEEID</fields></read>"
    )
    data = res.find("data")
    assert data is not None
    assert data.attrib == {"listtype": "EMPLOYEE", "count": "2"}
    assert [r.findtext("EMPLOYEEID") for r in data] == ["E2", "E1"]
    res = gw.ok(
        "<readByName><object>TIMETYPE</object><keys>Regular</keys><fields>*</fields></readByName>"
    )
    assert res.findtext("data/TIMETYPE/NAME") == "Regular"
    assert gw.fail("<readByName><object>TASK</object><keys>T1</keys></readByName>")


def test_lookup_and_inspect_answer_from_the_schema_table(gw: Gateway) -> None:
    res = gw.ok("<lookup><object>TIMESHEET</object></lookup>")
    t = res.find("data/Type")
    assert t is not None
    assert t.get("Name") == "TIMESHEET"
    fields = {f.findtext("ID"): f for f in t.findall("Fields/Field")}
    assert fields["STATE"].findtext("DATATYPE") == "TEXT"
    assert "Partially Declined" in [
        v.text for v in fields["STATE"].findall("VALIDVALUES/VALIDVALUE")
    ]
    assert fields["SYNC_REF"].findtext("ISCUSTOM") == "true"
    assert t.find("Relationships/Relationship") is not None
    ins = gw.ok('<inspect detail="1"><object>CLASS</object></inspect>')
    assert ins.find("data/Type/Fields/Field/Name") is not None
    assert gw.fail("<lookup><object>NOPE</object></lookup>")


def test_get_dimensions_lists_standard_and_user_defined(
    gw: Gateway, company: Company, clock: Clock
) -> None:
    res = gw.ok("<getDimensions/>")
    dims = {
        d.findtext("objectName"): d.findtext("userDefinedDimension")
        for d in res.findall("data/dimensions/dimension")
    }
    assert dims["DEPARTMENT"] == "false"
    assert dims["TEAM"] == "true"
    renamed = Gateway(
        Emulator(company, clock=clock, dimension_labels={"DEPARTMENT": "Cost Center"})
    )
    res = renamed.ok("<getDimensions/>")
    terms = {
        d.findtext("objectName"): d.findtext("termLabel")
        for d in res.findall("data/dimensions/dimension")
    }
    assert terms["DEPARTMENT"] == "Cost Center"


def test_readbyquery_on_user_defined_dimension(gw: Gateway) -> None:
    assert [r["ID"] for r in records(gw.ok(rbq("TEAM", "", "ID,NAME")))] == ["RED"]


def test_query_nests_own_groups_and_orders_by_related_fields(gw: Gateway) -> None:
    res = gw.ok(
        "<query><object>EMPLOYEE</object><select><field>EMPLOYEEID</field>"
        "<field>PERSONALINFO.LASTNAME</field></select>"
        "<orderby><order><field>PERSONALINFO.LASTNAME</field><descending/></order></orderby></query>"
    )
    rows = res.findall("data/EMPLOYEE")
    assert [r.findtext("PERSONALINFO/LASTNAME") for r in rows] == ["Turing", "Lovelace", "Hopper"]
    res = gw.ok(
        "<query><object>TASK</object><select><field>RECORDNO</field></select>"
        "<orderby><order><field>PROJECT.NAME</field></order><order><field>RECORDNO</field>"
        "<descending/></order></orderby></query>"
    )
    # Apollo (P1: tasks 1, 3) before Gemini (P2: task 2); RECORDNO descending within a project
    assert [r.findtext("RECORDNO") for r in res.findall("data/TASK")] == ["3", "1", "2"]


def test_timestamps_and_dates_filter_chronologically(gw: Gateway, clock: Clock) -> None:
    clock.advance(days=40)  # 04/13/2024: later than 03/..., though "04" > "03" as text too
    gw.ok("<create><CLASS><CLASSID>LATE</CLASSID><NAME>late</NAME></CLASS></create>")
    clock.advance(days=300)  # 02/07/2025: earlier than 04/13/2024 as text, later in time
    gw.ok("<create><CLASS><CLASSID>LATER</CLASSID><NAME>later</NAME></CLASS></create>")
    res = gw.ok(
        "<query><object>CLASS</object><select><field>CLASSID</field></select><filter>"
        "<greaterthanorequalto><field>WHENMODIFIED</field><value>04/01/2024</value>"
        "</greaterthanorequalto></filter></query>"
    )
    assert [r["CLASSID"] for r in records(res)] == ["LATE", "LATER"]
    res = gw.ok(
        "<query><object>CLASS</object><select><field>CLASSID</field></select><filter>"
        "<between><field>WHENCREATED</field><value>01/01/2025</value><value>12/31/2025</value>"
        "</between></filter></query>"
    )
    assert [r["CLASSID"] for r in records(res)] == ["LATER"]


def test_timesheet_states_by_db_code(gw: Gateway) -> None:
    from tests.testing.emu_helpers import timesheet_xml

    gw.ok("<create>" + timesheet_xml(state="Submitted") + timesheet_xml() + "</create>")
    sub = gw.ok(
        "<readByQuery><object>TIMESHEET</object><fields>RECORDNO,STATE</fields>"
        "<query>STATE = 'S'</query></readByQuery>"
    )
    assert [r["STATE"] for r in records(sub)] == ["Submitted"]
    drafts = gw.ok(
        "<readByQuery><object>TIMESHEETENTRY</object><fields>RECORDNO</fields>"
        "<query>STATE in ('I')</query></readByQuery>"
    )
    assert len(records(drafts)) == 2
