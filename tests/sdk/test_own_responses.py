"""Every response fixture of our own parses into the right result or error.

The files under ``tests/fixtures/responses`` carry one gateway answer shape each (login, entity
sessions, pages, legacy functions, partial failures, rolled-back transactions, top-level errors),
with values of their own. The list is discovered from the folder and each file must have an
entry here, so a new fixture fails until someone states what it should parse into.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from intacct_sdk import (
    AuthenticationError,
    FunctionError,
    IntacctError,
    Page,
    ServerError,
    SessionInfo,
    TransactionAbortedError,
    ValueTyping,
)
from intacct_sdk._parse import parse_response
from intacct_sdk._results import Response

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "responses"
PDT = timezone(timedelta(hours=-7))
PST = timezone(timedelta(hours=-8))


def _page(resp: Response, i: int = 0) -> Page:
    page = resp.results[i].page
    assert page is not None
    return page


def session_login(resp: Response) -> None:
    auth = resp.authentication
    assert auth is not None
    assert (auth.status, auth.user_id, auth.location_id) == ("success", "sync_bot", None)
    assert auth.session_timeout == datetime(2024, 3, 12, 8, 30, tzinfo=PDT)
    assert auth.session_timeout - auth.session_timestamp == timedelta(hours=24)  # type: ignore[operator]
    (res,) = resp.results
    assert res.ok and res.function == "getSession"
    assert isinstance(res.payload, SessionInfo)
    assert res.payload.session_id == "sEcReT-sEsSiOn-42.."
    assert res.payload.endpoint == "https://harbor-works.example.invalid/ia/xml/xmlgw.phtml"
    assert res.payload.location_id is None
    assert "sEcReT-sEsSiOn" not in repr(resp)


def session_entity(resp: Response) -> None:
    assert resp.authentication is not None
    assert resp.authentication.location_id == "east-coast"
    assert resp.results[0].payload.location_id == "east-coast"


def session_other_entity(resp: Response) -> None:
    assert resp.authentication is not None
    assert resp.authentication.location_id == "west-coast"
    info = resp.results[0].payload
    assert (info.session_id, info.location_id) == ("other-entity..", "north-region")


def api_session_no_timeout(resp: Response) -> None:
    assert (resp.control.control_id, resp.control.unique_id) == ("req-session", False)
    assert resp.control.dtd_version == "3.0"
    assert resp.authentication is not None
    assert resp.authentication.session_timestamp == datetime(2024, 1, 15, 6, 45, 10, tzinfo=PST)
    assert resp.authentication.session_timeout is None
    res = resp.results[0]
    assert (res.function, res.control_id, res.payload.session_id) == (
        "getAPISession",
        "fn-session",
        "plain-session..",
    )


def rolled_back(resp: Response) -> None:
    first, second = resp.results
    assert (first.status, second.status) == ("aborted", "failure")
    assert [e.errorno for e in first.errors] == ["XL03000009"]
    assert [e.errorno for e in second.errors] == ["Get API Session Failed", "XL03000009"]
    with pytest.raises(TransactionAbortedError) as aborted:
        first.raise_for_error()
    assert aborted.value.control_id == "step-a"
    with pytest.raises(FunctionError) as failed:
        second.raise_for_error()
    assert type(failed.value) is FunctionError
    assert failed.value.description2 == "The session could not be issued"
    assert len(failed.value.errors) == 2


def function_failure(resp: Response) -> None:
    (res,) = resp.results
    assert not res.ok
    assert res.error is not None and res.error.errorno == "Get API Session Failed"
    with pytest.raises(FunctionError) as info:
        res.raise_for_error()
    assert info.value.function == "getAPISession"
    assert "\n" not in str(info.value)


def single_page(resp: Response) -> None:
    page = _page(resp)
    assert (page.listtype, page.count, page.total_count, page.num_remaining) == (
        "project",
        1,
        1,
        0,
    )
    assert page.result_id is None  # resultId="" means no more pages
    assert page.records == [{"PROJECTID": "PRJ-77", "NAME": "Harbour Crane Refit"}]


def three_results(resp: Response) -> None:
    api, legacy, rbq = resp.results
    assert isinstance(api.payload, SessionInfo)
    legacy_page = _page(resp, 1)
    assert legacy.function == "get_list"
    assert (legacy_page.listtype, legacy_page.total_count, legacy_page.offset) == ("vendor", 1, 0)
    assert legacy_page.records[0]["recordno"] == "31"  # legacy names are not typed
    rec = _page(resp, 2).records[0]
    assert rec["RECORDNO"] == 31  # VENDOR.RECORDNO is INTEGER
    assert rec["ACHENABLED"] is True  # VENDOR.ACHENABLED is BOOLEAN
    assert rec["TAXID"] == "12-3456789"
    assert rbq.control_id == "t3"


def empty_page(resp: Response) -> None:
    page = _page(resp)
    assert page.records == []
    assert (page.listtype, page.count, page.total_count, page.num_remaining) == (
        "location",
        0,
        0,
        0,
    )
    assert not page.has_more


def query_unknown_object(resp: Response) -> None:
    (res,) = resp.results
    assert (res.status, res.page) == ("failure", None)
    assert res.errors[0].description2 == "Object definition NOSUCHTHING not found"


def legacy_key(resp: Response) -> None:
    (res,) = resp.results
    assert (res.function, res.page, res.payload) == ("create_department", None, "D-HARBOR")


def legacy_get_list(resp: Response) -> None:
    page = _page(resp)
    assert (page.listtype, page.count, page.total_count, page.offset) == ("department", 3, 3, 0)
    assert [r["key"] for r in page.records] == ["D-1", "D-2", "D-3"]
    assert page.records[0]["description"] is None  # <description/>


def more_pages(resp: Response) -> None:
    page = _page(resp)
    assert (page.count, page.total_count, page.num_remaining, page.result_id) == (
        1,
        3,
        2,
        "rs-harbor-0001",
    )
    assert page.has_more
    rec = page.records[0]
    assert rec["RECORDNO"] == 21
    assert rec["WHENMODIFIED"] == datetime(2023, 11, 3, 17, 41, 2)
    assert rec["WHENMODIFIED"].tzinfo is None
    assert rec["DESCRIPTION"] is None
    assert rec["PARENTKEY"] is None  # INTEGER, empty
    assert rec["CREATEDBY"] == 4
    assert list(rec)[:3] == ["RECORDNO", "CLASSID", "NAME"]


def read_by_key(resp: Response) -> None:
    page = _page(resp)
    assert (page.listtype, page.count, page.total_count, page.num_remaining) == (
        "PROJECT",
        1,
        None,
        None,
    )
    # PROJECTID is TEXT: its leading zeros stay
    assert page.records == [{"RECORDNO": 903, "PROJECTID": "0042", "STATUS": "inactive"}]


def status_aborted(resp: Response) -> None:
    (res,) = resp.results
    assert res.status == "aborted"
    with pytest.raises(TransactionAbortedError) as info:
        res.raise_for_error()
    assert info.value.errorno == "Query Failed"  # the specific error comes first


def create_two(resp: Response) -> None:
    page = _page(resp)
    assert page.listtype == "objects"
    assert page.records == [
        {"RECORDNO": 61, "DEPARTMENTID": "D-DOCK"},
        {"RECORDNO": 62, "DEPARTMENTID": "D-YARD"},
    ]


def create_duplicate(resp: Response) -> None:
    (res,) = resp.results
    assert res.status == "failure"
    assert _page(resp).records == []
    assert [e.errorno for e in res.errors] == ["BL34000061", "BL01001973", "BL01001973"]
    # runs of whitespace, newlines included, collapse to one space
    assert res.errors[0].description2 == "A Department with the value D-DOCK exists already"
    assert res.errors[0].correction == "Pick another value."
    with pytest.raises(FunctionError) as info:
        res.raise_for_error()
    assert type(info.value) is FunctionError  # a duplicate value, not a duplicate control id


def delete_missing(resp: Response) -> None:
    (res,) = resp.results
    assert res.errors[0].description2 == "Cannot find department with key 'D-GONE' to delete."


def delete_ok(resp: Response) -> None:
    (res,) = resp.results
    assert res.ok
    assert (res.page, res.payload, res.errors) == (None, None, ())
    res.raise_for_error()


def update_partial(resp: Response) -> None:
    (res,) = resp.results
    assert res.status == "failure"
    assert _page(resp).records == [{"RECORDNO": 61, "DEPARTMENTID": "D-DOCK"}]
    assert (
        res.errors[0].errorno == "Cannot update non-existing DEPARTMENT with DEPARTMENTID=D-NONE."
    )


def inspect_detail(resp: Response) -> None:
    (res,) = resp.results
    assert res.page is None
    definition = res.payload
    assert definition["Name"] == "PROJECT"
    assert definition["Attributes.SingularName"] == "Project"
    fields = definition["Fields"]
    assert isinstance(fields, list)
    assert fields[0]["Name"] == "RECORDNO"
    assert fields[0]["isRequired"] == "false"  # definitions are not typed
    assert [f["Name"] for f in fields] == ["RECORDNO", "PROJECTID", "NAME"]


def paging_first(resp: Response) -> None:
    page = _page(resp)
    assert (page.num_remaining, page.result_id) == (1, "rs-emp-77aa")
    assert page.records[0]["RECORDNO"] == 12


def paging_last(resp: Response) -> None:
    assert resp.results[0].function == "readMore"
    page = _page(resp)
    assert (page.num_remaining, page.result_id) == (0, "rs-emp-77aa")
    assert not page.has_more


def permissions_failure(resp: Response) -> None:
    err = resp.results[0].errors[0]
    assert (err.errorno, err.correction) == ("BL03000025", "Name the user by USER.LOGINID.")


def read_by_query_error(resp: Response) -> None:
    err = resp.results[0].errors[0]
    assert (err.errorno, err.description) == ("DL02000001", "Error")


def read_more_expired(resp: Response) -> None:
    assert resp.results[0].function == "readMore"
    assert "invalid or expired resultId" in resp.results[0].errors[0].description2


def read_accounts(resp: Response) -> None:
    page = _page(resp)
    assert (page.listtype, page.count) == ("GLACCOUNT", 2)
    assert [r["ACCOUNTNO"] for r in page.records] == ["4000", "0450"]  # TEXT stays str


def acknowledged(resp: Response) -> None:
    assert resp.acknowledged
    assert resp.authentication is None
    assert resp.results == ()
    assert resp.control.control_id == "async-9"


def raises(
    exc_type: type[IntacctError], errorno: str, text: str, *, status_code: int = 200
) -> Callable[[bytes], None]:
    def check(body: bytes) -> None:
        with pytest.raises(exc_type) as info:
            parse_response(body, status_code=status_code, content_type="text/xml")
        assert type(info.value) is exc_type
        assert info.value.errorno == errorno  # type: ignore[attr-defined]
        assert text in str(info.value)
        assert "\n" not in str(info.value)

    return check


EXPECTED: dict[str, Callable[[Response], None]] = {
    "acknowledgement.xml": acknowledged,
    "api_session_no_timeout.xml": api_session_no_timeout,
    "create_duplicate.xml": create_duplicate,
    "create_two.xml": create_two,
    "delete_missing.xml": delete_missing,
    "delete_ok.xml": delete_ok,
    "empty_page.xml": empty_page,
    "function_failure.xml": function_failure,
    "inspect_detail.xml": inspect_detail,
    "legacy_create_key.xml": legacy_key,
    "legacy_get_list.xml": legacy_get_list,
    "paging_first.xml": paging_first,
    "paging_last.xml": paging_last,
    "permissions_failure.xml": permissions_failure,
    "query_unknown_object.xml": query_unknown_object,
    "read_accounts.xml": read_accounts,
    "read_by_key.xml": read_by_key,
    "read_by_query_error.xml": read_by_query_error,
    "read_by_query_more_pages.xml": more_pages,
    "read_by_query_single.xml": single_page,
    "read_more_expired.xml": read_more_expired,
    "session_login.xml": session_login,
    "session_other_entity.xml": session_other_entity,
    "session_with_entity.xml": session_entity,
    "status_aborted.xml": status_aborted,
    "three_results.xml": three_results,
    "transaction_rolled_back.xml": rolled_back,
    "update_partial.xml": update_partial,
}

EXPECTED_ERRORS: dict[str, Callable[[bytes], None]] = {
    "error_control_policy.xml": raises(
        AuthenticationError, "XL03000006", "not a valid transport policy"
    ),
    "error_sign_in.xml": raises(AuthenticationError, "XL03000006", "Sign-in information"),
    "error_company_expired.xml": raises(ServerError, "PL04000055", "demo company has expired"),
    # served with HTTP 401 and an XML body: read like any answer
    "error_http_401.xml": raises(
        AuthenticationError, "XMLGW_JPP0002", "Sign-in information is incorrect", status_code=401
    ),
}

FILES = sorted(p.name for p in OWN.glob("*.xml"))


def test_every_own_fixture_has_an_expectation() -> None:
    assert FILES, "no response fixtures found"
    assert set(FILES) == set(EXPECTED) | set(EXPECTED_ERRORS)


@pytest.mark.parametrize("name", FILES)
def test_own_response_fixture(name: str) -> None:
    body = (OWN / name).read_bytes()
    if name in EXPECTED_ERRORS:
        EXPECTED_ERRORS[name](body)
        return
    resp = parse_response(body, content_type='text/xml; encoding="UTF-8"')
    assert resp.control.status == "success"
    EXPECTED[name](resp)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_own_untyped_keeps_strings(name: str) -> None:
    resp = parse_response((OWN / name).read_bytes(), typing=ValueTyping(typed=False))
    for res in resp.results:
        for rec in res.page.records if res.page else []:
            for value in rec.values():
                assert isinstance(value, str | list)


def test_own_aware_timestamps_with_company_timezone() -> None:
    body = (OWN / "read_by_query_more_pages.xml").read_bytes()
    rec = _page(parse_response(body, typing=ValueTyping(timezone=UTC))).records[0]
    assert rec["WHENCREATED"] == datetime(2023, 11, 2, 9, 5, 33, tzinfo=UTC)
    assert isinstance(rec["RECORDNO"], int)
