"""A value the schema types that does not parse is a typed error, not a silent string."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from _fake_gateway import CREDS, FakeGateway
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import Client, ClientOptions, GatewayError, ValueTypeError, ValueTyping
from intacct_sdk._parse import parse_response

CONTROL = (
    "<control><status>success</status><senderid>s</senderid><controlid>c</controlid>"
    "<uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control>"
)
AUTH = "<authentication><status>success</status><userid>u</userid><companyid>c</companyid>"
LENIENT = ValueTyping(strict=False)


def page(*records: str, tag: str = "TIMESHEET") -> bytes:
    data = f'<data listtype="{tag}" count="{len(records)}">' + "".join(records) + "</data>"
    return (
        f"<response>{CONTROL}<operation>{AUTH}</authentication><result><status>success</status>"
        f"<function>readByQuery</function><controlid>f1</controlid>{data}</result>"
        "</operation></response>"
    ).encode()


def sheet(recordno: str, *extra: str) -> str:
    return f"<TIMESHEET><RECORDNO>{recordno}</RECORDNO>{''.join(extra)}</TIMESHEET>"


def refused(body: bytes) -> ValueTypeError:
    with pytest.raises(ValueTypeError) as info:
        parse_response(body)
    return info.value


def test_uniform_page_names_object_field_value_and_position() -> None:
    err = refused(page(sheet("1"), sheet("2"), sheet("not-a-number"), sheet("4")))
    assert (err.object_name, err.field, err.value, err.position) == (
        "TIMESHEET",
        "RECORDNO",
        "not-a-number",
        2,
    )
    assert err.datatype == "INTEGER"
    assert isinstance(err, GatewayError)
    assert "TIMESHEET.RECORDNO" in str(err) and "'not-a-number'" in str(err)
    assert "strict_types=False" in str(err)
    assert "\n" not in str(err)


def test_records_of_several_shapes_give_the_page_position() -> None:
    body = page(
        sheet("1", "<HOURSINDAY>8</HOURSINDAY>"),
        sheet("2"),
        sheet("3", "<HOURSINDAY>eight</HOURSINDAY>"),
    )
    err = refused(body)
    assert (err.field, err.value, err.position, err.datatype) == (
        "HOURSINDAY",
        "eight",
        2,
        "DECIMAL",
    )


@pytest.mark.parametrize(
    ("field", "text", "datatype"),
    [
        ("BEGINDATE", "13/45/2020", "DATE"),
        ("WHENMODIFIED", "yesterday", "TIMESTAMP"),
        ("ACTUALCOST", "maybe", "BOOLEAN"),
        ("HOURSINDAY", "1,000", "DECIMAL"),
    ],
)
def test_each_typed_kind_is_checked(field: str, text: str, datatype: str) -> None:
    err = refused(page(sheet("1", f"<{field}>{text}</{field}>")))
    assert (err.field, err.value, err.datatype, err.position) == (field, text, datatype, 0)


def test_repeated_tags_take_the_general_reader_and_are_checked() -> None:
    err = refused(page(sheet("1"), sheet("2", "<RECORDNO>x</RECORDNO>")))
    assert (err.field, err.value, err.position) == ("RECORDNO", "x", 1)


def test_a_line_of_a_document_is_named_by_its_index() -> None:
    lines = (
        "<TIMESHEETENTRIES>"
        "<TIMESHEETENTRY><RECORDNO>10</RECORDNO><QTY>2.5</QTY></TIMESHEETENTRY>"
        "<TIMESHEETENTRY><RECORDNO>11</RECORDNO><QTY>two</QTY></TIMESHEETENTRY>"
        "</TIMESHEETENTRIES>"
    )
    err = refused(page(sheet("1"), sheet("2", lines)))
    assert err.object_name == "TIMESHEET"
    assert (err.field, err.value, err.position, err.datatype) == (
        "TIMESHEETENTRIES[1].QTY",
        "two",
        1,
        "DECIMAL",
    )


def test_good_values_still_type() -> None:
    (r,) = parse_response(page(sheet("7", "<HOURSINDAY>8.5</HOURSINDAY>"))).results
    assert r.page is not None
    assert r.page.records == [{"RECORDNO": 7, "HOURSINDAY": Decimal("8.5")}]


def test_lenient_keeps_the_string_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="intacct_sdk")
    body = page(sheet("1"), sheet("bad-lenient-1"), sheet("bad-lenient-2"))
    for _ in range(2):
        (r,) = parse_response(body, typing=LENIENT).results
        assert r.page is not None
        assert [x["RECORDNO"] for x in r.page.records] == [1, "bad-lenient-1", "bad-lenient-2"]
    warnings = [rec for rec in caplog.records if "TIMESHEET.RECORDNO" in rec.getMessage()]
    assert len(warnings) <= 1  # once per process per object and field
    assert all(rec.levelno == logging.WARNING for rec in warnings)


def test_untyped_reading_checks_nothing() -> None:
    (r,) = parse_response(page(sheet("x")), typing=ValueTyping(typed=False)).results
    assert r.page is not None
    assert r.page.records == [{"RECORDNO": "x"}]


@given(st.text(alphabet="0123456789-x. ", min_size=1, max_size=8).filter(lambda t: t.strip() == t))
def test_a_recordno_types_or_is_refused(text: str) -> None:
    body = page(sheet("1"), sheet(text))
    if text.isdigit() or (text[:1] == "-" and text[1:].isdigit()):
        (r,) = parse_response(body).results
        assert r.page is not None
        assert r.page.records[1]["RECORDNO"] == int(text)
    else:
        with pytest.raises(ValueTypeError) as info:
            parse_response(body)
        assert (info.value.value, info.value.position) == (text, 1)


def test_client_is_strict_by_default_and_the_option_relaxes_it() -> None:
    gw = FakeGateway({"TIMESHEET": [{"RECORDNO": 1}, {"RECORDNO": "n/a"}]})
    with Client(CREDS, transport=gw.transport()) as client, pytest.raises(ValueTypeError):
        list(client.query("TIMESHEET", ["RECORDNO"]))
    requests = gw.requests
    assert requests == 2  # a login and the page: the refusal is not retried
    with Client(
        CREDS, options=ClientOptions(strict_types=False), transport=gw.transport()
    ) as client:
        assert [r["RECORDNO"] for r in client.query("TIMESHEET", ["RECORDNO"])] == [1, "n/a"]
    with Client(CREDS, transport=gw.transport()) as client:
        records = client.query("TIMESHEET", ["RECORDNO"], options={"strict_types": False})
        assert [r["RECORDNO"] for r in records] == [1, "n/a"]
