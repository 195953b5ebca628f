"""Staggered difference-in-differences for a treated group: Callaway & Sant'Anna and the imputation estimator.

Two-way fixed effects with staggered starts and effects that differ between areas or grow
over time compares later-treated areas with already-treated ones and can get even the sign
wrong (Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020). Both estimators here
only ever compare with areas not (yet) treated:

* :func:`callaway_santanna` — group-time effects (Callaway & Sant'Anna 2021) with a
  "universal" base period (each area's last pre-reform period)::

      ATT(i, t) = (y_it - y_ib) - mean_{c in C_t} (y_ct - y_cb)

  ``C_t`` the never-treated clean donors (``control="never"``) or, with
  ``control="not_yet"``, those plus treated areas still before their own start at ``t``.
  Per-area effect: the mean of its post-reform ATT(i, t); event-time path: the mean over
  areas of ATT(i, start_i + e); overall: the (equal or population) weighted mean of the
  per-area effects. Without covariates this is the CS "unconditional" estimator; the
  group-time and event-time numbers are checked against the ``diff-diff`` package in tests.

* :func:`imputation_did` — Borusyak, Jaravel & Spiess (2024): fit area and period fixed
  effects on every untreated cell (donors, and treated areas before their start), impute each
  treated area's untreated outcome after its start, and average ``y - y_hat``.

Inference (both): the estimators are linear in the outcomes; the variance is computed from the
donors' covariance over periods (:func:`placeimpact.methods._group.linear_variance`) with a t
reference on ``n_donors - 1`` degrees of freedom, which holds with few treated areas.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ..group_panel import GroupPanel
from ..errors import MethodError
from ._common import check_choice, fmt
from ._group import (GroupData, donor_covariance, event_table, group_insufficient, group_result, linear_variance, per_area_rows,
                     prepare_group)
from .result import MethodResult

__all__ = ["callaway_santanna", "imputation_did", "cs_weights", "imputation_weights", "twfe_static"]


def _targets(data: GroupData) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Treated post cells (i, t) and each one's event time."""
    cells = [(i, t) for i in range(data.n_treated) for t in np.flatnonzero(data.status[i] == 1)]
    ev = np.array([t - data.first_post[i] for i, t in cells], dtype=int)
    return cells, ev


def cs_weights(data: GroupData, omega: dict[tuple[int, int], float], control: str = "never") -> np.ndarray:
    """Weights V (n_units, T) with ``sum(V * Y)`` = the omega-weighted sum of ATT(i, t) (universal base)."""
    n, T = data.Y.shape
    V = np.zeros((n, T))
    nt = data.n_treated
    for (i, t), w in omega.items():
        if w == 0:
            continue
        b = data.base[i]
        V[i, t] += w
        V[i, b] -= w
        ctrl = list(range(nt, n))
        if control == "not_yet":
            ctrl += [j for j in range(nt) if j != i and data.status[j, t] == 0 and data.status[j, b] == 0]
        share = w / len(ctrl)
        V[ctrl, t] -= share
        V[ctrl, b] += share
    return V


def imputation_weights(data: GroupData, A: np.ndarray) -> np.ndarray:
    """Weights for targets ``A`` (k, n, T: omega on treated post cells) of the imputation estimator.

    Returns (k, n, T): ``sum(W[k] * Y)`` = sum of omega_k (y - y_hat) with y_hat from two-way fixed
    effects fitted on untreated cells. The normal equations of the area + period dummies are built
    from the untreated mask directly (last period effect fixed at zero, which leaves every
    prediction unchanged), so no dense design matrix is formed.
    """
    n, T = data.Y.shape
    M = (data.status == 0).astype(float)
    du = M.sum(axis=1)                                   # untreated cells per area (>= 1: prepare_group)
    au = A.sum(axis=2).T                                 # (n, k): sum of omega x_it, area part
    at = A.sum(axis=1).T[: T - 1]                        # (T-1, k): period part, last period fixed at zero
    Mk = M[:, : T - 1]
    # eliminate the (diagonal) area block: Schur complement on the periods
    S = np.diag(M.sum(axis=0)[: T - 1]) - Mk.T @ (Mk / du[:, None])
    rhs = at - Mk.T @ (au / du[:, None])
    try:
        zt = np.linalg.solve(S, rhs)
    except np.linalg.LinAlgError:
        zt = np.linalg.lstsq(S, rhs, rcond=None)[0]
    zu = (au - Mk @ zt) / du[:, None]                    # (n, k)
    zt = np.vstack([zt, np.zeros((1, zt.shape[1]))])     # (T, k)
    # w0 at an untreated cell (u, t) = -(z_u + z_t); zero elsewhere
    W0 = -(zu.T[:, :, None] + zt.T[:, None, :]) * M[None, :, :]
    return np.asarray(A, float) + W0


def _run(gp: GroupPanel, method: str, estimator: str, *, control: str, weighting: str,
         aggregate: str) -> MethodResult:
    unit = gp.panel.unit
    estimand = f"average post-reform effect across the treated areas ({unit or 'indicator units'})"
    try:
        data = prepare_group(gp, weighting=weighting)
    except MethodError as exc:
        return group_insufficient(method, gp, estimand, str(exc))
    n, T = data.Y.shape
    nt = data.n_treated
    cells, ev = _targets(data)
    # targets: each area's mean post effect, each event time (post and pre), the overall effect
    n_post = np.array([(data.status[i] == 1).sum() for i in range(nt)])
    area_omega = [{(i, t): 1.0 / n_post[i] for (i, t) in cells if i == k} for k in range(nt)]
    if aggregate == "cells":
        overall = {c: 1.0 / len(cells) for c in cells}
    else:
        overall = {c: float(data.weights[c[0]]) / n_post[c[0]] for c in cells}
    post_e = sorted(set(ev.tolist()))
    e_omega = []
    for e in post_e:
        who = [c for c, x in zip(cells, ev) if x == e]
        e_omega.append({c: 1.0 / len(who) for c in who})
    # pre-reform event times: universal-base contrasts (CS placebo path; both estimators show it)
    pre_cells = [(i, t) for i in range(nt) for t in np.flatnonzero(data.status[i] == 0) if t != data.base[i]]
    pre_ev = np.array([t - data.first_post[i] for i, t in pre_cells], dtype=int)
    pre_e = sorted(set(pre_ev.tolist()))
    pre_omega = []
    for e in pre_e:
        who = [c for c, x in zip(pre_cells, pre_ev) if x == e]
        pre_omega.append({c: 1.0 / len(who) for c in who})
    targets = [overall, *area_omega, *e_omega]
    if estimator == "cs":
        Vs = [cs_weights(data, om, control) for om in targets]
    else:
        A = np.zeros((len(targets), n, T))
        for k, om in enumerate(targets):
            for (i, t), w in om.items():
                A[k, i, t] = w
        Vs = list(imputation_weights(data, A))
    Vs += [cs_weights(data, om, control if estimator == "cs" else "never") for om in pre_omega]
    est = np.array([float(np.sum(V * data.Y)) for V in Vs])
    S = donor_covariance(data.donors)
    se = np.array([math.sqrt(linear_variance(V, S=S)) for V in Vs])
    df = float(data.n_donors - 1)
    k_area = slice(1, 1 + nt)
    k_e = slice(1 + nt, 1 + nt + len(post_e))
    k_pre = slice(1 + nt + len(post_e), None)
    order = np.argsort(np.array(pre_e + post_e))
    ev_all = np.array(pre_e + post_e)[order]
    ev_est = np.concatenate([est[k_pre], est[k_e]])[order]
    ev_se = np.concatenate([se[k_pre], se[k_e]])[order]
    ev_n = np.array([len(om) for om in pre_omega] + [len(om) for om in e_omega])[order]
    # the base period (zero by construction) is shown at its event time for the areas' common base
    event = event_table(ev_all, ev_est, ev_se, df, ev_n)
    per_area = per_area_rows(data, est[k_area], se[k_area], df)
    pre_stat = est[k_pre] / np.where(se[k_pre] > 0, se[k_pre], np.nan)
    warnings = []
    downgrades = 0
    if len(pre_e):
        from .. import distributions as stats

        chi = float(np.nansum(pre_stat ** 2))
        k = int(np.isfinite(pre_stat).sum())
        p_pre = float(stats.chi2_sf(chi, k)) if k else math.nan
        if math.isfinite(p_pre) and p_pre < 0.10:
            warnings.append(f"pre-reform event-time effects differ from zero (p = {fmt(p_pre, 2)}): the parallel-trends "
                            "assumption is doubtful")
            downgrades += 1
    else:
        p_pre = math.nan
    if data.n_treated > 1 and len(set(data.first_post.tolist())) > 1:
        stag = "staggered starts"
    else:
        stag = "one start"
    name = "Callaway-Sant'Anna" if estimator == "cs" else "imputation (Borusyak-Jaravel-Spiess)"
    comp = "never-treated donors" if control == "never" else "never- and not-yet-treated areas"
    label = f"{name}, {data.n_treated} areas, {stag}, vs {data.n_donors} {comp}"
    return group_result(
        method, gp, data, estimand=estimand, estimate=float(est[0]), se=float(se[0]), df=df, per_area=per_area,
        event=event, label=label, warnings=warnings, downgrades=downgrades,
        what="the counterfactual from " + comp,
        diagnostics={"pretrend_p": p_pre, "control": control, "weighting": weighting, "aggregate": aggregate,
                     "estimator": estimator})


def callaway_santanna(gp: GroupPanel, *, control: Literal["never", "not_yet"] = "never",
                      weighting: Literal["equal", "population"] = "equal",
                      aggregate: Literal["areas", "cells"] = "areas") -> MethodResult:
    """Callaway & Sant'Anna group-time effects for a treated group, aggregated by area, event time and overall.

    ``aggregate="areas"`` weights each area's mean post effect (equally or by population);
    ``"cells"`` weights every treated post period equally (CS's "simple" aggregation).
    """
    check_choice("control", control, ("never", "not_yet"))
    check_choice("weighting", weighting, ("equal", "population"))
    check_choice("aggregate", aggregate, ("areas", "cells"))
    return _run(gp, "staggered_did", "cs", control=control, weighting=weighting, aggregate=aggregate)


def imputation_did(gp: GroupPanel, *, weighting: Literal["equal", "population"] = "equal",
                   aggregate: Literal["areas", "cells"] = "areas") -> MethodResult:
    """Borusyak-Jaravel-Spiess imputation estimator for a treated group (area and period fixed effects)."""
    check_choice("weighting", weighting, ("equal", "population"))
    check_choice("aggregate", aggregate, ("areas", "cells"))
    return _run(gp, "imputation_did", "bjs", control="never", weighting=weighting, aggregate=aggregate)


def twfe_static(gp: GroupPanel) -> float:
    """The static two-way fixed-effects coefficient on the treated indicator (for the bench: biased when
    effects differ across staggered cohorts or grow over time; never a headline here)."""
    data = prepare_group(gp)
    n, T = data.Y.shape
    D = (data.status == 1).astype(float)
    keep = data.status >= 0
    Y = data.Y
    ui, ut = np.nonzero(keep)
    X = np.zeros((len(ui), n + T + 1))
    X[np.arange(len(ui)), ui] = 1.0
    X[np.arange(len(ui)), n + ut] = 1.0
    X[:, -1] = D[ui, ut]
    beta = np.linalg.lstsq(X, Y[ui, ut], rcond=None)[0]
    return float(beta[-1])
