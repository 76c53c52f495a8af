"""The ``intacct emulator`` command: the emulator as a local HTTP gateway.

``intacct emulator`` (and ``python -m intacct_sdk.testing``, which needs nothing but this
package) starts a loopback server, prints one line with the endpoint URL (the real port when
``--port 0``) and serves until Ctrl-C or SIGTERM, then exits 0. With ``--companies N`` it
serves N seeded companies, C0001 to CN (four digits), on the one URL, each with its own data
and ``--max-concurrent`` slots, and prints a second line naming them;
``GET /_emulator/stats`` answers every company's counters as JSON.

Credentials: the ``INTACCT_SENDER_ID``, ``INTACCT_SENDER_PASSWORD``, ``INTACCT_COMPANY_ID``,
``INTACCT_USER_ID`` and ``INTACCT_USER_PASSWORD`` variables, each where set; otherwise the
documented demo credentials (``DEMO_CREDENTIALS``). The REST API is served on the same port
under ``/ia/api/v1``; its OAuth client comes from ``INTACCT_CLIENT_ID`` and
``INTACCT_CLIENT_SECRET`` where set, else the demo client (``REST_CLIENT_ID``). The last
startup line names the REST base URL and the client id (never the secret).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import attrs

__all__ = ["add_arguments", "main", "register", "run"]

_log = logging.getLogger(__name__)

_ENV_FIELDS = {
    "INTACCT_SENDER_ID": "sender_id",
    "INTACCT_SENDER_PASSWORD": "sender_password",
    "INTACCT_COMPANY_ID": "company_id",
    "INTACCT_USER_ID": "user_id",
    "INTACCT_USER_PASSWORD": "user_password",
}


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {value}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def _limit(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    return _positive(text)


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator command's options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than a loopback address (anyone who reaches it can log in)",
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="port to bind; 0 (default) picks a free one"
    )
    parser.add_argument(
        "--seed",
        choices=("demo", "empty"),
        default="demo",
        help="company to start with (default: demo); ignored when --state names an existing file",
    )
    parser.add_argument("--random-seed", type=int, default=1, help="seed of the demo data")
    parser.add_argument(
        "--companies",
        type=_positive,
        default=None,
        metavar="N",
        help="serve N seeded demo companies C0001..CN on one URL (each its own data, slots "
        "and counters; GET /_emulator/stats reads them)",
    )
    sizes = parser.add_argument_group("demo company size")
    sizes.add_argument("--employees", type=_count, default=25)
    sizes.add_argument("--projects", type=_count, default=8)
    sizes.add_argument("--tasks-per-project", type=_count, default=4)
    sizes.add_argument("--customers", type=_count, default=10)
    sizes.add_argument("--entities", type=_count, default=0, help="multi-entity with N entities")
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        metavar="FILE",
        help="keep the company in this SQLite file across restarts (seeded only when new)",
    )
    parser.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help='fault plan, e.g. "lost:0.2,http503:0.1" or "lost@3,http524@5-6"',
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of rate-drawn faults")
    parser.add_argument(
        "--max-concurrent",
        type=_limit,
        default=2,
        metavar="N",
        help="requests handled at once, per company (default 2); one more waits for a slot, "
        "then is refused (HTTP 429, GW-0010); 'none' for no limit",
    )
    parser.add_argument(
        "--concurrency-wait",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long a request over --max-concurrent waits for a slot (default 30; 0 "
        "refuses at once)",
    )
    parser.add_argument(
        "--deny",
        action="append",
        default=[],
        metavar="OBJECT",
        help="refuse OBJECT to the API user with PL04000005, e.g. AUDITHISTORY (repeatable)",
    )
    parser.add_argument(
        "--visibility-lag",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="reads see a change only this long after it was made (default: at once)",
    )
    prefs = parser.add_argument_group("the API user's preferences")
    prefs.add_argument(
        "--user-timezone",
        default=None,
        metavar="ZONE",
        help="time zone timestamps are shown and read in (IANA name; default: UTC)",
    )
    prefs.add_argument(
        "--date-format",
        default=None,
        metavar="FORMAT",
        help="date format, e.g. /dmY or .dmY (default: /mdY; write --date-format=-Ymd for a dash)",
    )
    prefs.add_argument(
        "--clock", choices=("24", "12"), default="24", help="time format (default: 24)"
    )


def _description() -> str:
    """The module's description as plain text for ``--help``, with the demo credentials."""
    from intacct_sdk.testing._emulator import DEMO_CREDENTIALS as demo

    text = (__doc__ or "\n\n").split("\n\n", 1)[1].replace("``", "").rstrip()
    return (
        f"{text}\n\nDemo credentials: sender {demo.sender_id} / {demo.sender_password}, "
        f"company {demo.company_id}, user {demo.user_id} / {demo.user_password}.\n"
    )


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``emulator`` sub-command to an ``intacct`` command line.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers()`` returned.

    Returns:
        The sub-command's parser; its ``func`` default is :func:`run`.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="run the Intacct gateway emulator on a local port",
        description=_description(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Any:
    """The emulator's credentials: ``INTACCT_*`` variables where set, else the demo values."""
    from intacct_sdk.testing._emulator import DEMO_CREDENTIALS

    env = os.environ if environ is None else environ
    changes = {field: env[name] for name, field in _ENV_FIELDS.items() if env.get(name)}
    return attrs.evolve(DEMO_CREDENTIALS, **changes)


def rest_client_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The REST emulator's OAuth client: ``INTACCT_CLIENT_ID`` / ``INTACCT_CLIENT_SECRET``
    where set, else the demo client."""
    from intacct_sdk.testing._rest import REST_CLIENT_ID, REST_CLIENT_SECRET

    env = os.environ if environ is None else environ
    return {
        env.get("INTACCT_CLIENT_ID") or REST_CLIENT_ID: env.get("INTACCT_CLIENT_SECRET")
        or REST_CLIENT_SECRET
    }


def _use_rest_client(emulator: Any) -> str:
    """Give each served company the OAuth client from the environment; its id."""
    clients = rest_client_from_env()
    targets = (
        [emulator.get(c) for c in emulator.companies()] if hasattr(emulator, "get") else [emulator]
    )
    for target in targets:
        target.rest.oauth.clients = dict(clients)
    return next(iter(clients))


def _company(args: argparse.Namespace) -> Any:
    from intacct_sdk.testing._company import Company
    from intacct_sdk.testing._seed import demo_company, empty_company

    path: Path | None = args.state
    if path is not None and path.exists():
        _log.info("reusing the company in %s", path)
        return Company(path=path, entities=args.entities)
    if args.seed == "empty":
        return empty_company(entities=args.entities, path=path)
    return demo_company(
        employees=args.employees,
        projects=args.projects,
        tasks_per_project=args.tasks_per_project,
        customers=args.customers,
        entities=args.entities,
        seed=args.random_seed,
        path=path,
    )


def _preferences(args: argparse.Namespace) -> Any:
    from intacct_sdk.testing._prefs import UserPreferences

    try:
        return UserPreferences(
            timezone=getattr(args, "user_timezone", None) or "UTC",
            date_format=getattr(args, "date_format", None) or "/mdY",
            clock=getattr(args, "clock", "24"),
        )
    except KeyError:
        raise ValueError(f"--user-timezone: unknown time zone {args.user_timezone!r}") from None


def _remote_refusal(host: str, *, allowed: bool) -> str | None:
    """Why the emulator will not listen on ``host`` (None: it will), and the warning it
    prints when it was allowed to listen beyond this machine."""
    from intacct_sdk._config import is_loopback_host

    if is_loopback_host(host):
        return None
    if not allowed:
        return (
            f"--host {host} listens beyond this machine, and the emulator accepts known demo"
            " credentials: add --allow-remote if that is what you want"
        )
    print(
        f"intacct emulator: warning: listening on {host}: anyone who can reach it can log in"
        " (with the demo credentials unless INTACCT_* set others)",
        file=sys.stderr,
    )
    return None


def run(args: argparse.Namespace) -> int:
    """Serve the emulator until Ctrl-C or SIGTERM; return the exit code.

    Args:
        args: Parsed options (see :func:`add_arguments`).

    Returns:
        0 after a clean stop; 2 when the options are unusable (the reason goes to stderr).
    """
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._faults import FaultPlan, FaultSpecError

    refusal = _remote_refusal(args.host, allowed=args.allow_remote)
    if refusal:
        print(f"intacct emulator: {refusal}", file=sys.stderr)
        return 2
    try:
        faults = FaultPlan.parse(args.faults, seed=args.fault_seed) if args.faults else None
    except FaultSpecError as exc:
        print(f"intacct emulator: --faults: {exc}", file=sys.stderr)
        return 2
    try:
        prefs = _preferences(args)
    except (ValueError, KeyError) as exc:  # an unknown zone is a KeyError
        print(f"intacct emulator: {exc}", file=sys.stderr)
        return 2
    if args.companies is not None:
        conflict = _multi_conflict(args)
        if conflict:
            print(f"intacct emulator: --companies: {conflict}", file=sys.stderr)
            return 2
        return _serve_many(args, prefs)
    try:
        company = _company(args)
    except (ValueError, OSError) as exc:
        print(f"intacct emulator: {exc}", file=sys.stderr)
        return 2
    try:
        emulator = Emulator(
            company,
            credentials=credentials_from_env(),
            faults=faults,
            max_concurrent=args.max_concurrent,
            denied_objects=args.deny,
            visibility_lag=timedelta(seconds=args.visibility_lag) or None,
            concurrency_wait=args.concurrency_wait,
            preferences=prefs,
        )
        return _serve_until_stopped(emulator, args)
    except ValueError as exc:  # --deny names no object of the company
        print(f"intacct emulator: {exc}", file=sys.stderr)
        return 2
    finally:
        close = getattr(company, "close", None)
        if close is not None:
            close()


def _multi_conflict(args: argparse.Namespace) -> str | None:
    """Why the options cannot go with ``--companies`` (None: they can)."""
    if args.state is not None:
        return "the companies live in memory: --state is for one company"
    if args.seed != "demo":
        return "every company is seeded with the demo data: --seed empty is for one company"
    if args.entities:
        return "--entities is for one company"
    if args.faults:
        return "--faults is for one company"
    return None


def _serve_many(args: argparse.Namespace, prefs: Any) -> int:
    """Seed ``--companies`` companies and serve them on one URL until stopped."""
    from intacct_sdk.testing._multi import MultiEmulator

    try:
        emulators = MultiEmulator.seeded(
            args.companies,
            employees=args.employees,
            projects=args.projects,
            tasks_per_project=args.tasks_per_project,
            customers=args.customers,
            seed=args.random_seed,
            credentials=credentials_from_env(),
            max_concurrent=args.max_concurrent,
            concurrency_wait=args.concurrency_wait,
            denied_objects=args.deny,
            visibility_lag=timedelta(seconds=args.visibility_lag) or None,
            preferences=prefs,
        )
    except ValueError as exc:  # --deny names no object of the companies
        print(f"intacct emulator: {exc}", file=sys.stderr)
        return 2
    ids = emulators.companies()
    line = f"companies {ids[0]}..{ids[-1]} ({len(ids)}), the same sender and user for each"
    return _serve_until_stopped(emulators, args, line)


def _serve_until_stopped(emulator: Any, args: argparse.Namespace, *lines: str) -> int:
    """Serve ``emulator``, print its URL (then ``lines``), and wait for Ctrl-C or SIGTERM."""
    client_id = _use_rest_client(emulator)
    stop = threading.Event()
    previous = _install_signal_handlers(stop)
    try:
        with emulator.serve(args.host, args.port) as server:
            base = server.url.rsplit("/ia/", 1)[0] + "/ia/api/v1"
            rest = f"REST API {base} (OAuth client {client_id}, token endpoint {base}/oauth2/token)"
            print(server.url, *lines, rest, sep="\n", flush=True)
            while not stop.wait(0.2):
                pass
    except OSError as exc:
        print(f"intacct emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    finally:
        _restore_signal_handlers(previous)
    return 0


_Handlers = dict[int, Any]


def _install_signal_handlers(stop: threading.Event) -> _Handlers:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: _Handlers = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    return previous


def _restore_signal_handlers(previous: _Handlers) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m intacct_sdk.testing``."""
    parser = argparse.ArgumentParser(
        prog="python -m intacct_sdk.testing",
        description="Run the Intacct gateway emulator on a local port.",
    )
    add_arguments(parser)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    args = parser.parse_args(argv)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return run(args)
