"""The engine's pure rules: local filter checks, control ids, push plans."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk.query import F
from timesync.engine import control_id, matches, plan_push
from timesync.engine._plan import LOCKED_STATES

T0 = datetime(2024, 3, 1, 9, 0, 0)


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
    approved_changes=st.sampled_from(["reverse", "conflict", "new_timesheet"]),
    correction_waiting=st.booleans(),
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
    approved_changes: str,
    correction_waiting: bool,
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
        approved_changes=approved_changes,  # type: ignore[arg-type]
        correction_waiting=correction_waiting,
    )
    steps = [s.step for s in plan.steps]
    locked = pushed and remote_exists and remote_state in LOCKED_STATES
    amend = locked and approved_changes == "new_timesheet"
    reverse = (locked and approved_changes == "reverse") or amend
    # under new_timesheet an approved timesheet gets no write at all: the correction goes
    # to a correction sheet (amend), approved with it when the target is Approved
    if amend:
        assert not {"correct", "update", "approve", "delete", "decline"} & set(steps)
        if approved and (changed or deleted):
            assert steps == ["amend", "amend_approve"][: 1 + (target == "Approved" and not deleted)]
        if approved and not changed and not deleted:
            assert steps == (
                ["amend_approve"] if target == "Approved" and correction_waiting else []
            )
    if "amend" in steps or "amend_approve" in steps:
        assert amend
    live = pushed and remote_exists and remote_state != "Declined"
    # a conflict writes nothing
    if plan.conflict:
        assert steps == []
    # a change made in Intacct is never overwritten (a correction by reversal keeps every
    # Intacct entry, so it overwrites nothing)
    if pushed and remote_exists and remote_changed and not reverse:
        assert plan.conflict
    # a correction keeps approved entries: only on approved sheets, and only by policy
    if "correct" in steps:
        assert reverse and steps[0] == "correct"
    if reverse and not amend and approved and (changed or deleted):
        assert steps[:1] == ["correct"] and not plan.conflict
    if locked and approved_changes == "conflict" and approved and (changed or deleted):
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
