"""pytest plugin registered through the ``pytest11`` entry point.

It only defines fixtures; the emulator itself is imported when a fixture is first used,
so installing this package adds nothing to the start-up of unrelated test suites.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from intacct_sdk import AsyncClient, Client, ClientOptions, Credentials
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._server import EmulatorServer

# -- cassette fixtures (vcrpy; intacct_sdk.testing.cassettes) ------------------------------------


@pytest.fixture
def intacct_vcr(request: pytest.FixtureRequest) -> Any:
    """A ``vcr.VCR`` that scrubs passwords and session ids before writing a cassette.

    Cassettes go to a ``cassettes`` folder beside the test module. The record mode comes from
    ``INTACCT_RECORD_MODE`` (default ``once``: record when the cassette is missing, replay
    otherwise).

    Args:
        request: pytest's request for the test (it gives the test module's folder).

    Returns:
        The configured ``vcr.VCR`` (see :func:`intacct_sdk.testing.cassettes.intacct_vcr`).
    """
    import os

    from intacct_sdk.testing.cassettes import intacct_vcr as make_vcr

    return make_vcr(
        request.path.parent / "cassettes",
        record_mode=os.environ.get("INTACCT_RECORD_MODE", "once"),
    )


@pytest.fixture
def intacct_cassette(intacct_vcr: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Record or replay the test's exchanges in ``cassettes/<test name>.yaml``.

    Args:
        intacct_vcr: The ``intacct_vcr`` fixture.
        request: pytest's request for the test (it gives the test's name).

    Yields:
        The vcrpy cassette in use while the test runs.
    """
    with intacct_vcr.use_cassette(f"{request.node.name}.yaml") as cassette:
        yield cassette


# -- end of cassette fixtures -------------------------------------------------------------------


# -- emulator fixtures -------------------------------------------------------------------------

_MARKER = "intacct_emulator"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``intacct_emulator`` marker (options for the emulator fixtures).

    Args:
        config: The pytest configuration.
    """
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(faults=None, max_concurrent=2, concurrency_wait=30.0, "
        "oversized_pages='refuse', denied_objects=(), visibility_lag=None, "
        "user_timezone=None, date_format=None, preferences=None, "
        "**demo_company_options): options for the intacct_emulator fixture: a fault spec or "
        "FaultPlan, the company's limit on concurrent requests and how long one over it "
        "waits, what an oversized page gets, objects the API user may not use (PL04000005), "
        "a timedelta changes stay invisible to reads, the API user's time zone and date "
        "format (or a UserPreferences), and demo_company() keyword arguments "
        "(employees=, projects=, ...; seed='empty' for a company without records)",
    )


@pytest.fixture
def intacct_emulator(request: pytest.FixtureRequest) -> Emulator:
    """A fresh emulator with a small demo company (25 employees, 8 projects, 4 tasks each).

    Options come from the ``intacct_emulator`` marker, e.g.
    ``@pytest.mark.intacct_emulator(employees=200, faults="lost@2")``: ``faults`` is a fault
    spec (see ``FaultPlan.parse``) or a ``FaultPlan``; ``max_concurrent`` (default 2, None for
    no limit), ``concurrency_wait`` (seconds, default 30), ``oversized_pages`` (``"refuse"``
    or ``"cap"``), ``denied_objects`` (the objects the API user has no permission for,
    ``{"AUDITHISTORY"}``: refused with ``PL04000005``) and ``visibility_lag`` (a ``timedelta``
    during which reads do not see a change), ``user_timezone`` and ``date_format`` (or
    ``preferences``, a ``UserPreferences``: the API user's preferences that timestamps and
    dates are shown and read in) go to :class:`Emulator` as they are; the others
    are ``demo_company()`` keyword arguments; pass ``seed="empty"`` for a company without
    records (then only ``entities`` is used). The emulator accepts ``DEMO_CREDENTIALS``.

    Args:
        request: pytest's request for the test (it gives the marker).

    Returns:
        The emulator.
    """
    from intacct_sdk.testing._emulator import Emulator
    from intacct_sdk.testing._faults import FaultPlan
    from intacct_sdk.testing._seed import demo_company, empty_company

    marker = request.node.get_closest_marker(_MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    faults = options.pop("faults", None)
    emulator_options = {
        name: options.pop(name)
        for name in (
            "max_concurrent",
            "concurrency_wait",
            "oversized_pages",
            "denied_objects",
            "visibility_lag",
            "preferences",
            "user_timezone",
            "date_format",
        )
        if name in options
    }
    if isinstance(faults, str):
        faults = FaultPlan.parse(faults)
    if options.get("seed") == "empty":
        company = empty_company(entities=options.get("entities", 0))
    else:
        company = demo_company(**options)
    return Emulator(company, faults=faults, **emulator_options)


@pytest.fixture
def intacct_emulator_server(intacct_emulator: Emulator) -> Iterator[EmulatorServer]:
    """The ``intacct_emulator`` served on a free loopback port; stopped after the test.

    Args:
        intacct_emulator: The ``intacct_emulator`` fixture.

    Yields:
        The running server; point a client at its ``url``.
    """
    from intacct_sdk.testing._server import serve

    with serve(intacct_emulator) as server:
        yield server


def _client_options(emulator: Emulator) -> ClientOptions | None:
    """The emulated user's zone and date format, when they are not the defaults."""
    from intacct_sdk import ClientOptions

    prefs = emulator.preferences
    if prefs.canonical:
        return None
    return ClientOptions(timezone=prefs.timezone, date_format=prefs.date_format)


def _client_credentials(emulator: Emulator) -> Credentials:
    from intacct_sdk import Credentials

    creds = emulator.credentials
    return Credentials(
        sender_id=creds.sender_id,
        sender_password=creds.sender_password,
        company_id=creds.company_id,
        user_id=creds.user_id,
        user_password=creds.user_password,
    )


@pytest.fixture
def intacct_client(intacct_emulator: Emulator) -> Iterator[Client]:
    """An ``intacct_sdk.Client`` wired to ``intacct_emulator`` by the in-process transport.

    It logs in with the emulator's credentials; it is closed after the test. When the
    marker gives the API user a time zone or date format, the client is configured with
    them (``ClientOptions(timezone=..., date_format=...)``, no discovery requests).

    Args:
        intacct_emulator: The ``intacct_emulator`` fixture.

    Yields:
        The client.
    """
    from intacct_sdk import Client

    with Client(
        _client_credentials(intacct_emulator),
        options=_client_options(intacct_emulator),
        transport=intacct_emulator.transport(),
    ) as client:
        yield client


@pytest.fixture
async def intacct_async_client(intacct_emulator: Emulator) -> AsyncIterator[AsyncClient]:
    """An ``intacct_sdk.AsyncClient`` wired to ``intacct_emulator`` (needs an async test runner).

    It logs in with the emulator's credentials, with the emulated user's zone and date
    format as ``intacct_client`` has them; it is closed after the test. An async fixture:
    the test suite needs a plugin that runs them (pytest-asyncio, anyio's...).

    Args:
        intacct_emulator: The ``intacct_emulator`` fixture.

    Yields:
        The client.
    """
    from intacct_sdk import AsyncClient

    async with AsyncClient(
        _client_credentials(intacct_emulator),
        options=_client_options(intacct_emulator),
        transport=intacct_emulator.transport(),
    ) as client:
        yield client


# -- end of emulator fixtures ------------------------------------------------------------------
