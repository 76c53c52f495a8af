"""Guards on the public surface: importable, typed, no accidental heavy imports."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import intacct_sdk
import timesync


def test_version_matches_metadata() -> None:
    assert intacct_sdk.__version__ == version("intacct-timesync")
    assert timesync.__version__ == intacct_sdk.__version__


def test_packages_are_typed() -> None:
    for pkg in (intacct_sdk, timesync):
        assert (Path(pkg.__file__).parent / "py.typed").is_file()


def test_all_is_sorted_and_importable() -> None:
    for name in ("intacct_sdk", "timesync"):
        mod = importlib.import_module(name)
        names = list(mod.__all__)
        assert names == sorted(names), f"{name}.__all__ is not sorted"
        for attr in names:
            assert hasattr(mod, attr), f"{name}.{attr} is in __all__ but missing"


def test_import_does_not_load_the_emulator() -> None:
    code = (
        "import sys, intacct_sdk; "
        "bad = [m for m in sys.modules if m.startswith('intacct_sdk.testing')]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
