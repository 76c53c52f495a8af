"""Wire values: typed reading never raises, writing is the inverse of reading."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import ConfigurationError
from intacct_sdk._values import (
    converters,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    to_wire,
)

dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
datetimes = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None)


@given(dates)
def test_date_round_trip(value: date) -> None:
    text = to_wire(value)
    assert text is not None
    assert len(text) == 10
    assert parse_date(text) == value


@given(datetimes)
def test_datetime_round_trip(value: datetime) -> None:
    text = to_wire(value)
    assert text is not None
    assert parse_datetime(text) == value
    aware = parse_datetime(text, UTC)
    assert isinstance(aware, datetime)
    assert aware.tzinfo is UTC
    assert aware.replace(tzinfo=None) == value


@given(decimals)
def test_decimal_round_trip(value: Decimal) -> None:
    text = to_wire(value)
    assert text is not None
    assert "E" not in text.upper()  # plain digits, never exponent notation
    assert parse_decimal(text) == value


@given(st.integers())
def test_int_round_trip(value: int) -> None:
    assert parse_int(str(to_wire(value))) == value


@given(st.booleans())
def test_bool_round_trip(value: bool) -> None:
    assert parse_bool(str(to_wire(value))) is value


@given(st.text())
def test_readers_never_raise(text: str) -> None:
    for reader in (parse_date, parse_datetime, parse_int, parse_decimal, parse_bool):
        value = reader(text)
        assert isinstance(value, str) or value is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02/30/2024", "02/30/2024"),  # no such day: stays a string
        ("2024-01-31", "2024-01-31"),
        ("1/2/2024", "1/2/2024"),
        ("\u0660\u0661/\u0660\u0662/\u0662\u0660\u0662\u0664",)
        * 2,  # non-ASCII digits are not Intacct dates
        ("01/31/2024", date(2024, 1, 31)),
    ],
)
def test_date_reading_is_strict(text: str, expected: object) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["1_000", " 1", "+1", "1.0", "NaN", "", "\u0661"])
def test_int_reading_is_strict(text: str) -> None:
    assert parse_int(text) == text


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1,000.00", "1_0", " 1"])
def test_decimal_reading_is_strict(text: str) -> None:
    assert parse_decimal(text) == text


def test_writing_formats() -> None:
    assert to_wire(date(2016, 6, 30)) == "06/30/2016"
    assert to_wire(datetime(2016, 3, 1, 12, 30, 59)) == "03/01/2016 12:30:59"
    assert to_wire(True) == "true"
    assert to_wire(Decimal("1E+3")) == "1000"
    assert to_wire(Decimal("-0")) == "0"
    assert to_wire(1.5) == "1.5"
    assert to_wire(None) is None
    assert to_wire(["a", "b"]) == "a#~#b"  # multi-select pick list


@pytest.mark.parametrize(
    "value", [Decimal("NaN"), float("inf"), object(), {"a": 1}, [None], [["x"]]]
)
def test_unwritable_values(value: object) -> None:
    with pytest.raises(ConfigurationError):
        to_wire(value)


def test_converter_table_follows_the_schema() -> None:
    table = converters("TIMESHEET")
    assert table["BEGINDATE"]("06/30/2016") == date(2016, 6, 30)
    assert table["RECORDNO"]("12") == 12
    assert table["HOURSINDAY"]("8.00") == Decimal("8.00")
    assert table["ACTUALCOST"]("false") is False
    assert "DESCRIPTION" not in table  # text fields need no converter
    emp = converters("EMPLOYEE")
    assert "PERSONALINFO.EMAIL1" not in emp  # dotted text field
    assert converters("NOSUCHOBJECT") == {}
    aware = converters("TIMESHEET", UTC)["WHENMODIFIED"]("07/24/2017 15:19:46")
    assert aware == datetime(2017, 7, 24, 15, 19, 46, tzinfo=UTC)
