"""Approval decisions and corrections of approved time, black-box: ``timesync sync`` in a
subprocess against a served emulator, an approver deciding in the emulator meanwhile."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.timesync.engine_fixtures import add_timesheets, live_timesheets
from tests.timesync.sync_process import finish_sync, start_sync, write_sync_config

from conftest import subprocess_env
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._seed import demo_company
from intacct_sdk.testing._server import serve
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore

pytestmark = pytest.mark.slow

COMMENT = "Tuesday belongs to project P2"


@pytest.fixture
def gateway() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(demo_company(employees=8, projects=6, tasks_per_project=3, customers=4))
    with serve(emulator) as server:
        yield emulator, server.url


def _config(folder: Path, emulator: Emulator, url: str) -> Path:
    cfg = write_sync_config(folder, url, emulator)
    text = cfg.read_text(encoding="utf-8").replace('"Approved"', '"Submitted"')
    cfg.write_text(text, encoding="utf-8")
    return cfg


def _sync(cfg: Path, *extra: str) -> str:
    code, out = finish_sync(start_sync(cfg, *extra))
    assert code == 0, out
    return out


def _entries(emulator: Emulator, record_no: object) -> list[dict[str, object]]:
    return sorted(
        (
            r
            for r in emulator.company.records("TIMESHEETENTRY")
            if str(r.get("TIMESHEETKEY")) == str(record_no)
        ),
        key=lambda r: int(str(r.get("LINENO") or 0)),
    )


def test_decisions_reach_the_app_and_approved_time_is_corrected_by_reversal(
    gateway: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, url = gateway
    cfg = _config(tmp_path, emulator, url)
    _sync(cfg)
    with ReferenceApp(tmp_path / "app.db") as app:
        ids = add_timesheets(app, 3)
    _sync(cfg, "--object", "TIMESHEET")
    live = live_timesheets(emulator)
    rns = [int(str(live[i][0]["RECORDNO"])) for i in ids]
    requests = emulator.stats.http_requests
    _sync(cfg)  # nothing decided, nothing changed
    quiet = emulator.stats.http_requests - requests

    emulator.company.approve_timesheet(rns[0], approver="MGR1")
    emulator.company.decline_timesheet(rns[1], approver="MGR1", comment=COMMENT)
    _sync(cfg)
    with ReferenceApp(tmp_path / "app.db") as app:
        approved, declined = app.timesheet_status(ids[0]), app.timesheet_status(ids[1])
        assert approved is not None and declined is not None
        assert (approved.state, approved.approver) == ("Approved", "MGR1")
        assert (declined.state, declined.comment) == ("Declined", COMMENT)
        assert app.timesheet_status(ids[2]) is None
        original = app.timesheet_entries(ids[0])
    # a run where nothing changed costs what it cost before any decision existed
    requests = emulator.stats.http_requests
    _sync(cfg)
    assert emulator.stats.http_requests - requests == quiet

    before = _entries(emulator, rns[0])
    with ReferenceApp(tmp_path / "app.db") as app:
        first = original[0]
        changed = [
            EntryInput(
                first.entry_date, first.hours + 2, first.project_number, first.task_code, notes="+2"
            ),
            *original[1:],
        ]
        app.update_timesheet(ids[0], changed)
        local_hours = sum((e.hours for e in changed), Decimal(0))
    _sync(cfg, "--object", "TIMESHEET")
    after = _entries(emulator, rns[0])
    assert after[: len(before)] == before  # the approved originals, untouched
    added = after[len(before) :]
    assert [Decimal(str(e["QTY"])) for e in added] == [-first.hours, first.hours + 2]
    assert sum(Decimal(str(e["QTY"])) for e in after) == local_hours
    assert len(live_timesheets(emulator)[ids[0]]) == 1  # no second live timesheet
    _sync(cfg, "--object", "TIMESHEET")
    assert _entries(emulator, rns[0]) == after  # and a rerun adds nothing


_DYING_APP = """
import os, signal, sys
from intacct_sdk import Client, ClientOptions, Credentials
from timesync.engine import Engine, EngineOptions
from timesync.local import ReferenceApp
from timesync.store import SQLiteStateStore

url, folder, sender, spw, company, user, upw, log = sys.argv[1:9]
die = os.environ.get("DIE_AT_DECISION") == "1"

class App(ReferenceApp):
    def document_decided(self, object_name, local_id, decision):
        if die:
            os.kill(os.getpid(), signal.SIGKILL)
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{local_id} {decision.state} {decision.comment}\\n")
        super().document_decided(object_name, local_id, decision)

creds = Credentials(sender_id=sender, sender_password=spw, company_id=company, user_id=user,
                    user_password=upw, endpoint_url=url)
with Client(creds, options=ClientOptions(timezone="UTC")) as client, \\
        SQLiteStateStore(folder + "/state.db") as store, App(folder + "/app.db") as app:
    Engine(client, app, store, options=EngineOptions()).run()
"""


def test_a_decision_killed_between_store_and_app_is_delivered_once_next_run(
    gateway: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, url = gateway
    cfg = _config(tmp_path, emulator, url)
    _sync(cfg)
    with ReferenceApp(tmp_path / "app.db") as app:
        [local_id] = add_timesheets(app, 1)
    _sync(cfg, "--object", "TIMESHEET")
    rn = int(str(live_timesheets(emulator)[local_id][0]["RECORDNO"]))
    emulator.company.decline_timesheet(rn, approver="MGR1", comment=COMMENT)
    c = emulator.credentials
    log = tmp_path / "delivered.log"
    args = [
        sys.executable,
        "-c",
        _DYING_APP,
        url,
        str(tmp_path),
        c.sender_id,
        c.sender_password,
        c.company_id,
        c.user_id,
        c.user_password,
        str(log),
    ]

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, env=subprocess_env(**env), capture_output=True, text=True, timeout=120
        )

    dead = run(DIE_AT_DECISION="1")
    assert dead.returncode == -signal.SIGKILL, dead.stdout + dead.stderr
    with SQLiteStateStore(tmp_path / "state.db") as store:
        assert [n.local_id for n in store.pending_decisions("TIMESHEET")] == [local_id]
    with ReferenceApp(tmp_path / "app.db") as app:
        assert app.timesheet_status(local_id) is None
    approvals = emulator.stats.functions.get(("query", "TIMESHEETAPPROVAL"), 0)

    for _ in range(2):  # the next run delivers it; the one after that does not again
        done = run()
        assert done.returncode == 0, done.stdout + done.stderr
    assert log.read_text(encoding="utf-8").splitlines() == [f"{local_id} Declined {COMMENT}"]
    with ReferenceApp(tmp_path / "app.db") as app:
        status = app.timesheet_status(local_id)
        assert status is not None and (status.state, status.comment) == ("Declined", COMMENT)
    assert emulator.stats.functions.get(("query", "TIMESHEETAPPROVAL"), 0) == approvals


def test_the_demo_at_a_served_emulator_approves_through_the_gateway(
    gateway: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, url = gateway
    c = emulator.credentials
    env = {
        "INTACCT_SENDER_ID": c.sender_id,
        "INTACCT_SENDER_PASSWORD": c.sender_password,
        "INTACCT_COMPANY_ID": c.company_id,
        "INTACCT_USER_ID": c.user_id,
        "INTACCT_USER_PASSWORD": c.user_password,
        "INTACCT_TIMEZONE": "UTC",
    }
    command = [sys.executable, "-m", "timesync.cli", "demo", "--workdir", str(tmp_path / "d")]
    demo = subprocess.run(
        [*command, "--endpoint", url],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "skipped the approver's steps" not in demo.stdout
    assert "the app heard Intacct's decisions: 3 approved, 1 declined" in demo.stdout
    assert emulator.stats.functions.get(("approve", "TIMESHEET"), 0) == 3
    assert "net hours" in demo.stdout
    declined = [t for t in emulator.company.records("TIMESHEET") if t.get("STATE") == "Declined"]
    assert len(declined) == 1
