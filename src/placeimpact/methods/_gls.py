"""Serially correlated errors for short indicator series: GLS with annual AR(1) errors.

Indicator series are short (8-25 points) and autocorrelated, and three-year rolling
periods overlap by construction: consecutive values share two of their three years, so
even independent annual noise gives neighbouring values a correlation of 2/3. Newey-West
(HAC) standard errors are badly over-confident at these lengths (the simulation bench
shows it), so the methods model the error covariance instead:

* each calendar year ``c`` carries a stationary AR(1) error ``u_c`` with
  ``corr(u_c, u_d) = rho ** |c - d|`` and variance ``sigma**2``;
* a period covering years ``c0 .. c0+L-1`` observes their mean, so the period errors
  have covariance ``sigma**2 * A Omega(rho) A'`` with ``A`` the averaging matrix.

Annual series are the special case ``A = I``; sub-annual series fall back to AR(1) over
the period index. ``rho`` is estimated by restricted maximum likelihood (REML, Patterson
and Thompson 1971) on a grid, pooled over every series given (the focal area and its
comparators share one correlation, each keeps its own ``sigma``), which is far less
biased than an estimate from one short series; ``sigma`` and the coefficients then come
from the focal series by GLS, with t-based intervals on ``n - k`` degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["RHO_GRID", "averaging_matrix", "ar1_corr", "reml_rho", "gls_fit", "GLSFit"]

#: grid of annual AR(1) coefficients searched by REML
RHO_GRID = np.round(np.arange(-0.8, 0.951, 0.025), 3)


def averaging_matrix(period_start: np.ndarray, period_end: np.ndarray) -> np.ndarray:
    """Matrix mapping annual cells to periods: each period is the mean of the years it covers.

    Parameters
    ----------
    period_start, period_end : ndarray of datetime64[D], shape (n_periods,)

    Returns
    -------
    ndarray, shape (n_periods, n_cells)
        Rows sum to one. Cells are calendar years from the first start year when every
        period lasts a whole number (>= 1) of years; otherwise cells are the periods
        themselves (identity), i.e. AR(1) over the period index.
    """
    start = np.asarray(period_start, dtype="datetime64[D]")
    end = np.asarray(period_end, dtype="datetime64[D]")
    n = start.shape[0]
    years = ((end - start).astype(float) + 1) / 365.25
    length = np.rint(years).astype(int)
    if n == 0 or np.any(length < 1) or np.any(np.abs(years - length) > 0.1):
        return np.eye(n)
    y0 = start.astype("datetime64[Y]").astype(int) + 1970
    first = y0.min()
    n_cells = int((y0 + length).max() - first)
    cells = np.arange(n_cells)[None, :]
    lo = (y0 - first)[:, None]
    inside = (cells >= lo) & (cells < lo + length[:, None])
    return inside / length[:, None]


def ar1_corr(n_cells: int, rho: np.ndarray) -> np.ndarray:
    """Stationary AR(1) correlation matrices, shape (n_rho, n_cells, n_cells)."""
    r = np.asarray(rho, dtype=float)
    powers = r[:, None] ** np.arange(n_cells)[None, :]          # (n_rho, n_cells)
    lag = np.abs(np.subtract.outer(np.arange(n_cells), np.arange(n_cells)))
    return powers[:, lag]


@lru_cache(maxsize=64)
def _grid_corr(n_cells: int, grid: bytes) -> np.ndarray:
    out = ar1_corr(n_cells, np.frombuffer(grid))
    out.setflags(write=False)
    return out


@lru_cache(maxsize=32)
def _grid_whitener(A_bytes: bytes, shape: tuple[int, int], grid: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Inverse Cholesky factors (G, n, n) and log-determinants (G,) of ``A Omega(rho) A'`` on a grid.

    Cached: every panel with the same periods (all draws of a simulation study) shares them.
    """
    A = np.frombuffer(A_bytes).reshape(shape)
    sigma = A @ _grid_corr(shape[1], grid) @ A.T
    L = np.linalg.cholesky(sigma)
    Linv = np.linalg.inv(L)
    logdet = 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    Linv.setflags(write=False)
    logdet.setflags(write=False)
    return Linv, logdet


def _whiten(sigma: np.ndarray, X: np.ndarray, Y: np.ndarray):
    """Cholesky-whitened design and responses for each covariance in ``sigma`` (G, n, n)."""
    L = np.linalg.cholesky(sigma)
    Linv = np.linalg.inv(L)
    logdet = 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    return Linv @ X, Linv @ Y.T, logdet


def reml_rho(Y: np.ndarray, X: np.ndarray, A: np.ndarray, *, grid: np.ndarray = RHO_GRID) -> tuple[float, np.ndarray]:
    """REML estimate of the annual AR(1) coefficient pooled over series.

    Parameters
    ----------
    Y : ndarray, shape (m, n)
        ``m`` complete series observed at the same ``n`` periods (no NaN).
    X : ndarray, shape (n, k)
        Design shared by all series (full column rank, ``n > k``).
    A : ndarray, shape (n, n_cells)
        Averaging matrix of those periods (:func:`averaging_matrix`).
    grid : ndarray, shape (G,)
        Values of rho searched.

    Returns
    -------
    rho : float
        The grid value maximising the summed restricted log-likelihood (each series
        with its own variance profiled out).
    loglik : ndarray, shape (G,)
        The profile restricted log-likelihood.
    """
    m, n = Y.shape
    k = X.shape[1]
    A = np.ascontiguousarray(A, dtype=float)
    Linv, logdet = _grid_whitener(A.tobytes(), A.shape, np.asarray(grid, dtype=float).tobytes())
    Xw, Yw = Linv @ X, Linv @ Y.T
    Q, R = np.linalg.qr(Xw)
    resid = Yw - Q @ (np.swapaxes(Q, 1, 2) @ Yw)
    rss = np.maximum((resid ** 2).sum(axis=1), 1e-300)  # (G, m)
    logdet_xtx = 2 * np.log(np.abs(np.diagonal(R, axis1=1, axis2=2))).sum(axis=1)
    ll = -0.5 * ((n - k) * np.log(rss).sum(axis=1) + m * logdet + m * logdet_xtx)
    return float(grid[int(np.argmax(ll))]), ll


@dataclass(frozen=True)
class GLSFit:
    """GLS coefficients of one series with covariance ``sigma2 * A Omega(rho) A'``.

    ``params`` (k,), ``cov`` (k, k) scaled by ``sigma2``, ``df = n - k``, ``fitted`` (n,),
    ``resid`` (n,), ``rho`` the annual AR(1) coefficient used, ``sigma2`` the annual error
    variance estimate.
    """

    params: np.ndarray
    cov: np.ndarray
    sigma2: float
    df: int
    rho: float
    fitted: np.ndarray
    resid: np.ndarray

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def gls_fit(y: np.ndarray, X: np.ndarray, A: np.ndarray, rho: float) -> GLSFit:
    """Fit ``y = X b + e`` by GLS with ``cov(e) = sigma2 * A Omega(rho) A'``.

    Parameters
    ----------
    y : ndarray, shape (n,)
    X : ndarray, shape (n, k)
    A : ndarray, shape (n, n_cells)
    rho : float
    """
    sigma = (A @ ar1_corr(A.shape[1], np.array([rho])) @ A.T)
    Xw, Yw, _ = _whiten(sigma, X, y[None, :])
    Xw, yw = Xw[0], Yw[0, :, 0]
    beta, *_ = np.linalg.lstsq(Xw, yw, rcond=None)
    n, k = X.shape
    df = n - k
    rw = yw - Xw @ beta
    sigma2 = float(rw @ rw / df)
    cov = sigma2 * np.linalg.inv(Xw.T @ Xw)
    fitted = X @ beta
    return GLSFit(params=beta, cov=cov, sigma2=sigma2, df=df, rho=float(rho), fitted=fitted, resid=y - fitted)
