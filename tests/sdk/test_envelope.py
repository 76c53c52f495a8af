"""Request envelopes: schema-valid, ordered as the XSD says, explicit, and secret-free reprs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import OWN_FIXTURES, REFERENCE

from intacct_sdk import ConfigurationError, F
from intacct_sdk._envelope import Control, LoginAuth, SessionAuth, build_request
from intacct_sdk.functions import (
    Approve,
    Create,
    Decline,
    Delete,
    Function,
    GetAPISession,
    GetDimensions,
    Inspect,
    Lookup,
    Query,
    Raw,
    Read,
    ReadByName,
    ReadByQuery,
    ReadMore,
    Update,
)


@pytest.fixture(
    scope="module",
    params=["own", pytest.param("official", marks=pytest.mark.shared_reference)],
)
def api_schema(request: pytest.FixtureRequest) -> Any:
    """Our own request schema (tests/fixtures/schema), and the official XSD where present."""
    xmlschema = pytest.importorskip("xmlschema")
    if request.param == "own":
        path = OWN_FIXTURES / "schema" / "request.xsd"
    else:
        path = REFERENCE / "fixtures" / "intacct_dtd" / "api.xsd"
    return xmlschema.XMLSchema(str(path), validation="lax")


def every_function() -> list[Function]:
    return [
        Read("EMPLOYEE", [1, 2], ["RECORDNO", "EMPLOYEEID"]),
        ReadByName("EMPLOYEE", ["E1"]),
        ReadByQuery("PROJECT", "STATUS = 'T' AND NAME < 'x&y'", ["PROJECTID"], page_size=5),
        ReadMore("abc"),
        Query(
            "TIMESHEET",
            ["RECORDNO", "STATE"],
            where=(F("STATE") == "Submitted")
            & (F("WHENMODIFIED") >= date(2024, 1, 1))
            & (F("EMPLOYEEID").in_(["E1", "E2"]) | F("DESCRIPTION").is_null())
            & F("QTY").between(Decimal("1.5"), 8),
            order_by=[("RECORDNO", "desc")],
            case_insensitive=True,
            offset=2000,
        ),
        Create(
            "TIMESHEET",
            [
                {
                    "EMPLOYEEID": "E1",
                    "BEGINDATE": date(2024, 1, 1),
                    "TIMESHEETENTRIES": [{"ENTRYDATE": date(2024, 1, 1), "QTY": Decimal("8")}],
                }
            ],
        ),
        Update("EMPLOYEE", [{"EMPLOYEEID": "E1", "PERSONALINFO.EMAIL1": "a@b.c"}]),
        Delete("TIMESHEET", [7, 8]),
        Lookup("TIMESHEET"),
        Inspect("TIMESHEET", detail=True),
        Inspect("TIMESHEET"),
        Approve("TIMESHEET", 7, entry_keys=[1, 2], approved_by="boss", comment="ok"),
        Decline("TIMESHEET", 7, declined_by="boss", comment="no"),
        GetDimensions(),
        GetAPISession(),
        GetAPISession(""),
        GetAPISession("E100"),
        Raw("<create_timetype><name>Holiday</name></create_timetype>"),
    ]


@pytest.mark.parametrize(
    "auth",
    [
        LoginAuth("u", "c", "p"),
        LoginAuth("u", "c", "p", entity_id="E1", client_id="CLIENT"),
        SessionAuth("sess"),
    ],
    ids=["login", "login-entity-client", "session"],
)
@pytest.mark.parametrize("transaction", [False, True])
def test_envelopes_validate_against_the_request_schema(
    api_schema: Any, auth: LoginAuth | SessionAuth, transaction: bool
) -> None:
    control = Control("sender", "pw", "ctl", unique_id=True, policy_id="pol")
    body = build_request(control, auth, every_function(), transaction=transaction)
    errors = [str(e).splitlines()[0] for e in api_schema.iter_errors(body.decode("utf-8"))]
    assert errors == []


def test_schema_catches_a_broken_envelope(api_schema: Any) -> None:
    # the validation above can fail: APPROVEDBY inside decline is rejected
    body = build_request(
        Control("s", "p", "c"), SessionAuth("x"), [Decline("TIMESHEET", 1, declined_by="u")]
    )
    broken = body.replace(b"DECLINEDBY", b"APPROVEDBY").decode()
    assert list(api_schema.iter_errors(broken))


def test_control_order_and_explicit_flags() -> None:
    body = build_request(Control("s", "p", "c"), SessionAuth("x"), [GetDimensions()])
    root = ET.fromstring(body)
    control = root.find("control")
    assert control is not None
    assert [c.tag for c in control] == [
        "senderid",
        "password",
        "controlid",
        "uniqueid",
        "dtdversion",
        "includewhitespace",
    ]
    assert control.findtext("uniqueid") == "false"
    assert control.findtext("includewhitespace") == "false"
    assert root.find("operation").get("transaction") == "false"  # type: ignore[union-attr]
    assert b"\n" not in body
    assert b"  " not in body


def test_policy_sits_between_dtdversion_and_includewhitespace() -> None:
    control = Control("s", "p", "c", unique_id=True, policy_id="pol")
    root = ET.fromstring(build_request(control, SessionAuth("x"), [GetDimensions()]))
    tags = [c.tag for c in root.find("control")]  # type: ignore[union-attr]
    assert tags.index("dtdversion") < tags.index("policyid") < tags.index("includewhitespace")
    assert root.findtext("control/uniqueid") == "true"


def test_function_order_is_kept_and_control_ids_are_unique() -> None:
    fns = every_function()
    root = ET.fromstring(build_request(Control("s", "p", "c"), SessionAuth("x"), fns))
    got = [f.get("controlid") for f in root.iterfind("operation/content/function")]
    assert got == [f.control_id for f in fns]
    assert len(set(got)) == len(got)


def test_repeated_control_ids_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="used twice"):
        build_request(
            Control("s", "p", "c"),
            SessionAuth("x"),
            [GetDimensions(control_id="a"), Lookup("X", control_id="a")],
        )


def test_empty_request_and_bad_encoding_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        build_request(Control("s", "p", "c"), SessionAuth("x"), [])
    with pytest.raises(ConfigurationError, match="encoding"):
        build_request(Control("s", "p", "c"), SessionAuth("x"), [GetDimensions()], encoding="nope")


def test_characters_outside_the_encoding_become_references() -> None:
    body = build_request(
        Control("s", "p", "c"),
        SessionAuth("x"),
        [Update("CLASS", [{"CLASSID": "C1", "NAME": "Zürich € ✓"}])],
        encoding="iso-8859-1",
    )
    assert b"&#8364;" in body  # the euro sign is not in Latin-1
    assert ET.fromstring(body).findtext(".//NAME") == "Zürich € ✓"


def test_secrets_stay_out_of_reprs() -> None:
    things = [
        Control("sender", "SENDER-SECRET", "c"),
        LoginAuth("u", "c", "USER-SECRET"),
        SessionAuth("SESSION-SECRET"),
    ]
    text = " ".join(repr(t) + str(t) for t in things)
    for secret in ("SENDER-SECRET", "USER-SECRET", "SESSION-SECRET"):
        assert secret not in text


def test_invalid_control_values_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        Control("s", "p", "")
    with pytest.raises(ConfigurationError):
        Control("s", "p", "x" * 257)
    with pytest.raises(ConfigurationError):
        LoginAuth("u", "", "p")
    with pytest.raises(ConfigurationError):
        build_request(Control("s", "p", "c"), "not auth", [GetDimensions()])  # type: ignore[arg-type]


xml_text = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n\r"
    ),
    min_size=1,
    max_size=40,
)


@given(
    sender=xml_text,
    password=xml_text,
    control_id=xml_text.filter(lambda s: len(s) <= 256),
    user=xml_text,
    company=xml_text,
    user_password=xml_text,
    unique=st.booleans(),
    transaction=st.booleans(),
)
def test_envelope_round_trips(
    sender: str,
    password: str,
    control_id: str,
    user: str,
    company: str,
    user_password: str,
    unique: bool,
    transaction: bool,
) -> None:
    body = build_request(
        Control(sender, password, control_id, unique_id=unique),
        LoginAuth(user, company, user_password),
        [GetAPISession(control_id=control_id)],
        transaction=transaction,
    )
    root = ET.fromstring(body)
    assert root.findtext("control/senderid") == sender
    assert root.findtext("control/password") == password
    assert root.findtext("control/controlid") == control_id
    assert root.findtext("control/uniqueid") == ("true" if unique else "false")
    assert root.findtext("operation/authentication/login/userid") == user
    assert root.findtext("operation/authentication/login/companyid") == company
    assert root.findtext("operation/authentication/login/password") == user_password
    assert root.find("operation/content/function").get("controlid") == control_id  # type: ignore[union-attr]
    assert root.find("operation").get("transaction") == str(transaction).lower()  # type: ignore[union-attr]
