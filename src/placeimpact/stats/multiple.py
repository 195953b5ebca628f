"""Multiple testing: Benjamini-Hochberg q-values, the one implementation the package uses.

The evaluation's synthesis (primary outcomes of a framework) and the national screen
(every area x indicator) both control the false discovery rate with :func:`benjamini_hochberg`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["benjamini_hochberg"]


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values).

    Parameters
    ----------
    p_values : array_like, shape (m,)
        Two-sided p-values; NaN entries are left out of the family and stay NaN.

    Returns
    -------
    numpy.ndarray, shape (m,)
        ``q_(i) = min_{j >= i} p_(j) m / j`` over the sorted finite p-values, capped at 1
        (Benjamini & Hochberg 1995, *JRSS B* 57:289–300). Rejecting ``q < alpha`` controls the
        false discovery rate at ``alpha`` for independent or positively dependent tests.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values must be one-dimensional; got shape {p.shape}")
    ok = np.isfinite(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError(f"p-values must lie in [0, 1]; got {p[ok][(p[ok] < 0) | (p[ok] > 1)][:3]}")
    q = np.full(p.shape, np.nan)
    m = int(ok.sum())
    if m == 0:
        return q
    order = np.argsort(p[ok], kind="mergesort")
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty(m)
    out[order] = ranked
    q[ok] = out
    return q
