"""Crash soak: kill the sync process with SIGKILL during its push, again and again.

Usage (from the repository root, in the project's environment)::

    python bench/crash_soak.py [--runs 20] [--employees 40] [--seed 1]

One emulator is served on loopback by this process for the whole soak. Each round adds a
week of approved timesheets to the reference app, starts ``python bench/crash_soak.py
--sync WORKDIR URL`` (one :meth:`timesync.engine.Engine.run` in a fresh process), kills it
with SIGKILL at a random moment while it pushes, and then runs a clean sync to the end.
Afterwards the emulated company must hold exactly one live timesheet per local one (same
employee and week): zero duplicates, zero missing, and every local link must point at a
timesheet of that employee and week.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def sync_once(workdir: Path, url: str) -> int:
    """One engine run against ``url`` (the child process's work)."""
    from intacct_sdk import Client, ClientOptions, Credentials
    from intacct_sdk.testing._emulator import DEMO_CREDENTIALS as C
    from timesync.engine import Engine
    from timesync.local import ReferenceApp
    from timesync.store import FileLock, SQLiteStateStore

    creds = Credentials(
        sender_id=C.sender_id,
        sender_password=C.sender_password,
        company_id=C.company_id,
        user_id=C.user_id,
        user_password=C.user_password,
        endpoint_url=url,
    )
    # Small batches make the push a series of requests, so a kill can land between them.
    options = ClientOptions(unique_id=True, timeout=30.0, max_functions_per_request=2, timezone=UTC)
    with (
        Client(creds, options=options) as client,
        ReferenceApp(workdir / "app.db") as app,
        SQLiteStateStore(workdir / "state.db") as store,
    ):
        engine = Engine(client, app, store, lock=FileLock(workdir / "state.db.lock"))
        report = engine.run()
        print(json.dumps({"failures": len(report.failures)}), flush=True)
        return 0


def _week(i: int) -> date:
    return date(2030, 1, 7) + timedelta(weeks=i)


def _sync_process(workdir: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--sync", str(workdir), url],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _remote_timesheets(company: Any) -> list[dict[str, Any]]:
    return [t for t in company.records("TIMESHEET") if t.get("STATE") != "Declined"]


def _wire_date(value: date) -> str:
    return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


def check(company: Any, workdir: Path) -> dict[str, Any]:
    """Duplicates, missing timesheets and invalid links after the soak."""
    from timesync.local import ReferenceApp
    from timesync.store import SQLiteStateStore

    remote = _remote_timesheets(company)
    per_period = Counter((t.get("EMPLOYEEID"), t.get("BEGINDATE")) for t in remote)
    by_recordno = {int(t["RECORDNO"]): t for t in remote}
    duplicates = sum(n - 1 for n in per_period.values() if n > 1)
    missing = 0
    bad_links = 0
    bad_store_links = 0
    local = 0
    with (
        ReferenceApp(workdir / "app.db") as app,
        SQLiteStateStore(workdir / "state.db") as store,
    ):
        for local_id in app.timesheet_ids():
            local += 1
            doc = app.get_documents("TIMESHEET", [local_id])[0]
            if doc.model is None:
                continue
            key = (str(doc.model.employee_key), _wire_date(doc.model.begin_date))
            if per_period.get(key, 0) == 0:
                missing += 1
            link = store.link_for_local("TIMESHEET", local_id)
            linked = by_recordno.get(int(link.record_no)) if link and link.record_no else None
            if linked is None or (linked.get("EMPLOYEEID"), linked.get("BEGINDATE")) != key:
                bad_store_links += 1
            record_no, _state = app.pushed_state(local_id)
            target = by_recordno.get(int(record_no)) if record_no else None
            if target is None or (target.get("EMPLOYEEID"), target.get("BEGINDATE")) != key:
                bad_links += 1
                if bad_links <= 3:
                    found = [
                        t.get("RECORDNO")
                        for t in remote
                        if (t.get("EMPLOYEEID"), t.get("BEGINDATE")) == key
                    ]
                    print(
                        f"invalid link: local {local_id} {key} -> RECORDNO {record_no} "
                        f"(state {_state}); Intacct has {found}",
                        file=sys.stderr,
                    )
    return {
        "local": local,
        "remote": len(remote),
        "duplicates": duplicates,
        "missing": missing,
        "bad_links": bad_links,
        "bad_store_links": bad_store_links,
    }


def soak(runs: int, employees: int, seed: int) -> dict[str, Any]:
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._seed import demo_company
    from intacct_sdk.testing._server import serve
    from timesync.local import EntryInput, ReferenceApp

    rng = random.Random(seed)
    company = demo_company(employees=employees, projects=6, tasks_per_project=3, seed=seed)
    emulator = Emulator(company)
    killed = clean_failures = mid_push = 0
    kill_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, serve(emulator) as server:
        workdir = Path(tmp)
        first = _sync_process(workdir, server.url)  # pulls the master data into the app
        first.communicate(timeout=600)
        with ReferenceApp(workdir / "app.db") as app:
            people = [r.key for r in app.list_records("EMPLOYEE") if r.active and r.key]
            tasks = [r.key for r in app.list_records("TASK") if r.active and r.key]
        duration = 0.0
        for i in range(runs + 1):  # round 0 calibrates: how long a run with a push takes
            with ReferenceApp(workdir / "app.db") as app:
                for person in people:
                    project, _, task = str(rng.choice(tasks)).partition("/")
                    entries = [
                        EntryInput(
                            entry_date=_week(i) + timedelta(days=d),
                            hours=rng.choice((4, 6, 8)),
                            project_number=project,
                            task_code=task,
                            billable=True,
                            notes=f"crash soak {i}",
                        )
                        for d in range(5)
                    ]
                    app.create_timesheet(str(person), _week(i), entries)
            before = len(_remote_timesheets(company))
            proc = _sync_process(workdir, server.url)
            t0 = time.perf_counter()
            if i == 0:
                proc.communicate(timeout=600)
                duration = time.perf_counter() - t0
                continue
            # A random moment of a run like round 0's; most of a run is the push.
            delay = rng.uniform(0.3, 1.0) * duration
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                killed += 1
                kill_times.append(time.perf_counter() - t0)
            proc.communicate(timeout=60)
            pushed = len(_remote_timesheets(company)) - before
            if 0 < pushed < len(people):
                mid_push += 1
            rerun = _sync_process(workdir, server.url)
            out, err = rerun.communicate(timeout=600)
            lines = [x for x in out.decode().splitlines() if x.startswith("{")]
            failures = json.loads(lines[-1])["failures"] if lines else None
            if rerun.returncode != 0 or failures:
                clean_failures += 1
                sys.stderr.write(err.decode()[-2000:])
        result = check(company, workdir)
        # One more clean run: links a crashed run left unrecorded should be repaired by now.
        final = _sync_process(workdir, server.url)
        final.communicate(timeout=600)
        after = check(company, workdir)
        result["bad_links_after_extra_run"] = after["bad_links"]
        result["bad_store_links_after_extra_run"] = after["bad_store_links"]
    result.update(
        runs=runs,
        killed=killed,
        mid_push=mid_push,
        clean_rerun_failures=clean_failures,
        run_seconds=duration,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--sync"]:
        return sync_once(Path(args[1]), args[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--employees", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    opts = parser.parse_args(args)
    t0 = time.perf_counter()
    result = soak(opts.runs, opts.employees, opts.seed)
    ok = (
        result["duplicates"] == 0
        and result["missing"] == 0
        and result["bad_links"] == 0
        and result["bad_store_links"] == 0
        and result["clean_rerun_failures"] == 0
    )
    print(
        f"{'ok' if ok else 'FAIL'} crash soak: {result['runs']} runs, {result['killed']} killed "
        f"with SIGKILL ({result['mid_push']} with the push part done), "
        f"{result['clean_rerun_failures']} clean reruns failed; "
        f"{result['local']} local timesheets, {result['remote']} live in Intacct; duplicates "
        f"{result['duplicates']}, missing {result['missing']}; invalid links: in the local app "
        f"{result['bad_links']} (after one more clean run {result['bad_links_after_extra_run']}),"
        f" in the state store {result['bad_store_links']} (after one more clean run "
        f"{result['bad_store_links_after_extra_run']}) ({time.perf_counter() - t0:.0f}s, "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
