"""How the first sync, a no-change rerun and re-matching grow with the company's size.

Usage (from the repository root, in the project's environment)::

    python bench/scale_sync.py [--sizes 25000,100000] [--rematch 4000,8000,16000]

For each size an emulator process (``python -m intacct_sdk.testing``) serves the demo
company seeded at about that many records (employees, projects, tasks and customers in the
demo's proportions) on loopback; each measured run is one ``timesync sync`` process against
it, with the reference app as the local system. Printed per size: wall time, HTTP requests
(the run's own report) and the sync process's own peak RSS, for the first sync and for a
rerun with nothing changed, and the ratio of the largest size's first-sync time to the
smallest's. The rematch rows time a sync after the state store is deleted (every local
record is linked again by matching). The load average is printed with the figures: the
machine may be shared.

Nothing here is a test: it measures and reports.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PULL = ["DEPARTMENT", "LOCATION", "CLASS", "PROJECTTYPE", "TIMETYPE", "CUSTOMER", "EMPLOYEE"]
PULL += ["PROJECT", "TASK"]
TIMEOUT = 1800


def company_args(records: int) -> dict[str, int]:
    """``demo_company`` arguments for about ``records`` records (100,000 gives 100,512)."""
    return {
        "employees": max(records // 4, 1),
        "projects": max(records // 20, 1),
        "tasks_per_project": 14,
        "customers": max(records // 200, 1),
    }


def _config(folder: Path, url: str) -> Path:
    path = folder / "sync.toml"
    path.write_text(
        "\n".join(
            [
                "[intacct]",
                f'endpoint_url = "{url}"',
                'sender_id = "demo-sender"',
                'sender_password = "demo-sender-password"',
                'company_id = "DEMO"',
                'user_id = "demo-user"',
                'user_password = "demo-user-password"',
                'timezone = "UTC"',
                "[state]",
                'path = "state.db"',
                "[local]",
                'reference = "app.db"',
                "[engine]",
                "pull = [" + ", ".join(f'"{o}"' for o in PULL) + "]",
                "push = []",
                "",
            ]
        )
    )
    return path


def _sync(config: Path) -> dict[str, float]:
    """One ``timesync sync`` process: wall seconds, HTTP requests, peak RSS in MB."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "timesync.cli", "sync", "--config", str(config)],
            stdout=out,
            stderr=err,
        )
        # wait4: this child's own peak (this process stays small: the emulator has its own)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"timesync sync failed ({proc.returncode}): {problem[-500:]}")
    found = re.search(r"HTTP requests (\d+)", text)
    peak = usage.ru_maxrss
    per_mb = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes or KiB
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "requests": int(found.group(1)) if found else -1,
        "rss_mb": peak / per_mb,
        "local_writes": _counted(text),
    }


def _counted(text: str) -> int:
    """Records the run's report says it created or updated locally (all objects)."""
    total = 0
    for line in text.splitlines():
        cells = line.split()
        if len(cells) >= 3 and cells[0].isupper() and cells[1].isdigit() and cells[2].isdigit():
            total += int(cells[1]) + int(cells[2])
    return total


@contextlib.contextmanager
def _emulator(records: int) -> Iterator[str]:
    """The emulator seeded at about ``records`` records, in its own process; yields its URL."""
    args = [f"--{k.replace('_', '-')}={v}" for k, v in company_args(records).items()]
    proc = subprocess.Popen(
        [sys.executable, "-m", "intacct_sdk.testing", "--max-concurrent", "none", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit("the emulator did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def measure_size(records: int) -> dict[str, Any]:
    """First sync and a no-change rerun of a company of about ``records`` records."""
    with _emulator(records) as url, tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp), url)
        first = _sync(config)
        rerun = _sync(config)
    return {"records": seeded(records), "first": first, "rerun": rerun}


def measure_rematch(records: int) -> dict[str, Any]:
    """A sync after the state store is lost, with the app holding every record already."""
    with _emulator(records) as url, tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp), url)
        _sync(config)
        for suffix in ("", "-wal", "-shm"):
            (Path(tmp) / f"state.db{suffix}").unlink(missing_ok=True)
        again = _sync(config)
    return {"records": seeded(records), **again}


def seeded(records: int) -> int:
    """How many records the demo company holds at that size (all objects)."""
    from intacct_sdk.testing._seed_data import SeedOptions, demo_objects

    return sum(
        sum(1 for _ in rows) for _, rows in demo_objects(SeedOptions(**company_args(records)))
    )


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25000,100000")
    parser.add_argument("--rematch", default="4000,8000,16000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rematch = [int(s) for s in args.rematch.split(",") if s]
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    for n in sizes:
        row = measure_size(n)
        rows.append(row)
        f, r = row["first"], row["rerun"]
        print(
            f"first sync {row['records']:>7} records: {f['wall']:7.2f} s ({f['cpu']:5.2f} s CPU) "
            f"{f['requests']:>4.0f} requests {f['rss_mb']:6.1f} MB | no-change rerun "
            f"{r['wall']:5.2f} s {r['requests']:>3.0f} requests {r['rss_mb']:6.1f} MB",
            flush=True,
        )
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        data = large["records"] / small["records"]
        time_ratio = large["first"]["wall"] / small["first"]["wall"]
        print(f"{data:.2f}x the data: {time_ratio:.2f}x the time")
    for n in rematch:
        row = measure_rematch(n)
        print(
            f"rematch {row['records']:>6} records after a lost state store: {row['wall']:6.2f} s "
            f"({row['cpu']:5.2f} s CPU) {row['requests']:>4.0f} requests {row['rss_mb']:6.1f} MB "
            f"{row['local_writes']:>6} local writes",
            flush=True,
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
