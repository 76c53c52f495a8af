"""What a company's objects are: standard definitions plus declared custom fields and dimensions.

:class:`CompanyDefinitions` is the part of :class:`~intacct_sdk.testing.Company` that answers
"which objects and fields does this company have": the standard objects from
``intacct_sdk.schema`` with the custom fields declared on them, and the user-defined dimensions.
It holds no records; the company keeps those, and saves the declarations with them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

import attrs

from intacct_sdk.testing._objects import (
    FieldDef,
    ObjectDef,
    base_definition,
    udd_definition,
)

__all__ = ["CompanyDefinitions", "CustomField"]


@attrs.frozen(slots=True)
class CustomField:
    """A custom field declared on an object (``lookup`` shows it with ISCUSTOM=true).

    Pass these to :class:`Company` (``custom_fields=``); :meth:`Company.add_custom_field`
    declares one on an existing company, and :attr:`Company.custom_fields` lists them.

    Attributes:
        object_name: The object the field belongs to (``TIMESHEET``).
        field_id: The field's ID as it appears in records and queries (``TIMESYNC_ID``).
        datatype: The field's type (``TEXT``, ``DECIMAL``, ``DATE``, ``BOOLEAN``...): ``lookup``
            reports it, written values are checked against it, filters compare by it.
        label: The label ``lookup`` reports; empty shows the field ID.
    """

    object_name: str
    field_id: str
    datatype: str = "TEXT"
    label: str = ""


def _declare(fields: Iterable[CustomField], cf: CustomField) -> list[CustomField]:
    """``fields`` with ``cf`` added, or in the place of the field with its object and ID."""
    out: list[CustomField] = []
    placed = False
    for old in fields:
        if (old.object_name, old.field_id) != (cf.object_name, cf.field_id):
            out.append(old)
        elif not placed:
            out.append(cf)
            placed = True
    if not placed:
        out.append(cf)
    return out


class CompanyDefinitions:
    """The objects and fields of a company: standard objects, custom fields, dimensions.

    :class:`~intacct_sdk.testing.Company` builds on it. Definitions are built on first use and
    kept until a declaration changes them. Declaring holds :attr:`lock` and then calls
    :meth:`_save_meta`, which a company with a SQLite file overrides to save the declarations.
    """

    lock: threading.RLock

    def __init__(self) -> None:
        self._custom: list[CustomField] = []
        self._dimensions: dict[str, str] = {}
        self._defs: dict[str, ObjectDef] = {}

    def _save_meta(self) -> None:
        """Save the declarations (nothing to do without a file)."""

    def definition(self, object_name: str) -> ObjectDef | None:
        """The definition of a standard object in this company, with its custom fields.

        Args:
            object_name: The object's name, in any case (``employee`` or ``EMPLOYEE``).

        Returns:
            The fields and rules of the object, or None when the emulator does not implement
            it (user-defined dimensions included: see :meth:`resolve`).
        """
        name = object_name.upper()
        d = self._defs.get(name)
        if d is not None:
            return d
        base = base_definition(name)
        if base is None:
            return None
        d = self._with_custom(base)
        self._defs[name] = d
        return d

    def _with_custom(self, base: ObjectDef) -> ObjectDef:
        extra = [
            FieldDef(cf.field_id, cf.datatype, cf.label or cf.field_id, "", False, False, True)
            for cf in self._custom
            if cf.object_name == base.name
        ]
        if base.name in ("TIMESHEETENTRY", "EEXPENSESITEM"):
            for dim, label in self._dimensions.items():
                extra.append(
                    FieldDef(f"GLDIM{dim}", "TEXT", label, f"{label} dimension", custom=True)
                )
        return base.with_fields(extra) if extra else base

    @property
    def custom_fields(self) -> tuple[CustomField, ...]:
        """Custom fields declared in this company, in the order declared (a copy)."""
        return tuple(self._custom)

    @property
    def dimensions(self) -> Mapping[str, str]:
        """User-defined dimensions: object name (upper case) -> label, as a copy."""
        return dict(self._dimensions)

    def add_custom_field(
        self, object_name: str, field_id: str, datatype: str = "TEXT", label: str = ""
    ) -> None:
        """Declare a custom field on an object (writable, readable and filterable).

        Names are upper-cased. Declaring a field again (the same object and field ID)
        replaces the earlier declaration, keeping its place in :attr:`custom_fields`: the new
        type and label apply from then on, and values already stored stay as they are. The
        object name is not checked: a field on an object the emulator does not implement is
        kept but never shows. With a SQLite file, the declaration is saved at once.

        Args:
            object_name: The object to add the field to (``TIMESHEET``).
            field_id: The field's ID (``TIMESYNC_ID``).
            datatype: The field's type (``TEXT``, ``DECIMAL``, ``DATE``...): ``lookup`` reports
                it, written values are checked against it, filters compare by it.
            label: The label ``lookup`` reports; empty shows the field ID.
        """
        with self.lock:
            cf = CustomField(object_name.upper(), field_id.upper(), datatype.upper(), label)
            if cf in self._custom:
                return
            self._custom = _declare(self._custom, cf)
            self._defs.clear()
            self._save_meta()

    def add_dimension(self, name: str, label: str = "") -> None:
        """Declare a user-defined dimension: an object ``name`` plus ``GLDIM<name>`` on lines.

        The dimension becomes an object of its own (records with ID and NAME, read and
        written like any other) and a ``GLDIM<name>`` field on timesheet entries and expense
        lines that must name one of its records. ``getDimensions`` lists it. Declaring a
        name again does nothing (its label stays). With a SQLite file, the declaration is
        saved at once.

        Args:
            name: The dimension's object name, in any case (stored upper-cased).
            label: Its label; empty uses ``name`` in title case.
        """
        with self.lock:
            key = name.upper()
            if key not in self._dimensions:
                self._dimensions[key] = label or name.title()
                self._defs.clear()
                self._save_meta()

    def udd_definition(self, object_name: str) -> ObjectDef | None:
        """The definition of a user-defined dimension's object.

        Args:
            object_name: The dimension's name, in any case.

        Returns:
            Its fields and rules, or None when no such dimension is declared.
        """
        name = object_name.upper()
        if name not in self._dimensions:
            return None
        d = self._defs.get(name)
        if d is None:
            d = self._with_custom(udd_definition(name, self._dimensions[name]))
            self._defs[name] = d
        return d

    def resolve(self, object_name: str) -> ObjectDef | None:
        """The definition of a standard object or user-defined dimension.

        Args:
            object_name: The object's name, in any case.

        Returns:
            Its fields and rules (a standard object first, then a dimension), or None when
            the company knows no such object.
        """
        return self.definition(object_name) or self.udd_definition(object_name)
