"""Directly standardised rates (DSR) with Dobson's confidence interval.

A DSR weights each age band's crude rate by a standard population (Fingertips uses the
2013 European Standard Population, :data:`ESP2013`). Its variance is

.. math::
    \\operatorname{var}(\\mathrm{DSR}) = \\frac{1}{(\\sum_i w_i)^2}\\sum_i \\frac{w_i^2 x_i}{n_i^2}

and Dobson's method scales the Poisson limits of the total count :math:`O = \\sum x_i`
(exact below 10 events, Byar's from 10 on) onto the DSR:

.. math::
    \\mathrm{DSR}_{L,U} = \\mathrm{DSR} + \\sqrt{\\operatorname{var}(\\mathrm{DSR}) / O}\\,(O_{L,U} - O)

Fingertips publishes no DSR when the total count is below 10. When one person can
contribute several events (non-independent events), the variance uses, per age band,
:math:`\\sum_k k^2 f_k` instead of :math:`x_i`, where :math:`f_k` people had :math:`k` events.

A DSR cannot be rebuilt from a published count and denominator alone: it needs the
age-band counts and populations. Published DSR limits are therefore taken as published.

References
----------
Dobson AJ, Kuulasmaa K, Eberle E, Scherer J. Confidence intervals for weighted sums of
Poisson parameters. Stat Med 1991; 10: 457-462.
Eurostat. Revision of the European Standard Population. Luxembourg, 2013.
"""

from __future__ import annotations

import numpy as np

from ._common import as_float
from .rates import EXACT_BELOW, count_ci

__all__ = ["ESP2013", "ESP2013_BANDS", "dobson_ci", "dsr"]

#: European Standard Population 2013, five-year bands 0-4 ... 85-89 and 90+ (sums to 100,000)
ESP2013 = np.array([5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000,
                    5500, 5000, 4000, 2500, 1500, 1000], dtype=float)
ESP2013.setflags(write=False)
ESP2013_BANDS = tuple([f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"])


def dobson_ci(
    value: np.ndarray | float,
    variance: np.ndarray | float,
    total_count: np.ndarray | float,
    *,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Dobson's limits for a weighted sum of Poisson counts.

    Parameters
    ----------
    value : array_like, shape (m,)
        The DSR (any scale).
    variance : array_like, shape (m,)
        Its variance, on the same scale squared.
    total_count : array_like, shape (m,)
        Total events O behind it (> 0).
    confidence : float
        Two-sided level.

    Returns
    -------
    lower, upper : ndarray, shape (m,)
    """
    value, variance, o = np.broadcast_arrays(as_float(value), as_float(variance), as_float(total_count))
    lo_o, hi_o = count_ci(o, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(variance / o)
        bad = ~(o > 0)
        lower = np.where(bad, np.nan, value + scale * (lo_o - o))
        upper = np.where(bad, np.nan, value + scale * (hi_o - o))
    return lower, upper


def dsr(
    counts: np.ndarray,
    populations: np.ndarray,
    standard: np.ndarray = ESP2013,
    *,
    multiplier: float = 100_000.0,
    confidence: float = 0.95,
    min_count: float = EXACT_BELOW,
    event_frequencies: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directly standardised rates with Dobson limits, for many areas at once.

    Parameters
    ----------
    counts : array_like, shape (m, k) or (k,)
        Events per area (rows) and age band (columns); NaN counts as 0 events.
    populations : array_like, same shape as ``counts``
        Population (person-years) per area and band (> 0).
    standard : array_like, shape (k,)
        Standard population weights per band (default :data:`ESP2013`, 19 bands).
    multiplier : float
        100000 for a rate per 100,000.
    confidence : float
        Two-sided level.
    min_count : float
        Areas with fewer total events get NaN (Fingertips suppresses DSRs below 10 events).
    event_frequencies : array_like, shape (m, k, j) or (k, j), optional
        For non-independent events: number of people with 1, 2, ..., j events per band.

    Returns
    -------
    value, lower, upper : ndarray, shape (m,) (or scalars' 0-d arrays for 1-D input)
    """
    x = np.nan_to_num(as_float(counts), nan=0.0)
    n = as_float(populations)
    w = as_float(standard)
    one = x.ndim == 1
    x, n = np.atleast_2d(x), np.atleast_2d(n)
    if x.shape != n.shape or x.shape[-1] != w.shape[0]:
        from ..errors import InputError

        raise InputError("counts, populations and the standard population do not line up",
                         field="counts", expected=f"(areas, {w.shape[0]}) arrays of equal shape",
                         got=f"counts {x.shape}, populations {n.shape}, standard {w.shape}")
    wsum = w.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (w * x / n).sum(axis=1) / wsum * multiplier
        if event_frequencies is None:
            band_var = x
        else:
            f = np.nan_to_num(as_float(event_frequencies), nan=0.0).reshape(x.shape + (-1,))
            k = np.arange(1, f.shape[-1] + 1, dtype=float)
            band_var = (f * k ** 2).sum(axis=-1)
        variance = (w ** 2 * band_var / n ** 2).sum(axis=1) / wsum ** 2 * multiplier ** 2
    total = x.sum(axis=1)
    lower, upper = dobson_ci(value, variance, total, confidence=confidence)
    small = (total < min_count) | ~np.isfinite(value)
    for arr in (value, lower, upper):
        arr[small] = np.nan
    if one:
        return value[0], lower[0], upper[0]
    return value, lower, upper
