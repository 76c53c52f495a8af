"""The embedding guide's complete example: a LocalSystem over stdlib sqlite3, synced for real.

``docs/examples/sqlite_app.py`` is shown whole in ``docs/embedding.md``; this test checks the
page holds it verbatim, then runs it: a first sync pulls the emulated company's master data
into the app's own tables, a timesheet entered in the app is pushed, and a rerun writes nothing.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from datetime import date
from pathlib import Path
from types import ModuleType

from engine_fixtures import engine_client

from intacct_sdk.testing import Emulator
from intacct_sdk.testing._seed import demo_company
from timesync.engine import Engine
from timesync.local import LocalSystem
from timesync.store import SQLiteStateStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "sqlite_app.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sqlite_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_guide_shows_the_example_whole() -> None:
    page = (ROOT / "docs" / "embedding.md").read_text()
    assert "```python\n" + EXAMPLE.read_text() + "```\n" in page


def test_the_example_syncs_with_the_emulator(tmp_path: Path) -> None:
    emulator = Emulator(demo_company(employees=3, projects=2, tasks_per_project=2, customers=2))
    app = _load().SqliteTimeApp(str(tmp_path / "timeapp.db"))
    assert isinstance(app, LocalSystem)
    with engine_client(emulator) as client, SQLiteStateStore(tmp_path / "state.db") as store:
        engine = Engine(client, app, store)
        first = engine.run()
        assert first.ok, first.format()
        db = sqlite3.connect(tmp_path / "timeapp.db")
        people = [k for (k,) in db.execute("SELECT key FROM record WHERE object = 'EMPLOYEE'")]
        assert len(people) == 3
        (project_key,) = db.execute(
            "SELECT key FROM record WHERE object = 'PROJECT' ORDER BY key LIMIT 1"
        ).fetchone()
        # linked: every pulled record knows its Intacct key
        assert db.execute("SELECT COUNT(*) FROM record WHERE intacct_key IS NULL").fetchone() == (
            0,
        )

        monday = date(2024, 3, 4)
        sheet = app.add_timesheet(
            people[0],
            monday,
            [(monday, "7.5", project_key, None), (date(2024, 3, 5), "2", project_key, None)],
        )
        second = engine.run()
        assert second.ok, second.format()
        (record_no, state) = db.execute(
            "SELECT record_no, intacct_state FROM sheet WHERE local_id = ?", (int(sheet),)
        ).fetchone()
        assert record_no is not None and state
        pushed = emulator.company.get("TIMESHEET", record_no)
        assert pushed is not None and pushed["EMPLOYEEID"] == people[0]
        assert second.functions_by_name.get("create", 0) == 1  # one timesheet, one create

        third = engine.run()  # nothing changed on either side: no writes at all
        assert third.ok
        assert not {"create", "update", "delete"} & set(third.functions_by_name)
    app.close()


def test_the_example_is_rematched_without_writes_after_a_lost_store(tmp_path: Path) -> None:
    emulator = Emulator(demo_company(employees=3, projects=2, tasks_per_project=2, customers=2))
    app = _load().SqliteTimeApp(str(tmp_path / "timeapp.db"))
    with engine_client(emulator) as client:
        with SQLiteStateStore(tmp_path / "state.db") as store:
            first = Engine(client, app, store).run()
        created = sum(o.created for o in first.objects.values())
        assert created > 5
        changes = app.db.total_changes
        with SQLiteStateStore(tmp_path / "lost.db") as fresh:  # the old store is gone
            again = Engine(client, app, fresh).run()
        assert again.ok, again.format()
        assert sum(o.linked for o in again.objects.values()) == created
        assert sum(o.unchanged for o in again.objects.values()) == created
        assert sum(o.updated + o.created for o in again.objects.values()) == 0
        assert app.db.total_changes == changes  # nothing written to the app
    app.close()
