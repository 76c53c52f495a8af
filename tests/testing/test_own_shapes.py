"""The emulator answers in the shapes our own response fixtures record (tests/fixtures/responses).

These carry the facts of ``test_shapes.py`` (which compares against the official SDKs' fixtures
where that folder exists) on every run: which elements a result holds and in what order, which
attributes a ``<data>`` element carries, and the exact error shapes of common failures.
Values differ (our fixtures have records of their own); shapes do not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from tests.conftest import OWN_FIXTURES
from tests.testing.emu_helpers import LOGIN, Gateway, envelope, fn

from intacct_sdk.testing import Company, CustomField, Emulator

RESPONSES = OWN_FIXTURES / "responses"


def fixture(name: str) -> ET.Element:
    return ET.fromstring((RESPONSES / name).read_bytes())


def tags(el: ET.Element | None) -> list[str]:
    assert el is not None
    return [c.tag for c in el]


def shape(el: ET.Element | None) -> tuple[object, ...]:
    """Tag, attribute names and children's shapes: equal for equal structure, any values."""
    assert el is not None
    return (el.tag, sorted(el.attrib), [shape(c) for c in el])


def post(gw: Gateway, body: str, **kw: object) -> ET.Element:
    return ET.fromstring(gw.emu.handle(envelope(fn(body), **kw)).body)


def same_tags(ours: ET.Element, real: ET.Element, *paths: str) -> None:
    for path in paths:
        assert tags(ours.find(path)) == tags(real.find(path)), path


def same_error(ours: ET.Element, real: ET.Element, base: str, *fields: str) -> None:
    """The same shape at ``base`` and the same text in these fields of its first error."""
    assert shape(ours.find(base)) == shape(real.find(base))
    for field in fields:
        path = f"{base}/errormessage/error/{field}"
        assert ours.findtext(path) == real.findtext(path), field


def test_session_shape(gw: Gateway) -> None:
    ours = post(gw, "<getAPISession/>")
    real = fixture("session_login.xml")
    same_tags(
        ours,
        real,
        ".",
        "control",
        "operation",
        "operation/authentication",
        "operation/result",
        "operation/result/data/api",
    )


def test_read_by_query_page_shape(gw: Gateway, company: Company) -> None:
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i}", "NAME": "n"} for i in range(3)))
    ours = post(
        gw,
        "<readByQuery><object>CLASS</object><fields>RECORDNO,CLASSID</fields><query/>"
        "<pagesize>1</pagesize></readByQuery>",
    )
    real = fixture("paging_first.xml")
    same_tags(ours, real, "operation/result")
    data, real_data = ours.find("operation/result/data"), real.find("operation/result/data")
    assert data is not None
    assert real_data is not None
    assert list(data.attrib) == list(real_data.attrib)  # the order the gateway writes them
    assert data.get("count") == "1"
    assert int(data.get("numremaining", "")) == int(data.get("totalcount", "")) - 1
    assert data.get("resultId")


def test_the_last_page_of_read_more_keeps_its_result_id(gw: Gateway, company: Company) -> None:
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i}", "NAME": "n"} for i in range(3)))
    first = post(
        gw,
        "<readByQuery><object>CLASS</object><fields>RECORDNO</fields><query/>"
        "<pagesize>2</pagesize></readByQuery>",
    )
    rid = first.find("operation/result/data").get("resultId")  # type: ignore[union-attr]
    last = post(gw, f"<readMore><resultId>{rid}</resultId></readMore>")
    real = fixture("paging_last.xml")
    data, real_data = last.find("operation/result/data"), real.find("operation/result/data")
    assert data is not None
    assert real_data is not None
    assert list(data.attrib) == list(real_data.attrib)
    assert data.get("numremaining") == real_data.get("numremaining") == "0"
    assert data.get("resultId") == rid  # kept on the last page, as the gateway does
    assert real_data.get("resultId")


def test_a_single_page_has_an_empty_result_id(gw: Gateway, company: Company) -> None:
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i}", "NAME": "n"} for i in range(2)))
    ours = post(gw, "<readByQuery><object>CLASS</object><query/></readByQuery>")
    real = fixture("read_by_query_single.xml")
    data, real_data = ours.find("operation/result/data"), real.find("operation/result/data")
    assert data is not None
    assert real_data is not None
    assert list(data.attrib) == list(real_data.attrib)
    assert (
        (data.get("numremaining"), data.get("resultId"))
        == ("0", "")
        == (
            real_data.get("numremaining"),
            real_data.get("resultId"),
        )
    )


def test_empty_page_is_self_closing_with_zeros(gw: Gateway) -> None:
    ours = post(
        gw, "<readByQuery><object>LOCATION</object><query>RECORDNO = 999</query></readByQuery>"
    )
    real = fixture("empty_page.xml")
    o, r = ours.find("operation/result/data"), real.find("operation/result/data")
    assert o is not None
    assert r is not None
    assert o.attrib == r.attrib  # listtype, zeros and an empty resultId, exactly
    assert len(o) == 0


def test_read_by_key_is_uppercase(gw: Gateway, company: Company) -> None:
    company.bulk_insert("PROJECT", [{"PROJECTID": "0042", "NAME": "p", "STATUS": "inactive"}])
    ours = post(
        gw,
        "<read><object>PROJECT</object><keys>1</keys><fields>RECORDNO,PROJECTID,STATUS</fields></read>",
    )
    real = fixture("read_by_key.xml")
    same_tags(ours, real, "operation/result", "operation/result/data/PROJECT")
    data, real_data = ours.find("operation/result/data"), real.find("operation/result/data")
    assert data is not None
    assert real_data is not None
    assert data.attrib == real_data.attrib


def test_expired_result_id_error(gw: Gateway) -> None:
    ours = post(gw, "<readMore><resultId>rs-old</resultId></readMore>")
    real = fixture("read_more_expired.xml")
    same_error(ours, real, "operation/result", "errorno", "description2")


def test_create_answers_lowercase_records_with_keys(gw: Gateway) -> None:
    ours = post(
        gw,
        "<create><DEPARTMENT><DEPARTMENTID>D-DOCK</DEPARTMENTID><TITLE>a</TITLE></DEPARTMENT>"
        "<DEPARTMENT><DEPARTMENTID>D-YARD</DEPARTMENTID><TITLE>b</TITLE></DEPARTMENT></create>",
    )
    real = fixture("create_two.xml")
    assert shape(ours.find("operation/result/data")) == shape(real.find("operation/result/data"))
    data, real_data = ours.find("operation/result/data"), real.find("operation/result/data")
    assert data is not None
    assert real_data is not None
    assert data.attrib == real_data.attrib


def test_update_of_a_missing_record_is_a_partial_failure(gw: Gateway, company: Company) -> None:
    company.bulk_insert("DEPARTMENT", [{"DEPARTMENTID": "D-DOCK", "TITLE": "a"}])
    ours = post(
        gw,
        "<update><DEPARTMENT><DEPARTMENTID>D-DOCK</DEPARTMENTID><TITLE>x</TITLE></DEPARTMENT>"
        "<DEPARTMENT><DEPARTMENTID>D-NONE</DEPARTMENTID><TITLE>y</TITLE></DEPARTMENT></update>",
    )
    real = fixture("update_partial.xml")
    assert ours.findtext("operation/result/status") == real.findtext("operation/result/status")
    # the gateway puts the message where the error number belongs, for this one failure
    same_error(ours, real, "operation/result", "errorno")


def test_delete_of_a_missing_record(gw: Gateway) -> None:
    ours = post(gw, "<delete><object>DEPARTMENT</object><keys>D-GONE</keys></delete>")
    real = fixture("delete_missing.xml")
    same_error(ours, real, "operation/result", "errorno", "description2")


def test_unknown_object_error(gw: Gateway) -> None:
    ours = post(gw, "<readByQuery><object>NOSUCHTHING</object><query/></readByQuery>")
    real = fixture("query_unknown_object.xml")
    same_error(ours, real, "operation/result", "errorno", "description", "description2")


def test_sign_in_failure_shape(gw: Gateway) -> None:
    ours = post(gw, "<getAPISession/>", auth=LOGIN.replace("demo-user", "someone-else", 1))
    real = fixture("error_sign_in.xml")
    same_tags(ours, real, ".", "operation", "operation/authentication")
    same_error(ours, real, "operation", "errorno", "description2")


def test_control_failure_shape(gw: Gateway) -> None:
    ours = post(gw, "<getAPISession/>", sender_password="nope")
    real = fixture("error_control_policy.xml")
    same_tags(ours, real, ".", "control")
    assert shape(ours.find("errormessage")) == shape(real.find("errormessage"))
    assert ours.findtext("control/status") == "failure"


def test_transaction_rollback_shape(gw: Gateway) -> None:
    body = fn("<create><CLASS><CLASSID>A1</CLASSID><NAME>a</NAME></CLASS></create>", "step-a") + fn(
        "<create><CLASS><NAME>no id</NAME></CLASS></create>", "step-b"
    )
    ours = ET.fromstring(gw.emu.handle(envelope(body, transaction=True)).body).findall(
        "operation/result"
    )
    real = fixture("transaction_rolled_back.xml").findall("operation/result")
    assert [r.findtext("status") for r in ours] == [r.findtext("status") for r in real]
    assert [tags(r) for r in ours] == [tags(r) for r in real]
    rolled_back = "errormessage/error/description2"
    assert ours[0].findtext(rolled_back) == real[0].findtext(rolled_back)
    # the failing step's own error comes first, then the rollback notice
    assert [e.findtext("errorno") for e in ours[1].iter("error")][-1] == "XL03000009"


def test_inspect_detail_shape(gw: Gateway) -> None:
    ours = post(gw, '<inspect detail="1"><object>PROJECT</object></inspect>')
    real = fixture("inspect_detail.xml")
    same_tags(
        ours,
        real,
        "operation/result/data",
        "operation/result/data/Type",
        "operation/result/data/Type/Attributes",
        "operation/result/data/Type/Fields/Field",
    )
    data = ours.find("operation/result/data/Type")
    assert data is not None
    assert data.get("Name") == "PROJECT"


def _request_company() -> Company:
    """The records our own request fixtures name (E-12, PRJ-77, timesheet 88 with entries
    301-303), with the custom field ``source_ref`` the create fixture sets."""
    company = Company(custom_fields=[CustomField("TIMESHEET", "source_ref")], week_start=None)
    for emp in ("E-12", "E-13"):
        company.insert("EMPLOYEE", {"EMPLOYEEID": emp, "PERSONALINFO": {"CONTACTNAME": emp}})
    for rn, pid in ((41, "PRJ-41"), (42, "PRJ-42"), (43, "PRJ-77")):
        company.insert(
            "PROJECT",
            {"RECORDNO": rn, "PROJECTID": pid, "NAME": pid, "PROJECTCATEGORY": "Contract"},
        )
    company.insert(
        "TIMESHEET",
        {
            "RECORDNO": 88,
            "EMPLOYEEID": "E-12",
            "BEGINDATE": "03/04/2024",
            "STATE": "Submitted",
            "TIMESHEETENTRIES": [
                {"RECORDNO": 301 + i, "ENTRYDATE": f"03/0{4 + i}/2024", "QTY": "8"}
                for i in range(3)
            ],
        },
    )
    return company


REQUESTS = sorted(
    p.name
    for p in (OWN_FIXTURES / "requests").glob("*.xml")
    if p.read_text().split("?>", 1)[-1].lstrip().startswith("<function")
)
#: Fixtures the emulator must refuse, with the reason in its answer.
REFUSED = {"read_more.xml": "invalid or expired resultId"}  # its resultId was never issued


def test_the_function_fixtures_were_found() -> None:
    assert len(REQUESTS) >= 15


@pytest.mark.parametrize("name", REQUESTS)
def test_own_request_fixture_is_accepted(name: str) -> None:
    """Every function our fixtures record is one the emulator reads and runs."""
    raw = (OWN_FIXTURES / "requests" / name).read_text().split("?>", 1)[-1].strip()
    root = ET.fromstring(Emulator(_request_company()).handle(envelope(raw)).body)
    assert root.findtext("control/status") == "success"
    result = root.find("operation/result")
    assert result is not None
    text = ET.tostring(result, encoding="unicode")
    if name in REFUSED:
        assert result.findtext("status") == "failure"
        assert REFUSED[name] in text
    else:
        assert result.findtext("status") == "success", text
