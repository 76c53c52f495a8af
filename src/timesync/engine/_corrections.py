"""Correcting approved time: which Intacct entries a timesheet keeps, and which it gains.

Intacct never changes an approved (or partially approved) entry, but new entries may be
added to such a timesheet; its own procedure for a wrong approved entry is a reversing entry
(the same line with the negative quantity) and, for a change, a new entry with the right
values. :func:`plan_entries` turns "what Intacct holds" and "what the local document says"
into one ``update`` that keeps every existing entry it still needs unchanged by RECORDNO and
appends the rest. Pure code: the laws it keeps are property-tested.

The laws:

- every approved entry is kept, unchanged;
- after the update, the quantities of each line (an entry's fields other than its quantity)
  add up to the local document's;
- planning again against the result adds nothing: a crash or a replay never adds a second
  reversal.

"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from intacct_sdk.query import F
from timesync.engine._context import RunContext, as_int

__all__ = ["Corrections", "EntryPlan", "plan_entries"]

QTY: Final = "QTY"
_DECLINED: Final = "Declined"
_IDENTITY: Final = frozenset({"RECORDNO", "STATE", "LINENO", "LINE_NO", "TIMESHEETKEY", QTY})
"""Fields that are not part of what a line says (its quantity apart)."""


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _norm(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    return "" if value is None else value


def _qty(entry: Mapping[str, Any]) -> Decimal:
    return Decimal(str(entry.get(QTY) or 0)).normalize()


@attrs.frozen(slots=True)
class EntryPlan:
    """The entries of one corrective ``update``.

    Attributes:
        keep: RECORDNOs of the Intacct entries sent back unchanged.
        add: New entries, in order (reversals carry the negative quantity).
        reversals: How many of ``add`` reverse an approved entry.
        dropped: RECORDNOs of entries awaiting approval that the update leaves out.
    """

    keep: tuple[int, ...]
    add: tuple[Mapping[str, Any], ...]
    reversals: int
    dropped: tuple[int, ...]

    @property
    def changes(self) -> bool:
        """Whether the update changes anything."""
        return bool(self.add or self.dropped)


def plan_entries(
    remote: Sequence[Mapping[str, Any]],
    local: Sequence[Mapping[str, Any]],
    fields: Iterable[str],
    *,
    locked: frozenset[str] = frozenset({"Approved", "Partially Approved"}),
    frozen: Collection[int] = (),
) -> EntryPlan:
    """Plan the entries that make Intacct's timesheet say what ``local`` says.

    A local entry stands for an Intacct entry of the same quantity that agrees on every
    field the local entry sets (a field Intacct filled in by itself, such as a department
    defaulted from the employee, does not make them differ); two Intacct entries are the
    same line when they agree on all of ``fields``. Then:

    1. approved entries are matched with local entries;
    2. an approved reversal left cancels an approved entry of the same line and magnitude
       left (a correction made earlier and approved since);
    3. each approved entry still unmatched is reversed: by a reversal awaiting approval
       that is already there, else by a new one (an unpaired approved reversal is offset
       the same way);
    4. the local entries still unmatched are matched with entries awaiting approval, else
       added. Entries awaiting approval that nothing matched are dropped.

    Args:
        remote: The timesheet's entries as Intacct holds them (with RECORDNO and STATE).
        local: The local document's entries, mapped to Intacct fields (no RECORDNO).
        fields: The fields of an entry the mapping writes (a reversal copies them).
        locked: Entry states Intacct no longer changes.
        frozen: TIMESHEETKEYs of timesheets the plan must not touch at all (a document's
            approved timesheets under ``new_timesheet``): their entries count as approved,
            and ``remote`` may hold the entries of several timesheets of one document. The
            laws then hold over all of them: the quantities of each line, summed over every
            timesheet, add up to the local document's. Declined entries on such a timesheet
            carry no time and are left out. ``keep`` and ``dropped`` may then name entries
            of several timesheets: the caller writes one of them.
    """
    names = sorted(set(fields) - _IDENTITY)
    stuck = {int(k) for k in frozen}

    def fixed(e: Mapping[str, Any]) -> bool:
        return e.get("STATE") in locked or as_int(e.get("TIMESHEETKEY")) in stuck

    remote = [
        e
        for e in remote
        if not (as_int(e.get("TIMESHEETKEY")) in stuck and e.get("STATE") == _DECLINED)
    ]
    approved = [e for e in remote if fixed(e)]
    waiting = [e for e in remote if not fixed(e)]
    keep = [int(e["RECORDNO"]) for e in approved]
    needed = list(local)
    left = list(approved)
    for entry in list(left):  # 1
        match = next((lo for lo in needed if _qty(lo) == _qty(entry) and _covers(lo, entry)), None)
        if match is not None:
            needed.remove(match)
            left.remove(entry)
    for rev in [e for e in left if _qty(e) < 0]:  # 2
        if rev not in left:
            continue
        pair = next((e for e in left if _qty(e) == -_qty(rev) and _same_line(e, rev, names)), None)
        if pair is not None:
            left.remove(rev)
            left.remove(pair)
    add: list[Mapping[str, Any]] = []
    reversals = 0
    for entry in left:  # 3
        q = -_qty(entry)
        match = next((o for o in waiting if _qty(o) == q and _same_line(o, entry, names)), None)
        if match is not None:
            waiting.remove(match)
            keep.append(int(match["RECORDNO"]))
            continue
        add.append({**{f: entry[f] for f in names if entry.get(f) not in (None, "")}, QTY: q})
        reversals += q < 0
    for lo in needed:  # 4
        match = next((o for o in waiting if _qty(o) == _qty(lo) and _covers(lo, o)), None)
        if match is not None:
            waiting.remove(match)
            keep.append(int(match["RECORDNO"]))
        else:
            add.append(dict(lo))
    return EntryPlan(tuple(keep), tuple(add), reversals, tuple(int(e["RECORDNO"]) for e in waiting))


def _covers(local: Mapping[str, Any], entry: Mapping[str, Any]) -> bool:
    """Whether an Intacct entry agrees on every field the local entry sets."""
    return all(
        _norm(entry.get(f)) == _norm(v)
        for f, v in local.items()
        if f not in _IDENTITY and v not in (None, "")
    )


def _same_line(a: Mapping[str, Any], b: Mapping[str, Any], names: Sequence[str]) -> bool:
    return all(_norm(a.get(f)) == _norm(b.get(f)) for f in names)


def _one_task_ref(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry copied from Intacct names its task once (TASKKEY when it has one): the
    gateway takes TASKID or TASKKEY, not both."""
    out = dict(entry)
    if out.get("TASKKEY") not in (None, ""):
        out.pop("TASKID", None)
    return out


class Corrections:
    """The corrective updates of one push: the Intacct entries they start from, and the
    entries each sends.

    Args:
        ctx: The run.
        spec: The timesheet's mapping spec (its entry fields are what a reversal copies).
    """

    def __init__(self, ctx: RunContext, spec: Any) -> None:
        self.ctx = ctx
        self.spec = spec
        self.entries: dict[int, list[dict[str, Any]]] = {}
        self.reversed = 0
        self.extra: list[str] = []
        """More entry fields to read (a correction timesheet's header comes from them)."""

    def fields(self) -> list[str]:
        """The entry fields the mapping writes."""
        for child in getattr(self.spec, "children", ()):
            if child.remote == "TIMESHEETENTRIES":
                return [f for f in child.spec.remote_fields() if f not in ("RECORDNO", "STATE")]
        return ["ENTRYDATE", "QTY", "PROJECTID", "TASKKEY", "TIMETYPE"]

    def read(self, record_nos: Iterable[int | None]) -> None:
        """Read the Intacct entries of these timesheets: one ``query`` per 500 timesheets,
        every page."""
        wanted = sorted({n for n in record_nos if n is not None})
        fields = list(
            dict.fromkeys(["RECORDNO", "STATE", "TIMESHEETKEY", *self.fields(), *self.extra])
        )
        counts = self.ctx.report.functions_by_name
        for start in range(0, len(wanted), 500):
            counts["query"] = counts.get("query", 0) + 1
            for rec in self.ctx.client.query(
                "TIMESHEETENTRY",
                fields,
                where=F("TIMESHEETKEY").in_(wanted[start : start + 500]),
                order_by=(("RECORDNO", "asc"),),
            ):
                key = as_int(rec.get("TIMESHEETKEY"))
                if key is not None:
                    self.entries.setdefault(key, []).append(rec)

    def lines(self, link: Any, record: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
        """The entries of one ``correct`` step: those kept (as Intacct holds them, by
        RECORDNO) and those added (reversals, new values)."""
        assert link is not None and link.record_no is not None
        remote = self.entries.get(link.record_no, [])
        local = list((record or {}).get("TIMESHEETENTRIES") or [])
        plan = plan_entries(remote, local, self.fields())
        return self.write(plan, remote, local, plan.keep)

    def write(
        self,
        plan: EntryPlan,
        remote: Sequence[Mapping[str, Any]],
        local: Sequence[Mapping[str, Any]],
        keep: Iterable[int],
    ) -> list[Mapping[str, Any]]:
        """The entries one timesheet is sent: ``keep`` (RECORDNOs of ``remote``, as Intacct
        holds them) and the plan's additions."""
        fields = self.fields()
        by_no = {as_int(e.get("RECORDNO")): e for e in remote}
        kept = [
            {
                "RECORDNO": n,
                **{f: by_no[n][f] for f in fields if by_no[n].get(f) not in (None, "")},
            }
            for n in keep
        ]
        self.reversed += plan.reversals
        local_ids = {id(e) for e in local}
        added = [e if id(e) in local_ids else _one_task_ref(e) for e in plan.add]
        return [*(_one_task_ref(e) for e in kept), *added]
