# ruff: noqa: F811 - the loopback fixture is imported by name and shadowed by test arguments
"""Crash safety and fault tolerance of the push, end to end.

- A ``timesync sync`` subprocess pushing to a loopback emulator is killed with SIGKILL at
  chosen points (before a request is handled, or after it was applied and before the answer
  reaches the process); a rerun must leave exactly one live Intacct timesheet per local one,
  and likewise one live expense report (EEXPENSES) per local report, corrections applied and
  deletions carried out.
- With 20% of requests failing transiently (lost responses, 524s, 503s, resets), repeated
  runs reach the same end state as a clean run, for timesheets and for expense reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.timesync.engine_fixtures import (
    FAST_RETRY,
    add_expense_reports,
    add_timesheets,
    credentials,
    expense_lines,
    live_expense_reports,
    live_timesheets,
    local_of,
)
from tests.timesync.sync_process import (  # noqa: F401 - loopback is a fixture
    Killer,
    finish_sync,
    loopback,
    start_sync,
    write_sync_config,
)

from intacct_sdk import Client, ClientOptions
from intacct_sdk.testing import Emulator, EmulatorResponse, RequestContext
from intacct_sdk.testing._faults import FaultPlan
from intacct_sdk.testing._seed import demo_company
from timesync.engine import Engine, EngineOptions, PushOptions
from timesync.local import EntryInput, ExpenseInput, ReferenceApp
from timesync.store import OutboxState, SQLiteStateStore


def _company() -> Any:
    return demo_company(employees=8, projects=6, tasks_per_project=3, customers=4)


# Every point at which the subprocess can die: the push of 8 timesheets in batches of 3 takes
# 8 requests (login, 3 create batches, 3 approve batches, a read-back); the process is killed
# before the request is handled (nothing applied) or after (applied, answer never received).
CRASH_POINTS = [(offset, when) for offset in range(1, 9) for when in ("before", "after")]


@pytest.mark.slow
@pytest.mark.parametrize(("offset", "when"), CRASH_POINTS)
def test_sigkill_during_a_push_then_rerun_leaves_no_duplicate_and_nothing_lost(
    loopback: tuple[Emulator, Killer, str], tmp_path: Path, offset: int, when: str
) -> None:
    emulator, killer, url = loopback
    cfg = write_sync_config(tmp_path, url, emulator)
    code, out = finish_sync(start_sync(cfg))
    assert code == 0, out
    with ReferenceApp(tmp_path / "app.db") as app:
        ids = add_timesheets(app, 8)

    killer.kill_sync(cfg, emulator.stats.http_requests + offset, when, "--object", "TIMESHEET")
    for _ in range(2):
        code, out = finish_sync(start_sync(cfg))
    assert code == 0, out

    live = live_timesheets(emulator)
    assert sorted(live, key=int) == ids  # nothing lost
    assert all(len(recs) == 1 for recs in live.values()), live  # no duplicate
    assert {recs[0]["STATE"] for recs in live.values()} == {"Approved"}
    with SQLiteStateStore(tmp_path / "state.db") as store:
        assert (
            store.outbox(states=[OutboxState.IN_FLIGHT, OutboxState.PENDING, OutboxState.FAILED])
            == []
        )
        for local_id, recs in live.items():
            link = store.get_link("TIMESHEET", local_id)
            assert link is not None
            assert link.record_no == int(recs[0]["RECORDNO"])
        assert store.pending_notices("TIMESHEET") == []
    with ReferenceApp(tmp_path / "app.db") as app:  # the local app heard of every push
        for local_id, recs in live.items():
            assert app.pushed_state(local_id) == (int(recs[0]["RECORDNO"]), "Approved")


def _local_lines(app: ReferenceApp, local_id: str) -> list[tuple[Decimal, str]]:
    [doc] = app.get_documents("EEXPENSES", [local_id])
    assert doc.model is not None
    return sorted((x.amount, str(x.expense_type)) for x in doc.model.lines)


def _remote_lines(emulator: Emulator, record_no: Any) -> list[tuple[Decimal, str]]:
    return sorted(
        (Decimal(amount), kind) for _, amount, kind, _, _ in expense_lines(emulator, record_no)
    )


# The killed push holds, in local change order, a correction of a pushed report, a deletion of
# another and three new reports: with batches of 3 it takes 5 requests (login, the read of the
# two linked reports, the batches [update, delete, create] and [create, create], a read-back).
EXPENSE_CRASH_POINTS = [(offset, when) for offset in range(1, 6) for when in ("before", "after")]


@pytest.mark.slow
@pytest.mark.parametrize(("offset", "when"), EXPENSE_CRASH_POINTS)
def test_sigkill_during_an_expense_report_push_then_rerun_leaves_no_duplicate_and_nothing_lost(
    loopback: tuple[Emulator, Killer, str], tmp_path: Path, offset: int, when: str
) -> None:
    emulator, killer, url = loopback
    cfg = write_sync_config(tmp_path, url, emulator, push=("TIMESHEET", "EEXPENSES"))
    code, out = finish_sync(start_sync(cfg))
    assert code == 0, out
    with ReferenceApp(tmp_path / "app.db") as app:
        pushed = add_expense_reports(app, 3)
    code, out = finish_sync(start_sync(cfg))
    assert code == 0, out
    before = live_expense_reports(emulator)
    assert sorted(before, key=int) == pushed
    corrected, deleted, kept = pushed
    with ReferenceApp(tmp_path / "app.db") as app:
        [doc] = app.get_documents("EEXPENSES", [corrected])
        assert doc.model is not None
        first = doc.model.lines[0]
        app.update_expense_report(
            corrected,
            [
                ExpenseInput(first.entry_date, Decimal("99.90"), "Hotel", first.project_key),
                ExpenseInput(first.entry_date, Decimal("12.00"), "Taxi", notes="late receipt"),
            ],
        )
        app.delete_expense_report(deleted)
        created = add_expense_reports(app, 3, first=3)

    killer.kill_sync(cfg, emulator.stats.http_requests + offset, when, "--object", "EEXPENSES")
    for _ in range(2):
        code, out = finish_sync(start_sync(cfg))
    assert code == 0, out

    live = live_expense_reports(emulator)
    assert sorted(live, key=int) == sorted([corrected, kept, *created], key=int)  # nothing lost
    assert all(len(recs) == 1 for recs in live.values()), live  # no duplicate
    assert deleted not in {
        local_of(r.get("TIMESYNC_ID")) for r in emulator.company.records("EEXPENSES")
    }
    assert {recs[0]["STATE"] for recs in live.values()} == {"Submitted"}
    assert live[corrected][0]["RECORDNO"] == before[corrected][0]["RECORDNO"]  # updated in place
    assert live[kept][0]["RECORDNO"] == before[kept][0]["RECORDNO"]
    with ReferenceApp(tmp_path / "app.db") as app:
        for local_id, recs in live.items():
            assert _remote_lines(emulator, recs[0]["RECORDNO"]) == _local_lines(app, local_id)
    with SQLiteStateStore(tmp_path / "state.db") as store:
        assert (
            store.outbox(states=[OutboxState.IN_FLIGHT, OutboxState.PENDING, OutboxState.FAILED])
            == []
        )
        assert store.errors("EEXPENSES") == []
        for local_id, recs in live.items():
            link = store.get_link("EEXPENSES", local_id)
            assert link is not None
            assert link.record_no == int(recs[0]["RECORDNO"])
        gone = store.get_link("EEXPENSES", deleted)
        assert gone is not None
        assert gone.record_no is None
        assert store.pending_notices("EEXPENSES") == []
    with ReferenceApp(tmp_path / "app.db") as app:  # the local app heard of every push
        for local_id, recs in live.items():
            assert app.pushed_state(local_id, "EEXPENSES") == (
                int(recs[0]["RECORDNO"]),
                "Submitted",
            )
        assert app.pushed_state(deleted, "EEXPENSES") == (None, None)


# --------------------------------------------------------------------------- 20% faults


@contextmanager
def _settling(
    emulator: Emulator, folder: Path, max_runs: int, options: EngineOptions
) -> Iterator[tuple[ReferenceApp, Callable[[], None], Callable[[], int]]]:
    """The reference app, and ``settle()``: run the engine until nothing is pending (at most
    ``max_runs`` times), and the number of runs so far."""
    folder.mkdir()
    runs = 0
    with (
        Client(
            credentials(emulator),
            options=ClientOptions(unique_id=True, retry=FAST_RETRY, timezone=UTC),
            transport=emulator.transport(),
        ) as client,
        ReferenceApp(folder / "app.db") as app,
        SQLiteStateStore(folder / "state.db") as store,
    ):
        engine = Engine(client, app, store, options=options)

        def settle() -> None:
            nonlocal runs
            for _ in range(max_runs):
                runs += 1
                report = engine.run()
                if report.ok and report.pending == 0 and not store.errors():
                    return
            pytest.fail(f"not settled after {max_runs} runs: {report.format()}")

        yield app, settle, lambda: runs


def _scenario(emulator: Emulator, folder: Path, *, max_runs: int) -> tuple[Any, int]:
    """Pull, push 12 approved timesheets, correct 3 and delete 1, running the engine until
    nothing is pending; returns the end state and the number of runs it took."""
    options = EngineOptions(push=PushOptions(target_state="Submitted", batch_size=2))
    with _settling(emulator, folder, max_runs, options) as (app, settle, runs):
        settle()
        ids = add_timesheets(app, 12)
        settle()
        for local_id in ids[:3]:
            entries = app.timesheet_entries(local_id)
            app.update_timesheet(
                local_id,
                [
                    *entries,
                    EntryInput(
                        date(2025, 1, 9),
                        Decimal("2.5"),
                        entries[0].project_number,
                        entries[0].task_code,
                        notes="late entry",
                    ),
                ],
            )
        app.delete_timesheet(ids[3])
        settle()
        people = sorted(str(r.key) for r in app.list_records("EMPLOYEE") if r.active)
    state = {}
    for local_id, recs in live_timesheets(emulator).items():
        assert len(recs) == 1, f"duplicate for {local_id}"
        rec = recs[0]
        entries = sorted(
            (str(e["ENTRYDATE"]), str(e["QTY"]), str(e.get("NOTES") or ""))
            for e in emulator.company.records("TIMESHEETENTRY")
            if str(e["TIMESHEETKEY"]) == str(rec["RECORDNO"])
        )
        state[local_id] = (rec["EMPLOYEEID"], rec["BEGINDATE"], rec["STATE"], entries)
    return (state, people), runs()


# A whole scenario is only a few dozen requests (a run's reads share one request), so at
# 20% not every seed hits both kinds of fault; these seeds do (the last assertions check it).
@pytest.mark.slow
@pytest.mark.parametrize("seed", [6, 7, 19, 29, 34, 37])
def test_twenty_percent_transient_faults_reach_the_same_end_state(
    tmp_path: Path, seed: int
) -> None:
    clean, _ = _scenario(Emulator(_company()), tmp_path / "clean", max_runs=2)
    plan = FaultPlan.parse("lost:0.05,http524:0.05,http503:0.05,reset:0.05", seed=seed)
    faulty_emulator = Emulator(_company(), faults=plan)
    faulty, _ = _scenario(faulty_emulator, tmp_path / "faulty", max_runs=15)
    assert faulty == clean
    assert len(clean[0]) == 11
    # the faults did hit: writes applied without an answer, and requests refused
    kinds = {e.kind for e in plan.events}
    assert kinds & {"lost", "http524"}
    assert kinds & {"http503", "reset"}


def _expense_scenario(emulator: Emulator, folder: Path, *, max_runs: int) -> tuple[Any, int]:
    """Pull, push 8 approved expense reports, correct 3, delete 2 and add 2 more, running the
    engine until nothing is pending; returns the end state (Intacct's reports and lines, what
    the local app recorded) and the number of runs it took."""
    options = EngineOptions(push=PushOptions(batch_size=2), push_objects=("TIMESHEET", "EEXPENSES"))
    with _settling(emulator, folder, max_runs, options) as (app, settle, runs):
        settle()
        ids = add_expense_reports(app, 8)
        settle()
        for local_id in ids[:3]:
            [doc] = app.get_documents("EEXPENSES", [local_id])
            assert doc.model is not None
            lines = [
                ExpenseInput(x.entry_date, x.amount, str(x.expense_type), x.project_key, x.notes)
                for x in doc.model.lines
            ]
            late = ExpenseInput(date(2025, 1, 11), Decimal("4.20"), "Parking", notes="late")
            app.update_expense_report(local_id, [*lines[1:], late])
        app.delete_expense_report(ids[3])
        app.delete_expense_report(ids[4])
        ids += add_expense_reports(app, 2, first=8)
        settle()
        local = {local_id: app.pushed_state(local_id, "EEXPENSES") for local_id in ids}
    state = {}
    for local_id, recs in live_expense_reports(emulator).items():
        assert len(recs) == 1, f"duplicate for {local_id}"
        rec = recs[0]
        record_no, pushed = local.pop(local_id)
        assert record_no == int(rec["RECORDNO"]), f"the app holds a stale RECORDNO for {local_id}"
        state[local_id] = (
            rec["EMPLOYEEID"],
            rec.get("DESCRIPTION"),
            rec["STATE"],
            pushed,
            expense_lines(emulator, rec["RECORDNO"]),
        )
    return (state, local), runs()


class _Watched:
    """A fault plan that also notes the functions of every request, to tell which writes the
    faults hit."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.functions: dict[int, tuple[str, ...]] = {}

    def hit(self, *kinds: str) -> set[str]:
        """The writes (create, update, delete) of the requests that faults of ``kinds`` hit."""
        return {
            name
            for event in self.plan.events
            if event.kind in kinds
            for name in self.functions.get(event.request_number, ())
            if name in ("create", "update", "delete")
        }

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        self.functions[ctx.request_number] = ctx.function_names
        return self.plan.before_request(ctx)

    def after_request(self, ctx: RequestContext, response: EmulatorResponse) -> EmulatorResponse:
        return self.plan.after_request(ctx, response)

    def function_failure(
        self, ctx: RequestContext, function: str, object_name: str | None
    ) -> tuple[str, str] | None:
        return self.plan.function_failure(ctx, function, object_name)

    def invalidate_sessions(self, ctx: RequestContext) -> bool:
        return self.plan.invalidate_sessions(ctx)


# Seeds whose faults, between them, lose the answer to an applied create, update and delete
# and refuse each of them before it is handled (the last assertions check each seed's share).
@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 6, 44, 55])
def test_twenty_percent_transient_faults_on_expense_reports_reach_the_same_end_state(
    tmp_path: Path, seed: int
) -> None:
    clean, _ = _expense_scenario(Emulator(_company()), tmp_path / "clean", max_runs=2)
    faults = _Watched(FaultPlan.parse("lost:0.05,http524:0.05,http503:0.05,reset:0.05", seed=seed))
    faulty, _ = _expense_scenario(
        Emulator(_company(), faults=faults), tmp_path / "faulty", max_runs=15
    )
    assert faulty == clean
    state, withdrawn = clean
    assert len(state) == 8
    assert list(withdrawn.values()) == [(None, None)] * 2  # the app was told of the deletions
    assert sum("Parking" in str(lines) for *_, lines in state.values()) == 3
    # the faults did hit: writes applied without an answer, and requests refused
    assert faults.hit("lost", "http524")
    assert {e.kind for e in faults.plan.events} & {"http503", "reset"}
