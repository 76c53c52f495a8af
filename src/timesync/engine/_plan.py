"""Pure decisions of the engine: control ids, push plans, local filter checks.

Nothing here does I/O, so the rules are tested directly (and by property tests).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

import attrs

from intacct_sdk.query import Filter

__all__ = [
    "LIVE_STATES",
    "LOCKED_STATES",
    "ApprovedChanges",
    "PushStep",
    "control_id",
    "matches",
    "plan_push",
    "remote_key",
    "sheet_stamp",
    "stamp_owner",
    "stamp_value",
]

LOCKED_STATES: Final = frozenset(
    {"Approved", "Partially Approved", "Partially Declined", "Selected", "Paid", "Partially Paid"}
)
"""States whose lines can no longer be replaced by ``update`` (the last three: an expense
report on its way to payment)."""

DEAD_STATES: Final = frozenset({"Declined"})
"""States that do not count as a live Intacct timesheet."""

LIVE_STATES: Final = frozenset({"Draft", "Saved", "Submitted", "Resubmitted"} | LOCKED_STATES)

ACCEPTED: Final = "accepted"
"""Error-queue kind of a document whose conflict a person settled for the local side."""

TargetState = Literal["Draft", "Submitted", "Approved"]
StepName = Literal[
    "create", "update", "correct", "amend", "amend_approve", "approve", "decline", "delete"
]
ApprovedChanges = Literal["reverse", "conflict", "new_timesheet"]
"""What a local correction of a timesheet Intacct approved sends (``PushOptions``)."""


def remote_key(object_name: str, model: Any) -> str:
    """The identity the engine links on: the business ID, or ``PROJECTID/TASKID`` for tasks
    (a TASKID is unique only within its project)."""
    key = str(model.key)
    if object_name == "TASK":
        return f"{getattr(model, 'project_key', '')}/{key}"
    return key


def control_id(
    prefix: str,
    local_id: str,
    revision: str,
    step: str,
    attempt: int = 1,
    *,
    installation: str = "",
) -> str:
    """The deterministic function control id of one outbox step.

    The same document revision and step always give the same id, so a replay after a crash
    is refused by the gateway (``uniqueid=true``) instead of applied twice. A step that
    definitely failed is retried under a new attempt number. The installation id comes
    first, so two apps whose local ids overlap never send the same control id.
    """
    base = f"{prefix}-{local_id}-v{revision}-{step}"
    if installation:
        base = f"{installation}.{base}"
    return base if attempt <= 1 else f"{base}-a{attempt}"


def stamp_value(installation: str, local_id: str) -> str:
    """What the stamp field of a pushed record holds: ``INSTALLATION:LOCAL_ID`` (an
    installation id never contains ``:``; an empty one gives the bare local id, as stores
    written before installation ids did)."""
    return f"{installation}:{local_id}" if installation else local_id


def sheet_stamp(installation: str, local_id: str, number: int) -> str:
    """The stamp of a document's correction timesheet ``number`` (1, 2, ...):
    ``INSTALLATION+NUMBER:LOCAL_ID``. An installation id never holds ``+``, so no correction
    sheet's stamp is ever another document's stamp."""
    return f"{installation}+{number}:{local_id}"


def stamp_owner(value: str) -> str | None:
    """The installation that wrote a stamp (None for a bare local id)."""
    owner, sep, _ = value.partition(":")
    owner = owner.partition("+")[0]
    return owner if sep and owner else None


# ------------------------------------------------------------------ filter evaluation


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%m/%d/%Y")
    return str(value)


def _order_key(value: Any, zone: tzinfo | None) -> tuple[int, Any]:
    """A value's place among the values it can be compared with: numbers, instants, dates or
    text. Timestamps compare as instants: aware ones as they are, naive ones (texts, and
    filter values written as wall time) in the API user's ``zone`` when it is known."""
    if isinstance(value, datetime):
        if value.tzinfo is None and zone is not None:
            value = value.replace(tzinfo=zone)
        if value.tzinfo is not None:
            return (1, value.astimezone(UTC).replace(tzinfo=None))
        return (1, value)
    if isinstance(value, date):
        return (2, value)
    text = str(value)
    try:
        return (0, Decimal(text))
    except InvalidOperation:
        pass
    try:
        return _order_key(datetime.strptime(text, "%m/%d/%Y %H:%M:%S"), zone)
    except ValueError:
        pass
    try:
        return (2, datetime.strptime(text, "%m/%d/%Y").date())
    except ValueError:
        return (3, text)


def _like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def matches(where: Filter | None, record: Mapping[str, Any], zone: tzinfo | None = None) -> bool:
    """Evaluate a ``query`` filter against one record, as the gateway would.

    Used on incremental reads, which ask for every changed record (so that records leaving
    the filter are seen and inactivated) and apply the filter locally. Fields the record
    does not carry count as matching. Dates and timestamps compare as dates and instants
    (``zone``, the API user's, places naive ones), whatever form either side holds them in.
    """
    if where is None:
        return True
    op = where.op
    if op == "and":
        return all(matches(child, record, zone) for child in where.children)
    if op == "or":
        return any(matches(child, record, zone) for child in where.children)
    assert where.field is not None
    if where.field not in record:
        return True
    raw = record[where.field]
    value = _text(raw)
    if op == "isnull":
        return value in (None, "")
    if op == "isnotnull":
        return value not in (None, "")
    if value is None:
        return False
    if op in ("like", "notlike"):
        found = _like(str(where.values[0]), value)
        return found if op == "like" else not found
    left = _order_key(raw if raw != "" else value, zone)
    rights = [_order_key(v, zone) for v in where.values]
    if op in ("equalto", "notequalto", "in", "notin"):
        if any(left[0] != r[0] for r in rights):  # a number against text: compare texts
            texts = [_text(v) or "" for v in where.values]
            hit = value in texts
        else:
            hit = left in rights
        return hit if op in ("equalto", "in") else not hit
    if any(left[0] != r[0] for r in rights):
        return True
    if op == "lessthan":
        return bool(left < rights[0])
    if op == "lessthanorequalto":
        return bool(left <= rights[0])
    if op == "greaterthan":
        return bool(left > rights[0])
    if op == "greaterthanorequalto":
        return bool(left >= rights[0])
    if op == "between":
        return bool(rights[0] <= left <= rights[1])
    return True


def filter_fields(where: Filter | None) -> tuple[str, ...]:
    """Every field a filter reads (so the engine can select them)."""
    if where is None:
        return ()
    if where.field is not None:
        return (where.field,)
    out: list[str] = []
    for child in where.children:
        out.extend(f for f in filter_fields(child) if f not in out)
    return tuple(out)


# --------------------------------------------------------------------------- push plan


@attrs.frozen(slots=True)
class PushStep:
    """One write planned for one local document."""

    step: StepName
    create_state: str | None = None


@attrs.frozen(slots=True)
class PushPlan:
    """What to do with one local document.

    Attributes:
        steps: Writes in order (empty: nothing to do).
        conflict: Why the document is held back, when it is.
        action: A short label for reports (``create``, ``correct``, ``withdraw``, ``none``).
    """

    steps: tuple[PushStep, ...] = ()
    conflict: str | None = None
    action: str = "none"


def plan_push(
    *,
    deleted: bool,
    approved: bool,
    changed: bool,
    pushed: bool,
    remote_state: str | None,
    remote_exists: bool,
    remote_changed: bool,
    target: TargetState,
    on_delete: Literal["delete", "decline"] = "delete",
    approved_changes: ApprovedChanges = "conflict",
    correction_waiting: bool = False,
) -> PushPlan:
    """Decide the writes for one local document, given what is known on both sides.

    Args:
        deleted: The document was deleted locally.
        approved: The document is approved locally (only approved ones are pushed).
        changed: Its content differs from what was last pushed.
        pushed: A live Intacct record exists for it (as far as the store knows).
        remote_state: The Intacct STATE of that record, when known.
        remote_exists: The record was found in Intacct (only meaningful when ``pushed``).
        remote_changed: Its WHENMODIFIED is newer than the one stored after our last write.
        target: The state pushed documents should land in.
        on_delete: How a local deletion withdraws the Intacct record: ``delete`` it, or
            ``decline`` it (keeps it for audit; only possible while it awaits approval).
        approved_changes: A change to (or the deletion of) a document Intacct approved:
            ``reverse`` plans a ``correct`` step (approved entries kept, reversed where they
            changed, new entries added); ``new_timesheet`` plans an ``amend`` step (the
            delta goes into a correction timesheet of the same week, the approved one is
            left alone); ``conflict`` holds it back.
        correction_waiting: Under ``new_timesheet``, one of the document's correction
            timesheets awaits approval (with ``target="Approved"`` it is approved).

    Returns:
        The plan. Intacct refuses to update, delete or decline an approved timesheet, so a
        change to one is a conflict for a person to settle; and since a document is only
        ever created when no live record exists for it, no plan leaves two live Intacct
        records for one document.
    """
    create_state = "Draft" if target == "Draft" else "Submitted"
    create = (PushStep("create", create_state),)
    approve = (PushStep("approve"),) if target == "Approved" else ()
    if not pushed:
        if deleted or not approved:
            return PushPlan()
        return PushPlan(create + approve, action="create")
    if not remote_exists:
        return PushPlan(conflict="the Intacct timesheet was deleted in Intacct", action="conflict")
    state = remote_state or ""
    amend = approved_changes == "new_timesheet" and state in LOCKED_STATES
    reverse = amend or (approved_changes == "reverse" and state in LOCKED_STATES)
    fix = PushStep("amend") if amend else PushStep("correct")
    if amend and target == "Approved":
        approve = (PushStep("amend_approve"),)
    if remote_changed and not reverse:
        # (a correction by reversal keeps every entry Intacct holds: nothing of Intacct's
        # is overwritten, approvals and declines included)
        return PushPlan(conflict="changed in Intacct since it was pushed", action="conflict")
    if deleted:
        if reverse:
            return PushPlan((fix,), action="amend" if amend else "reverse")
        if state in LOCKED_STATES:
            return PushPlan(conflict=f"deleted locally but {state} in Intacct", action="conflict")
        if state in DEAD_STATES:
            return PushPlan()
        if on_delete == "decline" and state == "Submitted":
            return PushPlan((PushStep("decline"),), action="withdraw")
        return PushPlan((PushStep("delete"),), action="withdraw")
    if not approved:
        return PushPlan()  # un-approved locally after the push: leave Intacct alone
    if not changed:
        if target == "Approved" and (state == "Submitted" or (amend and correction_waiting)):
            return PushPlan(approve, action="approve")
        return PushPlan()
    if reverse:
        return PushPlan((fix, *approve), action="amend" if amend else "correct")
    if state in LOCKED_STATES:
        return PushPlan(conflict=f"corrected locally but {state} in Intacct", action="conflict")
    return PushPlan((PushStep("update"), *approve), action="correct")


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``items`` in slices of ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]
