"""Survey measures with correct intervals: proportions with a design effect, mean scores,
engagement-style indices, and change between survey waves.

=================================  =========================================================
function                           what it gives
=================================  =========================================================
:func:`effective_base`             base / design effect (Kish 1965)
:func:`wilson_deff_ci`             Wilson limits on the effective base
:func:`mean_score`                 mean of a response scale from category counts, t limits
:func:`rescale_0_10`               a response scale's scores mapped onto 0-10
:func:`theme_index`                an engagement-style index: mean of item scores on 0-10
:func:`newcombe_diff_ci`           difference of two independent proportions, Newcombe's
                                   hybrid score interval (method 10) and a z test
:func:`percent_change_ci`          percentage change between two estimates (log scale)
:func:`percent_change_proportions` the same for two proportions from counts (Katz log)
=================================  =========================================================

Everything is vectorised over NumPy arrays and pure. Proportions are fractions (0-1) unless
``multiplier`` says otherwise.

References
----------
Wilson EB. Probable inference, the law of succession, and statistical inference.
J Am Stat Assoc 1927; 22: 209-212.
Kish L. Survey sampling. New York: Wiley, 1965 (design effect, effective sample size).
Newcombe RG. Interval estimation for the difference between independent proportions:
comparison of eleven methods. Stat Med 1998; 17: 873-890 (method 10, Table II).
Katz D, Baptista J, Azen SP, Pike MC. Obtaining confidence intervals for the risk ratio in
cohort studies. Biometrics 1978; 34: 469-474.
NHS Staff Survey technical guide: theme scores are the mean of item scores, each response
scored 0, 2.5, 5, 7.5 or 10 on a five-point scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from .. import distributions as _st

from ..errors import InputError
from ._common import as_float, as_level, z_value
from .proportions import wilson_ci

__all__ = [
    "effective_base",
    "wilson_deff_ci",
    "mean_score",
    "MeanScore",
    "rescale_0_10",
    "theme_index",
    "newcombe_diff_ci",
    "DiffResult",
    "percent_change_ci",
    "percent_change_proportions",
]


def effective_base(base: np.ndarray | float, deff: np.ndarray | float = 1.0) -> np.ndarray:
    """The effective sample size ``base / deff`` (Kish).

    Raises :class:`InputError` for a design effect below 1 or missing (a design effect below 1
    would claim more precision than simple random sampling gives; give 1 when unknown).
    """
    base, deff = np.broadcast_arrays(as_float(base), as_float(deff))
    bad = ~np.isfinite(deff) | (deff < 1.0)
    if bad.any():
        i = int(np.flatnonzero(np.ravel(bad))[0])
        raise InputError("a design effect is below 1 or missing", field="deff",
                         expected="a design effect of 1 or more (1 for a simple random sample)",
                         got=float(np.ravel(deff)[i]))
    return base / deff


def wilson_deff_ci(x: np.ndarray | float, n: np.ndarray | float, *, deff: np.ndarray | float = 1.0,
                   confidence: float = 0.95, multiplier: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Wilson limits for ``x`` of ``n`` answering, widened by the design effect.

    The proportion ``p = x / n`` is kept; the interval is Wilson's on the effective base
    ``n / deff`` (with ``p * n / deff`` successes), the usual survey adjustment. With
    ``deff = 1`` this is :func:`placeimpact.stats.wilson_ci`.

    Parameters
    ----------
    x, n : array_like, broadcastable
        Respondents giving the counted answers, and respondents answering (unweighted base).
    deff : array_like
        Design effect (>= 1) of the proportion.
    confidence, multiplier : float
        As :func:`wilson_ci`.
    """
    x, n = np.broadcast_arrays(as_float(x), as_float(n))
    n_eff = effective_base(n, deff)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_eff = np.where(n > 0, x / n, np.nan) * n_eff
    return wilson_ci(x_eff, n_eff, confidence=confidence, multiplier=multiplier, on_invalid="nan")


@dataclass(frozen=True)
class MeanScore:
    """A mean score with its standard deviation, effective base and t limits."""

    mean: float
    sd: float
    n: float
    n_eff: float
    lower: float
    upper: float

    @property
    def se(self) -> float:
        return self.sd / np.sqrt(self.n_eff) if self.n_eff > 0 else float("nan")


def mean_score(counts: np.ndarray, scores: np.ndarray, *, deff: float = 1.0,
               confidence: float = 0.95) -> MeanScore:
    """Mean of a response scale from the count of each category.

    Parameters
    ----------
    counts : array_like, shape (k,)
        Respondents choosing each scored category (unscored answers such as "don't know" left out).
    scores : array_like, shape (k,)
        The score of each category.
    deff : float
        Design effect; the t interval uses the effective base ``n / deff`` (and its degrees of freedom).
    """
    c, s = as_float(counts), as_float(scores)
    if c.shape != s.shape or c.ndim != 1:
        raise InputError("counts and scores must be one-dimensional and of the same length", field="scores",
                         expected=f"{c.size} scores", got=s.size)
    n = float(c.sum())
    if n <= 0:
        return MeanScore(float("nan"), float("nan"), n, 0.0, float("nan"), float("nan"))
    m = float((c * s).sum() / n)
    var = float((c * (s - m) ** 2).sum() / (n - 1)) if n > 1 else float("nan")
    sd = float(np.sqrt(var))
    n_eff = float(effective_base(n, deff))
    if n_eff < 2 or not np.isfinite(sd):
        return MeanScore(m, sd, n, n_eff, float("nan"), float("nan"))
    half = float(_st.t_ppf(0.5 + as_level(confidence) / 2.0, n_eff - 1.0)) * sd / np.sqrt(n_eff)
    return MeanScore(m, sd, n, n_eff, m - half, m + half)


def rescale_0_10(scores: np.ndarray, *, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Scores mapped linearly onto 0-10 (lowest category 0, highest 10), as the NHS Staff Survey does.

    ``low``/``high`` default to the smallest and largest score given.
    """
    s = as_float(scores)
    lo = float(np.nanmin(s)) if low is None else float(low)
    hi = float(np.nanmax(s)) if high is None else float(high)
    if not hi > lo:
        raise InputError("a response scale needs at least two different scores", field="score",
                         expected="scores such as 1 to 5", got=f"{lo:g} to {hi:g}")
    return (s - lo) / (hi - lo) * 10.0


def theme_index(items: list[MeanScore], *, confidence: float = 0.95) -> MeanScore:
    """An engagement-style theme score: the mean of its items' mean scores (each already on 0-10).

    With aggregate counts only (no respondent-level answers) the items' correlation is unknown.
    The interval assumes perfectly correlated items (the standard error is the mean of the items'
    standard errors), which is conservative: real items are less than perfectly correlated, so the
    true interval is narrower. ``n`` is the smallest item base.
    """
    if not items:
        raise InputError("a theme needs at least one item", field="theme", expected="one or more questions")
    means = np.array([i.mean for i in items])
    ses = np.array([i.se for i in items])
    m = float(means.mean())
    se = float(ses.mean())
    n = float(min(i.n for i in items))
    n_eff = float(min(i.n_eff for i in items))
    if not np.isfinite(se) or n_eff < 2:
        return MeanScore(m, float("nan"), n, n_eff, float("nan"), float("nan"))
    half = float(_st.t_ppf(0.5 + as_level(confidence) / 2.0, n_eff - 1.0)) * se
    return MeanScore(m, se * np.sqrt(n_eff), n, n_eff, m - half, m + half)


@dataclass(frozen=True)
class DiffResult:
    """A difference (later minus earlier, or area minus reference) with its interval and test."""

    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p_value: np.ndarray


def newcombe_diff_ci(x1: np.ndarray | float, n1: np.ndarray | float, x2: np.ndarray | float,
                     n2: np.ndarray | float, *, deff1: np.ndarray | float = 1.0, deff2: np.ndarray | float = 1.0,
                     confidence: float = 0.95) -> DiffResult:
    """``p1 - p2`` for two independent proportions with Newcombe's hybrid score interval.

    Newcombe (1998) method 10: with Wilson limits ``(l1, u1)`` and ``(l2, u2)``,
    ``lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)``, ``upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``.
    Design effects widen each Wilson interval (effective bases). The p-value is the two-sided
    pooled z test on the effective bases.
    """
    x1, n1, x2, n2 = np.broadcast_arrays(as_float(x1), as_float(n1), as_float(x2), as_float(n2))
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_deff_ci(x1, n1, deff=deff1, confidence=confidence)
    l2, u2 = wilson_deff_ci(x2, n2, deff=deff2, confidence=confidence)
    d = p1 - p2
    lower = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    m1, m2 = effective_base(n1, deff1), effective_base(n2, deff2)
    pooled = (p1 * m1 + p2 * m2) / (m1 + m2)
    with np.errstate(invalid="ignore", divide="ignore"):
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / m1 + 1 / m2))
        z = np.where(se0 > 0, d / se0, 0.0)
    p = 2 * _st.norm_sf(np.abs(z))
    return DiffResult(d, lower, upper, p)


def percent_change_ci(new: np.ndarray | float, se_new: np.ndarray | float, old: np.ndarray | float,
                      se_old: np.ndarray | float, *, confidence: float = 0.95) -> DiffResult:
    """Percentage change ``100 * (new / old - 1)`` with a delta-method interval on the log scale.

    ``se(log ratio) = sqrt((se_new / new)^2 + (se_old / old)^2)`` for independent estimates;
    the interval ``100 * (exp(log ratio +/- z se) - 1)`` is asymmetric and never below -100%.
    This is how "engagement rose 18.5%" gets its interval. Both estimates must be positive.
    """
    new, se_new, old, se_old = np.broadcast_arrays(as_float(new), as_float(se_new), as_float(old),
                                                   as_float(se_old))
    if np.any((new <= 0) | (old <= 0)):
        raise InputError("a percentage change needs two positive values", field="value",
                         expected="values above 0", got=f"{np.ravel(old)[0]:g} and {np.ravel(new)[0]:g}")
    lr = np.log(new / old)
    se = np.sqrt((se_new / new) ** 2 + (se_old / old) ** 2)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * _st.norm_sf(np.abs(np.where(se > 0, lr / se, 0.0)))
    return DiffResult(100 * np.expm1(lr), 100 * np.expm1(lr - z * se), 100 * np.expm1(lr + z * se), p)


def percent_change_proportions(x_new: np.ndarray | float, n_new: np.ndarray | float, x_old: np.ndarray | float,
                               n_old: np.ndarray | float, *, deff_new: np.ndarray | float = 1.0,
                               deff_old: np.ndarray | float = 1.0, confidence: float = 0.95) -> DiffResult:
    """Percentage change of a proportion between two independent samples (Katz log interval).

    ``se(log RR) = sqrt(1/x_new - 1/n_new + 1/x_old - 1/n_old)`` on the effective counts.
    """
    x_new, n_new, x_old, n_old = np.broadcast_arrays(as_float(x_new), as_float(n_new), as_float(x_old),
                                                     as_float(n_old))
    m_new, m_old = effective_base(n_new, deff_new), effective_base(n_old, deff_old)
    p_new, p_old = x_new / n_new, x_old / n_old
    if np.any((p_new <= 0) | (p_old <= 0)):
        raise InputError("a percentage change of a proportion needs both proportions above 0", field="count",
                         expected="at least one respondent in the counted answers in each wave",
                         got=f"{np.ravel(x_old)[0]:g} and {np.ravel(x_new)[0]:g}")
    se_new = np.sqrt(p_new * (1 - p_new) / m_new)
    se_old = np.sqrt(p_old * (1 - p_old) / m_old)
    return percent_change_ci(p_new, se_new, p_old, se_old, confidence=confidence)
