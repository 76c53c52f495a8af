"""The API user's time zone and date format in the I/O-free core: reading, writing, refusing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import (
    ClientOptions,
    ConfigurationError,
    F,
    ValueFormat,
    ValueTypeError,
    ValueTyping,
    schema,
)
from intacct_sdk._formats import (
    DATE_FORMATS,
    date_format,
    from_user_formatting,
    parse_gmt_offset,
    writing,
)
from intacct_sdk._parse import parse_response
from intacct_sdk._values import convert_column, converters, format_datetime, parse_datetime
from intacct_sdk.functions import Create, Query, ReadUserFormatting
from intacct_sdk.query import query_string, quote

NY = ZoneInfo("America/New_York")


def page(tag: str, rows: list[dict[str, str]]) -> bytes:
    body = "".join(
        f"<{tag}>" + "".join(f"<{k}>{v}</{k}>" for k, v in row.items()) + f"</{tag}>"
        for row in rows
    )
    return (
        "<response><control><status>success</status></control><operation>"
        "<authentication><status>success</status></authentication><result>"
        "<status>success</status><function>query</function><controlid>c</controlid>"
        f'<data listtype="{tag}" count="{len(rows)}" numremaining="0">{body}</data>'
        "</result></operation></response>"
    ).encode()


def records(body: bytes, typing: ValueTyping) -> list[dict[str, object]]:
    result = parse_response(body, typing=typing).results[0]
    assert result.page is not None
    return result.page.records


# --------------------------------------------------------------------------- reading


def test_timestamps_and_dates_read_in_the_users_date_format_and_zone() -> None:
    rows = [
        {"RECORDNO": "1", "BEGINDATE": "24/07/2017", "WHENMODIFIED": "24/07/2017 15:19:46"},
        {"RECORDNO": "2", "BEGINDATE": "03/01/2018", "WHENMODIFIED": "03/01/2018 08:00:00"},
    ]
    got = records(page("TIMESHEET", rows), ValueTyping(timezone=NY, date_format="/dmY"))
    assert got[0]["BEGINDATE"] == date(2017, 7, 24)
    assert got[1]["BEGINDATE"] == date(2018, 1, 3)  # day first: not March 1st
    assert got[0]["WHENMODIFIED"] == datetime(2017, 7, 24, 15, 19, 46, tzinfo=NY)
    assert got[1]["WHENMODIFIED"].utcoffset() == timedelta(hours=-5)  # type: ignore[attr-defined]
    assert got[0]["WHENMODIFIED"].utcoffset() == timedelta(hours=-4)  # type: ignore[attr-defined]


def test_a_date_in_another_format_is_refused_rather_than_guessed() -> None:
    rows = [{"RECORDNO": "1", "BEGINDATE": "07/24/2017"}, {"RECORDNO": "2", "BEGINDATE": "x"}]
    # Month 24 does not exist: not a /dmY date, so not read as one.
    with pytest.raises(ValueTypeError) as info:
        records(page("TIMESHEET", rows), ValueTyping(date_format="/dmY"))
    assert (info.value.field, info.value.value, info.value.position) == (
        "BEGINDATE",
        "07/24/2017",
        0,
    )
    got = records(page("TIMESHEET", rows), ValueTyping(date_format="/dmY", strict=False))
    assert got[0]["BEGINDATE"] == "07/24/2017"  # lenient: the text, not a guess


def test_no_zone_keeps_naive_wall_time_exactly_as_written() -> None:
    rows = [{"RECORDNO": "1", "WHENMODIFIED": "07/24/2017 15:19:46"}]
    got = records(page("TIMESHEET", rows), ValueTyping())
    assert got[0]["WHENMODIFIED"] == datetime(2017, 7, 24, 15, 19, 46)


@pytest.mark.parametrize("zone", [None, NY])
def test_access_time_of_the_audit_trail_is_utc_whatever_the_users_zone(zone: object) -> None:
    assert schema.get_schema("AUDITHISTORY").field("ACCESSTIME").gmt  # type: ignore[union-attr]
    assert "ACCESSTIME" in schema.gmt_fields("audithistory")
    rows = [{"ID": "a1", "ACCESSTIME": "07/24/2017 15:19:46"}]
    got = records(page("AUDITHISTORY", rows), ValueTyping(timezone=zone))  # type: ignore[arg-type]
    assert got[0]["ACCESSTIME"] == datetime(2017, 7, 24, 15, 19, 46, tzinfo=UTC)


@pytest.mark.parametrize("code", DATE_FORMATS)
def test_every_supported_format_reads_one_by_one_and_in_bulk_alike(code: str) -> None:
    fmt = date_format(code)
    moments = [datetime(2024, 1, 31, 23, 5, 9), datetime(1999, 12, 1, 0, 0, 0)]
    texts = [fmt.format_datetime(m) for m in moments] + ["not a stamp"]
    conv = converters("TIMESHEET", NY, code)["WHENMODIFIED"]
    one_by_one = [conv(t) for t in texts]
    assert one_by_one[:2] == [m.replace(tzinfo=NY) for m in moments]
    assert convert_column(conv, list(texts)) == one_by_one
    assert convert_column(conv, list(texts[:2])) == one_by_one[:2]  # the bulk path
    dates = converters("TIMESHEET", None, code)["BEGINDATE"]
    day_texts = [fmt.format_date(m) for m in moments]
    assert convert_column(dates, day_texts) == [m.date() for m in moments]
    assert [dates(t) for t in day_texts] == [m.date() for m in moments]


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.sampled_from(DATE_FORMATS),
)
def test_writing_then_reading_a_timestamp_gives_it_back(moment: datetime, code: str) -> None:
    moment = moment.replace(microsecond=0)
    text = format_datetime(moment, code)
    assert parse_datetime(text, None, code) == moment
    assert parse_datetime(text, NY, code) == moment.replace(tzinfo=NY)


def test_tables_are_built_once_per_object_zone_and_format() -> None:
    assert converters("TIMESHEET", NY, "/dmY") is converters("TIMESHEET", NY, "/dmY")
    assert converters("TIMESHEET", NY, "/dmY") is not converters("TIMESHEET", NY, "/mdY")


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("code", ["/mdy", "dd/mm/yyyy", "/Ydm", "", "mdY"])
def test_an_unsupported_date_format_is_refused(code: str) -> None:
    with pytest.raises(ConfigurationError, match="unsupported date format"):
        ClientOptions(date_format=code)


def test_timezone_option_takes_a_zone_a_name_or_discover() -> None:
    assert ClientOptions(timezone="America/New_York").timezone == NY
    assert ClientOptions(timezone="UTC").timezone is UTC
    assert ClientOptions(timezone="discover").timezone == "discover"
    assert ClientOptions(timezone=NY).merge({"timezone": None}).timezone is None
    with pytest.raises(ConfigurationError, match="unknown time zone 'Mars/Olympus'"):
        ClientOptions(timezone="Mars/Olympus")
    with pytest.raises(ConfigurationError, match="timezone must be"):
        ClientOptions(timezone=5)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- writing


def test_aware_filter_values_are_written_in_the_users_zone_and_format() -> None:
    when = datetime(2024, 7, 1, 12, 0, 5, tzinfo=UTC)
    fn = Query("TIMESHEET", ["RECORDNO"], where=F("WHENMODIFIED") > when)
    with writing(ValueFormat(NY, "/dmY")):
        xml = fn.to_xml()
    assert "<value>01/07/2024 08:00:05</value>" in xml
    with writing(ValueFormat(NY, "-Ymd")):
        assert "<value>2024-07-01 08:00:05</value>" in fn.to_xml()


def test_naive_filter_values_are_written_as_given_and_dates_in_the_users_order() -> None:
    where = (F("WHENMODIFIED") > datetime(2024, 7, 1, 12, 0, 5)) & (
        F("BEGINDATE") == date(2024, 7, 2)
    )
    with writing(ValueFormat(NY, "/dmY")):
        xml = where.to_xml("TIMESHEET")
    assert "<value>01/07/2024 12:00:05</value>" in xml
    assert "<value>02/07/2024</value>" in xml


def test_gmt_fields_are_written_in_utc_whatever_the_users_zone() -> None:
    when = datetime(2024, 7, 1, 8, 0, 5, tzinfo=NY)
    fn = Query("AUDITHISTORY", ["ID"], where=F("ACCESSTIME") > when)
    with writing(ValueFormat(NY)):
        assert "<value>07/01/2024 12:00:05</value>" in fn.to_xml()
    # Even with the user's zone unknown: GMT is a fact of the field.
    assert "<value>07/01/2024 12:00:05</value>" in fn.to_xml()


def test_an_aware_datetime_is_refused_while_the_zone_is_unknown() -> None:
    fn = Query("TIMESHEET", ["RECORDNO"], where=F("WHENMODIFIED") > datetime.now(UTC))
    with pytest.raises(ConfigurationError, match="while the API user's time zone is unknown"):
        fn.to_xml()


def test_write_payloads_use_the_users_zone_and_date_format() -> None:
    fn = Create(
        "TIMESHEET",
        [{"BEGINDATE": date(2024, 3, 4), "CUSTOMSTAMP": datetime(2024, 3, 4, 17, 0, tzinfo=UTC)}],
    )
    with writing(ValueFormat(NY, ".dmY")):
        xml = fn.to_xml()
    assert "<BEGINDATE>04.03.2024</BEGINDATE>" in xml
    assert "<CUSTOMSTAMP>04.03.2024 12:00:00</CUSTOMSTAMP>" in xml


def test_query_strings_take_the_users_format() -> None:
    fmt = ValueFormat(NY, "/dmY")
    when = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)
    assert quote(date(2024, 1, 2), format=fmt) == "'02/01/2024'"
    text = query_string("WHENMODIFIED > ? AND BEGINDATE = ?", when, date(2024, 1, 3), format=fmt)
    assert text == "WHENMODIFIED > '02/01/2024 10:00:00' AND BEGINDATE = '03/01/2024'"
    assert quote(date(2024, 1, 2)) == "'01/02/2024'"  # no format: MM/DD/YYYY as before


# --------------------------------------------------------------------------- preferences


def formatting(**changes: str) -> dict[str, str]:
    base = {"locale": "en_US", "dateformat": "/mdY", "gmtoffset": "-0500", "clock": "24"}
    return {**base, **changes}


def test_user_formatting_gives_a_fixed_offset_zone_and_the_format() -> None:
    fmt = from_user_formatting(formatting(dateformat="-Ymd", gmtoffset="+0530"))
    assert fmt.timezone == timezone(timedelta(hours=5, minutes=30))
    assert fmt.date_format.code == "-Ymd"
    assert from_user_formatting(formatting(gmtoffset="+0000")).timezone is UTC
    assert parse_gmt_offset("-05:00") == timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"clock": "12"}, "clock is '12'"),
        ({"locale": "fr_FR"}, "locale is 'fr_FR'"),
        ({"dateformat": "/mdy"}, "date format '/mdy' cannot be read"),
        ({"gmtoffset": "EST"}, "gmtoffset 'EST'"),
        ({"gmtoffset": "-2500"}, "out of range"),
        ({"clock": ""}, "without clock"),
    ],
)
def test_preferences_the_client_cannot_read_are_refused(
    changes: dict[str, str], reason: str
) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        from_user_formatting(formatting(**changes))


def test_read_user_formatting_names_the_users_key() -> None:
    xml = ReadUserFormatting(42, control_id="c").to_xml()
    assert xml == (
        '<function controlid="c"><readUserFormatting><key>42</key></readUserFormatting></function>'
    )
    with pytest.raises(ConfigurationError):
        ReadUserFormatting("x1")
