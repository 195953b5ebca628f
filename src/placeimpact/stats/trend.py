"""Fingertips' recent-trend test over the last five points of a series.

Two tests, as in the Fingertips trend markers (technical guidance "Fingertips trend
markers"), both judged against the chi-square distribution on one degree of freedom
at 99.8% (critical value 9.5495), with time points numbered t = 1..5:

* **proportions** (numerator O_i of denominator n_i): the chi-square test for trend in
  proportions (Armitage 1955),

  .. math::
      \\chi^2 = \\frac{N\\,(N\\sum O_i t_i - \\sum O_i \\sum n_i t_i)^2}
                     {\\sum O_i\\,(N - \\sum O_i)\\,(N \\sum n_i t_i^2 - (\\sum n_i t_i)^2)},
      \\quad N = \\sum n_i

  with the direction and the robustness check taken from the least-squares slope of
  the logits :math:`\\ln(O_i / (n_i - O_i))`;
* **every other type**: inverse-variance weighted least squares of the values on t,
  with standard errors from the 95% limits, SE = (U - L) / 3.92, and
  :math:`\\chi^2 = (\\hat\\beta / \\mathrm{se}(\\hat\\beta))^2`.

A trend counts only if it is significant *and* the slope keeps its sign when any
one of the five points is left out (Fingertips' outlier check).

Which test: Fingertips' published markers in the FingertipsNext extract agree with the
weighted regression for every indicator that has 95% limits, proportions included
(e.g. 370 of 370 series of "deaths in hospital", 66 of 66 of diabetes prevalence), and
with the proportion test for survey proportions published without limits. So
:func:`trend_table` (``method="auto"``) uses the weighted regression when all five
points have limits and the proportion test otherwise. Labels use the
indicator's polarity: "Increasing and getting better", "Decreasing and getting
worse", ... ; without polarity "Increasing" / "Decreasing"; otherwise "No significant
change", or "Could not be calculated" when a point, limit or count is missing.

References
----------
Armitage P. Tests for linear trends in proportions and frequencies. Biometrics 1955; 11: 375-386.
Public Health England. Fingertips technical guidance: trend markers.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from .. import distributions as _st

from ._common import as_float, as_level, check_choice, polarity_array

__all__ = ["recent_trend", "trend_table", "TREND_LABELS", "POINTS", "TrendMethod"]

POINTS = 5
TrendMethod = Literal["proportion", "weighted_regression"]
TREND_LABELS = (
    "Increasing and getting better", "Increasing and getting worse",
    "Decreasing and getting better", "Decreasing and getting worse",
    "Increasing", "Decreasing", "No significant change", "Could not be calculated",
)


def _loo_stable(terms: list[np.ndarray], slope_of) -> tuple[np.ndarray, np.ndarray]:
    """Full-series slope and whether every leave-one-out slope has the same sign as it.

    ``terms`` are (m, 5) arrays whose column sums feed ``slope_of(*sums, n_points)``.
    """
    full = slope_of(*(a.sum(axis=1) for a in terms), POINTS)
    signs = [np.where(full < 0, -1, 1)]
    for j in range(POINTS):
        sums = [np.delete(a, j, axis=1).sum(axis=1) for a in terms]
        signs.append(np.where(slope_of(*sums, POINTS - 1) < 0, -1, 1))
    return full, np.abs(np.sum(signs, axis=0)) == POINTS + 1


def recent_trend(
    values: np.ndarray | None = None,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    counts: np.ndarray | None = None,
    denominators: np.ndarray | None = None,
    method: TrendMethod = "weighted_regression",
    polarity: str | np.ndarray = "no_judgement",
    confidence: float = 0.998,
) -> pd.DataFrame:
    """Recent trend of many series at once.

    Parameters
    ----------
    values, lower, upper : array_like, shape (m, 5)
        The last five points of each series (oldest first) and their 95% limits; needed
        for ``method="weighted_regression"``.
    counts, denominators : array_like, shape (m, 5)
        Numerators and denominators; needed for ``method="proportion"``.
    method : {"weighted_regression", "proportion"}
        See :func:`trend_table` for which one Fingertips applies.
    polarity : str or array of str, shape (m,)
        ``high_is_good``, ``low_is_good`` or ``no_judgement``.
    confidence : float
        Level of the chi-square test (0.998 in Fingertips).

    Returns
    -------
    DataFrame, m rows
        ``slope`` (per time step: value units, or logit units for proportions),
        ``chi2``, ``significant`` (bool), ``label`` (one of :data:`TREND_LABELS`).
    """
    check_choice("method", method, ("weighted_regression", "proportion"))
    crit = float(_st.chi2_ppf(as_level(confidence), 1))
    t = np.arange(1.0, POINTS + 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "proportion":
            if counts is None or denominators is None:
                from ..errors import InputError

                raise InputError("the proportion trend test needs counts and denominators", field="counts",
                                 expected="(m, 5) arrays of numerators and denominators", got="None")
            o, n = np.atleast_2d(as_float(counts))[:, -POINTS:], np.atleast_2d(as_float(denominators))[:, -POINTS:]
            ok = (np.isfinite(o) & np.isfinite(n) & (o >= 0) & (o <= n) & (n > 0)).all(axis=1) \
                & (o.shape[1] == POINTS)
            big_n, so = n.sum(axis=1), o.sum(axis=1)
            ok &= (so > 0) & (so < big_n)
            snt, snt2 = (n * t).sum(axis=1), (n * t * t).sum(axis=1)
            num = big_n * (big_n * (o * t).sum(axis=1) - so * snt) ** 2
            chi2 = num / (so * (big_n - so) * (big_n * snt2 - snt ** 2))
            logit = np.log(o / (n - o))
            ones = np.ones_like(logit)

            def ols(s1, sty, st, sy, st2, k):  # unweighted least-squares slope on k points
                return (k * sty - sy * st) / (k * st2 - st ** 2)

            # a 0% or 100% point makes a logit infinite; as in Fingertips an undefined
            # leave-one-out slope then counts as positive
            slope, stable = _loo_stable([ones, logit * t, ones * t, logit, ones * t * t], ols)
            armitage = big_n * (o * t).sum(axis=1) - so * snt
            up = np.where(np.isfinite(slope), slope > 0, armitage > 0)
        else:
            if values is None or lower is None or upper is None:
                from ..errors import InputError

                raise InputError("the weighted-regression trend test needs values and 95% limits", field="values",
                                 expected="(m, 5) arrays of values, lower and upper limits", got="None")
            y = np.atleast_2d(as_float(values))[:, -POINTS:]
            se = (np.atleast_2d(as_float(upper))[:, -POINTS:] - np.atleast_2d(as_float(lower))[:, -POINTS:]) / 3.92
            w = 1.0 / se ** 2
            ok = (np.isfinite(y) & np.isfinite(w) & (se > 0)).all(axis=1) & (y.shape[1] == POINTS)

            def wls(s1, sty, st, sy, st2, k):
                return (s1 * sty - st * sy) / (s1 * st2 - st ** 2)

            terms = [w, w * t * y, w * t, w * y, w * t * t]
            slope, stable = _loo_stable(terms, wls)
            s1, st, st2 = w.sum(axis=1), (w * t).sum(axis=1), (w * t * t).sum(axis=1)
            chi2 = (slope / np.sqrt(s1 / (s1 * st2 - st ** 2))) ** 2
            up = slope > 0
    significant = ok & stable & (chi2 > crit)
    pol = polarity_array(polarity, slope.shape)
    label = np.full(slope.shape, "No significant change", dtype=object)
    inc = significant & up
    dec = significant & ~up
    label[inc] = np.where(pol[inc] == "high_is_good", "Increasing and getting better",
                          np.where(pol[inc] == "low_is_good", "Increasing and getting worse", "Increasing"))
    label[dec] = np.where(pol[dec] == "high_is_good", "Decreasing and getting worse",
                          np.where(pol[dec] == "low_is_good", "Decreasing and getting better", "Decreasing"))
    label[~ok] = "Could not be calculated"
    return pd.DataFrame({"slope": np.where(ok & np.isfinite(slope), slope, np.nan), "chi2": np.where(ok, chi2, np.nan),
                         "significant": significant, "label": label})


def trend_table(
    obs: pd.DataFrame,
    *,
    value_type: str,
    polarity: str = "no_judgement",
    method: Literal["auto", "proportion", "weighted_regression"] = "auto",
    keys: tuple[str, ...] = ("indicator_id", "area_code", "sex", "age", "category"),
) -> pd.DataFrame:
    """Recent trend of every series in an observation frame (store columns).

    Each series (one row per ``keys``) uses its last five periods, which must be
    annual or shorter, consecutive and not overlapping (Fingertips does not test
    rolling periods); otherwise it is "Could not be calculated".

    Parameters
    ----------
    obs : DataFrame
        Columns ``keys``, ``period_start``, ``period_end``, ``value``, ``lci95``, ``uci95``,
        ``count``, ``denominator`` (not modified).
    value_type : str
        The indicator's value type; only proportions can use the chi-square test for trend.
    polarity : str
        The indicator's polarity.
    method : {"auto", "proportion", "weighted_regression"}
        ``auto``: weighted regression for series whose five points all have 95% limits,
        else the proportion test when ``value_type == "proportion"`` (counts needed).

    Returns
    -------
    DataFrame
        ``keys``, ``latest_period`` (label of the last point), ``n_points``, ``slope``, ``chi2``,
        ``significant``, ``label``, ``method``.
    """
    by = list(keys)
    df = obs[obs["value"].notna()].sort_values(by + ["period_start"], kind="stable")
    df = df.groupby(by, sort=False, dropna=False).tail(POINTS)
    grp = df.groupby(by, sort=False, dropna=False)
    sid = grp.ngroup().to_numpy()
    pos = POINTS - 1 - grp.cumcount(ascending=False).to_numpy()
    start = pd.to_datetime(df["period_start"])
    end = pd.to_datetime(df["period_end"])
    short = ((end - start).dt.days <= 366).to_numpy()
    gap = (start - grp["period_end"].shift().pipe(pd.to_datetime)).dt.days.to_numpy()
    seq = np.isnan(gap) | ((gap >= 0) & (gap <= 2))
    m = int(sid.max()) + 1 if len(sid) else 0

    def block(col: str) -> np.ndarray:
        out = np.full((m, POINTS), np.nan)
        out[sid, pos] = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        return out

    n_points = np.bincount(sid, minlength=m)
    regular = np.bincount(sid, weights=(short & seq).astype(float), minlength=m) == n_points
    first = df.drop_duplicates(subset=by).reset_index(drop=True)
    latest = df.groupby(by, sort=False, dropna=False)["period_label"].last().to_numpy()
    check_choice("method", method, ("auto", "proportion", "weighted_regression"))
    y, lo, hi, x, n = (block(c) for c in ("value", "lci95", "uci95", "count", "denominator"))
    has_ci = (np.isfinite(lo) & np.isfinite(hi)).all(axis=1)
    if method == "proportion":
        use_prop = np.ones(m, dtype=bool)
    elif method == "auto" and value_type == "proportion":
        use_prop = ~has_ci
    else:
        use_prop = np.zeros(m, dtype=bool)
    res = recent_trend(y, lo, hi, method="weighted_regression", polarity=polarity)
    if use_prop.any():
        prop = recent_trend(counts=x, denominators=n, method="proportion", polarity=polarity)
        res = res.where(np.repeat(~use_prop[:, None], res.shape[1], axis=1), prop)
    res["method"] = np.where(use_prop, "proportion", "weighted_regression")
    bad = ~regular | (n_points < POINTS)
    res.loc[bad, ["slope", "chi2"]] = np.nan
    res.loc[bad, "significant"] = False
    res.loc[bad, "label"] = "Could not be calculated"
    out = first[by].copy()
    out["latest_period"] = latest
    out["n_points"] = n_points
    return pd.concat([out, res], axis=1)
