"""Seeded sample companies: ``demo_company`` (realistic, scalable) and ``empty_company``.

The records come from :mod:`intacct_sdk.testing._seed_data` (pure and deterministic); this
module stores them in a :class:`Company` through its bulk path, and declares what the company
needs besides records: the custom field a client stamps with its own id (``TIMESYNC_ID``, on
TIMESHEET and EEXPENSES) and the user-defined dimension (``WORKSTREAM``).

The same arguments always give the same data, byte for byte, so a test can hard-code an
employee id and a benchmark can compare runs.
"""

from __future__ import annotations

import logging
import os

from intacct_sdk.testing._company import Company
from intacct_sdk.testing._seed_data import (
    CUSTOM_FIELD,
    DIMENSION,
    SeedOptions,
    _entity_locations,
    demo_objects,
)

__all__ = ["CUSTOM_FIELD", "DIMENSION", "demo_company", "empty_company", "seed_company"]

_log = logging.getLogger(__name__)


def _declare(company: Company) -> None:
    """Declare the sync stamp custom field and the user-defined dimension.

    The stamp (a client's own id for a record it pushed) sits on the two objects a time-tracking
    app pushes: timesheets and expense reports.
    """
    for object_name in ("TIMESHEET", "EEXPENSES"):
        company.add_custom_field(object_name, CUSTOM_FIELD, datatype="TEXT", label="Timesync ID")
    company.add_dimension(DIMENSION, label="Workstream")


def seed_company(company: Company, options: SeedOptions) -> None:
    """Fill ``company`` (assumed empty) with the demo records for ``options``.

    Args:
        company: Where to store the records.
        options: Sizes and seed.
    """
    _declare(company)
    for object_name, records in demo_objects(options):
        company.bulk_insert(object_name, records)
    _log.info("seeded demo company: %s", options)


def demo_company(
    *,
    employees: int = 25,
    projects: int = 8,
    tasks_per_project: int = 4,
    customers: int = 10,
    departments: int = 5,
    locations: int = 3,
    classes: int = 4,
    entities: int = 0,
    seed: int = 1,
    path: str | os.PathLike[str] | None = None,
) -> Company:
    """A realistic, deterministic sample company.

    It holds departments, locations, classes, customers, employees (with contact names, emails,
    titles, supervisors; a few inactive), project statuses and types, projects (customers,
    managers, dimensions, PO/SO numbers; some closed or inactive), tasks per project (TASKID
    unique within its project, billable/utilized flags, time types), the time types Salary,
    Overtime, Vacation, Sick and Holiday, labor and equipment items with their GL groups, a
    user-defined dimension ``WORKSTREAM`` with values, and the custom field ``TIMESYNC_ID`` on
    TIMESHEET and EEXPENSES.

    Args:
        employees: Number of employees (one in eight is a manager).
        projects: Number of projects (about one in eight is internal, without a customer).
        tasks_per_project: Tasks in each project.
        customers: Number of customers.
        departments: Number of departments (at least 1).
        locations: Number of locations where people and projects sit (at least 1).
        classes: Number of classes (at least 1).
        entities: With N > 0 the company is multi-entity: N entity locations ``E100``,
            ``E200``, ... own the other locations, and records carry LOCATIONID.
        seed: Seed of the generators; the same arguments give the same data.
        path: SQLite file to keep the data in, or None for memory. Give a new file (to
            reopen a seeded one, use ``Company(path=...)``): seeding a file that holds
            records writes the demo records over those with the same RECORDNO.

    Returns:
        The seeded company.

    Raises:
        ValueError: A count is negative (or zero where at least one is needed).
        sqlite3.Error: ``path`` cannot be opened as a SQLite database.

    Examples:
        >>> from intacct_sdk.testing import demo_company
        >>> company = demo_company(employees=3, projects=2, tasks_per_project=1)
        >>> [e["EMPLOYEEID"] for e in company.records("EMPLOYEE")]
        ['E00001', 'E00002', 'E00003']
        >>> company.count("TASK")
        2
    """
    options = SeedOptions(
        employees=employees,
        projects=projects,
        tasks_per_project=tasks_per_project,
        customers=customers,
        departments=departments,
        locations=locations,
        classes=classes,
        entities=entities,
        seed=seed,
    )
    company = Company(path=path, entities=entities, name="DEMO")
    seed_company(company, options)
    return company


def empty_company(
    *, entities: int = 0, path: str | os.PathLike[str] | None = None, name: str = "DEMO"
) -> Company:
    """A company with no records, only its definitions (custom field, dimension, entities).

    Args:
        entities: Entity locations to create (``E100``, ``E200``, ...); 0 for single-entity.
        path: SQLite file to keep the data in, or None for memory.
        name: Company ID (see :class:`Company`).

    Returns:
        The company.

    Raises:
        ValueError: ``entities`` is negative.
        sqlite3.Error: ``path`` cannot be opened as a SQLite database.
    """
    company = Company(path=path, entities=entities, name=name)
    _declare(company)
    if entities:
        company.bulk_insert("LOCATION", _entity_locations(SeedOptions(entities=entities)))
    return company
