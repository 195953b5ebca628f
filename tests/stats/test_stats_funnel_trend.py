"""Funnel limits against the PHE funnel CSVs and simulation; the recent-trend test against closed forms
and simulated series with known truth (simulated data, fixed seed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from placeimpact.stats import (
    TREND_LABELS,
    funnel_significance,
    overdispersion,
    poisson_funnel,
    proportion_funnel,
    recent_trend,
    trend_table,
)


def _csv(reference_dir, name: str) -> pd.DataFrame:
    df = pd.read_csv(reference_dir / name, encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    return df


def test_proportion_funnel_matches_phe(reference_dir):
    """PHE limits at 2 and 3 sigma (p = 0.025 and 0.001 per side); the CSV is rounded to 6 decimals."""
    inp = _csv(reference_dir, "testdata_funnel_prop_inputs.csv")
    out = _csv(reference_dir, "testdata_funnel_prop_outputs.csv")
    target = inp["numerator"].sum() / inp["denominator"].sum() * 100
    assert_allclose(target, out["Baseline"].iloc[0], atol=5e-7)
    lo2, hi2 = proportion_funnel(out["Population"], target=target, confidence=0.95)
    lo3, hi3 = proportion_funnel(out["Population"], target=target, confidence=0.998)
    for got, col in ((lo2, "Lower2s0025limit"), (hi2, "Upper2s0025limit"), (lo3, "Lower3s0001limit"),
                     (hi3, "Upper3s0001limit")):
        assert_allclose(got, out[col], atol=6e-7, err_msg=col)


def test_proportion_funnel_significance_matches_phe(reference_dir):
    inp = _csv(reference_dir, "testdata_funnel_prop_inputs.csv")
    got = funnel_significance(inp["numerator"], inp["denominator"], statistic="proportion")
    assert (got == inp["significance"].to_numpy()).mean() == 1.0


@pytest.mark.parametrize("name", ["testdata_funnel_rate_outputs.csv", "testdata_funnel_rate_outputs_2.csv",
                                  "testdata_funnel_rate_outputs_3.csv"])
def test_rate_funnel_matches_phe(reference_dir, name):
    """PHE tabulates, for each event count E, the (one-year) population at which E sits on a limit, from
    three years of data. At that population our exact limit must be E / population. PHE finds the
    limits by bisection stopped at 1e-7 on a transformed scale, hence rtol 1e-5."""
    out = _csv(reference_dir, name)
    target = out["baseline"].iloc[0]
    for side, level in (("lower_2s", 0.95), ("upper_2s", 0.95), ("lower_3s", 0.998), ("upper_3s", 0.998)):
        pop = out[f"{side}_population_1_year"].to_numpy() * 3  # years_of_data = 3 in the PHE test
        lo, hi = poisson_funnel(pop, target=target, confidence=level)
        got = lo if side.startswith("lower") else hi
        ok = out["Events"].to_numpy() > 0
        assert_allclose(got[ok], out[f"{side}_limit"].to_numpy()[ok], rtol=1e-5, err_msg=side)


def test_ratio_funnel_matches_phe(reference_dir):
    """Ratios: at expected count e the limit on observed/expected is O/e (PHE columns *_isr = x100)."""
    out = _csv(reference_dir, "testdata_funnel_ratio_outputs.csv")
    obs = out.iloc[:, 0].to_numpy(dtype=float)
    for side, level in (("lower_2s", 0.95), ("upper_2s", 0.95), ("lower_3s", 0.998), ("upper_3s", 0.998)):
        e = out[f"{side}_exp_events"].to_numpy()
        lo, hi = poisson_funnel(e, target=100.0, confidence=level, multiplier=100.0)
        got = lo if side.startswith("lower") else hi
        assert_allclose(got, out[f"{side}_isr"].to_numpy(), rtol=1e-5, err_msg=side)
        assert_allclose(got / 100 - 1, out[f"{side}_count"].to_numpy(), rtol=1e-5, atol=1e-6)
        assert np.all(obs > 0)


def test_overdispersion_recovers_known_between_area_variance(rng):
    """Simulated: 400 areas, true proportions 0.30 + N(0, tau = 2 points). Without Winsorising, tau is
    recovered within 15% and the additive random-effects funnel holds about 95% of areas. Spiegelhalter's
    10% Winsorising (the default, a guard against outlying areas) shrinks phi and tau for clean
    normal random effects: tau comes out 60-90% of the truth."""
    n = rng.integers(2_000, 40_000, size=400)
    p = np.clip(0.30 + rng.normal(0, 0.02, size=400), 0.01, 0.99)
    y = rng.binomial(n, p) / n * 100
    raw = overdispersion(y, n, target=30.0, statistic="proportion", winsorise=0.0)
    assert raw.overdispersed and raw.n_units == 400
    assert_allclose(np.sqrt(raw.tau2), 2.0, rtol=0.15)
    lo, hi = proportion_funnel(n, target=30.0, adjustment="additive", tau2=raw.tau2)
    assert 0.92 <= ((y >= lo) & (y <= hi)).mean() <= 0.98
    wins = overdispersion(y, n, target=30.0, statistic="proportion")
    assert 0.6 * 2.0 <= np.sqrt(wins.tau2) <= 0.9 * 2.0
    # the multiplicative adjustment widens by sqrt(phi)
    lo_m, hi_m = proportion_funnel(n, target=30.0, adjustment="multiplicative", phi=wins.phi)
    lo_0, hi_0 = proportion_funnel(n, target=30.0)
    assert_allclose(hi_m - 30.0, (hi_0 - 30.0) * np.sqrt(wins.phi), rtol=1e-12)


def test_no_overdispersion_when_areas_differ_only_by_chance(rng):
    n = rng.integers(2_000, 40_000, size=400)
    y = rng.binomial(n, 0.3) / n * 100
    od = overdispersion(y, n, target=30.0, statistic="proportion")
    # Winsorising shrinks phi below 1 by design; an unadjusted funnel holds about 95% of areas
    assert 0.6 < od.phi < 1.2 and not od.overdispersed and od.tau2 < 0.05
    lo, hi = proportion_funnel(n, target=30.0)
    assert 0.92 <= ((y >= lo) & (y <= hi)).mean() <= 0.98


def test_weighted_regression_trend_equals_wls_with_known_variances():
    y = np.array([[10.0, 10.8, 11.1, 12.3, 12.9]])
    se = np.array([[0.3, 0.35, 0.3, 0.4, 0.3]])
    res = recent_trend(y, y - 1.96 * se, y + 1.96 * se)
    # Fingertips derives SE as (U - L) / 3.92
    se_used = (2 * 1.96 * se) / 3.92
    fit = sm.WLS(y[0], sm.add_constant(np.arange(1.0, 6.0)), weights=1 / se_used[0] ** 2).fit(
        cov_type="fixed scale", cov_kwds={"scale": 1.0})
    assert_allclose(res["slope"].iloc[0], fit.params[1], rtol=1e-10)
    assert_allclose(res["chi2"].iloc[0], (fit.params[1] / fit.bse[1]) ** 2, rtol=1e-10)
    assert res["label"].iloc[0] == "Increasing"


def test_proportion_trend_is_the_armitage_test():
    """chi2 = N r^2 with r the correlation of time and outcome over the N individuals (Armitage 1955)."""
    o = np.array([120.0, 130.0, 150.0, 160.0, 185.0])
    n = np.array([1000.0, 1010.0, 990.0, 1005.0, 1000.0])
    res = recent_trend(counts=o[None], denominators=n[None], method="proportion", polarity="low_is_good")
    t = np.repeat(np.arange(1.0, 6.0), 2)
    yv = np.tile([1.0, 0.0], 5)
    w = np.column_stack([o, n - o]).ravel()
    cov = np.cov(t, yv, fweights=w.astype(int), bias=True)
    r2 = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1])
    assert_allclose(res["chi2"].iloc[0], n.sum() * r2, rtol=1e-10)
    assert res["label"].iloc[0] == "Increasing and getting worse"


def test_trend_labels_on_simulated_series(rng):
    """2000 flat series: false positives at most 1% (99.8% test plus the outlier check);
    2000 series with a slope of 2 SE per step: almost all flagged increasing."""
    m = 2000
    se = np.full((m, 5), 1.0)
    flat = 50 + rng.normal(0, 1.0, (m, 5))
    steep = 50 + 2.0 * np.arange(5) + rng.normal(0, 1.0, (m, 5))
    r0 = recent_trend(flat, flat - 1.96 * se, flat + 1.96 * se, polarity="high_is_good")
    r1 = recent_trend(steep, steep - 1.96 * se, steep + 1.96 * se, polarity="high_is_good")
    assert r0["significant"].mean() <= 0.01
    assert (r1["label"] == "Increasing and getting better").mean() >= 0.95
    assert set(r0["label"]) | set(r1["label"]) <= set(TREND_LABELS)


def test_trend_needs_five_points_and_annual_non_overlapping_periods():
    def frame(starts, ends, values):
        return pd.DataFrame({"indicator_id": "x", "area_code": "E08000010", "sex": "Persons", "age": "All ages",
                             "category": "", "period_start": pd.to_datetime(starts), "period_end": pd.to_datetime(ends),
                             "period_label": [s[:4] for s in starts], "value": values,
                             "lci95": np.asarray(values) - 1, "uci95": np.asarray(values) + 1,
                             "count": np.nan, "denominator": np.nan})
    years = [f"{y}-01-01" for y in range(2015, 2021)]
    ends = [f"{y}-12-31" for y in range(2015, 2021)]
    ok = trend_table(frame(years, ends, [1, 2, 3, 4, 5, 6.0]), value_type="crude_rate", polarity="low_is_good")
    assert ok["label"].iloc[0] == "Increasing and getting worse" and ok["n_points"].iloc[0] == 5
    rolling_ends = [f"{y + 2}-12-31" for y in range(2015, 2021)]
    rolling = trend_table(frame(years, rolling_ends, [1, 2, 3, 4, 5, 6.0]), value_type="crude_rate")
    assert rolling["label"].iloc[0] == "Could not be calculated"
    short = trend_table(frame(years[:4], ends[:4], [1, 2, 3, 4.0]), value_type="crude_rate")
    assert short["label"].iloc[0] == "Could not be calculated"
    gap = trend_table(frame(years[:3] + years[4:], ends[:3] + ends[4:], [1, 2, 3, 5, 6.0]), value_type="crude_rate")
    assert gap["label"].iloc[0] == "Could not be calculated"
