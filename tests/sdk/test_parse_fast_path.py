"""The page reader's fast path (flat records, typed per shape) agrees with the general path.

The fast path builds a flat record with one comprehension and types it with a plan made once
per record shape; the general path (:func:`intacct_sdk._parse._record`) walks every child and
looks each field up in the converter table. Whatever the values, both must give the same
record, and the None-safe converters must agree with the ``parse_*`` functions they wrap.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk._parse import _record, _records
from intacct_sdk._values import (
    ValueTyping,
    converters,
    nullable,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
)
from intacct_sdk._xml import escape_text

# EMPLOYEE fields of every converter kind, plus text fields the table does not know.
FIELDS = [
    "RECORDNO",  # INTEGER
    "EMPLOYEEID",  # TEXT
    "STARTDATE",  # DATE
    "WHENMODIFIED",  # TIMESTAMP
    "PERSONALINFO.EMAIL1",  # dotted text
    "NOT_A_FIELD",  # unknown: stays a string
]

wire_like = st.one_of(
    st.from_regex(r"-?[0-9]{1,12}", fullmatch=True),
    st.from_regex(r"[0-9]{2}/[0-9]{2}/[0-9]{4}", fullmatch=True),
    st.from_regex(r"[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True),
    st.sampled_from(["true", "false", "TRUE", "1.50", "NaN", " 7", "1_000", "\u0663"]),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        max_size=20,
    ),
)
values = st.one_of(st.none(), wire_like)
records = st.lists(st.tuples(*(values for _ in FIELDS)), min_size=1, max_size=8)


def page(rows: list[tuple[str | None, ...]], tag: str = "employee") -> ET.Element:
    parts = []
    for row in rows:
        cells = "".join(
            f"<{name}/>" if value is None else f"<{name}>{escape_text(value)}</{name}>"
            for name, value in zip(FIELDS, row, strict=True)
        )
        parts.append(f"<{tag}>{cells}</{tag}>")
    return ET.fromstring(f"<data>{''.join(parts)}</data>")


@given(records, st.sampled_from([ValueTyping(), ValueTyping(typed=False), ValueTyping(timezone=UTC)]))
def test_fast_path_equals_general_path(
    rows: list[tuple[str | None, ...]], typing: ValueTyping
) -> None:
    data = page(rows)
    table = converters("EMPLOYEE", typing.timezone) if typing.typed else {}
    expected = [_record(rec, table, typing) for rec in data]
    got = _records(data, typing)
    assert got == expected
    # Same keys in document order, and the types agree value by value (1 == True etc.).
    for g, e in zip(got, expected, strict=True):
        assert list(g) == list(e)
        assert [type(v) for v in g.values()] == [type(v) for v in e.values()]


def test_records_of_different_shapes_in_one_page_are_each_typed() -> None:
    data = ET.fromstring(
        "<data>"
        "<employee><RECORDNO>1</RECORDNO><STARTDATE>01/02/2020</STARTDATE></employee>"
        "<employee><STARTDATE>01/03/2020</STARTDATE></employee>"
        "<employee><EMPLOYEEID>E1</EMPLOYEEID><RECORDNO>3</RECORDNO></employee>"
        "<employee><RECORDNO>4</RECORDNO><RECORDNO>5</RECORDNO></employee>"
        "<project><RECORDNO>6</RECORDNO><BEGINDATE>02/03/2021</BEGINDATE></project>"
        "</data>"
    )
    got = _records(data, ValueTyping())
    assert got[0] == {"RECORDNO": 1, "STARTDATE": parse_date("01/02/2020")}
    assert got[1] == {"STARTDATE": parse_date("01/03/2020")}
    assert got[2] == {"EMPLOYEEID": "E1", "RECORDNO": 3}
    assert got[3] == {"RECORDNO": [4, 5]}  # a repeated tag takes the general path
    assert got[4] == {"RECORDNO": 6, "BEGINDATE": parse_date("02/03/2021")}


@given(st.one_of(st.none(), wire_like))
def test_nullable_converters_agree_with_the_parse_functions(text: str | None) -> None:
    plain: list[Any] = [parse_int, parse_date, parse_decimal, parse_bool, parse_datetime]
    for conv in plain:
        wrapped = nullable(conv)
        if text is None:
            assert wrapped(None) is None
        else:
            expected = conv(text)
            got = wrapped(text)
            assert got == expected
            assert type(got) is type(expected)
    table = converters("EMPLOYEE", UTC)
    aware = nullable(table["WHENMODIFIED"])
    assert aware(None) is None
    if text is not None:
        assert aware(text) == parse_datetime(text, UTC)
