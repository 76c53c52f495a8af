"""docs/mapping.md stays true: its worked example, its tables and its sample messages."""

from __future__ import annotations

import argparse
import io
import re
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from timesync.errors import ConfigurationError, MappingError
from timesync.mapping import FieldMap, MappingSpec, default_specs, load_specs
from timesync.mapping import cli as mapping_cli
from timesync.mapping.cli import format_table
from timesync.models import Employee, Timesheet, TimesheetEntry

DOC = Path(__file__).resolve().parents[2] / "docs" / "mapping.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text("utf-8")


def worked_example(doc: str) -> str:
    after = doc.split("<!-- worked-example -->", 1)[1]
    match = re.search(r"```toml\n(.*?)```", after, re.S)
    assert match is not None
    return match.group(1)


def test_worked_example_adds_a_custom_field_and_a_udd(doc: str, tmp_path: Path) -> None:
    path = tmp_path / "payroll.toml"
    path.write_text(worked_example(doc), "utf-8")
    specs = load_specs(path)
    timesheet = Timesheet(
        local_id="ts-1001",
        employee_key="E42",
        begin_date=date(2024, 7, 1),
        custom_fields={"payroll_batch": " PB-27 "},
        entries=[
            TimesheetEntry(
                entry_date=date(2024, 7, 1),
                hours=Decimal("7.5"),
                project_key="P100",
                dimensions={"grant": "NSF-12"},
            )
        ],  # type: ignore[arg-type]
    )
    # The output the docs show, written out by hand from the TOML above.
    assert specs["TIMESHEET"].to_remote(timesheet) == {
        "TIMESYNC_ID": "ts-1001",
        "EMPLOYEEID": "E42",
        "BEGINDATE": date(2024, 7, 1),
        "PAYROLL_BATCH": "PB-27",
        "TIMESHEETENTRIES": [
            {
                "ENTRYDATE": date(2024, 7, 1),
                "QTY": Decimal("7.5"),
                "PROJECTID": "P100",
                "GLDIMGRANT": "NSF-12",
            }
        ],
    }
    pulled = specs["TIMESHEET"].to_local(
        {
            "TIMESYNC_ID": "ts-1001",
            "EMPLOYEEID": "E42",
            "BEGINDATE": "07/01/2024",
            "PAYROLL_BATCH": "PB-27",
            "TIMESHEETENTRIES": [{"ENTRYDATE": "07/01/2024", "QTY": "7.5", "GLDIMGRANT": "NSF-12"}],
        }
    )
    assert pulled.entries[0].dimensions == {"grant": "NSF-12"}
    assert "payroll_batch" not in pulled.custom_fields, "the batch is push only"
    assert specs["TIMESHEETENTRY"].label("dimensions.grant") == "Grant"
    spec = specs["TIMESHEET"]
    entry = pulled.entries[0]
    regranted = attrs.evolve(entry, dimensions=entry.dimensions.set("grant", "NSF-13"))
    changed = attrs.evolve(pulled, entries=(regranted,))
    assert spec.content_hash(changed) != spec.content_hash(pulled)
    reread = spec.to_local(spec.to_remote(changed))
    assert spec.content_hash(reread) == spec.content_hash(changed), "bookkeeping is not hashed"
    assert load_specs(tomllib.loads(worked_example(doc)))["TIMESHEET"] == spec


def test_default_tables_in_the_docs_are_current(doc: str) -> None:
    block = doc.split("<!-- BEGIN default-spec-tables", 1)[1].split("-->", 1)[1]
    block = block.split("<!-- END default-spec-tables -->", 1)[0]
    for name, spec in default_specs().items():
        assert f"### {name}\n\n{format_table(spec)}" in block, (
            f"{name}: run python tools/mapping_tables.py --write"
        )


def test_sample_messages_in_the_docs_are_real(doc: str, tmp_path: Path) -> None:
    with pytest.raises(MappingError) as info:
        default_specs()["TIMESHEET"].to_local(
            {
                "TIMESYNC_ID": "ts-1",
                "EMPLOYEEID": "E1",
                "BEGINDATE": "2024-13-45",
                "TIMESHEETENTRIES": [
                    {"ENTRYDATE": "07/01/2024", "QTY": "1"},
                    {"ENTRYDATE": "07/01/2024", "QTY": "NaN"},
                    {"QTY": "2"},
                ],
            }
        )
    assert str(info.value) in doc
    with pytest.raises(ConfigurationError) as spec_info:
        MappingSpec(
            object_name="EMPLOYEE",
            model=Employee,
            fields=(
                FieldMap(local="key", remote="EMPLOYEEID"),
                FieldMap(local="email", remote="PERSONALINFO.EMIAL1"),
            ),
        )
    assert spec_info.value.problems[0] in doc
    bad = tmp_path / "mapping.toml"
    bad.write_text(
        '[[PROJECT.fields]]\nlocal = "custom_fields.budget"\nremote = "BUDGETAMONT"\n'
        'direction = "pull"\nremtoe = "x"\n',
        "utf-8",
    )
    parser = argparse.ArgumentParser(prog="timesync")
    mapping_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["mapping", "check", str(bad)])
    out = io.StringIO()
    assert args.func(args, out) == 1
    assert out.getvalue().replace(str(bad), "mapping.toml") in doc
