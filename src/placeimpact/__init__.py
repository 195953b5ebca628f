"""placeimpact: did this place's reform change outcomes?

The public surface lives here; everything else is private to the package.
Names are imported on first use (PEP 562), so ``import placeimpact`` and the command
line start without loading pandas or the estimators; ``from placeimpact import X``
works as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes as _lazy_attributes
from .errors import FetchError, FrameworkError, InputError, MethodError, PlaceImpactError, StoreError

if TYPE_CHECKING:
    from .methods.result import MethodResult
    from .panel import Panel, build_panel, panel_from_arrays
    from .store import Store, open_store
    from .evaluation.run import evaluate
    from .stats.benchmarking import benchmark_area
    from .comparators import compute_neighbours, imported_neighbours
    from .evaluation.indicator import evaluate_indicator
    from .screen import run_screen

__version__ = "0.1.0"

#: public name -> module that defines it (imported when the name is first used)
_LAZY: dict[str, str] = {
    "MethodResult": ".methods.result",
    "Panel": ".panel",
    "build_panel": ".panel",
    "panel_from_arrays": ".panel",
    "Store": ".store",
    "open_store": ".store",
    "evaluate": ".evaluation.run",
    "benchmark_area": ".stats.benchmarking",
    "imported_neighbours": ".comparators",
    "compute_neighbours": ".comparators",
    "evaluate_indicator": ".evaluation.indicator",
    "run_screen": ".screen",
}

__all__ = [
    "FetchError",
    "FrameworkError",
    "InputError",
    "MethodError",
    "MethodResult",
    "Panel",
    "PlaceImpactError",
    "Store",
    "StoreError",
    "benchmark_area",
    "build_panel",
    "compute_neighbours",
    "evaluate",
    "evaluate_indicator",
    "imported_neighbours",
    "open_store",
    "panel_from_arrays",
    "run_screen",
    "__version__",
]


__getattr__, __dir__ = _lazy_attributes(__name__, _LAZY, __all__)   # names imported on first use (PEP 562)
