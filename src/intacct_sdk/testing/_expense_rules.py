"""Expense report rules: an approver's decisions, and what a decided report still allows.

The XML API has no function that approves or declines an expense report (``approve`` and
``decline`` take timesheets, AP bills and purchasing documents), and no object that lists an
expense report's approval history. So an approver's decision shows on the report alone: its
STATE (and each line's), a new WHENMODIFIED, and MODIFIEDBYLOGINID naming who decided.
:class:`ExpenseDecisions` is the part of :class:`~intacct_sdk.testing.Company` that lets a
test decide as an approver does in Intacct's UI.

A report awaiting approval (or declined, to be corrected and sent again) may be updated or
deleted; one that was approved, or went on towards payment, cannot: Intacct corrects it by a
reversal, which this emulator does not offer. Updating a declined report sends it back for
approval (STATE ``Submitted``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

if TYPE_CHECKING:
    from intacct_sdk.testing._company import Company

__all__ = ["EXPENSE_CHANGEABLE", "ExpenseDecisions", "expense_locked_error"]

EXPENSE_CHANGEABLE: Final = frozenset(
    {"", "Draft", "Saved", "Submitted", "Resubmitted", "Declined"}
)
"""Expense report states in which the gateway still takes an update or a delete."""


def expense_locked_error(record_no: str, state: str) -> str | None:
    """The refusal text for changing an expense report in ``state``, or None if allowed."""
    if state in EXPENSE_CHANGEABLE:
        return None
    return (
        f"Expense report {record_no} is {state} and cannot be changed:"
        " reverse it in Intacct instead."
    )


class ExpenseDecisions:
    """Approve and decline expense reports as an approver does in Intacct's UI (part of
    Company)."""

    def approve_expense_report(self, record_no: int, *, approver: str) -> dict[str, Any]:
        """Approve a submitted expense report, every line of it, as ``approver``.

        The report and its lines get STATE ``Approved``, a new WHENMODIFIED and
        MODIFIEDBYLOGINID ``approver``; the change gets an audit trail row (SOURCE ``ui``)
        and is subject to :attr:`~intacct_sdk.testing.Company.visibility_lag`. Thread-safe.

        Args:
            record_no: The expense report's RECORDNO.
            approver: Who approves (the login id the report's MODIFIEDBYLOGINID shows).

        Returns:
            A copy of the report as stored.

        Raises:
            ValueError: No such report, or it is not awaiting approval.
        """
        return self._decide_expense(record_no, "Approved", approver)

    def decline_expense_report(self, record_no: int, *, approver: str) -> dict[str, Any]:
        """Decline a submitted expense report as ``approver``.

        As :meth:`approve_expense_report`, with STATE ``Declined``. The employee may then
        correct it and send it again (an update makes it ``Submitted``). Thread-safe.

        Args:
            record_no: The expense report's RECORDNO.
            approver: Who declines (the login id the report's MODIFIEDBYLOGINID shows).

        Returns:
            A copy of the report as stored.

        Raises:
            ValueError: No such report, or it is not awaiting approval (an approved report
                cannot be declined).
        """
        return self._decide_expense(record_no, "Declined", approver)

    def _decide_expense(self, record_no: int, state: str, approver: str) -> dict[str, Any]:
        company = cast("Company", self)
        with company.lock, company._acting():
            d = company.resolve("EEXPENSES")
            ld = company.resolve("EEXPENSESITEM")
            if d is None or ld is None:
                raise ValueError("this company has no expense reports (EEXPENSES)")
            report = company.table("EEXPENSES").rows.get(int(record_no))
            if report is None:
                raise ValueError(f"Invalid expense report '{record_no}' specified.")
            current = str(report.get("STATE") or "")
            if current not in ("Submitted", "Resubmitted"):
                raise ValueError(
                    f"Expense report {record_no} is {current or 'not submitted'}:"
                    " only a submitted report can be approved or declined."
                )
            now = company.stamp()
            rn = str(report["RECORDNO"])
            for line in list(company.table("EEXPENSESITEM").rows.values()):
                if str(line.get("RECORDKEY")) == rn:
                    upd = dict(line)
                    if "STATE" in ld.fields:
                        upd["STATE"] = state
                    if "WHENMODIFIED" in ld.fields:
                        upd["WHENMODIFIED"] = now
                    company.put(ld, upd)
            header = dict(report)
            header["STATE"] = state
            header["WHENMODIFIED"] = now
            if "MODIFIEDBYLOGINID" in d.fields:
                header["MODIFIEDBYLOGINID"] = approver
            company.put(d, header)
            company._commit_db()
            return dict(header)
