"""Writing records: the plain-key fast path writes what the general rules write."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import ConfigurationError
from intacct_sdk._records_xml import write_record

NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
SCALARS = st.one_of(TEXT, st.integers(-(10**6), 10**6), st.booleans(), st.none())


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@given(
    st.dictionaries(
        NAMES,
        st.one_of(SCALARS, st.dictionaries(NAMES, SCALARS, min_size=1, max_size=3)),
        max_size=6,
    )
)
def test_groups_written_from_nested_or_dotted_keys_are_the_same(record: dict[str, Any]) -> None:
    assert write_record("EMPLOYEE", record) == write_record("EMPLOYEE", _flat(record))


@pytest.mark.parametrize("bad", ["1ABC", "A B", "<X>", "", "É"])
def test_a_bad_name_is_refused_every_time_even_among_good_ones(bad: str) -> None:
    for _ in range(3):
        assert write_record("EMPLOYEE", {"EMPLOYEEID": "E1"}) == (
            "<EMPLOYEE><EMPLOYEEID>E1</EMPLOYEEID></EMPLOYEE>"
        )
        with pytest.raises(ConfigurationError, match="not a valid field name"):
            write_record("EMPLOYEE", {"EMPLOYEEID": "E1", bad: "x"})


def test_plain_string_values_are_escaped() -> None:
    record = {"NOTES": "a<b & c>d\r", "EMPTY": "", "N": 3}
    assert write_record("X", record) == (
        "<X><NOTES>a&lt;b &amp; c&gt;d&#13;</NOTES><EMPTY></EMPTY><N>3</N></X>"
    )
