"""Transient answers peers retry in production: HTML pages, broken XML, off-line, DL02000001.

Reads are sent again with backoff; writes follow the safe-write rules (resent only with
``unique_id``, except when the gateway refused them before running anything); answers a
retry cannot change (404 and other 4xx) are not retried.
"""

from __future__ import annotations

from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.sdk._emulated import CREDS, NO_SLEEP, calls, company_with
from tests.sdk._fake_gateway import FakeGateway, auth_block, control, error_block, xml_response

from intacct_sdk import (
    AsyncClient,
    Client,
    ClientOptions,
    DuplicateControlIdError,
    FunctionError,
    MalformedResponseError,
    RateLimitError,
    ResponseLostError,
    RetryPolicy,
    ServerError,
    ServiceOfflineError,
)
from intacct_sdk._parse import parse_response
from intacct_sdk.functions import Create, Query, Read, ReadByQuery
from intacct_sdk.testing import Emulator, FaultPlan

FIELDS = ["RECORDNO", "EMPLOYEEID"]
CLOUDFLARE = (
    b'<!DOCTYPE html>\n<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> '
    b"<![endif]-->\n<html><head><title>Bad gateway</title></head><body>"
    b'<div id="cf-error-details" class="cf-error-details-wrapper"><h1>502</h1>'
    b"<p>session 5ecret-SESSION-xyz</p></div></body></html>"
)


def sleeps() -> tuple[list[float], ClientOptions]:
    slept: list[float] = []
    return slept, ClientOptions(retry=RetryPolicy(jitter=0, sleep=slept.append))


def walk(emu: Emulator, **options: Any) -> tuple[list[str], Client]:
    opts = options.pop("options", NO_SLEEP)
    with Client(CREDS, options=opts, transport=emu.transport()) as client:
        got = [r["EMPLOYEEID"] for r in client.query("EMPLOYEE", FIELDS, page_size=10, **options)]
    return got, client


# ------------------------------------------------------------------ HTML is HTML


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, MalformedResponseError),
        (403, MalformedResponseError),
        (404, MalformedResponseError),
        (429, RateLimitError),
        (502, ServerError),
        (503, ServerError),
        (520, ServerError),
    ],
)
def test_an_html_page_is_reported_as_html_with_its_status(status: int, kind: type) -> None:
    with pytest.raises(kind) as info:
        parse_response(CLOUDFLARE, status_code=status, retry_after=3)
    message = str(info.value)
    assert message.startswith(
        (
            f"the server answered HTML (status {status})",
            f"rate limited: the server answered HTML (status {status})",
        )
    )
    assert "Cloudflare" in message
    assert "DTD" not in message and "forbidden" not in message and "entit" not in message
    assert "5ecret" not in message  # nothing of the body
    assert info.value.status_code == status


@given(
    prefix=st.sampled_from(["", "\ufeff", "  \n", '<?xml version="1.0"?>\n', "<!-- x -->\n"]),
    opening=st.sampled_from(
        [
            "<!DOCTYPE html>",
            "<!doctype HTML>",
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd">',
            "<html>",
            '<html lang="en">',
        ]
    ),
    rest=st.text(max_size=200),
)
def test_any_html_document_is_never_taken_for_a_dtd_problem(
    prefix: str, opening: str, rest: str
) -> None:
    body = (prefix + opening + rest).encode()
    with pytest.raises(MalformedResponseError) as info:
        parse_response(body)
    assert str(info.value).startswith("the server answered HTML (status 200)")


def test_a_gateway_answer_mentioning_cloudflare_is_still_read() -> None:
    body = (
        control()
        + "<operation>"
        + auth_block(None)
        + "<result><status>success</status><function>query</function><controlid>f</controlid>"
        '<data listtype="EMPLOYEE" count="1"><EMPLOYEE><TITLE>&lt;!DOCTYPE html&gt; '
        "cf-error-details</TITLE></EMPLOYEE></data></result></operation>"
    )
    response = parse_response(xml_response(body).content)
    assert response.results[0].data == [{"TITLE": "<!DOCTYPE html> cf-error-details"}]


# ------------------------------------------------------------------ reads are retried


@pytest.mark.parametrize(
    "spec",
    ["html=200@3", "html=502@3", "html=520@3", "truncated@3", "offline@3", "readerror@3"],
)
def test_a_read_walk_survives_each_transient_answer(spec: str) -> None:
    plan = FaultPlan.parse(spec)
    emu = Emulator(company_with(30), faults=plan)
    slept, options = sleeps()
    got, client = walk(emu, options=options)
    assert got == [f"E{i:05d}" for i in range(1, 31)]
    assert sum(plan.counts().values()) == 1
    assert client.stats.retries == 1 and slept == [0.5]  # backed off once, then went on
    # html and offline refuse before anything runs; truncated and readerror were billed.
    billed_again = spec.startswith(("truncated", "readerror"))
    assert calls(emu, "query") == 3 + billed_again


def test_async_reads_retry_them_too() -> None:
    import asyncio

    plan = FaultPlan.parse("html=503@2,truncated@4,offline@6,readerror@8")  # one per page
    emu = Emulator(company_with(40), faults=plan)

    async def main() -> list[str]:
        async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
            got = [r["EMPLOYEEID"] async for r in client.query("EMPLOYEE", FIELDS, page_size=10)]
            assert client.stats.retries == 4
            return got

    assert asyncio.run(main()) == [f"E{i:05d}" for i in range(1, 41)]
    assert sum(plan.counts().values()) == 4


def test_a_404_is_not_retried() -> None:
    emu = Emulator(company_with(3))
    creds = attrs.evolve(CREDS, endpoint_url="https://emulator.test/ia/xml/nothing-here")
    with Client(creds, options=NO_SLEEP, transport=emu.transport()) as client:
        with pytest.raises(MalformedResponseError, match=r"answered HTML \(status 404\)"):
            client.lookup("EMPLOYEE")
        assert client.stats.retries == 0
    assert emu.stats.http_requests == 1


def test_other_4xx_without_xml_are_not_retried_but_408_is() -> None:
    gw = FakeGateway()
    gw.fault(1, lambda r: httpx.Response(400, content=b"Bad Request"))
    with Client(gw_creds(), options=NO_SLEEP, transport=gw.transport()) as client:
        with pytest.raises(MalformedResponseError):
            client.lookup("EMPLOYEE")
        assert gw.requests == 1
        gw.fault(2, lambda r: httpx.Response(408, content=b"Request Timeout"))
        assert client.lookup("EMPLOYEE")
        assert client.stats.retries == 1


def gw_creds() -> Any:
    from tests.sdk._fake_gateway import CREDS as FAKE

    return FAKE


# ------------------------------------------------------------------ writes


def create(client: Client, control_id: str, **options: Any) -> list[dict[str, Any]]:
    return client.create(
        "CLASS", {"CLASSID": control_id, "NAME": "n"}, control_id=control_id, options=options
    )


@pytest.mark.parametrize("spec", ["html=200@2", "html=502@2", "truncated@2"])
def test_a_write_without_unique_id_is_not_resent_its_outcome_is_unknown(spec: str) -> None:
    emu = Emulator(company_with(0), faults=FaultPlan.parse(spec))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        with pytest.raises(ResponseLostError, match="may have been applied"):
            create(client, "C1")
        assert client.stats.retries == 0
    # A CDN page came instead of the answer: nothing ran (html); the write ran (truncated).
    assert emu.company.count("CLASS") == (1 if spec.startswith("truncated") else 0)


@pytest.mark.parametrize("spec", ["html=502@2", "offline@2"])
def test_a_write_with_unique_id_is_resent_and_applied_once(spec: str) -> None:
    emu = Emulator(company_with(0), faults=FaultPlan.parse(spec))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        assert create(client, "C1", unique_id=True)
        assert client.stats.retries == 1
    assert emu.company.count("CLASS") == 1


def test_a_truncated_write_with_unique_id_is_resent_and_its_replay_refused() -> None:
    emu = Emulator(company_with(0), faults=FaultPlan.parse("truncated@2"))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        with pytest.raises(DuplicateControlIdError):  # it ran the first time
            create(client, "C1", unique_id=True)
        assert client.stats.retries == 1
    assert emu.company.count("CLASS") == 1


def test_off_line_refuses_before_running_so_any_write_is_resent() -> None:
    emu = Emulator(company_with(0), faults=FaultPlan.parse("offline@2"))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        assert create(client, "C1")  # no unique_id: still resent, nothing had run
        assert client.stats.retries == 1
    assert emu.company.count("CLASS") == 1
    assert calls(emu, "create") == 1


def test_off_line_at_the_authentication_level_is_retried_too() -> None:
    gw = FakeGateway()
    offline = xml_response(
        control()
        + "<operation>"
        + auth_block(None, "failure")
        + error_block("XL03000006", "The Service is Temporarily Off-line")
        + "</operation>"
    )
    gw.fault(1, lambda r: offline)
    with Client(gw_creds(), options=NO_SLEEP, transport=gw.transport()) as client:
        assert client.lookup("EMPLOYEE")
        assert (client.stats.retries, client.stats.logins) == (1, 1)


def test_off_line_is_its_own_error_when_retries_run_out() -> None:
    emu = Emulator(company_with(1), faults=FaultPlan.parse("offline@2-9"))
    once = attrs.evolve(NO_SLEEP, retry=RetryPolicy(attempts=2, sleep=lambda s: None))
    client = Client(CREDS, options=once, transport=emu.transport())
    with client, pytest.raises(ServiceOfflineError, match="temporarily off-line") as info:
        client.lookup("EMPLOYEE")
    assert isinstance(info.value, ServerError)
    assert "Temporarily Off-line" in info.value.errors[0].description


# ------------------------------------------------------------------ DL02000001 in a good answer


def test_only_the_failed_reads_of_a_request_are_sent_again() -> None:
    emu = Emulator(company_with(12), faults=FaultPlan.parse("readerror=query@2"))
    functions = [
        Read("EMPLOYEE", [1, 2], ["EMPLOYEEID"]),
        Query("EMPLOYEE", FIELDS, page_size=5),
        ReadByQuery("EMPLOYEE", page_size=5, fields=["EMPLOYEEID"]),
    ]
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        results = client.execute(functions)
        assert client.stats.retries == 1
    assert [r.ok for r in results] == [True, True, True]
    assert [r.control_id for r in results] == [fn.control_id for fn in functions]
    assert [len(r.data) for r in results] == [2, 5, 5]
    # The read and readByQuery ran once; only the query ran again, in a request of its own.
    assert (calls(emu, "read"), calls(emu, "query"), calls(emu, "readByQuery")) == (1, 2, 1)
    assert emu.stats.http_requests == 3


def test_a_request_holding_a_write_reports_its_failed_read_as_it_is() -> None:
    emu = Emulator(company_with(3), faults=FaultPlan.parse("readerror=query@2"))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        results = client.execute(
            [Query("EMPLOYEE", FIELDS), Create("CLASS", [{"CLASSID": "C1", "NAME": "n"}])]
        )
        assert client.stats.retries == 0
    assert [r.ok for r in results] == [False, True]
    assert results[0].errors[0].errorno == "DL02000001"
    assert emu.company.count("CLASS") == 1


def test_a_transaction_of_reads_is_not_split() -> None:
    emu = Emulator(company_with(3), faults=FaultPlan.parse("readerror=query@2"))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        results = client.execute(
            [Query("EMPLOYEE", FIELDS), Read("EMPLOYEE", [1])], transaction=True
        )
        assert client.stats.retries == 0
    assert not results[0].ok


def test_a_failed_read_more_is_not_sent_again() -> None:
    # The gateway may have moved the result set on: a second readMore could skip a page.
    emu = Emulator(company_with(12), faults=FaultPlan.parse("readerror=readMore@3"))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        pages = client.read_by_query_pages("EMPLOYEE", page_size=5)
        assert next(pages).count == 5
        with pytest.raises(FunctionError) as info:
            next(pages)
        assert info.value.errorno == "DL02000001"
        assert client.stats.retries == 0


@pytest.mark.parametrize("fault", ["lost@3", "truncated@3"])
def test_a_read_more_whose_answer_was_lost_is_not_resent_and_skips_nothing(fault: str) -> None:
    # the gateway ran it and moved the result set on: a resend would return the page after
    emu = Emulator(company_with(12), faults=FaultPlan.parse(fault))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        pages = client.read_by_query_pages("EMPLOYEE", page_size=5)
        assert next(pages).count == 5
        with pytest.raises(ResponseLostError, match=r"readMore.*skip a page") as info:
            next(pages)
        assert client.stats.retries == 0
    assert "read again from the readByQuery" in str(info.value)
    assert calls(emu, "readMore") == 1


def test_failed_reads_are_retried_within_the_policy_then_stand() -> None:
    emu = Emulator(company_with(3), faults=FaultPlan.parse("readerror:1.0"))
    slept, options = sleeps()
    options = attrs.evolve(options, retry=attrs.evolve(options.retry, attempts=3))
    with Client(CREDS, options=options, transport=emu.transport()) as client:
        with pytest.raises(FunctionError) as info:
            client.lookup("EMPLOYEE")
        assert info.value.errorno == "DL02000001"
        assert client.stats.retries == 2
    assert slept == [0.5, 1.0]
    assert calls(emu, "lookup") == 3


def test_an_off_line_function_result_is_retried_like_dl02000001() -> None:
    gw = FakeGateway()

    def offline_result(request: httpx.Request) -> httpx.Response:
        control_id = gw.seen[-1].control_ids[0]
        return xml_response(
            control()
            + "<operation>"
            + auth_block(None)
            + "<result><status>failure</status><function>lookup</function>"
            f"<controlid>{control_id}</controlid>"
            + error_block("BL01001973", "The Service is Temporarily Off-line")
            + "</result></operation>"
        )

    gw.fault(2, offline_result)
    with Client(gw_creds(), options=NO_SLEEP, transport=gw.transport()) as client:
        assert client.lookup("EMPLOYEE")["Name"] == "EMPLOYEE"
        assert client.stats.retries == 1
    assert gw.functions("lookup") == 2
