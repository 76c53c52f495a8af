"""The Company store: sequences, timestamps, persistence."""

from __future__ import annotations

from pathlib import Path

from tests.testing.emu_helpers import Clock, Gateway, created_recordno, fn, timesheet_xml

from intacct_sdk.testing import Company, CustomField, Emulator


def test_insert_assigns_sequences_defaults_and_timestamps(clock: Clock) -> None:
    c = Company(clock=clock)
    first = c.insert("CLASS", {"CLASSID": "A", "NAME": "a"})
    second = c.insert("CLASS", {"CLASSID": "B", "NAME": "b", "ACTIVE_FLAG": True})
    assert (first, second) == (1, 2)
    rec = c.get("CLASS", 1)
    assert rec is not None
    assert rec["STATUS"] == "active"
    assert rec["WHENCREATED"] == rec["WHENMODIFIED"] == "03/04/2024 09:30:00"
    assert c.count("CLASS") == 2
    assert c.insert("CLASS", {"RECORDNO": 40, "CLASSID": "C", "NAME": "c"}) == 40
    assert c.insert("CLASS", {"CLASSID": "D", "NAME": "d"}) == 41


def test_task_id_defaults_to_recordno_and_timesheet_lines_are_stored(clock: Clock) -> None:
    c = Company(clock=clock)
    c.insert("PROJECT", {"PROJECTID": "P", "NAME": "p", "PROJECTCATEGORY": "Contract"})
    rn = c.insert("TASK", {"NAME": "t", "PROJECTID": "P"})
    task = c.get("TASK", rn)
    assert task is not None
    assert task["TASKID"] == str(rn)
    ts = c.insert(
        "TIMESHEET",
        {
            "EMPLOYEEID": "E",
            "BEGINDATE": "01/01/2024",
            "STATE": "Draft",
            "TIMESHEETENTRIES": [
                {"ENTRYDATE": "01/01/2024", "QTY": 1},
                {"ENTRYDATE": "01/02/2024", "QTY": 2},
            ],
        },
    )
    lines = [r for r in c.records("TIMESHEETENTRY") if r["TIMESHEETKEY"] == str(ts)]
    assert [line["LINENO"] for line in lines] == ["1", "2"]
    assert {line["STATE"] for line in lines} == {"Draft"}


def test_writes_move_whenmodified_with_the_clock(
    gw: Gateway, clock: Clock, company: Company
) -> None:
    clock.advance(days=1)
    gw.ok("<update><CLASS><CLASSID>C1</CLASSID><NAME>changed</NAME></CLASS></update>")
    rec = next(r for r in company.records("CLASS") if r["CLASSID"] == "C1")
    assert rec["WHENMODIFIED"] == "03/05/2024 09:30:00"
    assert rec["WHENCREATED"] == "03/04/2024 09:30:00"


def test_sqlite_company_survives_a_restart(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "company.sqlite"
    with Company(path=path, clock=clock, custom_fields=[CustomField("TIMESHEET", "SYNC_REF")]) as c:
        c.insert("EMPLOYEE", {"EMPLOYEEID": "E1", "PERSONALINFO": {"CONTACTNAME": "A"}})
        c.insert("PROJECT", {"PROJECTID": "P1", "NAME": "p", "PROJECTCATEGORY": "Contract"})
        c.insert("TASK", {"TASKID": "T1", "NAME": "t", "PROJECTID": "P1"})
        c.insert("TASK", {"TASKID": "T2", "NAME": "u", "PROJECTID": "P1"})
        gw = Gateway(Emulator(c, clock=clock))
        (res,) = gw.results(
            fn("<create>" + timesheet_xml(extra="<SYNC_REF>local-7</SYNC_REF>") + "</create>"),
            unique_id=True,
        )
        rn = created_recordno(res)
        # a failed transaction leaves nothing behind on disk either
        gw.results(
            fn("<create><CLASS><CLASSID>K</CLASSID><NAME>k</NAME></CLASS></create>", "a")
            + fn("<create><CLASS><NAME>no id</NAME></CLASS></create>", "b"),
            transaction=True,
        )
    with Company(path=path, clock=clock) as again:
        ts = again.get("TIMESHEET", rn)
        assert ts is not None
        assert ts["SYNC_REF"] == "local-7"
        assert again.count("TIMESHEETENTRY") == 2
        assert again.count("CLASS") == 0
        assert again.definition("TIMESHEET").field("SYNC_REF") is not None  # type: ignore[union-attr]
        # sequences continue, and replay protection remembers the control id
        assert (
            again.insert("EMPLOYEE", {"EMPLOYEEID": "E2", "PERSONALINFO": {"CONTACTNAME": "B"}})
            == 2
        )
        gw2 = Gateway(Emulator(again, clock=clock))
        (dup,) = gw2.results(fn("<create>" + timesheet_xml() + "</create>"), unique_id=True)
        assert dup.findtext("errormessage/error/errorno") == "XL03000008"


def test_bulk_insert_indexes_by_id(clock: Clock) -> None:
    c = Company(clock=clock)
    c.bulk_insert(
        "EMPLOYEE",
        ({"EMPLOYEEID": f"E{i}", "PERSONALINFO": {"CONTACTNAME": str(i)}} for i in range(500)),
    )
    assert c.count("EMPLOYEE") == 500
    gw = Gateway(Emulator(c, clock=clock))
    res = gw.ok(
        "<readByName><object>EMPLOYEE</object><keys>E499,E7</keys><fields>RECORDNO</fields></readByName>"
    )
    assert [r.findtext("RECORDNO") for r in res.findall("data/EMPLOYEE")] == ["500", "8"]


def test_handle_is_thread_safe(clock: Clock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    c = Company(clock=clock)
    gw = Gateway(Emulator(c, clock=clock))

    def create(i: int) -> str:
        res = gw.ok(f"<create><CLASS><CLASSID>K{i}</CLASSID><NAME>n</NAME></CLASS></create>")
        return res.findtext("data/class/RECORDNO") or ""

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(200)))
    assert sorted(int(n) for n in numbers) == list(range(1, 201))
    assert gw.emu.stats.functions[("create", "CLASS")] == 200
    assert gw.emu.stats.http_requests == 200


def test_declaring_a_custom_field_again_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "company.sqlite"
    with Company(path=path, custom_fields=[CustomField("TIMESHEET", "SYNC_REF")]) as c:
        c.add_custom_field("TIMESHEET", "NOTE2")
        c.add_custom_field("timesheet", "sync_ref", "decimal", "Sync reference")
        expected = (
            CustomField("TIMESHEET", "SYNC_REF", "DECIMAL", "Sync reference"),
            CustomField("TIMESHEET", "NOTE2"),
        )
        assert c.custom_fields == expected
        field = c.definition("TIMESHEET").field("SYNC_REF")  # type: ignore[union-attr]
        assert field is not None
        assert (field.datatype, field.label) == ("DECIMAL", "Sync reference")
    with Company(path=path) as again:
        assert again.custom_fields == expected
    # declaring it when opening the file replaces the saved declaration too
    with Company(path=path, custom_fields=[CustomField("TIMESHEET", "SYNC_REF")]) as third:
        assert third.custom_fields == (CustomField("TIMESHEET", "SYNC_REF"), expected[1])
    with Company(path=path) as fourth:
        assert fourth.custom_fields == (CustomField("TIMESHEET", "SYNC_REF"), expected[1])


def test_remembered_control_ids_keep_to_the_limit_in_the_file_too(tmp_path: Path) -> None:
    path = tmp_path / "company.sqlite"
    with Company(path=path) as c:
        with c.lock:
            for i in range(1, 8):
                c.remember_control_id(f"id-{i}", limit=3)
            c.commit()
        assert [c.seen_control_id(f"id-{i}") for i in range(1, 8)] == [False] * 4 + [True] * 3
    with Company(path=path) as again:
        assert [again.seen_control_id(f"id-{i}") for i in range(1, 8)] == [False] * 4 + [True] * 3
        with again.lock:
            again.remember_control_id("id-8", limit=3)
            again.commit()
        # the oldest goes first, after a reopen too
        assert [again.seen_control_id(f"id-{i}") for i in range(5, 9)] == [False, True, True, True]
    with Company(path=path) as third:
        remembered = [f"id-{i}" for i in range(1, 9) if third.seen_control_id(f"id-{i}")]
        assert remembered == ["id-6", "id-7", "id-8"]


def test_remembered_control_ids_come_back_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "company.sqlite"
    ids = ["zulu", "alpha", "mike", "bravo"]  # remembered in this order, not sorted
    with Company(path=path) as c, c.lock:
        for control_id in ids:
            c.remember_control_id(control_id, limit=10)
        c.commit()
    with Company(path=path) as again:
        with again.lock:
            again.remember_control_id("yankee", limit=4)
            again.commit()
        assert [again.seen_control_id(i) for i in ids] == [False, True, True, True]
