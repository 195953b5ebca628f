"""Trend difference: exact slopes on piecewise-linear series, statsmodels GLS cross-check, real data."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import statsmodels.api as sm
from numpy.testing import assert_allclose

from placeimpact.methods._gls import ar1_corr, averaging_matrix
from placeimpact.methods.its import segmented_design
from placeimpact.methods.trend import trend_difference
from placeimpact.panel import build_panel, panel_from_arrays

CVD = "ons-els:preventable-cardiovascular-mortality-england"
YEARS = np.arange(2001, 2021)
T = YEARS + 0.5
TT = T - 2011.0
POST = YEARS >= 2011


def _piecewise(pre, post, level=0.0):
    return level + np.where(POST, post * TT, pre * TT)


def _panel(rng, noise=1e-4):
    focal = _piecewise(-1.0, 0.5, 40)             # slope change +1.5
    eng = _piecewise(-0.8, -0.3, 35)              # slope change +0.5
    comps = eng + rng.normal(0, 1, (10, YEARS.size))
    vals = np.vstack([focal + rng.normal(0, noise, YEARS.size), comps])
    return panel_from_arrays(vals, T, reform_t=2011.0, england=eng, polarity="low_is_good")


def test_exact_slopes_on_piecewise_lines(rng):
    r = trend_difference(_panel(rng))
    assert_allclose(r.estimate, 1.5 - 0.5, atol=1e-3)
    assert_allclose([r.diagnostics["area_pre_slope"], r.diagnostics["area_post_slope"]], [-1.0, 0.5], atol=1e-3)
    assert_allclose([r.diagnostics["england_pre_slope"], r.diagnostics["england_post_slope"]], [-0.8, -0.3],
                    atol=1e-9)
    assert_allclose(r.diagnostics["post_slope_gap"], 0.5 - (-0.3), atol=1e-3)
    assert r.direction == "worse"   # lower is better and the area's slope rose relative to England's
    assert r.label == "trend worsened relative to England"


def test_matches_statsmodels_gls(rng):
    p = _panel(rng, noise=1.0)
    r = trend_difference(p)
    gap = p.focal_values - p.england_values
    X = segmented_design(p.t, p.post, p.reform_t)
    A = averaging_matrix(p.period_start, p.period_end)
    S = A @ ar1_corr(A.shape[1], np.array([r.diagnostics["rho_annual"]]))[0] @ A.T
    ref = sm.GLS(gap, X, sigma=S).fit()
    assert_allclose(r.estimate, ref.params[3], rtol=1e-9)
    assert_allclose(r.diagnostics["se"], ref.bse[3], rtol=1e-9)
    assert_allclose(r.p_value, ref.pvalues[3], rtol=1e-7)


def test_neighbour_reference_and_fallback(rng):
    p = _panel(rng, noise=1.0)
    r = trend_difference(p, reference="neighbours")
    assert r.diagnostics["reference"] == "neighbours" and "neighbour mean" in r.estimand
    no_eng = dataclasses.replace(p, england_values=np.full(p.n_periods, np.nan))
    f = trend_difference(no_eng)
    assert f.diagnostics["reference"] == "neighbours"
    assert any("England's series is missing" in w for w in f.warnings)
    # after the fallback the estimand names what was actually compared
    assert "neighbour mean" in f.estimand and "England" not in f.estimand


def test_wigan_cvd(loaded_store):
    for cut in (None, "2018-12-31"):
        p = build_panel(loaded_store, indicator=CVD, area="E08000010", reform_start="2011-04-01", cutoff=cut)
        r = trend_difference(p)
        assert math.isfinite(r.estimate) and r.ci_low < r.estimate < r.ci_high
        d = r.diagnostics
        assert_allclose(r.estimate, (d["area_post_slope"] - d["area_pre_slope"])
                        - (d["england_post_slope"] - d["england_pre_slope"]), rtol=1e-9)  # GLS is linear in y
        # published national decline flattened after 2011
        assert d["england_pre_slope"] < d["england_post_slope"] < 0.5
