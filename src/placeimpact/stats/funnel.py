"""Funnel-plot control limits (Spiegelhalter) for proportions, rates and ratios.

A funnel plot shows each area's value against its size with limits around a target
(usually the overall value) that narrow as the size grows, so small and large areas
are judged fairly. Fingertips draws limits at about two and three standard deviations:
two-sided 95% (p = 0.025 each side) and 99.8% (p = 0.001 each side).

* **Proportions** (PHE method): :math:`p_0 \\pm z\\sqrt{p_0(1-p_0)/n}`, clipped to [0, 1].
* **Rates and ratios**: exact Poisson limits on the count. For an expected count
  :math:`\\mu = n\\,\\theta_0` the lower limit is the (continuous) count y with
  :math:`P(X \\le y \\mid \\mu) = \\alpha/2` and the upper the y with
  :math:`P(X \\ge y \\mid \\mu) = \\alpha/2`, computed with ``scipy.special.pdtrik``;
  the rate limits are y / n.
* **Over-dispersion** (Spiegelhalter 2005): when areas vary more than chance allows,
  estimate :math:`\\phi` from Winsorised z-scores and either widen the limits by
  :math:`\\sqrt{\\phi}` (multiplicative) or add a between-area variance :math:`\\tau^2`
  (additive random effects, DerSimonian-Laird style).

References
----------
Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med 2005; 24: 1185-1202.
Spiegelhalter DJ. Handling over-dispersion of performance indicators. Qual Saf Health Care 2005; 14: 347-351.
Public Health England. Fingertips technical guidance: funnel plots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

from ._common import as_float, as_level, check_choice, z_value

__all__ = ["proportion_funnel", "poisson_funnel", "funnel_significance", "overdispersion", "Overdispersion",
           "Adjustment"]

Adjustment = Literal["none", "multiplicative", "additive"]


@dataclass(frozen=True)
class Overdispersion:
    """Over-dispersion estimate (Spiegelhalter 2005).

    Attributes
    ----------
    phi : float
        Mean squared Winsorised z-score (1 when areas vary only by chance).
    tau2 : float
        Between-area variance on the indicator's scale (0 when ``n_units * phi <= n_units - 1``).
    n_units : int
        Areas used.
    overdispersed : bool
        Whether ``n_units * phi`` exceeds the 95th percentile of chi-square on ``n_units - 1`` df.
    """

    phi: float
    tau2: float
    n_units: int
    overdispersed: bool


def _standard_error(n: np.ndarray, target: float, statistic: str, multiplier: float) -> np.ndarray:
    """Null-hypothesis standard error of a proportion or rate (in multiplier units) of size n."""
    t = target / multiplier
    var = t * (1.0 - t) / n if statistic == "proportion" else t / n
    return np.sqrt(var) * multiplier


def proportion_funnel(
    n: np.ndarray | float,
    *,
    target: float,
    confidence: float = 0.95,
    multiplier: float = 100.0,
    adjustment: Adjustment = "none",
    phi: float = 1.0,
    tau2: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits for proportions at denominators ``n``.

    Parameters
    ----------
    n : array_like, shape (m,)
        Denominators at which to evaluate the limits.
    target : float
        The target proportion, in multiplier units (e.g. 80.6 for 80.6%).
    confidence : float
        0.95 (about two sigma) or 0.998 (about three sigma).
    multiplier : float
        100 for percentages.
    adjustment : {"none", "multiplicative", "additive"}
        Over-dispersion handling; ``phi`` / ``tau2`` from :func:`overdispersion`.

    Returns
    -------
    lower, upper : ndarray, shape (m,)
        In multiplier units, clipped to [0, multiplier].
    """
    check_choice("adjustment", adjustment, ("none", "multiplicative", "additive"))
    lower, upper = _normal_limits(as_float(n), target, confidence, "proportion", multiplier, adjustment, phi, tau2)
    return np.clip(lower, 0.0, multiplier), np.clip(upper, 0.0, multiplier)


def _adjust(se: np.ndarray, adjustment: str, phi: float, tau2: float) -> np.ndarray:
    if adjustment == "multiplicative":
        return se * np.sqrt(max(phi, 1.0))
    if adjustment == "additive":
        return np.sqrt(se ** 2 + tau2)
    return se


def _normal_limits(n: np.ndarray, target: float, confidence: float, statistic: str, multiplier: float,
                   adjustment: str, phi: float, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation limits ``target -/+ z * se`` (se widened for over-dispersion), unclipped."""
    z = z_value(confidence)
    se = _adjust(_standard_error(n, target, statistic, multiplier), adjustment, phi, tau2)
    return target - z * se, target + z * se


def poisson_funnel(
    population: np.ndarray | float,
    *,
    target: float,
    confidence: float = 0.95,
    multiplier: float = 100_000.0,
    adjustment: Adjustment = "none",
    phi: float = 1.0,
    tau2: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits for rates (or ratios) at denominators ``population``.

    Parameters
    ----------
    population : array_like, shape (m,)
        Person-years (for a ratio: expected counts, with ``target=1, multiplier=1``, or
        ``target=100, multiplier=100`` for a ratio in percent).
    target : float
        Target rate in multiplier units (e.g. 114.9 per 100,000).
    confidence : float
        0.95 or 0.998.
    multiplier : float
        Units of ``target`` and of the limits.
    adjustment : {"none", "multiplicative", "additive"}
        Exact Poisson limits (``none``), or normal-approximation limits widened for
        over-dispersion.

    Returns
    -------
    lower, upper : ndarray, shape (m,)
        Rate limits in multiplier units (lower limit 0 where no count is low enough).
    """
    check_choice("adjustment", adjustment, ("none", "multiplicative", "additive"))
    pop = as_float(population)
    if adjustment != "none":
        lower, upper = _normal_limits(pop, target, confidence, "rate", multiplier, adjustment, phi, tau2)
        return np.maximum(lower, 0.0), upper
    alpha = 1.0 - as_level(confidence)
    mu = pop * target / multiplier
    y_low = special.pdtrik(alpha / 2.0, mu)
    y_high = special.pdtrik(1.0 - alpha / 2.0, mu) + 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.maximum(np.nan_to_num(y_low, nan=0.0), 0.0) / pop * multiplier
        upper = y_high / pop * multiplier
    return lower, upper


def overdispersion(
    value: np.ndarray,
    n: np.ndarray,
    *,
    target: float,
    statistic: Literal["proportion", "rate"] = "proportion",
    multiplier: float = 100.0,
    winsorise: float = 0.1,
) -> Overdispersion:
    """Estimate over-dispersion from areas' values and sizes (Spiegelhalter 2005).

    Parameters
    ----------
    value : array_like, shape (m,)
        Area values in multiplier units.
    n : array_like, shape (m,)
        Their denominators.
    target : float
        Target value in multiplier units.
    statistic : {"proportion", "rate"}
    multiplier : float
    winsorise : float
        Share of z-scores pulled in at each end (0.1 = 10%, as Spiegelhalter suggests).

    Returns
    -------
    Overdispersion
    """
    check_choice("statistic", statistic, ("proportion", "rate"))
    y, n = as_float(value), as_float(n)
    ok = np.isfinite(y) & np.isfinite(n) & (n > 0)
    y, n = y[ok], n[ok]
    s = _standard_error(n, target, statistic, multiplier)
    z = (y - target) / s
    lo, hi = np.quantile(z, [winsorise, 1.0 - winsorise]) if len(z) else (0.0, 0.0)
    zw = np.clip(z, lo, hi)
    units = len(zw)
    phi = float(np.mean(zw ** 2)) if units else float("nan")
    w = 1.0 / s ** 2
    denom = w.sum() - (w ** 2).sum() / w.sum() if units else float("nan")
    tau2 = max(0.0, (units * phi - (units - 1)) / denom) if units > 1 else 0.0
    from ..distributions import chi2_ppf

    over = bool(units > 1 and units * phi > chi2_ppf(0.95, units - 1))
    return Overdispersion(phi=phi, tau2=float(tau2), n_units=units, overdispersed=over)


def funnel_significance(
    x: np.ndarray,
    n: np.ndarray,
    *,
    statistic: Literal["proportion", "rate"] = "proportion",
    target: float | None = None,
    multiplier: float = 100.0,
) -> np.ndarray:
    """Where each area falls on the funnel: High/Low at 0.001 or 0.025, or Not significant.

    Parameters
    ----------
    x, n : array_like, shape (m,)
        Numerators and denominators.
    statistic : {"proportion", "rate"}
    target : float, optional
        Target in multiplier units; default the overall value ``sum(x) / sum(n)``.
    multiplier : float

    Returns
    -------
    ndarray of str, shape (m,)
        ``High (0.001)``, ``High (0.025)``, ``Low (0.001)``, ``Low (0.025)``, ``Not significant``.
    """
    check_choice("statistic", statistic, ("proportion", "rate"))
    x, n = as_float(x), as_float(n)
    if target is None:
        target = float(np.nansum(x) / np.nansum(n) * multiplier)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = x / n * multiplier
    limits = proportion_funnel if statistic == "proportion" else poisson_funnel
    lo2, hi2 = limits(n, target=target, confidence=0.95, multiplier=multiplier)
    lo3, hi3 = limits(n, target=target, confidence=0.998, multiplier=multiplier)
    return np.select([v < lo3, v < lo2, v > hi3, v > hi2],
                     ["Low (0.001)", "Low (0.025)", "High (0.001)", "High (0.025)"], "Not significant").astype(object)
