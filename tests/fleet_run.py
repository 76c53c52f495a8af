"""A whole fleet on this machine, for the fleet tests and ``bench/fleet.py``: the
multi-company emulator served in one subprocess, real Celery worker processes on a Redis
broker (``tests.fleet_app``), one fan-out, SIGKILLs of workers mid-push, and the checks of
the end state (runs per company, duplicates and the limit, from the emulator's counters)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import attrs
from tests import fleet_app

from timesync.store import OutboxState

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def fleet_env(**extra: str) -> dict[str, str]:
    """The environment of this checkout's code in a subprocess (``tests`` importable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTACCT_")}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(SRC), str(ROOT), env.get("PYTHONPATH", "")])
    )
    env.update(extra)
    return env


def stop(proc: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL when it does not go."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@contextmanager
def served_companies(
    companies: int,
    *,
    employees: int = 3,
    projects: int = 3,
    tasks_per_project: int = 1,
    max_concurrent: int = 2,
) -> Iterator[str]:
    """``intacct emulator --companies N`` in a subprocess; yields its gateway URL."""
    argv = [
        sys.executable, "-m", "intacct_sdk.cli", "emulator", "--port", "0",
        "--companies", str(companies), "--employees", str(employees),
        "--projects", str(projects), "--tasks-per-project", str(tasks_per_project),
        "--customers", "1", "--max-concurrent", str(max_concurrent),
    ]  # fmt: skip
    proc = subprocess.Popen(
        argv,
        env=fleet_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = _first_url(proc, timeout=120)
        yield url
    finally:
        stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def _first_url(proc: subprocess.Popen[str], timeout: float) -> str:
    lines: list[str] = []
    found: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("http://127.0.0.1:"):
                found.append(line.strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        raise RuntimeError(f"the emulator printed no URL: {''.join(lines)[-1000:]}")
    drain = threading.Thread(target=lambda: proc.stdout and proc.stdout.read(), daemon=True)
    drain.start()
    return found[0]


def emulator_stats(url: str) -> dict[str, Any]:
    """``GET /_emulator/stats`` of the served emulator: ``{company id: counters}``."""
    base = url.split("/ia/")[0]
    with urllib.request.urlopen(f"{base}/_emulator/stats", timeout=30) as answer:  # noqa: S310
        data: dict[str, Any] = json.load(answer)
    return dict(data["companies"])


@contextmanager
def celery_workers(
    env: Mapping[str, str], *, nodes: int, concurrency: int
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``nodes`` Celery workers of ``concurrency`` prefork processes each; stopped after."""
    procs: list[subprocess.Popen[bytes]] = []
    log_dir = Path(env["TIMESYNC_FLEET_DIR"]) / "logs"
    log_dir.mkdir(exist_ok=True)
    with ExitStack() as stack:
        for n in range(nodes):
            log = stack.enter_context((log_dir / f"worker{n}.log").open("wb"))
            argv = [
                sys.executable, "-m", "celery", "-A", "tests.fleet_app", "worker",
                "--pool", "prefork", "--concurrency", str(concurrency),
                "--hostname", f"w{n}@fleet", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--loglevel", "WARNING",
            ]  # fmt: skip
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
            procs.append(proc)
            stack.callback(stop, proc)
        yield procs


def children(proc: subprocess.Popen[Any]) -> list[int]:
    """The pool processes of a worker (its children)."""
    try:
        text = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@attrs.define
class Fleet:
    """One fleet's parts: folder, emulator URL, broker, and the workers' environment."""

    folder: Path
    url: str
    broker: str
    dsn: str | None = None
    slots: int = 2
    batch: int = 50
    schema: str = "timesync"

    def env(self) -> dict[str, str]:
        extra = {
            "TIMESYNC_FLEET_BROKER": self.broker,
            "TIMESYNC_FLEET_DIR": str(self.folder),
            "TIMESYNC_FLEET_ENDPOINT": self.url,
            "TIMESYNC_FLEET_SLOTS": str(self.slots),
            "TIMESYNC_FLEET_BATCH": str(self.batch),
        }
        if self.dsn:
            extra["TIMESYNC_FLEET_DSN"] = self.dsn
            extra["TIMESYNC_FLEET_SCHEMA"] = self.schema
        return fleet_env(**extra)

    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.broker)


def fan_out(broker: str, mode: str = "incremental") -> None:
    """Send one ``timesync.fan_out`` to the workers."""
    from celery import Celery

    app = Celery("fleet-client", broker=broker)
    try:
        app.send_task("timesync.fan_out", args=(mode,))
    finally:
        app.close()


def _busy(client: Any) -> int:
    """Claims held, messages queued and messages delivered but not acknowledged."""
    claims = sum(1 for _ in client.scan_iter("timesync:claim:*", count=500))
    return claims + int(client.llen("celery")) + int(client.hlen("unacked"))


def wait_converged(fleet: Fleet, companies: list[str], timeout: float) -> float:
    """Wait until every company has a finished run and nothing is claimed, queued or
    unacknowledged; returns the seconds it took."""
    start = time.monotonic()
    client = fleet.redis()
    try:
        while True:
            done = client.hlen(fleet_app.RUNS)
            if done >= len(companies) and _busy(client) == 0:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(
                    f"not converged after {timeout:.0f} s: {done} of {len(companies)} companies"
                    f" ran, {_busy(client)} claims/messages outstanding"
                )
            time.sleep(0.5)
    finally:
        client.close()


def kill_mid_push(
    fleet: Fleet, workers: list[subprocess.Popen[bytes]], kills: int, timeout: float
) -> list[tuple[int, str]]:
    """SIGKILL ``kills`` pool processes at random moments while each pushes a company's
    timesheets; returns (pid, company) of each kill."""
    rng = random.Random(16)
    client = fleet.redis()
    done: list[tuple[int, str]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(done) < kills and time.monotonic() < deadline:
            ours = {pid for w in workers for pid in children(w)}
            marked = {
                int(key.decode().rsplit(":", 1)[1]): key
                for key in client.scan_iter(f"{fleet_app.PUSHING}*", count=100)
            }
            victims = sorted(set(marked) & ours)
            if not victims:
                time.sleep(0.005)
                continue
            pid = rng.choice(victims)
            time.sleep(rng.uniform(0.0, 0.05))  # a random moment of the push
            company = client.get(marked[pid])
            if company is None:
                continue  # its run finished meanwhile
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            client.delete(marked[pid])
            done.append((pid, company.decode()))
    finally:
        client.close()
    return done


@attrs.frozen
class Outcome:
    """What the fleet ended with."""

    companies: int
    synced: int
    runs: dict[str, int]
    started: dict[str, int]
    duplicates: int
    over_limit: int
    refused: int
    peak: int
    timesheets: dict[str, int]
    missing: dict[str, tuple[int, int]]
    pending: int


def outcome(fleet: Fleet, entered: Mapping[str, int]) -> Outcome:
    """Check the end state: each company's finished runs (from its state store), the
    timesheets Intacct holds against those entered, duplicates and limits (the emulator)."""
    stats = emulator_stats(fleet.url)
    runs: dict[str, int] = {}
    started: dict[str, int] = {}
    synced = pending = 0
    dir_fleet = fleet_app.DirFleet(fleet.env())
    try:
        for company_id in entered:
            store = dir_fleet.store(company_id)
            try:
                every = store.runs(50)
                started[company_id] = len(every)
                finished = [r for r in every if r.status == "ok"]
                pending += len(store.outbox(states=[OutboxState.PENDING, OutboxState.IN_FLIGHT]))
            finally:
                close = getattr(store, "close", None)
                if callable(close):
                    close()
            runs[company_id] = len(finished)
            synced += bool(finished)
    finally:
        dir_fleet.close()
    counted = {c: int(stats[c]["timesheets"]) for c in entered}
    missing = {c: (counted[c], n) for c, n in entered.items() if counted[c] != n}
    return Outcome(
        companies=len(entered),
        synced=synced,
        runs=runs,
        started=started,
        duplicates=sum(int(stats[c]["duplicate_timesheets"]) for c in entered),
        over_limit=sum(int(stats[c]["over_limit"]) for c in entered),
        refused=sum(int(stats[c]["refused"]) for c in entered),
        peak=max(int(stats[c]["peak_in_flight"]) for c in entered),
        timesheets=counted,
        missing=missing,
        pending=pending,
    )


@attrs.frozen
class FleetRun:
    """One fan-out over a fleet, measured."""

    outcome: Outcome
    seconds: float
    kills: list[tuple[int, str]]
    workers: int

    def line(self) -> str:
        """The bench's last line."""
        end = self.outcome
        rate = end.synced / (self.seconds / 60) if self.seconds > 0 else 0.0
        return (
            f"companies={end.companies} workers={self.workers} synced={end.synced}"
            f" duplicates={end.duplicates} over_limit={end.over_limit}"
            f" companies_per_min={rate:.1f}"
        )


def run_fleet(
    folder: Path,
    broker: str,
    *,
    companies: int,
    workers: int,
    kills: int = 0,
    dsn: str | None = None,
    employees: int = 3,
    weeks: int = 1,
    batch: int = 50,
    slots: int = 2,
    schema: str = "timesync",
    timeout: float = 600.0,
) -> FleetRun:
    """Serve ``companies`` emulated companies, enter their timesheets, start ``workers``
    worker processes (two per Celery node), fan out once, SIGKILL ``kills`` of them mid-push,
    wait for convergence and check the end state."""
    ids = [f"C{i:04d}" for i in range(1, companies + 1)]
    nodes = max(1, workers // 2)
    folder.mkdir(parents=True, exist_ok=True)
    with served_companies(companies, employees=employees, max_concurrent=slots) as url:
        fleet = Fleet(folder, url, broker, dsn=dsn, slots=slots, batch=batch, schema=schema)
        if dsn:
            migrate(dsn, schema)
        entered = fleet_app.prepare(folder, url, ids, weeks=weeks, per_company=employees)
        with celery_workers(fleet.env(), nodes=nodes, concurrency=workers // nodes) as procs:
            _wait_ready(procs, workers)
            start = time.monotonic()
            fan_out(broker)
            killed = kill_mid_push(fleet, procs, kills, timeout=timeout) if kills else []
            wait_converged(fleet, ids, timeout=timeout)
            seconds = time.monotonic() - start
        end = outcome(fleet, entered)
    return FleetRun(end, seconds, killed, workers)


def migrate(dsn: str, schema: str) -> None:
    """Create the fleet's state schema once, before the workers start."""
    from psycopg_pool import ConnectionPool

    from timesync.store import PostgresStateStore

    with ConnectionPool(dsn, min_size=1, max_size=2, open=True) as pool:
        PostgresStateStore.migrate(pool, schema=schema)


def _wait_ready(procs: list[subprocess.Popen[bytes]], workers: int, timeout: float = 60) -> None:
    """Wait until every pool process has started (so start-up is not counted)."""
    deadline = time.monotonic() + timeout
    while sum(len(children(p)) for p in procs) < workers:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise RuntimeError("the Celery workers did not start")
        time.sleep(0.1)
