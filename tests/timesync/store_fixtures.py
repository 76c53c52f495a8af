"""The state-store protocol tests run over every store: SQLite and PostgreSQL.

``store`` is one company's store; ``store_pair`` two store objects over the same company's
state (two connections, as two workers would hold).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from timesync.store import PostgresStateStore, SQLiteStateStore, StateStore

__all__ = ["STORES", "store", "store_pair"]

STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _open(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if kind == "sqlite":
        return lambda: SQLiteStateStore(tmp_path / "state.db")
    pool = request.getfixturevalue("pg_pool")
    schema = request.getfixturevalue("pg_schema")
    return lambda: PostgresStateStore(pool, "C0001", schema=schema)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """One company's state store, of each kind."""
    s = _open(request.param, request, tmp_path)()
    yield s
    s.close()


@pytest.fixture(params=STORES)
def store_pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[StateStore, StateStore]]:
    """Two store objects over one company's state, of each kind."""
    opener = _open(request.param, request, tmp_path)
    a, b = opener(), opener()
    yield a, b
    a.close()
    b.close()
