"""Survey statistics against published worked examples, a peer implementation and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as st
from scipy.optimize import brentq
from statsmodels.stats.proportion import confint_proportions_2indep

from placeimpact import InputError
from placeimpact.stats import wilson_ci
from placeimpact.stats.survey import (effective_base, mean_score, newcombe_diff_ci, percent_change_ci,
                                      percent_change_proportions, rescale_0_10, theme_index, wilson_deff_ci)

#: Newcombe (1998) Table II, method 10 (hybrid score): (x1, n1, x2, n2) -> (lower, upper), four decimals
NEWCOMBE_TABLE_II = {
    (56, 70, 48, 80): (0.0524, 0.3339),
    (9, 10, 3, 10): (0.1705, 0.8090),
    (6, 7, 2, 7): (0.0582, 0.8062),
    (5, 56, 0, 29): (-0.0381, 0.1926),
    (0, 10, 0, 20): (-0.1611, 0.2775),
    (0, 10, 0, 10): (-0.2775, 0.2775),
    (10, 10, 0, 20): (0.6791, 1.0000),
    (10, 10, 0, 10): (0.6075, 1.0000),
}


@pytest.mark.parametrize("case", sorted(NEWCOMBE_TABLE_II))
def test_newcombe_hybrid_score_interval_matches_the_published_table(case):
    r = newcombe_diff_ci(*case)
    assert_allclose([float(r.lower), float(r.upper)], NEWCOMBE_TABLE_II[case], atol=5e-5)
    assert float(r.estimate) == pytest.approx(case[0] / case[1] - case[2] / case[3])


def test_newcombe_matches_statsmodels_on_random_tables(rng):
    n1, n2 = rng.integers(5, 2000, 200), rng.integers(5, 2000, 200)
    x1, x2 = rng.binomial(n1, rng.uniform(0, 1, 200)), rng.binomial(n2, rng.uniform(0, 1, 200))
    r = newcombe_diff_ci(x1, n1, x2, n2)
    ref = np.array([confint_proportions_2indep(a, b, c, d, method="newcomb") for a, b, c, d in zip(x1, n1, x2, n2)])
    assert_allclose(np.c_[r.lower, r.upper], ref, atol=1e-12)


def test_design_effect_widens_wilson_as_an_effective_base():
    lo1, hi1 = wilson_deff_ci(81, 263, multiplier=1)
    assert_allclose([lo1, hi1], [0.2553, 0.3662], atol=5e-5)          # Altman et al., Statistics with confidence
    assert_allclose(wilson_deff_ci(81, 263), wilson_ci(81, 263))
    lo2, hi2 = wilson_deff_ci(80, 200, deff=2.0)                       # = Wilson on 40 of 100
    assert_allclose([lo2, hi2], wilson_ci(40, 100))
    assert hi2 - lo2 > wilson_ci(80, 200)[1] - wilson_ci(80, 200)[0]
    with pytest.raises(InputError, match="design effect"):
        effective_base(100, 0.8)


def test_mean_score_equals_the_t_interval_of_the_expanded_answers():
    counts, scores = np.array([5, 12, 30, 40, 13]), np.arange(1, 6)
    raw = np.repeat(scores, counts).astype(float)
    ms = mean_score(counts, scores)
    lo, hi = st.t.interval(0.95, raw.size - 1, loc=raw.mean(), scale=st.sem(raw))
    assert_allclose([ms.mean, ms.sd, ms.lower, ms.upper], [raw.mean(), raw.std(ddof=1), lo, hi], rtol=1e-12)
    wide = mean_score(counts, scores, deff=1.5)
    assert wide.upper - wide.lower > hi - lo and wide.n_eff == pytest.approx(100 / 1.5)


def test_rescaled_five_point_scale_scores_like_the_nhs_staff_survey():
    assert_allclose(rescale_0_10(np.arange(1, 6)), [0, 2.5, 5, 7.5, 10])
    with pytest.raises(InputError):
        rescale_0_10(np.array([3.0, 3.0]))


def test_theme_index_interval_is_conservative_by_simulation():
    """Respondent-level answers to three correlated items (simulated, seeded): the index interval built
    from the aggregate counts covers the true theme mean at least 95% of the time."""
    rng = np.random.default_rng(7)
    cover, reps, n = 0, 400, 150
    cuts = np.array([-1.5, -0.5, 0.3, 1.2])
    # true theme mean on 0-10 from a large sample of the same model
    def draw(m):
        common = rng.normal(size=(m, 1))
        latent = 0.7 * common + 0.7 * rng.normal(size=(m, 3))
        return np.searchsorted(cuts, latent) + 1                      # 1..5
    big = rescale_0_10(draw(400_000).astype(float), low=1, high=5)
    truth = big.mean()
    for _ in range(reps):
        ans = draw(n)
        items = [mean_score(np.bincount(ans[:, k], minlength=6)[1:], rescale_0_10(np.arange(1, 6.0))) for k in range(3)]
        ti = theme_index(items)
        cover += ti.lower <= truth <= ti.upper
    assert cover / reps >= 0.95


def test_percent_change_of_proportions_is_katz_log_as_statsmodels():
    r = percent_change_proportions(150, 250, 120, 300)
    lo, hi = confint_proportions_2indep(150, 250, 120, 300, method="log", compare="ratio")
    assert_allclose([float(r.lower), float(r.upper)], [100 * (lo - 1), 100 * (hi - 1)], rtol=1e-10)
    assert float(r.estimate) == pytest.approx(100 * (0.6 / 0.4 - 1))


def test_percent_change_reads_like_the_kings_fund_figure():
    """Engagement index 6.0 -> 7.11 is '+18.5%'; the interval is asymmetric on the log scale."""
    r = percent_change_ci(7.11, 0.1, 6.0, 0.1)
    assert float(r.estimate) == pytest.approx(18.5)
    se = np.hypot(0.1 / 7.11, 0.1 / 6.0)
    assert_allclose([float(r.lower), float(r.upper)],
                    [100 * (7.11 / 6 * np.exp(-1.959964 * se) - 1), 100 * (7.11 / 6 * np.exp(1.959964 * se) - 1)],
                    rtol=1e-6)
    with pytest.raises(InputError):
        percent_change_ci(0.0, 0.1, 6.0, 0.1)


def test_fingertips_active_lives_limits_are_close_to_wilson_on_an_effective_base(data_dir):
    """Fingertips publishes Sport England's Active Lives survey estimates (93015, 93088) with limits and the
    unweighted base. A single design effect per row, fitted to the published lower limit, predicts the published
    upper limit to within a few per cent of the interval's width: the limits are survey intervals close to
    Wilson on the effective base (Sport England's exact method differs slightly), with design effects near 1."""
    d = pd.read_csv(data_dir / "fingertips-nw-extract" / "healthdata.csv", encoding="utf-8-sig", low_memory=False)
    x = d[d.IndicatorId.isin([93015, 93088]) & d.LowerCI.notna() & d.Denominator.notna() & d.Value.notna()]
    assert len(x) == 830
    deffs, errs = [], []
    for r in x.itertuples():
        p = r.Value / 100
        m = brentq(lambda m: wilson_ci(p * m, m, multiplier=100)[0] - r.LowerCI, 2, 1e7)
        deffs.append(r.Denominator / m)
        errs.append(abs(wilson_ci(p * m, m, multiplier=100)[1] - r.UpperCI) / (r.UpperCI - r.LowerCI))
    assert 0.8 < np.min(deffs) and np.max(deffs) < 1.3
    assert np.median(errs) < 0.02 and np.max(errs) < 0.11
