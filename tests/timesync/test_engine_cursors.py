# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Change cursors end to end: objects without WHENMODIFIED, records without one, late commits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.testing.emu_helpers import Clock
from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    DELETIONS,
    FAST_RETRY,
    FREQUENT,
    EngineFactory,
    app,
    client,
    emulator,
    engine_client,
    make_engine,
    store,
)

from intacct_sdk import Client
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._seed import demo_company
from timesync.engine import Engine, EngineOptions
from timesync.errors import ConfigurationError
from timesync.local import ReferenceApp
from timesync.store import Cursor, SQLiteStateStore


def _company() -> Any:
    return demo_company(employees=12, projects=4, tasks_per_project=3, customers=4)


@pytest.fixture
def clock() -> Clock:
    moving = Clock()
    moving.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # after every seeded change
    return moving


def _keys(app: ReferenceApp, obj: str, *, active: bool = True) -> set[str]:
    return {str(r.key) for r in app.list_records(obj) if r.active == active}


def _reads(emulator: Emulator) -> Callable[[], dict[str, int]]:
    """A function returning the ``query`` functions sent per object since it was made."""
    before = dict(emulator.stats.functions)

    def reads() -> dict[str, int]:
        out = {}
        for (fn, obj), n in emulator.stats.functions.items():
            if fn == "query" and n - before.get((fn, obj), 0):
                out[str(obj)] = n - before.get((fn, obj), 0)
        return out

    return reads


@contextmanager
def _on_one_clock(
    emulator: Emulator, clock: Clock, tmp_path: Path
) -> Iterator[tuple[Client, ReferenceApp, Engine]]:
    """A client, an app and an engine whose clock is the emulator's."""
    with (
        engine_client(emulator) as client,
        ReferenceApp(tmp_path / "app.db") as app,
        SQLiteStateStore(tmp_path / "state.db") as store,
    ):
        yield client, app, Engine(client, app, store, options=EngineOptions(clock=clock))


def _stamp(when: datetime) -> str:
    return when.strftime("%m/%d/%Y %H:%M:%S")


def _newest(emulator: Emulator, obj: str) -> datetime:
    return max(
        datetime.strptime(str(r["WHENMODIFIED"]), "%m/%d/%Y %H:%M:%S")
        for r in emulator.company.records(obj)
        if r.get("WHENMODIFIED")
    )


def test_time_types_have_no_change_cursor_and_are_read_whole_by_the_periodic_pass(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, clock: Clock
) -> None:
    engine = make_engine(clock=clock)
    first = engine.run()
    assert first.ok, first.failures
    active = {r["NAME"] for r in emulator.company.records("TIMETYPE") if r["STATUS"] == "active"}
    assert active and _keys(app, "TIMETYPE") == active
    assert _keys(app, "PROJECTTYPE"), "project types are pulled by default too"

    emulator.company.insert("TIMETYPE", {"NAME": "Jury duty", "STATUS": "active"})
    gone = sorted(active)[0]
    [row] = [r for r in emulator.company.records("TIMETYPE") if r["NAME"] == gone]
    emulator.company.update("TIMETYPE", int(row["RECORDNO"]), {"STATUS": "inactive"})
    emulator.company.insert("PROJECTTYPE", {"NAME": "Retainer", "STATUS": "active"})

    clock.advance(minutes=10)
    reads = _reads(emulator)
    frequent = engine.run()
    assert "TIMETYPE" not in reads(), "no change cursor: nothing to read between snapshots"
    assert "Jury duty" not in _keys(app, "TIMETYPE")
    assert frequent.objects["PROJECTTYPE"].created == 1, "PROJECTTYPE has a change cursor"

    clock.advance(hours=1)
    reads = _reads(emulator)
    periodic = engine.run()
    assert reads()["TIMETYPE"] == 1
    assert periodic.objects["TIMETYPE"].created == 1
    assert periodic.objects["TIMETYPE"].inactivated == 1
    assert _keys(app, "TIMETYPE") == (active - {gone}) | {"Jury duty"}
    assert gone in _keys(app, "TIMETYPE", active=False)


def test_a_change_that_becomes_visible_late_is_caught_by_the_periodic_wide_reread(
    make_engine: EngineFactory, emulator: Emulator, app: ReferenceApp, clock: Clock
) -> None:
    engine = make_engine(clock=clock)
    cursor = _newest(emulator, "EMPLOYEE")
    # the first run reads ten minutes after the newest change (the emulated user's zone is UTC)
    clock.now = cursor.replace(tzinfo=UTC) + timedelta(minutes=10)
    engine.run()
    # committed 30 minutes before the newest change the engine saw, visible only now: later
    # than the lag allows (so the frequent pass misses it), within the periodic window
    emulator.company.insert(
        "EMPLOYEE",
        {
            "EMPLOYEEID": "E-LATE",
            "PERSONALINFO": {"CONTACTNAME": "Late, Lena"},
            "WHENCREATED": _stamp(cursor - timedelta(minutes=30)),
            "WHENMODIFIED": _stamp(cursor - timedelta(minutes=30)),
        },
    )
    clock.advance(minutes=15)
    frequent = engine.run()
    assert frequent.object("EMPLOYEE").created == 0, "older than the cursor less the lag"
    assert "E-LATE" not in _keys(app, "EMPLOYEE")

    clock.advance(hours=1)
    requests = emulator.stats.http_requests
    periodic = engine.run()
    assert periodic.object("EMPLOYEE").created == 1
    assert "E-LATE" in _keys(app, "EMPLOYEE")
    assert emulator.stats.http_requests - requests == 1, "the wide re-read is in the one request"
    # what the window read again was already applied: recognised by hash, not written
    assert periodic.objects["EMPLOYEE"].updated == 0
    assert all(
        rep.updated == rep.created == 0 for n, rep in periodic.objects.items() if n != "EMPLOYEE"
    )


def test_a_commit_hidden_by_eventual_consistency_is_caught_by_the_periodic_pass(
    clock: Clock, tmp_path: Path
) -> None:
    """The emulator's late visibility, on one clock shared with the engine: a change made at
    t stays invisible until t + 20 minutes while a later change is seen at once, so the
    frequent pass moves its cursor past the hidden one; the periodic pass finds it."""
    emulator = Emulator(_company(), clock=clock)
    with _on_one_clock(emulator, clock, tmp_path) as (client, app, engine):
        engine.run()
        hidden, seen = sorted(
            r["EMPLOYEEID"] for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active"
        )[:2]
        clock.advance(minutes=1)
        with emulator.company.invisible_until(clock.now + timedelta(minutes=20)):
            client.update("EMPLOYEE", [{"EMPLOYEEID": hidden, "TITLE": "Hidden for a while"}])
        clock.advance(minutes=4)
        client.update("EMPLOYEE", [{"EMPLOYEEID": seen, "TITLE": "Seen at once"}])
        clock.advance(minutes=1)
        assert engine.run().objects["EMPLOYEE"].updated == 1
        clock.advance(minutes=30)  # the hidden change is visible now, behind the cursor
        assert engine.run().objects["EMPLOYEE"].updated == 0, "beyond the frequent pass's lag"
        clock.advance(hours=1)
        periodic = engine.run()
        assert periodic.objects["EMPLOYEE"].updated == 1
        assert _title(app, hidden) == "Hidden for a while"


def test_a_rerun_reads_again_only_what_the_lag_leaves_unsettled(
    clock: Clock, tmp_path: Path
) -> None:
    """One clock for the engine and the emulator. A change committed just before a read but
    not yet visible to it is caught by the next frequent pass (it is within the lag of that
    read); once a read began more than the lag after every change, a rerun reads nothing
    again, however many records share the cursor's instant."""
    emulator = Emulator(_company(), clock=clock)
    with _on_one_clock(emulator, clock, tmp_path) as (client, app, engine):
        engine.run()
        keys = sorted(
            r["EMPLOYEEID"] for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active"
        )
        clock.advance(minutes=10)
        late, *rest = keys
        # everything changed at one instant; one change is seen only 90 seconds later
        client.update("EMPLOYEE", [{"EMPLOYEEID": k, "TITLE": "Same instant"} for k in rest])
        with emulator.company.invisible_until(clock.now + timedelta(seconds=90)):
            client.update("EMPLOYEE", [{"EMPLOYEEID": late, "TITLE": "Seen late"}])
        clock.advance(seconds=30)
        first = engine.run()
        assert first.object("EMPLOYEE").updated == len(rest), "the late change is not seen yet"
        assert _title(app, late) != "Seen late"

        clock.advance(minutes=5)
        second = engine.run()
        assert second.object("EMPLOYEE").updated == 1, "within the lag of the last read"
        assert _title(app, late) == "Seen late"
        assert second.object("EMPLOYEE").unchanged == len(rest), "the lag was read again"

        clock.advance(minutes=5)
        requests = emulator.stats.http_requests
        third = engine.run()
        assert third.ok
        assert emulator.stats.http_requests - requests == 1
        quiet = third.object("EMPLOYEE")
        assert quiet.updated == quiet.unchanged == quiet.created == 0, (
            "settled: read from the cursor"
        )


def _title(app: ReferenceApp, key: str) -> str:
    [rec] = [r for r in app.list_records("EMPLOYEE") if r.key == key]
    row = app._conn.execute("SELECT title FROM people WHERE id = ?", (int(rec.local_id),))
    return str(row.fetchone()[0])


def test_a_periodic_pass_with_nothing_changed_is_one_request(
    make_engine: EngineFactory, emulator: Emulator, clock: Clock
) -> None:
    engine = make_engine(clock=clock)
    engine.run()
    clock.advance(hours=2)
    requests = emulator.stats.http_requests
    reads = _reads(emulator)
    report = engine.run()
    assert report.ok
    assert emulator.stats.http_requests - requests == 1
    # each object with a change cursor: its wide re-read and its records without a
    # WHENMODIFIED; each object without one: its snapshot
    assert reads() == {
        DELETIONS: 1,
        **{obj: 2 if obj in FREQUENT else 1 for obj in engine.options.pull_objects},
    }
    assert all(
        rep.created == rep.updated == rep.inactivated == 0 for rep in report.objects.values()
    )
    clock.advance(minutes=5)
    reads = _reads(emulator)
    engine.run()
    assert reads() == dict.fromkeys((*FREQUENT, DELETIONS), 1), "a frequent pass again"


def test_records_without_whenmodified_are_pulled_through_whencreated(
    make_engine: EngineFactory,
    client: Client,
    emulator: Emulator,
    app: ReferenceApp,
    store: SQLiteStateStore,
    clock: Clock,
) -> None:
    undated: dict[str, Any] = {
        "EMPLOYEEID": "E-UNDATED",
        "PERSONALINFO": {"CONTACTNAME": "Undated, Una"},
        "WHENMODIFIED": None,
    }
    emulator.company.insert("EMPLOYEE", undated)
    engine = make_engine(clock=clock, page_size=2)  # several pages of records with a date
    engine.run()
    assert "E-UNDATED" in _keys(app, "EMPLOYEE"), "a first run reads them too"

    emulator.company.insert("EMPLOYEE", {**undated, "EMPLOYEEID": "E-UNDATED-2"})
    clock.advance(minutes=5)
    engine.run()
    assert "E-UNDATED-2" not in _keys(app, "EMPLOYEE"), "found by the periodic pass"
    clock.advance(hours=1)
    report = engine.run()
    assert report.objects["EMPLOYEE"].created == 1
    assert "E-UNDATED-2" in _keys(app, "EMPLOYEE")
    assert store.get_cursor("EMPLOYEE:created") is not None
    # once changed it has a WHENMODIFIED, and the frequent pass sees the change
    client.update("EMPLOYEE", [{"EMPLOYEEID": "E-UNDATED-2", "TITLE": "Dated now"}])
    clock.advance(minutes=5)
    assert engine.run().objects["EMPLOYEE"].updated == 1


def _record_no(emulator: Emulator, obj: str, field: str, key: str) -> int:
    [row] = [r for r in emulator.company.records(obj) if r[field] == key]
    return int(row["RECORDNO"])


def test_deletions_are_seen_incrementally_in_the_audit_trail(
    make_engine: EngineFactory,
    client: Client,
    emulator: Emulator,
    app: ReferenceApp,
    clock: Clock,
) -> None:
    engine = make_engine(clock=clock)
    engine.run()
    customer = sorted(_keys(app, "CUSTOMER"))[0]
    project = sorted(_keys(app, "PROJECT"))[0]
    tasks = {t for t in _keys(app, "TASK") if t.startswith(f"{project}/")}
    assert tasks
    client.delete("CUSTOMER", [_record_no(emulator, "CUSTOMER", "CUSTOMERID", customer)])
    # deleted in Intacct's UI, with its tasks
    for task in tasks:
        emulator.company.delete(
            "TASK",
            next(
                int(r["RECORDNO"])
                for r in emulator.company.records("TASK")
                if f"{r['PROJECTID']}/{r['TASKID']}" == task
            ),
        )
    emulator.company.delete("PROJECT", _record_no(emulator, "PROJECT", "PROJECTID", project))
    clock.advance(minutes=5)
    requests = emulator.stats.http_requests
    reads = _reads(emulator)
    report = engine.run()
    assert report.ok, report.failures
    assert emulator.stats.http_requests - requests == 1, "the trail is read with the first pages"
    assert reads()[DELETIONS] == 1
    assert report.objects["CUSTOMER"].inactivated == 1
    assert report.objects["PROJECT"].inactivated == 1
    assert report.objects["TASK"].inactivated == len(tasks)
    assert customer in _keys(app, "CUSTOMER", active=False)
    assert project in _keys(app, "PROJECT", active=False)
    assert tasks <= _keys(app, "TASK", active=False)
    again = engine.run()
    assert all(rep.inactivated == 0 for rep in again.objects.values()), "read again: no-op"


def test_without_permission_for_the_audit_trail_the_report_says_so_once_and_full_runs_sweep(
    make_engine: EngineFactory,
    client: Client,
    emulator: Emulator,
    app: ReferenceApp,
    clock: Clock,
) -> None:
    emulator.denied_objects = {"AUDITHISTORY"}
    engine = make_engine(clock=clock)
    first = engine.run()
    assert first.ok, first.failures
    [note] = [n for n in first.notes if "AUDITHISTORY" in n]
    assert "PL04000005" in note and "full runs" in note
    customer = sorted(_keys(app, "CUSTOMER"))[0]
    client.delete("CUSTOMER", [_record_no(emulator, "CUSTOMER", "CUSTOMERID", customer)])
    clock.advance(minutes=5)
    reads = _reads(emulator)
    later = engine.run()
    assert DELETIONS not in reads(), "not asked again until the periodic pass"
    assert [n for n in later.notes if "AUDITHISTORY" in n] == [note]
    assert customer in _keys(app, "CUSTOMER")
    assert engine.run(full=True).objects["CUSTOMER"].inactivated == 1
    # granted later: the periodic pass tries the trail again and the note goes away
    emulator.denied_objects = set()
    clock.advance(hours=2)
    granted = engine.run()
    assert not [n for n in granted.notes if "AUDITHISTORY" in n]


def _zoned_engine(
    emulator: Emulator, folder: Path, timezone: Any, **options: Any
) -> tuple[Engine, Client]:
    client = engine_client(emulator, timezone=timezone)
    app = ReferenceApp(folder / "app.db")
    store = SQLiteStateStore(folder / "state.db")
    return Engine(client, app, store, options=EngineOptions(**options)), client


def test_the_engine_refuses_to_guess_the_api_users_time_zone(
    emulator: Emulator, tmp_path: Path
) -> None:
    engine, client = _zoned_engine(emulator, tmp_path, None)
    with client, pytest.raises(ConfigurationError, match=r"time zone is unknown.*timezone"):
        engine.run()
    assert engine.store.runs() == [], "refused before anything is recorded"
    assert emulator.stats.http_requests == 0


@pytest.mark.parametrize("timezone", ["America/New_York", "discover"])
def test_cursors_are_stored_in_utc_for_a_user_in_another_zone(
    tmp_path: Path, clock: Clock, timezone: str
) -> None:
    emulator = Emulator(_company(), clock=clock, user_timezone="America/New_York")
    engine, client = _zoned_engine(emulator, tmp_path, timezone, clock=clock, lag=timedelta(0))
    with client:
        first = engine.run()
        assert first.ok
        # the login, then (when discovering) the user's preferences: two requests, counted
        assert first.http_requests == (4 if timezone == "discover" else 2)
        newest = _newest(emulator, "EMPLOYEE").replace(tzinfo=UTC)  # the company keeps UTC
        cursor = engine.store.get_cursor("EMPLOYEE")
        assert cursor is not None and cursor.modified is not None
        assert cursor.modified.utcoffset() == timedelta(0)
        assert cursor.modified == newest
        # a change right after the cursor is read, and only it (the filter was written in
        # the user's zone: five hours off, it would read everything or nothing)
        clock.now = newest + timedelta(seconds=1)
        emp = next(r for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active")
        client.update("EMPLOYEE", [{"EMPLOYEEID": emp["EMPLOYEEID"], "TITLE": "Zoned"}])
        clock.advance(minutes=1)
        report = engine.run()
        assert report.objects["EMPLOYEE"].updated == 1
        assert report.objects["EMPLOYEE"].unchanged == 0


def test_a_cursor_stored_naive_is_read_as_the_users_wall_time(tmp_path: Path, clock: Clock) -> None:
    """Cursors stored before they were kept in UTC held the gateway's text: wall time in the
    API user's zone."""
    emulator = Emulator(_company(), clock=clock, user_timezone="America/New_York")
    engine, client = _zoned_engine(
        emulator, tmp_path, "America/New_York", clock=clock, lag=timedelta(0)
    )
    with client:
        engine.run()
        newest = _newest(emulator, "EMPLOYEE").replace(tzinfo=UTC)
        wall = newest.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
        engine.store.set_cursor(Cursor("EMPLOYEE", wall, 10**9))
        clock.advance(minutes=5)
        report = engine.run()
        assert report.object("EMPLOYEE").unchanged == 0, "read from the same instant"
        stored = engine.store.get_cursor("EMPLOYEE")
        assert stored is not None and stored.modified == newest
