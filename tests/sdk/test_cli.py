"""The ``intacct`` command line: in-process for behaviour, one subprocess end to end."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from _fake_gateway import CREDS, ENDPOINT, SENDER, USER, FakeGateway, LoopbackServer
from tests.conftest import subprocess_env

from intacct_sdk import Client, ClientOptions, Credentials, RetryPolicy, cli

ENV = {
    "INTACCT_SENDER_ID": SENDER[0],
    "INTACCT_SENDER_PASSWORD": SENDER[1],
    "INTACCT_USER_ID": USER[0],
    "INTACCT_COMPANY_ID": USER[1],
    "INTACCT_USER_PASSWORD": USER[2],
}


def rows(n: int) -> list[dict[str, Any]]:
    return [{"RECORDNO": i, "EMPLOYEEID": f"E{i}", "NAME": f"Name, {i}"} for i in range(1, n + 1)]


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    gw = FakeGateway({"EMPLOYEE": rows(25)})

    def client(args: Any) -> Client:
        options = ClientOptions(typed=False, retry=RetryPolicy(sleep=lambda s: None))
        return Client(CREDS, options=options, transport=gw.transport())

    monkeypatch.setattr(cli, "_client", client)
    return gw


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_query_json_is_one_array_of_every_page(
    gateway: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["query", "EMPLOYEE", "--page-size", "10"], capsys)
    assert code == 0, err
    records = json.loads(out)
    assert [r["EMPLOYEEID"] for r in records] == [f"E{i}" for i in range(1, 26)]
    assert gateway.functions("readByQuery") == 1
    assert gateway.functions("readMore") == 2


def test_query_json_streams_pages(gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    seen_before_second_page: list[str] = []
    original = gateway.handle

    def spy(request: Any) -> Any:
        if b"<readMore>" in request.read() and not seen_before_second_page:
            seen_before_second_page.append(out.getvalue())
        return original(request)

    gateway.handle = spy  # type: ignore[method-assign]
    assert cli.main(["query", "EMPLOYEE", "--page-size", "10"]) == 0
    assert '"E10"' in seen_before_second_page[0]  # page 1 written before page 2 was asked for
    assert '"E11"' not in seen_before_second_page[0]


def test_query_where_fields_and_empty_result(
    gateway: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["query", "PROJECT", "--fields", "RECORDNO,NAME", "--where", "STATUS = 'T'"], capsys
    )
    assert code == 0
    assert json.loads(out) == []
    body = gateway.seen[-1].body.decode()
    assert "<query>STATUS = 'T'</query>" in body
    assert "<fields>RECORDNO,NAME</fields>" in body


def test_query_csv(gateway: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["query", "EMPLOYEE", "--format", "csv", "--fields", "EMPLOYEEID,NAME"], capsys
    )
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["EMPLOYEEID", "NAME"]
    assert table[1] == ["E1", "Name, 1"]
    assert len(table) == 26


def test_query_table(gateway: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["query", "EMPLOYEE", "--format", "table"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["RECORDNO", "EMPLOYEEID", "NAME"]
    assert lines[-1] == "(25 records)"


def test_lookup_prints_definition(gateway: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lookup", "TIMESHEET"], capsys)
    assert code == 0
    assert "RECORDNO" in out
    json.loads(out)


def test_call_raw_function(
    gateway: FakeGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fn = tmp_path / "fn.xml"
    fn.write_text('<?xml version="1.0"?>\n<lookup><object>TASK</object></lookup>\n')
    code, out, _ = run(["call", str(fn), "--read-only"], capsys)
    assert code == 0
    assert "TASK" in out
    assert gateway.seen[-1].functions == ["lookup"]


def test_function_failure_is_one_line_exit_1(
    gateway: FakeGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fn = tmp_path / "fn.xml"
    fn.write_text("<fail/>")
    code, out, err = run(["call", str(fn)], capsys)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("intacct: FunctionError: ")
    assert "BL01001973" in err


def test_authentication_errors_give_the_next_step_once_and_where_it_is_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = FakeGateway()  # knows no session: the given one is refused
    session_id = "given-session-id-4711"
    creds = Credentials(SENDER[0], SENDER[1], session_id=session_id, endpoint_url=ENDPOINT)
    monkeypatch.setattr(cli, "_client", lambda args: Client(creds, transport=gw.transport()))
    code, out, err = run(["lookup", "EMPLOYEE"], capsys)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith("intacct: SessionExpiredError: ")
    assert "Invalid session" in err
    assert err.lower().count("create a new session") == 1
    assert "INTACCT_SESSION_ID" in err
    assert session_id not in err
    assert SENDER[1] not in err


def test_missing_file_and_bad_xml_exit_2(
    gateway: FakeGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["call", str(tmp_path / "absent.xml")], capsys)
    assert code == 2
    assert err.count("\n") == 1
    bad = tmp_path / "bad.xml"
    bad.write_text("<oops>")
    code, _, err = run(["call", str(bad)], capsys)
    assert code == 2
    assert err.startswith("intacct: configuration error:")


def test_missing_credentials_exit_2_names_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("INTACCT_USER_PASSWORD")
    monkeypatch.delenv("INTACCT_PROFILE", raising=False)
    code, _, err = run(["lookup", "EMPLOYEE"], capsys)
    assert code == 2
    assert "user_password" in err
    assert SENDER[1] not in err
    code, _, err = run(["--endpoint", "ftp://x", "lookup", "EMPLOYEE"], capsys)
    assert code == 2


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["query", "EMPLOYEE", "--page-size", "5000"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2


def test_emulator_missing_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "intacct_sdk.testing._cli", None)
    code, _, err = run(["emulator", "serve"], capsys)
    assert code == 2
    assert "emulator is not available" in err


def test_emulator_is_wired_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    fake = types.ModuleType("intacct_sdk.testing._cli")

    def register(subparsers: Any) -> None:
        p = subparsers.add_parser("emulator")
        p.add_argument("action")
        p.add_argument("--port", type=int, default=0)

    def run_(args: Any) -> int:
        calls.append((args.action, args.port))
        return 7

    fake.register = register  # type: ignore[attr-defined]
    fake.run = run_  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "intacct_sdk.testing._cli", fake)
    assert cli.main(["--endpoint", "http://x", "emulator", "serve", "--port", "8123"]) == 7
    assert calls == [("serve", 8123)]


def test_help_does_not_import_the_emulator_or_httpx_client() -> None:
    code = (
        "import sys\nfrom intacct_sdk import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in sys.modules if m.startswith('intacct_sdk.testing')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=True,
    ).stdout
    assert out.strip().endswith("[]")


@pytest.mark.slow
def test_end_to_end_subprocess_over_loopback() -> None:
    gw = FakeGateway({"EMPLOYEE": rows(7)})
    with LoopbackServer(gw) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "intacct_sdk.cli",
                "--endpoint",
                server.url,
                "query",
                "EMPLOYEE",
                "--page-size",
                "3",
                "--fields",
                "EMPLOYEEID",
            ],
            capture_output=True,
            text=True,
            env=subprocess_env(**ENV),
            timeout=60,
            check=False,
        )
        down = subprocess.run(
            [
                sys.executable,
                "-m",
                "intacct_sdk.cli",
                "--retries",
                "0",
                "--endpoint",
                "http://127.0.0.1:9/ia/xml/xmlgw.phtml",
                "lookup",
                "EMPLOYEE",
            ],
            capture_output=True,
            text=True,
            env=subprocess_env(**ENV),
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert [r["EMPLOYEEID"] for r in json.loads(done.stdout)] == [f"E{i}" for i in range(1, 8)]
    assert down.returncode == 1
    assert down.stderr.startswith("intacct: RequestNotSentError")
    assert down.stderr.count("\n") == 1
