"""The demo's approver: decisions made on the Intacct side, and Intacct's entries shown back.

An approver in Intacct approves or declines submitted timesheets; the demo plays that role
only where it knows it talks to the emulator, never to a real company:

- with the in-process emulator, through its company's own API
  (``Company.approve_timesheet`` / ``decline_timesheet``, as an approver does in the UI);
- with ``--endpoint`` at a served emulator (``intacct emulator``, which names itself in its
  ``Server`` header), through the gateway's ``approve`` / ``decline`` functions;
- with ``--endpoint`` at anything else, not at all: deciding on a real company's time is
  its approvers' business, so the demo skips these steps and says why.

Each decision is made only on a timesheet Intacct still holds as awaiting approval, so a
demo killed halfway through its decisions makes the rest, and none twice, when run again.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final, Protocol

import attrs
import httpx

from intacct_sdk import Client
from intacct_sdk.query import F
from timesync.demo._data import CORRECTED_NOTE
from timesync.demo._progress import checkpoint
from timesync.local import ReferenceApp

__all__ = [
    "APPROVER",
    "DECLINE_COMMENT",
    "Approver",
    "CompanyApprover",
    "GatewayApprover",
    "IdentifyingTransport",
    "IntacctEntry",
    "decide",
    "entries_in_intacct",
    "pick",
]

APPROVER: Final = "DEMO-APPROVER"
"""Who the demo's decisions are made by (the approval records' APPROVEDBY)."""

DECLINE_COMMENT: Final = "Wednesday's hours belong to another project"
"""The comment the demo's approver declines a timesheet with."""

APPROVALS: Final = 3
"""How many timesheets the demo's approver approves (one more is declined)."""

EMULATOR_SERVER: Final = "intacct-emulator"
"""How a served emulator names itself in its answers' ``Server`` header."""


class Approver(Protocol):
    """Who decides on submitted timesheets in Intacct, for the demo."""

    def states(self, record_nos: Sequence[int]) -> dict[int, str]:
        """The Intacct STATE of each of these timesheets (missing ones left out)."""

    def approve(self, record_no: int) -> None:
        """Approve every entry of a submitted timesheet."""

    def decline(self, record_no: int, comment: str) -> None:
        """Decline every entry of a submitted timesheet, with a comment for the employee."""


@attrs.define(slots=True)
class CompanyApprover:
    """The approver of the in-process emulator: its company's approval API (the UI's way)."""

    company: Any

    def states(self, record_nos: Sequence[int]) -> dict[int, str]:
        wanted = set(record_nos)
        return {
            int(r["RECORDNO"]): str(r.get("STATE") or "")
            for r in self.company.records("TIMESHEET")
            if int(r["RECORDNO"]) in wanted
        }

    def approve(self, record_no: int) -> None:
        self.company.approve_timesheet(record_no, approver=APPROVER)

    def decline(self, record_no: int, comment: str) -> None:
        self.company.decline_timesheet(record_no, approver=APPROVER, comment=comment)


@attrs.define(slots=True)
class GatewayApprover:
    """The approver of a served emulator: the gateway's ``approve`` and ``decline``."""

    client: Client

    def states(self, record_nos: Sequence[int]) -> dict[int, str]:
        if not record_nos:
            return {}
        return {
            int(r["RECORDNO"]): str(r.get("STATE") or "")
            for r in self.client.read("TIMESHEET", list(record_nos), ["RECORDNO", "STATE"])
        }

    def approve(self, record_no: int) -> None:
        self.client.approve("TIMESHEET", record_no, approved_by=APPROVER)

    def decline(self, record_no: int, comment: str) -> None:
        self.client.decline("TIMESHEET", record_no, declined_by=APPROVER, comment=comment)


class IdentifyingTransport(httpx.BaseTransport):
    """An HTTP transport that notes whether the gateway answering is a served emulator.

    It only looks at the ``Server`` header of answers the demo receives anyway, so telling a
    served emulator from a real gateway costs no request.

    Args:
        inner: The transport that sends the requests (default: httpx's own).
    """

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.server: str | None = None

    @property
    def emulator(self) -> bool:
        """Whether an answer came from the emulator."""
        return (self.server or "").startswith(EMULATOR_SERVER)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.server = response.headers.get("server", self.server)
        return response

    def close(self) -> None:
        self.inner.close()


def pick(app: ReferenceApp, ids: Iterable[str], seed: int) -> tuple[list[str], str | None]:
    """The timesheets the approver approves and the one it declines (deterministic).

    Only pushed timesheets the app still has count, and none the demo corrected before
    (so the correction of approved time is the only note on its entry); picked by ``seed``
    and sorted by id.

    Returns:
        The ids to approve, and the id to decline (None when fewer than two are there).
    """
    live = sorted(
        (
            i
            for i in ids
            if not app.timesheet_deleted(i)
            and app.pushed_state(i)[0] is not None
            and all(e.notes != CORRECTED_NOTE for e in app.timesheet_entries(i))
        ),
        key=int,
    )
    if len(live) < 2:
        return [], None
    chosen = random.Random(seed + 2).sample(live, min(APPROVALS + 1, len(live)))
    return sorted(chosen[:-1], key=int), chosen[-1]


def decide(
    approver: Approver, app: ReferenceApp, approve: Sequence[str], decline: str
) -> list[str]:
    """Approve ``approve`` and decline ``decline`` in Intacct, each only while it awaits
    approval there (so a rerun after a crash decides nothing twice).

    Returns:
        A line per timesheet, saying what was decided now or found decided before.
    """
    plan = [(i, True) for i in approve] + [(decline, False)]
    record_nos = {i: app.pushed_state(i)[0] for i in (*approve, decline)}
    states = approver.states([rn for rn in record_nos.values() if rn is not None])
    lines: list[str] = []
    done = 0
    for local_id, yes in plan:
        rn = record_nos[local_id]
        verb = "approved" if yes else f'declined with the comment "{DECLINE_COMMENT}"'
        state = states.get(rn) if rn is not None else None
        if rn is None or state is None:
            lines.append(f"timesheet {local_id}: not in Intacct, left alone")
            continue
        if state != "Submitted":
            lines.append(f"timesheet {local_id} (RECORDNO {rn}): {state} already, left alone")
            continue
        if yes:
            approver.approve(rn)
        else:
            approver.decline(rn, DECLINE_COMMENT)
        lines.append(f"timesheet {local_id} (RECORDNO {rn}): {verb}")
        done += 1
        if done == 1:
            checkpoint("decide")
    return lines


@attrs.frozen(slots=True)
class IntacctEntry:
    """One entry of a timesheet as Intacct holds it, for the demo's listing."""

    line: int
    entry_date: date | None
    hours: Decimal
    state: str
    notes: str


def entries_in_intacct(client: Client, record_no: int) -> list[IntacctEntry]:
    """A timesheet's entries as the gateway returns them, in line order (one request)."""
    rows = client.query(
        "TIMESHEETENTRY",
        ["RECORDNO", "LINENO", "ENTRYDATE", "QTY", "STATE", "NOTES"],
        where=F("TIMESHEETKEY") == record_no,
    )
    out = [
        IntacctEntry(
            line=int(r.get("LINENO") or 0),
            entry_date=r.get("ENTRYDATE") if isinstance(r.get("ENTRYDATE"), date) else None,
            hours=Decimal(str(r.get("QTY") or 0)),
            state=str(r.get("STATE") or ""),
            notes=str(r.get("NOTES") or ""),
        )
        for r in rows
    ]
    return sorted(out, key=lambda e: e.line)
