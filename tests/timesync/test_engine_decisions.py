# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Intacct's approval decisions on pushed timesheets and expense reports reach the local
app, at least once."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    EngineFactory,
    add_expense_reports,
    add_timesheets,
    app,
    client,
    emulator,
    engine_client,
    expense_lines,
    live_expense_reports,
    live_timesheets,
    make_engine,
    store,
)

from intacct_sdk.testing import Emulator
from timesync.engine import Engine, Hooks
from timesync.engine._decisions import build_decision, decision_from_json, decision_to_json
from timesync.local import Decision, EntryInput, ExpenseInput, ReferenceApp
from timesync.store import SQLiteStateStore


def _record_no(emulator: Emulator, local_id: str) -> int:
    return int(live_timesheets(emulator)[local_id][0]["RECORDNO"])


def _entry_keys(emulator: Emulator, record_no: int) -> list[str]:
    return [
        str(r["RECORDNO"])
        for r in sorted(
            emulator.company.records("TIMESHEETENTRY"), key=lambda r: int(r.get("LINENO") or 0)
        )
        if str(r.get("TIMESHEETKEY")) == str(record_no)
    ]


def _decide(emulator: Emulator, approve: list[int], decline: dict[int, str]) -> None:
    """Decide "in Intacct", as an approver would: through a client of its own."""
    with engine_client(emulator) as approver:
        for rn in approve:
            approver.approve("TIMESHEET", rn, approved_by="APPROVER1")
        for rn, comment in decline.items():
            approver.decline("TIMESHEET", rn, declined_by="APPROVER1", comment=comment)


def test_approve_and_decline_in_intacct_reach_the_app(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    _ticking(emulator)
    engine = make_engine()
    engine.run()
    ids = add_timesheets(app, 3)
    engine.run()
    rns = [_record_no(emulator, i) for i in ids]
    engine.run()  # nothing decided yet: nothing to hear
    assert [app.timesheet_status(i) for i in ids] == [None, None, None]

    _decide(emulator, approve=[rns[0]], decline={rns[1]: "Wrong project on Tuesday"})
    report = engine.run()
    assert report.ok, report.failures
    approved, declined = app.timesheet_status(ids[0]), app.timesheet_status(ids[1])
    assert approved is not None and declined is not None
    assert (approved.state, approved.record_no, approved.approver) == (
        "Approved",
        rns[0],
        "APPROVER1",
    )
    assert (declined.state, declined.comment, declined.approver) == (
        "Declined",
        "Wrong project on Tuesday",
        "APPROVER1",
    )
    assert approved.decided_on is not None and approved.entry_states == ()
    assert app.timesheet_status(ids[2]) is None  # still awaiting approval: not a decision
    assert [app.pushed_state(i)[1] for i in ids] == ["Approved", "Declined", "Submitted"]
    assert store.pending_decisions("TIMESHEET") == []

    # a run where nothing changed costs no request more than before any decision
    base_requests = emulator.stats.http_requests
    quiet = engine.run()
    assert quiet.ok
    quiet_cost = emulator.stats.http_requests - base_requests
    engine.run()
    assert emulator.stats.http_requests - base_requests == 2 * quiet_cost
    assert emulator.stats.functions.get(("query", "TIMESHEETAPPROVAL"), 0) == 1


def test_no_decision_read_costs_a_request_when_nothing_changed(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine()
    engine.run()
    add_timesheets(app, 2)
    engine.run()
    engine.run()
    before = emulator.stats.http_requests
    engine.run()
    # one request: the combined first read (changed timesheets among it); no approval read
    assert emulator.stats.http_requests - before == 1
    assert ("query", "TIMESHEETAPPROVAL") not in emulator.stats.functions


def test_a_partial_decision_gives_each_entrys_state(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine = make_engine()
    engine.run()
    [local_id] = add_timesheets(app, 1)
    engine.run()
    rn = _record_no(emulator, local_id)
    first, _second = _entry_keys(emulator, rn)
    with engine_client(emulator) as approver:
        approver.approve("TIMESHEET", rn, entry_keys=[first], approved_by="APPROVER1")
    engine.run()
    status = app.timesheet_status(local_id)
    assert status is not None
    assert status.state == "Partially Approved"
    assert status.entry_states == ((1, "Approved"), (2, "Submitted"))


class _Refuses(ReferenceApp):
    """An app whose decision callback fails the first time (it was down)."""

    calls = 0

    def document_decided(self, object_name: str, local_id: str, decision: Decision) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            raise RuntimeError("app database is down")
        super().document_decided(object_name, local_id, decision)


class _Killed(BaseException):
    """The process dying: nothing after it runs."""


class _Dies(ReferenceApp):
    """An app whose process dies while it takes a decision (after the store committed it)."""

    def document_decided(self, object_name: str, local_id: str, decision: Decision) -> None:
        raise _Killed


def _push_and_decline(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> tuple[str, int]:
    engine = make_engine()
    engine.run()
    [local_id] = add_timesheets(app, 1)
    engine.run()
    rn = _record_no(emulator, local_id)
    _decide(emulator, approve=[], decline={rn: "Hours over budget"})
    return local_id, rn


def test_a_decision_the_app_refused_is_offered_again(
    emulator: Emulator, client: object, store: SQLiteStateStore, tmp_path: Path
) -> None:
    from timesync.engine import Engine, EngineOptions

    with _Refuses(tmp_path / "app.db") as app:
        engine = Engine(client, app, store, options=EngineOptions())
        engine.run()
        [local_id] = add_timesheets(app, 1)
        engine.run()
        rn = _record_no(emulator, local_id)
        _decide(emulator, approve=[], decline={rn: "Hours over budget"})
        engine.run()
        assert app.timesheet_status(local_id) is None
        assert [n.local_id for n in store.pending_decisions("TIMESHEET")] == [local_id]
        engine.run()
        status = app.timesheet_status(local_id)
        assert status is not None and status.comment == "Hours over budget"
        assert store.pending_decisions("TIMESHEET") == []
        assert _Refuses.calls == 2


def test_a_decision_is_delivered_after_a_death_between_store_and_app(
    emulator: Emulator, client: object, store: SQLiteStateStore, tmp_path: Path
) -> None:
    from timesync.engine import Engine, EngineOptions

    path = tmp_path / "app.db"
    with ReferenceApp(path) as app:
        engine = Engine(client, app, store, options=EngineOptions())
        engine.run()
        [local_id] = add_timesheets(app, 1)
        engine.run()
    rn = _record_no(emulator, local_id)
    _decide(emulator, approve=[], decline={rn: "Hours over budget"})
    with _Dies(path) as dying, pytest.raises(_Killed):
        Engine(client, dying, store, options=EngineOptions()).run()
    store.run_lock().release()  # a dead process holds no lock
    with ReferenceApp(path) as app:
        assert app.timesheet_status(local_id) is None
        Engine(client, app, store, options=EngineOptions()).run()
        status = app.timesheet_status(local_id)
        assert status is not None
        assert (status.state, status.comment) == ("Declined", "Hours over budget")
    assert emulator.stats.functions.get(("query", "TIMESHEETAPPROVAL"), 0) == 1  # not re-read


def _ticking(emulator: Emulator) -> None:
    """Let the emulator's clock move a minute at every reading, so that a decision never
    shares a WHENMODIFIED second with the engine's own write."""
    start = emulator.company.now()
    ticks = itertools.count(1)
    emulator.company.clock = lambda: start + timedelta(minutes=next(ticks))


def test_a_declined_timesheet_corrected_locally_goes_back_up(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    _ticking(emulator)
    local_id, _rn = _push_and_decline(make_engine, emulator, app)
    engine = make_engine()
    engine.run()
    status = app.timesheet_status(local_id)
    assert status is not None and status.state == "Declined"
    week = date(2025, 1, 6)
    [first, *_] = app.timesheet_entries(local_id)
    app.update_timesheet(
        local_id,
        [EntryInput(week, Decimal("6"), first.project_number, first.task_code, notes="fixed")],
    )
    report = engine.run()
    assert report.ok, report.failures
    assert report.conflicts == []
    assert report.objects["TIMESHEET"].updated == 1
    [live] = live_timesheets(emulator)[local_id]
    assert live["STATE"] == "Submitted"
    qty = [
        r.get("QTY")
        for r in emulator.company.records("TIMESHEETENTRY")
        if str(r.get("TIMESHEETKEY")) == str(live["RECORDNO"])
    ]
    assert [Decimal(str(q)) for q in qty] == [Decimal("6")]
    assert app.pushed_state(local_id)[1] == "Submitted"


def test_decisions_round_trip_through_the_store_text() -> None:
    d = Decision("Partially Declined", 7, "A1", date(2025, 1, 9), "no", ((1, "Declined"),))
    assert decision_from_json(decision_to_json(d)) == d


def test_the_latest_decision_and_comment_win() -> None:
    header = {"RECORDNO": "5", "STATE": "Partially Declined"}
    approvals = [
        {"RECORDNO": "1", "STATE": "Submitted"},
        {"RECORDNO": "2", "STATE": "Declined", "APPROVEDBY": "B", "COMMENTS": "too many hours"},
        {"RECORDNO": "3", "STATE": "Approved", "APPROVEDBY": "C", "EVENTDATE": "01/10/2025"},
    ]
    entries = [
        {"LINENO": "2", "STATE": "Approved"},
        {"LINENO": "1", "STATE": "Declined"},
    ]
    d = build_decision(header, approvals, entries)
    assert (d.approver, d.decided_on, d.comment) == ("C", date(2025, 1, 10), "too many hours")
    assert d.entry_states == ((1, "Declined"), (2, "Approved"))


class _Older(ReferenceApp):
    """An app written before ``document_decided`` existed."""

    document_decided = None  # type: ignore[assignment]


def test_an_app_without_document_decided_hears_the_state_through_document_pushed(
    emulator: Emulator, client: object, store: SQLiteStateStore, tmp_path: Path
) -> None:
    from timesync.engine import Engine, EngineOptions

    with _Older(tmp_path / "app.db") as app:
        engine = Engine(client, app, store, options=EngineOptions())
        engine.run()
        [local_id] = add_timesheets(app, 1)
        engine.run()
        rn = _record_no(emulator, local_id)
        _decide(emulator, approve=[rn], decline={})
        assert engine.run().ok
        assert app.pushed_state(local_id) == (rn, "Approved")
        assert store.pending_decisions("TIMESHEET") == []
        assert store.pending_notices("TIMESHEET") == []


def test_the_store_keeps_one_decision_per_document_and_repeats_none(
    store: SQLiteStateStore,
) -> None:
    from timesync.store import DecisionNotice

    first = DecisionNotice("TIMESHEET", "1", 5, '{"state": "Declined"}')
    store.queue_decision(first)
    assert store.pending_decisions("TIMESHEET") == [first]
    store.clear_decision(first)
    assert store.pending_decisions("TIMESHEET") == []
    store.queue_decision(first)  # read again (the lag window): still delivered
    assert store.pending_decisions("TIMESHEET") == []
    later = DecisionNotice("TIMESHEET", "1", 5, '{"state": "Approved"}')
    store.queue_decision(later)
    store.clear_decision(first)  # a delivery of the old one does not clear the new one
    assert [d.payload for d in store.pending_decisions("TIMESHEET")] == [later.payload]
    last = store.last_decision("TIMESHEET", "1")
    assert last is not None and last.pending and last.payload == later.payload


# ---------------------------------------------------------------------------------------------
# expense reports: the decision is the report's own state (no approval-record object)


def _push_expense_reports(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, count: int
) -> tuple[Engine, list[str], list[int]]:
    _ticking(emulator)
    engine = make_engine(push_objects=("TIMESHEET", "EEXPENSES"))
    engine.run()
    ids = add_expense_reports(app, count)
    report = engine.run()
    assert report.ok, report.failures
    live = live_expense_reports(emulator)
    return engine, ids, [int(live[i][0]["RECORDNO"]) for i in ids]


def test_expense_report_decisions_reach_the_app(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, store: SQLiteStateStore
) -> None:
    engine, ids, rns = _push_expense_reports(make_engine, emulator, app, 3)
    engine.run()
    assert [app.document_status(i, "EEXPENSES") for i in ids] == [None, None, None]

    emulator.company.approve_expense_report(rns[0], approver="MANAGER1")
    emulator.company.decline_expense_report(rns[1], approver="MANAGER2")
    before = dict(emulator.stats.functions)
    report = engine.run()
    assert report.ok, report.failures
    approved = app.document_status(ids[0], "EEXPENSES")
    declined = app.document_status(ids[1], "EEXPENSES")
    assert approved is not None and declined is not None
    assert (approved.state, approved.record_no, approved.approver) == (
        "Approved",
        rns[0],
        "MANAGER1",
    )
    assert (declined.state, declined.approver, declined.comment) == ("Declined", "MANAGER2", None)
    assert approved.decided_on is not None
    assert app.document_status(ids[2], "EEXPENSES") is None  # still awaiting approval
    assert [app.pushed_state(i, "EEXPENSES")[1] for i in ids] == [
        "Approved",
        "Declined",
        "Submitted",
    ]
    # the header read was all it took: no approval-record read, no line read for expenses
    read = {k: v - before.get(k, 0) for k, v in emulator.stats.functions.items()}
    assert read.get(("query", "EEXPENSESITEM"), 0) == 0
    assert read.get(("query", "TIMESHEETAPPROVAL"), 0) == 0
    assert store.pending_decisions("EEXPENSES") == []
    # a timesheet decision table is untouched by expense decisions
    assert app.timesheet_status(ids[0]) is None

    # paid later: the app hears that too (every state past Submitted is news)
    with emulator.company.lock:
        d = emulator.company.resolve("EEXPENSES")
        assert d is not None
        row = dict(emulator.company.table("EEXPENSES").rows[rns[0]])
        row["STATE"], row["WHENMODIFIED"] = "Paid", emulator.company.stamp()
        emulator.company.put(d, row)
    engine.run()
    paid = app.document_status(ids[0], "EEXPENSES")
    assert paid is not None and paid.state == "Paid"


def test_a_declined_expense_report_corrected_locally_goes_back_up(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    engine, ids, rns = _push_expense_reports(make_engine, emulator, app, 2)
    emulator.company.decline_expense_report(rns[0], approver="MANAGER1")
    emulator.company.approve_expense_report(rns[1], approver="MANAGER1")
    engine.run()
    for local_id in ids:
        [doc] = app.get_documents("EEXPENSES", [local_id])
        assert doc.model is not None
        first = doc.model.lines[0]
        app.update_expense_report(
            local_id, [ExpenseInput(first.entry_date, Decimal("42.00"), "Taxi")]
        )
    report = engine.run()
    # the declined one is sent again, in place; the approved one cannot change in Intacct
    declined_row = emulator.company.get("EEXPENSES", rns[0])
    assert declined_row is not None and declined_row["STATE"] == "Submitted"
    assert [line[1:3] for line in expense_lines(emulator, rns[0])] == [("42.00", "Taxi")]
    assert [(c.object_name, c.key) for c in report.conflicts] == [("EEXPENSES", ids[1])]
    assert len(live_expense_reports(emulator)) == 2


class _DiesOnWrite(Hooks):
    """Engine hooks of a process that dies as its write lands (before the run records it)."""

    def record_applied(self, object_name: str, key: str, action: str) -> None:
        raise _Killed


def test_the_engines_own_write_left_in_flight_by_a_death_is_not_taken_for_a_decision(
    emulator: Emulator, client: object, store: SQLiteStateStore, tmp_path: Path
) -> None:
    # approved in Intacct, corrected locally, the run dies as the correction lands: the
    # rerun must not tell the app that an approver made it "Partially Approved"
    from timesync.engine import Engine, EngineOptions, PushOptions

    _ticking(emulator)
    opts = EngineOptions(push=PushOptions(target_state="Submitted"))
    with ReferenceApp(tmp_path / "app.db") as app:
        engine = Engine(client, app, store, options=opts)
        engine.run()
        [local_id] = add_timesheets(app, 1)
        engine.run()
        rn = _record_no(emulator, local_id)
        _decide(emulator, approve=[rn], decline={})
        engine.run()
        heard = app.timesheet_status(local_id)
        assert heard is not None and heard.state == "Approved"
        entries = app.timesheet_entries(local_id)
        entries[0] = EntryInput(
            entries[0].entry_date,
            entries[0].hours + 1,
            entries[0].project_number,
            entries[0].task_code,
            notes="more",
        )
        app.update_timesheet(local_id, entries)
        with pytest.raises(_Killed):
            Engine(client, app, store, options=opts, hooks=_DiesOnWrite()).run()
        store.run_lock().release()  # a dead process holds no lock
        approvals_read = emulator.stats.functions.get(("query", "TIMESHEETAPPROVAL"), 0)
        assert engine.run().ok
        assert engine.run().ok
        assert app.timesheet_status(local_id) == heard  # no decision made since
        assert emulator.stats.functions.get(("query", "TIMESHEETAPPROVAL"), 0) == approvals_read
        [live] = live_timesheets(emulator)[local_id]
        assert live["STATE"] == "Partially Approved"  # the new entries await approval
        assert app.pushed_state(local_id) == (rn, "Partially Approved")
        # and a decision made afterwards is still heard
        _decide(emulator, approve=[rn], decline={})
        assert engine.run().ok
        after = app.timesheet_status(local_id)
        assert after is not None and after.state == "Approved"
