"""The reference app's record of Intacct's approval decisions (kept apart from the app's
main module so each stays readable)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Final

from timesync.local._protocol import Decision

__all__ = ["DecisionLog"]

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS timesheet_decisions (
    timesheet_id INTEGER PRIMARY KEY, state TEXT NOT NULL, approver TEXT, decided_on TEXT,
    comment TEXT, entry_states TEXT NOT NULL DEFAULT '[]', intacct_recordno INTEGER);
"""


class DecisionLog:
    """Mixin for :class:`~timesync.local.ReferenceApp`: what Intacct decided per timesheet."""

    _conn: sqlite3.Connection

    def _create_decision_table(self) -> None:
        self._conn.executescript(_SCHEMA)

    def document_decided(self, object_name: str, local_id: str, decision: Decision) -> None:
        """Record Intacct's decision on a timesheet: its state (also as the timesheet's
        Intacct state), approver, date, comment and per-entry states. Calling it again
        with the same decision changes nothing."""
        if object_name != "TIMESHEET":
            return
        self._conn.execute(
            "INSERT OR REPLACE INTO timesheet_decisions (timesheet_id, state, approver,"
            " decided_on, comment, entry_states, intacct_recordno) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                int(local_id),
                decision.state,
                decision.approver,
                decision.decided_on.isoformat() if decision.decided_on else None,
                decision.comment,
                json.dumps([list(e) for e in decision.entry_states]),
                decision.record_no,
            ),
        )
        self._conn.execute(
            "UPDATE timesheets SET intacct_state = ? WHERE id = ?", (decision.state, int(local_id))
        )

    def timesheet_status(self, local_id: str) -> Decision | None:
        """The last decision Intacct made on a timesheet, as the app recorded it; None
        while the app has heard none."""
        row = self._conn.execute(
            "SELECT * FROM timesheet_decisions WHERE timesheet_id = ?", (int(local_id),)
        ).fetchone()
        if row is None:
            return None
        return Decision(
            state=row["state"],
            record_no=row["intacct_recordno"],
            approver=row["approver"],
            decided_on=date.fromisoformat(row["decided_on"]) if row["decided_on"] else None,
            comment=row["comment"],
            entry_states=tuple((int(n), str(s)) for n, s in json.loads(row["entry_states"])),
        )
