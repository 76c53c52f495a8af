"""``timesync demo``: a complete sync, start to finish, against the emulator or a gateway.

The demo keeps everything in its work folder (the emulated company, the reference app, the
state store and a small progress file), so running it again continues where it stopped and
duplicates nothing:

1. pull every master object from Intacct into the reference app;
2. generate approved timesheets for the last weeks (deterministic: the same company and
   flags always give the same timesheets);
3. push them;
4. correct a few of them (and withdraw one) in the app, and push the corrections;
5. print each run's report, with the API functions and HTTP requests it used.
"""

from __future__ import annotations

import json
import random
from contextlib import ExitStack
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TextIO

import attrs

from timesync.engine import Engine, EngineOptions, PushOptions, RunReport
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore

__all__ = ["DemoOptions", "generate_timesheets", "run_demo"]

FIRST_WEEK = date(2025, 1, 6)
"""The Monday the generated timesheets start on (fixed, so output is reproducible)."""


@attrs.frozen(slots=True)
class DemoOptions:
    """Knobs of the demo (the emulated company's size, the generated time)."""

    employees: int = 25
    projects: int = 8
    tasks_per_project: int = 4
    weeks: int = 2
    seed: int = 1
    target_state: Literal["Draft", "Submitted", "Approved"] = "Submitted"


def generate_timesheets(
    app: ReferenceApp, *, weeks: int, seed: int, first_week: date = FIRST_WEEK
) -> list[str]:
    """Enter one approved timesheet per active person and week, from the app's own records.

    Entries go to active tasks (1 or 2 a day, Monday to Friday, quarter hours, at most 8 hours
    a day). The same records and seed always give the same timesheets.

    Returns:
        The new timesheets' ids.
    """
    rng = random.Random(seed)
    people = sorted((r for r in app.list_records("EMPLOYEE") if r.active and r.key), key=_key)
    tasks = sorted((r for r in app.list_records("TASK") if r.active and r.key), key=_key)
    if not people or not tasks:
        return []
    ids: list[str] = []
    for person in people:
        for week in range(weeks):
            monday = first_week + timedelta(weeks=week)
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
            ids.append(app.create_timesheet(str(person.key), monday, entries))
    return ids


def _key(record: Any) -> str:
    return str(record.key)


def _correct(app: ReferenceApp, ids: list[str], seed: int) -> list[str]:
    """Edit the hours of a few timesheets and delete one; returns a line per change."""
    rng = random.Random(seed + 1)
    picked = sorted(rng.sample(ids, min(4, len(ids))), key=int)
    changes: list[str] = []
    for local_id in picked[:3]:
        entries = app.timesheet_entries(local_id)
        if not entries:
            continue
        first = entries[0]
        entries[0] = attrs.evolve(first, hours=first.hours + Decimal("0.5"), notes="corrected")
        app.update_timesheet(local_id, entries)
        changes.append(f"timesheet {local_id}: first entry +0.5 h")
    if len(picked) > 3:
        app.delete_timesheet(picked[3])
        changes.append(f"timesheet {picked[3]}: deleted")
    return changes


def _report(out: TextIO, title: str, report: RunReport) -> None:
    out.write(f"\n== {title}\n{report.format()}\n")


def run_demo(
    workdir: str | Path,
    *,
    endpoint: str | None = None,
    options: DemoOptions | None = None,
    out: TextIO,
) -> int:
    """Run the demo in ``workdir``; returns the exit status (0 when no record failed and no
    timesheet was duplicated; conflicts, such as corrections to approved timesheets, are
    reported and expected).

    Args:
        workdir: The folder the demo keeps its state in (created when missing).
        endpoint: A gateway URL; None runs the emulator in-process (its company persisted in
            the folder), with its demo credentials.
        options: Sizes, weeks, seed and target state.
        out: Where the reports go.
    """
    from intacct_sdk import Client, ClientOptions, Credentials, format_settings

    opts = options or DemoOptions()
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    progress_file = folder / "demo.json"
    done: dict[str, Any] = json.loads(progress_file.read_text()) if progress_file.exists() else {}

    def mark(step: str, value: Any = True) -> None:
        done[step] = value
        progress_file.write_text(json.dumps(done, indent=2, sort_keys=True))

    with ExitStack() as stack:
        emulator = None
        if endpoint is None:
            emulator = _emulator(folder, opts)
            creds = Credentials(
                sender_id=emulator.credentials.sender_id,
                sender_password=emulator.credentials.sender_password,
                company_id=emulator.credentials.company_id,
                user_id=emulator.credentials.user_id,
                user_password=emulator.credentials.user_password,
            )
            transport = emulator.transport()
            prefs = emulator.preferences  # the emulated API user's, known here
            formats = {"timezone": prefs.timezone, "date_format": prefs.date_format}
            out.write(f"emulated company in {folder / 'intacct.db'}\n")
        else:
            creds = Credentials.resolve(endpoint_url=endpoint)
            transport = None
            # INTACCT_TIMEZONE / INTACCT_DATE_FORMAT or the profile, else ask Intacct
            formats = {"timezone": "discover", **format_settings()}
            out.write(f"gateway {endpoint}\n")
        client = stack.enter_context(
            Client(creds, options=ClientOptions(unique_id=True, **formats), transport=transport)
        )
        app = stack.enter_context(ReferenceApp(folder / "app.db"))
        store = stack.enter_context(SQLiteStateStore(folder / "state.db"))
        engine = Engine(
            client,
            app,
            store,
            options=EngineOptions(push=PushOptions(target_state=opts.target_state)),
        )
        ok = True
        first = engine.run(full=not done.get("pulled"))
        _report(out, "pull (and push of anything pending)", first)
        ok &= not first.failures
        mark("pulled")
        if not done.get("generated"):
            ids = generate_timesheets(app, weeks=opts.weeks, seed=opts.seed)
            mark("generated", ids)
            out.write(f"\ngenerated {len(ids)} approved timesheets in the local app\n")
            push = engine.run(["TIMESHEET"])
            _report(out, "push", push)
            ok &= not push.failures
        if not done.get("corrected"):
            changes = _correct(app, list(done.get("generated") or []), opts.seed)
            mark("corrected", changes)
            out.write("\n" + "".join(f"corrected {c}\n" for c in changes))
            fix = engine.run(["TIMESHEET"])
            _report(out, "push corrections", fix)
            ok &= not fix.failures
        last = engine.run()
        _report(out, "incremental run (nothing should change)", last)
        ok &= not last.failures
        if emulator is not None:
            live: dict[str, int] = {}
            for rec in emulator.company.records("TIMESHEET"):
                if rec.get("STATE") != "Declined" and rec.get("TIMESYNC_ID"):
                    live[str(rec["TIMESYNC_ID"])] = live.get(str(rec["TIMESYNC_ID"]), 0) + 1
            dupes = sorted(k for k, v in live.items() if v > 1)
            out.write(
                f"\nIntacct holds {len(live)} live pushed timesheets for "
                f"{len(app.timesheet_ids())} local ones; duplicates: {dupes or 'none'}\n"
            )
            ok &= not dupes
    return 0 if ok else 1


def _emulator(folder: Path, opts: DemoOptions) -> Any:
    from intacct_sdk.testing import Company, Emulator
    from intacct_sdk.testing._seed import demo_company

    path = folder / "intacct.db"
    if path.exists():
        company = Company(path=path)
    else:
        company = demo_company(
            employees=opts.employees,
            projects=opts.projects,
            tasks_per_project=opts.tasks_per_project,
            path=path,
        )
    return Emulator(company)
