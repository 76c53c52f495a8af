"""``timesync demo``: a complete sync, start to finish, against the emulator or a gateway.

The demo keeps everything in its work folder (the emulated company, the reference app, the
state store and a small progress file, ``demo.json``):

1. pull every master object from Intacct into the reference app;
2. generate approved timesheets for the last weeks (deterministic: the same company and
   flags always give the same timesheets);
3. push them;
4. correct a few of them (and withdraw one) in the app, and push the corrections;
5. as an approver in Intacct, approve some of the pushed timesheets and decline one with a
   comment (only against the emulator: see :mod:`timesync.demo._approval`), run, and show
   what the app heard;
6. correct one approved timesheet in the app, push it, and list that timesheet's entries
   as Intacct holds them: the approved originals, the reversing entry, the new one, and
   net hours equal to the app's;
7. print each run's report, with the API functions and HTTP requests it used.

Running it again continues where it stopped and duplicates nothing, whenever the earlier run
stopped (a crash or SIGKILL included): the whole demo holds the state store's run lock (a
second demo on the folder stops at once), each local step is one transaction of the app and
safe to repeat (timesheets keyed by person and week, corrections applied once), and the
progress file is replaced atomically. A step is recorded only once it succeeded: a first
pull that fails (an unreachable gateway) is done again, in full, by the next run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO

import attrs

from timesync._display import ProgressLine
from timesync.demo._approval import (
    Approver,
    CompanyApprover,
    GatewayApprover,
    IdentifyingTransport,
    decide,
    entries_in_intacct,
    pick,
)
from timesync.demo._data import FIRST_WEEK, correct, correct_approved, generate
from timesync.demo._progress import Progress, checkpoint
from timesync.engine import Engine, EngineOptions, Hooks, PushOptions, RunReport
from timesync.local import Decision, ReferenceApp
from timesync.store import SQLiteStateStore

if TYPE_CHECKING:
    from intacct_sdk import Client
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


LEGEND: Final = """
  (how to read a run: for a pulled object, created / updated / inactivated count the app's
  records the run made, changed or made inactive from Intacct's, and unchanged those it read
  and left as they were; for a pushed one they count Intacct's timesheets: created, updated
  (a correction, in place or by reversal), unchanged (nothing new to send). API functions
  are what Intacct bills for (one per read page or write); HTTP requests are round trips,
  each carrying several functions, and what its per-company limit counts.)
"""


_PORT: Final = 8765
"""The port the next steps serve the demo's company on."""


def write_next_steps(folder: Path, emulator: Any) -> str:
    """Write ``demo.env`` (the emulator's demo credentials and endpoint, not secrets) and
    ``sync.toml`` (this folder's sync against the served company) into ``folder``, and
    return the commands to try with them."""
    url = f"http://127.0.0.1:{_PORT}/ia/xml/xmlgw.phtml"
    c = emulator.credentials
    values = {
        "INTACCT_ENDPOINT_URL": url,
        "INTACCT_SENDER_ID": c.sender_id,
        "INTACCT_SENDER_PASSWORD": c.sender_password,
        "INTACCT_COMPANY_ID": c.company_id,
        "INTACCT_USER_ID": c.user_id,
        "INTACCT_USER_PASSWORD": c.user_password,
        "INTACCT_TIMEZONE": emulator.preferences.timezone,
    }
    (folder / "demo.env").write_text(
        "# the demo emulator's own credentials (not secrets): `. demo.env`\n"
        + "".join(f"export {k}='{v}'\n" for k, v in values.items()),
        encoding="utf-8",
    )
    (folder / "sync.toml").write_text(
        "# the demo's sync, against its company served by `intacct emulator --state"
        f" intacct.db --port {_PORT}`\n# (credentials: `. demo.env` first)\n"
        f'[intacct]\ntimezone = "{emulator.preferences.timezone}"\n\n'
        '[state]\npath = "state.db"\n\n[local]\nreference = "app.db"\n',
        encoding="utf-8",
    )
    return (
        "\nnext, look around (the company is in intacct.db, the sync's state in state.db):\n"
        f"  intacct emulator --state {folder / 'intacct.db'} --port {_PORT}"
        "   # serve the company; in another terminal:\n"
        f"  . {folder / 'demo.env'}"
        "   # the emulator's demo credentials and endpoint\n"
        "  intacct query TIMESHEET --fields RECORDNO,EMPLOYEEID,STATE --format table\n"
        f"  timesync status --config {folder / 'sync.toml'}   # runs, cursors, outbox, errors\n"
        f"  timesync sync --config {folder / 'sync.toml'}   # one more sync, over HTTP\n"
    )


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


class _DemoApp(ReferenceApp):
    """The reference app with a crash point (``hear``) as it takes the second decision of
    a run: after the state store recorded the decisions, before the app has them all."""

    heard = 0

    def document_decided(self, object_name: str, local_id: str, decision: Decision) -> None:
        self.heard += 1
        if self.heard == 2:
            checkpoint("hear")
        super().document_decided(object_name, local_id, decision)


def run_demo(
    workdir: str | Path,
    *,
    endpoint: str | None = None,
    options: DemoOptions | None = None,
    out: TextIO,
    faults: FaultInjector | None = None,
    display: ProgressLine | None = None,
    given: Sequence[str] = (),
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
        display: A progress line for long steps (it shows nothing off a terminal).
        given: The size and generation flags the user gave (``--employees``, ...): on a
            folder that holds a demo already they cannot apply, and a note says so.

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
        made = (folder / "demo.json").exists() or (folder / "intacct.db").exists()
        if made and given:
            out.write(
                f"note: {folder} holds a demo already; {', '.join(given)} applied when it was"
                " made and are ignored now (use a new --workdir to change them)\n"
            )
        progress = Progress(folder / "demo.json")
        if progress.problem:
            out.write(
                f"{progress.path.name} {progress.problem}: starting over from what the app "
                "and Intacct hold (every step is safe to repeat)\n"
            )
        emulator = None
        identify: IdentifyingTransport | None = None
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
            transport = identify = IdentifyingTransport()
            # INTACCT_TIMEZONE / INTACCT_DATE_FORMAT or the profile, else ask Intacct
            formats = {"timezone": "discover", **format_settings()}
            out.write(f"gateway {endpoint}\n")
        client = stack.enter_context(
            Client(creds, options=ClientOptions(unique_id=True, **formats), transport=transport)
        )
        app = stack.enter_context(_DemoApp(folder / "app.db"))
        crash = _CrashPoints()
        engine = Engine(
            client,
            app,
            store,
            options=EngineOptions(
                push=PushOptions(target_state=opts.target_state),
                progress=display,
            ),
            hooks=crash,
        )

        def approver() -> Approver | str:
            if emulator is not None:
                return CompanyApprover(emulator.company)
            if identify is not None and identify.emulator:
                return GatewayApprover(client)
            return (
                f"{endpoint} does not answer as the emulator, and deciding on a real "
                "company's timesheets is for its approvers, not for a demo"
            )

        demo = _Demo(engine, crash, app, progress, opts, client, approver, out, display)
        return demo.steps(emulator)
    raise AssertionError("unreachable")  # pragma: no cover - the with block returns


@attrs.define(slots=True)
class _Demo:
    """The demo's steps over one engine, app and progress file, each skipped when the
    progress file records it done."""

    engine: Engine
    crash: _CrashPoints
    app: ReferenceApp
    progress: Progress
    opts: DemoOptions
    client: Client
    approver: Callable[[], Approver | str]
    out: TextIO
    display: ProgressLine | None = None
    legend_shown: bool = False

    def run(self, title: str, objects: list[str] | None = None, **kwargs: Any) -> bool:
        try:
            report = self.engine.run(objects, **kwargs)
        finally:
            if self.display is not None:
                self.display.done()
        _report(self.out, title, report)
        if not self.legend_shown:
            self.legend_shown = True
            self.out.write(LEGEND)
        return not report.failures

    def steps(self, emulator: Any) -> int:
        """Every step, in order; the exit status."""
        engine, crash, app, progress, opts, out = (
            self.engine,
            self.crash,
            self.app,
            self.progress,
            self.opts,
            self.out,
        )
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
            if self.display is not None:
                self.display.step(f"generating {opts.weeks} week(s) of timesheets in the app")
            generated = generate(app, weeks=opts.weeks, seed=opts.seed)
            if self.display is not None:
                self.display.done()
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
            out.write(
                f"\ngenerated {generated.created} approved timesheets in the local app{note}\n"
            )
            crash.arm("push", generated.created // 2)
            ok &= self.run("push", ["TIMESHEET"])
        if not progress.get("corrected"):
            changes = correct(app, list(progress.get("generated") or []), opts.seed)
            checkpoint("corrected")
            progress.mark("corrected", changes)
            out.write("\n" + "".join(f"corrected {c}\n" for c in changes))
            crash.arm("push-corrections", 2)
            ok &= self.run("push corrections", ["TIMESHEET"])
        ok &= self.decisions()
        crash.arm("", 0)
        ok &= self.run("incremental run (nothing should change)")
        if emulator is not None:
            ok &= _count_duplicates(emulator, app, out)
            out.write(write_next_steps(Path(self.app.path).parent, emulator))
        return 0 if ok else 1

    def decisions(self) -> bool:
        """An approver's decisions in Intacct, the run that brings them to the app, and a
        correction of approved time; False when a run failed or net hours differ."""
        progress, out = self.progress, self.out
        approver = self.approver()
        if isinstance(approver, str):
            out.write(f"\nskipped the approver's steps: {approver}\n")
            return True
        if self.opts.target_state != "Submitted":
            out.write(
                "\nskipped the approver's steps: the timesheets were pushed as "
                f"{self.opts.target_state}, so none awaits an approver\n"
            )
            return True
        ok = True
        decided = progress.get("decided")
        if not isinstance(decided, dict):
            approve, decline = pick(self.app, progress.get("generated") or [], self.opts.seed)
            if decline is None:
                out.write("\nskipped the approver's steps: too few pushed timesheets\n")
                return True
            lines = decide(approver, self.app, approve, decline)
            checkpoint("decided")
            decided = {"approved": approve, "declined": decline}
            progress.mark("decided", decided)
            out.write("\nin Intacct, the approver:\n" + "".join(f"  {x}\n" for x in lines))
        if not progress.get("heard"):
            self.crash.arm("", 0)
            ok &= self.run("run after the approver's decisions", ["TIMESHEET"])
            out.write(_heard(self.app))
            progress.mark("heard")
        if not progress.get("corrected-approved"):
            target = next(
                (
                    i
                    for i in decided.get("approved") or []
                    if (s := self.app.timesheet_status(i)) is not None and s.state == "Approved"
                ),
                None,
            )
            if target is None:
                out.write("\nno approved timesheet to correct: the app heard no approval\n")
                return False
            line = correct_approved(self.app, target)
            checkpoint("corrected-approved")
            progress.mark("corrected-approved", target)
            out.write(f"\ncorrected {line}\n")
            self.crash.arm("push-approved", 1)
            ok &= self.run("push the correction of approved time", ["TIMESHEET"])
            ok &= _show_entries(self.client, self.app, target, out)
        return ok


def _heard(app: ReferenceApp) -> str:
    """What the app knows of Intacct's decisions, in a line or two."""
    states = [(i, app.timesheet_status(i)) for i in app.timesheet_ids()]
    approved = sum(1 for _, s in states if s is not None and s.state == "Approved")
    declined = [(i, s) for i, s in states if s is not None and s.state == "Declined"]
    text = f"\nthe app heard Intacct's decisions: {approved} approved"
    for local_id, status in declined:
        text += f', 1 declined (timesheet {local_id}) with its comment "{status.comment}"'
    if len(declined) > 1:
        text += f" ({len(declined)} declined in all)"
    return text + "\n"


def _show_entries(client: Client, app: ReferenceApp, local_id: str, out: TextIO) -> bool:
    """List a corrected timesheet's entries as Intacct holds them; True when their net hours
    equal the app's."""
    record_no = app.pushed_state(local_id)[0]
    if record_no is None:
        out.write(f"\ntimesheet {local_id} is not linked to Intacct\n")
        return False
    entries = entries_in_intacct(client, record_no)
    local = sum((e.hours for e in app.timesheet_entries(local_id)), Decimal(0))
    net = sum((e.hours for e in entries), Decimal(0))
    originals = {(e.entry_date, e.hours): e.line for e in entries if e.state == "Approved"}
    out.write(f"\nIntacct's entries of timesheet {local_id} (RECORDNO {record_no}):\n")
    out.write("  line  date          hours  state\n")
    for e in entries:
        if e.state == "Approved":
            what = "original, approved"
        elif e.hours < 0 and (e.entry_date, -e.hours) in originals:
            what = f"reverses line {originals[(e.entry_date, -e.hours)]}"
        else:
            what = "new"
        day = e.entry_date.isoformat() if e.entry_date else "?"
        out.write(f"  {e.line:>4}  {day}  {e.hours:>7.2f}  {e.state:<10} {what}\n")
    same = net == local
    out.write(f"  net hours {net:.2f} {'=' if same else '!='} {local:.2f} in the app\n")
    return same


def _count_duplicates(emulator: Any, app: ReferenceApp, out: TextIO) -> bool:
    """Print how many live timesheets the emulated company holds per local one; True when
    none is there twice. A declined timesheet counts when it is the one the app's
    timesheet is linked to (declined by its approver, awaiting the user's correction);
    others declined are ones the engine withdrew."""
    live: dict[str, int] = {}
    declined = 0
    for rec in emulator.company.records("TIMESHEET"):
        stamp = rec.get("TIMESYNC_ID")
        if not stamp:
            continue
        local_id = _stamped_local_id(str(stamp))
        if rec.get("STATE") == "Declined":
            linked = local_id.isdigit() and str(app.pushed_state(local_id)[0]) == str(
                rec.get("RECORDNO")
            )
            if not linked:
                continue
            declined += 1
        live[local_id] = live.get(local_id, 0) + 1
    dupes = sorted((k for k, v in live.items() if v > 1), key=lambda k: (len(k), k))
    note = f" ({declined} of them declined, awaiting a correction)" if declined else ""
    out.write(
        f"\nIntacct holds {len(live)} live pushed timesheets{note} for "
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
