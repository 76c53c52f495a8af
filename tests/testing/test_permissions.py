"""denied_objects: an API user without a permission gets PL04000005, one function at a time."""

from __future__ import annotations

from typing import Any

import pytest
from tests.testing.change_helpers import AUDIT_FIELDS, client_for, small_demo, trail
from tests.testing.emu_helpers import Clock

from intacct_sdk import Client, FunctionError
from intacct_sdk.functions import Lookup, Query, ReadByQuery
from intacct_sdk.testing import Emulator

DENIED = (
    "You do not have permission for API operation READ_BY_QUERY on objects of type audithistory"
)


@pytest.fixture
def emu(clock: Clock) -> Emulator:
    return Emulator(small_demo(clock), clock=clock, denied_objects={"audithistory"})


def test_a_denied_object_fails_its_function_and_no_other(emu: Emulator) -> None:
    with client_for(emu) as client:
        with pytest.raises(FunctionError) as caught:
            trail(client)
        assert caught.value.errorno == "PL04000005"
        assert caught.value.description2 == DENIED
        results = client.execute(
            [
                Query("AUDITHISTORY", AUDIT_FIELDS),
                Query("EMPLOYEE", ["EMPLOYEEID"]),
                ReadByQuery("AUDITHISTORY", fields=["ID"]),
                Lookup("AUDITHISTORY"),  # lookup and inspect need no permission
            ]
        )
    assert [r.ok for r in results] == [False, True, False, True]
    assert [e.errorno for e in results[2].errors] == ["PL04000005"]
    assert results[2].errors[0].description2 == DENIED
    assert len(results[1].data) == 4
    assert [f["ID"] for f in results[3].data["Fields"]][:2] == ["ID", "OBJECTTYPE"]
    assert emu.stats.functions[("query", "AUDITHISTORY")] == 2  # refused calls are still calls


def test_the_refusal_comes_before_any_field_check(emu: Emulator) -> None:
    """Estuary probes with a one-row query of RECORDNO, a field AUDITHISTORY lacks."""
    with client_for(emu) as client, pytest.raises(FunctionError) as caught:
        list(client.query("AUDITHISTORY", ["RECORDNO"], page_size=1))
    assert caught.value.errorno == "PL04000005"
    emu.denied_objects = ()
    with client_for(emu) as client, pytest.raises(FunctionError, match="Invalid field RECORDNO"):
        list(client.query("AUDITHISTORY", ["RECORDNO"], page_size=1))


def test_the_trail_is_kept_while_it_is_denied_and_read_once_allowed(emu: Emulator) -> None:
    with client_for(emu) as client:
        client.create("CLASS", [{"CLASSID": "Q", "NAME": "q"}])
        emu.denied_objects = set()
        assert [r["ACCESSMODE"] for r in trail(client)] == ["C"]


def test_any_object_can_be_denied_with_the_operation_named(clock: Clock) -> None:
    emu = Emulator(small_demo(clock), clock=clock, denied_objects=["CLASS", "TIMESHEET"])
    with client_for(emu) as client:
        for call, operation in [
            (lambda c: c.create("CLASS", [{"CLASSID": "N", "NAME": "n"}]), "CREATE"),
            (lambda c: c.read("CLASS", [1]), "READ"),
            (lambda c: c.delete("CLASS", [1]), "DELETE"),
            (lambda c: c.approve("TIMESHEET", 1), "UPDATE"),
            (lambda c: c.call("<delete_timesheet key='1'/>"), "DELETE"),
        ]:
            with pytest.raises(FunctionError) as caught:
                call(client)
            assert caught.value.errorno == "PL04000005"
            assert caught.value.description2.startswith(
                f"You do not have permission for API operation {operation} on objects of type"
            )
        assert client.read("DEPARTMENT", [1])  # others are served
    assert emu.company.count("CLASS") == 4  # nothing was written or deleted


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("AUDITHISTORY", "not one string"),
        (["AUDITHISTROY"], "no such object in the company: \\['AUDITHISTROY'\\]"),
    ],
)
def test_denied_objects_are_checked(names: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Emulator(denied_objects=names)
    emu = Emulator()
    with pytest.raises(ValueError, match=message):
        emu.denied_objects = names
    assert emu.denied_objects == frozenset()


@pytest.mark.intacct_emulator(denied_objects={"AUDITHISTORY"}, employees=2)
def test_the_pytest_marker_denies(intacct_client: Client) -> None:
    with pytest.raises(FunctionError) as caught:
        trail(intacct_client)
    assert caught.value.errorno == "PL04000005"
