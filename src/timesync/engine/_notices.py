"""What the push tells the local system, at least once, and the outbox rows a landed step
closes."""

from __future__ import annotations

import attrs

from timesync.engine._context import RunContext, log
from timesync.store import Link, Notice, OutboxEntry, OutboxState, StateStore

__all__ = ["close_superseded", "notify_local", "queue_notice"]


def queue_notice(ctx: RunContext, name: str, link: Link) -> None:
    """Queue, inside the caller's store transaction, telling the local system about
    ``link``; :func:`notify_local` delivers it (at least once, even across a crash)."""
    if link.local_id is not None:
        ctx.store.queue_notice(Notice(name, link.local_id, link.record_no, link.remote_state))


def notify_local(ctx: RunContext, name: str) -> None:
    """Deliver every queued notice of ``name`` to ``LocalSystem.document_pushed``.

    A notice is removed only after the local system took it; one it refuses stays queued
    and is offered again on the next call (the method must therefore be idempotent). The
    notices taken are removed together, in one store transaction once the loop ends (or
    stops): a crash before it offers them again, which the idempotent call absorbs, and a
    push of many records does not pay a store commit per record.
    """
    if ctx.dry_run:
        return
    store = ctx.store
    taken = []
    try:
        for notice in store.pending_notices(name):
            try:
                ctx.local.document_pushed(name, notice.local_id, notice.record_no, notice.state)
            except Exception as exc:
                log.warning("local system refused document_pushed for %s: %s", notice.local_id, exc)
                continue
            taken.append(notice)
    finally:
        if taken:
            with store.transaction():
                for notice in taken:
                    store.clear_notice(notice)


def close_superseded(store: StateStore, landed: OutboxEntry) -> None:
    """Once a step lands, the document's earlier failed or pending attempts at the same
    step, and those of its other revisions, are closed as superseded (they would otherwise
    read as work left to do)."""
    open_rows = store.outbox(
        object_name=landed.object_name,
        states=[OutboxState.FAILED, OutboxState.PENDING],
        local_id=landed.local_id,
    )
    for other in open_rows:
        if other.control_id != landed.control_id and (
            other.revision != landed.revision or other.step == landed.step
        ):
            store.put_outbox(attrs.evolve(other, state=OutboxState.SUPERSEDED))
