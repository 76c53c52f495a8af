"""Before creating, find what this installation already wrote (a lost or recreated store).

The engine reads Intacct back by stamp for every batch of documents it is about to create,
in the same request as its other pre-push reads, and links what its own installation
already wrote instead of creating it again. On a store that has never pushed an object, and
whose installation id was generated rather than configured, it also asks whether Intacct
holds records stamped by any other installation: if it does, creates wait until the
operator says who this app is (see "Installations" in the docs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from intacct_sdk.functions import Query
from intacct_sdk.query import F
from timesync.engine._context import RunContext, as_int, page_records
from timesync.engine._plan import DEAD_STATES, LOCKED_STATES, stamp_owner
from timesync.engine._streams import as_timestamp
from timesync.store import Link, OutboxState

__all__ = ["HELD_KEY", "ForeignCheck", "adopt", "adopted_link"]

HELD_KEY: Final = "*installation"
"""Error-queue key of an object's held creates (keys starting with ``*`` are not documents)."""

_CHECKED: Final = "stamps_checked:"
"""Meta key prefix: the object's foreign-stamp check passed (or was not needed)."""


@attrs.define(slots=True)
class ForeignCheck:
    """The one-time check for other installations' stamps, of one object."""

    ctx: RunContext
    name: str
    stamp: str

    def needed(self) -> bool:
        """Whether this run must ask (an id that was configured is the operator's word)."""
        ctx, store = self.ctx, self.ctx.store
        if ctx.installation.configured or store.get_meta(_CHECKED + self.name) is not None:
            return False
        if store.outbox(object_name=self.name, states=[OutboxState.DONE]):
            self.passed()  # a store that pushed before installation ids: its own stamps
            return False
        return True

    def query(self) -> Query:
        """Up to 100 records of the object stamped by anyone but this installation."""
        where = F(self.stamp).is_not_null() & F(self.stamp).not_like(
            f"{self.ctx.installation.id}:%"
        )
        return self.ctx.page_query(self.name, ["RECORDNO", self.stamp], where, (), 100)

    def owners(self, result: Any) -> list[str]:
        """The other installations the check found (``(none)`` for bare local ids)."""
        records = page_records(result)[0]
        return sorted({stamp_owner(str(r.get(self.stamp))) or "(none)" for r in records})

    def passed(self) -> None:
        """Remember that this object's check passed, and clear an earlier hold."""
        if not self.ctx.dry_run:
            self.ctx.store.set_meta(_CHECKED + self.name, "1")
            self.ctx.store.resolve_error(self.name, HELD_KEY)

    def hold(self, owners: Sequence[str], creates: int) -> None:
        """Hold this run's creates and say what to do."""
        shown = ", ".join(repr(o) for o in owners[:5])
        self.ctx.fail(
            self.name,
            HELD_KEY,
            f"{creates} create(s) held: this state store has never pushed {self.name}, and "
            f"Intacct holds {self.name} records stamped by installation(s) {shown}. If one of "
            "them is this app (a lost or recreated state store), set installation_id to it; "
            "if another app wrote them, set installation_id to a new id of this app's own. "
            "Either way the next run goes on",
        )


def adopted_link(
    ctx: RunContext,
    name: str,
    local_id: str,
    records: Sequence[dict[str, Any]],
    content_hash: str | None,
) -> tuple[Link, str | None] | None:
    """The link to a record this installation already wrote for ``local_id``, if Intacct
    holds a live one, with a note when the adoption needs saying.

    A record awaiting approval is linked with no content hash, so the plan updates it to
    the document's current content. An approved one can no longer be updated: it is
    linked as in step with the document, and the note says so.
    """
    live = [r for r in records if r.get("STATE") not in DEAD_STATES]
    if not live:
        return None
    rec = max(live, key=lambda r: as_int(r.get("RECORDNO")) or 0)
    state = rec.get("STATE")
    locked = state in LOCKED_STATES
    link = Link(
        name,
        local_id,
        local_id,
        record_no=as_int(rec.get("RECORDNO")),
        remote_state=state,
        remote_modified=as_timestamp(rec.get("WHENMODIFIED"), ctx.zone),
        content_hash=content_hash if locked else None,
        last_run=ctx.run_id,
    )
    notes = []
    if len(live) > 1:
        notes.append(f"{len(live)} live records carry its stamp; linked the newest")
    if locked:
        notes.append(f"{state} in Intacct, so taken as it stands there")
    return link, "; ".join(notes) or None


def adopt(
    ctx: RunContext,
    name: str,
    found: Mapping[str, Sequence[dict[str, Any]]],
    hashes: Mapping[str, str | None],
    links: dict[str, Link],
    remote: dict[int, dict[str, Any]],
) -> list[Link]:
    """Link the documents about to be created to what this installation already wrote.

    Args:
        ctx: The run.
        name: The object.
        found: Per local id about to be created, the Intacct records carrying its stamp.
        hashes: The documents' content hashes.
        links: The documents' links, by local id: the adopted ones join it.
        remote: Intacct records by RECORDNO: the adopted ones join it.

    Returns:
        The links made (stored, unless a dry run), with the run's notes saying so.
    """
    adopted: list[Link] = []
    for local_id, records in found.items():
        got = adopted_link(ctx, name, local_id, records, hashes.get(local_id))
        if got is None:
            continue
        link, note = got
        adopted.append(link)
        links[local_id] = link
        if link.record_no is not None:
            remote[link.record_no] = next(
                r for r in records if as_int(r.get("RECORDNO")) == link.record_no
            )
        if note:
            ctx.note(f"{name} local {local_id}: {note}")
    if not adopted:
        return adopted
    shown = ", ".join(lk.local_id or "" for lk in adopted[:10])
    more = f" and {len(adopted) - 10} more" if len(adopted) > 10 else ""
    lost = (
        "the state store is new, yet Intacct holds records this installation wrote: "
        if ctx.installation.new
        else ""
    )
    ctx.note(
        f"{name}: {lost}linked {len(adopted)} record(s) that this installation "
        f"had already written instead of creating them again (local {shown}{more})"
    )
    if not ctx.dry_run:
        with ctx.store.transaction():
            for link in adopted:
                ctx.store.put_link(link)
    return adopted
