"""Client against emulator: the API user's zone and date format end to end, and discovery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import anyio
import attrs
import pytest
from _emulated import CREDS, NO_SLEEP, calls

from intacct_sdk import AsyncClient, Client, ConfigurationError, Credentials, F
from intacct_sdk.testing import Company, Emulator, UserPreferences

NY = ZoneInfo("America/New_York")
# The US spring-forward of 2024: 07:00 UTC on March 10 (02:00 EST became 03:00 EDT).
BEFORE = datetime(2024, 3, 10, 6, 30, tzinfo=UTC)  # 01:30 EST
AFTER = datetime(2024, 3, 10, 7, 30, tzinfo=UTC)  # 03:30 EDT
LATER = datetime(2024, 7, 24, 19, 19, 46, tzinfo=UTC)  # 15:19:46 EDT
# The emulator's clock (sessions and readUserFormatting's offset); years ahead, so that the
# client, which times sessions by its own clock, keeps the one session.
WINTER = datetime(2040, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2040, 7, 15, 12, tzinfo=UTC)


def fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def company() -> Company:
    """Three departments modified at known moments (stored, like every stamp, in UTC)."""
    c = Company()
    for n, when in enumerate((BEFORE, AFTER, LATER), start=1):
        c.insert("DEPARTMENT", {"DEPARTMENTID": f"D{n}", "TITLE": f"D{n}", "WHENMODIFIED": when})
    return c


def emulator(**prefs: object) -> Emulator:
    return Emulator(company(), clock=fixed(WINTER), **prefs)  # type: ignore[arg-type]


def client(emu: Emulator, **options: object) -> Client:
    return Client(CREDS, options=attrs.evolve(NO_SLEEP, **options), transport=emu.transport())


def modified(c: Client, **kw: object) -> dict[str, datetime]:
    rows = c.query("DEPARTMENT", ["DEPARTMENTID", "WHENMODIFIED"], **kw)  # type: ignore[arg-type]
    return {r["DEPARTMENTID"]: r["WHENMODIFIED"] for r in rows}


def test_timestamps_come_back_in_the_users_zone_across_a_dst_change() -> None:
    emu = emulator(user_timezone="America/New_York")
    with client(emu, timezone="America/New_York") as c:
        got = modified(c)
    assert got == {"D1": BEFORE, "D2": AFTER, "D3": LATER}  # the same instants
    assert [got[k].utcoffset() for k in ("D1", "D2")] == [timedelta(hours=-5), timedelta(hours=-4)]
    assert got["D1"].tzinfo is NY
    assert (got["D1"].hour, got["D2"].hour) == (1, 3)  # wall time as the user sees it


def test_without_a_zone_timestamps_are_the_users_naive_wall_time() -> None:
    emu = emulator(user_timezone="America/New_York")
    with client(emu) as c:
        got = modified(c)
    assert got["D3"] == datetime(2024, 7, 24, 15, 19, 46)  # not UTC, not guessed aware


def test_an_aware_filter_value_selects_by_instant_in_the_users_zone() -> None:
    emu = emulator(user_timezone="America/New_York", date_format="/dmY")
    with client(emu, timezone=NY, date_format="/dmY") as c:
        # 02:00 EST does not exist that night; 06:45 UTC lies between D1 and D2.
        after = modified(c, where=F("WHENMODIFIED") > datetime(2024, 3, 10, 6, 45, tzinfo=UTC))
        exact = modified(c, where=F("WHENMODIFIED") == AFTER.astimezone(UTC))
    assert sorted(after) == ["D2", "D3"]
    assert list(exact) == ["D2"]


def test_a_filter_in_the_wrong_zone_would_select_other_records() -> None:
    # The same filter, written as if the user were on UTC, misses D2: the emulator reads
    # filter values in the user's zone, as the gateway does.
    emu = emulator(user_timezone="America/New_York")
    with client(emu, timezone=UTC) as c:
        after = modified(c, where=F("WHENMODIFIED") > datetime(2024, 3, 10, 6, 45, tzinfo=UTC))
    assert sorted(after) == ["D3"]


def test_dates_read_filter_and_write_in_a_day_first_format() -> None:
    emu = emulator(date_format="/dmY")
    for n, start in ((1, date(2021, 4, 3)), (2, date(2021, 3, 4))):
        emp = {"EMPLOYEEID": f"E{n}", "STARTDATE": start, "PERSONALINFO.CONTACTNAME": f"P{n}"}
        emu.company.insert("EMPLOYEE", emp)
    with client(emu, date_format="/dmY") as c:
        rows = c.query("EMPLOYEE", ["EMPLOYEEID", "STARTDATE"], order_by=[("EMPLOYEEID", "asc")])
        assert [r["STARTDATE"] for r in rows] == [date(2021, 4, 3), date(2021, 3, 4)]
        hits = c.query("EMPLOYEE", ["EMPLOYEEID"], where=F("STARTDATE") == date(2021, 4, 3))
        assert [r["EMPLOYEEID"] for r in hits] == ["E1"]
        c.update("EMPLOYEE", {"EMPLOYEEID": "E2", "STARTDATE": date(2022, 1, 13)})
    assert emu.company.find("EMPLOYEE", "E2")["STARTDATE"] == "01/13/2022"  # type: ignore[index]
    # A /mdY client talking to a /dmY user would swap day and month: the user's format
    # rejects 13 as a month rather than storing another date.
    with client(emu) as c, pytest.raises(Exception, match="not a date in the user's format"):
        c.update("EMPLOYEE", {"EMPLOYEEID": "E2", "STARTDATE": date(2022, 1, 13)})


def test_write_stamps_are_stored_in_utc_and_shown_in_the_users_zone() -> None:
    moment = datetime(2024, 7, 1, 16, 0, tzinfo=UTC)
    emu = Emulator(Company(), user_timezone="America/New_York")
    emu.company.clock = fixed(moment)  # the stamp of the write; sessions keep real time
    with client(emu, timezone="America/New_York") as c:
        c.create("DEPARTMENT", {"DEPARTMENTID": "N1", "TITLE": "New"})
        got = modified(c)
    assert emu.company.find("DEPARTMENT", "N1")["WHENMODIFIED"] == "07/01/2024 16:00:00"  # type: ignore[index]
    assert got["N1"] == moment
    assert got["N1"].hour == 12


def test_fall_back_hour_is_ambiguous_and_read_as_its_first_occurrence() -> None:
    # 05:30 and 06:30 UTC on 2024-11-03 are both 01:30 in New York; the gateway's text
    # cannot tell them apart, and the client takes the earlier (fold=0), as documented.
    c0 = Company()
    for n, when in enumerate(
        (datetime(2024, 11, 3, 5, 30, tzinfo=UTC), datetime(2024, 11, 3, 6, 30, tzinfo=UTC)), 1
    ):
        c0.insert("DEPARTMENT", {"DEPARTMENTID": f"D{n}", "TITLE": "x", "WHENMODIFIED": when})
    emu = Emulator(c0, user_timezone="America/New_York")
    with client(emu, timezone=NY) as c:
        got = modified(c)
    # (Compared in UTC: Python never finds a repeated-hour time equal across zones.)
    first = datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert got["D1"].astimezone(UTC) == got["D2"].astimezone(UTC) == first
    assert (got["D1"].hour, got["D1"].fold) == (1, 0)


# --------------------------------------------------------------------------- discovery


def test_discovery_costs_two_requests_once_and_finds_the_offset() -> None:
    emu = emulator(user_timezone="America/New_York", date_format="-Ymd")
    with client(emu, timezone="discover") as c:
        got = modified(c)
        assert c.stats.http_requests == 4  # login, readByName USERINFO, readUserFormatting, query
        assert c.stats.functions == 4
        modified(c)
        assert c.timestamp_zone() == timezone(timedelta(hours=-5))  # January at the emulator
        assert c.value_format().date_format.code == "-Ymd"
        assert c.stats.http_requests == 5  # cached: one more query, no more discovery
    assert calls(emu, "readUserFormatting") == 1
    assert calls(emu, "readByName") == 1
    assert got["D1"] == BEFORE  # a fixed offset: right for winter stamps...


def test_a_fixed_offset_misreads_stamps_from_the_other_side_of_dst() -> None:
    # ...and an hour off for summer ones: the documented reason to name the zone instead.
    emu = emulator(user_timezone="America/New_York")
    with client(emu, timezone="discover") as c:
        got = modified(c)
    assert got["D3"] - LATER == timedelta(hours=1)


def test_discovery_in_summer_reports_the_summer_offset() -> None:
    emu = Emulator(company(), clock=fixed(SUMMER), user_timezone="America/New_York")
    with client(emu) as c:
        assert c.timestamp_zone() is None  # not configured: unknown, nothing sent
        assert c.stats.http_requests == 0
    with client(emu, timezone="discover") as c:
        assert c.timestamp_zone() == timezone(timedelta(hours=-4))
        assert c.stats.http_requests == 3


@pytest.mark.parametrize(
    ("prefs", "reason"),
    [
        (UserPreferences(clock="12"), "clock is '12'"),
        (UserPreferences(locale="fr_FR"), "locale is 'fr_FR'"),
        (UserPreferences(date_format="/dmy"), "date format '/dmy' cannot be read"),
    ],
)
def test_discovery_refuses_preferences_it_cannot_read(prefs: UserPreferences, reason: str) -> None:
    emu = Emulator(company(), preferences=prefs)
    with client(emu, timezone="discover") as c, pytest.raises(ConfigurationError, match=reason):
        list(c.query("DEPARTMENT", ["DEPARTMENTID"]))
    assert calls(emu, "query") == 0  # nothing was read with a guessed format


def test_a_configured_date_format_must_match_the_discovered_one() -> None:
    emu = emulator(date_format="/dmY")
    with (
        client(emu, timezone="discover", date_format="/mdY") as c,
        pytest.raises(ConfigurationError, match="preference is '/dmY'"),
    ):
        list(c.query("DEPARTMENT", ["DEPARTMENTID"]))


def test_discovery_needs_a_user_id() -> None:
    emu = emulator()
    creds = Credentials("s", "p", session_id="abc", endpoint_url=CREDS.endpoint_url)
    opts = attrs.evolve(NO_SLEEP, timezone="discover")
    with (
        Client(creds, options=opts, transport=emu.transport()) as c,
        pytest.raises(ConfigurationError, match="needs the user_id"),
    ):
        c.timestamp_zone()


def test_async_client_discovers_once_too() -> None:
    emu = emulator(user_timezone="America/New_York", date_format="/dmY")

    async def main() -> tuple[object, int, list[dict[str, object]]]:
        opts = attrs.evolve(NO_SLEEP, timezone="discover")
        async with AsyncClient(CREDS, options=opts, transport=emu.transport()) as c:
            zone = await c.timestamp_zone()
            rows = [r async for r in c.query("DEPARTMENT", ["DEPARTMENTID", "WHENMODIFIED"])]
            return zone, c.stats.http_requests, rows

    zone, requests, rows = anyio.run(main)
    assert zone == timezone(timedelta(hours=-5))
    assert requests == 4
    assert {r["WHENMODIFIED"] for r in rows} >= {BEFORE}  # type: ignore[comparison-overlap]
    assert calls(emu, "readUserFormatting") == 1


def test_readbyquery_strings_take_the_clients_format() -> None:
    from intacct_sdk.query import query_string

    emu = emulator(user_timezone="America/New_York", date_format="/dmY")
    with client(emu, timezone=NY, date_format="/dmY") as c:
        where = query_string("WHENMODIFIED > ?", AFTER, format=c.value_format())
        rows = list(c.read_by_query("DEPARTMENT", where, fields=["DEPARTMENTID"]))
    assert [r["DEPARTMENTID"] for r in rows] == ["D3"]


def test_per_call_options_override_the_zone() -> None:
    emu = emulator(user_timezone="America/New_York")
    with client(emu) as c:
        rows = c.query("DEPARTMENT", ["DEPARTMENTID", "WHENMODIFIED"], options={"timezone": NY})
        assert {r["DEPARTMENTID"]: r["WHENMODIFIED"] for r in rows}["D3"] == LATER
        assert c.timestamp_zone(options={"timezone": NY}) is NY
