"""Every package exports exactly its public names (as httpx's test_exported_members does).

A public name (no leading underscore) bound in a package's namespace and defined by placeimpact
must be in ``__all__``, and every name in ``__all__`` must resolve; typing helpers, submodules
and ``from __future__`` features are not exports.
"""

from __future__ import annotations

import importlib
import inspect
import typing

import pytest

PACKAGES = ("placeimpact", "placeimpact.evaluation", "placeimpact.methods", "placeimpact.stats",
            "placeimpact.comparators", "placeimpact.screen", "placeimpact.errors", "placeimpact.formatting",
            "placeimpact.constants", "placeimpact.panel_rules")
NOT_EXPORTS = {"annotations", "TYPE_CHECKING"}
DUNDER_EXPORTS = {"__version__"}


def _public(mod) -> set[str]:
    names = set()
    for name, value in vars(mod).items():
        if name in NOT_EXPORTS or inspect.ismodule(value):
            continue
        if name.startswith("_") and name not in DUNDER_EXPORTS:
            continue
        origin = getattr(value, "__module__", None)
        if origin == "typing" and getattr(value, "__origin__", None) is not None and not hasattr(typing, name):
            names.add(name)   # an alias defined here (Executor = Literal[...])
            continue
        if origin is not None and not origin.startswith("placeimpact") and not isinstance(value, (str, int, float)):
            continue      # imported from the standard library or a dependency
        names.add(name)
    return names | set(getattr(mod, "_LAZY", {}))


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_exactly_the_public_names(name):
    mod = importlib.import_module(name)
    assert set(mod.__all__) == _public(mod)
    assert len(mod.__all__) == len(set(mod.__all__)), "a name is listed twice"
    for export in mod.__all__:
        getattr(mod, export)
