"""Keyset queries answered from the order index give exactly what the general path gives.

The emulator answers ``orderby T, RECORDNO`` queries whose filter bounds T from below from a
sorted index kept up to date on writes; any query it cannot answer that way goes the general
way (filter every record, sort). Random tables, random writes between pages, random filters:
both must give the same bytes, page by page.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.testing.emu_helpers import Gateway, fn

from intacct_sdk.testing import Company, Emulator
from intacct_sdk.testing import _functions as functions

STAMPS = [f"03/0{d}/2024 0{h}:00:00" for d in range(1, 4) for h in range(3)]


def _stamp(i: int) -> str:
    return STAMPS[i % len(STAMPS)]


def _value(field: str, text: str) -> str:
    return f"<field>{field}</field><value>{text}</value>"


def _after(field: str, when: str, rn: int) -> str:
    return (
        f"<or><greaterthan>{_value(field, when)}</greaterthan><and>"
        f"<equalto>{_value(field, when)}</equalto>"
        f"<greaterthan>{_value('RECORDNO', str(rn))}</greaterthan></and></or>"
    )


conditions = st.one_of(
    st.builds(lambda: "<isnotnull><field>WHENMODIFIED</field></isnotnull>"),
    st.builds(lambda: "<isnull><field>WHENMODIFIED</field></isnull>"),
    st.builds(lambda s: f"<equalto>{_value('STATUS', s)}</equalto>", st.sampled_from(["active"])),
    st.builds(
        lambda i, rn: _after("WHENMODIFIED", _stamp(i), rn), st.integers(0, 9), st.integers(0, 40)
    ),
    st.builds(
        lambda i, op: f"<{op}>{_value('WHENMODIFIED', _stamp(i))}</{op}>",
        st.integers(0, 9),
        st.sampled_from(["greaterthan", "greaterthanorequalto", "lessthan"]),
    ),
    st.builds(
        lambda i, rn: _after("WHENCREATED", _stamp(i), rn), st.integers(0, 9), st.integers(0, 40)
    ),
)


def _filter(parts: list[str]) -> str:
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else "<and>" + "".join(parts) + "</and>"
    return f"<filter>{body}</filter>"


def _query(where: str, order: str, offset: int, size: int) -> str:
    orders = {
        "modified": "<order><field>WHENMODIFIED</field></order><order><field>RECORDNO</field></order>",
        "created": "<order><field>WHENCREATED</field></order><order><field>RECORDNO</field></order>",
        "desc": "<order><field>WHENMODIFIED</field><descending/></order>"
        "<order><field>RECORDNO</field></order>",
    }[order]
    return fn(
        "<query><object>CLASS</object><select><field>RECORDNO</field><field>WHENMODIFIED</field>"
        f"</select>{where}<orderby>{orders}</orderby>"
        f"<pagesize>{size}</pagesize><offset>{offset}</offset></query>"
    )


rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.just(""), st.integers(0, 9)),
        st.integers(0, 9),
        st.sampled_from(["active", "inactive"]),
    ),
    max_size=30,
)
writes = st.lists(
    st.tuples(st.integers(1, 30), st.one_of(st.none(), st.integers(0, 9))), max_size=8
)


def _answer(gw: Gateway, body: str) -> str:
    (result,) = gw.results(body)
    data = result.find("data")
    return (
        ET.tostring(data, encoding="unicode") if data is not None else ET.tostring(result).decode()
    )


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows,
    writes,
    st.lists(conditions, max_size=3),
    st.sampled_from(["modified", "modified", "created", "desc"]),
    st.integers(0, 5),
    st.integers(1, 7),
)
def test_indexed_pages_equal_general_pages(
    monkeypatch: pytest.MonkeyPatch,
    table: list[tuple[Any, int, str]],
    changes: list[tuple[int, int | None]],
    parts: list[str],
    order: str,
    offset: int,
    size: int,
) -> None:
    company = Company()
    company.bulk_insert(
        "CLASS",
        [
            {
                "CLASSID": f"C{i}",
                "STATUS": status,
                "WHENCREATED": _stamp(created),
                "WHENMODIFIED": "" if modified in (None, "") else _stamp(modified),
            }
            for i, (modified, created, status) in enumerate(table)
        ],
    )
    gw = Gateway(Emulator(company))
    query = _query(_filter(parts), order, offset, size)

    def both() -> None:
        indexed = _answer(gw, query)
        with monkeypatch.context() as m:
            m.setattr(functions, "keyset_page", lambda *a, **k: None)
            general = _answer(gw, query)
        assert indexed == general

    both()
    for rn, modified in changes:  # writes between pages keep the index up to date
        if company.get("CLASS", rn) is None:
            continue
        if modified is None:
            company.delete("CLASS", rn)
        else:
            company.update("CLASS", rn, {"WHENMODIFIED": _stamp(modified)})
        both()


def test_a_keyset_read_finds_every_record_once_while_records_change() -> None:
    """Pages read strictly after the last row while rows move: each record read is current."""
    company = Company()
    company.bulk_insert(
        "CLASS", [{"CLASSID": f"C{i}", "WHENMODIFIED": _stamp(i % 5)} for i in range(20)]
    )
    gw = Gateway(Emulator(company))
    calls: list[int] = []
    real = functions.keyset_page

    def spy(*a: Any, **k: Any) -> Any:
        out = real(*a, **k)
        calls.append(out is not None)
        return out

    functions.keyset_page = spy  # type: ignore[assignment]
    try:
        seen: list[str] = []
        where = _filter(["<isnotnull><field>WHENMODIFIED</field></isnotnull>"])
        while True:
            (result,) = gw.results(_query(where, "modified", 0, 6))
            recs = result.findall("data/CLASS")
            if not recs:
                break
            seen += [r.findtext("RECORDNO") or "" for r in recs]
            last = recs[-1]
            where = _filter(
                [
                    _after(
                        "WHENMODIFIED",
                        last.findtext("WHENMODIFIED") or "",
                        int(last.findtext("RECORDNO") or 0),
                    )
                ]
            )
            if len(seen) == 6:
                company.update("CLASS", 1, {"WHENMODIFIED": "03/09/2024 00:00:00"})
    finally:
        functions.keyset_page = real  # type: ignore[assignment]
    assert all(calls)
    # record 1 was read, changed, and read again at its new place; every other one once
    assert seen.count("1") == 2
    assert sorted(seen, key=int) == sorted([*{*seen}, "1"], key=int)
