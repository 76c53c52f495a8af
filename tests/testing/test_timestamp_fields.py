"""Objects are served with the timestamp fields their real lookup has, and no others.

TIMETYPE has neither WHENCREATED nor WHENMODIFIED in the real lookup (so a sync reads it whole);
PROJECTTYPE has both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from tests.testing.change_helpers import client_for, small_demo
from tests.testing.emu_helpers import Clock

from intacct_sdk import F, FunctionError
from intacct_sdk.testing import Emulator


@pytest.fixture
def emu(clock: Clock) -> Emulator:
    return Emulator(small_demo(clock), clock=clock)


def _real_fields(reference_dir: Path, name: str) -> list[str]:
    root = ET.parse(reference_dir / "schemas" / f"{name}.xml").getroot()
    return [f.findtext("ID") or "" for f in root.iter("Field")]


@pytest.mark.parametrize("name", ["TIMETYPE", "PROJECTTYPE"])
def test_lookup_lists_the_real_fields(emu: Emulator, reference_dir: Path, name: str) -> None:
    with client_for(emu) as client:
        ours = [f["ID"] for f in client.lookup(name)["Fields"]]
    assert ours == _real_fields(reference_dir, name)


def test_time_types_have_no_change_stamps(emu: Emulator, reference_dir: Path) -> None:
    assert "WHENMODIFIED" not in _real_fields(reference_dir, "TIMETYPE")
    with client_for(emu) as client:
        for field in ("WHENMODIFIED", "WHENCREATED"):
            with pytest.raises(FunctionError, match=f"Invalid field {field} for object TIMETYPE"):
                list(client.query("TIMETYPE", ["NAME", field]))
            with pytest.raises(FunctionError, match=f"Invalid field {field}"):
                list(client.query("TIMETYPE", ["NAME"], where=F(field) > datetime(2020, 1, 1)))
            with pytest.raises(FunctionError, match=f"Invalid field {field}"):
                list(client.read_by_query("TIMETYPE", f"{field} > '01/01/2020'", fields=["NAME"]))
        [whole] = client.read("TIMETYPE", [1])
        assert "WHENMODIFIED" not in whole
        assert "WHENCREATED" not in whole
        by_recordno = list(
            client.query("TIMETYPE", ["RECORDNO", "NAME"], order_by=[("RECORDNO", "desc")])
        )
    assert [r["RECORDNO"] for r in by_recordno] == [5, 4, 3, 2, 1]


def test_a_new_time_type_is_audited_without_stamps(emu: Emulator) -> None:
    with client_for(emu) as client:
        client.call("<create_timetype><NAME>Training</NAME></create_timetype>")
        [row] = list(client.query("TIMETYPE", ["RECORDNO", "NAME"], where=F("NAME") == "Training"))
        [audit] = list(client.query("AUDITHISTORY", ["OBJECTTYPE", "OBJECTKEY", "ACCESSMODE"]))
    assert audit == {
        "OBJECTTYPE": "timetype",
        "OBJECTKEY": f"{row['RECORDNO']}--REC",
        "ACCESSMODE": "C",
    }


def test_project_types_carry_both_stamps(emu: Emulator, clock: Clock) -> None:
    with client_for(emu) as client:
        [made] = client.create("PROJECTTYPE", [{"NAME": "Research"}])
        clock.advance(minutes=5)
        client.update("PROJECTTYPE", [{"RECORDNO": made["RECORDNO"], "STATUS": "inactive"}])
        [row] = list(
            client.query(
                "PROJECTTYPE",
                ["NAME", "WHENCREATED", "WHENMODIFIED"],
                where=(F("WHENMODIFIED") > datetime(2024, 3, 4, 9, 30)) & (F("NAME") == "Research"),
                order_by=[("WHENMODIFIED", "asc")],
            )
        )
    assert row == {
        "NAME": "Research",
        "WHENCREATED": datetime(2024, 3, 4, 9, 30),
        "WHENMODIFIED": datetime(2024, 3, 4, 9, 35),
    }
