"""The REST name table: every object path and field path exists in the REST API's schemas.

The check runs against tests/fixtures/rest/schemas.json (the objects' top-level properties as
the OpenAPI documents define them), and also against Sage's OpenAPI documents themselves for
the objects whose document is in INTACCT_OPENAPI_DIR, or else in the shared reference folder's
``rest/`` (time.json, company-configuration.json, ...); without the shared folder those tests
are deselected.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REFERENCE

from intacct_sdk.rest.names import AUDIT_FIELDS, REST_OBJECTS, RestObject, rest_object
from intacct_sdk.testing import demo_company

FIXTURE = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "rest" / "schemas.json").read_text()
)
_DOCS = {
    "time": "time.json",
    "company-config": "company-configuration.json",
    "projects": "project-and-resource-management.json",
    "accounts-receivable": "accounts-receivable.json",
    "expenses": "expenses.json",
}


def _paths(o: RestObject) -> list[tuple[str, str]]:
    out = [(o.path, p) for p in o.fields.values()]
    if o.lines:
        line = REST_OBJECTS[{"TIMESHEET": "TIMESHEETENTRY", "EEXPENSES": "EEXPENSESITEM"}[o.name]]
        out += [(line.path, p) for p in o.line_fields.values()]
    return out


@pytest.mark.parametrize("name", sorted(REST_OBJECTS))
def test_every_path_is_in_the_schema_fragments(name: str) -> None:
    o = REST_OBJECTS[name]
    assert o.path in FIXTURE["objects"], o.path
    for path, field in _paths(o):
        assert field.split(".")[0] in FIXTURE["objects"][path], (path, field)


@pytest.mark.parametrize("name", sorted(REST_OBJECTS))
def test_every_xml_field_exists_in_the_emulator(name: str) -> None:
    d = demo_company(employees=1, projects=1, customers=1).resolve(name)
    assert d is not None
    o = REST_OBJECTS[name]
    assert set(o.fields) - set(d.fields) == set()
    assert len(set(o.fields.values())) == len(o.fields)  # one XML field per REST path


def test_audit_fields_and_lookup() -> None:
    for o in REST_OBJECTS.values():
        for xml, rest in AUDIT_FIELDS.items():
            if o.name == "EEXPENSES" and xml == "WHENCREATED":
                continue  # the expense report's WHENCREATED is its createdDate
            if o.name == "TIMETYPE" and xml != "RECORDNO":
                continue  # the time-type schema has no audit block
            assert o.fields[xml] == rest
    assert rest_object("timesheet").lines == "lines"
    with pytest.raises(ValueError, match="known objects: CLASS, CUSTOMER"):
        rest_object("VENDOR")
    with pytest.raises(TypeError):
        rest_object("TIMESHEET").fields["X"] = "y"  # type: ignore[index]


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for part in schema.get("allOf", []):
        props.update(_resolve(doc, part))
    props.update(schema.get("properties", {}))
    return props


def _spec_dir() -> Path:
    where = os.environ.get("INTACCT_OPENAPI_DIR")
    return Path(where) if where else REFERENCE / "rest"


def _documented() -> list[str]:
    """The objects whose OpenAPI document is at hand."""
    folder = _spec_dir()
    return [
        n
        for n in sorted(REST_OBJECTS)
        if (folder / _DOCS[rest_object(n).path.split("/")[0]]).is_file()
    ]


@pytest.mark.shared_reference
@pytest.mark.parametrize("name", _documented())
def test_every_path_is_in_the_openapi_documents(name: str) -> None:
    folder = _spec_dir()
    o = REST_OBJECTS[name]
    file = folder / _DOCS[o.path.split("/")[0]]
    doc = json.loads(file.read_text())
    for path, field in _paths(o):
        if not (folder / _DOCS[path.split("/")[0]]).exists():
            continue
        assert f"/objects/{path}" in doc["paths"], path
        schema = doc["components"]["schemas"][f"objects.{path.replace('/', '.')}"]
        here = _resolve(doc, schema)
        for part in field.split("."):
            assert part in here, (path, field)
            here = _resolve(doc, here[part]) if isinstance(here[part], dict) else {}
