"""The matcher's index against the plain reading of matching: scan every candidate."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from timesync.engine._match import Matcher, norm
from timesync.local import LocalRecord

ORDER = ("intacct_key", "id", "email", "name")
_ATTR = {"intacct_key": "intacct_key", "id": "key", "email": "email", "name": "name"}
_value = st.one_of(st.none(), st.sampled_from(["a", "A ", "b", "c", " B"]))


@st.composite
def _records(draw: Any) -> list[LocalRecord]:
    count = draw(st.integers(0, 8))
    return [
        LocalRecord(
            str(i),
            draw(_value),
            name=draw(_value),
            email=draw(_value),
            intacct_key=draw(_value),
        )
        for i in range(count)
    ]


def _scan(free: list[LocalRecord], rkey: str, model: Any) -> tuple[list[str], str | None]:
    wanted = {
        "intacct_key": norm(rkey),
        "id": norm(rkey),
        "email": norm(model.email),
        "name": norm(model.name),
    }
    for criterion in ORDER:
        if wanted[criterion] is None:
            continue
        found = [
            r.local_id for r in free if norm(getattr(r, _ATTR[criterion])) == wanted[criterion]
        ]
        if found:
            return found, criterion
    return [], None


@settings(max_examples=200, deadline=None)
@given(
    records=_records(),
    lookups=st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), _value, _value), max_size=8),
)
def test_find_and_take_agree_with_a_scan_of_the_free_records(
    records: list[LocalRecord], lookups: list[tuple[str, str | None, str | None]]
) -> None:
    matcher = Matcher(records, ORDER)
    free = list(records)
    for rkey, email, name in lookups:
        model = SimpleNamespace(email=email, name=name)
        found, criterion = matcher.find(rkey, model)
        assert ([r.local_id for r in found], criterion) == _scan(free, rkey, model)
        if len(found) == 1:  # linked: no longer a candidate
            matcher.take(found[0])
            free.remove(found[0])
