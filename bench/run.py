"""Side-by-side benchmarks against sageintacctsdk on the emulator; writes bench/RESULTS.md.

Usage (from the repository root, in the project's environment)::

    python bench/run.py                 # the whole comparison (makes the anchor's venv if needed)
    python bench/run.py --quick         # smaller sizes, fewer repeats: a smoke check
    python bench/run.py --rows pull,cli --repeat 3 --out /tmp/r.md --json /tmp/r.json
    python bench/run.py --from-json /tmp/r.json --out bench/RESULTS.md   # the report only

Every measured client runs in fresh processes, ours with this interpreter and sageintacctsdk
(the anchor, 1.28.1) with ``bench/.venv-bench`` (``bench/make_venv.sh``). The two sides take
turns (ours first in odd repeats, the anchor first in even ones) and each figure is the
median of the repeats, shown with its minimum and maximum. Requests are the emulator's own
counters. Each row is a function ``row_<name>(ctx)`` returning its measurements; the report
(``bench/_report.py``) judges the targets. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import _report  # noqa: E402
import _scenario as S  # noqa: E402

BENCH_PY = HERE / ".venv-bench" / "bin" / "python"
OURS_VENV_PY = HERE / ".venv-ours" / "bin" / "python"


def ours_python() -> str:
    """Our side's interpreter: ``bench/.venv-ours`` (runtime dependencies only, as a user
    installs the package) when it exists, else this one. Either way ``src`` comes first on
    the path, so the checkout's code is what runs."""
    return str(OURS_VENV_PY) if OURS_VENV_PY.exists() else sys.executable


def compile_sources() -> None:
    """Byte-compile the checkout's ``src`` for our side's interpreter, once per run.

    Our side runs ``src`` from the checkout, where nothing has compiled it: with
    ``PYTHONDONTWRITEBYTECODE`` set (or a read-only tree) every fresh process would compile
    each module from source, a cost no installed copy pays (``pip install`` byte-compiles, as
    it did for the anchor's package). ``compileall`` writes the ``__pycache__`` files either
    way; unchanged sources are skipped.
    """
    subprocess.run(
        [ours_python(), "-m", "compileall", "-q", str(ROOT / "src")], check=True, timeout=TIMEOUT
    )


WORKER = str(HERE / "_worker.py")
TIMEOUT = 3600
#: Pages in flight for our pull (the issue's targets are judged on it).
PREFETCH = 2
#: The gateway's largest query page.
MAX_PAGE = 2000
ANCHOR = "sageintacctsdk"


@dataclass
class Sizes:
    """Sizes and repeats of one run (the full comparison, or ``--quick``)."""

    pull: tuple[int, ...] = (2_000, 10_000, 50_000)
    cli: tuple[int, ...] = (2_000, 10_000, 50_000)
    push: int = 5_000
    sync: tuple[int, ...] = (25_000, 100_000)
    rematch: tuple[int, ...] = (4_000, 8_000, 16_000)
    repeat: int = 5
    sync_repeat: int = 1
    parse_rounds: int = 7


QUICK = Sizes(
    pull=(500, 2_000),
    cli=(500, 2_000),
    push=200,
    sync=(1_000, 4_000),
    rematch=(500, 1_000, 2_000),
    repeat=2,
    sync_repeat=1,
    parse_rounds=3,
)


@dataclass
class Measurement:
    """One side of one case of a row: its samples (seconds unless ``unit`` says otherwise).

    Attributes:
        row: The row (``pull``, ``cli``, ``parse``, ``push``, ``sync``, ``rematch``).
        case: What was measured (``5 fields, 2,000, warm``).
        side: ``ours``, the anchor, or a baseline such as ``ET.fromstring``.
        samples: One figure per fresh process.
        records: Records the side read or wrote (the last process's count).
        requests: HTTP requests the emulator served to each process.
        min_requests: The least the gateway allows for the work, where a target names it.
        rss_mb: Peak resident memory of each process.
        error: Why the side was not measured.
        note: What the reader needs to compare it fairly.
    """

    row: str
    case: str
    side: str
    samples: list[float] = field(default_factory=list)
    records: int = 0
    requests: list[int] = field(default_factory=list)
    min_requests: int | None = None
    rss_mb: list[float] = field(default_factory=list)
    error: str = ""
    note: str = ""
    functions: dict[str, int] = field(default_factory=dict)


@dataclass
class Context:
    sizes: Sizes
    anchor: bool
    out_dir: Path
    log: Callable[[str], None] = print
    results: list[Measurement] = field(default_factory=list)


# --------------------------------------------------------------------------- processes


def credentials() -> dict[str, str]:
    from intacct_sdk.testing._emulator import DEMO_CREDENTIALS as C

    return {
        "sender_id": C.sender_id,
        "sender_password": C.sender_password,
        "company_id": C.company_id,
        "user_id": C.user_id,
        "user_password": C.user_password,
    }


def _ours_env() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def worker(mode: str, args: dict[str, Any], *, theirs: bool = False) -> dict[str, Any]:
    """Run ``_worker.py MODE`` in a fresh process; its ``BENCH`` line, or ``{"error": ...}``."""
    env = dict(os.environ)
    if theirs:
        env.pop("PYTHONPATH", None)
    else:
        env.update(_ours_env())
    py = str(BENCH_PY) if theirs else ours_python()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(dict(args, spawned=time.time()), fh)
    try:
        proc = subprocess.run(
            [py, WORKER, mode, "@" + fh.name],
            env=env,
            capture_output=True,
            cwd=ROOT,
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        os.unlink(fh.name)
    text = proc.stdout.decode(errors="replace") + "\n" + proc.stderr.decode(errors="replace")
    line = next((x for x in text.splitlines() if x.startswith("BENCH ")), None)
    if proc.returncode != 0 or line is None:
        tail = " | ".join(text.strip().splitlines()[-3:])
        return {"error": f"exit {proc.returncode}: {tail[-300:]}"}
    result: dict[str, Any] = json.loads(line[6:])
    return result


def whole_process(
    cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None, theirs: bool = False
) -> dict[str, Any]:
    """Run ``cmd`` under the ``proc`` worker: wall time, peak RSS and stdout of that child."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        args = {
            "cmd": cmd,
            "cwd": str(cwd),
            "env": env or {},
            "unset": ["PYTHONPATH"] if theirs else [],
            "stdout": str(tmp / "out"),
            "stderr": str(tmp / "err"),
        }
        result = worker("proc", args)
        if "error" in result:
            return result
        if result["rc"] != 0:
            err = (tmp / "err").read_text(errors="replace").strip().splitlines()[-3:]
            return {"error": f"exit {result['rc']}: {' | '.join(err)[-300:]}"}
        result["stdout"] = (tmp / "out").read_bytes()
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def alternate(repeat: int, sides: dict[str, Callable[[], dict[str, Any]]]) -> dict[str, list]:
    """Run each side ``repeat`` times, taking turns (the order flips every repeat)."""
    names = list(sides)
    out: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for i in range(repeat):
        for name in names if i % 2 == 0 else names[::-1]:
            out[name].append(sides[name]())
    return out


@contextmanager
def served(company: Any) -> Iterator[tuple[Any, str]]:
    """The emulator over ``company`` on a free loopback port."""
    from intacct_sdk.testing._emulator import Emulator

    emulator = Emulator(company)
    with emulator.serve() as server:
        yield emulator, server.url


def counted(emulator: Any, fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """``fn`` with the emulator's requests during it added as ``requests``."""

    def run() -> dict[str, Any]:
        emulator.stats.reset()
        result = fn()
        result["requests"] = emulator.stats.http_requests
        result["functions"] = {
            f"{f}:{o}" if o else f: n for (f, o), n in emulator.stats.functions.items()
        }
        return result

    return run


def collect(
    ctx: Context, m: Measurement, runs: list[dict[str, Any]], key: str = "wall"
) -> Measurement:
    """Fill ``m`` from the runs of one side; an error in any run is the side's error."""
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        m.error = errors[0]
    else:
        m.samples = [float(r[key]) for r in runs]
        m.records = int(runs[-1].get("records", 0))
        m.requests = [int(r["requests"]) for r in runs if "requests" in r]
        m.rss_mb = [r["rss_kb"] / 1024 for r in runs if "rss_kb" in r]
        m.functions = runs[-1].get("functions", {})
    ctx.results.append(m)
    ctx.log(_report.line(m))
    return m


def console(name: str, module: str) -> list[str]:
    """The console script ``name`` next to this interpreter, else ``python -m module``."""
    python = ours_python()
    script = Path(python).parent / name
    return [str(script)] if script.exists() else [python, "-m", module]


def _fields(width: int) -> list[str]:
    from timesync.mapping import default_specs

    return list(default_specs()["EMPLOYEE"].remote_fields())[:width]


def _not_measured(ctx: Context, row: str, case: str, why: str = "") -> None:
    reason = why or "not measured: no anchor venv (sh bench/make_venv.sh) or --ours-only"
    ctx.results.append(Measurement(row, case, ANCHOR, error=reason))


# --------------------------------------------------------------------------- rows


def row_pull(ctx: Context) -> None:
    """Pull EMPLOYEE in-process, 5 and 15 fields: records/s, cold and warm, ours vs anchor."""
    for n in ctx.sizes.pull:
        with served(S.employee_company(n)) as (emulator, url):
            for width in (5, 15):
                args = {"url": url, "credentials": credentials(), "object": "EMPLOYEE"}
                args["fields"] = _fields(width)
                sides = {
                    "ours": counted(
                        emulator, lambda a=args: worker("ours-pull", dict(a, prefetch=PREFETCH))
                    )
                }
                if ctx.anchor:
                    sides[ANCHOR] = counted(
                        emulator, lambda a=args: worker("theirs-pull", a, theirs=True)
                    )
                runs = alternate(ctx.sizes.repeat, sides)
                least = 1 + 2 * math.ceil(n / MAX_PAGE)
                for phase in ("cold", "warm"):
                    case = f"{width} fields, {n:,}, {phase}"
                    for side, side_runs in runs.items():
                        note = (
                            f"Client.query(prefetch={PREFETCH})"
                            if side == "ours"
                            else "ApiBase.get_all (a count query, then pages)"
                        )
                        m = Measurement("pull", case, side, note=note, min_requests=least)
                        collect(ctx, m, side_runs, phase)
                    if not ctx.anchor:
                        _not_measured(ctx, "pull", case)


def row_cli(ctx: Context) -> None:
    """``intacct query EMPLOYEE --format json``, whole process, against the anchor's script."""
    for n in ctx.sizes.cli:
        _cli_size(ctx, n)


def _cli_size(ctx: Context, n: int) -> None:
    fields = _fields(5)
    creds = credentials()
    with served(S.employee_company(n)) as (emulator, url):
        env = {
            "INTACCT_SENDER_ID": creds["sender_id"],
            "INTACCT_SENDER_PASSWORD": creds["sender_password"],
            "INTACCT_COMPANY_ID": creds["company_id"],
            "INTACCT_USER_ID": creds["user_id"],
            "INTACCT_USER_PASSWORD": creds["user_password"],
            "INTACCT_ENDPOINT_URL": url,
        }
        ours_cmd = console("intacct", "intacct_sdk.cli")
        ours_cmd += ["query", "EMPLOYEE", "--fields", ",".join(fields)]
        ours_cmd += ["--format", "json"]
        theirs_args = Path(ctx.out_dir / "theirs-cli.json")
        theirs_args.write_text(json.dumps({"url": url, "credentials": creds, "fields": fields}))

        def ours() -> dict[str, Any]:
            r = whole_process(ours_cmd, cwd=ctx.out_dir, env={**env, **_ours_env()})
            return _count_json(r)

        def theirs() -> dict[str, Any]:
            cmd = [str(BENCH_PY), WORKER, "theirs-cli", "@" + str(theirs_args)]
            return _count_json(whole_process(cmd, cwd=ROOT, theirs=True))

        sides = {"ours": counted(emulator, ours)}
        if ctx.anchor:
            sides[ANCHOR] = counted(emulator, theirs)
        runs = alternate(ctx.sizes.repeat, sides)
        case = f"{n:,} employees, 5 fields"
        notes = {
            "ours": "intacct query EMPLOYEE --fields ... --format json (console script)",
            ANCHOR: "script: ApiBase.get_all + json.dump to stdout",
        }
        for side, side_runs in runs.items():
            m = Measurement(
                "cli", case, side, note=notes[side], min_requests=1 + math.ceil(n / MAX_PAGE)
            )
            collect(ctx, m, side_runs)
        if not ctx.anchor:
            _not_measured(ctx, "cli", case)


def _count_json(result: dict[str, Any]) -> dict[str, Any]:
    if "error" not in result:
        result["records"] = len(json.loads(result.pop("stdout")))
        result["rss_kb"] = result["child_rss_kb"]
    return result


def row_parse(ctx: Context) -> None:
    """One 2,000-record page into typed records against ``ET.fromstring`` (same bytes)."""
    for width in (5, 15):
        cmd = [sys.executable, str(HERE / "parse_page.py"), "--json", "--fields", str(width)]
        cmd += ["--rounds", str(ctx.sizes.parse_rounds)]
        runs = []
        for _ in range(ctx.sizes.repeat):
            proc = subprocess.run(
                cmd, capture_output=True, cwd=ROOT, env={**os.environ, **_ours_env()}, check=False
            )
            out = proc.stdout.decode()
            line = next((x for x in out.splitlines() if x.startswith("BENCH ")), None)
            if proc.returncode or line is None:
                runs.append({"error": f"exit {proc.returncode}: {proc.stderr.decode()[-300:]}"})
            else:
                runs.append(json.loads(line[6:]))
        steps = [] if "error" in runs[0] else list(runs[0]["seconds"])
        for step in steps:
            side = "ours" if step == "parse_response, typed records" else step
            m = Measurement("parse", f"{width} fields, 2,000 records", side, records=2000)
            collect(ctx, m, [{"wall": r["seconds"][step], "records": 2000} for r in runs])
        if not steps:
            collect(ctx, Measurement("parse", f"{width} fields", "ours"), runs)


def _config(workdir: Path, url: str) -> Path:
    """A ``timesync sync`` config for the emulator at ``url`` (reference app, UTC user)."""
    creds = credentials()
    lines = ["[intacct]", f'endpoint_url = "{url}"', 'timezone = "UTC"']
    lines += [f'{k} = "{v}"' for k, v in creds.items()]
    lines += ["", "[state]", 'path = "state.db"', "", "[local]", 'reference = "app.db"', ""]
    path = workdir / "sync.toml"
    path.write_text("\n".join(lines))
    return path


def _sync(config: Path, *extra: str) -> dict[str, Any]:
    cmd = [*console("timesync", "timesync.cli"), "sync", "--config", str(config), *extra]
    result = whole_process(cmd, cwd=config.parent, env=_ours_env())
    if "error" not in result:
        result["rss_kb"] = result["child_rss_kb"]
        result["report"] = result.pop("stdout").decode(errors="replace")
    return result


def _local_writes(report: str) -> int:
    """Local records a ``timesync sync`` report says were created or updated (all objects)."""
    rows = (line.split() for line in report.splitlines())
    return sum(
        int(c[1]) + int(c[2]) for c in rows if len(c) > 2 and c[1].isdigit() and c[2].isdigit()
    )


def _pulled(company: Any) -> int:
    from timesync.engine import EngineOptions

    return sum(company.count(name) for name in EngineOptions().pull_objects)


def _first_sync_minimum(company: Any) -> int:
    """The data requests a first sync of ``company`` needs (a login aside): the first pages
    of every object in one request, then the longest chain of later pages, one page of each
    object that is reading a request (an object's after the objects it waits for are
    complete)."""
    from timesync.engine import EngineOptions
    from timesync.engine._plan import matches
    from timesync.engine._schedule import pull_dependencies
    from timesync.mapping import default_specs

    specs, opts = dict(default_specs()), EngineOptions()
    depends = pull_dependencies(specs, opts.pull_objects)
    done: dict[str, int] = {}
    for name in opts.pull_objects:
        where = specs[name].effective_filter
        n = sum(1 for r in company.records(name) if matches(where, r))
        later = max(0, math.ceil(n / opts.page_size) - 1)
        done[name] = max((done[d] for d in depends[name]), default=0) + later
    return 1 + max(done.values(), default=0)


def _batch_size() -> int:
    from timesync.engine import PushOptions

    return int(PushOptions().batch_size)


def _add_timesheets(app_path: Path, count: int, first_week: date) -> int:
    """``count`` approved local timesheets (five entries each), one per employee-week."""
    from timesync.local import EntryInput, ReferenceApp

    with ReferenceApp(app_path) as app:
        people = [str(r.key) for r in app.list_records("EMPLOYEE") if r.active and r.key]
        tasks = [str(r.key) for r in app.list_records("TASK") if r.active and r.key]
        for i in range(count):
            week = first_week + timedelta(weeks=i // len(people))
            project, _, task = tasks[i % len(tasks)].partition("/")
            entries = [
                EntryInput(
                    entry_date=week + timedelta(days=d),
                    hours=8 if d % 2 else 7.5,
                    project_number=project,
                    task_code=task,
                    billable=True,
                    notes=f"bench {i}-{d}",
                )
                for d in range(S.ENTRIES_PER_TIMESHEET)
            ]
            app.create_timesheet(people[i % len(people)], week, entries)
    return count


def row_push(ctx: Context) -> None:
    """Push M approved timesheets: ``timesync sync --object TIMESHEET`` against the anchor's
    create per timesheet, whole processes both."""
    m_count = ctx.sizes.push
    employees = max(50, m_count // 5)
    batch = _batch_size()
    company = S.employee_company(employees)
    with served(company) as (emulator, url):
        work = Path(tempfile.mkdtemp(prefix="push-", dir=ctx.out_dir))
        config = _config(work, url)
        first = _sync(config)  # links the employees, projects and tasks (not measured)
        if "error" in first:
            collect(ctx, Measurement("push", f"{m_count:,} timesheets", "ours"), [first])
            return
        weeks = math.ceil(m_count / employees)
        rounds = iter(range(1000))

        def ours() -> dict[str, Any]:
            i = next(rounds)
            _add_timesheets(work / "app.db", m_count, date(2030, 1, 7) + timedelta(weeks=i * weeks))
            return _sync(config, "--object", "TIMESHEET")

        theirs_rounds = iter(range(1000))

        def theirs() -> dict[str, Any]:
            i = next(theirs_rounds)
            first_week = date(2040, 1, 2) + timedelta(weeks=i * weeks)
            path = work / "theirs-timesheets.json"
            path.write_text(json.dumps(S.timesheets(company, m_count, first_week=first_week)))
            args = {"url": url, "credentials": credentials(), "timesheets": str(path)}
            t0 = time.perf_counter()
            r = worker("theirs-push", args, theirs=True)
            r.setdefault("wall", time.perf_counter() - t0)
            return r

        sides = {"ours": created(counted(emulator, ours))}
        if ctx.anchor:
            sides[ANCHOR] = created(counted(emulator, theirs))
        runs = alternate(ctx.sizes.repeat, sides)
        case = f"{m_count:,} timesheets x {S.ENTRIES_PER_TIMESHEET} entries"
        notes = {
            "ours": f"timesync sync --object TIMESHEET, batch_size {batch} (whole process)",
            ANCHOR: "ApiBase(dimension='TIMESHEET').post per timesheet (whole process)",
        }
        least = {"ours": 1 + math.ceil(m_count / batch) + 1, ANCHOR: 1 + m_count}
        for side, side_runs in runs.items():
            m = Measurement("push", case, side, note=notes[side], min_requests=least[side])
            collect(ctx, m, side_runs)
        if not ctx.anchor:
            _not_measured(ctx, "push", case)


def created(fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """``fn`` with ``records`` set to the timesheets the emulator created for it."""

    def run() -> dict[str, Any]:
        result = fn()
        if "error" not in result:
            result["records"] = result["functions"].get("create:TIMESHEET", 0)
        return result

    return run


def row_sync(ctx: Context) -> None:
    """First ``timesync sync`` of a company (one process), then a rerun with nothing changed."""
    for n in ctx.sizes.sync:
        company = S.sync_company(n)
        records = _pulled(company)
        first_runs: list[dict[str, Any]] = []
        rerun_runs: list[dict[str, Any]] = []
        with served(company) as (emulator, url):
            for _ in range(ctx.sizes.sync_repeat):
                work = Path(tempfile.mkdtemp(prefix="sync-", dir=ctx.out_dir))
                config = _config(work, url)
                first_runs.append(counted(emulator, lambda c=config: _sync(c))())
                rerun_runs.append(counted(emulator, lambda c=config: _sync(c))())
                shutil.rmtree(work, ignore_errors=True)
        for r in first_runs:
            r.setdefault("records", records)
        case = f"{records:,} records"
        least = _first_sync_minimum(company)
        note = "minimum: data requests, login aside"
        first = Measurement(
            "sync", case, "first sync", records=records, min_requests=least, note=note
        )
        collect(ctx, first, first_runs)
        rerun = Measurement("sync", case, "no-change rerun", min_requests=2, note="login + one")
        collect(ctx, rerun, rerun_runs)


def row_rematch(ctx: Context) -> None:
    """Re-matching every record after the state store is lost (the app keeps its records)."""
    for n in ctx.sizes.rematch:
        company = S.sync_company(n)
        records = _pulled(company)
        runs: list[dict[str, Any]] = []
        with served(company) as (emulator, url):
            for _ in range(ctx.sizes.sync_repeat):
                work = Path(tempfile.mkdtemp(prefix="rematch-", dir=ctx.out_dir))
                config = _config(work, url)
                first = _sync(config)
                if "error" in first:
                    runs.append(first)
                    continue
                for suffix in ("", "-wal", "-shm", "-journal"):
                    (work / f"state.db{suffix}").unlink(missing_ok=True)
                r = counted(emulator, lambda c=config: _sync(c))()
                r.setdefault("records", records)
                runs.append(r)
                shutil.rmtree(work, ignore_errors=True)
        writes = sorted({_local_writes(r.get("report", "")) for r in runs if "error" not in r})
        note = f"local records written: {'/'.join(str(w) for w in writes)}" if writes else ""
        collect(ctx, Measurement("rematch", f"{records:,} records", "ours", note=note), runs)


ROWS: dict[str, Callable[[Context], None]] = {
    "pull": row_pull,
    "cli": row_cli,
    "parse": row_parse,
    "push": row_push,
    "sync": row_sync,
    "rematch": row_rematch,
}


# --------------------------------------------------------------------------- main


def ensure_anchor() -> bool:
    """Make ``bench/.venv-bench`` when it is missing; whether the anchor can run."""
    if BENCH_PY.exists() and OURS_VENV_PY.exists():
        return True
    print("making the benchmark's venvs (bench/make_venv.sh)", flush=True)
    proc = subprocess.run(["sh", str(HERE / "make_venv.sh"), sys.executable], check=False)
    return proc.returncode == 0 and BENCH_PY.exists()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"of {','.join(ROWS)}")
    parser.add_argument("--repeat", type=int, help="fresh processes per side (5; --quick 2)")
    parser.add_argument("--sync-repeat", type=int, help="runs of the sync rows (1)")
    parser.add_argument("--ours-only", action="store_true", help="skip the anchor")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--json", help="also write the measurements here")
    parser.add_argument("--from-json", help="only write the report, from a --json file")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        results = [Measurement(**m) for m in saved.pop("results")]
        _report.write(Path(args.out), results, saved)
        return 0
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown rows: {', '.join(unknown)} (choose from {', '.join(ROWS)})")
    sizes = QUICK if args.quick else Sizes()
    if args.repeat:
        sizes.repeat = args.repeat
    if args.sync_repeat:
        sizes.sync_repeat = args.sync_repeat
    anchor = not args.ours_only and ensure_anchor()
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    meta: dict[str, Any] = {
        "command": command.strip(),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": list(os.getloadavg()),
        "sizes": asdict(sizes),
        "machine": _report.machine(BENCH_PY if anchor else None, ours_python()),
        "batch_size": _batch_size(),
    }
    compile_sources()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        ctx = Context(sizes=sizes, anchor=anchor, out_dir=Path(tmp))
        for name in rows:
            print(f"[{name}]", flush=True)
            ROWS[name](ctx)
    meta["load_end"] = list(os.getloadavg())
    meta["minutes"] = (time.perf_counter() - t0) / 60
    if args.json:
        data = {**meta, "results": [asdict(m) for m in ctx.results]}
        Path(args.json).write_text(json.dumps(data, indent=1))
    _report.write(Path(args.out), ctx.results, meta)
    for target in _report.targets(ctx.results, meta):
        print(f"{target.status:13s} {target.name}: {target.evidence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
