from __future__ import annotations

from intacct_sdk.schema import get_schema, known_objects


def test_time_tracking_objects_are_known() -> None:
    for name in (
        "EMPLOYEE",
        "PROJECT",
        "TASK",
        "TIMESHEET",
        "TIMESHEETENTRY",
        "CUSTOMER",
        "DEPARTMENT",
        "LOCATION",
        "CLASS",
        "TIMETYPE",
        "ITEM",
        "EEXPENSES",
    ):
        assert name in known_objects()


def test_field_facts_match_lookup() -> None:
    ts = get_schema("timesheet")
    assert ts is not None
    state = ts.field("STATE")
    assert state is not None
    assert state.required
    assert "Partially Declined" in state.valid_values
    assert ts.field("BEGINDATE") is not None
    assert ts.fields["BEGINDATE"].datatype == "DATE"
    emp = get_schema("EMPLOYEE")
    assert emp is not None
    assert emp.field("PERSONALINFO.EMAIL1") is not None
    assert get_schema("NOSUCHOBJECT") is None
