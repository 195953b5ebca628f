"""Quantiles and tail probabilities of the normal, t, chi-squared and F distributions, and a slope test.

These are the functions ``scipy.stats`` itself calls for these distributions (``scipy.special``'s
``ndtri``, ``stdtrit``, ``gammaincinv``, ``chdtrc``, ``fdtrc``), called directly: importing
``scipy.stats`` builds every distribution object it knows and costs about 0.3-0.5 s of each
command's start-up, more than all the statistics an evaluation computes with it.
``tests/stats/test_distributions.py`` checks each against ``scipy.stats``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._lazy import lazy_module

if TYPE_CHECKING:
    from scipy import special
else:  # deferred (~0.1 s): modules that import this one (the stats kernels) are imported by commands,
    special = lazy_module("scipy.special")  # such as the screen, that may never call a distribution

__all__ = ["norm_ppf", "norm_sf", "t_ppf", "t_sf", "chi2_ppf", "chi2_sf", "f_sf", "slope_test"]


def norm_ppf(q):   # scalars or arrays, as scipy.stats
    """Standard normal quantile (``scipy.stats.norm.ppf``)."""
    return special.ndtri(q)


def norm_sf(x):
    """Standard normal upper tail ``P(Z > x)`` (``scipy.stats.norm.sf``)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def t_ppf(q, df):
    """Student t quantile (``scipy.stats.t.ppf``)."""
    return special.stdtrit(df, q)


def t_sf(x, df):
    """Student t upper tail (``scipy.stats.t.sf``)."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def chi2_ppf(q, df):
    """Chi-squared quantile (``scipy.stats.chi2.ppf``)."""
    return 2.0 * special.gammaincinv(np.asarray(df, dtype=float) / 2.0, q)


def chi2_sf(x, df):
    """Chi-squared upper tail (``scipy.stats.chi2.sf``)."""
    return special.chdtrc(df, x)


def f_sf(x, dfn, dfd):
    """F upper tail (``scipy.stats.f.sf``)."""
    return special.fdtrc(dfn, dfd, x)


def slope_test(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of ``y`` on ``x`` and its two-sided p-value (``scipy.stats.linregress``)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    xm, ym = x - x.mean(), y - y.mean()
    ssx, ssy, sxy = float(xm @ xm), float(ym @ ym), float(xm @ ym)
    slope = sxy / ssx
    r = 0.0 if ssy == 0 else max(-1.0, min(1.0, sxy / math.sqrt(ssx * ssy)))
    df = n - 2
    if abs(r) == 1.0:
        return slope, 0.0
    t = r * math.sqrt(df / ((1.0 - r) * (1.0 + r)))
    return slope, float(2.0 * t_sf(abs(t), df))
