"""Credentials from arguments, environment and profiles; client options."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from intacct_sdk import ClientOptions, ConfigurationError, Credentials, RetryPolicy
from intacct_sdk._config import DEFAULT_ENDPOINT

OWN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

FULL_ENV = {
    "INTACCT_SENDER_ID": "envsender",
    "INTACCT_SENDER_PASSWORD": "envsenderpass",
    "INTACCT_COMPANY_ID": "envcompany",
    "INTACCT_USER_ID": "envuser",
    "INTACCT_USER_PASSWORD": "envuserpass",
}


@pytest.fixture
def ini() -> Path:
    return OWN_FIXTURES / "config" / "credentials.ini"


@pytest.fixture
def no_home_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in list(__import__("os").environ):
        if var.startswith("INTACCT_"):
            monkeypatch.delenv(var)
    return tmp_path


def test_arguments_only() -> None:
    c = Credentials("s", "sp", company_id="c", user_id="u", user_password="up")
    assert c.endpoint == DEFAULT_ENDPOINT
    assert not c.uses_session


def test_session_only_credentials() -> None:
    c = Credentials("s", "sp", session_id="sess123", endpoint_url="http://127.0.0.1:9/x")
    assert c.uses_session
    assert c.endpoint == "http://127.0.0.1:9/x"


@pytest.mark.parametrize(
    "missing", ["sender_id", "sender_password", "company_id", "user_id", "user_password"]
)
def test_missing_piece_names_the_key_not_values(missing: str) -> None:
    values = {
        "sender_id": "S-ID",
        "sender_password": "S-PASSWORD-VALUE",
        "company_id": "C-ID",
        "user_id": "U-ID",
        "user_password": "U-PASSWORD-VALUE",
    }
    values[missing] = ""
    with pytest.raises(ConfigurationError) as info:
        Credentials(**values)
    text = str(info.value)
    assert repr(missing) in text
    assert "PASSWORD-VALUE" not in text


def test_repr_and_str_hide_secrets() -> None:
    c = Credentials(
        "s",
        "sender-pw-123",
        company_id="c",
        user_id="u",
        user_password="user-pw-456",
        session_id="session-789",
    )
    for text in (repr(c), str(c), f"{c}"):
        assert "sender-pw-123" not in text
        assert "user-pw-456" not in text
        assert "session-789" not in text
        assert "sender_id='s'" in text


@pytest.mark.parametrize(
    "url", ["ftp://x.intacct.com/", "file:///etc/passwd", "api.intacct.com/x", "https://"]
)
def test_rejects_non_http_endpoints(url: str) -> None:
    with pytest.raises(ConfigurationError, match="endpoint_url"):
        Credentials("s", "sp", session_id="x", endpoint_url=url)


def test_any_host_is_accepted_for_the_emulator() -> None:
    c = Credentials(
        "s", "sp", session_id="x", endpoint_url="http://127.0.0.1:8765/ia/xml/xmlgw.phtml"
    )
    assert c.endpoint_url == "http://127.0.0.1:8765/ia/xml/xmlgw.phtml"


def test_from_env_reads_every_variable() -> None:
    env = {
        **FULL_ENV,
        "INTACCT_ENTITY_ID": "E1",
        "INTACCT_CLIENT_ID": "CL",
        "INTACCT_ENDPOINT_URL": "http://localhost:1/x",
        "INTACCT_SESSION_ID": "sid",
    }
    c = Credentials.from_env(env)
    assert (c.sender_id, c.company_id, c.user_id, c.entity_id, c.client_id) == (
        "envsender",
        "envcompany",
        "envuser",
        "E1",
        "CL",
    )
    assert c.endpoint_url == "http://localhost:1/x"
    assert c.session_id == "sid"
    assert not c.uses_session  # a password is there, so the session can be renewed


def test_from_env_missing_variable_named() -> None:
    env = dict(FULL_ENV)
    del env["INTACCT_USER_ID"]
    with pytest.raises(ConfigurationError, match="INTACCT_USER_ID"):
        Credentials.from_env(env)


def test_profile_default_section(ini: Path) -> None:
    c = Credentials.from_profile("default", ini)
    assert (c.sender_id, c.sender_password, c.company_id, c.user_id, c.user_password) == (
        "harbor-sender",
        "harbor-sender-secret",
        "harbor-works",
        "sync_bot",
        "sync-bot-secret",
    )
    assert c.endpoint == "https://harbor-works.example.invalid/ia/xml/xmlgw.phtml"


def test_profile_without_sender_fails_naming_key(ini: Path) -> None:
    with pytest.raises(ConfigurationError, match="'sender_id'"):
        Credentials.from_profile("no-sender", ini)


def test_profile_selected_by_env(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTACCT_PROFILE", "branch")
    c = Credentials.resolve(
        profile_path=ini, environ={"INTACCT_PROFILE": "branch"}, sender_id="a", sender_password="b"
    )
    assert c.entity_id == "east-coast"
    assert c.company_id == "harbor-works-sandbox"


def test_unknown_profile_and_missing_file(ini: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="'nope' not found"):
        Credentials.from_profile("nope", ini)
    with pytest.raises(ConfigurationError, match="not found"):
        Credentials.from_profile("default", tmp_path / "absent.ini")


def test_named_profile_in_another_file() -> None:
    path = OWN_FIXTURES / "config" / "sender-only.ini"
    c = Credentials.resolve(
        profile="warehouse",
        profile_path=path,
        environ={},
        company_id="c",
        user_id="u",
        user_password="p",
    )
    assert (c.sender_id, c.sender_password) == ("warehouse-sender", "warehouse-sender-secret")


def test_shared_reference_profile_files_read(reference_dir: Path) -> None:
    folder = reference_dir / "fixtures" / "intacct-sdk-net"
    c = Credentials.from_profile("default", folder / "default.ini")
    assert c.sender_id and c.company_id and c.user_id
    c = Credentials.resolve(
        profile="notdefault",
        profile_path=folder / "notdefault.ini",
        environ={},
        company_id="c",
        user_id="u",
        user_password="p",
    )
    assert c.sender_id and c.sender_password


def test_precedence_arguments_over_env_over_profile(ini: Path) -> None:
    env = {"INTACCT_COMPANY_ID": "envcompany", "INTACCT_USER_ID": "envuser"}
    c = Credentials.resolve(profile="default", profile_path=ini, environ=env, user_id="arguser")
    assert c.user_id == "arguser"  # argument wins
    assert c.company_id == "envcompany"  # env beats profile
    assert c.sender_id == "harbor-sender"  # profile fills the rest
    assert c.user_password == "sync-bot-secret"


def test_resolve_without_profile_file_uses_env(no_home_profile: Path) -> None:
    c = Credentials.resolve(environ=FULL_ENV)
    assert c.user_id == "envuser"


def test_resolve_reads_home_profile(no_home_profile: Path, ini: Path) -> None:
    target = no_home_profile / ".intacct"
    target.mkdir()
    (target / "credentials.ini").write_text(ini.read_text())
    c = Credentials.resolve(environ={})
    assert c.sender_id == "harbor-sender"
    with pytest.raises(ConfigurationError, match="'sender_id'"):
        Credentials.resolve(environ={"INTACCT_PROFILE": "no-sender"})


def test_named_profile_requires_file(no_home_profile: Path) -> None:
    with pytest.raises(ConfigurationError, match="credentials file not found"):
        Credentials.resolve(environ={**FULL_ENV, "INTACCT_PROFILE": "prod"})


def test_resolve_rejects_unknown_fields() -> None:
    with pytest.raises(ConfigurationError, match="passwrd"):
        Credentials.resolve(environ=FULL_ENV, passwrd="x")


def test_bad_ini_is_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.ini"
    path.write_text("no section header\nsender_id = x\n")
    with pytest.raises(ConfigurationError, match="not a valid INI"):
        Credentials.from_profile("default", path)


def test_options_merge_per_call() -> None:
    base = ClientOptions(timeout=10, unique_id=False)
    merged = base.merge({"unique_id": True, "timeout": 3.5})
    assert (merged.unique_id, merged.timeout) == (True, 3.5)
    assert (base.unique_id, base.timeout) == (False, 10)  # frozen: the default is untouched
    assert base.merge(None) is base
    assert merged.retry == base.retry


def test_options_validation() -> None:
    with pytest.raises(ConfigurationError):
        ClientOptions(timeout=0)
    with pytest.raises(ConfigurationError):
        ClientOptions(max_functions_per_request=0)
    with pytest.raises(ConfigurationError, match="bogus"):
        ClientOptions().merge({"bogus": 1})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(ConfigurationError):
        RetryPolicy(jitter=1.5)
    with pytest.raises(ConfigurationError):
        RetryPolicy(attempts=0)
    assert ClientOptions().session_ttl_margin == timedelta(minutes=2)


def test_every_missing_key_is_named_at_once() -> None:
    from intacct_sdk import MissingCredentialsError

    with pytest.raises(MissingCredentialsError) as caught:
        Credentials(sender_id="s", sender_password="", company_id="c", user_password=" ")
    assert caught.value.keys == ("sender_password", "user_id", "user_password")
    text = str(caught.value)
    for key in caught.value.keys:
        assert repr(key) in text
    assert "INTACCT_SENDER_PASSWORD" in text and "INTACCT_USER_ID" in text
    # with a session id only the sender is needed
    with pytest.raises(MissingCredentialsError) as caught:
        Credentials(sender_id="", sender_password="", session_id="x")
    assert caught.value.keys == ("sender_id", "sender_password")
