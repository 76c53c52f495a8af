"""``intacct query --fields`` walks with ``query``: the login and one request per 2,000 records."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from _emulated import CREDS, calls, company_with

from intacct_sdk import Client, ClientOptions, RetryPolicy, cli
from intacct_sdk.testing import Emulator


def _run(
    emu: Emulator, argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> tuple[int, str, str]:
    def client(args: Any) -> Client:
        args.iso_times = False
        options = ClientOptions(typed=False, retry=RetryPolicy(sleep=lambda s: None))
        return Client(CREDS, options=options, transport=emu.transport())

    monkeypatch.setattr(cli, "_client", client)
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("n", [0, 1, 1999, 2000, 2001, 4500])
def test_a_full_walk_costs_the_login_and_one_request_per_2000_records(
    n: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = Emulator(company_with(n))
    argv = ["query", "EMPLOYEE", "--fields", "RECORDNO,EMPLOYEEID", "--format", "json"]
    code, out, err = _run(emu, argv, capsys, monkeypatch)
    assert code == 0, err
    assert [r["EMPLOYEEID"] for r in json.loads(out)] == [f"E{i:05d}" for i in range(1, n + 1)]
    assert emu.stats.http_requests == 1 + max(1, math.ceil(n / 2000))
    assert calls(emu, "query") == max(1, math.ceil(n / 2000))
    assert calls(emu, "readByQuery") == calls(emu, "readMore") == 0


def test_page_size_and_no_pages_ahead_are_honoured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = Emulator(company_with(25))
    argv = ["query", "EMPLOYEE", "--fields", "EMPLOYEEID", "--page-size", "10", "--prefetch", "0"]
    code, out, err = _run(emu, argv, capsys, monkeypatch)
    assert code == 0, err
    assert len(json.loads(out)) == 25
    assert calls(emu, "query") == 3


def test_where_or_all_fields_still_use_read_by_query(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = Emulator(company_with(3))
    code, out, err = _run(
        emu, ["query", "EMPLOYEE", "--where", "RECORDNO > 1"], capsys, monkeypatch
    )
    assert code == 0, err
    assert len(json.loads(out)) == 2
    assert calls(emu, "readByQuery") == 1 and calls(emu, "query") == 0


def test_a_read_by_query_page_over_1000_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = Emulator(company_with(3))
    argv = ["query", "EMPLOYEE", "--page-size", "1500"]
    code, out, err = _run(emu, argv, capsys, monkeypatch)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "1 and 1000" in err
    assert emu.stats.http_requests == 0


def test_prefetch_out_of_range_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["query", "EMPLOYEE", "--fields", "RECORDNO", "--prefetch", "9"])
    assert info.value.code == 2
