"""Shared test helpers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests.server_postgres import pg_pool, pg_schema, postgres_dsn  # noqa: F401 (fixtures)
from tests.timesync.store_fixtures import store, store_pair  # noqa: F401 (fixtures)

import intacct_sdk

SRC = Path(intacct_sdk.__file__).resolve().parents[1]
_ROOT = Path(__file__).resolve().parents[1]
# The reference folder sits beside the checkout (or beside the folder of worktrees).
REFERENCE = next(
    (
        p / "shared" / "reference"
        for p in (_ROOT.parent, _ROOT.parent.parent)
        if (p / "shared" / "reference").is_dir()
    ),
    _ROOT.parent / "shared" / "reference",
)


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for running this checkout's code in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTACCT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


OWN_FIXTURES = _ROOT / "tests" / "fixtures"
"""Fixtures of our own (response, request and configuration shapes), read on every run."""


def _uses_shared_reference(item: pytest.Item) -> bool:
    return "reference_dir" in getattr(item, "fixturenames", ()) or bool(
        item.get_closest_marker("shared_reference")
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the shared reference folder, its tests are deselected rather than skipped.

    The facts they check are also carried by the fixtures of our own under ``tests/fixtures``,
    whose tests always run; the tests over the shared folder are an extra where it exists.
    """
    if REFERENCE.is_dir():
        return
    dropped = [item for item in items if _uses_shared_reference(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not _uses_shared_reference(item)]
        config.stash[_DROPPED] = len(dropped)


_DROPPED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say once why tests were deselected, so the count is not a mystery."""
    dropped = config.stash.get(_DROPPED, 0)
    if dropped:
        terminalreporter.write_line(
            f"{dropped} tests over the shared reference folder deselected (folder absent); "
            "the fixtures of our own under tests/fixtures ran"
        )


@pytest.fixture
def reference_dir() -> Path:
    """The shared reference folder beside the repository (skips when absent)."""
    if not REFERENCE.is_dir():
        pytest.skip("shared reference folder not present")
    return REFERENCE
