"""Crash soak: kill the sync process with SIGKILL during pull, push, corrections and the
demo's own steps, again and again, then run it clean; nothing may be lost or duplicated.

Usage (from the repository root, in the project's environment)::

    python bench/crash_soak.py [--runs 20] [--employees 40] [--seed 1]
                               [--modes push,pull,corrections,demo]

One emulator is served on loopback by this process for the engine modes. Each round of a mode
changes something, starts ``python bench/crash_soak.py --sync WORKDIR URL`` (one
:meth:`timesync.engine.Engine.run` in a fresh process, small pages and batches so it makes
many requests) and SIGKILLs it at a random request of the run (the emulator's fault hook
kills it as the request arrives; round 0 of each mode runs clean and counts the requests a
run makes), and then runs a clean sync to the end:

``push``
    a week of approved timesheets is added to the reference app; afterwards the emulated
    company must hold exactly one live timesheet per local one (same employee and week), and
    every local link must point at a timesheet of that employee and week.
``pull``
    the titles of every employee and the names of every project change in Intacct, and the
    kill lands in a full pull; afterwards the app holds each of them once, as Intacct has it.
``corrections``
    a third of the pushed timesheets get half an hour more on their first entry; afterwards
    each live timesheet in Intacct has exactly the local entries (each correction once) and
    none is duplicated.
``demo``
    ``timesync demo`` is killed at each of its crash points (seeding, the progress file's
    writes, halfway through the generation and the corrections, and between each step's
    commit and its record), then run again to the end; its app and emulated company must then
    equal those of one clean demo.
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


def sync_once(workdir: Path, url: str, *, full: bool = False) -> int:
    """One engine run against ``url`` (the child process's work)."""
    from intacct_sdk import Client, ClientOptions, Credentials
    from intacct_sdk.testing._emulator import DEMO_CREDENTIALS as C
    from timesync.engine import Engine, EngineOptions
    from timesync.local import ReferenceApp
    from timesync.store import SQLiteStateStore

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
        # the store's own run lock (the default); small pages make a pull many requests too
        engine = Engine(client, app, store, options=EngineOptions(page_size=3))
        report = engine.run(full=full)
        print(json.dumps({"failures": len(report.failures)}), flush=True)
        return 0


def _week(i: int) -> date:
    return date(2030, 1, 7) + timedelta(weeks=i)


def _sync_process(workdir: Path, url: str, *, full: bool = False) -> subprocess.Popen[bytes]:
    extra = ["--full"] if full else []
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--sync", str(workdir), url, *extra],
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


class _Killer:
    """The emulator's fault hook: SIGKILLs the sync process as a chosen request arrives.

    ``when`` is ``before`` (the request is not handled) or ``after`` (handled, a write
    commits, and the answer never reaches the client). It also counts the requests.
    """

    def __init__(self) -> None:
        from intacct_sdk.testing import NoFaults

        self._base = NoFaults()
        self.last = 0
        self.pid: int | None = None
        self.at: int | None = None
        self.when = "after"
        self.fired = False

    def __getattr__(self, name: str) -> Any:  # every other hook: inject nothing
        return getattr(self._base, name)

    def arm(self, pid: int, at: int, when: str) -> None:
        self.pid, self.at, self.when, self.fired = pid, at, when, False

    def disarm(self) -> None:
        self.pid = self.at = None

    def _fire(self, number: int, when: str) -> bool:
        if self.pid is not None and number == self.at and when == self.when and not self.fired:
            self.fired = True
            os.kill(self.pid, signal.SIGKILL)
            return True
        return False

    def before_request(self, ctx: Any) -> Any:
        from intacct_sdk.testing import EmulatorResponse

        self.last = max(self.last, ctx.request_number)
        if self._fire(ctx.request_number, "before"):
            return EmulatorResponse(status=500, headers={}, body=b"", disconnect=True)
        return None

    def after_request(self, ctx: Any, response: Any) -> Any:
        self._fire(ctx.request_number, "after")
        return response


class _Rounds:
    """Killed runs and clean reruns of ``--sync`` against one served emulator."""

    def __init__(self, killer: _Killer, workdir: Path, url: str, rng: random.Random) -> None:
        self.killer, self.workdir, self.url, self.rng = killer, workdir, url, rng
        self.killed = self.not_killed = self.clean_failures = 0

    def clean(self, *, full: bool = False) -> int:
        """A run to the end; returns the number of requests it made."""
        start = self.killer.last
        proc = _sync_process(self.workdir, self.url, full=full)
        out, err = proc.communicate(timeout=600)
        lines = [x for x in out.decode().splitlines() if x.startswith("{")]
        failures = json.loads(lines[-1])["failures"] if lines else None
        if proc.returncode != 0 or failures:
            self.clean_failures += 1
            sys.stderr.write(err.decode()[-2000:])
        return self.killer.last - start

    def killed_then_clean(self, requests: int, *, full: bool = False) -> None:
        """A run killed at a random one of its first ``requests`` requests, then a clean one."""
        start = self.killer.last
        proc = _sync_process(self.workdir, self.url, full=full)
        at = start + self.rng.randint(1, max(1, requests))
        self.killer.arm(proc.pid, at, self.rng.choice(("before", "after")))
        proc.communicate(timeout=600)
        self.killer.disarm()
        if proc.returncode == -signal.SIGKILL:
            self.killed += 1
        else:
            self.not_killed += 1
        self.clean()

    def counts(self) -> dict[str, int]:
        return {
            "killed": self.killed,
            "not_killed": self.not_killed,
            "clean_rerun_failures": self.clean_failures,
        }


def _add_week(workdir: Path, i: int, rng: random.Random) -> int:
    from timesync.local import EntryInput, ReferenceApp

    with ReferenceApp(workdir / "app.db") as app:
        people = [r.key for r in app.list_records("EMPLOYEE") if r.active and r.key]
        tasks = [r.key for r in app.list_records("TASK") if r.active and r.key]
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
    return len(people)


def soak_push(rounds: _Rounds, company: Any, runs: int) -> dict[str, Any]:
    """Kills while new timesheets are pushed."""
    requests = 0
    mid_push = 0
    for i in range(runs + 1):  # round 0 calibrates: the requests of a run with a push
        people = _add_week(rounds.workdir, i, rounds.rng)
        before = len(_remote_timesheets(company))
        if i == 0:
            requests = rounds.clean()
            continue
        rounds.killed_then_clean(requests)
        after_kill = len(_remote_timesheets(company)) - before
        if 0 < after_kill < people:
            mid_push += 1
    result = check(company, rounds.workdir)
    # One more clean run: links a crashed run left unrecorded should be repaired by now.
    rounds.clean()
    after = check(company, rounds.workdir)
    result["bad_links_after_extra_run"] = after["bad_links"]
    result["bad_store_links_after_extra_run"] = after["bad_store_links"]
    result["ok"] = all(
        result[k] == 0 for k in ("duplicates", "missing", "bad_links", "bad_store_links")
    )
    return result


def soak_pull(rounds: _Rounds, company: Any, runs: int) -> dict[str, Any]:
    """Kills during full pulls of changed employees and projects."""
    requests = 0
    for i in range(runs + 1):
        for rec in list(company.records("EMPLOYEE")):
            company.update("EMPLOYEE", int(rec["RECORDNO"]), {"TITLE": f"Title {i}"})
        for rec in list(company.records("PROJECT")):
            name = str(rec["NAME"]).split(" (round", 1)[0]
            company.update("PROJECT", int(rec["RECORDNO"]), {"NAME": f"{name} (round {i})"})
        if i == 0:
            requests = rounds.clean(full=True)
            continue
        rounds.killed_then_clean(requests, full=True)
    import sqlite3

    wrong = duplicates = 0
    db = sqlite3.connect(rounds.workdir / "app.db")
    try:
        for object_name, table, column, field, key_field in (
            ("EMPLOYEE", "people", "title", "TITLE", "EMPLOYEEID"),
            ("PROJECT", "projects", "name", "NAME", "PROJECTID"),
        ):
            rows = db.execute(f"SELECT number, {column} FROM {table}").fetchall()  # noqa: S608
            local = Counter(number for number, _ in rows)
            duplicates += sum(n - 1 for n in local.values() if n > 1)
            values = dict(rows)
            for rec in company.records(object_name):
                if values.get(rec[key_field]) != rec[field]:
                    wrong += 1
    finally:
        db.close()
    return {"duplicates": duplicates, "wrong": wrong, "ok": duplicates == wrong == 0}


def soak_corrections(rounds: _Rounds, company: Any, runs: int) -> dict[str, Any]:
    """Kills while corrections to pushed timesheets are pushed."""
    from decimal import Decimal

    import attrs

    from timesync.local import ReferenceApp

    requests = 0
    for i in range(runs + 1):
        with ReferenceApp(rounds.workdir / "app.db") as app:
            ids = app.timesheet_ids()
            for local_id in rounds.rng.sample(ids, max(1, len(ids) // 3)):
                entries = app.timesheet_entries(local_id)
                entries[0] = attrs.evolve(
                    entries[0], hours=entries[0].hours + Decimal("0.5"), notes=f"fix {i}"
                )
                app.update_timesheet(local_id, entries)
        if i == 0:
            requests = rounds.clean()
            continue
        rounds.killed_then_clean(requests)
    remote = _remote_timesheets(company)
    lines: dict[str, list[tuple[str, Decimal, str]]] = {}
    for e in company.records("TIMESHEETENTRY"):
        lines.setdefault(str(e["TIMESHEETKEY"]), []).append(
            (str(e["ENTRYDATE"]), Decimal(str(e["QTY"])), str(e.get("NOTES") or ""))
        )
    per_week: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for t in remote:
        per_week.setdefault((t.get("EMPLOYEEID"), t.get("BEGINDATE")), []).append(t)
    duplicates = sum(len(v) - 1 for v in per_week.values() if len(v) > 1)
    different = 0
    with ReferenceApp(rounds.workdir / "app.db") as app:
        for doc in app.get_documents("TIMESHEET", app.timesheet_ids()):
            if doc.model is None:
                continue
            key = (str(doc.model.employee_key), _wire_date(doc.model.begin_date))
            want = sorted(
                (_wire_date(e.entry_date), Decimal(e.hours), e.notes or "")
                for e in doc.model.entries
            )
            found = per_week.get(key, [])
            if len(found) != 1 or sorted(lines.get(str(found[0]["RECORDNO"]), [])) != want:
                different += 1
    return {"duplicates": duplicates, "different": different, "ok": duplicates == different == 0}


DEMO_POINTS = (
    "seed",
    "pull",
    "write-pulled",
    "generate",
    "generated",
    "write-generated",
    "push",
    "correct",
    "corrected",
    "write-corrected",
    "push-corrections",
    "decide",
    "decided",
    "write-decided",
    "hear",
    "write-heard",
    "corrected-approved",
    "write-corrected-approved",
    "push-approved",
)
"""The demo's crash points (``TIMESYNC_DEMO_KILL_AT``), in the order it reaches them."""


def _demo(workdir: Path, employees: int, kill_at: str | None = None) -> int:
    env = _env()
    if kill_at:
        env["TIMESYNC_DEMO_KILL_AT"] = kill_at
    size = ["--employees", str(employees), "--projects", "6", "--tasks-per-project", "3"]
    proc = subprocess.run(
        [sys.executable, "-m", "timesync.cli", "demo", "--workdir", str(workdir), *size],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=600,
        check=False,
    )
    if kill_at is None and proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode()[-2000:])
    return proc.returncode


def _demo_state(workdir: Path) -> dict[str, Any]:
    """The demo's app and emulated company, by person and week (ids aside)."""
    import sqlite3

    from intacct_sdk.testing import Company

    db = sqlite3.connect(workdir / "app.db")
    try:
        local = sorted(
            (
                row[0],
                row[1],
                row[2],
                db.execute(
                    "SELECT entry_date, hours, notes FROM timesheet_entries"
                    " WHERE timesheet_id = ? ORDER BY id",
                    (row[3],),
                ).fetchall(),
            )
            for row in db.execute("SELECT person_number, week_start, deleted, id FROM timesheets")
        )
    finally:
        db.close()
    with Company(path=workdir / "intacct.db") as company:
        lines: dict[str, list[tuple[str, str, str]]] = {}
        for e in company.records("TIMESHEETENTRY"):
            lines.setdefault(str(e["TIMESHEETKEY"]), []).append(
                (str(e["ENTRYDATE"]), str(e["QTY"]), str(e.get("NOTES")))
            )
        remote = sorted(
            (str(t["EMPLOYEEID"]), str(t["BEGINDATE"]), sorted(lines.get(str(t["RECORDNO"]), [])))
            for t in _remote_timesheets(company)
        )
    return {"local": local, "remote": remote}


def soak_demo(employees: int) -> dict[str, Any]:
    """Kills the demo at each crash point, reruns it, and compares with a clean demo."""
    employees = min(employees, 6)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if _demo(base / "clean", employees) != 0:
            return {"ok": False, "points": 0, "killed": 0, "different": ["clean run failed"]}
        want = _demo_state(base / "clean")
        killed = 0
        different: list[str] = []
        for point in DEMO_POINTS:
            work = base / point
            if _demo(work, employees, point) == -signal.SIGKILL:
                killed += 1
            if _demo(work, employees) != 0 or _demo_state(work) != want:
                different.append(point)
    ok = killed == len(DEMO_POINTS) and not different
    return {"ok": ok, "points": len(DEMO_POINTS), "killed": killed, "different": different}


MODES = ("push", "pull", "corrections", "demo")


def soak(runs: int, employees: int, seed: int, modes: tuple[str, ...] = MODES) -> dict[str, Any]:
    """Every mode asked for; returns each mode's result (and whether all are ok)."""
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._seed import demo_company
    from intacct_sdk.testing._server import serve

    rng = random.Random(seed)
    results: dict[str, Any] = {}
    engine_modes = [m for m in modes if m != "demo"]
    if engine_modes:
        company = demo_company(employees=employees, projects=6, tasks_per_project=3, seed=seed)
        killer = _Killer()
        emulator = Emulator(company, faults=killer)  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory() as tmp, serve(emulator) as server:
            rounds = _Rounds(killer, Path(tmp), server.url, rng)
            rounds.clean()  # pulls the master data into the app
            if "corrections" in engine_modes and "push" not in engine_modes:
                _add_week(rounds.workdir, 0, rng)  # something pushed to correct
                rounds.clean()
            for mode in engine_modes:
                rounds.killed = rounds.not_killed = rounds.clean_failures = 0
                run = {"push": soak_push, "pull": soak_pull, "corrections": soak_corrections}
                result = run[mode](rounds, company, runs)
                result.update(rounds.counts())
                result["ok"] = result["ok"] and result["clean_rerun_failures"] == 0
                results[mode] = result
    if "demo" in modes:
        results["demo"] = soak_demo(employees)
    results["ok"] = all(r["ok"] for r in results.values() if isinstance(r, dict))
    return results


def _line(mode: str, r: dict[str, Any], runs: int) -> str:
    state = "ok" if r["ok"] else "FAIL"
    if mode == "demo":
        return (
            f"{state} demo: killed at {r['killed']} of {r['points']} crash points, reruns "
            f"differing from a clean demo: {', '.join(r['different']) or 'none'}"
        )
    head = (
        f"{state} {mode}: {runs} runs, {r['killed']} killed with SIGKILL "
        f"({r['not_killed']} finished first), {r['clean_rerun_failures']} clean reruns failed; "
    )
    if mode == "push":
        return head + (
            f"{r['local']} local timesheets, {r['remote']} live in Intacct; duplicates "
            f"{r['duplicates']}, missing {r['missing']}; invalid links: in the local app "
            f"{r['bad_links']} (after one more clean run {r['bad_links_after_extra_run']}),"
            f" in the state store {r['bad_store_links']} (after one more clean run "
            f"{r['bad_store_links_after_extra_run']})"
        )
    if mode == "pull":
        return head + f"local duplicates {r['duplicates']}, records unlike Intacct {r['wrong']}"
    return head + (
        f"duplicated timesheets {r['duplicates']}, timesheets unlike the local ones "
        f"(a correction lost or twice) {r['different']}"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--sync"]:
        return sync_once(Path(args[1]), args[2], full="--full" in args[3:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--employees", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated, of " + str(MODES)
    )
    opts = parser.parse_args(args)
    modes = tuple(m.strip() for m in opts.modes.split(",") if m.strip())
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        parser.error(f"unknown modes {unknown}; the modes are {', '.join(MODES)}")
    t0 = time.perf_counter()
    results = soak(opts.runs, opts.employees, opts.seed, modes)
    for mode in modes:
        print(_line(mode, results[mode], opts.runs))
    print(
        f"{'ok' if results['ok'] else 'FAIL'} crash soak ({time.perf_counter() - t0:.0f}s, "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z})"
    )
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
