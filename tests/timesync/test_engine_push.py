# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Push end to end: approved local timesheets to the emulated gateway, exactly once."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    EngineFactory,
    add_timesheets,
    app,
    client,
    emulator,
    live_timesheets,
    local_of,
    make_engine,
    store,
)

from intacct_sdk import Client
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._faults import FaultPlan
from timesync.engine import Conflict, Hooks, RecordFailure
from timesync.local import EntryInput, ExpenseInput, ReferenceApp
from timesync.store import OutboxState, SQLiteStateStore


def _entries(emulator: Emulator, record_no: int) -> list[dict[str, object]]:
    return [
        r
        for r in emulator.company.records("TIMESHEETENTRY")
        if str(r.get("TIMESHEETKEY")) == str(record_no)
    ]


def _writes(emulator: Emulator, name: str) -> int:
    return sum(v for (fn, obj), v in emulator.stats.functions.items() if fn == name)


def test_approved_timesheets_land_submitted_stamped_and_linked(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    ids = add_timesheets(app, 5)
    draft = app.create_timesheet("E00001", date(2025, 1, 13), [], status="draft")
    report = engine.run()
    assert report.ok
    assert report.objects["TIMESHEET"].created == 5
    live = live_timesheets(emulator)
    assert sorted(live) == sorted(ids)  # the unapproved one stayed home
    assert draft not in live
    for local_id in ids:
        [rec] = live[local_id]
        assert rec["STATE"] == "Submitted"
        link = store.get_link("TIMESHEET", local_id)
        assert link is not None
        assert link.record_no == int(rec["RECORDNO"])
        assert link.remote_modified is not None
        assert app.pushed_state(local_id) == (link.record_no, "Submitted")
        entries = _entries(emulator, link.record_no)
        assert len(entries) == 2
        task_links = {lk.record_no for lk in store.links("TASK")}
        assert all(int(e["TASKKEY"]) in task_links for e in entries)
    again = engine.run()
    assert again.objects["TIMESHEET"].created == 0
    assert len(live_timesheets(emulator)) == 5


def test_creates_are_batched_several_per_request(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine(push={"batch_size": 50})
    engine.run()
    add_timesheets(app, 30)
    requests, creates = emulator.stats.http_requests, _writes(emulator, "create")
    report = engine.run(["TIMESHEET"])
    # one request reading Intacct back by the 30 stamps (with the store's one-time check
    # for other installations' stamps), one with 30 creates, one query reading back
    # WHENMODIFIED and STATE
    assert emulator.stats.http_requests - requests == 3
    assert _writes(emulator, "create") - creates == 30
    assert report.functions_by_name == {"create": 30, "query": 3}
    add_timesheets(app, 30)
    report = engine.run(["TIMESHEET"])
    # the check was once; the read of decided timesheets joins the first request
    assert report.functions_by_name == {"create": 30, "query": 3}


def test_target_approved_creates_then_approves_and_corrections_become_conflicts(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine("Approved", push={"approved_changes": "conflict"})
    engine.run()
    [local_id] = add_timesheets(app, 1)
    report = engine.run()
    assert report.objects["TIMESHEET"].created == 1
    assert report.objects["TIMESHEET"].approved == 1
    [rec] = live_timesheets(emulator)[local_id]
    assert rec["STATE"] == "Approved"
    # with the conflict policy, a correction of approved time is held back, not sent
    app.update_timesheet(local_id, app.timesheet_entries(local_id)[:1])
    writes = _writes(emulator, "update") + _writes(emulator, "create")
    report = engine.run()
    assert report.objects["TIMESHEET"].conflicts == 1
    assert "Approved" in report.conflicts[0].reason
    assert _writes(emulator, "update") + _writes(emulator, "create") == writes
    assert len(_entries(emulator, int(rec["RECORDNO"]))) == 2


def test_target_draft(make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp) -> None:
    engine = make_engine("Draft")
    engine.run()
    [local_id] = add_timesheets(app, 1)
    engine.run()
    assert live_timesheets(emulator)[local_id][0]["STATE"] == "Draft"


def test_corrections_replace_the_entries_of_the_same_timesheet(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine()
    engine.run()
    first, second = add_timesheets(app, 2)
    engine.run()
    record_no = store.get_link("TIMESHEET", first).record_no  # type: ignore[union-attr]
    entries = app.timesheet_entries(first)
    app.update_timesheet(
        first,
        [
            *entries,
            EntryInput(
                date(2025, 1, 8),
                Decimal("3.25"),
                entries[0].project_number,
                entries[0].task_code,
                notes="added",
            ),
        ],
    )
    app.delete_timesheet(second)
    report = engine.run()
    assert report.objects["TIMESHEET"].updated == 1
    assert report.objects["TIMESHEET"].deleted == 1
    live = live_timesheets(emulator)
    assert list(live) == [first]
    assert int(live[first][0]["RECORDNO"]) == record_no
    hours = sorted(Decimal(str(e["QTY"])) for e in _entries(emulator, record_no))
    assert hours == sorted([Decimal("7.5"), Decimal("1"), Decimal("3.25")])


def test_a_timesheet_changed_in_intacct_is_a_conflict_until_resolved(
    make_engine: EngineFactory,
    client: Client,
    emulator: Emulator,
    app: ReferenceApp,
    store: SQLiteStateStore,
) -> None:
    # WHENMODIFIED has a resolution of one second: a clock that moves a second per reading
    # lets the test tell "after our write" from "the same second" without sleeping
    ticks = itertools.count()
    start = datetime.now(UTC)
    emulator.clock = emulator.company.clock = lambda: start + timedelta(seconds=next(ticks))
    engine = make_engine()
    engine.run()
    [local_id] = add_timesheets(app, 1)
    engine.run()
    link = store.get_link("TIMESHEET", local_id)
    assert link is not None
    [rec] = live_timesheets(emulator)[local_id]
    client.update(
        "TIMESHEET",
        [
            {
                "RECORDNO": link.record_no,
                "EMPLOYEEID": rec["EMPLOYEEID"],
                "BEGINDATE": date(2025, 1, 6),
                "TIMESHEETENTRIES": [
                    {"ENTRYDATE": date(2025, 1, 6), "QTY": Decimal(1), "NOTES": "theirs"}
                ],
            }
        ],
    )
    app.update_timesheet(local_id, app.timesheet_entries(local_id)[:1])
    report = engine.run()
    assert report.objects["TIMESHEET"].conflicts == 1
    assert [e.kind for e in store.errors("TIMESHEET")] == ["conflict"]
    assert [e["NOTES"] for e in _entries(emulator, link.record_no)] == ["theirs"]
    engine.accept_local("TIMESHEET", local_id)
    report = engine.run()
    assert report.objects["TIMESHEET"].updated == 1
    assert store.errors("TIMESHEET") == []
    assert [e["NOTES"] for e in _entries(emulator, link.record_no)] == ["sheet 0"]


def test_a_failing_timesheet_is_isolated_queued_and_retried(
    make_engine: EngineFactory,
    client: Client,
    emulator: Emulator,
    app: ReferenceApp,
    store: SQLiteStateStore,
) -> None:
    engine = make_engine()
    engine.run()
    good = add_timesheets(app, 3)
    task = next(r for r in app.list_records("TASK") if r.active)
    project, _, code = str(task.key).partition("/")
    bad = app.create_timesheet(
        "E-LATE", date(2025, 1, 6), [EntryInput(date(2025, 1, 6), Decimal(2), project, code)]
    )
    report = engine.run()
    assert report.objects["TIMESHEET"].created == 3
    assert report.objects["TIMESHEET"].errors == 1
    assert [f.key for f in report.failures] == [bad]
    assert sorted(live_timesheets(emulator)) == sorted(good)
    assert [e.key for e in store.errors("TIMESHEET")] == [bad]
    client.create("EMPLOYEE", [{"EMPLOYEEID": "E-LATE", "PERSONALINFO.CONTACTNAME": "Late, Kim"}])
    report = engine.run()
    assert report.objects["TIMESHEET"].created == 1
    assert sorted(live_timesheets(emulator)) == sorted([*good, bad])
    assert store.errors("TIMESHEET") == []


def test_applied_but_response_lost_is_recovered_without_a_duplicate(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Approved")
    engine.run()
    ids = add_timesheets(app, 4)
    # the next request is the batch of creates: applied, then the connection drops
    nxt = emulator.stats.http_requests + 1
    emulator.faults = FaultPlan.parse(f"lost@{nxt}")
    report = engine.run(["TIMESHEET"])
    live = live_timesheets(emulator)
    assert sorted(live) == sorted(ids)
    assert all(len(v) == 1 for v in live.values())
    assert report.objects["TIMESHEET"].recovered + report.objects["TIMESHEET"].created == 4
    emulator.faults = None
    engine.run(["TIMESHEET"])
    live = live_timesheets(emulator)
    assert all(len(v) == 1 and v[0]["STATE"] == "Approved" for v in live.values())
    assert store.outbox(states=[OutboxState.IN_FLIGHT, OutboxState.PENDING]) == []


def test_a_524_on_the_approve_step_is_recovered(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Approved")
    engine.run()
    ids = add_timesheets(app, 2)
    # requests: creates, then approves
    nxt = emulator.stats.http_requests + 2
    emulator.faults = FaultPlan.parse(f"http524@{nxt}")
    engine.run(["TIMESHEET"])
    emulator.faults = None
    engine.run(["TIMESHEET"])
    live = live_timesheets(emulator)
    assert sorted(live) == sorted(ids)
    assert all(len(v) == 1 and v[0]["STATE"] == "Approved" for v in live.values())
    assert _writes(emulator, "create") == 2  # each timesheet created once, never resent


def test_a_correction_whose_answer_is_lost_is_done_once(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    """The update applies, the answer is lost, the client's replay is refused as a duplicate
    control id: that refusal proves the update ran, so it is not sent again."""
    engine = make_engine()
    engine.run()
    [local_id] = add_timesheets(app, 1)
    engine.run()
    app.update_timesheet(local_id, app.timesheet_entries(local_id)[:1])
    # the correction run reads the Intacct state first, then sends the update
    emulator.faults = FaultPlan.parse(f"lost@{emulator.stats.http_requests + 2}")
    report = engine.run(["TIMESHEET"])
    emulator.faults = None
    assert report.objects["TIMESHEET"].updated == 1
    assert _writes(emulator, "update") == 1
    link = store.get_link("TIMESHEET", local_id)
    assert link is not None
    assert len(_entries(emulator, link.record_no)) == 1  # type: ignore[arg-type]
    assert engine.run(["TIMESHEET"]).objects["TIMESHEET"].updated == 0
    assert store.outbox(states=[OutboxState.PENDING, OutboxState.IN_FLIGHT]) == []


def test_expense_reports_are_pushed_corrected_and_withdrawn_like_timesheets(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    emulator.company.add_custom_field("EEXPENSES", "TIMESYNC_ID")
    engine = make_engine(push_objects=("TIMESHEET", "EEXPENSES"))
    engine.run()
    person = next(r for r in app.list_records("EMPLOYEE") if r.active)
    lines = [
        ExpenseInput(date(2025, 1, 7), Decimal("120.00"), "Hotel", notes="client visit"),
        ExpenseInput(date(2025, 1, 7), Decimal("18.50"), "Meals"),
    ]
    first = app.create_expense_report(str(person.key), date(2025, 1, 8), lines)
    second = app.create_expense_report(str(person.key), date(2025, 1, 9), lines[:1])
    report = engine.run()
    assert report.objects["EEXPENSES"].created == 2
    stamped = {
        local_of(r["TIMESYNC_ID"]): r
        for r in emulator.company.records("EEXPENSES")
        if r.get("TIMESYNC_ID")
    }
    assert sorted(stamped) == sorted([first, second])
    link = store.get_link("EEXPENSES", first)
    assert link is not None
    assert link.record_no == int(stamped[first]["RECORDNO"])

    def amounts(record_no: int) -> list[Decimal]:
        return sorted(
            Decimal(str(x["AMOUNT"]))
            for x in emulator.company.records("EEXPENSESITEM")
            if str(x.get("RECORDKEY")) == str(record_no)
        )

    assert amounts(link.record_no) == [Decimal("18.50"), Decimal("120.00")]
    app.update_expense_report(first, lines[:1])
    report = engine.run()
    assert report.objects["EEXPENSES"].updated == 1
    assert amounts(link.record_no) == [Decimal("120.00")]
    again = engine.run().objects["EEXPENSES"]
    assert (again.created, again.updated) == (0, 0)
    assert len([r for r in emulator.company.records("EEXPENSES") if r.get("TIMESYNC_ID")]) == 2


def test_approval_on_behalf_of_an_approver(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine("Approved", push={"approved_by": "jdoe"})
    engine.run()
    [local_id] = add_timesheets(app, 1)
    engine.run()
    [rec] = live_timesheets(emulator)[local_id]
    approvals = [
        a
        for a in emulator.company.records("TIMESHEETAPPROVAL")
        if str(a.get("TIMESHEETKEY")) == str(rec["RECORDNO"]) and a.get("STATE") == "Approved"
    ]
    assert approvals
    assert {a.get("APPROVEDBY") for a in approvals} == {"jdoe"}


def test_a_dry_run_plans_the_push_and_writes_nothing(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine = make_engine("Approved")
    engine.run()
    ids = add_timesheets(app, 2)
    report = engine.run(dry_run=True)
    assert report.objects["TIMESHEET"].created == 2
    assert sorted(p for p in report.planned if "TIMESHEET" in p) == sorted(
        [f"approve TIMESHEET for local {i}" for i in ids]
        + [f"create TIMESHEET for local {i}" for i in ids]
    )
    assert live_timesheets(emulator) == {}
    assert store.outbox() == []
    assert engine.run().objects["TIMESHEET"].created == 2  # the cursor did not move


def test_hooks_hear_conflicts_and_errors(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    heard: list[str] = []

    class Recorder(Hooks):
        def conflict(self, conflict: Conflict) -> None:
            heard.append(f"conflict {conflict.key}")

        def error(self, failure: RecordFailure) -> None:
            heard.append(f"error {failure.key}")

    engine = make_engine("Approved", push={"approved_changes": "conflict"})
    engine.hooks = Recorder()
    engine.run()
    [approved] = add_timesheets(app, 1)
    engine.run()
    app.update_timesheet(approved, app.timesheet_entries(approved)[:1])
    bad = app.create_timesheet("NOBODY", date(2025, 1, 6), app.timesheet_entries(approved))
    engine.run()
    assert sorted(heard) == sorted([f"conflict {approved}", f"error {bad}"])


class _Deaf(ReferenceApp):
    """A local app that cannot take ``document_pushed`` (as if the process died before it)."""

    def document_pushed(
        self, object_name: str, local_id: str, record_no: int | None, state: str | None
    ) -> None:
        raise RuntimeError("local database unavailable")


def test_the_local_app_hears_of_every_push_even_after_it_missed_the_call(
    emulator: Emulator, client: Client, store: SQLiteStateStore, tmp_path: Path
) -> None:
    from timesync.engine import Engine, EngineOptions, PushOptions

    def engine(app: ReferenceApp) -> Engine:
        return Engine(
            client,
            app,
            store,
            options=EngineOptions(push=PushOptions(target_state="Submitted")),
        )

    with _Deaf(tmp_path / "app.db") as deaf:
        engine(deaf).run()
        ids = add_timesheets(deaf, 3)
        engine(deaf).run()
        assert [deaf.pushed_state(i) for i in ids] == [(None, None)] * 3
    assert {n.local_id for n in store.pending_notices("TIMESHEET")} == set(ids)
    live = live_timesheets(emulator)
    assert sorted(live, key=int) == ids  # pushed once, whatever the local app missed

    with ReferenceApp(tmp_path / "app.db") as app:
        calls_before = emulator.stats.total_functions
        engine(app).run(objects=["TIMESHEET"])
        for local_id in ids:
            assert app.pushed_state(local_id) == (int(live[local_id][0]["RECORDNO"]), "Submitted")
    assert store.pending_notices("TIMESHEET") == []
    assert live_timesheets(emulator) == live  # no write was repeated to deliver the news
    assert emulator.stats.total_functions - calls_before <= 1


def test_with_target_approved_an_unchanged_expense_report_costs_no_read(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    """Expense reports land submitted whatever the timesheets' target: an expense report the
    app offers again unchanged is not read back from Intacct to check for an approval that
    the engine never makes."""
    emulator.company.add_custom_field("EEXPENSES", "TIMESYNC_ID")
    engine = make_engine("Approved", push_objects=("TIMESHEET", "EEXPENSES"))
    engine.run()
    person = next(r for r in app.list_records("EMPLOYEE") if r.active)
    lines = [ExpenseInput(date(2025, 1, 7), Decimal("120.00"), "Hotel", notes="client visit")]
    local_id = app.create_expense_report(str(person.key), date(2025, 1, 8), lines)
    assert engine.run().objects["EEXPENSES"].created == 1

    def reads() -> int:
        return sum(
            n
            for (fn, obj), n in emulator.stats.functions.items()
            if obj == "EEXPENSES" and fn in ("read", "readByQuery", "query")
        )

    before = reads()
    app.update_expense_report(local_id, lines)  # offered again, with the same content
    run = engine.run()
    report = run.objects["EEXPENSES"]
    assert (report.created, report.updated) == (0, 0)
    # the one read is the decision read of changed reports, inside the run's first request
    assert reads() == before + 1
    assert run.http_requests == 1


class _CountingStore(SQLiteStateStore):
    """A state store that tells which write transaction each delivered notice was cleared in."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.opened = 0
        self.cleared: list[int | None] = []  # the transaction's number; None: outside one

    def transaction(self) -> Any:
        if not self._depth:
            self.opened += 1
        return super().transaction()

    def clear_notice(self, notice: Any) -> None:
        self.cleared.append(self.opened if self._depth else None)
        super().clear_notice(notice)


def test_delivered_notices_are_cleared_in_one_store_transaction(
    emulator: Emulator, client: Client, tmp_path: Path
) -> None:
    from timesync.engine import Engine, EngineOptions, PushOptions

    with ReferenceApp(tmp_path / "app.db") as app, _CountingStore(tmp_path / "s.db") as store:
        options = EngineOptions(push=PushOptions(target_state="Submitted"))
        Engine(client, app, store, options=options).run()
        ids = add_timesheets(app, 4)
        store.cleared.clear()
        Engine(client, app, store, options=options).run()
        assert [app.pushed_state(i)[1] for i in ids] == ["Submitted"] * 4
        assert store.pending_notices("TIMESHEET") == []
    assert len(store.cleared) == 4
    assert None not in store.cleared and len(set(store.cleared)) == 1
