"""docs/scale.md speaks of names that exist: its examples' imports of this project resolve,
the code names it quotes in backticks are attributes of the modules they name, and it is
in the docs' navigation."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "scale.md"


TASK_NAMES = ("timesync.sync_company", "timesync.fan_out")


def test_the_task_names_are_the_registered_ones() -> None:
    from timesync.contrib.celery import FAN_OUT, SYNC_COMPANY

    assert (SYNC_COMPANY, FAN_OUT) == TASK_NAMES


def _blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.M | re.S)


def test_the_page_is_in_the_navigation() -> None:
    assert "Running at scale: scale.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", _blocks())
def test_example_imports_of_this_project_resolve(code: str) -> None:
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] not in ("timesync", "intacct_sdk"):
                continue
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module}.{alias.name}"


@pytest.mark.parametrize(
    "dotted",
    sorted(set(re.findall(r"`((?:timesync|intacct_sdk)(?:\.\w+)+)", PAGE.read_text("utf-8")))),
)
def test_dotted_names_in_prose_exist(dotted: str) -> None:
    if dotted in TASK_NAMES:
        return  # the Celery tasks' names, checked below
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            assert hasattr(target, name), dotted
            target = getattr(target, name)
        return
    pytest.fail(f"{dotted}: no module")
