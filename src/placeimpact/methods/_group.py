"""Shared machinery of the group methods: the balanced analysis panel, linear-estimator inference, results.

Every staggered estimator here (Callaway & Sant'Anna, Borusyak-Jaravel-Spiess imputation) is
linear in the outcomes: ``theta = sum_u v_u . y_u`` with each unit's weight vector summing to
zero over periods (unit effects cancel) and the weights of each period summing to zero over
units (period effects cancel). Under the null of no effect and units exchangeable with the
clean donors (errors ``e_u`` independent across areas with a common covariance ``S`` over
periods, any serial correlation or overlap of rolling periods allowed), its variance is
``sum_u v_u' S v_u``. ``S`` is estimated from the donors' rows (their sample covariance over
periods; unit means drop out because ``v_u`` sums to zero), and the t reference has
``n_donors - 1`` degrees of freedom. This is the few-treated-units logic of Conley & Taber
(2011) and of the prediction-t used by :mod:`placeimpact.methods.did`, extended to many
treated areas and staggered starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import MethodError
from ..group_panel import GroupPanel
from ._common import ATTRIBUTION, better_phrase, fmt, grade, t_interval, unit_of, what_of
from .result import MethodResult, direction_from

__all__ = ["GroupData", "prepare_group", "linear_variance", "donor_covariance", "group_result", "group_insufficient", "event_table"]


@dataclass(frozen=True, eq=False)
class GroupData:
    """Balanced analysis arrays for a group panel.

    ``Y`` (n_treated + n_donors, T) complete; rows ``0..n_treated-1`` treated. ``status``
    (same shape) 0 untreated, 1 treated, -1 transition. ``first_post[i]`` and ``base[i]``
    (last pre column) per treated row; ``codes``/``names`` per row; ``t`` and ``labels`` per column.
    """

    Y: np.ndarray
    status: np.ndarray
    n_treated: int
    first_post: np.ndarray
    base: np.ndarray
    codes: tuple[str, ...]
    names: tuple[str, ...]
    t: np.ndarray
    labels: tuple[str, ...]
    weights: np.ndarray
    warnings: tuple[str, ...]

    @property
    def n_donors(self) -> int:
        return self.Y.shape[0] - self.n_treated

    @property
    def donors(self) -> np.ndarray:
        return self.Y[self.n_treated:]


def prepare_group(gp: GroupPanel, *, weighting: str = "equal", min_pre: int = 1, min_donors: int = 3) -> GroupData:
    """Keep periods where every usable treated area is observed and donors complete on them.

    A treated area with no pre-reform or no post-reform period observed is dropped (warning).
    Raises MethodError when no treated area or fewer than ``min_donors`` donors remain.
    """
    p = gp.panel
    Y = np.asarray(p.values, float)
    status = gp.status()
    nt = gp.n_treated
    warnings = list(gp.warnings)
    w_all = gp.treated_weights(weighting)
    keep_t = []
    for i in range(nt):
        obs = np.isfinite(Y[i])
        n_pre = int((obs & (status[i] == 0)).sum())
        n_post = int((obs & (status[i] == 1)).sum())
        if n_pre < min_pre or n_post < 1:
            warnings.append(f"{p.area_names[i]} is left out: {n_pre} pre-reform and {n_post} post-reform periods "
                            f"observed (need {min_pre} and 1)")
        else:
            keep_t.append(i)
    if not keep_t:
        raise MethodError("no treated area has both pre-reform and post-reform data")
    cols = np.all(np.isfinite(Y[keep_t]), axis=0)
    donors = [r for r in range(nt, p.n_areas) if np.all(np.isfinite(Y[r, cols]))]
    lost = (p.n_areas - nt) - len(donors)
    if lost:
        warnings.append(f"{lost} donor areas with gaps in the analysed periods are left out")
    if len(donors) < min_donors:
        raise MethodError(f"only {len(donors)} clean donor areas with complete data (need {min_donors})")
    rows = keep_t + donors
    Yb = Y[np.ix_(rows, np.flatnonzero(cols))]
    st = status[np.ix_(rows, np.flatnonzero(cols))]
    k = len(keep_t)
    fp = np.array([int(np.flatnonzero(st[i] == 1)[0]) if (st[i] == 1).any() else -1 for i in range(k)])
    base = np.array([int(np.flatnonzero(st[i] == 0)[-1]) if (st[i] == 0).any() else -1 for i in range(k)])
    if np.any(fp < 0) or np.any(base < 0):
        raise MethodError("a treated area has no pre- or post-reform period among the periods every area has")
    w = w_all[keep_t]
    return GroupData(Y=Yb, status=st, n_treated=k, first_post=fp, base=base,
                     codes=tuple(p.area_codes[r] for r in rows), names=tuple(p.area_names[r] for r in rows),
                     t=np.asarray(p.t, float)[cols], labels=tuple(np.asarray(p.period_labels, object)[cols]),
                     weights=w / w.sum(), warnings=tuple(warnings))


def donor_covariance(donors: np.ndarray) -> np.ndarray:
    """The donors' sample covariance over periods, (T, T)."""
    return np.atleast_2d(np.cov(donors, rowvar=False, ddof=1))


def linear_variance(V: np.ndarray, donors: np.ndarray | None = None, *, S: np.ndarray | None = None) -> float:
    """``sum_u v_u' S v_u`` with ``S`` the donors' covariance over periods (V: (n_units, T))."""
    S = donor_covariance(donors) if S is None else S
    return float(max(0.0, np.einsum("ut,ts,us->", V, S, V)))


def event_table(event_time: np.ndarray, est: np.ndarray, se: np.ndarray, df: float,
                n_areas: np.ndarray) -> dict[str, list]:
    """The event-study path as plain lists (JSON-ready): event time, effect, 95% CI, areas contributing."""
    lo, hi = [], []
    for e, s in zip(est, se):
        a, b, _ = t_interval(float(e), float(s), df) if math.isfinite(s) and s > 0 else (math.nan, math.nan, math.nan)
        lo.append(a)
        hi.append(b)
    return {"event_time": [int(x) for x in event_time], "estimate": [float(x) for x in est],
            "ci_low": lo, "ci_high": hi, "se": [float(x) for x in se], "n_areas": [int(x) for x in n_areas]}


def group_insufficient(method: str, gp: GroupPanel, estimand: str, reason: str,
                       warnings: Sequence[str] = ()) -> MethodResult:
    return MethodResult(
        method=method, indicator_id=gp.indicator_id, area_code=gp.group_code or ",".join(gp.treated_codes),
        estimand=estimand, estimate=math.nan, direction="not_assessed", label="not assessed",
        evidence="insufficient", summary=f"Not assessed for {gp.label}: {reason}.",
        warnings=tuple(list(gp.warnings) + [w for w in warnings if w not in gp.warnings]))


def group_result(method: str, gp: GroupPanel, data: GroupData | None, *, estimand: str, estimate: float, se: float,
                 df: float, per_area: list[dict[str, Any]], event: dict[str, list] | None, label: str,
                 warnings: Sequence[str] = (), diagnostics: dict | None = None, ci: tuple[float, float, float] | None = None,
                 what: str = "", downgrades: int = 0) -> MethodResult:
    """A MethodResult for a group: aggregate effect, per-area effects, event-study path, plain summary."""
    panel = gp.panel
    lo, hi, p = ci if ci is not None else t_interval(estimate, se, df)
    direction = direction_from(estimate, lo, hi, panel.polarity)
    w = list(data.warnings if data is not None else gp.warnings) + [x for x in warnings]
    w = list(dict.fromkeys(w))
    evidence = grade(p, downgrades)
    u = unit_of(panel)
    ci_txt = ("" if not math.isfinite(lo) else f" (95% CI {fmt(lo)} to {fmt(hi)}{u}, p = {fmt(p, 2)})")
    n = len(per_area)
    verdict = {"better": "better", "worse": "worse", "higher": "higher", "lower": "lower"}.get(direction)
    of = f" of {gp.group_name}" if gp.group_name else ""
    head = (f"Across {n} treated area{'s' if n != 1 else ''}{of}, {what_of(panel)} after the reform was "
            f"{fmt(estimate)}{u} {'above' if estimate >= 0 else 'below'} {what or 'its estimated counterfactual'}"
            f"{ci_txt}")
    tail = (f"; that reads as {verdict} ({better_phrase(panel.polarity)})." if verdict else
            "; no clear change.")
    summary = head + tail + " " + ATTRIBUTION[0].upper() + ATTRIBUTION[1:] + "."
    diag = {"n_treated": n, "n_donors": data.n_donors if data is not None else gp.n_donors, "df": df, "se": se}
    diag.update(diagnostics or {})
    return MethodResult(
        method=method, indicator_id=gp.indicator_id, area_code=gp.group_code or ",".join(gp.treated_codes),
        estimand=estimand, estimate=float(estimate), ci_low=float(lo), ci_high=float(hi), p_value=float(p),
        direction=direction, label=label, evidence=evidence, summary=summary, warnings=tuple(w),
        diagnostics=diag, per_area=tuple(per_area), event_study=event)


def per_area_rows(data: GroupData, est: np.ndarray, se: np.ndarray, df: float, *, extra: Sequence[dict] | None = None) -> list[dict]:
    rows = []
    for i in range(data.n_treated):
        lo, hi, p = t_interval(float(est[i]), float(se[i]), df) if math.isfinite(se[i]) and se[i] > 0 else (
            math.nan, math.nan, math.nan)
        r = {"area_code": data.codes[i], "area_name": data.names[i], "estimate": float(est[i]), "ci_low": lo,
             "ci_high": hi, "p_value": p, "weight": float(data.weights[i]),
             "start_period": data.labels[data.first_post[i]]}
        if extra is not None:
            r.update(extra[i])
        rows.append(r)
    return rows
