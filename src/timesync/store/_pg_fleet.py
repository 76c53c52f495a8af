"""Status across every company of a shared PostgreSQL store: what an operator of a fleet
watches (last run, lag, open errors, outbox still to send)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from timesync.store._pg_schema import checked_schema, compose

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["CompanyStatus", "fleet_status"]

_FINISHED = ("ok", "partial")
"""Statuses of a run that went through (``partial``: some records failed; they are in the
error queue)."""


@attrs.frozen
class CompanyStatus:
    """One company as the shared store knows it.

    Attributes:
        company_id: The company.
        last_run_id: Its latest run (dry runs left out), if any.
        last_status: That run's status (``running`` while it runs, or if its worker died).
        last_started: When that run started.
        last_finished: When it finished (None while running, or if its worker died).
        last_success: When the latest run that went through (``ok`` or ``partial``) started.
        lag: How long ago that was, at the time of the query (None: never went through).
        open_errors: Entries in the company's error queue.
        pending: Outbox steps planned and not yet sent (pending or failed).
        in_flight: Outbox steps sent with no outcome recorded yet.
    """

    company_id: str
    last_run_id: int | None
    last_status: str | None
    last_started: datetime | None
    last_finished: datetime | None
    last_success: datetime | None
    lag: timedelta | None
    open_errors: int
    pending: int
    in_flight: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601, ``lag`` in seconds)."""
        out = attrs.asdict(self)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.isoformat()
        out["lag"] = None if self.lag is None else round(self.lag.total_seconds(), 3)
        return out


def fleet_status(pool: ConnectionPool[Any], *, schema: str = "timesync") -> list[CompanyStatus]:
    """Every company with runs, outbox rows or errors in the store, by company id.

    Args:
        pool: A psycopg 3 connection pool on the store's database.
        schema: The store's PostgreSQL schema.

    Returns:
        One :class:`CompanyStatus` per company.
    """
    query = compose(
        "WITH companies AS ("
        "  SELECT company_id FROM {s}.runs UNION SELECT company_id FROM {s}.outbox"
        "  UNION SELECT company_id FROM {s}.errors),"
        " last AS (SELECT DISTINCT ON (company_id) company_id, run_id, status, started_at,"
        "  finished_at FROM {s}.runs WHERE NOT dry_run ORDER BY company_id, run_id DESC),"
        " good AS (SELECT company_id, max(started_at) AS started FROM {s}.runs"
        "  WHERE NOT dry_run AND status = ANY(%s) GROUP BY company_id),"
        " errs AS (SELECT company_id, count(*) AS n FROM {s}.errors GROUP BY company_id),"
        " sends AS (SELECT company_id,"
        "  count(*) FILTER (WHERE state IN ('pending', 'failed')) AS pending,"
        "  count(*) FILTER (WHERE state = 'in_flight') AS in_flight"
        "  FROM {s}.outbox GROUP BY company_id)"
        " SELECT c.company_id, last.run_id, last.status, last.started_at, last.finished_at,"
        "  good.started, now() - good.started, coalesce(errs.n, 0),"
        "  coalesce(sends.pending, 0), coalesce(sends.in_flight, 0)"
        " FROM companies c LEFT JOIN last USING (company_id) LEFT JOIN good USING (company_id)"
        " LEFT JOIN errs USING (company_id) LEFT JOIN sends USING (company_id)"
        ' ORDER BY c.company_id COLLATE "C"',
        checked_schema(schema),
    )
    with pool.connection() as conn:
        rows = conn.execute(query, (list(_FINISHED),)).fetchall()
    return [
        CompanyStatus(
            company_id=r[0],
            last_run_id=r[1],
            last_status=r[2],
            last_started=r[3],
            last_finished=r[4],
            last_success=r[5],
            lag=r[6],
            open_errors=int(r[7]),
            pending=int(r[8]),
            in_flight=int(r[9]),
        )
        for r in rows
    ]
