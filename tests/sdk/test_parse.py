"""Response parsing beyond the fixtures: record shapes, error levels, HTTP statuses."""

from __future__ import annotations

import pickle
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk import (
    AuthenticationError,
    DuplicateControlIdError,
    ErrorDetail,
    FunctionError,
    IntacctError,
    RateLimitError,
    ServerError,
    SessionExpiredError,
    ValueTyping,
)
from intacct_sdk._parse import parse_response, read_errors
from intacct_sdk.functions import Create

CONTROL = (
    "<control><status>success</status><senderid>s</senderid><controlid>c</controlid>"
    "<uniqueid>true</uniqueid><dtdversion>3.0</dtdversion></control>"
)
AUTH = (
    "<authentication><status>success</status><userid>u</userid><companyid>C</companyid>"
    "<locationid>E1</locationid><sessiontimestamp>2025-08-21T02:33:19+00:00</sessiontimestamp>"
    "<sessiontimeout>2025-08-21T04:33:19+00:00</sessiontimeout></authentication>"
)


def response(*results: str) -> bytes:
    return f"<response>{CONTROL}<operation>{AUTH}{''.join(results)}</operation></response>".encode()


def result(body: str, *, function: str = "read", status: str = "success", cid: str = "f1") -> str:
    return (
        f"<result><status>{status}</status><function>{function}</function>"
        f"<controlid>{cid}</controlid>{body}</result>"
    )


def error(errorno: str, d: str = "", d2: str = "", c: str = "") -> str:
    return (
        f"<error><errorno>{errorno}</errorno><description>{d}</description>"
        f"<description2>{d2}</description2><correction>{c}</correction></error>"
    )


TYPED = ValueTyping()


def records_of(body: bytes, typing: ValueTyping = TYPED) -> list[dict[str, Any]]:
    page = parse_response(body, typing=typing).results[0].page
    assert page is not None
    return page.records


# ---------------------------------------------------------------- record shapes


def test_nested_groups_become_dotted_keys() -> None:
    body = response(
        result(
            '<data listtype="EMPLOYEE" count="1"><EMPLOYEE><RECORDNO>3</RECORDNO>'
            "<PERSONALINFO><CONTACTNAME>Ann</CONTACTNAME><EMAIL1>a@x</EMAIL1>"
            "<MAILADDRESS><CITY>Oslo</CITY></MAILADDRESS></PERSONALINFO>"
            "<STARTDATE>01/02/2020</STARTDATE></EMPLOYEE></data>"
        )
    )
    assert records_of(body) == [
        {
            "RECORDNO": 3,
            "PERSONALINFO.CONTACTNAME": "Ann",
            "PERSONALINFO.EMAIL1": "a@x",
            "PERSONALINFO.MAILADDRESS.CITY": "Oslo",
            "STARTDATE": date(2020, 1, 2),
        }
    ]


def test_owned_lines_become_typed_lists() -> None:
    entry = "<TIMESHEETENTRY><RECORDNO>{n}</RECORDNO><QTY>{q}</QTY><NOTES/></TIMESHEETENTRY>"
    one = entry.format(n=1, q="1.50")
    two = one + entry.format(n=2, q="8")
    for entries, expected in ((one, 1), (two, 2)):
        body = response(
            result(
                '<data listtype="TIMESHEET" count="1"><TIMESHEET><RECORDNO>9</RECORDNO>'
                f"<TIMESHEETENTRIES>{entries}</TIMESHEETENTRIES></TIMESHEET></data>"
            )
        )
        (rec,) = records_of(body)
        lines = rec["TIMESHEETENTRIES"]
        assert isinstance(lines, list)
        assert len(lines) == expected  # a single entry is still a list
        assert lines[0] == {"RECORDNO": 1, "QTY": Decimal("1.50"), "NOTES": None}


def test_repeated_leaves_are_kept() -> None:
    body = response(
        result(
            '<data listtype="X" count="1"><X><A>1</A><A>2</A>'
            "<VALUES><VALUE>a</VALUE><VALUE>b</VALUE></VALUES></X></data>"
        )
    )
    assert records_of(body) == [{"A": ["1", "2"], "VALUES": ["a", "b"]}]


def test_untyped_keeps_raw_text() -> None:
    body = response(
        result(
            '<data listtype="CLASS" count="1"><CLASS><RECORDNO>8</RECORDNO><NAME/></CLASS></data>'
        )
    )
    assert records_of(body, ValueTyping(typed=False)) == [{"RECORDNO": "8", "NAME": ""}]


def test_unparseable_typed_values_stay_strings_when_lenient() -> None:
    body = response(
        result(
            '<data listtype="TIMESHEET" count="1"><TIMESHEET><RECORDNO>n/a</RECORDNO>'
            "<BEGINDATE>13/45/2020</BEGINDATE><HOURSINDAY>eight</HOURSINDAY></TIMESHEET></data>"
        )
    )
    (r,) = parse_response(body, typing=ValueTyping(strict=False)).results
    assert r.page is not None
    assert r.page.records == [{"RECORDNO": "n/a", "BEGINDATE": "13/45/2020", "HOURSINDAY": "eight"}]


def test_query_page_attributes_and_empty_data() -> None:
    body = response(
        result(
            '<data listtype="TIMESHEET" totalcount="4001" offset="2000" count="2000" '
            'numremaining="1"/>',
            function="query",
        ),
        result("<data/>", function="query", cid="f2"),
    )
    first, second = parse_response(body).results
    assert first.page is not None
    assert (first.page.total_count, first.page.offset, first.page.count) == (4001, 2000, 2000)
    assert first.page.num_remaining == 1
    assert second.page is not None
    assert (second.page.records, second.page.count) == ([], 0)


def test_session_info_and_authentication_block() -> None:
    body = response(
        result(
            "<data><api><sessionid>SESSION-SECRET</sessionid><endpoint>https://x/ia</endpoint>"
            "<locationid>E1</locationid></api></data>",
            function="getAPISession",
        )
    )
    resp = parse_response(body)
    assert resp.authentication is not None
    assert resp.authentication.location_id == "E1"
    assert resp.authentication.session_timeout == datetime.fromisoformat(
        "2025-08-21T04:33:19+00:00"
    )
    assert resp.control.unique_id is True
    info = resp.results[0].payload
    assert info.session_id == "SESSION-SECRET"
    assert "SESSION-SECRET" not in repr(resp)
    assert resp.result("f1") is resp.results[0]
    with pytest.raises(KeyError):
        resp.result("nope")


def test_get_dimensions_rows() -> None:
    body = response(
        result(
            "<data><dimensions><dimension><objectName>DEPARTMENT</objectName>"
            "<termLabel>Cost Center</termLabel><userDefinedDimension>false</userDefinedDimension>"
            "</dimension><dimension><objectName>PROJECT</objectName><termLabel>Project</termLabel>"
            "<userDefinedDimension>false</userDefinedDimension></dimension></dimensions></data>",
            function="getDimensions",
        )
    )
    page = parse_response(body).results[0].page
    assert page is not None
    assert [r["termLabel"] for r in page.records] == ["Cost Center", "Project"]


def test_a_plural_wrapper_is_read_one_record_per_item() -> None:
    """getDimensionRelationships and other functions outside the read family answer with
    one wrapper named by the plural of its items: each item is a record."""
    relationship = (
        "<relationship><objectName>{}</objectName><relationshipType>MANY2ONE</relationshipType>"
        "</relationship>"
    )
    body = response(
        result(
            "<data><dimensions>"
            "<dimension><objectName>PROJECT</objectName><relationships>"
            + relationship.format("CUSTOMER")
            + relationship.format("DEPARTMENT")
            + "</relationships></dimension>"
            "<dimension><objectName>TASK</objectName><relationships/></dimension>"
            "</dimensions></data>",
            function="getDimensionRelationships",
        )
    )
    page = parse_response(body).results[0].page
    assert page is not None
    assert page.records == [
        {
            "objectName": "PROJECT",
            "relationships": [
                {"objectName": "CUSTOMER", "relationshipType": "MANY2ONE"},
                {"objectName": "DEPARTMENT", "relationshipType": "MANY2ONE"},
            ],
        },
        {"objectName": "TASK", "relationships": None},
    ]
    assert page.count == 2


@pytest.mark.parametrize(
    "data",
    [
        # A page with paging attributes holds records, whatever their names.
        '<data listtype="classes" count="1"><classes><class><A>1</A></class>'
        "<class><A>2</A></class></classes></data>",
        # A single record: its children are fields with different tags.
        "<data><employee><RECORDNO>1</RECORDNO><EMPLOYEEID>E1</EMPLOYEEID></employee></data>",
    ],
)
def test_records_are_not_unwrapped(data: str) -> None:
    page = parse_response(response(result(data, function="readByQuery"))).results[0].page
    assert page is not None
    assert len(page.records) == 1


# ---------------------------------------------------------------- create -> read round trip

texts = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n\r"
    ),
    min_size=1,
    max_size=20,
)
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**9)
entries = st.fixed_dictionaries(
    {"ENTRYDATE": st.dates(min_value=date(1900, 1, 1)), "QTY": decimals},
    optional={"NOTES": texts, "BILLABLE": st.booleans(), "RECORDNO": st.integers(0, 10**9)},
)
timesheets = st.fixed_dictionaries(
    {"EMPLOYEEID": texts, "BEGINDATE": st.dates(min_value=date(1900, 1, 1))},
    optional={
        "RECORDNO": st.integers(0, 10**9),
        "DESCRIPTION": texts,
        "HOURSINDAY": decimals,
        "ACTUALCOST": st.booleans(),
        "WHENMODIFIED": st.datetimes(min_value=datetime(1900, 1, 1)).map(
            lambda d: d.replace(microsecond=0)
        ),
        "customfield1": texts,
        "TIMESHEETENTRIES": st.lists(entries, min_size=1, max_size=3),
    },
)


@given(st.lists(timesheets, min_size=1, max_size=3))
def test_created_records_read_back_equal(records: list[dict[str, Any]]) -> None:
    xml = Create("TIMESHEET", records).to_xml()
    # our own bytes, not re-serialised (ElementTree would write "\r" raw)
    written = xml[xml.index("<create>") + len("<create>") : xml.index("</create>")]
    body = response(result(f'<data listtype="TIMESHEET" count="{len(records)}">{written}</data>'))
    assert records_of(body) == records


# ---------------------------------------------------------------- errors


def test_error_text_is_cleaned(reference_dir: Path) -> None:
    fragment = (reference_dir / "fixtures/intacct-sdk-php/ErrorMessageTest.setUp.xml").read_bytes()
    first, second = read_errors(ET.fromstring(fragment))
    assert first == ErrorDetail(
        "1234", "description", "Object definition 'BADOBJECT' not found.", "stripthesetags."
    )
    assert second.description == "stripthesetags."
    assert second.correction == "correct."


def test_own_error_text_is_cleaned() -> None:
    fragment = (
        Path(__file__).resolve().parents[1] / "fixtures" / "fragments" / "error_markup.xml"
    ).read_bytes()
    first, second = read_errors(ET.fromstring(fragment))
    # entities are decoded, markup inside the text is dropped, the words around it stay
    assert first == ErrorDetail(
        "BL01001973", "Could not save", "Field 'PROJECTID' is required.", "Givea projectid."
    )
    assert second.description == "Fixtherecord."
    assert second.correction == "retry."


def test_support_id_is_url_decoded() -> None:
    body = response(
        result(
            "<errormessage>"
            + error(
                "BL01001973",
                d2="The account number &#039;5000.11&#039; exists [Support ID: EsppO%7EZE%40x]",
            )
            + "</errormessage>",
            status="failure",
            function="create",
        )
    )
    err = parse_response(body).results[0].errors[0]
    assert err.description2 == "The account number '5000.11' exists [Support ID: EsppO~ZE@x]"


@pytest.mark.parametrize(
    "entry",
    [
        error("XL03000008", d2="Function already executed"),
        error("XX", d2="A request with control id abc was already processed."),
    ],
)
def test_duplicate_control_id_refusal(entry: str) -> None:
    body = response(
        result(f"<errormessage>{entry}</errormessage>", status="failure", function="create")
    )
    res = parse_response(body).results[0]
    with pytest.raises(DuplicateControlIdError) as info:
        res.raise_for_error()
    assert isinstance(info.value, FunctionError)
    assert info.value.control_id == "f1"


def control_failure(errorno: str, text: str = "x") -> bytes:
    return (
        "<response><control><status>failure</status></control>"
        f"<errormessage>{error(errorno, d=text)}</errormessage></response>"
    ).encode()


def test_gw0010_is_a_rate_limit_even_with_http_200() -> None:
    with pytest.raises(RateLimitError) as info:
        parse_response(control_failure("GW-0010", "too many"), retry_after=3.0)
    assert (info.value.errorno, info.value.retry_after, info.value.status_code) == (
        "GW-0010",
        3.0,
        200,
    )


def test_http_429_with_xml_is_a_rate_limit() -> None:
    with pytest.raises(RateLimitError) as info:
        parse_response(control_failure("GW-0010"), status_code=429, content_type="text/xml")
    assert info.value.status_code == 429


def test_other_control_failures_are_server_errors() -> None:
    with pytest.raises(ServerError) as info:
        parse_response(control_failure("GW-0011", "Invalid Request [Request ID: AC47]"))
    assert info.value.errorno == "GW-0011"
    assert info.value.errors[0].description == "Invalid Request [Request ID: AC47]"


def test_5xx_with_a_usable_answer_is_read() -> None:
    resp = parse_response(response(result("")), status_code=503)
    assert resp.results[0].ok


def test_session_rejection_is_session_expired() -> None:
    body = (
        f"<response>{CONTROL}<operation><authentication><status>failure</status>"
        "</authentication><errormessage>"
        + error("XL03000006", d2="Invalid session")
        + "</errormessage></operation></response>"
    ).encode()
    with pytest.raises(SessionExpiredError) as info:
        parse_response(body)
    assert isinstance(info.value, AuthenticationError)
    assert info.value.errorno == "XL03000006"


def auth_failure(*errors: str) -> bytes:
    return (
        f"<response>{CONTROL}<operation><authentication><status>failure</status>"
        f"<userid>u</userid><companyid>C</companyid></authentication>"
        f"<errormessage>{''.join(errors)}</errormessage></operation></response>"
    ).encode()


SENDER_HINT = "check the sender id and sender password, and that the sender is authorised"
LOGIN_HINT = "check the company id, user id and user password"
SESSION_HINT = "create a new session, or log in with user credentials"


@pytest.mark.parametrize(
    ("body", "status_code", "kind", "gateway_text", "hint"),
    [
        (
            control_failure("XL03000006", "Incorrect Intacct XML Partner ID or password."),
            200,
            AuthenticationError,
            "XL03000006: Incorrect Intacct XML Partner ID or password.",
            SENDER_HINT,
        ),
        (
            control_failure(
                "XMLGW_JPP0002", "Sign-in information is incorrect. Please check your request."
            ),
            401,
            AuthenticationError,
            "XMLGW_JPP0002: Sign-in information is incorrect. Please check your request.",
            "check the sender id and sender password, then the company id, user id and user",
        ),
        (
            auth_failure(error("XL03000006", d2="Sign-in information is incorrect")),
            200,
            AuthenticationError,
            "XL03000006: Sign-in information is incorrect",
            LOGIN_HINT,
        ),
        (
            auth_failure(
                error(
                    "XL03000006",
                    d="Invalid Web Services Authorization",
                    d2="The sender ID 'acme' is not authorized to make Web Services requests "
                    "to company ID 'C'.",
                )
            ),
            200,
            AuthenticationError,
            "The sender ID 'acme' is not authorized",
            SENDER_HINT,
        ),
        (
            auth_failure(error("XL03000006", d2="Invalid session")),
            200,
            SessionExpiredError,
            "XL03000006: Invalid session",
            SESSION_HINT,
        ),
    ],
    ids=["sender", "sign-in", "login", "unauthorised sender", "session"],
)
def test_authentication_errors_keep_the_gateway_text_and_end_with_a_next_step(
    body: bytes, status_code: int, kind: type[AuthenticationError], gateway_text: str, hint: str
) -> None:
    with pytest.raises(AuthenticationError) as info:
        parse_response(body, status_code=status_code)
    message = str(info.value)
    assert type(info.value) is kind
    assert gateway_text in message
    assert hint.lower() in message.lower()
    # The next step comes last, after the gateway's words.
    assert message.lower().index(hint.lower()) > message.index(gateway_text)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("body", "status_code", "level"),
    [
        (
            control_failure("XL03000006", "Incorrect Intacct XML Partner ID or password."),
            200,
            "control",
        ),
        (control_failure("XMLGW_JPP0002", "Sign-in information is incorrect."), 401, "control"),
        (
            auth_failure(error("XL03000006", d2="Sign-in information is incorrect")),
            200,
            "operation",
        ),
        (
            auth_failure(error("XL03000006", d="Invalid Web Services Authorization")),
            200,
            "operation",
        ),
        (auth_failure(error("XL03000006", d2="Invalid session")), 200, "operation"),
    ],
    ids=["sender", "sign-in", "login", "unauthorised sender", "session"],
)
def test_authentication_errors_say_which_level_refused(
    body: bytes, status_code: int, level: str
) -> None:
    with pytest.raises(AuthenticationError) as info:
        parse_response(body, status_code=status_code)
    assert info.value.level == level
    clone = pickle.loads(pickle.dumps(info.value))  # noqa: S301 - our own bytes
    assert clone.level == level


@pytest.mark.parametrize(
    "body",
    [
        b"<response/>",
        f"<response>{CONTROL}</response>".encode(),
        f"<response>{CONTROL}<operation/></response>".encode(),
        response("<result><status>weird</status></result>"),
    ],
)
def test_missing_blocks_are_malformed(body: bytes) -> None:
    from intacct_sdk import MalformedResponseError

    with pytest.raises(MalformedResponseError):
        parse_response(body)


def test_exceptions_pickle_and_stay_on_one_line() -> None:
    exc = FunctionError(
        function="create",
        control_id="c1",
        errors=[ErrorDetail("E1", "line one\nline two", "more")],
    )
    assert "\n" not in str(exc)
    clone = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    assert (type(clone), clone.errorno, clone.errors, str(clone)) == (
        FunctionError,
        "E1",
        exc.errors,
        str(exc),
    )
    limited = RateLimitError("slow", retry_after=2.0, status_code=429)
    rate = pickle.loads(pickle.dumps(limited))  # noqa: S301 - our own bytes
    assert (rate.retry_after, rate.status_code) == (2.0, 429)
    assert isinstance(rate, IntacctError)
