"""Change against neighbours: ranks, SEs from CIs, distinguishability, polarity, real Wigan values."""

from __future__ import annotations

import math

import numpy as np
from numpy.testing import assert_allclose
from scipy import stats

from placeimpact.methods.change import change_vs_neighbours
from placeimpact.panel import build_panel, panel_from_arrays

CVD = "ons-els:preventable-cardiovascular-mortality-england"
Z = stats.norm.ppf(0.975)

# 5 areas x 4 annual periods (2009..2012), reform 2011: baseline 2010, latest 2012
V = np.array([
    [50.0, 48.0, 45.0, 40.0],   # focal: 48 -> 40, change -8
    [52.0, 51.0, 50.0, 49.0],   # -2
    [47.0, 46.0, 44.0, 43.0],   # -3
    [55.0, 53.0, 45.0, 42.0],   # -11
    [49.0, 49.0, 48.0, 48.0],   # -1
])
SE = np.array([1.0, 1.0, 3.0, 1.0, 2.0])[:, None] * np.ones((1, 4))
T = np.arange(2009, 2013) + 0.5


def _panel(polarity="low_is_good", with_ci=True, values=V):
    ci = {"lci": values - Z * SE, "uci": values + Z * SE} if with_ci else {}
    return panel_from_arrays(values, T, reform_t=2011.0, polarity=polarity, **ci)


def test_rank_and_estimate_by_hand():
    r = change_vs_neighbours(_panel())
    comps = np.array([-2.0, -3.0, -11.0, -1.0])
    assert_allclose(r.diagnostics["focal_change"], -8.0)
    assert_allclose(r.estimate, -8.0 - comps.mean())
    # lower is better: the focal fall of 8 beats falls of 2, 3 and 1, not the fall of 11
    assert r.label == "did better than 3 of 4 comparators"
    assert r.diagnostics["rank"] == 2
    se = comps.std(ddof=1) * math.sqrt(1 + 1 / 4)
    assert_allclose(r.p_value, 2 * stats.t.sf(abs(r.estimate) / se, 3), rtol=1e-9)


def test_se_from_cis_and_distinguishability():
    r = change_vs_neighbours(_panel())
    assert_allclose(r.diagnostics["focal_change_se"], math.sqrt(1 + 1))
    # z against each comparator: (-8 - c) / sqrt(2 + 2 s_j^2)
    z = (-8.0 - np.array([-2.0, -3.0, -11.0, -1.0])) / np.sqrt(2 + 2 * np.array([1.0, 9.0, 1.0, 4.0]))
    better = int(np.sum((np.abs(z) > Z) & (z < 0)))
    worse = int(np.sum((np.abs(z) > Z) & (z > 0)))
    assert (r.diagnostics["n_distinguishably_better"], r.diagnostics["n_distinguishably_worse"]) == (better, worse)
    assert (better, worse) == (2, 0)


def test_polarity_reverses_the_ranking():
    r = change_vs_neighbours(_panel(polarity="high_is_good"))
    assert r.label == "did better than 1 of 4 comparators"
    n = change_vs_neighbours(_panel(polarity="no_judgement"))
    assert n.label == "rose more than 1 of 4 comparators"


def test_window_means():
    r = change_vs_neighbours(_panel(), baseline="mean", endpoint="mean")
    assert_allclose(r.diagnostics["focal_change"], (45 + 40) / 2 - (50 + 48) / 2)
    assert_allclose(r.diagnostics["focal_change_se"], math.sqrt(2 / 4 + 2 / 4))


def test_without_cis_says_so():
    r = change_vs_neighbours(_panel(with_ci=False))
    assert math.isfinite(r.estimate) and r.diagnostics["n_with_ci"] == 0
    assert any("no confidence intervals" in w for w in r.warnings)


def test_wigan_cvd_change_equals_published_values(loaded_store, published_cvd):
    p = build_panel(loaded_store, indicator=CVD, area="E08000010", reform_start="2011-04-01", cutoff="2018-12-31")
    r = change_vs_neighbours(p)
    before = published_cvd("E08000010", "2008-01-01/P3Y")
    after = published_cvd("E08000010", "2016-01-01/P3Y")
    assert_allclose(r.diagnostics["focal_change"], after[0] - before[0], rtol=1e-12)
    se = math.hypot((before[2] - before[1]) / (2 * Z), (after[2] - after[1]) / (2 * Z))
    assert_allclose(r.diagnostics["focal_change_se"], se, rtol=1e-9)
    assert "2008-10 and 2016-18" in r.summary and "lower is better" in r.summary
