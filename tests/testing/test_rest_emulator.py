"""The REST emulator over plain httpx, in process and over the loopback server; every answer
is checked against the schema fragments (tests/fixtures/rest/schemas.json) by rest_helpers."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta

import attrs
import httpx
import pytest
from tests.testing.emu_helpers import Clock, envelope, fn
from tests.testing.rest_helpers import (
    CHECKED,
    authorize,
    bearer,
    client_token,
    code_grant,
    refresh,
    rest_client,
)

from intacct_sdk import Client, Credentials
from intacct_sdk.testing import Emulator, FaultPlan, MultiEmulator, demo_company

TS = "/objects/time/timesheet"


@pytest.fixture(params=["transport", "server"])
def over(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> Emulator:
    return Emulator(demo_company(employees=6, projects=2, customers=2), clock=clock)


@pytest.fixture
def api(emulator: Emulator, over: str) -> Iterator[httpx.Client]:
    with rest_client(emulator, over) as client:
        yield client


@pytest.fixture
def auth(api: httpx.Client) -> dict[str, str]:
    return bearer(client_token(api))


def _timesheet(employee: str = "E00001", begin: str = "2024-03-04", **extra: object) -> dict:
    return {
        "employee": {"id": employee},
        "beginDate": begin,
        "lines": [
            {"entryDate": begin, "quantity": 8, "timeType": {"id": "Salary"}},
            {"entryDate": begin, "quantity": 1.5, "timeType": {"id": "Salary"}, "notes": "n"},
        ],
        **extra,
    }


def _query(api: httpx.Client, auth: dict[str, str], **body: object) -> httpx.Response:
    return api.post("/services/core/query", headers=auth, json=body)


# -- OAuth -------------------------------------------------------------------------------------


def test_client_credentials_names_a_known_user_and_company(api: httpx.Client) -> None:
    token = client_token(api, "demo-user@demo")  # the company id is compared without case
    assert api.get(TS, headers=bearer(token)).status_code == 200
    for username in ("nobody@DEMO", "demo-user@OTHER", "demo-user@DEMO|NOPE", "demo-user"):
        r = api.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials", "username": username},
            auth=("emulator-client", "emulator-secret"),
        )
        assert r.status_code == 401, username
        assert r.json()["error"] == "invalid_grant"
    r = api.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "username": "demo-user@DEMO"},
        auth=("emulator-client", "wrong"),
    )
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")


def test_entity_scoped_token_and_entity_header(api: httpx.Client, emulator: Emulator) -> None:
    token = client_token(api, "demo-user@DEMO|L100")
    r = api.get("/services/core/session/id", headers=bearer(token))
    sid = r.json()["ia::result"]["sessionId"]
    assert emulator._sessions[sid].location_id == "L100"
    r = api.get(TS, headers=bearer(token, **{"X-IA-API-Param-Entity": "NOPE"}))
    assert r.status_code == 400


def test_bearer_missing_unknown_and_expired(
    api: httpx.Client, emulator: Emulator, clock: Clock
) -> None:
    assert api.get(TS).json()["ia::result"]["ia::error"]["code"] == "GW-0012"
    r = api.get(TS, headers=bearer("not-a-token"))
    assert (r.status_code, r.json()["ia::result"]["ia::error"]["code"]) == (401, "GW-0012")
    emulator.rest.token_ttl = timedelta(minutes=5)
    token = client_token(api)
    assert (
        api.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials", "username": "demo-user@DEMO"},
            auth=("emulator-client", "emulator-secret"),
        ).json()["expires_in"]
        == 300
    )
    assert api.get(TS, headers=bearer(token)).status_code == 200
    clock.advance(minutes=6)
    r = api.get(TS, headers=bearer(token))
    assert (r.status_code, r.json()["ia::result"]["ia::error"]["code"]) == (401, "GW-0013")


def test_authorization_code_with_pkce_and_rotating_refresh(api: httpx.Client) -> None:
    code, verifier = authorize(api)
    assert code_grant(api, code, "wrong-verifier").json()["error"] == "invalid_grant"
    code, verifier = authorize(api)
    r = code_grant(api, code, verifier)
    assert r.status_code == 200
    first = r.json()
    assert first["token_type"] == "Bearer" and "refresh_token" in first
    assert code_grant(api, code, verifier).status_code == 400  # a code is used once
    r = refresh(api, first["refresh_token"])
    second = r.json()
    assert r.status_code == 200 and second["refresh_token"] != first["refresh_token"]
    assert refresh(api, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert api.get(TS, headers=bearer(second["access_token"])).status_code == 200


def test_reauthorization_revokes_the_previous_grant(api: httpx.Client) -> None:
    code, verifier = authorize(api)
    old = code_grant(api, code, verifier).json()
    code, verifier = authorize(api)
    new = code_grant(api, code, verifier).json()
    r = refresh(api, old["refresh_token"])
    assert r.status_code == 401
    assert "REST-2102" in r.json()["error_description"]
    assert refresh(api, new["refresh_token"]).status_code == 200


def test_code_without_pkce(api: httpx.Client) -> None:
    code, _ = authorize(api, pkce=False)
    assert code_grant(api, code, None).status_code == 200


# -- query -------------------------------------------------------------------------------------


def test_query_fields_filters_order_and_pages(api: httpx.Client, auth: dict[str, str]) -> None:
    fields = ["key", "id", "status", "primaryContact.firstName", "audit.modifiedDateTime"]
    r = _query(
        api,
        auth,
        object="company-config/employee",
        fields=fields,
        orderBy=[{"audit.modifiedDateTime": "asc"}, {"key": "asc"}],
        size=4,
    )
    page = r.json()
    assert page["ia::meta"] == {
        "totalCount": 6,
        "start": 1,
        "pageSize": 4,
        "next": 5,
        "previous": None,
    }
    first = page["ia::result"][0]
    assert set(first) == {"key", "id", "status", "primaryContact", "audit"}
    assert first["audit"]["modifiedDateTime"].endswith("Z")
    stamps = [(x["audit"]["modifiedDateTime"], int(x["key"])) for x in page["ia::result"]]
    assert stamps == sorted(stamps)
    rest = _query(
        api,
        auth,
        object="company-config/employee",
        fields=fields,
        start=5,
        size=4,
        orderBy=[{"audit.modifiedDateTime": "asc"}, {"key": "asc"}],
    ).json()
    assert rest["ia::meta"]["next"] is None and rest["ia::meta"]["previous"] == 1
    assert len(rest["ia::result"]) == 2
    # keyset: strictly after the 4th row of the first page
    t, k = stamps[-1]
    after = _query(
        api,
        auth,
        object="company-config/employee",
        fields=["key"],
        filters=[
            {"$gt": {"audit.modifiedDateTime": t}},
            {"$eq": {"audit.modifiedDateTime": t}},
            {"$gt": {"key": str(k)}},
        ],
        filterExpression="1 or (2 and 3)",
        orderBy=[{"audit.modifiedDateTime": "asc"}, {"key": "asc"}],
    ).json()
    assert [x["key"] for x in after["ia::result"]] == [x["key"] for x in rest["ia::result"]]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"$eq": {"id": "E00002"}}, ["E00002"]),
        ({"$ne": {"id": "E00002"}}, ["E00001", "E00003", "E00004", "E00005", "E00006"]),
        ({"$in": {"id": ["E00003", "E00001"]}}, ["E00001", "E00003"]),
        ({"$notIn": {"id": ["E00001", "E00002", "E00003"]}}, ["E00004", "E00005", "E00006"]),
        ({"$between": {"id": ["E00002", "E00003"]}}, ["E00002", "E00003"]),
        ({"$notBetween": {"id": ["E00002", "E00005"]}}, ["E00001", "E00006"]),
        ({"$lt": {"id": "E00002"}}, ["E00001"]),
        ({"$gte": {"id": "E00006"}}, ["E00006"]),
        (
            {"$startsWith": {"id": "E0000"}},
            ["E00001", "E00002", "E00003", "E00004", "E00005", "E00006"],
        ),
        ({"$endsWith": {"id": "5"}}, ["E00005"]),
        ({"$contains": {"id": "004"}}, ["E00004"]),
        ({"$notContains": {"id": "00"}}, []),
    ],
)
def test_filter_operators(
    api: httpx.Client, auth: dict[str, str], flt: dict, expected: list[str]
) -> None:
    r = _query(
        api,
        auth,
        object="company-config/employee",
        fields=["id"],
        filters=[flt],
        orderBy=[{"id": "asc"}],
    )
    assert [x["id"] for x in r.json()["ia::result"]] == expected


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"object": "company-config/employee"}, "fields"),
        ({"object": "company-config/employee", "fields": ["*"]}, "fields"),
        ({"object": "company-config/employee", "fields": ["id", "shoeSize"]}, "shoeSize"),
        ({"object": "company-config/employee", "fields": ["id"], "size": 4001}, "size"),
        ({"object": "company-config/employee", "fields": ["id"], "start": 0}, "start"),
        (
            {
                "object": "company-config/employee",
                "fields": ["id"],
                "filters": [{"$eq": {"id": "x"}}],
                "filterExpression": "1 and 2",
            },
            "filterExpression",
        ),
    ],
)
def test_query_refusals_name_the_problem(
    api: httpx.Client, auth: dict[str, str], body: dict, target: str
) -> None:
    r = api.post("/services/core/query", headers=auth, json=body)
    assert r.status_code == 400
    err = r.json()["ia::result"]["ia::error"]
    assert err["details"][0]["target"] == target
    if target == "shoeSize":
        assert "shoeSize" in err["message"]


def test_query_pages_over_2000_rows(emulator: Emulator, api: httpx.Client) -> None:
    table = emulator.company
    table.bulk_insert("CLASS", ({"CLASSID": f"K{i:05}", "NAME": f"k{i}"} for i in range(2600)))
    auth = bearer(client_token(api))
    r = _query(
        api, auth, object="company-config/class", fields=["id"], size=4000, orderBy=[{"id": "asc"}]
    )
    page = r.json()
    assert page["ia::meta"]["totalCount"] == 2604
    assert len(page["ia::result"]) == 2604
    assert page["ia::meta"]["next"] is None


# -- one company over both APIs ------------------------------------------------------------------


def _xml_client(emulator: Emulator) -> Client:
    return Client(Credentials(**attrs.asdict(emulator.credentials)), transport=emulator.transport())


def test_a_record_written_over_one_api_is_read_over_the_other(
    emulator: Emulator, api: httpx.Client, auth: dict[str, str]
) -> None:
    r = api.post(TS, headers=auth, json=_timesheet(description="from REST"))
    assert r.status_code == 201
    key = r.json()["ia::result"]["key"]
    with _xml_client(emulator) as xml:
        rows = list(xml.query("TIMESHEET", ["RECORDNO", "DESCRIPTION", "EMPLOYEEID"]))
        assert [(str(x["RECORDNO"]), x["DESCRIPTION"]) for x in rows] == [(key, "from REST")]
        xml.create("DEPARTMENT", {"DEPARTMENTID": "XOPS", "TITLE": "Cross"})
    r = _query(
        api,
        auth,
        object="company-config/department",
        fields=["id", "name"],
        filters=[{"$eq": {"id": "XOPS"}}],
    )
    assert r.json()["ia::result"] == [{"id": "XOPS", "name": "Cross"}]


# -- objects -----------------------------------------------------------------------------------


def test_get_post_patch_delete_a_timesheet(api: httpx.Client, auth: dict[str, str]) -> None:
    key = api.post(TS, headers=auth, json=_timesheet()).json()["ia::result"]["key"]
    got = api.get(f"{TS}/{key}", headers=auth).json()["ia::result"]
    assert got["state"] == "draft" and got["endDate"] == "2024-03-10"
    assert [line["quantity"] for line in got["lines"]] == [8, 1.5]
    keep, drop = got["lines"][0]["key"], got["lines"][1]["key"]
    r = api.patch(
        f"{TS}/{key}",
        headers=auth,
        json={
            "description": "changed",
            "lines": [
                {"key": keep, "quantity": 6},
                {"key": drop, "ia::operation": "delete"},
                {"entryDate": "2024-03-05", "quantity": 2, "timeType": {"id": "Salary"}},
            ],
        },
    )
    assert r.status_code == 200
    got = api.get(f"{TS}/{key}", headers=auth).json()["ia::result"]
    assert got["description"] == "changed"
    assert [(x["key"] == keep, x["quantity"]) for x in got["lines"]] == [(True, 6), (False, 2)]
    assert all(x["key"] != drop for x in got["lines"])
    assert api.delete(f"{TS}/{key}", headers=auth).status_code == 204
    r = api.get(f"{TS}/{key}", headers=auth)
    assert r.status_code == 404


def test_write_rules_answer_as_ia_errors(api: httpx.Client, auth: dict[str, str]) -> None:
    r = api.post(TS, headers=auth, json={"beginDate": "2024-03-04", "lines": []})
    assert r.status_code == 400
    assert "EMPLOYEEID is required" in str(r.json())
    r = api.post(TS, headers=auth, json=_timesheet(shoeSize=3))
    assert r.status_code == 400 and "shoeSize" in r.json()["ia::result"]["ia::error"]["message"]
    key = api.post(TS, headers=auth, json=_timesheet()).json()["ia::result"]["key"]
    r = api.patch(f"{TS}/{key}", headers=auth, json={"lines": [{"key": "999999", "quantity": 1}]})
    assert r.status_code == 400
    assert api.patch(f"{TS}/424242", headers=auth, json={}).status_code == 404


def test_batch_answers_207_per_item(api: httpx.Client, auth: dict[str, str]) -> None:
    body = [_timesheet("E00002"), {"beginDate": "2024-03-04"}, _timesheet("E00003")]
    r = api.post(TS, headers=auth, json=body)
    assert r.status_code == 207
    items = r.json()["ia::result"]
    assert "key" in items[0] and "ia::error" in items[1] and "key" in items[2]
    assert r.json()["ia::meta"] == {"totalCount": 3, "totalSuccess": 2, "totalError": 1}
    assert len(api.get(TS, headers=auth).json()["ia::result"]) == 2


def test_transaction_batch_writes_nothing_when_one_fails(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    body = [_timesheet("E00002"), {"beginDate": "2024-03-04"}]
    r = api.post(TS, headers={**auth, "X-IA-API-Param-Transaction": "true"}, json=body)
    assert r.status_code == 207
    assert r.json()["ia::meta"]["totalSuccess"] == 0
    assert "ia::error" in r.json()["ia::result"][1]
    assert api.get(TS, headers=auth).json()["ia::meta"]["totalCount"] == 0
    assert api.post(TS, headers=auth, json=[{}] * 501).status_code == 400


# -- idempotency, throttling, envelopes, faults -----------------------------------------------------


def test_idempotency_key_replays_and_conflicts(
    api: httpx.Client, auth: dict[str, str], clock: Clock
) -> None:
    h = {**auth, "Idempotency-Key": "ts-1-v1-create"}
    first = api.post(TS, headers=h, json=_timesheet())
    again = api.post(TS, headers=h, json=_timesheet())
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["Idempotency-Replayed"] == "true"
    assert api.get(TS, headers=auth).json()["ia::meta"]["totalCount"] == 1
    r = api.post(TS, headers=h, json=_timesheet(description="other"))
    assert r.status_code == 409
    clock.advance(hours=49)
    auth2 = bearer(client_token(api))
    r = api.post(
        TS, headers={**auth2, "Idempotency-Key": "ts-1-v1-create"}, json=_timesheet("E00002")
    )
    assert r.status_code == 201 and "Idempotency-Replayed" not in r.headers


def test_throttled_requests_answer_429_with_headers(
    emulator: Emulator, api: httpx.Client, auth: dict[str, str]
) -> None:
    emulator.concurrency_wait = 0
    limit = emulator.max_concurrent or 0
    for _ in range(limit):
        assert emulator._slots.enter(limit, 0)
    try:
        r = api.get(TS, headers=auth)
    finally:
        for _ in range(limit):
            emulator._slots.leave()
    assert r.status_code == 429
    assert r.json()["ia::result"]["ia::error"]["code"] == "GW-0010"
    assert r.headers["X-IA-Throttle-RetryAfter"] == "1"
    assert r.headers["X-IA-Throttle-Limit-Remaining"] == "0"
    assert r.headers["X-IA-Throttle-Limit"] == str(limit)


@pytest.mark.parametrize("shape", ["result", "top", "legacy"])
def test_error_envelopes(
    emulator: Emulator, api: httpx.Client, auth: dict[str, str], shape: str
) -> None:
    emulator.rest.error_envelope = shape  # type: ignore[assignment]
    body = api.get(f"{TS}/999", headers=auth).json()
    err = {
        "result": lambda b: b["ia::result"]["ia::error"],
        "top": lambda b: b["ia::error"],
        "legacy": lambda b: b["error"],
    }[shape](body)
    assert err["code"] == "notFound" and "999" in err["message"]


def test_faults_apply_to_rest_requests(emulator: Emulator, api: httpx.Client) -> None:
    auth = bearer(client_token(api))  # request 1
    emulator.faults = FaultPlan.parse("function=query@2,lost@3")
    r = _query(api, auth, object="company-config/employee", fields=["id"])
    assert r.status_code == 500
    assert r.json()["ia::result"]["ia::error"]["code"] == "DL02000001"
    h = {**auth, "Idempotency-Key": "k-lost"}
    with pytest.raises(httpx.TransportError):
        api.post(TS, headers=h, json=_timesheet())
    r = api.post(TS, headers=h, json=_timesheet())  # the retry replays the committed write
    assert r.status_code == 201 and r.headers["Idempotency-Replayed"] == "true"
    assert api.get(TS, headers=auth).json()["ia::meta"]["totalCount"] == 1


def test_session_bridge_opens_an_xml_session(
    emulator: Emulator, api: httpx.Client, auth: dict[str, str]
) -> None:
    r = api.get("/services/core/session/id", headers=auth)
    result = r.json()["ia::result"]
    assert result["endpoint"].endswith("/ia/xml/xmlgw.phtml")
    sid = result["sessionId"]
    answer = emulator.handle(
        envelope(
            fn(
                "<query><object>EMPLOYEE</object><select><field>EMPLOYEEID</field></select></query>"
            ),
            auth=f"<sessionid>{sid}</sessionid>",
        )
    )
    root = ET.fromstring(answer.body)
    assert root.findtext("operation/result/status") == "success"
    assert root.findtext("operation/authentication/userid") == "demo-user"


def test_secrets_stay_out_of_reprs_and_logs(
    emulator: Emulator, api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="intacct_sdk")
    code, verifier = authorize(api)
    tokens = code_grant(api, code, verifier).json()
    auth = bearer(tokens["access_token"])
    sid = api.get("/services/core/session/id", headers=auth).json()["ia::result"]["sessionId"]
    api.post(TS, headers=auth, json=_timesheet())
    secrets_ = [
        tokens["access_token"],
        tokens["refresh_token"],
        code,
        verifier or "",
        sid,
        "emulator-secret",
    ]
    logged = "".join(r.getMessage() for r in caplog.records if r.name.startswith("intacct_sdk"))
    assert "oauth2/token" in logged or "core/session" in logged or not logged
    shown = repr(emulator) + repr(emulator.rest) + repr(emulator.rest.oauth) + logged
    shown += "".join(repr(g) for g in emulator.rest.oauth._access.values())
    for s in secrets_:
        assert s not in shown


def test_multi_emulator_routes_rest_by_token(over: str) -> None:
    multi = MultiEmulator.seeded(2, employees=2, projects=1)
    with rest_client(multi, over) as api:  # type: ignore[arg-type]
        t1 = client_token(api, f"{multi.get('C0001').credentials.user_id}@C0001")
        t2 = client_token(api, f"{multi.get('C0002').credentials.user_id}@C0002")
        api.post(TS, headers=bearer(t2), json=_timesheet("E00001"))
        assert api.get(TS, headers=bearer(t1)).json()["ia::meta"]["totalCount"] == 0
        assert api.get(TS, headers=bearer(t2)).json()["ia::meta"]["totalCount"] == 1
        assert api.get(TS, headers=bearer("unknown")).status_code == 401


def test_every_answer_was_checked_against_a_schema() -> None:
    assert {"token", "query", "reference", "batch", "error-result", "session-id"} <= set(CHECKED)


def test_keyset_pages_are_served_from_the_order_index(
    api: httpx.Client, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from intacct_sdk.testing import _functions

    served: list[bool] = []
    real = _functions.keyset_page

    def spy(*args: object, **kw: object) -> object:
        out = real(*args, **kw)  # type: ignore[arg-type]
        served.append(out is not None)
        return out

    monkeypatch.setattr(_functions, "keyset_page", spy)
    order = [{"audit.modifiedDateTime": "asc"}, {"key": "asc"}]
    t = "2000-01-01T00:00:00Z"
    r = _query(
        api,
        auth,
        object="company-config/employee",
        fields=["key"],
        orderBy=order,
        filters=[
            {"$gt": {"audit.modifiedDateTime": t}},
            {"$eq": {"audit.modifiedDateTime": t}},
            {"$gt": {"key": "0"}},
        ],
        filterExpression="1 or (2 and 3)",
    )
    assert r.json()["ia::meta"]["totalCount"] == 6
    assert served == [True]


def test_each_page_reruns_the_query(
    emulator: Emulator, api: httpx.Client, auth: dict[str, str]
) -> None:
    body = {
        "object": "company-config/class",
        "fields": ["id"],
        "orderBy": [{"id": "asc"}],
        "size": 2,
    }
    first = _query(api, auth, **body).json()["ia::result"]
    emulator.company.insert("CLASS", {"CLASSID": "AAA", "NAME": "first"})
    second = _query(api, auth, **body, start=3).json()["ia::result"]
    assert first[-1] == second[0]  # the insert shifted the rows: one is seen twice


def test_every_mapped_object_and_field_can_be_queried(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    from intacct_sdk.rest.names import REST_OBJECTS

    api.post(TS, headers=auth, json=_timesheet())
    for o in REST_OBJECTS.values():
        r = _query(api, auth, object=o.path, fields=list(o.fields.values()), size=3)
        assert r.status_code == 200, (o.path, r.text)
        for row in r.json()["ia::result"]:
            assert row["key"].isdigit()


def test_a_429_fault_answers_the_rest_throttle_shape(
    emulator: Emulator, api: httpx.Client, auth: dict[str, str]
) -> None:
    emulator.faults = FaultPlan.parse("http429=3@2")
    r = api.get(TS, headers=auth)
    assert r.status_code == 429
    assert r.headers["X-IA-Throttle-RetryAfter"] == "3"
    assert r.json()["ia::result"]["ia::error"]["code"] == "GW-0010"


def test_concurrent_requests_with_one_key_write_once(emulator: Emulator, over: str) -> None:
    import threading

    with rest_client(emulator, over) as api:
        auth = bearer(client_token(api))
        h = {**auth, "Idempotency-Key": "same"}
        answers: list[int] = []
        start = threading.Barrier(4)

        def post() -> None:
            start.wait()
            answers.append(api.post(TS, headers=h, json=_timesheet()).status_code)

        threads = [threading.Thread(target=post) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(answers) <= {201, 409} and 201 in answers
        assert api.get(TS, headers=auth).json()["ia::meta"]["totalCount"] == 1


async def _async_query(emulator: Emulator) -> int:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="https://api.intacct.com/ia/api/v1"
    ) as api:
        form = {"grant_type": "client_credentials", "username": "demo-user@DEMO"}
        token = (
            await api.post("/oauth2/token", data=form, auth=("emulator-client", "emulator-secret"))
        ).json()["access_token"]
        r = await api.post(
            "/services/core/query",
            headers=bearer(token),
            json={"object": "company-config/employee", "fields": ["id"], "start": 2},
        )
        return int(r.json()["ia::meta"]["start"])


def test_the_async_transport_serves_rest(emulator: Emulator) -> None:
    import asyncio

    assert asyncio.run(_async_query(emulator)) == 2


def test_approval_through_the_bridge_then_rest_sees_it(
    emulator: Emulator, api: httpx.Client, auth: dict[str, str]
) -> None:
    r = api.post(TS, headers=auth, json=_timesheet(state="submitted"))
    key = r.json()["ia::result"]["key"]
    assert api.get(f"{TS}/{key}", headers=auth).json()["ia::result"]["state"] == "submitted"
    bridge = api.get("/services/core/session/id", headers=auth).json()["ia::result"]
    creds = Credentials(
        emulator.credentials.sender_id,
        emulator.credentials.sender_password,
        session_id=bridge["sessionId"],
        endpoint_url=bridge["endpoint"],
    )
    with Client(creds, transport=emulator.transport()) as xml:
        xml.approve("TIMESHEET", int(key), approved_by="boss")
    got = api.get(f"{TS}/{key}", headers=auth).json()["ia::result"]
    assert got["state"] == "approved"
    assert {line["state"] for line in got["lines"]} == {"approved"}
    line_key = got["lines"][0]["key"]
    r = api.patch(f"{TS}/{key}", headers=auth, json={"lines": [{"key": line_key, "quantity": 1}]})
    assert r.status_code == 400  # approved time is locked, as over XML


def test_case_insensitive_comparison(api: httpx.Client, auth: dict[str, str]) -> None:
    body = {
        "object": "company-config/employee",
        "fields": ["id"],
        "filters": [{"$eq": {"id": "e00002"}}],
    }
    assert _query(api, auth, **body).json()["ia::result"] == []
    found = _query(api, auth, **body, filterParameters={"caseSensitiveComparison": False})
    assert found.json()["ia::result"] == [{"id": "E00002"}]


def test_references_by_key_are_written_by_id(api: httpx.Client, auth: dict[str, str]) -> None:
    body = _timesheet()
    body["employee"] = {"key": "2"}
    body["lines"][0]["dimensions"] = {"project": {"key": "1"}}
    key = api.post(TS, headers=auth, json=body).json()["ia::result"]["key"]
    got = api.get(f"{TS}/{key}", headers=auth).json()["ia::result"]
    assert got["employee"] == {"id": "E00002", "key": "2"}
    assert got["lines"][0]["dimensions"]["project"] == {"id": "P00001", "key": "1"}
    body["employee"] = {"key": "999"}
    r = api.post(TS, headers=auth, json=body)
    assert r.status_code == 400 and "999" in r.json()["ia::result"]["ia::error"]["message"]


def test_get_of_every_mapped_object_holds_only_its_schema_properties(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    from intacct_sdk.rest.names import REST_OBJECTS

    api.post(TS, headers=auth, json=_timesheet())
    for o in REST_OBJECTS.values():
        refs = api.get(f"/objects/{o.path}", headers=auth).json()["ia::result"]
        if refs:
            r = api.get(refs[0]["href"], headers=auth)
            assert r.status_code == 200, o.path  # rest_helpers checks the properties
