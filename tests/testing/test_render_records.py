"""A query page written in bulk is the same text as its records written one by one.

:func:`render_records` takes a format-template road for plans without lists, and a road
with no escaping when the page has nothing to escape; :func:`render_record` walks the plan
field by field. Both must write identical XML for any values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk.testing._wire import plan_for, render_record, render_records

FIELDS = ["RECORDNO", "PERSONALINFO.EMAIL1", "PERSONALINFO.PHONE1", "NAME", "A.B.C"]

cell = st.one_of(
    st.none(),
    st.just(""),
    st.integers(),
    st.sampled_from(["plain", "O'Brien", "a & b", "<tag>", 'say "hi"', "{}", "{0}"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
)
record = st.dictionaries(st.sampled_from(FIELDS), cell)


@given(st.lists(record, max_size=6), st.booleans())
def test_bulk_render_equals_one_by_one(records: list[dict[str, Any]], flat: bool) -> None:
    plan = plan_for(FIELDS, flat=frozenset(FIELDS) if flat else frozenset())
    expected = [render_record("EMPLOYEE", r, plan) for r in records]
    assert render_records("EMPLOYEE", records, plan) == expected


def test_plans_with_lists_are_written_one_by_one() -> None:
    lines = plan_for(["QTY"])
    plan = plan_for(["RECORDNO", "ENTRIES"], lists={"ENTRIES": ("ENTRY", lines)})
    records = [{"RECORDNO": "1", "ENTRIES": [{"QTY": "8"}, {"QTY": "a<b"}]}, {"RECORDNO": "2"}]
    got = render_records("TIMESHEET", records, plan)
    assert got == [render_record("TIMESHEET", r, plan) for r in records]
    assert got[0] == (
        "<TIMESHEET><RECORDNO>1</RECORDNO>"
        "<ENTRIES><ENTRY><QTY>8</QTY></ENTRY><ENTRY><QTY>a&lt;b</QTY></ENTRY></ENTRIES>"
        "</TIMESHEET>"
    )


def test_missing_and_empty_values_are_empty_elements() -> None:
    plan = plan_for(["A", "G.B"])
    got = render_records("R", [{"A": None}, {"G.B": ""}, {"A": "x", "G.B": "y"}], plan)
    assert got == [
        "<R><A></A><G><B></B></G></R>",
        "<R><A></A><G><B></B></G></R>",
        "<R><A>x</A><G><B>y</B></G></R>",
    ]
