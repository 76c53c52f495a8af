"""Function values: the gateway's limits are checked before anything is sent."""

from __future__ import annotations

import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest

import intacct_sdk
from conftest import subprocess_env
from intacct_sdk import ConfigurationError, F
from intacct_sdk.functions import (
    Approve,
    Create,
    Decline,
    Delete,
    Function,
    GetAPISession,
    GetDimensions,
    Inspect,
    Lookup,
    Query,
    Raw,
    Read,
    ReadByName,
    ReadByQuery,
    ReadMore,
    Update,
)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ReadByQuery("X", page_size=0),
        lambda: ReadByQuery("X", page_size=1001),
        lambda: ReadByQuery("X", page_size=True),
        lambda: Query("X", ["A"], page_size=0),
        lambda: Query("X", ["A"], page_size=2001),
        lambda: Query("X", ["A"], offset=-1),
        lambda: Query("X", []),
        lambda: Query("X", ["A"], order_by=[("A", "up")]),
        lambda: Query("X", ["A"], aggregates=[("median", "A")]),
        lambda: Query("X", ["A"], where="STATUS = 'T'"),
        lambda: Read("X", []),
        lambda: Read("X", list(range(101))),
        lambda: Read("X", ["a,b"]),
        lambda: ReadByName("X", [f"E{i}" for i in range(101)]),
        lambda: Read("X", [1], control_id=""),
        lambda: Read("X", [1], control_id="c" * 257),
        lambda: Read("<bad>", [1]),
        lambda: ReadMore(""),
        lambda: Delete("X", []),
        lambda: Create("X", []),
        lambda: Create("X", [{"bad name": 1}]).to_xml(),
        lambda: Create("X", [{"ITEMS": [{"A": 1}], "GLENTRY": [{"A": 1}]}]).to_xml(),
        lambda: Create("X", [{"A": object()}]).to_xml(),
        lambda: Create("X", [{"A": "\x00"}]).to_xml(),
        lambda: Create("X", [{"A.B": 1, "A": 2}]).to_xml(),
        lambda: Approve("TIMESHEET", True),
        lambda: Raw("not xml <"),
        lambda: Raw('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'),
        lambda: Raw(42),
    ],
)
def test_limits_raise_configuration_errors(build: Any) -> None:
    with pytest.raises(ConfigurationError):
        build()


def test_boundaries_are_accepted() -> None:
    ReadByQuery("X", page_size=1000)
    Query("X", ["A"], page_size=2000)
    Read("X", list(range(100)))
    Read("X", [1], control_id="c" * 256)
    Query("X", [], aggregates=[("count", "RECORDNO")])


def test_deep_records_are_refused() -> None:
    record: dict[str, Any] = {"A": 1}
    for _ in range(40):
        record = {"G": record}
    with pytest.raises(ConfigurationError, match="nest"):
        Create("X", [record]).to_xml()


def test_default_control_ids_are_random_uuids() -> None:
    a, b = GetDimensions(), GetDimensions()
    assert a.control_id != b.control_id
    uuid.UUID(a.control_id)


def test_write_flags() -> None:
    writes = [
        Create("X", [{"A": 1}]),
        Update("X", [{"A": 1}]),
        Delete("X", [1]),
        Approve("TIMESHEET", 1),
        Decline("TIMESHEET", 1),
        Raw("<create_timetype/>"),
    ]
    reads = [
        Read("X", [1]),
        ReadByName("X", ["a"]),
        ReadByQuery("X"),
        ReadMore("r"),
        Query("X", ["A"]),
        Lookup("X"),
        Inspect("X"),
        GetDimensions(),
        GetAPISession(),
        Raw("<get_list object='x'/>", is_write=False),
    ]
    fns: list[Function] = [*writes, *reads]
    assert all(isinstance(f, Function) for f in fns)
    assert [f.is_write for f in fns] == [True] * len(writes) + [False] * len(reads)
    for f in fns:
        root = ET.fromstring(f.to_xml())
        assert root.tag == "function"
        assert root.get("controlid") == f.control_id
        assert root[0].tag == f.name


def test_values_compare_by_content() -> None:
    a = Create("X", [{"A": 1}], control_id="c")
    assert a == Create("X", [{"A": 1}], control_id="c")
    assert a != Create("X", [{"A": 2}], control_id="c")
    assert hash(Query("X", ["A"], where=F("A") == 1, control_id="q")) == hash(
        Query("X", ["A"], where=F("A") == 1, control_id="q")
    )


def test_record_writing_rules() -> None:
    xml = Create(
        "EMPLOYEE",
        [
            {
                "PERSONALINFO.CONTACTNAME": "Ann",
                "TITLE": None,
                "PERSONALINFO.EMAIL1": "a@x",
                "PERSONALINFO": {"PHONE1": "1"},
                "TAGS": ["a", "b"],
                "NOTE": "",
            }
        ],
        control_id="c",
    ).to_xml()
    rec = ET.fromstring(xml).find("create/EMPLOYEE")
    assert rec is not None
    assert [c.tag for c in rec] == ["PERSONALINFO", "TAGS", "NOTE"]  # None omitted, group merged
    assert [c.tag for c in rec[0]] == ["CONTACTNAME", "EMAIL1", "PHONE1"]
    assert rec.findtext("TAGS") == "a#~#b"
    assert rec.findtext("NOTE") == ""


def test_raw_drops_the_declaration_and_names_itself() -> None:
    fn = Raw(
        '<?xml version="1.0"?>\n<create_timesheet><employeeid>E1</employeeid></create_timesheet>'
    )
    assert fn.name == "create_timesheet"
    assert "<?xml" not in fn.to_xml()


def test_public_names() -> None:
    for name in (
        "F",
        "Filter",
        "and_",
        "or_",
        "functions",
        "Result",
        "Page",
        "SessionInfo",
        "ValueTyping",
        "IntacctError",
        "FunctionError",
        "ErrorDetail",
    ):
        assert name in intacct_sdk.__all__


def test_import_stays_light() -> None:
    code = (
        "import sys, intacct_sdk; "
        "bad = [m for m in ('cattrs', 'timesync', 'hypothesis', 'xmlschema') "
        "if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=subprocess_env(),
    ).stdout.strip()
    assert out == ""
