"""Confidence intervals for counts and crude rates: Byar's method, and the exact Poisson interval.

Fingertips treats the numerator of a rate as a Poisson count. For 10 or more events
it uses Byar's approximation to the exact Poisson limits; below 10 events it uses the
exact limits, which have a closed form through the chi-square distribution:

.. math::
    O_L = \\tfrac12\\chi^2_{\\alpha/2}(2O), \\qquad O_U = \\tfrac12\\chi^2_{1-\\alpha/2}(2O + 2)

The same limits serve indirectly standardised ratios and rates (observed over
expected; :func:`isr_ci`).

References
----------
Breslow NE, Day NE. Statistical methods in cancer research, volume II: the design and
analysis of cohort studies. Lyon: IARC, 1987 (Byar's approximation, p. 69).
Ulm K. A simple method to calculate the confidence interval of a standardized
mortality ratio. Am J Epidemiol 1990; 131: 373-375 (exact interval via chi-square).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from .. import distributions as _st

from ._common import OnInvalid, apply_invalid, as_float, as_level, value_with_limits, z_value

__all__ = ["byar_ci", "exact_poisson_ci", "count_ci", "rate_ci", "isr_ci", "rate", "EXACT_BELOW"]

#: Fingertips uses exact Poisson limits below this many events, Byar's method from it on
EXACT_BELOW = 10


def byar_ci(x: np.ndarray | float, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximate Poisson limits for observed counts.

    .. math::
        O_L = O\\left(1 - \\frac{1}{9O} - \\frac{z}{3\\sqrt{O}}\\right)^3, \\qquad
        O_U = (O+1)\\left(1 - \\frac{1}{9(O+1)} + \\frac{z}{3\\sqrt{O+1}}\\right)^3

    Parameters
    ----------
    x : array_like, shape (m,)
        Observed counts (>= 0).
    confidence : float
        Two-sided level (0.95, 0.998, ...).

    Returns
    -------
    lower, upper : ndarray, shape (m,)
        On the count scale. The lower limit is NaN where the approximation breaks down
        (it would be negative, e.g. one event at 99.8%) or for no events; negative or
        missing counts give NaN.
    """
    x = as_float(x)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        base = 1.0 - 1.0 / (9.0 * x) - z / (3.0 * np.sqrt(x))
        lower = x * base ** 3
        x1 = x + 1.0
        upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    lower = np.where((base < 0) | (x <= 0) | ~np.isfinite(lower), np.nan, lower)
    upper = np.where(x < 0, np.nan, upper)
    return lower, upper


def _exact(k: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact limits for counts ``k`` >= 0 (lower limit 0 for no events)."""
    lower = np.zeros(k.shape)
    pos = k > 0
    lower[pos] = _st.chi2_ppf(alpha / 2.0, 2.0 * k[pos]) / 2.0
    upper = _st.chi2_ppf(1.0 - alpha / 2.0, 2.0 * k + 2.0) / 2.0
    return lower, upper


@lru_cache(maxsize=16)
def _exact_table(level: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact limits for the whole counts 0 .. size-1 (read-only arrays)."""
    k = np.arange(size, dtype=float)
    a = 1.0 - level
    lower, upper = _exact(k, a)
    lower.setflags(write=False)
    upper.setflags(write=False)
    return lower, upper


def exact_poisson_ci(x: np.ndarray | float, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) Poisson limits for observed counts, via the chi-square distribution.

    Parameters
    ----------
    x : array_like, shape (m,)
        Observed counts (>= 0; whole numbers are looked up in a cached table).
    confidence : float
        Two-sided level.

    Returns
    -------
    lower, upper : ndarray, shape (m,)
        On the count scale; the lower limit of 0 events is 0. Negative or missing counts give NaN.
    """
    x = as_float(x)
    level = as_level(confidence)
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    ok = np.isfinite(x) & (x >= 0)
    whole = ok & (x == np.floor(x)) & (x < 64)
    if whole.any():
        lo_t, hi_t = _exact_table(level, 64)
        k = x[whole].astype(np.int64)
        lower[whole] = lo_t[k]
        upper[whole] = hi_t[k]
    rest = ok & ~whole
    if rest.any():
        a = 1.0 - level
        lower[rest], upper[rest] = _exact(x[rest], a)
    return lower, upper


def count_ci(x: np.ndarray | float, *, confidence: float = 0.95,
             exact_below: float = EXACT_BELOW) -> tuple[np.ndarray, np.ndarray]:
    """Fingertips' limits for a Poisson count: exact below ``exact_below`` events, Byar's from it on.

    Parameters
    ----------
    x : array_like, shape (m,)
        Observed counts.
    confidence : float
        Two-sided level.
    exact_below : float
        Threshold (10 in Fingertips).

    Returns
    -------
    lower, upper : ndarray, shape (m,)
        On the count scale.
    """
    x = as_float(x)
    lower, upper = byar_ci(x, confidence=confidence)
    small = np.isfinite(x) & (x < exact_below)
    if small.any():
        lo_e, hi_e = exact_poisson_ci(x[small], confidence=confidence)
        lower[small] = lo_e
        upper[small] = hi_e
    return lower, upper


def rate_ci(
    x: np.ndarray | float,
    n: np.ndarray | float,
    *,
    confidence: float = 0.95,
    multiplier: float = 100_000.0,
    exact_below: float = EXACT_BELOW,
    on_invalid: OnInvalid = "raise",
) -> tuple[np.ndarray, np.ndarray]:
    """Limits of the crude rate ``x / n * multiplier`` (exact below 10 events, Byar's from 10).

    Parameters
    ----------
    x : array_like, shape (m,) or broadcastable with ``n``
        Event counts (>= 0).
    n : array_like
        Denominators, e.g. person-years (> 0). A rate may exceed the multiplier
        (more events than people, e.g. admissions).
    confidence : float
        Two-sided level.
    multiplier : float
        100000 for a rate per 100,000, 1000 per 1,000, 100 for a percentage-style rate.
    exact_below : float
        Count below which the exact interval is used (10 in Fingertips).
    on_invalid : {"raise", "nan"}
        Negative counts or non-positive denominators raise (default) or give NaN.

    Returns
    -------
    lower, upper : ndarray, broadcast shape
    """
    x, n = np.broadcast_arrays(as_float(x), as_float(n))
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(x) | ~np.isfinite(n) | (x < 0) | (n <= 0)
    apply_invalid(bad & np.isfinite(x) & np.isfinite(n), on_invalid, what="negative count or non-positive denominator",
                  field="x", expected="x >= 0 and n > 0", values=np.where(x < 0, x, n))
    lo, hi = count_ci(np.where(bad, np.nan, x), confidence=confidence, exact_below=exact_below)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(bad, np.nan, multiplier / n)
    return lo * scale, hi * scale


def isr_ci(observed: np.ndarray | float, expected: np.ndarray | float, *, confidence: float = 0.95,
           multiplier: float = 100.0, on_invalid: OnInvalid = "raise") -> tuple[np.ndarray, np.ndarray]:
    """Limits of an indirectly standardised ratio ``observed / expected * multiplier``.

    The observed count is treated as Poisson and the expected count as fixed, so this is
    :func:`rate_ci` with the expected count as denominator (multiplier 100 gives the
    ratio as a percentage, 1 as a ratio; multiply a ratio by the reference rate for an
    indirectly standardised rate).
    """
    return rate_ci(observed, expected, confidence=confidence, multiplier=multiplier, on_invalid=on_invalid)


def rate(
    x: np.ndarray | float,
    n: np.ndarray | float,
    *,
    multiplier: float = 100_000.0,
    on_invalid: OnInvalid = "raise",
) -> dict[str, np.ndarray]:
    """Crude rate with its limits at 95% and 99.8%, named as the store's observation columns.

    Returns
    -------
    dict of ndarray
        ``value``, ``lci95``, ``uci95``, ``lci998``, ``uci998``.
    """
    return value_with_limits(rate_ci, x, n, multiplier=multiplier, on_invalid=on_invalid, nan_from="upper")
