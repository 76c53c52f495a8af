"""``inspect("*")``: the list of the company's objects, from both clients."""

from __future__ import annotations

import pytest
from tests.sdk._emulated import CREDS, NO_SLEEP, calls, company_with
from tests.sdk._fake_gateway import control, xml_response

from intacct_sdk import AsyncClient, Client, ConfigurationError
from intacct_sdk._parse import parse_response
from intacct_sdk.functions import Inspect
from intacct_sdk.testing import Company, Emulator


def test_inspect_star_lists_the_objects_by_name_with_their_labels() -> None:
    emu = Emulator(Company(dimensions=["TEAM"]))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        objects = client.inspect("*")
    assert isinstance(objects, dict)
    assert {"EMPLOYEE", "PROJECT", "TASK", "TIMESHEET", "TEAM"} <= set(objects)
    assert objects["EMPLOYEE"] == "Employee"
    assert all(isinstance(label, str) and label for label in objects.values())
    assert calls(emu, "inspect") == 1  # one function, one request after the login
    assert emu.stats.http_requests == 2


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_inspect_star_matches_sync() -> None:
    emu = Emulator(company_with(1))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        expected = client.inspect("*")
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as aclient:
        assert await aclient.inspect("*") == expected


def test_the_function_writes_the_star_and_still_refuses_other_bad_names() -> None:
    from intacct_sdk.functions import ALL_OBJECTS

    assert "<object>*</object>" in Inspect(ALL_OBJECTS).to_xml()
    for bad in ("", "A B", "*X", "**", "<x>"):
        with pytest.raises(ConfigurationError, match="not a valid object name"):
            Inspect(bad)


def test_a_listing_in_lowercase_type_elements_reads_the_same() -> None:
    # No public fixture shows the list's literal shape; element case must not matter.
    body = (
        control() + "<operation><authentication><status>success</status><userid>u</userid>"
        "<companyid>c</companyid></authentication><result><status>success</status>"
        "<function>inspect</function><controlid>f</controlid>"
        '<data listtype="All" count="2"><type typename="APBILL">AP Bill</type>'
        '<type typename="CUSTOMER">Customer</type></data></result></operation>'
    )
    response = parse_response(xml_response(body).content)
    assert response.results[0].payload == {"APBILL": "AP Bill", "CUSTOMER": "Customer"}


def test_one_object_is_still_a_definition() -> None:
    emu = Emulator(company_with(1))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        definition = client.inspect("EMPLOYEE")
    assert definition["Name"] == "EMPLOYEE"
    assert "EMPLOYEEID" in definition["Fields"]
