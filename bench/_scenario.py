"""Benchmark data: the seeded companies and the timesheets sageintacctsdk pushes.

Everything is derived from the emulator's deterministic ``demo_company`` (same arguments, same
bytes). Nothing here measures anything.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

#: Timesheet entries per seeded or pushed timesheet.
ENTRIES_PER_TIMESHEET = 5


def sync_company(records: int, *, path: str | None = None) -> Any:
    """The emulator's demo seed at about ``records`` records in the pulled objects.

    A fifth are employees, a tenth projects and the rest tasks (seven a project), besides the
    demo company's few departments, locations, classes, customers and types.
    """
    from intacct_sdk.testing._seed import demo_company

    return demo_company(
        employees=max(1, records // 5),
        projects=max(1, records // 10),
        tasks_per_project=7,
        path=path,
    )


def employee_company(employees: int) -> Any:
    """The demo seed with ``employees`` employees (and a handful of projects and tasks)."""
    from intacct_sdk.testing._seed import demo_company

    return demo_company(employees=employees, projects=10, tasks_per_project=1)


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
