"""What a run costs on the wire: requests and functions, counted by the emulator.

The engine sends the first keyset page of every pulled object (and the read-back of push
rows left in flight) in ONE request, then asks for follow-up pages only for objects whose
first page said more records remain, the pages of independent objects in the same requests.
These tests hold it to the minimum.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.timesync.engine_fixtures import (
    DELETIONS,
    FAST_RETRY,
    FIRST_READS,
    FREQUENT,
    PULLED,
    add_timesheets,
    credentials,
    live_timesheets,
)

from intacct_sdk import Client, ClientOptions
from intacct_sdk.testing import Emulator, EmulatorResponse, NoFaults, RequestContext
from intacct_sdk.testing._seed import demo_company
from timesync.engine import Engine, EngineOptions, Hooks, Progress, PushOptions
from timesync.local import ReferenceApp
from timesync.store import OutboxState, SQLiteStateStore


class Recorder(NoFaults):
    """A fault injector that records which functions each request carried, and can fail
    one object's functions or refuse every request that carries several functions."""

    def __init__(self) -> None:
        self.requests: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
        self.fail_objects: set[str] = set()
        self.refuse_combined = False

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if self.refuse_combined and len(ctx.function_names) > 1:
            return EmulatorResponse(503, {"content-type": "text/plain"}, b"busy")
        return None

    def function_failure(
        self, ctx: RequestContext, function: str, object_name: str | None
    ) -> tuple[str, str] | None:
        self.requests[ctx.request_number].append((function, object_name))
        if object_name in self.fail_objects:
            return ("XL03000009", "injected failure")
        return None

    def data_requests(self, since: int = 0) -> list[list[tuple[str, str | None]]]:
        """Functions of every request after ``since``, logins left out."""
        return [
            calls
            for number, calls in sorted(self.requests.items())
            if number > since and calls != [("getAPISession", None)]
        ]


@contextmanager
def _engine(
    emulator: Emulator, folder: Path, *, first_login: bool = False, **options: Any
) -> Iterator[Engine]:
    """An engine on its own client (no cached session), app and store in ``folder``;
    ``first_login`` sends the client's first request with the user login."""
    folder.mkdir(parents=True, exist_ok=True)
    client_options = ClientOptions(
        unique_id=True, retry=FAST_RETRY, timezone=UTC, login_with_first_request=first_login
    )
    with ExitStack() as stack:
        client = stack.enter_context(
            Client(
                credentials(emulator),
                options=client_options,
                transport=emulator.transport(),
            )
        )
        app = stack.enter_context(ReferenceApp(folder / "app.db"))
        store = stack.enter_context(SQLiteStateStore(folder / "state.db"))
        yield Engine(
            client,
            app,
            store,
            options=EngineOptions(**options),
        )


def _state(engine: Engine) -> dict[str, Any]:
    """The local end state of a pull: local records, links and cursors per object."""
    out: dict[str, Any] = {}
    for obj in PULLED:
        out[obj] = (
            sorted((str(r.key), r.active) for r in engine.local.list_records(obj)),
            sorted(
                (lk.remote_key, lk.record_no, lk.content_hash, lk.active)
                for lk in engine.store.links(obj)
            ),
            engine.store.get_cursor(obj),
        )
    return out


def _company() -> Any:
    return demo_company(employees=12, projects=4, tasks_per_project=3, customers=4)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def emulator(recorder: Recorder) -> Emulator:
    return Emulator(_company(), faults=recorder)


def test_first_full_pull_of_the_demo_company_is_one_login_and_one_data_request(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    emulator = Emulator(demo_company(), faults=recorder)
    with _engine(emulator, tmp_path) as engine:
        report = engine.run(full=True)
    assert report.ok
    assert emulator.stats.http_requests == 2
    # two reads per object: its records with a WHENMODIFIED, and those without one (one
    # read of an object without a change cursor)
    assert emulator.stats.functions == {
        ("getAPISession", None): 1,
        **{("query", obj): FIRST_READS[obj] for obj in PULLED},
    }
    assert report.http_requests == 2  # the client counts its login too
    [calls] = recorder.data_requests()
    # sent in dependency order, applied in dependency order
    assert [obj for _, obj in calls] == [obj for obj in PULLED for _ in range(FIRST_READS[obj])]
    active = [r for r in emulator.company.records("EMPLOYEE") if r["STATUS"] == "active"]
    assert report.objects["EMPLOYEE"].created == len(active) > 0


def test_no_change_incremental_run_with_a_new_client_is_a_login_and_one_request(
    emulator: Emulator, recorder: Recorder, tmp_path: Path
) -> None:
    with _engine(emulator, tmp_path) as engine:
        engine.run()
    for lag in (timedelta(0), timedelta(days=3650)):
        start = emulator.stats.http_requests
        with _engine(emulator, tmp_path, lag=lag) as engine:
            report = engine.run()
        assert report.ok
        assert emulator.stats.http_requests - start == 2  # login + one data request
        assert [sorted(obj for _, obj in calls) for calls in recorder.data_requests(start)] == [
            sorted((*FREQUENT, DELETIONS))
        ]
        assert all(rep.created == rep.updated == 0 for rep in report.objects.values())


@pytest.mark.parametrize("page_size", [1, 3, 4, 7])
def test_follow_up_pages_only_for_objects_with_more_and_same_end_state(
    emulator: Emulator, recorder: Recorder, tmp_path: Path, page_size: int
) -> None:
    read: dict[str, int] = {}

    def progress(p: Progress) -> None:
        if p.phase == "pull":
            read[p.object_name] = p.done

    with _engine(emulator, tmp_path / "paged", page_size=page_size, progress=progress) as engine:
        report = engine.run()
        paged = _state(engine)
    assert report.ok
    queries = {obj: emulator.stats.functions[("query", obj)] for obj in PULLED}
    assert emulator.stats.functions[("query", DELETIONS)] == 1
    # numremaining says when a page is the last: no empty trailing page even when the
    # count is a multiple of the page size (plus one read of the records without a
    # WHENMODIFIED: there are none)
    assert queries == {
        obj: max(1, math.ceil(read[obj] / page_size)) + FIRST_READS[obj] - 1 for obj in PULLED
    }
    later = {obj: q - FIRST_READS[obj] for obj, q in queries.items()}
    # TASK waits for PROJECT; the others are independent and read their later pages
    # together, one page each a request: as many requests as the longest chain needs
    rounds = max(max(later.values()), later["PROJECT"] + later["TASK"])
    assert emulator.stats.http_requests == 1 + 1 + rounds
    first, *rest = recorder.data_requests()
    assert sorted(obj for _, obj in first) == sorted(
        [DELETIONS, *(o for o in PULLED for _ in range(FIRST_READS[o]))]
    )
    assert all(len({obj for _, obj in calls}) == len(calls) for calls in rest)
    assert sum(len(calls) for calls in rest) == sum(later.values())
    last_project = max(
        (i for i, calls in enumerate(rest) if ("query", "PROJECT") in calls), default=-1
    )
    assert all(i > last_project for i, calls in enumerate(rest) if ("query", "TASK") in calls)

    clean = Emulator(_company())
    with _engine(clean, tmp_path / "clean") as engine:
        assert engine.run().ok
        assert _state(engine) == paged


def test_a_failed_function_stops_only_its_object_and_the_next_run_catches_up(
    emulator: Emulator, recorder: Recorder, tmp_path: Path
) -> None:
    recorder.fail_objects = {"CUSTOMER"}
    with _engine(emulator, tmp_path) as engine:
        report = engine.run()
        assert emulator.stats.http_requests == 2
        assert [(f.object_name, f.key) for f in report.failures] == [("CUSTOMER", "*")]
        assert "injected failure" in report.failures[0].message
        assert engine.store.get_cursor("CUSTOMER") is None
        for obj in ("DEPARTMENT", "EMPLOYEE", "PROJECT", "TASK"):
            assert report.objects[obj].created > 0
            assert engine.store.get_cursor(obj) is not None
        assert not engine.local.list_records("CUSTOMER")

        recorder.fail_objects = set()
        again = engine.run()
        assert again.ok
        customers = {
            r["CUSTOMERID"] for r in emulator.company.records("CUSTOMER") if r["STATUS"] == "active"
        }
        assert again.objects["CUSTOMER"].created == len(customers)
        assert again.objects["EMPLOYEE"].created == 0
        assert again.http_requests == 1


def test_when_the_combined_request_fails_each_object_reads_on_its_own(
    emulator: Emulator, recorder: Recorder, tmp_path: Path
) -> None:
    recorder.refuse_combined = True
    with _engine(emulator, tmp_path / "refused") as engine:
        report = engine.run()
        refused = _state(engine)
    assert report.ok
    # the per-object fallback: one request per read, each alone
    assert recorder.data_requests() == [
        *([("query", obj)] for obj in PULLED for _ in range(FIRST_READS[obj])),
        [("query", DELETIONS)],
    ]
    with _engine(Emulator(_company()), tmp_path / "clean") as engine:
        engine.run()
        assert _state(engine) == refused


class _CrashAfterCreate(Hooks):
    """Raises while the outcome of a create is being committed: the write ran in Intacct,
    its outbox row stays in flight (as after a crash between the answer and the commit)."""

    def record_applied(self, object_name: str, key: str, action: str) -> None:
        if object_name == "TIMESHEET" and action == "create":
            raise RuntimeError("crash")


def test_read_back_of_rows_in_flight_rides_with_the_first_pages(
    emulator: Emulator, recorder: Recorder, tmp_path: Path
) -> None:
    with _engine(emulator, tmp_path) as engine:
        engine.run()
        assert isinstance(engine.local, ReferenceApp)
        ids = add_timesheets(engine.local, 3)
        engine.hooks = _CrashAfterCreate()
        with pytest.raises(RuntimeError):
            engine.run()
        in_flight = engine.store.outbox(states=[OutboxState.IN_FLIGHT])
        assert sorted(r.local_id for r in in_flight) == sorted(ids)
        assert sorted(live_timesheets(emulator)) == sorted(ids)

        engine.hooks = Hooks()
        start = emulator.stats.http_requests
        report = engine.run()
    assert report.ok
    assert report.objects["TIMESHEET"].recovered == 3
    assert report.objects["TIMESHEET"].created == 0
    assert all(len(recs) == 1 for recs in live_timesheets(emulator).values())
    # the read-back by stamp went in the same request as every object's first page
    assert [sorted(obj or "" for _, obj in calls) for calls in recorder.data_requests(start)] == [
        sorted((*FREQUENT, "TIMESHEET", DELETIONS))
    ]
    assert emulator.stats.http_requests - start == 1


def test_stamp_read_backs_go_in_one_request_however_many_batches_were_written(
    emulator: Emulator, recorder: Recorder, tmp_path: Path
) -> None:
    """A push of 23 timesheets in batches of 5 is five write requests and ONE read-back; a
    lost state store's read-back by stamp of all 23 rides with the first pages."""
    push = {"target_state": "Submitted", "batch_size": 5}
    who = {"installation_id": "shop", "push": PushOptions(**push)}  # type: ignore[arg-type]
    with _engine(emulator, tmp_path / "a", **who) as engine:
        engine.run()
        assert isinstance(engine.local, ReferenceApp)
        ids = add_timesheets(engine.local, 23)
        start = max(recorder.requests)
        report = engine.run()
        assert report.ok and report.objects["TIMESHEET"].created == 23
    sent = recorder.data_requests(start)
    writes = [calls for calls in sent if all(name == "create" for name, _ in calls)]
    assert [len(calls) for calls in writes] == [5, 5, 5, 5, 3]
    after = sent[sent.index(writes[-1]) + 1 :]
    assert after == [[("query", "TIMESHEET")]]  # every written record read back at once
    # the store is lost: each timesheet is read back by its stamp, all in the first request
    engine_dir = tmp_path / "a"
    for suffix in ("", "-wal", "-shm"):
        (engine_dir / f"state.db{suffix}").unlink(missing_ok=True)
    start = max(recorder.requests)
    with _engine(emulator, engine_dir, **who) as engine:
        report = engine.run()
    assert report.ok
    assert report.objects["TIMESHEET"].recovered == 23  # linked by stamp, not created again
    assert report.objects["TIMESHEET"].created == 0
    sent = recorder.data_requests(start)
    assert ("query", "TIMESHEET") in sent[0] and ("query", "EMPLOYEE") in sent[0]
    # the adopted Submitted records are brought up to date (updates), then read back once
    updates = [calls for calls in sent if all(name == "update" for name, _ in calls)]
    assert sum(len(calls) for calls in updates) == 23
    assert sent[sent.index(updates[-1]) + 1 :] == [[("query", "TIMESHEET")]]
    assert sorted(live_timesheets(emulator)) == sorted(ids)


def test_a_push_run_fetches_its_session_in_the_first_request_and_a_quiet_run_does_not(
    emulator: Emulator, recorder: Recorder, tmp_path: Path
) -> None:
    """With the login in the first request, a run that will write adds ``getAPISession`` to
    that request: the writes need no login request of their own (first request, the
    batches, one read-back). A run with nothing to write stays ONE request, no session."""
    push = {"target_state": "Submitted", "batch_size": 5}
    who = {"installation_id": "shop", "push": PushOptions(**push)}  # type: ignore[arg-type]
    folder = tmp_path / "a"
    with _engine(emulator, folder, first_login=True, **who) as engine:
        assert engine.run().ok
        assert isinstance(engine.local, ReferenceApp)
        add_timesheets(engine.local, 12)
    start, logins = emulator.stats.http_requests, recorder.requests.copy()
    with _engine(emulator, folder, first_login=True, **who) as engine:  # a new process
        report = engine.run()
    assert report.ok and report.objects["TIMESHEET"].created == 12
    sent = [calls for number, calls in sorted(recorder.requests.items()) if number > max(logins)]
    assert ("getAPISession", None) in sent[0] and ("query", "TIMESHEET") in sent[0]
    assert all(("getAPISession", None) not in calls for calls in sent[1:])
    assert emulator.stats.http_requests - start == 1 + math.ceil(12 / 5) + 1
    assert report.http_requests == 1 + math.ceil(12 / 5) + 1
    # nothing to write: one request, and it fetches no session
    start = emulator.stats.http_requests
    before = max(recorder.requests)
    with _engine(emulator, folder, first_login=True, **who) as engine:
        report = engine.run()
    assert report.ok and report.objects["TIMESHEET"].created == 0
    assert emulator.stats.http_requests - start == 1
    [only] = [calls for number, calls in recorder.requests.items() if number > before]
    assert ("getAPISession", None) not in only
