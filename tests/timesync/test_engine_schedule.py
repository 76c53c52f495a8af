"""The pull's dependency graph: which objects wait for which, and independent objects' later
pages in the same requests (counted by the emulator), with the property that every record
arrives exactly once and no object starts before what it depends on is complete."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.timesync.engine_fixtures import PULLED
from tests.timesync.test_engine_requests import Recorder, _engine

from intacct_sdk import IntacctError
from intacct_sdk.testing import Emulator
from intacct_sdk.testing._seed import demo_company
from timesync.engine._schedule import pull_all, pull_dependencies
from timesync.mapping import FieldMap, default_specs

# ------------------------------------------------------------------ the graph, from the specs


def test_the_default_specs_make_task_wait_for_project_and_nothing_else_wait() -> None:
    depends = pull_dependencies(dict(default_specs()), PULLED)
    assert depends["TASK"] == ("PROJECT",)
    assert all(not deps for obj, deps in depends.items() if obj != "TASK")


def test_a_required_reference_to_an_earlier_object_is_a_dependency() -> None:
    specs = dict(default_specs())
    specs["EMPLOYEE"] = specs["EMPLOYEE"].with_fields(
        FieldMap(local="department_key", remote="DEPARTMENTID", required=True)
    )
    # an optional reference is a value kept as read; a required one makes a record belong
    specs["PROJECT"] = specs["PROJECT"].with_fields(
        FieldMap(local="customer_key", remote="CUSTOMERID", required=True)
    )
    depends = pull_dependencies(specs, PULLED)
    assert depends["EMPLOYEE"] == ("DEPARTMENT",)
    assert depends["PROJECT"] == ("CUSTOMER",)
    assert depends["TASK"] == ("PROJECT",)
    # only earlier objects count: the graph never has a cycle
    backwards = pull_dependencies(specs, ("TASK", "PROJECT"))
    assert backwards == {"TASK": (), "PROJECT": ()}


def test_a_spec_that_shows_no_field_maps_waits_for_every_object_before_it() -> None:
    @attrs.frozen
    class Bare:
        object_name: str
        key_field: str = "ID"

    specs: dict[str, Any] = {**default_specs(), "WIDGET": Bare("WIDGET")}
    depends = pull_dependencies(specs, ("EMPLOYEE", "PROJECT", "WIDGET"))
    assert depends["WIDGET"] == ("EMPLOYEE", "PROJECT")


# ------------------------------------------------------------- requests, on the emulator


def _shapes(recorder: Recorder) -> list[list[tuple[str, int]]]:
    return [
        sorted(Counter(o or "" for _, o in calls).items()) for calls in recorder.data_requests()
    ]


def test_later_pages_of_independent_objects_share_requests(tmp_path: Path) -> None:
    """40 employees (8 pages of 5), 9 active projects (2 pages), 30 tasks (6 pages): one
    request of first pages, then EMPLOYEE's 7 later pages, PROJECT's 1 beside the first
    and TASK's 5 beside the next five (TASK starts when PROJECT is complete)."""
    recorder = Recorder()
    company = demo_company(employees=40, projects=10, tasks_per_project=3, customers=4)
    emulator = Emulator(company, faults=recorder)
    with _engine(emulator, tmp_path, page_size=5) as engine:
        report = engine.run()
    assert report.ok
    assert report.objects["EMPLOYEE"].created == 40
    assert emulator.stats.functions[("query", "EMPLOYEE")] == 8 + 1  # (+ empty WHENMODIFIED)
    assert emulator.stats.functions[("query", "PROJECT")] == 2 + 1
    assert emulator.stats.functions[("query", "TASK")] == 6 + 1
    first, *rest = _shapes(recorder)
    assert ("AUDITHISTORY", 1) in first and ("TASK", 2) in first
    assert rest == [
        [("EMPLOYEE", 1), ("PROJECT", 1)],
        *[[("EMPLOYEE", 1), ("TASK", 1)]] * 5,
        [("EMPLOYEE", 1)],
    ]
    assert report.http_requests == emulator.stats.http_requests == 1 + 1 + 7
    # one page per object per request: never more pages in hand than the first request's


def test_a_failed_object_stops_its_dependants_only_and_the_next_run_catches_up(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    company = demo_company(employees=40, projects=10, tasks_per_project=3, customers=4)
    emulator = Emulator(company, faults=recorder)
    recorder.fail_objects = {"PROJECT"}
    with _engine(emulator, tmp_path, page_size=5) as engine:
        report = engine.run()
        failures = {(f.object_name, f.key): f.message for f in report.failures}
        assert set(failures) == {("PROJECT", "*"), ("TASK", "*")}
        assert "injected failure" in failures[("PROJECT", "*")]
        assert failures[("TASK", "*")] == "not pulled: PROJECT failed this run"
        assert report.objects["EMPLOYEE"].created == 40
        assert engine.store.get_cursor("EMPLOYEE") is not None
        assert engine.store.get_cursor("TASK") is None
        assert not engine.local.list_records("TASK")
        # no TASK page after its first (which rode in the first request)
        assert all(("query", "TASK") not in calls for calls in recorder.data_requests()[1:])

        recorder.fail_objects = set()
        again = engine.run()
    assert again.ok
    assert again.objects["TASK"].created == 12
    assert again.objects["EMPLOYEE"].created == 0


# ------------------------------------------------------------------ the property, on fakes


class _Boom(IntacctError):
    pass


@attrs.define
class _Server:
    """Serves pages of ``size`` records per object; counts requests."""

    sizes: dict[str, int]
    page: int
    limit: int
    requests: list[list[str]] = attrs.field(factory=list)

    def page_of(self, name: str, at: int) -> list[tuple[str, int]]:
        return [(name, i) for i in range(at, min(at + self.page, self.sizes[name]))]


@attrs.define
class _Ctx:
    server: _Server
    failures: list[tuple[str, str, str]] = attrs.field(factory=list)
    settled_objects: list[str] = attrs.field(factory=list)

    @property
    def client(self) -> Any:
        return attrs.make_class("C", {"options": attrs.field()})(
            attrs.make_class("O", {"max_functions_per_request": attrs.field()})(self.server.limit)
        )

    def execute(self, queries: Sequence[Any], *, fallback: bool = False) -> list[Any]:
        assert len(queries) <= self.server.limit
        names = [name for name, _ in queries]
        assert len(set(names)) == len(names), "one page per object per request"
        self.server.requests.append(names)
        return [self.server.page_of(name, at) for name, at in queries]

    def fail(self, name: str, key: str, message: str) -> None:
        self.failures.append((name, key, message))

    def settled(self, name: str) -> None:
        self.settled_objects.append(name)


@attrs.define
class _FakePull:
    name: str
    size: int
    page: int
    depends: tuple[str, ...]
    fail_at: int | None
    world: dict[str, Any]

    def reads(self, prefetched: Sequence[Any] | None = None) -> Generator[Any, Any, bool]:
        complete: set[str] = self.world["complete"]
        assert all(d in complete for d in self.depends), f"{self.name} started early"
        self.world["started"].append(self.name)
        at = 0
        records = list(prefetched[0]) if prefetched else (yield (self.name, 0))
        while True:
            if self.fail_at is not None and at >= self.fail_at:
                raise _Boom(f"{self.name} failed")
            self.world["received"].extend(records)
            at += len(records)
            if len(records) < self.page:
                return True
            records = yield (self.name, at)

    def finish(self, complete: bool, prefetched: Sequence[Any] | None = None) -> None:
        assert complete
        self.world["complete"].add(self.name)


@st.composite
def _runs(draw: st.DrawFn) -> tuple[list[_FakePull], _Server, bool]:
    n = draw(st.integers(1, 6))
    page = draw(st.integers(1, 4))
    world: dict[str, Any] = {"complete": set(), "started": [], "received": []}
    names = [f"O{i}" for i in range(n)]
    pulls = []
    for i, name in enumerate(names):
        deps = tuple(draw(st.lists(st.sampled_from(names[:i]), unique=True))) if i else ()
        size = draw(st.integers(0, 12))
        fail_at = draw(st.none() | st.integers(0, 12))
        pulls.append(_FakePull(name, size, page, deps, fail_at, world))
    server = _Server({p.name: p.size for p in pulls}, page, draw(st.integers(1, 4)))
    return pulls, server, draw(st.booleans())


def _stopped(pulls: Sequence[_FakePull]) -> set[str]:
    """The objects that fail (a fake fails when it reaches ``fail_at`` records: it checks at
    each page's start, the last at ``size // page * page``), or depend (transitively) on
    one that does."""
    out: set[str] = set()
    for p in pulls:  # dependencies come earlier
        fails = p.fail_at is not None and p.fail_at <= p.size // p.page * p.page
        if fails or set(p.depends) & out:
            out.add(p.name)
    return out


@settings(max_examples=200, deadline=None)
@given(_runs())
def test_every_record_arrives_once_and_nothing_starts_before_its_dependencies(
    run: tuple[list[_FakePull], _Server, bool],
) -> None:
    pulls, server, prefetch = run
    world = pulls[0].world
    ctx = _Ctx(server)
    firsts = [[server.page_of(p.name, 0)] if prefetch else None for p in pulls]
    pull_all(ctx, pulls, firsts, {p.name: p.depends for p in pulls})  # type: ignore[arg-type]
    stopped = _stopped(pulls)
    assert world["complete"] == {p.name for p in pulls} - stopped
    assert sorted(ctx.settled_objects) == sorted(world["complete"])
    assert {name for name, _, _ in ctx.failures} == stopped
    received = Counter(world["received"])
    assert all(count == 1 for count in received.values()), "a record arrived twice"
    for p in pulls:
        if p.name in world["complete"]:
            assert {i for name, i in received if name == p.name} == set(range(p.size))
        if set(p.depends) & stopped:
            assert p.name not in world["started"]
