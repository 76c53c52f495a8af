"""Package exports that load their module on first use (PEP 562), for ``__init__`` files.

Kept free of imports beyond ``importlib``: ``import intacct_sdk`` goes through it.
"""

from __future__ import annotations

import importlib

# Not ``typing.TYPE_CHECKING``: importing typing costs more than this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping
    from typing import Any


def exports(
    namespace: dict[str, Any], where: Mapping[str, str], submodules: Collection[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``.

    Args:
        namespace: The package's ``globals()``; a loaded value is bound there, so each name
            is imported once.
        where: Exported name -> the submodule (relative to the package) that defines it.
        submodules: Submodules exported under their own names.

    Returns:
        ``(__getattr__, __dir__)`` for the package.
    """
    package = namespace["__name__"]

    def load(name: str) -> Any:
        if name in submodules:
            # Importing a submodule binds it on the package by itself.
            return importlib.import_module(f"{package}.{name}")
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def listing() -> list[str]:
        return sorted({*namespace, *namespace["__all__"]})

    return load, listing
