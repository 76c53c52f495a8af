"""Fixtures for the emulator-core tests (helpers live in emu_helpers.py)."""

from __future__ import annotations

import pytest
from tests.testing.emu_helpers import Clock, Gateway, small_company

from intacct_sdk.testing import Company, Emulator


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def company(clock: Clock) -> Company:
    return small_company(clock)


@pytest.fixture
def gw(company: Company, clock: Clock) -> Gateway:
    return Gateway(Emulator(company, clock=clock))
