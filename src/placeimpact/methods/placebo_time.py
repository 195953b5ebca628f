"""In-time placebo for the synthetic control: pretend the reform started earlier.

The last ``k`` pre-reform periods become a fake post-period: the fake start is the
start of the k-th last pre-period, the weights are refitted on the pre-periods that
ended before it (periods straddling it, as with rolling three-year periods, are left
out like the real transition), and the mean fake-post gap is the placebo "effect".
Only pre-reform data are used, so the true effect there is zero: a clear gap means
the synthetic control does not track the focal area out of sample, and the real
estimate should not be trusted (Abadie, Diamond & Hainmueller 2015, "backdating").

When ``in_space`` is true the fake effect also gets the in-space placebo p-value and
interval of :mod:`.placebo_space`, computed on the fake dates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import MethodError
from .placebo_space import placebo_in_space
from .synth_fit import MIN_FIT_PERIODS, SynthData, fit_units, placebo_allowed

__all__ = ["PlaceboTime", "placebo_in_time"]


@dataclass(frozen=True, eq=False)
class PlaceboTime:
    """In-time placebo result.

    ``fit`` and ``post`` are the fake (n_periods,) masks; ``gap`` (n_periods,) is the
    focal area minus its synthetic control refitted on the fake pre-period; ``weights``
    (n_units,) those refitted weights. ``estimate`` is the mean fake-post gap and
    ``relative`` the same divided by the fake fit's pre-RMSPE (floored at the focal
    area's sampling SE with ``inference="noise_floor"``, as in the in-space test);
    ``ci_low``, ``ci_high``, ``p_value``
    are NaN unless ``in_space``.
    """

    k: int
    fake_start: np.datetime64
    fit: np.ndarray
    post: np.ndarray
    weights: np.ndarray
    gap: np.ndarray
    estimate: float
    pre_rmspe: float
    relative: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan


def placebo_in_time(
    data: SynthData,
    *,
    k: int | None = None,
    v: np.ndarray | None = None,
    in_space: bool = True,
    inference: str = "adh",
) -> PlaceboTime:
    """Refit with a fake reform start ``k`` pre-periods early.

    Parameters
    ----------
    data:
        From :func:`~placeimpact.methods.synth_fit.prepare`.
    k:
        Number of pre-periods moved into the fake post-period; default a third of the
        pre-periods (at least 1).
    v:
        (n_fit,) period weights of the real fit; the fake fit uses the matching subset.
    in_space:
        Also run the in-space placebo test on the fake dates (one batched solve).
    inference:
        The in-space test, as in :func:`~placeimpact.methods.placebo_space.placebo_in_space`.

    Raises
    ------
    MethodError
        If fewer than ``MIN_FIT_PERIODS`` fake pre-periods would remain.
    """
    idx = np.flatnonzero(data.fit)
    n_pre = idx.size
    k = max(1, n_pre // 3) if k is None else int(k)
    if not 1 <= k < n_pre:
        raise MethodError(f"in-time placebo: k must be between 1 and {n_pre - 1} (the pre-periods less one); got {k}")
    start = data.period_start[idx[n_pre - k]]
    fit = data.fit & (data.period_end < start)
    post = data.fit & (data.period_start >= start)
    if fit.sum() < MIN_FIT_PERIODS:
        raise MethodError(
            f"in-time placebo: a fake start {k} pre-periods early ({start}) leaves {int(fit.sum())} "
            "pre-periods to fit; "
            f"needs {MIN_FIT_PERIODS}; pass a smaller k or use an indicator with a longer pre-reform series")
    vv = None if v is None else np.asarray(v, float)[fit[data.fit]]
    n = data.values.shape[0]
    targets = np.arange(n) if in_space else np.zeros(1, int)
    sf = fit_units(data, targets, placebo_allowed(n)[targets], fit=fit, post=post, v=vv)
    gap, est, pre = sf.gap[0], float(sf.mean_post_gap[0]), float(sf.pre_rmspe[0])
    extra: dict[str, float] = {}
    if in_space:
        ps = placebo_in_space(data, fit=sf, inference=inference, fit_mask=fit, post_mask=post)
        scale = float(ps.scale[0])
        extra = dict(ci_low=ps.ci_low, ci_high=ps.ci_high, p_value=ps.p_value)
    else:
        se = data.se[0, fit]
        scale = (max(pre, float(np.nanmean(se))) if inference == "noise_floor" and np.isfinite(se).any()
                 else pre)
    return PlaceboTime(k=k, fake_start=start, fit=fit, post=post, weights=sf.weights[0], gap=gap, estimate=est,
                       pre_rmspe=pre, relative=est / scale if scale > 0 else math.nan, **extra)
