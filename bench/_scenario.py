"""Benchmark scenarios: the sizes, the seeded company for each, and the timesheets to push.

Everything is derived from the emulator's deterministic ``demo_company`` (same arguments, same
bytes), plus timesheets with entries added through ``Company.bulk_insert`` for the sizes that
pull timesheet entries. Nothing here measures anything.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import attrs

#: Timesheet entries per seeded or pushed timesheet.
ENTRIES_PER_TIMESHEET = 5
#: The gateway's largest ``query`` page.
MAX_PAGE = 2000


@attrs.frozen
class Size:
    """One benchmark size.

    Attributes:
        name: small, medium or large.
        company: ``demo_company`` arguments.
        timesheet_entries: TIMESHEETENTRY records seeded besides the demo company.
        pulls: Objects pulled in full, in order.
        push: Timesheets pushed (with ``ENTRIES_PER_TIMESHEET`` entries each).
    """

    name: str
    company: dict[str, int]
    timesheet_entries: int
    pulls: tuple[str, ...]
    push: int


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size(
            "small",
            {"employees": 250, "projects": 50, "tasks_per_project": 4},
            1_000,
            ("EMPLOYEE", "PROJECT", "TASK", "TIMESHEETENTRY"),
            50,
        ),
        Size(
            "medium",
            {"employees": 10_000, "projects": 2_000, "tasks_per_project": 10},
            0,
            ("EMPLOYEE", "PROJECT", "TASK"),
            500,
        ),
        Size(
            "large",
            {"employees": 2_000, "projects": 400, "tasks_per_project": 5},
            100_000,
            ("TIMESHEETENTRY",),
            1_000,
        ),
    )
}


def company_args(size: Size) -> dict[str, int]:
    return dict(size.company)


def build(size: Size) -> Any:
    """The seeded company of ``size`` (an in-memory emulator Company)."""
    from intacct_sdk.testing._seed import demo_company

    company = demo_company(**company_args(size))
    seed_timesheets(company, size.timesheet_entries)
    return company


def _bookable(company: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """Active employees, and (PROJECTID, TASKID) pairs that accept time."""
    employees = [
        e["EMPLOYEEID"] for e in company.records("EMPLOYEE") if e.get("STATUS") == "active"
    ]
    open_projects = {
        p["PROJECTID"]
        for p in company.records("PROJECT")
        if p.get("STATUS") == "active" and p.get("PREVENTTIMESHEET") != "true"
    }
    tasks = [
        (t["PROJECTID"], t["TASKID"])
        for t in company.records("TASK")
        if t.get("PROJECTID") in open_projects and t.get("STATUS", "active") == "active"
    ]
    return employees, tasks


def _wire(d: date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def timesheets(
    company: Any, count: int, *, first_week: date, employees_offset: int = 0
) -> list[dict[str, Any]]:
    """``count`` valid timesheets (wire-format strings), one employee-week each."""
    employees, tasks = _bookable(company)
    out = []
    for i in range(count):
        employee = employees[(i + employees_offset) % len(employees)]
        week = first_week + timedelta(weeks=(i + employees_offset) // len(employees))
        entries = []
        for d in range(ENTRIES_PER_TIMESHEET):
            project, task = tasks[(i * ENTRIES_PER_TIMESHEET + d) % len(tasks)]
            entries.append(
                {
                    "ENTRYDATE": _wire(week + timedelta(days=d)),
                    "QTY": "8" if d % 2 else "7.5",
                    "PROJECTID": project,
                    "TASKID": task,
                    "NOTES": f"bench {i}-{d}",
                }
            )
        out.append(
            {
                "EMPLOYEEID": employee,
                "BEGINDATE": _wire(week),
                "DESCRIPTION": f"bench timesheet {i}",
                "TIMESHEETENTRIES": entries,
            }
        )
    return out


def seed_timesheets(company: Any, entries: int) -> None:
    """Add timesheets holding ``entries`` entries in all (through the seed path)."""
    if entries <= 0:
        return
    count = math.ceil(entries / ENTRIES_PER_TIMESHEET)
    rows = timesheets(company, count, first_week=date(2024, 1, 1))
    for ts in rows:
        ts["STATE"] = "Submitted"
    extra = count * ENTRIES_PER_TIMESHEET - entries
    if extra:
        rows[-1]["TIMESHEETENTRIES"] = rows[-1]["TIMESHEETENTRIES"][:-extra]
    company.bulk_insert("TIMESHEET", rows)


def minimum_pull_requests(counts: dict[str, int]) -> int:
    """Data requests a full pull needs at the least: ceil(N / 2000) per object, 1 if empty."""
    return sum(max(1, math.ceil(n / MAX_PAGE)) for n in counts.values())
