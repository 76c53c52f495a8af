"""The fleet bench: many companies, real workers, one fan-out, workers killed mid-push.

Usage (from the repository root, in the project's environment with the ``celery`` and
``postgres`` extras; ``redis-server`` and PostgreSQL's binaries on this machine)::

    python bench/fleet.py --companies 200 --workers 4 --kills 5 [--store postgres|sqlite]

It starts everything it needs in a temporary folder, on loopback and free ports: PostgreSQL
(the shared state store and request limiter), Redis (the Celery broker and the fan-out's
claims), the multi-company emulator (``intacct emulator --companies N``, every company with
its limit of 2 requests at once) and W Celery worker processes (``tests.fleet_app``, two per
node). It enters a week of approved timesheets per employee in each company's local app,
fans out one sync of every company, SIGKILLs K worker processes at random moments of a
company's push, waits until every company has run and nothing is queued, claimed or
unacknowledged, then checks the end state itself: each company synced, every local
timesheet in Intacct once, no duplicate, and from the emulator's counters no request that
found its company's slots all taken. The last line::

    companies=N workers=W synced=S duplicates=D over_limit=O companies_per_min=R

The rate counts from the fan-out to convergence (start-up and data entry excluded). It exits
non-zero when a company did not sync, a timesheet is missing or doubled, or a limit was hit.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.fleet_run import run_fleet  # noqa: E402
from tests.server_redis import redis_server  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/fleet.py", description=__doc__.split("\n")[0])
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument("--kills", type=int, default=0, help="SIGKILLs of workers mid-push")
    parser.add_argument("--employees", type=int, default=3, help="employees per company")
    parser.add_argument("--weeks", type=int, default=1, help="timesheets per employee")
    parser.add_argument("--batch", type=int, default=50, help="timesheets per push request")
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    load_start = os.getloadavg()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fleet-bench-")))
        broker = stack.enter_context(redis_server())
        dsn = None
        if args.store == "postgres":
            from tests.server_postgres import PostgresServer, find_bindir

            bindir = find_bindir()
            if bindir is None:
                parser.error("PostgreSQL's initdb not found (or run with --store sqlite)")
            server = PostgresServer(bindir)
            stack.callback(server.stop)
            server.start()
            dsn = server.dsn
        run = run_fleet(
            folder / "fleet",
            broker,
            companies=args.companies,
            workers=args.workers,
            kills=args.kills,
            dsn=dsn,
            employees=args.employees,
            weeks=args.weeks,
            batch=args.batch,
            timeout=args.timeout,
        )
    end = run.outcome
    print(
        f"store={args.store} seconds={run.seconds:.1f} kills={len(run.kills)}"
        f" load_1min={load_start[0]:.2f}->{os.getloadavg()[0]:.2f}",
        flush=True,
    )
    if end.missing:
        print(f"timesheets not as entered: {end.missing}", flush=True)
    print(run.line(), flush=True)
    good = (
        end.synced == end.companies
        and not end.missing
        and end.duplicates == 0
        and end.over_limit == 0
        and len(run.kills) == args.kills
    )
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
