"""Secrets never reach a log line, a repr or an exception message."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from _fake_gateway import (
    CREDS,
    SENDER,
    USER,
    FakeGateway,
    auth_failure,
    html_page,
)
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import Client, ClientOptions, IntacctError, RetryPolicy
from intacct_sdk._log import REDACTED, SENSITIVE_ELEMENTS, Redactor, redact_xml
from intacct_sdk.functions import Raw


def test_every_sensitive_element_is_redacted_any_case() -> None:
    for tag in SENSITIVE_ELEMENTS:
        for variant in (tag, tag.upper(), tag.title()):
            text = f'<a><{variant} x="1">top-secret</{variant}><b>keep</b></a>'
            out = redact_xml(text)
            assert "top-secret" not in out
            assert f'<{variant} x="1">{REDACTED}</{variant}>' in out
            assert "<b>keep</b>" in out


def test_multiline_cdata_and_truncated_bodies() -> None:
    out = redact_xml("<password>\n  <![CDATA[sec\nret]]>\n</password><sessionid>half-writ")
    assert "sec" not in out
    assert "half-writ" not in out


def test_session_ids_in_urls() -> None:
    out = redact_xml("GET https://h/x?a=1&sessionid=abc.def&b=2 and session_id=zzz;")
    assert "abc.def" not in out
    assert "zzz" not in out
    assert "a=1" in out
    assert "b=2" in out


def test_php_message_formatter_fixture(reference_dir: Path) -> None:
    body = (
        reference_dir
        / "fixtures"
        / "intacct-sdk-php"
        / "MessageFormatterTest.testRequestAndResponseRemoval.xml"
    ).read_text()
    out = redact_xml(body)
    for secret in ("fAkESesSiOnId..", "99-9999999", "1111222233334444"):
        assert secret in body
        assert secret not in out
    assert "V0004" in out


def test_own_response_is_redacted() -> None:
    body = (
        Path(__file__).resolve().parents[1] / "fixtures" / "responses" / "three_results.xml"
    ).read_text()
    out = redact_xml(body)
    for secret in ("triple..", "12-3456789", "9876543210012345"):
        assert secret in body
        assert secret not in out


@given(st.text(alphabet=st.characters(blacklist_characters="<>&"), min_size=1))
def test_any_password_text_is_removed(secret: str) -> None:
    out = redact_xml(f"<control><password>{secret}</password></control>")
    assert out == f"<control><password>{REDACTED}</password></control>"


def test_redactor_removes_known_values_anywhere() -> None:
    r = Redactor(["s3cr3t-value", None, "ab"])
    assert r("error near s3cr3t-value!") == f"error near {REDACTED}!"
    assert r("ab stays") == "ab stays"  # too short to be a real secret
    assert "s3cr3t" not in repr(r)


def test_full_sessions_at_debug_leak_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log line of sessions with logins, retries, refreshes and failures."""
    caplog.set_level(logging.DEBUG)
    gw = FakeGateway({"EMPLOYEE": [{"RECORDNO": 1, "EMPLOYEEID": "E1"}]})
    gw.fault(3, lambda r: html_page(503))
    gw.fault(5, lambda r: auth_failure())

    def echo_secret(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach with {USER[2]}", request=request)

    gw.fault(7, echo_secret)
    creds = CREDS
    options = ClientOptions(retry=RetryPolicy(jitter=0, sleep=lambda s: None))
    errors: list[str] = []
    with Client(creds, options=options, transport=gw.transport()) as client:
        list(client.query("EMPLOYEE", ["RECORDNO"]))
        client.read("EMPLOYEE", [1])
        client.lookup("EMPLOYEE")
        client.create("EMPLOYEE", [{"PERSONALINFO.CONTACTNAME": "x", "SSN": "123-45-6789"}])
        try:
            client.execute([Raw("<fail/>", is_write=False)], raise_on_error=True)
        except IntacctError as exc:
            errors.append(str(exc))
        errors.append(repr(client.credentials))
        errors.append(repr(client._sessions.session))
    secrets = [SENDER[1], USER[2], "123-45-6789", *gw.sessions]
    assert len(gw.sessions) == 2  # a login and a renewal happened
    lines = [caplog.text, *(r.getMessage() for r in caplog.records), *errors]
    assert any("<password>REDACTED</password>" in line for line in lines)
    assert any("<sessionid>REDACTED</sessionid>" in line for line in lines)
    for line in lines:
        for secret in secrets:
            assert secret not in line, f"secret leaked into: {line[:200]}"
