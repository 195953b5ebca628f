"""Bulk panels for the national screen: one :class:`~placeimpact.panel.Panel` per indicator, all areas.

:func:`build_panel` reads one focal area's panel; a screen needs every area of a type for
every indicator, so this module reads all observations of those areas in ONE query and
pivots them per indicator with array indexing (no per-area queries). The breakdown and
period-length choices, and the joining of exactly recoded series, are the rules of
:mod:`placeimpact.panel_rules`, shared with :func:`placeimpact.panel.build_panel`, so a row of a
bulk panel equals the focal row of the single-area panel (tests/test_panel_rules.py checks it).
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
from ..panel_rules import choose_breakdowns, join_exact_recodes, main_lengths, period_lengths, recode_sources
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
    min_periods: int = 0,
) -> list[Panel]:
    """One all-areas panel per indicator (rows sorted by area code), read in a single query.

    ``indicators`` are ids (or anything :meth:`Store.indicator` resolves); None means every
    indicator in the store. Indicators with no data for these areas are left out, and so, in
    the query itself, are those with fewer than ``min_periods`` distinct periods (they cannot
    qualify for a screen that needs that many). The rules of :mod:`placeimpact.panel_rules`
    choose the rows, as for :func:`~placeimpact.panel.build_panel`.
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
    targets, preds = recode_sources(store, [*areas["code"], ENGLAND])
    raw = store.bulk_observations(meta["id"].tolist(), [*areas["code"], ENGLAND, *combos, *preds],
                                  until=co.isoformat() if co is not None else None, min_periods=min_periods)
    if preds:
        raw = join_exact_recodes(raw, targets).drop(columns=["reported_code", "boundary_status"])
    obs = _give_combined(raw, combos)
    counts = store.breakdown_counts(sorted(set(obs["indicator_id"])))
    return panels_from_frame(obs, meta=meta, areas=areas, reform_start=reform_start, cutoff=co, breakdowns=counts)


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


def _choose_rows(obs: pd.DataFrame, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Keep each indicator's preferred breakdown and its most common period length (:mod:`~placeimpact.panel_rules`).

    ``counts`` are the store's rows per breakdown (:meth:`Store.breakdown_counts`); without
    them the rows of ``obs`` are counted.
    """
    if counts is None:
        counts = obs.groupby(["indicator_id", "sex", "age", "category"], sort=False).size().rename("n").reset_index()
    obs = obs.merge(choose_breakdowns(counts), how="inner")
    obs = obs.assign(_len=period_lengths(obs))
    obs = obs.merge(main_lengths(obs[obs["area_code"] != ENGLAND]), how="inner")
    return obs.drop_duplicates(["indicator_id", "area_code", "period_label"])


def panels_from_frame(
    obs: pd.DataFrame,
    *,
    meta: pd.DataFrame,
    areas: pd.DataFrame,
    reform_start: str | date,
    cutoff: date | None = None,
    breakdowns: pd.DataFrame | None = None,
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
    obs = _choose_rows(obs, breakdowns)
    return _pivot(obs, meta=meta, areas=areas, reform_start=rs, cutoff=cutoff)


def _pivot(obs: pd.DataFrame, *, meta: pd.DataFrame, areas: pd.DataFrame, reform_start: date,
           cutoff: date | None) -> list[Panel]:
    """Every indicator's panel in one vectorised pass: row and column indices computed for all rows at once,
    then each indicator's arrays filled from its slice (no pandas operation per indicator)."""
    local = (obs["area_code"] != ENGLAND).to_numpy()
    valued = local & obs["value"].notna().to_numpy()
    keep = obs["indicator_id"].isin(set(obs.loc[valued, "indicator_id"])).to_numpy()
    obs, local, valued = obs[keep], local[keep], valued[keep]
    if obs.empty:
        return []
    per = (obs[["indicator_id", "period_label", "period_start", "period_end"]]
           .drop_duplicates(["indicator_id", "period_label"])
           .sort_values(["indicator_id", "period_start", "period_end", "period_label"], kind="mergesort"))
    per["_col"] = per.groupby("indicator_id", sort=False).cumcount()
    rows = obs.loc[valued, ["indicator_id", "area_code"]].drop_duplicates().sort_values(
        ["indicator_id", "area_code"], kind="mergesort")
    rows["_row"] = rows.groupby("indicator_id", sort=False).cumcount()
    obs = (obs.merge(per[["indicator_id", "period_label", "_col"]], how="left")
           .merge(rows, how="left").sort_values("indicator_id", kind="mergesort"))
    ids = obs["indicator_id"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1], True])
    col = obs["_col"].to_numpy(dtype=np.int64)
    row = obs["_row"].fillna(-1).to_numpy(dtype=np.int64)
    eng = (obs["area_code"] == ENGLAND).to_numpy()
    vals = {k: obs[k].to_numpy(dtype=float) for k in ("value", "lci95", "uci95")}
    per_ids = per["indicator_id"].to_numpy()
    per_bounds = np.flatnonzero(np.r_[True, per_ids[1:] != per_ids[:-1], True])
    per_labels = per["period_label"].to_numpy(dtype=object)
    per_start = pd.to_datetime(per["period_start"]).to_numpy().astype("datetime64[D]")
    per_end = pd.to_datetime(per["period_end"]).to_numpy().astype("datetime64[D]")
    row_ids = rows["indicator_id"].to_numpy()
    row_bounds = np.flatnonzero(np.r_[True, row_ids[1:] != row_ids[:-1], True])
    row_codes = rows["area_code"].to_numpy(dtype=object)
    labels_t = {lab: parse_period(lab).mid_year for lab in np.unique(per_labels)}
    notes: dict[str, list[tuple[str, str]]] = {}
    if "_combined" in obs:      # combined publications given to one council (see _give_combined)
        used = obs.loc[obs["_combined"].notna() & obs["_row"].notna(), ["indicator_id", "_combined", "area_code"]]
        for ind, c, a in used.drop_duplicates().itertuples(index=False):
            notes.setdefault(ind, []).append((c, a))
    names = dict(zip(areas["code"], areas["name"]))
    info = meta.set_index("id")
    first = obs.iloc[bounds[:-1]][["sex", "age", "category"]].to_numpy(dtype=object)
    out: list[Panel] = []
    for k in range(len(bounds) - 1):
        lo, hi = bounds[k], bounds[k + 1]
        ind = str(ids[lo])
        pl, ph = per_bounds[k], per_bounds[k + 1]
        rl, rh = row_bounds[k], row_bounds[k + 1]
        labels = per_labels[pl:ph].tolist()
        codes = row_codes[rl:rh].tolist()
        shape = (len(codes), len(labels))
        r, c, e = row[lo:hi], col[lo:hi], eng[lo:hi]
        ok = r >= 0
        arrs, engs = {}, {}
        for key, v in vals.items():
            a = np.full(shape, np.nan)
            a[r[ok], c[ok]] = v[lo:hi][ok]
            arrs[key] = a
            b = np.full(len(labels), np.nan)
            b[c[e]] = v[lo:hi][e]
            engs[key] = b
        starts, ends = per_start[pl:ph], per_end[pl:ph]
        m = info.loc[ind] if ind in info.index else pd.Series(dtype=object)
        nan = np.full(shape, np.nan)
        sex, age, category = first[k]
        out.append(Panel(
            indicator_id=ind, indicator_name=str(m.get("name") or ind), unit=str(m.get("unit") or ""),
            value_type=str(m.get("value_type") or "mean"), polarity=str(m.get("polarity") or "no_judgement"),
            area_codes=tuple(codes), area_names=tuple(str(names.get(x) or x) for x in codes),
            period_labels=tuple(labels), period_start=starts, period_end=ends,
            t=np.array([labels_t[x] for x in labels]), values=arrs["value"], lci=arrs["lci95"], uci=arrs["uci95"],
            count=nan, denominator=nan, england_values=engs["value"], england_lci=engs["lci95"],
            england_uci=engs["uci95"], reform_start=reform_start, cutoff=cutoff,
            period_years=float(np.median((ends - starts).astype(float) + 1) / 365.25),
            sex=str(sex), age=str(age), category=str(category),
            warnings=tuple(combined_note(cc, a) for cc, a in notes.get(ind, ())),
        ))
    return out
