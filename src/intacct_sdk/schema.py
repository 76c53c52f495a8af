"""Object definitions of the Intacct objects this library knows, as ``lookup`` reports them.

The table ships inside the package (``_schemas.json``, built by ``tools/build_schema_table.py``
from real ``lookup`` output), so it is available without a network call. Three parts of the
project read it: the client (to type field values), the emulator (to answer ``lookup`` and
``inspect`` and to reject unknown fields) and timesync (to check mapping specs at load time).

An object or field missing from the table is not an error for the client: its values simply
stay strings.

Besides what ``lookup`` reports, the table holds one fact ``lookup`` does not: which
``TIMESTAMP`` fields the gateway writes in GMT whatever the API user's time-zone preference
(:data:`GMT_FIELDS`, marked :attr:`FieldInfo.gmt`). Every other timestamp is wall time in the
API user's zone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Literal

import attrs

__all__ = [
    "GMT_FIELDS",
    "DataType",
    "FieldInfo",
    "ObjectSchema",
    "Relationship",
    "get_schema",
    "gmt_fields",
    "known_objects",
]

DataType = Literal[
    "TEXT", "INTEGER", "DECIMAL", "CURRENCY", "PERCENT", "BOOLEAN", "DATE", "TIMESTAMP", "ENUM"
]


#: Timestamp fields the gateway always writes (and reads) in GMT, by object: the advanced
#: audit trail's access time "is returned in GMT regardless of preferences" (shared reference
#: rest-and-fidelity.md §2.5, after the advanced audit trail documentation).
GMT_FIELDS: Mapping[str, frozenset[str]] = {"AUDITHISTORY": frozenset({"ACCESSTIME"})}


@attrs.frozen(slots=True)
class FieldInfo:
    """One field of an object, as ``lookup`` describes it.

    Attributes:
        gmt: A ``TIMESTAMP`` the gateway writes in GMT, not in the API user's zone
            (see :data:`GMT_FIELDS`).
    """

    id: str
    label: str
    description: str
    datatype: str
    required: bool
    readonly: bool
    custom: bool
    valid_values: tuple[str, ...] = ()
    gmt: bool = False


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
        gmt = GMT_FIELDS.get(name, frozenset())
        fields = {
            f[0]: FieldInfo(f[0], f[1], f[2], f[3], f[4], f[5], f[6], tuple(f[7]), f[0] in gmt)
            for f in body["fields"]
        }
        rels = tuple(Relationship(*r) for r in body["relationships"])
        out[name] = ObjectSchema(name, fields, rels)
    return out


def get_schema(object_name: str) -> ObjectSchema | None:
    """Return the definition of ``object_name`` (case-insensitive), or None if unknown."""
    return _table().get(object_name.upper())


def gmt_fields(object_name: str) -> frozenset[str]:
    """The fields of ``object_name`` (any case) written in GMT (empty for most objects)."""
    return GMT_FIELDS.get(object_name.upper(), frozenset())


def known_objects() -> frozenset[str]:
    """Names of every object in the table."""
    return frozenset(_table())
