"""What a run did: per-object counts, conflicts, errors, API usage; and the hooks that watch it."""

from __future__ import annotations

from typing import Any, Final, Literal, Protocol

import attrs

__all__ = [
    "SKIP_REASONS",
    "Conflict",
    "EngineHooks",
    "ObjectReport",
    "Progress",
    "RecordFailure",
    "RunReport",
    "SkipReason",
]


@attrs.frozen(slots=True)
class Conflict:
    """A change the engine refused to make, and why.

    Attributes:
        object_name: The Intacct object.
        key: The record key (Intacct ID, or local id for pushed documents).
        reason: One line.
    """

    object_name: str
    key: str
    reason: str


@attrs.frozen(slots=True)
class RecordFailure:
    """A record that failed this run (queued and retried on the next one)."""

    object_name: str
    key: str
    message: str


SkipReason = Literal["inactive", "filtered", "not_selected", "unlinked"]
"""Why a pulled Intacct record was left alone (see :attr:`ObjectReport.skipped`)."""

SKIP_REASONS: Final[tuple[SkipReason, ...]] = ("inactive", "filtered", "not_selected", "unlinked")


@attrs.define(slots=True)
class ObjectReport:
    """Counts for one object in one run. A dry run counts what it would do.

    ``skipped`` counts Intacct records that were read but are out of scope, so nothing
    was written for them; the ``skipped_*`` counters say why (they add up to ``skipped``):

    - ``skipped_inactive``: inactive (or closed, completed) in Intacct and never linked:
      not imported.
    - ``skipped_filtered``: outside the mapping spec's filter and never linked.
    - ``skipped_not_selected``: not on the object's ``import_selected`` allow-list and
      matching no local record.
    - ``skipped_unlinked``: unlinked by hand (``timesync unlink``): left alone until
      linked again.
    """

    created: int = 0
    updated: int = 0
    inactivated: int = 0
    unchanged: int = 0
    linked: int = 0
    skipped: int = 0
    skipped_inactive: int = 0
    skipped_filtered: int = 0
    skipped_not_selected: int = 0
    skipped_unlinked: int = 0
    repaired: int = 0
    approved: int = 0
    declined: int = 0
    deleted: int = 0
    recovered: int = 0
    conflicts: int = 0
    errors: int = 0
    ambiguous: int = 0

    def skip(self, reason: SkipReason) -> None:
        """Count one record left alone, and why."""
        field = f"skipped_{reason}"
        setattr(self, field, getattr(self, field) + 1)
        self.skipped += 1

    def skip_reasons(self) -> dict[SkipReason, int]:
        """The non-zero skip counts by reason."""
        counts = {reason: int(getattr(self, f"skipped_{reason}")) for reason in SKIP_REASONS}
        return {reason: n for reason, n in counts.items() if n}

    def as_dict(self) -> dict[str, int]:
        """The non-zero counts."""
        return {k: v for k, v in attrs.asdict(self).items() if v}


@attrs.define(slots=True)
class RunReport:
    """The outcome of :meth:`Engine.run`.

    Attributes:
        run_id: The run's id in the state store.
        dry_run: True when nothing was written.
        full: True for a full (reconciling) run.
        objects: Counts per object.
        conflicts: Every conflict found.
        failures: Every record that failed.
        repairs: One line per local record a full run repaired.
        http_requests: HTTP requests the run sent.
        api_functions: Gateway functions the run sent.
        functions_by_name: Functions the engine sent, by function name (first attempts).
        pending: Outbox steps still pending or in flight at the end.
        planned: In a dry run, one line per write it would make.
        notes: One line per thing the run did that the counts do not say (tasks
            inactivated with their project, a fallback taken).
    """

    run_id: int
    dry_run: bool = False
    full: bool = False
    objects: dict[str, ObjectReport] = attrs.field(factory=dict)
    conflicts: list[Conflict] = attrs.field(factory=list)
    failures: list[RecordFailure] = attrs.field(factory=list)
    repairs: list[str] = attrs.field(factory=list)
    http_requests: int = 0
    api_functions: int = 0
    functions_by_name: dict[str, int] = attrs.field(factory=dict)
    pending: int = 0
    planned: list[str] = attrs.field(factory=list)
    notes: list[str] = attrs.field(factory=list)

    def object(self, name: str) -> ObjectReport:
        """The counts of one object (created on first use)."""
        return self.objects.setdefault(name, ObjectReport())

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing conflicted."""
        return not self.failures and not self.conflicts

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly summary (what the state store keeps for ``timesync status``)."""
        return {
            "objects": {k: v.as_dict() for k, v in self.objects.items()},
            "conflicts": len(self.conflicts),
            "failures": len(self.failures),
            "repairs": len(self.repairs),
            "notes": list(self.notes),
            "http_requests": self.http_requests,
            "api_functions": self.api_functions,
            "pending": self.pending,
        }

    def format(self) -> str:
        """A plain-text table of the run, for people."""
        cols = ("created", "updated", "inactivated", "unchanged", "conflicts", "errors")
        lines = [
            f"run {self.run_id}{' (dry run)' if self.dry_run else ''}"
            f"{' (full)' if self.full else ''}",
            f"  {'object':<12}" + "".join(f"{c:>12}" for c in cols) + "  other",
        ]
        for name, rep in self.objects.items():
            values = attrs.asdict(rep)
            other = []
            for k, v in values.items():
                if not v or k in cols or k.startswith("skipped_"):
                    continue
                if k == "skipped":
                    why = ", ".join(f"{r} {n}" for r, n in rep.skip_reasons().items())
                    other.append(f"skipped {v} ({why})" if why else f"skipped {v}")
                else:
                    other.append(f"{k} {v}")
            lines.append(
                f"  {name:<12}"
                + "".join(f"{values[c]:>12}" for c in cols)
                + f"  {', '.join(other)}".rstrip()
            )
        lines.extend(f"  conflict: {c.object_name} {c.key}: {c.reason}" for c in self.conflicts)
        lines.extend(f"  error: {f.object_name} {f.key}: {f.message}" for f in self.failures)
        lines.extend(f"  repaired: {r}" for r in self.repairs)
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.extend(f"  would: {p}" for p in self.planned)
        lines.append(
            f"  API functions {self.api_functions}, HTTP requests {self.http_requests}"
            f", pending outbox steps {self.pending}"
        )
        return "\n".join(lines)


@attrs.frozen(slots=True)
class Progress:
    """A progress tick: ``done`` of ``total`` (None when unknown) for ``object_name``."""

    object_name: str
    phase: str
    done: int
    total: int | None = None


class EngineHooks(Protocol):
    """Instrumentation: implement any subset by subclassing :class:`~timesync.engine.Hooks`."""

    def run_started(self, run_id: int, objects: tuple[str, ...], *, dry_run: bool) -> None:
        """A run began."""

    def record_applied(self, object_name: str, key: str, action: str) -> None:
        """A record was created, updated, inactivated, linked, pushed... (``action``)."""

    def conflict(self, conflict: Conflict) -> None:
        """A conflict was found."""

    def error(self, failure: RecordFailure) -> None:
        """A record failed."""

    def run_finished(self, report: RunReport) -> None:
        """A run ended (also after an exception, with what was done)."""


class Hooks:
    """Hooks that do nothing; subclass and override what you need."""

    def run_started(self, run_id: int, objects: tuple[str, ...], *, dry_run: bool) -> None:
        """A run began."""

    def record_applied(self, object_name: str, key: str, action: str) -> None:
        """A record was applied."""

    def conflict(self, conflict: Conflict) -> None:
        """A conflict was found."""

    def error(self, failure: RecordFailure) -> None:
        """A record failed."""

    def run_finished(self, report: RunReport) -> None:
        """A run ended."""


def stats_snapshot(client: Any) -> tuple[int, int]:
    """HTTP requests and functions sent so far, from ``client.stats`` (zeros without one).

    The client counts every attempt, retries and logins included: what the gateway saw.
    """
    stats = getattr(client, "stats", None)
    if stats is None:
        return 0, 0
    return int(getattr(stats, "http_requests", 0)), int(getattr(stats, "functions", 0))
