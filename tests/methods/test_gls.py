"""The serial-correlation kernel: averaging matrix, GLS, REML — against statsmodels and textbook formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose

from placeimpact.methods._gls import RHO_GRID, ar1_corr, averaging_matrix, gls_fit, reml_rho
from placeimpact.methods.its import segmented_design


def _dates(starts, ends):
    return np.array(starts, dtype="datetime64[D]"), np.array(ends, dtype="datetime64[D]")


def test_averaging_matrix_three_year_rolling():
    s, e = _dates(["2001-01-01", "2002-01-01", "2003-01-01"], ["2003-12-31", "2004-12-31", "2005-12-31"])
    A = averaging_matrix(s, e)
    expected = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1]]) / 3
    assert_allclose(A, expected)


def test_averaging_matrix_annual_financial_and_monthly():
    s, e = _dates(["2011-04-01", "2012-04-01", "2014-04-01"], ["2012-03-31", "2013-03-31", "2015-03-31"])
    A = averaging_matrix(s, e)  # a gap year (2013) stays a cell, so AR(1) spans it
    assert_allclose(A, np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float))
    s, e = _dates(["2023-07-01", "2023-08-01"], ["2023-07-31", "2023-08-31"])
    assert_allclose(averaging_matrix(s, e), np.eye(2))


def test_ar1_corr_closed_form():
    R = ar1_corr(4, np.array([0.5, -0.4]))
    assert_allclose(R[0, 0], [1, 0.5, 0.25, 0.125])
    assert_allclose(R[1, 3], [-0.064, 0.16, -0.4, 1])


def test_gls_matches_statsmodels_gls(rng):
    t = np.arange(2001, 2023) + 0.5
    post = t > 2011
    X = segmented_design(t, post, 2011.0)
    s = np.array([f"{y}-01-01" for y in range(2001, 2023)], dtype="datetime64[D]")
    e = np.array([f"{y + 2}-12-31" for y in range(2001, 2023)], dtype="datetime64[D]")
    A = averaging_matrix(s, e)
    y = 40 - 1.2 * (t - 2011) + 2 * post + rng.normal(0, 2, t.size)
    fit = gls_fit(y, X, A, 0.4)
    sigma = A @ ar1_corr(A.shape[1], np.array([0.4]))[0] @ A.T
    ref = sm.GLS(y, X, sigma=sigma).fit()
    assert_allclose(fit.params, ref.params, rtol=1e-9)
    assert_allclose(fit.bse, ref.bse, rtol=1e-9)
    assert fit.df == ref.df_resid


def test_segmented_ols_matches_formula_api(rng):
    """rho = 0 on annual periods is OLS: compare with the statsmodels formula interface."""
    t = np.arange(2000, 2020) + 0.5
    tt = t - 2011.0
    post = (t > 2011).astype(float)
    y = 10 + 0.3 * tt - 1.5 * post + 0.2 * tt * post + rng.normal(0, 1, t.size)
    fit = gls_fit(y, segmented_design(t, post.astype(bool), 2011.0), np.eye(t.size), 0.0)
    ref = smf.ols("y ~ tt + post + tt:post", data=pd.DataFrame({"y": y, "tt": tt, "post": post})).fit()
    assert_allclose(fit.params, ref.params[["Intercept", "tt", "post", "tt:post"]].to_numpy(), rtol=1e-9)
    assert_allclose(fit.bse, ref.bse[["Intercept", "tt", "post", "tt:post"]].to_numpy(), rtol=1e-9)


def test_reml_loglik_matches_textbook_formula(rng):
    """Restricted log-likelihood (Harville 1974) computed naively with inverses, up to a constant."""
    n, m = 14, 5
    t = np.arange(n, dtype=float)
    X = np.column_stack([np.ones(n), t])
    A = np.eye(n)
    Y = rng.normal(size=(m, n)) + 0.1 * t
    grid = np.array([-0.3, 0.0, 0.3, 0.6])
    _, ll = reml_rho(Y, X, A, grid=grid)
    naive = []
    for r in grid:
        S = ar1_corr(n, np.array([r]))[0]
        Si = np.linalg.inv(S)
        XtSiX = X.T @ Si @ X
        P = Si - Si @ X @ np.linalg.inv(XtSiX) @ X.T @ Si
        tot = 0.0
        for y in Y:
            tot += -0.5 * (np.linalg.slogdet(S)[1] + np.linalg.slogdet(XtSiX)[1] + (n - 2) * np.log(y @ P @ y))
        naive.append(tot)
    assert_allclose(ll - ll[0], np.array(naive) - naive[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("rho", [-0.3, 0.3, 0.6])
def test_reml_recovers_rho_of_rolled_ar1(rho):
    """200 simulated series (seed 7) of 3-year means of annual AR(1) noise around a line."""
    rng = np.random.default_rng(7)
    n_years, k = 24, 3
    u = np.empty((200, n_years))
    u[:, 0] = rng.standard_normal(200)
    for c in range(1, n_years):
        u[:, c] = rho * u[:, c - 1] + np.sqrt(1 - rho ** 2) * rng.standard_normal(200)
    W = np.stack([np.r_[np.zeros(j), np.ones(k), np.zeros(n_years - k - j)] / k for j in range(n_years - k + 1)])
    t = np.arange(W.shape[0], dtype=float)
    Y = 5 + 0.5 * t + u @ W.T
    s = np.array([f"{2000 + j}-01-01" for j in range(W.shape[0])], dtype="datetime64[D]")
    e = np.array([f"{2002 + j}-12-31" for j in range(W.shape[0])], dtype="datetime64[D]")
    est, _ = reml_rho(Y, np.column_stack([np.ones_like(t), t]), averaging_matrix(s, e))
    assert abs(est - rho) <= 0.06
    assert RHO_GRID.min() <= est <= RHO_GRID.max()
