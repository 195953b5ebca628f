"""Synthetic control: weights against independent solvers on real data, simulations with known truth.

Real data: preventable cardiovascular mortality (ONS Explore Local Statistics), Wigan
(E08000010) against every upper-tier area, reform start 2011-04-01, so the pre-period is
the eight rolling periods 2001-03 .. 2008-10. Oracles: clarabel (interior-point QP,
tight tolerances) and pysyncon's Synth with a fixed V (both installed for tests only).

Simulations (seeded, simulated data only): a two-factor model
``y_it = mu_i + lambda_i . f_t + 0.3 t + e_it`` with AR(1) factors (rho 0.5), loadings
U(0, 1), idiosyncratic noise SD 1, and a known effect added to the focal area's
post-reform values.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from placeimpact.methods import get_method
from placeimpact.methods.synth import synthetic_control
from placeimpact.panel import build_panel, panel_from_arrays

CVD = "ons-els:preventable-cardiovascular-mortality-england"
WIGAN = "E08000010"


# -- helpers --------------------------------------------------------------------------------
def factor_panel(rng, *, n_donors=19, t_pre=15, t_post=10, effect=0.0, sd=1.0, inside=False, ci=False):
    """Simulated panel (row 0 focal) from the factor model in the module docstring."""
    n, T = n_donors + 1, t_pre + t_post
    e = rng.normal(0, 1, (2, T))
    f = np.empty((2, T))
    f[:, 0] = e[:, 0] / math.sqrt(1 - 0.25)
    for t in range(1, T):
        f[:, t] = 0.5 * f[:, t - 1] + e[:, t]
    lam = rng.uniform(0, 1, (n, 2))
    mu = rng.normal(10, 1, n)
    if inside:  # the focal area at the centre of the donors: the premise of the method
        lam[0], mu[0] = lam[1:].mean(axis=0), mu[1:].mean()
    y = mu[:, None] + lam @ f + 0.3 * np.arange(T) + rng.normal(0, sd, (n, T))
    y[0, t_pre:] += effect
    kw = dict(lci=y - 1.96 * sd, uci=y + 1.96 * sd) if ci else {}
    return panel_from_arrays(y, 2000.5 + np.arange(T), reform_t=2000 + t_pre, **kw)


def qp_simplex(X, y):
    """Oracle: min ||y - X w||^2 on the simplex with clarabel, data centred, tolerances 1e-12."""
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
    s.max_iter = 500
    sol = clarabel.DefaultSolver(P, -2 * Xc.T @ yc, A, np.r_[1.0, np.zeros(n)],
                                 [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(n)], s).solve()
    assert str(sol.status) == "Solved"
    w = np.clip(np.asarray(sol.x), 0, None)
    return w / w.sum()


def loss(X, y, w):
    return float(np.sum((y - X @ w) ** 2))


@pytest.fixture(scope="module")
def cvd_panel(loaded_store):
    return build_panel(loaded_store, indicator=CVD, area=WIGAN, reform_start="2011-04-01")


@pytest.fixture(scope="module")
def cvd_result(cvd_panel):
    return synthetic_control(cvd_panel, donors="all")


# -- real data against independent solvers --------------------------------------------------
def test_pre_period_is_2001_to_2008(cvd_panel):
    labels = np.array(cvd_panel.period_labels)
    assert labels[cvd_panel.pre].tolist() == [f"{y}-01-01/P3Y" for y in range(2001, 2009)]
    assert cvd_panel.n_areas > 100  # every upper-tier area with data


def test_weights_match_clarabel_and_pysyncon(cvd_panel, cvd_result):
    from pysyncon import Synth

    pre = cvd_panel.pre
    X, y = cvd_panel.values[1:, pre].T, cvd_panel.values[0, pre]
    w = np.asarray(cvd_result.series["weights"], float)
    assert list(cvd_result.series["donor_codes"]) == list(cvd_panel.area_codes[1:])
    assert w.min() >= 0 and math.isclose(w.sum(), 1.0, abs_tol=1e-12)

    w_qp = qp_simplex(X, y)
    # pysyncon scales each predictor row by its SD across units; custom_V = SD^2 undoes it (V = identity)
    X0 = pd.DataFrame(X, columns=cvd_panel.area_codes[1:])
    X1 = pd.Series(y, name=WIGAN)
    sd = pd.concat([X0, X1], axis=1).std(axis=1).to_numpy()
    syn = Synth()
    syn.fit(X0=X0, X1=X1, Z0=X0, Z1=X1, custom_V=sd**2)
    w_ps = np.asarray(syn.W, float)

    ours = loss(X, y, w)
    assert_allclose(ours, cvd_result.diagnostics["pre_rmspe"] ** 2 * pre.sum(), rtol=1e-10)
    assert ours <= loss(X, y, w_qp) * (1 + 1e-6)
    assert ours <= loss(X, y, w_ps) * (1 + 1e-6)
    assert_allclose(w, w_qp, atol=1e-5)   # the QP optimum is unique here (tight tolerances)
    assert_allclose(w, w_ps, atol=2e-3)   # SLSQP stops earlier
    # the estimate is the mean post gap of that mix
    post = cvd_panel.post
    gap = cvd_panel.values[0, post] - w_qp @ cvd_panel.values[1:, post]
    assert_allclose(cvd_result.estimate, gap.mean(), atol=1e-4)


def test_placebo_fits_match_clarabel(cvd_panel, cvd_result):
    """Each placebo's donor pool excludes itself and Wigan; its pre-fit is as good as the QP oracle's.

    With 147 donors for 8 pre-periods many placebos are fitted exactly (inside the donors'
    hull) and their weights are not unique; where the fit is not exact the solution is
    unique and the whole gap series must agree.
    """
    pre = cvd_panel.pre
    vals = cvd_panel.values
    codes = list(cvd_result.series["placebo_codes"])
    gaps = np.asarray(cvd_result.series["placebo_gaps"])
    sse = np.sum(gaps[:, pre] ** 2, axis=1)
    pick = np.random.default_rng(7)
    inexact = pick.choice(np.flatnonzero(sse > 1e-2), 5, replace=False)
    exact = pick.choice(np.flatnonzero(sse <= 1e-2), 3, replace=False)
    for j in [*inexact, *exact]:
        row = cvd_panel.area_codes.index(codes[j])
        pool = [i for i in range(1, cvd_panel.n_areas) if i != row]
        X, y = vals[pool][:, pre].T, vals[row, pre]
        w_qp = qp_simplex(X, y)
        assert sse[j] <= loss(X, y, w_qp) * (1 + 1e-6) + 1e-9
        if j in inexact:
            assert_allclose(gaps[j], vals[row] - w_qp @ vals[pool], atol=1e-4)


def test_wigan_result_is_consistent(cvd_panel, cvd_result):
    r = cvd_result
    d = r.diagnostics
    assert r.method == "synthetic_control" and r.area_code == WIGAN
    assert d["n_placebos"] == cvd_panel.n_areas - 1
    # p-values are rank / (N + 1)
    for key in ("p_value_rmspe_ratio", "p_value_mean_gap"):
        assert_allclose(d[key] * (d["n_placebos"] + 1), round(d[key] * (d["n_placebos"] + 1)), atol=1e-9)
    assert_allclose(d["p_value_rmspe_ratio"], d["placebo_rank"] / (d["n_placebos"] + 1))
    assert r.ci_low < r.estimate < r.ci_high
    assert (r.direction == "no_clear_change") == (r.ci_low <= 0 <= r.ci_high)
    assert "association" in r.summary or "no clear sign" in r.summary
    assert d["poor_pre_fit"] is False and d["outside_hull"] is False
    # 148 donors, 8 pre-periods: the fit follows noise, and says so
    assert any("sampling noise" in w for w in r.warnings)
    assert d["loo_low"] <= r.estimate <= d["loo_high"] or d["loo_n"] > 0
    json.dumps(r.to_dict(with_series=True))  # report-ready


def test_registered():
    assert get_method("synthetic_control") is synthetic_control


# -- simulations with known truth -----------------------------------------------------------
def test_recovers_known_effect_and_in_time_placebo_is_zero(rng):
    """True effect 2.0: mean estimate within 2.0 +/- 0.15 over 40 panels, RMSE < 0.6, 95% CIs cover it in >= 85%;
    the in-time placebo (fake start 5 periods early, only pre data) averages within 0 +/- 0.15."""
    est, cover, fake, fake_cover = [], [], [], []
    for _ in range(40):
        r = synthetic_control(factor_panel(rng, n_donors=29, t_pre=20, effect=2.0, inside=True),
                              placebo_k=5, leave_one_out=False)
        est.append(r.estimate)
        cover.append(r.ci_low <= 2.0 <= r.ci_high)
        fake.append(r.diagnostics["placebo_time_estimate"])
        lo, hi = r.diagnostics["placebo_time_ci"]
        fake_cover.append(lo <= 0 <= hi)
    assert abs(np.mean(est) - 2.0) < 0.15
    assert np.sqrt(np.mean((np.array(est) - 2.0) ** 2)) < 0.6   # RMSE; the post-mean noise SD is ~0.35
    assert np.mean(cover) >= 0.85
    assert abs(np.mean(fake)) < 0.15
    assert np.mean(fake_cover) >= 0.85


@pytest.mark.parametrize("ci, inference", [(False, "adh"), (True, "noise_floor")], ids=["adh", "noise-floor"])
def test_placebo_size_on_null_panels(rng, ci, inference):
    """No effect, 19 donors (smallest p 1/20), exchangeable areas: P(p <= 0.05) within 2.5-7.5%."""
    p, p_ratio = [], []
    for _ in range(800):
        r = synthetic_control(factor_panel(rng, ci=ci), in_time_placebo=False, leave_one_out=False,
                              inference=inference)
        p.append(r.p_value)
        p_ratio.append(r.diagnostics["p_value_rmspe_ratio"])
    for vals in (p, p_ratio):
        assert 0.025 <= np.mean(np.array(vals) <= 0.05) <= 0.075


@pytest.mark.parametrize("inside, ci, inference, power", [(True, False, "adh", 0.60), (True, False, "noise_floor", 0.80),
                                                     (False, True, "noise_floor", 0.80)],
                         ids=["centred-adh", "centred-mean-gap", "exchangeable-floor"])
def test_power_for_twice_the_noise_sd(rng, inside, ci, inference, power):
    """Effect 2 x noise SD, 15 pre-points, 10 post, 19 donors: rejected at 5% in >= 80% of 200 panels by the
    mean-gap statistic; ADH's RMSPE ratio (the default since it is the standard test) is less powerful
    against a level shift, which it dilutes with the post-period noise: >= 60% (0.69 at this seed)."""
    p = [synthetic_control(factor_panel(rng, effect=2.0, inside=inside, ci=ci), in_time_placebo=False,
                           leave_one_out=False, inference=inference).p_value for _ in range(200)]
    assert np.mean(np.array(p) <= 0.05) >= power


# -- invariances -----------------------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(-1e3, 1e3), scale=st.floats(0.01, 100))
def test_shift_scale_and_order_invariance(seed, shift, scale):
    """A common shift leaves the gap alone, a common scale scales it, donor order is irrelevant."""
    rng = np.random.default_rng(seed)
    base = factor_panel(rng, n_donors=12, t_pre=10, t_post=4, effect=1.0)
    kw = dict(in_time_placebo=False, leave_one_out=False)
    r0 = synthetic_control(base, **kw)
    y = base.values
    order = np.r_[0, rng.permutation(np.arange(1, y.shape[0]))]
    for vals, factor in ((y + shift, 1.0), (y * scale, scale), (y[order], 1.0)):
        r = synthetic_control(panel_from_arrays(vals, base.t, reform_t=base.reform_t), **kw)
        tol = 1e-6 * (1 + abs(shift) + scale) * np.abs(y).max()
        assert_allclose(r.estimate, r0.estimate * factor, atol=tol)
        assert_allclose(r.p_value, r0.p_value)
