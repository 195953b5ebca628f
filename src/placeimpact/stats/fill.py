"""Compute confidence limits a source did not publish, from its counts and denominators.

Readers and the store call :func:`fill_missing_cis` on an observation frame (store
columns). Only methods that need nothing beyond a count and a denominator are used:

==================  ======================================  ==========================
value_type          method                                  needs
==================  ======================================  ==========================
proportion          Wilson score (:mod:`.proportions`)      count <= denominator
crude_rate          exact Poisson < 10, Byar (:mod:`.rates`)  count, denominator
ratio               as crude_rate, denominator = expected   count, expected
dsr                 not computable (needs age bands)        -
life_expectancy     not computable (needs life tables)      -
mean, count, index  not computable here                     -
==================  ======================================  ==========================

Counts and denominators must be whole numbers: a fractional count comes from a weighted
survey or a model, where these intervals would understate the uncertainty (e.g. the GP
Patient Survey indicators, which Fingertips publishes without limits), so such rows are
left alone.

Rows whose 95% limits were missing and could be computed get both levels and
``ci_origin = "computed"``. Rows with published 95% limits but no 99.8% limits get
computed 99.8% limits only when the same method reproduces the published 95% limits
(to 0.5% of the interval width), which shows it is the publisher's method; their
``ci_origin`` stays ``"published"`` and the note says the 99.8% limits were computed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .proportions import wilson_ci
from .rates import rate_ci

__all__ = ["fill_missing_cis", "COMPUTABLE"]

COMPUTABLE = ("proportion", "crude_rate", "ratio")
_NOTE_998 = "99.8% limits computed from count and denominator"


def _limits(value_type: str, x: np.ndarray, n: np.ndarray, level: float, multiplier: float):
    if value_type == "proportion":
        return wilson_ci(x, n, confidence=level, multiplier=multiplier, on_invalid="nan")
    return rate_ci(x, n, confidence=level, multiplier=multiplier, on_invalid="nan")


def fill_missing_cis(obs_frame: pd.DataFrame, value_type: str, multiplier: float) -> pd.DataFrame:
    """A copy of ``obs_frame`` with limits computed where the source gave none.

    Parameters
    ----------
    obs_frame : DataFrame
        Observations of ONE indicator, with at least ``value``, ``count``, ``denominator``,
        ``lci95``, ``uci95`` (``lci998``, ``uci998``, ``ci_origin``, ``note`` are added if absent).
        Not modified.
    value_type : str
        The indicator's value type (``proportion``, ``crude_rate``, ``ratio``, ...).
    multiplier : float
        100 for percentages, 100000 for rates per 100,000, ...

    Returns
    -------
    DataFrame
        Same rows and order. Value types outside :data:`COMPUTABLE` come back unchanged.
    """
    out = obs_frame.copy()
    for col in ("lci95", "uci95", "lci998", "uci998", "count", "denominator"):
        if col not in out.columns:
            out[col] = np.nan
    if "ci_origin" not in out.columns:
        out["ci_origin"] = pd.Series("published", index=out.index, dtype=object).where(
            out["lci95"].notna() & out["uci95"].notna(), None)
    if "note" not in out.columns:
        out["note"] = None
    if value_type not in COMPUTABLE or out.empty:
        return out
    x = pd.to_numeric(out["count"], errors="coerce").to_numpy(dtype=float)
    n = pd.to_numeric(out["denominator"], errors="coerce").to_numpy(dtype=float)
    lo95, hi95 = _limits(value_type, x, n, 0.95, multiplier)
    lo998, hi998 = _limits(value_type, x, n, 0.998, multiplier)
    whole = (np.abs(x - np.round(x)) < 1e-9) & (np.abs(n - np.round(n)) < 1e-9)
    have = np.isfinite(lo95) & np.isfinite(hi95) & whole
    pub_lo, pub_hi = out["lci95"].to_numpy(dtype=float), out["uci95"].to_numpy(dtype=float)
    missing95 = ~(np.isfinite(pub_lo) & np.isfinite(pub_hi)) & have
    width = np.abs(pub_hi - pub_lo)
    with np.errstate(invalid="ignore"):
        agrees = (np.abs(lo95 - pub_lo) <= 0.005 * width) & (np.abs(hi95 - pub_hi) <= 0.005 * width)
    missing998 = ~(out["lci998"].notna() & out["uci998"].notna()).to_numpy()
    add998 = missing998 & have & (missing95 | agrees)
    out.loc[missing95, "lci95"] = lo95[missing95]
    out.loc[missing95, "uci95"] = hi95[missing95]
    out.loc[add998, "lci998"] = lo998[add998]
    out.loc[add998, "uci998"] = hi998[add998]
    out.loc[missing95, "ci_origin"] = "computed"
    only998 = add998 & ~missing95
    if only998.any():
        old = out.loc[only998, "note"]
        out.loc[only998, "note"] = np.where(old.notna() & (old.astype(str) != ""),
                                            old.astype(str) + "; " + _NOTE_998, _NOTE_998)
    return out
