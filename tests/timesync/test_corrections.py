"""The laws of correcting approved time (engine/_corrections.py), by property tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from timesync.engine._corrections import QTY, plan_entries

FIELDS = ("ENTRYDATE", "PROJECTID", "TASKKEY", QTY)
LOCKED = ("Approved", "Partially Approved")

lines = st.fixed_dictionaries(
    {
        "ENTRYDATE": st.sampled_from([date(2025, 1, 6), date(2025, 1, 7)]),
        "PROJECTID": st.sampled_from(["P1", "P2"]),
        "TASKKEY": st.sampled_from([11, 12]),
        QTY: st.sampled_from([Decimal(x) for x in ("1", "2.5", "4", "8", "-4", "-8")]),
    }
)
states = st.sampled_from(["Approved", "Partially Approved", "Submitted", "Declined", "Draft"])


def _remote(entries: Sequence[dict[str, Any]], entry_states: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {**e, "RECORDNO": 100 + i, "STATE": s, "EMPLOYEEID": "E1"}
        for i, (e, s) in enumerate(zip(entries, entry_states, strict=False))
    ]


def _sums(entries: Sequence[Mapping[str, Any]]) -> Counter[tuple[Any, ...]]:
    out: Counter[tuple[Any, ...]] = Counter()
    for e in entries:
        out[(e["ENTRYDATE"], e["PROJECTID"], e["TASKKEY"])] += Decimal(e[QTY])  # type: ignore[assignment]
    return Counter({k: v for k, v in out.items() if v != 0})


def _apply(
    remote: Sequence[Mapping[str, Any]], plan: Any, *, approve_all: bool = False
) -> list[dict[str, Any]]:
    by_no = {e["RECORDNO"]: e for e in remote}
    kept = [dict(by_no[n]) for n in plan.keep]
    start = max([e["RECORDNO"] for e in remote] + [0]) + 1
    added = [{**e, "RECORDNO": start + i, "STATE": "Submitted"} for i, e in enumerate(plan.add)]
    final = kept + added
    if approve_all:
        final = [{**e, "STATE": "Approved"} for e in final]
    return final


@st.composite
def cases(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    entries = draw(st.lists(lines, max_size=6))
    remote = _remote(entries, draw(st.lists(states, min_size=len(entries), max_size=len(entries))))
    remote = [e for e in remote if e["STATE"] != "Declined"]
    local = draw(st.lists(lines, max_size=6))
    return remote, local


@given(cases())
def test_approved_entries_are_all_kept_and_the_sums_equal_the_local_document(
    case: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    remote, local = case
    plan = plan_entries(remote, local, FIELDS, locked=frozenset(LOCKED))
    locked = {e["RECORDNO"] for e in remote if e["STATE"] in LOCKED}
    assert locked <= set(plan.keep)
    assert not locked & set(plan.dropped)
    assert sorted([*plan.keep, *plan.dropped]) == sorted(e["RECORDNO"] for e in remote)
    assert _sums(_apply(remote, plan)) == _sums(local)
    assert all(set(e) <= set(FIELDS) for e in plan.add)  # only the mapped fields are sent


@given(cases(), st.booleans())
def test_planning_again_adds_nothing_whether_or_not_the_result_was_approved(
    case: tuple[list[dict[str, Any]], list[dict[str, Any]]], approved: bool
) -> None:
    remote, local = case
    plan = plan_entries(remote, local, FIELDS)
    again = plan_entries(_apply(remote, plan, approve_all=approved), local, FIELDS)
    assert not again.changes
    assert again.add == ()


@given(st.lists(lines, max_size=6))
def test_nothing_changes_when_intacct_already_says_what_the_app_says(
    entries: list[dict[str, Any]],
) -> None:
    for state in ("Submitted", "Approved"):
        remote = _remote(entries, [state] * len(entries))
        assert not plan_entries(remote, entries, FIELDS).changes


def test_a_changed_approved_entry_gets_a_reversal_and_a_new_entry() -> None:
    day = date(2025, 1, 6)
    approved = {"ENTRYDATE": day, "PROJECTID": "P1", "TASKKEY": 11, QTY: Decimal(8)}
    other = {"ENTRYDATE": day, "PROJECTID": "P2", "TASKKEY": 12, QTY: Decimal(2)}
    remote = _remote([approved, other], ["Approved", "Approved"])
    local = [{**approved, QTY: Decimal(6)}, other]
    plan = plan_entries(remote, local, FIELDS)
    assert plan.keep == (100, 101) and plan.dropped == ()
    assert plan.reversals == 1
    assert [e[QTY] for e in plan.add] == [Decimal(-8), Decimal(6)]
    assert all(e["PROJECTID"] == "P1" and e["TASKKEY"] == 11 for e in plan.add)
    # a removed approved entry is reversed only
    removal = plan_entries(remote, [other], FIELDS)
    assert [e[QTY] for e in removal.add] == [Decimal(-8)]
    # entries awaiting approval are updated as before: left out, and the new ones added
    waiting = _remote([approved], ["Submitted"])
    redo = plan_entries(waiting, local, FIELDS)
    assert redo.dropped == (100,) and redo.reversals == 0
    assert sorted(e[QTY] for e in redo.add) == [Decimal(2), Decimal(6)]


def test_values_read_back_in_another_form_are_the_same_line() -> None:
    day = date(2025, 1, 6)
    sent = {"ENTRYDATE": day, "PROJECTID": "P1", "TASKKEY": 11, QTY: Decimal("8.00")}
    read = {**sent, QTY: Decimal("8"), "RECORDNO": 5, "STATE": "Approved", "WHENMODIFIED": 1}
    assert not plan_entries([read], [sent], FIELDS).changes
    assert [e[QTY] for e in plan_entries([read], [], FIELDS).add] == [Decimal(-8)]


def _defaulted(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries as Intacct stores them: a department it fills in from the employee."""
    return [{**e, "DEPARTMENTID": "D1"} for e in entries]


@given(cases(), st.booleans())
def test_fields_intacct_fills_in_by_itself_never_look_like_a_change(
    case: tuple[list[dict[str, Any]], list[dict[str, Any]]], approved: bool
) -> None:
    remote, local = case
    fields = (*FIELDS, "DEPARTMENTID")  # the mapping may write it; this app leaves it empty
    stored = _defaulted(remote)
    plan = plan_entries(stored, local, fields)
    assert _sums(_apply(stored, plan)) == _sums(local)
    result = _defaulted(_apply(stored, plan, approve_all=approved))
    assert not plan_entries(result, local, fields).changes
    assert not plan_entries(
        _defaulted(_remote(local, ["Approved"] * len(local))), local, fields
    ).changes
