"""The emulated company's data: records per object, in memory, optionally backed by SQLite.

Records are flat ``dict[str, str]`` keyed by the gateway's field names (dotted keys for nested
groups such as ``PERSONALINFO.EMAIL1``), values in the gateway's display formats. Line records
(timesheet entries, expense lines) live in their own object tables, linked to the parent by key.

Each object table keeps its rows in RECORDNO order and an index by business ID, so reads by key
are O(1) and scans go in RECORDNO order without sorting.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

import attrs

from intacct_sdk.testing._objects import (
    FieldDef,
    ObjectDef,
    base_definition,
    udd_definition,
)

__all__ = ["Company", "CustomField", "to_wire_value"]

log = logging.getLogger(__name__)

Key = str | tuple[str, str]


@attrs.frozen(slots=True)
class CustomField:
    """A custom field declared on an object (``lookup`` shows it with ISCUSTOM=true)."""

    object_name: str
    field_id: str
    datatype: str = "TEXT"
    label: str = ""


def to_wire_value(value: Any) -> str | None:
    """Convert a Python value to the gateway's display format (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%m/%d/%Y")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in record.items():
        key = f"{prefix}{k.upper()}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list | tuple):
            if all(isinstance(item, Mapping) for item in v):
                out[key] = [_flatten(item) for item in v]  # owned lines
            else:  # a multi-select pick list
                out[key] = "#~#".join(w for w in map(to_wire_value, v) if w is not None)
        else:
            w = to_wire_value(v)
            if w is not None:
                out[key] = w
    return out


class _Table:
    __slots__ = ("by_id", "rows", "seq")

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.by_id: dict[Key, int] = {}
        self.seq = 0


class Company:
    """The data of one emulated Intacct company.

    Args:
        path: SQLite file to keep the data in (loaded on open, written through on every
            committed change); None keeps everything in memory.
        entities: number of entities of a multi-entity company (0: single-entity). When
            non-zero, LOCATIONID is required on employees, projects and timesheet entries.
        name: the company ID clients log in to.
        clock: returns the current aware time; WHENCREATED/WHENMODIFIED come from it.
        timezone: the zone WHENCREATED/WHENMODIFIED are written in (default UTC).
        custom_fields: custom fields to declare (see :meth:`add_custom_field`).
        dimensions: user-defined dimensions to declare (see :meth:`add_dimension`).
    """

    def __init__(
        self,
        *,
        path: str | os.PathLike[str] | None = None,
        entities: int = 0,
        name: str = "DEMO",
        clock: Callable[[], datetime] | None = None,
        timezone: tzinfo = UTC,
        custom_fields: Iterable[CustomField] = (),
        dimensions: Iterable[str] = (),
    ) -> None:
        self.name = name
        self.entities = entities
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.timezone = timezone
        self.lock = threading.RLock()
        self._tables: dict[str, _Table] = {}
        self._custom: list[CustomField] = []
        self._dimensions: dict[str, str] = {}
        self._defs: dict[str, ObjectDef] = {}
        self._undo: list[tuple[str, int, dict[str, Any] | None]] | None = None
        self._seq_snapshot: dict[str, int] = {}
        self._dirty_seq: set[str] = set()
        self._controlids: dict[str, None] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._open_db(os.fspath(path))
        for cf in custom_fields:
            self.add_custom_field(cf.object_name, cf.field_id, cf.datatype, cf.label)
        for d in dimensions:
            self.add_dimension(d)

    # -----------------------------------------------------------------------------------------
    # definitions

    def definition(self, object_name: str) -> ObjectDef | None:
        """The object's definition in this company (with its custom fields), or None."""
        name = object_name.upper()
        d = self._defs.get(name)
        if d is not None:
            return d
        base = base_definition(name)
        if base is None:
            return None
        d = self._with_custom(base)
        self._defs[name] = d
        return d

    def _with_custom(self, base: ObjectDef) -> ObjectDef:
        extra = [
            FieldDef(cf.field_id, cf.datatype, cf.label or cf.field_id, "", False, False, True)
            for cf in self._custom
            if cf.object_name == base.name
        ]
        if base.name in ("TIMESHEETENTRY", "EEXPENSESITEM"):
            for dim, label in self._dimensions.items():
                extra.append(
                    FieldDef(f"GLDIM{dim}", "TEXT", label, f"{label} dimension", custom=True)
                )
        return base.with_fields(extra) if extra else base

    @property
    def custom_fields(self) -> tuple[CustomField, ...]:
        """Custom fields declared in this company."""
        return tuple(self._custom)

    @property
    def dimensions(self) -> Mapping[str, str]:
        """User-defined dimensions: object name -> label."""
        return dict(self._dimensions)

    def add_custom_field(
        self, object_name: str, field_id: str, datatype: str = "TEXT", label: str = ""
    ) -> None:
        """Declare a custom field on an object (writable, readable and filterable)."""
        with self.lock:
            cf = CustomField(object_name.upper(), field_id.upper(), datatype.upper(), label)
            if cf not in self._custom:
                self._custom.append(cf)
                self._defs.clear()
                self._save_meta()

    def add_dimension(self, name: str, label: str = "") -> None:
        """Declare a user-defined dimension: an object ``name`` plus ``GLDIM<name>`` on lines."""
        with self.lock:
            key = name.upper()
            if key not in self._dimensions:
                self._dimensions[key] = label or name.title()
                self._defs.clear()
                self._save_meta()

    def udd_definition(self, object_name: str) -> ObjectDef | None:
        """Definition of a user-defined dimension object, or None."""
        name = object_name.upper()
        if name not in self._dimensions:
            return None
        d = self._defs.get(name)
        if d is None:
            d = self._with_custom(udd_definition(name, self._dimensions[name]))
            self._defs[name] = d
        return d

    def resolve(self, object_name: str) -> ObjectDef | None:
        """Standard object or user-defined dimension named ``object_name``."""
        return self.definition(object_name) or self.udd_definition(object_name)

    # -----------------------------------------------------------------------------------------
    # time

    def now(self) -> datetime:
        """Current time in the company's zone."""
        return self.clock().astimezone(self.timezone)

    def stamp(self) -> str:
        """Current time as a WHENMODIFIED value."""
        return self.now().strftime("%m/%d/%Y %H:%M:%S")

    # -----------------------------------------------------------------------------------------
    # public data access (seed path and tests)

    def insert(self, object_name: str, record: Mapping[str, Any]) -> int:
        """Add a record without referential checks; returns its RECORDNO.

        RECORDNO is taken from the record when present, else the next in sequence. The ID
        field defaults to the RECORDNO when the object numbers its records, STATUS to
        ``active``, WHENCREATED/WHENMODIFIED to now. A timesheet's ``TIMESHEETENTRIES`` (list
        of mappings) become TIMESHEETENTRY records; likewise expense ``EEXPENSESITEMS``.
        """
        with self.lock:
            d = self._require(object_name)
            rec = _flatten(record)
            rn = self._insert_flat(d, rec, self.stamp())
            self._commit_db()
            return rn

    def bulk_insert(self, object_name: str, records: Iterable[Mapping[str, Any]]) -> None:
        """Add many records at once (the fast seed path; one SQLite commit)."""
        with self.lock:
            d = self._require(object_name)
            now = self.stamp()
            for record in records:
                self._insert_flat(d, _flatten(record), now)
            self._commit_db()

    def get(self, object_name: str, record_no: int) -> dict[str, Any] | None:
        """A copy of one record, or None."""
        with self.lock:
            t = self._tables.get(object_name.upper())
            row = t.rows.get(int(record_no)) if t else None
            return dict(row) if row is not None else None

    def records(self, object_name: str) -> Iterator[dict[str, Any]]:
        """Copies of every record of an object, in RECORDNO order."""
        with self.lock:
            t = self._tables.get(object_name.upper())
            rows = [dict(r) for r in t.rows.values()] if t else []
        return iter(rows)

    def count(self, object_name: str) -> int:
        """Number of records of an object."""
        t = self._tables.get(object_name.upper())
        return len(t.rows) if t else 0

    # -----------------------------------------------------------------------------------------
    # internal data access (the emulator)

    def table(self, object_name: str) -> _Table:
        """The live table of an object (created empty on first use)."""
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
        """The index key of a record (scoped for tasks), or None when it has no ID."""
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
        """The live record with this ID key, or None."""
        t = self._tables.get(object_name.upper())
        if t is None:
            return None
        rn = t.by_id.get(key)
        return t.rows.get(rn) if rn is not None else None

    def next_recordno(self, object_name: str) -> int:
        """Reserve the next RECORDNO of an object."""
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
        """Insert or replace a live record (logged for rollback, written through)."""
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
        k = self.id_key(d, rec)
        if k is not None:
            t.by_id[k] = rn
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO records(object, recordno, data) VALUES (?, ?, ?)",
                (d.name, rn, json.dumps(rec, separators=(",", ":"))),
            )

    def remove(self, d: ObjectDef, record_no: int) -> None:
        """Delete a live record (logged for rollback, written through)."""
        t = self.table(d.name)
        old = t.rows.pop(record_no, None)
        if old is None:
            return
        if self._undo is not None:
            self._undo.append((d.name, record_no, old))
        k = self.id_key(d, old)
        if k is not None and t.by_id.get(k) == record_no:
            del t.by_id[k]
        if self._db is not None:
            self._db.execute(
                "DELETE FROM records WHERE object = ? AND recordno = ?", (d.name, record_no)
            )

    # -----------------------------------------------------------------------------------------
    # units of work

    def begin(self) -> None:
        """Start logging changes so :meth:`rollback` can undo them."""
        self._undo = []
        self._seq_snapshot = {}

    def commit(self) -> None:
        """Keep the changes since :meth:`begin` (and write them through to SQLite)."""
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
        if self._db is not None:
            self._db.rollback()
        self._undo = []
        self._seq_snapshot = {}

    def end(self) -> None:
        """Stop logging changes (after a request)."""
        self._undo = None
        self._seq_snapshot = {}

    # -----------------------------------------------------------------------------------------
    # replay protection (uniqueid=true)

    def seen_control_id(self, control_id: str) -> bool:
        """Whether a function with this control ID already ran to completion."""
        return control_id in self._controlids

    def remember_control_id(self, control_id: str, limit: int = 200_000) -> None:
        """Record a completed function's control ID (the oldest are forgotten past ``limit``)."""
        self._controlids[control_id] = None
        if len(self._controlids) > limit:
            oldest = next(iter(self._controlids))
            del self._controlids[oldest]
        if self._db is not None:
            self._db.execute("INSERT OR IGNORE INTO controlids(id) VALUES (?)", (control_id,))

    # -----------------------------------------------------------------------------------------
    # SQLite

    def _open_db(self, path: str) -> None:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level="DEFERRED")
        db.execute(
            "CREATE TABLE IF NOT EXISTS records(object TEXT NOT NULL, recordno INTEGER NOT NULL,"
            " data TEXT NOT NULL, PRIMARY KEY(object, recordno))"
        )
        db.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS controlids(id TEXT PRIMARY KEY)")
        db.commit()
        self._db = db
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if "definitions" in meta:
            saved = json.loads(meta["definitions"])
            self._custom = [CustomField(*c) for c in saved.get("custom", [])]
            self._dimensions = dict(saved.get("dimensions", {}))
            if "entities" in saved and not self.entities:
                self.entities = int(saved["entities"])
        for name, data in db.execute("SELECT object, data FROM records ORDER BY object, recordno"):
            d = self.resolve(name)
            rec = json.loads(data)
            t = self.table(name)
            rn = int(rec["RECORDNO"])
            t.rows[rn] = rec
            t.seq = max(t.seq, rn)
            if d is not None:
                k = self.id_key(d, rec)
                if k is not None:
                    t.by_id[k] = rn
        for key, value in meta.items():
            if key.startswith("seq:"):
                t = self.table(key[4:])
                t.seq = max(t.seq, int(value))
        self._controlids = {r[0]: None for r in db.execute("SELECT id FROM controlids")}
        log.debug("loaded company %s from SQLite (%d objects)", self.name, len(self._tables))

    def _save_meta(self) -> None:
        if self._db is None:
            return
        payload = {
            "custom": [attrs.astuple(c) for c in self._custom],
            "dimensions": self._dimensions,
            "entities": self.entities,
        }
        self._db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('definitions', ?)",
            (json.dumps(payload),),
        )
        self._db.commit()

    def _commit_db(self) -> None:
        if self._db is None:
            self._dirty_seq.clear()
            return
        rows: Sequence[tuple[str, str]] = [
            (f"seq:{name}", str(self.table(name).seq)) for name in self._dirty_seq
        ]
        if rows:
            self._db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", rows)
        self._dirty_seq.clear()
        self._db.commit()

    def close(self) -> None:
        """Close the SQLite file, if any (the in-memory data stays usable)."""
        with self.lock:
            if self._db is not None:
                self._db.commit()
                self._db.close()
                self._db = None

    def __enter__(self) -> Company:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        counts = {k: len(t.rows) for k, t in self._tables.items() if t.rows}
        return f"Company(name={self.name!r}, entities={self.entities}, records={counts})"
