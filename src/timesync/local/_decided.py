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
CREATE TABLE IF NOT EXISTS document_decisions (
    kind TEXT NOT NULL, doc_id INTEGER NOT NULL, state TEXT NOT NULL, approver TEXT,
    decided_on TEXT, comment TEXT, entry_states TEXT NOT NULL DEFAULT '[]',
    intacct_recordno INTEGER, PRIMARY KEY (kind, doc_id));
"""

_TABLES: Final = {"TIMESHEET": "timesheets", "EEXPENSES": "expense_reports"}


class DecisionLog:
    """Mixin for :class:`~timesync.local.ReferenceApp`: what Intacct decided per timesheet
    and expense report."""

    _conn: sqlite3.Connection

    def _create_decision_table(self) -> None:
        self._conn.executescript(_SCHEMA)
        old = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'timesheet_decisions'"
        ).fetchone()
        if old is not None:  # an app database from before expense reports were decided
            self._conn.executescript(
                "INSERT OR IGNORE INTO document_decisions SELECT 'TIMESHEET', timesheet_id,"
                " state, approver, decided_on, comment, entry_states, intacct_recordno"
                " FROM timesheet_decisions; DROP TABLE timesheet_decisions;"
            )

    def document_decided(self, object_name: str, local_id: str, decision: Decision) -> None:
        """Record Intacct's decision on a timesheet or expense report: its state (also as
        the document's Intacct state), approver, date, comment and per-entry states.
        Calling it again with the same decision changes nothing."""
        table = _TABLES.get(object_name)
        if table is None:
            return
        self._conn.execute(
            "INSERT OR REPLACE INTO document_decisions (kind, doc_id, state, approver,"
            " decided_on, comment, entry_states, intacct_recordno)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                object_name,
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
            f"UPDATE {table} SET intacct_state = ? WHERE id = ?",  # noqa: S608 - fixed names
            (decision.state, int(local_id)),
        )

    def document_status(self, local_id: str, object_name: str = "TIMESHEET") -> Decision | None:
        """The last decision Intacct made on a timesheet (or, with ``object_name``
        ``EEXPENSES``, an expense report), as the app recorded it; None while the app has
        heard none."""
        row = self._conn.execute(
            "SELECT * FROM document_decisions WHERE kind = ? AND doc_id = ?",
            (object_name, int(local_id)),
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

    def timesheet_status(self, local_id: str) -> Decision | None:
        """:meth:`document_status` of a timesheet."""
        return self.document_status(local_id, "TIMESHEET")
