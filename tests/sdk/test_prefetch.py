"""``query(..., prefetch=n)``: pages requested ahead, yielded in order, never billed twice."""

from __future__ import annotations

import math
import threading
import time
from contextlib import aclosing
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.sdk._emulated import CREDS, NO_SLEEP, calls, company_with
from tests.sdk._fake_gateway import CREDS as FAKE_CREDS
from tests.sdk._fake_gateway import FakeGateway, records_xml, xml_response
from tests.sdk._fake_gateway import control as control_block

from intacct_sdk import (
    AsyncClient,
    Client,
    ClientClosedError,
    ConfigurationError,
    FunctionError,
    Page,
    RetryPolicy,
)
from intacct_sdk._base import PagesAhead
from intacct_sdk.functions import Query
from intacct_sdk.testing import (
    Company,
    Emulator,
    EmulatorResponse,
    FaultPlan,
    FaultRule,
    NoFaults,
    RequestContext,
)

FIELDS = ["RECORDNO", "EMPLOYEEID"]
BY_RECORDNO = [("RECORDNO", "asc")]


def queries(emu: Emulator) -> int:
    return calls(emu, "query")


def walk(emu: Emulator, page_size: int, prefetch: int) -> list[Page]:
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        return list(
            client.query_pages(
                "EMPLOYEE", FIELDS, order_by=BY_RECORDNO, page_size=page_size, prefetch=prefetch
            )
        )


def ids(pages: list[Page]) -> list[str]:
    return [r["EMPLOYEEID"] for p in pages for r in p.records]


# ------------------------------------------------------------------ the law


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 45), page_size=st.integers(1, 12), prefetch=st.integers(1, 4))
def test_prefetch_yields_the_same_pages_with_the_same_calls(
    n: int, page_size: int, prefetch: int
) -> None:
    plain_emu, ahead_emu = Emulator(company_with(n)), Emulator(company_with(n))
    plain = walk(plain_emu, page_size, 0)
    ahead = walk(ahead_emu, page_size, prefetch)
    assert [(p.offset, p.count, p.num_remaining) for p in ahead] == [
        (p.offset, p.count, p.num_remaining) for p in plain
    ]
    assert ids(ahead) == [f"E{i:05d}" for i in range(1, n + 1)]
    # A walk to the end is billed exactly as a one-page-at-a-time walk: no page twice,
    # none past the end.
    assert queries(ahead_emu) == queries(plain_emu) == max(1, math.ceil(n / page_size))
    assert ahead_emu.stats.http_requests == plain_emu.stats.http_requests


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 30), page_size=st.integers(1, 8), prefetch=st.integers(1, 3))
@pytest.mark.anyio
async def test_async_prefetch_yields_every_record_once_in_order(
    n: int, page_size: int, prefetch: int
) -> None:
    emu = Emulator(company_with(n))
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        got = [
            r["EMPLOYEEID"]
            async for r in client.query(
                "EMPLOYEE", FIELDS, order_by=BY_RECORDNO, page_size=page_size, prefetch=prefetch
            )
        ]
    assert got == [f"E{i:05d}" for i in range(1, n + 1)]
    assert queries(emu) == max(1, math.ceil(n / page_size))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ------------------------------------------------------------------ pages really go ahead


class Gate(NoFaults):
    """Holds every query page after the first until released, counting the ones waiting."""

    def __init__(self) -> None:
        self.waiting = 0
        self.cond = threading.Condition()
        self.open = False

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if "query" in ctx.function_names and ctx.request_number > 2:
            with self.cond:
                self.waiting += 1
                self.cond.notify_all()
                self.cond.wait_for(lambda: self.open, timeout=10)
        return None

    def wait_for_waiting(self, n: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.waiting >= n, timeout=10)

    def release(self) -> None:
        with self.cond:
            self.open = True
            self.cond.notify_all()


@pytest.mark.parametrize("prefetch", [1, 3])
def test_pages_are_requested_while_the_current_one_is_read(prefetch: int) -> None:
    gate = Gate()
    emu = Emulator(company_with(50), faults=gate, max_concurrent=None)
    budget = attrs.evolve(NO_SLEEP, max_concurrent=prefetch)
    with Client(CREDS, options=budget, transport=emu.transport()) as client:
        pages = client.query_pages("EMPLOYEE", FIELDS, page_size=10, prefetch=prefetch)
        first = next(pages)
        assert first.count == 10
        # The caller holds page 1; the next `prefetch` pages are already at the gateway.
        assert gate.wait_for_waiting(prefetch)
        assert gate.waiting == prefetch
        gate.release()
        rest = list(pages)
    assert sum(p.count for p in rest) == 40
    assert queries(emu) == 5


# ------------------------------------------------------------------ the data moves


class Mutate(NoFaults):
    """Runs ``change`` on the company right after request ``after`` is answered."""

    def __init__(self, emu_company: Company, change: Any, after: int = 2) -> None:
        self.company = emu_company
        self.change = change
        self.after = after

    def after_request(self, ctx: RequestContext, response: EmulatorResponse) -> EmulatorResponse:
        if ctx.request_number == self.after:
            with self.company.lock:
                self.change(self.company)
        return response


@pytest.mark.parametrize("prefetch", [1, 2, 4])
@pytest.mark.parametrize("after", [2, 3])
def test_records_added_during_the_walk_are_read_past_the_first_pages_end(
    prefetch: int, after: int
) -> None:
    # after=2: the second page already counts the new records; after=3 (with prefetch=1):
    # only the last page the first one announced does.
    company = company_with(25)

    def grow(c: Company) -> None:
        for i in range(26, 33):
            c.insert("EMPLOYEE", {"EMPLOYEEID": f"E{i:05d}", "PERSONALINFO.CONTACTNAME": "New"})

    emu = Emulator(company, faults=Mutate(company, grow, after))
    pages = walk(emu, 10, prefetch)
    assert ids(pages) == [f"E{i:05d}" for i in range(1, 33)]
    assert queries(emu) == 4  # as a one-at-a-time walk: ceil(32 / 10)


@pytest.mark.anyio
async def test_async_walk_reads_records_added_after_the_first_page() -> None:
    company = company_with(25)

    def grow(c: Company) -> None:
        for i in range(26, 33):
            c.insert("EMPLOYEE", {"EMPLOYEEID": f"E{i:05d}", "PERSONALINFO.CONTACTNAME": "New"})

    emu = Emulator(company, faults=Mutate(company, grow, after=3))
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        got = [
            r["EMPLOYEEID"]
            async for r in client.query(
                "EMPLOYEE", FIELDS, order_by=BY_RECORDNO, page_size=10, prefetch=1
            )
        ]
    assert got == [f"E{i:05d}" for i in range(1, 33)]
    assert queries(emu) == 4


@pytest.mark.parametrize("prefetch", [1, 3, 8])
def test_records_removed_during_the_walk_end_it_without_empty_pages(prefetch: int) -> None:
    company = company_with(45)

    def shrink(c: Company) -> None:
        d = c.definition("EMPLOYEE")
        assert d is not None
        for recordno in range(26, 46):
            c.remove(d, recordno)

    emu = Emulator(company, faults=Mutate(company, shrink))
    pages = walk(emu, 10, prefetch)
    assert ids(pages) == [f"E{i:05d}" for i in range(1, 26)]
    assert all(p.count for p in pages)
    assert pages[-1].num_remaining == 0
    # The three pages a one-at-a-time walk sends, plus at most the pages already in flight
    # when the change was seen, and never more than the first page announced.
    assert 3 <= queries(emu) <= min(3 + prefetch, 5)


def test_a_short_page_replans_from_where_it_ended() -> None:
    rows = [{"RECORDNO": i, "EMPLOYEEID": f"E{i}"} for i in range(1, 11)]
    gw = FakeGateway({"EMPLOYEE": rows})

    def short_page(request: Any) -> Any:
        # The second page (offset 5) holds only two records but says three follow.
        cid = gw.seen[-1].control_ids[0]
        return xml_response(
            control_block() + "<operation><authentication><status>success</status>"
            "</authentication><result><status>success</status><function>query</function>"
            f"<controlid>{cid}</controlid>"
            '<data listtype="EMPLOYEE" totalcount="10" offset="5" count="2" numremaining="3">'
            f"{records_xml('EMPLOYEE', rows[5:7])}</data></result></operation>"
        )

    gw.fault(3, short_page)
    with Client(FAKE_CREDS, options=NO_SLEEP, transport=gw.transport()) as client:
        got = [
            r["EMPLOYEEID"] for r in client.query("EMPLOYEE", ["RECORDNO"], page_size=5, prefetch=1)
        ]
    assert got == [f"E{i}" for i in range(1, 11)]
    offsets = [s.body.split(b"<offset>")[1].split(b"<")[0] for s in gw.seen if b"<query>" in s.body]
    assert offsets == [b"0", b"5", b"7"]


class HoldUntilRefused(NoFaults):
    """Holds request 3 (the first page ahead) until the emulator has refused another."""

    def __init__(self) -> None:
        self.emu: Emulator | None = None

    def before_request(self, ctx: RequestContext) -> EmulatorResponse | None:
        if ctx.request_number == 3:
            deadline = time.monotonic() + 10
            while self.emu is not None and not self.emu.stats.refused:
                assert time.monotonic() < deadline, "no request was refused"
                time.sleep(0.001)
        return None


def test_pages_over_the_companys_concurrency_limit_are_retried() -> None:
    hold = HoldUntilRefused()
    emu = Emulator(company_with(50), faults=hold, max_concurrent=1, concurrency_wait=0)
    hold.emu = emu
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        got = [r["EMPLOYEEID"] for r in client.query("EMPLOYEE", FIELDS, page_size=10, prefetch=2)]
        retries = client.stats.retries
    assert got == [f"E{i:05d}" for i in range(1, 51)]
    assert emu.stats.refused >= 1
    assert retries >= emu.stats.refused
    assert queries(emu) == 5  # a refused request runs nothing, and is not billed


def test_pages_ahead_over_loopback_survive_resets_and_server_errors() -> None:
    # Real sockets and worker threads: a page whose connection is reset, or which gets a
    # 503, is sent again from the caller's thread; nothing is read twice or lost.
    plan = FaultPlan.parse("reset:0.15,http503:0.15", seed=1)
    emu = Emulator(company_with(1000), faults=plan)
    with emu.serve() as server:
        creds = attrs.evolve(CREDS, endpoint_url=server.url)
        with Client(creds, options=NO_SLEEP) as client:
            got = [
                r["EMPLOYEEID"]
                for r in client.query(
                    "EMPLOYEE", FIELDS, order_by=BY_RECORDNO, page_size=100, prefetch=3
                )
            ]
            retries = client.stats.retries
    assert got == [f"E{i:05d}" for i in range(1, 1001)]
    counts = plan.counts()
    assert counts["reset"] >= 1 and counts["http503"] >= 1  # this seed hits both kinds
    assert retries == sum(counts.values())
    assert queries(emu) == 10  # both faults answer before the gateway runs anything


# ------------------------------------------------------------------ stopping and failing


def test_stopping_early_leaves_at_most_prefetch_pages_unread() -> None:
    emu = Emulator(company_with(100))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        for record in client.query("EMPLOYEE", FIELDS, page_size=10, prefetch=2):
            if record["EMPLOYEEID"] == "E00003":
                break
        # The walk is closed; the client goes on as usual.
        assert len(list(client.query("EMPLOYEE", FIELDS, page_size=100))) == 100
    assert queries(emu) <= 1 + 2 + 1


def test_a_failed_page_raises_in_its_turn_after_the_pages_before_it() -> None:
    plan = FaultPlan([FaultRule("function", requests={4})])  # the third query page
    emu = Emulator(company_with(50), faults=plan)
    seen: list[int] = []

    def read_all(client: Client) -> None:
        for page in client.query_pages("EMPLOYEE", FIELDS, page_size=10, prefetch=1):
            seen.append(page.count)

    # No retries: the transient failure of that page stands, and is raised in its turn.
    once = attrs.evolve(NO_SLEEP, retry=RetryPolicy.never())
    client = Client(CREDS, options=once, transport=emu.transport())
    with client, pytest.raises(FunctionError):
        read_all(client)
    assert seen == [10, 10]


def test_closing_the_client_stops_a_prefetching_walk() -> None:
    emu = Emulator(company_with(50))
    client = Client(CREDS, options=NO_SLEEP, transport=emu.transport())
    pages = client.query_pages("EMPLOYEE", FIELDS, page_size=10, prefetch=1)
    next(pages)
    next(pages)  # the page fetched ahead while the first was read
    client.close()
    with pytest.raises(ClientClosedError):
        list(pages)


@pytest.mark.anyio
async def test_async_early_stop_cancels_the_pages_ahead() -> None:
    emu = Emulator(company_with(100))
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        async with aclosing(
            client.query_pages("EMPLOYEE", FIELDS, page_size=10, prefetch=3)
        ) as pages:
            async for page in pages:
                assert page.count == 10
                break
        assert len([r async for r in client.query("EMPLOYEE", FIELDS)]) == 100
    assert queries(emu) <= 1 + 3 + 1


@pytest.mark.parametrize("bad", [-1, 9, True, 2.0, "2"])
def test_a_bad_prefetch_is_refused_before_anything_is_sent(bad: Any) -> None:
    emu = Emulator(company_with(3))
    with Client(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        with pytest.raises(ConfigurationError, match="prefetch"):
            list(client.query("EMPLOYEE", FIELDS, prefetch=bad))
        assert client.stats.http_requests == 0
    assert emu.stats.http_requests == 0


@pytest.mark.anyio
async def test_async_bad_prefetch_is_refused_before_anything_is_sent() -> None:
    emu = Emulator(company_with(3))
    async with AsyncClient(CREDS, options=NO_SLEEP, transport=emu.transport()) as client:
        with pytest.raises(ConfigurationError, match="prefetch"):
            [r async for r in client.query("EMPLOYEE", FIELDS, prefetch=9)]
    assert emu.stats.http_requests == 0


# ------------------------------------------------------------------ the plan alone


def page(offset: int, count: int, remaining: int) -> Page:
    return Page(
        [{"RECORDNO": i} for i in range(count)],
        "EMPLOYEE",
        count=count,
        num_remaining=remaining,
        offset=offset,
    )


def test_plan_takes_the_announced_pages_then_stops() -> None:
    fn = Query("EMPLOYEE", ["RECORDNO"], page_size=10)
    plan = PagesAhead.after(fn, page(0, 10, 25))
    assert plan is not None
    taken = list(iter(plan.take, None))
    assert [q.offset for q in taken] == [10, 20, 30]
    # Each page is a function of its own: the gateway remembers control ids.
    assert len({q.control_id for q in [fn, *taken]}) == 4


def test_plan_after_a_last_first_page_is_none() -> None:
    fn = Query("EMPLOYEE", ["RECORDNO"], page_size=10)
    assert PagesAhead.after(fn, page(0, 4, 0)) is None


def test_plan_follows_more_replan_and_end() -> None:
    fn = Query("EMPLOYEE", ["RECORDNO"], page_size=10)
    plan = PagesAhead.after(fn, page(0, 10, 30))
    assert plan is not None
    second, third = plan.take(), plan.take()
    assert second is not None and third is not None
    assert plan.follow(second, page(10, 10, 20)) == "more"
    assert plan.follow(third, page(20, 6, 9)) == "replan"
    assert (plan.next_offset, plan.end) == (26, 35)
    last = plan.take()
    assert last is not None and last.offset == 26
    assert plan.follow(last, page(26, 9, 0)) == "end"
