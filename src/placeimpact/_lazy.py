"""Deferred imports, so that light commands (``placeimpact series``) start fast.

``pd = lazy_module("pandas")`` binds a stand-in that imports pandas on first attribute
access (``pd.DataFrame``) and forwards from then on. Nothing is put in ``sys.modules``
early, so other code importing pandas is unaffected. Modules on the start-up path of the
command line (``store``, ``records``) use it for numpy and pandas; type checkers see the
real module through ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

__all__ = ["lazy_module", "lazy_attributes"]


class _LazyModule:
    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not yet imported"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it on first use."""
    return _LazyModule(name)


def lazy_attributes(package: str, table: Mapping[str, str],
                    names: Sequence[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` (PEP 562) for a package whose public names are imported from
    their module on first use, so that importing one submodule (the screen's ``stats.multiple``)
    does not import every other one. ``table`` maps each name to its module (relative to
    ``package``); a name, once imported, is kept in the package's namespace.

    Use as ``__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)``.
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
