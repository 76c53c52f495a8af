# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""The pull writes each page to the local system in one transaction, not one per record."""

from __future__ import annotations

from pathlib import Path

from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    EngineFactory,
    app,
    client,
    emulator,
    make_engine,
    store,
)

from intacct_sdk.testing import Emulator
from timesync.engine._context import local_batch
from timesync.local import BatchingLocalSystem, ReferenceApp


def _commits(app: ReferenceApp) -> list[str]:
    seen: list[str] = []

    def trace(statement: str) -> None:
        if statement.strip().upper().startswith("COMMIT"):
            seen.append(statement)

    app._conn.set_trace_callback(trace)
    return seen


def test_a_first_pull_commits_the_app_once_per_page_not_per_record(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp
) -> None:
    commits = _commits(app)
    engine = make_engine(page_size=10)
    report = engine.run()
    assert report.ok
    written = sum(rep.created for rep in report.objects.values())
    pages = sum(-(-emulator.company.count(obj) // 10) + 1 for obj in engine.options.pull_objects)
    assert written > 40
    assert 0 < len(commits) <= pages  # before: two commits per record written


def test_the_reference_app_batches_and_a_plain_local_system_needs_nothing() -> None:
    assert isinstance(ReferenceApp(":memory:"), BatchingLocalSystem)

    class Plain:
        pass

    with local_batch(Plain()):  # type: ignore[arg-type]
        pass


def test_a_failed_write_inside_the_batch_keeps_the_others(tmp_path: Path) -> None:
    with ReferenceApp(tmp_path / "app.db") as app:
        with app.transaction():
            first = app.add_record("CLASS", "C1", "One")
            try:
                with app.transaction():
                    app.add_record("CLASS", "C2", "Two")
                    raise ValueError("boom")
            except ValueError:
                pass
        assert app.get_record("CLASS", first) is not None


def test_indexes_cover_the_apps_lookups(tmp_path: Path) -> None:
    with ReferenceApp(tmp_path / "app.db") as app:
        plans = {
            sql: " ".join(
                str(r[3]) for r in app._conn.execute(f"EXPLAIN QUERY PLAN {sql}", (1,)).fetchall()
            )
            for sql in (
                "SELECT * FROM timesheet_entries WHERE timesheet_id = ? ORDER BY id",
                "SELECT * FROM expense_lines WHERE report_id = ? ORDER BY id",
            )
        }
    for sql, plan in plans.items():
        assert "USING INDEX" in plan, (sql, plan)
