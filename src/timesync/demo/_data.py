"""The demo's local data: generated timesheets and the corrections made to them.

Both are idempotent, so a demo killed at any moment can run them again: every generated
timesheet carries the import key ``demo-<employee>-<week>`` and is entered only when no
timesheet has that key yet, and a correction is applied only when the app does not show it
applied already. Each job is one transaction of the reference app, so a crash halfway
leaves nothing of it behind.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs

from timesync.demo._progress import checkpoint
from timesync.local import EntryInput, ReferenceApp

__all__ = [
    "APPROVED_NOTE",
    "FIRST_WEEK",
    "Generated",
    "correct",
    "correct_approved",
    "generate",
    "import_key",
]

FIRST_WEEK: Final = date(2025, 1, 6)
"""The Monday the generated timesheets start on (fixed, so output is reproducible)."""

CORRECTED_NOTE: Final = "corrected"
"""The note a correction puts on the entry it changes; it shows the correction was applied."""


def import_key(employee: str, monday: date) -> str:
    """The import key of the demo's timesheet for one person and week."""
    return f"demo-{employee}-{monday.isoformat()}"


@attrs.frozen(slots=True)
class Generated:
    """The outcome of a generation.

    Attributes:
        ids: The ids of every generated timesheet, in generation order, those entered by an
            earlier (perhaps interrupted) run included.
        created: How many were entered by this call.
    """

    ids: tuple[str, ...]
    created: int


def generate(
    app: ReferenceApp, *, weeks: int, seed: int, first_week: date = FIRST_WEEK
) -> Generated:
    """Enter one approved timesheet per active person and week, from the app's own records.

    Entries go to active tasks (1 or 2 a day, Monday to Friday, quarter hours, at most 8
    hours a day). The same records and seed always give the same timesheets. A person and
    week that already has its timesheet (same import key, deleted ones included) keeps it,
    and the whole generation is one transaction.
    """
    rng = random.Random(seed)
    people = sorted((r for r in app.list_records("EMPLOYEE") if r.active and r.key), key=_key)
    tasks = sorted((r for r in app.list_records("TASK") if r.active and r.key), key=_key)
    if not people or not tasks:
        return Generated((), 0)
    ids: list[str] = []
    created = 0
    total = len(people) * weeks
    with app.transaction():
        for person in people:
            for week in range(weeks):
                monday = first_week + timedelta(weeks=week)
                # drawn even when the timesheet exists, so the rest stay the same
                entries = _entries(rng, tasks, monday)
                key = import_key(str(person.key), monday)
                existing = app.timesheet_for_import_key(key)
                if existing is not None:
                    ids.append(existing)
                    continue
                ids.append(app.create_timesheet(str(person.key), monday, entries, import_key=key))
                created += 1
                if len(ids) == max(1, total // 2):
                    checkpoint("generate")
    return Generated(tuple(ids), created)


def _entries(rng: random.Random, tasks: list[Any], monday: date) -> list[EntryInput]:
    entries: list[EntryInput] = []
    for day in range(5):
        left = Decimal(8)
        for _ in range(rng.choice((1, 2))):
            task = rng.choice(tasks)
            project_key, _, task_key = (task.key or "").partition("/")
            hours = min(left, Decimal(rng.randint(4, 24)) / 4)
            if hours <= 0:
                break
            left -= hours
            entries.append(
                EntryInput(
                    entry_date=monday + timedelta(days=day),
                    hours=hours,
                    project_number=project_key,
                    task_code=task_key,
                    billable=rng.random() < 0.7,
                    notes=f"{task.name or task_key} work",
                )
            )
    return entries


def _key(record: Any) -> str:
    return str(record.key)


def correct(app: ReferenceApp, ids: tuple[str, ...] | list[str], seed: int) -> list[str]:
    """Add half an hour to the first entry of three generated timesheets and delete a fourth.

    Each correction is applied at most once: an entry already noted ``corrected`` or a
    timesheet already deleted is left alone, and all of them are one transaction.

    Returns:
        A line per correction, saying whether it was applied now or found applied.
    """
    rng = random.Random(seed + 1)
    picked = sorted(rng.sample(list(ids), min(4, len(ids))), key=int)
    changes: list[str] = []
    with app.transaction():
        for n, local_id in enumerate(picked[:3]):
            entries = app.timesheet_entries(local_id)
            if not entries or app.timesheet_deleted(local_id):
                continue
            first = entries[0]
            if first.notes == CORRECTED_NOTE:
                changes.append(f"timesheet {local_id}: first entry +0.5 h (applied before)")
                continue
            entries[0] = attrs.evolve(
                first, hours=first.hours + Decimal("0.5"), notes=CORRECTED_NOTE
            )
            app.update_timesheet(local_id, entries)
            changes.append(f"timesheet {local_id}: first entry +0.5 h")
            if n == 1:
                checkpoint("correct")
        if len(picked) > 3:
            if app.timesheet_deleted(picked[3]):
                changes.append(f"timesheet {picked[3]}: deleted (before)")
            else:
                app.delete_timesheet(picked[3])
                changes.append(f"timesheet {picked[3]}: deleted")
    return changes


APPROVED_NOTE: Final = "corrected after approval"
"""The note the correction of an approved timesheet puts on the entry it changes."""


def correct_approved(app: ReferenceApp, local_id: str) -> str:
    """Add an hour to the first entry of a timesheet Intacct approved, once.

    The entry is noted ``corrected after approval``; a timesheet whose first entry has that
    note already is left alone. One transaction of the app.

    Returns:
        A line saying whether the correction was applied now or found applied.
    """
    with app.transaction():
        entries = app.timesheet_entries(local_id)
        if not entries:
            return f"timesheet {local_id}: no entries, left alone"
        first = entries[0]
        if first.notes == APPROVED_NOTE:
            return f"timesheet {local_id}: first entry +1 h after approval (applied before)"
        entries[0] = attrs.evolve(first, hours=first.hours + 1, notes=APPROVED_NOTE)
        app.update_timesheet(local_id, entries)
    return f"timesheet {local_id}: first entry +1 h after approval"
