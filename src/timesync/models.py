"""The domain models timesync moves between a time-tracking app and Intacct.

Every model is a frozen, slotted attrs class: values, not objects with identity, so they can be
hashed, compared and shared between threads. Dates are :class:`datetime.date`, timestamps are
aware :class:`datetime.datetime`, hours and money are :class:`decimal.Decimal`.

Each synced model carries its Intacct identity (``key``: the business ID such as EMPLOYEEID;
``record_no``: RECORDNO), a :class:`Status`, ``modified_at`` (WHENMODIFIED) and an immutable
``custom_fields`` mapping for everything the app wants beyond the named attributes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from attrs import validators as v

__all__ = [
    "MODELS",
    "Customer",
    "Department",
    "DimensionValue",
    "Employee",
    "ExpenseLine",
    "ExpenseReport",
    "FrozenMap",
    "IntacctClass",
    "Item",
    "Location",
    "Project",
    "ProjectType",
    "Status",
    "Task",
    "TimeType",
    "Timesheet",
    "TimesheetEntry",
    "frozen_map",
]


class Status(enum.Enum):
    """Whether a record is in use. Intacct's "active non-posting" counts as active."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class FrozenMap(Mapping[str, Any]):
    """An immutable, hashable mapping (the type of ``custom_fields`` and ``dimensions``).

    Equal to any mapping with the same items; hashable when its values are.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = dict(data or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def set(self, key: str, value: Any) -> FrozenMap:
        """Return a copy with ``key`` set to ``value``."""
        data = dict(self._data)
        data[key] = value
        return FrozenMap(data)

    def without(self, key: str) -> FrozenMap:
        """Return a copy without ``key``."""
        data = dict(self._data)
        data.pop(key, None)
        return FrozenMap(data)


def frozen_map(value: Mapping[str, Any] | None) -> FrozenMap:
    """Convert any mapping (or None) to a :class:`FrozenMap`; the attrs converter."""
    if isinstance(value, FrozenMap):
        return value
    return FrozenMap(value)


def _str_keys(_inst: object, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    for key in value:
        if not isinstance(key, str) or not key:
            raise ValueError(f"{attribute.name} keys must be non-empty strings")


def _nonempty(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise TypeError("must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must be an aware datetime (with a time zone)")


def _a_date(_inst: object, attribute: attrs.Attribute[Any], value: date | None) -> None:
    if value is None:
        return
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError("must be a date")


def _finite(_inst: object, attribute: attrs.Attribute[Any], value: Decimal | None) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal):
        raise TypeError("must be a Decimal")
    if not value.is_finite():
        raise ValueError("must be a finite number")


def _record_no(_inst: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("must be an int")
    if value <= 0:
        raise ValueError("must be a positive int")


_opt_str = v.optional(v.instance_of(str))
_opt_bool = v.optional(v.instance_of(bool))


_is_status = v.instance_of(Status)


@attrs.frozen(slots=True, kw_only=True)
class Employee:
    """A person who records time (Intacct EMPLOYEE; key is EMPLOYEEID)."""

    key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    first_name: str | None = attrs.field(default=None, validator=_opt_str)
    last_name: str | None = attrs.field(default=None, validator=_opt_str)
    email: str | None = attrs.field(default=None, validator=_opt_str)
    title: str | None = attrs.field(default=None, validator=_opt_str)
    department_key: str | None = attrs.field(default=None, validator=_opt_str)
    location_key: str | None = attrs.field(default=None, validator=_opt_str)
    class_key: str | None = attrs.field(default=None, validator=_opt_str)
    supervisor_key: str | None = attrs.field(default=None, validator=_opt_str)
    start_date: date | None = attrs.field(default=None, validator=_a_date)
    end_date: date | None = attrs.field(default=None, validator=_a_date)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class Project:
    """A project time is recorded against (Intacct PROJECT; key is PROJECTID).

    ``status`` is inactive when Intacct's STATUS is inactive or the project status
    (PROJECTSTATUS, e.g. "Closed") marks it closed.
    """

    key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    description: str | None = attrs.field(default=None, validator=_opt_str)
    customer_key: str | None = attrs.field(default=None, validator=_opt_str)
    project_type: str | None = attrs.field(default=None, validator=_opt_str)
    project_category: str | None = attrs.field(default=None, validator=_opt_str)
    project_status: str | None = attrs.field(default=None, validator=_opt_str)
    manager_key: str | None = attrs.field(default=None, validator=_opt_str)
    parent_key: str | None = attrs.field(default=None, validator=_opt_str)
    department_key: str | None = attrs.field(default=None, validator=_opt_str)
    location_key: str | None = attrs.field(default=None, validator=_opt_str)
    class_key: str | None = attrs.field(default=None, validator=_opt_str)
    begin_date: date | None = attrs.field(default=None, validator=_a_date)
    end_date: date | None = attrs.field(default=None, validator=_a_date)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class Task:
    """A task of a project (Intacct TASK).

    A task's identity is ``(project_key, key)``: TASKID is unique only within its project, and
    Intacct updates tasks by RECORDNO only, so links keep ``record_no``.
    """

    key: str = attrs.field(validator=_nonempty)
    project_key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    project_record_no: int | None = attrs.field(default=None, validator=_record_no)
    parent_key: str | None = attrs.field(default=None, validator=_opt_str)
    task_status: str | None = attrs.field(default=None, validator=_opt_str)
    billable: bool | None = attrs.field(default=None, validator=_opt_bool)
    time_type: str | None = attrs.field(default=None, validator=_opt_str)
    begin_date: date | None = attrs.field(default=None, validator=_a_date)
    end_date: date | None = attrs.field(default=None, validator=_a_date)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class Customer:
    """A client (Intacct CUSTOMER; key is CUSTOMERID)."""

    key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    email: str | None = attrs.field(default=None, validator=_opt_str)
    parent_key: str | None = attrs.field(default=None, validator=_opt_str)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class Department:
    """A department, often renamed "cost center" (Intacct DEPARTMENT; key is DEPARTMENTID)."""

    key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    parent_key: str | None = attrs.field(default=None, validator=_opt_str)
    supervisor_key: str | None = attrs.field(default=None, validator=_opt_str)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class Location:
    """A location (Intacct LOCATION; key is LOCATIONID). In multi-entity companies, an entity."""

    key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    parent_key: str | None = attrs.field(default=None, validator=_opt_str)
    supervisor_key: str | None = attrs.field(default=None, validator=_opt_str)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class IntacctClass:
    """A class dimension value (Intacct CLASS; key is CLASSID)."""

    key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    description: str | None = attrs.field(default=None, validator=_opt_str)
    parent_key: str | None = attrs.field(default=None, validator=_opt_str)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class ProjectType:
    """A project type (Intacct PROJECTTYPE; key is NAME)."""

    key: str = attrs.field(validator=_nonempty)
    parent_key: str | None = attrs.field(default=None, validator=_opt_str)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class TimeType:
    """A time type, such as "Salary" or "PTO" (Intacct TIMETYPE; key is NAME)."""

    key: str = attrs.field(validator=_nonempty)
    account_no: str | None = attrs.field(default=None, validator=_opt_str)
    offset_account_no: str | None = attrs.field(default=None, validator=_opt_str)
    earning_type: str | None = attrs.field(default=None, validator=_opt_str)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class Item:
    """An item (Intacct ITEM; key is ITEMID), the dimension time and equipment are billed to.

    Attributes:
        gl_group: The item's GL group (``GLGROUP``), which allocation rules can route on
            (labor versus equipment).
    """

    key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    gl_group: str | None = attrs.field(default=None, validator=_opt_str)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class DimensionValue:
    """A value of a dimension, typically a user-defined dimension (UDD) record.

    Attributes:
        dimension: The dimension's object name (e.g. ``FUND``); transactions carry the value's
            key in the field ``GLDIM<dimension>``.
    """

    dimension: str = attrs.field(validator=_nonempty)
    key: str = attrs.field(validator=_nonempty)
    name: str | None = attrs.field(default=None, validator=_opt_str)
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


@attrs.frozen(slots=True, kw_only=True)
class TimesheetEntry:
    """One line of a timesheet: hours on a day, routed to a project, task and dimensions.

    Attributes:
        hours: The quantity (QTY), any finite number: a negative one is kept, not refused,
            so that the app can always be read; the push refuses it as a rule of its own
            (see ``timesync.engine.check_document``).
        task_key: TASKID (unique only within the project).
        task_record_no: TASKKEY, the task's RECORDNO; preferred when pushing.
        dimensions: Dimension values by name (``department``, ``location``, ``class``,
            ``customer``, ``item`` and user-defined ones).
    """

    entry_date: date = attrs.field(validator=_a_date)
    hours: Decimal = attrs.field(validator=_finite)
    project_key: str | None = attrs.field(default=None, validator=_opt_str)
    task_key: str | None = attrs.field(default=None, validator=_opt_str)
    task_record_no: int | None = attrs.field(default=None, validator=_record_no)
    time_type: str | None = attrs.field(default=None, validator=_opt_str)
    billable: bool | None = attrs.field(default=None, validator=_opt_bool)
    notes: str | None = attrs.field(default=None, validator=_opt_str)
    dimensions: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )
    line_no: int | None = attrs.field(default=None, validator=v.optional(v.instance_of(int)))
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    state: str | None = attrs.field(default=None, validator=_opt_str)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


def _entries(value: Iterable[TimesheetEntry]) -> tuple[TimesheetEntry, ...]:
    return tuple(value)


@attrs.frozen(slots=True, kw_only=True)
class Timesheet:
    """A week (or period) of one employee's time (Intacct TIMESHEET).

    ``local_id`` is the time-tracking app's id; it is stamped into an Intacct custom field so a
    pushed timesheet can always be found again. ``key`` returns it.
    """

    local_id: str = attrs.field(validator=_nonempty)
    employee_key: str = attrs.field(validator=_nonempty)
    begin_date: date = attrs.field(validator=_a_date)
    end_date: date | None = attrs.field(default=None, validator=_a_date)
    description: str | None = attrs.field(default=None, validator=_opt_str)
    state: str | None = attrs.field(default=None, validator=_opt_str)
    entries: tuple[TimesheetEntry, ...] = attrs.field(
        default=(), converter=_entries, validator=v.deep_iterable(v.instance_of(TimesheetEntry))
    )
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )

    @property
    def key(self) -> str:
        """The local id: a timesheet has no business ID of its own in Intacct."""
        return self.local_id

    @property
    def total_hours(self) -> Decimal:
        """The sum of the entries' hours."""
        return sum((e.hours for e in self.entries), Decimal(0))


@attrs.frozen(slots=True, kw_only=True)
class ExpenseLine:
    """One line of an expense report."""

    entry_date: date = attrs.field(validator=_a_date)
    amount: Decimal = attrs.field(validator=_finite)
    expense_type: str | None = attrs.field(default=None, validator=_opt_str)
    quantity: Decimal | None = attrs.field(default=None, validator=_finite)
    unit_rate: Decimal | None = attrs.field(default=None, validator=_finite)
    project_key: str | None = attrs.field(default=None, validator=_opt_str)
    task_key: str | None = attrs.field(default=None, validator=_opt_str)
    billable: bool | None = attrs.field(default=None, validator=_opt_bool)
    paid_to: str | None = attrs.field(default=None, validator=_opt_str)
    notes: str | None = attrs.field(default=None, validator=_opt_str)
    dimensions: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )
    line_no: int | None = attrs.field(default=None, validator=v.optional(v.instance_of(int)))
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )


def _lines(value: Iterable[ExpenseLine]) -> tuple[ExpenseLine, ...]:
    return tuple(value)


@attrs.frozen(slots=True, kw_only=True)
class ExpenseReport:
    """An employee's expense report (Intacct EEXPENSES), stamped with its local id."""

    local_id: str = attrs.field(validator=_nonempty)
    employee_key: str = attrs.field(validator=_nonempty)
    report_date: date = attrs.field(validator=_a_date)
    description: str | None = attrs.field(default=None, validator=_opt_str)
    memo: str | None = attrs.field(default=None, validator=_opt_str)
    currency: str | None = attrs.field(default=None, validator=_opt_str)
    report_number: str | None = attrs.field(default=None, validator=_opt_str)
    state: str | None = attrs.field(default=None, validator=_opt_str)
    lines: tuple[ExpenseLine, ...] = attrs.field(
        default=(), converter=_lines, validator=v.deep_iterable(v.instance_of(ExpenseLine))
    )
    status: Status = attrs.field(default=Status.ACTIVE, validator=_is_status)
    record_no: int | None = attrs.field(default=None, validator=_record_no)
    modified_at: datetime | None = attrs.field(default=None, validator=_aware)
    custom_fields: Mapping[str, Any] = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=_str_keys
    )

    @property
    def key(self) -> str:
        """The local id."""
        return self.local_id

    @property
    def total(self) -> Decimal:
        """The sum of the lines' amounts."""
        return sum((line.amount for line in self.lines), Decimal(0))


MODELS: Mapping[str, type] = {
    cls.__name__: cls
    for cls in (
        Employee,
        Project,
        Task,
        Customer,
        Department,
        Location,
        IntacctClass,
        Item,
        ProjectType,
        TimeType,
        DimensionValue,
        Timesheet,
        TimesheetEntry,
        ExpenseReport,
        ExpenseLine,
    )
}
"""Every model by class name (how TOML spec files name a model)."""
