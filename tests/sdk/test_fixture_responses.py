"""Every gateway response among the reference fixtures parses into the right result or error.

The list of files is discovered from the folder (any ``.xml`` whose root is ``<response>``),
and each must have an entry in ``EXPECTED``: a new fixture fails until someone states what
it should parse into.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import REFERENCE
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

FIXTURES = REFERENCE / "fixtures"

PDT = timezone(timedelta(hours=-7))
PST = timezone(timedelta(hours=-8))


def _response_files() -> list[str]:
    if not FIXTURES.is_dir():
        return []
    out = []
    for path in sorted(FIXTURES.rglob("*.xml")):
        if path.name == "api.xsd":
            continue
        if ET.parse(path).getroot().tag == "response":
            out.append(path.relative_to(FIXTURES).as_posix())
    return out


def _page(resp: Response, i: int = 0) -> Page:
    page = resp.results[i].page
    assert page is not None
    return page


# ---------------------------------------------------------------- expectations per file


def session_login(resp: Response) -> None:
    auth = resp.authentication
    assert auth is not None
    assert auth.status == "success"
    assert auth.user_id == "testuser"
    assert auth.location_id is None
    assert auth.session_timeout == datetime(2015, 12, 7, 15, 57, 8, tzinfo=PST)
    assert auth.session_timeout - auth.session_timestamp == timedelta(hours=24)  # type: ignore[operator]
    (res,) = resp.results
    assert res.ok
    assert res.function == "getSession"
    assert isinstance(res.payload, SessionInfo)
    assert res.payload.session_id == "fAkESesSiOnId.."
    assert res.payload.endpoint == "https://unittest.intacct.com/ia/xml/xmlgw.phtml"
    assert res.payload.location_id is None
    assert "fAkESesSiOnId" not in repr(resp)


def session_entity(resp: Response) -> None:
    assert resp.authentication is not None
    assert resp.authentication.location_id == "testentity"
    assert resp.results[0].payload.location_id == "testentity"


def session_switch(resp: Response) -> None:
    assert resp.authentication is not None
    assert resp.authentication.location_id == "entityA"
    info = resp.results[0].payload
    assert (info.session_id, info.location_id) == ("EntityBSession..", "entityB")


def execute_get_session(resp: Response) -> None:
    assert resp.control.control_id == "requestUnitTest"
    assert resp.control.unique_id is False
    assert resp.control.dtd_version == "3.0"
    assert resp.authentication is not None
    assert resp.authentication.session_timestamp == datetime(2015, 12, 6, 15, 57, 8, tzinfo=PST)
    assert resp.authentication.session_timeout is None
    res = resp.results[0]
    assert (res.function, res.control_id, res.payload.session_id) == (
        "getAPISession",
        "func1UnitTest",
        "unittest..",
    )


def batch_transaction(resp: Response) -> None:
    first, second = resp.results
    assert (first.status, second.status) == ("aborted", "failure")
    assert [e.errorno for e in first.errors] == ["XL03000009"]
    assert [e.errorno for e in second.errors] == ["Get API Session Failed", "XL03000009"]
    with pytest.raises(TransactionAbortedError) as aborted:
        first.raise_for_error()
    assert aborted.value.control_id == "func1UnitTest"
    with pytest.raises(FunctionError) as failed:
        second.raise_for_error()
    assert type(failed.value) is FunctionError
    assert failed.value.description2 == "Something went wrong"
    assert len(failed.value.errors) == 2


def execute_failure(resp: Response) -> None:
    (res,) = resp.results
    assert not res.ok
    assert res.error is not None
    assert res.error.errorno == "Get API Session Failed"
    with pytest.raises(FunctionError) as info:
        res.raise_for_error()
    assert info.value.function == "getAPISession"
    assert "\n" not in str(info.value)


def read_by_query_one_customer(resp: Response) -> None:
    page = _page(resp)
    assert (page.listtype, page.count, page.total_count, page.num_remaining) == (
        "customer",
        1,
        1,
        0,
    )
    assert page.result_id is None  # resultId="" means no more pages
    assert page.records == [{"CUSTOMERID": "C0001", "NAME": "Sage Intacct, Inc"}]


def three_results(resp: Response) -> None:
    api, legacy, rbq = resp.results
    assert isinstance(api.payload, SessionInfo)
    legacy_page = _page(resp, 1)
    assert legacy.function == "get_list"
    assert (legacy_page.listtype, legacy_page.total_count, legacy_page.offset) == ("vendor", 1, 0)
    # legacy field names are not in the schema table: they stay strings
    assert legacy_page.records[0]["recordno"] == "4"
    rec = _page(resp, 2).records[0]
    assert rec["RECORDNO"] == 4  # VENDOR.RECORDNO is INTEGER
    assert rec["ACHENABLED"] is True  # VENDOR.ACHENABLED is BOOLEAN
    assert rec["TAXID"] == "99-9999999"
    assert rbq.control_id == "test3"


def empty_department_page(resp: Response) -> None:
    page = _page(resp)
    assert page.records == []
    assert (page.listtype, page.count, page.total_count, page.num_remaining) == (
        "department",
        0,
        0,
        0,
    )
    assert not page.has_more


def query_failed(resp: Response) -> None:
    (res,) = resp.results
    assert res.status == "failure"
    assert res.page is None
    assert res.errors[0].description2 == "Object definition BADOBJECT not found"


def legacy_key(resp: Response) -> None:
    (res,) = resp.results
    assert res.function == "create_class"
    assert res.page is None
    assert res.payload == "C1234"


def legacy_get_list(resp: Response) -> None:
    page = _page(resp)
    assert (page.listtype, page.count, page.total_count, page.offset) == ("class", 2, 2, 0)
    assert [r["key"] for r in page.records] == ["C1234", "C1235"]
    assert page.records[0]["description"] is None  # <description/>


def legacy_read_by_query_class(resp: Response) -> None:
    page = _page(resp)
    assert (page.count, page.total_count, page.num_remaining, page.result_id) == (
        1,
        2,
        1,
        "myResultId",
    )
    assert page.has_more
    rec = page.records[0]
    assert rec["RECORDNO"] == 8
    assert rec["WHENMODIFIED"] == datetime(2017, 7, 24, 15, 19, 46)
    assert rec["WHENMODIFIED"].tzinfo is None
    assert rec["DESCRIPTION"] is None
    assert rec["PARENTKEY"] is None  # INTEGER, empty
    assert rec["CREATEDBY"] == 9
    assert list(rec)[:3] == ["RECORDNO", "CLASSID", "NAME"]


def read_customer(resp: Response) -> None:
    page = _page(resp)
    assert (page.listtype, page.count, page.total_count, page.num_remaining) == (
        "CUSTOMER",
        1,
        None,
        None,
    )
    assert page.records == [{"RECORDNO": 149, "CUSTOMERID": "10074", "STATUS": "active"}]


def status_abort(resp: Response) -> None:
    (res,) = resp.results
    assert res.status == "aborted"
    with pytest.raises(TransactionAbortedError) as info:
        res.raise_for_error()
    assert info.value.errorno == "Query Failed"  # the specific error comes first


def create_two_classes(resp: Response) -> None:
    page = _page(resp)
    assert page.listtype == "objects"
    assert page.records == [
        {"RECORDNO": 5, "CLASSID": "UT01"},
        {"RECORDNO": 6, "CLASSID": "UT02"},
    ]


def create_failure(resp: Response) -> None:
    (res,) = resp.results
    assert res.status == "failure"
    assert _page(resp).records == []
    assert [e.errorno for e in res.errors] == ["BL34000061", "BL01001973", "BL01001973"]
    # whitespace runs collapse to one space
    assert res.errors[0].description2 == "Another Class with the given value(s) UT01 already exists"
    assert res.errors[0].correction == "Use a unique value instead."
    with pytest.raises(FunctionError) as info:
        res.raise_for_error()
    assert type(info.value) is FunctionError  # a duplicate *value*, not a duplicate control id


def delete_failure(resp: Response) -> None:
    (res,) = resp.results
    assert res.errors[0].description2 == "Cannot find class with key 'UT01' to delete."


def delete_success(resp: Response) -> None:
    (res,) = resp.results
    assert res.ok
    assert (res.page, res.payload, res.errors) == (None, None, ())
    res.raise_for_error()


def update_partial(resp: Response) -> None:
    (res,) = resp.results
    assert res.status == "failure"
    assert _page(resp).records == [{"RECORDNO": 5, "CLASSID": "UT01"}]
    assert res.errors[0].errorno == "Cannot update non-existing CLASS with CLASSID=UT99."


def inspect_customer(resp: Response) -> None:
    (res,) = resp.results
    assert res.page is None
    definition = res.payload
    assert definition["Name"] == "CUSTOMER"
    assert definition["Attributes.SingularName"] == "Customer"
    fields = definition["Fields"]
    assert isinstance(fields, list)
    assert fields[0]["Name"] == "RECORDNO"
    assert fields[0]["isRequired"] == "false"  # definitions are not typed
    assert {f["Name"] for f in fields} >= {"CUSTOMERID", "NAME"}


def query_records_page1(resp: Response) -> None:
    page = _page(resp)
    assert (page.num_remaining, page.result_id) == (1, "7765623330Vqb8pMCoA4IAAEnuglgAAAAL5")
    assert page.records[0]["RECORDNO"] == 47


def query_records_page2(resp: Response) -> None:
    assert resp.results[0].function == "readMore"
    page = _page(resp)
    assert (page.num_remaining, page.result_id) == (0, "7765623330Vqb8pMCoA4IAAEnuglgAAAAL5")
    assert not page.has_more


def permissions_failure(resp: Response) -> None:
    err = resp.results[0].errors[0]
    assert (err.errorno, err.correction) == ("BL03000025", "Provide a valid USER.LOGINID value.")


def read_by_query_failure(resp: Response) -> None:
    err = resp.results[0].errors[0]
    assert (err.errorno, err.description) == ("DL02000001", "Error")


def read_more_failure(resp: Response) -> None:
    assert resp.results[0].function == "readMore"
    assert "invalid or expired resultId" in resp.results[0].errors[0].description2


def read_two_accounts(resp: Response) -> None:
    page = _page(resp)
    assert (page.listtype, page.count) == ("GLACCOUNT", 2)
    assert [r["ACCOUNTNO"] for r in page.records] == ["1010", "1020"]  # TEXT stays str


def acknowledged(resp: Response) -> None:
    assert resp.acknowledged
    assert resp.authentication is None
    assert resp.results == ()
    assert resp.control.control_id == "requestUnitTest"


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
    "intacct-sdk-php/MessageFormatterTest.testRequestAndResponseRemoval.xml": three_results,
    "intacct-sdk-php/OnlineClientTest.testExecute.xml": execute_get_session,
    "intacct-sdk-php/OnlineClientTest.testExecuteBatchTransactionResultException.xml": (
        batch_transaction
    ),
    "intacct-sdk-php/OnlineClientTest.testExecuteResultException.xml": execute_failure,
    "intacct-sdk-php/OnlineClientTest.testLogger.xml": read_by_query_one_customer,
    "intacct-sdk-php/RequestHandlerTest.testMockExecuteAsynchronous.xml": acknowledged,
    "intacct-sdk-php/ResultTest.setUp.xml": empty_department_page,
    "intacct-sdk-php/ResultTest.testGetErrors.xml": query_failed,
    "intacct-sdk-php/ResultTest.testLegacyCreateClassKey.xml": legacy_key,
    "intacct-sdk-php/ResultTest.testLegacyGetListClass.xml": legacy_get_list,
    "intacct-sdk-php/ResultTest.testLegacyReadByQueryClass.xml": legacy_read_by_query_class,
    "intacct-sdk-php/ResultTest.testReadClass.xml": read_customer,
    "intacct-sdk-php/ResultTest.testStatusAbort.xml": status_abort,
    "intacct-sdk-php/SessionProviderTest.testFromLoginCredentials.xml": session_login,
    "intacct-sdk-php/SessionProviderTest.testFromLoginCredentialsWithEntity.xml": session_entity,
    "intacct-sdk-php/"
    "SessionProviderTest.testFromPrivateEntitySessionCredentialsWithDifferentEntityOverride.xml": (
        session_switch
    ),
    "intacct-sdk-php/history/ClassObjTest.testCreateFailure.1.xml": create_failure,
    "intacct-sdk-php/history/ClassObjTest.testCreateSuccess.1.xml": create_two_classes,
    "intacct-sdk-php/history/ClassObjTest.testDeleteFailure.1.xml": delete_failure,
    "intacct-sdk-php/history/ClassObjTest.testDeleteSuccess.1.xml": delete_success,
    "intacct-sdk-php/history/ClassObjTest.testUpdateFailure.1.xml": update_partial,
    "intacct-sdk-php/history/InspectClassResponse.xml": inspect_customer,
    "intacct-sdk-php/history/IntacctClientTest.testGetQueryRecordsSuccess.1.xml": (
        query_records_page1
    ),
    "intacct-sdk-php/history/IntacctClientTest.testGetQueryRecordsSuccess.2.xml": (
        query_records_page2
    ),
    "intacct-sdk-php/history/IntacctClientTest.testGetUserPermissionsFailure.1.xml": (
        permissions_failure
    ),
    "intacct-sdk-php/history/IntacctClientTest.testReadByQueryFailure.1.xml": read_by_query_failure,
    "intacct-sdk-php/history/IntacctClientTest.testReadMoreFailure.1.xml": read_more_failure,
    "intacct-sdk-php/history/IntacctClientTest.testReadSuccess.1.xml": read_two_accounts,
}

EXPECTED_ERRORS: dict[str, Callable[[bytes], None]] = {
    "intacct-sdk-php/AbstractResponseTest.testConstructControlFailure.xml": raises(
        AuthenticationError, "XL03000006", "not a valid transport policy"
    ),
    "intacct-sdk-php/OnlineResponseTest.testAuthenticationFailure.xml": raises(
        AuthenticationError, "XL03000006", "Sign-in information is incorrect"
    ),
    "intacct-sdk-php/OnlineResponseTest.testResponseExceptionWithErrors.xml": raises(
        ServerError, "PL04000055", "demo company and has expired"
    ),
    # served with HTTP 401 and an XML body: read like any answer
    "intacct-sdk-php/RequestHandlerTest.testMock400LevelErrorWithXmlResponse.xml": raises(
        AuthenticationError, "XMLGW_JPP0002", "Sign-in information is incorrect", status_code=401
    ),
}


def test_every_response_fixture_has_an_expectation(reference_dir: Path) -> None:
    found = set(_response_files())
    assert found, "no response fixtures found"
    assert found == set(EXPECTED) | set(EXPECTED_ERRORS)


@pytest.mark.parametrize("name", _response_files())
def test_response_fixture(reference_dir: Path, name: str) -> None:
    body = (reference_dir / "fixtures" / name).read_bytes()
    if name in EXPECTED_ERRORS:
        EXPECTED_ERRORS[name](body)
        return
    resp = parse_response(body, content_type='text/xml; encoding="UTF-8"')
    assert resp.control.status == "success"
    EXPECTED[name](resp)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_untyped_keeps_strings(reference_dir: Path, name: str) -> None:
    body = (reference_dir / "fixtures" / name).read_bytes()
    resp = parse_response(body, typing=ValueTyping(typed=False))
    for res in resp.results:
        for rec in res.page.records if res.page else []:
            for value in rec.values():
                assert isinstance(value, str | list)


def test_aware_timestamps_with_company_timezone(reference_dir: Path) -> None:
    body = (
        reference_dir / "fixtures" / "intacct-sdk-php/ResultTest.testLegacyReadByQueryClass.xml"
    ).read_bytes()
    resp = parse_response(body, typing=ValueTyping(timezone=UTC))
    rec = _page(resp).records[0]
    assert rec["WHENCREATED"] == datetime(2017, 7, 24, 15, 19, 46, tzinfo=UTC)
    assert isinstance(rec["RECORDNO"], int)
