"""The lxml road and the standard library's road read every answer alike.

Generated pages (records of one shape or mixed, nested groups, empty and missing leaves,
hostile text) give equal responses, or the same error, on both roads; the lxml road is
never imported by ``import intacct_sdk``.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import subprocess_env

from intacct_sdk import ConfigurationError, GatewayError, ValueTyping, _xml_lxml
from intacct_sdk._parse import parse_response
from intacct_sdk._xml import escape_text

pytestmark = pytest.mark.skipif(not _xml_lxml.available(), reason="lxml not installed")

_FIELDS = ("RECORDNO", "EMPLOYEEID", "STATUS", "WHENMODIFIED", "STARTDATE", "ACTIVE", "TITLE")
_TEXT = st.one_of(
    st.sampled_from(["", " ", "\t\n ", "]]>", "&", "a & b", "<x>", "é ü 中", "1", "07/24/2024"]),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
        max_size=12,
    ).filter(lambda t: all(c in "\t\n" or ord(c) >= 32 for c in t)),
)
_LEAF = st.tuples(st.sampled_from(_FIELDS), st.one_of(st.none(), _TEXT), st.booleans())


def _leaf(name: str, text: str | None, cdata: bool) -> str:
    if text is None:
        return f"<{name}/>"
    if cdata and "]]>" not in text:
        return f"<{name}><![CDATA[{text}]]></{name}>"
    return f"<{name}>{escape_text(text)}</{name}>"


@st.composite
def _record(draw: Any) -> str:
    leaves = draw(st.lists(_LEAF, min_size=1, max_size=5, unique_by=lambda leaf: leaf[0]))
    inner = "".join(_leaf(*leaf) for leaf in leaves)
    if draw(st.booleans()):
        group = draw(st.lists(_LEAF, min_size=1, max_size=3, unique_by=lambda leaf: leaf[0]))
        inner += "<PERSONALINFO>" + "".join(_leaf(*leaf) for leaf in group) + "</PERSONALINFO>"
    return f"<employee>{inner}</employee>"


def _page(records: list[str]) -> bytes:
    return (
        "<response><control><status>success</status></control><operation>"
        "<authentication><status>success</status><userid>u</userid></authentication>"
        "<result><status>success</status><function>readByQuery</function>"
        f'<controlid>c</controlid><data listtype="employee" count="{len(records)}">'
        f"{''.join(records)}</data></result></operation></response>"
    ).encode()


def _outcome(body: bytes, road: str, typing: ValueTyping) -> Any:
    _xml_lxml.set_backend(road)
    try:
        return parse_response(body, typing=typing)
    except GatewayError as exc:
        return (type(exc), str(exc))
    finally:
        _xml_lxml.set_backend(None)


_TYPINGS = st.sampled_from(
    [
        ValueTyping(),
        ValueTyping(strict=False),
        ValueTyping(typed=False),
        ValueTyping(date_format="/dmY"),
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=_record(),
    others=st.lists(_record(), max_size=4),
    repeat=st.integers(1, 4),
    typing=_TYPINGS,
)
def test_generated_pages_read_alike(
    shape: str, others: list[str], repeat: int, typing: ValueTyping
) -> None:
    # One shape repeated (the columnar reader) and then mixed shapes (the general one).
    for records in ([shape] * repeat, [shape, *others]):
        body = _page(records)
        assert _outcome(body, "lxml", typing) == _outcome(body, "stdlib", typing)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<response>",
        b"<response><control><status>success</status></control></response>",
        b'<!DOCTYPE r [<!ENTITY e "x">]><response>&e;</response>',
        b"<response>&undefined;</response>",
        b'<?xml version="1.0" encoding="UTF-16"?><response/>',
        b"<response><!-- c --><control><status>failure</status></control></response>",
        b"<" + b"a>" * 300 + b"</a>" * 300,  # deeper than libxml2's default limit
        b"<html><body>502</body></html>",
    ],
)
def test_refusals_alike(body: bytes) -> None:
    assert _outcome(body, "lxml", ValueTyping()) == _outcome(body, "stdlib", ValueTyping())


def test_oversize_alike() -> None:
    body = _page(["<employee><RECORDNO>1</RECORDNO></employee>"])
    outcomes = []
    for road in ("lxml", "stdlib"):
        _xml_lxml.set_backend(road)
        try:
            with pytest.raises(GatewayError) as info:
                parse_response(body, max_bytes=len(body) - 1)
            outcomes.append(str(info.value))
        finally:
            _xml_lxml.set_backend(None)
    assert outcomes[0] == outcomes[1]
    assert "exceeds the limit" in outcomes[0]


def test_unknown_choice_refused() -> None:
    with pytest.raises(ConfigurationError, match="INTACCT_SDK_XML"):
        _xml_lxml.set_backend("fastest")


def test_env_var_chooses_and_import_stays_light() -> None:
    code = (
        "import sys, intacct_sdk\n"
        "assert 'lxml' not in sys.modules\n"
        "from intacct_sdk import _xml_lxml\n"
        "from intacct_sdk._parse import parse_response\n"
        "assert 'lxml' not in sys.modules\n"
        "print(_xml_lxml.backend())\n"
        "parse_response(b'<response><control><status>success</status></control>"
        "<operation><authentication><status>success</status></authentication>"
        "</operation></response>')\n"
        "print('lxml' in sys.modules)\n"
    )
    for choice, expected in (("lxml", "lxml\nTrue\n"), ("stdlib", "stdlib\nFalse\n")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=subprocess_env(INTACCT_SDK_XML=choice),
        ).stdout
        assert out == expected
