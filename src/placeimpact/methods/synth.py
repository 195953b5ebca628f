"""Synthetic control method (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010).

The focal area's counterfactual is a weighted mix of donor areas, the weights
(w >= 0, sum w = 1) chosen so the mix reproduces the focal area's pre-reform series
(predictors = the pre-period outcome values, transition periods excluded, V = the
identity unless ``v`` is given; see :mod:`.synth_fit`). The estimate is the mean
post-reform gap, focal minus synthetic, in the indicator's units.

Inference and diagnostics, one file each:

- :mod:`.placebo_space`: every donor treated as if reformed; by default the standard
  test of Abadie, Diamond & Hainmueller 2010: the p-value is the rank of the focal
  area's post/pre RMSPE ratio among all units' ratios, the 95% interval the constant
  effects that same test does not reject, the label the same rank ("post/pre RMSPE
  ratio ranked k of n", p = k / n), with the test repeated without placebos fitted 2,
  5 or 20 times worse (pre-MSPE) than the focal area. ``inference="noise_floor"``
  switches to our noise-floored mean-gap test (see that module), again for label,
  p-value and interval together;
- :mod:`.placebo_time`: a fake start earlier in the pre-period, where the effect
  should be about zero;
- :mod:`.leave_one_out`: refits without each positive-weight donor.

Evidence is graded from the placebo p-value like the other methods
(:func:`._common.grade`) and lowered one level for each of: the focal area outside the
donors' range (highest or lowest of all areas in most pre-periods, so no convex mix
can match it), an in-time placebo "effect" whose interval excludes zero, a sign flip
when one donor is left out, a boundary change. A
poor pre-period fit caps it at weak: pre-RMSPE above the focal area's mean 95% CI
half-width (its sampling noise); without CIs, above twice the placebo areas' median
pre-RMSPE (what a synthetic control typically achieves in this panel); without
placebos either, above half the focal area's pre-period SD.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import MethodError, PlaceImpactError
from ..panel import Panel
from ._common import (ATTRIBUTION, better_phrase, carried_warnings, check_choice, fmt, grade, insufficient, unit_of,
                      what_of)
from .leave_one_out import leave_one_out as _leave_one_out
from .mde import ALPHA, POWER, placebo_mde
from .mde import with_mde as _with_mde
from .placebo_space import EXCLUDE_MSPE_MULTIPLES, INFERENCE, placebo_in_space
from .placebo_time import placebo_in_time
from .result import Evidence, MethodResult, direction_from
from .synth_fit import POSITIVE_WEIGHT, NotEnoughData, SynthData, fit_units, placebo_allowed, prepare

__all__ = ["synthetic_control"]

_METHOD = "synthetic_control"


def _pre_fit(data: SynthData, pre_rmspe: float, placebo_rmspe: np.ndarray | None) -> dict:
    """Pre-period fit quality of the focal area's synthetic control (``placebo_rmspe``: (N,) or None)."""
    y0 = data.values[0, data.fit]
    donors = data.values[1:, data.fit]
    half = data.focal_halfwidth[data.fit]
    mean_half = float(np.nanmean(half)) if np.isfinite(half).any() else math.nan
    sd = float(np.std(y0, ddof=1)) if y0.size > 1 else math.nan
    level = float(np.mean(np.abs(y0)))
    outside = float(np.mean((y0 >= donors.max(axis=0)) | (y0 <= donors.min(axis=0))))
    if math.isfinite(mean_half):
        bar, basis = mean_half, f"the mean 95% CI half-width {fmt(mean_half)}"
    elif placebo_rmspe is not None:
        bar = 2 * float(np.median(placebo_rmspe))
        basis = f"twice the placebo areas' median pre-RMSPE {fmt(bar / 2)}"
    else:
        bar, basis = 0.5 * sd, f"half the pre-period SD {fmt(sd)}"
    return {
        "pre_rmspe": pre_rmspe, "pre_rmspe_rel_sd": pre_rmspe / sd if sd > 0 else math.nan,
        "pre_rmspe_rel_level": pre_rmspe / level if level > 0 else math.nan,
        "mean_pre_ci_halfwidth": mean_half, "poor_pre_fit": bool(pre_rmspe > bar), "poor_pre_fit_basis": basis,
        "outside_hull_share": outside, "outside_hull": outside > 0.5,
    }


def synthetic_control(
    panel: Panel,
    *,
    donors: str | Sequence[str] = "comparators",
    placebo: bool = True,
    in_time_placebo: bool = True,
    leave_one_out: bool = True,
    v: np.ndarray | None = None,
    inference: str = "adh",
    placebo_k: int | None = None,
) -> MethodResult:
    """Estimate the post-reform gap between the focal area and its synthetic control.

    Parameters
    ----------
    panel:
        One indicator; row 0 the focal area, rows 1.. candidate donors.
    donors:
        ``"comparators"`` (the panel's rows 1..), ``"all"`` (every area of the focal
        area's type; the panel must be built with ``comparators=None``) or a list of codes.
    placebo:
        Run the in-space placebo test (p-value and 95% interval). Without it the
        result has no interval or p-value and its evidence is ``insufficient``.
    in_time_placebo:
        Refit with a fake start ``placebo_k`` pre-periods early (default a third).
    leave_one_out:
        Refit without each positive-weight donor.
    v:
        (n_pre,) non-negative weights of the pre-periods used in the fit (the fitted
        pre-periods in time order); None = identity (every pre-period counts equally).
    inference:
        The in-space placebo test: ``"adh"`` (default; Abadie, Diamond & Hainmueller's
        post/pre RMSPE-ratio rank) or ``"noise_floor"`` (pre-RMSPEs floored at each unit's
        sampling SE, statistic |mean post gap| / scale; see :mod:`.placebo_space`).
    placebo_k:
        Pre-periods moved into the in-time placebo's fake post-period.

    Returns
    -------
    MethodResult
        ``estimate`` = mean post gap (focal - synthetic); ``p_value`` = the in-space
        placebo test chosen by ``inference`` (rank k of n units: p = k / n, the same k
        and n as ``label``); ``ci_low``/``ci_high`` = the constant effects that test does
        not reject (NaN, with a warning, when it rejects every constant effect); the
        direction and evidence follow from that p-value and interval. The test without
        poorly fitted placebos is in ``diagnostics['exclusions']``. A panel too short or
        with too few donors gives an ``insufficient`` result saying why.

    Raises
    ------
    MethodError
        An invalid option (``donors``, ``v``, a non-boolean switch).
    """
    for name, val in (("placebo", placebo), ("in_time_placebo", in_time_placebo), ("leave_one_out", leave_one_out)):
        if not isinstance(val, (bool, np.bool_)):
            raise MethodError(f"{name} must be True or False; got {val!r}")
    check_choice("inference", inference, INFERENCE)
    warnings, down = carried_warnings(panel)
    unit = unit_of(panel).strip()
    estimand = "mean post-reform gap vs synthetic control" + (f" ({unit})" if unit else "")
    try:
        data = prepare(panel, donors=donors)
    except NotEnoughData as e:
        return insufficient(_METHOD, panel, estimand, str(e), warnings)
    n, n_fit = data.values.shape[0], int(data.fit.sum())
    if v is not None:
        v = np.asarray(v, dtype=float)
        if v.shape != (n_fit,) or not np.all(np.isfinite(v)) or np.any(v < 0) or not np.any(v > 0):
            raise MethodError(f"v must be {n_fit} non-negative finite weights, one per fitted pre-period, "
                              f"not all zero; got shape {v.shape}")
    warnings += [w for w in data.warnings if w not in warnings]
    targets = np.arange(n) if placebo else np.zeros(1, int)
    fit = fit_units(data, targets, placebo_allowed(n)[targets], v=v)
    w = fit.weights[0]
    est = float(fit.mean_post_gap[0])
    diag: dict = {"n_donors": n - 1, "n_donors_positive": int(np.sum(w > POSITIVE_WEIGHT)), "n_pre": n_fit,
                  "n_post": int(data.post.sum()), "v": "identity" if v is None else "user",
                  "dropped_donors": list(data.dropped), "solver_kkt_gap_max": float(np.max(fit.kkt_gap)),
                  "solver_n_fallback": fit.n_fallback}
    diag["post_rmspe"] = float(fit.post_rmspe[0])
    series: dict = {"periods": np.array(data.period_labels), "t": data.t, "pre": data.fit, "post": data.post,
                    "focal": data.values[0], "synthetic": fit.synthetic[0], "gap": fit.gap[0],
                    "donor_codes": np.array(data.codes[1:]), "weights": w[1:]}

    ci_low = ci_high = p = math.nan
    label = f"synthetic control from {diag['n_donors_positive']} of {n - 1} donors"
    ci_empty = False
    mde, mde_basis = math.nan, ""
    if placebo:
        ps = placebo_in_space(data, fit=fit, inference=inference)
        mde = placebo_mde(ps.mean_post_gap, ps.post_rmspe, ps.scale, ps.stat, inference)
        mde_basis = (f"from the placebo distribution: the constant shift that {POWER:.0%} of placebo areas would "
                     f"need to pass the {ALPHA:.0%} test ({ps.statistic})")
        ci_low, ci_high, p, ci_empty = ps.ci_low, ps.ci_high, ps.p_value, ps.ci_empty
        diag.update({"inference": inference, "test_statistic": ps.statistic, "rmspe_ratio": float(ps.ratio[0]),
                     "placebo_rank": ps.rank, "n_placebos": ps.n_placebos, "min_attainable_p": ps.min_p,
                     "p_value_test": ps.p_value, "ci_empty": ci_empty,
                     "exclusions": {f"pre_mspe_over_{m}x": ps.exclusions[m] for m in EXCLUDE_MSPE_MULTIPLES},
                     "p_value_rmspe_ratio": ps.p_value_ratio, "p_value_mean_gap": ps.p_value_mean_gap,
                     "noise_floored_units": ps.noise_floored, "pre_rmspe_scale": float(ps.scale[0]),
                     "ci_method": ("constant effects not rejected by the same in-space placebo test "
                                   f"({ps.statistic})")})
        for m in EXCLUDE_MSPE_MULTIPLES:
            diag[f"p_value_excl_{m}x"] = ps.exclusions[m]["p_value"]
            diag[f"n_placebos_{m}x"] = ps.exclusions[m]["n_placebos"]
        series.update({"placebo_codes": np.array(ps.codes[1:]), "placebo_gaps": ps.gaps[1:]})
        label = ps.label
        if ps.n_placebos < 19:
            warnings.append(f"only {ps.n_placebos} donor areas: the smallest attainable placebo p-value is "
                            f"{ps.min_p:.3g}, so no 5% test is possible and the 95% interval is unbounded; "
                            "use more donors: every area of the same tier (the 'all' comparator choice)")
        diag["n_placebos_exact_fit"] = ps.n_exact
        if inference == "adh" and ps.n_exact >= math.floor(0.05 * (ps.n_placebos + 1) + 1e-9) and ps.n_exact:
            warnings.append(f"{ps.n_exact} placebo areas are reproduced exactly before the reform (more donors than "
                            "pre-reform periods), so their post/pre RMSPE ratios are unbounded and the standard "
                            "test cannot bound the effect; inference='noise_floor' floors each pre-RMSPE at its "
                            "sampling noise instead")
        if ci_empty:
            warnings.append("no constant post-reform effect is consistent with the placebo test: the post-reform "
                            "gaps vary more about their mean than any placebo's, so the interval is empty "
                            "(the test still rejects 'no change')")
        e5 = ps.exclusions[5]
        if (p <= 0.05) != (e5["p_value"] <= 0.05) and e5["n_placebos"] >= 19:
            warnings.append(f"leaving out the {ps.n_placebos - e5['n_placebos']} placebo areas fitted more than "
                            f"5 times worse than {panel.focal_name} (pre-MSPE) gives p = {e5['p_value']:.2g} "
                            f"(rank {e5['rank']} of {e5['n_placebos'] + 1}) instead of {p:.2g}")
    else:
        warnings.append("placebo inference was switched off: no interval or p-value")
    quality = _pre_fit(data, float(fit.pre_rmspe[0]), fit.pre_rmspe[1:] if placebo else None)
    diag.update(quality)

    if quality["outside_hull"]:
        warnings.append(f"{panel.focal_name} is the highest or lowest of all areas in "
                        f"{quality['outside_hull_share']:.0%} of pre-periods: no weighted mix of donors can match it")
        down += 1
    if quality["poor_pre_fit"]:
        warnings.append(f"poor pre-reform fit: pre-RMSPE {fmt(quality['pre_rmspe'])} exceeds "
                        f"{quality['poor_pre_fit_basis']}")
    se0 = data.se[0, data.fit]
    if np.isfinite(se0).any() and quality["pre_rmspe"] < 0.5 * np.nanmean(se0) and n - 1 >= n_fit:
        warnings.append(f"with {n - 1} donors for {n_fit} pre-reform periods the weights reproduce the pre-reform "
                        f"series more closely than sampling noise allows (root mean squared gap "
                        f"{fmt(quality['pre_rmspe'])} vs mean SE {fmt(float(np.nanmean(se0)))}): "
                        "they partly follow noise")

    if in_time_placebo:
        try:
            pt = placebo_in_time(data, k=placebo_k, v=v, in_space=placebo, inference=inference)
        except PlaceImpactError as e:
            warnings.append(f"in-time placebo not run: {e}")
        else:
            diag.update({"placebo_time_k": pt.k, "placebo_time_start": str(pt.fake_start),
                         "placebo_time_estimate": pt.estimate, "placebo_time_relative": pt.relative,
                         "placebo_time_ci": [pt.ci_low, pt.ci_high], "placebo_time_p_value": pt.p_value})
            series["placebo_time_gap"] = pt.gap
            if math.isfinite(pt.ci_low) and not (pt.ci_low <= 0 <= pt.ci_high):
                warnings.append(f"in-time placebo: a fake start at {pt.fake_start} gives a clear 'effect' of "
                                f"{fmt(pt.estimate)} before the reform; the synthetic control may not follow "
                                f"{panel.focal_name} out of sample")
                down += 1
    if leave_one_out:
        loo = _leave_one_out(data, w, v=v)
        diag.update({"loo_low": loo.low, "loo_high": loo.high, "loo_n": len(loo.dropped),
                     "loo_n_failed": len(loo.failed), "loo_failed": list(loo.failed)})
        series.update({"loo_dropped": np.array(loo.dropped), "loo_estimates": loo.estimates,
                       "loo_synthetic": loo.synthetic})
        if loo.sign_changes(est):
            warnings.append(f"leaving out one donor changes the sign of the estimate (range {fmt(loo.low)} to "
                            f"{fmt(loo.high)}): the result rests on single donors")
            down += 1
        if loo.failed:     # not a sign flip: says nothing about the estimate, so no downgrade
            warnings.append(f"leave-one-out: could not refit without {len(loo.failed)} of {len(loo.dropped)} "
                            f"donor(s) ({', '.join(loo.failed)})")

    evidence: Evidence = grade(p, down)
    if quality["poor_pre_fit"] and evidence in ("strong", "moderate"):
        evidence = "weak"
    direction = (direction_from(est, est, est, panel.polarity) if ci_empty   # every constant effect rejected
                 else direction_from(est, ci_low, ci_high, panel.polarity))
    return MethodResult(
        method=_METHOD, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand,
        estimate=est, ci_low=ci_low, ci_high=ci_high, p_value=p,
        direction=direction, label=label, evidence=evidence,
        summary=_with_mde(_summary(panel, est, diag, evidence, p, grade(p)), direction, mde, unit_of(panel)),
        warnings=tuple(warnings), diagnostics=diag, series=series,
        mde=mde, mde_basis=mde_basis,
    )


def _summary(panel: Panel, est: float, diag: dict, evidence: Evidence, p: float, undowngraded: Evidence) -> str:
    """One honest sentence."""
    side = "higher" if est > 0 else "lower"
    head = (f"After the reform {panel.focal_name}'s {what_of(panel)} averaged {fmt(abs(est))}{unit_of(panel)} "
            f"{side} than a synthetic control weighted from {diag['n_donors_positive']} of {diag['n_donors']} "
            "donor areas")
    better = better_phrase(panel.polarity)
    if math.isnan(p):
        return head + f" ({better}); without placebo inference, how unusual that gap is was not assessed."
    if evidence == "none":
        return head + (f" ({better}), but placebo areas departed from their own synthetic controls as much "
                       f"(p = {p:.2g}), so there is no clear sign of a change.")
    if diag.get("poor_pre_fit"):
        why = "the synthetic control matched the pre-reform years poorly"
    elif evidence != undowngraded:
        why = "diagnostics cast doubt on the gap"
    elif evidence == "weak":
        why = "some placebo areas departed nearly as much"
    else:
        why = "few placebo areas departed as much"
    return head + f" (placebo p = {p:.2g}; {evidence} evidence: {why}; {better}); {ATTRIBUTION}."
