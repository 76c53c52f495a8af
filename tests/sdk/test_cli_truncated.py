"""``intacct query`` never prints invalid JSON: a page failing mid-stream closes the array."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from tests.conftest import subprocess_env

from intacct_sdk.testing import Emulator, serve
from intacct_sdk.testing._emulator import DEMO_CREDENTIALS
from intacct_sdk.testing._faults import FaultPlan
from intacct_sdk.testing._seed import demo_company

PAGE = 5


def _query(
    spec: str, fmt: str, prefetch: int = 0
) -> tuple[subprocess.CompletedProcess[str], Emulator]:
    emulator = Emulator(
        demo_company(employees=12, projects=1, tasks_per_project=1, customers=1),
        faults=FaultPlan.parse(spec) if spec else None,
    )
    c = DEMO_CREDENTIALS
    env = subprocess_env(
        INTACCT_SENDER_ID=c.sender_id,
        INTACCT_SENDER_PASSWORD=c.sender_password,
        INTACCT_COMPANY_ID=c.company_id,
        INTACCT_USER_ID=c.user_id,
        INTACCT_USER_PASSWORD=c.user_password,
    )
    with serve(emulator) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "intacct_sdk.cli",
                "--retries",
                "0",
                "--endpoint",
                server.url,
                "query",
                "EMPLOYEE",
                "--fields",
                "RECORDNO,EMPLOYEEID",
                "--page-size",
                str(PAGE),
                "--format",
                fmt,
                "--prefetch",
                str(prefetch),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    return done, emulator


# Without pages ahead, request 1 is the login, 2 the query for page 1, 3 the one for page 2.
@pytest.mark.parametrize("spec", ["html=404@3", "readerror@3"])
def test_a_failing_second_page_leaves_a_complete_truncated_json_array(spec: str) -> None:
    done, _ = _query(spec, "json")
    assert done.returncode == 1, done.stderr
    records = json.loads(done.stdout)  # valid JSON, whatever failed
    assert len(records) == PAGE  # the first page, and nothing of the failed one
    assert all(set(r) == {"RECORDNO", "EMPLOYEEID"} for r in records)
    assert done.stderr.count("\n") == 1
    assert "truncated" in done.stderr and f"the {PAGE} records" in done.stderr


def test_csv_keeps_whole_rows_and_says_it_is_truncated() -> None:
    done, _ = _query("html=404@3", "csv")
    assert done.returncode == 1
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["RECORDNO", "EMPLOYEEID"]
    assert len(rows) == 1 + PAGE and all(len(r) == 2 for r in rows)
    assert "truncated" in done.stderr


def test_a_query_without_failure_is_whole_and_silent() -> None:
    done, emulator = _query("", "json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == len(list(emulator.company.records("EMPLOYEE"))) > PAGE
    assert done.stderr == ""


def test_pages_ahead_failing_still_leave_a_whole_prefix() -> None:
    # With pages requested ahead, request 3 may be page 2 or page 3: the output is a whole
    # prefix of the records either way, and the error line counts it.
    done, emulator = _query("html=404@3", "json", prefetch=2)
    assert done.returncode == 1, done.stderr
    records = json.loads(done.stdout)
    ids = [r["EMPLOYEEID"] for r in records]
    every = sorted(r["EMPLOYEEID"] for r in emulator.company.records("EMPLOYEE"))
    assert ids == every[: len(ids)] and len(ids) in (PAGE, 2 * PAGE)
    assert f"the {len(ids)} records" in done.stderr
