"""Reliability soak: faults, hostile input and secrets in logs.

Usage (from the repository root, in the project's environment)::

    python bench/soak.py [--size small|medium] [--log FILE] [--seed N] [--mix-runs N]

Parts (each prints one line and the command exits non-zero when any fails):

* **fault soak**: a full pull (EMPLOYEE, PROJECT, TASK) and a push of timesheets through the
  client, once against a clean emulator and once under each fault kind of the emulator at a
  20% rate. A faulted run may see errors; like a sync loop it re-runs what failed (pushes are
  idempotent: ``uniqueid=true`` and a stable control id per timesheet). Its end state must be
  identical to the clean run's on both sides (the records pulled; the timesheets in the
  emulated company, none duplicated, none missing), and every injected fault must have been
  retried by the client or reported to the caller as a typed error. The faulted runs pull
  with ``prefetch=2`` (pages requested ahead, each answer checked and retried in the caller's
  thread); the clean run pulls one page at a time, so both ways must end the same. A pull
  that raises may leave up to two pages requested ahead and unread, so each such error
  excuses up to two faults from the count.
* **concurrency + transient mix**: the same pull and push under the gateway's concurrency
  model (two requests at once per company; one over waits for a slot, then is refused with
  GW-0010) with HTML pages (503 and 200), truncated answers, "temporarily off-line"
  refusals and DL02000001 on reads mixed in at 20%. The pull and the push run at once on one
  client, and two other clients (other integrations) read meanwhile, so requests wait and
  some are refused; the gateway's work is paced at a few milliseconds a request, and the
  wait for a slot cut to a few. Same checks, plus: never more than two requests handled at
  once, and both waits and refusals seen. ``--mix-runs N`` repeats it with N fault seeds.
* **hostile input**: the client's parser and the emulator's request reader fed truncated,
  oversized, deeply nested, entity-laden and random bodies; every input must end in a typed
  error (or a well-formed answer) within a time bound, without unbounded memory.
* **secrets**: everything runs with DEBUG logging into a file, which is then searched for every
  password and session id used; any hit fails the soak.

The crash soak (SIGKILL during the sync engine's push) is ``bench/crash_soak.py``.
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import _scenario as S  # noqa: E402

from intacct_sdk import (  # noqa: E402
    Client,
    ClientOptions,
    Credentials,
    DuplicateControlIdError,
    F,
    IntacctError,
    RetryPolicy,
)
from intacct_sdk.functions import Create  # noqa: E402
from intacct_sdk.testing import NoFaults  # noqa: E402

# Small pages and batches make many requests, so each fault kind is drawn many times.
SIZES = {
    "small": {"employees": 150, "projects": 20, "tasks_per_project": 3, "push": 60, "page": 20,
              "batch": 5},
    "medium": {"employees": 2500, "projects": 300, "tasks_per_project": 4, "push": 600,
               "page": 200, "batch": 10},
}  # fmt: skip
OBJECTS = ("EMPLOYEE", "PROJECT", "TASK")
FIELDS = {
    "EMPLOYEE": ["RECORDNO", "EMPLOYEEID", "STATUS", "WHENMODIFIED", "PERSONALINFO.EMAIL1"],
    "PROJECT": ["RECORDNO", "PROJECTID", "NAME", "STATUS", "BEGINDATE", "WHENMODIFIED"],
    "TASK": ["RECORDNO", "TASKID", "PROJECTID", "NAME", "BILLABLE", "WHENMODIFIED"],
}
# Each kind at 20%; parameters keep the soak fast (Retry-After 0.05 s; a slow answer outlasts
# the client's timeout, which the in-process transport reports at once).
FAULT_SPECS = {
    "http502": "http502:0.2",
    "http503": "http503:0.2",
    "http524": "http524:0.2",
    "http429": "http429=0.05:0.2",
    "slow": "slow=60:0.2",
    "reset": "reset:0.2",
    "lost": "lost:0.2",
    "session": "session:0.2",
    "function": "function:0.2",
    "html": "html=503:0.1,html=200:0.1",
    "truncated": "truncated:0.2",
    "offline": "offline:0.2",
    "readerror": "readerror:0.2",
}
# The transient answers peers retry in production, mixed at 20% in all (shared reference
# §2.9), for the run under the concurrency model.
MIX_SPEC = "html=503:0.04,html=200:0.02,truncated:0.04,offline:0.05,readerror:0.05"
# Seconds a request over the company's two slots waits before GW-0010 (the gateway: ~30).
SLOT_WAIT = 0.005
# Other integrations of the company reading meanwhile, each a client with its own budget.
COMPETITORS = 2
# Seconds the gateway works on each request, holding its slot, in the concurrency run.
SERVICE_TIME = 0.003
ROUNDS = 12  # how many times a caller re-runs what failed before giving up

_log = logging.getLogger("bench.soak")


# --------------------------------------------------------------------------- fault soak


class Secrets:
    """Every secret the soak used: passwords, and session ids the emulator handed out."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def watch(self, emulator: Any) -> None:
        """Record the session ids in every answer ``emulator`` gives."""
        handle = emulator.handle
        pattern = re.compile(rb"<sessionid>([^<]+)</sessionid>")

        def recording(body: bytes, **kwargs: Any) -> Any:
            response = handle(body, **kwargs)
            for match in pattern.finditer(response.body or b""):
                self.values.add(match.group(1).decode())
            return response

        emulator.handle = recording


def _credentials(emulator: Any) -> Credentials:
    c = emulator.credentials
    return Credentials(
        sender_id=c.sender_id,
        sender_password=c.sender_password,
        company_id=c.company_id,
        user_id=c.user_id,
        user_password=c.user_password,
    )


def _options(batch: int) -> ClientOptions:
    retry = RetryPolicy(attempts=6, initial_backoff=0.0, max_backoff=0.05, jitter=0.5, max_wait=5)
    return ClientOptions(
        timeout=5.0, retry=retry, unique_id=True, max_functions_per_request=batch, timezone=UTC
    )


def run_sync(
    size: str,
    spec: str | None,
    seed: int,
    secrets: Secrets,
    prefetch: int = 0,
    *,
    concurrent: bool = False,
    plan_seed: int | None = None,
) -> dict[str, Any]:
    """One pull + push against a fresh emulator (faulted by ``spec``); returns its end state.

    The emulator has the gateway's default concurrency limit (two requests at once). With
    ``concurrent``, the pull and the push run at the same time on one client (its budget of
    two keeps them within the limit), while :data:`COMPETITORS` other clients, other
    integrations of the same company, read in a loop: together they ask for more than two
    slots, so requests wait for one and some are refused with GW-0010 (the gateway's work on
    a request is :data:`SERVICE_TIME`, and the wait is cut to :data:`SLOT_WAIT` to keep the
    soak short).
    """
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._faults import FaultPlan
    from intacct_sdk.testing._seed import demo_company

    cfg = SIZES[size]
    company = demo_company(
        employees=cfg["employees"],
        projects=cfg["projects"],
        tasks_per_project=cfg["tasks_per_project"],
        seed=seed,
    )
    plan = FaultPlan.parse(spec, seed=seed if plan_seed is None else plan_seed) if spec else None
    hooks: Any = Paced(plan, SERVICE_TIME) if concurrent else plan
    emulator = Emulator(company, faults=hooks, concurrency_wait=SLOT_WAIT)
    secrets.watch(emulator)
    creds = emulator.credentials
    secrets.values.update({creds.sender_password, creds.user_password})
    sheets = S.timesheets(company, cfg["push"], first_week=date(2031, 1, 6))
    reported: Counter[str] = Counter()
    lock = threading.Lock()
    local: dict[str, dict[Any, dict[str, Any]]] = {}
    options = _options(cfg["batch"])
    transport = emulator.transport()
    pending: list[int] = []
    competitors = (
        [Competitor(_credentials(emulator), transport) for _ in range(COMPETITORS)]
        if concurrent
        else []
    )
    with Client(_credentials(emulator), options=options, transport=transport) as c:
        if competitors:
            for competitor in competitors:
                competitor.start()
            puller = threading.Thread(
                target=lambda: local.update(_pull(c, cfg, prefetch, reported, lock))
            )
            puller.start()
            pending = _push(c, sheets, seed, reported, lock)
            puller.join()
            for competitor in competitors:
                competitor.stop()
        else:
            local = _pull(c, cfg, prefetch, reported, lock)
            pending = _push(c, sheets, seed, reported, lock)
        stats = c.stats
    pull_errors = sum(n for k, n in reported.items() if k.startswith("pull:"))
    reported = Counter({k.removeprefix("pull:"): n for k, n in reported.items()})
    stored = Counter(
        (
            ts.get("EMPLOYEEID"),
            ts.get("BEGINDATE"),
            ts.get("DESCRIPTION"),
        )
        for ts in company.records("TIMESHEET")
    )
    entries = sorted(
        (e.get("ENTRYDATE"), e.get("QTY"), e.get("PROJECTID"), e.get("TASKID"), e.get("NOTES"))
        for e in company.records("TIMESHEETENTRY")
    )
    other: Counter[str] = sum((k.stats() for k in competitors), Counter())
    return {
        "local": local,
        "timesheets": stored,
        "entries": entries,
        "unpushed": len(pending),
        "reported": reported,
        # A walk that raises leaves the pages already requested ahead unread: their faults
        # are neither retried nor reported (the documented cost of stopping early).
        "unread_allowance": prefetch * pull_errors + other["unread"],
        "retries": stats.retries + other["retries"],
        "refreshes": stats.session_refreshes + other["refreshes"],
        "other_reported": other["reported"],
        "faults": plan.counts() if plan is not None else Counter(),
        # A truncated answer can also hold a readerror: one attempt fails, one retry covers
        # both. Requests hit, not faults, is what the mix's retries must cover.
        "hit_requests": len({e.request_number for e in plan.events}) if plan is not None else 0,
        "waited": emulator.stats.waited,
        "refused": emulator.stats.refused,
        "peak": emulator.stats.peak_concurrent,
    }


def _pull(
    c: Client, cfg: dict[str, int], prefetch: int, reported: Counter[str], lock: threading.Lock
) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every record of OBJECTS; like a sync loop, a failed walk resumes after its last record."""
    local: dict[str, dict[Any, dict[str, Any]]] = {}
    for name in OBJECTS:
        rows: dict[Any, dict[str, Any]] = {}
        last = 0
        for _ in range(ROUNDS):
            try:
                for r in c.query(
                    name,
                    FIELDS[name],
                    where=F("RECORDNO") > last if last else None,
                    order_by=[("RECORDNO", "asc")],
                    page_size=cfg["page"],
                    prefetch=prefetch,
                ):
                    rows[r["RECORDNO"]] = r
                    last = r["RECORDNO"]
                local[name] = rows
                break
            except IntacctError as exc:
                with lock:
                    reported[f"pull:{type(exc).__name__}"] += 1
    return local


def _push(
    c: Client, sheets: list[Any], seed: int, reported: Counter[str], lock: threading.Lock
) -> list[int]:
    """Create every timesheet, idempotently; returns those never pushed."""
    pending = list(range(len(sheets)))
    for _ in range(ROUNDS):
        if not pending:
            break
        functions = [
            Create("TIMESHEET", [sheets[i]], control_id=f"soak-ts-{seed}-{i}") for i in pending
        ]
        try:
            results = c.execute(functions)
        except IntacctError as exc:
            with lock:
                reported[type(exc).__name__] += 1
            continue  # the whole batch again: applied ones are refused as duplicates
        still = []
        for i, result in zip(pending, results, strict=True):
            if result.ok:
                continue
            try:
                result.raise_for_error()
            except DuplicateControlIdError:
                with lock:
                    reported["DuplicateControlIdError"] += 1  # it was applied before
            except IntacctError as exc:
                with lock:
                    reported[type(exc).__name__] += 1
                still.append(i)
        pending = still
    return pending


class Paced(NoFaults):
    """A fault plan, plus the time the gateway takes over a request while it holds its slot.

    The emulator answers in about a millisecond, too fast for requests to meet at its slots;
    Intacct takes tens of milliseconds or more.
    """

    def __init__(self, plan: Any, seconds: float) -> None:
        self.plan = plan
        self.seconds = seconds

    def before_request(self, ctx: Any) -> Any:
        time.sleep(self.seconds)  # inside the slot, as the gateway's own work is
        return self.plan.before_request(ctx) if self.plan is not None else None

    def after_request(self, ctx: Any, response: Any) -> Any:
        return self.plan.after_request(ctx, response) if self.plan is not None else response

    def function_failure(self, ctx: Any, function: str, object_name: str | None) -> Any:
        if self.plan is None:
            return None
        return self.plan.function_failure(ctx, function, object_name)

    def invalidate_sessions(self, ctx: Any) -> bool:
        return self.plan is not None and bool(self.plan.invalidate_sessions(ctx))


class Competitor:
    """Another integration of the same company: its own client, reading in a loop."""

    def __init__(self, creds: Credentials, transport: Any) -> None:
        self.client = Client(creds, options=_options(10), transport=transport)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-competitor")
        self.errors: Counter[str] = Counter()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for _ in self.client.query("PROJECT", ["RECORDNO"], page_size=20, prefetch=2):
                    pass
            except IntacctError as exc:
                self.errors[type(exc).__name__] += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.client.close()

    def stats(self) -> Counter[str]:
        s = self.client.stats
        failed = sum(self.errors.values())
        return Counter(
            retries=s.retries, refreshes=s.session_refreshes, reported=failed, unread=2 * failed
        )


def fault_soak(
    size: str, seed: int, secrets: Secrets, mix_runs: int = 1, *, require_contention: bool = True
) -> list[tuple[str, bool, str]]:
    """Each fault kind at 20% against a clean run, then the concurrency mix; one line each.

    The mix runs ``mix_runs`` times, each with another fault seed (the company is the same).
    Whether requests meet at the slots depends on thread timing: ``require_contention=False``
    (the test suite) checks the end state and the peak only, not that waits and refusals
    happened.
    """
    clean = run_sync(size, None, seed, secrets)
    out = []
    n_ts = sum(clean["timesheets"].values())
    ok_clean = clean["unpushed"] == 0 and not clean["reported"] and n_ts == SIZES[size]["push"]
    out.append(("clean run", ok_clean, f"{n_ts} timesheets, {_n(clean['local'])} records"))
    runs = [(f"fault {kind}", spec, False, seed) for kind, spec in FAULT_SPECS.items()]
    runs += [
        (f"concurrency + transient mix (fault seed {seed + i})", MIX_SPEC, True, seed + i)
        for i in range(mix_runs)
    ]
    for name, spec, concurrent, plan_seed in runs:
        t0 = time.perf_counter()
        run = run_sync(
            size, spec, seed, secrets, prefetch=2, concurrent=concurrent, plan_seed=plan_seed
        )
        faults = (run["hit_requests"] if concurrent else sum(run["faults"].values())) + run[
            "refused"
        ]
        dups = sum(n - 1 for n in run["timesheets"].values() if n > 1)
        missing = sum((clean["timesheets"] - run["timesheets"]).values())
        same_local = run["local"] == clean["local"]
        same_remote = (
            run["timesheets"] == clean["timesheets"] and run["entries"] == clean["entries"]
        )
        handled = (
            run["retries"]
            + run["refreshes"]
            + sum(run["reported"].values())
            + run["other_reported"]
            + run["unread_allowance"]
        )
        ok = same_local and same_remote and dups == 0 and missing == 0 and handled >= faults
        if concurrent:  # the model itself must have held, and been exercised
            ok = ok and run["peak"] <= 2
            if require_contention:
                ok = ok and run["waited"] > 0 and run["refused"] > 0
        allowance = run["unread_allowance"]
        unread = f" (up to {allowance} unread ahead)" if allowance else ""
        slots = (
            f"; slots: peak {run['peak']}, {run['waited']} waited, {run['refused']} refused "
            f"(GW-0010)"
            if concurrent
            else ""
        )
        kinds = dict(run["faults"]) if concurrent else None
        detail = (
            f"{sum(run['faults'].values())} faults injected"
            + (f" {kinds}" if kinds else "")
            + f"{slots}; {run['retries']} retried, {run['refreshes']} session "
            f"refreshes, reported {dict(run['reported']) or 'nothing'}{unread}; "
            f"duplicates {dups}, "
            f"missing {missing}; local side {'identical' if same_local else 'DIFFERENT'}, "
            f"Intacct side {'identical' if same_remote else 'DIFFERENT'} "
            f"({time.perf_counter() - t0:.1f}s)"
        )
        out.append((name, ok, detail))
    return out


def _n(local: dict[str, dict[Any, Any]]) -> int:
    return sum(len(v) for v in local.values())


# --------------------------------------------------------------------------- hostile input

TIME_BOUND = 10.0  # seconds per input (under tracemalloc, which slows allocation down)
# Peak bytes allocated per input: a fixed allowance plus a linear one. An XML tree costs
# about 100 bytes per element, and "<a>" is 3 bytes: linear in the input, never unbounded
# (the client refuses bodies over ClientOptions.max_response_bytes before parsing).
MEMORY_BOUND = 64 * 2**20
MEMORY_PER_INPUT_BYTE = 100


def _ok_response() -> bytes:
    rows = "".join(
        f"<employee><RECORDNO>{i}</RECORDNO><EMPLOYEEID>E{i}</EMPLOYEEID>"
        f"<PERSONALINFO><EMAIL1>e{i}@example.com</EMAIL1></PERSONALINFO></employee>"
        for i in range(1, 301)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status>'
        "<senderid>s</senderid><controlid>c</controlid><uniqueid>false</uniqueid>"
        "<dtdversion>3.0</dtdversion></control><operation><authentication>"
        "<status>success</status><userid>u</userid><companyid>c</companyid></authentication>"
        "<result><status>success</status><function>readByQuery</function><controlid>f"
        f'</controlid><data listtype="employee" count="300">{rows}</data></result>'
        "</operation></response>"
    ).encode()


def hostile_bodies(seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """Named hostile bodies: truncated, oversized, nested, entity-laden, random."""
    import random

    rng = random.Random(seed)
    ok = _ok_response()
    for _ in range(25):
        cut = rng.randrange(1, len(ok))
        yield f"truncated at {cut}", ok[:cut]
    yield "empty", b""
    yield "whitespace", b" \n\t "
    yield "html maintenance page", b"<html><body><h1>503 Service Unavailable</h1></body></html>"
    depth = 200_000
    yield "nested 200k", b"<response>" + b"<a>" * depth + b"</a>" * depth + b"</response>"
    deep = b"<g>" * 5000 + b"x" + b"</g>" * 5000
    yield "nested record 5k", ok.replace(b"<RECORDNO>1</RECORDNO>", deep, 1)
    yield "unclosed nesting 1M", b"<response>" + b"<a>" * 1_000_000
    laughs = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    for n in range(1, 10):
        prev = chr(ord("a") + n - 1)
        cur = chr(ord("a") + n)
        laughs += f'<!ENTITY {cur} "{("&" + prev + ";") * 10}">'.encode()
    laughs += b"]><response>&j;</response>"
    yield "billion laughs", laughs
    big = "x" * 100_000
    yield (
        "quadratic blowup",
        f'<!DOCTYPE r [<!ENTITY x "{big}">]><response>{"&x;" * 10_000}</response>'.encode(),
    )
    yield (
        "external entity (XXE)",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<response>&x;</response>",
    )
    yield (
        "parameter entity",
        b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><response/>',
    )
    yield "external DTD", b'<!DOCTYPE response SYSTEM "http://127.0.0.1:9/x.dtd"><response/>'
    yield "undefined entity", b"<response>&undefined;</response>"
    yield (
        "utf-16 with DTD",
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><response>&a;'
        "</response>".encode("utf-16"),
    )
    yield "utf-7 declaration", b'<?xml version="1.0" encoding="UTF-7"?><response/>'
    yield "oversized 300 MB", b"<response>" + b" " * (300 * 2**20) + b"</response>"
    for i in range(10):
        yield f"random bytes {i}", rng.randbytes(rng.randrange(1, 4096))
    for i in range(10):
        chunk = bytearray(ok)
        for _ in range(20):
            chunk[rng.randrange(len(chunk))] = rng.randrange(256)
        yield f"corrupted response {i}", bytes(chunk)


class _Timeout(Exception):
    pass


def bounded(fn: Callable[[], Any]) -> tuple[str, float, int]:
    """Run ``fn`` under a time alarm and tracemalloc: (outcome, seconds, peak bytes)."""

    def alarm(signum: int, frame: Any) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, alarm)
    tracemalloc.start()
    t0 = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, TIME_BOUND * 2)
    try:
        fn()
        outcome = "answer"
    except _Timeout:
        outcome = "HANG"
    except IntacctError as exc:
        outcome = type(exc).__name__
    except Exception as exc:  # anything untyped is a failure
        outcome = f"UNTYPED {type(exc).__name__}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return outcome, time.perf_counter() - t0, peak


def check_client_parser(name: str, body: bytes) -> tuple[bool, str]:
    """The client's parser on ``body``: a typed error (or a usable answer), fast, bounded."""
    from intacct_sdk._parse import parse_response

    outcome, seconds, peak = bounded(lambda: parse_response(body))
    ok = (
        not outcome.startswith(("HANG", "UNTYPED"))
        and seconds <= TIME_BOUND
        and peak <= MEMORY_BOUND + MEMORY_PER_INPUT_BYTE * len(body)
    )
    return ok, f"{outcome} in {seconds:.3f}s, peak {peak / 2**20:.1f} MB"


def check_emulator_reader(emulator: Any, name: str, body: bytes) -> tuple[bool, str]:
    """The emulator's request reader on ``body``: an error answer, never an exception."""
    holder: dict[str, Any] = {}

    def call() -> None:
        holder["r"] = emulator.handle(body)

    outcome, seconds, peak = bounded(call)
    resp = holder.get("r")
    refused = resp is not None and (
        resp.status >= 400 or b"<status>failure</status>" in (resp.body or b"")
    )
    ok = outcome == "answer" and refused and seconds <= TIME_BOUND
    ok = ok and peak <= MEMORY_BOUND + MEMORY_PER_INPUT_BYTE * len(body)
    status = resp.status if resp is not None else "-"
    return ok, f"{outcome} (HTTP {status}) in {seconds:.3f}s, peak {peak / 2**20:.1f} MB"


def hostile_soak(seed: int) -> list[tuple[str, bool, str]]:
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._seed import empty_company

    emulator = Emulator(empty_company())
    out = []
    for name, body in hostile_bodies(seed):
        ok, detail = check_client_parser(name, body)
        out.append((f"parser: {name}", ok, detail))
        if len(body) < 64 * 2**20:  # the emulator's server refuses big bodies before reading
            ok, detail = check_emulator_reader(emulator, name, body)
            out.append((f"emulator: {name}", ok, detail))
    return out


# --------------------------------------------------------------------------- secrets


def scan_log(path: Path, secrets: Secrets) -> tuple[bool, str]:
    text = path.read_text(errors="replace")
    hits = [s for s in secrets.values if s and s in text]
    lines = text.count("\n")
    detail = f"{lines} log lines, {len(secrets.values)} secrets searched, {len(hits)} found"
    return not hits, detail


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", help="DEBUG log file (default: a temporary file)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: faults,hostile")
    parser.add_argument(
        "--mix-runs",
        type=int,
        default=1,
        help="runs of the concurrency + transient mix, each with its own fault seed (default 1)",
    )
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    log_path = Path(args.log or tempfile.mkstemp(prefix="soak-", suffix=".log")[1])
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    secrets = Secrets()
    results: list[tuple[str, bool, str]] = []
    t0 = time.perf_counter()
    try:
        if "faults" not in skip:
            results += fault_soak(args.size, args.seed, secrets, args.mix_runs)
        if "hostile" not in skip:
            results += hostile_soak(args.seed)
    finally:
        root.removeHandler(handler)
        handler.close()
    results.append(("secrets in the DEBUG log", *scan_log(log_path, secrets)))
    failed = [r for r in results if not r[1]]
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    print(
        f"soak {args.size}: {len(results) - len(failed)}/{len(results)} checks passed in "
        f"{time.perf_counter() - t0:.1f}s (log: {log_path})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
