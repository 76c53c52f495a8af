"""Linking: which existing local record an unlinked Intacct record belongs to.

Matching works both ways round. Several local records matching one Intacct record is
ambiguous (the forward case); so is one local record matched by several Intacct records
(two employees of the same name: the reverse case). Business IDs and recorded keys are
unique in Intacct, so only the weak criteria (``email``, ``name``) can be ambiguous in
reverse; the engine asks Intacct, in one ``query`` per page that has such matches, which
unlinked records share each matched value, and links none of them when there are several.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from intacct_sdk.functions import Query
from intacct_sdk.query import F, Filter, and_
from timesync.engine._context import RunContext, page_records
from timesync.engine._plan import chunks
from timesync.engine._routing import facts_of
from timesync.local import LocalRecord
from timesync.store import Link

__all__ = ["WEAK_CRITERIA", "Matcher", "link_agreeing", "norm", "remote_duplicates"]

WEAK_CRITERIA: Final = ("email", "name")
"""Match criteria whose values Intacct does not keep unique."""

_ATTR: Final = {"intacct_key": "intacct_key", "id": "key", "email": "email", "name": "name"}
_Held = LocalRecord | dict[str, LocalRecord]
_BY_KEY: Final = frozenset({"intacct_key", "id"})
"""Criteria matched on the Intacct record's remote key (the others on its model)."""


def norm(value: Any) -> str | None:
    """The form values are matched in: stripped and case-folded; None when empty."""
    if value is None:
        return None
    text = str(value).strip().casefold()
    return text or None


class Matcher:
    """The unlinked local records of one object, indexed by every match criterion.

    Built once per object and run; :meth:`take` removes a record once it is linked, so a
    lookup costs the same however many local records there are.
    """

    def __init__(self, records: Iterable[LocalRecord], order: Sequence[str]) -> None:
        self.order = tuple(order)
        # criterion -> value -> the record holding it, or (several) those records by local
        # id in the order given: most values are held once, and a lone record costs no dict
        self._index: dict[str, dict[str, _Held]] = {c: {} for c in self.order}
        for record in records:
            for criterion in self.order:
                value = norm(getattr(record, _ATTR[criterion]))
                if value is None:
                    continue
                index = self._index[criterion]
                held = index.get(value)
                if held is None:
                    index[value] = record
                elif isinstance(held, LocalRecord):
                    index[value] = {held.local_id: held, record.local_id: record}
                else:
                    held[record.local_id] = record

    def take(self, local: LocalRecord) -> None:
        """Remove a record that has just been linked from the candidates (constant time, so
        linking N records costs N however many share a name); a value no record holds any
        more leaves the index, so linking frees what the index held."""
        for criterion in self.order:
            value = norm(getattr(local, _ATTR[criterion]))
            if value is None:
                continue
            index = self._index[criterion]
            held = index.get(value)
            if isinstance(held, LocalRecord):
                if held.local_id == local.local_id:
                    del index[value]
            elif held is not None:
                held.pop(local.local_id, None)
                if len(held) == 1:
                    index[value] = next(iter(held.values()))
                elif not held:
                    del index[value]

    def find(self, rkey: str, model: Any) -> tuple[list[LocalRecord], str | None]:
        """Candidates of the first criterion that finds any, and that criterion."""
        key = norm(rkey)
        for criterion in self.order:
            # each value normalised only when its criterion is reached
            value = key if criterion in _BY_KEY else norm(getattr(model, criterion, None))
            if value is None:
                continue
            held = self._index[criterion].get(value)
            if isinstance(held, LocalRecord):
                return [held], criterion
            if held:
                return list(held.values()), criterion
        return [], None


def link_agreeing(
    ctx: RunContext,
    name: str,
    local: LocalRecord,
    model: Any,
    rkey: str,
    *,
    content_hash: str,
    record_no: int | None,
    modified: datetime | None,
) -> bool:
    """Link a matched local record that already holds what the engine would write, writing
    nothing to the local system; False (nothing done) when it may not hold it.

    The local system says so through ``fingerprint_of`` (see
    :class:`~timesync.local.ComparingLocalSystem`): the digest of the mapped model equals
    the fingerprint of the matched record. The Intacct key is recorded on it only when it
    does not already carry that key and RECORDNO. An app without ``fingerprint_of``, or a
    record without a fingerprint, is written as before.
    """
    digest = getattr(ctx.local, "fingerprint_of", None)
    if not callable(digest) or not local.fingerprint or not local.active:
        return False
    try:
        if digest(name, model) != local.fingerprint:
            return False
        if not ctx.dry_run and (local.intacct_key != rkey or local.intacct_record_no != record_no):
            ctx.local.record_intacct_key(name, local.local_id, rkey, record_no)
    except Exception:  # the app cannot tell, or refused: write as before (reported there)
        return False
    ctx.report.object(name).unchanged += 1
    if ctx.dry_run:
        return True
    ctx.store.put_link(
        Link(
            name,
            rkey,
            local.local_id,
            record_no=record_no,
            content_hash=content_hash,
            local_hash=local.fingerprint,
            remote_modified=modified,
            active=local.active,
            last_run=ctx.run_id,
            facts=facts_of(name, model),
        )
    )
    ctx.store.resolve_error(name, rkey)
    return True


def remote_duplicates(
    ctx: RunContext,
    spec: Any,
    key_of: Any,
    base: Filter | None,
    weak: Mapping[str, set[str]],
) -> dict[tuple[str, str], list[str]]:
    """The unlinked Intacct records sharing each weakly matched value, where there are
    several (reverse ambiguity), read in one request.

    Args:
        ctx: The run.
        spec: The object's mapping spec (``remote_field_for`` names the Intacct field of
            ``email`` and ``name``).
        key_of: Gives an Intacct record's remote key (``PROJECTID/TASKID`` for tasks).
        base: The pull's filter: records outside it are never imported, so they compete
            for no local record.
        weak: By criterion, the raw values matched on this page.

    Returns:
        ``(criterion, normalised value)`` -> the remote keys of every unlinked Intacct
        record with that value, for the values held by two or more.
    """
    name = spec.object_name
    key_fields = [getattr(spec, "key_field", None) or "RECORDNO"]
    if name == "TASK":
        key_fields.append("PROJECTID")
    queries: list[Query] = []
    owners: list[tuple[str, str]] = []
    for criterion, values in weak.items():
        field = spec.remote_field_for(criterion)
        if field is None or not values:
            continue
        for batch in chunks(sorted(values), 1000):
            where = F(field).in_(list(batch))
            queries.append(
                Query(
                    name,
                    (*key_fields, field),
                    where if base is None else and_(base, where),
                    page_size=2000,
                    case_insensitive=True,
                )
            )
            owners.append((criterion, field))
    if not queries:
        return {}
    by_value: dict[tuple[str, str], set[str]] = {}
    for (criterion, field), result in zip(owners, ctx.execute(queries), strict=True):
        for record in page_records(result)[0]:
            value = norm(record.get(field))
            if value is not None:
                by_value.setdefault((criterion, value), set()).add(key_of(record))
    shared = {k: keys for k, keys in by_value.items() if len(keys) > 1}
    if not shared:
        return {}
    linked = ctx.store.links_by_key(name, sorted({k for keys in shared.values() for k in keys}))
    out: dict[tuple[str, str], list[str]] = {}
    for held, keys in shared.items():
        free = sorted(k for k in keys if k not in linked)  # linked or unlinked by hand: out
        if len(free) > 1:
            out[held] = free
    return out
