"""The documentation's examples run: every ```python block of the SDK and emulator pages.

Each page's blocks run in order in one namespace that starts empty, as a reader would type
them, against a fresh emulator on a loopback port. The environment is what the pages tell the
reader to set up: the ``INTACCT_*`` variables (the emulator's demo credentials and its
endpoint), a home folder holding the page's credentials file, a scratch working directory.

A block preceded by ``<!-- not-tested: reason -->`` is skipped. A block that defines pytest
tests (``def test_...``) is run as a test module by pytest in a subprocess, with the package's
plugin, as a reader's own test suite would run it.

The ``intacct`` commands of ``cli.md`` run as subprocesses against ``python -m
intacct_sdk.testing`` on a free loopback port.
"""

from __future__ import annotations

import ast
import asyncio
import csv
import io
import json
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from conftest import subprocess_env
from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator, demo_company, serve

DOCS = Path(__file__).resolve().parents[1] / "docs"

# The SDK and emulator pages (mapping.md and the engine's pages are tested elsewhere).
PAGES = [
    "quickstart.md",
    "configuration.md",
    "querying.md",
    "records-and-values.md",
    "errors.md",
    "logging.md",
    "cassettes.md",
    "cli.md",
    "testing-with-the-emulator.md",
    "emulator-behaviour.md",
]

_FENCE = re.compile(r"^```(\w*)\s*$")
_NOT_TESTED = re.compile(r"^<!--\s*not-tested:\s*(.+?)\s*-->$")


class Block(NamedTuple):
    """One fenced code block of a page."""

    page: str
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: str | None  # the reason given by a ``not-tested`` mark


def code_blocks(page: str) -> list[Block]:
    """The fenced blocks of ``docs/<page>``, with their ``not-tested`` marks."""
    lines = (DOCS / page).read_text("utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        previous = next((ln.strip() for ln in reversed(lines[:start]) if ln.strip()), "")
        mark = _NOT_TESTED.match(previous)
        blocks.append(
            Block(page, start + 1, fence.group(1), "\n".join(body) + "\n", mark and mark.group(1))
        )
        i += 1
    return blocks


def python_blocks(page: str) -> list[Block]:
    return [b for b in code_blocks(page) if b.lang == "python"]


def is_test_module(block: Block) -> bool:
    return re.search(r"^(async )?def test_", block.code, re.M) is not None


# -- the reader's environment ------------------------------------------------------------------

DEMO_ENV = {
    "INTACCT_SENDER_ID": DEMO_CREDENTIALS.sender_id,
    "INTACCT_SENDER_PASSWORD": DEMO_CREDENTIALS.sender_password,
    "INTACCT_COMPANY_ID": DEMO_CREDENTIALS.company_id,
    "INTACCT_USER_ID": DEMO_CREDENTIALS.user_id,
    "INTACCT_USER_PASSWORD": DEMO_CREDENTIALS.user_password,
}


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A loopback emulator and the environment a reader of the pages has set up."""
    for name in ("INTACCT_ENTITY_ID", "INTACCT_CLIENT_ID", "INTACCT_SESSION_ID", "INTACCT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    with serve(Emulator(demo_company())) as server:
        env = {**DEMO_ENV, "INTACCT_ENDPOINT_URL": server.url}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield env


def write_credentials_file(page: str) -> None:
    """Write the page's ```ini block (the credentials profile it describes) where it belongs."""
    for block in code_blocks(page):
        if block.lang == "ini":
            target = Path.home() / ".intacct" / "credentials.ini"
            target.parent.mkdir(exist_ok=True)
            target.write_text(block.code, "utf-8")


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Execute one block in ``namespace``; top-level ``await`` runs in a fresh event loop."""
    code = compile(
        block.code,
        f"docs/{block.page}:{block.line}",
        "exec",
        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
        dont_inherit=True,
    )
    result = eval(code, namespace)  # noqa: S307 - the code is our own documentation
    if asyncio.iscoroutine(result):
        asyncio.run(result)


def run_test_module(block: Block, tmp_path: Path, env: dict[str, str]) -> None:
    """Run a block that defines pytest tests, with the package's plugin, in a subprocess."""
    module = (
        tmp_path / f"test_doc_{block.page.replace('-', '_').removesuffix('.md')}_{block.line}.py"
    )
    module.write_text(block.code, "utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            str(module),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(**env, HOME=str(Path.home())),
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"docs/{block.page}:{block.line}\n{done.stdout}\n{done.stderr}"


# -- the pages' Python examples ----------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_python_examples_run(page: str, reader: dict[str, str], tmp_path: Path) -> None:
    blocks = python_blocks(page)
    runnable = [b for b in blocks if b.skip is None]
    write_credentials_file(page)
    namespace: dict[str, Any] = {"__name__": f"docs_{page.removesuffix('.md')}"}
    try:
        for block in runnable:
            if is_test_module(block):
                run_test_module(block, tmp_path, reader)
            else:
                run_block(block, namespace)
    finally:
        for value in list(namespace.values()):
            close = getattr(value, "close", None)
            if type(value).__name__ in ("Client",) and callable(close):
                close()


# -- the command line examples (cli.md) --------------------------------------------------------

START_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    """``python -m intacct_sdk.testing --port 0`` (the demo company) as a subprocess."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "intacct_sdk.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(START_TIMEOUT)
        assert box and box[0].startswith("http://127.0.0.1:"), "no endpoint line from the emulator"
        yield box[0].strip()
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=30)


def intacct(
    argv: list[str], url: str, cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the ``intacct`` command of this checkout with the demo credentials and ``url``."""
    environment = {**DEMO_ENV, "INTACCT_ENDPOINT_URL": url, "HOME": str(cwd), **env}
    return subprocess.run(
        [sys.executable, "-m", "intacct_sdk.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        env=subprocess_env(**{k: v for k, v in environment.items() if v is not None}),
        timeout=120,
        check=False,
    )


def cli_examples() -> list[str]:
    """The concrete ``intacct ...`` lines of cli.md's console blocks (not the synopsis)."""
    lines = []
    for block in code_blocks("cli.md"):
        if block.lang == "console" and block.skip is None:
            lines += [
                ln
                for ln in block.code.splitlines()
                if re.match(r"^(.*\| )?intacct ", ln) and "[" not in ln
            ]
    return lines


def count_via_query(url: str, obj: str, where: Any = None) -> int:
    """How many records the emulator holds, asked through ``query`` (not the CLI's readByQuery)."""
    from intacct_sdk import Client, Credentials

    with Client(Credentials.from_env({**DEMO_ENV, "INTACCT_ENDPOINT_URL": url})) as client:
        return sum(1 for _ in client.query(obj, ["RECORDNO"], where=where))


def test_cli_page_has_examples() -> None:
    commands = {shlex.split(e.split("| ")[-1])[1] for e in cli_examples()}
    assert commands == {"query", "lookup", "call"}


@pytest.mark.slow
@pytest.mark.parametrize("command", cli_examples())
def test_cli_examples_run(command: str, emulator_url: str, tmp_path: Path) -> None:
    stdin = None
    if "| " in command:
        feed, command = command.split("| ")
        stdin = shlex.split(feed)[1] + "\n"
    argv = shlex.split(command)[1:]
    if ">" in argv:  # the shell's redirection: the output is what the command prints
        argv = argv[: argv.index(">")]
    if argv[0] == "call" and argv[1] != "-":
        xml = next(b for b in code_blocks("cli.md") if b.lang == "xml")
        (tmp_path / argv[1]).write_text(xml.code, "utf-8")
    done = intacct(argv, emulator_url, tmp_path, stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    output = done.stdout
    if argv[0] == "query":
        check_query_output(argv, output, emulator_url)
    elif argv[0] == "lookup":
        assert "BEGINDATE" in json.dumps(json.loads(output))
    else:
        assert json.loads(output)


def check_query_output(argv: list[str], output: str, url: str) -> None:
    from intacct_sdk import F

    obj = argv[1]
    fmt = argv[argv.index("--format") + 1] if "--format" in argv else "json"
    fields = argv[argv.index("--fields") + 1].split(",") if "--fields" in argv else None
    where = {
        "STATUS = 'T'": F("STATUS") == "active",
        "STATE = 'S'": F("STATE") == "Submitted",
        None: None,
    }[argv[argv.index("--where") + 1] if "--where" in argv else None]
    expected = count_via_query(url, obj, where)
    if fmt == "json":
        records = json.loads(output)
        assert len(records) == expected
        if fields:
            assert all(list(r) == fields for r in records)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(output)))
        assert len(rows) == expected + 1
        assert "RECORDNO" in rows[0]
    else:
        last = output.splitlines()[-1]
        assert last == (f"({expected} records)" if expected else "(no records)")


@pytest.mark.slow
def test_emulator_command_help(emulator_url: str, tmp_path: Path) -> None:
    done = intacct(["emulator", "--help"], emulator_url, tmp_path)
    assert done.returncode == 0
    assert "--faults" in done.stdout
    # The page sends readers to --help: it names the demo credentials, as plain text.
    assert "user demo-user / demo-user-password" in done.stdout
    assert "``" not in done.stdout


# -- the names the pages use exist, publicly -----------------------------------------------------

NAME_PAGES = [*PAGES, "design.md"]
# Names from elsewhere: the standard library, httpx, and the engine's parts (other pages).
FOREIGN = {
    "ZoneInfo",
    "ValueError",
    "ThreadingHTTPServer",
    "ReadTimeout",
    "RemoteProtocolError",
    "StateStore",
    "RunReport",
    "MappingSpec",
    "LocalSystem",
}
LOGGERS = {"intacct_sdk.wire", "intacct_sdk.client", "intacct_sdk._session", "intacct_sdk.parse"}


def public_namespaces() -> dict[str, Any]:
    import intacct_sdk
    import intacct_sdk.functions
    import intacct_sdk.query
    import intacct_sdk.testing
    import intacct_sdk.testing.cassettes

    spaces = {}
    for module in (
        intacct_sdk,
        intacct_sdk.functions,
        intacct_sdk.query,
        intacct_sdk.testing,
        intacct_sdk.testing.cassettes,
    ):
        spaces.update({name: getattr(module, name) for name in module.__all__})
    return spaces


def resolve(dotted: str) -> Any:
    """Import ``a.b.c`` as far as a module goes, then follow attributes."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize("page", NAME_PAGES)
def test_imports_in_examples_are_public(page: str) -> None:
    for block in python_blocks(page):
        for module, names in re.findall(
            r"^from (intacct_sdk[\w.]*) import ([^\n(]+)$", block.code, re.M
        ):
            exported = resolve(module).__all__
            for name in (n.strip() for n in names.split(",")):
                assert name in exported, f"docs/{page}:{block.line}: {module}.{name} is not public"


@pytest.mark.parametrize("page", NAME_PAGES)
def test_names_in_prose_exist_and_are_public(page: str) -> None:
    import logging

    import intacct_sdk  # noqa: F401 - creates the library's loggers

    text = (DOCS / page).read_text("utf-8")
    spans = re.findall(r"`([^`\n]+)`", text)
    spaces = public_namespaces()
    for span in spans:
        for dotted in re.findall(r"\bintacct_sdk(?:\.\w+)+", span):
            if dotted in LOGGERS:
                assert dotted in logging.Logger.manager.loggerDict, dotted
                continue
            assert not any(p.startswith("_") for p in dotted.split(".")), (
                f"docs/{page} points readers at a private name: {dotted}"
            )
            resolve(dotted)
        for name in re.findall(r"\b[A-Z][a-z]+[A-Z]\w*\b", span):
            if name not in FOREIGN:
                assert name in spaces, f"docs/{page}: {name} is not a public name"


def test_design_client_surface_exists() -> None:
    from intacct_sdk import AsyncClient, Client, Result
    from intacct_sdk.testing import Emulator

    block = next(
        b for b in python_blocks("design.md") if "class" not in b.code and "client." in b.code
    )
    methods = set(re.findall(r"\bclient\.(\w+)\(", block.code))
    assert len(methods) >= 12
    for name in methods:
        assert callable(getattr(Client, name)), name
        assert callable(getattr(AsyncClient, name)), name
    emulator = next(b for b in python_blocks("design.md") if "emu." in b.code)
    for name in re.findall(r"\bemu\.(\w+)", emulator.code):
        assert hasattr(Emulator, name) or name in Emulator.__init__.__code__.co_names, name
    text = (DOCS / "design.md").read_text("utf-8")
    for attribute in re.findall(r"`\.(\w+)(?:\(\))?`", text.split("`execute` returns", 1)[1][:200]):
        assert hasattr(Result, attribute), attribute


def test_records_page_claims_about_filters_and_query_strings() -> None:
    from intacct_sdk import ConfigurationError, F, and_, or_
    from intacct_sdk.query import query_string

    text = (DOCS / "records-and-values.md").read_text("utf-8")
    call, shown = re.search(r"`(query_string\([^`]+\))` gives `([^`]+)`", text).groups()  # type: ignore[union-attr]
    assert call == 'query_string("EMPLOYEEID = ?", "O\'Brien")'
    assert query_string("EMPLOYEEID = ?", "O'Brien") == shown
    single = F("STATE") == "Submitted"
    assert or_(single) == single
    assert and_(single) == single
    with pytest.raises(ConfigurationError):
        or_()
    with pytest.raises(ConfigurationError):
        F("EMPLOYEEID").in_([str(i) for i in range(1001)])
    assert hash(F("A") == 1) == hash(F("A") == 1)


def test_cassette_example_replays_without_the_gateway(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """cassettes.md: a recorded session replays unchanged, and holds no password or session."""
    block = python_blocks("cassettes.md")[0]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTACCT_PROFILE", raising=False)
    for key, value in DEMO_ENV.items():
        monkeypatch.setenv(key, value)
    with serve(Emulator(demo_company())) as server:
        monkeypatch.setenv("INTACCT_ENDPOINT_URL", server.url)
        recorded: dict[str, Any] = {}
        run_block(block, recorded)
    # The gateway is gone; the same code now plays the cassette back.
    replayed: dict[str, Any] = {}
    run_block(block, replayed)
    assert replayed["employees"] == recorded["employees"]
    assert len(recorded["employees"]) == 25
    cassette = (tmp_path / "tests" / "cassettes" / "employees.yaml").read_text("utf-8")
    for secret in (DEMO_CREDENTIALS.sender_password, DEMO_CREDENTIALS.user_password):
        assert secret not in cassette
    assert "REDACTED" in cassette
