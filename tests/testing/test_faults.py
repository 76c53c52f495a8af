"""FaultPlan: spec parsing, scheduling, rates and what each kind does to a response."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk.testing._emulator import Emulator, EmulatorResponse, RequestContext
from intacct_sdk.testing._faults import FaultEvent, FaultPlan, FaultRule, FaultSpecError
from intacct_sdk.testing._seed import demo_company
from intacct_sdk.testing._server import serve

from ._xml import CREATE_CLASS, envelope, session_auth, session_id, statuses

URL = "https://emulator.invalid/ia/xml/xmlgw.phtml"

OK = EmulatorResponse(status=200, headers={"Content-Type": "text/xml"}, body=b"<response/>")


def ctx(
    n: int, *, write: bool = False, functions: tuple[str, ...] = ("readByQuery",)
) -> RequestContext:
    return RequestContext(request_number=n, is_write=write, function_names=functions)


def run(plan: FaultPlan, c: RequestContext) -> str | None:
    """Drive the plan as the emulator does; name the fault the request got, if any."""
    if plan.invalidate_sessions(c):
        return "session"
    early = plan.before_request(c)
    if early is not None:
        return "reset" if early.disconnect else f"http{early.status}"
    failure = plan.function_failure(c, c.function_names[0], "EMPLOYEE")
    if failure is not None:
        return "function"
    late = plan.after_request(c, OK)
    if late is OK:
        return None
    if late.disconnect:
        return "lost"
    if late.delay:
        return "slow"
    return f"http{late.status}"


# -- parsing -----------------------------------------------------------------------------------


def test_parse_rates_and_schedules() -> None:
    plan = FaultPlan.parse("lost:0.2, http503:0.1,http524@5-7,session@9,http429=2.5@10")
    assert plan.rules == (
        FaultRule("lost", rate=0.2),
        FaultRule("http503", rate=0.1),
        FaultRule("http524", requests=frozenset({5, 6, 7})),
        FaultRule("session", requests=frozenset({9})),
        FaultRule("http429", requests=frozenset({10}), param="2.5"),
    )


def test_blank_spec_is_no_faults() -> None:
    plan = FaultPlan.parse("  ")
    assert plan.rules == ()
    assert all(run(plan, ctx(n, write=True)) is None for n in range(1, 50))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("boom:0.1", "unknown fault kind 'boom'"),
        ("lost", "cannot read fault entry 'lost'"),
        ("lost:abc", "rate 'abc'"),
        ("lost:1.5", "not between 0 and 1"),
        ("lost:-0.1", "not between 0 and 1"),
        ("lost@0", "request numbers start at 1"),
        ("lost@x", "request number or a range"),
        ("lost@7-3", "ends before it starts"),
        ("lost@1-99999999", "spans more than"),
        ("lost,,http503:0.1", "empty entry"),
        ("lost=3@2", "takes no parameter"),
        ("slow=soon:0.1", "not a number of seconds"),
        ("slow=-1:0.1", "finite number >= 0"),
        ("slow=inf:0.1", "finite number >= 0"),
        ("function=a b@2", "not a function name"),
        ("lost:0.6,http503:0.5", "add up to 1.1"),
        ("lost@3,http524@2-4", "request 3 is scheduled for both 'lost' and 'http524'"),
    ],
)
def test_invalid_specs_are_explained(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message.replace("(", r"\(")):
        FaultPlan.parse(spec)


def test_fault_spec_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan.parse("nope@1")


def test_rule_needs_rate_or_schedule_not_both() -> None:
    with pytest.raises(FaultSpecError, match="exactly one"):
        FaultRule("lost")
    with pytest.raises(FaultSpecError, match="exactly one"):
        FaultRule("lost", rate=0.5, requests=frozenset({1}))


kinds = st.sampled_from(
    ["http502", "http503", "http524", "http429", "slow", "reset", "lost", "session", "function"]
)


@st.composite
def rules(draw: st.DrawFn) -> FaultRule:
    kind = draw(kinds)
    param = None
    if kind in {"http429", "slow"} and draw(st.booleans()):
        param = str(draw(st.integers(0, 120)))
    if kind == "function" and draw(st.booleans()):
        param = draw(st.sampled_from(["query", "readByQuery", "create"]))
    if draw(st.booleans()):
        return FaultRule(kind, rate=draw(st.floats(0, 0.1)), param=param)
    first = draw(st.integers(1, 50))
    return FaultRule(
        kind, requests=frozenset(range(first, first + draw(st.integers(1, 4)))), param=param
    )


@given(st.lists(rules(), max_size=4))
def test_spec_round_trips(rule_list: list[FaultRule]) -> None:
    try:
        plan = FaultPlan(rule_list)
    except FaultSpecError:
        return  # overlapping schedules: refused, nothing to round-trip
    again = FaultPlan.parse(plan.to_spec())
    assert sorted(map(repr, again.rules)) == sorted(
        repr(r) for r in plan.rules for r in _split_runs(r)
    )


def _split_runs(rule: FaultRule) -> list[FaultRule]:
    """A schedule with gaps is written as one entry per run; parse gives one rule per run."""
    if rule.rate is not None:
        return [rule]
    nums = sorted(rule.requests)
    out: list[list[int]] = []
    for n in nums:
        if out and out[-1][-1] == n - 1:
            out[-1].append(n)
        else:
            out.append([n])
    return [FaultRule(rule.kind, requests=frozenset(run), param=rule.param) for run in out]


# -- schedules ---------------------------------------------------------------------------------


def test_schedule_hits_exactly_the_named_requests() -> None:
    plan = FaultPlan.parse("lost@3,http524@5-6,reset@8,http502@9,http503@10,session@11,slow@12")
    got = {n: run(plan, ctx(n, write=True)) for n in range(1, 15)}
    assert got == {
        1: None, 2: None, 3: "lost", 4: None, 5: "http524", 6: "http524", 7: None,
        8: "reset", 9: "http502", 10: "http503", 11: "session", 12: "slow", 13: None, 14: None,
    }  # fmt: skip
    assert [e.kind for e in plan.events] == [
        "lost", "http524", "http524", "reset", "http502", "http503", "session", "slow"
    ]  # fmt: skip
    assert plan.counts()["http524"] == 2


def test_schedule_applies_to_logins_and_reads_too() -> None:
    plan = FaultPlan.parse("lost@1,http503@2")
    assert run(plan, ctx(1, functions=("getAPISession",))) == "lost"
    assert run(plan, ctx(2, functions=("getAPISession",))) == "http503"


def test_function_schedule_and_name_filter() -> None:
    plan = FaultPlan.parse("function=query@2-3")
    assert plan.function_failure(ctx(1), "query", "EMPLOYEE") is None
    assert plan.function_failure(ctx(2), "readByQuery", "EMPLOYEE") is None
    errorno, description = plan.function_failure(ctx(2), "query", "EMPLOYEE") or ("", "")
    assert errorno == "DL02000001"
    assert description
    assert plan.events == (FaultEvent(2, "function", "query"),)


# -- what each kind does -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "status"), [("http502", 502), ("http503", 503)])
def test_cdn_pages_are_html_before_handling(kind: str, status: int) -> None:
    early = FaultPlan.parse(f"{kind}@1").before_request(ctx(1))
    assert early is not None
    assert early.status == status
    assert early.headers["Content-Type"].startswith("text/html")
    assert early.body.lstrip().lower().startswith(b"<!doctype html>")
    assert not early.disconnect


def test_http429_carries_retry_after_and_gateway_error() -> None:
    early = FaultPlan.parse("http429=7@1,http429@2").before_request(ctx(1))
    assert early is not None
    assert early.status == 429
    assert early.headers["Retry-After"] == "7"
    assert b"<errorno>GW-0010</errorno>" in early.body
    default = FaultPlan.parse("http429@2").before_request(ctx(2))
    assert default is not None
    assert default.headers["Retry-After"] == "1"


def test_http524_replaces_a_handled_response() -> None:
    plan = FaultPlan.parse("http524@1")
    assert plan.before_request(ctx(1, write=True)) is None  # the request is handled first
    late = plan.after_request(ctx(1, write=True), OK)
    assert late.status == 524
    assert b"<response" not in late.body


def test_lost_keeps_the_response_but_disconnects() -> None:
    plan = FaultPlan.parse("lost@1")
    assert plan.before_request(ctx(1, write=True)) is None
    late = plan.after_request(ctx(1, write=True), OK)
    assert late.disconnect
    assert late.body == OK.body


def test_reset_disconnects_before_handling() -> None:
    early = FaultPlan.parse("reset@1").before_request(ctx(1))
    assert early is not None
    assert early.disconnect


def test_slow_delays_by_parameter() -> None:
    assert FaultPlan.parse("slow=2.5@1").after_request(ctx(1), OK).delay == 2.5
    assert FaultPlan.parse("slow@1").after_request(ctx(1), OK).delay == 120.0


# -- rates -------------------------------------------------------------------------------------


def _hits(plan: FaultPlan, n: int = 4000, *, write: bool = True) -> list[str | None]:
    return [run(plan, ctx(i, write=write)) for i in range(1, n + 1)]


def test_rate_is_deterministic_per_seed() -> None:
    a = _hits(FaultPlan.parse("lost:0.2,http503:0.1", seed=3))
    b = _hits(FaultPlan.parse("lost:0.2,http503:0.1", seed=3))
    c = _hits(FaultPlan.parse("lost:0.2,http503:0.1", seed=4))
    assert a == b
    assert a != c


def test_rate_does_not_depend_on_call_order() -> None:
    plan = FaultPlan.parse("reset:0.3", seed=9)
    forward = {i: run(plan, ctx(i)) for i in range(1, 300)}
    backward = {i: run(plan, ctx(i)) for i in reversed(range(1, 300))}
    assert forward == backward


def test_rates_are_roughly_honoured_and_exclusive() -> None:
    hits = _hits(FaultPlan.parse("lost:0.2,http503:0.1", seed=1))
    lost, unavailable = hits.count("lost"), hits.count("http503")
    # 4000 draws: binomial sd is about 25 and 19; allow 5 sd.
    assert 800 - 130 < lost < 800 + 130
    assert 400 - 95 < unavailable < 400 + 95
    assert set(hits) <= {None, "lost", "http503"}


def test_rate_spares_logins() -> None:
    plan = FaultPlan.parse("http503:1")
    assert run(plan, ctx(1, functions=("getAPISession",))) is None
    assert run(plan, ctx(2)) == "http503"


def test_lost_and_524_by_rate_hit_writes_only() -> None:
    plan = FaultPlan.parse("lost:0.5,http524:0.5")
    assert set(_hits(plan, 200, write=False)) == {None}
    assert set(_hits(plan, 200, write=True)) == {"lost", "http524"}


def test_function_rate_is_per_function() -> None:
    plan = FaultPlan.parse("function:0.5", seed=2)
    fails = [
        plan.function_failure(ctx(i), name, "EMPLOYEE") is not None
        for i in range(1, 200)
        for name in ("read", "query")
    ]
    assert 0 < sum(fails) < len(fails)
    assert (
        plan.function_failure(ctx(5, functions=("getAPISession",)), "getAPISession", None) is None
    )


def test_reset_clears_events_only() -> None:
    plan = FaultPlan.parse("reset@1")
    run(plan, ctx(1))
    assert plan.events
    plan.reset()
    assert plan.events == ()
    assert run(plan, ctx(1)) == "reset"


# -- with the real emulator ----------------------------------------------------------------------


def emulator_with(spec: str) -> Emulator:
    return Emulator(
        demo_company(employees=5, projects=1, tasks_per_project=1), faults=FaultPlan.parse(spec)
    )


def class_ids(emulator: Emulator) -> set[str]:
    return {r["CLASSID"] for r in emulator.company.records("CLASS")}


def test_lost_commits_the_write_then_drops_the_answer() -> None:
    emulator = emulator_with("lost@1")
    with httpx.Client(transport=emulator.transport()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(URL, content=envelope(CREATE_CLASS.format(id="LOST1")))
        assert "LOST1" in class_ids(emulator)  # applied, although the client never heard


def test_lost_over_the_loopback_server_is_a_connection_error() -> None:
    emulator = emulator_with("lost@1")
    with serve(emulator) as server, httpx.Client() as client:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.post(server.url, content=envelope(CREATE_CLASS.format(id="LOST2")))
        assert "LOST2" in class_ids(emulator)


def test_reset_applies_nothing() -> None:
    emulator = emulator_with("reset@1")
    with serve(emulator) as server, httpx.Client() as client:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.post(server.url, content=envelope(CREATE_CLASS.format(id="RESET")))
        assert "RESET" not in class_ids(emulator)
        retry = client.post(server.url, content=envelope(CREATE_CLASS.format(id="RESET")))
    assert statuses(retry.content) == ["success"]
    assert "RESET" in class_ids(emulator)


def test_http524_commits_then_answers_with_the_cdn_page() -> None:
    emulator = emulator_with("http524@1")
    response = emulator.handle(envelope(CREATE_CLASS.format(id="T524")))
    assert response.status == 524
    assert "T524" in class_ids(emulator)


@pytest.mark.parametrize("kind", ["http502", "http503", "http429"])
def test_early_answers_apply_nothing(kind: str) -> None:
    emulator = emulator_with(f"{kind}@1")
    response = emulator.handle(envelope(CREATE_CLASS.format(id="EARLY")))
    assert response.status == int(kind[4:])
    assert "EARLY" not in class_ids(emulator)
    assert emulator.stats.http_requests == 1


def test_session_fault_makes_a_session_request_fail_authentication() -> None:
    emulator = emulator_with("session@2")
    login = emulator.handle(envelope("<getAPISession/>"))
    sid = session_id(login.body)
    query = "<query><object>CLASS</object><select><field>CLASSID</field></select></query>"
    dropped = emulator.handle(envelope(query, auth=session_auth(sid)))
    assert b"<authentication><status>failure</status>" in dropped.body
    assert statuses(dropped.body) == []
    again = emulator.handle(envelope("<getAPISession/>"))
    ok = emulator.handle(envelope(query, auth=session_auth(session_id(again.body))))
    assert statuses(ok.body) == ["success"]


def test_function_fault_fails_one_function_and_runs_the_rest() -> None:
    emulator = emulator_with("function=create@1")
    query = "<query><object>CLASS</object><select><field>CLASSID</field></select></query>"
    response = emulator.handle(envelope(query, CREATE_CLASS.format(id="FN1")))
    assert statuses(response.body) == ["success", "failure"]
    assert b"<errorno>DL02000001</errorno>" in response.body
    assert "FN1" not in class_ids(emulator)


def test_function_schedule_fails_only_the_first_function_of_the_request() -> None:
    emulator = emulator_with("function@1")
    response = emulator.handle(envelope(*(CREATE_CLASS.format(id=f"S{i}") for i in range(1, 4))))
    assert statuses(response.body) == ["failure", "success", "success"]
    assert class_ids(emulator) >= {"S2", "S3"}
    assert "S1" not in class_ids(emulator)


def test_named_function_schedule_fails_only_the_first_function_of_that_name() -> None:
    emulator = emulator_with("function=create@1")
    query = "<query><object>CLASS</object><select><field>CLASSID</field></select></query>"
    response = emulator.handle(
        envelope(query, CREATE_CLASS.format(id="N1"), CREATE_CLASS.format(id="N2"), query)
    )
    assert statuses(response.body) == ["success", "failure", "success", "success"]
    assert "N1" not in class_ids(emulator)
    assert "N2" in class_ids(emulator)
    assert isinstance(emulator.faults, FaultPlan)
    assert emulator.faults.events == (FaultEvent(1, "function", "create"),)


def test_repeated_function_schedule_fails_one_function_each() -> None:
    emulator = emulator_with("function@1,function@1")
    response = emulator.handle(envelope(*(CREATE_CLASS.format(id=f"R{i}") for i in range(1, 4))))
    assert statuses(response.body) == ["failure", "failure", "success"]


def test_function_schedule_starts_afresh_for_each_emulator_the_plan_serves() -> None:
    plan = FaultPlan.parse("function@1")
    for run_number in range(2):
        emulator = Emulator(demo_company(employees=1, projects=1), faults=plan)
        response = emulator.handle(
            envelope(CREATE_CLASS.format(id="A"), CREATE_CLASS.format(id="B"))
        )
        assert statuses(response.body) == ["failure", "success"], run_number
    assert len(plan.events) == 2


def test_function_rate_draws_alike_functions_of_one_request_on_their_own() -> None:
    plan = FaultPlan.parse("function:0.5", seed=3)
    outcomes = []
    for n in range(1, 101):
        c = ctx(n, write=True, functions=("create", "create"))
        assert plan.before_request(c) is None
        first = plan.function_failure(c, "create", "CLASS") is not None
        second = plan.function_failure(c, "create", "CLASS") is not None
        plan.after_request(c, OK)
        outcomes.append((first, second))
    # the same function on the same object, twice in a request: not always the same fate
    assert any(a != b for a, b in outcomes)
    # and the draws are the plan's: the same seed chooses the same again
    again = FaultPlan.parse("function:0.5", seed=3)
    replay = []
    for n in range(1, 101):
        c = ctx(n, write=True, functions=("create", "create"))
        again.before_request(c)
        replay.append(
            (
                again.function_failure(c, "create", "CLASS") is not None,
                again.function_failure(c, "create", "CLASS") is not None,
            )
        )
        again.after_request(c, OK)
    assert replay == outcomes


def test_slow_over_the_in_process_transport_times_out_after_the_write() -> None:
    emulator = emulator_with("slow=30@1")
    timeout = httpx.Timeout(5.0, read=0.5)
    with (
        httpx.Client(transport=emulator.transport(), timeout=timeout) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post(URL, content=envelope(CREATE_CLASS.format(id="SLOW")))
    assert "SLOW" in class_ids(emulator)


def test_rate_faults_spare_logins_end_to_end() -> None:
    emulator = emulator_with("http503:1")
    assert emulator.handle(envelope("<getAPISession/>")).status == 200
    assert emulator.handle(envelope(CREATE_CLASS.format(id="X"))).status == 503
