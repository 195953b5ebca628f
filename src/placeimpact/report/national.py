"""Each outcome's latest period across England: the numbers behind the spine chart, the map and the compare-areas chart.

:func:`national_context` reads, for every outcome of an evaluation, the same indicator and
breakdown for every area of the focal area's tier in the focal area's latest period (through
:meth:`Store.values_at`, one query for all outcomes; no SQL here), and labels each area against England with
Fingertips' rule (its 95% interval against England's value, judged with the indicator's
polarity: :func:`placeimpact.stats.compare_with_benchmark`). England's worst, 25th
percentile, 75th percentile and best are taken over those areas (worst and best by polarity;
lowest and highest without one), as Fingertips' spine chart draws them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..panel import same_tier_codes
from ..stats import compare_with_benchmark

if TYPE_CHECKING:
    from ..evaluation.run import Evaluation

__all__ = ["national_context", "ENGLAND"]

ENGLAND = "E92000001"


def _areas_frame(store: Any, focal: str) -> list[str]:
    try:
        return same_tier_codes(store, focal) + [focal]
    except Exception:  # noqa: BLE001 - an area the register lacks: no national context
        return [focal]


def national_context(store: Any, ev: "Evaluation") -> dict[int, dict[str, Any]]:
    """For each outcome index with a latest value: the all-areas picture of its latest period.

    Returns
    -------
    dict
        outcome -> ``period_label``, ``value``, ``count``, ``england``, ``worst``, ``q25``,
        ``q75``, ``best``, ``n_areas``, ``comparison`` (the focal area against England),
        ``comparators`` (their values), ``areas`` (a frame: ``area_code``, ``area_name``,
        ``value``, ``lci95``, ``uci95``, ``label``; one row per area of the tier with a value).
    """
    tier = set(_areas_frame(store, ev.area_code))
    runs = [r for r in ev.outcomes if r.panel is not None and r.benchmark is not None]
    keys = pd.DataFrame([{"indicator_id": r.panel.indicator_id, "sex": r.panel.sex, "age": r.panel.age,
                          "category": r.panel.category or "", "period_label": r.benchmark["period_label"]}
                         for r in runs])
    out: dict[int, dict[str, Any]] = {}
    if keys.empty:
        return out
    try:
        rows = store.values_at(keys.drop_duplicates())
    except Exception:  # noqa: BLE001 - a store without the method or the rows: the report keeps the panel's view
        return out
    groups = {k: g for k, g in rows.groupby(["indicator_id", "sex", "age", "category", "period_label"], sort=False)}
    for r, key in zip(runs, keys.itertuples(index=False)):
        p, b = r.panel, r.benchmark
        obs = groups.get(tuple(key))
        if obs is None:
            continue
        eng_rows = obs[obs["area_code"] == ENGLAND]
        eng = float(eng_rows["value"].iloc[0]) if len(eng_rows) else float(b.get("england", math.nan))
        areas = obs[obs["area_code"].isin(tier)].drop_duplicates("area_code")
        if areas.empty:
            continue
        areas = areas[["area_code", "area_name", "value", "lci95", "uci95", "count", "denominator"]].copy()
        v = areas["value"].to_numpy(float)
        areas["label"] = compare_with_benchmark(v, areas["lci95"].to_numpy(float), areas["uci95"].to_numpy(float),
                                                eng, polarity=p.polarity)
        lo, q25, q75, hi = np.quantile(v, [0.0, 0.25, 0.75, 1.0])
        worst, best = (hi, lo) if p.polarity == "low_is_good" else (lo, hi)
        mine = areas[areas["area_code"] == ev.area_code]
        count = float(mine["count"].iloc[0]) if len(mine) and pd.notna(mine["count"].iloc[0]) else math.nan
        comps = areas[areas["area_code"].isin(ev.comparator_codes)]["value"].to_numpy(float)
        out[r.outcome] = {
            "period_label": b["period_label"], "value": float(b["value"]), "count": count, "england": eng,
            "worst": float(worst), "q25": float(q25), "q75": float(q75), "best": float(best),
            "n_areas": int(len(areas)), "comparison": b["comparison"], "polarity": p.polarity,
            "comparators": comps.tolist(), "areas": areas.sort_values("value").reset_index(drop=True),
        }
    return out
