"""``import intacct_sdk`` loads nothing heavy; its names load on first use and stay the same."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import types

import pytest
from tests.conftest import subprocess_env

import intacct_sdk

# Third-party packages and our own modules that only a name of the package may load.
HEAVY = (
    "anyio",
    "attr",
    "attrs",
    "defusedxml",
    "httpx",
    "intacct_sdk._async_client",
    "intacct_sdk._base",
    "intacct_sdk._client",
    "intacct_sdk._errors",
    "intacct_sdk._parse",
    "intacct_sdk.functions",
    "intacct_sdk.query",
    "intacct_sdk.schema",
)


def _python(code: str) -> str:
    """What a fresh interpreter running ``code`` on this checkout prints."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=subprocess_env(),
        timeout=60,
    ).stdout


def _loaded_after(code: str) -> list[str]:
    """Which of HEAVY a fresh interpreter holds after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = _python(probe)
    loaded: list[str] = json.loads(out.strip().splitlines()[-1])
    return loaded


def test_import_loads_nothing_heavy() -> None:
    assert _loaded_after("import intacct_sdk") == []


def test_import_loads_only_the_version_and_the_loader() -> None:
    code = (
        "import json, sys; before = set(sys.modules); import intacct_sdk; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = _python(code)
    new = json.loads(out)
    assert [m for m in new if m.startswith("intacct_sdk")] == [
        "intacct_sdk",
        "intacct_sdk._lazy",
        "intacct_sdk._version",
    ]
    # Not even typing, unless something imported it before us.
    assert "typing" not in new


def test_version_needs_no_other_module() -> None:
    assert _loaded_after("from intacct_sdk import __version__") == []


def test_cli_help_loads_nothing_heavy() -> None:
    code = (
        "import contextlib, io\n"
        "from intacct_sdk.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])"
    )
    assert _loaded_after(code) == []


def test_sync_client_does_not_load_the_async_client() -> None:
    loaded = _loaded_after("from intacct_sdk import Client")
    assert "httpx" in loaded
    assert "intacct_sdk._async_client" not in loaded


def test_an_error_loads_no_client() -> None:
    loaded = _loaded_after("from intacct_sdk import IntacctError")
    assert "intacct_sdk._errors" in loaded
    assert "httpx" not in loaded


@pytest.mark.parametrize("name", intacct_sdk.__all__)
def test_each_name_is_the_object_of_its_defining_module(name: str) -> None:
    value = getattr(intacct_sdk, name)
    if name == "__version__":
        assert value == importlib.import_module("intacct_sdk._version").__version__
        return
    if isinstance(value, types.ModuleType):
        assert value is importlib.import_module(f"intacct_sdk.{name}")
        return
    home = value.__module__
    assert home.startswith("intacct_sdk."), home
    assert getattr(importlib.import_module(home), name) is value


def test_every_name_imports_in_a_fresh_interpreter() -> None:
    # Each ``from intacct_sdk import X`` goes through the package's lazy lookup once.
    code = (
        "import importlib, intacct_sdk, types\n"
        "for name in intacct_sdk.__all__:\n"
        "    ns = {}\n"
        "    exec(f'from intacct_sdk import {name} as value', ns)\n"
        "    value = ns['value']\n"
        "    if isinstance(value, types.ModuleType) or name == '__version__':\n"
        "        continue\n"
        "    assert getattr(importlib.import_module(value.__module__), name) is value, name\n"
        "star = {}\n"
        "exec('from intacct_sdk import *', star)\n"
        "assert set(intacct_sdk.__all__) <= set(star), set(intacct_sdk.__all__) - set(star)\n"
        "print('ok')"
    )
    out = _python(code)
    assert out.strip() == "ok"


def test_dir_lists_every_exported_name() -> None:
    assert set(intacct_sdk.__all__) <= set(dir(intacct_sdk))


def test_dir_lists_names_before_they_are_loaded() -> None:
    code = "import intacct_sdk; print('Client' in dir(intacct_sdk))"
    out = _python(code)
    assert out.strip() == "True"


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'intacct_sdk' has no attribute 'Nope'$"):
        _ = intacct_sdk.Nope  # type: ignore[attr-defined]


def test_unknown_name_is_an_import_error() -> None:
    with pytest.raises(ImportError, match="cannot import name 'Nope' from 'intacct_sdk'"):
        exec("from intacct_sdk import Nope", {})  # noqa: S102
