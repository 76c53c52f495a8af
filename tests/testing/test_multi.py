"""MultiEmulator: many companies behind one gateway, routed by company id and by session."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import httpx
import pytest
from tests.sdk._emulated import NO_SLEEP, Gate, company_with
from tests.testing.emu_helpers import envelope, fn

from intacct_sdk import AuthenticationError, Client, Credentials, RateLimitError
from intacct_sdk.testing import (
    DEMO_CREDENTIALS,
    CompanyStats,
    Emulator,
    EmulatorCredentials,
    MultiEmulator,
)

FIELDS = ["RECORDNO", "EMPLOYEEID"]
COUNT = "<query><object>EMPLOYEE</object><select><field>RECORDNO</field></select></query>"


def creds_for(company_id: str) -> EmulatorCredentials:
    return attrs.evolve(DEMO_CREDENTIALS, company_id=company_id)


def login(company_id: str) -> str:
    c = DEMO_CREDENTIALS
    return (
        f"<login><userid>{c.user_id}</userid><companyid>{company_id}</companyid>"
        f"<password>{c.user_password}</password></login>"
    )


def two_companies(**options: Any) -> MultiEmulator:
    """Company A with 3 employees, B with 5."""
    return MultiEmulator(
        {
            "A": Emulator(company_with(3), credentials=creds_for("A"), **options),
            "B": Emulator(company_with(5), credentials=creds_for("B"), **options),
        }
    )


@contextmanager
def client(multi: MultiEmulator, company_id: str, **options: Any) -> Iterator[Client]:
    creds = Credentials(**attrs.asdict(creds_for(company_id)))
    opts = attrs.evolve(NO_SLEEP, **options)
    with Client(creds, options=opts, transport=multi.transport()) as c:
        yield c


def test_each_login_reaches_its_company_by_id_in_any_case() -> None:
    multi = two_companies()
    for company_id, employees in (("A", 3), ("b", 5), ("B", 5)):
        with client(multi, company_id) as c:
            assert len(list(c.query("EMPLOYEE", FIELDS))) == employees
    stats = multi.stats()
    assert list(stats) == ["A", "B"]
    # each client logs in, then queries on its session: both reach the same company
    assert (stats["A"].requests, stats["B"].requests) == (2, 4)
    assert (stats["A"].functions, stats["B"].functions) == (2, 4)
    assert multi.unrouted == 0
    assert multi.get("a") is multi.get("A")


def test_a_session_goes_to_the_company_that_issued_it() -> None:
    multi = two_companies()
    with client(multi, "A") as a, client(multi, "B") as b:
        for _ in range(3):  # interleaved, each on its own session
            assert len(list(a.query("EMPLOYEE", FIELDS))) == 3
            assert len(list(b.query("EMPLOYEE", FIELDS))) == 5
        assert a.stats.logins == b.stats.logins == 1
    assert multi.stats()["A"].requests == multi.stats()["B"].requests == 4
    assert multi.unrouted == 0


def test_an_unknown_company_or_session_is_refused_as_the_gateway_refuses_it() -> None:
    multi = two_companies()
    single = Emulator(company_with(3), credentials=creds_for("A"))
    for auth in (login("NOPE"), "<sessionid>no-such-session..</sessionid>"):
        body = envelope(fn(COUNT), auth=auth)
        got, want = multi.handle(body), single.handle(body)
        assert (got.status, got.body) == (want.status, want.body)
        assert b"XL03000006" in got.body
    wrong_sender = envelope(fn(COUNT), auth=login("NOPE"), sender_password="wrong")
    assert multi.handle(wrong_sender).body == single.handle(wrong_sender).body
    assert multi.unrouted == 3
    assert all(s.requests == 0 for s in multi.stats().values())
    with client(multi, "ZZZ") as c, pytest.raises(AuthenticationError):
        c.query("EMPLOYEE", FIELDS).__next__()


def test_each_company_has_its_own_slots() -> None:
    gate = Gate(lambda ctx: ctx.request_number > 1)  # A: holds all but its login
    a = Emulator(company_with(3), credentials=creds_for("A"), faults=gate, concurrency_wait=0)
    b = Emulator(company_with(5), credentials=creds_for("B"), concurrency_wait=0)
    multi = MultiEmulator({"A": a, "B": b})
    retry_never = attrs.evolve(NO_SLEEP.retry, attempts=1)
    with (
        client(multi, "A", max_concurrent=4, retry=retry_never) as ca,
        client(multi, "B", retry=retry_never) as cb,
    ):
        threads = [
            threading.Thread(target=lambda: ca.read_by_name("EMPLOYEE", "E00002")) for _ in range(2)
        ]
        for t in threads:
            t.start()
        assert gate.wait_for_held(2)  # one logged in, then both reads hold A's two slots
        with pytest.raises(RateLimitError):
            ca.read_by_name("EMPLOYEE", "E00003")  # a third for A is refused at once
        assert len(list(cb.query("EMPLOYEE", FIELDS))) == 5  # B is served meanwhile
        gate.release()
        for t in threads:
            t.join(30)
    sa, sb = multi.stats()["A"], multi.stats()["B"]
    assert (sa.peak_in_flight, sa.over_limit, sa.refused) == (2, 1, 1)
    assert (sb.over_limit, sb.refused, sb.in_flight) == (0, 0, 0)


def test_seeded_companies_differ_in_data_and_share_the_sender_and_user() -> None:
    multi = MultiEmulator.seeded(3, employees=4, projects=1, tasks_per_project=1, customers=1)
    assert multi.companies() == ("C0001", "C0002", "C0003")
    names = []
    for company_id in multi.companies():
        emulator = multi.get(company_id)
        assert emulator.credentials == creds_for(company_id)
        assert emulator.max_concurrent == 2
        names.append([e["PERSONALINFO.CONTACTNAME"] for e in emulator.company.records("EMPLOYEE")])
    assert len({tuple(n) for n in names}) == 3  # the seed varies by company
    again = MultiEmulator.seeded(3, employees=4, projects=1, tasks_per_project=1, customers=1)
    assert [
        e["PERSONALINFO.CONTACTNAME"] for e in again.get("C0002").company.records("EMPLOYEE")
    ] == names[1]
    with pytest.raises(ValueError, match="at least 1"):
        MultiEmulator.seeded(0)


def test_a_company_id_is_added_once_and_must_be_the_one_its_emulator_accepts() -> None:
    multi = two_companies()
    with pytest.raises(ValueError, match="served already"):
        multi.add("a", Emulator(credentials=creds_for("A")))
    with pytest.raises(ValueError, match="accepts company 'DEMO'"):
        multi.add("C", Emulator())
    with pytest.raises(ValueError, match="empty"):
        multi.add(" ", Emulator())
    with pytest.raises(KeyError):
        multi.get("C")
    assert len(multi) == 2 and list(multi) == ["A", "B"]


def timesheet(task: dict[str, str], key: str) -> dict[str, Any]:
    entry = {"ENTRYDATE": "03/04/2024", "QTY": "8", **task}
    return {
        "EMPLOYEEID": "E00001",
        "BEGINDATE": "03/04/2024",
        "TIMESYNC_ID": key,
        "TIMESHEETENTRIES": [entry],
    }


def push_twice_and_once(c: Client) -> None:
    """Create the timesheet ``t1`` twice (a duplicate) and ``t2`` once."""
    task = next(iter(c.query("TASK", ["TASKID", "PROJECTID"])))
    for key in ("t1", "t1", "t2"):
        c.create("TIMESHEET", timesheet(task, key))


def test_the_duplicate_timesheet_counter() -> None:
    multi = MultiEmulator.seeded(2, employees=2, projects=1, tasks_per_project=1, customers=1)
    with client(multi, "C0002") as c:
        push_twice_and_once(c)
    stats = multi.stats()
    assert stats["C0002"] == CompanyStats("C0002", 2, 5, 5, 0, 1, 0, 0, 0, 3, 1)
    assert (stats["C0001"].timesheets, stats["C0001"].duplicate_timesheets) == (0, 0)


def test_stats_over_http_from_the_loopback_server_hold_no_secret() -> None:
    multi = two_companies()
    with multi.serve() as server:
        creds = Credentials(**attrs.asdict(creds_for("B")), endpoint_url=server.url)
        with Client(creds, options=NO_SLEEP) as c:
            assert len(list(c.query("EMPLOYEE", FIELDS))) == 5
            session = c._sessions.session
        answer = httpx.get(f"{server.base_url}/_emulator/stats", timeout=30)
        refused = httpx.post(f"{server.base_url}/_emulator/stats", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    data = answer.json()
    assert data["unrouted"] == 0
    assert data["companies"]["B"] == multi.stats()["B"].to_json()
    assert data["companies"]["B"]["requests"] == 2
    assert refused.status_code == 405
    assert session is not None
    for secret in (DEMO_CREDENTIALS.sender_password, DEMO_CREDENTIALS.user_password):
        assert secret not in answer.text
    assert session.session_id not in answer.text


def test_the_stats_path_is_closed_when_the_endpoint_is_off() -> None:
    multi = two_companies()
    multi.stats_endpoint = False
    assert multi.handle(b"", method="GET", path="/_emulator/stats").status == 404
    multi.stats_endpoint = True
    answer = multi.handle(b"", method="GET", path="/_emulator/stats")
    assert json.loads(answer.body)["companies"]["A"]["requests"] == 0
    assert re.search(rb'"duplicate_timesheets": 0', answer.body)
