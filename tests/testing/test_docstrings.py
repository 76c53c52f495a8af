"""The public API of ``intacct_sdk.testing`` documents its parameters, results and examples.

Users read these docstrings in their editor and in the API reference (mkdocstrings, Google
style). The tests walk every public callable reachable from the package's ``__all__`` (classes,
their public methods and properties, including those inherited from the package's own classes,
and functions), the ``cassettes`` helpers and the pytest plugin's fixtures and hook, and check:

- every one has a docstring;
- one that takes parameters (besides ``self``/``cls``) has an ``Args:`` section naming each of
  them and nothing else; a class documents its constructor there. An attrs class may name its
  fields under ``Attributes:`` instead: the reference reads the source, where attrs' generated
  ``__init__`` does not exist, so an ``Args:`` section would name parameters it cannot find;
- a function or method annotated to return something other than None has a ``Returns:``
  section (``Yields:`` for a generator); a property is described by its summary line instead;
- the ``Examples:`` of these docstrings run and print what they show.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, NamedTuple

import attrs
import pytest

import intacct_sdk.testing as testing_pkg
from intacct_sdk.testing import cassettes, pytest_plugin

_SECTION = re.compile(r"^(?P<name>[A-Z][A-Za-z ]*):\s*$")
_ENTRY = re.compile(r"^(?P<name>\*{0,2}\w+)(?:\s*\([^)]*\))?:(?:\s|$)")
_SECTIONS = frozenset({"Args", "Attributes", "Returns", "Yields", "Raises", "Examples", "Note"})
_NONE = (inspect.Signature.empty, None, "None")


class Item(NamedTuple):
    """One documented thing: where it is, and the object to inspect."""

    name: str
    obj: Any
    kind: str  # "class", "function" or "property"


def sections(doc: str) -> dict[str, list[str]]:
    """The Google-style sections of a docstring: name -> the lines of its body."""
    lines = inspect.cleandoc(doc).splitlines()
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        match = _SECTION.match(lines[i])
        i += 1
        if match is None or match["name"] not in _SECTIONS:
            continue
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
            body.append(lines[i])
            i += 1
        found[match["name"]] = body
    return found


def entry_names(body: list[str]) -> list[str]:
    """The names of a section's entries (``name: text`` at the section's first indentation)."""
    indents = [len(line) - len(line.lstrip()) for line in body if line.strip()]
    if not indents:
        return []
    level = min(indents)
    names = []
    for line in body:
        if line.strip() and len(line) - len(line.lstrip()) == level:
            match = _ENTRY.match(line.strip())
            if match is not None:
                names.append(match["name"])
    return names


def _function(obj: Any) -> Callable[..., Any] | None:
    """The plain function behind a function, static/class method or pytest fixture."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    if inspect.isfunction(obj):
        return obj
    wrapped = getattr(obj, "__wrapped__", None)  # a pytest fixture definition
    return wrapped if inspect.isfunction(wrapped) else None


def _own_classes(cls: type) -> list[type]:
    """The class and its bases from this package (not httpx's, not the builtins)."""
    return [k for k in cls.__mro__ if k is cls or k.__module__.startswith("intacct_sdk.")]


def _members(cls: type) -> Iterator[Item]:
    seen: set[str] = set()
    for klass in _own_classes(cls):
        for name, value in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            qualname = f"{cls.__name__}.{name}"
            if isinstance(value, property):
                yield Item(qualname, value, "property")
            elif (func := _function(value)) is not None:
                yield Item(qualname, func, "function")


def public_api() -> list[Item]:
    """Everything the tests check, named as a user would reach it."""
    items: list[Item] = []
    for name in testing_pkg.__all__:
        obj = getattr(testing_pkg, name)
        if inspect.isclass(obj):
            items.append(Item(name, obj, "class"))
            items.extend(_members(obj))
        elif inspect.isfunction(obj):
            items.append(Item(name, obj, "function"))
    for name in cassettes.__all__:
        items.append(Item(f"cassettes.{name}", getattr(cassettes, name), "function"))
    for name, value in vars(pytest_plugin).items():
        func = _function(value)
        if (
            not name.startswith("_")
            and func is not None
            and func.__module__ == pytest_plugin.__name__
        ):
            items.append(Item(f"pytest_plugin.{name}", func, "function"))
    return items


def _parameters(item: Item) -> list[inspect.Parameter] | None:
    """The parameters a caller passes (None: the class takes its constructor from elsewhere)."""
    if item.kind == "property":
        return []
    if item.kind == "class":
        cls = item.obj
        if getattr(cls, "_is_protocol", False):
            return []  # a Protocol is not instantiated
        if not any("__init__" in vars(k) for k in _own_classes(cls)):
            return None  # an exception's or a base class's constructor
        signature = inspect.signature(cls)
    else:
        signature = inspect.signature(item.obj)
    params = list(signature.parameters.values())
    if params and params[0].name in ("self", "cls") and item.kind != "class":
        params = params[1:]
    return params


def _spelled(param: inspect.Parameter) -> set[str]:
    if param.kind is inspect.Parameter.VAR_POSITIONAL:
        return {param.name, f"*{param.name}"}
    if param.kind is inspect.Parameter.VAR_KEYWORD:
        return {param.name, f"**{param.name}"}
    return {param.name}


def problems(item: Item) -> list[str]:
    """What is missing or wrong in one item's docstring (empty when it is complete)."""
    doc = item.obj.__doc__ if item.kind != "property" else item.obj.fget.__doc__
    if not doc or not doc.strip():
        return ["no docstring"]
    found = sections(doc)
    out: list[str] = []
    params = _parameters(item)
    if params:
        section = "Args"
        if "Args" not in found and item.kind == "class" and attrs.has(item.obj):
            section = "Attributes"
        names = entry_names(found.get(section, []))
        if section not in found:
            out.append("no Args: section")
        for param in params:
            if not _spelled(param) & set(names):
                out.append(f"{section}: does not name {param.name!r}")
        if section == "Args":
            known = set().union(*(_spelled(p) for p in params))
            out.extend(f"Args: names {n!r}, which is no parameter" for n in names if n not in known)
    elif "Args" in found:
        out.append("Args: section, but no parameters")
    if item.kind == "function":
        func = item.obj
        returns = inspect.signature(func).return_annotation
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            if "Yields" not in found:
                out.append("a generator without a Yields: section")
        elif returns not in _NONE and "Returns" not in found:
            out.append(f"returns {returns} but has no Returns: section")
    return out


API = public_api()


def test_the_walk_reaches_the_public_api() -> None:
    names = {item.name for item in API}
    expected = {
        "Company",
        "Company.insert",
        "Company.records",
        "Company.custom_fields",
        "Emulator.serve",
        "Emulator.transport",
        "EmulatorServer.stop",
        "EmulatorServer.url",
        "EmulatorTransport.handle_request",
        "FaultInjector.before_request",
        "FaultPlan",
        "FaultPlan.parse",
        "FaultRule",
        "FaultRule.to_spec",
        "demo_company",
        "serve",
        "cassettes.intacct_vcr",
        "pytest_plugin.intacct_emulator",
        "pytest_plugin.intacct_async_client",
        "pytest_plugin.pytest_configure",
    }
    assert expected <= names, sorted(expected - names)
    # inherited from httpx, not ours to document
    assert "EmulatorTransport.close" not in names


@pytest.mark.parametrize("item", API, ids=[item.name for item in API])
def test_public_docstring_is_complete(item: Item) -> None:
    assert problems(item) == []


def test_the_rules_catch_missing_sections() -> None:
    def documented(x: int, *rest: str, **options: bool) -> int:
        """Do it.

        Args:
            x: A number.
            *rest: More.
            **options: Flags.

        Returns:
            A number.
        """
        return x

    def bare(x: int, y: int) -> int:
        """Do it.

        Args:
            x: A number.
            z: Not a parameter.
        """
        return x + y

    def generator(n: int) -> Iterator[int]:
        """Count.

        Args:
            n: How far.

        Returns:
            Not what a generator has.
        """
        yield from range(n)

    assert problems(Item("documented", documented, "function")) == []
    assert problems(Item("bare", bare, "function")) == [
        "Args: does not name 'y'",
        "Args: names 'z', which is no parameter",
        "returns int but has no Returns: section",
    ]
    assert problems(Item("generator", generator, "function")) == [
        "a generator without a Yields: section"
    ]


def test_an_attrs_class_may_name_its_fields_under_attributes() -> None:
    @attrs.frozen
    class Documented:
        """A value.

        Attributes:
            a: One.
            b: Two.
        """

        a: int
        b: int = 0

    @attrs.frozen
    class Missing:
        """A value.

        Attributes:
            a: One.
        """

        a: int
        b: int = 0

    assert problems(Item("Documented", Documented, "class")) == []
    assert problems(Item("Missing", Missing, "class")) == ["Attributes: does not name 'b'"]


_EXAMPLE_MODULES = [
    "intacct_sdk.testing._company",
    "intacct_sdk.testing._emulator",
    "intacct_sdk.testing._faults",
    "intacct_sdk.testing._seed",
    "intacct_sdk.testing._server",
]


@pytest.mark.parametrize("module_name", _EXAMPLE_MODULES)
def test_docstring_examples_run(module_name: str) -> None:
    module: ModuleType = importlib.import_module(module_name)
    tests = doctest.DocTestFinder().find(module)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0, f"{module_name} has no examples"
    assert results.failed == 0, "".join(report)
