"""AUDITHISTORY: the emulator's audit trail, read through the public client."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.testing.change_helpers import changes, client_for, small_demo, trail
from tests.testing.emu_helpers import Clock

from intacct_sdk import F, FunctionError
from intacct_sdk.functions import Create, Query
from intacct_sdk.testing import Company, Emulator, _writes, demo_company
from intacct_sdk.testing._functions import Call, Outcome


@pytest.fixture
def emu(clock: Clock) -> Emulator:
    return Emulator(small_demo(clock), clock=clock)


def test_gateway_writes_leave_one_row_each(emu: Emulator, clock: Clock) -> None:
    with client_for(emu) as client:
        [made] = client.create("CLASS", [{"CLASSID": "NEW", "NAME": "New"}])
        rn = int(made["RECORDNO"])
        clock.advance(minutes=1)
        client.update("CLASS", [{"RECORDNO": rn, "NAME": "Renamed"}])
        clock.advance(minutes=1)
        client.delete("CLASS", [rn])
        rows = trail(client, F("OBJECTTYPE") == "class")
    assert [(r["ACCESSMODE"], r["OBJECTKEY"]) for r in rows] == [
        ("C", f"{rn}--REC"),
        ("M", f"{rn}--REC"),
        ("D", f"{rn}--REC"),
    ]
    start = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)  # a GMT field: the client knows its zone
    assert [r["ACCESSTIME"] for r in rows] == [start + timedelta(minutes=m) for m in (0, 1, 2)]
    assert {(r["SOURCE"], r["USERID"]) for r in rows} == {("api", "demo-user")}
    ids = [r["ID"] for r in rows]
    assert len(set(ids)) == 3
    assert ids == sorted(ids)
    assert ids == sorted(ids, key=int)  # one width: text order is number order
    assert all(len(i) == 10 for i in ids)


def test_seeding_writes_no_rows_and_reads_are_free_of_them(emu: Emulator) -> None:
    assert emu.company.count("AUDITHISTORY") == 0  # seeded records predate the trail
    company = Company()
    company.bulk_insert("CLASS", ({"CLASSID": f"C{i}", "NAME": "x"} for i in range(50)))
    assert company.count("AUDITHISTORY") == 0
    with client_for(emu) as client:
        list(client.query("EMPLOYEE", ["RECORDNO"]))
        client.read("EMPLOYEE", [1])
        assert trail(client) == []


def test_access_time_is_gmt_whatever_the_users_zone(clock: Clock) -> None:
    emu = Emulator(Company(), clock=clock, user_timezone=timezone(timedelta(hours=-5)))
    with client_for(emu) as client:
        [made] = client.create("DEPARTMENT", [{"DEPARTMENTID": "D9", "TITLE": "Nine"}])
        [dept] = client.read("DEPARTMENT", [int(made["RECORDNO"])], ["WHENMODIFIED"])
        [row] = trail(client)
    assert dept["WHENMODIFIED"] == datetime(2024, 3, 4, 4, 30)  # the user's wall time
    assert row["ACCESSTIME"] == datetime(2024, 3, 4, 9, 30, tzinfo=UTC)  # GMT, known as such


def test_timesheet_lifecycle_in_the_trail(emu: Emulator, clock: Clock) -> None:
    sheet = {
        "EMPLOYEEID": "E00001",
        "BEGINDATE": date(2025, 1, 6),
        "STATE": "Submitted",
        "TIMESHEETENTRIES": {
            "TIMESHEETENTRY": [
                {"ENTRYDATE": date(2025, 1, 6), "QTY": Decimal(8), "PROJECTID": "P00001"},
                {"ENTRYDATE": date(2025, 1, 7), "QTY": Decimal(4), "PROJECTID": "P00001"},
            ]
        },
    }
    with client_for(emu) as client:
        [made] = client.create("TIMESHEET", [sheet])
        ts = int(made["RECORDNO"])
        entries = sorted(int(r["RECORDNO"]) for r in emu.company.records("TIMESHEETENTRY"))
        assert changes(client, "timesheet") == [("C", f"{ts}--REC")]
        assert changes(client, "timesheetentry") == [("C", f"{e}--REC") for e in entries]
        assert [m for m, _ in changes(client, "timesheetapproval")] == ["C", "C"]

        clock.advance(minutes=5)
        client.decline("TIMESHEET", ts, entry_keys=[entries[0]], comment="no")
        assert changes(client, "timesheet")[1:] == [("M", f"{ts}--REC")]
        assert changes(client, "timesheetentry")[2:] == [("M", f"{entries[0]}--REC")]

        clock.advance(minutes=5)
        client.approve("TIMESHEET", ts, entry_keys=[entries[1]])
        assert changes(client, "timesheet")[2:] == [("M", f"{ts}--REC")]
        assert changes(client, "timesheetentry")[3:] == [("M", f"{entries[1]}--REC")]
        assert [m for m, _ in changes(client, "timesheetapproval")] == ["C"] * 4


def test_a_deleted_timesheet_leaves_delete_rows_for_it_and_its_lines(emu: Emulator) -> None:
    sheet = {
        "EMPLOYEEID": "E00001",
        "BEGINDATE": date(2025, 1, 6),
        "TIMESHEETENTRIES": {
            "TIMESHEETENTRY": [{"ENTRYDATE": date(2025, 1, 6), "QTY": 8, "PROJECTID": "P00001"}]
        },
    }
    with client_for(emu) as client:
        [made] = client.create("TIMESHEET", [sheet])
        ts = int(made["RECORDNO"])
        [entry] = [int(r["RECORDNO"]) for r in emu.company.records("TIMESHEETENTRY")]
        client.delete("TIMESHEET", [ts])
        assert changes(client, "timesheet") == [("C", f"{ts}--REC"), ("D", f"{ts}--REC")]
        assert changes(client, "timesheetentry") == [
            ("C", f"{entry}--REC"),
            ("D", f"{entry}--REC"),
        ]
    assert emu.company.get("TIMESHEET", ts) is None  # the record is gone, its rows stay


def test_company_helpers_are_changes_made_in_the_ui(emu: Emulator, clock: Clock) -> None:
    company = emu.company
    rn = company.insert("CUSTOMER", {"CUSTOMERID": "CU-UI", "NAME": "Made by hand"})
    clock.advance(seconds=30)
    company.update("CUSTOMER", rn, {"NAME": "Edited by hand"})
    clock.advance(seconds=30)
    company.ui_user = "jdoe"
    company.delete("CUSTOMER", rn)
    with client_for(emu) as client:
        rows = trail(client, F("OBJECTTYPE") == "customer")
    assert [(r["ACCESSMODE"], r["SOURCE"], r["USERID"]) for r in rows] == [
        ("C", "ui", "Admin"),
        ("M", "ui", "Admin"),
        ("D", "ui", "jdoe"),
    ]
    assert {r["OBJECTKEY"] for r in rows} == {f"{rn}--REC"}


def test_insert_over_an_existing_record_is_a_modification(emu: Emulator) -> None:
    emu.company.insert("EMPLOYEE", {"RECORDNO": 1, "EMPLOYEEID": "E00001", "TITLE": "Boss"})
    with client_for(emu) as client:
        assert changes(client, "employee") == [("M", "1--REC")]


def test_failed_and_rolled_back_writes_leave_no_rows(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(call: Call) -> Outcome:
        d = call.company.resolve("CLASS")
        assert d is not None
        call.company.put(d, {"RECORDNO": "999", "CLASSID": "HALF", "NAME": "half written"})
        raise RuntimeError("a bug")

    monkeypatch.setitem(_writes.WRITE_FUNCTIONS, "boom", boom)
    with client_for(emu) as client:
        with pytest.raises(FunctionError):
            client.create("CLASS", [{"NAME": "no id"}])  # CLASSID is required
        results = client.execute(
            [Create("CLASS", [{"CLASSID": "T1", "NAME": "t"}]), Create("CLASS", [{"NAME": "x"}])],
            transaction=True,
        )
        assert [r.status for r in results] == ["aborted", "failure"]
        with pytest.raises(FunctionError, match="DL02000001"):
            client.call("<boom/>")  # an internal error: everything it wrote is rolled back
        assert trail(client) == []


def test_the_trail_is_read_only(emu: Emulator) -> None:
    with client_for(emu) as client:
        client.create("CLASS", [{"CLASSID": "K", "NAME": "k"}])
        [row] = trail(client)
        with pytest.raises(FunctionError, match="AUDITHISTORY is read-only"):
            client.create("AUDITHISTORY", [{"OBJECTTYPE": "class"}])
        with pytest.raises(FunctionError, match="read-only"):
            client.update("AUDITHISTORY", [{"ID": row["ID"], "ACCESSMODE": "D"}])
        with pytest.raises(FunctionError, match="read-only"):
            client.delete("AUDITHISTORY", [row["ID"]])
        assert trail(client) == [row]


def test_deletions_since_a_cursor_as_integrations_read_them(emu: Emulator, clock: Clock) -> None:
    """Estuary's two queries: deletions after ACCESSTIME t, and those at t after an ID."""
    company = emu.company
    for i in range(6):
        company.insert("CLASS", {"CLASSID": f"X{i}", "NAME": "x"})
    clock.advance(minutes=1)
    company.delete("CLASS", 1)
    company.delete("PROJECT", 1)  # another object: not in a class feed
    clock.advance(minutes=1)
    for rn in (2, 3, 4):
        company.delete("CLASS", rn)
    cursor = datetime(2024, 3, 4, 9, 31)
    deletions = (F("OBJECTTYPE") == "class") & (F("ACCESSMODE") == "D")
    with client_for(emu) as client:
        later = trail(client, deletions & (F("ACCESSTIME") > cursor))
        at = trail(client, deletions & (F("ACCESSTIME") == cursor))
        assert [r["OBJECTKEY"] for r in later] == ["2--REC", "3--REC", "4--REC"]
        assert [r["OBJECTKEY"] for r in at] == ["1--REC"]
        keyset = (F("ACCESSTIME") == cursor + timedelta(minutes=1)) & (F("ID") > later[0]["ID"])
        rest = list(
            client.query(
                "AUDITHISTORY",
                ["OBJECTKEY", "ID"],
                where=deletions & keyset,
                order_by=[("ID", "asc")],
            )
        )
        assert [r["OBJECTKEY"] for r in rest] == ["3--REC", "4--REC"]
        both = trail(client, F("OBJECTTYPE").in_(["class", "project"]) & (F("ACCESSMODE") == "D"))
        assert len(both) == 5
        legacy = list(
            client.read_by_query(
                "AUDITHISTORY",
                "OBJECTTYPE = 'class' AND ACCESSMODE = 'Delete' AND ACCESSTIME > '03/04/2024 09:31:00'",
                fields=["OBJECTKEY"],
            )
        )
        assert [r["OBJECTKEY"] for r in legacy] == ["2--REC", "3--REC", "4--REC"]
        [first] = client.read("AUDITHISTORY", [later[0]["ID"]], ["OBJECTKEY", "ACCESSMODE"])
        assert first == {"OBJECTKEY": "2--REC", "ACCESSMODE": "D"}


def test_lookup_is_the_real_audit_history_definition(emu: Emulator, reference_dir: Path) -> None:
    real = ET.parse(reference_dir / "schemas" / "AUDITHISTORY.xml").getroot()
    expected = [(f.findtext("ID"), f.findtext("DATATYPE")) for f in real.iter("Field")]
    with client_for(emu) as client:
        ours = client.lookup("AUDITHISTORY")
    assert [(f["ID"], f["DATATYPE"]) for f in ours["Fields"]] == expected


def test_the_limit_forgets_the_oldest_rows(clock: Clock) -> None:
    company = Company(clock=clock)
    company.audit_limit = 20
    for i in range(30):
        company.insert("CLASS", {"CLASSID": f"C{i}", "NAME": "x"})
    kept = [r["OBJECTKEY"] for r in company.records("AUDITHISTORY")]
    assert len(kept) <= 22  # the limit plus a tenth, then down to the limit
    assert kept[-1] == "30--REC"
    assert kept == [f"{n}--REC" for n in range(31 - len(kept), 31)]  # the newest, in order
    company.audit_limit = 0
    company.insert("CLASS", {"CLASSID": "LAST", "NAME": "x"})
    assert "31--REC" not in {r["OBJECTKEY"] for r in company.records("AUDITHISTORY")}


def test_a_company_file_keeps_its_trail(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "company.sqlite"
    with Company(path=path, clock=clock) as company:
        company.insert("CLASS", {"CLASSID": "A", "NAME": "a"})
        company.delete("CLASS", 1)
    with Company(path=path, clock=clock) as company:
        company.insert("CLASS", {"CLASSID": "B", "NAME": "b"})
        emu = Emulator(company, clock=clock)
        with client_for(emu) as client:
            rows = trail(client)
    assert [(r["ACCESSMODE"], r["OBJECTKEY"]) for r in rows] == [
        ("C", "1--REC"),
        ("D", "1--REC"),
        ("C", "2--REC"),
    ]
    assert [int(r["ID"]) for r in rows] == [1_000_000_001, 1_000_000_002, 1_000_000_003]


# ---------------------------------------------------------------------------------------------
# laws

_ops = st.lists(
    st.tuples(st.sampled_from(["create", "update", "delete"]), st.integers(0, 5)),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(_ops, st.integers(1, 4))
def test_every_change_is_in_the_trail_and_a_keyset_walk_reads_it_once(
    ops: list[tuple[str, int]], page: int
) -> None:
    clock = Clock()
    emu = Emulator(Company(clock=clock), clock=clock)
    live: list[int] = []
    expected: list[tuple[str, str]] = []
    with client_for(emu) as client:
        for op, pick in ops:
            clock.advance(seconds=pick % 2)  # several changes share a second
            if op == "create" or not live:
                [made] = client.create("CLASS", [{"CLASSID": f"C{len(expected)}", "NAME": "x"}])
                rn = int(made["RECORDNO"])
                live.append(rn)
                expected.append(("C", f"{rn}--REC"))
                continue
            rn = live[pick % len(live)]
            if op == "update":
                client.update("CLASS", [{"RECORDNO": rn, "NAME": f"n{pick}"}])
                expected.append(("M", f"{rn}--REC"))
            else:
                client.delete("CLASS", [rn])
                live.remove(rn)
                expected.append(("D", f"{rn}--REC"))
        # Walk it as an incremental reader does: (ACCESSTIME, ID) after the last row read.
        seen: list[tuple[str, str]] = []
        after: tuple[datetime, str] | None = None
        while True:
            where = None
            if after is not None:
                t, i = after
                where = (F("ACCESSTIME") > t) | ((F("ACCESSTIME") == t) & (F("ID") > i))
            rows = list(
                client.execute(
                    [
                        Query(
                            "AUDITHISTORY",
                            ["ID", "ACCESSTIME", "ACCESSMODE", "OBJECTKEY"],
                            where=where,
                            order_by=[("ACCESSTIME", "asc"), ("ID", "asc")],
                            page_size=page,
                        )
                    ],
                    raise_on_error=True,
                )[0].data
            )
            if not rows:
                break
            seen.extend((r["ACCESSMODE"], r["OBJECTKEY"]) for r in rows)
            after = (rows[-1]["ACCESSTIME"], rows[-1]["ID"])
    assert seen == expected


def test_a_write_is_audited_where_the_clock_says(clock: Clock) -> None:
    """The emulator's clock, not the wall clock, stamps ACCESSTIME."""
    clock.now = datetime(2031, 12, 31, 23, 59, 59, tzinfo=UTC)
    emu = Emulator(demo_company(employees=1, projects=1, tasks_per_project=1), clock=clock)
    with client_for(emu) as client:
        client.create("CLASS", [{"CLASSID": "NY", "NAME": "New year"}])
        [row] = trail(client)
    assert row["ACCESSTIME"] == datetime(2031, 12, 31, 23, 59, 59, tzinfo=UTC)
