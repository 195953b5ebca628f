"""In-space placebo test for the synthetic control (Abadie, Diamond & Hainmueller 2010).

Every donor in turn is treated as if it had been reformed: its synthetic control is
fitted from the other donors (never from the focal area, which is treated), and the
focal area's post/pre RMSPE ratio is ranked among all units' ratios. With N placebos::

    p = rank / (N + 1),   rank = 1 + #{placebos with ratio >= the focal area's}

so the smallest attainable p is 1/(N + 1): a 5% test needs at least 19 donors.

ADH 2010 also drop placebos whose pre-period fit is much worse than the treated
unit's (pre-MSPE more than 20, 5 or 2 times the treated unit's); ``p_value_20x`` and
``p_value_5x`` repeat the test after those exclusions.

Noise floor (our addition, on by default). A synthetic control with more donors than
pre-periods can reproduce a unit's pre-period values exactly, noise included, and a
pre-RMSPE of zero makes the ratio infinite. When the panel carries confidence
intervals, each unit's pre-RMSPE is therefore floored at its own mean sampling
standard error over the pre-period (a lower bound on the noise in its gap): the
*scale* ``max(pre-RMSPE, SE)`` replaces pre-RMSPE in the ratio, the exclusions and
the interval. Without CIs, or with ``noise_floor=False``, this is exactly ADH 2010.

Interval. The 95% interval inverts the same permutation test for H0: "the mean
post-period effect is tau" with the statistic |mean post gap - tau| / scale (the
focal area's weights do not depend on tau, since they are fitted on pre-period data;
Firpo & Possebom 2018 invert the placebo test in the same way). The accepted set is
``mean gap +/- q_k * scale_0``, where q_k is the k-th largest placebo statistic and
k = floor(0.05 (N + 1)); with fewer than 19 placebos it is unbounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .synth_fit import SynthData, SynthFit, fit_units, placebo_allowed

__all__ = ["PlaceboSpace", "placebo_in_space", "permutation_p"]


@dataclass(frozen=True, eq=False)
class PlaceboSpace:
    """In-space placebo results. Per-unit arrays are (n_units,), focal area first.

    ``gaps`` is (n_units, n_periods): each unit minus its own synthetic control.
    ``stat`` is |mean post gap| / scale, the statistic the interval inverts.
    """

    codes: tuple[str, ...]
    pre_rmspe: np.ndarray
    post_rmspe: np.ndarray
    scale: np.ndarray
    ratio: np.ndarray
    mean_post_gap: np.ndarray
    stat: np.ndarray
    gaps: np.ndarray
    rank: int
    p_value: float
    p_value_mean_gap: float
    p_value_5x: float
    n_5x: int
    p_value_20x: float
    n_20x: int
    ci_low: float
    ci_high: float
    noise_floored: int

    @property
    def n_placebos(self) -> int:
        return len(self.codes) - 1

    @property
    def min_p(self) -> float:
        """Smallest p-value this many placebos can give: 1 / (N + 1)."""
        return 1.0 / (self.n_placebos + 1)


def permutation_p(stat: np.ndarray, keep: np.ndarray | None = None) -> float:
    """Placebo p-value: (1 + #{kept placebos with stat >= stat[0]}) / (1 + #kept).

    ``stat`` (n_units,) with the focal unit first; ``keep`` (n_units,) bool selects
    placebos (element 0 is ignored). Ties count against the focal unit.
    """
    keep = np.ones(stat.shape, bool) if keep is None else keep.copy()
    keep[0] = False
    return float((1 + np.sum(stat[keep] >= stat[0])) / (1 + keep.sum()))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.inf)
    np.divide(num, den, out=out, where=den > 0)
    out[(den <= 0) & (num <= 0)] = 0.0
    return out


def placebo_in_space(
    data: SynthData,
    *,
    fit: SynthFit | None = None,
    v: np.ndarray | None = None,
    noise_floor: bool = True,
    alpha: float = 0.05,
    fit_mask: np.ndarray | None = None,
    post_mask: np.ndarray | None = None,
) -> PlaceboSpace:
    """Run the in-space placebo test.

    Parameters
    ----------
    data:
        From :func:`~placeimpact.methods.synth_fit.prepare`.
    fit:
        A fit of every unit with :func:`~placeimpact.methods.synth_fit.placebo_allowed`
        (reused if given; otherwise computed in one batched solve).
    v:
        (n_fit,) period weights for the fit; None = identity.
    noise_floor:
        Floor each unit's pre-RMSPE at its mean sampling SE (see module notes).
    alpha:
        Two-sided level of the interval (0.05 gives 95%).
    fit_mask, post_mask:
        (n_periods,) bool overriding the data's pre/post periods (in-time placebos).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1); got {alpha!r}")
    fm = data.fit if fit_mask is None else fit_mask
    n = data.values.shape[0]
    if fit is None:
        fit = fit_units(data, np.arange(n), placebo_allowed(n), fit=fm, post=post_mask, v=v)
    scale = fit.pre_rmspe.copy()
    floored = 0
    if noise_floor:
        se = data.se[:, fm]
        has = np.isfinite(se).any(axis=1)
        floor = np.zeros(n)
        floor[has] = np.nanmean(se[has], axis=1)
        floored = int(np.sum(floor > scale))
        scale = np.maximum(scale, floor)
    ratio = _ratio(fit.post_rmspe, scale)
    stat = _ratio(np.abs(fit.mean_post_gap), scale)
    mspe = scale ** 2
    keep5, keep20 = mspe <= 5 * mspe[0], mspe <= 20 * mspe[0]
    k = math.floor(alpha * n + 1e-9)
    if k >= 1:
        q = np.sort(stat[1:])[::-1][k - 1]
        half = q * scale[0]
        lo, hi = fit.mean_post_gap[0] - half, fit.mean_post_gap[0] + half
    else:
        lo, hi = -math.inf, math.inf
    return PlaceboSpace(
        codes=data.codes, pre_rmspe=fit.pre_rmspe, post_rmspe=fit.post_rmspe, scale=scale, ratio=ratio,
        mean_post_gap=fit.mean_post_gap, stat=stat, gaps=fit.gap, rank=int(1 + np.sum(ratio[1:] >= ratio[0])),
        p_value=permutation_p(ratio), p_value_mean_gap=permutation_p(stat),
        p_value_5x=permutation_p(ratio, keep5), n_5x=int(keep5[1:].sum()),
        p_value_20x=permutation_p(ratio, keep20), n_20x=int(keep20[1:].sum()),
        ci_low=float(lo), ci_high=float(hi), noise_floored=floored,
    )
