"""Late visibility: a change reaches reads a while after it was made, WHENMODIFIED unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.testing.change_helpers import client_for, small_demo, trail
from tests.testing.emu_helpers import Clock

from intacct_sdk import Client, F
from intacct_sdk.functions import Create, Update
from intacct_sdk.testing import Company, Emulator

LAG = timedelta(minutes=10)
FIELDS = ["RECORDNO", "CLASSID", "NAME", "WHENMODIFIED"]


@pytest.fixture
def emu(clock: Clock) -> Emulator:
    return Emulator(small_demo(clock), clock=clock, visibility_lag=LAG)


def classes(client: Client) -> dict[str, dict[str, object]]:
    return {r["CLASSID"]: r for r in client.query("CLASS", FIELDS)}


def class_ids(emu: Emulator) -> list[str]:
    """The seeded classes' IDs, in RECORDNO order."""
    return [r["CLASSID"] for r in emu.company.records("CLASS")]


def test_a_new_record_is_invisible_for_the_lag(emu: Emulator, clock: Clock) -> None:
    with client_for(emu) as client:
        [made] = client.create("CLASS", [{"CLASSID": "LATE", "NAME": "Late"}])
        rn = int(made["RECORDNO"])
        assert "LATE" not in classes(client)
        assert client.read("CLASS", [rn]) == []
        assert client.read_by_name("CLASS", ["LATE"]) == []
        assert emu.company.get("CLASS", rn) is not None  # stored all along
        clock.advance(minutes=9, seconds=59)
        assert "LATE" not in classes(client)
        assert trail(client) == []  # its audit row is late too
        clock.advance(seconds=1)
        row = classes(client)["LATE"]
        assert row["WHENMODIFIED"] == datetime(2024, 3, 4, 9, 30)  # the time it was made
        assert [r["ACCESSMODE"] for r in trail(client)] == ["C"]


def test_a_modified_record_shows_its_previous_version(emu: Emulator, clock: Clock) -> None:
    with client_for(emu) as client:
        cid = class_ids(emu)[0]
        before = classes(client)[cid]
        client.update("CLASS", [{"RECORDNO": before["RECORDNO"], "NAME": "Renamed"}])
        assert classes(client)[cid] == before
        legacy = client.read_by_query("CLASS", f"CLASSID = '{cid}'", fields=["NAME"])
        assert [r["NAME"] for r in legacy] == [before["NAME"]]
        clock.advance(minutes=10)
        after = classes(client)[cid]
    assert after["NAME"] == "Renamed"
    assert after["WHENMODIFIED"] == datetime(2024, 3, 4, 9, 30)


def test_a_deleted_record_is_still_there_for_the_lag(emu: Emulator, clock: Clock) -> None:
    with client_for(emu) as client:
        cid = class_ids(emu)[1]
        row = classes(client)[cid]
        client.delete("CLASS", [row["RECORDNO"]])
        assert classes(client)[cid] == row
        assert client.read("CLASS", [row["RECORDNO"]], FIELDS) == [row]
        assert emu.company.get("CLASS", int(row["RECORDNO"])) is None
        clock.advance(minutes=10)
        assert cid not in classes(client)
        assert [(r["ACCESSMODE"], r["OBJECTKEY"]) for r in trail(client)] == [
            ("D", f"{row['RECORDNO']}--REC")
        ]


def test_changes_become_visible_in_the_order_made(emu: Emulator, clock: Clock) -> None:
    company = emu.company
    rn = company.insert("CLASS", {"CLASSID": "SEQ", "NAME": "v1"})
    clock.advance(minutes=4)
    company.update("CLASS", rn, {"NAME": "v2"})
    clock.advance(minutes=4)
    company.update("CLASS", rn, {"NAME": "v3"})
    with client_for(emu) as client:
        seen = []
        for _ in range(4):
            seen.append(classes(client).get("SEQ", {}).get("NAME"))
            clock.advance(minutes=4)
    assert seen == [None, "v1", "v2", "v3"]


def test_invisible_until_delays_the_changes_made_inside(clock: Clock) -> None:
    emu = Emulator(small_demo(clock), clock=clock)  # no lag: other changes show at once
    company = emu.company
    with client_for(emu) as client:
        with company.invisible_until(clock.now + timedelta(hours=2)):
            client.create("CLASS", [{"CLASSID": "SLOW", "NAME": "slow"}])
            company.update("CLASS", 1, {"NAME": "slow edit"})
        client.create("CLASS", [{"CLASSID": "FAST", "NAME": "fast"}])
        now = classes(client)
        assert "FAST" in now
        assert "SLOW" not in now
        first = class_ids(emu)[0]
        assert now[first]["NAME"] != "slow edit"
        clock.advance(hours=2)
        later = classes(client)
    assert later["SLOW"]["WHENMODIFIED"] == datetime(2024, 3, 4, 9, 30)
    assert later[first]["NAME"] == "slow edit"


def test_a_timesheet_and_its_lines_stay_as_they_were(emu: Emulator, clock: Clock) -> None:
    entry = {"ENTRYDATE": date(2025, 1, 6), "PROJECTID": "P00001"}
    emu.company.visibility_lag = None
    with client_for(emu) as client:
        [made] = client.create(
            "TIMESHEET",
            [
                {
                    "EMPLOYEEID": "E00001",
                    "BEGINDATE": date(2025, 1, 6),
                    "TIMESHEETENTRIES": {"TIMESHEETENTRY": [{**entry, "QTY": Decimal(8)}]},
                }
            ],
        )
        ts = int(made["RECORDNO"])
        emu.company.visibility_lag = LAG
        client.update(
            "TIMESHEET",
            [
                {
                    "RECORDNO": ts,
                    "TIMESHEETENTRIES": {"TIMESHEETENTRY": [{**entry, "QTY": Decimal(3)}]},
                }
            ],
        )
        [old] = client.read("TIMESHEET", [ts])
        clock.advance(minutes=10)
        [new] = client.read("TIMESHEET", [ts])
    assert [e["QTY"] for e in old["TIMESHEETENTRIES"]] == [Decimal(8)]
    assert [e["QTY"] for e in new["TIMESHEETENTRIES"]] == [Decimal(3)]


def test_nothing_is_copied_while_everything_is_visible(emu: Emulator, clock: Clock) -> None:
    company = emu.company
    assert company.visible("CLASS") is company.table("CLASS").rows
    company.insert("CLASS", {"CLASSID": "H", "NAME": "h"})
    assert company.visible("CLASS") is not company.table("CLASS").rows
    clock.advance(minutes=10)
    assert company.visible("CLASS") is company.table("CLASS").rows  # seen: the note is gone
    company.visibility_lag = None
    company.insert("CLASS", {"CLASSID": "I", "NAME": "i"})
    assert company.visible("CLASS") is company.table("CLASS").rows


def test_a_rolled_back_change_leaves_nothing_behind(emu: Emulator) -> None:
    with client_for(emu) as client:
        before = classes(client)
        results = client.execute(
            [
                Create("CLASS", [{"CLASSID": "RB", "NAME": "x"}]),
                Create("CLASS", [{"NAME": "no id"}]),
            ],
            transaction=True,
        )
        assert not any(r.ok for r in results)
        assert classes(client) == before
        # A change rolled back never happened: once the lag is off, the next change shows.
        cid = class_ids(emu)[0]
        rn = before[cid]["RECORDNO"]
        failed = client.execute(
            [
                Update("CLASS", [{"RECORDNO": rn, "NAME": "rolled back"}]),
                Create("CLASS", [{"NAME": "no id"}]),
            ],
            transaction=True,
        )
        assert not any(r.ok for r in failed)
        emu.company.visibility_lag = None
        client.update("CLASS", [{"RECORDNO": rn, "NAME": "kept"}])
        assert classes(client)[cid]["NAME"] == "kept"


@pytest.mark.parametrize("bad", [timedelta(seconds=-1), 600])
def test_the_lag_is_checked(bad: object) -> None:
    with pytest.raises(ValueError, match="visibility_lag must be a timedelta >= 0 or None"):
        Emulator(visibility_lag=bad)  # type: ignore[arg-type]
    company = Company()
    with pytest.raises(ValueError, match="visibility_lag"):
        company.visibility_lag = bad  # type: ignore[assignment]
    assert company.visibility_lag is None


def test_invisible_until_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"), Company().invisible_until(datetime(2030, 1, 1)):
        pass


@pytest.mark.intacct_emulator(seed="empty", visibility_lag=timedelta(hours=1))
def test_the_pytest_marker_sets_the_lag(intacct_client: Client) -> None:
    intacct_client.create("CLASS", [{"CLASSID": "M", "NAME": "m"}])
    assert list(intacct_client.query("CLASS", ["CLASSID"], where=F("CLASSID") == "M")) == []


# ---------------------------------------------------------------------------------------------
# the law: a read at t sees exactly the changes made at or before t - lag

_events = st.lists(
    st.tuples(st.integers(0, 300), st.sampled_from(["write", "delete", "read"]), st.integers(0, 3)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(_events, st.integers(0, 120))
def test_reads_see_the_state_of_lag_ago(events: list[tuple[int, str, int]], lag_s: int) -> None:
    clock = Clock()
    company = Company(clock=clock)
    company.visibility_lag = timedelta(seconds=lag_s)
    history: list[tuple[datetime, dict[str, str]]] = [(datetime.min.replace(tzinfo=UTC), {})]
    state: dict[str, str] = {}
    for step, (dt, op, k) in enumerate(events):
        clock.advance(seconds=dt)
        cid = f"K{k}"
        if op == "read":
            cutoff = clock.now - timedelta(seconds=lag_s)
            expected = [s for t, s in history if t <= cutoff][-1]
            seen = {r["CLASSID"]: r["NAME"] for r in company.visible("CLASS").values()}
            assert seen == expected
            continue
        rn = next((int(r["RECORDNO"]) for r in company.records("CLASS") if r["CLASSID"] == cid), 0)
        if op == "write" and rn:
            company.update("CLASS", rn, {"NAME": f"n{step}"})
            state = {**state, cid: f"n{step}"}
        elif op == "write":
            company.insert("CLASS", {"CLASSID": cid, "NAME": f"n{step}"})
            state = {**state, cid: f"n{step}"}
        elif rn:
            company.delete("CLASS", rn)
            state = {c: n for c, n in state.items() if c != cid}
        history.append((clock.now, state))


def test_the_clock_is_the_company_clock() -> None:
    clock = Clock()
    clock.now = datetime(2030, 6, 1, tzinfo=UTC)
    emu = Emulator(Company(), clock=clock, visibility_lag=LAG)
    emu.company.insert("CLASS", {"CLASSID": "T", "NAME": "t"})
    assert emu.company.visible("CLASS") == {}
    clock.advance(minutes=10)
    assert list(emu.company.visible("CLASS")) == [1]
