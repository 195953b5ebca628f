"""Interrupted time series: segmented regression with a level and a slope change at the reform.

Model for the focal series (or, with ``control="england"``, its gap from England)::

    y_j = b0 + b1 (t_j - t0) + b2 post_j + b3 (t_j - t0) post_j + e_j

with ``t0`` the reform start, ``post_j`` 1 for periods that began on or after it;
transition periods (rolling periods straddling the start) are left out. ``b2`` is the
level change at the start, ``b3`` the slope change per year, and the default estimand is
the average post-reform effect, ``b2 + b3 * mean(t_post - t0)``: how far the post-reform
values sat from the pre-reform trend projected forward.

Errors are serially correlated and, for rolling periods, overlapping: they are modelled
as annual AR(1) noise averaged over the years each period covers, with the AR coefficient
estimated by REML pooled over the focal area and its comparators (:mod:`._gls`), and
inference uses t on ``n - 4`` degrees of freedom. An OLS fit with Newey-West (HAC)
standard errors (as statsmodels computes them) is reported in the diagnostics for comparison only: at these
series lengths it is over-confident (see ``bench/bench_simulation.py``).

The projection is checked, not just fitted: when the counterfactual (the pre-reform line
extended) leaves the indicator's possible range during the post-reform window (below zero
for a rate, proportion, count or life expectancy; above 100 for a percentage; see
:func:`._common.possible_range`) a straight line cannot be what would have happened, the
estimate overstates the departure from it, and the evidence drops one level. A post-reform
window longer than the pre-reform one (a projection further ahead than the line was
observed) is noted without a downgrade. Neither changes the estimate, interval or p-value.

For a total (counts, "£ million"; :func:`._common.is_total`), which scales with the area's
size, England's total is not comparable with the area's: the England-controlled fit uses
England's series times the area's pre-reform share of it (:func:`._common.size_scale`),
each comparator's gap likewise at its own share.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ..panel import Panel
from ._common import (
    ATTRIBUTION, better_phrase, what_of, carried_warnings, check_choice, first_outside, fmt, good_sign, grade,
    insufficient, is_total, period_name, possible_range, size_scale, t_interval, total_note, unit_of,
    window_shortfall,
)
from ._gls import averaging_matrix, gls_fit, reml_rho
from .result import MethodResult, direction_from

__all__ = ["interrupted_time_series", "segmented_design", "classify", "newey_west_cov"]

Effect = Literal["average", "level", "slope"]
Control = Literal["none", "england"]
_METHOD = "its"


def segmented_design(t: np.ndarray, post: np.ndarray, t0: float) -> np.ndarray:
    """Design matrix (n, 4): intercept, time since ``t0``, post step, time since ``t0`` after it.

    Parameters
    ----------
    t : ndarray, shape (n,)   decimal years
    post : ndarray of bool, shape (n,)
    t0 : float                the reform start in decimal years
    """
    tt = np.asarray(t, dtype=float) - t0
    p = np.asarray(post, dtype=float)
    return np.column_stack([np.ones_like(tt), tt, p, tt * p])


def classify(direction: str, pre_slope: float, post_slope: float, polarity: str) -> str:
    """Name the pattern: trend reversal, acceleration, slowed deterioration, deterioration, ..."""
    s = good_sign(polarity)
    if direction == "no_clear_change" or direction == "not_assessed":
        return "no detectable change"
    if s == 0:
        return "rise relative to trend" if direction == "higher" else "fall relative to trend"
    if direction == "worse":
        return "deterioration"
    if s * pre_slope < 0:  # was getting worse before the reform
        return "trend reversal" if s * post_slope > 0 else "slowed deterioration"
    return "acceleration"


def newey_west_cov(y: np.ndarray, X: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS coefficients, their Newey-West (Bartlett kernel) covariance and the residual degrees of freedom.

    The covariance is statsmodels' ``OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags,
    "use_correction": True})``: bread ``(X'X)^-1``, meat ``sum_j w_j (G_j + G_j')`` with weights
    ``w_j = 1 - j / (lags + 1)`` over the score products ``G_j = sum_t x_t u_t u_{t-j} x_{t-j}'``,
    times ``n / (n - k)``. Written out here (a few lines of numpy) because importing statsmodels
    costs about half a second of every command's start-up for a diagnostic; the test suite checks
    it against statsmodels to 1e-10.
    """
    n, k = X.shape
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    xu = X * (y - X @ b)[:, None]
    meat = xu.T @ xu
    for j in range(1, lags + 1):
        g = xu[j:].T @ xu[:-j]
        meat += (1.0 - j / (lags + 1.0)) * (g + g.T)
    bread = np.linalg.pinv(X.T @ X)
    return b, bread @ meat @ bread * (n / float(n - k)), n - k


def _hac_p(y: np.ndarray, X: np.ndarray, c: np.ndarray, overlap: bool) -> tuple[float, float]:
    """(se, p) of c'b from OLS with Newey-West errors (diagnostic only), t reference distribution."""
    n = len(y)
    lags = int(math.floor(4 * (n / 100) ** (2 / 9)))
    lags = max(lags, 2 if overlap else 1)
    b, cov, df = newey_west_cov(y, X, lags)
    se = float(math.sqrt(c @ cov @ c))
    return se, t_interval(float(c @ b), se, df)[2]


def _fit(panel: Panel, y_all: np.ndarray, comp_all: np.ndarray, use: np.ndarray, effect: str,
         hac: bool = True) -> dict:
    t0 = panel.reform_t
    post = panel.post[use]
    X = segmented_design(panel.t[use], post, t0)
    A = averaging_matrix(panel.period_start[use], panel.period_end[use])
    y = y_all[use]
    Yc = comp_all[:, use]
    Yc = Yc[np.isfinite(Yc).all(axis=1)]
    pooled = np.vstack([y[None, :], Yc])
    rho, _ = reml_rho(pooled, X, A)
    fit = gls_fit(y, X, A, rho)
    tt_post = (panel.t[use] - t0)[post]
    c = {"average": np.array([0, 0, 1, tt_post.mean()]), "level": np.array([0, 0, 1, 0.0]),
         "slope": np.array([0, 0, 0, 1.0])}[effect]
    est = float(c @ fit.params)
    se = float(math.sqrt(c @ fit.cov @ c))
    lo, hi, p = t_interval(est, se, fit.df)
    lo, hi = float(lo), float(hi)
    hac_se, hac_p = _hac_p(y, X, c, panel.overlapping) if hac else (math.nan, math.nan)
    b = fit.params
    curv_p = math.nan
    pre = ~post
    if pre.sum() >= 5:  # is the pre-reform trend curved? quadratic term, same error model
        tp = panel.t[use][pre] - t0
        Xq = np.column_stack([np.ones_like(tp), tp, tp ** 2])
        fq = gls_fit(y[pre], Xq, averaging_matrix(panel.period_start[use][pre], panel.period_end[use][pre]), rho)
        curv_p = t_interval(float(fq.params[2]), float(fq.bse[2]), fq.df)[2]
    return {"fit": fit, "curvature_p": curv_p, "est": est, "se": se, "lo": lo, "hi": hi, "p": p, "rho": rho,
            "n_pooled": len(Yc), "pre_slope": float(b[1]), "post_slope": float(b[1] + b[3]),
            "level_change": float(b[2]),
            "slope_change": float(b[3]), "hac_se": hac_se, "hac_p": hac_p, "X": X}


def interrupted_time_series(
    panel: Panel,
    *,
    effect: Effect = "average",
    control: Control = "none",
    min_pre: int = 3,
) -> MethodResult:
    """Segmented regression of the focal series at the reform start.

    Parameters
    ----------
    panel : Panel
    effect : {"average", "level", "slope"}
        The estimand: the average post-reform departure from the projected pre-reform
        trend (default), the level change at the start, or the slope change per year.
    control : {"none", "england"}
        Model the area's own series (default; the England-controlled fit, which removes
        national shocks, is reported in the diagnostics) or its gap from England.
    min_pre : int
        Fewest pre-reform points to fit a trend (default 3).

    Returns
    -------
    MethodResult
        ``label`` is trend reversal / acceleration / slowed deterioration / deterioration /
        no detectable change (polarity-aware); ``series`` holds ``t``, ``observed``, ``fitted``
        and ``counterfactual`` aligned with ``panel.period_labels`` (NaN where unused).
    """
    check_choice("effect", effect, ("average", "level", "slope"))
    check_choice("control", control, ("none", "england"))
    unit = unit_of(panel)
    estimand = {"average": f"average post-reform departure from the pre-reform trend{unit and ','}{unit}",
                "level": f"level change at the reform start{unit and ','}{unit}",
                "slope": f"change in yearly slope{unit and ','}{unit} per year"}[effect]
    total = is_total(panel)
    if control == "england":
        estimand += " (gap from England rescaled to the area's pre-reform size)" if total else " (gap from England)"
    warns, down = carried_warnings(panel)
    kinds: list[str] = ["overlapping_periods"] if panel.overlapping else []
    eng = panel.england_values
    have_eng = bool(np.isfinite(eng[panel.pre | panel.post]).sum() >= 5)
    if control == "england" and not have_eng:
        return insufficient(_METHOD, panel, estimand, "England's series is missing, so the England-controlled "
                            "fit cannot be made; use control='none'", warns)
    y_own = panel.focal_values
    own_use = (panel.pre | panel.post) & np.isfinite(y_own)    # too few points is said first, whatever the control
    short = window_shortfall(int((own_use & panel.pre).sum()), int((own_use & panel.post).sum()), min_pre)
    if short:
        return insufficient(_METHOD, panel, estimand, short, warns)
    # England as the reference of the area (row 0) and of each comparator: for a total, at each one's size
    scale = size_scale(panel.values, eng, panel.pre) if total else np.ones(panel.n_areas)
    eng_rows = scale[:, None] * eng[None, :]
    if total and have_eng and not math.isfinite(scale[0]):
        if control == "england":
            return insufficient(_METHOD, panel, estimand, (
                f"this indicator is a total, which scales with the area's size, and {panel.focal_name}'s "
                "pre-reform share of England's total cannot be computed (a pre-reform total is missing or not "
                "positive), so England is not a comparable control; use control='none'"), warns)
        have_eng = False
    if control == "england" and total:
        warns.append(total_note(panel, "England", float(scale[0])))
    y = y_own - eng_rows[0] if control == "england" else y_own
    comp = panel.comparator_values - eng_rows[1:] if control == "england" else panel.comparator_values
    use = (panel.pre | panel.post) & np.isfinite(y)
    n_pre, n_post = int((use & panel.pre).sum()), int((use & panel.post).sum())
    short = window_shortfall(n_pre, n_post, min_pre)
    if short:
        return insufficient(_METHOD, panel, estimand, short, warns)
    r = _fit(panel, y, comp, use, effect)
    if r["n_pooled"] == 0:
        warns.append("no comparator series to pool: the autocorrelation is estimated from this one short series, "
                     "so the interval is approximate")
        down += 1
        kinds.append("few_donors")
    if n_pre < 6:
        warns.append(f"only {n_pre} pre-reform points: the projected trend is poorly determined")
        down += 1
        kinds.append("few_periods")
    if r["curvature_p"] < 0.05:
        warns.append("the pre-reform series is curved (quadratic term p = "
                     f"{r['curvature_p']:.2g}): a straight-line projection of it can mislead")
        down += 1
        kinds.append("pre_trend")
    if r["rho"] >= 0.9:
        warns.append("residuals are very strongly autocorrelated: a straight-line trend may not describe this series")
        down += 1
        kinds.append("poor_pre_fit")
    diag = {"n_pre": n_pre, "n_post": n_post, "rho_annual": r["rho"], "sigma_annual": math.sqrt(r["fit"].sigma2),
            "df": r["fit"].df, "se": r["se"], "level_change": r["level_change"], "slope_change": r["slope_change"],
            "pre_slope": r["pre_slope"], "post_slope": r["post_slope"], "n_series_pooled": r["n_pooled"] + 1,
            "hac_se": r["hac_se"], "hac_p_value": r["hac_p"], "control": control,
            "pre_curvature_p_value": r["curvature_p"],
            "error_model": "annual AR(1) averaged over each period's years" if panel.overlapping else "AR(1)",
            "total": total, "england_scale": float(scale[0]) if total else 1.0}
    fit = r["fit"]
    b = fit.params
    line = r["X"][:, :2] @ b[:2]                                    # the pre-reform line, over the used periods
    if control == "england":
        w, d, extra = _projection_checks(panel, use, line + eng_rows[0][use],
                                         "England's series plus the gap line fitted before the reform, extended,")
    else:
        w, d, extra = _projection_checks(panel, use, line)
    if effect == "average":      # only the average departure rests on the line projected over the whole window
        warns += w
        down += d
        if d:
            kinds.append("implausible_projection")
    diag.update(extra)
    direction = direction_from(r["est"], r["lo"], r["hi"], panel.polarity)
    if control == "none" and have_eng:
        use_c = use & np.isfinite(eng)
        if int((use_c & panel.pre).sum()) >= 3 and int((use_c & panel.post).sum()) >= 2:
            rc = _fit(panel, y_own - eng_rows[0], panel.comparator_values - eng_rows[1:], use_c, effect, hac=False)
            diag.update(controlled_estimate=rc["est"], controlled_ci_low=rc["lo"], controlled_ci_high=rc["hi"],
                        controlled_p_value=rc["p"])
            dc = direction_from(rc["est"], rc["lo"], rc["hi"], panel.polarity)
            if {dc, direction} in ({"better", "worse"}, {"higher", "lower"}):
                warns.append("the England-controlled fit points the other way: national trends explain the break")
                down += 2
                kinds.append("national_trend")
            elif direction not in ("no_clear_change", "not_assessed") and dc == "no_clear_change":
                warns.append("against England's trend the change is not distinguishable: national trends may "
                             "explain it")
                down += 2
                kinds.append("national_trend")
            elif direction not in ("no_clear_change", "not_assessed") and abs(rc["est"]) < 0.5 * abs(r["est"]):
                share = 1 - abs(rc["est"]) / abs(r["est"])
                warns.append(f"about {share:.0%} of the departure from trend is shared with England")
                down += 1
                kinds.append("national_trend")
    label = classify(direction, r["pre_slope"], r["post_slope"], panel.polarity)
    nan = np.full(panel.n_periods, np.nan)
    fitted, counter, observed = nan.copy(), nan.copy(), nan.copy()
    fitted[use] = fit.fitted
    counter[use] = line
    observed[use] = y[use]
    series = {"period_labels": np.array(panel.period_labels), "t": panel.t.copy(), "observed": observed,
              "fitted": fitted, "counterfactual": counter}
    return MethodResult(
        method=_METHOD, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand,
        estimate=r["est"], ci_low=r["lo"], ci_high=r["hi"], p_value=r["p"], direction=direction, label=label,
        evidence=grade(r["p"], down), summary=_summary(panel, r, effect, label, control, total),
        warnings=tuple(warns), diagnostics=diag, series=series, caveats=tuple(kinds),
    )


_LINE = "the straight line fitted before the reform, extended,"


def _projection_checks(panel: Panel, use: np.ndarray, line: np.ndarray,
                       what: str = _LINE) -> tuple[list[str], int, dict]:
    """Warnings, evidence levels lost and diagnostics about projecting the pre-reform line forward.

    ``line`` is the counterfactual of the area's own values over the periods ``use`` selects
    (for the England-controlled fit: England's reference plus the projected gap). A line that
    leaves the indicator's possible range in the post-reform window costs one level; a
    post-reform window longer than the pre-reform one is only noted.
    """
    warns: list[str] = []
    down = 0
    post = panel.post[use]
    low, high = possible_range(panel)
    idx = np.flatnonzero(use)[post]
    hit = first_outside(line[post], low, high)
    diag: dict = {"possible_low": low, "possible_high": high, "counterfactual_leaves_range": None}
    if hit is not None:
        j, side = idx[hit[0]], hit[1]
        when = period_name(panel, j)
        if side == "below":
            phrase = "falls below zero" if low == 0 else f"falls below {low:g}"
        else:
            u = (panel.unit or "").lower()
            pct = high == 100 and ("%" in u or "percent" in u)
            phrase = "rises above 100%" if pct else f"rises above {high:g}, the top of its scale,"
        warns.append(f"{what} {phrase} by {when}: a straight-line "
                     "projection is implausible this far ahead, so the ITS estimate overstates the departure "
                     "from it")
        down += 1
        diag["counterfactual_leaves_range"] = panel.period_labels[j]
    pre_u, post_u = use & panel.pre, use & panel.post
    day = np.timedelta64(1, "D")
    pre_years = float((panel.period_end[pre_u].max() - panel.period_start[pre_u].min() + day) / day) / 365.25
    post_years = float((panel.period_end[post_u].max() - np.datetime64(panel.reform_start, "D") + day)
                       / day) / 365.25
    diag.update(pre_window_years=pre_years, post_window_years=post_years)
    if post_years > pre_years + 1 / 12:     # by more than a month: not a rounding of period dates
        yrs = lambda x: f"{x:.1f}".rstrip("0").rstrip(".")  # noqa: E731
        warns.append(f"the post-reform window ({yrs(post_years)} years) is longer than the pre-reform window "
                     f"({yrs(pre_years)} years): the line is projected further ahead than it was observed")
    return warns, down, diag


def _summary(panel: Panel, r: dict, effect: str, label: str, control: str, total: bool = False) -> str:
    name = panel.focal_name
    what = what_of(panel)
    unit = unit_of(panel)
    est = r["est"]
    word = "higher" if est > 0 else "lower"
    ci = f"95% CI {fmt(r['lo'])} to {fmt(r['hi'])}; {better_phrase(panel.polarity)}"
    subject, rel = f"{name}'s {what}", "its pre-reform trend"
    if control == "england":
        eng = f"England's total scaled to {name}'s pre-reform share" if total else "England"
        subject = f"the gap between {name} and {eng} in {what.split(' (')[0]}"
        rel = "the pre-reform trend in that gap"
    if effect == "slope":
        core = (f"After the reform {subject} changed by {fmt(est)}{unit} a year relative to {rel}"
                f" ({ci})")
    elif effect == "level":
        core = (f"At the reform start {subject} stepped {fmt(abs(est))}{unit} {word} than {rel} "
                f"projected ({ci})")
    else:
        core = (f"After the reform {subject} was on average {fmt(abs(est))}{unit} {word} than {rel} "
                f"projected ({ci})")
    return f"{core}: {label}; {ATTRIBUTION}."
