"""Records with an empty WHENMODIFIED: stored, served and filtered as NULL, set by a change."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from tests.testing.change_helpers import client_for
from tests.testing.emu_helpers import Clock

from intacct_sdk import Client, F
from intacct_sdk.functions import Query
from intacct_sdk.testing import Company, Emulator

FIELDS = ["RECORDNO", "CLASSID", "WHENCREATED", "WHENMODIFIED"]
SINCE = datetime(2024, 3, 1)


@pytest.fixture
def emu(clock: Clock) -> Emulator:
    """Classes C1 (stamped), N1 and N2 (inserted with WHENMODIFIED None), N3 (bulk, None)."""
    company = Company(clock=clock)
    company.insert("CLASS", {"CLASSID": "C1", "NAME": "stamped"})
    clock.advance(minutes=1)
    company.insert("CLASS", {"CLASSID": "N1", "NAME": "null", "WHENMODIFIED": None})
    clock.advance(minutes=1)
    company.insert("CLASS", {"CLASSID": "N2", "NAME": "null", "whenmodified": None})
    clock.advance(minutes=1)
    company.bulk_insert("CLASS", [{"CLASSID": "N3", "NAME": "null", "WHENMODIFIED": None}])
    return Emulator(company, clock=clock)


def ids(client: Client, **kw: object) -> list[str]:
    return [r["CLASSID"] for r in client.query("CLASS", FIELDS, **kw)]  # type: ignore[arg-type]


def test_an_explicit_none_keeps_whenmodified_empty(emu: Emulator) -> None:
    stored = {r["CLASSID"]: r for r in emu.company.records("CLASS")}
    assert stored["N1"]["WHENMODIFIED"] == ""
    assert stored["N3"]["WHENMODIFIED"] == ""
    assert stored["N1"]["WHENCREATED"] == "03/04/2024 09:31:00"  # still set
    with client_for(emu) as client:
        rows = {r["CLASSID"]: r for r in client.query("CLASS", FIELDS)}
    assert rows["N1"]["WHENMODIFIED"] is None
    assert rows["N2"]["WHENMODIFIED"] is None
    assert rows["N1"]["WHENCREATED"] == datetime(2024, 3, 4, 9, 31)
    assert rows["C1"]["WHENMODIFIED"] == datetime(2024, 3, 4, 9, 30)


def test_queries_treat_it_as_null(emu: Emulator) -> None:
    with client_for(emu) as client:
        assert ids(client, where=F("WHENMODIFIED").is_null()) == ["N1", "N2", "N3"]
        assert ids(client, where=F("WHENMODIFIED").is_not_null()) == ["C1"]
        assert ids(client, where=F("WHENMODIFIED") > SINCE) == ["C1"]
        assert ids(client, where=F("WHENMODIFIED") < datetime(2999, 1, 1)) == ["C1"]
        assert ids(client, where=F("WHENMODIFIED") != SINCE) == ["C1"]
        assert ids(client, where=F("WHENMODIFIED").between(SINCE, datetime(2999, 1, 1))) == ["C1"]
        # A keyset on WHENMODIFIED skips them; WHENCREATED reaches them (Estuary's query).
        created = F("WHENMODIFIED").is_null() & (F("WHENCREATED") > datetime(2024, 3, 4, 9, 31))
        assert ids(client, where=created, order_by=[("WHENCREATED", "asc")]) == ["N2", "N3"]
        legacy = client.read_by_query("CLASS", "WHENMODIFIED IS NULL", fields=["CLASSID"])
        assert [r["CLASSID"] for r in legacy] == ["N1", "N2", "N3"]
        later = client.read_by_query(
            "CLASS", "WHENMODIFIED > '03/01/2024 00:00:00'", fields=["CLASSID"]
        )
        assert [r["CLASSID"] for r in later] == ["C1"]


def test_ordering_puts_empty_values_last_ascending_and_first_descending(emu: Emulator) -> None:
    with client_for(emu) as client:
        asc = ids(client, order_by=[("WHENMODIFIED", "asc"), ("RECORDNO", "asc")])
        desc = ids(client, order_by=[("WHENMODIFIED", "desc"), ("RECORDNO", "asc")])
        by_created = ids(client, order_by=[("WHENCREATED", "desc")])
        one_page = ids(client, order_by=[("WHENMODIFIED", "asc")], page_size=1)
    assert asc == ["C1", "N1", "N2", "N3"]
    assert desc[:3] == ["N1", "N2", "N3"]
    assert desc[3] == "C1"
    assert by_created[:2] == ["N3", "N2"]  # N3 was bulk-inserted last
    assert one_page[0] == "C1"


def test_a_change_through_the_gateway_sets_it(emu: Emulator, clock: Clock) -> None:
    n1 = next(r for r in emu.company.records("CLASS") if r["CLASSID"] == "N1")
    clock.advance(hours=1)
    with client_for(emu) as client:
        client.update("CLASS", [{"RECORDNO": n1["RECORDNO"], "NAME": "touched"}])
        assert ids(client, where=F("WHENMODIFIED").is_null()) == ["N2", "N3"]
        [row] = client.read("CLASS", [int(n1["RECORDNO"])], FIELDS)
    assert row["WHENMODIFIED"] == datetime(2024, 3, 4, 10, 33)
    assert row["WHENCREATED"] == datetime(2024, 3, 4, 9, 31)  # unchanged


def test_a_ui_edit_sets_it_unless_it_says_otherwise(emu: Emulator) -> None:
    company = emu.company
    n2 = next(r for r in company.records("CLASS") if r["CLASSID"] == "N2")
    assert company.update("CLASS", int(n2["RECORDNO"]), {"NAME": "x"})["WHENMODIFIED"]
    cleared = company.update("CLASS", int(n2["RECORDNO"]), {"WHENMODIFIED": None})
    assert cleared["WHENMODIFIED"] == ""


def test_timesheet_entries_can_hold_it_empty_and_approval_sets_it(clock: Clock) -> None:
    company = Company(clock=clock)
    company.insert("EMPLOYEE", {"EMPLOYEEID": "E1", "PERSONALINFO": {"CONTACTNAME": "A, B"}})
    entry = {"ENTRYDATE": date(2024, 3, 4), "QTY": 8, "WHENMODIFIED": None}
    ts = company.insert(
        "TIMESHEET",
        {
            "EMPLOYEEID": "E1",
            "BEGINDATE": date(2024, 3, 4),
            "STATE": "Submitted",
            "TIMESHEETENTRIES": [entry, {**entry, "ENTRYDATE": date(2024, 3, 5)}],
        },
    )
    emu = Emulator(company, clock=clock)
    clock.advance(days=1)
    with client_for(emu) as client:
        empty = list(
            client.query("TIMESHEETENTRY", ["RECORDNO"], where=F("WHENMODIFIED").is_null())
        )
        assert len(empty) == 2
        client.approve("TIMESHEET", ts, entry_keys=[empty[0]["RECORDNO"]])
        still = list(
            client.query("TIMESHEETENTRY", ["RECORDNO"], where=F("WHENMODIFIED").is_null())
        )
    assert still == empty[1:]


def test_a_short_page_of_a_long_ordered_list_puts_them_last_too(emu: Emulator) -> None:
    """A page far shorter than the matches takes another road (a heap): same order."""
    emu.company.bulk_insert(
        "CLASS", ({"CLASSID": f"Z{i:02d}", "NAME": "z", "WHENMODIFIED": None} for i in range(40))
    )
    with client_for(emu) as client:
        [first] = client.execute(
            [Query("CLASS", ["CLASSID"], order_by=[("WHENMODIFIED", "asc")], page_size=2)]
        )
        [last] = client.execute(
            [Query("CLASS", ["CLASSID"], order_by=[("WHENMODIFIED", "desc")], page_size=2)]
        )
    assert first.data[0]["CLASSID"] == "C1"
    assert "C1" not in {r["CLASSID"] for r in last.data}
