"""The errors a newcomer meets first: one clear line that says what to do, never a secret.

Each mistake is made twice, through the library (the exception's message) and through the
``intacct`` command (its one line on stderr and its exit code), against the emulator on a
loopback port: a wrong password, a wrong endpoint, an unknown object, a bad field, a bad
``--where``, a missing ``INTACCT_*`` variable.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import subprocess_env

from intacct_sdk import (
    AuthenticationError,
    Client,
    ClientOptions,
    ConfigurationError,
    Credentials,
    FunctionError,
    IntacctError,
    MalformedResponseError,
    RequestNotSentError,
    RetryPolicy,
)
from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator, demo_company, serve

WRONG = "wrong-password-4711"
SECRETS = (DEMO_CREDENTIALS.sender_password, DEMO_CREDENTIALS.user_password, WRONG)
ENV = {
    "INTACCT_SENDER_ID": DEMO_CREDENTIALS.sender_id,
    "INTACCT_SENDER_PASSWORD": DEMO_CREDENTIALS.sender_password,
    "INTACCT_COMPANY_ID": DEMO_CREDENTIALS.company_id,
    "INTACCT_USER_ID": DEMO_CREDENTIALS.user_id,
    "INTACCT_USER_PASSWORD": DEMO_CREDENTIALS.user_password,
}
FAST = ClientOptions(retry=RetryPolicy(attempts=2, initial_backoff=0.01, max_backoff=0.01))


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve(Emulator(demo_company(employees=3, projects=1, tasks_per_project=1))) as server:
        yield server.url


def closed_port_url() -> str:
    """A loopback URL nobody listens on (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ia/xml/xmlgw.phtml"


def creds(url: str, **changes: str) -> Credentials:
    env = {**ENV, "INTACCT_ENDPOINT_URL": url}
    env.update(changes)
    return Credentials.from_env(env)


def assert_clear(message: str) -> None:
    assert message
    assert "\n" not in message
    for secret in SECRETS:
        assert secret not in message


# -- through the library -------------------------------------------------------------------------


ACTIONS = {
    "query": ("EMPLOYEE", "", None),
    "unknown object": ("EMPLOYE", "", None),
    "bad field": ("EMPLOYEE", "", ["NOPE"]),
    "bad where": ("EMPLOYEE", "STATUS = ", None),
}


def failure(url: str, action: str, **env: str) -> IntacctError:
    obj, where, fields = ACTIONS[action]
    with Client(creds(url, **env), options=FAST) as client:
        records = client.read_by_query(obj, where, fields=fields)
        with pytest.raises(IntacctError) as info:
            list(records)
    assert_clear(str(info.value))
    assert_clear(repr(info.value))
    return info.value


def test_library_wrong_passwords_are_authentication_errors(url: str) -> None:
    user = failure(url, "query", INTACCT_USER_PASSWORD=WRONG)
    assert type(user) is AuthenticationError
    assert "XL03000006: Sign-in information is incorrect" in str(user)
    assert str(user).endswith(
        "; check the company id, user id and user password (and the entity id, if one is set)"
    )
    sender = failure(url, "query", INTACCT_SENDER_PASSWORD=WRONG)
    assert type(sender) is AuthenticationError
    assert "XL03000006: Incorrect Intacct XML Partner ID or password." in str(sender)
    assert str(sender).endswith(
        " Check the sender id and sender password, and that the sender is authorised in the "
        "company's Web Services settings."
    )


def test_library_connection_refused_names_the_host_and_port() -> None:
    target = closed_port_url()
    error = failure(target, "query")
    assert type(error) is RequestNotSentError
    port = target.split(":")[2].split("/")[0]
    assert f"127.0.0.1:{port}" in str(error)


def test_library_wrong_path_is_not_a_gateway(url: str) -> None:
    error = failure(url.removesuffix("/ia/xml/xmlgw.phtml") + "/", "query")
    assert type(error) is MalformedResponseError
    assert "the server answered HTML (status 404)" in str(error)
    assert error.status_code == 404


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("unknown object", "Object definition EMPLOYE not found"),
        ("bad field", "Invalid field NOPE for object EMPLOYEE"),
        ("bad where", "Invalid query"),
    ],
)
def test_library_function_errors_name_the_mistake(url: str, action: str, expected: str) -> None:
    error = failure(url, action)
    assert isinstance(error, FunctionError)
    assert expected in str(error)


def test_library_missing_variable_names_it_and_no_secret() -> None:
    env = dict(ENV)
    del env["INTACCT_USER_PASSWORD"]
    with pytest.raises(ConfigurationError) as info:
        Credentials.from_env(env)
    assert "INTACCT_USER_PASSWORD" in str(info.value)
    assert_clear(str(info.value))


def test_library_bad_endpoint_shows_what_an_endpoint_looks_like() -> None:
    with pytest.raises(ConfigurationError) as info:
        creds("localhost:8000")
    assert "https://api.intacct.com/ia/xml/xmlgw.phtml" in str(info.value)


def test_library_writes_nothing_to_stderr_without_logging_configured() -> None:
    # Retries log a WARNING; with no logging configured nothing may reach stderr (Python's
    # last-resort handler would print it otherwise).
    script = (
        "from intacct_sdk import *\n"
        f"c = Credentials.from_env({{**{ENV!r}, 'INTACCT_ENDPOINT_URL': {closed_port_url()!r}}})\n"
        "o = ClientOptions(retry=RetryPolicy(attempts=2, initial_backoff=0.01, max_backoff=0.01))\n"
        "with Client(c, options=o) as client:\n"
        "    try:\n"
        "        client.lookup('EMPLOYEE')\n"
        "    except RequestNotSentError:\n"
        "        print('raised')\n"
        "    assert client.stats.retries == 1\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "raised\n"
    assert done.stderr == ""


# -- through the ``intacct`` command -------------------------------------------------------------


def intacct(argv: list[str], tmp_path: Path, **env: str) -> tuple[int, str, str]:
    environment = {**ENV, "HOME": str(tmp_path), **env}
    environment = {k: v for k, v in environment.items() if v}
    done = subprocess.run(
        [sys.executable, "-m", "intacct_sdk.cli", *argv],
        capture_output=True,
        text=True,
        env=subprocess_env(**environment),
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def one_line(stderr: str) -> str:
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("intacct: ")
    assert_clear(stderr.strip())
    return stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "env", "code", "expected"),
    [
        (
            ["query", "EMPLOYEE"],
            {"INTACCT_USER_PASSWORD": WRONG},
            1,
            [
                "AuthenticationError",
                "check the company id, user id and user password",
                "INTACCT_USER_PASSWORD",
            ],
        ),
        (
            ["query", "EMPLOYEE"],
            {"INTACCT_SENDER_PASSWORD": WRONG},
            1,
            ["AuthenticationError", "Check the sender id", "INTACCT_SENDER_PASSWORD"],
        ),
        (["query", "EMPLOYE"], {}, 1, ["FunctionError", "Object definition EMPLOYE not found"]),
        (["query", "EMPLOYEE", "--fields", "NOPE"], {}, 1, ["Invalid field NOPE"]),
        (["query", "EMPLOYEE", "--where", "STATUS = "], {}, 1, ["Invalid query"]),
        (["lookup", "EMPLOYE"], {}, 1, ["Object definition EMPLOYE not found"]),
        (
            ["query", "EMPLOYEE"],
            {"INTACCT_USER_PASSWORD": ""},
            2,
            ["configuration error", "INTACCT_USER_PASSWORD"],
        ),
        (["--endpoint", "localhost:8000", "query", "EMPLOYEE"], {}, 2, ["http(s) URL"]),
    ],
)
def test_cli_errors_are_one_line_with_a_way_out(
    url: str, tmp_path: Path, argv: list[str], env: dict[str, str], code: int, expected: list[str]
) -> None:
    returncode, out, err = intacct(argv, tmp_path, INTACCT_ENDPOINT_URL=url, **env)
    assert returncode == code
    assert out == "", "a failed query must not leave half a JSON array on stdout"
    line = one_line(err)
    for text in expected:
        assert text in line


@pytest.mark.slow
def test_cli_wrong_endpoint_says_to_check_it(url: str, tmp_path: Path) -> None:
    refused = closed_port_url()
    code, out, err = intacct(
        ["--retries", "0", "query", "EMPLOYEE"], tmp_path, INTACCT_ENDPOINT_URL=refused
    )
    assert (code, out) == (1, "")
    assert "RequestNotSentError" in one_line(err)
    assert "--endpoint or INTACCT_ENDPOINT_URL" in err
    # A retry is logged as a warning: without -v it must not reach the terminal either.
    code, _, err = intacct(["query", "EMPLOYEE"], tmp_path, INTACCT_ENDPOINT_URL=refused)
    assert code == 1
    one_line(err)
    wrong_path = url.removesuffix("/ia/xml/xmlgw.phtml") + "/"
    code, out, err = intacct(["query", "EMPLOYEE"], tmp_path, INTACCT_ENDPOINT_URL=wrong_path)
    assert (code, out) == (1, "")
    assert "is the XML gateway" in one_line(err)
