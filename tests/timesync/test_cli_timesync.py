"""The ``timesync`` command, run as a subprocess (demo in-process, sync against loopback)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tests.timesync.engine_fixtures import add_timesheets, live_timesheets

from conftest import subprocess_env
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._seed import demo_company
from intacct_sdk.testing._server import serve
from timesync.cli import build_parser
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timesync.cli", *args],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )


def test_parser_has_every_command_and_the_mapping_tools() -> None:
    parser = build_parser()
    for argv in (
        ["demo"],
        ["sync", "--config", "f.toml", "--full"],
        ["plan", "--config", "f.toml"],
        ["status", "--config", "f.toml"],
        ["link", "--config", "f.toml", "EMPLOYEE", "E1", "7"],
        ["unlink", "--config", "f.toml", "EMPLOYEE", "E1"],
        ["mapping", "show", "EMPLOYEE"],
    ):
        assert callable(parser.parse_args(argv).func)


@pytest.mark.slow
def test_demo_runs_end_to_end_and_a_rerun_duplicates_nothing(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    first = _run("demo", "--workdir", str(work), "--employees", "10", "--projects", "6")
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "generated 20 approved timesheets" in out
    assert "== push corrections" in out
    assert "API functions" in out
    assert "HTTP requests" in out
    assert "duplicates: none" in out
    # every object fits in one page: the first pull is the login and one data request (two
    # reads per object with a change cursor, records with a WHENMODIFIED and those without,
    # one for TIMETYPE), the incremental run at the end a single request (one read per object
    # with a change cursor and one of the deletions in the audit trail; TIMETYPE, without a
    # change cursor, waits for the periodic pass)
    pull = out.split("== pull", 1)[1].split("==", 1)[0]
    assert "API functions 18, HTTP requests 2," in pull
    last = out.split("== incremental run", 1)[1]
    assert "API functions 10, HTTP requests 1," in last  # with the decisions read
    # completed tasks are read but not imported, and the table says why
    assert re.search(r"TASK .* skipped (\d+) \(inactive \1\)", pull)
    second = _run("demo", "--workdir", str(work), "--employees", "10", "--projects", "6")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "generated" not in second.stdout
    assert "duplicates: none" in second.stdout
    # 20 generated, one deleted by the corrections: 19 live, before and after the rerun
    assert (
        "Intacct holds 19 live pushed timesheets (1 of them declined, awaiting a correction)"
        " for 19 local ones" in second.stdout
    )


def test_the_demo_shows_decisions_reaching_the_app_and_a_reversal(tmp_path: Path) -> None:
    first = _run("demo", "--workdir", str(tmp_path), "--employees", "6", "--projects", "6")
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert out.count(": approved\n") == 3
    assert "declined with the comment" in out
    heard = re.search(r"the app heard Intacct's decisions: (\d+) approved, 1 declined", out)
    assert heard is not None and heard.group(1) == "3"
    listing = out.split("Intacct's entries of timesheet", 1)[1].split("==", 1)[0]
    assert listing.count("original, approved") >= 1
    assert listing.count("reverses line") == 1
    assert listing.count(" new\n") == 1
    net = re.search(r"net hours (-?[\d.]+) = ([\d.]+) in the app", listing)
    assert net is not None and net.group(1) == net.group(2)
    # the decision read costs nothing in the last run: one request, as before
    last = out.split("== incremental run", 1)[1]
    assert "API functions 10, HTTP requests 1," in last


def test_demo_output_is_deterministic(tmp_path: Path) -> None:
    args = ("--employees", "6", "--projects", "6", "--weeks", "1")
    a = _run("demo", "--workdir", str(tmp_path / "a"), *args)
    b = _run("demo", "--workdir", str(tmp_path / "b"), *args)
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    with ReferenceApp(tmp_path / "a" / "app.db") as x, ReferenceApp(tmp_path / "b" / "app.db") as y:
        assert [x.timesheet_entries(i) for i in x.timesheet_ids()] == [
            y.timesheet_entries(i) for i in y.timesheet_ids()
        ]
        assert x.timesheet_ids()


@pytest.fixture
def gateway() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(demo_company(employees=8, projects=6, tasks_per_project=3, customers=4))
    with serve(emulator) as server:
        yield emulator, server.url


def _config(folder: Path, emulator: Emulator, url: str) -> Path:
    c = emulator.credentials
    cfg = folder / "sync.toml"
    cfg.write_text(
        f'[intacct]\nendpoint_url = "{url}"\nsender_id = "{c.sender_id}"\n'
        f'sender_password = "{c.sender_password}"\ncompany_id = "{c.company_id}"\n'
        f'user_id = "{c.user_id}"\nuser_password = "{c.user_password}"\ntimezone = "UTC"\n'
        '[state]\npath = "state.db"\n[local]\nreference = "app.db"\n'
        '[push]\ntarget_state = "Submitted"\n',
        encoding="utf-8",
    )
    return cfg


@pytest.mark.slow
def test_plan_sync_status_link_unlink(gateway: tuple[Emulator, str], tmp_path: Path) -> None:
    emulator, url = gateway
    cfg = str(_config(tmp_path, emulator, url))

    plan = _run("plan", "--config", cfg)
    assert plan.returncode == 0, plan.stderr
    assert "(dry run)" in plan.stdout
    assert "would: create local EMPLOYEE" in plan.stdout
    with ReferenceApp(tmp_path / "app.db") as app:
        assert app.list_records("EMPLOYEE") == []

    sync = _run("sync", "--config", cfg)
    assert sync.returncode == 0, sync.stdout + sync.stderr
    with ReferenceApp(tmp_path / "app.db") as app:
        ids = add_timesheets(app, 3)
        people = [r for r in app.list_records("EMPLOYEE") if r.active]
    sync = _run("sync", "--config", cfg, "--object", "TIMESHEET")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert sorted(live_timesheets(emulator), key=int) == ids

    status = _run("status", "--config", cfg)
    assert status.returncode == 0, status.stderr
    assert "runs:" in status.stdout
    assert "EMPLOYEE" in status.stdout
    assert "local:TIMESHEET" in status.stdout
    assert "outbox: 0 step(s) not done" in status.stdout
    # an object's read markers ride on its cursor's line, not lines of their own
    [employee] = [line for line in status.stdout.splitlines() if "EMPLOYEE" in line]
    assert "#" in employee and "last read 2" in employee and "last periodic pass 2" in employee
    assert "EMPLOYEE:read" not in status.stdout
    [timetype] = [line for line in status.stdout.splitlines() if "TIMETYPE" in line]
    assert "(read whole)" in timetype and "last read" in timetype

    key = str(people[0].key)
    unlink = _run("unlink", "--config", cfg, "EMPLOYEE", key)
    assert unlink.returncode == 0, unlink.stderr
    with SQLiteStateStore(tmp_path / "state.db") as store:
        link = store.get_link("EMPLOYEE", key)
        assert link is not None
        assert link.local_id is None
    relink = _run("link", "--config", cfg, "EMPLOYEE", key, people[0].local_id)
    assert relink.returncode == 0, relink.stderr
    with SQLiteStateStore(tmp_path / "state.db") as store:
        link = store.get_link("EMPLOYEE", key)
        assert link is not None
        assert link.local_id == people[0].local_id


@pytest.mark.slow
def test_link_refuses_what_does_not_exist_in_one_line(
    gateway: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, url = gateway
    cfg = str(_config(tmp_path, emulator, url))
    assert _run("sync", "--config", cfg).returncode == 0
    with ReferenceApp(tmp_path / "app.db") as app:
        person = next(r for r in app.list_records("EMPLOYEE") if r.active)
    cases = [
        (("link", "EMPLOYEE", str(person.key), "4711"), "no local EMPLOYEE record has id '4711'"),
        (("link", "EMPLOYEE", str(person.key), "not-a-number"), "no local EMPLOYEE record"),
        (("link", "EMPLOYEE", "E404", person.local_id), "EMPLOYEE 'E404' does not exist"),
        (("unlink", "EMPLOYEE", "E404"), "EMPLOYEE 'E404' is neither linked nor in Intacct"),
    ]
    for (command, *rest), message in cases:
        result = _run(command, "--config", cfg, *rest)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("timesync: "), result.stderr
        assert message in lines[0]
    with SQLiteStateStore(tmp_path / "state.db") as store:
        link = store.get_link("EMPLOYEE", str(person.key))
        assert link is not None and link.local_id == person.local_id, "left as it was"


def test_a_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[nonsense]\n", encoding="utf-8")
    result = _run("sync", "--config", str(cfg))
    assert result.returncode == 2
    assert "unknown config section" in result.stderr


def test_mapping_tools_are_reachable() -> None:
    result = _run("mapping", "show", "TIMESHEET")
    assert result.returncode == 0, result.stderr
    assert "TIMESYNC_ID" in result.stdout


@pytest.mark.slow
def test_a_bad_timesheet_is_one_line_and_exit_1_and_the_others_land(
    gateway: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, url = gateway
    cfg = str(_config(tmp_path, emulator, url))
    assert _run("sync", "--config", cfg).returncode == 0
    with ReferenceApp(tmp_path / "app.db") as app:
        good = add_timesheets(app, 2)
        task = next(r for r in app.list_records("TASK") if r.active)
        project, _, code = str(task.key).partition("/")
        week = date(2025, 1, 6)
        bad = app.create_timesheet(
            str(app.list_records("EMPLOYEE")[0].key),
            week,
            [
                EntryInput(week, Decimal(3), project, code, notes="ok"),
                EntryInput(week, Decimal(1), project, code, notes="beep\x07"),
            ],
        )

    sync = _run("sync", "--config", cfg, "--object", "TIMESHEET")

    assert sync.returncode == 1, sync.stdout + sync.stderr
    assert "Traceback" not in sync.stderr
    lines = [line.strip() for line in sync.stdout.splitlines()]
    assert f"error: TIMESHEET {bad}: entries[1].notes: holds U+0007" in "\n".join(lines)
    assert sorted(live_timesheets(emulator), key=int) == good
    status = _run("status", "--config", cfg)
    assert f"TIMESHEET {bad} error: entries[1].notes: holds U+0007" in status.stdout
    assert "outbox: 0 step(s) not done" in status.stdout
