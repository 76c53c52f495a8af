"""The engine's options: one frozen value, merged by the caller, never a growing keyword list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol, get_args

import attrs

from timesync.engine._installation import check_installation_id
from timesync.engine._report import Progress
from timesync.errors import ConfigurationError as SyncConfigurationError

__all__ = [
    "PULL_ORDER",
    "EngineOptions",
    "MappingSpecLike",
    "PushOptions",
]

PULL_ORDER: Final[tuple[str, ...]] = (
    "DEPARTMENT",
    "LOCATION",
    "CLASS",
    "ITEM",
    "PROJECTTYPE",
    "TIMETYPE",
    "CUSTOMER",
    "EMPLOYEE",
    "PROJECT",
    "TASK",
)
"""Dependency order of pulled objects: dimensions, customers, employees, projects, tasks."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


PUSH_OBJECTS: Final[tuple[str, ...]] = ("TIMESHEET", "EEXPENSES")


class MappingSpecLike(Protocol):
    """The part of ``timesync.mapping.MappingSpec`` the engine uses."""

    @property
    def object_name(self) -> str:
        """The Intacct object."""

    @property
    def filter(self) -> Any:
        """An ``intacct_sdk.query.Filter`` or None."""

    def remote_fields(self) -> tuple[str, ...]:
        """Fields to request."""

    def to_local(self, record: Mapping[str, Any]) -> Any:
        """Intacct record -> model."""

    def to_remote(self, obj: Any) -> dict[str, Any]:
        """Model -> Intacct record."""

    def content_hash(self, obj: Any) -> str:
        """A stable digest of the mapped content."""


Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS: Final[tuple[str, ...]] = get_args(Weekday)
"""The days a company's timesheet week may start on (Intacct's company setting)."""


@attrs.frozen(slots=True)
class PushOptions:
    """How documents are pushed.

    Attributes:
        target_state: Where pushed timesheets land: ``Draft``, ``Submitted``, or ``Approved``
            (created Submitted, then approved as a separate, separately recorded step).
        approved_by: Approve on behalf of this Intacct user (needs "API Proxy" permission).
        stamp_field: The Intacct custom field that carries the local id on every pushed
            record; it is how the engine finds a record again after a crash.
        on_delete: How a local deletion withdraws a pushed record: ``delete`` it, or
            ``decline`` it (kept for audit; only while it awaits approval). Approved
            records cannot be withdrawn through the gateway: that is a reported conflict.
        batch_size: Functions per request (creates are one function per record).
        approval_comment: Comment sent with approvals and declines.
        approved_changes: What a local correction of a timesheet Intacct already
            approved (wholly or partly) sends: ``reverse`` keeps every Intacct entry,
            adds a reversing entry (the negative quantity, the same routing) for each
            approved entry that changed or went, and a new entry for each new value, in
            one ``update``; ``new_timesheet`` leaves the approved timesheet alone and puts
            the same reversals and new entries into a new timesheet of the same employee and
            week (for companies that allow no change to an approved timesheet; a later
            correction updates that sheet while it awaits approval); ``conflict`` holds it
            back as a conflict for a person.
        week_start: The company's first day of the timesheet week (Intacct's company
            setting, ``Monday`` to ``Sunday``): a local timesheet that begins on another day
            is that record's error before any call. None: not checked locally (Intacct
            refuses a misaligned one).
    """

    target_state: Literal["Draft", "Submitted", "Approved"] = "Submitted"
    approved_by: str | None = None
    stamp_field: str = "TIMESYNC_ID"
    on_delete: Literal["delete", "decline"] = "delete"
    batch_size: int = 50
    approval_comment: str | None = "approved in the time-tracking app"
    approved_changes: Literal["reverse", "conflict", "new_timesheet"] = "reverse"
    week_start: Weekday | None = attrs.field(default=None)

    @week_start.validator
    def _check_week_start(self, _: Any, value: str | None) -> None:
        if value is not None and value not in WEEKDAYS:
            raise SyncConfigurationError(
                f"week_start must be one of {', '.join(WEEKDAYS)}, not {value!r}"
            )


@attrs.frozen(slots=True)
class EngineOptions:
    """Options of an :class:`~timesync.engine.Engine`.

    Attributes:
        lag: How far back the frequent incremental read starts before its cursor: Intacct
            is eventually consistent for readers, so a change committed a moment ago may
            become visible only later. Records read again are skipped by hash.
        reread_window: How far back the periodic pass starts (a wide re-read for changes
            that became visible late; peers use hours).
        reread_every: How often the periodic pass runs, per object: the wide re-read, the
            records whose WHENMODIFIED is empty, and the whole read of objects without a
            change cursor (TIMETYPE). Full runs always include it.
        clock: The current time (aware UTC), for the periodic pass's cadence.
        deletions: Read the pulled objects' deletions from Intacct's audit trail on
            incremental runs (one ``query`` per run, sent with the first pages); without it,
            or when the API user may not read the trail, only full runs see deletions.
        page_size: Records per ``query`` page (1 to 2,000).
        match_on: How unlinked Intacct records are matched to existing local records, in
            order: ``intacct_key`` (the key the app recorded), ``id`` (business ID),
            ``email``, ``name``. A criterion that finds several candidates stops the
            search: the record is reported as ambiguous and left alone.
        import_selected: Per object, the only Intacct keys to import ("import selected");
            objects not named import everything. Linking existing records is not limited.
        writeback_field: Per object, a custom field that receives the local id.
        push: How documents are pushed.
        pull_objects: Objects pulled, in this order.
        push_objects: Objects pushed.
        progress: Called with a :class:`Progress` as records are read and written.
        installation_id: Who this engine pushes as: stamped on every pushed record and in
            every write's control id, so apps sharing a company never adopt each other's
            records. None: the id the state store holds, generated on its first run. Set it
            to keep the identity when the store is lost or moved (see "Installations").
    """

    lag: timedelta = timedelta(minutes=2)
    reread_window: timedelta = timedelta(hours=2)
    reread_every: timedelta = timedelta(hours=1)
    page_size: int = 2000
    match_on: tuple[str, ...] = ("intacct_key", "id", "email", "name")
    import_selected: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    writeback_field: Mapping[str, str] = attrs.field(factory=dict)
    push: PushOptions = PushOptions()
    pull_objects: tuple[str, ...] = (
        "DEPARTMENT",
        "LOCATION",
        "CLASS",
        "PROJECTTYPE",
        "TIMETYPE",
        "CUSTOMER",
        "EMPLOYEE",
        "PROJECT",
        "TASK",
    )
    push_objects: tuple[str, ...] = ("TIMESHEET",)
    progress: Callable[[Progress], None] | None = attrs.field(default=None, eq=False)
    clock: Callable[[], datetime] = attrs.field(default=_utc_now, eq=False)
    deletions: bool = True
    installation_id: str | None = attrs.field(default=None)

    @installation_id.validator
    def _check_installation(self, _: Any, value: str | None) -> None:
        if value is not None:
            check_installation_id(value)
