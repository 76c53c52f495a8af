"""vcrpy cassettes of gateway sessions hold no secret, and replay without the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from _fake_gateway import CREDS, SENDER, USER, FakeGateway

from intacct_sdk import Client, ClientOptions
from intacct_sdk.testing.cassettes import intacct_vcr

SSN = "987-65-4321"


def strings(node: Any) -> list[str]:
    """Every string in a loaded cassette, bytes decoded (bodies may be stored as !!binary)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in strings(k) + strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    if isinstance(node, bytes):
        return [node.decode("utf-8", errors="replace")]
    if isinstance(node, str):
        return [node]
    return []


def session(client: Client) -> list[Any]:
    out: list[Any] = [list(client.query("EMPLOYEE", ["RECORDNO", "EMPLOYEEID"], page_size=2))]
    out.append(client.create("EMPLOYEE", [{"EMPLOYEEID": "E9", "SSN": SSN}], control_id="c-1"))
    out.append(client.lookup("EMPLOYEE"))
    return out


def test_recorded_cassette_holds_no_secret_and_replays(tmp_path: Path) -> None:
    gw = FakeGateway({"EMPLOYEE": [{"RECORDNO": i, "EMPLOYEEID": f"E{i}"} for i in range(1, 4)]})
    recorder = intacct_vcr(tmp_path, record_mode="once")
    with (
        recorder.use_cassette("session.yaml"),
        Client(CREDS, transport=gw.transport()) as client,
    ):
        recorded = session(client)
    assert gw.requests == 5  # login, two query pages, create, lookup

    text = (tmp_path / "session.yaml").read_text()
    loaded = yaml.safe_load(text)
    assert len(loaded["interactions"]) == 5
    everything = [text, *strings(loaded)]
    secrets = [SENDER[1], USER[2], SSN, *gw.sessions]
    for blob in everything:
        for secret in secrets:
            assert secret not in blob
    assert any("<password>REDACTED</password>" in s for s in everything)
    assert any("<sessionid>REDACTED</sessionid>" in s for s in everything)

    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError("replay must not reach the transport")

    player = intacct_vcr(tmp_path, record_mode="none")
    with (
        player.use_cassette("session.yaml"),
        Client(CREDS, options=ClientOptions(), transport=httpx.MockTransport(no_network)) as client,
    ):
        replayed = session(client)
    assert replayed == recorded


def test_extra_secrets_and_url_session_ids(tmp_path: Path) -> None:
    from vcr.request import Request

    from intacct_sdk.testing.cassettes import scrub_request, scrub_response

    req = Request(
        "POST",
        "https://h/ia?sessionid=abcdef&x=1",
        b"<x><companyid>ACME-PRIVATE</companyid></x>",
        {"Authorization": "Bearer t", "User-Agent": "ua ACME-PRIVATE"},
    )
    r = scrub_request(req, ["ACME-PRIVATE"])
    assert b"ACME-PRIVATE" not in r.body
    assert "abcdef" not in r.uri
    assert "Authorization" not in r.headers
    assert "ACME-PRIVATE" not in r.headers["User-Agent"]
    resp = scrub_response(
        {"body": {"string": b"<sessionid>s</sessionid>"}, "headers": {"Set-Cookie": ["a"]}}
    )
    assert resp["body"]["string"] == b"<sessionid>REDACTED</sessionid>"
    assert "Set-Cookie" not in resp["headers"]


@pytest.mark.usefixtures("intacct_cassette")
def test_fixture_records_beside_the_module(request: pytest.FixtureRequest) -> None:
    cassette = request.getfixturevalue("intacct_cassette")
    assert Path(cassette._path).parent == Path(__file__).parent / "cassettes"
    assert cassette._path.endswith("test_fixture_records_beside_the_module.yaml")
