"""Evaluation: the outcome framework, running every method on every outcome, and the synthesis.

======================  ==========================================================
module                  what it holds
======================  ==========================================================
:mod:`.framework`       the YAML outcome framework, parsed and validated with lines
:mod:`.run`             :func:`evaluate` and the :class:`Evaluation` it returns
:mod:`.context`         benchmark against England and neighbours; data caveats
:mod:`.synthesis`       Benjamini–Hochberg, verdicts, domain summaries, scorecard
======================  ==========================================================
"""

from .framework import Domain, Framework, IndicatorSpec, load_framework
from .run import Evaluation, OutcomeRun, check_framework, evaluate
from .synthesis import Synthesis, benjamini_hochberg, synthesize

__all__ = [
    "Domain", "Evaluation", "Framework", "IndicatorSpec", "OutcomeRun", "Synthesis",
    "benjamini_hochberg", "check_framework", "evaluate", "load_framework", "synthesize",
]
