"""Test support for code that talks to Intacct: a gateway emulator and pytest fixtures.

Nothing here is imported by ``import intacct_sdk``; import it on demand.
"""

# emulator core (emu-core)
from intacct_sdk.testing._company import Company, CustomField
from intacct_sdk.testing._emulator import (
    DEMO_CREDENTIALS,
    Emulator,
    EmulatorCredentials,
    EmulatorResponse,
    EmulatorStats,
    FaultInjector,
    RequestContext,
)
from intacct_sdk.testing._transport import EmulatorTransport

__all__ = [
    "DEMO_CREDENTIALS",
    "Company",
    "CustomField",
    "Emulator",
    "EmulatorCredentials",
    "EmulatorResponse",
    "EmulatorStats",
    "EmulatorTransport",
    "FaultInjector",
    "RequestContext",
]
