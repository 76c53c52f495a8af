"""Object definitions of the Intacct objects this library knows, as ``lookup`` reports them.

The table ships inside the package (``_schemas.json``, built by ``tools/build_schema_table.py``
from real ``lookup`` output), so it is available without a network call. Three parts of the
project read it: the client (to type field values), the emulator (to answer ``lookup`` and
``inspect`` and to reject unknown fields) and timesync (to check mapping specs at load time).

An object or field missing from the table is not an error for the client: its values simply
stay strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Literal

import attrs

__all__ = ["DataType", "FieldInfo", "ObjectSchema", "Relationship", "get_schema", "known_objects"]

DataType = Literal[
    "TEXT", "INTEGER", "DECIMAL", "CURRENCY", "PERCENT", "BOOLEAN", "DATE", "TIMESTAMP", "ENUM"
]


@attrs.frozen(slots=True)
class FieldInfo:
    """One field of an object, as ``lookup`` describes it."""

    id: str
    label: str
    description: str
    datatype: str
    required: bool
    readonly: bool
    custom: bool
    valid_values: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class Relationship:
    """A relationship of an object to another (``lookup``'s ``Relationships``)."""

    path: str
    object_name: str
    label: str
    kind: str
    related_by: str


@attrs.frozen(slots=True)
class ObjectSchema:
    """The fields and relationships of one object, in ``lookup`` order."""

    name: str
    fields: Mapping[str, FieldInfo]
    relationships: tuple[Relationship, ...]

    def field(self, name: str) -> FieldInfo | None:
        """Return the field named ``name`` (case-insensitive), or None."""
        return self.fields.get(name.upper())


@cache
def _table() -> dict[str, ObjectSchema]:
    raw = json.loads(files("intacct_sdk").joinpath("_schemas.json").read_text("utf-8"))
    out: dict[str, ObjectSchema] = {}
    for name, body in raw.items():
        fields = {
            f[0]: FieldInfo(f[0], f[1], f[2], f[3], f[4], f[5], f[6], tuple(f[7]))
            for f in body["fields"]
        }
        rels = tuple(Relationship(*r) for r in body["relationships"])
        out[name] = ObjectSchema(name, fields, rels)
    return out


def get_schema(object_name: str) -> ObjectSchema | None:
    """Return the definition of ``object_name`` (case-insensitive), or None if unknown."""
    return _table().get(object_name.upper())


def known_objects() -> frozenset[str]:
    """Names of every object in the table."""
    return frozenset(_table())
