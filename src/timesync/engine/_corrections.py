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

Lines are compared on the fields given, exactly. A field Intacct fills in by itself (a
department defaulted from the employee) must therefore not be among them unless the local
document sets it too; choosing those fields for a real mapping is the caller's part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

__all__ = ["EntryPlan", "line_key", "plan_entries"]

QTY: Final = "QTY"
_IDENTITY: Final = frozenset({"RECORDNO", "STATE", "LINENO", "LINE_NO", QTY})
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


def line_key(entry: Mapping[str, Any], fields: Iterable[str]) -> tuple[Any, ...]:
    """What an entry says apart from its quantity: ``fields`` (the mapped entry's fields),
    normalised so that a value read back from Intacct equals the one sent."""
    return tuple((f, _norm(entry.get(f))) for f in sorted(set(fields) - _IDENTITY))


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
) -> EntryPlan:
    """Plan the entries that make Intacct's timesheet say what ``local`` says.

    Lines are compared by ``fields`` (the mapped entry's fields, the quantity apart) and,
    within a line, quantities are matched as a multiset:

    1. approved entries are matched with local entries of the same quantity;
    2. an approved reversal left cancels an approved entry of the same magnitude left (a
       correction made earlier and approved since);
    3. each approved entry still unmatched is reversed: by a reversal awaiting approval
       that is already there, else by a new one;
    4. the local entries still unmatched are matched with entries awaiting approval of the
       same quantity, else added.

    An approved reversal that cancels nothing and matches no local entry is offset by an
    entry of the opposite quantity. Entries awaiting approval that nothing matched are
    dropped.

    Args:
        remote: The timesheet's entries as Intacct holds them (with RECORDNO and STATE).
        local: The local document's entries, mapped to Intacct fields (no RECORDNO).
        fields: The fields a line is told apart by (the mapped entry fields).
        locked: Entry states Intacct no longer changes.
    """
    names = sorted(set(fields) - _IDENTITY)
    lines: dict[tuple[Any, ...], _Line] = {}

    def line(entry: Mapping[str, Any]) -> _Line:
        k = line_key(entry, names)
        if k not in lines:
            lines[k] = _Line({f: entry.get(f) for f in names})
        return lines[k]

    for entry in remote:
        bucket = line(entry)
        (bucket.locked if entry.get("STATE") in locked else bucket.open).append(entry)
    for entry in local:
        line(entry).wanted.append(entry)
    keep: list[int] = []
    add: list[Mapping[str, Any]] = []
    dropped: list[int] = []
    reversals = 0
    for bucket in lines.values():
        keep.extend(int(e["RECORDNO"]) for e in bucket.locked)
        # 1: approved entries matched with local entries of the same quantity
        left = [_qty(e) for e in bucket.locked]
        needed = list(bucket.wanted)
        for q in list(left):
            match = next((e for e in needed if _qty(e) == q), None)
            if match is not None:
                needed.remove(match)
                left.remove(q)
        # 2: an approved reversal cancels an approved entry of the same magnitude left over
        for q in [q for q in left if q < 0]:
            if -q in left and q in left:
                left.remove(q)
                left.remove(-q)
        # what the open entries must still hold: the opposite of each approved quantity
        # left (a reversal, or the offset of an unpaired reversal), and the local entries left
        owed: list[tuple[Decimal, Mapping[str, Any] | None]] = [(-q, None) for q in left]
        owed += [(_qty(e), e) for e in needed]
        open_entries = list(bucket.open)
        for q, source in owed:
            match = next((e for e in open_entries if _qty(e) == q), None)
            if match is not None:  # 3 and 4: already there, awaiting approval
                open_entries.remove(match)
                keep.append(int(match["RECORDNO"]))
            elif source is not None:
                add.append(dict(source))
            else:
                add.append({**bucket.fields, QTY: q})
                reversals += q < 0
        dropped.extend(int(e["RECORDNO"]) for e in open_entries)
    return EntryPlan(tuple(keep), tuple(add), reversals, tuple(dropped))


@attrs.define(slots=True)
class _Line:
    """The entries of one line (everything the same but the quantity)."""

    fields: dict[str, Any]
    locked: list[Mapping[str, Any]] = attrs.field(factory=list)
    open: list[Mapping[str, Any]] = attrs.field(factory=list)
    wanted: list[Mapping[str, Any]] = attrs.field(factory=list)
