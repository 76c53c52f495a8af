"""Shared set-up for client tests against the emulator's in-process transport."""

from __future__ import annotations

import threading
from collections.abc import Callable

from intacct_sdk import ClientOptions, Credentials, RetryPolicy
from intacct_sdk.testing import (
    DEMO_CREDENTIALS,
    Company,
    Emulator,
    EmulatorResponse,
    NoFaults,
    RequestContext,
)

ENDPOINT = "https://emulator.test/ia/xml/xmlgw.phtml"
CREDS = Credentials(
    DEMO_CREDENTIALS.sender_id,
    DEMO_CREDENTIALS.sender_password,
    company_id=DEMO_CREDENTIALS.company_id,
    user_id=DEMO_CREDENTIALS.user_id,
    user_password=DEMO_CREDENTIALS.user_password,
    endpoint_url=ENDPOINT,
)
NO_SLEEP = ClientOptions(retry=RetryPolicy(jitter=0, sleep=lambda s: None))


def company_with(employees: int) -> Company:
    """A company holding ``employees`` employees, E00001 upwards (RECORDNO 1 upwards)."""
    company = Company()
    company.bulk_insert(
        "EMPLOYEE",
        (
            {"EMPLOYEEID": f"E{i:05d}", "PERSONALINFO.CONTACTNAME": f"Person {i}"}
            for i in range(1, employees + 1)
        ),
    )
    return company


def calls(emu: Emulator, function: str) -> int:
    """How many times ``emu`` ran ``function`` (billed functions, any object)."""
    return sum(n for (name, _), n in emu.stats.functions.items() if name == function)


class Gate(NoFaults):
    """Holds the requests ``hold`` picks at the emulator until released, counting them.

    Args:
        hold: Which requests to hold (default: every one after the first two).
    """

    def __init__(self, hold: Callable[[RequestContext], bool] | None = None) -> None:
        self.hold = hold or (lambda ctx: ctx.request_number > 2)
        self.held = 0
        self.cond = threading.Condition()
        self.open = False

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if self.hold(ctx):
            with self.cond:
                self.held += 1
                self.cond.notify_all()
                self.cond.wait_for(lambda: self.open, timeout=10)
        return None

    def wait_for_held(self, n: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.held >= n, timeout=10)

    def release(self) -> None:
        with self.cond:
            self.open = True
            self.cond.notify_all()
