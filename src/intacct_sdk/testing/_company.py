"""The emulated company's data: records per object, in memory, optionally backed by SQLite.

Records are flat ``dict[str, str]`` keyed by the gateway's field names (dotted keys for nested
groups such as ``PERSONALINFO.EMAIL1``), values in one canonical form: the gateway's display
formats for a UTC, ``/mdY`` user (timestamps ``MM/DD/YYYY HH:MM:SS`` in UTC, dates
``MM/DD/YYYY``). The emulator shows them to each API user in that user's preferences. Line records
(timesheet entries, expense lines) live in their own object tables, linked to the parent by key.

Each object table keeps its rows in RECORDNO order and an index by business ID, so reads by key
are O(1) and scans go in RECORDNO order without sorting.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import attrs

from intacct_sdk.testing._audit import audit_change
from intacct_sdk.testing._definitions import CompanyDefinitions, CustomField, _declare
from intacct_sdk.testing._display import flatten, to_wire_value
from intacct_sdk.testing._expense_rules import ExpenseDecisions
from intacct_sdk.testing._objects import ObjectDef
from intacct_sdk.testing._persist import CompanyFile
from intacct_sdk.testing._tables import Table as _Table
from intacct_sdk.testing._timesheet_rules import TimesheetDecisions, weekday_name
from intacct_sdk.testing._visibility import Visibility

__all__ = ["Company", "CustomField", "to_wire_value"]

log = logging.getLogger(__name__)

Key = str | tuple[str, str]


class Company(TimesheetDecisions, ExpenseDecisions, CompanyDefinitions):
    """The data of one emulated Intacct company.

    Records live in memory, one table per object, as flat ``dict[str, str]`` keyed by the
    gateway's field names. Give ``path`` to keep them in a SQLite file as well: an existing
    file is loaded (records, custom fields, dimensions, entity count and the control IDs seen),
    and every committed change is written through, so a company outlives its process.

    The data methods meant for tests (:meth:`insert`, :meth:`bulk_insert`, :meth:`get`,
    :meth:`records`, the declarations, :meth:`close`) hold :attr:`lock`, the lock the
    :class:`Emulator` holds while it handles a request, so they are safe to call while the
    emulator serves other threads. The lower-level methods the emulator itself uses
    (:meth:`table`, :meth:`find`, :meth:`put`, :meth:`begin`...) take no lock: hold
    :attr:`lock` around them.

    Args:
        path: SQLite file to keep the data in (created if missing, loaded if present); None
            keeps everything in memory.
        entities: Number of entities of a multi-entity company (0: single-entity; a file's
            saved count is used when this is 0). When non-zero, gateway writes need a
            LOCATIONID on employees, projects, timesheet entries and expense lines (an
            entity session fills it in). It creates no entity locations: use
            :func:`empty_company` or :func:`demo_company` for those.
        name: The company ID (``DEMO``); it names the company in logs and reprs, while the
            emulator's credentials decide which company ID a login accepts.
        clock: Returns the current aware time; WHENCREATED/WHENMODIFIED come from it
            (default: the system clock). They are stored in UTC; each API user sees them in
            their own time zone (``Emulator(user_timezone=...)``).
        custom_fields: Custom fields to declare (see :meth:`add_custom_field`).
        dimensions: Names of user-defined dimensions to declare, each labelled with its name
            in title case (see :meth:`add_dimension`).
        week_start: The weekday timesheets begin on (a company setting in Intacct): a
            TIMESHEET whose BEGINDATE falls on another day is refused. None turns the rule
            off. Not kept in the SQLite file.
        one_timesheet_per_week: Refuse a TIMESHEET whose employee already has a live
            timesheet beginning the same day (default False: any number, as corrections in
            new timesheets need; the real rule is not published). Not kept in the file.

    Raises:
        ValueError: ``week_start`` is not a weekday name.
        sqlite3.Error: ``path`` cannot be opened as a SQLite database.

    Attributes:
        name: The company ID given.
        entities: The number of entities.
        clock: The clock in use (an :class:`Emulator` given a clock replaces it).
        lock: The re-entrant lock guarding the data (see above).
        ui_user: The USERID of the audit trail rows of changes made through :meth:`insert`,
            :meth:`update` and :meth:`delete` (default ``Admin``).
        week_start: The weekday timesheets begin on (None: any day); settable.
        one_timesheet_per_week: Whether a second live timesheet of one employee and week is
            refused; settable.
        audit_limit: How many audit trail rows to keep (default 100,000): past it plus a
            tenth, the oldest are forgotten down to it; 0 keeps no trail at all.

    Examples:
        >>> from intacct_sdk.testing import Company
        >>> company = Company()
        >>> company.insert("DEPARTMENT", {"DEPARTMENTID": "ENG", "TITLE": "Engineering"})
        1
        >>> company.get("DEPARTMENT", 1)["STATUS"]
        'active'
    """

    def __init__(
        self,
        *,
        path: str | os.PathLike[str] | None = None,
        entities: int = 0,
        name: str = "DEMO",
        clock: Callable[[], datetime] | None = None,
        custom_fields: Iterable[CustomField] = (),
        dimensions: Iterable[str] = (),
        week_start: str | None = "Monday",
        one_timesheet_per_week: bool = False,
    ) -> None:
        self.name = name
        self.week_start = weekday_name(week_start)
        self.one_timesheet_per_week = one_timesheet_per_week
        self.entities = entities
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.lock = threading.RLock()
        self._tables: dict[str, _Table] = {}
        super().__init__()
        self.audit_limit = 100_000
        self.ui_user = "Admin"
        self._actor: tuple[str, str] | None = None  # (SOURCE, USERID) of changes being made
        self._late = Visibility(self)
        self._undo: list[tuple[str, int, dict[str, Any] | None]] | None = None
        self._seq_snapshot: dict[str, int] = {}
        self._dirty_seq: set[str] = set()
        self._controlids: dict[str, None] = {}
        self._db: CompanyFile | None = None
        if path is not None:
            self._open_db(os.fspath(path))
        for cf in custom_fields:
            self.add_custom_field(cf.object_name, cf.field_id, cf.datatype, cf.label)
        for d in dimensions:
            self.add_dimension(d)

    # -----------------------------------------------------------------------------------------
    # time

    def now(self) -> datetime:
        """The current time from :attr:`clock`, in UTC.

        Returns:
            An aware datetime in UTC.
        """
        return self.clock().astimezone(UTC)

    def stamp(self, zone: tzinfo | None = None) -> str:
        """The current time as a stored WHENMODIFIED value (UTC).

        Every stored timestamp is UTC; the emulator shows each API user their own zone and
        format, and GMT fields (``AUDITHISTORY.ACCESSTIME``) in UTC.

        Args:
            zone: Write the time in this zone instead of UTC (stored values are UTC: kept
                for callers that need a wall time elsewhere).

        Returns:
            :meth:`now` (or the clock's time in ``zone``) as ``MM/DD/YYYY HH:MM:SS``.
        """
        moment = self.now() if zone is None else self.clock().astimezone(zone)
        return moment.strftime("%m/%d/%Y %H:%M:%S")

    # -----------------------------------------------------------------------------------------
    # public data access (seed path and tests)

    def insert(self, object_name: str, record: Mapping[str, Any]) -> int:
        """Add a record as it is, with none of the checks a gateway ``create`` makes.

        Nothing is validated: not required fields, not references to other records, not
        field names, not duplicate IDs (a second record with the same ID takes the ID's
        place in lookups by ID; both stay). That makes it the way to set up states a client
        could not create, such as approved timesheets or records of another system.

        Keys are upper-cased; nested mappings become dotted keys (``{"PERSONALINFO":
        {"EMAIL1": ...}}`` is stored as ``PERSONALINFO.EMAIL1``); values are converted to the
        gateway's display formats (``true``/``false``, ``MM/DD/YYYY``, ``MM/DD/YYYY
        HH:MM:SS``, fixed-point decimals); None values are left out; a list of plain values is
        a multi-select value joined with ``#~#``.

        RECORDNO is taken from the record when it holds digits (a RECORDNO in use replaces
        that record), else the next in sequence. Defaults fill what is missing: the ID field
        takes the RECORDNO for objects that number their records (EMPLOYEE, PROJECT, TASK,
        CUSTOMER, EEXPENSES), STATUS is ``active`` where the object has one, a few objects
        have further defaults (a timesheet's UOM, an expense report's STATE and currency), and
        WHENCREATED/WHENMODIFIED are :meth:`stamp` (``"WHENMODIFIED": None`` keeps it empty,
        as some real records are). A timesheet's ``TIMESHEETENTRIES`` (a list of mappings)
        become TIMESHEETENTRY records linked by TIMESHEETKEY, with LINENO 1, 2, ... and the
        timesheet's STATE unless given; likewise an expense report's ``EEXPENSESITEMS``.

        Each record stored is a change made in Intacct's UI: it gets an audit trail row
        (ACCESSMODE ``C``, or ``M`` when it replaced a record; SOURCE ``ui``; USERID
        :attr:`ui_user`) and is subject to :attr:`visibility_lag`. The change is committed to
        the SQLite file, if any. Thread-safe.

        Args:
            object_name: The object, in any case (a standard object or a declared dimension).
            record: Field names to values.

        Returns:
            The record's RECORDNO.

        Raises:
            ValueError: The company knows no object named ``object_name``.

        Examples:
            >>> from datetime import date
            >>> from decimal import Decimal
            >>> from intacct_sdk.testing import Company
            >>> company = Company()
            >>> employee = {"EMPLOYEEID": "E1", "PERSONALINFO": {"EMAIL1": "ada@example.com"}}
            >>> company.insert("employee", employee)
            1
            >>> entries = [{"ENTRYDATE": date(2025, 1, 6), "QTY": Decimal("7.5")}]
            >>> company.insert(
            ...     "TIMESHEET",
            ...     {
            ...         "EMPLOYEEID": "E1",
            ...         "BEGINDATE": date(2025, 1, 6),
            ...         "STATE": "Approved",
            ...         "TIMESHEETENTRIES": entries,
            ...     },
            ... )
            1
            >>> entry = company.get("TIMESHEETENTRY", 1)
            >>> entry["TIMESHEETKEY"], entry["LINENO"], entry["QTY"], entry["STATE"]
            ('1', '1', '7.5', 'Approved')
            >>> company.get("EMPLOYEE", 1)["PERSONALINFO.EMAIL1"]
            'ada@example.com'
        """
        with self.lock, self._acting():
            d = self._require(object_name)
            rec = flatten(record)
            rn = self._insert_flat(d, rec, self.stamp())
            self._commit_db()
            return rn

    def bulk_insert(self, object_name: str, records: Iterable[Mapping[str, Any]]) -> None:
        """Add many records of one object, as :meth:`insert` does, in one go.

        The fast path for seeding: one lock, one timestamp for every record, one SQLite
        commit at the end. Seeded records predate the audit trail (they get no rows in it)
        and are seen by reads at once, whatever :attr:`visibility_lag` says. Thread-safe.

        Args:
            object_name: The object, in any case.
            records: The records (any iterable; consumed once).

        Raises:
            ValueError: The company knows no object named ``object_name``.
        """
        with self.lock:
            d = self._require(object_name)
            now = self.stamp()
            for record in records:
                self._insert_flat(d, flatten(record), now)
            self._commit_db()

    def update(
        self, object_name: str, record_no: int, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change a record as a person does in Intacct's UI, with no checks.

        ``changes`` are written as :meth:`insert` writes values (a None clears the field);
        WHENMODIFIED becomes :meth:`stamp` unless ``changes`` gives it. The change gets an
        audit trail row (``M``, SOURCE ``ui``, USERID :attr:`ui_user`) and is subject to
        :attr:`visibility_lag`. Lines are records of their own: update them one by one.
        Thread-safe.

        Args:
            object_name: The object, in any case.
            record_no: The record's RECORDNO.
            changes: Field names to new values.

        Returns:
            A copy of the record as stored.

        Raises:
            ValueError: No such object or record, or ``changes`` holds a list of lines.
        """
        with self.lock, self._acting():
            d = self._require(object_name)
            old = self.table(d.name).rows.get(int(record_no))
            if old is None:
                raise ValueError(f"{d.name} has no record with RECORDNO {record_no}")
            flat = flatten(changes, clear=True)
            if any(isinstance(v, list) for v in flat.values()):
                raise ValueError("update changes one record: update its lines one by one")
            rec = {**old, **flat, "RECORDNO": old["RECORDNO"]}
            if "WHENMODIFIED" not in flat:
                rec["WHENMODIFIED"] = self.stamp()
            self.put(d, rec)
            self._commit_db()
            return dict(rec)

    def delete(self, object_name: str, record_no: int) -> None:
        """Delete a record as a person does in Intacct's UI, with no checks.

        A timesheet or expense report goes with its lines (and a timesheet with its approval
        rows), as a gateway ``delete`` does. Each record removed gets an audit trail row
        (``D``, SOURCE ``ui``, USERID :attr:`ui_user`); reads keep seeing it for
        :attr:`visibility_lag`. Thread-safe.

        Args:
            object_name: The object, in any case.
            record_no: The record's RECORDNO.

        Raises:
            ValueError: No such object or record.
        """
        with self.lock, self._acting():
            d = self._require(object_name)
            if int(record_no) not in self.table(d.name).rows:
                raise ValueError(f"{d.name} has no record with RECORDNO {record_no}")
            self.remove_with_owned(d, int(record_no))
            self._commit_db()

    @property
    def visibility_lag(self) -> timedelta | None:
        """How long gateway reads do not see a change after it was made (None: at once).

        Set it (or give ``Emulator(visibility_lag=...)``) to reproduce Intacct's eventual
        consistency for readers: a change made through the gateway or :meth:`insert`,
        :meth:`update` and :meth:`delete` keeps its WHENMODIFIED, but reads show the record as
        it was before (nothing for a new one, a deleted one still there) until the company's
        clock passes the time of the change plus the lag; its audit row likewise.
        :meth:`get`, :meth:`records` and :meth:`count` always show the stored data.
        """
        return self._late.lag

    @visibility_lag.setter
    def visibility_lag(self, lag: timedelta | None) -> None:
        self._late.lag = lag

    @contextmanager
    def invisible_until(self, moment: datetime) -> Iterator[None]:
        """Make the changes made inside the ``with`` block invisible to reads until ``moment``.

        The per-change form of :attr:`visibility_lag`, for changes made through the gateway
        or the helpers while the block runs (from any thread). Thread-safe.

        Args:
            moment: An aware time on the company's clock; reads from then on see the changes.

        Returns:
            A context manager.

        Raises:
            ValueError: ``moment`` is naive.
        """
        if moment.tzinfo is None:
            raise ValueError("invisible_until needs an aware datetime")
        with self.lock:
            previous, self._late.until = self._late.until, moment
        try:
            yield
        finally:
            with self.lock:
                self._late.until = previous

    @contextmanager
    def _acting(self) -> Iterator[None]:
        """Changes made inside are a person's in Intacct's UI (audit SOURCE ``ui``)."""
        previous, self._actor = self._actor, ("ui", self.ui_user)
        try:
            yield
        finally:
            self._actor = previous

    def get(self, object_name: str, record_no: int) -> dict[str, Any] | None:
        """A copy of one record, by RECORDNO. Thread-safe.

        Args:
            object_name: The object, in any case.
            record_no: The record's RECORDNO.

        Returns:
            A copy of the record (changing it changes nothing stored), or None when there is
            no such record or no such object.
        """
        with self.lock:
            t = self._tables.get(object_name.upper())
            row = t.rows.get(int(record_no)) if t else None
            return dict(row) if row is not None else None

    def records(self, object_name: str) -> Iterator[dict[str, Any]]:
        """Copies of every record of an object, in RECORDNO order.

        The records are copied when this is called, under :attr:`lock`, so iterating is safe
        while the emulator changes the company; later changes do not show.

        Args:
            object_name: The object, in any case.

        Returns:
            An iterator over the copies (empty for an object with no records, or unknown).

        Examples:
            >>> from intacct_sdk.testing import Company
            >>> company = Company()
            >>> rows = [{"CLASSID": "A"}, {"CLASSID": "B", "STATUS": "inactive"}]
            >>> company.bulk_insert("CLASS", rows)
            >>> [(r["RECORDNO"], r["CLASSID"], r["STATUS"]) for r in company.records("class")]
            [('1', 'A', 'active'), ('2', 'B', 'inactive')]
        """
        with self.lock:
            t = self._tables.get(object_name.upper())
            rows = [dict(r) for r in t.rows.values()] if t else []
        return iter(rows)

    def count(self, object_name: str) -> int:
        """The number of records of an object.

        Args:
            object_name: The object, in any case.

        Returns:
            How many records it has (0 for an unknown object).
        """
        t = self._tables.get(object_name.upper())
        return len(t.rows) if t else 0

    # -----------------------------------------------------------------------------------------
    # internal data access (the emulator)

    def table(self, object_name: str) -> _Table:
        """The live table of an object, for the emulator (created empty on first use).

        Tests should prefer :meth:`get`, :meth:`records` and :meth:`count`. Not locked: hold
        :attr:`lock`.

        Args:
            object_name: The object, in any case.

        Returns:
            The table itself: its ``rows`` (RECORDNO -> record, in RECORDNO order), ``by_id``
            (ID key -> RECORDNO) and ``seq`` (the last RECORDNO given out).
        """
        name = object_name.upper()
        t = self._tables.get(name)
        if t is None:
            t = _Table()
            self._tables[name] = t
        return t

    def _require(self, object_name: str) -> ObjectDef:
        d = self.resolve(object_name)
        if d is None:
            raise ValueError(f"unknown object {object_name!r}")
        return d

    def id_key(self, d: ObjectDef, rec: Mapping[str, Any]) -> Key | None:
        """The key a record is indexed under for lookups by ID.

        Args:
            d: The record's object definition.
            rec: The record.

        Returns:
            The ID as text, ``(PROJECTID, TASKID)`` for a task (task IDs are unique within
            their project only), or None when the object has no ID field or the record no ID.
        """
        idf = d.id_field
        if idf is None:
            return None
        v = rec.get(idf)
        if not v:
            return None
        if d.rules.scope_field:
            return (str(rec.get(d.rules.scope_field, "")), str(v))
        return str(v)

    def find(self, object_name: str, key: Key) -> dict[str, Any] | None:
        """The live record with an ID key, for the emulator (not a copy; not locked).

        Args:
            object_name: The object, in any case.
            key: The ID key (see :meth:`id_key`): ``"E1"``, or ``("P1", "T1")`` for a task.

        Returns:
            The stored record itself (change it through :meth:`put`), or None.
        """
        t = self._tables.get(object_name.upper())
        if t is None:
            return None
        rn = t.by_id.get(key)
        return t.rows.get(rn) if rn is not None else None

    def next_recordno(self, object_name: str) -> int:
        """Reserve the next RECORDNO of an object (a rollback gives it back; not locked).

        Args:
            object_name: The object, in any case.

        Returns:
            The new RECORDNO: one more than the highest given out so far.
        """
        t = self.table(object_name)
        name = object_name.upper()
        if name not in self._seq_snapshot and self._undo is not None:
            self._seq_snapshot[name] = t.seq
        t.seq += 1
        self._dirty_seq.add(name)
        return t.seq

    def _insert_flat(self, d: ObjectDef, rec: dict[str, Any], now: str) -> int:
        lines = None
        line_rule = d.rules.line
        if line_rule is not None:
            lines = rec.pop(line_rule.list_tag, None)
            if isinstance(lines, dict):  # pragma: no cover - nested mapping form
                lines = lines.get(line_rule.item_tag)
        t = self.table(d.name)
        if "RECORDNO" in rec and str(rec["RECORDNO"]).isdigit():
            rn = int(rec["RECORDNO"])
            if rn > t.seq:
                t.seq = rn
                self._dirty_seq.add(d.name)
        else:
            rn = self.next_recordno(d.name)
        rec["RECORDNO"] = str(rn)
        if d.id_field and not rec.get(d.id_field) and (d.rules.auto_id or d.rules.scope_field):
            rec[d.id_field] = str(rn)
        if d.rules.status_field and not rec.get(d.rules.status_field):
            rec[d.rules.status_field] = "active"
        for k, v in d.rules.defaults:
            rec.setdefault(k, v)
        rec.setdefault("WHENCREATED", now)
        rec.setdefault("WHENMODIFIED", now)
        self.put(d, rec)
        if line_rule is not None and isinstance(lines, list):
            ld = self._require(line_rule.object_name)
            for i, line in enumerate(lines, start=1):
                lrec = dict(line)
                lrec[line_rule.parent_key] = str(rn)
                lrec.setdefault("LINENO", str(i))
                if "STATE" in ld.fields and rec.get("STATE"):
                    lrec.setdefault("STATE", rec["STATE"])
                self._insert_flat(ld, lrec, now)
        return rn

    def put(self, d: ObjectDef, rec: dict[str, Any]) -> None:
        """Insert or replace a live record, for the emulator (not locked).

        The record is stored as given, under its RECORDNO, and indexed by its ID. Inside a
        unit of work (:meth:`begin`) the change is logged for :meth:`rollback`; with a SQLite
        file it is written (committed by :meth:`commit`).

        Args:
            d: The object's definition.
            rec: The flat record; it must hold RECORDNO.

        Raises:
            KeyError: ``rec`` has no RECORDNO.
        """
        t = self.table(d.name)
        rn = int(rec["RECORDNO"])
        old = t.rows.get(rn)
        if self._undo is not None:
            self._undo.append((d.name, rn, old))
        if old is not None:
            ok = self.id_key(d, old)
            if ok is not None and t.by_id.get(ok) == rn:
                del t.by_id[ok]
        t.rows[rn] = rec
        t.changed(rn, rec)
        k = self.id_key(d, rec)
        if k is not None:
            t.by_id[k] = rn
        if self._db is not None:
            self._db.put(d.name, rn, rec)
        if self._actor is not None:
            self._late.note(d.name, rn, old)
            audit_change(self, self._actor, d, rn, old, rec)

    def remove(self, d: ObjectDef, record_no: int) -> None:
        """Delete a live record, for the emulator (not locked; no-op when it is missing).

        Inside a unit of work the change is logged for :meth:`rollback`; with a SQLite file it
        is written (committed by :meth:`commit`).

        Args:
            d: The object's definition.
            record_no: The record's RECORDNO.
        """
        t = self.table(d.name)
        old = t.rows.pop(record_no, None)
        if old is None:
            return
        t.changed(record_no, None)
        if self._undo is not None:
            self._undo.append((d.name, record_no, old))
        k = self.id_key(d, old)
        if k is not None and t.by_id.get(k) == record_no:
            del t.by_id[k]
        if self._db is not None:
            self._db.delete(d.name, record_no)
        if self._actor is not None:
            self._late.note(d.name, record_no, old)
            audit_change(self, self._actor, d, record_no, old, None)

    def remove_with_owned(self, d: ObjectDef, record_no: int) -> None:
        """Delete a live record with the records it owns, for the emulator (not locked).

        An object with lines loses its lines with it, a timesheet its approval rows too.

        Args:
            d: The object's definition.
            record_no: The record's RECORDNO.
        """
        key = str(record_no)
        owned = [(d.rules.line.object_name, d.rules.line.parent_key)] if d.rules.line else []
        if d.name == "TIMESHEET":
            owned.append(("TIMESHEETAPPROVAL", "TIMESHEETKEY"))
        for name, parent_key in owned:
            od = self._require(name)
            for rn in [rn for rn, r in self.table(name).rows.items() if r.get(parent_key) == key]:
                self.remove(od, rn)
        self.remove(d, record_no)

    def visible(self, object_name: str) -> Mapping[int, dict[str, Any]]:
        """The records of an object as gateway reads see them now, for the emulator (not locked).

        Args:
            object_name: The object, in any case.

        Returns:
            RECORDNO -> record, in RECORDNO order: the live table's rows, except that records
            whose changes are not visible yet (see :attr:`visibility_lag`) are as they were.
        """
        name = object_name.upper()
        return self._late.rows(name, self.table(name).rows)

    # -----------------------------------------------------------------------------------------
    # units of work

    def begin(self, actor: tuple[str, str] | None = None) -> None:
        """Start a unit of work: log changes so :meth:`rollback` can undo them.

        The emulator wraps every request in ``begin`` ... :meth:`end`, holding :attr:`lock`.

        Args:
            actor: ``(SOURCE, USERID)`` of whoever makes the changes (``("api", user)`` for a
                gateway request): each record stored or removed gets an audit trail row and
                is subject to :attr:`visibility_lag`. None: the changes are nobody's.
        """
        self._undo = []
        self._seq_snapshot = {}
        self._actor = actor

    def commit(self) -> None:
        """Keep the changes since :meth:`begin` or the last commit (and commit SQLite)."""
        self._commit_db()
        self._undo = [] if self._undo is not None else None
        self._seq_snapshot = {}

    def rollback(self) -> None:
        """Undo every change since :meth:`begin` (or the last :meth:`commit`)."""
        undo = self._undo or []
        for name, rn, old in reversed(undo):
            d = self.resolve(name)
            t = self.table(name)
            cur = t.rows.pop(rn, None)
            if d is not None and cur is not None:
                k = self.id_key(d, cur)
                if k is not None and t.by_id.get(k) == rn:
                    del t.by_id[k]
            if old is not None:
                t.rows[rn] = old
                if d is not None:
                    k = self.id_key(d, old)
                    if k is not None:
                        t.by_id[k] = rn
        for name, seq in self._seq_snapshot.items():
            self.table(name).seq = seq
        # dict order is RECORDNO order only if re-inserted rows are put back in place
        for name in {u[0] for u in undo}:
            t = self.table(name)
            t.rows = dict(sorted(t.rows.items()))
            t.forget_orders()
        if self._db is not None:
            self._db.rollback()
        self._late.rollback()
        self._undo = []
        self._seq_snapshot = {}

    def end(self) -> None:
        """End the unit of work: stop logging changes (call :meth:`commit` first to keep them)."""
        self._undo = None
        self._seq_snapshot = {}
        self._actor = None

    # -----------------------------------------------------------------------------------------
    # replay protection (uniqueid=true)

    def seen_control_id(self, control_id: str) -> bool:
        """Whether a function with this control ID already ran to completion.

        Args:
            control_id: A function's control ID.

        Returns:
            True when :meth:`remember_control_id` recorded it (and has not forgotten it).
        """
        return control_id in self._controlids

    def remember_control_id(self, control_id: str, limit: int = 200_000) -> None:
        """Record a completed function's control ID, for ``uniqueid=true`` replays.

        Not locked: hold :attr:`lock` (the emulator does).

        Args:
            control_id: The function's control ID.
            limit: How many IDs to keep; past it the oldest are forgotten (an ID remembered
                again keeps its age). With a SQLite file the IDs are saved there too, and
                forgotten there too (written by the next :meth:`commit`), so a company
                opened again holds the same IDs, oldest first.
        """
        self._controlids[control_id] = None
        forgotten: list[str] = []
        while len(self._controlids) > max(limit, 0):
            oldest = next(iter(self._controlids))
            del self._controlids[oldest]
            forgotten.append(oldest)
        if self._db is not None:
            self._db.remember(control_id, forgotten)

    # -----------------------------------------------------------------------------------------
    # SQLite

    def _open_db(self, path: str) -> None:
        db = self._db = CompanyFile(path)
        saved = db.definitions()
        if saved is not None:
            self._custom = []
            for c in saved.get("custom", []):  # files from older versions may repeat a field
                self._custom = _declare(self._custom, CustomField(*c))
            self._dimensions = dict(saved.get("dimensions", {}))
            if "entities" in saved and not self.entities:
                self.entities = int(saved["entities"])
        for name, rec in db.records():
            d = self.resolve(name)
            t = self.table(name)
            rn = int(rec["RECORDNO"])
            t.rows[rn] = rec
            t.seq = max(t.seq, rn)
            if d is not None:
                k = self.id_key(d, rec)
                if k is not None:
                    t.by_id[k] = rn
        for name, seq in db.sequences():
            t = self.table(name)
            t.seq = max(t.seq, seq)
        self._controlids = dict.fromkeys(db.control_ids())  # the oldest first
        log.debug("loaded company %s from SQLite (%d objects)", self.name, len(self._tables))

    def _save_meta(self) -> None:
        if self._db is not None:
            custom = [attrs.astuple(c) for c in self._custom]
            payload = {"custom": custom, "dimensions": self._dimensions, "entities": self.entities}
            self._db.save_definitions(payload)

    def _commit_db(self) -> None:
        if self._db is not None:
            self._db.commit({name: self.table(name).seq for name in self._dirty_seq})
        self._dirty_seq.clear()
        self._late.commit()

    def close(self) -> None:
        """Commit and close the SQLite file, if any (idempotent; thread-safe).

        The in-memory data stays usable, but later changes are no longer saved. Using the
        company as a context manager closes it on exit.
        """
        with self.lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Company:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        counts = {k: len(t.rows) for k, t in self._tables.items() if t.rows}
        return f"Company(name={self.name!r}, entities={self.entities}, records={counts})"
