"""Minimum detectable effect: how big a change the design could have seen.

"No clear change" says nothing on its own: with 15 comparators and 8-10 annual points
many real effects are undetectable. The minimum detectable effect (MDE) is the smallest
effect that a two-sided test at 5% would detect with 80% power (Bloom 1995), in the
estimate's own units. Every :class:`~placeimpact.methods.result.MethodResult` carries
one (``mde``, with ``mde_basis`` saying how it was found), from one of two routes:

* **the interval** (default, every method): an estimator that is roughly normal with
  standard error SE has a 95% interval of half-width ``1.96 SE`` and an MDE of
  ``(z_0.975 + z_0.80) SE = 2.80 SE``, so ``MDE = 1.43 x half-width``. The SE is the
  method's own, from the series' fitted noise model (the ITS's level, trend and AR(1)
  errors; DiD's and the trend difference's spread among comparators); an unbounded
  interval (too few comparators for a 5% test) gives an infinite MDE: no effect,
  however large, could have been declared;
* **the placebo distribution** (the synthetic control's in-space test,
  :func:`placebo_mde`): each placebo area, shifted by a constant effect ``delta`` in its
  post-reform periods, is one draw of what the focal area would show with that effect;
  the power at ``delta`` is the share of placebos (both signs) whose shifted statistic
  passes the test's critical value, and the MDE is the smallest ``delta`` with 80%
  power (closed form: the 80th percentile of each placebo's threshold shift).

Both are checked by simulation in ``tests/methods/test_mde.py``: effects of the size of
the median MDE are detected in about 80% of simulated panels.
"""

from __future__ import annotations

import math

import numpy as np
from .. import distributions as stats

__all__ = ["mde_from_interval", "placebo_mde", "mde_text", "with_mde", "POWER", "ALPHA"]

POWER = 0.80
ALPHA = 0.05
_Z_A = float(stats.norm_ppf(1 - ALPHA / 2))
_Z_B = float(stats.norm_ppf(POWER))


def mde_from_interval(ci_low: float, ci_high: float) -> float:
    """MDE = (z_0.975 + z_0.80) / z_0.975 x the 95% interval's half-width; inf if unbounded, NaN if none."""
    if math.isnan(ci_low) or math.isnan(ci_high):
        return math.nan
    if math.isinf(ci_low) or math.isinf(ci_high):
        return math.inf
    return (_Z_A + _Z_B) / _Z_A * (ci_high - ci_low) / 2


def placebo_mde(mean_gap: np.ndarray, post_rmspe: np.ndarray, scale: np.ndarray, stat: np.ndarray,
                inference: str, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """MDE of the in-space placebo test from its placebo distribution (see the module notes).

    Per-unit arrays (n_units,), focal first (it is not used: only the placebos are draws of
    the noise). ``inference`` "adh": statistic ``sqrt((g + delta)^2 + s^2) / pre`` (s^2 the
    variance of the post gaps); "noise_floor": ``|g + delta| / scale``. The critical value is
    the k-th largest placebo statistic, k = floor(alpha (N + 1)); inf when k < 1.
    """
    n = stat.size
    k = math.floor(alpha * n + 1e-9)
    if k < 1 or n < 3:
        return math.inf
    q = float(np.sort(stat[1:])[::-1][k - 1])
    if not math.isfinite(q):
        return math.inf
    g, sc = mean_gap[1:], scale[1:]
    if inference == "adh":
        s2 = np.maximum(post_rmspe[1:] ** 2 - g ** 2, 0.0)
        need = np.sqrt(np.maximum((q * sc) ** 2 - s2, 0.0))
    else:
        need = q * sc
    thresholds = np.r_[np.maximum(need - g, 0.0), np.maximum(need + g, 0.0)]   # shift up, shift down
    return float(np.quantile(thresholds, power))


def mde_text(mde: float, unit: str = "") -> str:
    """'this design could have detected a change of about X or more' (or why it could not)."""
    from ._common import fmt

    if math.isnan(mde):
        return ""
    if math.isinf(mde):
        return "this design could not have detected a change of any size at the 5% level (too few comparisons)"
    return f"this design could have detected a change of about {fmt(mde, 2)}{unit} or more"


def with_mde(summary: str, direction: str, mde: float, unit: str = "") -> str:
    """The summary sentence with the MDE clause added when the result is 'no clear change'."""
    text = mde_text(mde, unit)
    if direction != "no_clear_change" or not text or not summary.endswith("."):
        return summary
    return f"{summary[:-1]}; {text}."
