"""``timesync demo`` killed at each of its steps, run twice at once, and given a broken progress
file or a failing first pull: the console script in real processes on real files.

Every case ends with the same app and the same live timesheets in the emulated company as one
clean run: nothing duplicated, every correction applied exactly once.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conftest import subprocess_env
from intacct_sdk.testing import Company
from timesync.demo import _stamped_local_id
from timesync.demo._approval import DECLINE_COMMENT

pytestmark = pytest.mark.slow

SIZE = ("--employees", "5", "--projects", "6", "--tasks-per-project", "3", "--weeks", "2")
TIMESHEETS = 10  # 5 people x 2 weeks


def _command() -> list[str]:
    script = Path(sys.executable).with_name("timesync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "timesync.cli"]


def _start(work: Path, *extra: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*_command(), "demo", "--workdir", str(work), *SIZE, *extra],
        env=subprocess_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _demo(work: Path, *extra: str, **env: str) -> tuple[int, str, str]:
    proc = _start(work, *extra, **env)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def snapshot(work: Path) -> dict[str, Any]:
    """What the app and the emulated company hold, by person and week (ids aside)."""
    db = sqlite3.connect(work / "app.db")
    try:
        local = {
            (row[0], row[1]): (
                row[2],
                db.execute(
                    "SELECT entry_date, hours, notes FROM timesheet_entries"
                    " WHERE timesheet_id = ? ORDER BY id",
                    (row[3],),
                ).fetchall(),
            )
            for row in db.execute("SELECT person_number, week_start, deleted, id FROM timesheets")
        }
        keyed = db.execute("SELECT COUNT(*) FROM timesheets").fetchone()[0]
        decisions = {
            (row[0], row[1]): (row[2], row[3], row[4])
            for row in db.execute(
                "SELECT t.person_number, t.week_start, d.state, d.approver, d.comment"
                " FROM document_decisions d JOIN timesheets t ON t.id = d.doc_id"
                " WHERE d.kind = 'TIMESHEET'"
            )
        }
    finally:
        db.close()
    with Company(path=work / "intacct.db") as company:
        entries: dict[str, list[tuple[str, str, str]]] = {}
        for e in company.records("TIMESHEETENTRY"):
            entries.setdefault(str(e["TIMESHEETKEY"]), []).append(
                (str(e["ENTRYDATE"]), str(e["QTY"]), str(e.get("NOTES")))
            )
        states = Counter(str(t.get("STATE")) for t in company.records("TIMESHEET"))
        live = [t for t in company.records("TIMESHEET") if t.get("STATE") != "Declined"]
        remote = Counter((str(t["EMPLOYEEID"]), str(t["BEGINDATE"])) for t in live)
        content = {
            (str(t["EMPLOYEEID"]), str(t["BEGINDATE"])): sorted(entries.get(str(t["RECORDNO"]), []))
            for t in live
        }
        # by local id: the installation id in front differs from one folder to the next
        stamps = Counter(_stamped_local_id(str(t.get("TIMESYNC_ID"))) for t in live)
    return {
        "local": local,
        "rows": keyed,
        "remote_per_week": remote,
        "remote": content,
        "stamps": stamps,
        "decisions": decisions,
        "states": states,
    }


def _assert_like_clean(work: Path, clean: dict[str, Any]) -> None:
    got = snapshot(work)
    assert got["rows"] == TIMESHEETS  # no person-week entered twice
    assert max(got["remote_per_week"].values()) == 1
    assert max(got["stamps"].values()) == 1
    assert got == clean


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("clean")
    code, out, err = _demo(work)
    assert code == 0, out + err
    assert f"generated {TIMESHEETS} approved timesheets" in out
    result = snapshot(work)
    # three corrections and one deletion, each once
    notes = [n for _, entries in result["local"].values() for _, _, n in entries]
    assert notes.count("corrected") == 3
    assert sum(deleted for deleted, _ in result["local"].values()) == 1
    # one deleted, one declined by the approver (and kept as it is)
    assert len(result["remote"]) == TIMESHEETS - 2
    assert sorted((s, c) for s, _, c in result["decisions"].values()) == [
        ("Approved", None),
        ("Approved", None),
        ("Approved", None),
        ("Declined", DECLINE_COMMENT),
    ]
    # the approved timesheet corrected: one reversing entry and one new one, once
    assert notes.count("corrected after approval") == 1
    reversals = [q for entries in result["remote"].values() for _, q, _ in entries if "-" in q]
    assert len(reversals) == 1
    assert "net hours" in out and " = " in out.split("net hours", 1)[1].splitlines()[0]
    return result


@pytest.mark.parametrize(
    "point",
    [
        "seed",  # seeding the emulated company
        "pull",  # halfway through the first pull
        "write-pulled",  # writing the progress file after the pull
        "generate",  # halfway through generating the timesheets
        "generated",  # generated and committed, not yet recorded
        "write-generated",  # writing the progress file after the generation
        "push",  # halfway through the push of the generated timesheets
        "correct",  # halfway through the corrections
        "corrected",  # corrections committed, not yet recorded
        "write-corrected",  # writing the progress file after the corrections
        "push-corrections",  # halfway through the push of the corrections
        "decide",  # in Intacct: the first decision made, the others not yet
        "decided",  # every decision made, not yet recorded
        "write-decided",  # writing the progress file after the decisions
        "hear",  # the decisions in the state store, the app told of one of them
        "write-heard",  # writing the progress file after the app heard them
        "corrected-approved",  # an approved timesheet corrected locally, not yet recorded
        "write-corrected-approved",  # writing the progress file after that correction
        "push-approved",  # the correction of approved time pushed, its run not finished
    ],
)
def test_a_demo_killed_at_a_step_continues_and_duplicates_nothing(
    point: str, tmp_path: Path, clean: dict[str, Any]
) -> None:
    code, out, err = _demo(tmp_path, TIMESYNC_DEMO_KILL_AT=point)
    assert code == -signal.SIGKILL, f"not killed at {point}: {out}{err}"
    code, out, err = _demo(tmp_path)
    assert code == 0, out + err
    assert "Traceback" not in err
    assert "duplicates: none" in out
    _assert_like_clean(tmp_path, clean)
    if point not in ("generated", "corrected", "push", "hear", "push-approved"):
        return
    # and a third run changes nothing
    code, out, err = _demo(tmp_path)
    assert code == 0, out + err
    assert "generated" not in out
    _assert_like_clean(tmp_path, clean)


def _files(work: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(work.iterdir())
        if p.is_file() and not p.name.endswith("-shm")  # SQLite's shared-memory index
    }


def _wait_stopped(pid: int) -> None:
    stat = Path(f"/proc/{pid}/stat")
    for _ in range(3000):
        if stat.read_text().rsplit(")", 1)[1].split()[0] == "T":
            return
        time.sleep(0.01)
    raise AssertionError("the first demo never reached its stop point")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_second_demo_on_the_folder_stops_at_once_and_changes_nothing(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    first = _start(tmp_path, TIMESYNC_DEMO_STOP_AT="generate")
    try:
        _wait_stopped(first.pid)
        before = _files(tmp_path)
        code, out, err = _demo(tmp_path)
        assert code == 2
        assert out == ""
        assert len(err.splitlines()) == 1
        assert "holds the lock" in err
        assert _files(tmp_path) == before
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    _assert_like_clean(tmp_path, clean)


def test_two_demos_started_together_on_a_new_folder_run_once(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    first, second = _start(tmp_path), _start(tmp_path)
    results = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, out, err))
    for code, out, err in results:
        assert code in (0, 2), out + err
        assert "Traceback" not in err
        if code == 2:
            assert out == ""
            assert err.startswith("timesync: another sync run holds the lock on ")
            assert len(err.splitlines()) == 1
    assert 0 in [code for code, _, _ in results]
    _assert_like_clean(tmp_path, clean)


@pytest.mark.parametrize(
    ("content", "problem"),
    [("", "is empty"), ('{"pulled": tr', "is not valid JSON"), ("[1]", "does not hold an object")],
)
def test_a_broken_progress_file_means_start_over_and_nothing_twice(
    content: str, problem: str, tmp_path: Path, clean: dict[str, Any]
) -> None:
    code, out, err = _demo(tmp_path)
    assert code == 0, out + err
    (tmp_path / "demo.json").write_text(content)
    code, out, err = _demo(tmp_path)
    assert code == 0, out + err
    assert f"demo.json {problem}: starting over" in out
    assert "Traceback" not in err
    assert "generated 0 approved timesheets" in out  # all there already
    assert "first entry +0.5 h (applied before)" in out
    _assert_like_clean(tmp_path, clean)


def test_a_first_pull_that_fails_is_done_again_and_the_demo_then_generates(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    # every request gets an HTML 403 page, which is never retried: the gateway is unusable
    code, out, err = _demo(tmp_path, "--faults", "html=403@1-500")
    assert code == 2, out + err
    assert "did not answer as Intacct's gateway" in err and "Traceback" not in err
    assert not (tmp_path / "demo.json").exists()
    code, out, err = _demo(tmp_path)
    assert code == 0, out + err
    assert "run 2 (full)" in out
    assert f"generated {TIMESHEETS} approved timesheets" in out
    _assert_like_clean(tmp_path, clean)


def test_a_progress_file_of_an_older_version_that_recorded_an_empty_generation(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    code, out, err = _demo(tmp_path, "--faults", "html=403@1-500")
    assert code == 2
    (tmp_path / "demo.json").write_text('{"corrected": [], "generated": [], "pulled": true}')
    code, out, err = _demo(tmp_path)
    assert code == 0, out + err
    assert f"generated {TIMESHEETS} approved timesheets" in out
    _assert_like_clean(tmp_path, clean)


def test_faults_with_an_endpoint_are_refused_in_one_line(tmp_path: Path) -> None:
    code, out, err = _demo(tmp_path, "--endpoint", "http://127.0.0.1:9/", "--faults", "reset@1")
    assert code == 2
    assert out == ""
    assert err.strip() == "timesync: faults apply to the emulator, not to a gateway at an endpoint"
    code, _out, err = _demo(tmp_path, "--faults", "nonsense@1")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("timesync: --faults: unknown fault kind")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("point", ["pull", "push", "push-corrections", "decide"])
def test_ctrl_c_in_the_demo_says_interrupted_exits_130_and_the_rerun_finishes(
    point: str, tmp_path: Path, clean: dict[str, Any]
) -> None:
    """Ctrl-C (SIGINT) in the middle of a step: one line, exit 130, and the outbox guarantees
    hold: the next run finishes the demo with nothing duplicated."""
    proc = _start(tmp_path, TIMESYNC_DEMO_STOP_AT=point)
    try:
        _wait_stopped(proc.pid)
        os.kill(proc.pid, signal.SIGINT)  # delivered the moment the process runs again
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == "timesync: interrupted", err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    code, out, err = _demo(tmp_path)
    assert code == 0, out + err
    assert "duplicates: none" in out
    _assert_like_clean(tmp_path, clean)
