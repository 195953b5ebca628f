"""Confidence intervals for means: Student's t distribution.

.. math::
    \\bar{x} \\pm t_{n-1,\\,1-\\alpha/2}\\, \\frac{s}{\\sqrt{n}}

References
----------
Student. The probable error of a mean. Biometrika 1908; 6: 1-25.
Fingertips technical guidance, "Confidence intervals for means".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from .. import distributions as _st

from ._common import as_float, as_level

__all__ = ["t_ci", "mean_ci"]


def t_ci(
    mean: np.ndarray | float,
    sd: np.ndarray | float,
    n: np.ndarray | float,
    *,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t limits of a mean from its summary statistics.

    Parameters
    ----------
    mean, sd, n : array_like, broadcastable, shape (m,)
        Sample means, sample standard deviations (n - 1 divisor) and sizes.
    confidence : float
        Two-sided level.

    Returns
    -------
    lower, upper : ndarray, shape (m,)
        NaN where ``n < 2`` or an input is missing.
    """
    mean, sd, n = np.broadcast_arrays(as_float(mean), as_float(sd), as_float(n))
    level = as_level(confidence)
    ok = np.isfinite(mean) & np.isfinite(sd) & (n >= 2)
    half = np.full(mean.shape, np.nan)
    half[ok] = _st.t_ppf(0.5 + level / 2.0, n[ok] - 1.0) * sd[ok] / np.sqrt(n[ok])
    return mean - half, mean + half


def mean_ci(values: np.ndarray | pd.Series, groups: np.ndarray | pd.Series | None = None) -> pd.DataFrame:
    """Mean of raw values per group with t limits at 95% and 99.8%.

    Parameters
    ----------
    values : array_like, shape (m,)
        Observations (NaN ignored).
    groups : array_like, shape (m,), optional
        Group labels; one row per group (sorted), or one row for all values.

    Returns
    -------
    DataFrame
        ``group, value_sum, value_count, stdev, value, lci95, uci95, lci998, uci998``.
    """
    v = pd.Series(as_float(values))
    g = pd.Series(np.zeros(len(v), dtype=int) if groups is None else np.asarray(groups))
    keep = v.notna()
    agg = v[keep].groupby(g[keep]).agg(value_sum="sum", value_count="count", stdev="std")
    out = agg.reset_index(names="group")
    out["value"] = out["value_sum"] / out["value_count"]
    for level, tag in ((0.95, "95"), (0.998, "998")):
        lo, hi = t_ci(out["value"], out["stdev"], out["value_count"], confidence=level)
        out[f"lci{tag}"], out[f"uci{tag}"] = lo, hi
    return out
