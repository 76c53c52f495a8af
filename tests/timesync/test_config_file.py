"""The sync config file: every key reaches the engine options; every problem is reported."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import subprocess_env
from intacct_sdk._config import ENV_VARS
from timesync.engine import EngineOptions, PushOptions, SyncConfig
from timesync.engine._config import IntacctSection
from timesync.errors import ConfigurationError

BASE = Path("/srv/sync")
SECRET = "hunter2-Sup3r-s3cret"

FULL = """
[intacct]
endpoint_url = "https://gateway.example/ia/xml/xmlgw.phtml"
profile = "acme"
profile_path = "creds.ini"
sender_id = "sender"
sender_password = "sender-pw"
company_id = "ACME"
entity_id = "E1"
client_id = "C1"
user_id = "sync"
user_password = "user-pw"
session_id = "sess"

[state]
path = "data/state.db"

[local]
reference = "data/app.db"
factory = "myapp.sync:local_system"

[engine]
lag_minutes = 7.5
reread_window_minutes = 180
reread_every_minutes = 30
page_size = 500
match_on = ["email", "id"]
pull = ["employee", "Project"]
push = ["timesheet", "EEXPENSES"]

[engine.import_selected]
employee = ["E100", "E101"]

[engine.writeback_field]
EMPLOYEE = "LOCAL_ID"

[push]
target_state = "Approved"
approved_by = "jdoe"
stamp_field = "MY_STAMP"
on_delete = "decline"
batch_size = 7

[mapping]
file = "mapping.toml"
"""


def _load(tmp_path: Path, text: str) -> SyncConfig:
    cfg = tmp_path / "sync.toml"
    cfg.write_text(text, encoding="utf-8")
    return SyncConfig.load(cfg)


def _problems(data: Any) -> tuple[str, ...]:
    with pytest.raises(ConfigurationError) as info:
        SyncConfig.from_dict(data, base=BASE)
    message = str(info.value)
    assert "\n" not in message
    for problem in info.value.problems:
        assert problem in message
    return info.value.problems


def test_every_key_reaches_the_options(tmp_path: Path) -> None:
    config = _load(tmp_path, FULL)
    assert config.base == tmp_path.resolve()
    assert config.state_path == tmp_path.resolve() / "data" / "state.db"
    assert config.mapping_file == tmp_path.resolve() / "mapping.toml"
    assert config.profile_path == tmp_path.resolve() / "creds.ini"
    assert config.local.reference == "data/app.db"
    assert config.local.factory == "myapp.sync:local_system"
    assert config.intacct.profile == "acme"
    assert config.intacct.credential_fields() == {
        "endpoint_url": "https://gateway.example/ia/xml/xmlgw.phtml",
        "sender_id": "sender",
        "sender_password": "sender-pw",
        "company_id": "ACME",
        "entity_id": "E1",
        "client_id": "C1",
        "user_id": "sync",
        "user_password": "user-pw",
        "session_id": "sess",
    }
    progress = print
    options = config.options(progress)
    assert options == EngineOptions(
        lag=timedelta(minutes=7, seconds=30),
        reread_window=timedelta(hours=3),
        reread_every=timedelta(minutes=30),
        page_size=500,
        match_on=("email", "id"),
        import_selected={"EMPLOYEE": frozenset({"E100", "E101"})},
        writeback_field={"EMPLOYEE": "LOCAL_ID"},
        push=PushOptions(
            target_state="Approved",
            approved_by="jdoe",
            stamp_field="MY_STAMP",
            on_delete="decline",
            batch_size=7,
        ),
        pull_objects=("EMPLOYEE", "PROJECT"),
        push_objects=("TIMESHEET", "EEXPENSES"),
    )
    assert options.progress is progress


def test_an_empty_file_gives_the_engine_defaults(tmp_path: Path) -> None:
    config = _load(tmp_path, "")
    assert config.options() == EngineOptions()
    assert config.state_path == tmp_path.resolve() / "timesync-state.db"
    assert config.mapping_file is None
    assert config.profile_path is None
    assert config.intacct.credential_fields() == {}


def test_absolute_paths_stay_absolute(tmp_path: Path) -> None:
    state = tmp_path / "elsewhere" / "state.db"
    config = SyncConfig.from_dict({"state": {"path": str(state)}}, base=BASE)
    assert config.state_path == state


def test_the_credential_keys_are_the_sdks() -> None:
    keys = {a.name for a in attrs.fields(IntacctSection)} - {"profile", "profile_path"}
    # besides the credentials, the client's own settings: the API user's zone and date
    # format, and the concurrency budget
    assert keys == set(ENV_VARS) | {"timezone", "date_format", "max_concurrent"}


def test_secrets_stay_out_of_the_repr(tmp_path: Path) -> None:
    config = _load(tmp_path, FULL)
    for secret in ("sender-pw", "user-pw", "sess"):
        assert secret not in repr(config)


def test_several_problems_are_all_reported_with_paths() -> None:
    problems = _problems(
        {
            "engine": {
                "page_size": "many",
                "match_on": ["id", "mail"],
                "lag_minutes": -1,
                "import_selected": {"EMPLOYEE": ["E1", 2]},
                "writeback_field": {"EMPLOYEE": 3},
                "pull": "EMPLOYEE",
                "push": ["TIMESHEET", "INVOICE"],
            },
            "push": {"target_state": "Submited", "on_delete": "drop", "batch_size": 0},
            "state": {"path": ""},
            "local": {"factory": "no_colon"},
        }
    )
    expected = {
        "engine.page_size": "expected an integer from 1 to 2000",
        "engine.match_on[1]": "must be one of intacct_key, id, email, name",
        "engine.lag_minutes": "0 or more",
        "engine.import_selected['EMPLOYEE'][1]": "expected a string",
        "engine.writeback_field['EMPLOYEE']": "expected a string",
        "engine.pull": "expected a list",
        "engine.push[1]": "must be one of TIMESHEET, EEXPENSES",
        "push.target_state": "must be one of Draft, Submitted, Approved",
        "push.on_delete": "must be one of delete, decline",
        "push.batch_size": "1 or more",
        "state.path": "expected a file path",
        "local.factory": "package.module:callable",
    }
    assert len(problems) == len(expected)
    for path, words in expected.items():
        assert any(p.startswith(f"{path}: ") and words in p for p in problems), (path, problems)


def test_unknown_sections_and_keys_are_refused_with_their_path() -> None:
    problems = _problems(
        {
            "nonsense": {},
            "push": {"targte_state": "Draft"},
            "engine": {"zzz": 1, "import_selected": {}},
            "intacct": {"sender_pasword": "x"},
        }
    )
    assert sorted(problems) == sorted(
        [
            "unknown config section [nonsense] "
            "(known: intacct, state, local, engine, push, mapping)",
            "unknown key push.targte_state (did you mean target_state?)",
            "unknown key engine.zzz (known: lag_minutes, reread_window_minutes, reread_every_minutes, page_size, match_on, pull, push, "
            "import_selected, writeback_field)",
            "unknown key intacct.sender_pasword (did you mean sender_password?)",
        ]
    )


def test_an_unknown_nested_table_is_an_unknown_key() -> None:
    assert _problems({"engine": {"import_selectd": {"EMPLOYEE": ["E1"]}}}) == (
        "unknown key engine.import_selectd (did you mean import_selected?)",
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"push": []}, "push: expected a table"),
        ({"engine": {"page_size": True}}, "engine.page_size: expected an integer from 1 to 2000"),
        ({"engine": {"page_size": 2001}}, "engine.page_size: expected an integer from 1 to 2000"),
        ({"engine": {"page_size": 2.0}}, "engine.page_size: expected an integer from 1 to 2000"),
        ({"engine": {"lag_minutes": "5"}}, "engine.lag_minutes: expected a number"),
        (
            {"engine": {"reread_every_minutes": float("inf")}},
            "engine.reread_every_minutes: expected",
        ),
        ({"engine": {"match_on": ["Email"]}}, "engine.match_on[0]: must be one of"),
        ({"engine": {"pull": [" "]}}, "engine.pull[0]: expected an Intacct object name"),
        ({"push": {"stamp_field": 5}}, "push.stamp_field: expected a string"),
        ({"mapping": {"file": ["a"]}}, "mapping.file: expected a file path"),
    ],
)
def test_one_wrong_value(data: dict[str, Any], expected: str) -> None:
    (problem,) = _problems(data)
    assert problem.startswith(expected), problem


def test_not_a_table_at_all() -> None:
    with pytest.raises(ConfigurationError, match="expected a table"):
        SyncConfig.from_dict([], base=BASE)  # type: ignore[arg-type]


def test_a_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read config"):
        SyncConfig.load(tmp_path / "absent.toml")
    with pytest.raises(ConfigurationError, match="cannot read config"):
        _load(tmp_path, "[push\n")


_SECRET_KEYS = ("sender_password", "user_password", "session_id")
_WRONG = st.sampled_from(["page_size", "match_on", "push", "pull", "lag_minutes"])


@given(
    # A marker no message contains, so a leaked value cannot hide among our own words.
    secret=st.text().map(lambda s: f"\u00a7pw{s}"),
    key=st.sampled_from(_SECRET_KEYS),
    wrong_engine_key=_WRONG,
)
def test_a_secret_never_reaches_an_error(secret: str, key: str, wrong_engine_key: str) -> None:
    misspelt = key.replace("password", "pasword").replace("session", "sesion")
    cases: list[dict[str, Any]] = [
        {"intacct": {misspelt: secret}},  # unknown key holding the secret
        {"intacct": {key: [secret]}},  # wrong type
        {"intacct": {key: {"nested": secret}}},
        {"intacct": {key: secret}, "engine": {wrong_engine_key: {"x": 1}}},
    ]
    for data in cases:
        with pytest.raises(ConfigurationError) as info:
            SyncConfig.from_dict(data, base=BASE)
        assert secret not in str(info.value)
        assert not any(secret in p for p in info.value.problems)
        assert repr(secret) not in repr(info.value)


def test_an_unknown_intacct_key_is_named_not_its_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        _load(tmp_path, f'[intacct]\nuser_pasword = "{SECRET}"\nsender_password = 12\n')
    assert SECRET not in str(info.value)
    assert "12" not in str(info.value).replace(str(tmp_path), "")
    assert "unknown key intacct.user_pasword (did you mean user_password?)" in info.value.problems
    assert "intacct.sender_password: expected a string" in info.value.problems


def test_the_stamp_field_reaches_the_specs_with_or_without_a_mapping_file(tmp_path: Path) -> None:
    (tmp_path / "mapping.toml").write_text("", encoding="utf-8")
    for extra in ("", '[mapping]\nfile = "mapping.toml"\n'):
        config = _load(tmp_path, f'[push]\nstamp_field = "MY_STAMP"\n{extra}')
        fields = config.specs()["TIMESHEET"].remote_fields()
        assert "MY_STAMP" in fields
        assert "TIMESYNC_ID" not in fields


def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        f'[intacct]\nuser_password = "{SECRET}"\nuser_pasword = "{SECRET}"\n'
        '[engine]\npage_size = "lots"\n[push]\ntargte_state = "Draft"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "timesync.cli", "sync", "--config", str(cfg)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert line.startswith(f"timesync: invalid config {cfg} (3 problems): ")
    assert "unknown key intacct.user_pasword (did you mean user_password?)" in line
    assert "engine.page_size: expected an integer from 1 to 2000" in line
    assert "unknown key push.targte_state (did you mean target_state?)" in line
    assert SECRET not in result.stderr


def test_the_documented_config_file_is_valid() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "timesync-cli.md"
    text = page.read_text(encoding="utf-8").split("```toml\n", 1)[1].split("```", 1)[0]
    config = SyncConfig.from_dict(tomllib.loads(text), base=BASE)
    assert config.options().push.target_state == "Submitted"
    assert config.mapping_file == BASE / "mapping.toml"


def test_the_client_settings_reach_the_engines_client(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from intacct_sdk.testing import Emulator
    from timesync.engine import open_engine

    emulator = Emulator()
    c = emulator.credentials
    config = _load(
        tmp_path,
        f'[intacct]\nsender_id = "{c.sender_id}"\nsender_password = "{c.sender_password}"\n'
        f'company_id = "{c.company_id}"\nuser_id = "{c.user_id}"\n'
        f'user_password = "{c.user_password}"\n'
        'timezone = "Europe/Paris"\ndate_format = "/dmY"\nmax_concurrent = 1\n',
    )
    with open_engine(config, environ={}, transport=emulator.transport()) as engine:
        options = engine.client.options
        assert options.timezone == ZoneInfo("Europe/Paris")
        assert options.date_format == "/dmY"
        assert options.max_concurrent == 1
        assert options.unique_id
    # from the environment when the file does not say
    bare = _load(tmp_path, "[state]\npath = 'state.db'\n")
    env = {
        "INTACCT_SENDER_ID": c.sender_id,
        "INTACCT_SENDER_PASSWORD": c.sender_password,
        "INTACCT_COMPANY_ID": c.company_id,
        "INTACCT_USER_ID": c.user_id,
        "INTACCT_USER_PASSWORD": c.user_password,
        "INTACCT_TIMEZONE": "discover",
    }
    with open_engine(bare, environ=env, transport=emulator.transport()) as engine:
        assert engine.client.options.timezone == "discover"


def test_a_no_change_run_of_a_config_engine_is_one_request(tmp_path: Path) -> None:
    """The engine a config opens logs in with its first request: a run with nothing to do
    (a new process, so a new client) is one HTTP request in all, not a login and a query."""
    from intacct_sdk.testing import Emulator
    from intacct_sdk.testing._seed import demo_company
    from timesync.engine import open_engine

    emulator = Emulator(demo_company(employees=12, projects=4, tasks_per_project=3))
    c = emulator.credentials
    config = _load(
        tmp_path,
        f'[intacct]\nsender_id = "{c.sender_id}"\nsender_password = "{c.sender_password}"\n'
        f'company_id = "{c.company_id}"\nuser_id = "{c.user_id}"\n'
        f'user_password = "{c.user_password}"\ntimezone = "UTC"\n'
        "[state]\npath = 'state.db'\n[local]\nreference = 'app.db'\n",
    )
    with open_engine(config, environ={}, transport=emulator.transport()) as engine:
        assert engine.client.options.login_with_first_request
        assert engine.run().ok
    start = emulator.stats.http_requests
    with open_engine(config, environ={}, transport=emulator.transport()) as engine:
        report = engine.run()
    assert report.ok
    assert all(rep.created == rep.updated == 0 for rep in report.objects.values())
    assert emulator.stats.http_requests - start == 1
    assert report.http_requests == 1


def test_approved_changes_takes_each_policy_and_names_them_when_wrong(tmp_path: Path) -> None:
    for policy in ("reverse", "conflict", "new_timesheet"):
        config = _load(tmp_path, f'[push]\napproved_changes = "{policy}"\n')
        assert config.options().push.approved_changes == policy
    with pytest.raises(ConfigurationError) as info:
        _load(tmp_path, '[push]\napproved_changes = "new_sheet"\n')
    assert any("new_timesheet" in p for p in info.value.problems), info.value.problems
