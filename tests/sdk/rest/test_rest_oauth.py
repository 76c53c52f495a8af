"""OAuth for the REST client: both grants, rotation saved before use, one refresh at a time,
revoked grants, and secrets kept out of logs, reprs and errors."""

from __future__ import annotations

import logging
import subprocess
import sys
import urllib.parse
from typing import Any

import pytest
from tests.conftest import subprocess_env
from tests.sdk.rest._fake_rest import CLIENT_ID, CLIENT_SECRET, FakeRest

from intacct_sdk import AuthenticationError, RetryPolicy
from intacct_sdk.rest import (
    GrantRevokedError,
    MemoryTokenStore,
    OAuthError,
    RestClient,
    RestCredentials,
    RestOptions,
    TokenSet,
    authorization_url,
)

BASE = "https://api.example.test/ia/api/v1"
OPTS = RestOptions(base_url=BASE, retry=RetryPolicy(sleep=lambda s: None), prefetch=0)
REDIRECT = "https://vendor.example.test/callback"


def cc(username: str = "admin@ACME", secret: str = CLIENT_SECRET) -> RestCredentials:
    return RestCredentials(client_id=CLIENT_ID, client_secret=secret, username=username)


def code_creds() -> RestCredentials:
    return RestCredentials(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, connection="c1"
    )


def authorized(fake: FakeRest, store: MemoryTokenStore, user: str = "admin@ACME") -> RestClient:
    request = authorization_url(CLIENT_ID, REDIRECT, base_url=BASE)
    redirect = fake.authorize(request.url, user)
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect).query))
    assert params["state"] == request.state
    client = RestClient(code_creds(), store=store, options=OPTS, transport=fake.transport)
    client.exchange_code(params["code"], request.code_verifier)
    return client


class RecordingStore(MemoryTokenStore):
    def __init__(self) -> None:
        super().__init__()
        self.saved: list[TokenSet] = []

    def save(self, connection: str, tokens: TokenSet) -> None:
        self.saved.append(tokens)
        super().save(connection, tokens)


def test_client_credentials_token_is_fetched_once_and_saved() -> None:
    fake = FakeRest()
    fake.seed("company-config/employee", 3)
    store = MemoryTokenStore()
    with RestClient(
        cc("admin@ACME|US1"), store=store, options=OPTS, transport=fake.transport
    ) as rest:
        assert len(rest.query_page("company-config/employee", ["key"]).records) == 3
        rest.query_page("company-config/employee", ["key"])
        assert rest.stats.token_requests == 1
        assert rest.stats.requests == 3
    form = dict(urllib.parse.parse_qsl(fake.calls("/oauth2/token")[0].content.decode()))
    assert form["grant_type"] == "client_credentials"
    assert form["username"] == "admin@ACME|US1"
    saved = store.load("admin@ACME|US1")
    assert saved is not None and saved.access_token in fake.access
    api = fake.calls("/services/core/query")[0]
    assert api.headers["authorization"] == f"Bearer {saved.access_token}"


def test_unknown_user_and_bad_secret_are_authentication_errors_without_the_secret() -> None:
    fake = FakeRest()
    with (
        RestClient(cc("nobody@ACME"), options=OPTS, transport=fake.transport) as rest,
        pytest.raises(OAuthError) as unknown,
    ):
        rest.query_page("company-config/employee", ["key"])
    assert unknown.value.error == "invalid_grant"
    bad = "wrong-secret-123456"
    with (
        RestClient(cc(secret=bad), options=OPTS, transport=fake.transport) as rest,
        pytest.raises(AuthenticationError) as refused,
    ):
        rest.query_page("company-config/employee", ["key"])
    assert isinstance(refused.value, OAuthError) and refused.value.status_code == 401
    assert bad not in str(refused.value) and bad not in repr(refused.value.args)


def test_authorize_url_carries_pkce_s256_and_state() -> None:
    request = authorization_url(CLIENT_ID, REDIRECT, base_url=BASE, state="s-1")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))
    assert request.url.startswith(BASE + "/oauth2/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == "s-1" and query["redirect_uri"] == REDIRECT
    assert request.code_verifier not in request.url
    assert request.code_verifier not in repr(request)


def test_wrong_verifier_is_refused() -> None:
    fake = FakeRest()
    request = authorization_url(CLIENT_ID, REDIRECT, base_url=BASE)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fake.authorize(request.url)).query))[
        "code"
    ]
    with (
        RestClient(code_creds(), options=OPTS, transport=fake.transport) as rest,
        pytest.raises(OAuthError),
    ):
        rest.exchange_code(code, "not-the-verifier-" + "z" * 40)


def test_refresh_rotates_and_saves_the_new_tokens_before_using_them() -> None:
    fake = FakeRest()
    fake.seed("company-config/employee", 2)
    store = RecordingStore()
    rest = authorized(fake, store)
    with rest:
        first = store.load("c1")
        assert first is not None and first.refresh_token is not None
        rest.query_page("company-config/employee", ["key"])
        fake.expire_tokens()
        seen: list[str | None] = []

        def check(request: Any) -> None:
            if "query" in request.url.path:
                current = store.load("c1")
                seen.append(current.access_token if current else None)
                assert request.headers["authorization"] == f"Bearer {seen[-1]}"

        fake.faults.append(lambda r: check(r))  # checks every request, answers nothing
        rest.query_page("company-config/employee", ["key"])
        assert rest.stats.token_refreshes == 1
    second = store.load("c1")
    assert second is not None and second.refresh_token not in (None, first.refresh_token)
    assert first.refresh_token not in fake.refresh  # the old refresh token is dead
    assert len(store.saved) == 2
    # The old token met a 401; the retry carried the new one, already in the store.
    assert len(seen) == 2 and seen[-1] == second.access_token


def test_reauthorization_revokes_the_old_grant() -> None:
    fake = FakeRest()
    fake.seed("company-config/employee", 1)
    old = authorized(fake, MemoryTokenStore())
    new = authorized(fake, MemoryTokenStore())  # a new connection for the same user
    with old, new:
        fake.expire_tokens()
        with pytest.raises(GrantRevokedError) as revoked:
            old.query_page("company-config/employee", ["key"])
        assert revoked.value.error == "REST-2102"
        assert isinstance(revoked.value, AuthenticationError)
        assert len(new.query_page("company-config/employee", ["key"]).records) == 1


def test_no_tokens_for_an_authorization_code_connection_says_what_to_do() -> None:
    with (
        RestClient(code_creds(), options=OPTS, transport=FakeRest().transport) as rest,
        pytest.raises(OAuthError, match="exchange_code"),
    ):
        rest.query_page("company-config/employee", ["key"])


def test_secrets_never_reach_logs_reprs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeRest()
    fake.seed("company-config/employee", 2)
    store = MemoryTokenStore()
    caplog.set_level(logging.DEBUG, logger="intacct_sdk")
    request = authorization_url(CLIENT_ID, REDIRECT, base_url=BASE)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fake.authorize(request.url)).query))[
        "code"
    ]
    with RestClient(code_creds(), store=store, options=OPTS, transport=fake.transport) as rest:
        rest.exchange_code(code, request.code_verifier)
        rest.query_page("company-config/employee", ["key"])
        fake.expire_tokens()
        rest.query_page("company-config/employee", ["key"])
        session = rest.xml_session()
        fake.expire_tokens()
        fake.faults.append(
            lambda r: __import__("httpx").Response(
                401,
                json={
                    "ia::error": {
                        "code": "GW-0013",
                        "message": f"token {store.load('c1').access_token} expired",
                    }
                },  # type: ignore[union-attr]
            )
        )
        fake.faults.append(
            lambda r: (
                __import__("httpx").Response(
                    401,
                    json={
                        "ia::error": {
                            "code": "GW-0013",
                            "message": f"token {store.load('c1').access_token} expired",
                        }
                    },  # type: ignore[union-attr]
                )
                if "query" in r.url.path
                else None
            )
        )
        with pytest.raises(AuthenticationError) as rejected:
            rest.query_page("company-config/employee", ["key"])
        texts = [
            caplog.text,
            repr(rest),
            repr(store.load("c1")),
            repr(session),
            str(rejected.value),
        ]
        texts += [repr(rejected.value.args), repr(rest.credentials)]
    tokens = store.load("c1")
    assert tokens is not None
    secrets = [
        CLIENT_SECRET,
        code,
        request.code_verifier,
        tokens.access_token,
        tokens.refresh_token,
        session.session_id,
        *fake.access,
    ]
    assert "HTTP 200" in caplog.text  # the answers were logged, at DEBUG
    for secret in secrets:
        assert secret
        for text in texts:
            assert secret not in text, (secret, text[:200])


def test_importing_the_package_does_not_load_authlib() -> None:
    code = (
        "import sys, intacct_sdk, intacct_sdk.rest; "
        "assert not [m for m in sys.modules if m.startswith('authlib')], 'authlib loaded'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=subprocess_env())
