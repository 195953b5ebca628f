"""Leave-one-out robustness for the synthetic control (Abadie, Diamond & Hainmueller 2015).

Each donor with positive weight is dropped in turn and the synthetic control is
refitted from the rest (all refits in one batched solve). If the estimate moves a
lot, or changes sign, when one donor goes, the result rests on that donor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .synth_fit import POSITIVE_WEIGHT, SynthData, fit_units, placebo_allowed

__all__ = ["LeaveOneOut", "leave_one_out"]


@dataclass(frozen=True, eq=False)
class LeaveOneOut:
    """Refits without each positive-weight donor.

    Shapes: ``dropped`` and ``dropped_weight`` (k,) name each left-out donor and the
    weight it had; ``estimates`` and ``pre_rmspe`` (k,) the mean post gap and pre-RMSPE
    of each refit; ``synthetic`` (k, n_periods) its synthetic series.
    """

    dropped: tuple[str, ...]
    dropped_weight: np.ndarray
    estimates: np.ndarray
    pre_rmspe: np.ndarray
    synthetic: np.ndarray

    @property
    def failed(self) -> tuple[str, ...]:
        """Donors without which the synthetic control could not be refitted (NaN estimate)."""
        return tuple(d for d, e in zip(self.dropped, self.estimates) if not np.isfinite(e))

    @property
    def low(self) -> float:
        """Smallest refit estimate (refits that failed left out; NaN when none succeeded)."""
        ok = self.estimates[np.isfinite(self.estimates)]
        return float(np.min(ok)) if ok.size else float("nan")

    @property
    def high(self) -> float:
        ok = self.estimates[np.isfinite(self.estimates)]
        return float(np.max(ok)) if ok.size else float("nan")

    def sign_changes(self, estimate: float) -> bool:
        """True when some successful refit's estimate has the opposite sign to ``estimate``.

        A refit that failed (NaN) is not a sign change: see :attr:`failed`.
        """
        ok = self.estimates[np.isfinite(self.estimates)]
        return bool(np.any(np.sign(ok) != np.sign(estimate)))


def leave_one_out(data: SynthData, weights: np.ndarray, *, v: np.ndarray | None = None) -> LeaveOneOut:
    """Refit the focal area's synthetic control without each positive-weight donor.

    Parameters
    ----------
    data:
        From :func:`~placeimpact.methods.synth_fit.prepare` (needs at least 2 donors).
    weights:
        (n_units,) the focal area's fitted weights (row 0 zero).
    v:
        (n_fit,) period weights, as in the main fit.
    """
    w = np.asarray(weights, float)
    pos = np.flatnonzero(w > POSITIVE_WEIGHT)
    k = pos.size
    allowed = np.repeat(placebo_allowed(w.size)[:1], k, axis=0)
    allowed[np.arange(k), pos] = False
    sf = fit_units(data, np.zeros(k, int), allowed, v=v)
    return LeaveOneOut(dropped=tuple(data.codes[i] for i in pos), dropped_weight=w[pos],
                       estimates=sf.mean_post_gap, pre_rmspe=sf.pre_rmspe, synthetic=sf.synthetic)
