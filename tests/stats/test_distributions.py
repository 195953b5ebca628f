"""The distribution functions placeimpact calls through scipy.special equal scipy.stats' (the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from placeimpact import distributions as d

Q = np.array([1e-12, 1e-6, 0.001, 0.025, 0.05, 0.1, 0.5, 0.8, 0.9, 0.95, 0.975, 0.999, 1 - 1e-9])
X = np.array([0.0, 1e-8, 0.3, 1.0, 1.96, 3.5, 7.0, 20.0, 40.0])
DF = [1, 2, 3.5, 7, 30, 200, 1e5]


def test_normal():
    np.testing.assert_allclose(d.norm_ppf(Q), stats.norm.ppf(Q), rtol=1e-13)
    np.testing.assert_allclose(d.norm_sf(X), stats.norm.sf(X), rtol=1e-13)
    np.testing.assert_allclose(d.norm_sf(-X), stats.norm.sf(-X), rtol=1e-13)


@pytest.mark.parametrize("df", DF)
def test_t_chi2_f(df):
    np.testing.assert_allclose(d.t_ppf(Q, df), stats.t.ppf(Q, df), rtol=1e-12)
    np.testing.assert_allclose(d.t_sf(X, df), stats.t.sf(X, df), rtol=1e-12)
    np.testing.assert_allclose(d.chi2_ppf(Q, df), stats.chi2.ppf(Q, df), rtol=1e-12)
    np.testing.assert_allclose(d.chi2_sf(X, df), stats.chi2.sf(X, df), rtol=1e-12)
    np.testing.assert_allclose(d.f_sf(X, df, 12), stats.f.sf(X, df, 12), rtol=1e-12)
    np.testing.assert_allclose(d.f_sf(X, 3, df), stats.f.sf(X, 3, df), rtol=1e-12)


def test_slope_test_equals_linregress():
    rng = np.random.default_rng(3)
    for n in (3, 4, 5, 8, 20, 60):
        x = np.sort(rng.normal(size=n))
        for y in (0.4 * x + rng.normal(size=n), rng.normal(size=n), 2.0 * x + 1.0):
            ref = stats.linregress(x, y)
            slope, p = d.slope_test(x, y)
            assert slope == pytest.approx(ref.slope, rel=1e-12, abs=1e-14)
            assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-9)   # a perfect line: both ~0 (rounding)
