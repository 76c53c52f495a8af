"""``timesync demo``: a complete sync, start to finish, against the emulator or a gateway.

The demo keeps everything in its work folder (the emulated company, the reference app, the
state store and a small progress file, ``demo.json``):

1. pull every master object from Intacct into the reference app;
2. generate approved timesheets for the last weeks (deterministic: the same company and
   flags always give the same timesheets);
3. push them;
4. correct a few of them (and withdraw one) in the app, and push the corrections;
5. print each run's report, with the API functions and HTTP requests it used.

Running it again continues where it stopped and duplicates nothing, whenever the earlier run
stopped (a crash or SIGKILL included): the whole demo holds the state store's run lock (a
second demo on the folder stops at once), each local step is one transaction of the app and
safe to repeat (timesheets keyed by person and week, corrections applied once), and the
progress file is replaced atomically. A step is recorded only once it succeeded: a first
pull that fails (an unreachable gateway) is done again, in full, by the next run.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import attrs

from timesync.demo._data import FIRST_WEEK, correct, generate
from timesync.demo._progress import Progress, checkpoint
from timesync.engine import Engine, EngineOptions, Hooks, PushOptions, RunReport
from timesync.local import ReferenceApp
from timesync.store import SQLiteStateStore

if TYPE_CHECKING:
    from intacct_sdk.testing import FaultInjector

__all__ = ["FIRST_WEEK", "DemoOptions", "generate_timesheets", "run_demo"]


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
    a day). The same records and seed always give the same timesheets. Each timesheet gets
    the import key ``demo-<employee>-<week's Monday>``; one that exists already is kept, so
    calling this again enters nothing twice. All of it is one transaction of the app.

    Returns:
        The ids of the generated timesheets, those an earlier call entered included.
    """
    return list(generate(app, weeks=weeks, seed=seed, first_week=first_week).ids)


def _report(out: TextIO, title: str, report: RunReport) -> None:
    out.write(f"\n== {title}\n{report.format()}\n")


def _stamped_local_id(stamp: str) -> str:
    """The local id in a ``TIMESYNC_ID`` stamp: the part after the first ``:`` of
    ``<installation id>:<local id>``, or the whole stamp when it has no ``:``."""
    installation, colon, local_id = stamp.partition(":")
    return local_id if colon else installation


class _CrashPoints(Hooks):
    """Engine hooks that reach a crash point (:func:`checkpoint`) halfway through a run: the
    ``at``-th record the run applies (pulled, pushed, withdrawn)."""

    def __init__(self) -> None:
        self.step = ""
        self.at = 0
        self.count = 0

    def arm(self, step: str, at: int) -> None:
        self.step, self.at, self.count = step, max(1, at), 0

    def record_applied(self, object_name: str, key: str, action: str) -> None:
        self.count += 1
        if self.step and self.count == self.at:
            checkpoint(self.step)


def run_demo(
    workdir: str | Path,
    *,
    endpoint: str | None = None,
    options: DemoOptions | None = None,
    out: TextIO,
    faults: FaultInjector | None = None,
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
        faults: Faults for the in-process emulator to inject (for example an
            ``intacct_sdk.testing.FaultPlan``), to watch the demo fail and recover; only
            without ``endpoint``.

    Raises:
        LockHeldError: Another demo or sync holds the folder's state store; nothing was
            read or written.
        ConfigurationError: ``faults`` given with ``endpoint``.
    """
    from intacct_sdk import Client, ClientOptions, Credentials, format_settings
    from intacct_sdk.testing import IN_PROCESS_URL
    from timesync.errors import ConfigurationError

    if faults is not None and endpoint is not None:
        raise ConfigurationError("faults apply to the emulator, not to a gateway at an endpoint")
    opts = options or DemoOptions()
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        store = stack.enter_context(SQLiteStateStore(folder / "state.db"))
        # held for the whole demo (the engine's runs nest in it); taken before the company,
        # the app or the progress file is opened, so a second demo changes nothing
        lock = store.run_lock()
        lock.acquire()
        stack.callback(lock.release)
        progress = Progress(folder / "demo.json")
        if progress.problem:
            out.write(
                f"{progress.path.name} {progress.problem}: starting over from what the app "
                "and Intacct hold (every step is safe to repeat)\n"
            )
        emulator = None
        if endpoint is None:
            emulator = _emulator(folder, opts, faults)
            stack.callback(emulator.company.close)
            creds = Credentials(
                sender_id=emulator.credentials.sender_id,
                sender_password=emulator.credentials.sender_password,
                company_id=emulator.credentials.company_id,
                user_id=emulator.credentials.user_id,
                user_password=emulator.credentials.user_password,
                endpoint_url=IN_PROCESS_URL,  # what the logs show: the emulator, not Intacct
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
        crash = _CrashPoints()
        engine = Engine(
            client,
            app,
            store,
            options=EngineOptions(push=PushOptions(target_state=opts.target_state)),
            hooks=crash,
        )
        return _steps(engine, crash, app, progress, opts, emulator, out)
    raise AssertionError("unreachable")  # pragma: no cover - the with block returns


def _steps(
    engine: Engine,
    crash: _CrashPoints,
    app: ReferenceApp,
    progress: Progress,
    opts: DemoOptions,
    emulator: Any,
    out: TextIO,
) -> int:
    """The demo's steps, each skipped when the progress file records it done."""
    ok = True
    pulled = bool(progress.get("pulled"))
    crash.arm("pull" if not pulled else "", 3)
    first = engine.run(full=not pulled)
    _report(out, "pull (and push of anything pending)", first)
    if first.failures and not pulled:
        out.write(
            "\nthe first pull did not complete, so nothing was generated; "
            "run the demo again to pull again and continue\n"
        )
        return 1
    ok &= not first.failures
    if not pulled:
        progress.mark("pulled")
    if not progress.get("generated"):  # an older version recorded [] for "nothing"
        generated = generate(app, weeks=opts.weeks, seed=opts.seed)
        if not generated.ids:
            out.write(
                "\nthe app holds no active people or tasks, so nothing was generated; "
                "check the pull report above\n"
            )
            return 1
        checkpoint("generated")
        progress.mark("generated", list(generated.ids))
        earlier = len(generated.ids) - generated.created
        note = f" ({earlier} were there from an earlier run)" if earlier else ""
        out.write(f"\ngenerated {generated.created} approved timesheets in the local app{note}\n")
        crash.arm("push", generated.created // 2)
        push = engine.run(["TIMESHEET"])
        _report(out, "push", push)
        ok &= not push.failures
    if not progress.get("corrected"):
        changes = correct(app, list(progress.get("generated") or []), opts.seed)
        checkpoint("corrected")
        progress.mark("corrected", changes)
        out.write("\n" + "".join(f"corrected {c}\n" for c in changes))
        crash.arm("push-corrections", 2)
        fix = engine.run(["TIMESHEET"])
        _report(out, "push corrections", fix)
        ok &= not fix.failures
    crash.arm("", 0)
    last = engine.run()
    _report(out, "incremental run (nothing should change)", last)
    ok &= not last.failures
    if emulator is not None:
        ok &= _count_duplicates(emulator, app, out)
    return 0 if ok else 1


def _count_duplicates(emulator: Any, app: ReferenceApp, out: TextIO) -> bool:
    """Print how many live timesheets the emulated company holds per local one; True when
    none is there twice."""
    live: dict[str, int] = {}
    for rec in emulator.company.records("TIMESHEET"):
        stamp = rec.get("TIMESYNC_ID")
        if rec.get("STATE") != "Declined" and stamp:
            local_id = _stamped_local_id(str(stamp))
            live[local_id] = live.get(local_id, 0) + 1
    dupes = sorted((k for k, v in live.items() if v > 1), key=lambda k: (len(k), k))
    out.write(
        f"\nIntacct holds {len(live)} live pushed timesheets for "
        f"{len(app.timesheet_ids())} local ones; duplicates: {dupes or 'none'}\n"
    )
    return not dupes


def _emulator(folder: Path, opts: DemoOptions, faults: FaultInjector | None) -> Any:
    from intacct_sdk.testing import Company, Emulator
    from intacct_sdk.testing._seed import demo_company

    path = folder / "intacct.db"
    if not path.exists():
        # seeded in a file of its own, then renamed: a crash while seeding leaves no
        # half-seeded company behind
        new = folder / "intacct.db.new"
        new.unlink(missing_ok=True)
        demo_company(
            employees=opts.employees,
            projects=opts.projects,
            tasks_per_project=opts.tasks_per_project,
            path=new,
        ).close()
        checkpoint("seed")
        os.replace(new, path)
    return Emulator(Company(path=path), faults=faults)
