"""Batched simplex-constrained least squares against Clarabel's QP optimum, KKT and edge cases.

Clarabel (test extra) solves the same QP directly with tight tolerances; data are seeded
simulations from a low-rank factor model (said so: simulated, not real).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from placeimpact.errors import InputError
from placeimpact.methods.simplex import SimplexFit, simplex_least_squares

clarabel = pytest.importorskip("clarabel")
sparse = pytest.importorskip("scipy.sparse")


def clarabel_qp(X, y, allowed, v=None):
    """Direct QP: min (y - Xw)' V (y - Xw) over the simplex of allowed donors; returns (w, objective)."""
    m, n = X.shape
    v = np.ones(m) if v is None else np.asarray(v, float)
    cols = np.flatnonzero(allowed)
    Xs = X[:, cols] * np.sqrt(v)[:, None]
    ys = y * np.sqrt(v)
    k = cols.size
    P = sparse.csc_matrix(np.triu(2 * Xs.T @ Xs))
    q = -2 * Xs.T @ ys
    A = sparse.vstack([sparse.csc_matrix(np.ones((1, k))), -sparse.identity(k)]).tocsc()
    b = np.r_[1.0, np.zeros(k)]
    s = clarabel.DefaultSettings()
    s.verbose = False
    s.tol_gap_abs = s.tol_gap_rel = s.tol_feas = 1e-12
    sol = clarabel.DefaultSolver(P, q, A, b, [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(k)], s).solve()
    w = np.zeros(n)
    w[cols] = np.clip(np.asarray(sol.x), 0, None)
    w /= w.sum()
    return w, float(np.sum((ys - Xs @ w[cols]) ** 2))


def factor_panel(rng, m, n, level=100.0):
    """Simulated panel (m periods x n units) from a 3-factor model plus noise."""
    F = rng.normal(size=(m, 3)).cumsum(axis=0)
    L = rng.normal(size=(3, n))
    return level + 5 * F @ L + rng.normal(size=(m, n))


def objective(X, y, w, v=None):
    v = np.ones(X.shape[0]) if v is None else v
    return float(np.sum(v * (y - X @ w) ** 2))


@pytest.mark.parametrize("m,n", [(10, 16), (20, 16), (10, 151), (20, 151)])
def test_leave_one_out_placebos_match_clarabel(rng, m, n):
    Z = factor_panel(rng, m, n)
    allowed = ~np.eye(n, dtype=bool)
    fit = simplex_least_squares(Z, Z.T, allowed=allowed)
    assert isinstance(fit, SimplexFit)
    assert fit.certified.all()
    assert_allclose(fit.weights.sum(axis=1), 1.0, atol=1e-12)
    assert (fit.weights >= 0).all() and (np.diagonal(fit.weights) == 0).all()
    for p in range(0, n, max(1, n // 12)):
        _, ref = clarabel_qp(Z, Z[:, p], allowed[p])
        # never worse than the interior-point optimum by more than 1e-8 relative (+ rounding floor)
        assert fit.objective[p] <= ref * (1 + 1e-8) + 1e-9
        assert_allclose(fit.objective[p], ref, rtol=1e-6, atol=1e-7)
        assert_allclose(fit.objective[p], objective(Z, Z[:, p], fit.weights[p]), rtol=1e-10)


def test_predictor_weights_v_match_clarabel(rng):
    Z = factor_panel(rng, 12, 40)
    v = rng.uniform(0.1, 3.0, size=12)
    allowed = ~np.eye(40, dtype=bool)
    fit = simplex_least_squares(Z, Z.T[:8], allowed=allowed[:8], v=v)
    for p in range(8):
        w_ref, ref = clarabel_qp(Z, Z[:, p], allowed[p], v)
        assert_allclose(fit.objective[p], ref, rtol=1e-7, atol=1e-8)
        assert_allclose(fit.objective[p], objective(Z, Z[:, p], fit.weights[p], v), rtol=1e-10)


def test_kkt_certificate_holds_independently(rng):
    Z = factor_panel(rng, 10, 60)
    allowed = ~np.eye(60, dtype=bool)
    fit = simplex_least_squares(Z, Z.T, allowed=allowed)
    W = fit.weights
    grad = -2 * (Z.T - W @ Z.T) @ Z                       # (P, N)
    lam = (grad * W).sum(axis=1)
    supp = W > 0
    scale = np.maximum(fit.objective, 1e-4 * ((Z.T[:, :, None] - Z[None]) ** 2).sum(1).mean(1))
    stat = np.where(supp, np.abs(grad - lam[:, None]), 0).max(1)
    dual = np.where(allowed & ~supp, lam[:, None] - grad, -np.inf).max(1)
    # uncentred gradients carry the series level's rounding, so allow 1e-6 of scale here
    assert (stat <= 1e-6 * scale).all() and (dual <= 1e-6 * scale).all()
    assert (fit.kkt_gap <= 1e-8 * scale).all()


def test_one_allowed_donor_takes_all_weight(rng):
    Z = factor_panel(rng, 8, 5)
    allowed = np.zeros((5, 5), dtype=bool)
    allowed[np.arange(5), (np.arange(5) + 1) % 5] = True
    fit = simplex_least_squares(Z, Z.T, allowed=allowed)
    assert_allclose(fit.weights, allowed.astype(float), atol=0)
    assert fit.certified.all()


def test_duplicate_columns_same_optimum(rng):
    Z = factor_panel(rng, 10, 20)
    X = np.hstack([Z[:, 1:], Z[:, 1:6]])                 # five donors duplicated
    fit = simplex_least_squares(X, Z[:, 0])
    _, ref = clarabel_qp(Z[:, 1:], Z[:, 0], np.ones(19, bool))
    assert fit.certified.all()
    assert_allclose(fit.objective[0], ref, rtol=1e-7, atol=1e-8)


def test_target_inside_hull_is_reproduced_exactly(rng):
    X = factor_panel(rng, 6, 30)
    w_true = np.zeros(30)
    w_true[[2, 7, 19]] = [0.5, 0.3, 0.2]
    fit = simplex_least_squares(X, X @ w_true)
    assert fit.certified[0]
    assert fit.objective[0] <= 1e-18 * np.sum((X @ w_true) ** 2) + 1e-20
    assert_allclose(X @ fit.weights[0], X @ w_true, rtol=1e-10)


def test_target_outside_hull_goes_to_nearest_vertex():
    X = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])      # triangle (0,0), (1,0), (0,1)
    fit = simplex_least_squares(X, [[5.0, 0.2], [2.0, 2.0]])
    assert_allclose(fit.weights[0], [0, 1, 0], atol=1e-12)
    assert_allclose(fit.weights[1], [0, 0.5, 0.5], atol=1e-12)   # projection onto the hypotenuse
    assert_allclose(fit.objective, [16.04, 4.5], rtol=1e-12)


def test_nan_inputs_raise_clear_errors(rng):
    X = factor_panel(rng, 5, 4)
    y = X[:, 0].copy()
    y[2] = np.nan
    with pytest.raises(InputError, match=r"Y\[0, 2\] = nan.*Drop periods"):
        simplex_least_squares(X[:, 1:], y)
    Xb = X.copy()
    Xb[3, 1] = np.nan
    with pytest.raises(InputError, match=r"X\[3, 1\].*not allowed"):
        simplex_least_squares(Xb, X[:, 0])
    # a missing value in a donor that no problem allows is fine
    fit = simplex_least_squares(Xb, X[:, 0], allowed=[True, False, True, True])
    assert fit.weights[0, 1] == 0 and fit.certified.all()


def test_bad_shapes_and_options_raise(rng):
    X = factor_panel(rng, 5, 4)
    with pytest.raises(InputError, match="expected shape"):
        simplex_least_squares(X, np.ones((2, 6)))
    with pytest.raises(InputError, match="no allowed donor"):
        simplex_least_squares(X, np.ones((1, 5)), allowed=np.zeros((1, 4), bool))
    with pytest.raises(InputError, match="field 'v'"):
        simplex_least_squares(X, np.ones(5), v=-np.ones(5))
    with pytest.raises(InputError, match="tol"):
        simplex_least_squares(X, np.ones(5), tol=0)


def test_inputs_not_modified_and_result_read_only(rng):
    X = factor_panel(rng, 6, 7)
    Y = X.T.copy()
    allowed = ~np.eye(7, dtype=bool)
    X0, Y0 = X.copy(), Y.copy()
    fit = simplex_least_squares(X, Y, allowed=allowed)
    assert_allclose(X, X0, rtol=0, atol=0)
    assert_allclose(Y, Y0, rtol=0, atol=0)
    with pytest.raises(ValueError):
        fit.weights[0, 0] = 1.0


def test_fallback_agrees_with_fast_path(rng):
    from placeimpact.methods import simplex as mod

    Z = factor_panel(rng, 10, 30)
    fit = simplex_least_squares(Z[:, 1:], Z[:, :5].T)
    used = np.ones(29, bool)
    Xs = Z[:, 1:]
    centre = Xs.mean(axis=1)
    for p in range(5):
        yc = Z[:, p] - centre
        w = mod._fallback(Xs - centre[:, None], yc, used, float(np.sqrt(np.mean(((Xs - Z[:, [p]]) ** 2).sum(0)))))
        assert_allclose(objective(Xs, Z[:, p], w), fit.objective[p], rtol=1e-9, atol=1e-10)


def test_exact_fallback_alone_certifies_and_matches_clarabel(rng, monkeypatch):
    """Force every problem through the NNLS fallback by making the fast path give up."""
    from placeimpact.methods import simplex as mod

    def give_up(Xc, Yc, allowed, fv, kappa, thresh, maxit):
        W = np.zeros(allowed.shape)
        W[np.arange(len(W)), np.argmax(allowed, axis=1)] = 1.0
        return W, np.zeros(len(W), dtype=bool)

    monkeypatch.setattr(mod, "_active_set", give_up)
    Z = factor_panel(rng, 10, 40)
    allowed = ~np.eye(40, dtype=bool)
    fit = simplex_least_squares(Z, Z.T[:10], allowed=allowed[:10])
    assert fit.n_fallback == 10 and fit.certified.all()
    for p in range(10):
        _, ref = clarabel_qp(Z, Z[:, p], allowed[p])
        assert fit.objective[p] <= ref * (1 + 1e-8) + 1e-9
        assert_allclose(fit.objective[p], ref, rtol=1e-6, atol=1e-7)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), m=st.integers(1, 8), n=st.integers(1, 12), p=st.integers(1, 4))
def test_property_simplex_and_no_worse_than_any_vertex(data, m, n, p):
    X = data.draw(arrays(float, (m, n), elements=finite))
    Y = data.draw(arrays(float, (p, m), elements=finite))
    allowed = data.draw(arrays(bool, (p, n)))
    allowed[np.arange(p), data.draw(arrays(np.int64, p, elements=st.integers(0, n - 1)))] = True
    fit = simplex_least_squares(X, Y, allowed=allowed)
    assert fit.certified.all()
    W = fit.weights
    assert (W >= 0).all() and (W[~allowed] == 0).all()
    assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    vert = ((X.T[None, :, :] - Y[:, None, :]) ** 2).sum(axis=2)          # (P, N)
    best_vertex = np.where(allowed, vert, np.inf).min(axis=1)
    scale = np.maximum(best_vertex, 1.0)
    assert (fit.objective <= best_vertex + 1e-9 * scale).all()
    assert_allclose(fit.objective, ((Y - W @ X.T) ** 2).sum(axis=1), rtol=1e-9, atol=1e-9 * scale.max())
