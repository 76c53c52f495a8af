"""The laws of correcting approved time over several timesheets of one document
(``approved_changes = "new_timesheet"``: ``plan_entries(..., frozen=...)``), by property
tests: the timesheets it may not touch stay as they are, the net over all of them equals the
local document, and planning again against the result adds nothing, approved or not."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from tests.timesync.test_corrections import FIELDS, lines

from timesync.engine._corrections import QTY, plan_entries

Sheets = dict[int, list[dict[str, Any]]]

frozen_states = st.sampled_from(["Approved", "Approved", "Submitted", "Declined"])
waiting_states = st.sampled_from(["Submitted", "Draft"])


def _sheet(key: int, entries: Sequence[dict[str, Any]], states: Sequence[str]) -> list[Any]:
    return [
        {**e, "RECORDNO": key * 100 + i, "STATE": s, "TIMESHEETKEY": key}
        for i, (e, s) in enumerate(zip(entries, states, strict=False))
    ]


@st.composite
def documents(draw: Any) -> tuple[Sheets, int | None, list[dict[str, Any]]]:
    """The first timesheet and its approved correction sheets (frozen), maybe a correction
    sheet awaiting approval (writable), and the local document."""
    sheets: Sheets = {}
    for key in range(1, draw(st.integers(1, 3)) + 1):
        entries = draw(st.lists(lines, max_size=4))
        states = draw(st.lists(frozen_states, min_size=len(entries), max_size=len(entries)))
        sheets[key] = _sheet(key, entries, states)
    writable = None
    if draw(st.booleans()):
        writable = len(sheets) + 1
        entries = draw(st.lists(lines, min_size=1, max_size=4))
        states = draw(st.lists(waiting_states, min_size=len(entries), max_size=len(entries)))
        sheets[writable] = _sheet(writable, entries, states)
    return sheets, writable, draw(st.lists(lines, max_size=6))


def _net(sheets: Sheets) -> Counter[tuple[Any, ...]]:
    """Hours per line over every timesheet (declined entries carry none)."""
    out: Counter[tuple[Any, ...]] = Counter()
    for entries in sheets.values():
        for e in entries:
            if e["STATE"] != "Declined":
                out[(e["ENTRYDATE"], e["PROJECTID"], e["TASKKEY"])] += e[QTY]  # type: ignore[assignment]
    return Counter({k: v for k, v in out.items() if v != 0})


def _local(entries: Sequence[Mapping[str, Any]]) -> Counter[tuple[Any, ...]]:
    return _net({0: [{**e, "STATE": "Submitted"} for e in entries]})


def _plan(sheets: Sheets, writable: int | None, local: list[dict[str, Any]]) -> Any:
    remote = [e for entries in sheets.values() for e in entries]
    frozen = [k for k in sheets if k != writable]
    return plan_entries(remote, local, FIELDS, frozen=frozen)


def _write(sheets: Sheets, writable: int | None, plan: Any) -> tuple[Sheets, int | None]:
    """Intacct after the one write the plan asks for: the writable sheet updated to what
    it keeps plus the additions, or a new sheet holding the additions."""
    if not plan.changes:
        return sheets, writable
    key = writable if writable is not None else max(sheets) + 1
    kept = [e for e in sheets.get(key, []) if e["RECORDNO"] in plan.keep]
    start = max(e["RECORDNO"] for entries in sheets.values() for e in [*entries, {"RECORDNO": 0}])
    added = [
        {**e, "RECORDNO": start + 1 + i, "STATE": "Submitted", "TIMESHEETKEY": key}
        for i, e in enumerate(plan.add)
    ]
    return {**sheets, key: kept + added}, key


@given(documents())
def test_the_net_over_every_timesheet_equals_the_local_document(
    doc: tuple[Sheets, int | None, list[dict[str, Any]]],
) -> None:
    sheets, writable, local = doc
    plan = _plan(sheets, writable, local)
    frozen = {
        e["RECORDNO"]
        for k, entries in sheets.items()
        if k != writable
        for e in entries
        if e["STATE"] != "Declined"
    }
    assert frozen <= set(plan.keep)  # nothing of a frozen timesheet is ever left out
    assert not frozen & set(plan.dropped)
    after, _ = _write(sheets, writable, plan)
    assert {k: v for k, v in after.items() if k != writable and k in sheets} == {
        k: v for k, v in sheets.items() if k != writable
    }
    assert _net(after) == _local(local)
    assert all(set(e) <= set(FIELDS) for e in plan.add)


@given(documents(), st.booleans())
def test_planning_again_adds_nothing_and_makes_no_further_sheet(
    doc: tuple[Sheets, int | None, list[dict[str, Any]]], approved: bool
) -> None:
    sheets, writable, local = doc
    after, written = _write(sheets, writable, _plan(sheets, writable, local))
    if approved and written is not None:  # the correction sheet approved since: frozen too
        after = {**after, written: [{**e, "STATE": "Approved"} for e in after[written]]}
        written = None
    again = _plan(after, written, local)
    assert not again.changes and again.add == ()


@given(documents(), st.lists(st.lists(lines, max_size=4), min_size=1, max_size=3), st.data())
def test_a_run_of_corrections_keeps_the_law_and_adds_a_sheet_only_after_an_approval(
    doc: tuple[Sheets, int | None, list[dict[str, Any]]],
    later: list[list[dict[str, Any]]],
    data: st.DataObject,
) -> None:
    sheets, writable, local = doc
    for version in [local, *later]:
        count = len(sheets)
        plan = _plan(sheets, writable, version)
        sheets, writable = _write(sheets, writable, plan)
        assert _net(sheets) == _local(version)
        assert len(sheets) == count + (plan.changes and writable == max(sheets) > count)
        if writable is not None and data.draw(st.booleans()):  # an approver in Intacct
            sheets = {**sheets, writable: [{**e, "STATE": "Approved"} for e in sheets[writable]]}
            writable = None
