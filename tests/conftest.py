"""Shared test helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.fixture
def reference_dir() -> Path:
    """The shared reference folder beside the repository (skips when absent)."""
    if not REFERENCE.is_dir():
        pytest.skip("shared reference folder not present")
    return REFERENCE
