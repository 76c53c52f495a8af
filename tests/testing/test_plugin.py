"""The pytest fixtures of ``intacct_sdk.testing.pytest_plugin`` (registered by entry point)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

import intacct_sdk
from conftest import subprocess_env
from intacct_sdk.testing import Emulator, EmulatorServer

from ._xml import envelope, statuses

COUNT = (
    "<query><object>EMPLOYEE</object><select><field>RECORDNO</field></select>"
    "<pagesize>1</pagesize></query>"
)


def test_emulator_fixture_has_a_small_demo_company(intacct_emulator: Emulator) -> None:
    assert intacct_emulator.company.count("EMPLOYEE") == 25
    assert intacct_emulator.company.count("TASK") == 32
    assert intacct_emulator.stats.http_requests == 0


@pytest.mark.intacct_emulator(employees=7, projects=2, faults="http503@1")
def test_marker_sizes_the_company_and_adds_faults(intacct_emulator: Emulator) -> None:
    assert intacct_emulator.company.count("EMPLOYEE") == 7
    assert intacct_emulator.handle(envelope(COUNT)).status == 503
    assert intacct_emulator.handle(envelope(COUNT)).status == 200


@pytest.mark.intacct_emulator(employees=3, max_concurrent=5, concurrency_wait=0.25)
def test_marker_sets_the_concurrency_limit(intacct_emulator: Emulator) -> None:
    assert (intacct_emulator.max_concurrent, intacct_emulator.concurrency_wait) == (5, 0.25)
    assert intacct_emulator.company.count("EMPLOYEE") == 3


@pytest.mark.intacct_emulator(max_concurrent=None, oversized_pages="cap")
def test_marker_lifts_the_limit_and_caps_pages(intacct_emulator: Emulator) -> None:
    assert intacct_emulator.max_concurrent is None
    assert intacct_emulator.oversized_pages == "cap"


def test_without_a_marker_the_emulator_has_the_gateways_defaults(
    intacct_emulator: Emulator,
) -> None:
    assert (intacct_emulator.max_concurrent, intacct_emulator.concurrency_wait) == (2, 30.0)
    assert intacct_emulator.oversized_pages == "refuse"


@pytest.mark.intacct_emulator(seed="empty")
def test_marker_can_ask_for_an_empty_company(intacct_emulator: Emulator) -> None:
    assert intacct_emulator.company.count("EMPLOYEE") == 0


def test_server_fixture_serves_the_same_emulator(
    intacct_emulator_server: EmulatorServer, intacct_emulator: Emulator
) -> None:
    response = httpx.post(intacct_emulator_server.url, content=envelope("<getAPISession/>"))
    assert statuses(response.content) == ["success"]
    # the session endpoint is the server itself, so clients that follow it stay here
    assert f"<endpoint>{intacct_emulator_server.url}</endpoint>".encode() in response.content
    assert intacct_emulator.stats.http_requests == 1


def test_client_fixture_talks_to_the_emulator(request: pytest.FixtureRequest) -> None:
    if not hasattr(intacct_sdk, "Client"):
        pytest.skip("intacct_sdk.Client is not available in this checkout")
    client = request.getfixturevalue("intacct_client")
    emulator = request.getfixturevalue("intacct_emulator")
    ids = [r["EMPLOYEEID"] for r in client.query("EMPLOYEE", ["EMPLOYEEID"])]
    assert len(ids) == 25
    assert emulator.stats.http_requests >= 1


def test_plugin_import_loads_no_emulator_code() -> None:
    code = (
        "import sys, intacct_sdk.testing.pytest_plugin as p; "
        "print(sorted(m for m in sys.modules if m.startswith('intacct_sdk.testing.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        check=True,
        timeout=60,
    ).stdout
    assert out.strip() == "['intacct_sdk.testing.pytest_plugin']"


def test_package_names_load_on_first_use() -> None:
    import intacct_sdk.testing as testing

    assert testing.FaultPlan.parse("lost@1").rules[0].kind == "lost"
    assert set(testing.__all__) <= set(dir(testing))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = testing.Nope  # type: ignore[attr-defined]
