"""Public-health statistics as Fingertips computes them, vectorised over NumPy arrays.

=====================  =================================================================
module                 what it holds
=====================  =================================================================
:mod:`.proportions`    Wilson score intervals (Wilson 1927)
:mod:`.rates`          Byar's and exact Poisson intervals for counts, crude rates, ISRs
:mod:`.dsr`            directly standardised rates with Dobson intervals (Dobson 1991)
:mod:`.means`          Student-t intervals for means
:mod:`.benchmark`      comparison with a benchmark at 95% / 99.8%, quantiles, ranks
:mod:`.benchmarking`   the same on the store: one area (spine chart) or everything
:mod:`.trend`          Fingertips' recent-trend test on the last five points
:mod:`.funnel`         funnel-plot limits with over-dispersion (Spiegelhalter 2005)
:mod:`.fill`           limits computed where a source gave count and denominator only
=====================  =================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from .benchmark import (BENCHMARK_LABELS, compare_with_benchmark, quantiles, quintile_label, rank_in_group,
                            tie_safe_quintiles)
    from .benchmarking import benchmark_all, benchmark_area
    from .dsr import ESP2013, dobson_ci, dsr
    from .fill import fill_missing_cis
    from .funnel import Overdispersion, funnel_significance, overdispersion, poisson_funnel, proportion_funnel
    from .means import mean_ci, t_ci
    from .proportions import proportion, wilson_ci
    from .rates import byar_ci, count_ci, exact_poisson_ci, isr_ci, rate, rate_ci
    from .trend import TREND_LABELS, recent_trend, trend_table

# ``dsr`` names a function and its module: bound now, so that the name is the function whichever is imported
# first (importing the submodule binds the module to the package's attribute, and a lazy name would stay so)
from .dsr import dsr  # noqa: E402

#: public name -> module that defines it (imported when the name is first used)
_LAZY: dict[str, str] = {
    "BENCHMARK_LABELS": ".benchmark", "compare_with_benchmark": ".benchmark", "quantiles": ".benchmark",
    "quintile_label": ".benchmark", "rank_in_group": ".benchmark", "tie_safe_quintiles": ".benchmark",
    "benchmark_all": ".benchmarking", "benchmark_area": ".benchmarking", "ESP2013": ".dsr", "dobson_ci": ".dsr",
    "fill_missing_cis": ".fill", "Overdispersion": ".funnel", "funnel_significance": ".funnel",
    "overdispersion": ".funnel", "poisson_funnel": ".funnel", "proportion_funnel": ".funnel", "mean_ci": ".means",
    "t_ci": ".means", "proportion": ".proportions", "wilson_ci": ".proportions", "byar_ci": ".rates",
    "count_ci": ".rates", "exact_poisson_ci": ".rates", "isr_ci": ".rates", "rate": ".rates", "rate_ci": ".rates",
    "TREND_LABELS": ".trend", "recent_trend": ".trend", "trend_table": ".trend",
}

__all__ = [
    "BENCHMARK_LABELS",
    "ESP2013",
    "Overdispersion",
    "TREND_LABELS",
    "benchmark_all",
    "benchmark_area",
    "byar_ci",
    "compare_with_benchmark",
    "count_ci",
    "dobson_ci",
    "dsr",
    "exact_poisson_ci",
    "fill_missing_cis",
    "funnel_significance",
    "isr_ci",
    "mean_ci",
    "overdispersion",
    "poisson_funnel",
    "proportion",
    "proportion_funnel",
    "quantiles",
    "quintile_label",
    "tie_safe_quintiles",
    "rank_in_group",
    "rate",
    "rate_ci",
    "recent_trend",
    "t_ci",
    "trend_table",
    "wilson_ci",
]


__getattr__, __dir__ = _lazy_attributes(__name__, _LAZY, __all__)   # names imported on first use (PEP 562)
