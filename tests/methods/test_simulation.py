"""Validation by simulation (fixed seeds; simulated data, not real): size, coverage and power.

Panels are drawn by :mod:`placeimpact.simulate` with levels, trends, noise and annual AR(1)
autocorrelation estimated from real series: preventable CVD mortality (three-year rolling
periods, so consecutive values overlap) and adult smoking (annual). Each study draws
N = 1000 null panels and 1000 panels with a level shift of twice the per-period noise SD,
15 comparators, 10 pre-reform and 8 post-reform periods.

Bands. Size: a 5% test should reject 2.5-7.5% of null panels; with N = 1000 the binomial
SE at 5% is 0.69%, so the band is +-3.6 SE. Coverage: 95% intervals should cover the truth
93-97% of the time; it is checked on all 2N panels (SE 0.49%, band +-4 SE). The longer study
(more designs, synthetic control, HAC for comparison) is ``bench/bench_simulation.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from placeimpact.methods import get_method
from placeimpact.simulate import PREVENTABLE_CVD, SMOKING, simulate_panels, true_effect

N = 1000
MINE = ("change_vs_neighbours", "trend_difference", "its", "did")


def _run(params, seed, **design):
    null = simulate_panels(params, N, seed=seed, **design)
    alt = simulate_panels(params, N, effect=2 * params.noise_sd, seed=seed + 1, **design)
    out = {}
    for m in MINE:
        fn = get_method(m)
        res = {key: [fn(s.panel) for s in sims] for key, sims in (("null", null), ("effect", alt))}
        p0 = np.array([r.p_value for r in res["null"]])
        p1 = np.array([r.p_value for r in res["effect"]])
        cover = [r.ci_low <= true_effect(s, m) <= r.ci_high
                 for key, sims in (("null", null), ("effect", alt)) for r, s in zip(res[key], sims)]
        out[m] = {"size": float(np.mean(p0 < 0.05)), "power": float(np.mean(p1 < 0.05)),
                  "coverage": float(np.mean(cover)), "finite": bool(np.isfinite(p0).all() and np.isfinite(p1).all())}
    return out


@pytest.fixture(scope="module")
def cvd_study():
    return _run(PREVENTABLE_CVD, 101, n_pre=10, n_post=8, n_comparators=15)


@pytest.fixture(scope="module")
def smoking_study():
    return _run(SMOKING, 202, n_pre=10, n_post=8, n_comparators=15)


@pytest.mark.slow
@pytest.mark.parametrize("study", ["cvd_study", "smoking_study"], ids=["rolling-overlapping", "annual"])
@pytest.mark.parametrize("method", MINE)
def test_size_and_coverage(study, method, request):
    s = request.getfixturevalue(study)[method]
    assert s["finite"]
    assert 0.025 <= s["size"] <= 0.075, s
    assert 0.93 <= s["coverage"] <= 0.97, s
    if method != "trend_difference":       # its estimand is a slope change: a level shift is its null
        assert s["power"] > s["size"]


@pytest.mark.slow
def test_its_power_at_least_80_percent_with_long_pre_period():
    """A 2-SD level shift, annual smoking-like noise (rho 0.275), 40 pre / 8 post periods, N = 400.

    Closed-form power of the GLS t-test with known rho is 0.87 here. With 15 pre points it is
    only 0.49 (noise this autocorrelated leaves ~0.98 SD of uncertainty in the projected
    trend), so 80% needs the longer series; bench/bench_simulation.py prints both.
    """
    sims = simulate_panels(SMOKING, 400, n_pre=40, n_post=8, n_comparators=5, effect=2 * SMOKING.noise_sd, seed=303)
    fn = get_method("its")
    res = [fn(s.panel) for s in sims]
    power = np.mean([r.p_value < 0.05 for r in res])
    assert power >= 0.80, power
    cover = np.mean([r.ci_low <= true_effect(s, "its") <= r.ci_high for r, s in zip(res, sims)])
    assert 0.92 <= cover <= 0.98, cover      # N = 400: SE 1.1%


@pytest.mark.slow
def test_trend_difference_detects_a_slope_change():
    """Slope change of one noise SD per year (CVD-like, 10 pre / 8 post), N = 400."""
    sims = simulate_panels(PREVENTABLE_CVD, 400, n_pre=10, n_post=8, effect=PREVENTABLE_CVD.noise_sd,
                           effect_kind="slope", seed=404)
    fn = get_method("trend_difference")
    res = [fn(s.panel) for s in sims]
    power = np.mean([r.p_value < 0.05 for r in res])
    assert power >= 0.8, power
    cover = np.mean([r.ci_low <= true_effect(s, "trend_difference") <= r.ci_high for r, s in zip(res, sims)])
    assert 0.92 <= cover <= 0.98, cover
