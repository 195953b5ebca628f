"""Interrupted time series: closed forms, equivariance, classification, statsmodels cross-check, real data."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from placeimpact.methods._gls import ar1_corr, averaging_matrix
from placeimpact.methods.its import classify, interrupted_time_series, segmented_design
from placeimpact.panel import build_panel, panel_from_arrays
from placeimpact.simulate import SMOKING, simulate_panels

CVD = "ons-els:preventable-cardiovascular-mortality-england"


def _annual(rng, *, n_comp=8, level_shift=0.0, polarity="low_is_good"):
    years = np.arange(2000, 2020)
    t = years + 0.5
    tt = t - 2011
    vals = 30 - 0.8 * tt + rng.normal(0, 1, (n_comp + 1, years.size))
    vals[0] += level_shift * (years >= 2011)
    return panel_from_arrays(vals, t, reform_t=2011.0, england=30 - 0.8 * tt, polarity=polarity)


def test_level_shift_equivariance(rng):
    """Adding delta to the focal post-reform values adds exactly delta to the average effect."""
    p = _annual(rng)
    base = interrupted_time_series(p)
    v = p.values.copy()
    v[0, p.post] += 3.0
    shifted = interrupted_time_series(dataclasses.replace(p, values=v))
    assert_allclose(shifted.estimate - base.estimate, 3.0, rtol=1e-9)
    assert_allclose(shifted.ci_high - shifted.ci_low, base.ci_high - base.ci_low, rtol=1e-9)


def test_recovers_a_large_effect_and_classifies_it(rng):
    r = interrupted_time_series(_annual(rng, level_shift=-6.0))  # lower is better: improvement
    assert r.ci_low <= -6.0 <= r.ci_high
    assert r.direction == "better" and r.label == "acceleration"
    assert r.series["counterfactual"].shape == r.series["fitted"].shape == (20,)
    assert "lower is better" in r.summary and "not proof" in r.summary


def test_matches_statsmodels_gls_with_the_reported_rho():
    """Independent path: statsmodels GLS with the same error covariance, real-like simulated panel."""
    sim = simulate_panels(SMOKING, 1, n_pre=12, n_post=8, seed=3)[0]
    p = sim.panel
    r = interrupted_time_series(p, effect="level")
    use = p.pre | p.post
    X = segmented_design(p.t[use], p.post[use], p.reform_t)
    A = averaging_matrix(p.period_start[use], p.period_end[use])
    S = A @ ar1_corr(A.shape[1], np.array([r.diagnostics["rho_annual"]]))[0] @ A.T
    ref = sm.GLS(p.focal_values[use], X, sigma=S).fit()
    assert_allclose(r.estimate, ref.params[2], rtol=1e-9)
    assert_allclose(r.diagnostics["se"], ref.bse[2], rtol=1e-9)
    assert_allclose(r.p_value, ref.pvalues[2], rtol=1e-7)
    assert_allclose(r.diagnostics["slope_change"], ref.params[3], rtol=1e-9)


@pytest.mark.parametrize("direction,pre,post,polarity,label", [
    ("better", -1.0, -2.0, "low_is_good", "acceleration"),
    ("better", 1.0, -0.5, "low_is_good", "trend reversal"),
    ("better", 1.0, 0.5, "low_is_good", "slowed deterioration"),
    ("worse", -1.0, -0.2, "low_is_good", "deterioration"),
    ("better", -1.0, 0.5, "high_is_good", "trend reversal"),
    ("no_clear_change", 1.0, 1.0, "high_is_good", "no detectable change"),
    ("higher", 0.0, 1.0, "no_judgement", "rise relative to trend"),
])
def test_classify(direction, pre, post, polarity, label):
    assert classify(direction, pre, post, polarity) == label


def test_england_controlled_fit_is_the_gap_model(rng):
    p = _annual(rng)
    own = interrupted_time_series(p)
    gap = interrupted_time_series(p, control="england")
    assert_allclose(own.diagnostics["controlled_estimate"], gap.estimate, rtol=1e-12)
    assert "gap from England" in gap.estimand


def test_wigan_cvd_with_and_without_cutoff(loaded_store):
    full = build_panel(loaded_store, indicator=CVD, area="E08000010", reform_start="2011-04-01")
    cut = build_panel(loaded_store, indicator=CVD, area="E08000010", reform_start="2011-04-01", cutoff="2018-12-31")
    rf, rc = interrupted_time_series(full), interrupted_time_series(cut)
    # published periods 2001-03 .. 2008-10 end before April 2011; 2009-11 .. 2011-13 straddle it
    assert (rf.diagnostics["n_pre"], rf.diagnostics["n_post"]) == (8, 11)
    assert (rc.diagnostics["n_pre"], rc.diagnostics["n_post"]) == (8, 5)
    for r in (rf, rc):
        assert math.isfinite(r.estimate) and r.ci_low < r.estimate < r.ci_high
        assert math.isfinite(r.diagnostics["controlled_estimate"])
        assert r.evidence in ("strong", "moderate", "weak", "none")


@pytest.mark.parametrize("n, lags", [(8, 1), (12, 2), (20, 3), (30, 5), (6, 8)])
def test_newey_west_covariance_equals_statsmodels(n, lags):
    # statsmodels is the oracle (test-only import): OLS with HAC errors, Bartlett kernel, small-sample correction
    from placeimpact.methods.its import newey_west_cov

    rng = np.random.default_rng(n * 10 + lags)
    t = np.arange(n, dtype=float)
    X = segmented_design(t, t >= n // 2, n // 2 - 0.5)
    y = 3 + 0.2 * t + np.cumsum(rng.normal(size=n)) * 0.3
    b, cov, df = newey_west_cov(y, X, lags)
    ref = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    np.testing.assert_allclose(b, ref.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-9, atol=1e-12)
    assert df == ref.df_resid
