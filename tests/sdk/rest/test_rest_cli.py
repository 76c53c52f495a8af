"""``intacct --api rest query``: the query command over the REST API, against the emulator's
loopback server."""

from __future__ import annotations

import csv
import io
import json

import pytest

from intacct_sdk.cli import main
from intacct_sdk.testing import REST_CLIENT_ID, REST_CLIENT_SECRET, Emulator, demo_company


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("INTACCT_REST_URL", "INTACCT_ENTITY_ID", "INTACCT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTACCT_CLIENT_ID", REST_CLIENT_ID)
    monkeypatch.setenv("INTACCT_CLIENT_SECRET", REST_CLIENT_SECRET)
    monkeypatch.setenv("INTACCT_USER_ID", "demo-user")
    monkeypatch.setenv("INTACCT_COMPANY_ID", "DEMO")
    return monkeypatch


def test_rest_query_json_and_csv(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = Emulator(demo_company(employees=7, projects=1, customers=1))
    with emulator.serve() as server:
        env.setenv("INTACCT_ENDPOINT_URL", server.url)
        query = ["--api", "rest", "query", "company-config/employee", "--fields"]
        assert main([*query, "id,status", "--page-size", "3"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert main([*query, "id,audit.modifiedDateTime", "--format", "csv"]) == 0
        table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert sorted(r["id"] for r in rows) == [f"E{n:05}" for n in range(1, 8)]
    assert table[0] == ["id", "audit.modifiedDateTime"] and len(table) == 8
    assert all(row[1].endswith("Z") for row in table[1:])


def test_rest_query_names_what_is_missing(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.delenv("INTACCT_CLIENT_SECRET")
    assert main(["--api", "rest", "query", "company-config/employee", "--fields", "id"]) == 2
    assert "INTACCT_CLIENT_SECRET" in capsys.readouterr().err
    env.setenv("INTACCT_CLIENT_SECRET", "x" * 8)
    assert main(["--api", "rest", "query", "company-config/employee"]) == 2
    assert "--fields" in capsys.readouterr().err
