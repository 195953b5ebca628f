"""Generalised synthetic control (interactive fixed effects; Xu 2017) for a treated group.

The untreated outcome is modelled as area effect + period effect + ``r`` latent factors with
area-specific loadings::

    y_it(0) = a_i + d_t + lambda_i' f_t + e_it

The period effects and factors are estimated from the clean donors alone (the double-demeaned
donor matrix's leading singular vectors); each treated area's effect and loadings are then
fitted on its own pre-reform periods and its untreated outcome imputed after its start. The
number of factors is chosen by leave-one-pre-period-out cross-validation over the treated
areas (``r = 0`` is the imputation/two-way fixed-effects counterfactual), up to
``max_factors`` and never more than ``n_pre - 3``.

It needs enough pre-reform periods to estimate loadings: with fewer than ``min_pre``
(default 5, Xu's simulations use 10 or more) it refuses and says why. Inference uses the same
placebo groups as :mod:`.group_synth`: every donor is treated as if reformed with each start,
the factors re-estimated without it, and random same-size donor groups give the null
distribution of the average gap.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ..errors import MethodError
from ..group_panel import GroupPanel
from ._common import check_choice
from ._group import group_insufficient, prepare_group
from .group_synth import _summarise, unit_gaps

__all__ = ["generalized_synthetic_control", "MIN_PRE"]

MIN_PRE = 5


def _factors(D: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Period effects (T,) and factors (T, r) from a complete donor matrix D (n, T)."""
    col = D.mean(axis=0)
    Z = D - D.mean(axis=1, keepdims=True) - col[None, :] + D.mean()
    if r == 0:
        return col, np.zeros((D.shape[1], 0))
    _, _, vt = np.linalg.svd(Z, full_matrices=False)
    return col, vt[:r].T


def _impute(y: np.ndarray, delta: np.ndarray, F: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Untreated prediction of ``y`` (T,) from its ``fit`` periods: a_i + delta_t + F lambda_i."""
    X = np.column_stack([np.ones(int(fit.sum())), F[fit]])
    beta = np.linalg.lstsq(X, y[fit] - delta[fit], rcond=None)[0]
    return delta + np.column_stack([np.ones(len(y)), F]) @ beta


def _impute_many(Y: np.ndarray, delta: np.ndarray, F: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """:func:`_impute` for several rows sharing the same fit periods (one least-squares solve)."""
    X = np.column_stack([np.ones(int(fit.sum())), F[fit]])
    B = np.linalg.lstsq(X, (Y[:, fit] - delta[fit]).T, rcond=None)[0]
    return delta[None, :] + (np.column_stack([np.ones(len(delta)), F]) @ B).T


def _choose_r(Y: np.ndarray, D: np.ndarray, fits: list[np.ndarray], max_r: int) -> tuple[int, list[float]]:
    """Leave-one-pre-period-out MSPE over treated rows for r = 0..max_r."""
    scores = []
    for r in range(max_r + 1):
        delta, F = _factors(D, r)
        err = []
        for y, fit in zip(Y, fits):
            idx = np.flatnonzero(fit)
            if len(idx) - 1 < r + 2:
                err.append(np.inf)
                continue
            for s in idx:
                f2 = fit.copy()
                f2[s] = False
                err.append((y[s] - _impute(y, delta, F, f2)[s]) ** 2)
        scores.append(float(np.mean(err)))
    return int(np.argmin(scores)), scores


def generalized_synthetic_control(gp: GroupPanel, *, weighting: Literal["equal", "population"] = "equal",
                                  factors: int | None = None, max_factors: int = 3, min_pre: int = MIN_PRE,
                                  n_placebo_groups: int = 200, seed: int = 20160401):
    """Interactive fixed-effects counterfactual per treated area (Xu 2017), averaged; placebo-group inference."""
    check_choice("weighting", weighting, ("equal", "population"))
    method = "generalized_synthetic_control"
    estimand = "average post-reform gap across the treated areas"
    try:
        data = prepare_group(gp, weighting=weighting, min_pre=1, min_donors=max(5, gp.n_treated + 1))
    except MethodError as exc:
        return group_insufficient(method, gp, estimand, str(exc))
    n_pre = [int((data.status[i] == 0).sum()) for i in range(data.n_treated)]
    if min(n_pre) < min_pre:
        return group_insufficient(
            method, gp, estimand,
            f"the generalised synthetic control needs at least {min_pre} pre-reform periods per area to estimate "
            f"factor loadings; the fewest here is {min(n_pre)} ({data.names[int(np.argmin(n_pre))]}). Use the "
            "staggered DiD or imputation estimator, or a longer series")
    max_r = max(0, min(max_factors, min(n_pre) - 3, data.n_donors - 2))
    D = data.donors
    fits = [data.status[i] == 0 for i in range(data.n_treated)]
    if factors is None:
        r, cv = _choose_r(data.Y[: data.n_treated], D, fits, max_r)
    else:
        r, cv = min(int(factors), max_r), []

    def gapper(targets: np.ndarray, donors: np.ndarray, fit: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        if allowed is None:
            delta, F = _factors(donors, r)
            return np.vstack([y - _impute(y, delta, F, fit) for y in targets])
        out = np.empty_like(targets)
        groups: dict[bytes, list[int]] = {}
        for j in range(len(targets)):      # each placebo group: factors re-estimated without its members
            groups.setdefault(allowed[j].tobytes(), []).append(j)
        for rows in groups.values():
            delta, F = _factors(donors[allowed[rows[0]]], r)
            out[rows] = targets[rows] - _impute_many(targets[rows], delta, F, fit)
        return out

    try:
        gt, G, pattern = unit_gaps(data, gapper, np.random.default_rng(seed), n_placebo_groups)
    except MethodError as exc:
        return group_insufficient(method, gp, estimand, str(exc))
    label = (f"generalised synthetic control ({r} factor{'s' if r != 1 else ''}, {data.n_treated} areas, "
             f"{data.n_donors} clean donors), placebo groups of {data.n_treated}")
    return _summarise(method, gp, data, gt, G, pattern, weighting=weighting,
                      label=label, what="its interactive fixed-effects counterfactual",
                      extra_diag={"factors": r, "cv_mspe": cv, "min_pre": min_pre, "n_pre_min": min(n_pre)},
                      warnings=[] if math.isfinite(cv[r] if cv else 0.0) else ["cross-validation failed"])
