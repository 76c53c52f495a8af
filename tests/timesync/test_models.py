"""The domain models: immutability, validation, value semantics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest

from timesync.models import (
    MODELS,
    Employee,
    ExpenseLine,
    ExpenseReport,
    FrozenMap,
    Project,
    Status,
    Task,
    Timesheet,
    TimesheetEntry,
    frozen_map,
)

DAY = date(2024, 7, 1)


def entry(**kw: object) -> TimesheetEntry:
    base: dict[str, object] = {"entry_date": DAY, "hours": Decimal("1.5")}
    base.update(kw)
    return TimesheetEntry(**base)  # type: ignore[arg-type]


def test_frozen_map_is_read_only_hashable_and_equal_to_a_dict() -> None:
    m = frozen_map({"a": 1, "b": "x"})
    assert m == {"a": 1, "b": "x"}
    assert hash(m) == hash(FrozenMap({"b": "x", "a": 1}))
    with pytest.raises(TypeError):
        m["a"] = 2  # type: ignore[index]
    assert m.set("c", 3) == {"a": 1, "b": "x", "c": 3}
    assert m == {"a": 1, "b": "x"}, "set() must not change the original"
    assert m.without("a") == {"b": "x"}
    assert frozen_map(None) == {}
    assert frozen_map(m) is m


def test_models_are_frozen_values() -> None:
    a = Employee(key="E1", email="a@example.com", custom_fields={"shirt": "M"})
    b = Employee(key="E1", email="a@example.com", custom_fields={"shirt": "M"})
    assert a == b
    assert hash(a) == hash(b)
    assert isinstance(a.custom_fields, FrozenMap)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.email = "b@example.com"  # type: ignore[misc]
    assert not hasattr(a, "__dict__"), "models are slotted"
    assert a.status is Status.ACTIVE


def test_negative_hours_are_a_valid_entry() -> None:
    # a reversing entry is a negative quantity: the model keeps it, the push decides
    assert entry(hours=Decimal("-0.25")).hours == Decimal("-0.25")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": Decimal("NaN")}, "finite"),
        ({"hours": 1.5}, "Decimal"),
        ({"entry_date": datetime(2024, 7, 1, tzinfo=UTC)}, "date"),
        ({"task_record_no": 0}, "positive"),
        ({"billable": "yes"}, "bool"),
        ({"dimensions": {"": "x"}}, "non-empty"),
    ],
)
def test_entry_validation_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        entry(**kwargs)


def test_keys_must_be_non_empty_and_timestamps_aware() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        Employee(key="  ")
    with pytest.raises(ValueError, match="aware"):
        Project(key="P1", modified_at=datetime(2024, 1, 1))
    ok = Project(key="P1", modified_at=datetime(2024, 1, 1, tzinfo=UTC))
    assert ok.modified_at is not None


def test_task_identity_includes_its_project() -> None:
    a = Task(key="T1", project_key="P1")
    b = Task(key="T1", project_key="P2")
    assert a != b
    with pytest.raises(ValueError, match="non-empty"):
        Task(key="T1", project_key="")


def test_timesheet_key_is_the_local_id_and_entries_become_a_tuple() -> None:
    ts = Timesheet(
        local_id="ts-9",
        employee_key="E1",
        begin_date=DAY,
        entries=[entry(hours=Decimal("2")), entry(hours=Decimal("0.75"))],  # type: ignore[arg-type]
    )
    assert ts.key == "ts-9"
    assert isinstance(ts.entries, tuple)
    assert ts.total_hours == Decimal("2.75")
    with pytest.raises(TypeError):
        Timesheet(local_id="x", employee_key="E1", begin_date=DAY, entries=("not an entry",))  # type: ignore[arg-type]


def test_expense_report_total_and_line_validation() -> None:
    lines = (
        ExpenseLine(entry_date=DAY, amount=Decimal("10.50")),
        ExpenseLine(entry_date=DAY, amount=Decimal("-2.00")),  # credits are allowed
    )
    report = ExpenseReport(local_id="x1", employee_key="E1", report_date=DAY, lines=lines)
    assert report.total == Decimal("8.50")
    assert report.key == "x1"
    with pytest.raises(ValueError, match="finite"):
        ExpenseLine(entry_date=DAY, amount=Decimal("Infinity"))


def test_models_registry_names_every_model_once() -> None:
    assert MODELS["Timesheet"] is Timesheet
    assert len(set(MODELS.values())) == len(MODELS)
    for cls in MODELS.values():
        assert attrs.has(cls)
