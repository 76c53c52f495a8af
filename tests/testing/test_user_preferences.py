"""The emulated API user's preferences: how timestamps and dates are shown, read and reported."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.testing.emu_helpers import Clock, Gateway, records

from conftest import subprocess_env
from intacct_sdk import Client, ConfigurationError, Credentials
from intacct_sdk._config import format_settings
from intacct_sdk.testing import DEMO_CREDENTIALS, Company, Emulator
from intacct_sdk.testing._cli import register, run
from intacct_sdk.testing._prefs import DEFAULT_PREFERENCES, Presenter, UserPreferences
from intacct_sdk.testing._server import serve

NY = ZoneInfo("America/New_York")


def gateway(**prefs: object) -> Gateway:
    company = Company()
    company.insert(
        "DEPARTMENT",
        {
            "DEPARTMENTID": "D1",
            "TITLE": "One",
            "WHENMODIFIED": datetime(2024, 7, 24, 19, 19, 46, tzinfo=UTC),
        },
    )
    company.insert(
        "EMPLOYEE",
        {"EMPLOYEEID": "E1", "PERSONALINFO.CONTACTNAME": "A", "STARTDATE": date(2021, 4, 3)},
    )
    return Gateway(Emulator(company, clock=Clock(), **prefs))  # type: ignore[arg-type]


def query(field: str, obj: str = "DEPARTMENT", where: str = "") -> str:
    flt = f"<filter>{where}</filter>" if where else ""
    return f"<query><object>{obj}</object><select><field>{field}</field></select>{flt}</query>"


def test_the_default_user_sees_values_exactly_as_stored() -> None:
    gw = gateway()
    assert gw.emu.preferences == DEFAULT_PREFERENCES
    row = records(gw.ok(query("WHENMODIFIED")))[0]
    assert row["WHENMODIFIED"] == "07/24/2024 19:19:46"


def test_each_read_function_shows_the_users_zone_and_format() -> None:
    gw = gateway(user_timezone="America/New_York", date_format="-Ymd")
    shown = "2024-07-24 15:19:46"
    assert records(gw.ok(query("WHENMODIFIED")))[0]["WHENMODIFIED"] == shown
    read = "<read><object>DEPARTMENT</object><keys>1</keys><fields>*</fields></read>"
    assert records(gw.ok(read))[0]["WHENMODIFIED"] == shown
    rbq = "<readByQuery><object>DEPARTMENT</object><fields>*</fields><query></query></readByQuery>"
    assert records(gw.ok(rbq))[0]["WHENMODIFIED"] == shown
    emp = records(gw.ok(query("STARTDATE", "EMPLOYEE")))[0]
    assert emp["STARTDATE"] == "2021-04-03"
    # Stored values do not change.
    assert gw.emu.company.get("DEPARTMENT", 1)["WHENMODIFIED"] == "07/24/2024 19:19:46"  # type: ignore[index]


def test_filter_values_are_read_in_the_users_zone_and_format() -> None:
    gw = gateway(user_timezone="America/New_York", date_format="/dmY")

    def hits(where: str, obj: str = "DEPARTMENT", field: str = "WHENMODIFIED") -> int:
        return len(records(gw.ok(query(field, obj, where))))

    gt = "<greaterthan><field>WHENMODIFIED</field><value>{}</value></greaterthan>"
    assert hits(gt.format("24/07/2024 15:19:45")) == 1  # NY wall time, day first
    assert hits(gt.format("24/07/2024 15:19:46")) == 0
    assert hits(gt.format("24/07/2024")) == 1  # a date alone: midnight in NY
    eq = "<equalto><field>STARTDATE</field><value>03/04/2021</value></equalto>"
    assert hits(eq, "EMPLOYEE", "STARTDATE") == 1
    errors = gw.fail(query("WHENMODIFIED", where=gt.format("07/24/2024 15:19:45")))
    assert "not a timestamp in the user's format" in errors[0]


def test_read_user_formatting_answers_estuarys_shape_with_the_offset_now() -> None:
    gw = gateway(user_timezone="America/New_York", date_format="/dmY")
    user = records(
        gw.ok(
            f"<readByName><object>USERINFO</object><keys>{DEMO_CREDENTIALS.user_id}</keys>"
            "<fields>RECORDNO</fields></readByName>"
        )
    )
    assert user == [{"RECORDNO": "1"}]
    result = gw.ok("<readUserFormatting><key>1</key></readUserFormatting>")
    fmt = result.find("data/userformatting")
    assert fmt is not None
    assert {c.tag: c.text for c in fmt} == {
        "locale": "en_US",
        "dateformat": "/dmY",
        "gmtoffset": "-0500",  # the emulator's clock is in March 4th: EST
        "clock": "24",
    }
    gw.emu.clock = lambda: datetime(2024, 7, 1, tzinfo=UTC)
    summer = gw.ok("<readUserFormatting><key>1</key></readUserFormatting>")
    assert summer.findtext("data/userformatting/gmtoffset") == "-0400"
    assert "no such user" in gw.fail("<readUserFormatting><key>99</key></readUserFormatting>")[0]


def test_the_credentials_user_is_a_userinfo_record_once() -> None:
    company = Company()
    Emulator(company)
    Emulator(company)
    users = list(company.records("USERINFO"))
    assert [u["LOGINID"] for u in users] == [DEMO_CREDENTIALS.user_id]


def test_a_twelve_hour_clock_shows_am_and_pm() -> None:
    gw = gateway(preferences=UserPreferences(timezone="America/New_York", clock="12"))
    assert records(gw.ok(query("WHENMODIFIED")))[0]["WHENMODIFIED"] == "07/24/2024 03:19:46 PM"


def test_gmt_fields_keep_utc_but_take_the_users_date_format() -> None:
    prefs = UserPreferences(timezone=NY, date_format="/dmY")
    show = Presenter(prefs, {"ACCESSTIME": "gmt", "WHENMODIFIED": "stamp", "D": "date"})
    got = show({"ACCESSTIME": "07/24/2024 19:19:46", "WHENMODIFIED": "07/24/2024 19:19:46"})
    assert got == {"ACCESSTIME": "24/07/2024 19:19:46", "WHENMODIFIED": "24/07/2024 15:19:46"}
    assert prefs.read_stamp("24/07/2024 19:19:46", gmt=True) == "07/24/2024 19:19:46"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"date_format": "dd/mm/yyyy"}, "is not a separator and an order"),
        ({"date_format": "/mmY"}, "is not a separator and an order"),
        ({"clock": "13"}, "clock is '12' or '24'"),
    ],
)
def test_preferences_are_checked(bad: dict[str, str], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        UserPreferences(**bad)  # type: ignore[arg-type]


def test_company_has_no_zone_of_its_own_and_stores_utc() -> None:
    with pytest.raises(TypeError):
        Company(timezone=NY)  # type: ignore[call-arg]
    c = Company(clock=lambda: datetime(2024, 7, 1, 12, tzinfo=NY))
    assert c.stamp() == "07/01/2024 16:00:00"
    c.insert("DEPARTMENT", {"DEPARTMENTID": "X", "TITLE": "x", "WHENCREATED": c.now()})
    assert c.get("DEPARTMENT", 1)["WHENCREATED"] == "07/01/2024 16:00:00"  # type: ignore[index]


# --------------------------------------------------------------------------- pytest marker


@pytest.mark.intacct_emulator(employees=3, user_timezone="America/New_York", date_format="/dmY")
def test_marker_gives_the_user_preferences_and_the_client_matches(
    intacct_emulator: Emulator, intacct_client: Client
) -> None:
    assert intacct_emulator.preferences == UserPreferences(timezone=NY, date_format="/dmY")
    rows = list(intacct_client.query("EMPLOYEE", ["RECORDNO", "WHENMODIFIED"]))
    assert all(r["WHENMODIFIED"].tzinfo is NY for r in rows)
    assert intacct_client.timestamp_zone() is NY
    assert intacct_client.stats.http_requests == 2  # login and the query: no discovery


# --------------------------------------------------------------------------- command lines


def test_emulator_command_takes_the_users_preferences() -> None:
    parser = argparse.ArgumentParser(prog="intacct")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["emulator", "--user-timezone", "America/New_York", "--date-format=-Ymd"]
    )
    assert (args.user_timezone, args.date_format, args.clock) == ("America/New_York", "-Ymd", "24")
    bad = parser.parse_args(["emulator", "--user-timezone", "Mars/Olympus"])
    assert run(bad) == 2
    assert run(parser.parse_args(["emulator", "--date-format", "dd.mm"])) == 2


def test_format_settings_come_from_the_environment_over_the_profile(tmp_path: Path) -> None:
    ini = tmp_path / "credentials.ini"
    ini.write_text("[default]\ntimezone = Europe/Paris\ndate_format = .dmY\n", "utf-8")
    assert format_settings(profile_path=ini, environ={}) == {
        "timezone": "Europe/Paris",
        "date_format": ".dmY",
    }
    env = {"INTACCT_TIMEZONE": "discover"}
    assert format_settings(profile_path=ini, environ=env)["timezone"] == "discover"
    with pytest.raises(ConfigurationError, match="credentials file not found"):
        format_settings(profile_path=tmp_path / "none.ini", environ={})


@pytest.mark.slow
def test_intacct_query_prints_iso_timestamps_in_the_users_zone(tmp_path: Path) -> None:
    emu = gateway(user_timezone="America/New_York", date_format="/dmY").emu
    with serve(emu) as server:
        creds = Credentials(
            DEMO_CREDENTIALS.sender_id,
            DEMO_CREDENTIALS.sender_password,
            company_id=DEMO_CREDENTIALS.company_id,
            user_id=DEMO_CREDENTIALS.user_id,
            user_password=DEMO_CREDENTIALS.user_password,
        )
        env = subprocess_env(
            INTACCT_SENDER_ID=creds.sender_id,
            INTACCT_SENDER_PASSWORD=creds.sender_password,
            INTACCT_COMPANY_ID=creds.company_id or "",
            INTACCT_USER_ID=creds.user_id or "",
            INTACCT_USER_PASSWORD=creds.user_password or "",
            INTACCT_ENDPOINT_URL=server.url,
            INTACCT_DATE_FORMAT="/dmY",
            HOME=str(tmp_path),
        )

        def intacct(*argv: str) -> list[dict[str, str]]:
            proc = subprocess.run(
                [sys.executable, "-m", "intacct_sdk.cli", *argv],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr
            return json.loads(proc.stdout)  # type: ignore[no-any-return]

        fields = ["query", "DEPARTMENT", "--fields", "DEPARTMENTID,WHENMODIFIED"]
        rows = intacct("--timezone", "America/New_York", *fields)
        assert rows[0]["WHENMODIFIED"] == "2024-07-24T15:19:46-04:00"
        rows = intacct("--timezone", "discover", *fields)
        assert rows[0]["WHENMODIFIED"] == "2024-07-24T15:19:46-05:00"  # March's fixed offset
        employees = intacct("query", "EMPLOYEE", "--fields", "EMPLOYEEID,STARTDATE")
        assert employees[0]["STARTDATE"] == "2021-04-03"  # INTACCT_DATE_FORMAT alone
