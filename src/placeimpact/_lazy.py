"""Deferred imports, so that light commands (``placeimpact series``) start fast.

``pd = lazy_module("pandas")`` binds a stand-in that imports pandas on first attribute
access (``pd.DataFrame``) and forwards from then on. Nothing is put in ``sys.modules``
early, so other code importing pandas is unaffected. Modules on the start-up path of the
command line (``store``, ``records``) use it for numpy and pandas; type checkers see the
real module through ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


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
