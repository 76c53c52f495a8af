"""Change cursors and keyset reads: what each object is read by, and that paging is exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intacct_sdk.query import F
from timesync.engine import matches
from timesync.engine._streams import (
    StreamKind,
    change_facts,
    keyset_after,
    periodic_due,
    plan_streams,
    sort_key,
)

T0 = datetime(2024, 3, 1, 9, 0, 0, tzinfo=UTC)
KINDS: tuple[StreamKind, ...] = ("modified", "created", "snapshot")

rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 10_000)),
    unique_by=lambda r: r[1],
    max_size=40,
)


def _record(seconds: int, record_no: int) -> dict[str, Any]:
    when = T0 + timedelta(seconds=seconds)
    return {"WHENMODIFIED": when, "WHENCREATED": when, "RECORDNO": record_no}


def _page(
    kind: StreamKind,
    records: list[dict[str, Any]],
    position: tuple[datetime, int] | None,
    size: int,
) -> list[dict[str, Any]]:
    """What the gateway returns for one keyset page: filter, order, limit."""
    where = keyset_after(kind, position, None)
    hits = [r for r in records if matches(where, r)]
    hits.sort(key=lambda r: sort_key(kind, r, UTC))  # type: ignore[arg-type, return-value]
    return [dict(r) for r in hits[:size]]


@pytest.mark.parametrize("kind", KINDS)
@given(data=rows, size=st.integers(1, 7))
def test_keyset_paging_reads_every_record_once_in_order(
    kind: StreamKind, data: list[tuple[int, int]], size: int
) -> None:
    records = [_record(s, n) for s, n in data]
    seen: list[int] = []
    position = None
    while True:
        page = _page(kind, records, position, size)
        seen.extend(int(r["RECORDNO"]) for r in page)
        if len(page) < size:
            break
        position = sort_key(kind, page[-1], UTC)
    expected = sorted(data) if kind != "snapshot" else sorted(data, key=lambda r: r[1])
    assert seen == [n for _, n in expected]


@given(rows, st.integers(1, 5), st.data())
def test_keyset_paging_sees_records_changed_during_the_read(
    data: list[tuple[int, int]], size: int, draw: st.DataObject
) -> None:
    """A record modified between two pages gets a newer WHENMODIFIED and is read again later:
    nothing is skipped, unlike offset paging."""
    records = [_record(s, n) for s, n in data]
    seen: set[int] = set()
    position = None
    clock = T0 + timedelta(seconds=100)
    while True:
        page = _page("modified", records, position, size)
        seen.update(int(r["RECORDNO"]) for r in page)
        if records and draw.draw(st.booleans()):
            victim = draw.draw(st.sampled_from(records))
            clock += timedelta(seconds=1)
            victim["WHENMODIFIED"] = clock
        if len(page) < size:
            break
        position = sort_key("modified", page[-1], UTC)
    assert seen == {n for _, n in data}


def test_keyset_xml_names_both_keys() -> None:
    naive = T0.replace(tzinfo=None)
    where = keyset_after("modified", (naive, 42), F("STATUS") == "active")
    assert where is not None
    xml = where.to_xml()
    assert "<greaterthan><field>WHENMODIFIED</field><value>03/01/2024 09:00:00</value>" in xml
    assert "<greaterthan><field>RECORDNO</field><value>42</value>" in xml
    assert xml.startswith("<and><equalto><field>STATUS</field>")
    created = keyset_after("created", (naive, 7), None)
    assert created is not None and "<field>WHENCREATED</field>" in created.to_xml()
    snapshot = keyset_after("snapshot", (naive, 7), None)
    assert snapshot is not None
    assert snapshot.to_xml() == "<greaterthan><field>RECORDNO</field><value>7</value></greaterthan>"


def test_change_facts_come_from_the_schema_table() -> None:
    assert change_facts("EMPLOYEE").modified and change_facts("EMPLOYEE").created
    assert change_facts("PROJECTTYPE").modified
    time_type = change_facts("TIMETYPE")  # real lookup output has neither timestamp
    assert time_type.snapshot_only and not time_type.created
    assert change_facts("FUND", ["ID", "NAME", "WHENMODIFIED"]).modified  # a declared UDD
    assert change_facts("FUND", ["ID"]).snapshot_only


def _plan(name: str = "EMPLOYEE", **kw: Any) -> tuple[Any, ...]:
    args: dict[str, Any] = {
        "spec_filter": F("STATUS") == "active",
        "cursor": (T0, 9),
        "created_cursor": None,
        "full": False,
        "periodic": False,
        "lag": timedelta(minutes=2),
        "window": timedelta(hours=2),
    }
    args.update(kw)
    return plan_streams(name, change_facts(name), **args)


def test_a_frequent_pass_reads_changes_since_the_cursor_less_the_lag() -> None:
    [read] = _plan()
    assert (read.kind, read.cursor, read.filter_locally) == ("modified", "EMPLOYEE", True)
    assert read.start == (T0 - timedelta(minutes=2), 0)
    assert read.base is None, "every change is read; the spec's filter is applied locally"
    assert not read.complete_read


def test_the_periodic_pass_rereads_a_wide_window_and_the_records_without_whenmodified() -> None:
    main, empty = _plan(periodic=True, created_cursor=(T0 - timedelta(days=1), 3))
    assert main.start == (T0 - timedelta(hours=2), 0)
    assert (empty.kind, empty.cursor) == ("created", "EMPLOYEE:created")
    assert empty.start == (T0 - timedelta(days=1, hours=2), 0)
    assert empty.base == F("WHENMODIFIED").is_null()


def test_a_read_settles_what_was_older_than_the_lag_when_it_started() -> None:
    minute = timedelta(minutes=1)
    # the last complete read began long after the cursor: nothing behind it is read again
    [read] = _plan(read_at=T0 + 10 * minute)
    assert read.start == (T0, 9), "from the cursor itself, past the records already applied"
    # it began just after the cursor: only what was within the lag of it is read again
    [read] = _plan(read_at=T0 + minute)
    assert read.start == (T0 - minute, 0)
    # it began before the cursor moved there (a change seen at once): the full lag again
    [read] = _plan(read_at=T0 - 10 * minute)
    assert read.start == (T0 - 2 * minute, 0)
    # the periodic pass settles by its own marker and window
    main, empty = _plan(
        periodic=True,
        created_cursor=(T0 - timedelta(days=1), 3),
        read_at=T0 + 10 * minute,
        periodic_at=T0 + timedelta(hours=1),
    )
    assert main.start == (T0 - timedelta(hours=1), 0)
    assert empty.start == (T0 - timedelta(days=1), 3), "settled up to the cursor: read on from it"


@given(
    cursor=st.integers(0, 10_000),
    read=st.one_of(st.none(), st.integers(-10_000, 20_000)),
    lag=st.integers(0, 500),
)
def test_a_settled_start_is_never_before_the_unsettled_one_nor_after_the_cursor(
    cursor: int, read: int | None, lag: int
) -> None:
    """The law: a read starts no earlier than without the marker and never later than the
    cursor; it reads again exactly what the marker leaves unsettled (changes at or after
    the marker less the lag), or nothing behind the cursor when that is all settled."""
    second = timedelta(seconds=1)
    at = T0 + cursor * second
    read_at = None if read is None else T0 + read * second
    [plain] = _plan(cursor=(at, 9), lag=lag * second)
    [settled] = _plan(cursor=(at, 9), lag=lag * second, read_at=read_at)
    assert plain.start is not None and settled.start is not None
    assert plain.start <= settled.start <= (at, 9)
    if read_at is None or lag == 0:
        assert settled.start == plain.start
    elif read_at - lag * second >= at:
        assert settled.start == (at, 9)
    else:
        assert settled.start == (max(at, read_at) - lag * second, 0)


def test_a_first_or_full_read_reads_everything_in_scope_by_both_keysets() -> None:
    for kw in ({"cursor": None}, {"full": True}):
        main, empty = _plan(**kw)
        assert main.complete_read and empty.complete_read
        assert main.base == (F("STATUS") == "active") & F("WHENMODIFIED").is_not_null()
        assert empty.base == (F("STATUS") == "active") & F("WHENMODIFIED").is_null()
        assert main.start is None and empty.start is None


def test_an_object_without_a_change_cursor_is_read_whole_and_only_periodically() -> None:
    assert _plan("TIMETYPE") == ()
    [snap] = _plan("TIMETYPE", periodic=True)
    assert (snap.kind, snap.cursor, snap.complete_read) == ("snapshot", None, True)
    assert snap.order == (("RECORDNO", "asc"),)
    assert _plan("TIMETYPE", full=True) == (snap,)


def test_the_periodic_pass_is_due_by_its_cadence() -> None:
    hour = timedelta(hours=1)
    assert periodic_due(None, T0, hour)
    assert not periodic_due(T0, T0 + timedelta(minutes=59), hour)
    assert periodic_due(T0, T0 + hour, hour)
