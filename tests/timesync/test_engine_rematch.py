# ruff: noqa: F811 - the engine fixtures are imported by name and shadowed by test arguments
"""Re-matching after the state store is lost: a local side that agrees is linked, not
rewritten; one that differs is still updated."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.timesync.engine_fixtures import (  # noqa: F401 - fixtures
    EngineFactory,
    app,
    client,
    emulator,
    make_engine,
    store,
)

from intacct_sdk import Client
from timesync.engine import Engine, EngineOptions, RunReport
from timesync.local import ComparingLocalSystem, LocalRecord, LocalSystem, ReferenceApp
from timesync.models import Department, Employee, Status
from timesync.store import SQLiteStateStore

OBJECTS = ["DEPARTMENT", "EMPLOYEE", "CUSTOMER", "PROJECT", "TASK"]


def _writes(app: ReferenceApp) -> list[str]:
    """Every INSERT or UPDATE the app's database runs from now on."""
    seen: list[str] = []

    def trace(statement: str) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            seen.append(statement)

    app._conn.set_trace_callback(trace)
    return seen


def _rematch(
    client: Client, local: LocalSystem, tmp_path: Path, name: str = "lost.db", **options: Any
) -> RunReport:
    """A run on a new, empty state store (the old one lost)."""
    with SQLiteStateStore(tmp_path / name) as fresh:
        return Engine(client, local, fresh, options=EngineOptions(**options)).run(OBJECTS)


def _totals(report: RunReport) -> dict[str, int]:
    objs = report.objects.values()
    return {
        "created": sum(o.created for o in objs),
        "updated": sum(o.updated for o in objs),
        "unchanged": sum(o.unchanged for o in objs),
        "linked": sum(o.linked for o in objs),
    }


def test_a_rematch_of_an_agreeing_app_writes_nothing_and_reports_unchanged(
    make_engine: EngineFactory, client: Client, app: ReferenceApp, tmp_path: Path
) -> None:
    first = make_engine().run(OBJECTS)
    imported = _totals(first)["created"]
    assert imported > 20
    writes = _writes(app)
    report = _rematch(client, app, tmp_path)
    assert report.ok
    assert writes == []
    assert _totals(report) == {
        "created": 0,
        "updated": 0,
        "unchanged": imported,
        "linked": imported,
    }
    # every record is linked again: the next run on the recovered store changes nothing
    with SQLiteStateStore(tmp_path / "lost.db") as recovered:
        again = Engine(client, app, recovered).run(OBJECTS)
        assert writes == []
        assert _totals(again)["linked"] == 0
        assert all(lk.local_id for lk in recovered.links("EMPLOYEE"))


def test_a_differing_field_is_still_updated_and_only_that_record_written(
    make_engine: EngineFactory, client: Client, app: ReferenceApp, tmp_path: Path
) -> None:
    make_engine().run(OBJECTS)
    people = sorted(app.list_records("EMPLOYEE"), key=lambda r: r.local_id)
    edited = people[0]
    app.edit_record("EMPLOYEE", edited.local_id, full_name="Edited Locally")
    writes = _writes(app)
    report = _rematch(client, app, tmp_path)
    emp = report.objects["EMPLOYEE"]
    assert (emp.updated, emp.unchanged, emp.linked) == (1, len(people) - 1, len(people))
    assert sum(o.updated for o in report.objects.values()) == 1
    restored = app.get_record("EMPLOYEE", edited.local_id)
    assert restored is not None and restored.name == edited.name
    # the update is one record's upsert and its key: nothing else was written
    assert writes and all(f"WHERE id = {edited.local_id}" in w for w in writes)


def test_a_record_missing_its_intacct_key_gets_only_the_key(
    make_engine: EngineFactory, client: Client, app: ReferenceApp, tmp_path: Path
) -> None:
    make_engine().run(OBJECTS)
    person = sorted(app.list_records("EMPLOYEE"), key=lambda r: r.local_id)[0]
    app._conn.execute(
        "UPDATE people SET intacct_key = NULL, intacct_recordno = NULL WHERE id = ?",
        (int(person.local_id),),
    )
    writes = _writes(app)
    report = _rematch(client, app, tmp_path)
    assert report.objects["EMPLOYEE"].updated == 0
    assert len(writes) == 1 and "SET intacct_key" in writes[0]
    again = app.get_record("EMPLOYEE", person.local_id)
    assert again is not None and again.intacct_key == person.intacct_key
    assert again.intacct_record_no == person.intacct_record_no is not None


class _Plain:
    """A local system with only the required methods (written before ``fingerprint_of``)."""

    def __init__(self, app: ReferenceApp) -> None:
        self.app = app
        self.upserts = 0

    def list_records(self, object_name: str) -> Iterable[LocalRecord]:
        return self.app.list_records(object_name)

    def upsert(self, object_name: str, model: Any, local_id: str | None) -> LocalRecord:
        self.upserts += 1
        return self.app.upsert(object_name, model, local_id)

    def inactivate(self, object_name: str, local_id: str) -> None:
        self.app.inactivate(object_name, local_id)

    def record_intacct_key(
        self, object_name: str, local_id: str, key: str, record_no: int | None
    ) -> None:
        self.app.record_intacct_key(object_name, local_id, key, record_no)

    def changed_documents(self, object_name: str, since: str | None) -> Any:
        return self.app.changed_documents(object_name, since)

    def get_documents(self, object_name: str, local_ids: Any) -> Any:
        return self.app.get_documents(object_name, local_ids)

    def document_pushed(self, *args: Any) -> None:
        self.app.document_pushed(*args)


def test_an_app_without_fingerprint_of_is_written_as_before(
    make_engine: EngineFactory, client: Client, app: ReferenceApp, tmp_path: Path
) -> None:
    imported = _totals(make_engine().run(OBJECTS))["created"]
    plain = _Plain(app)
    assert not isinstance(plain, ComparingLocalSystem)
    report = _rematch(client, plain, tmp_path)  # type: ignore[arg-type]
    assert _totals(report)["updated"] == imported == plain.upserts
    assert _totals(report)["unchanged"] == 0


def test_a_dry_run_rematch_plans_no_local_write(
    make_engine: EngineFactory, client: Client, app: ReferenceApp, tmp_path: Path
) -> None:
    make_engine().run(OBJECTS)
    people = sorted(app.list_records("EMPLOYEE"), key=lambda r: r.local_id)
    app.edit_record("EMPLOYEE", people[1].local_id, full_name="Edited Locally")
    writes = _writes(app)
    with SQLiteStateStore(tmp_path / "lost.db") as fresh:
        report = Engine(client, app, fresh).run(OBJECTS, dry_run=True)
        assert list(fresh.links("EMPLOYEE")) == []
    assert writes == []
    assert report.planned == [f"update local EMPLOYEE {people[1].key}"]
    assert report.objects["EMPLOYEE"].unchanged == len(people) - 1


def test_the_reference_app_is_a_comparing_local_system() -> None:
    with ReferenceApp(":memory:") as app:
        assert isinstance(app, ComparingLocalSystem)


_text = st.one_of(st.none(), st.text(max_size=12))
_custom = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6)),
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(
    key=st.text(min_size=1, max_size=8).filter(str.strip),
    name=_text,
    email=_text,
    title=_text,
    department=_text,
    active=st.booleans(),
    custom=_custom,
)
def test_fingerprint_of_a_model_is_the_fingerprint_of_it_stored(
    key: str,
    name: str | None,
    email: str | None,
    title: str | None,
    department: str | None,
    active: bool,
    custom: dict[str, Any],
) -> None:
    """The law the engine relies on: the digest ``fingerprint_of`` gives for a model equals
    the fingerprint of the record once ``upsert`` has stored that model, whatever it held."""
    model = Employee(
        key=key,
        name=name,
        email=email,
        title=title,
        department_key=department,
        status=Status.ACTIVE if active else Status.INACTIVE,
        custom_fields=custom,
    )
    with ReferenceApp(":memory:") as app:
        before = app.upsert("EMPLOYEE", Employee(key="other", name="Someone"), None)
        stored = app.upsert("EMPLOYEE", model, before.local_id)
        assert app.fingerprint_of("EMPLOYEE", model) == stored.fingerprint
        listed = {r.local_id: r for r in app.list_records("EMPLOYEE")}
        assert listed[stored.local_id].fingerprint == stored.fingerprint
        other = Employee(key=key, name=(name or "") + "x", email=email, title=title)
        assert app.fingerprint_of("EMPLOYEE", other) != stored.fingerprint


def test_fingerprint_of_a_dimension_value() -> None:
    with ReferenceApp(":memory:") as app:
        model = Department(key="D1", name="Sales")
        stored = app.upsert("DEPARTMENT", model, None)
        assert app.fingerprint_of("DEPARTMENT", model) == stored.fingerprint
        assert app.fingerprint_of("DEPARTMENT", Department(key="D1", name="Ops")) != (
            stored.fingerprint
        )
