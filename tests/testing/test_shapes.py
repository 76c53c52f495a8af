"""Responses have the shapes of real gateway responses (the reference fixtures)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tests.testing.emu_helpers import LOGIN, Gateway, envelope, fn
from tests.testing.test_postman import _reference

from intacct_sdk.testing import Company

FIXTURES = _reference() / "fixtures" / "intacct-sdk-php"
pytestmark = pytest.mark.shared_reference


def fixture(name: str) -> ET.Element:
    return ET.fromstring(Path(FIXTURES / name).read_bytes())


def tags(el: ET.Element | None) -> list[str]:
    assert el is not None
    return [c.tag for c in el]


def canon(el: ET.Element | None) -> tuple[object, ...]:
    """Tag, attributes, stripped text and children: equal for equal XML modulo whitespace."""
    assert el is not None
    return (el.tag, dict(el.attrib), (el.text or "").strip(), [canon(c) for c in el])


def post(gw: Gateway, body: str, **kw: object) -> ET.Element:
    return ET.fromstring(gw.emu.handle(envelope(fn(body), **kw)).body)


def test_get_api_session_shape(gw: Gateway) -> None:
    ours = post(gw, "<getAPISession/>")
    real = fixture("SessionProviderTest.testFromLoginCredentials.xml")
    for path in (
        "control",
        "operation",
        "operation/authentication",
        "operation/result",
        "operation/result/data/api",
    ):
        assert tags(ours.find(path)) == tags(real.find(path)), path


def test_read_by_query_shape(gw: Gateway) -> None:
    ours = post(
        gw,
        "<readByQuery><object>CUSTOMER</object><fields>CUSTOMERID,NAME</fields><query/></readByQuery>",
    )
    real = fixture("OnlineClientTest.testLogger.xml")
    for path in ("operation/result", "operation/result/data", "operation/result/data/customer"):
        assert tags(ours.find(path)) == tags(real.find(path)), path
    assert list(ours.find("operation/result/data").attrib) == list(
        real.find("operation/result/data").attrib
    )  # type: ignore[union-attr]


def test_empty_read_by_query_is_self_closing_with_zeros(gw: Gateway) -> None:
    ours = post(
        gw, "<readByQuery><object>DEPARTMENT</object><query>RECORDNO = 999</query></readByQuery>"
    )
    real = fixture("ResultTest.setUp.xml")
    o, r = ours.find("operation/result/data"), real.find("operation/result/data")
    assert o is not None
    assert r is not None
    assert o.attrib == r.attrib
    assert len(o) == 0


def test_read_more_shape(gw: Gateway, company: Company) -> None:
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i}", "NAME": "n"} for i in range(3)))
    first = post(
        gw,
        "<readByQuery><object>CLASS</object><fields>RECORDNO</fields><query/><pagesize>2</pagesize></readByQuery>",
    )
    rid = first.find("operation/result/data").get("resultId")  # type: ignore[union-attr]
    ours = post(gw, f"<readMore><resultId>{rid}</resultId></readMore>")
    real = fixture("history/IntacctClientTest.testGetQueryRecordsSuccess.2.xml")
    assert list(ours.find("operation/result/data").attrib) == list(
        real.find("operation/result/data").attrib
    )  # type: ignore[union-attr]
    assert ours.findtext("operation/result/function") == "readMore"
    bad = post(gw, "<readMore><resultId>bad</resultId></readMore>")
    real_bad = fixture("history/IntacctClientTest.testReadMoreFailure.1.xml")
    assert canon(bad.find("operation/result/errormessage")) == canon(
        real_bad.find("operation/result/errormessage")
    )


def test_read_shape_is_uppercase(gw: Gateway) -> None:
    ours = post(
        gw,
        "<read><object>CUSTOMER</object><keys>1</keys><fields>RECORDNO,CUSTOMERID,STATUS</fields></read>",
    )
    real = fixture("ResultTest.testReadClass.xml")
    for path in ("operation/result", "operation/result/data", "operation/result/data/CUSTOMER"):
        assert tags(ours.find(path)) == tags(real.find(path)), path
    assert ours.find("operation/result/data").attrib == real.find("operation/result/data").attrib  # type: ignore[union-attr]


def test_create_and_failures_match_the_class_fixtures(gw: Gateway) -> None:
    ours = post(
        gw,
        "<create><CLASS><CLASSID>UT01</CLASSID><NAME>a</NAME></CLASS><CLASS><CLASSID>UT02</CLASSID><NAME>b</NAME></CLASS></create>",
    )
    real = fixture("history/ClassObjTest.testCreateSuccess.1.xml")
    for path in ("operation/result/data", "operation/result/data/class"):
        assert tags(ours.find(path)) == tags(real.find(path)), path
    assert ours.find("operation/result/data").attrib == real.find("operation/result/data").attrib  # type: ignore[union-attr]
    upd = post(
        gw,
        "<update><CLASS><CLASSID>UT01</CLASSID><NAME>x</NAME></CLASS><CLASS><CLASSID>UT99</CLASSID><NAME>y</NAME></CLASS></update>",
    )
    real_upd = fixture("history/ClassObjTest.testUpdateFailure.1.xml")
    for path in (
        "operation/result",
        "operation/result/data/class",
        "operation/result/errormessage/error",
    ):
        assert tags(upd.find(path)) == tags(real_upd.find(path)), path
    assert upd.findtext("operation/result/errormessage/error/errorno") == real_upd.findtext(
        "operation/result/errormessage/error/errorno"
    )
    dele = post(gw, "<delete><object>CLASS</object><keys>UT01</keys></delete>")
    real_del = fixture("history/ClassObjTest.testDeleteFailure.1.xml")
    assert canon(dele.find("operation/result/errormessage")) == canon(
        real_del.find("operation/result/errormessage")
    )


def test_unknown_object_error_matches(gw: Gateway) -> None:
    ours = post(gw, "<readByQuery><object>BADOBJECT</object><query/></readByQuery>")
    real = fixture("ResultTest.testGetErrors.xml")
    assert canon(ours.find("operation/result/errormessage")) == canon(
        real.find("operation/result/errormessage")
    )


def test_authentication_and_control_failure_shapes(gw: Gateway) -> None:
    ours = post(gw, "<getAPISession/>", auth=LOGIN.replace("demo-user", "fakeuser", 1))
    real = fixture("OnlineResponseTest.testAuthenticationFailure.xml")
    for path in (".", "operation", "operation/authentication", "operation/errormessage/error"):
        assert tags(ours.find(path)) == tags(real.find(path)), path
    assert ours.findtext("operation/errormessage/error/description2") == real.findtext(
        "operation/errormessage/error/description2"
    )
    ctl = post(gw, "<getAPISession/>", sender_password="nope")
    real_ctl = fixture("AbstractResponseTest.testConstructControlFailure.xml")
    for path in (".", "control", "errormessage/error"):
        assert tags(ctl.find(path)) == tags(real_ctl.find(path)), path


def test_transaction_rollback_shape(gw: Gateway) -> None:
    body = fn(
        "<create><CLASS><CLASSID>A1</CLASSID><NAME>a</NAME></CLASS></create>", "func1UnitTest"
    ) + fn("<create><CLASS><NAME>no id</NAME></CLASS></create>", "func2UnitTest")
    ours = ET.fromstring(gw.emu.handle(envelope(body, transaction=True)).body)
    real = fixture("OnlineClientTest.testExecuteBatchTransactionResultException.xml")
    o, r = ours.findall("operation/result"), real.findall("operation/result")
    assert [x.findtext("status") for x in o] == [x.findtext("status") for x in r]
    assert [tags(x) for x in o] == [tags(x) for x in r]
    assert canon(o[0].find("errormessage")) == canon(r[0].find("errormessage"))


def test_lookup_reproduces_the_real_lookup_output(gw: Gateway) -> None:
    ours = post(gw, "<lookup><object>CLASS</object></lookup>").find("operation/result/data")
    real = ET.fromstring((_reference() / "schemas" / "CLASS.xml").read_bytes())
    assert ours is not None
    assert canon(ours) == canon(real)


def test_inspect_detail_shape(gw: Gateway) -> None:
    ours = post(gw, '<inspect detail="1"><object>CUSTOMER</object></inspect>')
    real = fixture("history/InspectClassResponse.xml")
    for path in (
        "operation/result/data",
        "operation/result/data/Type",
        "operation/result/data/Type/Attributes",
        "operation/result/data/Type/Fields/Field",
    ):
        assert tags(ours.find(path)) == tags(real.find(path)), path
