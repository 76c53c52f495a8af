"""The ``timesync`` and ``intacct`` commands as an operator meets them: an unreachable or
wrong gateway, Ctrl-C, a pipe closed early, ``--version``. Real processes throughout."""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import subprocess_env
from tests.timesync.sync_process import Killer, finish_sync, start_sync, write_sync_config

from intacct_sdk._version import __version__
from intacct_sdk.testing import Emulator, EmulatorResponse, RequestContext
from intacct_sdk.testing._seed import demo_company
from intacct_sdk.testing._server import serve
from timesync.store import SQLiteStateStore


def _script(name: str) -> list[str]:
    """The installed console script beside this interpreter, else its module."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    return (
        [found]
        if found
        else [sys.executable, "-m", f"{name.replace('intacct', 'intacct_sdk')}.cli"]
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<html><body><h1>Sign in</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def html_gateway() -> Iterator[tuple[str, type[_HtmlHandler]]]:
    handler = type("Handler", (_HtmlHandler,), {"hits": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ia/xml/xmlgw.phtml", handler
    finally:
        server.shutdown()
        server.server_close()


def _config(tmp_path: Path, url: str) -> Path:
    emulator = Emulator(demo_company(employees=3, projects=2, tasks_per_project=1, customers=1))
    return write_sync_config(tmp_path, url, emulator)


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=subprocess_env(), capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_a_refused_connection_is_one_line_exit_2_and_stops_at_once(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/ia/xml/xmlgw.phtml"  # nothing listens there
    proc = _run([*_script("timesync"), "sync", "--config", str(_config(tmp_path, url))])
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "could not be reached" in lines[0] and "Connection refused" in lines[0]
    assert "endpoint URL" in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    with SQLiteStateStore(tmp_path / "state.db") as store:
        [run] = store.runs(5)
        assert run.status == "failed"


def test_an_html_answer_stops_the_run_after_two_requests_retries(
    tmp_path: Path, html_gateway: tuple[str, type[_HtmlHandler]]
) -> None:
    url, handler = html_gateway
    proc = _run([*_script("timesync"), "sync", "--config", str(_config(tmp_path, url))])
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "did not answer as Intacct's gateway" in lines[0], proc.stderr
    # the combined first read, then the first object alone (the combined request may be what
    # the gateway refused), each retried by the client (3 retries by default); no more
    assert 2 <= handler.hits <= 8
    # -v adds detail, still no traceback; -vv gives the traceback
    verbose = _run([*_script("timesync"), "-v", "sync", "--config", str(tmp_path / "sync.toml")])
    assert verbose.returncode == 2 and "Traceback" not in verbose.stderr
    debug = _run([*_script("timesync"), "-vv", "sync", "--config", str(tmp_path / "sync.toml")])
    assert debug.returncode == 2 and "Traceback" in debug.stderr


class _Interrupter(Killer):
    """Sends SIGINT (Ctrl-C) to the client at one request, after it was handled."""

    def after_request(self, ctx: RequestContext, response: EmulatorResponse) -> EmulatorResponse:
        if self.pid is not None and ctx.request_number == self.at and not self.fired:
            self.fired = True
            os.kill(self.pid, signal.SIGINT)
        return response


def test_ctrl_c_in_sync_says_interrupted_exits_130_and_the_rerun_finishes(tmp_path: Path) -> None:
    interrupter = _Interrupter()
    emulator = Emulator(
        demo_company(employees=6, projects=3, tasks_per_project=2, customers=2),
        faults=interrupter,
    )
    with serve(emulator) as server:
        cfg = write_sync_config(tmp_path, server.url, emulator)
        interrupter.at = emulator.stats.http_requests + 1
        proc = start_sync(cfg)
        interrupter.pid = proc.pid
        code, out = finish_sync(proc)
        interrupter.pid = None
        assert interrupter.fired
        assert code == 130, out
        assert "timesync: interrupted" in out and "Traceback" not in out
        code, out = finish_sync(start_sync(cfg))
        assert code == 0, out


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    emulator = Emulator(demo_company(employees=30, projects=8, tasks_per_project=4, customers=5))
    with serve(emulator) as server:
        cfg = write_sync_config(tmp_path, server.url, emulator)
        proc = subprocess.Popen(
            [*_script("timesync"), "plan", "--config", str(cfg)],
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # as `| head -0` does: nobody reads what the plan prints
        err = proc.stderr.read()
        proc.stderr.close()
        code = proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 0, err


@pytest.mark.parametrize("command", ["timesync", "intacct"])
def test_both_commands_tell_their_version(command: str) -> None:
    proc = _run([*_script(command), "--version"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{command} {__version__}"


def test_missing_credentials_are_named_all_at_once_with_where_they_go(tmp_path: Path) -> None:
    cfg = tmp_path / "sync.toml"
    cfg.write_text(
        '[intacct]\nsender_id = "s"\ncompany_id = "c"\ntimezone = "UTC"\n'
        '[state]\npath = "state.db"\n[local]\nreference = "app.db"\n',
        encoding="utf-8",
    )
    proc = _run([*_script("timesync"), "sync", "--config", str(cfg)])
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert "sender_password, user_id, user_password" in line
    assert "[intacct]" in line and "INTACCT_USER_PASSWORD" in line


def _factory_config(tmp_path: Path, url: str, factory: str, module: str | None) -> Path:
    cfg = _config(tmp_path, url)
    text = cfg.read_text(encoding="utf-8").replace('reference = "app.db"', f'factory = "{factory}"')
    cfg.write_text(text, encoding="utf-8")
    if module is not None:
        (tmp_path / "shopapp.py").write_text(module, encoding="utf-8")
    return cfg


_SHOPAPP = """
from timesync.local import ReferenceApp

def make_local():
    return ReferenceApp("shop.db")

def not_a_system():
    return object()

def broken():
    raise RuntimeError("the app's database is not configured")
"""


@pytest.mark.parametrize(
    ("factory", "module", "expected"),
    [
        ("nosuchapp:make", None, "no module 'nosuchapp' on sys.path or in the config file"),
        ("shopapp:make_locl", _SHOPAPP, "has no attribute 'make_locl' (did you mean make_local?)"),
        ("shopapp:not_a_system", _SHOPAPP, "not a timesync.local.LocalSystem (it lacks"),
        ("shopapp:broken", _SHOPAPP, "raised RuntimeError: the app's database is not configured"),
        ("shopapp:make_local", "import nosuchdependency\n", "No module named 'nosuchdependency'"),
    ],
)
def test_a_factory_that_cannot_be_used_is_one_line_naming_why(
    tmp_path: Path, factory: str, module: str | None, expected: str
) -> None:
    cfg = _factory_config(tmp_path, "http://127.0.0.1:9/ia/xml/xmlgw.phtml", factory, module)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = _run([*_script("timesync"), "plan", "--config", str(cfg)], cwd=elsewhere)
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert expected in line and line.startswith("timesync: local.factory:")


def test_a_factory_module_beside_the_config_file_is_found(tmp_path: Path) -> None:
    emulator = Emulator(demo_company(employees=3, projects=2, tasks_per_project=1, customers=1))
    with serve(emulator) as server:
        cfg = _factory_config(tmp_path, server.url, "shopapp:make_local", _SHOPAPP)
        # run from elsewhere: the module is found beside the config, not in the working folder
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        proc = _run([*_script("timesync"), "sync", "--config", str(cfg)], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert (elsewhere / "shop.db").exists()  # the app's own relative path, its own choice


def test_mapping_check_reports_a_misspelt_option_once_and_a_misspelt_object_by_name(
    tmp_path: Path,
) -> None:
    option = tmp_path / "option.toml"
    option.write_text(
        '[EMPLOYEE]\n[[EMPLOYEE.fields]]\nlocal = "key"\nremtoe = "EMPLOYEEID"\n', encoding="utf-8"
    )
    proc = _run([*_script("timesync"), "mapping", "check", str(option)])
    assert proc.returncode == 1
    problems = [line for line in proc.stdout.splitlines() if line.lstrip().startswith("- ")]
    assert problems == ["  - EMPLOYEE.fields[0]: unknown option 'remtoe' (did you mean 'remote'?)"]

    table = tmp_path / "table.toml"
    table.write_text('[EMPLOYE]\nmodel = "Employee"\n', encoding="utf-8")
    proc = _run([*_script("timesync"), "mapping", "check", str(table)])
    assert proc.returncode == 1
    assert "did you mean [EMPLOYEE]?" in proc.stdout


def test_sync_states_every_mapping_problem_it_counts(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[EMPLOYEE]\nfilterr = "none"\n[[EMPLOYEE.fields]]\nlocal = "key"\nremtoe = "X"\n',
        encoding="utf-8",
    )
    cfg = _config(tmp_path, "http://127.0.0.1:9/ia/xml/xmlgw.phtml")
    cfg.write_text(
        cfg.read_text(encoding="utf-8") + '\n[mapping]\nfile = "mapping.toml"\n', encoding="utf-8"
    )
    proc = _run([*_script("timesync"), "sync", "--config", str(cfg)])
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("timesync: 2 problems in mapping specs:")
    assert "'filterr'" in line and "'remtoe'" in line


def test_the_in_process_demo_logs_the_emulator_not_intaccts_gateway(tmp_path: Path) -> None:
    proc = _run(
        [
            *_script("timesync"),
            "-v",
            "demo",
            "--workdir",
            str(tmp_path / "demo"),
            "--employees",
            "3",
            "--projects",
            "2",
            "--weeks",
            "1",
        ]
    )
    assert proc.returncode == 0, proc.stderr
    assert "http://emulator.invalid/ia/xml/xmlgw.phtml" in proc.stderr
    assert "intacct.com" not in proc.stderr + proc.stdout


_SMALL = ["--employees", "3", "--projects", "2", "--weeks", "1"]


def test_a_rerun_says_which_given_flags_it_cannot_apply(tmp_path: Path) -> None:
    work = str(tmp_path / "demo")
    first = _run([*_script("timesync"), "demo", "--workdir", work, *_SMALL])
    assert first.returncode == 0, first.stderr
    assert "note:" not in first.stdout
    again = _run([*_script("timesync"), "demo", "--workdir", work, "--employees", "9"])
    assert again.returncode == 0, again.stderr
    [note] = [line for line in again.stdout.splitlines() if "note:" in line]
    assert "--employees applied when it was made and are ignored now" in note
    plain = _run([*_script("timesync"), "demo", "--workdir", work])
    assert "note: " + work not in plain.stdout


def test_a_demo_aimed_at_a_company_elsewhere_needs_yes(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            *_script("timesync"),
            "demo",
            "--workdir",
            str(tmp_path / "demo"),
            "--endpoint",
            "https://gateway.example.invalid/ia/xml/xmlgw.phtml",
        ],
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,  # not a terminal: nobody to ask
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert "creates, corrects and deletes timesheets" in line and "--yes" in line
    assert not (tmp_path / "demo").exists()  # refused before anything was made


def test_the_demo_explains_its_table_once_and_its_next_steps_work(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    demo = _run([*_script("timesync"), "demo", "--workdir", str(work), *_SMALL])
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.count("(how to read a run:") == 1
    assert "\r" not in demo.stderr  # no progress line in a pipe
    assert "API functions are what Intacct bills for" in " ".join(demo.stdout.split())
    assert f"timesync status --config {work / 'sync.toml'}" in demo.stdout
    # the next steps, as printed, on a free port instead of the fixed one
    env = subprocess_env()
    for line in (work / "demo.env").read_text(encoding="utf-8").splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value.strip("'")
    served = subprocess.Popen(
        [*_script("intacct"), "emulator", "--state", str(work / "intacct.db"), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert served.stdout is not None
        env["INTACCT_ENDPOINT_URL"] = served.stdout.readline().strip()
        query = subprocess.run(
            [*_script("intacct"), "query", "TIMESHEET", "--fields", "RECORDNO,STATE"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert query.returncode == 0, query.stderr
        assert '"STATE"' in query.stdout
        for command in ("status", "sync"):
            proc = subprocess.run(
                [*_script("timesync"), command, "--config", str(work / "sync.toml")],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 0, proc.stderr
    finally:
        served.terminate()
        served.wait(timeout=30)
        if served.stdout is not None:
            served.stdout.close()


def test_the_demo_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    import pty

    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run(
            [*_script("timesync"), "demo", "--workdir", str(tmp_path / "demo"), *_SMALL],
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=secondary,
            text=True,
            timeout=120,
        )
        os.close(secondary)
        secondary = -1
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if secondary != -1:
            os.close(secondary)
        os.close(primary)
    shown = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert "\rpush TIMESHEET:" in shown and "\rgenerating 1 week(s)" in shown
