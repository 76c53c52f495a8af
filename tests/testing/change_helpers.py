"""Shared set-up for the change-stream tests: an emulator on a moving clock, a client on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.sdk._emulated import CREDS, NO_SLEEP
from tests.testing.emu_helpers import Clock

from intacct_sdk import Client, F, Filter
from intacct_sdk.testing import Company, Emulator, demo_company

AUDIT_FIELDS = ["ID", "OBJECTTYPE", "OBJECTKEY", "ACCESSMODE", "ACCESSTIME", "USERID", "SOURCE"]
BY_TIME = [("ACCESSTIME", "asc"), ("ID", "asc")]


def small_demo(clock: Clock) -> Company:
    """A seeded company (no audit rows: seeding predates the trail) on ``clock``."""
    company = demo_company(employees=4, projects=2, tasks_per_project=2, customers=2)
    company.clock = clock
    return company


@contextmanager
def client_for(emulator: Emulator) -> Iterator[Client]:
    """An ``intacct_sdk.Client`` on the emulator's in-process transport."""
    with Client(CREDS, options=NO_SLEEP, transport=emulator.transport()) as client:
        yield client


def trail(client: Client, where: Filter | None = None) -> list[dict[str, Any]]:
    """The audit rows the client reads, oldest first (ACCESSTIME, then ID)."""
    return list(client.query("AUDITHISTORY", AUDIT_FIELDS, where=where, order_by=BY_TIME))


def changes(client: Client, object_type: str) -> list[tuple[str, str]]:
    """(ACCESSMODE, OBJECTKEY) of an object type's audit rows, oldest first."""
    rows = trail(client, F("OBJECTTYPE") == object_type)
    return [(r["ACCESSMODE"], r["OBJECTKEY"]) for r in rows]
