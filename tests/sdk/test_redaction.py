"""Secrets quoted by the gateway never leave the client: exceptions, results, logs, the CLI."""

from __future__ import annotations

import html
import json
import logging
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable
from xml.sax.saxutils import escape

import httpx
import pytest
from _fake_gateway import (
    CREDS,
    SENDER,
    USER,
    FakeGateway,
    LoopbackServer,
    auth_block,
    control,
    xml_response,
)
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import subprocess_env

from intacct_sdk import AsyncClient, Client, ConfigurationError, Credentials, IntacctError
from intacct_sdk._log import MIN_SECRET_LENGTH, REDACTED, Redactor, redact_text
from intacct_sdk.functions import Raw

#: A password with every character the encodings change.
PASSWORD = "pa&s<s>w\"o'rd/+ é%1"


def forms(secret: str) -> dict[str, str]:
    """The forms a test looks for, written out here rather than taken from the redactor."""
    return {
        "raw": secret,
        "quote": urllib.parse.quote(secret, safe=""),
        "quote-slash": urllib.parse.quote(secret),
        "quote_plus": urllib.parse.quote_plus(secret),
        "xml": html.escape(secret, quote=True).replace("&#x27;", "&apos;"),
        "xml-text": escape(secret),
        "xml-numeric": "".join(f"&#{ord(c)};" if c in "&<>\"'" else c for c in secret),
        "json": json.dumps(secret)[1:-1],
        "json-unicode": json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        for name, form in forms(secret).items():
            assert form not in text, f"{name} form of a secret in: {text[:300]}"


def _creds(password: str = PASSWORD) -> Credentials:
    return Credentials(
        SENDER[0],
        SENDER[1],
        user_id=USER[0],
        company_id=USER[1],
        user_password=password,
        endpoint_url=CREDS.endpoint_url,
    )


def _quoting(form: str, level: str) -> Callable[[httpx.Request], httpx.Response]:
    """An answer whose error text (at ``level``) quotes ``form`` of the password."""
    text = f"Sign-in information is incorrect for password {form} (check it)"
    error = (
        "<errormessage><error><errorno>XL03000006</errorno>"
        f"<description>{escape(text)}</description><description2>{escape(text)}</description2>"
        f"<correction>Use {escape(form)}</correction></error></errormessage>"
    )

    def answer(request: httpx.Request) -> httpx.Response:
        if level == "control":
            return xml_response("<control><status>failure</status></control>" + error)
        if level == "operation":
            return xml_response(
                control() + "<operation>" + auth_block(None, "failure") + error + "</operation>"
            )
        return xml_response(
            control()
            + "<operation>"
            + auth_block(None)
            + "<result><status>failure</status><function>getAPISession</function>"
            + "<controlid>sessionProvider</controlid>"
            + error
            + "</result></operation>"
        )

    return answer


def _control_id(request: httpx.Request) -> str:
    root = ET.fromstring(request.read())
    fn = root.find("operation/content/function")
    assert fn is not None
    return fn.get("controlid", "")


def _error_texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), repr(exc.args), repr(vars(exc))]
    for detail in getattr(exc, "errors", ()):
        texts += [str(detail), repr(detail)]
    return texts


@pytest.mark.parametrize("level", ["control", "operation", "function"])
@pytest.mark.parametrize("form", sorted(forms(PASSWORD)))
def test_an_error_quoting_the_password_is_raised_redacted(level: str, form: str) -> None:
    gw = FakeGateway()
    gw.fault(1, _quoting(forms(PASSWORD)[form], level))
    with (
        Client(_creds(), transport=gw.transport()) as client,
        pytest.raises(IntacctError) as info,
    ):
        client.lookup("EMPLOYEE")
    texts = _error_texts(info.value)
    assert any(REDACTED in t for t in texts)
    assert "Sign-in information is incorrect" in str(info.value)  # the rest is kept
    for text in texts:
        assert_clean(text, [PASSWORD])


def test_failed_results_returned_to_the_caller_are_redacted() -> None:
    gw = FakeGateway()
    gw.fault(
        2,
        lambda r: xml_response(
            control()
            + "<operation>"
            + auth_block(None)
            + "<result><status>failure</status><function>fail</function>"
            + f"<controlid>{_control_id(r)}</controlid>"
            + "<errormessage><error><errorno>BL01001973</errorno>"
            + f"<description>bad {escape(SENDER[1])}</description></error></errormessage>"
            + "</result></operation>"
        ),
    )
    with Client(CREDS, transport=gw.transport()) as client:
        (result,) = client.execute([Raw("<fail/>", is_write=False)])
    assert result.errors[0].description == f"bad {REDACTED}"


def test_the_session_id_quoted_in_an_error_is_redacted() -> None:
    gw = FakeGateway({"EMPLOYEE": [{"RECORDNO": 1}]})
    with Client(CREDS, transport=gw.transport()) as client:
        client.lookup("EMPLOYEE")
        (session,) = gw.sessions
        gw.fault(
            3,
            lambda r: xml_response(
                control()
                + "<operation>"
                + auth_block(None)
                + "<result><status>failure</status><function>fail</function>"
                + f"<controlid>{_control_id(r)}</controlid>"
                + "<errormessage><error><errorno>BL01001973</errorno>"
                + f"<description>id {urllib.parse.quote(session)} and {session}</description>"
                + "</error></errormessage></result></operation>"
            ),
        )
        with pytest.raises(IntacctError) as info:
            client.execute([Raw("<fail/>", is_write=False)], raise_on_error=True)
    assert str(info.value).count(REDACTED) == 2
    for text in _error_texts(info.value):
        assert_clean(text, [session])


def test_the_wire_log_hides_every_form(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    gw = FakeGateway()
    gw.fault(1, _quoting(forms(PASSWORD)["xml"] + " " + forms(PASSWORD)["quote"], "operation"))
    with Client(_creds(), transport=gw.transport()) as client, pytest.raises(IntacctError):
        client.lookup("EMPLOYEE")
    assert "response HTTP 200" in caplog.text
    assert_clean(caplog.text, [PASSWORD])


def test_redactor_forms_and_short_secrets() -> None:
    r = Redactor([PASSWORD, "abc"])
    for form in forms(PASSWORD).values():
        assert r(f"x {form} y") == f"x {REDACTED} y"
    assert r("abc stays") == "abc stays"  # shorter than MIN_SECRET_LENGTH: not searched for
    assert MIN_SECRET_LENGTH == 4
    assert redact_text(f"<b>{escape(PASSWORD)}</b>", [PASSWORD]) == f"<b>{REDACTED}</b>"


@given(
    st.text(min_size=MIN_SECRET_LENGTH, max_size=24).filter(lambda s: s.strip() == s and s),
    st.sampled_from(sorted(forms("x"))),
)
def test_any_secret_in_any_form_is_removed(secret: str, form: str) -> None:
    text = f"before {forms(secret)[form]} after"
    assert forms(secret)[form] not in Redactor([secret])(text)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pa55word@gw.example.test/ia/xml/xmlgw.phtml",
        "https://user@gw.example.test/ia/xml/xmlgw.phtml",
    ],
)
def test_an_endpoint_with_user_information_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Credentials(SENDER[0], SENDER[1], session_id="s" * 10, endpoint_url=url)
    assert "pa55word" not in str(info.value)
    assert "user name or password" in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_vv_log_and_error_line_hide_every_form() -> None:
    gw = FakeGateway()
    quoted = " ".join(forms(PASSWORD).values())
    gw.fault(1, _quoting(quoted, "operation"))
    with LoopbackServer(gw) as server:
        env = subprocess_env(
            INTACCT_SENDER_ID=SENDER[0],
            INTACCT_SENDER_PASSWORD=SENDER[1],
            INTACCT_USER_ID=USER[0],
            INTACCT_COMPANY_ID=USER[1],
            INTACCT_USER_PASSWORD=PASSWORD,
            INTACCT_ENDPOINT_URL=server.url,
        )
        proc = subprocess.run(
            [sys.executable, "-m", "intacct_sdk.cli", "-vv", "--retries", "0", "lookup", "X"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 1, proc.stderr
    assert "response HTTP 200" in proc.stderr  # the wire log ran
    assert "Sign-in information is incorrect" in proc.stderr
    assert_clean(proc.stderr + proc.stdout, [PASSWORD])


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_async_client_raises_redacted_errors_too(anyio_backend: str) -> None:
    gw = FakeGateway()
    gw.fault(1, _quoting(" ".join(forms(PASSWORD).values()), "operation"))
    async with AsyncClient(_creds(), transport=gw.transport()) as client:
        with pytest.raises(IntacctError) as info:
            await client.lookup("EMPLOYEE")
    assert REDACTED in str(info.value)
    for text in _error_texts(info.value):
        assert_clean(text, [PASSWORD])


def test_redact_error_covers_attributes_details_and_the_chain() -> None:
    from intacct_sdk import ErrorDetail, FunctionError
    from intacct_sdk._log import redact_error

    secret = "chain-secret-1"
    cause = ValueError(f"low level {secret}")
    err = FunctionError(
        function="create",
        control_id="c1",
        errors=[ErrorDetail("E1", f"bad {secret}", correction=f"use {secret}")],
    )
    err.__cause__ = cause
    assert redact_error(err, Redactor([secret])) is err
    assert secret not in str(err) and secret not in repr(err.args)
    assert err.description == f"bad {REDACTED}"
    assert err.correction == f"use {REDACTED}"
    assert err.errors[0].correction == f"use {REDACTED}"
    assert cause.args == (f"low level {REDACTED}",)
