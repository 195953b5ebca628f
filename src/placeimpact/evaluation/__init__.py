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

from .comparators import ComparatorError, Comparators, resolve_comparators
from .framework import Domain, Framework, IndicatorSpec, load_framework
from .indicator import IndicatorEvaluation, evaluate_indicator
from .run import Evaluation, OutcomeRun, check_framework, evaluate
from .synthesis import Synthesis, benjamini_hochberg, synthesize

__all__ = [
    "ComparatorError", "Comparators", "Domain", "Evaluation", "Framework", "IndicatorEvaluation", "IndicatorSpec",
    "OutcomeRun", "Synthesis", "benjamini_hochberg", "check_framework", "evaluate", "evaluate_indicator",
    "load_framework", "resolve_comparators", "synthesize",
]
