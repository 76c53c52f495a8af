"""The filter builder: XML that an independent reader maps back to the same filter."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import ConfigurationError, F, Filter, and_, or_
from intacct_sdk._values import to_wire
from intacct_sdk.query import query_string, quote

# ------------------------------------------------------------ an independent reader


def read_filter(elem: ET.Element) -> Any:
    """Map filter XML to nested tuples: (op, field, values) or (op, [children])."""
    if elem.tag in ("and", "or"):
        return (elem.tag, [read_filter(c) for c in elem])
    field = elem.findtext("field")
    values = [v.text or "" for v in elem.iterfind("value")]
    assert [c.tag for c in elem] == ["field"] + ["value"] * len(values)
    return (elem.tag, field, values)


def parse_filter_xml(xml: str) -> Any:
    return read_filter(ET.fromstring(xml))


def expected(f: Filter) -> Any:
    if f.op in ("and", "or"):
        return (f.op, [expected(c) for c in f.children])
    # Dates are kept as values and written when the XML is built (in the user's format).
    return (f.op, f.field, [v if isinstance(v, str) else to_wire(v) for v in f.values])


# ------------------------------------------------------------ strategies

names = st.from_regex(r"[A-Z][A-Z0-9_]{0,10}(\.[A-Z][A-Z0-9_]{0,8})?", fullmatch=True)
texts = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n"
    ),
    max_size=30,
)
values = st.one_of(
    texts,
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.booleans(),
)


def leaves() -> st.SearchStrategy[Filter]:
    return st.one_of(
        st.builds(lambda n, v: F(n) == v, names, values),
        st.builds(lambda n, v: F(n) != v, names, values),
        st.builds(lambda n, v: F(n) < v, names, values),
        st.builds(lambda n, v: F(n) <= v, names, values),
        st.builds(lambda n, v: F(n) > v, names, values),
        st.builds(lambda n, v: F(n) >= v, names, values),
        st.builds(lambda n, a, b: F(n).between(a, b), names, values, values),
        st.builds(lambda n, vs: F(n).in_(vs), names, st.lists(values, min_size=1, max_size=5)),
        st.builds(lambda n, vs: F(n).not_in(vs), names, st.lists(values, min_size=1, max_size=5)),
        st.builds(lambda n, p: F(n).like(p), names, texts),
        st.builds(lambda n, p: F(n).not_like(p), names, texts),
        st.builds(lambda n: F(n).is_null(), names),
        st.builds(lambda n: F(n).is_not_null(), names),
    )


filters = st.recursive(
    leaves(),
    lambda kids: st.one_of(
        st.builds(lambda xs: and_(*xs), st.lists(kids, min_size=1, max_size=4)),
        st.builds(lambda xs: or_(*xs), st.lists(kids, min_size=1, max_size=4)),
        st.builds(lambda a, b: a & b, kids, kids),
        st.builds(lambda a, b: a | b, kids, kids),
    ),
    max_leaves=12,
)


@given(filters)
def test_filter_xml_round_trip(f: Filter) -> None:
    assert parse_filter_xml(f.to_xml()) == expected(f)


@given(filters)
def test_and_or_nodes_always_have_two_children(f: Filter) -> None:
    root = ET.fromstring(f.to_xml())
    for node in root.iter():
        if node.tag in ("and", "or"):
            assert len(node) >= 2


@given(names, values)
def test_values_are_written_in_wire_format(name: str, value: Any) -> None:
    (op, field, (text,)) = parse_filter_xml((F(name) == value).to_xml())
    assert (op, field) == ("equalto", name)
    if isinstance(value, bool):
        assert text == ("true" if value else "false")
    elif isinstance(value, date):
        assert text == value.strftime("%m/%d/%Y") if value.year >= 1000 else len(text) == 10
    elif isinstance(value, int | Decimal):
        assert Decimal(text) == value
    else:
        assert text == value


def test_filters_are_values() -> None:
    a = (F("STATUS") == "active") & (F("X") > 1)
    b = (F("STATUS") == "active") & (F("X") > 1)
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != (F("STATUS") == "active") | (F("X") > 1)


def test_same_operator_nesting_is_flattened() -> None:
    f = (F("A") == 1) & (F("B") == 2) & (F("C") == 3)
    assert f.op == "and"
    assert len(f.children) == 3
    mixed = ((F("A") == 1) | (F("B") == 2)) & (F("C") == 3)
    assert [c.op for c in mixed.children] == ["or", "equalto"]


def test_single_child_is_unwrapped() -> None:
    leaf = F("A") == 1
    assert and_(leaf) is leaf
    assert or_(leaf) is leaf


@pytest.mark.parametrize(
    "build",
    [
        lambda: and_(),
        lambda: or_(),
        lambda: F("A").in_([]),
        lambda: F("A").in_(range(1001)),
        lambda: F("A").not_in(range(1001)),
        lambda: F(""),
        lambda: F("A") == None,  # noqa: E711 - the point of the test
        lambda: Filter("and", children=(F("A") == 1,)),
        lambda: Filter("bogus", "A", ("1",)),
        lambda: Filter("between", "A", ("1",)),
    ],
)
def test_limits(build: Any) -> None:
    with pytest.raises(ConfigurationError):
        build()


def test_in_accepts_exactly_one_thousand_values() -> None:
    assert len(F("A").in_(range(1000)).values) == 1000


def test_escaping_in_filter_xml() -> None:
    xml = (F("NAME") == "a<b & 'c' \"d\"").to_xml()
    assert "<value>a&lt;b &amp; 'c' \"d\"</value>" in xml


def test_quote() -> None:
    assert quote("Jane's Deli") == "'Jane\\'s Deli'"
    assert quote("back\\slash") == "'back\\\\slash'"
    assert quote(12) == "12"
    assert quote(Decimal("1.50")) == "1.50"
    assert quote(date(2024, 1, 2)) == "'01/02/2024'"
    assert quote(True) == "'T'"
    assert query_string("EMPLOYEEID = ? AND STATUS = ?", "E'1", "T") == (
        "EMPLOYEEID = 'E\\'1' AND STATUS = 'T'"
    )
    with pytest.raises(ConfigurationError):
        query_string("A = ?", 1, 2)


@given(texts)
def test_quote_round_trips_through_a_backslash_reader(text: str) -> None:
    quoted = quote(text)
    assert quoted[0] == quoted[-1] == "'"
    out, i, body = [], 0, quoted[1:-1]
    while i < len(body):
        ch = body[i]
        assert ch != "'", "an unescaped quote would end the literal"
        if ch == "\\":
            i += 1
            ch = body[i]
        out.append(ch)
        i += 1
    assert "".join(out) == text
