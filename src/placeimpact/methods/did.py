"""Difference-in-differences against the comparator group, with an event study.

One treated area (the focal area) and ``m`` comparators on a balanced sub-panel (the
periods where the focal area is observed, transition periods left out, comparators with
any gap in those periods dropped). The two-way fixed-effects estimate with one treated
unit on a balanced panel equals the two-by-two difference of period-averaged means::

    DiD = (mean_post - mean_pre)_focal - mean over comparators of (mean_post - mean_pre)_j

Inference fit for few units. Collapsing each area's series to its pre/post difference
``d_i`` (Bertrand, Duflo and Mullainathan 2004) removes the serial correlation (and
the overlap of rolling periods) from the problem; under the null the focal ``d`` is one
more draw from the comparators' distribution, so the prediction-t
``(d_focal - mean d_c) / (sd(d_c) sqrt(1 + 1/m))`` has Student's t on ``m - 1`` degrees
of freedom (the p-value and 95% CI reported). The randomisation-inference p-value
(permuting the treated label over all ``m + 1`` areas, Conley and Taber 2011) is in the
diagnostics with its smallest attainable value, ``1/(m + 1)``: with the 15 neighbours of a
CIPFA-style group it can never reach 0.05, which is why it is not the headline. With
``inference="randomisation"`` it is, and the 95% interval inverts the same test (the effects
it does not reject at 5%; unbounded, -inf to inf, with fewer than 19 comparators). The wild
cluster bootstrap is not offered: with a single treated cluster it is unreliable
(MacKinnon and Webb 2018).

Event study: ``beta_k = (y_focal,k - y_focal,ref) - mean_j (y_j,k - y_j,ref)``, reference the
last pre-reform period, each with a prediction-t interval. The pre-trend test is the joint
test of the pre-reform ``beta_k`` (Hotelling's T^2 against the comparators' placebo
vectors, exact F under normality) when there are more comparators than pre coefficients,
else the test of the pre-reform slope difference.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from .. import distributions as stats

from ..panel import Panel
from ._common import (
    ATTRIBUTION, better_phrase, what_of, carried_warnings, check_choice, fmt, grade, insufficient, placebo_t,
    rank_interval, rank_p_value, size_note, unit_of,
)
from .result import MethodResult, direction_from

__all__ = ["difference_in_differences", "did_2x2", "event_study", "pretrend_test"]

_METHOD = "did"


def did_2x2(Y: np.ndarray, post: np.ndarray) -> np.ndarray:
    """Each area's change from the pre-period mean to the post-period mean.

    Parameters
    ----------
    Y : ndarray, shape (n_areas, n_periods), complete
    post : ndarray of bool, shape (n_periods,)   (the other periods are pre)

    Returns
    -------
    ndarray, shape (n_areas,)
    """
    return Y[:, post].mean(axis=1) - Y[:, ~post].mean(axis=1)


def event_study(Y: np.ndarray, ref: int) -> tuple[np.ndarray, np.ndarray]:
    """Event-study coefficients of row 0 and the same contrasts for each comparator as treated.

    Parameters
    ----------
    Y : ndarray, shape (n_areas, n_periods), complete; row 0 treated
    ref : int   reference column

    Returns
    -------
    beta : ndarray, shape (n_periods,)   (zero at ``ref``)
    placebo : ndarray, shape (n_areas - 1, n_periods)   comparators' deviations from their mean
    """
    D = Y - Y[:, [ref]]
    comp = D[1:]
    return D[0] - comp.mean(axis=0), comp - comp.mean(axis=0)


def pretrend_test(beta_pre: np.ndarray, placebo_pre: np.ndarray) -> tuple[float, str]:
    """Joint test that the pre-reform event-study coefficients are zero.

    Parameters
    ----------
    beta_pre : ndarray, shape (K,)
    placebo_pre : ndarray, shape (m, K)   comparators' centred contrasts

    Returns
    -------
    (p-value, name of the test). Hotelling's prediction T^2 with F(K, m - K) when m > K;
    NaN when K = 0.
    """
    m, K = placebo_pre.shape
    if K == 0 or m <= K + 1:
        return math.nan, ""
    S = placebo_pre.T @ placebo_pre / (m - 1)
    try:
        t2 = float(beta_pre @ np.linalg.solve(S, beta_pre)) / (1 + 1 / m)
    except np.linalg.LinAlgError:
        return math.nan, ""
    f = t2 * (m - K) / (K * (m - 1))
    return float(stats.f_sf(f, K, m - K)), f"Hotelling T2, F({K}, {m - K})"


def _slope(Y: np.ndarray, t: np.ndarray) -> np.ndarray:
    tc = t - t.mean()
    return (Y - Y.mean(axis=1, keepdims=True)) @ tc / (tc @ tc)


def difference_in_differences(panel: Panel, *, min_pre: int = 3, min_comparators: int = 2,
                              inference: Literal["placebo_t", "randomisation"] = "placebo_t") -> MethodResult:
    """DiD of the focal area against its comparators, with event study and pre-trend test.

    Parameters
    ----------
    panel : Panel
    min_pre : int
        Fewest pre-reform periods (default 3).
    min_comparators : int
        Fewest comparators with complete data (default 2; fewer than 5 is flagged).
    inference : {"placebo_t", "randomisation"}
        Which p-value is the headline (the other is in the diagnostics). Randomisation
        inference needs at least 19 comparators to reach p <= 0.05; with it the interval
        inverts the randomisation test (unbounded with fewer comparators).

    Returns
    -------
    MethodResult
        ``series`` holds the event-study ``beta``, ``beta_ci_low``, ``beta_ci_high``, the focal
        series and the comparator mean, aligned with ``panel.period_labels``.
    """
    check_choice("inference", inference, ("placebo_t", "randomisation"))
    unit = unit_of(panel)
    estimand = f"difference-in-differences vs the comparator mean (post minus pre){unit and ','}{unit}"
    warns, down = carried_warnings(panel)
    kinds: list[str] = ["overlapping_periods"] if panel.overlapping else []
    use = (panel.pre | panel.post) & np.isfinite(panel.focal_values)
    n_pre, n_post = int((use & panel.pre).sum()), int((use & panel.post).sum())
    if n_pre < max(1, min_pre):
        return insufficient(_METHOD, panel, estimand, f"only {n_pre} pre-reform period(s) (need {max(1, min_pre)})",
                            warns)
    if n_post < 1:
        return insufficient(_METHOD, panel, estimand, "no post-reform period", warns)
    C = panel.comparator_values[:, use]
    keep = np.isfinite(C).all(axis=1)
    m = int(keep.sum())
    if panel.n_areas > 1 and m < panel.n_areas - 1:
        warns.append(f"{panel.n_areas - 1 - m} comparator(s) with gaps in the used periods were left out")
    if m < max(2, min_comparators):
        return insufficient(_METHOD, panel, estimand, f"only {m} comparator(s) have complete data "
                            f"(need {max(2, min_comparators)})", warns)
    Y = np.vstack([panel.focal_values[use][None, :], C[keep]])
    post = panel.post[use]
    sized = size_note(panel, Y[0], Y[1:], ~post)
    if sized:
        warns.append(sized)
    d = did_2x2(Y, post)
    pt = placebo_t(d[0], d[1:])
    est = pt["estimate"]
    ri_p, ri_min = rank_p_value(d[0], d[1:])

    ref = int(np.flatnonzero(~post)[-1])
    beta, plac = event_study(Y, ref)
    q = stats.t_ppf(0.975, m - 1)
    b_se = plac.std(axis=0, ddof=1) * math.sqrt(1 + 1 / m)
    pre_idx = np.flatnonzero(~post)
    pre_k = pre_idx[pre_idx != ref]
    pt_p, pt_name = pretrend_test(beta[pre_k], plac[:, pre_k])
    slope = _slope(Y[:, ~post], panel.t[use][~post])
    sl = placebo_t(slope[0], slope[1:])
    if not math.isfinite(pt_p):
        pt_p, pt_name = sl["p_value"], "pre-reform slope difference, t"
    worst = min((x for x in (pt_p, sl["p_value"]) if math.isfinite(x)), default=math.nan)
    if worst < 0.10:
        warns.append(f"pre-reform trends may not be parallel (joint test p = {pt_p:.2g}, slope difference "
                     f"p = {sl['p_value']:.2g}): the DiD may reflect a continuing divergence")
        down += 1
        kinds.append("pre_trend")
    if m < 5:
        warns.append(f"only {m} comparators: the interval rests on very few areas")
        down += 1
        kinds.append("few_donors")
    resid = Y[:, ~post] - Y[:, ~post].mean(axis=1, keepdims=True) - np.outer(
        slope, panel.t[use][~post] - panel.t[use][~post].mean())
    noise = np.sqrt((resid ** 2).sum(axis=1) / max(1, (~post).sum() - 2))
    noise_ratio = float(noise[0] / np.median(noise[1:])) if np.median(noise[1:]) > 0 else math.nan
    if noise_ratio > 1.5:
        warns.append(f"the area's series is {noise_ratio:.1f} times as noisy as its comparators': the interval "
                     "assumes equal noise and may be too narrow")
        down += 1

    if inference == "placebo_t":
        p, (lo, hi) = pt["p_value"], (pt["ci_low"], pt["ci_high"])
    else:   # the interval inverts the same randomisation test, so it excludes zero exactly when p <= 0.05
        p, (lo, hi) = ri_p, rank_interval(d[0], d[1:])
        if not math.isfinite(lo) and not math.isnan(lo):
            warns.append(f"with {m} comparators the smallest attainable randomisation p-value is {ri_min:.3g}, "
                         "so no 5% test is possible and the 95% interval is unbounded")
            kinds.append("placebo_floor")
    direction = direction_from(est, lo, hi, panel.polarity)
    label = {"better": "better than comparators", "worse": "worse than comparators", "higher": "rose more",
             "lower": "fell more"}.get(direction, "no clear difference from comparators")
    diag = {"n_pre": n_pre, "n_post": n_post, "n_comparators": m, "twfe_estimate": est, "se": pt["se"],
            "df": pt["df"], "focal_change": float(d[0]), "comparator_mean_change": float(d[1:].mean()),
            "placebo_t_p_value": pt["p_value"], "randomisation_p_value": ri_p, "randomisation_min_p": ri_min,
            "pretrend_p_value": pt_p, "pretrend_test": pt_name, "pre_slope_difference": sl["estimate"],
            "pre_slope_difference_p_value": sl["p_value"], "noise_ratio": noise_ratio,
            "reference_period": panel.period_labels[int(np.flatnonzero(use)[ref])], "inference": inference,
            "ci_method": ("prediction-t interval" if inference == "placebo_t"
                          else "inverted randomisation test (permuting the treated label)"),
            "placebo_t_ci": [pt["ci_low"], pt["ci_high"]]}
    nan = np.full(panel.n_periods, np.nan)
    b_all, lo_all, hi_all, cm = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    b_all[use], lo_all[use], hi_all[use] = beta, beta - q * b_se, beta + q * b_se
    cm[use] = Y[1:].mean(axis=0)
    series = {"period_labels": np.array(panel.period_labels), "t": panel.t.copy(), "beta": b_all,
              "beta_ci_low": lo_all, "beta_ci_high": hi_all, "focal": np.where(use, panel.focal_values, np.nan),
              "comparator_mean": cm}
    parallel = ("pre-reform trends looked parallel" if not worst < 0.10
                else "pre-reform trends may not have been parallel, which weakens this")
    ci_text = (f"95% CI {fmt(lo)} to {fmt(hi)}" if math.isfinite(lo) and math.isfinite(hi)
               else "95% interval unbounded: too few comparators for a 5% randomisation test"
               if not math.isnan(lo) else "no interval")
    summary = (f"Relative to the average of its {m} comparators, {panel.focal_name}'s {what_of(panel)} moved "
               f"{fmt(abs(est))}{unit} {'higher' if est > 0 else 'lower'} from before to after the reform "
               f"({ci_text}; {better_phrase(panel.polarity)}); {parallel}; {ATTRIBUTION}.")
    return MethodResult(
        method=_METHOD, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand, estimate=est,
        ci_low=lo, ci_high=hi, p_value=p, direction=direction, label=label, evidence=grade(p, down),
        summary=summary, warnings=tuple(warns), diagnostics=diag, series=series, caveats=tuple(kinds),
    )
