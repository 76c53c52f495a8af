"""The emulator's public names, and no secrets in reprs."""

from __future__ import annotations

from tests.testing.emu_helpers import Gateway, envelope, fn

import intacct_sdk.testing as testing_pkg
from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator


def test_all_is_importable() -> None:
    names = list(testing_pkg.__all__)  # order is checked by ruff (RUF022, isort style)
    for name in names:
        assert hasattr(testing_pkg, name)
    core = {
        "Company",
        "Emulator",
        "EmulatorResponse",
        "EmulatorStats",
        "DEMO_CREDENTIALS",
        "EmulatorTransport",
        "FaultInjector",
        "RequestContext",
    }
    assert core <= set(names)


def test_reprs_hold_no_secrets(gw: Gateway) -> None:
    text = repr(DEMO_CREDENTIALS)
    assert DEMO_CREDENTIALS.sender_password not in text
    assert DEMO_CREDENTIALS.user_password not in text
    sid = gw.ok("<getAPISession/>").findtext("data/api/sessionid") or ""
    for obj in (gw.emu, gw.emu.company, gw.emu.stats, gw.emu.transport()):
        assert sid not in repr(obj)
        assert DEMO_CREDENTIALS.user_password not in repr(obj)


def test_rolled_back_functions_can_be_retried_under_uniqueid(gw: Gateway) -> None:
    good = fn("<create><CLASS><CLASSID>R1</CLASSID><NAME>r</NAME></CLASS></create>", "good")
    bad = fn("<create><CLASS><NAME>no id</NAME></CLASS></create>", "bad")
    first = gw.results(good + bad, transaction=True, unique_id=True)
    assert [r.findtext("status") for r in first] == ["aborted", "failure"]
    retry = gw.results(good, transaction=True, unique_id=True)
    assert retry[0].findtext("status") == "success"


def test_emulator_without_company_starts_empty() -> None:
    emu = Emulator()
    resp = emu.handle(envelope(fn("<readByQuery><object>EMPLOYEE</object><query/></readByQuery>")))
    assert b'totalcount="0"' in resp.body
