"""Difference-in-differences: hand-computed 2x2, TWFE and event study via statsmodels, invariances, real data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from placeimpact.methods.did import difference_in_differences, event_study
from placeimpact.panel import build_panel, panel_from_arrays

CVD = "ons-els:preventable-cardiovascular-mortality-england"

# 4 areas x 6 annual periods (2008..2013), reform 2011: 3 pre, 3 post. Row 0 treated.
HAND = np.array([
    [10.0, 11.0, 12.0, 10.0, 9.0, 8.0],
    [20.0, 21.0, 21.5, 22.0, 23.0, 23.5],
    [15.0, 15.5, 16.5, 17.0, 17.0, 18.0],
    [12.0, 12.5, 13.0, 13.5, 14.5, 15.0],
])
T = np.arange(2008, 2014) + 0.5


def _hand_panel(values=HAND):
    return panel_from_arrays(values, T, reform_t=2011.0, polarity="low_is_good")


def test_hand_computed_two_by_two():
    r = difference_in_differences(_hand_panel())
    focal = (10 + 9 + 8) / 3 - (10 + 11 + 12) / 3                       # -2.0
    comps = [(22 + 23 + 23.5) / 3 - (20 + 21 + 21.5) / 3,                 # 2.0
             (17 + 17 + 18) / 3 - (15 + 15.5 + 16.5) / 3,                 # 1.6667
             (13.5 + 14.5 + 15) / 3 - (12 + 12.5 + 13) / 3]               # 1.8333
    assert_allclose(r.estimate, focal - np.mean(comps), rtol=1e-12)
    assert_allclose(r.estimate, -3.8333333333333335, rtol=1e-12)
    # prediction-t: independent scipy computation
    se = np.std(comps, ddof=1) * math.sqrt(1 + 1 / 3)
    assert_allclose(r.p_value, 2 * stats.t.sf(abs(r.estimate) / se, 2), rtol=1e-9)
    assert_allclose(r.ci_high - r.ci_low, 2 * stats.t.ppf(0.975, 2) * se, rtol=1e-9)
    assert r.direction == "better"


def _long(values):
    n, p = values.shape
    return pd.DataFrame({"y": values.ravel(), "unit": np.repeat(np.arange(n), p), "period": np.tile(np.arange(p), n),
                         "treated": np.repeat(np.arange(n) == 0, p).astype(float)})


def test_twfe_regression_equals_estimate():
    df = _long(HAND)
    df["D"] = df["treated"] * (df["period"] >= 3)
    ref = smf.ols("y ~ C(unit) + C(period) + D", data=df).fit()
    assert_allclose(difference_in_differences(_hand_panel()).estimate, ref.params["D"], rtol=1e-10)


def test_event_study_equals_dynamic_twfe():
    """beta_k from the fully interacted TWFE regression (reference = last pre period, index 2)."""
    df = _long(HAND)
    for k in (0, 1, 3, 4, 5):
        df[f"D{k}"] = df["treated"] * (df["period"] == k)
    ref = smf.ols("y ~ C(unit) + C(period) + D0 + D1 + D3 + D4 + D5", data=df).fit()
    beta, _ = event_study(HAND, 2)
    assert_allclose(beta[[0, 1, 3, 4, 5]], ref.params[["D0", "D1", "D3", "D4", "D5"]].to_numpy(), rtol=1e-9)
    r = difference_in_differences(_hand_panel())
    assert_allclose(r.series["beta"], beta, rtol=1e-12)
    assert r.diagnostics["reference_period"] == "2010.5"


@settings(max_examples=40, deadline=None)
@given(shocks=st.lists(st.floats(-50, 50), min_size=6, max_size=6),
       levels=st.lists(st.floats(-50, 50), min_size=4, max_size=4))
def test_invariant_to_period_shocks_and_area_levels(shocks, levels):
    """Two-way fixed effects: adding common period effects and area constants changes nothing."""
    base = difference_in_differences(_hand_panel())
    moved = difference_in_differences(_hand_panel(HAND + np.array(shocks)[None, :] + np.array(levels)[:, None]))
    assert_allclose(moved.estimate, base.estimate, atol=1e-9)
    assert_allclose(moved.p_value, base.p_value, rtol=1e-6, atol=1e-12)


def test_randomisation_p_value_counts_placebos():
    r = difference_in_differences(_hand_panel())
    # all four areas as treated: |d_i - mean(d)|; the treated one is the most extreme
    assert_allclose(r.diagnostics["randomisation_p_value"], 1 / 4)
    assert_allclose(r.diagnostics["randomisation_min_p"], 1 / 4)
    ri = difference_in_differences(_hand_panel(), inference="randomisation")
    assert ri.p_value == 0.25 and ri.direction == "no_clear_change"


def test_wigan_cvd_equals_two_by_two_from_the_store(loaded_store):
    p = build_panel(loaded_store, indicator=CVD, area="E08000010", reform_start="2011-04-01", cutoff="2018-12-31")
    r = difference_in_differences(p)
    # ONS publishes Cornwall's and Hackney's series only for the combined areas (E67...); the panel
    # gives each combined series to the larger council, and so does this independent rebuild
    combined = {"E67000001": "E09000012", "E67000002": "E06000052"}
    # a council recoded exactly (Barnsley E08000016 -> E08000038, 2025) keeps its former code's periods
    # where the current code has none (issue 11)
    former = {o: n for o, n in loaded_store.exact_recodes().items() if n in p.area_codes}
    obs = loaded_store.observations(CVD, areas=[*p.area_codes, *combined, *former])
    obs["_current"] = ~obs["area_code"].isin(list(former))
    obs["area_code"] = obs["area_code"].replace({**combined, **former})
    obs = obs.sort_values("_current", ascending=False).drop_duplicates(["area_code", "period_label"])
    obs = obs[obs["period_label"].isin(np.array(p.period_labels)[p.pre | p.post])]
    wide = obs.pivot_table(index="area_code", columns="period_label", values="value").dropna()
    post_cols = [c for c in wide.columns if c >= "2011"]
    d = wide[post_cols].mean(axis=1) - wide.drop(columns=post_cols).mean(axis=1)
    assert_allclose(r.estimate, d["E08000010"] - d.drop("E08000010").mean(), rtol=1e-9)
    assert r.diagnostics["n_comparators"] == len(d) - 1
    assert np.isfinite(r.diagnostics["pretrend_p_value"])


def test_wigan_published_values_reach_the_panel(loaded_store, published_cvd):
    p = build_panel(loaded_store, indicator=CVD, area="E08000010", reform_start="2011-04-01")
    j = p.period_labels.index("2008-01-01/P3Y")
    assert_allclose(p.focal_values[j], published_cvd("E08000010", "2008-01-01/P3Y")[0], rtol=1e-12)


def test_randomisation_interval_agrees_with_its_p_value():
    """With inference="randomisation" the interval inverts the same test: unbounded below 19 comparators."""
    ri = difference_in_differences(_hand_panel(), inference="randomisation")
    assert ri.p_value == 0.25
    assert ri.ci_low == -math.inf and ri.ci_high == math.inf
    assert ri.direction == "no_clear_change" and "unbounded" in ri.summary
    assert ri.to_dict()["ci_low"] is None                      # JSON: null, as for synthetic control


def test_randomisation_interval_is_the_set_not_rejected():
    from placeimpact.methods._common import rank_p_value
    from placeimpact.methods.did import did_2x2

    rng = np.random.default_rng(3)
    for eff in (0.0, -3.0, 2.5):
        Y = rng.normal(10, 1, (26, 6))
        Y[0, 3:] += eff
        r = difference_in_differences(panel_from_arrays(Y, T, reform_t=2011.0, polarity="low_is_good"),
                                      inference="randomisation")
        d = did_2x2(Y, np.arange(6) >= 3)
        lo, hi = r.ci_low, r.ci_high
        assert math.isfinite(lo) and math.isfinite(hi) and lo <= r.estimate <= hi
        assert (lo <= 0 <= hi) == (r.p_value > 0.05)
        assert (r.direction == "no_clear_change") == (r.p_value > 0.05)
        width = hi - lo
        for delta in np.linspace(lo + 1e-6 * width, hi - 1e-6 * width, 25):
            assert rank_p_value(d[0] - delta, d[1:])[0] > 0.05
        for delta in (lo - 1e-6 * width, hi + 1e-6 * width):
            assert rank_p_value(d[0] - delta, d[1:])[0] <= 0.05
