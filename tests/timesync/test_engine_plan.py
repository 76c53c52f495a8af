"""The engine's pure rules: keyset paging, local filter checks, control ids, push plans."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk.query import F
from timesync.engine import control_id, keyset_filter, matches, plan_push
from timesync.engine._plan import LOCKED_STATES, start_position

T0 = datetime(2024, 3, 1, 9, 0, 0)

rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 10_000)),
    unique_by=lambda r: r[1],
    max_size=40,
)


def _page(
    records: list[dict[str, object]], position: tuple[datetime, int] | None, size: int
) -> list[dict[str, object]]:
    """What the gateway returns for one keyset page: filter, order, limit."""
    where = keyset_filter(position)
    hits = [r for r in records if matches(where, r)]
    hits.sort(key=lambda r: (r["WHENMODIFIED"], r["RECORDNO"]))  # type: ignore[return-value]
    return [dict(r) for r in hits[:size]]


@given(rows, st.integers(1, 7))
def test_keyset_paging_reads_every_record_once_in_order(
    data: list[tuple[int, int]], size: int
) -> None:
    records = [
        {"WHENMODIFIED": T0 + timedelta(seconds=s), "RECORDNO": n, "STATUS": "active"}
        for s, n in data
    ]
    seen: list[int] = []
    position = None
    while True:
        page = _page(records, position, size)
        seen.extend(int(r["RECORDNO"]) for r in page)  # type: ignore[call-overload]
        if len(page) < size:
            break
        last = page[-1]
        position = (last["WHENMODIFIED"], last["RECORDNO"])
    expected = [n for _, n in sorted((s, n) for s, n in data)]
    assert seen == expected


@given(rows, st.integers(1, 5), st.data())
def test_keyset_paging_sees_records_changed_during_the_read(
    data: list[tuple[int, int]], size: int, draw: st.DataObject
) -> None:
    """A record modified between two pages gets a newer WHENMODIFIED and is read again later:
    nothing is skipped, unlike offset paging."""
    records = [
        {"WHENMODIFIED": T0 + timedelta(seconds=s), "RECORDNO": n, "STATUS": "active"}
        for s, n in data
    ]
    seen: set[int] = set()
    position = None
    clock = T0 + timedelta(seconds=100)
    while True:
        page = _page(records, position, size)
        seen.update(int(r["RECORDNO"]) for r in page)  # type: ignore[call-overload]
        if records and draw.draw(st.booleans()):
            victim = draw.draw(st.sampled_from(records))
            clock += timedelta(seconds=1)
            victim["WHENMODIFIED"] = clock
        if len(page) < size:
            break
        last = page[-1]
        position = (last["WHENMODIFIED"], last["RECORDNO"])
    assert seen == {n for _, n in data}


def test_start_position_applies_the_lookback() -> None:
    assert start_position(None, 0, timedelta(minutes=5)) is None
    assert start_position(T0, 7, timedelta(0)) == (T0, 7)
    assert start_position(T0, 7, timedelta(minutes=5)) == (T0 - timedelta(minutes=5), 0)


def test_keyset_filter_xml_names_both_keys() -> None:
    where = keyset_filter((T0, 42), F("STATUS") == "active")
    assert where is not None
    xml = where.to_xml()
    assert "<greaterthan><field>WHENMODIFIED</field><value>03/01/2024 09:00:00</value>" in xml
    assert "<greaterthan><field>RECORDNO</field><value>42</value>" in xml
    assert xml.startswith("<and><equalto><field>STATUS</field>")


def test_matches_evaluates_like_the_gateway() -> None:
    rec = {"STATUS": "active", "PROJECTTYPE": "Billable", "QTY": "8.5", "NOTES": None}
    assert matches(F("STATUS") == "active", rec)
    assert not matches(F("STATUS") == "inactive", rec)
    assert matches(F("PROJECTTYPE").in_(["Billable", "Grant"]), rec)
    assert matches(F("PROJECTTYPE").like("Bill%"), rec)
    assert not matches(F("PROJECTTYPE").not_like("B_llable"), rec)
    assert matches(F("QTY") > 8, rec)
    assert not matches(F("QTY") >= 9, rec)
    assert matches(F("NOTES").is_null(), rec)
    assert matches((F("STATUS") == "inactive") | (F("QTY") < 10), rec)
    assert not matches((F("STATUS") == "active") & (F("QTY") < 1), rec)


def test_control_ids_are_deterministic_and_distinct_per_step_and_attempt() -> None:
    assert control_id("ts", "42", "3", "create") == "ts-42-v3-create"
    assert control_id("ts", "42", "3", "create") == control_id("ts", "42", "3", "create")
    ids = {
        control_id("ts", "42", rev, step, attempt)
        for rev in ("1", "2")
        for step in ("create", "approve", "update")
        for attempt in (1, 2)
    }
    assert len(ids) == 12


states = st.sampled_from(
    [None, "Draft", "Submitted", "Approved", "Partially Approved", "Declined", "Saved"]
)


@given(
    deleted=st.booleans(),
    approved=st.booleans(),
    changed=st.booleans(),
    pushed=st.booleans(),
    remote_state=states,
    remote_exists=st.booleans(),
    remote_changed=st.booleans(),
    target=st.sampled_from(["Draft", "Submitted", "Approved"]),
    on_delete=st.sampled_from(["delete", "decline"]),
)
def test_push_plan_laws(
    deleted: bool,
    approved: bool,
    changed: bool,
    pushed: bool,
    remote_state: str | None,
    remote_exists: bool,
    remote_changed: bool,
    target: str,
    on_delete: str,
) -> None:
    plan = plan_push(
        deleted=deleted,
        approved=approved,
        changed=changed,
        pushed=pushed,
        remote_state=remote_state,
        remote_exists=remote_exists,
        remote_changed=remote_changed,
        target=target,  # type: ignore[arg-type]
        on_delete=on_delete,  # type: ignore[arg-type]
    )
    steps = [s.step for s in plan.steps]
    live = pushed and remote_exists and remote_state != "Declined"
    # a conflict writes nothing
    if plan.conflict:
        assert steps == []
    # a change made in Intacct is never overwritten
    if pushed and remote_exists and remote_changed:
        assert plan.conflict
    # never two live Intacct records: nothing is created while a record is live
    if live:
        assert "create" not in steps
    # nothing is created for a deleted or unapproved document
    if deleted or not approved:
        assert "create" not in steps
        assert "update" not in steps
    # locked (approved) records are never written: Intacct refuses it
    if pushed and remote_state in LOCKED_STATES:
        assert not {"update", "delete", "decline"} & set(steps)
    # approval only when asked for, and always after the create
    if "approve" in steps:
        assert target == "Approved"
        assert steps[-1] == "approve"
    for s in plan.steps:
        if s.step == "create":
            assert s.create_state == ("Draft" if target == "Draft" else "Submitted")


def test_first_push_of_an_approved_timesheet() -> None:
    plan = plan_push(
        deleted=False,
        approved=True,
        changed=True,
        pushed=False,
        remote_state=None,
        remote_exists=False,
        remote_changed=False,
        target="Approved",
    )
    assert [s.step for s in plan.steps] == ["create", "approve"]


def test_correction_of_a_submitted_timesheet_is_an_update() -> None:
    plan = plan_push(
        deleted=False,
        approved=True,
        changed=True,
        pushed=True,
        remote_state="Submitted",
        remote_exists=True,
        remote_changed=False,
        target="Submitted",
    )
    assert [s.step for s in plan.steps] == ["update"]
