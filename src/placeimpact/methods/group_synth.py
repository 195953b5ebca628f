"""Synthetic control for a treated group: one synthetic control per treated area on the clean donor pool, averaged.

Each treated area gets its own synthetic control (Abadie, Diamond & Hainmueller 2010; the
weights solve the simplex-constrained least squares on that area's own pre-reform periods,
with the shared batched solver :func:`placeimpact.methods.simplex.simplex_least_squares`),
using only clean donors: no other treated area and no excluded area is ever a donor. The
group effect is the average of the areas' mean post-reform gaps, unweighted (headline) and
population-weighted (diagnostics), as in Abadie & L'Hour (2021) and Cavallo et al. (2013).

Inference is over placebo GROUPS, not single units (Cavallo, Galiani, Noy & Pantano 2013):
every donor is fitted as if treated with each treated area's start (on the other donors);
a placebo group draws as many donors as there are treated areas, gives the i-th the i-th
treated area's start and weight, and averages their gaps. The p-value is the share of
``n_placebo_groups`` random placebo groups whose absolute average gap is at least the
group's; the 95% interval inverts the same distribution (estimate minus its 2.5% and 97.5%
quantiles, valid for an effect common to the areas). The same draws give the event-time path.
"""

from __future__ import annotations

import math
from typing import Callable, Literal

import numpy as np

from ..errors import MethodError
from ..group_panel import GroupPanel
from ._common import check_choice, fmt
from ._group import GroupData, group_insufficient, group_result, prepare_group
from .simplex import simplex_least_squares

__all__ = ["group_synthetic_control", "placebo_group_inference", "unit_gaps"]

Gapper = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _sc_gaps(target: np.ndarray, donors: np.ndarray, fit: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Gaps (P, T) of each target row against its synthetic control from ``donors`` fitted on ``fit`` columns."""
    sol = simplex_least_squares(donors[:, fit].T, target[:, fit], allowed=allowed)
    return target - sol.weights @ donors


class _SCPlacebo:
    """Synthetic-control gapper that fits every donor once on the pool without itself, and refits a
    placebo-group member only when another member of its group carries weight in that fit (the
    solution is unchanged when the removed donors had zero weight: same problem, same optimum)."""

    def __init__(self) -> None:
        self.base: dict[bytes, np.ndarray] = {}

    def __call__(self, target: np.ndarray, donors: np.ndarray, fit: np.ndarray,
                 allowed: np.ndarray | None = None) -> np.ndarray:
        if allowed is None:
            return _sc_gaps(target, donors, fit)
        key = fit.tobytes()
        if key not in self.base:
            n = donors.shape[0]
            self.base[key] = simplex_least_squares(donors[:, fit].T, donors[:, fit],
                                                   allowed=~np.eye(n, dtype=bool)).weights
        Wb = self.base[key]
        # which donor row is each target? (targets are donor rows)
        rows = np.array([int(np.flatnonzero(np.all(donors == t, axis=1))[0]) for t in target])
        W = Wb[rows].copy()
        redo = np.flatnonzero(np.any((W > 1e-10) & ~allowed, axis=1))
        if len(redo):
            W[redo] = simplex_least_squares(donors[:, fit].T, target[redo][:, fit], allowed=allowed[redo]).weights
        return target - W @ donors


def unit_gaps(data: GroupData, gapper: Callable[..., np.ndarray], rng: np.random.Generator,
              n_groups: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Gaps of each treated area (k, T), and of random placebo groups of donors (n_groups, k, T).

    Placebo group ``b`` draws ``k`` donors without replacement; its ``i``-th member gets the
    ``i``-th treated area's start and is fitted on the donors outside the group, as the treated
    areas are fitted on a pool without any treated area (so members never serve as each other's
    donors, which would make placebo averages too calm). ``gapper(targets, donors, fit, allowed)``.
    """
    k = data.n_treated
    D = data.donors
    n_d = D.shape[0]
    if n_d < k + 2:
        raise MethodError(f"only {n_d} donors for placebo groups of {k} areas")
    pattern = [(int(data.base[i]), int(data.first_post[i])) for i in range(k)]
    fits = {p: (data.status[pattern.index(p)] == 0) for p in set(pattern)}
    gt = np.vstack([gapper(data.Y[[i]], D, fits[pattern[i]], None) for i in range(k)])
    idx = np.argsort(rng.random((n_groups, n_d)), axis=1)[:, :k]
    G = np.full((n_groups, k, D.shape[1]), np.nan)
    for p, fit in fits.items():
        members = [i for i in range(k) if pattern[i] == p]
        rows = [(b, i) for b in range(n_groups) for i in members]
        allowed = np.ones((len(rows), n_d), dtype=bool)
        for r, (b, _) in enumerate(rows):
            allowed[r, idx[b]] = False
        targets = D[[idx[b, i] for b, i in rows]]
        g = gapper(targets, D, fit, allowed)
        for r, (b, i) in enumerate(rows):
            G[b, i] = g[r]
    return gt, G, pattern


def placebo_group_inference(tau: np.ndarray, draws_by_area: np.ndarray, w: np.ndarray
                            ) -> tuple[float, float, float, float, np.ndarray]:
    """Estimate, CI, p and draws for ``sum w_i tau_i`` against placebo groups ``draws_by_area`` (B, k)."""
    est = float(np.dot(w, tau))
    d = draws_by_area @ w
    d = d[np.isfinite(d)]
    p = float((1 + np.sum(np.abs(d) >= abs(est) - 1e-12)) / (len(d) + 1))
    lo, hi = float(est - np.quantile(d, 0.975)), float(est - np.quantile(d, 0.025))
    return est, lo, hi, p, d


def _summarise(method: str, gp: GroupPanel, data: GroupData, gt: np.ndarray, G: np.ndarray, pattern: list, *,
               weighting: str, label: str, what: str,
               extra_diag: dict | None = None, warnings: list[str] | None = None) -> object:
    k = data.n_treated
    post = np.array([data.status[i] == 1 for i in range(k)])
    pre = np.array([data.status[i] == 0 for i in range(k)])
    tau = np.array([gt[i, post[i]].mean() for i in range(k)])
    pre_rmspe = np.array([math.sqrt(np.mean(gt[i, pre[i]] ** 2)) for i in range(k)])
    draws_tau = np.stack([G[:, i, post[i]].mean(axis=1) for i in range(k)], axis=1)   # (B, k)
    w_eq = np.full(k, 1.0 / k)
    w_pop = gp.treated_weights("population")[: k] if gp.weights is not None else w_eq
    w_pop = w_pop / w_pop.sum()
    w = w_pop if weighting == "population" else w_eq
    est, lo, hi, p, draws = placebo_group_inference(tau, draws_tau, w)
    other = w_eq if weighting == "population" else w_pop
    est2, lo2, hi2, p2, _ = placebo_group_inference(tau, draws_tau, other)
    # per-area intervals from single-donor placebos with the same start
    per_area = []
    for i in range(k):
        dd = draws_tau[:, i]
        dd = dd[np.isfinite(dd)]
        pi = float((1 + np.sum(np.abs(dd) >= abs(tau[i]) - 1e-12)) / (len(dd) + 1))
        per_area.append({"area_code": data.codes[i], "area_name": data.names[i], "estimate": float(tau[i]),
                         "ci_low": float(tau[i] - np.quantile(dd, 0.975)), "ci_high": float(tau[i] - np.quantile(dd, 0.025)),
                         "p_value": pi, "weight": float(w[i]), "pre_rmspe": float(pre_rmspe[i]),
                         "start_period": data.labels[data.first_post[i]]})
    # event-time path: e relative to each area's first post period
    T = data.Y.shape[1]
    evs = sorted({t - int(data.first_post[i]) for i in range(k) for t in range(T) if data.status[i, t] >= 0})
    ev_est, ev_lo, ev_hi, ev_n = [], [], [], []
    for e in evs:
        who = [i for i in range(k) if 0 <= data.first_post[i] + e < T and data.status[i, data.first_post[i] + e] >= 0]
        ww = np.array([w[i] for i in who])
        ww = ww / ww.sum()
        tau_e = np.array([gt[i, data.first_post[i] + e] for i in who])
        de = np.stack([G[:, i, data.first_post[i] + e] for i in who], axis=1)
        ee, l, h, _, _ = placebo_group_inference(tau_e, de, ww)
        ev_est.append(ee)
        ev_lo.append(l)
        ev_hi.append(h)
        ev_n.append(len(who))
    event = {"event_time": evs, "estimate": [float(x) for x in ev_est], "ci_low": [float(x) for x in ev_lo],
             "ci_high": [float(x) for x in ev_hi], "n_areas": ev_n}
    warn = list(warnings or [])
    donor_pre = np.concatenate([np.sqrt(np.nanmean(G[:, i, pre[i]] ** 2, axis=1)) for i in range(k)])
    poor = [data.names[i] for i in range(k) if pre_rmspe[i] > 2 * np.nanmedian(donor_pre)]
    downgrades = 0
    if poor:
        warn.append(f"poor pre-reform fit for {len(poor)} of {k} areas ({', '.join(poor[:4])}"
                    f"{'...' if len(poor) > 4 else ''}): their pre-reform RMSPE is over twice the donors' median")
        downgrades += int(len(poor) > k / 2)
    diag = {"weighting": weighting, "n_placebo_groups": int(len(draws)), "placebo_sd": float(np.std(draws, ddof=1)),
            "other_weighting": "equal" if weighting == "population" else "population",
            "other_estimate": float(est2), "other_ci_low": float(lo2), "other_ci_high": float(hi2), "other_p": float(p2),
            "population_weights": gp.weight_source or "none known (equal weights)",
            "mean_pre_rmspe": float(np.mean(pre_rmspe))}
    diag.update(extra_diag or {})
    return group_result(method, gp, data, estimand=f"average post-reform gap across the treated areas "
                        f"({gp.panel.unit or 'indicator units'})", estimate=est, se=float(np.std(draws, ddof=1)),
                        df=math.inf, per_area=per_area, event=event, label=label, warnings=warn,
                        diagnostics=diag, ci=(lo, hi, p), what=what, downgrades=downgrades)


def group_synthetic_control(gp: GroupPanel, *, weighting: Literal["equal", "population"] = "equal",
                            n_placebo_groups: int = 100, seed: int = 20160401, min_pre: int = 3):
    """Synthetic control per treated area on the clean donor pool, averaged; placebo-group inference."""
    check_choice("weighting", weighting, ("equal", "population"))
    method = "group_synthetic_control"
    estimand = "average post-reform gap across the treated areas"
    try:
        data = prepare_group(gp, weighting=weighting, min_pre=min_pre, min_donors=max(3, gp.n_treated + 1))
    except MethodError as exc:
        return group_insufficient(method, gp, estimand, str(exc))
    try:
        gt, G, pattern = unit_gaps(data, _SCPlacebo(), np.random.default_rng(seed), n_placebo_groups)
    except MethodError as exc:
        return group_insufficient(method, gp, estimand, str(exc))
    label = (f"synthetic control per area ({data.n_treated} areas, {data.n_donors} clean donors), "
             f"{n_placebo_groups} placebo groups of {data.n_treated}")
    res = _summarise(method, gp, data, gt, G, pattern, weighting=weighting,
                     label=label, what="its areas' synthetic controls")
    return res


def fmt_pct(x: float) -> str:
    return fmt(100 * x, 2) + "%"
