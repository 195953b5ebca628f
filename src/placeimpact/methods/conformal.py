"""Conformal inference for synthetic controls (Chernozhukov, Wüthrich & Zhu 2021), and three method rows.

One treated area and a short series leave the in-space placebo test with few donors
and no interval. Conformal inference permutes *time* instead of units. Under a null
effect path ``theta_t`` (here a constant ``theta`` in every post-reform period) the
focal area's post-reform values less ``theta`` are what it would have shown without
the reform; the counterfactual estimator is then refitted on **all** periods, pre and
post, and its residuals ``u_t`` are exchangeable over time when the errors are (the
estimators below treat every period alike, so a permutation of periods permutes the
residuals). The statistic is ``S = |mean of u over the post periods|``; its p-value is
the share of permutations of the periods whose post-block mean is at least as large:

* ``permutations="moving_block"`` (default; CWZ's choice for serially correlated
  data): the T cyclic shifts of the series, so the smallest attainable p is 1/T;
* ``permutations="iid"``: 999 random permutations (seeded): exact only when the
  errors are exchangeable, which serial correlation and overlapping rolling periods
  break (not recommended for these data).

The 95% interval is every constant ``theta`` not rejected at 5% (found on a grid of
``theta`` values solved in one batched call of the simplex solver, then refined); it
is the interval for the average post-reform effect under a constant effect. Per-period
intervals (``series['ci_low_t']``, ``series['ci_high_t']``) test each post period on
its own with the pre-periods (CWZ's per-period test; smallest p 1/(T0 + 1), so they
are unbounded with fewer than 19 pre-periods).

**When it holds.** With moving-block permutations a 5% test needs T >= 20 periods
(pre-reform plus post-reform, transition periods excluded): below that the method
says so and does not grade (its evidence is ``insufficient`` and its interval is
unbounded). Simulation (``bench/bench_simulation.py``, ``tests/methods/test_conformal.py``)
checks size and coverage at and above that count.

Estimators (each its own row in :data:`placeimpact.methods.METHODS`):

* ``conformal_synthetic_control``: the synthetic control (simplex weights on the
  pre-period outcomes, :mod:`.synth_fit`), interval by conformal inference;
* ``augmented_synthetic_control``: ridge-augmented synthetic control (Ben-Michael,
  Feller & Rothstein 2021, augsynth's ``progfunc="Ridge"``): the synthetic-control
  weights plus a ridge correction ``(y - X w) (X'X + lambda I)^-1 X'`` of the remaining
  pre-period imbalance (X the donors' pre-period outcomes centred on the donor mean of
  each period), which may make weights negative (extrapolation). ``lambda`` is chosen
  by augsynth's cross-validation: each pre-period but the last held out in turn, the
  weights refitted on the rest, the squared error on the held-out period averaged,
  and the largest ``lambda`` within one standard error of the minimum taken, from the
  grid ``sigma_1^2 (1e-8)^((k - 1)/20)``, k = 0..20 (sigma_1 the largest singular value
  of X). Fixed at that value for the conformal refits;
* ``demeaned_synthetic_control``: de-meaned (intercept-shifted) synthetic control
  (Ferman & Pinto 2021; Doudchenko & Imbens 2016): every series less its own
  pre-period mean before the weights are fitted, so the synthetic control matches the
  focal area's changes, not its level; the estimate is the post-reform mean gap of
  the de-meaned series (a difference-in-differences with synthetic weights).

All are pure functions of a :class:`~placeimpact.panel.Panel` returning a frozen
:class:`~placeimpact.methods.result.MethodResult`. Simulated checks only; peers
(pysyncon's ``AugSynth`` and ``ConformalInference``) are test oracles, not dependencies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from ..distributions import slope_test

from ..errors import MethodError
from ..panel import Panel
from ._common import ATTRIBUTION, better_phrase, carried_warnings, check_choice, fmt, grade, insufficient, unit_of, \
    what_of
from .mde import mde_from_interval, with_mde as _with_mde
from .result import Evidence, MethodResult, direction_from
from .simplex import simplex_least_squares
from .synth_fit import POSITIVE_WEIGHT, NotEnoughData, SynthData, prepare

__all__ = ["conformal_synthetic_control", "augmented_synthetic_control", "demeaned_synthetic_control",
           "conformal_test", "ridge_lambda_cv", "fit_estimator", "ESTIMATORS", "PERMUTATIONS", "min_periods",
           "min_attainable_p"]

ESTIMATORS: tuple[str, ...] = ("synthetic_control", "ridge_augmented", "demeaned")
PERMUTATIONS: tuple[str, ...] = ("moving_block", "iid")
_N_IID = 999
_GRID = 121


def min_periods(alpha: float = 0.05, permutations: str = "moving_block") -> int:
    """Fewest periods (pre + post) for which the test can reject at level ``alpha``: ceil(1 / alpha)."""
    return math.ceil(1 / alpha - 1e-9) if permutations == "moving_block" else 3


def min_attainable_p(n_pre: int, n_post: int, estimator: str, permutations: str = "moving_block") -> float:
    """Smallest p-value the test can give: 1/T for moving blocks (T = n_pre + n_post), 1/1000 for iid.

    The de-meaned estimator's residuals sum to zero over the periods it is fitted on, so with
    ``n_pre == n_post`` the shift that moves the post block onto the pre block always ties
    with it: the smallest p is then 2/T.
    """
    if permutations != "moving_block":
        return 1.0 / (_N_IID + 1)
    T = n_pre + n_post
    return (2.0 if estimator == "demeaned" and n_pre == n_post else 1.0) / T


# -- estimators fitted on a set of periods --------------------------------------------------
def _ridge_resid(M: np.ndarray, Xc: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge correction of residuals M (P, T) with centred donors Xc (N, T): (weights (P, N), residuals (P, T)).

    ``w_ridge = M (Xc' Xc + lam I)^-1 Xc'`` (augsynth); the residual is ``M - w_ridge Xc = lam M (Xc'Xc + lam I)^-1``.
    """
    G = Xc.T @ Xc
    A = np.linalg.solve(G + lam * np.eye(G.shape[0]), np.eye(G.shape[0]))
    wr = M @ A @ Xc.T
    return wr, lam * M @ A


def fit_estimator(D: np.ndarray, Y: np.ndarray, estimator: str, *, lam: float = 0.0,
                  predict: np.ndarray | None = None):
    """Fit ``estimator`` on periods given by columns: donors ``D`` (N, T), targets ``Y`` (P, T).

    Returns (weights (P, N), residuals (P, T), predicted gaps (P, T') for ``predict`` = (donor
    columns (N, T'), target columns (P, T')) or None). Residuals and gaps are target minus its
    counterfactual; for ``demeaned`` every series is centred on its mean over the fitted periods.
    """
    if estimator == "demeaned":
        dm, ym = D.mean(axis=1, keepdims=True), Y.mean(axis=1, keepdims=True)
        Dw, Yw = D - dm, Y - ym
    else:
        Dw, Yw = D, Y
    sol = simplex_least_squares(Dw.T, Yw)
    W = np.asarray(sol.weights, float)
    R = Yw - W @ Dw
    if estimator == "ridge_augmented" and lam > 0:
        centre = D.mean(axis=0)
        Xc = D - centre
        wr, R = _ridge_resid(R, Xc, lam)
        W = W + wr
    gaps = None
    if predict is not None:
        Dp, Yp = predict
        if estimator == "demeaned":
            gaps = (Yp - ym) - W @ (Dp - dm)
        else:
            gaps = Yp - W @ Dp
    return W, R, gaps


def ridge_lambda_cv(D: np.ndarray, y: np.ndarray, *, n_lambda: int = 20, min_ratio: float = 1e-8,
                    min_1se: bool = True) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """augsynth's cross-validated ridge ``lambda`` on pre-period donors ``D`` (N, T0) and focal ``y`` (T0,).

    Returns (lambda, grid, mean error, standard error). Each pre-period but the last is held out
    in turn (holdout length 1); see the module notes.
    """
    Xc = D - D.mean(axis=0)
    yc = y - D.mean(axis=0)
    sing = np.linalg.svd(Xc.T, compute_uv=False)
    scaler = min_ratio ** (1 / n_lambda)
    lambdas = sing[0] ** 2 * scaler ** (np.arange(0, n_lambda + 1) - 1)
    T0 = D.shape[1]
    errs = np.empty((T0 - 1, lambdas.size))
    for i in range(T0 - 1):
        keep = np.arange(T0) != i
        Xt, yt = Xc[:, keep], yc[keep]
        w = np.asarray(simplex_least_squares(Xt.T, yt).weights, float)[0]
        M = yt - w @ Xt
        # (G + lam I)^-1 for every lam at once from G = Q diag(e) Q'
        e, Q = np.linalg.eigh(Xt.T @ Xt)
        a = (M @ Q)[None, :] / (e[None, :] + lambdas[:, None])          # (L, T0 - 1)
        wa = w[None, :] + (a @ Q.T) @ Xt.T                               # (L, N)
        errs[i] = (yc[i] - wa @ Xc[:, i]) ** 2
    mean = errs.mean(axis=0)
    se = errs.std(axis=0, ddof=1) / math.sqrt(T0 - 1) if T0 > 2 else np.zeros_like(mean)
    if min_1se:
        lam = float(lambdas[mean <= mean.min() + se[mean.argmin()]].max())
    else:
        lam = float(lambdas[mean.argmin()])
    return lam, lambdas, mean, se


# -- the conformal test ---------------------------------------------------------------------
def _perms(T: int, post_pos: np.ndarray, permutations: str, seed: int) -> np.ndarray:
    """(B, T1) index arrays: where each permutation puts the post block; row 0 the identity."""
    if permutations == "moving_block":
        return (post_pos[None, :] + np.arange(T)[:, None]) % T
    rng = np.random.default_rng(seed)
    out = [post_pos] + [rng.permutation(T)[post_pos] for _ in range(_N_IID)]
    return np.array(out)


def _pvals(R: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """p-values (P,) of S = |mean of residuals at the post positions| over the permutations idx (B, T1)."""
    S = np.abs(R[:, idx].mean(axis=2))            # (P, B)
    return np.mean(S >= S[:, :1] - 1e-12 * (1 + np.abs(S[:, :1])), axis=1)


@dataclass(frozen=True)
class ConformalTest:
    """Result of inverting the conformal test for a constant post-reform effect."""

    p_value: float          # at theta = 0
    ci_low: float
    ci_high: float
    n_periods: int
    n_permutations: int
    min_p: float


def conformal_test(D: np.ndarray, y: np.ndarray, post: np.ndarray, estimator: str, *, lam: float = 0.0,
                   alpha: float = 0.05, permutations: str = "moving_block", seed: int = 0,
                   centre: float = 0.0, scale: float = 1.0, min_p: float | None = None) -> ConformalTest:
    """p-value at theta = 0 and the interval of constant effects not rejected.

    ``D`` (N, T) donors and ``y`` (T,) focal over the periods used (in time order), ``post`` (T,)
    bool. ``centre`` and ``scale`` place the first search grid (``centre +/- 8 scale``, widened
    until both ends are rejected). ``min_p``: the smallest attainable p-value (default 1/T or
    1/1000); above ``alpha`` the interval is unbounded.
    """
    T = y.size
    post_pos = np.flatnonzero(post)
    idx = _perms(T, post_pos, permutations, seed)
    if min_p is None:
        min_p = 1.0 / idx.shape[0] if permutations == "moving_block" else 1.0 / (_N_IID + 1)

    def p_of(thetas: np.ndarray) -> np.ndarray:
        Y = y[None, :] - thetas[:, None] * post[None, :]
        _, R, _ = fit_estimator(D, Y, estimator, lam=lam)
        return _pvals(R, idx)

    p0 = float(p_of(np.zeros(1))[0])
    if min_p > alpha:
        return ConformalTest(p0, -math.inf, math.inf, T, idx.shape[0], min_p)
    scale = scale if math.isfinite(scale) and scale > 0 else 1.0
    half = 8 * scale
    for _ in range(8):
        grid = np.linspace(centre - half, centre + half, _GRID)
        ok = p_of(grid) > alpha
        if not (ok[0] or ok[-1]):
            break
        half *= 3
    else:
        return ConformalTest(p0, -math.inf if ok[0] else math.nan, math.inf if ok[-1] else math.nan, T,
                             idx.shape[0], min_p)
    if not ok.any():                 # nothing accepted on the grid: look around the best point
        best = grid[np.argmax(p_of(grid))]
        step = grid[1] - grid[0]
        grid = np.linspace(best - step, best + step, _GRID)
        ok = p_of(grid) > alpha
        if not ok.any():
            return ConformalTest(p0, math.nan, math.nan, T, idx.shape[0], min_p)
    i, j = int(np.flatnonzero(ok)[0]), int(np.flatnonzero(ok)[-1])
    step = grid[1] - grid[0]
    # refine both edges in one batched solve: the boundary lies within one step outside the accepted points
    fine_lo = np.linspace(grid[i] - step, grid[i], 41)
    fine_hi = np.linspace(grid[j], grid[j] + step, 41)
    pf = p_of(np.r_[fine_lo, fine_hi]) > alpha
    lo = float(fine_lo[np.flatnonzero(pf[:41])[0]]) if pf[:41].any() else float(grid[i])
    hi = float(fine_hi[np.flatnonzero(pf[41:])[-1]]) if pf[41:].any() else float(grid[j])
    return ConformalTest(p0, lo, hi, T, idx.shape[0], min_p)


def _per_period(D: np.ndarray, y: np.ndarray, fit: np.ndarray, estimator: str, lam: float, alpha: float,
                gaps: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-period intervals (CWZ): each post period tested alone with the pre-periods."""
    post_cols = np.flatnonzero(~fit)
    n_pre = int(fit.sum())
    lo, hi = np.full(post_cols.size, -math.inf), np.full(post_cols.size, math.inf)
    if 1.0 / (n_pre + 1) > alpha:
        return lo, hi
    for k, c in enumerate(post_cols):
        cols = np.r_[np.flatnonzero(fit), c]
        mask = np.zeros(cols.size, bool)
        mask[-1] = True
        t = conformal_test(D[:, cols], y[cols], mask, estimator, lam=lam, alpha=alpha, permutations="moving_block",
                           centre=float(gaps[k]), scale=scale)
        lo[k], hi[k] = t.ci_low, t.ci_high
    return lo, hi


def _overlap_step(data: SynthData, use: np.ndarray) -> int:
    """1 when the used periods do not overlap, else k = round(period length / spacing) (3 for 3-year rolling)."""
    start = data.period_start[use].astype("datetime64[D]").astype(np.int64)
    end = data.period_end[use].astype("datetime64[D]").astype(np.int64)
    if start.size < 2 or not np.any(start[1:] <= end[:-1]):
        return 1
    spacing = float(np.median(np.diff(start)))
    length = float(np.median(end - start + 1))
    return max(1, int(round(length / spacing))) if spacing > 0 else 1


# -- the method rows -------------------------------------------------------------------------
_NAMES = {"synthetic_control": ("conformal_synthetic_control", "synthetic control"),
          "ridge_augmented": ("augmented_synthetic_control", "ridge-augmented synthetic control"),
          "demeaned": ("demeaned_synthetic_control", "de-meaned synthetic control")}


def _run(panel: Panel, estimator: str, *, donors, alpha: float, permutations: str, per_period: bool,
         lam: float | None, seed: int) -> MethodResult:
    method, words = _NAMES[estimator]
    check_choice("permutations", permutations, PERMUTATIONS)
    if not (isinstance(alpha, float) and 0 < alpha < 0.5):
        raise MethodError(f"alpha must be a number between 0 and 0.5; got {alpha!r}")
    if lam is not None and not (isinstance(lam, (int, float)) and math.isfinite(lam) and lam >= 0):
        raise MethodError(f"lam must be a non-negative number or None (cross-validated); got {lam!r}")
    warnings, down = carried_warnings(panel)
    unit = unit_of(panel).strip()
    estimand = f"mean post-reform gap vs {words}" + (f" ({unit})" if unit else "")
    try:
        data: SynthData = prepare(panel, donors=donors)
    except NotEnoughData as e:
        return insufficient(method, panel, estimand, str(e), warnings)
    warnings += [w for w in data.warnings if w not in warnings]
    use = data.fit | data.post
    D = data.values[1:][:, use]
    y = data.values[0, use]
    fit = data.fit[use]
    # periods the test may use: with overlapping (rolling) periods only every k-th, so none overlap
    k = _overlap_step(data, use)
    pre_i, post_i = np.flatnonzero(fit), np.flatnonzero(~fit)
    sel = np.r_[pre_i[::-1][::k][::-1], post_i[::k]]
    n_pre, n_post, T = int(fit[sel].sum()), int((~fit[sel]).sum()), int(sel.size)
    diag: dict = {"estimator": estimator, "n_donors": data.n_donors, "n_pre": n_pre, "n_post": n_post,
                  "n_periods": T, "thinning": k, "permutations": permutations, "alpha": alpha,
                  "min_periods": min_periods(alpha, permutations), "dropped_donors": list(data.dropped)}
    if estimator == "ridge_augmented":
        if lam is None:
            if int(fit.sum()) < 3:
                lam_v = 0.0
                warnings.append("too few pre-reform periods to cross-validate the ridge penalty: no augmentation")
            else:
                lam_v, grid, cv_mean, cv_se = ridge_lambda_cv(D[:, fit], y[fit])
                diag.update({"lambda_grid": grid, "lambda_cv_error": cv_mean, "lambda_cv_se": cv_se})
        else:
            lam_v = float(lam)
        diag["lambda"] = lam_v
    else:
        lam_v = 0.0
    W, R, gaps = fit_estimator(D[:, fit], y[None, fit], estimator, lam=lam_v, predict=(D, y[None, :]))
    w, gap = W[0], gaps[0]
    est = float(gap[~fit].mean())
    if k > 1:
        nth = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(k, f"{k}th")
        warnings.append(f"the periods overlap (rolling {k}-period windows), which makes time permutations too "
                        f"liberal: the conformal test uses every {nth} period only, so that none overlap "
                        f"({n_pre} pre, {n_post} post)")
    pre_rmspe = float(np.sqrt(np.mean(gap[fit] ** 2)))
    post_sd = float(np.std(gap[~fit])) if n_post > 1 else 0.0
    scale = max(pre_rmspe, post_sd, 1e-9 * (1 + float(np.mean(np.abs(y)))))
    diag.update({"pre_rmspe": pre_rmspe, "n_donors_positive": int(np.sum(w > POSITIVE_WEIGHT)),
                 "n_donors_negative": int(np.sum(w < -POSITIVE_WEIGHT)), "weight_sum": float(w.sum())})
    full_gap = np.full(data.values.shape[1], np.nan)
    full_gap[use] = gap
    series: dict = {"periods": np.array(data.period_labels), "t": data.t, "pre": data.fit, "post": data.post,
                    "focal": data.values[0], "synthetic": data.values[0] - full_gap, "gap": full_gap,
                    "donor_codes": np.array(data.codes[1:]), "weights": w}

    need = min_periods(alpha, permutations)
    min_p = min_attainable_p(n_pre, n_post, estimator, permutations)
    if min_p > alpha:
        tie = (" (and, for the de-meaned estimator, a pre-period count different from the post-period count)"
               if estimator == "demeaned" and n_pre == n_post and T >= need else "")
        reason = (f"conformal inference with moving-block permutations needs at least {need} periods in all "
                  f"(pre- plus post-reform) for a {alpha:.0%} test{tie}; this panel has {T} ({n_pre} pre, "
                  f"{n_post} post), so with {n_post} post-reform periods it is not graded below "
                  f"{max(need - n_post, 1)} pre-reform periods" + (" that do not overlap" if k > 1 else ""))
        warnings.append(reason)
        diag.update({"graded": False, "ungraded_estimate": est})
        # an ungraded row carries no numbers (like every insufficient result); the gap is in the diagnostics
        return MethodResult(
            method=method, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand,
            estimate=math.nan, p_value=math.nan, direction="not_assessed",
            label=f"not graded: {T} periods, needs {need}", evidence="insufficient",
            summary=(f"Not graded for {panel.focal_name}: with {T} periods conformal inference cannot test a "
                     f"change at {alpha:.0%} (it needs {need}); the ungraded gap vs a {words} is {fmt(est)}"
                     f"{unit_of(panel)}."),
            warnings=tuple(warnings), diagnostics=diag, series=series)
    diag["graded"] = True
    test = conformal_test(D[:, sel], y[sel], ~fit[sel], estimator, lam=lam_v, alpha=alpha,
                          permutations=permutations, seed=seed, centre=est, scale=scale, min_p=min_p)
    p, lo, hi = test.p_value, test.ci_low, test.ci_high
    diag.update({"n_permutations": test.n_permutations, "min_attainable_p": min_p,
                 "ci_method": f"conformal inference (Chernozhukov, Wuthrich & Zhu 2021), {permutations} permutations, "
                              "constant effect in every post-reform period"})
    if per_period:
        lo_s, hi_s = _per_period(D[:, sel], y[sel], fit[sel], estimator, lam_v, alpha, gap[sel][~fit[sel]], scale)
        lo_t, hi_t = np.full(post_i.size, np.nan), np.full(post_i.size, np.nan)
        lo_t[::k], hi_t[::k] = lo_s, hi_s
        series.update({"ci_low_t": lo_t, "ci_high_t": hi_t})
        if n_pre + 1 < 1 / alpha:
            warnings.append(f"per-period intervals are unbounded: each post period is tested alone against "
                            f"{n_pre} pre-reform periods, so the smallest p is 1/{n_pre + 1}")
    if math.isnan(lo) and p <= alpha:
        warnings.append("no constant post-reform effect is accepted by the conformal test (the post-reform gaps "
                        "vary too much): the interval is empty")
    if permutations == "iid":
        warnings.append("iid permutations assume the errors are exchangeable over time; serial correlation or "
                        "overlapping rolling periods make the test too liberal")
    half = data.focal_halfwidth[data.fit]
    bar = float(np.nanmean(half)) if np.isfinite(half).any() else 0.5 * float(np.std(y[fit], ddof=1))
    poor = bool(pre_rmspe > bar) if math.isfinite(bar) and bar > 0 else False
    diag["poor_pre_fit"] = poor
    if poor:
        warnings.append(f"poor pre-reform fit: pre-RMSPE {fmt(pre_rmspe)} exceeds "
                        + ("the mean 95% CI half-width" if np.isfinite(half).any() else "half the pre-period SD")
                        + f" {fmt(bar)}")
    if estimator == "ridge_augmented" and diag["n_donors_negative"]:
        warnings.append(f"the ridge correction gives {diag['n_donors_negative']} donors negative weight: the "
                        "counterfactual extrapolates beyond the donors")
    if int(fit.sum()) >= 4:
        tt = data.t[use][fit]
        slope, slope_p = slope_test(tt - tt.mean(), gap[fit])
        diag.update({"pre_gap_slope": slope, "pre_gap_slope_p": slope_p})
        if slope_p < 0.10:
            warnings.append(f"the pre-reform gap trends ({fmt(slope)} a year, p = {slope_p:.2g}): "
                            f"the {words} does not follow {panel.focal_name}'s pre-reform trend, and then a "
                            "test that permutes periods is too liberal (simulated size 10-20% instead of 5%)")
            down += 1
    evidence: Evidence = grade(p, down)
    if poor and evidence in ("strong", "moderate"):
        evidence = "weak"
    # the verdict is the test's: rejected at alpha -> the sign of the estimate, else no clear change
    direction = direction_from(est, est, est, panel.polarity) if p <= alpha else "no_clear_change"
    mde = mde_from_interval(lo, hi)
    label = f"conformal p = {p:.2g} ({permutations.replace('_', '-')}, {test.n_permutations} permutations)"
    return MethodResult(
        method=method, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand, estimate=est,
        ci_low=lo, ci_high=hi, p_value=p, direction=direction, label=label, evidence=evidence,
        summary=_with_mde(_summary(panel, est, words, p, evidence, poor), direction, mde, unit_of(panel)),
        warnings=tuple(warnings), diagnostics=diag,
        series=series)


def _summary(panel: Panel, est: float, words: str, p: float, evidence: Evidence, poor: bool) -> str:
    side = "higher" if est > 0 else "lower"
    head = (f"After the reform {panel.focal_name}'s {what_of(panel)} averaged {fmt(abs(est))}{unit_of(panel)} "
            f"{side} than a {words}")
    better = better_phrase(panel.polarity)
    if evidence == "none":
        return head + (f" ({better}), but gaps as large arose in other stretches of its own series "
                       f"(conformal p = {p:.2g}), so there is no clear sign of a change.")
    why = "the pre-reform fit was poor" if poor else "permutations of its own series rarely gave as large a gap"
    return head + f" (conformal p = {p:.2g}; {evidence} evidence: {why}; {better}); {ATTRIBUTION}."


def conformal_synthetic_control(panel: Panel, *, donors: str | Sequence[str] = "comparators", alpha: float = 0.05,
                                permutations: str = "moving_block", per_period: bool = True,
                                seed: int = 0) -> MethodResult:
    """Synthetic control with a conformal interval (see the module notes).

    ``estimate`` is the mean post-reform gap of the standard synthetic control (weights fitted
    on the pre-period); ``ci_low``/``ci_high`` the constant effects not rejected by the conformal
    test, ``p_value`` that test at zero. Not graded (``insufficient``, unbounded interval) with
    fewer than ``min_periods()`` = 20 periods in all.
    """
    return _run(panel, "synthetic_control", donors=donors, alpha=alpha, permutations=permutations,
                per_period=per_period, lam=None, seed=seed)


def augmented_synthetic_control(panel: Panel, *, donors: str | Sequence[str] = "comparators", alpha: float = 0.05,
                                permutations: str = "moving_block", per_period: bool = True,
                                lam: float | None = None, seed: int = 0) -> MethodResult:
    """Ridge-augmented synthetic control (Ben-Michael, Feller & Rothstein 2021) with a conformal interval.

    ``lam`` None = augsynth's cross-validation (module notes); the chosen value is
    ``diagnostics['lambda']``.
    """
    return _run(panel, "ridge_augmented", donors=donors, alpha=alpha, permutations=permutations,
                per_period=per_period, lam=lam, seed=seed)


def demeaned_synthetic_control(panel: Panel, *, donors: str | Sequence[str] = "comparators", alpha: float = 0.05,
                               permutations: str = "moving_block", per_period: bool = True,
                               seed: int = 0) -> MethodResult:
    """De-meaned (intercept-shifted) synthetic control (Ferman & Pinto 2021) with a conformal interval."""
    return _run(panel, "demeaned", donors=donors, alpha=alpha, permutations=permutations,
                per_period=per_period, lam=None, seed=seed)
