"""Griffe extension for the docs build: Sphinx-style roles in docstrings become cross-references.

The docstrings name other objects the Sphinx way (``:class:`Engine```, ``:meth:`Client.query```,
``:func:`~intacct_sdk.query.render```). mkdocstrings reads Markdown, so before rendering every
role is rewritten to the Markdown cross-reference form ``[`Engine`][timesync.engine.Engine]``,
with the target resolved in the scope of the object whose docstring it is (its module's names
and imports, then the class's members), the way Sphinx resolves it. A role whose target cannot
be resolved is kept as inline code, and counted, so a typo shows as text rather than a broken
link.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(class|meth|func|attr|data|exc|mod|obj|const):`(~?)([^`<>]+?)`")
UNRESOLVED: list[str] = []


def _candidates(obj: griffe.Object, name: str) -> list[str]:
    name = name.lstrip(".")
    out = [name]
    scope: griffe.Object | None = obj
    while scope is not None:
        out.append(f"{scope.path}.{name}")
        scope = scope.parent
    return out


def _resolve(obj: griffe.Object, name: str) -> str | None:
    root = obj.package
    head, _, rest = name.lstrip(".").partition(".")
    scope: griffe.Object | None = obj if obj.is_module or obj.is_class else obj.parent
    while scope is not None:
        try:
            first = scope.resolve(head)
        except Exception:  # griffe raises its own NameResolutionError
            first = None
        if first:
            return f"{first}.{rest}" if rest else first
        scope = scope.parent
    for path in _candidates(obj, name):
        if _exists(root, path):
            return path
    return None


def _exists(root: griffe.Module, path: str) -> bool:
    try:
        root.modules_collection[path]
    except Exception:  # griffe's lookups raise several kinds for a missing name
        return False
    return True


class SphinxRoles(griffe.Extension):
    """Rewrites Sphinx roles to Markdown cross-references once the whole package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self._walk(pkg, set())

    def _walk(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(lambda m: self._link(obj, m), obj.docstring.value)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member, seen)  # type: ignore[arg-type]

    def _link(self, obj: griffe.Object, m: re.Match[str]) -> str:
        role, short, target = m.groups()
        target = target.strip()
        shown = target.split(".")[-1] if short else target.lstrip(".")
        if role in {"meth", "func"}:
            shown += "()"
        path = _resolve(obj, target)
        if path is None:
            UNRESOLVED.append(f"{obj.path}: {target}")
            return f"`{shown}`"
        return f"[`{shown}`][{path}]"
