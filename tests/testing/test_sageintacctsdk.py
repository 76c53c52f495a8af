"""An unmodified third-party client (``sageintacctsdk`` from PyPI) against the loopback server.

Skipped when the package is absent: it is not a dependency of this project. Only the gateway URL
is changed (the package has no setting for it), so whatever the client writes on the wire is what
the emulator must accept and answer as the real gateway would.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

sageintacctsdk = pytest.importorskip("sageintacctsdk")

from intacct_sdk.testing._emulator import DEMO_CREDENTIALS, Emulator  # noqa: E402
from intacct_sdk.testing._seed import demo_company  # noqa: E402
from intacct_sdk.testing._server import EmulatorServer, serve  # noqa: E402

pytestmark = pytest.mark.slow

EMPLOYEES = 2_345  # more than one 2000-record query page
PROJECTS = 30
TASKS_PER_PROJECT = 5

EMPLOYEE_FIELDS = [
    "RECORDNO", "EMPLOYEEID", "PERSONALINFO.CONTACTNAME", "PERSONALINFO.EMAIL1", "TITLE",
    "DEPARTMENTID", "LOCATIONID", "SUPERVISORID", "STATUS", "WHENMODIFIED",
]  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    company = demo_company(
        employees=EMPLOYEES, projects=PROJECTS, tasks_per_project=TASKS_PER_PROJECT, seed=3
    )
    with serve(Emulator(company)) as running:
        yield running


@pytest.fixture(scope="module")
def sdk(server: EmulatorServer) -> Any:
    """A logged-in ``SageIntacctSDK`` whose every API object posts to the emulator."""
    from sageintacctsdk.apis.api_base import ApiBase

    original_init = ApiBase.__init__

    def init_with_emulator_url(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._ApiBase__api_url = server.url  # the only change: the gateway URL

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ApiBase, "__init__", init_with_emulator_url)
        client = sageintacctsdk.SageIntacctSDK(
            sender_id=DEMO_CREDENTIALS.sender_id,
            sender_password=DEMO_CREDENTIALS.sender_password,
            user_id=DEMO_CREDENTIALS.user_id,
            company_id=DEMO_CREDENTIALS.company_id,
            user_password=DEMO_CREDENTIALS.user_password,
        )
    return client


def as_list(value: Any) -> list[dict[str, Any]]:
    """xmltodict gives a dict for one record and a list for several."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested groups (``<PERSONALINFO><EMAIL1>``) as the dotted names they were selected by."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_login_sets_a_session(sdk: Any, server: EmulatorServer) -> None:
    session = sdk.api_base._ApiBase__session_id
    assert session
    assert sdk.employees._ApiBase__session_id == session


def test_count_uses_query_totalcount(sdk: Any) -> None:
    assert sdk.employees.count(None) == EMPLOYEES
    active = sdk.employees.count()  # STATUS = active
    assert 0 < active < EMPLOYEES


def test_pages_through_employees_with_query(sdk: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the client warns when rows != totalcount
        rows = sdk.employees.get_all(fields=EMPLOYEE_FIELDS)
    assert len(rows) == EMPLOYEES
    assert len({r["EMPLOYEEID"] for r in rows}) == EMPLOYEES
    assert set(flat(rows[0])) == set(EMPLOYEE_FIELDS)
    assert all("@" in flat(r)["PERSONALINFO.EMAIL1"] for r in rows)


def test_pages_through_projects_and_tasks_with_default_fields(sdk: Any) -> None:
    projects = sdk.projects.get_all()
    assert len(projects) == PROJECTS
    pages = sdk.tasks.get_all_generator(order_by_field="RECORDNO", order="ascending")
    tasks = [row for page in pages for row in page]
    assert len(tasks) == PROJECTS * TASKS_PER_PROJECT
    assert [int(t["RECORDNO"]) for t in tasks] == sorted(int(t["RECORDNO"]) for t in tasks)
    project_ids = {p["PROJECTID"] for p in projects}
    assert {t["PROJECTID"] for t in tasks} == project_ids


def test_filtered_query_with_and(sdk: Any) -> None:
    rows = sdk.tasks.get_by_query(
        fields=["RECORDNO", "TASKID", "PROJECTID"],
        and_filter=[("equalto", "PROJECTID", "P00002"), ("equalto", "TASKID", "DSGN")],
    )
    assert [(r["PROJECTID"], r["TASKID"]) for r in rows] == [("P00002", "DSGN")]


def test_reads_with_read_by_query(sdk: Any) -> None:
    first_page = sdk.employees.read_by_query(fields=["RECORDNO", "EMPLOYEEID", "STATUS"])
    data = first_page["data"]
    assert int(data["@totalcount"]) == EMPLOYEES
    rows = as_list(data.get("employee"))
    assert len(rows) == int(data["@count"]) == 1000
    assert int(data["@numremaining"]) == EMPLOYEES - 1000
    assert data["@resultId"]

    one = sdk.employees.get(field="EMPLOYEEID", value="E00002", fields=["EMPLOYEEID", "STATUS"])
    assert [r["EMPLOYEEID"] for r in as_list(one.get("employee"))] == ["E00002"]

    tasks = sdk.tasks.read_by_query()
    assert int(tasks["data"]["@totalcount"]) == PROJECTS * TASKS_PER_PROJECT
    assert len(as_list(tasks["data"].get("task"))) == PROJECTS * TASKS_PER_PROJECT


def test_employee_default_fields_reach_the_contact(sdk: Any) -> None:
    """fy's default EMPLOYEE field list names the contact through the CONTACT relationship."""
    rows = sdk.employees.get_all()
    assert len(rows) == EMPLOYEES
    assert all(flat(r)["CONTACT.CONTACTNAME"] for r in rows[:50])
