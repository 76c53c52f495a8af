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


def test_lowest_dependency_pins_match_the_declared_lower_bounds() -> None:
    """CI runs the tests on .ci/lowest-deps.txt; it must pin exactly pyproject's bounds."""
    import re
    import tomllib

    root = Path(__file__).resolve().parents[1]
    declared = {}
    for spec in tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)(,.*)?", spec.replace(" ", ""))
        assert m, f"dependency without a lower bound: {spec}"
        declared[m[1].lower()] = m[2]
    pinned = {}
    for line in (root / ".ci" / "lowest-deps.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, ver = line.partition("==")
            pinned[name.strip().lower()] = ver.strip()
    assert pinned.keys() == declared.keys()
    for name, ver in declared.items():
        padded = ver + ".0" * (2 - ver.count("."))  # 4 -> 4.0.0, 0.27 -> 0.27.0
        assert pinned[name] in (ver, padded), (name, pinned[name], ver)


def test_sdist_ships_what_the_tests_read() -> None:
    """The unpacked sdist runs its own test suite: every file the tests open is included."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    meta = tomllib.loads((root / "pyproject.toml").read_text())
    include = meta["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    needed = [
        "bench/soak.py",  # test_soak_small
        "bench/_scenario.py",
        "bench/_worker.py",
        ".ci/lowest-deps.txt",  # test_lowest_dependency_pins_match_the_declared_lower_bounds
        "docs/examples/sqlite_app.py",  # test_embedding_example
        "tests/fixtures/responses/session_login.xml",  # the fixtures of our own
        "mkdocs.yml",  # test_docs_site
    ]
    for path in needed:
        assert (root / path).exists(), path
        assert any(
            path == entry or path.startswith(entry.rstrip("/") + "/") for entry in include
        ), f"{path} is not in the sdist"


def test_quickstart_installs_what_exists() -> None:
    """Until the package is published, the quickstart installs from a clone or a built wheel."""
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "quickstart.md").read_text()
    commands = [
        line.split("#")[0].strip()
        for block in page.split("```console")[1:]
        for line in block.split("```")[0].splitlines()
    ]
    installs = [c for c in commands if "pip install" in c]
    assert "pip install intacct-timesync" not in installs  # nothing by that name to find yet
    assert "pip install ." in installs
    assert any(c.startswith("pip install dist/") and c.endswith(".whl") for c in installs)


def test_release_workflow_builds_and_checks_both_distributions() -> None:
    root = Path(__file__).resolve().parents[1]
    flow = (root / ".github" / "workflows" / "release.yml").read_text()
    assert "python -m build\n" in flow  # sdist and wheel
    assert "twine check --strict dist/*" in flow
    assert "pip install dist/*.whl" in flow  # the wheel on its own
    assert "pytest" in flow.split("The sdist runs its own test suite", 1)[1]
