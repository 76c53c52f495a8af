"""Crash safety of the pull, end to end.

A ``timesync sync`` subprocess doing a multi-page first pull (3 records a page) from a
loopback emulator is killed with SIGKILL at chosen requests, before the request is handled
or after it was answered. Right after the kill, every object's links are exactly the links
an uninterrupted run makes for the records up to that object's cursor (the cursor is never
ahead of the applied data, and no data is ahead of the cursor). A rerun then converges to
the uninterrupted run's local state, with no duplicate local record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.timesync.engine_fixtures import FAST_RETRY, credentials
from tests.timesync.sync_process import Killer, finish_sync, start_sync, write_sync_config

from intacct_sdk import Client, ClientOptions
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._seed import demo_company
from intacct_sdk.testing._server import serve
from timesync.engine import Engine, EngineOptions
from timesync.local import ReferenceApp
from timesync.store import SQLiteStateStore

PULLED = ("DEPARTMENT", "LOCATION", "CLASS", "CUSTOMER", "EMPLOYEE", "PROJECT", "TASK")
PAGE_SIZE = 3


def _company() -> Any:
    return demo_company(employees=30, projects=8, tasks_per_project=3, customers=8)


def _position(emulator: Emulator, obj: str) -> dict[int, tuple[datetime, int]]:
    """(WHENMODIFIED, RECORDNO) of every Intacct record, by RECORDNO: the keyset order."""
    return {
        int(r["RECORDNO"]): (
            datetime.strptime(str(r["WHENMODIFIED"]), "%m/%d/%Y %H:%M:%S").replace(tzinfo=UTC),
            int(r["RECORDNO"]),
        )
        for r in emulator.company.records(obj)
    }


def _links(store: SQLiteStateStore, obj: str) -> set[tuple[str, int | None, str | None, bool]]:
    return {(lk.remote_key, lk.record_no, lk.content_hash, lk.active) for lk in store.links(obj)}


def _local(app: ReferenceApp, obj: str) -> list[tuple[str, bool]]:
    return sorted((str(r.key), r.active) for r in app.list_records(obj))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Links, local records and cursors of an uninterrupted run on a twin company."""
    folder = tmp_path_factory.mktemp("clean")
    emulator = Emulator(_company())
    with (
        Client(
            credentials(emulator),
            options=ClientOptions(unique_id=True, retry=FAST_RETRY, timezone=UTC),
            transport=emulator.transport(),
        ) as client,
        ReferenceApp(folder / "app.db") as app,
        SQLiteStateStore(folder / "state.db") as store,
    ):
        report = Engine(client, app, store, options=EngineOptions(page_size=PAGE_SIZE)).run()
        assert report.ok
        # the scenario is worth its name: most objects need several pages
        assert sum(emulator.stats.functions[("query", o)] > 1 for o in PULLED) >= 4
        return {
            obj: (_links(store, obj), _local(app, obj), store.get_cursor(obj)) for obj in PULLED
        }


@pytest.fixture
def loopback() -> Iterator[tuple[Emulator, Killer, str]]:
    killer = Killer()
    emulator = Emulator(_company(), faults=killer)
    with serve(emulator) as server:
        yield emulator, killer, server.url


# Request 1 is the login, 2 carries every object's first page; then follow-up pages (11
# requests in all: independent objects' later pages go together).
CRASH_POINTS = [(n, when) for n in (2, 3, 5, 7, 9, 11) for when in ("before", "after")]


@pytest.mark.slow
@pytest.mark.parametrize(("number", "when"), CRASH_POINTS)
def test_sigkill_during_a_multi_page_pull_then_rerun_converges(
    loopback: tuple[Emulator, Killer, str],
    clean: dict[str, Any],
    tmp_path: Path,
    number: int,
    when: str,
) -> None:
    emulator, killer, url = loopback
    cfg = write_sync_config(tmp_path, url, emulator)
    with cfg.open("a", encoding="utf-8") as f:
        f.write(f"\n[engine]\npage_size = {PAGE_SIZE}\n")

    killer.kill_sync(cfg, number, when)

    with SQLiteStateStore(tmp_path / "state.db") as store:
        for obj in PULLED:
            links, _, _ = clean[obj]
            cursor = store.get_cursor(obj)
            if cursor is None:
                assert _links(store, obj) == set(), obj
                continue
            assert cursor.modified is not None
            position = _position(emulator, obj)
            upto = {lk for lk in links if position[lk[1]] <= (cursor.modified, cursor.record_no)}
            # exactly what was applied: never a cursor ahead of the data, nor data ahead
            assert _links(store, obj) == upto, obj

    code, out = finish_sync(start_sync(cfg))
    assert code == 0, out
    with (
        SQLiteStateStore(tmp_path / "state.db") as store,
        ReferenceApp(tmp_path / "app.db") as app,
    ):
        for obj in PULLED:
            links, local, cursor = clean[obj]
            keys = [key for key, _ in _local(app, obj)]
            assert len(keys) == len(set(keys)), f"duplicate local {obj}"
            assert _local(app, obj) == local, obj
            assert _links(store, obj) == links, obj
            assert store.get_cursor(obj) == cursor, obj
