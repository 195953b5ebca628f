"""Run estimators on a panel: the pure core of every evaluation (no store, no comparator choice).

:func:`run_methods` runs each named method on a :class:`~placeimpact.panel.Panel`; a
:class:`~placeimpact.errors.MethodError` becomes a "not assessed" result made by
:func:`not_assessed`, the one constructor of such results. Reading the store and choosing
comparators belong to :mod:`placeimpact.evaluation`; ``evaluate_indicator``,
``IndicatorEvaluation``, ``resolve_group`` and ``IMPORTED_GROUP`` are still importable from here
for older code, and are defined there.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from ..errors import MethodError
from ..panel import Panel
from . import METHODS, get_method
from .result import MethodResult

__all__ = ["run_methods", "not_assessed"]


def not_assessed(method: str, indicator_id: str, area_code: str, reason: str,
                 warnings: Sequence[str] = ()) -> MethodResult:
    """The result of a method that could not run: direction ``not_assessed``, evidence ``insufficient``."""
    return MethodResult(method=method, indicator_id=indicator_id, area_code=area_code, estimand="",
                        estimate=math.nan, direction="not_assessed", label="not assessed",
                        evidence="insufficient", summary=f"Not assessed: {reason.rstrip('.')}.",
                        warnings=tuple(warnings))


def run_methods(panel: Panel, methods: Sequence[str] | None = None,
                options: Mapping[str, Mapping] | None = None, *, scale: str = "absolute") -> tuple[MethodResult, ...]:
    """Run each method on the panel; a :class:`MethodError` becomes a :func:`not_assessed` result.

    ``methods`` defaults to every registered method whose module is installed; ``options``
    maps a method name to its keyword options; ``scale`` is ``absolute``, ``relative`` (logs,
    effects as %) or ``auto`` (:mod:`placeimpact.methods.scale`).
    """
    from .scale import resolve_scale, run_on_scale

    use = resolve_scale(scale, panel)
    names = list(methods) if methods else list(METHODS)
    out = []
    for name in names:
        try:
            fn = get_method(name)
        except ModuleNotFoundError:
            if methods:
                raise MethodError(f"method {name!r} is registered but its module is not installed") from None
            continue
        except ValueError as exc:
            raise MethodError(str(exc)) from None
        try:
            out.append(run_on_scale(fn, panel, use, **dict((options or {}).get(name, {}))))
        except MethodError as exc:
            out.append(not_assessed(name, panel.indicator_id, panel.focal, str(exc), panel.warnings))
    return tuple(out)


_MOVED = {"evaluate_indicator": "indicator", "IndicatorEvaluation": "indicator", "resolve_group": "comparators",
          "IMPORTED_GROUP": "comparators"}


def __getattr__(name: str) -> Any:
    """The store-reading names that moved to :mod:`placeimpact.evaluation` (imported when first used)."""
    if name in _MOVED:
        import importlib

        mod = importlib.import_module(f"placeimpact.evaluation.{_MOVED[name]}")
        return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
