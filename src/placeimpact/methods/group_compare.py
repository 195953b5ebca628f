"""The group as a whole: change against the clean comparators, and trend difference against England.

* :func:`group_change_vs_neighbours` — each area's change from its last pre-reform period to the
  latest period, the group's (weighted) mean change minus the clean comparators' mean change.
  Under the null each treated area's change is one more draw from the comparators'
  distribution, so the group's difference has variance ``s^2 (sum w_i^2 + 1/m)`` (``s`` the
  comparators' standard deviation of change, ``m`` their number): the prediction-t of
  :mod:`.change` for a group, on ``m - 1`` degrees of freedom. Per-area rows: each area's
  change against the same comparators. Event path: the mean over areas of the change to
  each event time, against the comparators' mean change to the same period.

* :func:`group_trend_difference` — :func:`.trend.trend_difference` on the group's series (the
  weighted mean of its members; or the published aggregate), with one row per member from
  the same method on the member alone. The group series starts at the earliest start.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

import numpy as np

from ..errors import MethodError
from ..group_panel import GroupPanel
from ._common import check_choice
from ._group import event_table, group_insufficient, group_result, per_area_rows, prepare_group
from .result import MethodResult
from .trend import trend_difference

__all__ = ["group_change_vs_neighbours", "group_trend_difference"]


def group_change_vs_neighbours(gp: GroupPanel, *, weighting: Literal["equal", "population"] = "equal") -> MethodResult:
    """Change since each area's reform (last pre-reform period to the latest), group mean vs clean comparators."""
    check_choice("weighting", weighting, ("equal", "population"))
    method = "group_change_vs_neighbours"
    estimand = f"change since the reform, group minus comparators ({gp.panel.unit or 'indicator units'})"
    try:
        data = prepare_group(gp, weighting=weighting)
    except MethodError as exc:
        return group_insufficient(method, gp, estimand, str(exc))
    k, T = data.n_treated, data.Y.shape[1]
    last = T - 1
    if any(data.status[i, last] != 1 for i in range(k)):
        return group_insufficient(method, gp, estimand, "the latest period is not after every area's start")
    D = data.donors
    m = D.shape[0]
    d_t = np.array([data.Y[i, last] - data.Y[i, data.base[i]] for i in range(k)])
    pat = {int(b) for b in data.base}
    d_c = {b: D[:, last] - D[:, b] for b in pat}
    est_i = np.array([d_t[i] - d_c[int(data.base[i])].mean() for i in range(k)])
    s_i = np.array([d_c[int(data.base[i])].std(ddof=1) for i in range(k)])
    se_i = s_i * math.sqrt(1 + 1 / m)
    w = data.weights
    est = float(w @ est_i)
    se = float(math.sqrt(np.sum((w * s_i) ** 2) + (w @ s_i) ** 2 / m))
    df = float(m - 1)
    # event path: change from each area's base to each event time
    evs = sorted({t - int(data.first_post[i]) for i in range(k) for t in range(T) if t != data.base[i]})
    ev_t, ev_est, ev_se, ev_n = [], [], [], []
    for e in evs:
        who = [i for i in range(k) if 0 <= data.first_post[i] + e < T and data.first_post[i] + e != data.base[i]]
        if not who:
            continue
        ww = w[who] / w[who].sum()
        vals, ss = [], []
        for i in who:
            t = int(data.first_post[i] + e)
            dc = D[:, t] - D[:, data.base[i]]
            vals.append(data.Y[i, t] - data.Y[i, data.base[i]] - dc.mean())
            ss.append(dc.std(ddof=1))
        ss = np.array(ss)
        ev_est.append(float(ww @ np.array(vals)))
        ev_se.append(float(math.sqrt(np.sum((ww * ss) ** 2) + (ww @ ss) ** 2 / m)))
        ev_n.append(len(who))
        ev_t.append(e)
    event = event_table(np.array(ev_t), np.array(ev_est), np.array(ev_se), df, np.array(ev_n))
    per_area = per_area_rows(data, est_i, se_i, df)
    label = f"group change vs {m} clean comparators (each area from its last pre-reform period to {data.labels[last]})"
    return group_result(method, gp, data, estimand=estimand, estimate=est, se=se, df=df, per_area=per_area,
                        event=event, label=label, what="the comparators' change over the same periods",
                        diagnostics={"weighting": weighting, "latest_period": data.labels[last]})


def group_trend_difference(gp: GroupPanel, *, weighting: Literal["equal", "population"] = "equal",
                           series: Literal["members", "aggregate"] = "members") -> MethodResult:
    """Trend difference (slope change vs England) of the group's series, with each member's own as per-area rows."""
    check_choice("weighting", weighting, ("equal", "population"))
    check_choice("series", series, ("members", "aggregate"))
    method = "group_trend_difference" if series == "members" else "group_aggregate_trend_difference"
    try:
        avg = gp.average_panel(weighting, series=series)
    except MethodError as exc:
        return group_insufficient(method, gp, "change in slope vs England, per year", str(exc))
    res = trend_difference(avg)
    per = []
    for i in range(gp.n_treated):
        try:
            r = trend_difference(gp.member_panel(i))
        except MethodError:
            continue
        per.append({"area_code": gp.treated_codes[i], "area_name": gp.treated_names[i], "estimate": r.estimate,
                    "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
                    "weight": float(gp.treated_weights(weighting)[i]), "start_period": str(gp.starts[i])})
    what = ("the group's published aggregate series" if series == "aggregate" else
            f"the {'population-weighted' if weighting == 'population' else 'unweighted'} mean of its "
            f"{gp.n_treated} members' series")
    warn = [f"the group series is {what}; its slopes start at the earliest reform start ({min(gp.starts)})"]
    if gp.n_treated > 1 and len(set(gp.starts)) > 1:
        warn.append("starts differ between areas: one slope change at the earliest start blurs later ones")
    return replace(res, method=method, area_code=gp.group_code or ",".join(gp.treated_codes),
                   label=f"group {res.label}" if res.label else res.label,
                   summary=res.summary.replace(avg.focal_name, gp.label, 1) if res.summary else res.summary,
                   warnings=tuple(list(res.warnings) + warn), per_area=tuple(per),
                   event_study=None)
