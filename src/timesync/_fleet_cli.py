"""``timesync fleet status``: every company of a shared PostgreSQL store at a glance."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta
from typing import Any

from timesync.errors import ConfigurationError as SyncConfigurationError

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``fleet`` command group to the ``timesync`` subcommands."""
    fleet = sub.add_parser("fleet", help="many companies in one PostgreSQL store")
    fleet_sub = fleet.add_subparsers(dest="fleet_command", required=True)
    status = fleet_sub.add_parser(
        "status", help="last run, lag, open errors and outbox of every company"
    )
    status.add_argument(
        "--store", required=True, metavar="DSN", help="the store's database (postgresql://...)"
    )
    status.add_argument("--schema", default="timesync", help="the store's schema")
    status.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    status.set_defaults(func=_status)


def _when(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def _lag(value: timedelta | None) -> str:
    if value is None:
        return "never"
    seconds = int(value.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _status(args: argparse.Namespace) -> int:
    try:
        import psycopg
        from psycopg_pool import ConnectionPool, PoolTimeout
    except ImportError:
        raise SyncConfigurationError(
            'the PostgreSQL store needs psycopg: pip install "intacct-timesync[postgres]"'
        ) from None
    from timesync.store import fleet_status

    try:
        psycopg.connect(args.store, connect_timeout=10).close()  # fails fast, with the reason
        with ConnectionPool(args.store, min_size=1, max_size=1, open=True, timeout=15) as pool:
            pool.wait(15)
            companies = fleet_status(pool, schema=args.schema)
    except (psycopg.Error, PoolTimeout) as exc:
        # psycopg's messages name host, port and user, never the password
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SyncConfigurationError(f"cannot read the fleet store: {first}") from None
    if args.json:
        print(json.dumps({"companies": [c.to_json() for c in companies]}, indent=2))
        return 0
    if not companies:
        print("no companies in the store yet")
        return 0
    header = (
        "company",
        "run",
        "status",
        "started",
        "finished",
        "lag",
        "errors",
        "pending",
        "in-flight",
    )
    rows = [
        (
            c.company_id,
            "-" if c.last_run_id is None else str(c.last_run_id),
            c.last_status or "-",
            _when(c.last_started),
            _when(c.last_finished),
            _lag(c.lag),
            str(c.open_errors),
            str(c.pending),
            str(c.in_flight),
        )
        for c in companies
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for r in (header, *rows):
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return 0
