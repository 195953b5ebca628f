"""Trend difference: did the area's trend change more at the reform than England's?

Pre- and post-reform slopes (per year) are fitted for the focal area, England and the
mean of the comparators, each with its own level change at the start. The estimate is
the change in slope of the gap between the area and the reference (England by default)::

    (post slope - pre slope)_area - (post slope - pre slope)_reference

i.e. the slope-change coefficient of a segmented regression of the gap. Its interval uses
the same error model as :mod:`.its` (annual AR(1) averaged over overlapping periods, the
AR coefficient pooled by REML over every comparator's gap). The diagnostics also say
whether the area's post-reform slope beats England's outright.

Totals (counts, "£ million"; :func:`._common.is_total`) scale with the area's size, so
England's total, or a comparator mean of totals, is not comparable with the area's: the
reference is rescaled to the area's size, ``scale * reference`` with ``scale`` the ratio
of the area's pre-reform sum to the reference's (for England: the area's pre-reform share
of England's total; :func:`._common.size_scale`), and each comparator's gap, used to pool
the AR coefficient, likewise to its own size. The estimate is then the change in slope
relative to keeping that share, in the area's own units, and a warning says so. When
the share cannot be computed (a non-positive pre-reform total) no comparable reference
exists and the result is insufficient.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ..panel import Panel
from ._common import (
    ATTRIBUTION, better_phrase, what_of, carried_warnings, check_choice, fmt, good_sign, grade, insufficient,
    is_total, size_scale, t_interval, total_note, unit_of, window_shortfall,
)
from ._gls import GLSFit, averaging_matrix, gls_fit, reml_rho
from .its import segmented_design
from .result import MethodResult, direction_from

__all__ = ["trend_difference"]

Reference = Literal["england", "neighbours"]
_METHOD = "trend_difference"


def _slopes(fit: GLSFit) -> tuple[float, float]:
    b = fit.params
    return float(b[1]), float(b[1] + b[3])


def trend_difference(panel: Panel, *, reference: Reference = "england", min_pre: int = 3) -> MethodResult:
    """Difference between the area's and the reference's change in yearly slope at the reform.

    Parameters
    ----------
    panel : Panel
    reference : {"england", "neighbours"}
        Compare with England (default; falls back to the comparator mean, with a warning,
        when England's series is missing) or with the comparator mean.
    min_pre : int
        Fewest pre-reform points (default 3).

    Returns
    -------
    MethodResult
        ``estimate`` in indicator units per year; ``diagnostics`` hold every slope;
        ``series`` the observed and fitted lines of the area, England and the neighbour mean
        (for a total, England and the neighbour mean rescaled to the area's pre-reform size).
    """
    check_choice("reference", reference, ("england", "neighbours"))
    unit = unit_of(panel)
    total = is_total(panel)

    def estimand_for(ref: str) -> str:
        who = "England" if ref == "england" else "neighbour mean"
        if total:
            who += " rescaled to the area's pre-reform size"
        return f"change in yearly slope, area minus {who}{unit and ','}{unit} per year"

    estimand = estimand_for(reference)
    warns, down = carried_warnings(panel)
    kinds: list[str] = ["overlapping_periods"] if panel.overlapping else []
    window = panel.pre | panel.post
    comp = panel.comparator_values
    full = comp[:, window]
    keep = np.isfinite(full).all(axis=1) if comp.shape[0] else np.zeros(0, bool)
    neigh = comp[keep].mean(axis=0) if keep.any() else np.full(panel.n_periods, np.nan)
    eng = panel.england_values
    ref_name = "England"
    if reference == "england" and np.isfinite(eng[window]).sum() < 5:
        if not keep.any():
            return insufficient(_METHOD, panel, estimand, "neither England's series nor comparator data are "
                                "available to compare trends with", warns)
        warns.append("England's series is missing: the trend is compared with the comparator mean instead")
        reference = "neighbours"
        estimand = estimand_for(reference)
    ref = eng if reference == "england" else neigh
    if reference == "neighbours":
        ref_name = "the comparator mean"
        if not keep.any():
            return insufficient(_METHOD, panel, estimand, "no comparator has a complete series", warns)
    ref_of = f"{ref_name}'s"                       # what the area's slope change is compared with
    own = window & np.isfinite(panel.focal_values)  # too few points is said first, before a total's size
    short = window_shortfall(int((own & panel.pre).sum()), int((own & panel.post).sum()), min_pre)
    if short:
        return insufficient(_METHOD, panel, estimand, short, warns)
    scale = 1.0
    if total:
        scale = float(size_scale(panel.focal_values[None, :], ref, panel.pre)[0])
        if not math.isfinite(scale):
            return insufficient(_METHOD, panel, estimand, (
                f"this indicator is a total, which scales with the area's size, and {panel.focal_name}'s "
                f"pre-reform size relative to {ref_name}'s total cannot be computed (a pre-reform total is "
                "missing or not positive), so there is no comparable reference"), warns)
        warns.append(total_note(panel, "England" if reference == "england" else "the comparator mean", scale))
        name = panel.focal_name
        ref_of = (f"that of England's total scaled to {name}'s pre-reform share of it ({scale:.2%})"
                  if reference == "england" else
                  f"that of the comparator mean scaled to {name}'s pre-reform size ({fmt(scale)} times it)")
        ref_name = "scaled England" if reference == "england" else "the scaled comparator mean"
    ref = scale * ref
    gap = panel.focal_values - ref
    use = window & np.isfinite(gap)
    n_pre, n_post = int((use & panel.pre).sum()), int((use & panel.post).sum())
    short = window_shortfall(n_pre, n_post, min_pre)
    if short:
        return insufficient(_METHOD, panel, estimand, short, warns)

    X = segmented_design(panel.t[use], panel.post[use], panel.reform_t)
    A = averaging_matrix(panel.period_start[use], panel.period_end[use])
    cscale = size_scale(comp[:, use], ref[use], panel.pre[use]) if total else np.ones(comp.shape[0])
    cgap = comp[:, use] - cscale[:, None] * ref[use]
    cgap = cgap[np.isfinite(cgap).all(axis=1)]
    rho, _ = reml_rho(np.vstack([gap[use][None, :], cgap]), X, A)
    fit = gls_fit(gap[use], X, A, rho)
    est, se = float(fit.params[3]), float(fit.bse[3])
    lo, hi, p = t_interval(est, se, fit.df)
    c_post = np.array([0, 1, 0, 1.0])
    post_gap = float(c_post @ fit.params)
    pg_lo, pg_hi, pg_p = t_interval(post_gap, float(math.sqrt(c_post @ fit.cov @ c_post)), fit.df)

    diag: dict = {"n_pre": n_pre, "n_post": n_post, "reference": reference, "rho_annual": rho, "df": fit.df,
                  "se": se, "post_slope_gap": post_gap, "post_slope_gap_ci_low": float(pg_lo),
                  "post_slope_gap_ci_high": float(pg_hi), "post_slope_gap_p_value": pg_p,
                  "n_comparators_pooled": int(len(cgap)), "total": total, "reference_scale": scale}
    series: dict = {"period_labels": np.array(panel.period_labels), "t": panel.t.copy()}
    if total:   # each reference line at the area's size
        eng = size_scale(panel.focal_values[None, :], eng, panel.pre)[0] * eng
        neigh = size_scale(panel.focal_values[None, :], neigh, panel.pre)[0] * neigh
    for key, y in (("area", panel.focal_values), ("england", eng), ("neighbours", neigh)):
        ok = use & np.isfinite(y)
        fitted = np.full(panel.n_periods, np.nan)
        if (ok & panel.pre).sum() >= 2 and (ok & panel.post).sum() >= 2:
            Xk = segmented_design(panel.t[ok], panel.post[ok], panel.reform_t)
            fk = gls_fit(y[ok], Xk, averaging_matrix(panel.period_start[ok], panel.period_end[ok]), rho)
            diag[f"{key}_pre_slope"], diag[f"{key}_post_slope"] = _slopes(fk)
            fitted[ok] = fk.fitted
        series[f"{key}_observed"] = np.where(use, y, np.nan)
        series[f"{key}_fitted"] = fitted
    if not len(cgap):
        warns.append("no comparator gaps to pool: the autocorrelation is estimated from one short series")
        down += 1
        kinds.append("few_donors")
    if n_pre < 6:
        warns.append(f"only {n_pre} pre-reform points: the pre-reform slopes are poorly determined")
        down += 1
        kinds.append("few_periods")
    pre_gap = float(fit.params[1])
    pre_p = t_interval(pre_gap, float(fit.bse[1]), fit.df)[2]
    diag.update(pre_slope_gap=pre_gap, pre_slope_gap_p_value=pre_p)
    if pre_p < 0.05:
        warns.append(f"before the reform the area was already moving differently from {ref_name} "
                     f"({fmt(pre_gap)}{unit} a year): a change in that gap may be convergence, not the reform")
        down += 1
        kinds.append("pre_trend")

    direction = direction_from(est, lo, hi, panel.polarity)
    s = good_sign(panel.polarity)
    faster = {"better": f"trend improved relative to {ref_name}", "worse": f"trend worsened relative to {ref_name}",
              "higher": f"trend rose relative to {ref_name}", "lower": f"trend fell relative to {ref_name}"}
    label = faster.get(direction, f"no clear difference from {ref_name}'s trend change")
    what = what_of(panel)
    ref_again = f"{ref_name}'s" if total else ref_of      # named in full once, in the first clause
    if s and math.isfinite(post_gap):
        side = "better" if s * post_gap > 0 else "worse"
        outright = (f"since the reform its slope has been {fmt(abs(post_gap))}{unit} a year {side} than "
                    f"{ref_again}" + ("" if pg_p < 0.05 else " (not distinguishable from the same pace)"))
    else:
        outright = f"its post-reform slope differs from {ref_again} by {fmt(post_gap)}{unit} a year"
    kind = ", a total that scales with the area's size," if total else ","
    summary = (f"For {what}{kind} {panel.focal_name}'s yearly slope changed at the reform by {fmt(est)}{unit} "
               f"a year more than {ref_of} (95% CI {fmt(lo)} to {fmt(hi)}; {better_phrase(panel.polarity)}); "
               f"{outright}; {ATTRIBUTION}.")
    return MethodResult(
        method=_METHOD, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand, estimate=est,
        ci_low=float(lo), ci_high=float(hi), p_value=p, direction=direction, label=label,
        evidence=grade(p, down), summary=summary, warnings=tuple(warns), diagnostics=diag, series=series,
        caveats=tuple(kinds),
    )
