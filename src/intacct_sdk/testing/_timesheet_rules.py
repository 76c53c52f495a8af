"""Timesheet rules shared by the gateway functions and the approver's helpers.

Approved time is immutable: an approved entry cannot be changed, removed or declined, but new
entries (negative ones too, to offset it) may be added to its timesheet. Approve and decline
decisions are recorded on the entries and as TIMESHEETAPPROVAL rows. A timesheet starts on the
company's week start. :class:`TimesheetDecisions` is the part of
:class:`~intacct_sdk.testing.Company` that lets a test approve or decline as an approver does in
Intacct's UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from intacct_sdk.testing._objects import ObjectDef

if TYPE_CHECKING:
    from intacct_sdk.testing._company import Company

__all__ = [
    "WEEKDAYS",
    "DecisionError",
    "TimesheetDecisions",
    "changed_fields",
    "decide",
    "record_approval",
    "rollup_state",
    "second_sheet_error",
    "week_start_error",
    "weekday_name",
]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Fields Intacct fills on an entry itself; a client resending them unchanged or not at all
# does not change the entry.
_DERIVED = frozenset({"RECORDNO", "LINENO", "STATE", "WHENCREATED", "WHENMODIFIED"})


class DecisionError(ValueError):
    """An approve or decline that the gateway (or the UI) refuses; the text is Intacct's."""


def weekday_name(value: str | None) -> str | None:
    """``value`` as a weekday name in title case (None turns the week-start rule off).

    Raises:
        ValueError: ``value`` is not a weekday name.
    """
    if value is None:
        return None
    name = value.strip().title()
    if name not in WEEKDAYS:
        raise ValueError(f"week_start must be a weekday name such as 'Monday', not {value!r}")
    return name


def week_start_error(begin_date: str, week_start: str | None) -> str | None:
    """The refusal text when ``begin_date`` (``MM/DD/YYYY``) is not on ``week_start``, else None."""
    if week_start is None or not begin_date:
        return None
    try:
        day = WEEKDAYS[datetime.strptime(begin_date, "%m/%d/%Y").weekday()]
    except ValueError:
        return None  # a malformed date is refused by the field checks
    if day == week_start:
        return None
    return (
        f"The timesheet begin date {begin_date} is a {day}: timesheets in this company"
        f" must begin on a {week_start}."
    )


def rollup_state(states: Sequence[str]) -> str:
    """A timesheet's state from its entries' states.

    All approved: Approved; all declined: Declined; any declined: Partially Declined; any
    approved (the others awaiting approval): Partially Approved; otherwise Submitted.
    """
    s = set(states)
    if s == {"Approved"}:
        return "Approved"
    if s == {"Declined"}:
        return "Declined"
    if "Declined" in s:
        return "Partially Declined"
    if "Approved" in s:
        return "Partially Approved"
    return "Submitted"


def _same(a: object, b: object) -> bool:
    if str(a) == str(b):
        return True
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except InvalidOperation:
        return False


def changed_fields(stored: Mapping[str, Any], sent: Mapping[str, Any]) -> list[str]:
    """The fields ``sent`` gives a value other than ``stored``'s (Intacct's own fields aside)."""
    return sorted(
        k
        for k, v in sent.items()
        if k not in _DERIVED and not _same(stored.get(k, "") or "", v or "")
    )


def _stamp(d: ObjectDef, rec: dict[str, Any], now: str, creating: bool) -> None:
    if creating:
        f = d.fields.get("WHENCREATED")
        if f is not None and f.datatype == "DATE":
            rec.setdefault("WHENCREATED", now[:10])
        else:
            rec["WHENCREATED"] = now
    rec["WHENMODIFIED"] = now


def record_approval(
    company: Company,
    timesheet: Mapping[str, Any],
    entry: Mapping[str, Any],
    state: str,
    by: str,
    comment: str,
) -> None:
    """Store one TIMESHEETAPPROVAL row: an entry submitted, approved or declined."""
    ad = company.resolve("TIMESHEETAPPROVAL")
    assert ad is not None
    now = company.stamp()
    rec: dict[str, Any] = {
        "RECORDNO": str(company.next_recordno("TIMESHEETAPPROVAL")),
        "TIMESHEETKEY": timesheet["RECORDNO"],
        "TIMESHEETENTRYKEY": entry["RECORDNO"],
        "TSENTRYLINENO": entry.get("LINENO", ""),
        "APPROVAL_TYPE": "Timesheet",
        "APPROVAL_STAGE": "1",
        "APPROVAL_LEVEL": "1",
        "APPROVERID": by,
        "APPROVEDBY": by,
        "EVENTDATE": now[:10],
        "COMMENTS": comment,
        "STATE": state,
    }
    rec = {k: v for k, v in rec.items() if k in ad.fields}
    _stamp(ad, rec, now, True)
    company.put(ad, rec)


def decide(
    company: Company,
    record_no: int | str,
    *,
    approve: bool,
    by: str,
    comment: str,
    entries: Sequence[int | str] | None,
) -> dict[str, Any]:
    """Approve or decline entries of a timesheet (the caller holds the lock and unit of work).

    Args:
        company: The company.
        record_no: The timesheet's RECORDNO.
        approve: True to approve, False to decline.
        by: Who decides (kept in the approval rows' APPROVERID and APPROVEDBY).
        comment: The approver's comment (kept in the approval rows' COMMENTS).
        entries: The entries' RECORDNOs; None: every entry awaiting approval.

    Returns:
        The timesheet as stored afterwards.

    Raises:
        DecisionError: No such timesheet, an entry not of it, nothing awaiting approval, or an
            entry not Submitted (an approved entry cannot be declined).
    """
    rn = str(record_no).strip()
    ts = company.table("TIMESHEET").rows.get(int(rn)) if rn.isdigit() else None
    if ts is None:
        raise DecisionError(f"Invalid Timesheet '{rn}' specified.")
    ld = company.resolve("TIMESHEETENTRY")
    td = company.resolve("TIMESHEET")
    assert ld is not None and td is not None
    lines = [
        r for r in company.table("TIMESHEETENTRY").rows.values() if r.get("TIMESHEETKEY") == rn
    ]
    by_rn = {str(e["RECORDNO"]): e for e in lines}
    if entries is not None:
        chosen = []
        for k in (str(x).strip() for x in entries):
            if k not in by_rn:
                raise DecisionError(f"Timesheet entry {k} does not belong to timesheet {rn}.")
            chosen.append(by_rn[k])
    else:
        chosen = [e for e in lines if e.get("STATE") == "Submitted"]
    if not chosen:
        raise DecisionError(f"Timesheet {rn} has no entries awaiting approval.")
    for e in chosen:
        state = e.get("STATE")
        if state == "Approved" and not approve:
            raise DecisionError(
                f"Timesheet entry {e['RECORDNO']} is Approved and cannot be declined:"
                " only entries not yet approved can be declined."
            )
        if state != "Submitted":
            raise DecisionError(f"Timesheet entry {e['RECORDNO']} is {state}, not Submitted.")
    new_state = "Approved" if approve else "Declined"
    now = company.stamp()
    for e in chosen:
        upd = dict(e)
        upd["STATE"] = new_state
        if approve:
            upd["APPROVED_QTY"] = upd.get("QTY", "")
        _stamp(ld, upd, now, False)
        company.put(ld, upd)
        record_approval(company, ts, upd, new_state, by, comment)
    header = dict(ts)
    header["STATE"] = rollup_state(
        [
            str(r.get("STATE"))
            for r in company.table("TIMESHEETENTRY").rows.values()
            if r.get("TIMESHEETKEY") == rn
        ]
    )
    _stamp(td, header, now, False)
    company.put(td, header)
    return dict(header)


class TimesheetDecisions:
    """Approve and decline timesheets as an approver does in Intacct's UI (part of Company)."""

    def approve_timesheet(
        self,
        record_no: int,
        *,
        approver: str,
        comment: str = "",
        entries: Sequence[int | str] | None = None,
    ) -> dict[str, Any]:
        """Approve a submitted timesheet, or some of its entries, as ``approver`` in the UI.

        It follows the gateway's ``approve``: each entry approved gets STATE ``Approved``, a
        new WHENMODIFIED and a TIMESHEETAPPROVAL row with ``approver`` and ``comment``; the
        timesheet's STATE rolls up from its entries. Like :meth:`update`, the changes get
        audit trail rows (SOURCE ``ui``, USERID :attr:`ui_user`) and are subject to
        :attr:`visibility_lag`. Thread-safe.

        Args:
            record_no: The timesheet's RECORDNO.
            approver: Who approves (the approval rows' APPROVERID and APPROVEDBY).
            comment: The approver's comment.
            entries: RECORDNOs of the entries to approve; None: every entry awaiting approval.

        Returns:
            A copy of the timesheet as stored.

        Raises:
            ValueError: No such timesheet, an entry not of it, or an entry not awaiting
                approval (the gateway's refusal text).
        """
        return self._decide(record_no, True, approver, comment, entries)

    def decline_timesheet(
        self,
        record_no: int,
        *,
        approver: str,
        comment: str = "",
        entries: Sequence[int | str] | None = None,
    ) -> dict[str, Any]:
        """Decline a submitted timesheet, or some of its entries, as ``approver`` in the UI.

        As :meth:`approve_timesheet`, with STATE ``Declined``. Only entries awaiting approval
        can be declined: an approved entry is refused, as in Intacct. Thread-safe.

        Args:
            record_no: The timesheet's RECORDNO.
            approver: Who declines (the approval rows' APPROVERID and APPROVEDBY).
            comment: Why (the approval rows' COMMENTS; the employee reads it).
            entries: RECORDNOs of the entries to decline; None: every entry awaiting approval.

        Returns:
            A copy of the timesheet as stored.

        Raises:
            ValueError: No such timesheet, an entry not of it, or an entry not awaiting
                approval (an approved entry cannot be declined).
        """
        return self._decide(record_no, False, approver, comment, entries)

    def _decide(
        self,
        record_no: int,
        approve: bool,
        approver: str,
        comment: str,
        entries: Sequence[int | str] | None,
    ) -> dict[str, Any]:
        company = cast("Company", self)
        with company.lock, company._acting():
            header = decide(
                company, record_no, approve=approve, by=approver, comment=comment, entries=entries
            )
            company._commit_db()
            return header


def second_sheet_error(rows: Iterable[Mapping[str, Any]], rec: Mapping[str, Any]) -> str | None:
    """Why a new timesheet is refused under ``Company.one_timesheet_per_week``: its employee
    already has a live (not declined) timesheet beginning the same day (None: it is not)."""
    employee, begin = str(rec.get("EMPLOYEEID", "")), str(rec.get("BEGINDATE", ""))
    for other in rows:
        if (
            str(other.get("EMPLOYEEID", "")) == employee
            and str(other.get("BEGINDATE", "")) == begin
            and other.get("STATE") != "Declined"
        ):
            return (
                f"Employee {employee} already has timesheet {other['RECORDNO']} beginning {begin}."
            )
    return None
