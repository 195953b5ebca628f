"""One indicator of the national screen: every area in turn as the treated area.

Synthetic control with full in-space placebos, in one batched solve
-------------------------------------------------------------------
For a treated area a, the in-space placebo test (Abadie, Diamond & Hainmueller 2010)
re-fits the synthetic control for every other area b as if b were treated, from all
areas except b ("shifting the treated unit to the donor pool"), and ranks a's
post/pre RMSPE ratio among all ratios. Placebo b's fit does not depend on which area
is the treated one: it is the leave-one-out fit of b. So the A x (A - 1) fits of a
full screen reduce to the A leave-one-out fits, solved in blocks by
:func:`~placeimpact.methods.simplex.leave_one_out_blocks` (shared X: the areas'
pre-period series; memory O(A x block), never A x A), and area a's placebo p-value is the
rank of its ratio among all A ratios. A large indicator's blocks can be shared across
processes (:func:`screen_fits`, then ``screen_panel(..., fits=...)``), bit-identically. *Caveat*: the donor pool of placebo b includes a; if a truly changed after
the reform and b leans on a, b's post-period gap carries part of a's change. This is
the textbook design, but it makes placebo p-values conservative for areas that are
heavy donors.

Within one indicator the placebo p-values of all areas are exactly the ranks
1/A, 2/A, ..., so a Benjamini-Hochberg correction across areas can never reject;
the screen controls the false discovery rate across an area's indicators instead
(see :mod:`.run`).

Predictors are the pre-period outcomes with equal weight (V fixed to the identity).
With many donors and few pre-periods an area inside the donors' hull is fitted
exactly (pre-RMSPE ~ 0) and its ratio would explode; so the pre-RMSPE in the ratio is
floored at the area's own noise level: the median pre-period standard error from its
95% CI where published, else sqrt(mean((second differences)^2) / 6), the white-noise
scale of its pre-period series (a fit tighter than the data's noise is over-fitting).

A cheap interrupted time series per area is fitted to the area's difference from
England: ``d_t = b0 + b1 (t - t0) + b2 post + b3 (t - t0) post`` by OLS (naive
standard errors: they ignore autocorrelation and overlapping rolling periods). The
reference is England's series, or the mean over areas where England's is incomplete.
For a total (counts, "£ million"; :func:`~placeimpact.methods._common.is_total`), which
scales with the area's size, England's total is not comparable with an area's (every
area's difference would be England's own level, and ``its_level`` England's step): the
reference of each area is then England's series times the area's pre-reform share of it
(:func:`~placeimpact.methods._common.size_scale`), so ``its_level`` and ``its_slope``
measure the departure from keeping that share, in the area's units. An area whose share
cannot be computed (a non-positive pre-reform total) gets no ITS, with a warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import Z95
from ..methods._common import is_total, size_scale
from ..methods.simplex import _blas_one_thread, block_size, leave_one_out_blocks
from ..panel import Panel

__all__ = ["screen_panel", "screen_columns", "screen_fits", "n_fit_blocks", "skip_reason", "periods_reason", "areas_reason", "COLUMNS", "MIN_PRE", "MIN_AREAS"]

MIN_PRE = 3
MIN_AREAS = 5
_Z95 = Z95

COLUMNS = [
    "indicator_id", "indicator_name", "polarity", "area_code", "area_name", "n_areas", "n_pre", "n_post",
    "pre_rmspe", "post_rmspe", "rmspe_ratio", "placebo_rank", "placebo_p", "gap_mean", "direction",
    "its_level", "its_slope", "its_slope_se", "its_rank_p", "n_donors", "warnings",
]


def _direction(gap: np.ndarray, polarity: str) -> np.ndarray:
    up = gap > 0
    if polarity == "high_is_good":
        d = np.where(up, "better", "worse")
    elif polarity == "low_is_good":
        d = np.where(up, "worse", "better")
    else:
        d = np.where(up, "higher", "lower")
    return np.where(np.isfinite(gap) & (gap != 0), d, "no_clear_change")


def _its(d: np.ndarray, t: np.ndarray, pre: np.ndarray, post: np.ndarray, t0: float):
    """Batched OLS of d (A, T) on [1, t-t0, post, (t-t0) post]: level, slope change and its SE (A,)."""
    use = pre | post
    Xd = np.column_stack([np.ones_like(t), t - t0, post, (t - t0) * post])[use]      # (T', 4)
    D = d[:, use]
    mask = np.isfinite(D)
    n = mask.sum(axis=1)
    ok = (n >= 5) & ((mask & pre[use]).sum(axis=1) >= 2) & ((mask & post[use]).sum(axis=1) >= 2)
    Dz = np.where(mask, D, 0.0)
    M = np.einsum("tk,at,tl->akl", Xd, mask.astype(float), Xd)
    M[~ok] = np.eye(4)
    b = np.einsum("tk,at->ak", Xd, Dz)
    Minv = np.linalg.pinv(M, hermitian=True)
    beta = np.einsum("akl,al->ak", Minv, b)
    res = np.where(mask, D - beta @ Xd.T, 0.0)
    s2 = (res ** 2).sum(axis=1) / np.maximum(n - 4, 1)
    se = np.sqrt(s2 * Minv[:, 3, 3])
    nan = np.full(d.shape[0], np.nan)
    return (np.where(ok, beta[:, 2], nan), np.where(ok, beta[:, 3], nan), np.where(ok, se, nan))


def _nanmean(a: np.ndarray) -> np.ndarray:
    """Row means over finite entries (NaN for an empty row, without a warning). a (A, T) -> (A,)."""
    ok = np.isfinite(a)
    cnt = ok.sum(axis=1)
    return np.where(cnt > 0, np.where(ok, a, 0.0).sum(axis=1) / np.maximum(cnt, 1), np.nan)


def _nanmedian(a: np.ndarray) -> np.ndarray:
    """Row medians over finite entries (NaN for an empty row, without a warning). a (A, T) -> (A,)."""
    if a.shape[1] == 0:
        return np.full(a.shape[0], np.nan)
    ok = np.isfinite(a)
    cnt = ok.sum(axis=1)
    s = np.sort(np.where(ok, a, np.inf), axis=1)
    rows = np.arange(a.shape[0])
    mid = 0.5 * (s[rows, np.maximum((cnt - 1) // 2, 0)] + s[rows, np.minimum(cnt // 2, a.shape[1] - 1)])
    return np.where(cnt > 0, mid, np.nan)


def _rank_p(stat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1 = largest) and permutation p-value #(stat_b >= stat_a) / #finite, NaN-aware. Shapes (A,)."""
    ok = np.isfinite(stat)
    s = np.sort(stat[ok])
    ge = s.size - np.searchsorted(s, stat, side="left")             # number >= stat
    gt = s.size - np.searchsorted(s, stat, side="right")
    rank = np.where(ok, gt + 1, np.nan)
    p = np.where(ok, ge / max(s.size, 1), np.nan)
    return rank, p


def _usable(panel: Panel) -> np.ndarray:
    V, pre, post = panel.values, panel.pre, panel.post
    return np.all(np.isfinite(V[:, pre]), axis=1) & np.isfinite(V[:, post]).any(axis=1)


def skip_reason(panel: Panel) -> str | None:
    """Why :func:`screen_panel` leaves this panel out (too few pre-periods, post-periods or areas), or None."""
    return periods_reason(int(panel.pre.sum()), int(panel.post.sum())) or areas_reason(int(_usable(panel).sum()))


def periods_reason(n_pre: int, n_post: int) -> str | None:
    """:func:`skip_reason` from the periods alone (pre-reform and post-reform counts), or None."""
    if n_pre < MIN_PRE:
        return f"{n_pre} pre-reform periods (need {MIN_PRE})"
    if n_post < 1:
        return "no post-reform period"
    return None


def areas_reason(n_usable: int) -> str | None:
    """:func:`skip_reason` from the areas with every pre-reform value and a post-reform one, or None."""
    return f"{n_usable} areas with complete pre-reform data (need {MIN_AREAS})" if n_usable < MIN_AREAS else None


def n_fit_blocks(panel: Panel, block: int | None = None) -> int:
    """How many blocks of leave-one-out fits :func:`screen_panel` solves for this panel."""
    a = int(_usable(panel).sum())
    return -(-a // block_size(a, block)) if a else 0


def screen_fits(panel: Panel, blocks: range, *, tol: float = 1e-8, block: int | None = None) -> dict:
    """The leave-one-out fits of blocks ``blocks`` only: one share of an indicator's work, for
    splitting a large indicator across processes. Pass the shares' results, in any order, to
    :func:`screen_panel` as ``fits=``; the rows are bit-identical to one unsplit call."""
    usable = _usable(panel)
    Vu = panel.values[usable]
    with _blas_one_thread():         # one thread everywhere: the same rounding in every process
        return _fits(Vu, Vu[:, panel.pre].T, tol, block, blocks)


def _fits(Vu: np.ndarray, X: np.ndarray, tol: float, block: int | None, blocks: range | None) -> dict:
    Vz = np.where(np.isfinite(Vu), Vu, 0.0)
    nan = (~np.isfinite(Vu)).astype(float)
    rows_out, synth_out, donors_out = [], [], []
    uncertified = 0
    for rows, fit in leave_one_out_blocks(X, tol=tol, block=block, blocks=blocks):  # memory O(A x block)
        W = fit.weights                                                # (block, A) dense, dropped after use
        used = W > 0
        s = W @ Vz
        s[used.astype(float) @ nan > 0] = np.nan                       # a donor with weight has no value
        rows_out.append(np.arange(rows.start, rows.stop))
        synth_out.append(s)
        donors_out.append(used.sum(axis=1))
        uncertified += int((~fit.certified).sum())
    cat = lambda xs, shape: np.concatenate(xs) if xs else np.zeros(shape)  # noqa: E731
    return {"rows": cat(rows_out, (0,)).astype(int), "synth": cat(synth_out, (0, Vu.shape[1])),
            "n_donors": cat(donors_out, (0,)).astype(int), "uncertified": uncertified}


def screen_panel(panel: Panel, *, tol: float = 1e-8, block: int | None = None,
                 fits: list[dict] | None = None) -> tuple[pd.DataFrame, str | None]:
    """Screen one all-areas panel. Returns (rows per area in :data:`COLUMNS` order, reason if skipped).

    Areas need every pre-period value to take part (as treated area and as donor). ``block``:
    leave-one-out fits solved together (default about 2**20 / areas), so memory is
    O(areas x block) (:func:`~placeimpact.methods.simplex.simplex_leave_one_out`). ``fits``: the
    results of :func:`screen_fits` over all blocks (a split indicator), used instead of solving here.
    """
    cols, why = screen_columns(panel, tol=tol, block=block, fits=fits)
    return (pd.DataFrame(columns=COLUMNS) if cols is None else pd.DataFrame(cols)), why


def screen_columns(panel: Panel, *, tol: float = 1e-8, block: int | None = None,
                   fits: list[dict] | None = None) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """:func:`screen_panel`'s rows as one array per column (:data:`COLUMNS` order), or None and the reason
    if skipped: what the executors send between processes (arrays pickle faster than a frame, and the
    rows of every indicator become one frame at the end)."""
    usable = _usable(panel)
    why = skip_reason(panel)
    if why is not None:
        return None, why
    # 0/0 where a series is flat -> NaN; BLAS on one thread in every process: the same rounding whatever
    # the executor
    with np.errstate(divide="ignore", invalid="ignore"), _blas_one_thread():
        return _screen(panel, usable, tol, block, fits), None


def _screen(panel: Panel, usable: np.ndarray, tol: float, block: int | None,
            fits: list[dict] | None) -> dict[str, np.ndarray]:
    pre, post = panel.pre, panel.post
    m, A = int(pre.sum()), int(usable.sum())
    Vu = panel.values[usable]
    X = Vu[:, pre].T                                                   # (m, A)
    parts = fits if fits is not None else [_fits(Vu, X, tol, block, None)]
    synth = np.full_like(Vu, np.nan)
    n_donors = np.zeros(A, dtype=int)
    for part in parts:
        synth[part["rows"]] = part["synth"]
        n_donors[part["rows"]] = part["n_donors"]
    uncertified = sum(part["uncertified"] for part in parts)
    gap = Vu - synth
    pre_rmspe = np.sqrt(np.mean(gap[:, pre] ** 2, axis=1))
    gp = gap[:, post]
    post_rmspe = np.sqrt(_nanmean(gp ** 2))
    gap_mean = _nanmean(gp)
    se = (panel.uci[usable] - panel.lci[usable]) / (2 * _Z95)
    noise = _nanmedian(se[:, pre])
    d2 = np.diff(Vu[:, pre], n=2, axis=1)                              # white noise: var(d2) = 6 sigma^2
    noise = np.where(np.isfinite(noise), noise, np.sqrt(np.mean(d2 ** 2, axis=1) / 6.0))
    denom = np.maximum(pre_rmspe, noise)
    tiny = 1e-12 * np.nanmax(np.abs(Vu))
    ratio = post_rmspe / np.maximum(denom, tiny)
    rank, p = _rank_p(ratio)

    ref, ref_name = panel.england_values, "England"
    if not np.all(np.isfinite(ref[pre | post])):
        ref, ref_name = _nanmean(Vu.T), "the mean over areas"  # national reference missing
    total = is_total(panel)
    share = size_scale(Vu, ref, pre) if total else np.ones(A)  # a total: the reference at each area's size
    lvl, slope, slope_se = _its(Vu - share[:, None] * ref[None, :], panel.t, pre, post, panel.reform_t)
    _, its_p = _rank_p(np.abs(slope / slope_se))

    warn_common = []
    if m < 2 * MIN_PRE:
        warn_common.append(f"only {m} pre-reform periods")
    if panel.overlapping:
        warn_common.append("overlapping rolling periods")
    if A < 20:
        warn_common.append(f"few areas ({A}): smallest placebo p is {1 / A:.2f}")
    poor = pre_rmspe > np.nanquantile(pre_rmspe, 0.9)
    warnings = np.where(poor, "; ".join(warn_common + ["pre-reform fit poorer than 90% of areas"]),
                        "; ".join(warn_common))
    if uncertified:
        extra = f"{uncertified} fits not certified"
        warnings = np.array([f"{w}; {extra}" if w else extra for w in warnings])
    if total:
        note = np.where(np.isfinite(share), f"a total: ITS against {ref_name} scaled to the area's pre-reform share",
                        "a total with a non-positive pre-reform sum: no ITS")
        warnings = np.array([f"{w}; {n}" if w else n for w, n in zip(warnings, note)])
    if panel.warnings:          # panel notes about one area (a combined publication) go on that area's row
        extra_notes = np.array(["; ".join(w for w in panel.warnings if f"({c})" in w) for c in panel.area_codes],
                               dtype=object)[usable]
        warnings = np.array([f"{w}; {n}" if w and n else (w or n) for w, n in zip(warnings, extra_notes)])
    codes = np.array(panel.area_codes)[usable]
    names = np.array(panel.area_names)[usable]
    cols = {
        "indicator_id": panel.indicator_id, "indicator_name": panel.indicator_name, "polarity": panel.polarity,
        "area_code": codes, "area_name": names, "n_areas": A, "n_pre": m,
        "n_post": np.isfinite(gp).sum(axis=1), "pre_rmspe": pre_rmspe, "post_rmspe": post_rmspe,
        "rmspe_ratio": ratio, "placebo_rank": rank, "placebo_p": p, "gap_mean": gap_mean,
        "direction": _direction(gap_mean, panel.polarity), "its_level": lvl, "its_slope": slope,
        "its_slope_se": slope_se, "its_rank_p": its_p, "n_donors": n_donors, "warnings": warnings,
    }
    return {k: np.full(A, v) if np.ndim(v) == 0 else np.asarray(v) for k, v in cols.items()}
