"""CI kernels: textbook values, closed forms, invariances (Hypothesis), bad input, and fill_missing_cis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats as sps

import placeimpact.stats as S
from placeimpact.errors import InputError


def test_public_surface_is_exactly_the_intended_names():
    assert set(S.__all__) == {
        "BENCHMARK_LABELS", "ESP2013", "Overdispersion", "TREND_LABELS", "benchmark_all", "benchmark_area",
        "byar_ci", "compare_with_benchmark", "count_ci", "dobson_ci", "dsr", "exact_poisson_ci",
        "fill_missing_cis", "funnel_significance", "isr_ci", "mean_ci", "overdispersion", "poisson_funnel",
        "proportion", "proportion_funnel", "quantiles", "quintile_label", "rank_in_group", "rate", "rate_ci",
        "recent_trend", "t_ci", "tie_safe_quintiles", "trend_table", "wilson_ci",
    }
    assert all(hasattr(S, name) for name in S.__all__)


def test_wilson_81_of_263_newcombe_1998():
    """Newcombe (1998), Stat Med 17:857, Table II: 81/263, Wilson score 95% CI 0.2553 to 0.3662 (4 dp)."""
    lo, hi = S.wilson_ci(81, 263)
    assert_allclose([lo, hi], [0.2553, 0.3662], atol=5e-5)


def test_wilson_edge_cases_newcombe():
    """0/20 and 20/20 (Newcombe 1998 Table II: 0 to 0.1611 and 0.8389 to 1)."""
    lo, hi = S.wilson_ci([0, 20], [20, 20])
    assert_allclose(lo, [0.0, 0.8389], atol=5e-5)
    assert_allclose(hi, [0.1611, 1.0], atol=5e-5)


@pytest.mark.parametrize("x", [0, 1, 2, 5, 9])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_exact_poisson_is_the_garwood_interval(x, level):
    """Closed form: P(X >= x | lower) = alpha/2 and P(X <= x | upper) = alpha/2 (scipy's Poisson cdf)."""
    lo, hi = S.exact_poisson_ci(x, confidence=level)
    a = 1 - level
    if x == 0:
        assert lo == 0.0
    else:
        assert_allclose(sps.poisson.sf(x - 1, lo), a / 2, rtol=1e-9)
    assert_allclose(sps.poisson.cdf(x, hi), a / 2, rtol=1e-9)


def test_exact_poisson_textbook_values():
    """Tabulated exact 95% Poisson limits (3 decimals, as in Breslow & Day 1987, Appendix):
    0 -> (0, 3.689), 1 -> (0.025, 5.572), 5 -> (1.623, 11.668), 9 -> (4.115, 17.085)."""
    lo, hi = S.exact_poisson_ci([0, 1, 5, 9])
    assert_allclose(lo, [0.0, 0.025, 1.623, 4.115], atol=5e-4)
    assert_allclose(hi, [3.689, 5.572, 11.668, 17.085], atol=5e-4)


def test_non_integer_counts_use_the_chi2_form():
    lo, hi = S.exact_poisson_ci(np.array([2.5]))
    assert_allclose(lo, sps.chi2.ppf(0.025, 5.0) / 2, rtol=1e-12)
    assert_allclose(hi, sps.chi2.ppf(0.975, 7.0) / 2, rtol=1e-12)


def test_byar_approximates_exact_for_large_counts():
    x = np.array([50, 200, 1000, 10_000])
    b_lo, b_hi = S.byar_ci(x)
    e_lo, e_hi = S.exact_poisson_ci(x)
    assert_allclose(b_lo, e_lo, rtol=2e-3)
    assert_allclose(b_hi, e_hi, rtol=2e-3)


def test_rate_switches_method_at_ten_events():
    lo, hi = S.rate_ci([9, 10], [1000, 1000], multiplier=1000)
    e_lo, e_hi = S.exact_poisson_ci(9)
    b_lo, b_hi = S.byar_ci(10)
    assert_allclose([lo[0], hi[0]], [e_lo, e_hi], rtol=1e-12)
    assert_allclose([lo[1], hi[1]], [b_lo, b_hi], rtol=1e-12)


def test_t_ci_closed_form():
    lo, hi = S.t_ci(10.0, 2.0, 5)
    half = sps.t.ppf(0.975, 4) * 2.0 / np.sqrt(5)
    assert_allclose([lo, hi], [10 - half, 10 + half], rtol=1e-12)
    assert np.isnan(S.t_ci(1.0, 1.0, 1)[0])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 10_000), frac=st.floats(0, 1), level=st.sampled_from([0.95, 0.998]))
def test_wilson_properties(n, frac, level):
    x = np.floor(frac * n)
    lo, hi = S.wilson_ci(x, n, confidence=level)
    p = x / n
    assert 0.0 <= lo <= p + 1e-12 and p - 1e-12 <= hi <= 1.0
    # symmetry: the interval for failures mirrors the interval for successes
    lo2, hi2 = S.wilson_ci(n - x, n, confidence=level)
    assert_allclose([lo2, hi2], [1 - hi, 1 - lo], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(x=st.integers(0, 5_000), n=st.floats(1, 1e7), mult=st.sampled_from([100.0, 1000.0, 100_000.0]))
def test_rate_limits_bracket_the_rate_and_scale_with_multiplier(x, n, mult):
    lo, hi = S.rate_ci(x, n, multiplier=mult)
    r = x / n * mult
    assert lo <= r + 1e-9 * mult and r <= hi
    lo1, hi1 = S.rate_ci(x, n, multiplier=1.0)
    assert_allclose([lo, hi], [lo1 * mult, hi1 * mult], rtol=1e-12)
    # 99.8% limits are wider
    lo8, hi8 = S.rate_ci(x, n, multiplier=mult, confidence=0.998)
    assert lo8 <= lo and hi8 >= hi


def test_inputs_are_not_modified():
    x = np.array([1.0, 5.0, 50.0])
    n = np.array([10.0, 100.0, 1000.0])
    xc, nc = x.copy(), n.copy()
    S.wilson_ci(x, n)
    S.rate_ci(x, n)
    S.proportion(x, n)
    assert_allclose(x, xc, rtol=0)
    assert_allclose(n, nc, rtol=0)


def test_bad_input_errors_name_the_position_value_and_fix():
    with pytest.raises(InputError) as exc:
        S.wilson_ci([5, 12], [10, 10])
    msg = str(exc.value)
    assert "position 1" in msg and "12" in msg and "on_invalid='nan'" in msg
    lo, hi = S.wilson_ci([5, 12], [10, 10], on_invalid="nan")
    assert np.isfinite(lo[0]) and np.isnan(lo[1]) and np.isnan(hi[1])
    with pytest.raises(InputError, match="denominator"):
        S.rate_ci([3], [0])
    with pytest.raises(InputError, match="confidence"):
        S.wilson_ci(1, 2, confidence=1.5)
    with pytest.raises(InputError, match="on_invalid"):
        S.wilson_ci(1, 2, on_invalid="ignore")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="polarity"):
        S.compare_with_benchmark([1], [0], [2], 1, polarity="good")
    with pytest.raises(InputError, match="do not line up"):
        S.dsr(np.ones((2, 19)), np.ones((2, 18)))


def test_missing_values_give_nan_without_raising():
    lo, hi = S.wilson_ci([np.nan, 3], [10, np.nan])
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_percent_and_99_8_accepted_spellings():
    assert_allclose(S.wilson_ci(3, 10, confidence=95), S.wilson_ci(3, 10, confidence=0.95), rtol=0)
    assert_allclose(S.rate_ci(3, 10, confidence=99.8), S.rate_ci(3, 10, confidence=0.998), rtol=0)


def test_fill_missing_cis_computes_only_what_is_missing_and_flags_it():
    obs = pd.DataFrame({
        "value": [20.0, 30.0, 40.0, 12.5],
        "count": [20.0, 30.0, 40.0, 12.5],
        "denominator": [100.0, 100.0, 100.0, 100.0],
        "lci95": [np.nan, 1.0, np.nan, np.nan],   # row 1: a published (odd) limit is kept
        "uci95": [np.nan, 99.0, np.nan, np.nan],
        "note": [None, None, None, None],
    })
    before = obs.copy()
    out = S.fill_missing_cis(obs, "proportion", 100.0)
    pd.testing.assert_frame_equal(obs, before)  # caller's frame untouched
    lo, hi = S.wilson_ci(20, 100, multiplier=100)
    assert_allclose([out.loc[0, "lci95"], out.loc[0, "uci95"]], [lo, hi], rtol=1e-12)
    assert out.loc[0, "ci_origin"] == "computed" and np.isfinite(out.loc[0, "lci998"])
    assert out.loc[1, "ci_origin"] == "published" and out.loc[1, "lci95"] == 1.0
    # the published 95% limits are not Wilson's, so no 99.8% limits are invented for that row
    assert np.isnan(out.loc[1, "lci998"])
    # a fractional (survey-weighted) count gets nothing
    assert np.isnan(out.loc[3, "lci95"]) and pd.isna(out.loc[3, "ci_origin"])
    # value types that need more than count and denominator come back unchanged
    dsr_out = S.fill_missing_cis(obs, "dsr", 100_000.0)
    assert dsr_out["lci95"].isna().sum() == 3


def test_fill_missing_cis_adds_998_where_published_95_is_reproduced():
    lo, hi = S.rate_ci(50, 10_000, multiplier=100_000)
    obs = pd.DataFrame({"value": [500.0], "count": [50.0], "denominator": [10_000.0], "lci95": lo, "uci95": hi})
    out = S.fill_missing_cis(obs, "crude_rate", 100_000.0)
    lo8, hi8 = S.rate_ci(50, 10_000, multiplier=100_000, confidence=0.998)
    assert_allclose([out.loc[0, "lci998"], out.loc[0, "uci998"]], [lo8, hi8], rtol=1e-12)
    assert out.loc[0, "ci_origin"] == "published" and "99.8% limits computed" in out.loc[0, "note"]
