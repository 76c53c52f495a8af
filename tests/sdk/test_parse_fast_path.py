"""The page reader's fast paths agree with its general path, whatever the values.

The fast paths build flat records with one comprehension, records with groups from a plan
made once per shape, and type whole columns at once (each distinct text converted once,
digit columns by ``int``); the general path (:func:`intacct_sdk._read_records._record`) walks every
child and converts each field through the converter table. Both must give equal records,
with equal value types and the same key order.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import ValueTypeError
from intacct_sdk._read_records import _record, _records, _uniform_records
from intacct_sdk._values import ValueTyping, convert_column, convert_many, converters, parse_date
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


def cell(name: str, value: str | None) -> str:
    return f"<{name}/>" if value is None else f"<{name}>{escape_text(value)}</{name}>"


def page(rows: list[tuple[str | None, ...]], grouped: bool, tag: str = "employee") -> ET.Element:
    parts = []
    for row in rows:
        cells = [cell(name, value) for name, value in zip(FIELDS, row, strict=True)]
        if grouped:  # PERSONALINFO.EMAIL1 as <PERSONALINFO><EMAIL1>..</EMAIL1><PHONE1/>..
            cells[4] = f"<PERSONALINFO>{cell('EMAIL1', row[4])}<PHONE1>1</PHONE1></PERSONALINFO>"
        parts.append(f"<{tag}>{''.join(cells)}</{tag}>")
    return ET.fromstring(f"<data>{''.join(parts)}</data>")


@given(
    records,
    st.booleans(),
    st.sampled_from(
        [
            ValueTyping(strict=False),
            ValueTyping(typed=False),
            ValueTyping(timezone=UTC, strict=False),
        ]
    ),
)
def test_fast_path_equals_general_path(
    rows: list[tuple[str | None, ...]], grouped: bool, typing: ValueTyping
) -> None:
    data = page(rows, grouped)
    table = converters("EMPLOYEE", typing.timezone) if typing.typed else {}
    expected = [_record(rec, table, typing) for rec in data]
    got = _records(data, typing)
    assert got == expected
    # Same keys in document order, and the types agree value by value (1 == True etc.).
    for g, e in zip(got, expected, strict=True):
        assert list(g) == list(e)
        assert [type(v) for v in g.values()] == [type(v) for v in e.values()]


@given(records, st.booleans())
def test_strict_reading_refuses_exactly_what_lenient_reading_leaves_untyped(
    rows: list[tuple[str | None, ...]], grouped: bool
) -> None:
    data = page(rows, grouped)
    table = converters("EMPLOYEE")
    lenient = _records(data, ValueTyping(strict=False))
    untyped = [
        (i, name)
        for i, rec in enumerate(lenient)
        for name, value in rec.items()
        if name in table and isinstance(value, str)
    ]
    if not untyped:
        assert _records(data, ValueTyping()) == lenient
        return
    with pytest.raises(ValueTypeError) as info:
        _records(data, ValueTyping())
    assert (info.value.position, info.value.field) in untyped
    assert info.value.object_name == "EMPLOYEE"


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


@pytest.mark.parametrize(
    "second",
    [
        # Same tags in document order, different nesting: not one shape.
        "<employee><PERSONALINFO/><EMAIL1>b@x</EMAIL1><RECORDNO>2</RECORDNO></employee>",
        # A leaf of the first record holds a child here.
        "<employee><PERSONALINFO><EMAIL1>b@x</EMAIL1></PERSONALINFO>"
        "<RECORDNO><X>2</X></RECORDNO></employee>",
        # A different record tag with the same children.
        "<project><PERSONALINFO><EMAIL1>b@x</EMAIL1></PERSONALINFO><RECORDNO>2</RECORDNO></project>",
        # One element more: the page holds more elements than the shape repeated.
        "<employee><PERSONALINFO><EMAIL1>b@x</EMAIL1><PHONE1/></PERSONALINFO></employee>",
    ],
)
def test_pages_that_only_look_uniform_take_the_general_path(second: str) -> None:
    first = "<employee><PERSONALINFO><EMAIL1>a@x</EMAIL1></PERSONALINFO><RECORDNO>1</RECORDNO></employee>"
    data = ET.fromstring(f"<data>{first}{second}{first}</data>")
    typing = ValueTyping()
    expected = []
    for rec in data:
        table = converters(str(rec.tag).upper())
        expected.append(_record(rec, table, typing))
    assert _records(data, typing) == expected
    assert expected[0] == {"PERSONALINFO.EMAIL1": "a@x", "RECORDNO": 1}


def test_digit_columns_beyond_the_int_limit_are_refused_or_stay_strings() -> None:
    huge = "9" * 5000  # int() refuses more than 4300 digits by default
    data = ET.fromstring(
        f"<data><employee><RECORDNO>{huge}</RECORDNO></employee>"
        "<employee><RECORDNO>7</RECORDNO></employee></data>"
    )
    got = _records(data, ValueTyping(strict=False))
    assert got == [{"RECORDNO": huge}, {"RECORDNO": 7}]
    with pytest.raises(ValueTypeError) as info:
        _records(data, ValueTyping())
    assert (info.value.field, info.value.position) == ("RECORDNO", 0)
    assert len(str(info.value)) < 400  # the message shows the start of a long value


column_texts = st.sets(
    st.one_of(
        wire_like,
        st.from_regex(r"(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])/(19|20)[0-9]{2}", fullmatch=True),
        st.from_regex(
            r"(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])/20[0-9]{2} [01][0-9]:[0-5][0-9]:[0-5][0-9]",
            fullmatch=True,
        ),
        st.from_regex(r"[0-9]{1,30}", fullmatch=True),
    ),
    min_size=1,
    max_size=12,
)


@given(column_texts)
def test_bulk_conversion_equals_one_by_one(texts: set[str]) -> None:
    convs = {
        *converters("EMPLOYEE").values(),
        *converters("TIMESHEETENTRY").values(),
        converters("EMPLOYEE", UTC)["WHENMODIFIED"],  # aware timestamps, bulk too
    }
    for conv in convs:
        got = convert_many(conv, texts)
        assert got.keys() == texts
        for text in texts:
            expected = conv(text)
            assert got[text] == expected
            assert type(got[text]) is type(expected)


def test_bulk_conversion_takes_every_row_of_a_column() -> None:
    texts = {"01/02/2024", "12/31/1999", "02/29/2024"}
    assert convert_many(parse_date, texts) == {t: parse_date(t) for t in texts}
    odd = {"01/02/2024", "02/30/2024", "01/02/2024\n03/04/2024"}  # no such day; a newline
    assert convert_many(parse_date, odd) == {t: parse_date(t) for t in odd}


@given(
    st.lists(st.one_of(st.none(), column_texts.map(sorted).flatmap(st.sampled_from)), min_size=1),
    st.booleans(),
)
def test_column_conversion_equals_one_by_one(column: list[str | None], distinct: bool) -> None:
    if distinct:  # the in-order path: no None, no repeat
        column = list(dict.fromkeys(t for t in column if t is not None)) or column
    convs = {
        *converters("EMPLOYEE").values(),
        *converters("TIMESHEETENTRY").values(),
        converters("EMPLOYEE", UTC)["WHENMODIFIED"],
    }
    for conv in convs:
        got = convert_column(conv, list(column))
        expected = [None if t is None else conv(t) for t in column]
        assert got == expected
        assert list(map(type, got)) == list(map(type, expected))


def _nest(tags: list[str], depths: list[int]) -> str:
    """The record content whose elements, in document order, have these tags and depths."""
    out: list[str] = []
    open_tags: list[str] = []
    for i, (tag, depth) in enumerate(zip(tags, depths, strict=True)):
        while len(open_tags) >= depth:
            out.append(f"</{open_tags.pop()}>")
        out.append(f"<{tag}>")
        open_tags.append(tag)
        if i + 1 == len(tags) or depths[i + 1] <= depth:
            out.append(str(i))  # a leaf: some text
    while open_tags:
        out.append(f"</{open_tags.pop()}>")
    return "".join(out)


@st.composite
def lookalike_pages(draw: st.DrawFn) -> ET.Element:
    """Records whose tags read the same in document order while their nesting may differ
    (one tag sequence, several random nestings of it)."""
    tags = draw(st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=2, max_size=7))
    shapes = []
    for _ in range(2):
        depths = [1]
        for _ in tags[1:]:
            depths.append(draw(st.integers(1, depths[-1] + 1)))
        shapes.append(_nest(tags, depths))
    rows = draw(st.lists(st.sampled_from(shapes), min_size=2, max_size=5))
    return ET.fromstring(f"<data>{''.join(f'<R>{row}</R>' for row in rows)}</data>")


def _structure(elem: ET.Element) -> str:
    return f"{elem.tag}({','.join(_structure(c) for c in elem)})"


@given(lookalike_pages())
def test_the_column_reader_takes_only_pages_of_one_structure(data: ET.Element) -> None:
    got = _uniform_records(data, ValueTyping(typed=False))
    if got is None:
        return
    assert len({_structure(rec) for rec in data}) == 1
    assert got == [_record(rec, {}, ValueTyping(typed=False)) for rec in data]
