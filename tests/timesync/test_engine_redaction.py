"""A gateway error that quotes a password reaches neither the run report nor the state store."""

# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments

from __future__ import annotations

import html
import json
import urllib.parse
from pathlib import Path

import attrs
from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    add_timesheets,
    app,
    engine_client,
)

from intacct_sdk.testing import Emulator, NoFaults, RequestContext
from intacct_sdk.testing._emulator import DEMO_CREDENTIALS
from intacct_sdk.testing._seed import demo_company
from timesync.engine import Engine
from timesync.local import ReferenceApp
from timesync.store import FileLock, SQLiteStateStore

PASSWORD = 'pa&ss"w/o+rd é%1'


def _forms(secret: str) -> list[str]:
    return [
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        html.escape(secret, quote=True),
        json.dumps(secret)[1:-1],
    ]


class QuotingFailure(NoFaults):
    """Every create of a timesheet fails with an error quoting the password in each form."""

    def function_failure(
        self, ctx: RequestContext, function: str, object_name: str | None
    ) -> tuple[str, str] | None:
        if function == "create" and object_name == "TIMESHEET":
            return ("BL01001973", "Could not create: password " + " | ".join(_forms(PASSWORD)))
        return None


def test_run_report_and_stored_errors_never_hold_the_password(
    app: ReferenceApp, tmp_path: Path
) -> None:
    emulator = Emulator(
        demo_company(employees=12, projects=4, tasks_per_project=3, customers=4),
        credentials=attrs.evolve(DEMO_CREDENTIALS, user_password=PASSWORD),
        faults=QuotingFailure(),
    )
    with (
        engine_client(emulator) as client,
        SQLiteStateStore(tmp_path / "state.db") as store,
    ):
        engine = Engine(client, app, store, lock=FileLock(tmp_path / "state.db.lock"))
        engine.run()
        add_timesheets(app, 2)
        report = engine.run()
        assert len(report.failures) == 2  # the failure was met, and reported
        assert all("Could not create" in f.message for f in report.failures)
        texts = [
            report.format(),
            json.dumps(report.summary()),
            repr(report),
            *(f.message for f in report.failures),
            *(repr(e) for e in store.errors()),
        ]
        assert store.errors("TIMESHEET")
    texts.append((tmp_path / "state.db").read_bytes().decode("utf-8", errors="replace"))
    for text in texts:
        for form in _forms(PASSWORD):
            assert form not in text, text[:300]
