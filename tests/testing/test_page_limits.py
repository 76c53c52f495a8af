"""Page sizes over the gateway's limits: refused as the request schema says, or capped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.testing.emu_helpers import envelope, fn

from intacct_sdk.testing import Company, Emulator


def _company(n: int = 2100) -> Company:
    company = Company()
    company.bulk_insert("CLASS", ({"CLASSID": f"K{i:04d}", "NAME": str(i)} for i in range(n)))
    return company


COMPANY = _company()


def query(size: str, offset: str | None = None) -> str:
    extra = f"<offset>{offset}</offset>" if offset is not None else ""
    return (
        "<query><object>CLASS</object><select><field>CLASSID</field></select>"
        f"<pagesize>{size}</pagesize>{extra}</query>"
    )


def read_by_query(size: int) -> str:
    return (
        "<readByQuery><object>CLASS</object><query></query><fields>CLASSID</fields>"
        f"<pagesize>{size}</pagesize></readByQuery>"
    )


def answer(emu: Emulator, *bodies: str) -> ET.Element:
    functions = "".join(fn(b, f"f{i}") for i, b in enumerate(bodies))
    resp = emu.handle(envelope(functions))
    assert resp.status == 200
    return ET.fromstring(resp.body)


def test_a_query_page_size_over_2000_fails_the_whole_request_as_a_schema_error() -> None:
    emu = Emulator(COMPANY)
    root = answer(emu, read_by_query(5), query("2001"))
    # The schema is checked before anything runs: a control failure, no operation at all.
    assert root.findtext("control/status") == "failure"
    assert root.find("operation") is None
    assert root.findtext("errormessage/error/errorno") == "XL03000003"
    text = root.findtext("errormessage/error/description2") or ""
    assert "pagesize" in text and "maxInclusive" in text and "2000" in text
    assert emu.stats.total_functions == 0  # nothing ran, nothing billed


def test_the_limit_itself_is_served_whole() -> None:
    root = answer(Emulator(COMPANY), query("2000"))
    data = root.find("operation/result/data")
    assert data is not None
    assert (data.get("count"), data.get("numremaining")) == ("2000", "100")


@pytest.mark.parametrize(
    ("size", "offset", "facet"),
    [("0", None, "minInclusive"), ("ten", None, "xs:integer"), ("5", "-1", "minInclusive")],
)
def test_other_schema_violations_of_query_paging_fail_the_same_way(
    size: str, offset: str | None, facet: str
) -> None:
    root = answer(Emulator(COMPANY), query(size, offset))
    assert root.findtext("errormessage/error/errorno") == "XL03000003"
    assert facet in (root.findtext("errormessage/error/description2") or "")


def test_a_read_by_query_page_size_over_1000_fails_that_function_only() -> None:
    emu = Emulator(COMPANY)
    root = answer(emu, read_by_query(1001), query("3"))
    first, second = root.findall("operation/result")
    assert first.findtext("status") == "failure"
    assert "1 to 1000, got 1001" in (first.findtext("errormessage/error/description2") or "")
    assert second.findtext("status") == "success"
    ok = answer(emu, read_by_query(1000)).find("operation/result/data")
    assert ok is not None and ok.get("count") == "1000"


def test_cap_serves_the_largest_page_instead() -> None:
    emu = Emulator(COMPANY, oversized_pages="cap")
    results = answer(emu, read_by_query(5000), query("5000")).findall("operation/result")
    assert [r.findtext("status") for r in results] == ["success", "success"]
    counts = [r.find("data").get("count") for r in results]  # type: ignore[union-attr]
    assert counts == ["1000", "2000"]


def test_a_bad_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="oversized_pages"):
        Emulator(oversized_pages="truncate")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.integers(-5, 10_000))
def test_a_query_page_size_is_served_exactly_when_the_schema_allows_it(size: int) -> None:
    root = answer(Emulator(_SMALL), query(str(size)))
    if 1 <= size <= 2000:
        assert root.findtext("operation/result/status") == "success"
        data = root.find("operation/result/data")
        assert data is not None and int(data.get("count") or -1) == min(size, 30)
    else:
        assert root.findtext("errormessage/error/errorno") == "XL03000003"


_SMALL = _company(30)
