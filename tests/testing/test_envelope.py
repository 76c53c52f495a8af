"""Envelope handling: control checks, authentication, sessions, uniqueid, transactions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from tests.testing.emu_helpers import LOGIN, Clock, Gateway, envelope, fn, records

from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator

READ_CLASSES = "<readByQuery><object>CLASS</object><query></query></readByQuery>"


def control_error(emu: Emulator, body: bytes) -> tuple[ET.Element, str]:
    resp = emu.handle(body)
    root = ET.fromstring(resp.body)
    assert root.findtext("control/status") == "failure"
    assert root.find("operation") is None
    errno = root.findtext("errormessage/error/errorno")
    assert errno
    return root, errno


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<request><control>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x">]><request>&a;</request>',
        b"<response/>",
        envelope(fn(READ_CLASSES)).replace(b"<controlid>req-1</controlid>", b""),
        envelope(fn(READ_CLASSES), dtd_version="2.1"),
        envelope(fn(READ_CLASSES)).replace(b"<content>", b"<content><junk/>"),
        envelope(fn(READ_CLASSES)).replace(b' controlid="f1"', b""),
    ],
)
def test_unreadable_or_invalid_requests_fail_at_control_level(gw: Gateway, body: bytes) -> None:
    _, errno = control_error(gw.emu, body)
    assert errno == "XL03000003"


def test_wrong_sender_fails_at_control_level_and_echoes_the_control(gw: Gateway) -> None:
    root, errno = control_error(gw.emu, envelope(fn(READ_CLASSES), sender_password="nope"))
    assert errno == "XL03000006"
    assert root.findtext("control/senderid") == DEMO_CREDENTIALS.sender_id
    assert root.findtext("control/controlid") == "req-1"


def test_async_policy_is_refused_like_an_unknown_transport_policy(gw: Gateway) -> None:
    body = envelope(fn(READ_CLASSES)).replace(
        b"<dtdversion>3.0</dtdversion>", b"<dtdversion>3.0</dtdversion><policyid>p1</policyid>"
    )
    root, errno = control_error(gw.emu, body)
    assert errno == "XL03000006"
    assert "p1 is not a valid transport policy" in (root.findtext(".//description2") or "")


def test_only_post_on_the_gateway_path(gw: Gateway) -> None:
    resp = gw.emu.handle(envelope(fn(READ_CLASSES)), method="GET")
    assert resp.status == 405
    assert ET.fromstring(resp.body).findtext("control/status") == "failure"
    assert gw.emu.handle(envelope(fn(READ_CLASSES)), path="/other").status == 404


def test_wrong_login_fails_at_authentication_level(gw: Gateway) -> None:
    root = gw.post(fn(READ_CLASSES), auth=LOGIN.replace("demo-user-password", "bad"))
    assert root.findtext("control/status") == "success"
    op = root.find("operation")
    assert op is not None
    assert op.findtext("authentication/status") == "failure"
    assert op.findtext("errormessage/error/errorno") == "XL03000006"
    assert op.find("result") is None
    assert gw.emu.stats.total_functions == 0


def test_session_is_accepted_reports_timeouts_and_slides(gw: Gateway, clock: Clock) -> None:
    auth = gw.session()
    clock.advance(minutes=90)
    root = gw.post(fn(READ_CLASSES), auth=auth)
    a = root.find("operation/authentication")
    assert a is not None
    assert a.findtext("status") == "success"
    assert a.findtext("sessiontimestamp") == "2024-03-04T11:00:00+00:00"
    assert a.findtext("sessiontimeout") == "2024-03-04T13:00:00+00:00"
    clock.advance(minutes=90)  # 3h after creation, 1.5h after last use: still alive
    assert (
        gw.post(fn(READ_CLASSES), auth=auth).findtext("operation/authentication/status")
        == "success"
    )
    clock.advance(hours=2, seconds=1)
    expired = gw.post(fn(READ_CLASSES), auth=auth)
    assert expired.findtext("operation/authentication/status") == "failure"
    assert expired.findtext("operation/errormessage/error/errorno") == "XL03000006"


def test_unknown_and_invalidated_sessions_fail(gw: Gateway) -> None:
    bad = gw.post(fn(READ_CLASSES), auth="<sessionid>nope</sessionid>")
    assert bad.findtext("operation/authentication/status") == "failure"
    auth = gw.session()
    gw.emu.invalidate_sessions()
    assert (
        gw.post(fn(READ_CLASSES), auth=auth).findtext("operation/authentication/status")
        == "failure"
    )


def test_get_api_session_reports_endpoint_and_entity(company: object, clock: Clock) -> None:
    emu = Emulator(company, clock=clock, endpoint_url="http://127.0.0.1:9/ia/xml/xmlgw.phtml")  # type: ignore[arg-type]
    gw = Gateway(emu)
    res = gw.ok("<getAPISession><locationid>L2</locationid></getAPISession>")
    assert res.findtext("data/api/endpoint") == "http://127.0.0.1:9/ia/xml/xmlgw.phtml"
    assert res.findtext("data/api/locationid") == "L2"
    sid = res.findtext("data/api/sessionid")
    root = gw.post(fn(READ_CLASSES), auth=f"<sessionid>{sid}</sessionid>")
    assert root.findtext("operation/authentication/locationid") == "L2"
    # from an entity session, back to the top level
    top = gw.ok(
        "<getAPISession><locationid/></getAPISession>", auth=f"<sessionid>{sid}</sessionid>"
    )
    assert top.findtext("data/api/locationid") == ""
    assert gw.fail("<getAPISession><locationid>NOPE</locationid></getAPISession>")


def test_entity_login_needs_an_existing_entity(gw: Gateway) -> None:
    ok = gw.post(
        fn(READ_CLASSES), auth=LOGIN.replace("</login>", "<locationid>L1</locationid></login>")
    )
    assert ok.findtext("operation/authentication/locationid") == "L1"
    bad = gw.post(
        fn(READ_CLASSES), auth=LOGIN.replace("</login>", "<locationid>ZZ</locationid></login>")
    )
    assert bad.findtext("operation/authentication/status") == "failure"


def test_results_come_in_request_order_with_their_control_ids(gw: Gateway) -> None:
    body = "".join(
        fn(f"<readByQuery><object>{o}</object><query/></readByQuery>", f"id-{o}")
        for o in ("TASK", "CLASS", "NOPE", "PROJECT")
    )
    results = gw.results(body)
    assert [r.findtext("controlid") for r in results] == [
        "id-TASK",
        "id-CLASS",
        "id-NOPE",
        "id-PROJECT",
    ]
    assert [r.findtext("status") for r in results] == ["success", "success", "failure", "success"]
    assert [r.findtext("data").__class__ for r in results]  # every result is well-formed


def test_uniqueid_refuses_a_function_control_id_that_already_ran(
    gw: Gateway, company: object
) -> None:
    create = fn("<create><CLASS><CLASSID>U1</CLASSID><NAME>one</NAME></CLASS></create>", "write-1")
    first = gw.results(create, unique_id=True)
    assert first[0].findtext("status") == "success"
    again = gw.results(create, unique_id=True, control_id="another-request")
    assert again[0].findtext("status") == "failure"
    assert again[0].findtext("errormessage/error/errorno") == "XL03000008"
    assert sum(1 for r in company.records("CLASS") if r["CLASSID"] == "U1") == 1  # type: ignore[attr-defined]
    # without uniqueid the same control id simply runs again (and fails on the duplicate ID)
    third = gw.results(create)
    assert "already exists" in ET.tostring(third[0]).decode()


def test_request_control_id_is_never_checked(gw: Gateway) -> None:
    for i in range(2):
        res = gw.results(fn(READ_CLASSES, f"fresh-{i}"), unique_id=True, control_id="same")
        assert res[0].findtext("status") == "success"


def test_transaction_rolls_back_everything_when_one_function_fails(
    gw: Gateway, company: object
) -> None:
    body = (
        fn("<create><CLASS><CLASSID>X1</CLASSID><NAME>x</NAME></CLASS></create>", "a")
        + fn("<create><CLASS><CLASSID>C1</CLASSID><NAME>duplicate</NAME></CLASS></create>", "b")
        + fn(READ_CLASSES, "c")
    )
    results = gw.results(body, transaction=True)
    assert [r.findtext("status") for r in results] == ["aborted", "failure", "aborted"]
    for r in results:
        assert r.findall("errormessage/error/errorno")[-1].text == "XL03000009"
    assert "already exists" in (results[1].findtext("errormessage/error/description2") or "")
    assert not any(r["CLASSID"] == "X1" for r in company.records("CLASS"))  # type: ignore[attr-defined]
    # the same functions without a transaction: the first one stays
    results = gw.results(body)
    assert [r.findtext("status") for r in results] == ["success", "failure", "success"]
    assert any(r["CLASSID"] == "X1" for r in company.records("CLASS"))  # type: ignore[attr-defined]


def test_transaction_success_keeps_all_writes(gw: Gateway, company: object) -> None:
    body = fn("<create><CLASS><CLASSID>Y1</CLASSID><NAME>y</NAME></CLASS></create>", "a") + fn(
        "<update><CLASS><CLASSID>Y1</CLASSID><NAME>renamed</NAME></CLASS></update>", "b"
    )
    results = gw.results(body, transaction=True)
    assert [r.findtext("status") for r in results] == ["success", "success"]
    names = [r["NAME"] for r in company.records("CLASS") if r["CLASSID"] == "Y1"]  # type: ignore[attr-defined]
    assert names == ["renamed"]


def test_unsupported_function_is_a_function_failure(gw: Gateway) -> None:
    assert gw.fail("<create_customer><customerid>X</customerid></create_customer>")


def test_stats_count_requests_and_functions(gw: Gateway) -> None:
    gw.emu.stats.reset()
    gw.results(fn(READ_CLASSES, "a") + fn("<read><object>TASK</object><keys>1</keys></read>", "b"))
    gw.emu.handle(b"junk")
    assert gw.emu.stats.http_requests == 2
    assert gw.emu.stats.functions[("readByQuery", "CLASS")] == 1
    assert gw.emu.stats.functions[("read", "TASK")] == 1
    assert gw.emu.stats.total_functions == 2


def test_records_of_one_read_are_flat_dicts(gw: Gateway) -> None:
    rows = records(gw.ok(READ_CLASSES))
    assert rows
    assert rows[0]["CLASSID"] == "C1"


def test_an_internal_error_is_a_clean_failure_and_writes_nothing(
    gw: Gateway, company: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intacct_sdk.testing import _writes
    from intacct_sdk.testing._functions import Call, Outcome

    def boom(call: Call) -> Outcome:
        d = call.company.resolve("CLASS")
        assert d is not None
        call.company.put(d, {"RECORDNO": "999", "CLASSID": "HALF", "NAME": "half written"})
        raise RuntimeError("a bug")

    monkeypatch.setitem(_writes.WRITE_FUNCTIONS, "boom", boom)
    (result,) = gw.results(fn("<boom/>"))
    assert result.findtext("status") == "failure"
    assert result.findtext("errormessage/error/errorno") == "DL02000001"
    assert company.get("CLASS", 999) is None  # type: ignore[attr-defined]
    assert company.find("CLASS", "HALF") is None  # type: ignore[attr-defined]
