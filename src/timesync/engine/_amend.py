"""Corrections of approved time made as new timesheets (``approved_changes = "new_timesheet"``).

For companies that allow no change at all to an approved timesheet: a local correction of a
document whose Intacct timesheet is approved (wholly or partly) goes into a correction
timesheet of the same employee and week, holding only the delta: a reversing entry for each
approved entry that changed or went, and a new entry for each new value. The document's hours
are then the sum over all its Intacct timesheets, the law :func:`plan_entries` keeps over
several timesheets (``frozen``: every timesheet but the one written is left as it stands).

- A correction sheet still awaiting approval is the one written next (an ``update``); once it
  is approved too, the next correction makes another one.
- Each correction sheet is stamped ``INSTALLATION+N:LOCAL_ID`` (:func:`sheet_stamp`), so a
  create whose answer was lost is found again by stamp, before anything is written, and never
  made twice; any other write is replayed under its own control id (refused if it ran).
- The state store keeps which sheets belong to a document (:class:`CorrectionSheet`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from intacct_sdk.functions import Approve, Create, Delete, Function, Update
from timesync.engine._context import RunContext, as_int
from timesync.engine._corrections import Corrections, plan_entries
from timesync.engine._plan import DEAD_STATES, PushStep, sheet_stamp
from timesync.store import CorrectionSheet, Link, OutboxEntry, OutboxState

__all__ = ["AMEND_STEPS", "Amendments", "is_amend"]

AMEND_STEPS: Final = frozenset({"amend", "amend_approve"})
"""The steps that write a correction sheet rather than the document's first timesheet."""

_APPROVED: Final = frozenset({"Approved", "Partially Approved"})
_LINES: Final = "TIMESHEETENTRIES"


@attrs.define(slots=True)
class _Target:
    """What one ``amend`` step writes."""

    kind: Literal["create", "update", "delete"]
    number: int
    record_no: int | None
    record: dict[str, Any]


def _sheet_state(entries: Sequence[Mapping[str, Any]]) -> str | None:
    """A correction sheet's state, as its entries say (None: no entry read)."""
    states = {str(e.get("STATE") or "") for e in entries}
    if not states:
        return None
    if states <= {"Approved"}:
        return "Approved"
    if states & _APPROVED:
        return "Partially Approved"
    if states <= {"Declined"}:
        return "Declined"
    return "Draft" if states <= {"Draft", "Saved"} else "Submitted"


class Amendments:
    """The correction sheets of one push.

    Args:
        ctx: The run.
        name: The object (``TIMESHEET``).
        stamp_field: The field carrying stamps.
        corrections: The push's entry reader and writer (it reads every sheet's entries).
        create_state: The STATE a new correction sheet is created in.
    """

    def __init__(
        self,
        ctx: RunContext,
        name: str,
        stamp_field: str,
        corrections: Corrections,
        create_state: str,
    ) -> None:
        self.ctx = ctx
        self.name = name
        self.stamp_field = stamp_field
        self.corrections = corrections
        self.create_state = create_state
        self.sheets: dict[str, list[CorrectionSheet]] = {}
        self.targets: dict[str, _Target] = {}
        self.approving: dict[str, CorrectionSheet] = {}
        self.made = 0
        self.probed: list[str] = []

    # ----------------------------------------------------------------- sheets

    def load(self, local_ids: Iterable[str]) -> None:
        """Read the documents' correction sheets from the store."""
        self.sheets.update(self.ctx.store.correction_sheets(self.name, list(local_ids)))

    def live(self, local_id: str) -> list[CorrectionSheet]:
        """The document's correction sheets that Intacct still holds, by number."""
        return [s for s in self.sheets.get(local_id, []) if s.record_no is not None]

    def waiting(self, local_id: str) -> bool:
        """Whether one of the document's correction sheets awaits approval."""
        return any(s.remote_state not in _APPROVED for s in self.live(local_id))

    def next_number(self, local_id: str) -> int:
        """The number the document's next correction sheet gets."""
        return max((s.number for s in self.sheets.get(local_id, [])), default=0) + 1

    def stamp(self, local_id: str, number: int | None = None) -> str:
        """The stamp of a correction sheet (default: the next one)."""
        n = self.next_number(local_id) if number is None else number
        return sheet_stamp(self.ctx.installation.id, local_id, n)

    def record_nos(self, local_id: str) -> list[int]:
        """The RECORDNOs of the document's live correction sheets."""
        return [s.record_no for s in self.live(local_id) if s.record_no is not None]

    def _put(self, sheet: CorrectionSheet) -> None:
        rows = [s for s in self.sheets.get(sheet.local_id, []) if s.number != sheet.number]
        self.sheets[sheet.local_id] = sorted([*rows, sheet], key=lambda s: s.number)
        if not self.ctx.dry_run:
            self.ctx.store.put_correction_sheet(sheet)

    def found(self, local_id: str, records: Sequence[Mapping[str, Any]]) -> bool:
        """Record the document's next correction sheet when Intacct holds a live record
        with its stamp (a create whose answer was lost); True if it did."""
        live = [r for r in records if r.get("STATE") not in DEAD_STATES]
        if not live:
            return False
        rec = max(live, key=lambda r: as_int(r.get("RECORDNO")) or 0)
        self._put(
            CorrectionSheet(
                self.name,
                local_id,
                self.next_number(local_id),
                as_int(rec.get("RECORDNO")),
                str(rec.get("STATE") or "") or None,
                last_run=self.ctx.run_id,
            )
        )
        return True

    def adopt(self, found: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Record the correction sheets :meth:`probe` asked for that Intacct holds (records
        by stamp)."""
        for local_id in self.probed:
            if self.found(local_id, found.get(self.stamp(local_id), [])):
                self.ctx.note(
                    f"{self.name} local {local_id}: linked correction timesheet "
                    f"{self.live(local_id)[-1].record_no} written before its answer was lost"
                )

    def probe(self, local_ids: Iterable[str]) -> list[str]:
        """The stamps to read before writing: the next correction sheet of each document
        that may get one (a create of an earlier run whose answer was lost)."""
        self.probed = list(dict.fromkeys(local_ids))
        return [self.stamp(i) for i in self.probed]

    # ------------------------------------------------------------------- plan

    def prepare(
        self,
        local_id: str,
        record_no: int,
        record: Mapping[str, Any] | None,
        steps: Sequence[PushStep],
    ) -> tuple[PushStep, ...]:
        """Decide what the document's ``amend`` and ``amend_approve`` steps write, from the
        entries Intacct holds on all its timesheets; returns the steps still to send (an
        ``amend`` that would change nothing is dropped: a replay adds nothing)."""
        entries = self.corrections.entries
        sheets = self.live(local_id)
        for sheet in sheets:  # what Intacct's approvers did to them since
            state = _sheet_state(entries.get(sheet.record_no or 0, []))
            if state is None:
                self._put(attrs.evolve(sheet, record_no=None, remote_state=None))
            elif state != sheet.remote_state:
                self._put(attrs.evolve(sheet, remote_state=state))
        sheets = self.live(local_id)
        last = sheets[-1] if sheets else None
        writable = last if last is not None and last.remote_state not in _APPROVED else None
        out: list[PushStep] = []
        for step in steps:
            if step.step == "amend":
                target = self._plan(local_id, record_no, record, sheets, writable)
                if target is None:
                    continue
                self.targets[local_id] = target
            elif step.step == "amend_approve":
                if local_id not in self.targets:
                    if writable is None or writable.remote_state != "Submitted":
                        continue
                    self.approving[local_id] = writable
                elif self.targets[local_id].kind == "delete":
                    continue
            out.append(step)
        return tuple(out)

    def _plan(
        self,
        local_id: str,
        record_no: int,
        record: Mapping[str, Any] | None,
        sheets: Sequence[CorrectionSheet],
        writable: CorrectionSheet | None,
    ) -> _Target | None:
        entries = self.corrections.entries
        keys = [record_no, *(s.record_no for s in sheets if s.record_no is not None)]
        remote = [e for k in keys for e in entries.get(k, [])]
        local = list((record or {}).get(_LINES) or [])
        frozen = [k for k in keys if writable is None or k != writable.record_no]
        plan = plan_entries(remote, local, self.corrections.fields(), frozen=frozen)
        if not plan.changes:
            return None
        mine = set() if writable is None else {writable.record_no}
        own = [e for e in remote if as_int(e.get("TIMESHEETKEY")) in mine]
        keep = [n for n in plan.keep if any(as_int(e.get("RECORDNO")) == n for e in own)]
        lines = self.corrections.write(plan, own, local, keep)
        header = self._header(record, entries.get(record_no, []))
        if writable is not None:
            kind: Literal["create", "update", "delete"] = "update" if lines else "delete"
            rec = {**header, "RECORDNO": writable.record_no, _LINES: lines}
            return _Target(kind, writable.number, writable.record_no, rec)
        rec = {**header, "STATE": self.create_state, _LINES: lines}
        return _Target("create", self.next_number(local_id), None, rec)

    @staticmethod
    def _header(
        record: Mapping[str, Any] | None, original: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """The header of a correction sheet: the document's (the same employee and week),
        or, for a document deleted locally, the employee and week of its first timesheet."""
        if record is not None:
            return {k: v for k, v in record.items() if k not in ("STATE", "RECORDNO", _LINES)}
        first = original[0] if original else {}
        return {"EMPLOYEEID": first.get("EMPLOYEEID"), "BEGINDATE": first.get("TS_BEGINDATE")}

    def in_step(self, link: Link, content_hash: str | None, revision: str) -> None:
        """Record that Intacct already holds what the document says (a write whose answer
        was lost, found landed): its link moves to this revision, and the outbox rows left
        open for it are closed (this revision's correction-sheet writes as done)."""
        if self.ctx.dry_run:
            return
        store = self.ctx.store
        with store.transaction():
            store.put_link(attrs.evolve(link, content_hash=content_hash, revision=revision))
            for row in store.outbox(
                object_name=self.name,
                states=[OutboxState.PENDING, OutboxState.FAILED],
                local_id=link.local_id,
            ):
                landed = row.step in AMEND_STEPS and row.revision == revision
                done = OutboxState.DONE if landed else OutboxState.SUPERSEDED
                store.put_outbox(attrs.evolve(row, state=done))
            if link.local_id is not None:
                store.resolve_error(self.name, link.local_id)

    # ---------------------------------------------------------------- execute

    def is_create(self, local_id: str, step: str) -> bool:
        """Whether the step creates a sheet (a replay refused says nothing of its RECORDNO)."""
        target = self.targets.get(local_id)
        return step == "amend" and target is not None and target.kind == "create"

    def row_record_no(self, local_id: str, step: str) -> int | None:
        """The RECORDNO the step writes to, when known before it is sent."""
        if step == "amend_approve" and local_id in self.approving:
            return self.approving[local_id].record_no
        target = self.targets.get(local_id)
        return target.record_no if target is not None else None

    def function(
        self,
        local_id: str,
        step: str,
        control_id: str,
        approved_by: str | None,
        comment: str | None,
    ) -> Function:
        """The function of one step."""
        if step == "amend_approve":
            target = self.targets.get(local_id)
            rn = target.record_no if target is not None else self.approving[local_id].record_no
            assert rn is not None
            return Approve(
                self.name, rn, approved_by=approved_by, comment=comment, control_id=control_id
            )
        target = self.targets[local_id]
        stamped = {**target.record, self.stamp_field: self.stamp(local_id, target.number)}
        if target.kind == "create":
            return Create(self.name, [stamped], control_id=control_id)
        assert target.record_no is not None
        if target.kind == "delete":
            return Delete(self.name, [target.record_no], control_id=control_id)
        return Update(self.name, [stamped], control_id=control_id)

    def succeeded(self, local_id: str, step: str, result: Any, revision: str) -> None:
        """Record in the store what a step that landed did to the document's sheets (in the
        caller's transaction)."""
        run = self.ctx.run_id
        if step == "amend_approve":
            target = self.targets.get(local_id)
            number = target.number if target is not None else self.approving[local_id].number
            sheet = next(s for s in self.sheets.get(local_id, []) if s.number == number)
            self._put(attrs.evolve(sheet, remote_state="Approved", last_run=run))
            return
        target = self.targets[local_id]
        if target.kind == "create":
            recs = result.page.records if result is not None and result.page is not None else []
            rn = as_int(recs[0].get("RECORDNO")) if recs else None
            target.record_no = rn
            self.made += 1
            self._put(
                CorrectionSheet(
                    self.name, local_id, target.number, rn, self.create_state, revision, run
                )
            )
            return
        sheet = next(s for s in self.sheets.get(local_id, []) if s.number == target.number)
        if target.kind == "delete":
            self._put(attrs.evolve(sheet, record_no=None, remote_state=None, last_run=run))
        else:
            self._put(
                attrs.evolve(sheet, remote_state="Submitted", revision=revision, last_run=run)
            )

    # --------------------------------------------------------------- recovery

    def resolve(self, row: OutboxEntry, records: Sequence[Mapping[str, Any]]) -> OutboxState:
        """Settle an in-flight ``amend`` or ``amend_approve`` row: a create found by its
        stamp is done; anything else goes back to pending, and the next plan either finds
        nothing left to write (the write landed) or sends it again under the same control
        id (refused by the gateway if it ran)."""
        if row.step == "amend" and self.found(row.local_id, records):
            return OutboxState.DONE
        return OutboxState.PENDING


def is_amend(step: str) -> bool:
    """Whether an outbox step writes a correction sheet rather than the first timesheet."""
    return step in AMEND_STEPS
