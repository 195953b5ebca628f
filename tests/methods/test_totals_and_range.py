"""Totals are not compared with England's total, and ITS projections that leave the possible range are flagged.

Simulated panels (said so) are built with :func:`placeimpact.panel.panel_from_arrays`:
totals are areas of different sizes sharing a national path, with England the total of
many more areas; range checks use rates and percentages whose pre-reform line, extended,
leaves [0, 100]. Real-data checks use the session store loaded from ../shared/data.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from placeimpact.methods._common import is_total, possible_range, size_note, size_scale
from placeimpact.methods.change import change_vs_neighbours
from placeimpact.methods.did import difference_in_differences
from placeimpact.methods.its import interrupted_time_series
from placeimpact.methods.trend import trend_difference
from placeimpact.panel import build_panel, panel_from_arrays

CVD = "ons-els:preventable-cardiovascular-mortality-england"
AIR = "ons-els:air-pollution-regulating"
WIGAN = "E08000010"
LEVELS = ("strong", "moderate", "weak", "none")
YEARS = np.arange(2001, 2021)
T = YEARS + 0.5
TT = T - 2011.0


def _national():
    """A national path: growth of 3% a year, then at the reform a 10% step down and a 4% yearly decline."""
    return 100 * np.exp(np.where(TT < 0, 0.03 * TT, -0.04 * TT)) * np.where(TT > 0, 0.9, 1.0)


def _totals(rng, *, effect_slope=0.0, n=30, england_share=200.0, noise=0.005, unit="in £ millions, 2024 prices",
            value_type="count"):
    """Totals of ``n`` areas of sizes 0.5-3 (focal 1) on the national path; England is ``england_share`` times it."""
    g = _national()
    size = rng.uniform(0.5, 3.0, n)
    size[0] = 1.0
    v = size[:, None] * g[None, :] * (1 + rng.normal(0, noise, (n, T.size)))
    v[0] += effect_slope * np.clip(TT, 0, None)
    p = panel_from_arrays(v, T, reform_t=2011.0, england=england_share * g, value_type=value_type)
    return dataclasses.replace(p, unit=unit)


def _as_mean(p):
    """The same panel read as an intensive quantity (the behaviour before totals were recognised)."""
    return dataclasses.replace(p, value_type="mean", unit="")


# -- what a total is -----------------------------------------------------------------------------

@pytest.mark.parametrize("value_type,unit,expected", [
    ("count", "people", True), ("count", "number of enterprises", True), ("count", "", True),
    ("mean", "in £ millions, 2024 prices", True),       # stores loaded before totals were classified
    ("count", "per 10,000 population", False),          # a rate misfiled as a count
    ("mean", "£", False), ("proportion", "%", False), ("crude_rate", "per 100,000 population", False),
    ("mean", "tCO2e per capita", False), ("ratio", "affordability ratio", False),
])
def test_is_total(value_type, unit, expected):
    p = dataclasses.replace(panel_from_arrays(np.ones((2, 4)), [1, 2, 3, 4], reform_t=2.5), value_type=value_type,
                            unit=unit)
    assert is_total(p) is expected


def test_size_scale_is_the_ratio_of_pre_reform_sums():
    rows = np.array([[1.0, 2.0, 3.0, 9.0], [1.0, np.nan, 5.0, 9.0], [-1.0, -1.0, -1.0, 0.0]])
    ref = np.array([10.0, 20.0, 30.0, 40.0])
    pre = np.array([True, True, True, False])
    assert_allclose(size_scale(rows, ref, pre), [6 / 60, 6 / 40, np.nan])


# -- trend difference ------------------------------------------------------------------------------

def test_trend_difference_compares_a_total_with_england_at_the_areas_share(rng):
    p = _totals(rng)
    r = trend_difference(p)
    naive = trend_difference(_as_mean(p))
    # England's total changed slope by about -1,400 a year; the area (0.5% of it) by about -7
    assert abs(naive.estimate) > 500
    assert r.ci_low <= 0 <= r.ci_high and abs(r.estimate) < 0.3
    assert r.diagnostics["total"] and r.diagnostics["reference_scale"] == pytest.approx(1 / 200, rel=0.01)
    assert any("England's total is not comparable" in w for w in r.warnings)
    assert "a total that scales with the area's size" in r.summary and "pre-reform share" in r.summary
    assert "rescaled" in r.estimand and r.label == "no clear difference from scaled England's trend change"
    # the reference lines in the series are at the area's size
    assert_allclose(r.series["england_observed"][0], p.england_values[0] * r.diagnostics["reference_scale"])


def test_trend_difference_recovers_a_slope_change_in_a_total(rng):
    r = trend_difference(_totals(rng, effect_slope=0.5))
    assert r.estimate == pytest.approx(0.5, abs=0.25) and r.ci_low > 0


def test_trend_difference_neighbour_reference_for_a_total_is_rescaled(rng):
    p = _totals(rng)
    r = trend_difference(p, reference="neighbours")
    assert abs(r.estimate) < 0.3 and r.ci_low <= 0 <= r.ci_high
    assert abs(trend_difference(_as_mean(p), reference="neighbours").estimate) > 2
    assert any("comparator mean's total is not comparable" in w for w in r.warnings)


def test_total_without_a_positive_pre_reform_share_is_insufficient(rng):
    p = _totals(rng)
    neg = dataclasses.replace(p, england_values=-p.england_values)
    r = trend_difference(neg)
    assert r.evidence == "insufficient" and "total" in r.summary and "comparable" in r.summary
    c = interrupted_time_series(neg, control="england")
    assert c.evidence == "insufficient" and "use control='none'" in c.summary
    own = interrupted_time_series(neg)
    assert math.isfinite(own.estimate) and "controlled_estimate" not in own.diagnostics


# -- ITS, England-controlled ------------------------------------------------------------------------

def test_its_england_control_of_a_total_uses_the_areas_share(rng):
    p = _totals(rng, effect_slope=0.5)
    gap = interrupted_time_series(p, control="england")
    own = interrupted_time_series(p)
    # average post-reform effect of a 0.5 a year slope change: 0.5 * mean(t_post - t0) = 2.25
    assert gap.estimate == pytest.approx(2.25, abs=0.5) and gap.ci_low > 0
    assert abs(interrupted_time_series(_as_mean(p), control="england").estimate) > 100
    assert_allclose(own.diagnostics["controlled_estimate"], gap.estimate, rtol=1e-12)
    assert gap.diagnostics["england_scale"] == pytest.approx(1 / 200, rel=0.01)
    assert any("England's total is not comparable" in w for w in gap.warnings)
    assert "rescaled" in gap.estimand and "pre-reform share" in gap.summary


# -- change and DiD: a size mismatch is said -------------------------------------------------------

def test_change_and_did_flag_a_total_among_comparators_of_another_size(rng):
    p = _totals(rng)
    v = p.values.copy()
    v[0] *= 5                                                # the focal area five times the usual size
    big = dataclasses.replace(p, values=v)
    for method in (change_vs_neighbours, difference_in_differences):
        w = method(big).warnings
        assert any("times the comparators' mean size" in x for x in w), method
        assert not any("comparators' mean size" in x for x in method(_as_mean(big)).warnings)
    same = np.vstack([p.values[:1], np.repeat(p.values[:1], 5, axis=0)])
    assert size_note(p, same[0], same[1:], p.pre) is None


# -- ITS projection leaving the possible range ----------------------------------------------------

def _falling_rate(rng, value_type="crude_rate", unit="per 100,000 population"):
    """A rate falling 4 a year to the reform, then flat near 38: the line extended crosses zero in 2021."""
    years = np.arange(2001, 2025)
    t = years + 0.5
    tt = t - 2011.0
    base = np.where(tt < 0, 40 - 4 * tt, 38 - 0.3 * tt)
    v = base + rng.normal(0, 0.8, (12, years.size))
    p = panel_from_arrays(v, t, reform_t=2011.0, england=60 - tt, polarity="low_is_good", value_type=value_type)
    return dataclasses.replace(p, unit=unit)


def _drops(worse: str, better: str) -> int:
    return LEVELS.index(worse) - LEVELS.index(better)


def test_projection_below_zero_is_flagged_and_costs_one_level(rng):
    p = _falling_rate(rng)
    r = interrupted_time_series(p)
    free = interrupted_time_series(_as_mean(p))            # no bounds known: no range check
    assert (r.estimate, r.ci_low, r.ci_high, r.p_value) == (free.estimate, free.ci_low, free.ci_high, free.p_value)
    msg = [w for w in r.warnings if "falls below zero" in w]
    assert msg and "by 2021:" in msg[0] and "overstates the departure" in msg[0]
    assert not any("falls below zero" in w for w in free.warnings)
    assert r.diagnostics["counterfactual_leaves_range"] == "2021.5"
    assert free.evidence in ("strong", "moderate") and _drops(r.evidence, free.evidence) == 1
    cf = r.series["counterfactual"]
    assert cf[p.period_labels.index("2020.5")] >= 0 > cf[p.period_labels.index("2021.5")]


def test_projection_check_in_the_england_controlled_fit(rng):
    p = _falling_rate(rng)
    flat = dataclasses.replace(p, england_values=np.full(p.n_periods, 30.0))  # England flat: the gap carries the fall
    r = interrupted_time_series(flat, control="england")
    assert any(w.startswith("England's series plus the gap line") and "falls below zero by 2021" in w
               for w in r.warnings)


def test_a_negative_value_anywhere_lifts_the_floor(rng):
    p = _falling_rate(rng)
    v = p.values.copy()
    v[3, 0] = -1.0                                          # a net quantity: negative values happen
    q = dataclasses.replace(p, values=v)
    assert possible_range(q) == (-math.inf, math.inf)
    assert not any("falls below zero" in w for w in interrupted_time_series(q).warnings)


@pytest.mark.parametrize("value_type,unit,top,words", [
    ("proportion", "%", 100.0, "rises above 100% by"),
    ("proportion", "proportion (0 to 1)", 1.0, "rises above 1, the top of its scale, by"),
    ("mean", "score out of 10", 10.0, "rises above 10, the top of its scale, by"),
])
def test_projection_above_the_top_of_the_scale(rng, value_type, unit, top, words):
    years = np.arange(2001, 2025)
    t = years + 0.5
    tt = t - 2011.0
    base = top * np.where(tt < 0, 0.8 + 0.03 * tt, 0.78)    # rising 3% of the scale a year, then flat
    v = base + rng.normal(0, 0.005 * top, (10, years.size))
    p = dataclasses.replace(panel_from_arrays(v, t, reform_t=2011.0, england=base, value_type=value_type), unit=unit)
    assert possible_range(p) == (0.0, top)
    r = interrupted_time_series(p)
    assert any(words in w for w in r.warnings), r.warnings


def test_post_window_longer_than_pre_window_is_noted_without_a_downgrade(rng):
    years = np.arange(2006, 2025)
    t = years + 0.5
    v = 30 + rng.normal(0, 1, (10, years.size))
    p = panel_from_arrays(v, t, reform_t=2011.0, england=np.full(years.size, 30.0))
    r = interrupted_time_series(p)
    assert any("post-reform window (14 years) is longer than the pre-reform window (5 years)" in w
               for w in r.warnings)
    assert_allclose([r.diagnostics["pre_window_years"], r.diagnostics["post_window_years"]], [5, 14], atol=0.01)
    # same pre window, post window shorter: no note; the grade is the p-value's with the same other caveats
    short = panel_from_arrays(v[:, :10], t[:10], reform_t=2011.0, england=np.full(10, 30.0))
    assert not any("post-reform window" in w for w in interrupted_time_series(short).warnings)


# -- real data --------------------------------------------------------------------------------------

def test_wigan_cvd_projection_below_zero_downgrades_its(loaded_store):
    """Pre-reform slope about -5.2 a year: extended from 2001-10, the line is below zero by 2018-20."""
    p = build_panel(loaded_store, indicator=CVD, area=WIGAN, reform_start="2011")
    r = interrupted_time_series(p)
    assert r.diagnostics["pre_slope"] == pytest.approx(-5.23, abs=0.1)
    msg = [w for w in r.warnings if "falls below zero" in w]
    assert msg and "by 2018-20" in msg[0]
    assert any("post-reform window (14 years) is longer than the pre-reform window (10 years)" in w
               for w in r.warnings)
    free = interrupted_time_series(dataclasses.replace(p, value_type="mean"))
    assert r.p_value == free.p_value and r.estimate == free.estimate
    assert r.evidence == "weak" and free.evidence == "moderate"


def test_wigan_air_pollution_total_is_not_compared_with_englands_total(loaded_store):
    p = build_panel(loaded_store, indicator=AIR, area=WIGAN, reform_start="2011")
    assert p.value_type == "count" and is_total(p)
    r = trend_difference(p)
    share = np.nansum(p.focal_values[p.pre]) / np.nansum(p.england_values[p.pre])
    assert r.diagnostics["reference_scale"] == pytest.approx(share, rel=1e-12)
    assert 0.001 < share < 0.02                                # Wigan is well under 2% of England
    # compared with England's own total the slope change was about -43 (GBP m a year); at Wigan's share it is small
    assert abs(trend_difference(_as_mean(p)).estimate) > 10
    assert abs(r.estimate) < 1 and r.ci_low < r.estimate < r.ci_high
    assert any("England's total is not comparable with Wigan's" in w for w in r.warnings)
    gap = interrupted_time_series(p, control="england")
    assert abs(gap.estimate) < 5 and math.isfinite(gap.ci_low)
    assert_allclose(interrupted_time_series(p).diagnostics["controlled_estimate"], gap.estimate, rtol=1e-12)

