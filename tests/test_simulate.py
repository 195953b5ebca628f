"""The panel simulator: layout, the injected effect, reproducibility, parameter recovery, stored constants."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

from placeimpact.panel import build_panel
from placeimpact.simulate import (
    MALE_HLE, PREVENTABLE_CVD, SMOKING, SeriesParams, estimate_params, simulate_panels, true_effect,
)


def test_rolling_layout_and_effect_path():
    sim = simulate_panels(PREVENTABLE_CVD, 2, n_pre=6, n_post=5, n_comparators=4, effect=3.0, seed=1)[0]
    p = sim.panel
    assert p.values.shape == (5, 6 + 2 + 5)
    assert (p.pre.sum(), p.transition.sum(), p.post.sum()) == (6, 2, 5)
    assert p.overlapping and p.period_years == 3.0
    assert p.period_labels[0] == "2004.5"          # 2003-05, the first of 6 periods ending by 2010
    assert_allclose(sim.effect_path[p.pre], 0.0)
    assert_allclose(sim.effect_path[p.transition], [1.0, 2.0])   # 2009-11 has one reform year, 2010-12 two
    assert_allclose(sim.effect_path[p.post], 3.0)
    assert true_effect(sim, "its") == pytest.approx(3.0)
    assert true_effect(sim, "trend_difference") == 0.0


def test_slope_effect_and_annual_layout():
    sim = simulate_panels(SMOKING, 1, n_pre=5, n_post=4, effect=0.5, effect_kind="slope", seed=2)[0]
    p = sim.panel
    assert not p.overlapping and (p.pre.sum(), p.post.sum()) == (5, 4)
    assert_allclose(sim.effect_path[p.post], 0.5 * (np.arange(4) + 0.5))
    assert true_effect(sim, "trend_difference") == 0.5
    assert true_effect(sim, "change_vs_neighbours") == pytest.approx(0.5 * 3.5)
    assert np.isfinite(p.lci).all() and np.isfinite(p.england_values).all()


def test_reproducible_and_distinct_seeds():
    a = simulate_panels(MALE_HLE, 3, seed=9)
    b = simulate_panels(MALE_HLE, 3, seed=9)
    c = simulate_panels(MALE_HLE, 3, seed=10)
    assert_allclose(a[2].panel.values, b[2].panel.values)
    assert not np.allclose(a[0].panel.values, c[0].panel.values)


def test_bad_effect_kind():
    with pytest.raises(ValueError, match="effect_kind"):
        simulate_panels(SMOKING, 1, effect_kind="step")


def test_noise_sd_of_rolling_means_closed_form():
    # var of a 3-year mean of AR(1): sigma^2 (3 + 4 rho + 2 rho^2) / 9
    p = dataclasses.replace(PREVENTABLE_CVD, rho=0.5, sigma=2.0)
    assert_allclose(p.noise_sd, 2.0 * np.sqrt((3 + 2 + 0.5) / 9))
    assert SMOKING.noise_sd == SMOKING.sigma


def test_estimate_params_recovers_known_values():
    """300 simulated areas x 22 rolling periods with known parameters (seed 5)."""
    truth = SeriesParams(name="x", polarity="low_is_good", period_years=3, level=40.0, trend=-1.0, level_sd=8.0,
                         trend_sd=0.4, sigma=3.0, rho=0.3, se=2.0)
    sim = simulate_panels(truth, 1, n_pre=10, n_post=10, n_comparators=299, seed=5)[0]
    est = estimate_params(sim.panel)
    assert abs(est.rho - 0.3) <= 0.06
    assert_allclose(est.sigma, 3.0, rtol=0.06)
    assert_allclose(est.trend_sd, 0.4, rtol=0.15)
    assert_allclose(est.level_sd, 8.0, rtol=0.15)
    assert_allclose(est.trend, -1.0, atol=0.1)


@pytest.mark.parametrize("params,indicator", [
    (PREVENTABLE_CVD, "ons-els:preventable-cardiovascular-mortality-england"),
    (MALE_HLE, "ons-els:male-healthy-life-expectancy"),
    (SMOKING, "ons-els:adults-that-currently-smoke-cigarettes"),
])
def test_stored_constants_come_from_the_real_series(loaded_store, params, indicator):
    """The constants in simulate.py are what estimate_params gives on the real data (as their comment says)."""
    p = build_panel(loaded_store, indicator=indicator, area="E08000010", reform_start="2011-04-01")
    est = estimate_params(p)
    for f in ("level", "trend", "level_sd", "trend_sd", "sigma", "se"):
        assert_allclose(getattr(est, f), getattr(params, f), rtol=0.02, atol=0.002, err_msg=f)
    assert abs(est.rho - params.rho) <= 0.025
    assert est.period_years == params.period_years
