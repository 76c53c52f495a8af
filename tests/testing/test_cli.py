"""The emulator command, run as a real subprocess: first line, raw XML, state files, signals."""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.testing.test_multi import push_twice_and_once

from conftest import subprocess_env
from intacct_sdk import Client, Credentials
from intacct_sdk.testing import DEMO_CREDENTIALS
from intacct_sdk.testing._cli import credentials_from_env, register, run

pytestmark = pytest.mark.slow

START_TIMEOUT = 60.0


@contextmanager
def emulator_process(*args: str, **env: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``python -m intacct_sdk.testing --port 0 ARGS``; yield it and its endpoint URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "intacct_sdk.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(**env),
    )
    try:
        line = _first_line(proc)
        yield proc, line
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def _first_line(proc: subprocess.Popen[str]) -> str:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(START_TIMEOUT)
    if not box:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"no endpoint line from the emulator; stderr: {err}")
    return box[0]


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout=30)


def envelope(
    function: str,
    *,
    sender: str = "demo-sender",
    sender_pw: str = "demo-sender-password",
    user: str = "demo-user",
    user_pw: str = "demo-user-password",
    company: str = "DEMO",
) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><request><control>'
        f"<senderid>{sender}</senderid><password>{sender_pw}</password>"
        "<controlid>cli-test</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion>"
        "</control><operation><authentication><login>"
        f"<userid>{user}</userid><companyid>{company}</companyid><password>{user_pw}</password>"
        f'</login></authentication><content><function controlid="f1">{function}</function>'
        "</content></operation></request>"
    ).encode()


def post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url, content=body, headers={"Content-Type": "application/xml"}, timeout=30)


COUNT_EMPLOYEES = (
    "<query><object>EMPLOYEE</object><select><field>RECORDNO</field></select>"
    "<pagesize>1</pagesize></query>"
)


def total_count(response: httpx.Response) -> int:
    match = re.search(rb'totalcount="(\d+)"', response.content)
    assert match, response.text
    return int(match[1])


# -- the process -------------------------------------------------------------------------------


def test_prints_the_endpoint_serves_raw_xml_and_stops_on_sigterm() -> None:
    with emulator_process("--employees", "7") as (proc, line):
        url = line.strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/ia/xml/xmlgw\.phtml", url)
        assert not url.endswith(":0/ia/xml/xmlgw.phtml")
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("REST API http://127.0.0.1:")
        login = post(url, envelope("<getAPISession/>"))
        assert login.status_code == 200
        assert b"<status>success</status>" in login.content
        assert re.search(rb"<sessionid>[^<]+</sessionid>", login.content)
        assert total_count(post(url, envelope(COUNT_EMPLOYEES))) == 7
        assert stop(proc) == 0
        out, err = proc.communicate(timeout=30)
        assert out == ""  # two lines only (the endpoint's and REST's), both read
        assert "Traceback" not in err


def test_ctrl_c_also_stops_cleanly() -> None:
    with emulator_process("--seed", "empty") as (proc, _line):
        assert stop(proc, signal.SIGINT) == 0


def test_environment_credentials_replace_the_demo_ones() -> None:
    env = {"INTACCT_SENDER_ID": "acme-sender", "INTACCT_USER_PASSWORD": "s3cret-pw"}
    with emulator_process(**env) as (proc, line):
        url = line.strip()
        rejected = post(url, envelope("<getAPISession/>"))
        assert b"<status>failure</status>" in rejected.content
        accepted = post(
            url, envelope("<getAPISession/>", sender="acme-sender", user_pw="s3cret-pw")
        )
        assert b"<status>failure</status>" not in accepted.content
        assert stop(proc) == 0
        _, err = proc.communicate(timeout=30)
        assert "s3cret-pw" not in err


def test_state_file_survives_a_restart_and_is_seeded_once(tmp_path: Path) -> None:
    state = tmp_path / "company.sqlite"
    create = (
        "<create><CLASS><CLASSID>KEEPME</CLASSID><NAME>Kept across restarts</NAME></CLASS></create>"
    )
    with emulator_process("--state", str(state), "--employees", "3") as (proc, line):
        created = post(line.strip(), envelope(create))
        assert b"<status>success</status>" in created.content, created.text
        assert stop(proc) == 0
    assert state.exists()
    read = (
        "<readByQuery><object>CLASS</object><query>CLASSID = 'KEEPME'</query>"
        "<fields>CLASSID,NAME</fields><pagesize>10</pagesize></readByQuery>"
    )
    with emulator_process("--state", str(state), "--employees", "50") as (proc, line):
        url = line.strip()
        assert b"Kept across restarts" in post(url, envelope(read)).content
        assert total_count(post(url, envelope(COUNT_EMPLOYEES))) == 3  # not re-seeded
        assert stop(proc) == 0


def test_faults_from_the_command_line() -> None:
    with emulator_process("--faults", "http503@2") as (proc, line):
        url = line.strip()
        assert post(url, envelope("<getAPISession/>")).status_code == 200
        second = post(url, envelope(COUNT_EMPLOYEES))
        assert second.status_code == 503
        assert second.headers["content-type"].startswith("text/html")
        assert post(url, envelope(COUNT_EMPLOYEES)).status_code == 200
        assert stop(proc) == 0


def test_bad_fault_spec_exits_2_with_a_reason() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "intacct_sdk.testing", "--faults", "explode@1"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown fault kind 'explode'" in proc.stderr
    assert proc.stdout == ""


def test_deny_and_visibility_lag_from_the_command_line() -> None:
    create = "<create><CLASS><CLASSID>LATE</CLASSID><NAME>Late</NAME></CLASS></create>"
    read_late = "<readByName><object>CLASS</object><keys>LATE</keys><fields>*</fields></readByName>"
    audit = "<query><object>AUDITHISTORY</object><select><field>ID</field></select></query>"
    with emulator_process("--deny", "AUDITHISTORY", "--visibility-lag", "3600") as (proc, line):
        url = line.strip()
        denied = post(url, envelope(audit)).text
        assert "<errorno>PL04000005</errorno>" in denied
        assert "READ_BY_QUERY on objects of type audithistory" in denied
        assert "<status>success</status>" in post(url, envelope(create)).text
        assert 'count="0"' in post(url, envelope(read_late)).text  # written, not yet visible
        assert stop(proc) == 0


def test_an_unknown_object_to_deny_exits_2_with_a_reason() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "intacct_sdk.testing", "--seed", "empty", "--deny", "NOPE"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "intacct emulator: denied_objects: no such object in the company: ['NOPE']"
    )
    assert proc.stdout == ""


# -- in-process pieces -------------------------------------------------------------------------


def test_register_adds_the_emulator_subcommand() -> None:
    parser = argparse.ArgumentParser(prog="intacct")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["emulator", "--port", "0", "--faults", "lost@3", "--entities", "2"])
    assert args.func is run
    assert (args.port, args.faults, args.entities, args.host) == (0, "lost@3", 2, "127.0.0.1")
    assert (args.max_concurrent, args.concurrency_wait) == (2, 30.0)
    assert parser.parse_args(["emulator", "--max-concurrent", "3"]).max_concurrent == 3
    assert parser.parse_args(["emulator", "--max-concurrent", "none"]).max_concurrent is None
    assert parser.parse_args(["emulator", "--concurrency-wait", "0.5"]).concurrency_wait == 0.5
    with pytest.raises(SystemExit):
        parser.parse_args(["emulator", "--port", "70000"])
    for bad in (["--max-concurrent", "0"], ["--concurrency-wait", "-1"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["emulator", *bad])
    assert (args.deny, args.visibility_lag) == ([], 0.0)
    more = parser.parse_args(["emulator", "--deny", "A", "--deny", "B", "--visibility-lag", "90"])
    assert (more.deny, more.visibility_lag) == (["A", "B"], 90.0)
    for bad in ("-1", "nan", "inf", "soon"):
        with pytest.raises(SystemExit):
            parser.parse_args(["emulator", "--visibility-lag", bad])


def test_credentials_from_env_fall_back_to_demo_values() -> None:
    demo = credentials_from_env({})
    assert (demo.sender_id, demo.company_id, demo.user_id) == ("demo-sender", "DEMO", "demo-user")
    mixed = credentials_from_env({"INTACCT_COMPANY_ID": "ACME", "INTACCT_USER_ID": ""})
    assert (mixed.company_id, mixed.user_id) == ("ACME", "demo-user")


def test_a_non_loopback_host_needs_allow_remote_and_then_warns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from intacct_sdk.testing._cli import _remote_refusal

    # refused without the flag, before anything listens: exit 2 and one line
    proc = subprocess.run(
        [sys.executable, "-m", "intacct_sdk.testing", "--host", "0.0.0.0"],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "--allow-remote" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    # loopback forms are fine; with the flag another address is allowed, with a warning
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"):
        assert _remote_refusal(host, allowed=False) is None
    assert _remote_refusal("example.internal", allowed=False) is not None
    capsys.readouterr()
    assert _remote_refusal("0.0.0.0", allowed=True) is None
    assert "warning: listening on 0.0.0.0" in capsys.readouterr().err


# -- many companies ----------------------------------------------------------------------------


def test_companies_serves_n_seeded_companies_and_their_stats_over_http() -> None:
    sizes = ("--employees", "2", "--projects", "1", "--tasks-per-project", "1")
    with emulator_process("--companies", "3", *sizes, "--max-concurrent", "1") as (proc, url):
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("companies C0001..C0003 (3)")
        url = url.strip()
        assert total_count(post(url, envelope(COUNT_EMPLOYEES, company="c0002"))) == 2
        refused = post(url, envelope(COUNT_EMPLOYEES, company="C0004"))
        assert b"XL03000006" in refused.content
        creds = Credentials(
            DEMO_CREDENTIALS.sender_id,
            DEMO_CREDENTIALS.sender_password,
            company_id="C0003",
            user_id=DEMO_CREDENTIALS.user_id,
            user_password=DEMO_CREDENTIALS.user_password,
            endpoint_url=url,
        )
        with Client(creds) as client:
            push_twice_and_once(client)
        base = url.split("/ia/", 1)[0]
        stats = httpx.get(f"{base}/_emulator/stats", timeout=30).json()
        assert stop(proc) == 0
    companies = stats["companies"]
    assert list(companies) == ["C0001", "C0002", "C0003"]
    assert [c["max_concurrent"] for c in companies.values()] == [1, 1, 1]
    assert (companies["C0001"]["requests"], companies["C0002"]["requests"]) == (0, 1)
    assert companies["C0003"]["timesheets"] == 3
    assert companies["C0003"]["duplicate_timesheets"] == 1
    assert stats["unrouted"] == 1


def test_companies_refuses_options_for_one_company(tmp_path: Path) -> None:
    for extra in (["--state", str(tmp_path / "x.db")], ["--seed", "empty"], ["--faults", "lost@1"]):
        proc = subprocess.run(
            [sys.executable, "-m", "intacct_sdk.testing", "--companies", "2", *extra],
            capture_output=True,
            text=True,
            env=subprocess_env(),
            timeout=60,
        )
        assert proc.returncode == 2
        assert "--companies:" in proc.stderr


# -- REST ----------------------------------------------------------------------------------------


def test_rest_api_on_the_same_port_with_the_client_from_the_environment() -> None:
    env = {"INTACCT_CLIENT_ID": "cli-client", "INTACCT_CLIENT_SECRET": "cli-secret-value"}
    with emulator_process("--employees", "2", **env) as (proc, url):
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base = url.strip().rsplit("/ia/", 1)[0] + "/ia/api/v1"
        assert line.startswith(f"REST API {base} (OAuth client cli-client")
        assert "cli-secret-value" not in line
        with httpx.Client(base_url=base) as api:
            form = {"grant_type": "client_credentials", "username": "demo-user@DEMO"}
            assert (
                api.post(
                    "/oauth2/token", data=form, auth=("emulator-client", "emulator-secret")
                ).status_code
                == 401
            )
            r = api.post("/oauth2/token", data=form, auth=("cli-client", "cli-secret-value"))
            token = r.json()["access_token"]
            q = {"object": "company-config/employee", "fields": ["id"]}
            r = api.post(
                "/services/core/query", json=q, headers={"Authorization": f"Bearer {token}"}
            )
            assert r.json()["ia::meta"]["totalCount"] == 2
