"""The steps of a push as pure code: the function each outbox step sends, and how a step
whose answer was lost is settled from what Intacct holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

import attrs

from intacct_sdk.functions import Approve, Create, Decline, Delete, Function, Update
from timesync.engine._context import as_int
from timesync.engine._options import PushOptions
from timesync.engine._plan import DEAD_STATES, PushStep
from timesync.engine._streams import as_timestamp
from timesync.store import Link, OutboxEntry

__all__ = ["resolve_row", "step_function"]


def step_function(
    object_name: str,
    step: PushStep,
    control_id: str,
    *,
    record: Mapping[str, Any] | None,
    record_no: int | None,
    stamp: tuple[str, str],
    options: PushOptions,
    lines: Sequence[Mapping[str, Any]] | None = None,
    lines_field: str = "TIMESHEETENTRIES",
) -> Function:
    """The function that performs one step: the mapped ``record`` stamped with
    ``stamp`` (field, value) for a create or update, else the step on ``record_no``. A
    ``correct`` step is an ``update`` whose ``lines`` (the entries kept, by RECORDNO, and
    the entries added) replace the record's own."""
    field, value = stamp
    if step.step == "create":
        assert record is not None
        rec = {**record, field: value}
        rec.pop("RECORDNO", None)
        rec.pop("STATE", None)
        if object_name == "TIMESHEET":
            rec["STATE"] = step.create_state
        return Create(object_name, [rec], control_id=control_id)
    assert record_no is not None
    if step.step == "correct":
        header = {k: v for k, v in (record or {}).items() if k not in ("STATE", lines_field)}
        rec = {**header, field: value, "RECORDNO": record_no, lines_field: list(lines or [])}
        return Update(object_name, [rec], control_id=control_id)
    if step.step == "update":
        assert record is not None
        rec = {**record, field: value, "RECORDNO": record_no}
        rec.pop("STATE", None)
        return Update(object_name, [rec], control_id=control_id)
    if step.step == "approve":
        return Approve(
            object_name,
            record_no,
            approved_by=options.approved_by,
            comment=options.approval_comment,
            control_id=control_id,
        )
    if step.step == "decline":
        return Decline(
            object_name,
            record_no,
            declined_by=options.approved_by,
            comment="replaced or withdrawn by the time-tracking app",
            control_id=control_id,
        )
    return Delete(object_name, [record_no], control_id=control_id)


def resolve_row(
    row: OutboxEntry,
    recs: Sequence[dict[str, Any]],
    link: Link | None,
    zone: tzinfo,
    run_id: int,
) -> tuple[bool, Link | None]:
    """Whether an in-flight row's write landed, judged from the records that carry its
    stamp, and the document's link as it then stands.

    A create landed when a live record carries the stamp; an update when the linked
    record's WHENMODIFIED moved past the one stored after the previous write; an approval
    when the record is Approved; a decline or delete when the record is gone or declined.
    """
    live = [r for r in recs if r.get("STATE") not in DEAD_STATES]
    by_no = {as_int(r.get("RECORDNO")): r for r in recs}
    base = link or Link(row.object_name, row.local_id, row.local_id)
    current = by_no.get(base.record_no) if base.record_no is not None else None
    if row.step == "create":
        if not live:
            return False, link
        rec = live[-1]
        rn = as_int(rec.get("RECORDNO"))
        return True, attrs.evolve(
            base,
            record_no=rn,
            content_hash=row.payload_hash,
            revision=row.revision,
            remote_state=rec.get("STATE"),
            remote_modified=as_timestamp(rec.get("WHENMODIFIED"), zone),
            last_run=run_id,
        )
    if row.step in ("update", "correct"):
        if current is None:
            return False, link
        when = as_timestamp(current.get("WHENMODIFIED"), zone)
        before = as_timestamp(base.remote_modified, zone)
        if before is not None and when is not None and when > before:
            return True, attrs.evolve(
                base,
                content_hash=row.payload_hash,
                revision=row.revision,
                remote_state=current.get("STATE"),
                remote_modified=when,
            )
        return False, link
    if row.step == "approve":
        if current is not None and current.get("STATE") == "Approved":
            return True, attrs.evolve(
                base,
                remote_state="Approved",
                remote_modified=as_timestamp(current.get("WHENMODIFIED"), zone),
            )
        return False, link
    # decline / delete: done once the record is gone or no longer live
    if current is None or current.get("STATE") in DEAD_STATES:
        return True, attrs.evolve(
            base, record_no=None, remote_state="Declined" if current else None
        )
    return False, link
