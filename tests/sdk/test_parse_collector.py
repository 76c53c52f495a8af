"""parse_response pauses the cyclic garbage collector while it builds a page, and puts the
collector back exactly as it found it (errors, threads and an application's own gc.disable)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from intacct_sdk import MalformedResponseError
from intacct_sdk._parse import parse_response


def page(records: int) -> bytes:
    rows = "".join(
        f"<EMPLOYEE><RECORDNO>{n}</RECORDNO><EMPLOYEEID>E{n}</EMPLOYEEID>"
        f"<WHENMODIFIED>07/24/2024 15:00:{n % 60:02d}</WHENMODIFIED></EMPLOYEE>"
        for n in range(records)
    )
    return (
        "<response><control><status>success</status></control><operation>"
        "<authentication><status>success</status></authentication>"
        "<result><status>success</status><function>query</function><controlid>q</controlid>"
        f'<data listtype="EMPLOYEE" count="{records}" numremaining="0">{rows}</data>'
        "</result></operation></response>"
    ).encode()


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """Every collection that starts while the test runs, with the threshold at its lowest
    (so that any run of allocations with the collector on triggers collections)."""
    seen: list[str] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(phase)

    threshold = gc.get_threshold()
    was_enabled = gc.isenabled()
    gc.enable()
    gc.set_threshold(1)
    gc.callbacks.append(callback)
    try:
        yield seen
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*threshold)
        if not was_enabled:
            gc.disable()


def test_no_collection_runs_while_a_page_is_built(collections: list[str]) -> None:
    body = page(500)
    collections.clear()
    response = parse_response(body)
    during = len(collections)  # read before anything else allocates
    # 500 records are thousands of allocations: with the threshold at 1, each would start a
    # collection; paused, at most the one the first allocation after the pause starts.
    assert during <= 1
    assert gc.isenabled()
    records = response.results[0].page.records  # type: ignore[union-attr]
    assert len(records) == 500 and records[-1]["RECORDNO"] == 499
    assert collections != []  # with the collector back on, allocations collect again


def test_the_collector_is_back_after_a_malformed_answer() -> None:
    assert gc.isenabled()
    with pytest.raises(MalformedResponseError):
        parse_response(page(10)[:-20])
    assert gc.isenabled()


def test_a_collector_the_application_disabled_stays_disabled() -> None:
    gc.disable()
    try:
        parse_response(page(10))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_threads_parsing_at_once_leave_the_collector_on() -> None:
    body = page(2000)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            for _ in range(5):
                assert len(parse_response(body).results[0].page.records) == 2000  # type: ignore[union-attr]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert gc.isenabled()
