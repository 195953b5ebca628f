"""Conformal synthetic control, ridge-augmented and de-meaned synthetic controls.

Oracles: pysyncon's ``AugSynth`` (the augsynth R package's ridge ASCM, installed for tests
only) for the augmented estimate and its cross-validated lambda; clarabel (interior-point
QP) for an independent refit behind one conformal p-value; a hand case for the de-meaned
estimator. Simulations (seeded; simulated data only) check the size and coverage bands of
the issue on the two-factor design of :func:`placeimpact.simulate.simulate_factor_panels`
with 5, 8, 10 and 15 pre-periods (10 post), and that the methods refuse to grade where the
test cannot hold (fewer than 20 periods; rolling periods thinned). Replications are modest
(N = 100 null + 100 effect panels per design);
``bench/bench_simulation.py`` runs more.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placeimpact.errors import MethodError
from placeimpact.methods import METHOD_TITLES, METHODS, get_method
from placeimpact.methods.conformal import (_pvals, _perms, augmented_synthetic_control, conformal_synthetic_control,
                                           conformal_test, demeaned_synthetic_control, min_attainable_p)
from placeimpact.panel import panel_from_arrays
from placeimpact.simulate import PARAMS, operating_characteristics, simulate_factor_panels, simulate_panels

NEW = ("conformal_synthetic_control", "augmented_synthetic_control", "demeaned_synthetic_control")
QUICK = dict(per_period=False)


def qp_simplex(X, y):
    """Oracle: min ||y - X w||^2 on the simplex with clarabel (tolerances 1e-12)."""
    import clarabel
    import scipy.sparse as sp

    c = X.mean(axis=1)
    Xc, yc = X - c[:, None], y - c
    n = X.shape[1]
    P = sp.csc_matrix(np.triu(2 * Xc.T @ Xc))
    A = sp.csc_matrix(np.vstack([np.ones((1, n)), -np.eye(n)]))
    s = clarabel.DefaultSettings()
    s.verbose = False
    for name in ("tol_gap_abs", "tol_gap_rel", "tol_feas", "tol_ktratio"):
        setattr(s, name, 1e-12)
    sol = clarabel.DefaultSolver(P, -2 * Xc.T @ yc, A, np.r_[1.0, np.zeros(n)],
                                 [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(n)], s).solve()
    w = np.clip(np.asarray(sol.x), 0, None)
    return w / w.sum()


# -- registry ---------------------------------------------------------------------------------
def test_registered_with_readable_names():
    for name in NEW:
        assert name in METHODS and METHOD_TITLES[name]
    assert get_method("augmented_synthetic_control") is augmented_synthetic_control
    assert set(METHOD_TITLES) == set(METHODS)


# -- point estimates against a peer and hand cases ---------------------------------------------
@pytest.mark.parametrize("seed", [3, 4])
def test_augmented_matches_pysyncon_augsynth(seed):
    """Ridge ASCM: same cross-validated lambda, weights and estimate as pysyncon's AugSynth (augsynth's rule)."""
    from pysyncon import AugSynth, Dataprep

    sims = simulate_factor_panels(1, n_pre=14, n_post=6, n_donors=12, effect=1.0, seed=seed)
    p = sims[0].panel
    y = p.values
    T = y.shape[1]
    df = pd.DataFrame([(u, t, y[u, t]) for u in range(y.shape[0]) for t in range(T)], columns=["unit", "time", "y"])
    pre = list(range(14))
    dp = Dataprep(foo=df, predictors=[], predictors_op="mean", dependent="y", unit_variable="unit",
                  time_variable="time", treatment_identifier=0, controls_identifier=list(range(1, y.shape[0])),
                  time_predictors_prior=pre, time_optimize_ssr=pre)
    a = AugSynth()
    a.fit(dataprep=dp, use_covariates=False)
    w = np.asarray(a.W, float)
    r = augmented_synthetic_control(p, **QUICK)
    assert_allclose(r.diagnostics["lambda"], a.lambda_, rtol=1e-9)
    assert_allclose(r.series["weights"], w, atol=1e-6)
    assert_allclose(r.estimate, np.mean(y[0, 14:] - w @ y[1:, 14:]), atol=1e-6)
    assert_allclose(np.sum(r.series["weights"]), 1.0, atol=1e-9)       # ridge weights sum to zero


def test_demeaned_hand_case(rng):
    """Focal = donor 1 + 5 before the reform, + 5 + 2 after: the de-meaned SC puts all weight on donor 1 and
    estimates exactly 2; the plain synthetic control cannot match the level (donor 1 is the highest)."""
    T, t_pre = 24, 14
    y = rng.normal(10, 1, (8, T)) + np.linspace(0, 3, T)
    y[1] += 3
    y[0] = y[1] + 5.0
    y[0, t_pre:] += 2.0
    p = panel_from_arrays(y, 2000.5 + np.arange(T), reform_t=2000 + t_pre)
    r = demeaned_synthetic_control(p, **QUICK)
    assert_allclose(r.series["weights"][0], 1.0, atol=1e-9)
    assert_allclose(r.estimate, 2.0, atol=1e-9)
    assert abs(conformal_synthetic_control(p, **QUICK).estimate - 2.0) > 1.0


def test_conformal_p_value_equals_an_independent_refit(rng):
    """At theta, refit the synthetic control on all periods with clarabel and count cyclic shifts by hand."""
    sim = simulate_factor_panels(1, n_pre=14, n_post=8, n_donors=9, effect=1.5, seed=9)[0].panel
    y, post = sim.values, sim.post
    for theta in (0.0, 1.0, 3.0):
        t = conformal_test(y[1:], y[0], post, "synthetic_control")
        if theta:
            t = conformal_test(y[1:], y[0] - theta * post, post, "synthetic_control")
        target = y[0] - theta * post
        w = qp_simplex(y[1:].T, target)
        u = target - w @ y[1:]
        T = u.size
        pos = np.flatnonzero(post)
        stats_ = [abs(u[(pos + j) % T].mean()) for j in range(T)]
        p_hand = np.mean(np.array(stats_) >= stats_[0] - 1e-9)
        assert_allclose(t.p_value, p_hand)


def test_interval_inverts_the_test():
    sim = simulate_factor_panels(1, n_pre=15, n_post=10, effect=2.0, seed=12)[0].panel
    y, post = sim.values, sim.post
    for est in ("synthetic_control", "ridge_augmented", "demeaned"):
        lam = 50.0 if est == "ridge_augmented" else 0.0
        t = conformal_test(y[1:], y[0], post, est, lam=lam)
        assert math.isfinite(t.ci_low) and t.ci_low < t.ci_high
        width = t.ci_high - t.ci_low
        for theta, rejected in ((t.ci_low, False), (t.ci_high, False),
                                (t.ci_low - 0.05 * width, True), (t.ci_high + 0.05 * width, True)):
            p = conformal_test(y[1:], y[0] - theta * post, post, est, lam=lam).p_value
            assert (p <= 0.05) is rejected, (est, theta, p)
        assert (t.ci_low <= 0 <= t.ci_high) == (t.p_value > 0.05)


def test_moving_block_permutations_are_cyclic_shifts():
    idx = _perms(5, np.array([3, 4]), "moving_block", 0)
    assert idx.tolist() == [[3, 4], [4, 0], [0, 1], [1, 2], [2, 3]]
    R = np.array([[0.0, 0.1, -0.1, 2.0, 2.0]])
    assert_allclose(_pvals(R, idx), [1 / 5])


# -- when it holds, and refusing below ----------------------------------------------------------
@pytest.mark.parametrize("name", NEW)
def test_refuses_to_grade_below_twenty_periods(name):
    p = simulate_factor_panels(1, n_pre=8, n_post=10, effect=5.0, seed=1)[0].panel
    r = get_method(name)(p, **QUICK)
    assert r.evidence == "insufficient" and math.isnan(r.p_value) and math.isnan(r.estimate)
    assert r.label == "not graded: 18 periods, needs 20" and r.direction == "not_assessed"
    assert any("not graded below 10 pre-reform periods" in w for w in r.warnings)
    assert math.isfinite(r.diagnostics["ungraded_estimate"])      # the gap is still there, ungraded


def test_demeaned_needs_unequal_windows_at_twenty_periods():
    """De-meaned residuals sum to zero, so with 10 pre and 10 post the mirror block always ties: p >= 2/20."""
    assert min_attainable_p(10, 10, "demeaned") == pytest.approx(0.1)
    assert min_attainable_p(11, 10, "demeaned") == pytest.approx(1 / 21)
    p = simulate_factor_panels(1, n_pre=10, n_post=10, seed=2)[0].panel
    r = demeaned_synthetic_control(p, **QUICK)
    assert r.evidence == "insufficient" and any("different from the post-period count" in w for w in r.warnings)


def test_rolling_periods_are_thinned():
    """Three-year rolling periods overlap; the test uses every third period only, and says so."""
    sim = simulate_panels(PARAMS["cvd"], 1, n_pre=10, n_post=10, seed=3)[0].panel
    r = conformal_synthetic_control(sim, **QUICK)
    assert r.diagnostics["thinning"] == 3 and r.diagnostics["n_periods"] == 8
    assert r.evidence == "insufficient" and any("every third period" in w for w in r.warnings)


def test_bad_options():
    p = simulate_factor_panels(1, n_pre=15, n_post=10, seed=2)[0].panel
    with pytest.raises(MethodError, match="permutations"):
        conformal_synthetic_control(p, permutations="bootstrap")
    with pytest.raises(MethodError, match="lam must be"):
        augmented_synthetic_control(p, lam=-1.0)


def test_result_is_consistent_and_json_ready():
    import json

    p = simulate_factor_panels(1, n_pre=19, n_post=6, effect=4.0, seed=5)[0].panel
    for name in NEW:
        r = get_method(name)(p)
        assert r.ci_low <= r.estimate <= r.ci_high
        assert (r.direction == "no_clear_change") == (r.p_value > 0.05)
        assert len(r.series["ci_low_t"]) == 6 and np.all(np.isfinite(r.series["ci_low_t"]))  # 19 pre: 1/20
        assert math.isfinite(r.mde) and r.mde > 0
        json.dumps(r.to_dict(with_series=True))
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.estimate = 0.0  # type: ignore[misc]


# -- simulation bands ----------------------------------------------------------------------------
N = 100


@pytest.fixture(scope="module")
def factor_designs():
    return {n_pre: (simulate_factor_panels(N, n_pre=n_pre, n_post=10, seed=100 + n_pre),
                    simulate_factor_panels(N, n_pre=n_pre, n_post=10, effect=2.0, seed=200 + n_pre))
            for n_pre in (5, 8, 10, 15)}


@pytest.mark.parametrize("name", NEW)
def test_size_and_coverage_bands_on_the_factor_design(factor_designs, name):
    """5 and 8 pre-periods (15, 18 in all): not graded. 10 and 15 (where graded): size 2.5-7.5% and coverage
    93-97% over the graded designs pooled (2 x 100 null panels: SE 1.5%); each design alone, size <= 10%.
    bench/bench_simulation.py prints each design alone with more panels (--sc-n)."""
    rej, cov, n = 0.0, 0.0, 0
    for n_pre, (null, alt) in factor_designs.items():
        sub = (null[: N // 6], alt[: N // 6]) if n_pre < 10 else (null, alt)     # refusals are cheap to check
        oc = operating_characteristics(name, *sub, **QUICK)
        if n_pre + 10 < 20 or (name == "demeaned_synthetic_control" and n_pre == 10):
            assert oc["n_graded"] == 0, (n_pre, oc)
            continue
        assert oc["n_graded"] == 2 * N
        assert oc["size"] <= 0.10 and oc["coverage"] >= 0.90, (n_pre, oc)
        assert oc["power"] > 2 * oc["size"], (n_pre, oc)
        rej, cov, n = rej + oc["size"] * N, cov + oc["coverage"] * 2 * N, n + N
    assert 0.025 <= rej / n <= 0.075, rej / n
    assert 0.93 <= cov / (2 * n) <= 0.97, cov / (2 * n)


def test_a_trending_pre_reform_gap_is_flagged_and_downgraded():
    """The focal area drifts away from every donor before the reform: permutations of time are then too liberal,
    so the result says so and its evidence drops a level."""
    p = simulate_factor_panels(1, n_pre=15, n_post=10, effect=0.0, seed=8)[0].panel
    y = p.values.copy()
    y[0] += 0.4 * np.arange(y.shape[1])
    r = conformal_synthetic_control(dataclasses.replace(p, values=y), **QUICK)
    assert r.diagnostics["pre_gap_slope_p"] < 0.10
    assert any("pre-reform gap trends" in w for w in r.warnings)
    from placeimpact.methods._common import grade
    assert r.evidence == grade(r.p_value, 1) or r.evidence == "weak"
