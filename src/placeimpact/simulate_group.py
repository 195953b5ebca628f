"""Seeded simulation of treated groups with staggered starts and heterogeneous effects (validation only).

Every panel made here is SIMULATED: it validates the group methods (size, coverage, bias) on
designs with known truth and is never presented as real data.

Design (:func:`simulate_group`): ``n_treated`` treated areas and ``n_donors`` never-treated
areas over ``n_pre + n_post`` annual periods; outcome = area effect + period effect (a common
trend with shocks) + optional area-specific factor loading x common factor + AR(1) noise.
Treated area ``i`` starts at one of ``n_cohorts`` staggered dates; its effect at event time
``e >= 0`` is ``tau_i + growth_i * e`` (heterogeneous in level and in growth), zero before.
The truth returned is the sample average effect the methods target: each area's mean effect
over its own post periods, and their equal-weight mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .group_panel import GroupPanel, group_panel_from_arrays

__all__ = ["GroupTruth", "simulate_group"]


@dataclass(frozen=True)
class GroupTruth:
    """The effects a simulated group was given (the truth the estimators are checked against)."""
    overall: float
    per_area: np.ndarray
    effects: np.ndarray     # (n_treated, T) true effect in each cell


def simulate_group(rng: np.random.Generator, *, n_treated: int = 5, n_donors: int = 40, n_pre: int = 8,
                   n_post: int = 5, n_cohorts: int = 3, effect: float = 0.0, heterogeneity: float = 0.0,
                   growth: float = 0.0, rho: float = 0.3, sigma: float = 1.0, factor: float = 0.0,
                   first_year: int = 2005) -> tuple[GroupPanel, GroupTruth]:
    """A simulated group panel (SIMULATED DATA) and the true effects.

    Cohort ``c`` (0..n_cohorts-1) starts ``c`` periods after the first post period; the last
    cohort keeps at least one post period, the first keeps ``n_pre`` pre periods.
    """
    n = n_treated + n_donors
    T = n_pre + n_post
    t = first_year + np.arange(T) + 0.5
    alpha = rng.normal(0, 3, size=n)
    lam = np.cumsum(rng.normal(0.2, 0.5, size=T))
    e = np.empty((n, T))
    e[:, 0] = rng.normal(0, sigma / np.sqrt(1 - rho ** 2), size=n)
    for j in range(1, T):
        e[:, j] = rho * e[:, j - 1] + rng.normal(0, sigma, size=n)
    Y = alpha[:, None] + lam[None, :] + e
    if factor:
        f = np.cumsum(rng.normal(0, 1, size=T))
        load = rng.normal(0, factor, size=n)
        Y += load[:, None] * f[None, :]
    n_cohorts = max(1, min(n_cohorts, n_post))
    cohort = rng.integers(0, n_cohorts, size=n_treated)
    first_post = n_pre + cohort
    tau = effect + heterogeneity * rng.normal(size=n_treated)
    g = growth * np.abs(rng.normal(1, 0.5, size=n_treated))
    eff = np.zeros((n_treated, T))
    for i in range(n_treated):
        k = np.arange(T) - first_post[i]
        eff[i] = np.where(k >= 0, tau[i] + g[i] * np.maximum(k, 0), 0.0)
    Y[:n_treated] += eff
    starts_t = first_year + first_post.astype(float)
    gp = group_panel_from_arrays(Y, t, n_treated=n_treated, starts_t=starts_t.tolist(), indicator_id="simulated")
    per = np.array([eff[i, first_post[i]:].mean() for i in range(n_treated)])
    return gp, GroupTruth(overall=float(per.mean()), per_area=per, effects=eff)
