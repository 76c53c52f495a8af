# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Installations: every stamp and control id names who wrote it, so apps sharing a company
never adopt each other's records, and a lost state store adopts its own instead of
creating them again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    add_timesheets,
    app,
    client,
    emulator,
    live_timesheets,
    store,
)

from intacct_sdk import Client
from intacct_sdk.testing import Emulator
from timesync.engine import Engine, EngineOptions, PushOptions
from timesync.errors import ConfigurationError
from timesync.local import EntryInput, ReferenceApp
from timesync.store import SQLiteStateStore


class _Install:
    """One installation: its own local app and state store, on the shared company."""

    def __init__(self, folder: Path, client: Client, installation_id: str | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.client = client
        self.installation_id = installation_id
        self.app = ReferenceApp(folder / "app.db")
        self.store = SQLiteStateStore(folder / "state.db")

    def engine(self, **push: Any) -> Engine:
        return Engine(
            self.client,
            self.app,
            self.store,
            options=EngineOptions(
                push=PushOptions(target_state="Submitted", **push),
                installation_id=self.installation_id,
            ),
        )

    def lose_store(self) -> None:
        self.store.close()
        for f in self.folder.glob("state.db*"):
            f.unlink()
        self.store = SQLiteStateStore(self.folder / "state.db")

    def close(self) -> None:
        self.app.close()
        self.store.close()


@pytest.fixture
def installs(tmp_path: Path, client: Client) -> Iterator[list[_Install]]:
    made: list[_Install] = []

    def make(name: str, installation_id: str | None = None) -> _Install:
        made.append(_Install(tmp_path / name, client, installation_id))
        return made[-1]

    yield make  # type: ignore[misc]
    for one in made:
        one.close()


def _stamps(emulator: Emulator) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in emulator.company.records("TIMESHEET"):
        if rec.get("STATE") != "Declined" and rec.get("TIMESYNC_ID"):
            out.setdefault(str(rec["TIMESYNC_ID"]), []).append(rec)
    return out


def _hours(emulator: Emulator, record_no: Any) -> list[str]:
    return sorted(
        str(e.get("QTY"))
        for e in emulator.company.records("TIMESHEETENTRY")
        if str(e.get("TIMESHEETKEY")) == str(record_no)
    )


def test_stamps_and_control_ids_carry_the_installation_id(
    emulator: Emulator, installs: Any
) -> None:
    one = installs("one", "alpha")
    one.engine().run()
    ids = add_timesheets(one.app, 2)
    one.engine().run()
    assert sorted(_stamps(emulator)) == sorted(f"alpha:{i}" for i in ids)
    assert one.store.get_meta("installation_id") == "alpha"
    assert all(r.control_id.startswith("alpha.ts-") for r in one.store.outbox())


def test_two_installations_with_overlapping_local_ids_never_touch_each_others_records(
    emulator: Emulator, installs: Any
) -> None:
    a, b = installs("a", "app-a"), installs("b", "app-b")
    a.engine().run()
    b.engine().run()
    ids_a = add_timesheets(a.app, 3)
    ids_b = add_timesheets(b.app, 3)
    assert ids_a == ids_b  # both apps number their timesheets 1, 2, 3
    assert a.engine().run().objects["TIMESHEET"].created == 3
    report_b = b.engine().run()
    assert report_b.objects["TIMESHEET"].created == 3  # nothing of a's adopted
    assert report_b.objects["TIMESHEET"].recovered == 0
    before = _stamps(emulator)
    assert len(before) == 6 and all(len(v) == 1 for v in before.values())
    # b corrects one sheet and deletes another: only b's own records change
    week = date(2025, 1, 6)
    project, _, code = next(r for r in b.app.list_records("TASK") if r.active).key.partition("/")
    b.app.update_timesheet(ids_b[0], [EntryInput(week, Decimal("3"), project, code)])
    b.app.delete_timesheet(ids_b[1])
    b.engine().run()
    after = _stamps(emulator)
    for local_id in ids_a:
        [rec] = after[f"app-a:{local_id}"]
        assert rec == before[f"app-a:{local_id}"][0]
    assert f"app-b:{ids_b[1]}" not in after
    assert _hours(emulator, after[f"app-b:{ids_b[0]}"][0]["RECORDNO"]) == ["3"]


def test_a_lost_store_adopts_what_its_installation_wrote_and_creates_nothing_again(
    emulator: Emulator, installs: Any
) -> None:
    a = installs("a", "shop")
    a.engine().run()
    ids = add_timesheets(a.app, 3)
    a.engine().run()
    records = {k: v[0]["RECORDNO"] for k, v in _stamps(emulator).items()}
    week = date(2025, 1, 6)
    project, _, code = next(r for r in a.app.list_records("TASK") if r.active).key.partition("/")
    a.app.update_timesheet(ids[0], [EntryInput(week, Decimal("2.5"), project, code)])
    a.lose_store()
    report = a.engine().run()
    tally = report.objects["TIMESHEET"]
    assert tally.created == 0
    assert tally.recovered == 3
    assert any("the state store is new" in n and "already written" in n for n in report.notes)
    after = _stamps(emulator)
    assert {k: v[0]["RECORDNO"] for k, v in after.items()} == records  # same records
    assert all(len(v) == 1 for v in after.values())
    assert _hours(emulator, records[f"shop:{ids[0]}"]) == ["2.5"]  # the revision went up
    again = a.engine().run()
    assert again.objects["TIMESHEET"].updated == again.objects["TIMESHEET"].created == 0


def test_a_new_store_holds_its_creates_while_another_installations_stamps_are_there(
    emulator: Emulator, installs: Any
) -> None:
    old = installs("old")  # its id generated and kept only in its store
    old.engine().run()
    ids = add_timesheets(old.app, 3)
    old.engine().run()
    old_id = old.store.get_meta("installation_id")
    assert old_id
    old.lose_store()  # the same app, its store gone, no id in its configuration
    report = old.engine().run()
    assert report.objects["TIMESHEET"].created == 0
    [held] = [f for f in report.failures if f.key == "*installation"]
    assert repr(old_id) in held.message and "installation_id" in held.message
    assert old.engine().run().objects["TIMESHEET"].created == 0  # still held, and said
    assert len(_stamps(emulator)) == 3
    # the operator says who this app is: the next run adopts its records
    old.installation_id = old_id
    with pytest.raises(ConfigurationError, match="belongs to installation"):
        old.engine().run()  # the new store already took a generated id of its own
    old.lose_store()
    adopted = old.engine().run()
    assert adopted.objects["TIMESHEET"].created == 0
    assert adopted.objects["TIMESHEET"].recovered == 3
    assert not old.store.errors("TIMESHEET")
    assert all(len(v) == 1 for v in live_timesheets(emulator).values())
    assert sorted(live_timesheets(emulator)) == sorted(ids)


def test_a_second_app_confirms_itself_with_an_id_of_its_own(
    emulator: Emulator, installs: Any
) -> None:
    first = installs("first")
    first.engine().run()
    add_timesheets(first.app, 2)
    first.engine().run()
    second = installs("second")
    second.engine().run()
    add_timesheets(second.app, 2)
    assert second.engine().run().objects["TIMESHEET"].created == 0  # held
    second.lose_store()
    second.installation_id = "second-app"
    assert second.engine().run().objects["TIMESHEET"].created == 2
    assert len(_stamps(emulator)) == 4


def test_installation_ids_are_checked() -> None:
    for bad in ("", "a:b", "x" * 33, "-lead", "sp ace"):
        with pytest.raises(ConfigurationError, match="installation id"):
            EngineOptions(installation_id=bad)
    assert EngineOptions(installation_id="Shop_2-prod").installation_id == "Shop_2-prod"
