"""In-space placebo test for the synthetic control (Abadie, Diamond & Hainmueller 2010).

Every donor in turn is treated as if it had been reformed: its synthetic control is
fitted from the same donors minus itself (never from the focal area, which is treated),
and a statistic of the focal area is ranked among all units' statistics. With N
placebos::

    p = rank / (N + 1),   rank = 1 + #{placebos with statistic >= the focal area's}

so the smallest attainable p is 1/(N + 1): a 5% test needs at least 19 donors. The
label ("ranked k of n"), the p-value, the interval and hence the verdict all come from
this one test.

Two tests, chosen by ``inference``:

``"adh"`` (the default: the standard test of ADH 2010)
    Statistic: the post/pre RMSPE ratio, post-period root mean squared gap over the
    pre-period one. Interval: the constant effects tau not rejected when tau is taken
    off the focal area's post-period values (its weights are fitted on pre-period data
    and do not move; Firpo & Possebom 2018). The focal ratio at tau is
    ``sqrt((mean gap - tau)^2 + s^2) / pre-RMSPE`` (``s^2`` the variance of its post
    gaps about their mean), so the accepted set is ``mean gap +/- sqrt(q^2 pre^2 - s^2)``
    with q the k-th largest placebo ratio, k = floor(alpha (N + 1)): unbounded with
    fewer than 19 placebos, and *empty* when the post gaps vary more about their mean
    than any constant effect allows (the test then rejects every constant effect,
    zero included).

``"noise_floor"`` (our variant, an option)
    A synthetic control with more donors than pre-periods can reproduce a unit's
    pre-period values exactly, noise included; a pre-RMSPE near zero then makes the
    ratio explode and that unit's rank meaningless. With this option, when the panel
    carries confidence intervals each unit's pre-RMSPE is floored at its own mean
    sampling standard error over the pre-period (a lower bound on the noise in its
    gap), and the statistic is ``|mean post gap| / scale`` with ``scale = max(pre-RMSPE,
    SE)``. Interval: ``mean gap +/- q_k * scale_0``, q_k the k-th largest placebo
    statistic. It is steadier when many units fit exactly, but it is not the published
    test, so it is not the default.

Exclusions (ADH 2010). The test is repeated leaving out placebos whose pre-period MSPE
(squared pre-RMSPE, or squared scale with the noise floor) is more than 2, 5 or 20 times
the focal area's: a placebo that its donors could not track says little about how
unusual a post-period gap is. These are reported beside the headline (which uses all
placebos), never instead of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .synth_fit import SynthData, SynthFit, fit_units, placebo_allowed

__all__ = ["PlaceboSpace", "placebo_in_space", "permutation_p", "INFERENCE", "EXCLUDE_MSPE_MULTIPLES"]

#: the in-space placebo tests: the standard one first
INFERENCE: tuple[str, ...] = ("adh", "noise_floor")
#: placebos with a pre-period MSPE above these multiples of the focal area's are left out (ADH 2010)
EXCLUDE_MSPE_MULTIPLES: tuple[int, ...] = (2, 5, 20)

_STATISTIC = {"adh": "post/pre RMSPE ratio", "noise_floor": "noise-floored mean-gap statistic"}


@dataclass(frozen=True, eq=False)
class PlaceboSpace:
    """In-space placebo results. Per-unit arrays are (n_units,), focal area first.

    ``gaps`` is (n_units, n_periods): each unit minus its own synthetic control.
    ``stat`` is the statistic of the chosen test (``inference``): the post/pre RMSPE
    ratio ("adh") or |mean post gap| / scale ("noise_floor"); ``rank``, ``p_value``,
    ``ci_low``/``ci_high`` and ``exclusions`` all come from it. ``ci_empty`` is true
    when no constant effect is accepted (``ci_low``/``ci_high`` are then NaN).
    ``exclusions`` maps an MSPE multiple (2, 5, 20) to ``{"p_value", "rank",
    "n_placebos"}`` after leaving out placebos fitted that much worse than the focal area.
    ``p_value_ratio`` and ``p_value_mean_gap`` are the two statistics' p-values, for
    comparison only. ``n_exact`` counts placebos whose pre-period fit is exact (pre-RMSPE
    zero to rounding): their ratio is infinite.
    """

    codes: tuple[str, ...]
    inference: str
    pre_rmspe: np.ndarray
    post_rmspe: np.ndarray
    scale: np.ndarray
    ratio: np.ndarray
    mean_post_gap: np.ndarray
    stat: np.ndarray
    gaps: np.ndarray
    rank: int
    p_value: float
    ci_low: float
    ci_high: float
    ci_empty: bool
    exclusions: dict
    p_value_ratio: float
    p_value_mean_gap: float
    noise_floored: int
    n_exact: int = 0

    @property
    def n_placebos(self) -> int:
        return len(self.codes) - 1

    @property
    def min_p(self) -> float:
        """Smallest p-value this many placebos can give: 1 / (N + 1)."""
        return 1.0 / (self.n_placebos + 1)

    @property
    def statistic(self) -> str:
        """The test statistic in words."""
        return _STATISTIC[self.inference]

    @property
    def label(self) -> str:
        """'post/pre RMSPE ratio ranked k of n': the rank behind ``p_value = k / n``."""
        return f"{self.statistic} ranked {self.rank} of {self.n_placebos + 1}"

    # compatibility names (ADH's exclusion at 5x and 20x the focal pre-MSPE)
    @property
    def p_value_5x(self) -> float:
        return self.exclusions[5]["p_value"]

    @property
    def n_5x(self) -> int:
        return self.exclusions[5]["n_placebos"]

    @property
    def p_value_20x(self) -> float:
        return self.exclusions[20]["p_value"]

    @property
    def n_20x(self) -> int:
        return self.exclusions[20]["n_placebos"]


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
    inference: str = "adh",
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
    inference:
        ``"adh"`` (default, the post/pre RMSPE-ratio test) or ``"noise_floor"`` (see the
        module notes).
    alpha:
        Two-sided level of the interval (0.05 gives 95%).
    fit_mask, post_mask:
        (n_periods,) bool overriding the data's pre/post periods (in-time placebos).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1); got {alpha!r}")
    if inference not in INFERENCE:
        raise ValueError(f"inference must be one of {', '.join(INFERENCE)}; got {inference!r}")
    fm = data.fit if fit_mask is None else fit_mask
    n = data.values.shape[0]
    if fit is None:
        fit = fit_units(data, np.arange(n), placebo_allowed(n), fit=fm, post=post_mask, v=v)
    scale = fit.pre_rmspe.copy()
    # a pre-period fit exact to rounding is exact: its post/pre ratio is unbounded, not 1e14
    level = float(np.mean(np.abs(data.values[:, fm]))) if fm.any() else 1.0
    exact = scale <= 1e-9 * max(level, 1e-12)
    scale[exact] = 0.0
    floored = 0
    if inference == "noise_floor":
        se = data.se[:, fm]
        has = np.isfinite(se).any(axis=1)
        floor = np.zeros(n)
        floor[has] = np.nanmean(se[has], axis=1)
        floored = int(np.sum(floor > scale))
        scale = np.maximum(scale, floor)
    ratio = _ratio(fit.post_rmspe, scale)
    mean_gap_stat = _ratio(np.abs(fit.mean_post_gap), scale)
    stat = ratio if inference == "adh" else mean_gap_stat
    k = math.floor(alpha * n + 1e-9)
    gbar, s0 = float(fit.mean_post_gap[0]), float(scale[0])
    lo = hi = math.nan
    empty = False
    if k < 1:
        lo, hi = -math.inf, math.inf
    else:
        q = float(np.sort(stat[1:])[::-1][k - 1])
        if not math.isfinite(q):
            lo, hi = -math.inf, math.inf
        elif inference == "noise_floor":
            lo, hi = gbar - q * s0, gbar + q * s0
        else:
            s2 = max(0.0, float(fit.post_rmspe[0]) ** 2 - gbar ** 2)
            d = (q * s0) ** 2 - s2
            if d >= 0:
                lo, hi = gbar - math.sqrt(d), gbar + math.sqrt(d)
            else:
                empty = True
    mspe = scale ** 2
    excl = {}
    for mult in EXCLUDE_MSPE_MULTIPLES:
        keep = mspe <= mult * mspe[0]
        keep[0] = False
        excl[mult] = {"p_value": permutation_p(stat, keep), "rank": int(1 + np.sum(stat[keep] >= stat[0])),
                      "n_placebos": int(keep.sum())}
    return PlaceboSpace(
        codes=data.codes, inference=inference, pre_rmspe=fit.pre_rmspe, post_rmspe=fit.post_rmspe, scale=scale,
        ratio=ratio, mean_post_gap=fit.mean_post_gap, stat=stat, gaps=fit.gap,
        rank=int(1 + np.sum(stat[1:] >= stat[0])), p_value=permutation_p(stat),
        ci_low=float(lo), ci_high=float(hi), ci_empty=empty, exclusions=excl,
        p_value_ratio=permutation_p(ratio), p_value_mean_gap=permutation_p(mean_gap_stat), noise_floored=floored,
        n_exact=int(exact[1:].sum()),
    )
