"""Batched simplex-constrained least squares: the synthetic-control weight solver.

For P problems sharing one donor matrix ``X`` (m pre-periods x N candidate donors)::

    min_w  sum_j v_j (y_pj - (X w)_j)^2   s.t.  w >= 0,  sum(w) = 1,  w_i = 0 where not allowed[p, i]

All in-space placebos of one indicator share ``X`` (every unit is a column; placebo p
excludes its own column through ``allowed``), so they are solved together.

Algorithm
---------
1. Scale rows by ``sqrt(v)`` and centre every row on the donors' mean. Because the
   weights sum to one, the centred problem has the same solution and objective, and
   its gradients carry no cancellation from the series' common level.
2. *Fast path*, a batched primal active-set method (Lawson & Hanson 1974, ch. 23,
   adapted to the simplex), one step per iteration for every unfinished problem:
   start from the best single donor; on the support S solve the equality-constrained
   subproblem min ||B_S z||^2, sum z = 1, where B = X - y 1^T (exact because
   sum z = 1), as the unconstrained least-squares problem
   ``[B_S; k 1^T] u ~ [0; k]`` and z = u / sum(u) (any k > 0 gives the same z). Its
   normal equations, padded to the largest support, are one stacked ``np.linalg.solve``;
   a backward-stable solve leaves the stationarity (KKT) residual at rounding level
   whatever the conditioning. If z > 0 accept it and add the donor with the most
   negative reduced gradient, else step towards z until a weight hits zero and drop
   that donor. Finished problems leave the working arrays.
3. *Certificate*: gradient g = -2 X^T (y - X w), multiplier lambda = g . w; the KKT
   violation is the largest of |g_i - lambda| on the support and (lambda - g_i)+
   off it. It bounds the sub-optimality: by convexity f* >= f(w) - (lambda - min_i g_i)
   (the Frank-Wolfe gap), and lambda - min_i g_i <= kkt_gap, so f(w) - f* <= kkt_gap.
4. *Exact fallback* for problems not certified: scipy's NNLS (Lawson-Hanson) on the
   equivalent problem min_{u >= 0} ||B u||^2 + k^2 (1^T u - 1)^2, whose minimiser is
   a positive multiple of the simplex minimiser, then the same support polish.

The objective's scale used for certification is ``max(f(w), 1e-4 * mean_i ||x_i - y||_v^2)``
over allowed donors i (the floor keeps a target inside the hull, f* = 0, certifiable at
rounding level).

Scale
-----
Problems are solved in blocks of about 2**20 / N (``block=``), so the working memory is
O(N x block) rather than O(P x N); :func:`simplex_leave_one_out` (every column from all the
others, the screen's placebo batch) never forms an N x N array and returns sparse weights.
BLAS is held to one thread inside the solver (threadpoolctl): its products are small and many,
and parallelism comes from processes over problems or indicators instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["SimplexFit", "simplex_least_squares", "simplex_leave_one_out", "block_size"]

_FLOOR = 1e-4
_BLOCK_ELEMENTS = 2 ** 20


@dataclass(frozen=True)
class SimplexFit:
    """Solutions of P simplex-constrained least-squares problems (arrays are read-only).

    Attributes
    ----------
    weights : ndarray, shape (P, N)
        Non-negative, rows sum to 1, exactly zero where not allowed (a ``scipy.sparse.csr_array``
        of the positive weights from :func:`simplex_leave_one_out`).
    objective : ndarray, shape (P,)
        ``sum_j v_j * (Y[p, j] - (X @ w_p)[j])**2``.
    kkt_gap : ndarray, shape (P,)
        Largest KKT violation in the objective's units; ``f(w) - f* <= kkt_gap``.
    certified : ndarray of bool, shape (P,)
        ``kkt_gap <= tol * scale`` (see the module docstring for the scale).
    n_fallback : int
        Problems the fast path did not certify, re-solved by the exact fallback.
    """

    weights: np.ndarray
    objective: np.ndarray
    kkt_gap: np.ndarray
    certified: np.ndarray
    n_fallback: int

    def __post_init__(self) -> None:
        for name in ("weights", "objective", "kkt_gap", "certified"):
            a = getattr(self, name)
            for arr in (a.data, a.indices, a.indptr) if hasattr(a, "indptr") else (a,):
                arr.flags.writeable = False


def _check(X, Y, allowed, v) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X = np.array(X, dtype=float, copy=True)
    if X.ndim != 2 or X.shape[1] == 0 or X.shape[0] == 0:
        raise InputError("X must be a 2-D array (pre-periods x donors)", field="X",
                         expected="shape (m, N) with m, N >= 1", got=getattr(X, "shape", None))
    m, n = X.shape
    Y = np.array(Y, dtype=float, copy=True)
    if Y.ndim == 1:
        Y = Y[None, :]
    if Y.ndim != 2 or Y.shape[1] != m:
        raise InputError("Y must hold one target series per row, as long as X's columns", field="Y",
                         expected=f"shape (P, {m})", got=Y.shape)
    p = Y.shape[0]
    if allowed is None:
        allowed = np.ones((p, n), dtype=bool)
    else:
        allowed = np.array(allowed, dtype=bool, copy=True)
        if allowed.ndim == 1:
            allowed = np.broadcast_to(allowed, (p, n)).copy()
        if allowed.shape != (p, n):
            raise InputError("allowed must say, for each problem, which donors may take weight",
                             field="allowed", expected=f"bool shape ({p}, {n})", got=allowed.shape)
    none = ~allowed.any(axis=1)
    if none.any():
        raise InputError("a problem has no allowed donor", field="allowed", expected="at least one True per row",
                         got=f"row {int(np.flatnonzero(none)[0])}", hint="Drop that problem or allow a donor")
    if v is None:
        v = np.ones(m)
    else:
        v = np.array(v, dtype=float, copy=True).reshape(-1)
        if v.shape != (m,) or not np.all(np.isfinite(v)) or np.any(v < 0):
            raise InputError("v must be m finite non-negative predictor weights", field="v",
                             expected=f"shape ({m},), finite, >= 0", got=v if v.size <= 5 else v.shape)
    bad_y = ~np.isfinite(Y)
    if bad_y.any():
        r, c = np.argwhere(bad_y)[0]
        raise InputError("the target series has a missing or infinite value", field="Y",
                         expected="finite numbers", got=f"Y[{r}, {c}] = {Y[r, c]}",
                         hint="Drop periods with missing values before fitting, or impute them")
    bad_x = ~np.isfinite(X)
    bad_cols = bad_x.any(axis=0)
    used = allowed.any(axis=0)
    if (bad_cols & used).any():
        r, c = np.argwhere(bad_x & used[None, :])[0]
        raise InputError("a donor allowed in some problem has a missing or infinite value", field="X",
                         expected="finite numbers in every allowed donor column", got=f"X[{r}, {c}] = {X[r, c]}",
                         hint="Mark that donor not allowed (allowed[:, i] = False) or drop the period")
    X[:, bad_cols] = 0.0
    return X, Y, allowed, v


def _kkt(Xc: np.ndarray, Yc: np.ndarray, W: np.ndarray, allowed: np.ndarray):
    """Residuals (P, m), gradients (P, N), objective (P,) and max KKT violation (P,)."""
    R = Yc - W @ Xc.T
    G = -2.0 * (R @ Xc)
    lam = np.einsum("pn,pn->p", G, W)
    supp = W > 0
    stat = np.where(supp, np.abs(G - lam[:, None]), 0.0).max(axis=1)
    dual = np.where(allowed & ~supp, lam[:, None] - G, 0.0).max(axis=1)
    return R, G, np.einsum("pm,pm->p", R, R), np.maximum(stat, np.maximum(dual, 0.0))


def _solve_compact(XcT, Yc, idx, valid, kappa):
    """Equality-constrained LS on each support given as sorted donor indices: z (P, K), ``bad`` (P,).

    Shapes: XcT (N, m), Yc (P, m), idx (P, K) donor indices (any value where not ``valid``), valid
    (P, K) bool, kappa (P,). Solves the normal equations ``(B_S' B_S + k^2 1 1') u = k^2 1`` of
    ``[B_S; k 1'] u ~ [0; k]`` with padded supports; a backward-stable solve leaves a KKT residual
    of rounding size whatever the conditioning. z is zero where not valid.
    """
    p, kmax = valid.shape
    B = (XcT[idx] - Yc[:, None, :]) * valid[:, :, None]                # (P, K, m)
    H = B @ B.transpose(0, 2, 1)
    k2 = (kappa ** 2)[:, None]
    H += (k2 * valid)[:, :, None] * valid[:, None, :]
    H.reshape(p, -1)[:, :: kmax + 1] += ~valid                         # padded slots: identity
    rhs = valid.astype(float)                                           # k^2 cancels in z = u / sum(u)
    try:
        u = np.linalg.solve(H, rhs[:, :, None])[:, :, 0]
        bad = np.zeros(p, dtype=bool)
    except np.linalg.LinAlgError:
        u = (np.linalg.pinv(H, hermitian=True) @ rhs[:, :, None])[:, :, 0]
        bad = np.linalg.matrix_rank(H, hermitian=True) < kmax
    u = np.where(valid, u, 0.0)
    s = u.sum(axis=1)
    bad |= ~(s > 0) | ~np.all(np.isfinite(u), axis=1)
    return u / np.where(bad, 1.0, s)[:, None], bad


def _support_solve(Xc, Yc, S, kappa):
    """:func:`_solve_compact` for supports given as a bool mask S (P, N): z (P, N), zero off S, and ``bad``."""
    p, n = S.shape
    k = S.sum(axis=1)
    kmax = int(k.max())
    rows, cols = np.nonzero(S)                                          # row-major: grouped by problem
    pos = np.arange(rows.size) - np.repeat(np.cumsum(k) - k, k)
    idx = np.zeros((p, kmax), dtype=np.intp)
    idx[rows, pos] = cols
    valid = np.arange(kmax)[None, :] < k[:, None]                       # (P, kmax)
    zk, bad = _solve_compact(Xc.T, Yc, idx, valid, kappa)
    z = np.zeros((p, n))
    z[rows, cols] = zk[rows, pos]
    return z, bad


def _sort_support(idx, w, n):
    """Sort each row's support by donor index (padding, index n, last); trim all-padding columns."""
    o = np.argsort(idx, axis=1, kind="stable")
    rows = np.arange(idx.shape[0])[:, None]            # fancy indexing: take_along_axis without its set-up
    idx = idx[rows, o]
    w = w[rows, o]
    keep = int((idx < n).sum(axis=1).max())
    return idx[:, :keep], w[:, :keep]


def _active_set(Xc, Yc, allowed, fv, kappa, thresh, maxit):
    """Batched primal active-set from the best vertex; W (P, N) and ``ok`` (P,) (False: stuck or unfinished).

    Supports are kept compact, as sorted donor indices (P, K) with their weights, and unfinished
    problems compacted in working arrays, so that each iteration costs one (P_live x m) by (m x N)
    product for the gradients, a masked argmin over (P_live, N) for the entering donor, and a stack
    of (K x K) solves, K the largest live support.
    """
    p, n = allowed.shape
    W_out = np.zeros((p, n))
    ok = np.zeros(p, dtype=bool)
    ids = np.arange(p)
    XcT = np.ascontiguousarray(Xc.T)
    start = np.where(allowed, fv, np.inf).argmin(axis=1)
    idx = start[:, None].copy()                                        # support: sorted donor indices, pad n
    wk = np.ones((p, 1))                                               # weights on the support
    Yl, kap, thr, barred = Yc, kappa, thresh, ~allowed
    added = np.full(p, -1)
    for _ in range(maxit):
        rows = np.arange(ids.size)
        valid = idx < n
        safe = np.where(valid, idx, idx[:, :1])          # padding points at a support donor (weight 0 there)
        z, bad = _solve_compact(XcT, Yl, safe, valid, kap)
        nonpos = valid & (z <= 0)
        feas = ~bad & ~nonpos.any(axis=1)
        at_added = (idx == added[:, None]) & (added[:, None] >= 0)
        stuck = bad | (nonpos & at_added).any(axis=1)                  # the added donor took no weight
        acc = feas & ~stuck
        wk = np.where(acc[:, None], z, wk)
        # accepted: optimal, or add the donor with the most negative reduced gradient
        fitted = np.einsum("lk,lkm->lm", wk, XcT[safe])
        G = (fitted - Yl) @ Xc                                         # gradient / 2
        at = (rows[:, None], safe)                     # fancy indexing: take/put_along_axis without their set-up
        lam = np.einsum("lk,lk->l", G[at], wk)
        np.copyto(G, np.inf, where=barred)
        G[at] = np.where(valid, np.inf, G[at])
        j = G.argmin(axis=1)
        done = acc & ~(2.0 * (lam - G[rows, j]) > thr)
        grow = acc & ~done
        added = np.where(grow, j, -1)
        if grow.any():
            idx = np.concatenate([idx, np.where(grow, j, n)[:, None]], axis=1)
            wk = np.concatenate([wk, np.zeros((idx.shape[0], 1))], axis=1)
        # infeasible: step to the boundary, drop the donor(s) reaching zero
        step = ~feas & ~stuck
        if step.any():
            zs, ws, neg = z[step], wk[step], nonpos[step]
            if zs.shape[1] < ws.shape[1]:                              # a column added for other rows
                extra = ws.shape[1] - zs.shape[1]
                zs = np.concatenate([zs, np.zeros((zs.shape[0], extra))], axis=1)
                neg = np.concatenate([neg, np.zeros((neg.shape[0], extra), dtype=bool)], axis=1)
            ratio = np.where(neg, ws / np.where(neg, ws - zs, 1.0), np.inf)
            wn = ws + ratio.min(axis=1)[:, None] * (zs - ws)
            wn[np.arange(wn.shape[0]), ratio.argmin(axis=1)] = 0.0
            drop = neg & (wn <= 0)                    # blocking donors; added donors with z > 0 stay
            wn = np.where((idx[step] < n) & ~drop, np.maximum(wn, 0.0), 0.0)
            wk[step] = wn / wn.sum(axis=1, keepdims=True)
            idx[step] = np.where(drop, n, idx[step])
        if grow.any() or step.any():
            idx, wk = _sort_support(idx, wk, n)
        fin = done | stuck
        if fin.any():
            f_ids = ids[fin]
            v = idx[fin] < n
            W_out[np.repeat(f_ids, v.sum(axis=1)), idx[fin][v]] = wk[fin][v]
            ok[ids[done]] = True
            keep = ~fin
            if not keep.any():
                return W_out, ok
            ids, idx, wk, added = ids[keep], idx[keep], wk[keep], added[keep]
            Yl, kap, thr, barred = Yl[keep], kap[keep], thr[keep], barred[keep]
            idx, wk = _sort_support(idx, wk, n)
    v = idx < n
    W_out[np.repeat(ids, v.sum(axis=1)), idx[v]] = wk[v]
    return W_out, ok


def _fallback(Xc, yc, allowed_row, kappa):
    """Exact per-problem solve via NNLS on [B; k 1^T] u ~ [0; k], then support polish. Returns w (N,)."""
    from scipy.optimize import nnls     # rarely needed; scipy.optimize costs ~0.15 s to import

    n = Xc.shape[1]
    cols = np.flatnonzero(allowed_row)
    B = Xc[:, cols] - yc[:, None]
    E = np.vstack([B, np.full((1, cols.size), kappa)])
    f = np.zeros(E.shape[0])
    f[-1] = kappa
    u, _ = nnls(E, f, maxiter=50 * max(cols.size, 10))
    w = np.zeros(n)
    if u.sum() > 0:
        w[cols] = u / u.sum()
    else:  # cannot happen in exact arithmetic; keep the best vertex
        w[cols[np.argmin((B ** 2).sum(axis=0))]] = 1.0
    S = w > 0
    z, bad = _support_solve(Xc, yc[None, :], S[None, :], np.array([kappa]))
    if not bad[0] and np.all(z[0][S] > 0):
        w = z[0]
    return w


def _blas_one_thread():
    """Context manager holding BLAS (OpenBLAS/MKL) to one thread: the batched solves are many small
    products, where a second BLAS thread only oversubscribes the cores that processes already use."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


_CONTROLLER = None


def block_size(n: int, block: int | None = None) -> int:
    """Problems solved together: ``block`` if given, else about 2**20 / N (working arrays of
    ~8 MB each), so memory grows as O(N x block), not O(N^2)."""
    if block is not None:
        if not (isinstance(block, (int, np.integer)) and block >= 1):
            raise InputError("block must be a positive whole number", field="block", expected=">= 1", got=block)
        return int(block)
    return max(1, _BLOCK_ELEMENTS // max(n, 1))


def _solve_block(Xc, Yc, allowed, tol):
    """Solve one block of problems (Yc (b, m), allowed (b, N)) on the centred matrix Xc (m, N)."""
    fv = np.maximum((Xc * Xc).sum(axis=0)[None, :] - 2.0 * Yc @ Xc + (Yc * Yc).sum(axis=1)[:, None], 0.0)
    typical = np.where(allowed, fv, 0.0).sum(axis=1) / allowed.sum(axis=1)
    kappa = np.sqrt(np.where(typical > 0, typical, 1.0))
    floor = _FLOOR * typical
    m = Xc.shape[0]
    W, ok = _active_set(Xc, Yc, allowed, fv, kappa, 0.5 * tol * floor, maxit=4 * (m + 2) + 20)
    _, _, obj, gap = _kkt(Xc, Yc, W, allowed)
    cert = ok & (gap <= tol * np.maximum(obj, floor))
    redo = np.flatnonzero(~cert)
    for i in redo:
        w = _fallback(Xc, Yc[i], allowed[i], kappa[i])
        _, _, o2, g2 = _kkt(Xc, Yc[i:i + 1], w[None, :], allowed[i:i + 1])
        if g2[0] <= gap[i] or not ok[i]:
            W[i], obj[i], gap[i] = w, o2[0], g2[0]
        cert[i] = gap[i] <= tol * max(obj[i], floor[i])
    W[~allowed] = 0.0
    return W, obj, gap, cert, int(redo.size)


def _centre(X, v, used):
    sv = np.sqrt(v)
    Xs = X * sv[:, None]
    centre = Xs[:, used].mean(axis=1)
    Xc = Xs - centre[:, None]
    Xc[:, ~used] = 0.0
    return Xc, sv, centre


def _check_tol(tol) -> None:
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise InputError("tol must be a positive number", field="tol", expected="> 0, e.g. 1e-8", got=tol)


def simplex_least_squares(X, Y, *, allowed=None, v=None, tol: float = 1e-8, block: int | None = None) -> SimplexFit:
    """Solve P simplex-constrained least-squares problems sharing one donor matrix.

    ``min_w ||diag(sqrt v) (y_p - X w)||^2  s.t.  w >= 0, sum w = 1, w_i = 0 where not allowed[p, i]``.

    Parameters
    ----------
    X : array_like, shape (m, N)
        Shared matrix: m pre-periods (or predictors) by N candidate donors. Non-finite values are
        allowed only in columns that no problem allows.
    Y : array_like, shape (P, m) or (m,)
        One target series per problem.
    allowed : array_like of bool, shape (P, N) or (N,), optional
        Donors each problem may use (default all). Each row needs at least one True.
    v : array_like, shape (m,), optional
        Non-negative predictor weights (default ones).
    tol : float, default 1e-8
        KKT tolerance relative to the objective's scale (module docstring).
    block : int, optional
        Problems solved together (default about 2**20 / N): the working memory is O(N x block).
        Each problem's arithmetic does not depend on the others in its block except through the
        padding of the stacked solves, so results agree across block sizes to rounding.

    Returns
    -------
    SimplexFit
        Weights (P, N), objective (P,), kkt_gap (P,), certified (P,), n_fallback.

    Raises
    ------
    InputError
        Wrong shapes, a missing value in Y or an allowed donor, negative v, a problem with no donor.

    Notes
    -----
    BLAS is held to one thread during the solve (threadpoolctl); run problems in parallel with
    processes (the screen's executors) instead.
    """
    _check_tol(tol)
    X, Y, allowed, v = _check(X, Y, allowed, v)
    p, n = allowed.shape
    b = block_size(n, block)
    Xc, sv, centre = _centre(X, v, allowed.any(axis=0))
    Yc = Y * sv[None, :] - centre[None, :]
    W = np.zeros((p, n))
    obj, gap = np.zeros(p), np.zeros(p)
    cert = np.zeros(p, dtype=bool)
    n_fb = 0
    with _blas_one_thread():
        for lo in range(0, p, b):
            sl = slice(lo, min(lo + b, p))
            W[sl], obj[sl], gap[sl], cert[sl], k = _solve_block(Xc, Yc[sl], allowed[sl], tol)
            n_fb += k
    return SimplexFit(weights=W, objective=obj, kkt_gap=gap, certified=cert, n_fallback=n_fb)


def leave_one_out_blocks(X, *, v=None, tol: float = 1e-8, block: int | None = None,
                         blocks: range | None = None):
    """Yield ``(rows, fit)`` per block: the leave-one-out problems of units ``rows`` (a slice) with
    dense weights (len(rows), N) in a :class:`SimplexFit`, so a caller can use each block's
    weights (e.g. ``fit.weights @ series``) and drop them. The blocks of
    :func:`simplex_leave_one_out`, which concatenates them sparsely; X (m, N) finite, N >= 2.
    ``blocks``: only these block numbers (block k holds units k*block ...), for splitting one batch
    across processes; each block's result does not depend on which others are solved.
    """
    _check_tol(tol)
    X = np.array(X, dtype=float, copy=True)
    if X.ndim != 2 or X.shape[1] < 2 or X.shape[0] == 0:
        raise InputError("X must be a 2-D array (pre-periods x units) with at least two units", field="X",
                         expected="shape (m, N) with m >= 1, N >= 2", got=getattr(X, "shape", None))
    n = X.shape[1]
    if not np.all(np.isfinite(X)):
        r, c = np.argwhere(~np.isfinite(X))[0]
        raise InputError("a unit has a missing or infinite value", field="X", expected="finite numbers",
                         got=f"X[{r}, {c}] = {X[r, c]}", hint="Drop that unit or that period first")
    _, _, _, v = _check(X[:, :1], X[:, 0], None, v)
    b = block_size(n, block)
    Xc, sv, centre = _centre(X, v, np.ones(n, dtype=bool))
    for k in (blocks if blocks is not None else range(-(-n // b))):
        lo = k * b
        if lo >= n:
            break
        hi = min(lo + b, n)
        rows = np.arange(lo, hi)
        allowed = np.ones((hi - lo, n), dtype=bool)
        allowed[rows - lo, rows] = False
        Yc = X[:, lo:hi].T * sv[None, :] - centre[None, :]
        with _blas_one_thread():
            W, obj, gap, cert, k = _solve_block(Xc, Yc, allowed, tol)
        yield slice(lo, hi), SimplexFit(weights=W, objective=obj, kkt_gap=gap, certified=cert, n_fallback=k)


def simplex_leave_one_out(X, *, v=None, tol: float = 1e-8, block: int | None = None) -> SimplexFit:
    """Fit every column of X from all the other columns: the screen's leave-one-out placebo batch.

    Equal to ``simplex_least_squares(X, X.T, allowed=~np.eye(N, dtype=bool), v=v, tol=tol, block=block)``
    (same centring, same blocks: bit-identical) without forming any N x N array: ``weights`` is a
    :class:`scipy.sparse.csr_array` (N, N) holding only the positive weights (at most about m + 1 per
    row), and the working memory is O(N x block). X (m, N) must be finite, with N >= 2.
    """
    from scipy.sparse import csr_array

    parts = list(_sparse_parts(leave_one_out_blocks(X, v=v, tol=tol, block=block)))
    n = int(np.asarray(X).shape[1])
    indptr = np.concatenate([[0], np.cumsum(np.concatenate([p[0] for p in parts]))])
    W = csr_array((np.concatenate([p[2] for p in parts]), np.concatenate([p[1] for p in parts]), indptr),
                  shape=(n, n))
    cat = lambda i: np.concatenate([getattr(p[3], i) for p in parts])  # noqa: E731
    return SimplexFit(weights=W, objective=cat("objective"), kkt_gap=cat("kkt_gap"), certified=cat("certified"),
                      n_fallback=sum(p[3].n_fallback for p in parts))


def _sparse_parts(blocks):
    """Per block: (positive weights per row, their columns, their values, the fit)."""
    for rows, fit in blocks:
        r, c = np.nonzero(fit.weights > 0)
        yield np.bincount(r, minlength=rows.stop - rows.start), c, fit.weights[r, c], fit
