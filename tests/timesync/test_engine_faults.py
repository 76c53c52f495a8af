"""Crash safety and fault tolerance of the push, end to end.

- A ``timesync sync`` subprocess pushing to a loopback emulator is killed with SIGKILL at
  chosen points (before a request is handled, or after it was applied and before the answer
  reaches the process); a rerun must leave exactly one live Intacct timesheet per local one.
- With 20% of requests failing transiently (lost responses, 524s, 503s, resets), repeated
  runs reach the same end state as a clean run.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.timesync.engine_fixtures import FAST_RETRY, add_timesheets, credentials, live_timesheets
from tests.timesync.sync_process import Killer, finish_sync, start_sync, write_sync_config

from intacct_sdk import Client, ClientOptions
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._faults import FaultPlan
from intacct_sdk.testing._seed import demo_company
from intacct_sdk.testing._server import serve
from timesync.engine import Engine, EngineOptions, PushOptions
from timesync.local import EntryInput, ReferenceApp
from timesync.store import OutboxState, SQLiteStateStore


def _company() -> Any:
    return demo_company(employees=8, projects=6, tasks_per_project=3, customers=4)


@pytest.fixture
def loopback() -> Iterator[tuple[Emulator, Killer, str]]:
    killer = Killer()
    emulator = Emulator(_company(), faults=killer)
    with serve(emulator) as server:
        yield emulator, killer, server.url


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

    killer.at = emulator.stats.http_requests + offset
    killer.when = when
    proc = start_sync(cfg, "--object", "TIMESHEET")
    killer.pid = proc.pid
    code, out = finish_sync(proc)
    assert killer.fired, f"the run finished before request {offset}: {out}"
    assert code == -signal.SIGKILL

    killer.pid = None
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


# --------------------------------------------------------------------------- 20% faults


def _scenario(emulator: Emulator, folder: Path, *, max_runs: int) -> tuple[Any, int]:
    """Pull, push 12 approved timesheets, correct 3 and delete 1, running the engine until
    nothing is pending; returns the end state and the number of runs it took."""
    folder.mkdir()
    runs = 0
    with (
        Client(
            credentials(emulator),
            options=ClientOptions(unique_id=True, retry=FAST_RETRY),
            transport=emulator.transport(),
        ) as client,
        ReferenceApp(folder / "app.db") as app,
        SQLiteStateStore(folder / "state.db") as store,
    ):
        engine = Engine(
            client,
            app,
            store,
            options=EngineOptions(push=PushOptions(target_state="Submitted", batch_size=2)),
        )

        def settle() -> None:
            nonlocal runs
            for _ in range(max_runs):
                runs += 1
                report = engine.run()
                if report.ok and report.pending == 0 and not store.errors():
                    return
            pytest.fail(f"not settled after {max_runs} runs: {report.format()}")

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
    return (state, people), runs


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
