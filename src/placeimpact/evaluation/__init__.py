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

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes as _lazy_attributes

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


__getattr__, __dir__ = _lazy_attributes(__name__, _LAZY, __all__)   # names imported on first use (PEP 562)
