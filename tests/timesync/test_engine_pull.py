# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Pull end to end: the engine against the in-process emulator and the reference app."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    DELETIONS,
    FREQUENT,
    PULLED,
    EngineFactory,
    app,
    client,
    emulator,
    make_engine,
    store,
)

from intacct_sdk import Client
from intacct_sdk.query import F
from intacct_sdk.testing import Emulator
from timesync.engine import Engine, EngineOptions, Hooks, Progress, RunReport
from timesync.errors import ConfigurationError
from timesync.local import ReferenceApp
from timesync.mapping import default_specs
from timesync.store import LinkState, LockHeldError, SQLiteStateStore


def _active_remote(emulator: Emulator, obj: str) -> set[str]:
    key = {"EMPLOYEE": "EMPLOYEEID", "PROJECT": "PROJECTID", "CUSTOMER": "CUSTOMERID"}[obj]
    return {r[key] for r in emulator.company.records(obj) if r.get("STATUS") == "active"}


def _active_local(app: ReferenceApp, obj: str) -> set[str]:
    return {str(r.key) for r in app.list_records(obj) if r.active}


def test_first_run_imports_every_active_record_in_dependency_order(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    order: list[str] = []

    class Recorder(Hooks):
        def record_applied(self, object_name: str, key: str, action: str) -> None:
            if not order or order[-1] != object_name:
                order.append(object_name)

    engine = make_engine()
    engine.hooks = Recorder()
    report = engine.run()
    assert report.ok
    assert order == list(PULLED)
    for obj in ("EMPLOYEE", "PROJECT", "CUSTOMER"):
        assert _active_local(app, obj) == _active_remote(emulator, obj)
        assert report.objects[obj].created == len(_active_remote(emulator, obj))
    # tasks: keyed PROJECTID/TASKID, completed ones are inactive and not imported
    open_tasks = {
        f"{r['PROJECTID']}/{r['TASKID']}"
        for r in emulator.company.records("TASK")
        if r.get("TASKSTATUS") != "Completed"
    }
    assert _active_local(app, "TASK") == open_tasks


def test_no_change_incremental_run_is_one_request(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine(lag=timedelta(0))
    engine.run()
    before = dict(emulator.stats.functions)
    requests = emulator.stats.http_requests
    report = engine.run()
    sent = {k: v - before.get(k, 0) for k, v in emulator.stats.functions.items()}
    sent = {k: v for k, v in sent.items() if v}
    # one first-page query per object with a change cursor and one read of the deletions
    # (billed one function each), all in ONE request
    assert sent == {("query", obj): 1 for obj in (*FREQUENT, DELETIONS)}
    assert emulator.stats.http_requests - requests == 1
    assert report.http_requests == 1
    assert report.api_functions == len(FREQUENT) + 1
    assert all(rep.created == rep.updated == 0 for rep in report.objects.values())


def test_the_periodic_pass_rereads_a_window_without_writing_what_it_read_before(
    make_engine: EngineFactory, app: ReferenceApp
) -> None:
    engine = make_engine(reread_window=timedelta(days=3650), reread_every=timedelta(0))
    engine.run()
    fingerprints = {r.local_id: r.fingerprint for r in app.list_records("EMPLOYEE")}
    report = engine.run()
    assert report.objects["EMPLOYEE"].unchanged == len(fingerprints)
    assert report.objects["EMPLOYEE"].updated == 0
    assert {r.local_id: r.fingerprint for r in app.list_records("EMPLOYEE")} == fingerprints


def test_changes_in_intacct_flow_down_incrementally(
    make_engine: EngineFactory, client: Client, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine()
    engine.run()
    emp = next(r for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active")
    proj = next(r for r in emulator.company.records("PROJECT") if r["STATUS"] == "active")
    client.update("EMPLOYEE", [{"EMPLOYEEID": emp["EMPLOYEEID"], "TITLE": "Chief Timekeeper"}])
    client.update("PROJECT", [{"PROJECTID": proj["PROJECTID"], "STATUS": "inactive"}])
    client.create("CUSTOMER", [{"CUSTOMERID": "C-NEW", "NAME": "Newco"}])
    report = engine.run()
    assert report.objects["EMPLOYEE"].updated == 1
    assert report.objects["PROJECT"].inactivated == 1
    assert report.objects["CUSTOMER"].created == 1
    assert proj["PROJECTID"] not in _active_local(app, "PROJECT")
    assert "C-NEW" in _active_local(app, "CUSTOMER")
    # the reference app stores the title in its own column: read it back through a fresh upsert
    [rec] = [r for r in app.list_records("EMPLOYEE") if r.key == emp["EMPLOYEEID"]]
    row = app._conn.execute("SELECT title FROM people WHERE id = ?", (int(rec.local_id),))
    assert row.fetchone()[0] == "Chief Timekeeper"


def test_full_run_sweeps_records_removed_upstream(
    make_engine: EngineFactory, client: Client, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine(deletions=False)
    engine.run()
    cust = sorted(_active_remote(emulator, "CUSTOMER"))[0]
    [row] = [r for r in emulator.company.records("CUSTOMER") if r["CUSTOMERID"] == cust]
    client.delete("CUSTOMER", [int(row["RECORDNO"])])
    engine.run()
    assert cust in _active_local(app, "CUSTOMER")  # without the audit trail: not seen yet
    report = engine.run(full=True)
    assert report.objects["CUSTOMER"].inactivated == 1
    assert cust not in _active_local(app, "CUSTOMER")
    assert cust in {r.key for r in app.list_records("CUSTOMER")}  # inactivated, never deleted


def test_full_run_repairs_local_drift_and_reports_it(
    make_engine: EngineFactory, app: ReferenceApp
) -> None:
    engine = make_engine()
    engine.run()
    people = [r for r in app.list_records("EMPLOYEE") if r.active]
    edited, deleted = people[0], people[1]
    app.edit_record("EMPLOYEE", edited.local_id, full_name="Someone Else")
    app.delete_record("EMPLOYEE", deleted.local_id)
    assert engine.run().objects["EMPLOYEE"].repaired == 0  # incremental runs do not true up
    report = engine.run(full=True)
    assert report.objects["EMPLOYEE"].repaired == 2
    assert len(report.repairs) == 2
    restored = {r.key: r for r in app.list_records("EMPLOYEE")}
    assert restored[edited.key].name == edited.name
    assert restored[edited.key].local_id == edited.local_id
    assert restored[deleted.key].name == deleted.name
    assert engine.run(full=True).objects["EMPLOYEE"].repaired == 0


def test_existing_local_records_are_linked_by_id_then_email(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    emps = sorted(
        (r for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active"),
        key=lambda r: r["EMPLOYEEID"],
    )
    by_id = app.add_record("EMPLOYEE", emps[0]["EMPLOYEEID"], "whoever")
    by_email = app.add_record(
        "EMPLOYEE", "LOCAL-7", "someone", email=emps[1]["PERSONALINFO.EMAIL1"].upper()
    )
    report = make_engine().run(["EMPLOYEE"])
    assert report.objects["EMPLOYEE"].linked == 2
    records = {r.local_id: r for r in app.list_records("EMPLOYEE")}
    assert records[by_id].key == emps[0]["EMPLOYEEID"]
    assert records[by_email].key == emps[1]["EMPLOYEEID"]
    assert len(records) == len(emps)


def test_ambiguous_matches_are_left_alone_until_linked_by_hand(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    emp = next(r for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active")
    email = emp["PERSONALINFO.EMAIL1"]
    first = app.add_record("EMPLOYEE", None, "twin one", email=email)
    second = app.add_record("EMPLOYEE", None, "twin two", email=email)
    engine = make_engine()
    report = engine.run(["EMPLOYEE"])
    assert report.objects["EMPLOYEE"].ambiguous == 1
    assert [e.kind for e in store.errors("EMPLOYEE")] == ["ambiguous"]
    assert store.get_link("EMPLOYEE", emp["EMPLOYEEID"]) is None
    names = {r.local_id: r.name for r in app.list_records("EMPLOYEE")}
    assert names[first] == "twin one"
    assert names[second] == "twin two"
    # still queued after the next run: never guessed
    engine.run(["EMPLOYEE"])
    assert [e.kind for e in store.errors("EMPLOYEE")] == ["ambiguous"]
    assert store.get_link("EMPLOYEE", emp["EMPLOYEEID"]) is None
    engine.link("EMPLOYEE", emp["EMPLOYEEID"], second)
    assert store.errors("EMPLOYEE") == []
    engine.run(["EMPLOYEE"])
    names = {r.local_id: r.name for r in app.list_records("EMPLOYEE")}
    assert names[second] != "twin two"  # the Intacct data arrived
    assert names[first] == "twin one"
    assert store.get_link("EMPLOYEE", emp["EMPLOYEEID"]).local_id == second  # type: ignore[union-attr]


def test_two_intacct_records_matching_one_local_record_are_ambiguous_until_linked_by_hand(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    for twin in ("E9001", "E9002"):
        emulator.company.insert(
            "EMPLOYEE", {"EMPLOYEEID": twin, "PERSONALINFO": {"CONTACTNAME": "Lovelace, Ada"}}
        )
    local = app.add_record("EMPLOYEE", None, "lovelace, ada ")
    engine = make_engine(page_size=1)  # the twins come on different pages
    report = engine.run(["EMPLOYEE"])
    assert report.objects["EMPLOYEE"].ambiguous == 2
    assert sorted(f.key for f in report.failures) == ["E9001", "E9002"]
    assert all("E9001, E9002" in f.message and local in f.message for f in report.failures)
    assert store.get_link("EMPLOYEE", "E9001") is None
    assert store.get_link("EMPLOYEE", "E9002") is None
    named = [r for r in app.list_records("EMPLOYEE") if "lovelace" in (r.name or "").lower()]
    assert [r.local_id for r in named] == [local], "neither twin linked nor imported as new"
    engine.link("EMPLOYEE", "E9002", local)
    engine.run(["EMPLOYEE"], full=True)
    assert store.get_link("EMPLOYEE", "E9002").local_id == local  # type: ignore[union-attr]
    other = store.get_link("EMPLOYEE", "E9001")
    assert other is not None and other.local_id != local, "decided: the other one is new"
    assert store.errors("EMPLOYEE") == []


def test_tasks_follow_their_project_out_of_and_back_into_use(
    make_engine: EngineFactory, client: Client, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    tasks = {r.key: r for r in app.list_records("TASK")}
    project = next(k for k, r in tasks.items() if r.active).partition("/")[0]  # type: ignore[union-attr]
    own = sorted(k for k, r in tasks.items() if k.startswith(f"{project}/") and r.active)  # type: ignore[union-attr]
    assert own

    def active_tasks() -> list[str]:
        return sorted(
            str(r.key)
            for r in app.list_records("TASK")
            if r.active and str(r.key).startswith(f"{project}/")
        )

    client.update("PROJECT", [{"PROJECTID": project, "STATUS": "inactive"}])
    closed = engine.run()
    assert closed.objects["PROJECT"].inactivated == 1
    assert closed.objects["TASK"].inactivated == len(own)
    assert active_tasks() == []
    assert any(
        n.startswith(f"TASK: {len(own)} inactivated with PROJECT {project}") for n in closed.notes
    )
    assert f"note: TASK: {len(own)} inactivated" in closed.format()
    # a task of the closed project changed in Intacct stays inactive locally
    first = store.get_link("TASK", own[0])
    assert first is not None and first.record_no is not None
    client.update("TASK", [{"RECORDNO": first.record_no, "NAME": "Renamed while closed"}])
    assert engine.run().objects["TASK"].updated == 0
    assert active_tasks() == []

    client.update("PROJECT", [{"PROJECTID": project, "STATUS": "active"}])
    reopened = engine.run()
    assert reopened.objects["PROJECT"].updated == 1
    assert active_tasks() == own
    assert any(f"made active again with reopened PROJECT {project}" in n for n in reopened.notes)
    assert engine.run().objects["TASK"].as_dict().keys() <= {"unchanged"}


def test_linking_by_hand_checks_both_sides(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    emp = next(r for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active")
    local = app.add_record("EMPLOYEE", None, "someone")
    engine = make_engine()
    with pytest.raises(ConfigurationError, match=r"EMPLOYEE 'E404' does not exist in Intacct"):
        engine.link("EMPLOYEE", "E404", local)
    with pytest.raises(ConfigurationError, match=r"no local EMPLOYEE record has id '999'"):
        engine.link("EMPLOYEE", emp["EMPLOYEEID"], "999")
    with pytest.raises(ConfigurationError, match=r"no local EMPLOYEE record has id 'abc'"):
        engine.link("EMPLOYEE", emp["EMPLOYEEID"], "abc")
    with pytest.raises(ConfigurationError, match="TIMESHEET is not a pulled object"):
        engine.link("TIMESHEET", "1", local)
    with pytest.raises(ConfigurationError, match="neither linked nor in Intacct"):
        engine.unlink("EMPLOYEE", "E404")
    with pytest.raises(ConfigurationError, match="PROJECTID/TASKID"):
        engine.link("TASK", "no-slash", local)
    assert list(store.links("EMPLOYEE")) == []
    engine.link("EMPLOYEE", emp["EMPLOYEEID"], local)
    link = store.get_link("EMPLOYEE", emp["EMPLOYEEID"])
    assert link is not None and link.local_id == local
    assert link.record_no == int(emp["RECORDNO"])
    engine.run(["EMPLOYEE"])
    assert len([r for r in app.list_records("EMPLOYEE") if r.key == emp["EMPLOYEEID"]]) == 1


def test_unlinked_records_are_neither_updated_nor_reimported(
    make_engine: EngineFactory,
    client: Client,
    emulator: Emulator,
    app: ReferenceApp,
    store: SQLiteStateStore,
) -> None:
    engine = make_engine()
    engine.run(["EMPLOYEE"])
    emp = next(r for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active")
    engine.unlink("EMPLOYEE", emp["EMPLOYEEID"])
    client.update("EMPLOYEE", [{"EMPLOYEEID": emp["EMPLOYEEID"], "TITLE": "Changed"}])
    count = len(app.list_records("EMPLOYEE"))
    report = engine.run(["EMPLOYEE"], full=True)
    assert report.objects["EMPLOYEE"].updated == 0
    # a full run reads only active records: the one unlinked by hand is the only one skipped
    assert report.objects["EMPLOYEE"].skipped == 1
    assert report.objects["EMPLOYEE"].skip_reasons() == {"unlinked": 1}
    assert len(app.list_records("EMPLOYEE")) == count
    assert store.get_link("EMPLOYEE", emp["EMPLOYEEID"]).state is LinkState.UNLINKED  # type: ignore[union-attr]


def test_import_selected_limits_new_records(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    wanted = sorted(_active_remote(emulator, "EMPLOYEE"))[:2]
    engine = make_engine(import_selected={"EMPLOYEE": frozenset(wanted)})
    report = engine.run(["EMPLOYEE"])
    assert _active_local(app, "EMPLOYEE") == set(wanted)
    assert report.objects["EMPLOYEE"].skipped == len(_active_remote(emulator, "EMPLOYEE")) - 2
    assert report.objects["EMPLOYEE"].skip_reasons() == {
        "not_selected": len(_active_remote(emulator, "EMPLOYEE")) - 2
    }


def test_local_id_is_written_back_to_a_custom_field(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    emulator.company.add_custom_field("EMPLOYEE", "TIMESYNC_LOCAL_ID")
    engine = make_engine(writeback_field={"EMPLOYEE": "TIMESYNC_LOCAL_ID"})
    engine.run(["EMPLOYEE"])
    local = {str(r.key): r.local_id for r in app.list_records("EMPLOYEE")}
    remote = {
        r["EMPLOYEEID"]: r.get("TIMESYNC_LOCAL_ID")
        for r in emulator.company.records("EMPLOYEE")
        if r["EMPLOYEEID"] in local
    }
    assert remote == local
    report = engine.run(["EMPLOYEE"])  # the write-back echoes back as unchanged, not updated
    assert report.objects["EMPLOYEE"].updated == 0
    assert report.functions_by_name.get("update", 0) == 0


def test_dry_run_writes_nothing(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    report = make_engine().run(dry_run=True)
    assert report.dry_run
    assert report.objects["EMPLOYEE"].created == len(_active_remote(emulator, "EMPLOYEE"))
    assert any(p.startswith("create local EMPLOYEE") for p in report.planned)
    assert app.list_records("EMPLOYEE") == []
    assert store.cursors() == []
    assert list(store.links("EMPLOYEE")) == []
    writes = {"create", "update", "delete", "approve", "decline"}
    assert not [k for k in emulator.stats.functions if k[0] in writes]


def test_two_runs_never_overlap(make_engine: EngineFactory, tmp_path: Path) -> None:
    # a second store on the same file (another process, in real life) holds the run lock
    with (
        SQLiteStateStore(tmp_path / "state.db") as other,
        other.run_lock(),
        pytest.raises(LockHeldError),
    ):
        make_engine().run()
    assert make_engine().run().ok


def test_hooks_and_progress_see_the_run(make_engine: EngineFactory) -> None:
    events: list[str] = []
    ticks: list[Progress] = []

    class Recorder(Hooks):
        def run_started(self, run_id: int, objects: tuple[str, ...], *, dry_run: bool) -> None:
            events.append("started")

        def run_finished(self, report: RunReport) -> None:
            events.append("finished")

    engine = make_engine(progress=ticks.append)
    engine.hooks = Recorder()
    engine.run()
    assert events == ["started", "finished"]
    assert {t.object_name for t in ticks} >= set(PULLED)


def test_a_custom_filter_is_applied_to_incremental_reads(
    client: Client, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    """Incremental reads ask for every change and apply the spec's filter locally, so a
    record that leaves the filter is inactivated and one that enters it is imported."""
    specs = default_specs()
    specs["PROJECT"] = attrs.evolve(
        specs["PROJECT"], filter=(F("STATUS") == "active") & (F("PROJECTCATEGORY") == "Contract")
    )
    engine = Engine(client, app, store, specs=specs)
    engine.run(["PROJECT"])
    contract = {
        r["PROJECTID"]
        for r in emulator.company.records("PROJECT")
        if r["PROJECTCATEGORY"] == "Contract" and r["STATUS"] == "active"
    }
    assert _active_local(app, "PROJECT") == contract
    leaving = sorted(contract)[0]
    entering = next(
        r["PROJECTID"]
        for r in emulator.company.records("PROJECT")
        if r["PROJECTCATEGORY"] != "Contract" and r["STATUS"] == "active"
    )
    client.update("PROJECT", [{"PROJECTID": leaving, "PROJECTCATEGORY": "Internal Billable"}])
    client.update("PROJECT", [{"PROJECTID": entering, "PROJECTCATEGORY": "Contract"}])
    report = engine.run(["PROJECT"])
    assert report.objects["PROJECT"].inactivated == 1
    assert report.objects["PROJECT"].created == 1
    assert _active_local(app, "PROJECT") == (contract - {leaving}) | {entering}


def test_skipped_records_are_counted_by_reason(
    client: Client, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    """An incremental read sees every changed record; those out of scope are skipped, and
    the report says why: inactive upstream, outside the filter, or unlinked by hand."""
    specs = default_specs()
    specs["PROJECT"] = attrs.evolve(
        specs["PROJECT"], filter=(F("STATUS") == "active") & (F("PROJECTCATEGORY") == "Contract")
    )
    engine = Engine(
        client, app, store, specs=specs, options=EngineOptions(lag=timedelta(days=3650))
    )
    engine.run(["PROJECT"])
    # new upstream, never linked: one inactive, one outside the filter
    client.create(
        "PROJECT",
        [
            {"PROJECTID": "P-OFF", "NAME": "Off", "PROJECTCATEGORY": "Contract"},
            {"PROJECTID": "P-INT", "NAME": "Inside", "PROJECTCATEGORY": "Internal Billable"},
        ],
    )
    client.update("PROJECT", [{"PROJECTID": "P-OFF", "STATUS": "inactive"}])
    projects = list(emulator.company.records("PROJECT"))
    inactive = {r["PROJECTID"] for r in projects if r["STATUS"] != "active"}
    filtered = {
        r["PROJECTID"]
        for r in projects
        if r["STATUS"] == "active" and r["PROJECTCATEGORY"] != "Contract"
    }
    contract = {r["PROJECTID"] for r in projects} - inactive - filtered
    assert {"P-OFF", "P-INT"} <= inactive | filtered
    assert len(contract) >= 1
    engine.unlink("PROJECT", sorted(contract)[0])

    report = engine.run(["PROJECT"])  # the lag re-reads every project
    rep = report.objects["PROJECT"]
    assert rep.skip_reasons() == {
        "inactive": len(inactive),
        "filtered": len(filtered),
        "unlinked": 1,
    }
    assert rep.skipped == len(inactive) + len(filtered) + 1
    assert rep.unchanged == len(contract) - 1
    line = next(ln for ln in report.format().splitlines() if ln.strip().startswith("PROJECT"))
    assert (
        f"skipped {rep.skipped} (inactive {len(inactive)}, filtered {len(filtered)}, unlinked 1)"
        in line
    )
