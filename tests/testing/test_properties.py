"""Property tests: junk never crashes the emulator; paging laws hold."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.testing.emu_helpers import Clock, Gateway, envelope, fn, small_company

from intacct_sdk.testing import Company, Emulator

# characters XML 1.0 allows in text (control characters make the whole request unreadable,
# which test_junk_bodies_fail_at_control_level covers)
XML_TEXT = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufffe\uffff")
TOKENS = st.sampled_from(
    [
        "RECORDNO",
        "EMPLOYEEID",
        "STATUS",
        "PERSONALINFO.LASTNAME",
        "WHENMODIFIED",
        "NOPE",
        "=",
        "!=",
        "<>",
        "<",
        ">",
        "<=",
        ">=",
        "like",
        "not",
        "in",
        "is",
        "null",
        "AND",
        "OR",
        "NOT",
        "(",
        ")",
        ",",
        "'T'",
        "'E1'",
        "'%'",
        "1",
        "-2.5",
        "'it\\'s'",
        "'",
        "\\",
        "IN ('E1','E2')",
        "rownum",
    ]
)
JUNK_QUERY = st.one_of(
    st.lists(TOKENS, max_size=12).map(" ".join),
    st.text(XML_TEXT, max_size=40),
)
FILTER_TAGS = st.sampled_from(
    [
        "equalto",
        "notequalto",
        "lessthan",
        "greaterthanorequalto",
        "between",
        "in",
        "notin",
        "like",
        "isnull",
        "isnotnull",
        "and",
        "or",
        "bogus",
    ]
)


def _filter(depth: int = 0) -> st.SearchStrategy[str]:
    leaf = st.builds(
        lambda tag, field, values: (
            f"<{tag}>{field}{''.join(f'<value>{escape(v)}</value>' for v in values)}</{tag}>"
        ),
        FILTER_TAGS,
        st.sampled_from(
            ["<field>RECORDNO</field>", "<field>EMPLOYEEID</field>", "<field>NOPE</field>", ""]
        ),
        st.lists(st.text(XML_TEXT, max_size=8), max_size=3),
    )
    if depth >= 2:
        return leaf
    nested = st.builds(
        lambda tag, kids: f"<{tag}>{''.join(kids)}</{tag}>",
        st.sampled_from(["and", "or"]),
        st.lists(_filter(depth + 1), max_size=3),
    )
    return st.one_of(leaf, nested)


_COMPANY = small_company(Clock())
_EMU = Emulator(_COMPANY, clock=Clock())


def _result(body: str) -> ET.Element:
    resp = _EMU.handle(envelope(fn(body)))
    root = ET.fromstring(resp.body)  # always well-formed XML
    assert root.findtext("control/status") == "success"
    (result,) = root.findall("operation/result")
    assert result.findtext("status") in ("success", "failure")
    assert result.findtext("errormessage/error/errorno") != "DL02000001"  # no internal error
    return result


@settings(max_examples=300, deadline=None)
@given(JUNK_QUERY)
def test_junk_read_by_query_strings_get_a_clean_answer(query: str) -> None:
    _result(
        f"<readByQuery><object>EMPLOYEE</object><fields>*</fields><query>{escape(query)}</query></readByQuery>"
    )


@settings(max_examples=200, deadline=None)
@given(_filter(), st.sampled_from(["EMPLOYEE", "TASK", "NOPE"]), st.text(XML_TEXT, max_size=6))
def test_junk_query_filters_get_a_clean_answer(filt: str, obj: str, size: str) -> None:
    body = (
        f"<query><object>{obj}</object><select><field>RECORDNO</field></select>"
        f"<filter>{filt}</filter><pagesize>{escape(size)}</pagesize></query>"
    )
    if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", size) or not 1 <= int(size) <= 2000:
        # Outside the request schema's 1-2000 integer: refused before anything runs.
        root = ET.fromstring(_EMU.handle(envelope(fn(body))).body)
        assert root.findtext("control/status") == "failure"
        assert root.findtext("errormessage/error/errorno") == "XL03000003"
        return
    _result(body)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_junk_bodies_fail_at_control_level(body: bytes) -> None:
    resp = _EMU.handle(body)
    root = ET.fromstring(resp.body)
    assert root.findtext("control/status") == "failure"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 60), st.integers(1, 25), st.integers(0, 70))
def test_read_more_pages_add_up_to_the_whole_result(n: int, page: int, offset: int) -> None:
    clock = Clock()
    c = Company(clock=clock)
    c.bulk_insert("CLASS", ({"CLASSID": f"K{i:03d}", "NAME": str(i % 4)} for i in range(n)))
    gw = Gateway(Emulator(c, clock=clock))
    data = gw.ok(
        f"<readByQuery><object>CLASS</object><fields>CLASSID</fields><query>NAME != '1'</query>"
        f"<pagesize>{page}</pagesize></readByQuery>"
    ).find("data")
    assert data is not None
    got = [r.findtext("CLASSID") for r in data]
    rid = data.get("resultId")
    while data.get("numremaining") != "0":
        data = gw.ok(f"<readMore><resultId>{rid}</resultId></readMore>").find("data")
        assert data is not None
        got += [r.findtext("CLASSID") for r in data]
    assert got == [f"K{i:03d}" for i in range(n) if i % 4 != 1]
    # query with offset: count + numremaining + offset == totalcount
    q = gw.ok(
        f"<query><object>CLASS</object><select><field>CLASSID</field></select>"
        f"<pagesize>{page}</pagesize><offset>{offset}</offset></query>"
    ).find("data")
    assert q is not None
    total, count, rem = (int(q.get(k) or -1) for k in ("totalcount", "count", "numremaining"))
    assert total == n
    assert count == max(0, min(page, n - offset))
    assert rem == max(0, n - offset - count)
