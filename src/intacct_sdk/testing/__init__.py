"""Test support for code that talks to Intacct: a gateway emulator and pytest fixtures.

Nothing here is imported by ``import intacct_sdk``; import it on demand. The names below load
their modules on first use, so the pytest plugin (which lives in this package) adds nothing
to the start-up of test suites that never use the emulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intacct_sdk._lazy import exports

if TYPE_CHECKING:
    from intacct_sdk.testing._company import Company
    from intacct_sdk.testing._definitions import CustomField
    from intacct_sdk.testing._emulator import (
        DEMO_CREDENTIALS,
        Emulator,
        EmulatorCredentials,
        EmulatorResponse,
        EmulatorStats,
        FaultInjector,
        NoFaults,
        RequestContext,
    )
    from intacct_sdk.testing._faults import FaultEvent, FaultPlan, FaultRule, FaultSpecError
    from intacct_sdk.testing._multi import CompanyStats, MultiEmulator
    from intacct_sdk.testing._prefs import UserPreferences
    from intacct_sdk.testing._rest import REST_CLIENT_ID, REST_CLIENT_SECRET, RestEmulator
    from intacct_sdk.testing._seed import CUSTOM_FIELD, DIMENSION, demo_company, empty_company
    from intacct_sdk.testing._server import EmulatorServer, serve
    from intacct_sdk.testing._transport import IN_PROCESS_URL, EmulatorTransport

_WHERE = {
    "Company": "_company",
    "CustomField": "_definitions",
    "DEMO_CREDENTIALS": "_emulator",
    "Emulator": "_emulator",
    "EmulatorCredentials": "_emulator",
    "EmulatorResponse": "_emulator",
    "EmulatorStats": "_emulator",
    "FaultInjector": "_emulator",
    "NoFaults": "_emulator",
    "RequestContext": "_emulator",
    "EmulatorTransport": "_transport",
    "IN_PROCESS_URL": "_transport",
    "FaultEvent": "_faults",
    "FaultPlan": "_faults",
    "FaultRule": "_faults",
    "FaultSpecError": "_faults",
    "UserPreferences": "_prefs",
    "REST_CLIENT_ID": "_rest",
    "REST_CLIENT_SECRET": "_rest",
    "RestEmulator": "_rest",
    "CompanyStats": "_multi",
    "MultiEmulator": "_multi",
    "CUSTOM_FIELD": "_seed",
    "DIMENSION": "_seed",
    "demo_company": "_seed",
    "empty_company": "_seed",
    "EmulatorServer": "_server",
    "serve": "_server",
}

__all__ = [
    "CUSTOM_FIELD",
    "DEMO_CREDENTIALS",
    "DIMENSION",
    "IN_PROCESS_URL",
    "REST_CLIENT_ID",
    "REST_CLIENT_SECRET",
    "Company",
    "CompanyStats",
    "CustomField",
    "Emulator",
    "EmulatorCredentials",
    "EmulatorResponse",
    "EmulatorServer",
    "EmulatorStats",
    "EmulatorTransport",
    "FaultEvent",
    "FaultInjector",
    "FaultPlan",
    "FaultRule",
    "FaultSpecError",
    "MultiEmulator",
    "NoFaults",
    "RequestContext",
    "RestEmulator",
    "UserPreferences",
    "demo_company",
    "empty_company",
    "serve",
]


if not TYPE_CHECKING:
    # Hidden from type checkers: they see the imports above, and a misspelt name stays an error.
    __getattr__, __dir__ = exports(globals(), _WHERE)
