"""The audit trail: an AUDITHISTORY row for every change someone makes to a record.

Intacct keeps an audit history that integrations read to see deletions incrementally
(shared reference §2.10; Sage's "Audit Trails" page, developer.intacct.com/api/company-console/
audit-trails): they query ``AUDITHISTORY`` for ``OBJECTTYPE = '<object, lower case>'``,
``ACCESSMODE = 'D'`` and ``ACCESSTIME`` after a cursor, ordered by ACCESSTIME then ID, and read
the record's number from OBJECTKEY, written ``<RECORDNO>--REC`` (Estuary's connector,
``source-sage-intacct``). ACCESSTIME is in GMT whatever the user's preferences (Sage's
"Advanced Audit Trails" page says so of the same fields).

The emulator writes one row per record created (``C``), changed (``M``) or deleted (``D``) by
someone: through the gateway (SOURCE ``api``, USERID the session's user) or through the
:class:`~intacct_sdk.testing.Company` helpers that play a person in Intacct's UI (SOURCE
``ui``, USERID :attr:`~intacct_sdk.testing.Company.ui_user`). The seeding path
(:meth:`~intacct_sdk.testing.Company.bulk_insert`) writes none: seeded records predate the
trail, as records made before a company turned auditing on do.

Rows are records of the AUDITHISTORY object, stored like any other (so they are rolled back with
the change that made them, saved in a company's SQLite file, and read by ``query``,
``readByQuery``, ``read`` and ``lookup``), keyed by their ID. IDs are ten-digit numbers written
as text, increasing; all of one width, so text and numeric order agree (lookup types ID as
TEXT). The trail keeps the newest ``Company.audit_limit`` rows.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, tzinfo
from itertools import islice
from typing import Any, Protocol

from intacct_sdk.testing._objects import ObjectDef

__all__ = ["AUDIT_OBJECT", "FIRST_ID", "audit_change"]

AUDIT_OBJECT = "AUDITHISTORY"
FIRST_ID = 1_000_000_000  # the IDs given out are 1000000001, 1000000002, ...


class _Rows(Protocol):
    rows: dict[int, dict[str, Any]]
    seq: int


class _Store(Protocol):
    audit_limit: int

    def resolve(self, object_name: str) -> ObjectDef | None: ...
    def table(self, object_name: str) -> _Rows: ...
    def next_recordno(self, object_name: str) -> int: ...
    def stamp(self, zone: tzinfo | None = None) -> str: ...
    def put(self, d: ObjectDef, rec: dict[str, Any]) -> None: ...
    def remove(self, d: ObjectDef, record_no: int) -> None: ...


def audit_change(
    company: _Store,
    actor: tuple[str, str],
    d: ObjectDef,
    record_no: int,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
) -> None:
    """Write the audit row of one change (nothing for a change to the trail itself).

    Called by the company for every record it stores or removes while someone acts on it;
    inside a unit of work the row is rolled back with the change.

    Args:
        company: The company the change was made in.
        actor: ``(SOURCE, USERID)`` of whoever made it: ``("api", "user")``, ``("ui", "Admin")``.
        d: The changed record's object.
        record_no: Its RECORDNO.
        old: The record before the change (None: it was created).
        new: The record after it (None: it was deleted).
    """
    if d.name == AUDIT_OBJECT or company.audit_limit <= 0:
        return
    trail = company.resolve(AUDIT_OBJECT)
    if trail is None:  # pragma: no cover - the object is always defined
        return
    t = company.table(AUDIT_OBJECT)
    t.seq = max(t.seq, FIRST_ID)
    key = str(company.next_recordno(AUDIT_OBJECT))
    company.put(
        trail,
        {
            "RECORDNO": key,  # the stored key; AUDITHISTORY has no RECORDNO field to show it
            "ID": key,
            "OBJECTTYPE": sys.intern(d.name.lower()),  # one string per object, not per row
            "OBJECTKEY": f"{record_no}--REC",
            "USERID": actor[1],
            "ACCESSTIME": company.stamp(UTC),
            "ACCESSMODE": "C" if old is None else "D" if new is None else "M",
            "SOURCE": actor[0],
        },
    )
    _forget_oldest(company, trail, t)


def _forget_oldest(company: _Store, trail: ObjectDef, t: _Rows) -> None:
    """Past ``audit_limit`` plus a tenth, drop the oldest rows down to the limit.

    Dropping in batches keeps this cheap: each batch is one pass from the oldest row.
    """
    limit = company.audit_limit
    excess = len(t.rows) - limit
    if excess <= limit // 10:
        return
    for key in list(islice(t.rows, excess)):
        company.remove(trail, key)
