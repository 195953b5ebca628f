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

import math
from dataclasses import replace
from typing import Literal

import numpy as np

from ..constants import Z95
from ..panel import Panel
from ._common import (
    ATTRIBUTION, better_phrase, carried_warnings, check_choice, fmt, good_sign, grade, insufficient, placebo_t,
    rank_p_value, size_note, unit_of, what_of, period_name,
)
from .result import MethodResult, direction_from

__all__ = ["change_vs_neighbours", "window_change", "share_before", "percent_change"]

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
    kinds: list[str] = []
    cap_weak = False
    ok = np.isfinite(panel.focal_values)
    pre_i, post_i = np.flatnonzero(ok & panel.pre), np.flatnonzero(ok & panel.post)
    trans_i = np.flatnonzero(ok & panel.transition)
    if pre_i.size == 0 and trans_i.size and post_i.size:
        j = int(trans_i[0])
        share = share_before(panel, j)
        kinds.append("straddling_baseline")
        if share <= 0.5:     # mostly after the start: not a baseline at all
            res = insufficient(_METHOD, panel, estimand, (
                f"descriptive only: no pre-reform baseline (the earliest period, {period_name(panel, j)}, lies "
                f"only {share:.0%} before the reform start; a baseline must lie more than half before it)"), warns)
            return replace(res, caveats=tuple(kinds), diagnostics={"baseline_share_before": share})
        pre_i, baseline = trans_i[:1], "last"
        warns.append(f"no period ends before the reform start: the baseline {period_name(panel, j)} lies "
                     f"{share:.0%} before it and already overlaps the reform, so early effects are inside it "
                     "(a flagged baseline: evidence capped at weak)")
        down += 1
        cap_weak = True
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
        kinds.append("few_donors")
    if panel.overlapping:
        kinds.append("overlapping_periods")
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
            "n_with_ci": int(with_ci.sum()), "baseline": b_lab, "endpoint": a_lab,
            "baseline_flagged": cap_weak}
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
    evidence = grade(p, down)
    if cap_weak and evidence in ("strong", "moderate"):
        evidence = "weak"
    return MethodResult(
        method=_METHOD, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand, estimate=est,
        ci_low=lo, ci_high=hi, p_value=p, direction=direction, label=label, evidence=evidence,
        summary=summary, warnings=tuple(warns), diagnostics=diag, series=series, caveats=tuple(kinds),
    )


def share_before(panel: Panel, j: int) -> float:
    """The share of period ``j``'s days that fall before the reform start (0 to 1).

    The verdict rule (docs/framework-format.md, "Verdict rules"): a period is pre-reform only
    if it ends before the start (share 1); a period more than half before the start may serve
    as a flagged baseline for change against neighbours, with evidence capped at weak; a
    period half or less before it is no baseline, and the outcome is descriptive only.
    """
    day = np.timedelta64(1, "D")
    s, e = panel.period_start[j], panel.period_end[j]
    start = np.datetime64(panel.reform_start, "D")
    total = float((e - s + day) / day)
    before = float(np.clip((start - s) / day, 0.0, total))
    return before / total if total > 0 else 0.0


def _log_se(values: np.ndarray, lci: np.ndarray, uci: np.ndarray, count: np.ndarray) -> np.ndarray:
    """SE of log(value): from the published 95% limits, ``(log uci - log lci) / 3.92``, else from the count
    (Poisson, ``1 / sqrt(count)``); NaN when neither is available."""
    with np.errstate(divide="ignore", invalid="ignore"):
        from_ci = (np.log(uci) - np.log(lci)) / (2 * _Z)
        from_n = 1.0 / np.sqrt(count)
    ok_ci = np.isfinite(from_ci) & (lci > 0) & (uci > lci)
    return np.where(ok_ci, from_ci, np.where(np.isfinite(from_n) & (count > 0), from_n, np.nan))


def _pct(b: np.ndarray | float) -> np.ndarray:
    return 100.0 * np.expm1(b)


def percent_change(panel: Panel, *, baseline: int | str | None = None, endpoint: int | str | None = None,
                   between: tuple | None = None) -> dict | None:
    """The plain comparison the King's Fund used: "fell X% in the area vs Y% in England", with 95% CIs and a rank.

    Parameters
    ----------
    panel : Panel
    baseline, endpoint : int, period label or None
        The window: by default from the last period that ends before the reform start to the
        latest period the area has; an index into the panel's periods or a period label chooses
        another.
    between : (date or None, date or None), optional
        The window as dates (the framework's ``change_window``): the baseline is the last period
        ending by the first date, the endpoint the last period ending by the second (None: latest).

    Returns
    -------
    dict or None (None without a value at both ends). Keys: ``baseline``, ``endpoint`` (period
    names); ``area``, ``england`` — each ``{"pct", "ci_low", "ci_high"}``, the % change with a 95% CI by
    the delta method on the log ratio, ``var(log(v1 / v0)) = se_log(v1)^2 + se_log(v0)^2`` with
    ``se_log`` from the published limits (else the counts); ``vs_england`` — the area's change
    relative to England's, ``100 * ((v1/v0) / (e1/e0) - 1)`` with its CI (NaN limits without
    England's); ``comparators`` — a list of ``{"code", "name", "pct", "ci_low", "ci_high",
    "vs_area_distinguishable"}``; ``rank`` (1 = the best change with polarity, or the largest rise
    without it) among ``n_ranked`` areas; ``sentence`` in plain words. The two ends are treated as
    independent samples (true when rolling periods do not overlap).
    """
    def index(x: int | str | None, default: int | None) -> int | None:
        if x is None:
            return default
        if isinstance(x, (int, np.integer)):
            return int(x) if -panel.n_periods <= x < panel.n_periods else None
        return panel.period_labels.index(x) if x in panel.period_labels else None

    ok = np.isfinite(panel.focal_values) & (panel.focal_values > 0)
    pre_i, all_i = np.flatnonzero(ok & panel.pre), np.flatnonzero(ok)
    if between is not None:
        lo, hi = between
        if lo is not None:
            pre_i = np.flatnonzero(ok & (panel.period_end <= np.datetime64(lo, "D")))
        if hi is not None:
            all_i = np.flatnonzero(ok & (panel.period_end <= np.datetime64(hi, "D")))
    i0 = index(baseline, int(pre_i[-1]) if pre_i.size else None)
    i1 = index(endpoint, int(all_i[-1]) if all_i.size else None)
    if i0 is None or i1 is None or i0 % panel.n_periods >= i1 % panel.n_periods:
        return None
    i0, i1 = i0 % panel.n_periods, i1 % panel.n_periods
    v0, v1 = panel.values[:, i0], panel.values[:, i1]
    if not (math.isfinite(v0[0]) and math.isfinite(v1[0]) and v0[0] > 0 and v1[0] > 0):
        return None
    se0 = _log_se(v0, panel.lci[:, i0], panel.uci[:, i0], panel.count[:, i0])
    se1 = _log_se(v1, panel.lci[:, i1], panel.uci[:, i1], panel.count[:, i1])
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.where((v0 > 0) & (v1 > 0), np.log(v1 / v0), np.nan)
    se = np.sqrt(se0 ** 2 + se1 ** 2)

    def block(b: float, s: float) -> dict:
        return {"pct": float(_pct(b)), "ci_low": float(_pct(b - _Z * s)), "ci_high": float(_pct(b + _Z * s))}

    area = block(lr[0], se[0])
    e0, e1 = float(panel.england_values[i0]), float(panel.england_values[i1])
    eng: dict | None = None
    vs: dict | None = None
    if math.isfinite(e0) and math.isfinite(e1) and e0 > 0 and e1 > 0:
        es0 = _log_se(np.array([e0]), np.array([panel.england_lci[i0]]), np.array([panel.england_uci[i0]]),
                      np.array([np.nan]))[0]
        es1 = _log_se(np.array([e1]), np.array([panel.england_lci[i1]]), np.array([panel.england_uci[i1]]),
                      np.array([np.nan]))[0]
        elr, ese = math.log(e1 / e0), math.sqrt(es0 ** 2 + es1 ** 2)
        eng = block(elr, ese)
        # England's sampling error is tiny next to an area's; without England's limits it is taken as zero
        vs = block(lr[0] - elr, math.sqrt(se[0] ** 2 + (ese ** 2 if math.isfinite(ese) else 0.0)))
    s = good_sign(panel.polarity) or 1
    comps = []
    for k in range(1, panel.n_areas):
        if not math.isfinite(lr[k]):
            continue
        c = block(lr[k], se[k])
        dz = (lr[0] - lr[k]) / math.sqrt(se[0] ** 2 + se[k] ** 2) if math.isfinite(se[k]) and math.isfinite(se[0]) \
            else math.nan
        comps.append({"code": panel.area_codes[k], "name": panel.area_names[k], **c,
                      "vs_area_distinguishable": bool(abs(dz) > _Z) if math.isfinite(dz) else None})
    rank = 1 + sum(1 for c in comps if s * c["pct"] > s * area["pct"])
    b_lab, a_lab = period_name(panel, i0), period_name(panel, i1)
    verb = "rose" if area["pct"] > 0 else "fell"
    ci = (f" (95% CI {area['ci_low']:+.1f}% to {area['ci_high']:+.1f}%)"
          if math.isfinite(area["ci_low"]) and math.isfinite(area["ci_high"]) else "")
    sentence = f"Between {b_lab} and {a_lab} {what_of(panel)} {verb} {abs(area['pct']):.1f}% in {panel.focal_name}{ci}"
    if eng is not None:
        sentence += f" vs {'a rise' if eng['pct'] > 0 else 'a fall'} of {abs(eng['pct']):.1f}% in England"
        if vs is not None and math.isfinite(vs["ci_low"]):
            sentence += (f" ({vs['pct']:+.1f}% relative to England, 95% CI {vs['ci_low']:+.1f}% to "
                         f"{vs['ci_high']:+.1f}%)")
    if comps:
        order = "1 = best" if good_sign(panel.polarity) else "1 = largest rise"
        sentence += f"; its change ranks {rank} of {len(comps) + 1} with its comparators ({order})"
    return {"baseline": b_lab, "endpoint": a_lab, "baseline_label": panel.period_labels[i0],
            "endpoint_label": panel.period_labels[i1], "area": area, "england": eng, "vs_england": vs,
            "comparators": comps, "rank": rank, "n_ranked": len(comps) + 1, "sentence": sentence + "; " + ATTRIBUTION + "."}
