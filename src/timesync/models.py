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
from collections.abc import Iterator, Mapping
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


def _non_negative(_inst: object, attribute: attrs.Attribute[Any], value: Decimal | None) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or isinstance(value, bool):
        raise TypeError("must be a Decimal")
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value < 0:
        raise ValueError("must be >= 0")


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


def _key() -> Any:
    return attrs.field(validator=_nonempty)


def _opt_text() -> Any:
    return attrs.field(default=None, validator=_opt_str)


def _opt_date() -> Any:
    return attrs.field(default=None, validator=_a_date)


def _status() -> Any:
    return attrs.field(default=Status.ACTIVE, validator=v.instance_of(Status))


def _record() -> Any:
    return attrs.field(default=None, validator=_record_no)


def _modified() -> Any:
    return attrs.field(default=None, validator=_aware)


def _mapping() -> Any:
    return attrs.field(factory=FrozenMap, converter=frozen_map, validator=_str_keys)


@attrs.frozen(slots=True, kw_only=True)
class Employee:
    """A person who records time (Intacct EMPLOYEE; key is EMPLOYEEID)."""

    key: str = _key()
    name: str | None = _opt_text()
    first_name: str | None = _opt_text()
    last_name: str | None = _opt_text()
    email: str | None = _opt_text()
    title: str | None = _opt_text()
    department_key: str | None = _opt_text()
    location_key: str | None = _opt_text()
    class_key: str | None = _opt_text()
    supervisor_key: str | None = _opt_text()
    start_date: date | None = _opt_date()
    end_date: date | None = _opt_date()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class Project:
    """A project time is recorded against (Intacct PROJECT; key is PROJECTID).

    ``status`` is inactive when Intacct's STATUS is inactive or the project status
    (PROJECTSTATUS, e.g. "Closed") marks it closed.
    """

    key: str = _key()
    name: str | None = _opt_text()
    description: str | None = _opt_text()
    customer_key: str | None = _opt_text()
    project_type: str | None = _opt_text()
    project_category: str | None = _opt_text()
    project_status: str | None = _opt_text()
    manager_key: str | None = _opt_text()
    parent_key: str | None = _opt_text()
    department_key: str | None = _opt_text()
    location_key: str | None = _opt_text()
    class_key: str | None = _opt_text()
    begin_date: date | None = _opt_date()
    end_date: date | None = _opt_date()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class Task:
    """A task of a project (Intacct TASK).

    A task's identity is ``(project_key, key)``: TASKID is unique only within its project, and
    Intacct updates tasks by RECORDNO only, so links keep ``record_no``.
    """

    key: str = _key()
    project_key: str = _key()
    name: str | None = _opt_text()
    project_record_no: int | None = _record()
    parent_key: str | None = _opt_text()
    task_status: str | None = _opt_text()
    billable: bool | None = attrs.field(default=None, validator=_opt_bool)
    time_type: str | None = _opt_text()
    begin_date: date | None = _opt_date()
    end_date: date | None = _opt_date()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class Customer:
    """A client (Intacct CUSTOMER; key is CUSTOMERID)."""

    key: str = _key()
    name: str | None = _opt_text()
    email: str | None = _opt_text()
    parent_key: str | None = _opt_text()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class Department:
    """A department, often renamed "cost center" (Intacct DEPARTMENT; key is DEPARTMENTID)."""

    key: str = _key()
    name: str | None = _opt_text()
    parent_key: str | None = _opt_text()
    supervisor_key: str | None = _opt_text()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class Location:
    """A location (Intacct LOCATION; key is LOCATIONID). In multi-entity companies, an entity."""

    key: str = _key()
    name: str | None = _opt_text()
    parent_key: str | None = _opt_text()
    supervisor_key: str | None = _opt_text()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class IntacctClass:
    """A class dimension value (Intacct CLASS; key is CLASSID)."""

    key: str = _key()
    name: str | None = _opt_text()
    description: str | None = _opt_text()
    parent_key: str | None = _opt_text()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class ProjectType:
    """A project type (Intacct PROJECTTYPE; key is NAME)."""

    key: str = _key()
    parent_key: str | None = _opt_text()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class TimeType:
    """A time type, such as "Salary" or "PTO" (Intacct TIMETYPE; key is NAME)."""

    key: str = _key()
    account_no: str | None = _opt_text()
    offset_account_no: str | None = _opt_text()
    earning_type: str | None = _opt_text()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class DimensionValue:
    """A value of a dimension, typically a user-defined dimension (UDD) record.

    Attributes:
        dimension: The dimension's object name (e.g. ``FUND``); transactions carry the value's
            key in the field ``GLDIM<dimension>``.
    """

    dimension: str = _key()
    key: str = _key()
    name: str | None = _opt_text()
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class TimesheetEntry:
    """One line of a timesheet: hours on a day, routed to a project, task and dimensions.

    Attributes:
        task_key: TASKID (unique only within the project).
        task_record_no: TASKKEY, the task's RECORDNO; preferred when pushing.
        dimensions: Dimension values by name (``department``, ``location``, ``class``,
            ``customer``, ``item`` and user-defined ones).
    """

    entry_date: date = attrs.field(validator=_a_date)
    hours: Decimal = attrs.field(validator=_non_negative)
    project_key: str | None = _opt_text()
    task_key: str | None = _opt_text()
    task_record_no: int | None = _record()
    time_type: str | None = _opt_text()
    billable: bool | None = attrs.field(default=None, validator=_opt_bool)
    notes: str | None = _opt_text()
    dimensions: Mapping[str, Any] = _mapping()
    line_no: int | None = attrs.field(default=None, validator=v.optional(v.instance_of(int)))
    record_no: int | None = _record()
    state: str | None = _opt_text()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class Timesheet:
    """A week (or period) of one employee's time (Intacct TIMESHEET).

    ``local_id`` is the time-tracking app's id; it is stamped into an Intacct custom field so a
    pushed timesheet can always be found again. ``key`` returns it.
    """

    local_id: str = _key()
    employee_key: str = _key()
    begin_date: date = attrs.field(validator=_a_date)
    end_date: date | None = _opt_date()
    description: str | None = _opt_text()
    state: str | None = _opt_text()
    entries: tuple[TimesheetEntry, ...] = attrs.field(
        default=(), converter=tuple, validator=v.deep_iterable(v.instance_of(TimesheetEntry))
    )
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()

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
    expense_type: str | None = _opt_text()
    quantity: Decimal | None = attrs.field(default=None, validator=_finite)
    unit_rate: Decimal | None = attrs.field(default=None, validator=_finite)
    project_key: str | None = _opt_text()
    task_key: str | None = _opt_text()
    billable: bool | None = attrs.field(default=None, validator=_opt_bool)
    paid_to: str | None = _opt_text()
    notes: str | None = _opt_text()
    dimensions: Mapping[str, Any] = _mapping()
    line_no: int | None = attrs.field(default=None, validator=v.optional(v.instance_of(int)))
    record_no: int | None = _record()
    custom_fields: Mapping[str, Any] = _mapping()


@attrs.frozen(slots=True, kw_only=True)
class ExpenseReport:
    """An employee's expense report (Intacct EEXPENSES), stamped with its local id."""

    local_id: str = _key()
    employee_key: str = _key()
    report_date: date = attrs.field(validator=_a_date)
    description: str | None = _opt_text()
    memo: str | None = _opt_text()
    currency: str | None = _opt_text()
    report_number: str | None = _opt_text()
    state: str | None = _opt_text()
    lines: tuple[ExpenseLine, ...] = attrs.field(
        default=(), converter=tuple, validator=v.deep_iterable(v.instance_of(ExpenseLine))
    )
    status: Status = _status()
    record_no: int | None = _record()
    modified_at: datetime | None = _modified()
    custom_fields: Mapping[str, Any] = _mapping()

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
