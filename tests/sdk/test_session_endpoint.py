"""The session endpoint a login answer names is followed only where credentials may go.

The login endpoint's own origin, or a host of ``session_endpoint_hosts`` (``*.intacct.com`` by
default); never plain http after an https login. A refused endpoint receives nothing: each
integration test runs a second server there and checks that it saw no request.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from _fake_gateway import CREDS, SENDER, USER, FakeGateway, LoopbackServer
from _hostile_server import HostileServer, whole
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import (
    AsyncClient,
    Client,
    ClientOptions,
    ConfigurationError,
    Credentials,
    RetryPolicy,
    UntrustedEndpointError,
)
from intacct_sdk._session import trusted_endpoint
from intacct_sdk.testing import DEMO_CREDENTIALS, Emulator

LOGIN = "https://api.intacct.com/ia/xml/xmlgw.phtml"
PATH = "/ia/xml/xmlgw.phtml"


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://api.intacct.com/ia/xml/xmlgw.phtml",  # the login's own origin
        "https://API.Intacct.com:443/other/path",  # the same origin, written otherwise
        "https://na12.intacct.com/ia/xml/xmlgw.phtml",  # Intacct's domain
        "https://a.b.intacct.com/x",
    ],
)
def test_accepted_session_endpoints(endpoint: str) -> None:
    assert trusted_endpoint(endpoint, LOGIN) == endpoint


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("http://na12.intacct.com/ia/xml/xmlgw.phtml", "downgrade"),
        ("http://api.intacct.com/ia/xml/xmlgw.phtml", "downgrade"),  # same host, plain http
        ("https://evil.example/ia/xml/xmlgw.phtml", "host"),
        ("https://intacct.com.evil.example/x", "host"),
        ("https://evilintacct.com/x", "host"),
        ("https://intacct.com/x", "host"),  # the bare domain is not under *.intacct.com
    ],
)
def test_refused_session_endpoints(endpoint: str, reason: str) -> None:
    with pytest.raises(UntrustedEndpointError) as info:
        trusted_endpoint(endpoint, LOGIN)
    assert info.value.reason == reason
    assert isinstance(info.value, ConfigurationError)
    message = str(info.value)
    assert "\n" not in message
    assert info.value.endpoint in message
    assert "nothing was sent to it" in message


def test_the_message_names_the_origin_never_the_path_or_query() -> None:
    with pytest.raises(UntrustedEndpointError) as info:
        trusted_endpoint("https://evil.example:8443/steal?sessionid=abc#x", LOGIN)
    assert info.value.endpoint == "https://evil.example:8443"
    assert "steal" not in str(info.value)
    assert "sessionid" not in str(info.value)
    assert "session_endpoint_hosts (*.intacct.com)" in str(info.value)


def test_an_http_login_may_move_to_https_but_not_to_another_port() -> None:
    login = "http://127.0.0.1:8080/ia/xml/xmlgw.phtml"
    assert trusted_endpoint("http://127.0.0.1:8080/x", login) == "http://127.0.0.1:8080/x"
    assert trusted_endpoint("https://na1.intacct.com/x", login) == "https://na1.intacct.com/x"
    with pytest.raises(UntrustedEndpointError, match=r"127\.0\.0\.1:9090"):
        trusted_endpoint("http://127.0.0.1:9090/x", login)


def test_hosts_of_the_allow_list() -> None:
    hosts = ("gw.example.test", "*.corp.example")
    assert trusted_endpoint("https://gw.example.test:8443/x", LOGIN, hosts)
    assert trusted_endpoint("https://a.corp.example/x", LOGIN, hosts)
    for refused in ("https://na1.intacct.com/x", "https://corp.example/x", "https://x.test/x"):
        with pytest.raises(UntrustedEndpointError):
            trusted_endpoint(refused, LOGIN, hosts)


LABEL = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)


@given(labels=st.lists(LABEL, min_size=1, max_size=4), tld=st.sampled_from(["com", "net", "io"]))
def test_no_host_outside_the_allowed_domain_is_accepted(labels: list[str], tld: str) -> None:
    host = ".".join([*labels, tld])
    endpoint = f"https://{host}/ia/xml/xmlgw.phtml"
    accepted = host.endswith(".intacct.com") or host == "api.intacct.com"
    if accepted:
        assert trusted_endpoint(endpoint, LOGIN) == endpoint
    else:
        with pytest.raises(UntrustedEndpointError):
            trusted_endpoint(endpoint, LOGIN)


# ---------------------------------------------------------------- the option


def test_session_endpoint_hosts_default_and_normalised() -> None:
    assert ClientOptions().session_endpoint_hosts == ("*.intacct.com",)
    assert ClientOptions(session_endpoint_hosts="GW.Example.Test").session_endpoint_hosts == (
        "gw.example.test",
    )
    assert ClientOptions(session_endpoint_hosts=[]).session_endpoint_hosts == ()


@pytest.mark.parametrize(
    "bad", ["https://gw.example.test", "gw.example.test/x", "*", "*.", "a..b", "-a.b", 42]
)
def test_session_endpoint_hosts_refuses_what_is_not_a_host(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="session_endpoint_hosts holds host names"):
        ClientOptions(session_endpoint_hosts=[bad])


def test_session_endpoint_hosts_that_is_not_a_list_is_refused_as_configuration() -> None:
    with pytest.raises(ConfigurationError, match="got 42"):
        ClientOptions(session_endpoint_hosts=42)  # type: ignore[arg-type]


def test_session_endpoint_hosts_is_not_a_per_call_option() -> None:
    with pytest.raises(ConfigurationError, match="not to one call"):
        ClientOptions().merge({"session_endpoint_hosts": ("x.test",)})  # type: ignore[typeddict-unknown-key]


# ---------------------------------------------------------------- end to end


def login_creds(url: str) -> Credentials:
    return Credentials(
        SENDER[0],
        SENDER[1],
        user_id=USER[0],
        company_id=USER[1],
        user_password=USER[2],
        endpoint_url=url,
    )


def opts(**kw: Any) -> ClientOptions:
    return ClientOptions(retry=RetryPolicy(jitter=0, sleep=lambda s: None), **kw)


def read(kind: str, credentials: Credentials, options: ClientOptions, **kw: Any) -> Any:
    """``read("EMPLOYEE", [1])`` with the sync or the async client, and where it went."""
    if kind == "sync":
        with Client(credentials, options=options, **kw) as client:
            return client.read("EMPLOYEE", [1]), client.session_endpoint

    async def main() -> Any:
        async with AsyncClient(credentials, options=options, **kw) as client:
            return await client.read("EMPLOYEE", [1]), client.session_endpoint

    return anyio.run(main)


KINDS = pytest.mark.parametrize("kind", ["sync", "async"])


def bystander() -> HostileServer:
    """A server where a hostile login answer sends the session: it must see nothing."""
    return HostileServer(whole(b"<response/>"), lifetime=20)


@KINDS
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_session_endpoint_on_another_origin_receives_nothing(kind: str, host: str) -> None:
    gateway = FakeGateway()
    with LoopbackServer(gateway) as login, bystander() as other:
        gateway.session_endpoint = f"http://{host}:{other.port}{PATH}"
        with pytest.raises(UntrustedEndpointError, match=f"http://{host}:{other.port}") as info:
            read(kind, login_creds(login.url), opts())
    assert info.value.reason == "host"
    assert gateway.functions("getAPISession") == 1  # the login, and nothing after it
    assert gateway.requests == 1
    assert other.received == []


class Router(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The login host answered by a fake gateway; every other URL over the network."""

    def __init__(self, gateway: FakeGateway) -> None:
        self.gateway = gateway

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "gw.example.test":
            return self.gateway.handle(request)
        with httpx.Client() as client:
            return client.send(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "gw.example.test":
            await request.aread()
            return self.gateway.handle(request)
        async with httpx.AsyncClient() as client:
            return await client.send(request)


@KINDS
def test_an_http_session_endpoint_after_an_https_login_receives_nothing(kind: str) -> None:
    gateway = FakeGateway()
    with bystander() as other:
        gateway.session_endpoint = other.url  # plain http on loopback
        options = opts(session_endpoint_hosts=("127.0.0.1",))  # allowed, but not downgraded to
        with pytest.raises(UntrustedEndpointError, match="plain http") as info:
            read(kind, CREDS, options, transport=Router(gateway))
    assert info.value.reason == "downgrade"
    assert gateway.requests == 1
    assert other.received == []


@KINDS
def test_a_host_of_the_allow_list_is_followed(kind: str) -> None:
    gateway = FakeGateway()
    with LoopbackServer(gateway) as login, LoopbackServer(gateway) as session:
        gateway.session_endpoint = session.url  # another port of 127.0.0.1
        _, where = read(kind, login_creds(login.url), opts(session_endpoint_hosts=["127.0.0.1"]))
    assert where == session.url
    assert [s.functions for s in gateway.seen] == [["getAPISession"], ["read"]]


@KINDS
def test_the_emulator_in_process_names_its_endpoint_over_the_clients_scheme(kind: str) -> None:
    emulator = Emulator()
    given = DEMO_CREDENTIALS
    credentials = Credentials(
        given.sender_id,
        given.sender_password,
        company_id=given.company_id,
        user_id=given.user_id,
        user_password=given.user_password,
        endpoint_url="https://emulator.test/ia/xml/xmlgw.phtml",
    )
    _, where = read(kind, credentials, opts(), transport=emulator.transport())
    assert where == "https://emulator.test/ia/xml/xmlgw.phtml"
