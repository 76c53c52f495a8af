"""Specs from TOML: merging over the defaults, problems reported, and the mapping commands."""

from __future__ import annotations

import argparse
import io
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from intacct_sdk.query import F
from timesync.errors import ConfigurationError
from timesync.mapping import (
    FieldMap,
    MappingSpec,
    default_specs,
    dump_spec_toml,
    dump_specs_toml,
    load_specs,
    register_converter,
)
from timesync.mapping import cli as mapping_cli
from timesync.models import Employee, Timesheet, TimesheetEntry

DEFAULTS = default_specs()


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_an_empty_source_gives_the_defaults() -> None:
    assert load_specs({}) == DEFAULTS


def test_file_maps_are_added_replaced_and_removed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[EMPLOYEE]
remove = ["title"]
lexicon = { email = "Work email" }

[[EMPLOYEE.fields]]
local = "email"
remote = "PERSONALINFO.EMAIL2"

[[EMPLOYEE.fields]]
local = "custom_fields.mobile"
remote = "PERSONALINFO.CELLPHONE"
direction = "pull"
""",
    )
    spec = load_specs(path)["EMPLOYEE"]
    assert spec.remote_field_for("email") == "PERSONALINFO.EMAIL2"
    assert spec.remote_field_for("title") is None
    assert spec.remote_field_for("custom_fields.mobile") == "PERSONALINFO.CELLPHONE"
    assert spec.label("email") == "Work email"
    assert spec.label("key") == "Employee number", "default lexicon entries are kept"
    emp = spec.to_local(
        {"EMPLOYEEID": "E1", "PERSONALINFO.EMAIL2": "x@y", "PERSONALINFO.CELLPHONE": "555"}
    )
    assert emp.email == "x@y"
    assert emp.custom_fields == {"mobile": "555"}
    assert "PERSONALINFO.CELLPHONE" not in spec.to_remote(emp), "pull only"


def test_replace_makes_the_table_the_whole_spec() -> None:
    specs = load_specs(
        {
            "EMPLOYEE": {
                "replace": True,
                "model": "Employee",
                "fields": [{"local": "key", "remote": "EMPLOYEEID", "required": True}],
                "filter": "none",
            }
        }
    )
    spec = specs["EMPLOYEE"]
    assert spec.remote_fields() == ("EMPLOYEEID",)
    assert spec.filter is None
    assert spec.lexicon == {}


def test_filters_in_toml() -> None:
    specs = load_specs(
        tomllib.loads(
            """
[PROJECT]
filter = { op = "and", filters = [
  { op = "equalto", field = "STATUS", value = "active" },
  { op = "in", field = "PROJECTTYPE", values = ["Billable", "Fixed fee"] },
  { op = "greaterthanorequalto", field = "BEGINDATE", values = [2024-01-31] },
] }
"""
        )
    )
    expected = (
        (F("STATUS") == "active")
        & F("PROJECTTYPE").in_(["Billable", "Fixed fee"])
        & (F("BEGINDATE") >= date(2024, 1, 31))
    )
    assert specs["PROJECT"].effective_filter == expected
    assert specs["EMPLOYEE"].filter == (F("STATUS") == "active")
    assert specs["EMPLOYEE"].active_only


def test_rules_and_new_specs_with_models_by_name_or_import_path() -> None:
    specs = load_specs(
        {
            "TIMESHEET": {
                "rules": [
                    {
                        "name": "pto",
                        "priority": 1,
                        "time_types": ["PTO"],
                        "set": {"project": "GRANT"},
                    }
                ]
            },
            "PROJECTSTATUS": {
                "model": "timesync.models:ProjectType",
                "fields": [
                    {"local": "key", "remote": "NAME", "required": True},
                    {"local": "status", "remote": "STATUS"},
                ],
            },
        }
    )
    assert specs["TIMESHEET"].rules[0].set == {"project": "GRANT"}
    status = specs["PROJECTSTATUS"].to_local({"NAME": "Closed", "STATUS": "active"})
    assert status.key == "Closed"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[EMPLOYEE]
unknwon = "keep"
remove = ["nickname"]

[[EMPLOYEE.fields]]
local = "custom_fields.badge"
remote = "BADGE"
directoin = "pull"

[[EMPLOYEE.fields]]
local = "title"
remote = "TITEL"
converter = "rot13"

[TIMESHEETENTRY]
udd_passthrough = "entries"

[CREW]
fields = []
""",
    )
    with pytest.raises(ConfigurationError) as info:
        load_specs(path)
    text = "\n".join(info.value.problems)
    assert "EMPLOYEE: unknown option 'unknwon' (did you mean 'unknown'?)" in text
    assert "EMPLOYEE.fields[0]: unknown option 'directoin' (did you mean 'direction'?)" in text
    assert "remove names 'nickname', which no default map has" in text
    assert "BADGE is not a field of EMPLOYEE" in text
    assert "TITEL is not a field of EMPLOYEE; close matches: TITLE" in text
    assert "unknown converter 'rot13'" in text
    assert "udd_passthrough 'entries' is not a mapping attribute" in text
    assert "CREW: a new spec must name its 'model'" in text
    assert len(info.value.problems) == 8


def test_toml_syntax_and_io_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_specs(write(tmp_path, "[EMPLOYEE\n"))
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_specs(tmp_path / "missing.toml")
    with pytest.raises(
        ConfigurationError, match="unknown model 'Employe'; close matches: Employee"
    ):
        load_specs({"X": {"model": "Employe", "fields": []}})


def test_default_values_and_converters_survive_toml() -> None:
    register_converter(
        "test_tenths", lambda d: int(d * 10), lambda t: Decimal(t) / 10, replace=True
    )
    spec = DEFAULTS["TIMESHEETENTRY"].with_fields(
        FieldMap(local="hours", remote="QTY", converter="strip", required=True),
        FieldMap(local="notes", remote="NOTES", default="(none)"),
    )
    loaded = load_specs(tomllib.loads(dump_spec_toml(spec)), base={})["TIMESHEETENTRY"]
    assert loaded == spec
    assert loaded.to_local({"ENTRYDATE": "07/01/2024", "QTY": "2"}).notes == "(none)"


def test_unregistered_converters_cannot_be_written() -> None:
    from timesync.mapping import Converter

    conv = Converter("adhoc", str, str)
    spec = MappingSpec(
        object_name="EMPLOYEE",
        model=Employee,
        fields=(FieldMap(local="key", remote="EMPLOYEEID", converter=conv),),
    )
    assert spec.to_local({"EMPLOYEEID": "E1"}).key == "E1"
    with pytest.raises(ConfigurationError, match="'adhoc' is not registered"):
        dump_spec_toml(spec)


def test_changing_the_entry_spec_changes_the_timesheet_children() -> None:
    specs = load_specs(
        {"TIMESHEETENTRY": {"fields": [{"local": "dimensions.fund", "remote": "GLDIMFUND"}]}}
    )
    ts = Timesheet(
        local_id="t",
        employee_key="E1",
        begin_date=date(2024, 7, 1),
        entries=(
            TimesheetEntry(
                entry_date=date(2024, 7, 1), hours=Decimal(1), dimensions={"fund": "F9"}
            ),
        ),
    )
    assert specs["TIMESHEET"].to_remote(ts)["TIMESHEETENTRIES"][0]["GLDIMFUND"] == "F9"
    assert specs["TIMESHEET"].children[0].spec is specs["TIMESHEETENTRY"]


def test_all_defaults_dump_as_one_document() -> None:
    text = dump_specs_toml(DEFAULTS)
    assert load_specs(tomllib.loads(text), base={}) == DEFAULTS


# -- the commands ---------------------------------------------------------------------------


def run(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="timesync")
    mapping_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out = io.StringIO()
    code: int = args.func(args, out)
    return code, out.getvalue()


def test_check_ok_and_problems(tmp_path: Path) -> None:
    good = write(tmp_path, '[EMPLOYEE]\nlexicon = { key = "Staff no" }\n', "good.toml")
    assert run(["mapping", "check", str(good)]) == (0, f"ok: {len(DEFAULTS)} specs\n")
    bad = write(
        tmp_path,
        '[[PROJECT.fields]]\nlocal = "name"\nremote = "NAEM"\n\n[EMPLOYEE]\nunknown = "drop"\n',
        "bad.toml",
    )
    code, out = run(["mapping", "check", str(bad)])
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"2 problem(s) in {bad}:"
    assert any("NAEM is not a field of PROJECT; close matches: NAME" in line for line in lines)
    assert any("unknown must be keep, ignore or raise" in line for line in lines)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_show_toml_output_passes_check(tmp_path: Path, name: str) -> None:
    code, text = run(["mapping", "show", name.lower(), "--format", "toml"])
    assert code == 0
    path = write(tmp_path, text)
    assert run(["mapping", "check", str(path)])[0] == 0
    assert load_specs(path)[name] == DEFAULTS[name]


def test_show_table_and_unknown_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(["mapping", "show", "PROJECT"])
    assert code == 0
    assert "| `department_key`" in text
    assert "Cost center 1" in text
    assert "Inactive locally when PROJECTSTATUS is Closed." in text
    config = write(tmp_path, '[PROJECT]\nlexicon = { key = "Job no" }\n')
    assert "Job no" in run(["mapping", "show", "PROJECT", "--config", str(config)])[1]
    assert run(["mapping", "show", "NOPE"])[0] == 1
    assert "no spec for NOPE" in capsys.readouterr().err
