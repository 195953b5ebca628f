"""Bulk panels for the national screen: one :class:`~placeimpact.panel.Panel` per indicator, all areas.

:func:`build_panel` reads one focal area's panel; a screen needs every area of a type for
every indicator, so this module reads all observations of those areas in ONE query and
pivots them per indicator with array indexing (no per-area queries). The breakdown and
period-length choices are those of :func:`placeimpact.panel.build_panel` (Persons / All
ages / no category first, then the most common; the most common period length), so a row
of a bulk panel equals the focal row of the single-area panel.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geography import COMBINED_AREAS, combined_areas_of, combined_note
from ..constants import ENGLAND
from ..panel import Panel, _to_date
from ..periods import parse_period

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["AreaType", "screen_areas", "bulk_panels", "panels_from_frame"]

AreaType = Literal["upper", "lower", "unitary", "metropolitan_district", "london_borough", "county", "district"]
_AREA_TYPES = ("upper", "lower", "unitary", "metropolitan_district", "london_borough", "county", "district")


def screen_areas(store: Store, area_type: str = "upper") -> pd.DataFrame:
    """Areas of a type (``upper``/``lower`` tier or an area_type name): code, name, sorted by code.

    The areas are those of :func:`~placeimpact.evaluation.comparators.tier_areas`, the
    comparator resolver's ``all`` for a whole tier.
    """
    if area_type not in _AREA_TYPES:
        raise InputError("unknown area type for the screen", field="area_type",
                         expected=" | ".join(_AREA_TYPES), got=area_type)
    from ..evaluation.comparators import tier_areas

    codes = tier_areas(store, area_type)
    names = store.area_names(codes)
    return pd.DataFrame({"code": codes, "name": [names.get(c) for c in codes]})


def bulk_panels(
    store: Store,
    *,
    reform_start: str | date,
    area_type: str = "upper",
    indicators: Sequence[str] | None = None,
    cutoff: str | date | None = None,
) -> list[Panel]:
    """One all-areas panel per indicator (rows sorted by area code), read in a single query.

    ``indicators`` are ids (or anything :meth:`Store.indicator` resolves); None means every
    indicator in the store. Indicators with no data for these areas are left out.
    """
    areas = screen_areas(store, area_type)
    meta = store.indicator_table()
    if isinstance(indicators, str):      # one id, not its characters
        indicators = [indicators]
    if indicators is not None:
        ids = [store.indicator(i)["id"] for i in indicators]
        meta = meta[meta["id"].isin(ids)]
    co = _to_date(cutoff, "cutoff", end=True)
    combos = combined_areas_of(areas["code"])
    raw = store.bulk_observations(meta["id"].tolist(), [*areas["code"], ENGLAND, *combos],
                                  until=co.isoformat() if co is not None else None)
    obs = _give_combined(raw, combos)
    return panels_from_frame(obs, meta=meta, areas=areas, reform_start=reform_start, cutoff=co)


def _give_combined(obs: pd.DataFrame, combos: Sequence[str]) -> pd.DataFrame:
    """Each combined area's rows (Cornwall with the Isles of Scilly, E67000002, ...) become its
    taker's, for the indicators where no member council has values of its own; otherwise they
    are dropped. As in :func:`placeimpact.geography.assign_combined`, each combined series is
    counted once (the taker, the larger council) and never mixed with a member's own values.
    """
    if not combos:
        return obs
    obs = obs.assign(_combined=None)        # the combined code a row was published under, where given
    has_value = obs["value"].notna()
    for code in combos:
        ca = COMBINED_AREAS[code]
        mine = obs["area_code"] == code
        if not mine.any():
            continue
        own = set(obs.loc[obs["area_code"].isin(ca.member_codes) & has_value, "indicator_id"])
        give = mine & ~obs["indicator_id"].isin(own)
        members_empty = obs["area_code"].isin(ca.member_codes) & obs["indicator_id"].isin(
            obs.loc[give, "indicator_id"].unique())
        obs = obs.assign(area_code=obs["area_code"].where(~give, ca.taker),
                         _combined=obs["_combined"].where(~give, code))
        obs = obs[~((mine & ~give) | members_empty)]
        has_value = obs["value"].notna()
    return obs


def _choose_rows(obs: pd.DataFrame) -> pd.DataFrame:
    """Keep each indicator's preferred breakdown and its most common period length."""
    bd = obs.groupby(["indicator_id", "sex", "age", "category"], sort=False).size().rename("n").reset_index()
    bd["score"] = (bd["sex"] == "Persons") * 4 + (bd["age"] == "All ages") * 2 + (bd["category"] == "")
    best = bd.sort_values(["indicator_id", "score", "n"], ascending=[True, False, False]).drop_duplicates("indicator_id")
    obs = obs.merge(best[["indicator_id", "sex", "age", "category"]], how="inner")
    days = (pd.to_datetime(obs["period_end"]) - pd.to_datetime(obs["period_start"])).dt.days
    obs = obs.assign(_len=(days / 365.25).round(0).clip(lower=0))
    local = obs[obs["area_code"] != ENGLAND]
    mode = (local.groupby(["indicator_id", "_len"]).size().rename("n").reset_index()
            .sort_values(["indicator_id", "n", "_len"], ascending=[True, False, True]).drop_duplicates("indicator_id"))
    obs = obs.merge(mode[["indicator_id", "_len"]], how="inner")
    return obs.drop_duplicates(["indicator_id", "area_code", "period_label"])


def panels_from_frame(
    obs: pd.DataFrame,
    *,
    meta: pd.DataFrame,
    areas: pd.DataFrame,
    reform_start: str | date,
    cutoff: date | None = None,
) -> list[Panel]:
    """Pivot tidy observations (indicator_id, area_code, sex, age, category, period_*, value, lci95, uci95).

    ``meta`` is the indicators table (id, name, unit, value_type, polarity); ``areas`` has code
    and name. Returns panels sorted by indicator id; areas without any value are dropped.
    """
    rs = _to_date(reform_start, "reform_start")
    if rs is None:
        raise InputError("the screen needs a reform start", field="start", expected="a year or ISO date", got=None)
    if obs.empty:
        return []
    obs = _choose_rows(obs)
    names = dict(zip(areas["code"], areas["name"]))
    info = meta.set_index("id")
    labels_t = {lab: parse_period(lab).mid_year for lab in obs["period_label"].unique()}
    out: list[Panel] = []
    for ind, g in obs.groupby("indicator_id", sort=True):
        loc = g[g["area_code"] != ENGLAND]
        if loc["value"].notna().sum() == 0:
            continue
        per = g[["period_label", "period_start", "period_end"]].drop_duplicates("period_label") \
            .sort_values(["period_start", "period_end", "period_label"])
        labels = per["period_label"].tolist()
        codes = sorted(loc.loc[loc["value"].notna(), "area_code"].unique())
        r = pd.Index(codes).get_indexer(g["area_code"])
        c = pd.Index(labels).get_indexer(g["period_label"])
        shape = (len(codes), len(labels))
        arrs = {}
        eng = {}
        is_eng = (g["area_code"] == ENGLAND).to_numpy()
        keep = r >= 0
        for k in ("value", "lci95", "uci95"):
            a = np.full(shape, np.nan)
            a[r[keep], c[keep]] = g[k].to_numpy(dtype=float)[keep]
            arrs[k] = a
            e = np.full(len(labels), np.nan)
            e[c[is_eng]] = g[k].to_numpy(dtype=float)[is_eng]
            eng[k] = e
        starts = pd.to_datetime(per["period_start"]).to_numpy().astype("datetime64[D]")
        ends = pd.to_datetime(per["period_end"]).to_numpy().astype("datetime64[D]")
        years = float(np.median((ends - starts).astype(float) + 1) / 365.25)
        m = info.loc[ind] if ind in info.index else pd.Series(dtype=object)
        nan = np.full(shape, np.nan)
        notes: tuple[str, ...] = ()
        if "_combined" in g:      # combined publications given to one council (see _give_combined)
            used = g.loc[g["_combined"].notna(), ["_combined", "area_code"]].drop_duplicates()
            notes = tuple(combined_note(c, a) for c, a in used.itertuples(index=False) if a in codes)
        out.append(Panel(
            indicator_id=str(ind), indicator_name=str(m.get("name") or ind), unit=str(m.get("unit") or ""),
            value_type=str(m.get("value_type") or "mean"), polarity=str(m.get("polarity") or "no_judgement"),
            area_codes=tuple(codes), area_names=tuple(str(names.get(x) or x) for x in codes),
            period_labels=tuple(labels), period_start=starts, period_end=ends,
            t=np.array([labels_t[x] for x in labels]), values=arrs["value"], lci=arrs["lci95"], uci=arrs["uci95"],
            count=nan, denominator=nan, england_values=eng["value"], england_lci=eng["lci95"],
            england_uci=eng["uci95"], reform_start=rs, cutoff=cutoff, period_years=years,
            sex=str(g["sex"].iloc[0]), age=str(g["age"].iloc[0]), category=str(g["category"].iloc[0]),
            warnings=notes,
        ))
    return out
