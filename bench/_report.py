"""The report of ``bench/run.py``: the targets, held or missed, and every measured row.

Every figure in it comes from the measurements of one run (``run.Measurement``): medians of
the fresh-process samples, with their minimum and maximum. Ratios are of medians. A target
with no measurement says so; a missed target is shown as missed.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ANCHOR = "sageintacctsdk"
HELD, MISSED, UNMEASURED = "held", "**missed**", "not measured"
SOAK_MARKER = "<!-- soak results: kept when the report is rewritten -->"

TITLES = {
    "pull": "Pull EMPLOYEE, in-process client (records/s; cold = first pull in a fresh "
    "process from its start, imports included; warm = the second pull in that process)",
    "cli": "`intacct query EMPLOYEE --format json`, whole process (seconds)",
    "parse": "Parse one 2,000-record page (milliseconds, best of rounds in each process)",
    "push": "Push approved timesheets, whole process (seconds)",
    "sync": "First `timesync sync` of a company, one process, and a rerun with no change",
    "rematch": "Re-matching every record after the state store is lost (`timesync sync`)",
}


@dataclass
class Target:
    name: str
    status: str
    evidence: str


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def spread(m: Any, scale: float = 1.0, fmt: str = "{:.3f}") -> str:
    """``median (min-max)`` of ``m.samples`` times ``scale``."""
    xs = [x * scale for x in m.samples]
    return f"{fmt.format(median(xs))} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"


def rate_spread(m: Any) -> str:
    """Records/s: median, and the slowest and fastest process."""
    rates = [m.records / x for x in m.samples if x]
    return f"{median(rates):,.0f} ({min(rates):,.0f}-{max(rates):,.0f})"


def line(m: Any) -> str:
    """One line of progress for the console."""
    if m.error:
        return f"  {m.row:8s} {m.case:34s} {m.side:28s} {m.error}"
    req = f" req {'/'.join(map(str, sorted(set(m.requests))))}" if m.requests else ""
    rss = f" rss {max(m.rss_mb):.0f} MB" if m.rss_mb else ""
    return f"  {m.row:8s} {m.case:34s} {m.side:28s} {spread(m)} s  n={m.records}{req}{rss}"


def _find(results: list[Any], row: str, case: str, side: str) -> Any | None:
    for m in results:
        if (m.row, m.case, m.side) == (row, case, side) and not m.error and m.samples:
            return m
    return None


def _cases(results: list[Any], row: str) -> list[str]:
    seen: list[str] = []
    for m in results:
        if m.row == row and m.case not in seen:
            seen.append(m.case)
    return seen


def _speedup(results: list[Any], row: str, case: str) -> float | None:
    """The anchor's median time over ours (above 1: we are faster)."""
    ours, theirs = _find(results, row, case, "ours"), _find(results, row, case, ANCHOR)
    if ours is None or theirs is None:
        return None
    return median(theirs.samples) / median(ours.samples)


def _status(ok: bool) -> str:
    return HELD if ok else MISSED


def _records_of(case: str) -> int:
    return int(case.split()[0].replace(",", ""))


def targets(results: list[Any], meta: dict[str, Any]) -> list[Target]:
    """Each target of the issue: held or missed, with the figure that decides it."""
    out: list[Target] = []
    for case in _cases(results, "pull"):
        ratio = _speedup(results, "pull", case)
        name = f"pull {case}: >= 3x {ANCHOR} records/s"
        if ratio is None:
            out.append(Target(name, UNMEASURED, "one side not measured"))
        else:
            out.append(Target(name, _status(ratio >= 3.0), f"{ratio:.2f}x"))
    for case in _cases(results, "cli"):
        ratio = _speedup(results, "cli", case)
        name = f"intacct query, {case}: >= 2x {ANCHOR}"
        if ratio is None:
            out.append(Target(name, UNMEASURED, "one side not measured"))
        else:
            out.append(Target(name, _status(ratio >= 2.0), f"{ratio:.2f}x"))
        ours = _find(results, "cli", case, "ours")
        if ours is not None and ours.requests:
            worst = max(ours.requests)
            out.append(
                Target(
                    f"intacct query, {case}: requests = login + ceil(N / 2,000)",
                    _status(worst == ours.min_requests),
                    f"{worst} requests, minimum {ours.min_requests}",
                )
            )
    for case in _cases(results, "parse"):
        ours = _find(results, "parse", case, "ours")
        base = _find(results, "parse", case, "ET.fromstring (baseline)")
        name = f"parse {case}: typed records <= 1.0x ET.fromstring"
        if ours is None or base is None:
            out.append(Target(name, UNMEASURED, "not measured"))
        else:
            ratio = median(ours.samples) / median(base.samples)
            out.append(Target(name, _status(ratio <= 1.0), f"{ratio:.2f}x"))
    for case in _cases(results, "push"):
        ratio = _speedup(results, "push", case)
        name = f"push {case}: >= 3x {ANCHOR} wall time"
        if ratio is None:
            out.append(Target(name, UNMEASURED, "one side not measured"))
        else:
            out.append(Target(name, _status(ratio >= 3.0), f"{ratio:.2f}x"))
        ours = _find(results, "push", case, "ours")
        if ours is not None and ours.requests:
            batch = meta.get("batch_size", 50)
            # rounds share one work dir: from the second on, the run also reads the states of
            # the timesheets earlier rounds pushed (TIMESHEET's pull), so only the first
            # round is the push alone
            first, later = ours.requests[0], ours.requests[1:]
            rest = (
                f"; later rounds {', '.join(map(str, later))} (they also read the timesheets"
                " earlier rounds pushed)"
                if later
                else ""
            )
            out.append(
                Target(
                    f"push {case}: requests = login + ceil(M / {batch}) + one read-back request",
                    _status(first <= (ours.min_requests or 0)),
                    f"{first} requests in the first round, minimum {ours.min_requests}{rest}; "
                    f"{ours.records:,} created per round; the last round: {_functions(ours)}",
                )
            )
    out += _sync_targets(results)
    return out


def _functions(m: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(m.functions.items()))


def _linear(results: list[Any], row: str, side: str, what: str) -> list[Target]:
    pairs = [(c, _find(results, row, c, side)) for c in _cases(results, row)]
    got = [(c, m) for c, m in pairs if m is not None]
    if len(got) < 2:
        return [Target(f"{what}: cost linear in size", UNMEASURED, "fewer than two sizes")]
    (c0, small), (c1, big) = got[0], got[-1]
    data = _records_of(c1) / _records_of(c0)
    time_ratio = median(big.samples) / median(small.samples)
    out = [
        Target(
            f"{what}: cost linear in size ({data:.1f}x the data <= {1.125 * data:.1f}x the time)",
            _status(time_ratio <= 1.125 * data),
            f"{c0}: {median(small.samples):.2f} s, {c1}: {median(big.samples):.2f} s "
            f"({time_ratio:.2f}x)",
        )
    ]
    if small.rss_mb and big.rss_mb:
        rss = median(big.rss_mb) / median(small.rss_mb)
        out.append(
            Target(
                f"{what}: peak RSS flat (taken as <= 1.25x from the smallest to the largest)",
                _status(rss <= 1.25),
                f"{median(small.rss_mb):.0f} MB -> {median(big.rss_mb):.0f} MB ({rss:.2f}x)",
            )
        )
    return out


def _sync_targets(results: list[Any]) -> list[Target]:
    out: list[Target] = []
    cases = [c for c in _cases(results, "sync") if _find(results, "sync", c, "first sync")]
    big = [c for c in cases if _records_of(c) >= 90_000]
    if big:
        m = _find(results, "sync", big[-1], "first sync")
        assert m is not None
        t = median(m.samples)
        out.append(Target(f"first sync of {big[-1]}: <= 30 s", _status(t <= 30.0), f"{t:.1f} s"))
    elif cases:
        out.append(Target("first sync of ~100k records: <= 30 s", UNMEASURED, "smaller sizes"))
    if cases:
        out += _linear(results, "sync", "first sync", "first sync")
    for case in _cases(results, "sync"):
        first = _find(results, "sync", case, "first sync")
        if first is not None and first.requests and first.min_requests is not None:
            data = max(first.requests) - first.functions.get("getAPISession", 0)
            out.append(
                Target(
                    f"first sync of {case}: independent objects' later pages together",
                    _status(data <= first.min_requests),
                    f"{data} requests (login aside), minimum {first.min_requests}",
                )
            )
        m = _find(results, "sync", case, "no-change rerun")
        if m is not None and m.requests:
            data = max(m.requests) - m.functions.get("getAPISession", 0)
            out.append(
                Target(
                    f"no-change rerun of {case}: one HTTP request (login aside)",
                    _status(data <= 1),
                    f"{max(m.requests)} requests; {_functions(m)}",
                )
            )
    cases = _cases(results, "rematch")
    if cases:
        last = _find(results, "rematch", cases[-1], "ours")
        if last is not None and _records_of(cases[-1]) >= 15_000:
            t = median(last.samples)
            out.append(Target(f"re-match of {cases[-1]}: <= 2 s", _status(t <= 2.0), f"{t:.2f} s"))
        out += _linear(results, "rematch", "ours", "re-match")
    return out


# --------------------------------------------------------------------------- tables


def _table(results: list[Any], row: str) -> list[str]:
    ms = [m for m in results if m.row == row]
    if not ms:
        return []
    lines = ["", f"## {TITLES[row]}", ""]
    if row == "parse":
        lines += ["| case | parser | ms median (min-max) | vs ET.fromstring |", "|---|---|---|---|"]
        for m in ms:
            if m.error:
                lines.append(f"| {m.case} | {m.side} | {m.error} | |")
                continue
            base = _find(results, row, m.case, "ET.fromstring (baseline)")
            vs = f"{median(m.samples) / median(base.samples):.2f}x" if base else ""
            side = "**ours: parse_response, typed records**" if m.side == "ours" else m.side
            lines.append(f"| {m.case} | {side} | {spread(m, 1000, '{:.2f}')} | {vs} |")
        return lines
    rate = row == "pull"
    head = "records/s median (min-max)" if rate else "seconds median (min-max)"
    lines += [
        f"| case | side | records | {head} | vs {ANCHOR} | requests (min) | peak RSS MB | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in ms:
        if m.error:
            lines.append(f"| {m.case} | {m.side} | | {m.error} | | | | {m.note} |")
            continue
        ratio = _speedup(results, row, m.case) if m.side == "ours" else None
        vs = f"{ratio:.2f}x" if ratio is not None else ""
        req = "/".join(str(r) for r in sorted(set(m.requests)))
        if m.min_requests is not None:
            req += f" ({m.min_requests})"
        rss = f"{median(m.rss_mb):.0f}" if m.rss_mb else ""
        figure = rate_spread(m) if rate else spread(m, fmt="{:.2f}")
        lines.append(
            f"| {m.case} | {m.side} | {m.records:,} | {figure} | {vs} | {req} | {rss} | {m.note} |"
        )
    return lines


def machine(bench_py: Path | None, ours_py: str | None = None) -> dict[str, str]:
    """The machine and every version that the figures depend on (ours read in our side's
    interpreter, ``ours_py``, when given)."""
    cpu = platform.processor() or "unknown"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    out = {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    root = Path(__file__).resolve().parent.parent
    head = subprocess.run(
        ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
        capture_output=True,
        text=True,
        check=False,
    )
    out["commit"] = head.stdout.strip() or "unknown (not a git checkout)"
    packages = ("intacct-timesync", "httpx", "attrs", "cattrs", "defusedxml", "lxml")
    if ours_py is not None:
        here = Path(ours_py).parent.parent.name
        out["our side's environment"] = (
            f"bench/{here} (runtime dependencies only)"
            if here == ".venv-ours"
            else "the project's own environment (bench/make_venv.sh makes bench/.venv-ours)"
        )
        code = (
            "import importlib.metadata as m\n"
            f"for p in {packages!r}:\n"
            "    try: print(p, m.version(p))\n"
            "    except m.PackageNotFoundError: print(p, 'not-installed')"
        )
        proc = subprocess.run([ours_py, "-c", code], capture_output=True, text=True, check=False)
        found = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
        for pkg in packages:
            out[pkg] = found.get(pkg, "unknown").replace("not-installed", "not installed")
    else:
        for pkg in packages:
            try:
                out[pkg] = importlib.metadata.version(pkg)
            except importlib.metadata.PackageNotFoundError:
                out[pkg] = "not installed"
    if bench_py is not None:
        code = (
            "import importlib.metadata as m, platform;"
            "print(m.version('sageintacctsdk'), m.version('xmltodict'), m.version('requests'),"
            " platform.python_version())"
        )
        proc = subprocess.run(
            [str(bench_py), "-c", code], capture_output=True, text=True, check=False
        )
        parts = proc.stdout.split()
        if len(parts) == 4:
            out[ANCHOR] = parts[0]
            out["its xmltodict, requests, python"] = ", ".join(parts[1:])
    return out


def write(path: Path, results: list[Any], meta: dict[str, Any]) -> None:
    """Write the report to ``path`` (a soak section after ``SOAK_MARKER`` is kept)."""
    load = " / ".join(
        " ".join(f"{x:.2f}" for x in meta.get(k, [])) for k in ("load_start", "load_end")
    )
    sizes = meta.get("sizes", {})
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{meta.get('command', 'python bench/run.py')}` on {meta.get('started')} "
        f"in {meta.get('minutes', math.nan):.1f} minutes; every figure down to the soak section "
        "comes from that run (the soak and fleet sections at the end name their own commands). "
        "`python bench/run.py` on a fresh clone reproduces the whole comparison.",
        "",
        f"Load average (1, 5, 15 min) at the start / end: {load}. Each side ran "
        f"{sizes.get('repeat', '?')} times in fresh processes, the sides taking turns (sync "
        f"rows {sizes.get('sync_repeat', '?')}); figures are medians (min-max); ratios are "
        "of medians. Requests are the emulator's counters for each process.",
        "",
        "## Machine and versions",
        "",
        *[f"- {k}: {v}" for k, v in meta.get("machine", {}).items()],
        "",
        "## Targets",
        "",
        "| target | status | evidence |",
        "|---|---|---|",
        *[f"| {t.name} | {t.status} | {t.evidence} |" for t in targets(results, meta)],
    ]
    for row in TITLES:
        lines += _table(results, row)
    lines.append("")
    kept = ""
    if path.exists():  # the soak section is written by hand from soak.py / crash_soak.py output
        old = path.read_text()
        if SOAK_MARKER in old:
            kept = "\n" + old[old.index(SOAK_MARKER) :]
    path.write_text("\n".join(lines) + kept)
