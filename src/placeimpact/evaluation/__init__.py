"""Evaluation: the outcome framework, running every method on every outcome, and the synthesis.

======================  ==========================================================
module                  what it holds
======================  ==========================================================
:mod:`.framework`       the YAML outcome framework, parsed and validated with lines
:mod:`.comparators`     the one comparator resolver and its policy for a missing group
:mod:`.run`             :func:`evaluate` and the :class:`Evaluation` it returns
:mod:`.indicator`       :func:`evaluate_indicator`: every method on one indicator
:mod:`.context`         benchmark against England and neighbours; data caveats
:mod:`.synthesis`       Benjamini–Hochberg, verdicts, domain summaries, scorecard
======================  ==========================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .comparators import ComparatorError, Comparators, resolve_comparators
    from .framework import Domain, Framework, IndicatorSpec, load_framework
    from .indicator import IndicatorEvaluation, evaluate_indicator
    from .run import Evaluation, OutcomeRun, check_framework, evaluate
    from .synthesis import Synthesis, benjamini_hochberg, synthesize

#: public name -> module that defines it (imported when the name is first used)
_LAZY: dict[str, str] = {
    "ComparatorError": ".comparators", "Comparators": ".comparators", "resolve_comparators": ".comparators",
    "Domain": ".framework", "Framework": ".framework", "IndicatorSpec": ".framework",
    "load_framework": ".framework", "IndicatorEvaluation": ".indicator", "evaluate_indicator": ".indicator",
    "Evaluation": ".run", "OutcomeRun": ".run", "check_framework": ".run", "evaluate": ".run",
    "Synthesis": ".synthesis", "benjamini_hochberg": ".synthesis", "synthesize": ".synthesis",
}

__all__ = [
    "ComparatorError", "Comparators", "Domain", "Evaluation", "Framework", "IndicatorEvaluation", "IndicatorSpec",
    "OutcomeRun", "Synthesis", "benjamini_hochberg", "check_framework", "evaluate", "evaluate_indicator",
    "load_framework", "resolve_comparators", "synthesize",
]


def __getattr__(name: str) -> Any:
    """Names are imported from their module on first use (PEP 562): importing one submodule
    (the screen's ``evaluation.comparators``) does not import every other one."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
