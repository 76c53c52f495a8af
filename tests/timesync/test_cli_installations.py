"""Black-box: ``timesync sync`` processes on real files, against one loopback emulator.

Two installations whose local ids overlap never touch each other's timesheets; the run lock
lives in the state database, so deleting files beside it lets no second run in; and a state
store deleted in the middle of a run duplicates nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.timesync.engine_fixtures import add_timesheets, live_timesheets
from tests.timesync.sync_process import finish_sync, start_sync, write_sync_config

from intacct_sdk.testing import Emulator, EmulatorResponse, NoFaults, RequestContext
from intacct_sdk.testing._seed import demo_company
from intacct_sdk.testing._server import serve
from timesync.local import ReferenceApp

pytestmark = pytest.mark.slow


class Gate(NoFaults):
    """Holds one request (before it is handled) until the test opens the gate."""

    def __init__(self) -> None:
        self.at: int | None = None
        self.reached = threading.Event()
        self.opened = threading.Event()

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if ctx.request_number == self.at:
            self.reached.set()
            self.opened.wait(timeout=120)
        return None


@pytest.fixture
def loopback() -> Iterator[tuple[Emulator, Gate, str]]:
    gate = Gate()
    emulator = Emulator(
        demo_company(employees=8, projects=6, tasks_per_project=3, customers=4), faults=gate
    )
    with serve(emulator) as server:
        yield emulator, gate, server.url
        gate.opened.set()


def _config(folder: Path, url: str, emulator: Emulator, installation: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cfg = write_sync_config(folder, url, emulator)
    if installation is not None:
        text = cfg.read_text(encoding="utf-8").replace(
            'path = "state.db"\n', f'path = "state.db"\ninstallation_id = "{installation}"\n'
        )
        cfg.write_text(text, encoding="utf-8")
    return cfg


def _sync(cfg: Path, *extra: str) -> tuple[int, str]:
    return finish_sync(start_sync(cfg, *extra))


def _stamps(emulator: Emulator) -> list[str]:
    return sorted(
        str(r["TIMESYNC_ID"])
        for r in emulator.company.records("TIMESHEET")
        if r.get("TIMESYNC_ID") and r.get("STATE") != "Declined"
    )


def test_two_installations_on_one_company_keep_to_their_own_timesheets(
    loopback: tuple[Emulator, Gate, str], tmp_path: Path
) -> None:
    emulator, _, url = loopback
    first = _config(tmp_path / "first", url, emulator)
    second = _config(tmp_path / "second", url, emulator)
    for cfg in (first, second):
        assert _sync(cfg)[0] == 0
    apps = {}
    for cfg in (first, second):
        with ReferenceApp(cfg.parent / "app.db") as app:
            apps[cfg] = add_timesheets(app, 4)
    assert apps[first] == apps[second]  # the same local ids on both sides
    code, out = _sync(first)
    assert code == 0, out
    mine = _stamps(emulator)
    assert len(mine) == 4
    # the second app has never pushed and its id was generated: it holds its creates
    code, out = _sync(second)
    assert code == 1, out
    assert "installation" in out and "held" in out
    assert _stamps(emulator) == mine
    # the operator names the second app: it pushes its own four, the first's stay as they are
    second = _config(tmp_path / "second-named", url, emulator, installation="second-app")
    (tmp_path / "second" / "app.db").rename(tmp_path / "second-named" / "app.db")
    code, out = _sync(second)
    assert code == 0, out
    stamps = _stamps(emulator)
    assert len(stamps) == 8 and set(mine) <= set(stamps)
    assert sum(s.startswith("second-app:") for s in stamps) == 4


def test_the_run_lock_is_the_database_and_deleting_lock_files_lets_no_run_in(
    loopback: tuple[Emulator, Gate, str], tmp_path: Path
) -> None:
    emulator, gate, url = loopback
    cfg = _config(tmp_path, url, emulator)
    assert _sync(cfg)[0] == 0
    with ReferenceApp(tmp_path / "app.db") as app:
        ids = add_timesheets(app, 8)
    gate.at = emulator.stats.http_requests + 3  # inside the push
    running = start_sync(cfg, "--object", "TIMESHEET")
    try:
        assert gate.reached.wait(timeout=60)
        for lock_file in tmp_path.glob("*.lock"):
            lock_file.unlink()
        code, out = _sync(cfg, "--object", "TIMESHEET")
        assert code == 2, out
        assert "another sync run holds the lock" in out and "state.db" in out
    finally:
        gate.opened.set()
    code, out = finish_sync(running)
    assert code == 0, out
    live = live_timesheets(emulator)
    assert sorted(live, key=int) == ids and all(len(v) == 1 for v in live.values())


def test_a_state_store_deleted_during_a_run_duplicates_nothing(
    loopback: tuple[Emulator, Gate, str], tmp_path: Path
) -> None:
    emulator, gate, url = loopback
    cfg = _config(tmp_path, url, emulator, installation="shop")
    assert _sync(cfg)[0] == 0
    with ReferenceApp(tmp_path / "app.db") as app:
        ids = add_timesheets(app, 8)
    gate.at = emulator.stats.http_requests + 4  # two create batches landed, the third held
    running = start_sync(cfg, "--object", "TIMESHEET")
    outputs: list[Any] = []
    try:
        assert gate.reached.wait(timeout=60)
        for f in tmp_path.glob("state.db*"):
            f.unlink()  # the operator "cleans up"
        outputs.append(_sync(cfg, "--object", "TIMESHEET"))  # a new store, the same identity
    finally:
        gate.opened.set()
    outputs.append(finish_sync(running))
    code, out = outputs[0]
    assert code in (0, 1), out
    stopped_code, stopped = outputs[1]
    assert stopped_code in (0, 1, 2), stopped
    for _ in range(2):
        code, out = _sync(cfg, "--object", "TIMESHEET")
    assert code == 0, out
    live = live_timesheets(emulator)
    assert sorted(live, key=int) == ids  # nothing lost
    assert all(len(v) == 1 for v in live.values()), live  # nothing created twice
