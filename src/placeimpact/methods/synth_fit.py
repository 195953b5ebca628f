"""Synthetic control: the donor data and the batched weight fit shared by the design and its diagnostics.

:func:`prepare` turns a :class:`~placeimpact.panel.Panel` into :class:`SynthData`
(focal row 0, clean donors, the periods used to fit and to estimate) and says, in
warnings, which donors and periods it left out and why. :func:`fit_units` fits one
synthetic control per target unit in one call to the shared simplex solver
(:func:`placeimpact.methods.simplex.simplex_least_squares`): every unit is a column
of the same matrix and each problem excludes columns through ``allowed``.

The weights solve (Abadie, Diamond & Hainmueller 2010, with predictors = the
pre-period outcomes)::

    min_w  sum_j v_j (y_j - sum_i w_i Y_ij)^2   s.t.  w_i >= 0,  sum_i w_i = 1,

over the pre-reform periods j (transition periods excluded); ``v`` is the identity
by default, so every pre-period counts equally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import MethodError
from ..panel import Panel
from .simplex import simplex_least_squares

__all__ = ["SynthData", "SynthFit", "NotEnoughData", "prepare", "fit_units", "placebo_allowed", "combine",
           "MIN_FIT_PERIODS"]

MIN_FIT_PERIODS = 2     # fewer pre-periods than this and there is nothing to fit
POSITIVE_WEIGHT = 1e-6  # weights at or below this count as zero (leave-one-out, donor counts)


class NotEnoughData(MethodError):
    """The panel has too few pre-periods, post-periods or donors for a synthetic control."""


@dataclass(frozen=True, eq=False)
class SynthData:
    """A panel cleaned for the synthetic control method.

    Shapes: ``values`` and ``se`` (standard errors from the 95% limits, NaN where none)
    are (n_units, n_periods), row 0 the focal area, rows 1.. the donors kept; ``fit``,
    ``post``, ``t``, ``period_start``, ``period_end``, ``focal_halfwidth`` are
    (n_periods,). ``fit`` marks the pre-reform periods (transition excluded) where the
    focal area is observed; ``post`` the post-reform periods where it is observed.
    Every donor is observed in every ``fit`` and ``post`` period.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    values: np.ndarray
    fit: np.ndarray
    post: np.ndarray
    t: np.ndarray
    period_labels: tuple[str, ...]
    period_start: np.ndarray
    period_end: np.ndarray
    focal_halfwidth: np.ndarray
    se: np.ndarray
    polarity: str
    warnings: tuple[str, ...]
    dropped: tuple[str, ...]

    @property
    def n_donors(self) -> int:
        return self.values.shape[0] - 1


@dataclass(frozen=True, eq=False)
class SynthFit:
    """Synthetic controls for P target units.

    Shapes: ``targets`` (P,) row indices into the data; ``weights`` (P, n_units), zero on
    the target's own row and on excluded rows; ``synthetic`` and ``gap`` (P, n_periods),
    gap = target - synthetic, NaN where a donor with positive weight is missing;
    ``pre_rmspe``, ``post_rmspe``, ``mean_post_gap``, ``objective``, ``kkt_gap`` (P,).
    RMSPEs are unweighted (whatever ``v``) root mean squared gaps over the fit and
    post periods.
    """

    targets: np.ndarray
    weights: np.ndarray
    synthetic: np.ndarray
    gap: np.ndarray
    pre_rmspe: np.ndarray
    post_rmspe: np.ndarray
    mean_post_gap: np.ndarray
    objective: np.ndarray
    kkt_gap: np.ndarray
    n_fallback: int


def prepare(panel: Panel, *, donors: str | Sequence[str] = "comparators") -> SynthData:
    """Focal area and clean donors from a panel.

    Parameters
    ----------
    panel:
        Row 0 the focal area, rows 1.. candidate donors.
    donors:
        ``"comparators"``: the panel's rows 1.. (its comparator group, or whatever it was
        built with); ``"all"``: every area of the focal area's type, which needs a panel
        built with ``comparators=None`` (raises otherwise); or a list of area codes
        among the panel's rows.

    Donors missing any value in a fit or post period are dropped, with a warning naming
    them; focal periods with no value are left out of the fit or the estimate, with a
    warning. Nothing is interpolated. Raises :class:`NotEnoughData` (a
    :class:`MethodError`) when fewer than ``MIN_FIT_PERIODS`` pre-periods, no post-period
    or fewer than two donors remain, and :class:`MethodError` for a bad ``donors``.
    """
    if isinstance(donors, str):
        if donors not in ("comparators", "all"):
            raise MethodError(f"donors must be 'comparators', 'all' or a list of area codes; got {donors!r}")
        if donors == "all" and panel.group_id is not None:
            raise MethodError(
                f"donors='all' needs every area of the focal area's type, but this panel holds only comparator "
                f"group {panel.group_id!r}; build it with build_panel(..., comparators=None) "
                "or use donors='comparators'")
        rows = list(range(1, panel.n_areas))
    else:
        where = {c: i for i, c in enumerate(panel.area_codes)}
        missing = [c for c in donors if c not in where]
        if missing:
            raise MethodError(f"donor areas not in the panel: {', '.join(missing)}; "
                              "build the panel with these areas as comparators")
        rows = [where[c] for c in dict.fromkeys(donors) if where[c] != 0]
    y = np.asarray(panel.values, dtype=float)
    focal_ok = np.isfinite(y[0])
    fit = panel.pre & focal_ok
    post = panel.post & focal_ok
    warnings: list[str] = []
    gaps = [panel.period_labels[j] for j in np.flatnonzero((panel.pre | panel.post) & ~focal_ok)]
    if gaps:
        warnings.append(f"{panel.focal_name} has no value for {', '.join(gaps)}; those periods were left out")
    if fit.sum() < MIN_FIT_PERIODS:
        raise NotEnoughData(
            f"synthetic control needs at least {MIN_FIT_PERIODS} pre-reform periods with data for {panel.focal_name}; "
            f"found {int(fit.sum())} before {panel.reform_start} ({panel.indicator_id}); "
            "choose an indicator with a longer pre-reform series")
    if not post.any():
        raise NotEnoughData(f"no post-reform period with data for {panel.focal_name} ({panel.indicator_id}) "
                          f"after {panel.reform_start}; the synthetic control has nothing to estimate")
    rows_arr = np.asarray(rows, dtype=int)
    complete = np.isfinite(y[rows_arr][:, fit | post]).all(axis=1) if rows else np.zeros(0, bool)
    dropped = tuple(panel.area_codes[i] for i in rows_arr[~complete])
    if dropped:
        shown = ", ".join(dropped[:12]) + (f" and {len(dropped) - 12} more" if len(dropped) > 12 else "")
        warnings.append(f"{len(dropped)} donor areas were dropped for missing pre- or post-reform values: {shown}")
    keep = [0, *rows_arr[complete].tolist()]
    if len(keep) < 3:
        raise NotEnoughData(f"synthetic control needs at least 2 donor areas with complete data; found {len(keep) - 1} "
                          f"for {panel.indicator_id}; use donors='all' or a larger comparator group")
    half = (np.asarray(panel.uci[0], float) - np.asarray(panel.lci[0], float)) / 2
    return SynthData(
        codes=tuple(panel.area_codes[i] for i in keep), names=tuple(panel.area_names[i] for i in keep),
        values=y[keep].copy(), fit=fit, post=post, t=np.asarray(panel.t, float), period_labels=panel.period_labels,
        period_start=panel.period_start, period_end=panel.period_end, focal_halfwidth=half,
        se=np.asarray(panel.se, float)[keep].copy(), polarity=panel.polarity, warnings=tuple(warnings), dropped=dropped,
    )


def placebo_allowed(n_units: int) -> np.ndarray:
    """Donor masks for every unit as a target: (n_units, n_units) bool.

    Row 0 (the focal area) may use every donor; row p >= 1 (an in-space placebo) may
    use every donor but itself, and never the focal area, which is treated
    (Abadie, Diamond & Hainmueller 2010).
    """
    allowed = ~np.eye(n_units, dtype=bool)
    allowed[1:, 0] = False
    return allowed


def combine(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Weighted donor mix ``weights @ values``, NaN where a donor with positive weight is missing.

    ``weights`` (P, n), ``values`` (n, T) -> (P, T).
    """
    miss = ~np.isfinite(values)
    out = weights @ np.where(miss, 0.0, values)
    out[(weights > 0) @ miss] = np.nan
    return out


def fit_units(
    data: SynthData,
    targets: np.ndarray,
    allowed: np.ndarray,
    *,
    fit: np.ndarray | None = None,
    post: np.ndarray | None = None,
    v: np.ndarray | None = None,
) -> SynthFit:
    """Fit synthetic controls for several target units at once.

    Parameters
    ----------
    data:
        Output of :func:`prepare`.
    targets:
        (P,) row indices of the units to reproduce.
    allowed:
        (P, n_units) bool: which rows each problem may use as donors.
    fit, post:
        (n_periods,) bool masks overriding ``data.fit`` / ``data.post`` (in-time placebos).
    v:
        (n_fit,) non-negative period weights; None = identity.
    """
    fit = data.fit if fit is None else fit
    post = data.post if post is None else post
    targets = np.asarray(targets, dtype=int)
    y = data.values
    sol = simplex_least_squares(y[:, fit].T, y[targets][:, fit], allowed=allowed, v=v)
    synthetic = combine(sol.weights, y)
    gap = y[targets] - synthetic
    return SynthFit(
        targets=targets, weights=sol.weights, synthetic=synthetic, gap=gap,
        pre_rmspe=np.sqrt(np.mean(gap[:, fit] ** 2, axis=1)),
        post_rmspe=np.sqrt(np.mean(gap[:, post] ** 2, axis=1)),
        mean_post_gap=np.mean(gap[:, post], axis=1),
        objective=np.asarray(sol.objective), kkt_gap=np.asarray(sol.kkt_gap), n_fallback=int(sol.n_fallback),
    )
