"""``bench/run.py --quick`` for our side only (no anchor venv here): every row runs end to end
and the report has its structure. Timings are not checked, only that they were taken."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROWS = ("pull", "cli", "parse", "push", "sync", "rematch")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    report, raw = out / "RESULTS.md", out / "results.json"
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--ours-only"]
    cmd += ["--repeat", "1", "--out", str(report), "--json", str(raw)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(raw.read_text()), report.read_text()


def _ours(data: dict[str, Any], row: str) -> list[dict[str, Any]]:
    return [m for m in data["results"] if m["row"] == row and m["side"] != "sageintacctsdk"]


def test_every_row_is_measured_on_our_side(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    for row in ROWS:
        ours = _ours(data, row)
        assert ours, row
        for m in ours:
            assert not m["error"], (row, m["case"], m["side"], m["error"])
            assert m["samples"] and all(x > 0 for x in m["samples"]), (row, m["case"])


def test_the_anchor_is_shown_as_not_measured(quick_run: tuple[dict[str, Any], str]) -> None:
    data, report = quick_run
    theirs = [m for m in data["results"] if m["side"] == "sageintacctsdk"]
    assert {m["row"] for m in theirs} == {"pull", "cli", "push"}
    assert all(m["error"].startswith("not measured") for m in theirs)
    assert "| not measured | one side not measured |" in report


def test_pulls_read_every_record_cold_and_warm(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    pulls = _ours(data, "pull")
    sizes = data["sizes"]["pull"]
    cases = {m["case"] for m in pulls}
    expected = {f"{w} fields, {n:,}, {p}" for n in sizes for w in (5, 15) for p in ("cold", "warm")}
    assert cases == expected
    for m in pulls:
        n = int(m["case"].split(", ")[1].replace(",", ""))
        assert m["records"] == n
        # one login, then both pulls at one request a 2,000-record page
        assert m["requests"] == [1 + 2 * math.ceil(n / 2000)]


def test_writes_and_syncs_do_what_they_say(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    (push,) = _ours(data, "push")
    assert push["records"] == data["sizes"]["push"]  # created in the emulator, counted there
    assert push["functions"]["create:TIMESHEET"] == data["sizes"]["push"]
    cli = _ours(data, "cli")
    assert [m["records"] for m in cli] == list(data["sizes"]["cli"])
    sync = _ours(data, "sync")
    assert [m["side"] for m in sync] == ["first sync", "no-change rerun"] * 2
    assert all(m["rss_mb"] and m["requests"] for m in sync)
    assert len(_ours(data, "rematch")) == len(data["sizes"]["rematch"])
    parse = {m["side"] for m in _ours(data, "parse")}
    assert {"ours", "ET.fromstring (baseline)"} <= parse


def test_report_has_each_section_and_a_target_table(quick_run: tuple[dict[str, Any], str]) -> None:
    data, report = quick_run
    assert report.startswith("# Benchmark results")
    assert "`python bench/run.py --quick --ours-only" in report
    assert "Load average (1, 5, 15 min) at the start / end:" in report
    for heading in ("## Machine and versions", "## Targets", "## Pull EMPLOYEE", "## Parse one"):
        assert heading in report
    for text in ("## `intacct query", "## Push approved", "## First `timesync sync`", "## Re-m"):
        assert text in report
    table = report.split("## Targets", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in table.splitlines() if r.startswith("| ") and not r.startswith("| target")]
    statuses = {r.split(" | ")[1] for r in rows}
    assert statuses <= {"held", "**missed**", "not measured"}
    # every pull case has its target line, whatever its status
    assert sum("pull " in r for r in rows) == 2 * 2 * len(data["sizes"]["pull"])
    assert any(r.startswith("| parse 15 fields") for r in rows)
    assert any("no-change rerun" in r for r in rows)


def test_the_report_is_rewritten_from_the_saved_measurements(
    quick_run: tuple[dict[str, Any], str], tmp_path: Path
) -> None:
    data, report = quick_run
    raw = tmp_path / "r.json"
    raw.write_text(json.dumps(data))
    again = tmp_path / "again.md"
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--from-json", str(raw)]
    subprocess.run([*cmd, "--out", str(again)], check=True, cwd=ROOT, timeout=120)
    assert again.read_text() == report
