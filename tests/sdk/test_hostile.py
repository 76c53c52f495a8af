"""Hostile and broken answers end in MalformedResponseError (or ServerError for 5xx), fast.

No test here asserts on time; the inputs are chosen so that a parser that expanded entities
or recursed per level would blow up memory or the stack instead of passing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intacct_sdk import GatewayError, MalformedResponseError, RateLimitError, ServerError, _xml
from intacct_sdk._parse import parse_response
from intacct_sdk._xml import parse_xml

SECRET = "TOP-SECRET-CONTENT-42"

_OPENED: list[str] = []
_RECORDING = [False]


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _RECORDING[0] and event == "open":
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one only records when asked


@pytest.fixture
def secret_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    _OPENED.clear()
    _RECORDING[0] = True
    try:
        yield path
    finally:
        _RECORDING[0] = False


def ok_response(inner: str = "") -> str:
    return (
        "<response><control><status>success</status><senderid>s</senderid>"
        "<controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion>"
        "</control><operation><authentication><status>success</status><userid>u</userid>"
        "<companyid>c</companyid></authentication>"
        f"{inner}</operation></response>"
    )


def assert_malformed(body: bytes, **kwargs: Any) -> MalformedResponseError:
    with pytest.raises(MalformedResponseError) as info:
        parse_response(body, **kwargs)
    message = str(info.value)
    assert SECRET not in message
    assert "\n" not in message
    return info.value


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz ['
    '<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]><response>&lol9;</response>"
)


def test_billion_laughs() -> None:
    assert_malformed(BILLION_LAUGHS.encode())


def test_billion_laughs_in_utf16_takes_the_guarded_road() -> None:
    for codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        assert_malformed(
            BILLION_LAUGHS.replace('"1.0"?>', f'"1.0" encoding="{codec}"?>').encode(codec)
        )


def test_doctype_hidden_by_a_declared_utf7_encoding() -> None:
    # In UTF-7, "+ADw-" is "<": a byte search for "<!DOCTYPE" cannot see this DTD.
    body = (
        b'<?xml version="1.0" encoding="UTF-7"?>'
        b'+ADw-!DOCTYPE r +AFs-+ADw-!ENTITY x "y"+AD4-+AF0-+AD4-+ADw-response+AD4-&x;'
        b"+ADw-/response+AD4-"
    )
    assert not _xml._fast_path_allowed(body)
    assert_malformed(body)


def test_encoding_declarations_the_guard_cannot_read_take_the_guarded_road() -> None:
    padded = b'<?xml version="1.0"' + b" " * 1000 + b'encoding="UTF-7"?><response/>'
    odd = b'<?xml version="1.0" encoding="UTF 7"?><response/>'
    for body in (padded, odd):
        assert not _xml._fast_path_allowed(body)
        assert_malformed(body)


def test_external_entity_never_reads_the_file(secret_file: Path) -> None:
    body = (
        f'<?xml version="1.0"?><!DOCTYPE response [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>'
        + ok_response("<result><status>success</status><function>&xxe;</function></result>")
    ).encode()
    assert_malformed(body)
    assert not any("secret" in p for p in _OPENED)


def test_parameter_entities_never_read_the_file(secret_file: Path) -> None:
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{secret_file.as_uri()}"> %p;]>'
        "<response/>"
    ).encode()
    assert_malformed(body)
    assert not any("secret" in p for p in _OPENED)


def test_external_dtd_is_refused(secret_file: Path) -> None:
    body = f'<!DOCTYPE response SYSTEM "{secret_file.as_uri()}"><response/>'.encode()
    assert_malformed(body)
    assert not any("secret" in p for p in _OPENED)


@pytest.mark.parametrize(
    "body",
    [
        b"<response>&undefined;</response>",  # no DTD: only the five built-in entities exist
        b'<response><!ENTITY x "y"></response>',
        b"<!doctype response><response/>",
    ],
)
def test_entities_without_a_dtd_are_errors(body: bytes) -> None:
    assert_malformed(body)


def test_comments_and_cdata_stay_on_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the guarded parser was used")

    monkeypatch.setattr(_xml.DET, "fromstring", refuse)
    body = ok_response(
        "<!-- a comment --><result><status>success</status><function>f</function>"
        "<controlid>c1</controlid><key><![CDATA[a<b&c]]></key></result>"
    ).encode()
    resp = parse_response(b"\xef\xbb\xbf" + body)  # with a UTF-8 byte order mark
    assert resp.results[0].payload == "a<b&c"


def test_doctype_text_inside_cdata_is_still_parsed_safely() -> None:
    body = ok_response(
        "<result><status>success</status><function>f</function><controlid>c</controlid>"
        "<key><![CDATA[<!DOCTYPE x>]]></key></result>"
    ).encode()
    assert not _xml._fast_path_allowed(body)
    assert parse_response(body).results[0].payload == "<!DOCTYPE x>"


def test_latin1_declared_answer_parses_on_the_fast_path() -> None:
    body = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + ok_response()).encode("latin-1")
    assert _xml._fast_path_allowed(body)
    assert parse_response(body).control.status == "success"


def test_truncated_answer(reference_dir: Path) -> None:
    full = (
        reference_dir / "fixtures/intacct-sdk-php/ResultTest.testLegacyReadByQueryClass.xml"
    ).read_bytes()
    for cut in (10, len(full) // 3, len(full) // 2, len(full) - 5):
        err = assert_malformed(full[:cut])
        assert "well-formed" in str(err)


def test_own_truncated_answer() -> None:
    full = (
        Path(__file__).resolve().parents[1]
        / "fixtures"
        / "responses"
        / "read_by_query_more_pages.xml"
    ).read_bytes()
    for cut in (10, len(full) // 3, len(full) // 2, len(full) - 5):
        err = assert_malformed(full[:cut])
        assert "well-formed" in str(err)


HTML_502 = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>session TOP-SECRET-CONTENT-42</p></body></html>"""


def test_html_error_page_with_5xx_is_a_server_error() -> None:
    with pytest.raises(ServerError) as info:
        parse_response(HTML_502, status_code=502, content_type="text/html")
    assert info.value.status_code == 502
    assert SECRET not in str(info.value)


def test_html_page_with_200_is_malformed() -> None:
    err = assert_malformed(HTML_502, content_type="text/html")
    assert str(err).startswith("the server answered HTML (status 200)")
    err = assert_malformed(b"<html><body>Maintenance TOP-SECRET-CONTENT-42</body></html>")
    assert str(err).startswith("the server answered HTML (status 200)")


def test_non_xml_4xx_is_malformed_with_its_status() -> None:
    err = assert_malformed(b"Not Found", status_code=404, content_type="text/plain")
    assert err.status_code == 404


def test_rate_limit_without_a_usable_body() -> None:
    with pytest.raises(RateLimitError) as info:
        parse_response(b"Too Many Requests", status_code=429, retry_after=7.5)
    assert (info.value.retry_after, info.value.status_code) == (7.5, 429)


@pytest.mark.parametrize("body", [b"", b"   \r\n\t ", b"\xef\xbb\xbf"])
def test_empty_body(body: bytes) -> None:
    assert_malformed(body)


def test_deep_nesting_of_the_whole_document() -> None:
    depth = 100_000
    assert_malformed(b"<a>" * depth + b"</a>" * depth)


def test_deep_nesting_inside_a_record() -> None:
    depth = 100_000
    deep = "<X>" * depth + "1" + "</X>" * depth
    body = ok_response(
        "<result><status>success</status><function>read</function><controlid>c</controlid>"
        f'<data listtype="CLASS" count="1"><CLASS><RECORDNO>1</RECORDNO>{deep}</CLASS></data>'
        "</result>"
    ).encode()
    err = assert_malformed(body)
    assert "nesting" in str(err)


def test_oversized_body_is_refused_before_parsing() -> None:
    body = b'<response a="' + b"x" * 2_000_000 + b'"/>'
    err = assert_malformed(body, max_bytes=1_000_000)
    assert "exceeds" in str(err)


def test_huge_attribute_within_the_limit_is_just_not_a_response() -> None:
    body = b'<html a="' + b"x" * 5_000_000 + b'"/>'
    assert_malformed(body)


def test_parse_xml_refuses_oversize_directly() -> None:
    with pytest.raises(MalformedResponseError):
        parse_xml(b"<a/>", max_bytes=3)


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_random_bytes(body: bytes) -> None:
    with pytest.raises(MalformedResponseError):
        parse_response(body)


@settings(max_examples=200)
@given(st.binary(max_size=500), st.sampled_from([500, 502, 503, 504]))
def test_random_bytes_with_server_status(body: bytes, status: int) -> None:
    with pytest.raises(GatewayError) as info:
        parse_response(body, status_code=status)
    assert isinstance(info.value, ServerError)
    assert info.value.status_code == status


@settings(max_examples=200)
@given(st.integers(min_value=1, max_value=len(ok_response()) - 1))
def test_every_truncation_of_a_valid_answer(cut: int) -> None:
    body = ok_response().encode()
    with pytest.raises(MalformedResponseError):
        parse_response(body[:cut])
