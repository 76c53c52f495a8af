"""The fault kinds for transient answers: html, truncated, offline, readerror."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from intacct_sdk.testing import Company, Emulator, FaultPlan, FaultRule, FaultSpecError

from ._xml import CREATE_CLASS, envelope, statuses

QUERY = "<query><object>EMPLOYEE</object><select><field>RECORDNO</field></select></query>"
LOOKUP = "<lookup><object>EMPLOYEE</object></lookup>"


def emulator(spec: str, seed: int = 0) -> Emulator:
    return Emulator(Company(), faults=FaultPlan.parse(spec, seed=seed))


@pytest.mark.parametrize("status", [200, 403, 502, 503, 520])
def test_html_answers_a_cdn_page_with_the_chosen_status_before_handling(status: int) -> None:
    emu = emulator(f"html={status}@1")
    resp = emu.handle(envelope(CREATE_CLASS.format(id="C1")))
    assert resp.status == status
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.body.startswith(b"<!DOCTYPE html>")
    assert b"cf-error-details" in resp.body
    assert emu.company.count("CLASS") == 0  # nothing applied
    assert emu.stats.total_functions == 0


def test_html_defaults_to_502() -> None:
    assert emulator("html@1").handle(envelope(QUERY)).status == 502
    assert FaultPlan.parse("html:0.5").rules == (FaultRule("html", rate=0.5),)


@pytest.mark.parametrize("bad", ["html=99@1", "html=600@1", "html=abc@1", "html=5.0@1"])
def test_html_takes_only_an_http_status(bad: str) -> None:
    with pytest.raises(FaultSpecError, match="HTTP status"):
        FaultPlan.parse(bad)


def test_truncated_cuts_the_answer_of_a_handled_request() -> None:
    plain = Emulator(Company()).handle(envelope(CREATE_CLASS.format(id="C1")))
    emu = emulator("truncated@1", seed=4)
    resp = emu.handle(envelope(CREATE_CLASS.format(id="C1")))
    assert resp.status == 200
    assert 0 < len(resp.body) < len(plain.body.rstrip())
    assert plain.body.startswith(resp.body[:30])
    with pytest.raises(ET.ParseError):
        ET.fromstring(resp.body)
    assert emu.company.count("CLASS") == 1  # the write was applied: only its answer is cut


def test_truncated_cuts_at_a_point_drawn_from_the_seed() -> None:
    cuts = {len(emulator("truncated@1", seed=s).handle(envelope(QUERY)).body) for s in range(8)}
    assert len(cuts) > 1
    again = {len(emulator("truncated@1", seed=s).handle(envelope(QUERY)).body) for s in range(8)}
    assert again == cuts


def test_offline_refuses_at_the_control_level_before_handling() -> None:
    emu = emulator("offline@1")
    resp = emu.handle(envelope(CREATE_CLASS.format(id="C1")))
    assert resp.status == 200
    root = ET.fromstring(resp.body)
    assert root.findtext("control/status") == "failure"
    assert root.find("operation") is None
    assert "The Service is Temporarily Off-line" in (
        root.findtext("errormessage/error/description") or ""
    )
    assert emu.company.count("CLASS") == 0
    assert emu.stats.total_functions == 0


def test_readerror_fails_reads_and_never_writes() -> None:
    emu = emulator("readerror:1.0")
    body = envelope(QUERY, CREATE_CLASS.format(id="C1"), LOOKUP)
    assert statuses(emu.handle(body).body) == ["failure", "success", "failure"]
    assert b"<errorno>DL02000001</errorno>" in emu.handle(envelope(QUERY)).body
    assert emu.company.count("CLASS") == 1
    kinds = Counter(e.kind for e in emu.faults.events)  # type: ignore[union-attr]
    assert kinds == {"readerror": 3}
    # Logins are spared, as for every rate-drawn fault.
    login = "<getAPISession/>"
    assert statuses(emu.handle(envelope(login)).body) == ["success"]


def test_readerror_by_schedule_fails_the_first_read_it_names() -> None:
    emu = emulator("readerror=lookup@1")
    body = envelope(CREATE_CLASS.format(id="C1"), QUERY, LOOKUP, LOOKUP)
    assert statuses(emu.handle(body).body) == ["success", "success", "failure", "success"]
    only_writes = emulator("readerror@1")
    assert statuses(only_writes.handle(envelope(CREATE_CLASS.format(id="C2"))).body) == ["success"]


def test_readerror_draws_apart_from_function() -> None:
    # Same seed, same rate: the two kinds are drawn on their own keys.
    reads = [QUERY] * 40
    a = emulator("readerror:0.5", seed=3).handle(envelope(*reads)).body
    b = emulator("function:0.5", seed=3).handle(envelope(*reads)).body
    assert statuses(a) != statuses(b)


def test_new_kinds_round_trip_through_the_spec() -> None:
    spec = "html=503:0.05,truncated:0.05,offline:0.05,readerror=query:0.05,html@3-4"
    plan = FaultPlan.parse(spec, seed=1)
    assert plan.to_spec() == spec
    assert FaultPlan.parse(plan.to_spec()).rules == plan.rules
    with pytest.raises(FaultSpecError, match="takes no parameter"):
        FaultPlan.parse("offline=2@1")
    with pytest.raises(FaultSpecError, match="takes no parameter"):
        FaultPlan.parse("truncated=2@1")


def test_a_mix_at_twenty_percent_hits_every_kind() -> None:
    plan = FaultPlan.parse("html=503:0.05,truncated:0.05,offline:0.05,readerror:0.05", seed=2)
    emu = Emulator(Company(), faults=plan)
    for _ in range(300):
        emu.handle(envelope(QUERY))
    counts = plan.counts()
    assert set(counts) == {"html", "truncated", "offline", "readerror"}
    # About one request in five is hit (one in twenty for each kind).
    assert 30 <= sum(counts.values()) <= 90
