"""The ``timesync`` command: demo, sync, plan, status, link, unlink, the mapping tools and
``fleet status``.

Imports are lazy so ``timesync --help`` stays fast and a missing optional part only affects
the command that needs it.

Exit status: 0 done, 1 the run finished with conflicts or record errors, 2 a configuration,
credential or gateway error (one line on stderr; ``-vv`` adds the traceback), 130
interrupted. A reader that goes away (``| head``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from timesync.store import Cursor

__all__ = ["build_parser", "main"]

_log = logging.getLogger(__name__)


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", required=True, metavar="FILE", help="the sync's TOML config file"
    )


def _version() -> str:
    from intacct_sdk._version import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The ``timesync`` argument parser (subcommands included)."""
    parser = argparse.ArgumentParser(
        prog="timesync",
        description="Sync a time-tracking app with Sage Intacct.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run a complete sync against the emulator (or a gateway)")
    demo.add_argument("--workdir", default="timesync-demo", help="where the demo keeps its state")
    demo.add_argument("--endpoint", default=None, help="a gateway URL (INTACCT_* credentials)")
    # None: not given (a rerun on an existing workdir says which given ones it cannot apply)
    demo.add_argument("--employees", type=int, default=None, help="default 25")
    demo.add_argument("--projects", type=int, default=None, help="default 8")
    demo.add_argument("--tasks-per-project", type=int, default=None, help="default 4")
    demo.add_argument(
        "--weeks", type=int, default=None, help="weeks of timesheets to generate (default 2)"
    )
    demo.add_argument("--seed", type=int, default=None, help="seed of the generated data")
    demo.add_argument(
        "--yes",
        action="store_true",
        help="with --endpoint: do not ask before writing to that company",
    )
    demo.add_argument(
        "--state",
        choices=("Draft", "Submitted", "Approved"),
        default="Submitted",
        help="state pushed timesheets land in",
    )
    demo.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help="faults the emulator injects, as in `intacct emulator --faults` (no --endpoint)",
    )
    demo.set_defaults(func=_demo)

    sync = sub.add_parser("sync", help="run one sync")
    _add_config(sync)
    sync.add_argument("--full", action="store_true", help="read everything and reconcile")
    sync.add_argument("--object", action="append", dest="objects", help="limit to an object")
    sync.set_defaults(func=_sync, dry_run=False)

    plan = sub.add_parser("plan", help="dry run: show what a sync would do, write nothing")
    _add_config(plan)
    plan.add_argument("--full", action="store_true")
    plan.add_argument("--object", action="append", dest="objects")
    plan.set_defaults(func=_sync, dry_run=True)

    status = sub.add_parser("status", help="last runs, cursors, pending outbox, errors")
    _add_config(status)
    status.add_argument("--runs", type=int, default=5)
    status.set_defaults(func=_status)

    link = sub.add_parser("link", help="bind an Intacct record to a local record by hand")
    _add_config(link)
    link.add_argument("object", help="Intacct object, e.g. EMPLOYEE")
    link.add_argument("key", help="Intacct key (tasks: PROJECTID/TASKID)")
    link.add_argument("local_id", help="the local record's id")
    link.set_defaults(func=_link)

    unlink = sub.add_parser("unlink", help="break a link; the record is then left alone")
    _add_config(unlink)
    unlink.add_argument("object")
    unlink.add_argument("key")
    unlink.set_defaults(func=_unlink)

    try:
        from timesync.mapping import cli as mapping_cli
    except ImportError:  # pragma: no cover - the mapping tools ship in the same package
        _log.debug("timesync.mapping.cli not available")
    else:
        mapping_cli.register(sub)
    from timesync import _fleet_cli

    _fleet_cli.register(sub)
    return parser


def _sync(args: argparse.Namespace) -> int:
    from timesync._display import ProgressLine
    from timesync.engine import SyncConfig, open_engine

    config = SyncConfig.load(args.config)
    display = ProgressLine(sys.stderr)
    with open_engine(config, progress=display) as engine:
        try:
            report = engine.run(args.objects, dry_run=args.dry_run, full=args.full)
        finally:
            display.done()
    print(report.format())
    return 0 if report.ok else 1


def _status(args: argparse.Namespace) -> int:
    from timesync.engine import SyncConfig
    from timesync.store import OutboxState, SQLiteStateStore

    config = SyncConfig.load(args.config)
    if not config.state_path.exists():
        print(f"no state yet ({config.state_path.name} does not exist)")
        return 0
    with SQLiteStateStore(config.state_path) as store:
        installation = store.get_meta("installation_id")
        pinned = " (set in the config)" if config.state.installation_id else ""
        print(f"installation: {installation or 'none yet (set on the first run)'}{pinned}")
        print("runs:")
        for run in store.runs(args.runs):
            summary = run.summary
            print(
                f"  {run.run_id:>4} {run.started_at:%Y-%m-%d %H:%M:%S} {run.mode:<11} "
                f"{'dry-run ' if run.dry_run else ''}{run.status:<8} "
                f"requests {summary.get('http_requests', 0)}, "
                f"conflicts {summary.get('conflicts', 0)}, failures {summary.get('failures', 0)}"
            )
        print("cursors:")
        for line in _cursor_lines(store.cursors()):
            print(f"  {line}")
        pending = store.outbox(
            states=[OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.FAILED]
        )
        print(f"outbox: {len(pending)} step(s) not done")
        for row in pending:
            error = f" ({row.last_error})" if row.last_error else ""
            print(f"  {row.control_id} {row.state.value} attempts {row.attempts}{error}")
        errors = store.errors()
        print(f"error queue: {len(errors)}")
        for e in errors:
            print(f"  {e.object_name} {e.key} {e.kind}: {e.message} (x{e.attempts})")
    return 0


def _link(args: argparse.Namespace) -> int:
    return _edit_links(args, unlink=False)


def _unlink(args: argparse.Namespace) -> int:
    return _edit_links(args, unlink=True)


def _edit_links(args: argparse.Namespace, *, unlink: bool) -> int:
    from timesync.engine import SyncConfig, open_engine

    config = SyncConfig.load(args.config)
    with open_engine(config) as engine:
        if unlink:
            engine.unlink(args.object, args.key)
            print(f"unlinked {args.object.upper()} {args.key}")
        else:
            engine.link(args.object, args.key, args.local_id)
            print(f"linked {args.object.upper()} {args.key} -> local {args.local_id}")
    return 0


_MADE_ONCE = ("employees", "projects", "tasks_per_project", "weeks", "seed")
"""Demo flags used only when the workdir is new (the company and the time are made once)."""


def _demo(args: argparse.Namespace) -> int:
    from timesync.demo import DemoOptions, run_demo
    from timesync.errors import ConfigurationError

    given = {k: getattr(args, k) for k in _MADE_ONCE if getattr(args, k) is not None}
    if args.endpoint is not None and not args.yes and not _confirmed(args.endpoint):
        raise ConfigurationError(
            f"the demo creates, corrects and deletes timesheets in the company at"
            f" {args.endpoint}: run it again with --yes to go ahead"
        )
    options = DemoOptions(target_state=args.state, **given)
    faults = None
    if args.faults is not None:
        from intacct_sdk.testing import FaultPlan, FaultSpecError
        from timesync.errors import ConfigurationError

        try:
            faults = FaultPlan.parse(args.faults)
        except FaultSpecError as exc:
            raise ConfigurationError(f"--faults: {exc}") from None
    from timesync._display import ProgressLine

    return run_demo(
        args.workdir,
        endpoint=args.endpoint,
        options=options,
        out=sys.stdout,
        faults=faults,
        display=ProgressLine(sys.stderr),
        given=["--" + k.replace("_", "-") for k in given],
    )


def _confirmed(endpoint: str) -> bool:
    """Whether to write to the company at ``endpoint``: yes for a loopback address (an
    emulator or a test server on this machine), else only when a person at a terminal says
    so (never in a script: it must pass ``--yes``)."""
    from urllib.parse import urlsplit

    from intacct_sdk._config import is_loopback_host

    if is_loopback_host(urlsplit(endpoint).hostname or ""):
        return True
    if not sys.stdin.isatty():
        return False
    sys.stderr.write(
        f"The demo creates, corrects and deletes timesheets in the company at {endpoint}.\n"
        "Go ahead? [y/N] "
    )
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


_MARKERS: Final = {"read": "last read", "reread": "last periodic pass"}


def _cursor_lines(cursors: list[Cursor]) -> list[str]:
    """One line per cursor; an object's read markers (``EMPLOYEE:read``, when its last
    complete read and periodic pass began) ride on its cursor's line, in UTC."""
    marks: dict[str, dict[str, str]] = {}
    rest: list[Cursor] = []
    for cursor in cursors:
        base, _, kind = cursor.object_name.rpartition(":")
        if base and kind in _MARKERS and cursor.modified is not None:
            when = cursor.modified.astimezone(UTC) if cursor.modified.tzinfo else cursor.modified
            marks.setdefault(base, {})[kind] = f"{_MARKERS[kind]} {when:%Y-%m-%d %H:%M:%S}"
        else:
            rest.append(cursor)

    def tail(name: str) -> str:
        found = marks.pop(name, {})
        return "".join(f"; {found[k]}" for k in _MARKERS if k in found)

    lines = []
    for cursor in rest:
        if cursor.token:
            where = cursor.token
        elif cursor.modified is not None:
            where = f"{cursor.modified} #{cursor.record_no}"
        else:
            where = "(nothing read yet)"
        lines.append(f"{cursor.object_name:<18} {where}{tail(cursor.object_name)}")
    # objects without a change cursor (read whole) have markers only
    lines.extend(f"{name:<18} (read whole){tail(name)}" for name in sorted(marks))
    return sorted(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``timesync`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    from intacct_sdk import IntacctError
    from timesync.errors import SyncError

    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a reader gone shows here, inside the handler below
        return code
    except (SyncError, IntacctError) as exc:
        if args.verbose >= 2:
            _log.debug("the command stopped", exc_info=True)
        print(f"timesync: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # what was written stays as the outbox recorded it; the next run goes on from there
        print("timesync: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of stdout went away (``| head``): stop quietly, and keep Python from
    failing again when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
