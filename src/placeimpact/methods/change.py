"""Change against neighbours: how far the area moved after the reform, ranked among its comparators.

Each area's change runs from the pre-reform level (the last pre-reform period, or the
pre-window mean) to the latest period (or the post-window mean). The focal area is
ranked among its comparators, polarity-aware ("did better than 12 of its 15
neighbours": its change was an improvement on theirs), and each pair is called
distinguishable when the difference of the two changes exceeds 1.96 standard errors,
the SE of a change being ``sqrt(se_before**2 + se_after**2)`` with
``se = (uci - lci) / 3.92`` from the published 95% limits (periods far enough apart to
share no data are independent samples; window means treat their periods as independent,
which understates the SE of overlapping rolling periods).

The estimate is the focal change minus the comparators' mean change, tested with the
prediction-t (see :func:`._common.placebo_t`; exact under normality with a common variance).
The empirical p-value from the rank (the randomisation p, a multiple of ``1/(m+1)``) is in
the diagnostics.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..constants import Z95
from ..panel import Panel
from ._common import (
    ATTRIBUTION, better_phrase, carried_warnings, check_choice, fmt, good_sign, grade, insufficient, placebo_t,
    rank_p_value, size_note, unit_of, what_of, period_name,
)
from .result import MethodResult, direction_from

__all__ = ["change_vs_neighbours", "window_change"]

_METHOD = "change_vs_neighbours"
_Z = Z95


def window_change(values: np.ndarray, se: np.ndarray, before: np.ndarray, after: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Change from the mean over ``before`` to the mean over ``after``, with its standard error.

    Parameters
    ----------
    values, se : ndarray, shape (n_areas, n_periods)
    before, after : ndarray of bool, shape (n_periods,)

    Returns
    -------
    change, se_change : ndarray, shape (n_areas,)
        NaN where an area misses a value in either window; ``se_change`` NaN without CIs.
    """
    a = values[:, after].mean(axis=1) - values[:, before].mean(axis=1)
    var = (se[:, after] ** 2).sum(axis=1) / after.sum() ** 2 + (se[:, before] ** 2).sum(axis=1) / before.sum() ** 2
    return a, np.sqrt(var)


def change_vs_neighbours(
    panel: Panel,
    *,
    baseline: Literal["last", "mean"] = "last",
    endpoint: Literal["latest", "mean"] = "latest",
) -> MethodResult:
    """Change since the reform, ranked among the comparators and tested against their mean change.

    Parameters
    ----------
    panel : Panel
    baseline : {"last", "mean"}
        The last pre-reform period the focal area has (default), or the pre-window mean.
    endpoint : {"latest", "mean"}
        The latest period (default), or the post-window mean.

    Returns
    -------
    MethodResult
        ``label`` like "did better than 12 of 15 comparators"; diagnostics hold the rank, the
        focal change with its own CI, and counts of distinguishable comparators.
    """
    check_choice("baseline", baseline, ("last", "mean"))
    check_choice("endpoint", endpoint, ("latest", "mean"))
    unit = unit_of(panel)
    estimand = f"change since the reform minus the comparators' mean change{unit and ','}{unit}"
    warns, down = carried_warnings(panel)
    ok = np.isfinite(panel.focal_values)
    pre_i, post_i = np.flatnonzero(ok & panel.pre), np.flatnonzero(ok & panel.post)
    trans_i = np.flatnonzero(ok & panel.transition)
    if pre_i.size == 0 and trans_i.size and post_i.size:
        pre_i, baseline = trans_i[:1], "last"
        warns.append(f"no period ends before the reform start: the baseline {period_name(panel, pre_i[0])} already "
                     "overlaps the reform, so early effects are inside it")
        down += 1
    if pre_i.size == 0:
        first = period_name(panel, int(np.flatnonzero(ok)[0])) if ok.any() else "none"
        return insufficient(_METHOD, panel, estimand, f"no pre-reform period (the series starts {first}, "
                            "which does not end before the reform start); load an earlier series", warns)
    if post_i.size == 0:
        return insufficient(_METHOD, panel, estimand, "no post-reform period yet", warns)
    before = np.zeros(panel.n_periods, bool)
    after = np.zeros(panel.n_periods, bool)
    before[pre_i if baseline == "mean" else pre_i[-1:]] = True
    after[post_i if endpoint == "mean" else post_i[-1:]] = True
    change, se = window_change(panel.values, panel.se, before, after)
    comp, comp_se = change[1:], se[1:]
    have = np.isfinite(comp)
    m = int(have.sum())
    if m < panel.n_areas - 1:
        warns.append(f"{panel.n_areas - 1 - m} comparator(s) lack a value in the compared periods and were left out")
    if m < 2:
        return insufficient(_METHOD, panel, estimand, f"only {m} comparator(s) have values in the compared "
                            "periods (need 2)", warns)
    comp, comp_se = comp[have], comp_se[have]
    sized = size_note(panel, panel.focal_values, panel.comparator_values[have], before)
    if sized:
        warns.append(sized)
    c1, se1 = float(change[0]), float(se[0])
    s = good_sign(panel.polarity)
    key = s if s else 1
    beaten = int(np.sum(key * c1 > key * comp))
    rank = 1 + int(np.sum(key * comp > key * c1))  # 1 = most improved (or largest rise)
    pt = placebo_t(c1, comp)
    rank_p, rank_min = rank_p_value(c1, comp)
    diff_se = np.sqrt(se1 ** 2 + comp_se ** 2)
    z = (c1 - comp) / diff_se
    with_ci = np.isfinite(z)
    n_sig_better = int(np.sum(with_ci & (np.abs(z) > _Z) & (key * (c1 - comp) > 0)))
    n_sig_worse = int(np.sum(with_ci & (np.abs(z) > _Z) & (key * (c1 - comp) < 0)))
    if not np.isfinite(se1):
        warns.append("the indicator has no confidence intervals: which changes are distinguishable cannot be said")
    if m < 5:
        warns.append(f"only {m} comparators: the interval rests on very few areas")
        down += 1
    est, lo, hi, p = pt["estimate"], pt["ci_low"], pt["ci_high"], pt["p_value"]
    direction = direction_from(est, lo, hi, panel.polarity)
    verb = "did better than" if s else "rose more than"
    label = f"{verb} {beaten} of {m} comparators"
    b_lab = period_name(panel, pre_i[-1]) if baseline == "last" else "the pre-reform mean"
    a_lab = period_name(panel, post_i[-1]) if endpoint == "latest" else "the post-reform mean"
    diag = {"focal_change": c1, "focal_change_se": se1, "focal_change_ci_low": c1 - _Z * se1,
            "focal_change_ci_high": c1 + _Z * se1, "comparator_mean_change": float(comp.mean()),
            "comparator_median_change": float(np.median(comp)), "rank": rank, "n_comparators": m,
            "n_beaten": beaten, "rank_p_value": rank_p, "rank_min_p": rank_min, "se": pt["se"], "df": pt["df"],
            "n_distinguishably_better": n_sig_better, "n_distinguishably_worse": n_sig_worse,
            "n_with_ci": int(with_ci.sum()), "baseline": b_lab, "endpoint": a_lab}
    series = {"area_codes": np.array([panel.focal] + [c for c, h in zip(panel.area_codes[1:], have) if h]),
              "change": np.append(c1, comp), "change_se": np.append(se1, comp_se)}
    moved = "rose" if c1 > 0 else "fell"
    dist = ("" if not np.isfinite(se1) else
            f"; given the CIs its change is distinguishably better than that of {n_sig_better} comparator(s) "
            f"and distinguishably worse than that of {n_sig_worse}" if s else
            f"; given the CIs its change differs distinguishably from that of {n_sig_better + n_sig_worse} "
            "comparator(s)")
    summary = (f"Between {b_lab} and {a_lab} {panel.focal_name}'s {what_of(panel)} {moved} by {fmt(abs(c1))}{unit} "
               f"({better_phrase(panel.polarity)}), so it {label}{dist}; against the comparators' mean change the "
               f"difference is {fmt(est)}{unit} (95% CI {fmt(lo)} to {fmt(hi)}); {ATTRIBUTION}.")
    return MethodResult(
        method=_METHOD, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand, estimate=est,
        ci_low=lo, ci_high=hi, p_value=p, direction=direction, label=label, evidence=grade(p, down),
        summary=summary, warnings=tuple(warns), diagnostics=diag, series=series,
    )
