"""Benchmarking on the store: one area against England, its region or its neighbours; or everything at once.

:func:`benchmark_area` gives the spine-chart table for one area (``placeimpact
benchmark``); :func:`benchmark_all` labels every area x indicator x breakdown x period
against England (or the region) in one vectorised pass. The statistics are the
kernels of :mod:`.benchmark`; this module only fetches and aligns the rows (through
typed :class:`~placeimpact.store.Store` methods, never SQL).

The comparator value is England's or the region's published value for the same
indicator, breakdown and period; for ``vs="neighbours"`` it is the unweighted mean of
the neighbour group's values (the group's counts are rarely all available, so this is
the mean of areas, not the pooled value of the group - say so when reporting it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ..constants import ENGLAND
from ..errors import StoreError
from ._common import check_choice
from .benchmark import compare_with_benchmark, quintile_label, rank_in_group, tie_safe_quintiles
from .fill import COMPUTABLE, fill_missing_cis

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["benchmark_area", "benchmark_all", "ENGLAND", "Versus"]

Versus = Literal["england", "region", "neighbours"]
_SERIES = ["indicator_id", "sex", "age", "category"]



def _label_columns(df: pd.DataFrame, comparator: pd.Series) -> pd.DataFrame:
    pol = df["polarity"].fillna("no_judgement").where(
        df["polarity"].isin(["high_is_good", "low_is_good", "no_judgement"]), "no_judgement").to_numpy()
    df["label95"] = compare_with_benchmark(df["value"], df["lci95"], df["uci95"], comparator, polarity=pol)
    df["label998"] = compare_with_benchmark(df["value"], df["lci998"], df["uci998"], comparator, polarity=pol)
    return df




def _fill_998(df: pd.DataFrame) -> np.ndarray:
    """Fill missing limits in place where count and denominator allow (rules of :mod:`.fill`).

    Returns a mask of the rows whose 99.8% limits were computed here (their 95% limits were
    either computed too, with ``ci_origin`` set to ``computed``, or reproduced as published).
    """
    computed = np.zeros(len(df), dtype=bool)
    need = df["lci998"].isna() & df["count"].notna() & df["denominator"].notna() & df["value_type"].isin(COMPUTABLE)
    if not need.any():
        return computed
    cols = ["value", "count", "denominator", "lci95", "uci95", "lci998", "uci998", "ci_origin"]
    sub = df.loc[need, ["value_type", "multiplier"] + cols]
    for (vt, mult), part in sub.groupby(["value_type", "multiplier"], sort=False):
        filled = fill_missing_cis(part[cols], vt, float(mult))
        got = filled["lci998"].notna().to_numpy()
        idx = part.index[got]
        for col in ("lci95", "uci95", "lci998", "uci998", "ci_origin"):
            df.loc[idx, col] = filled[col].to_numpy()[got]
        computed[df.index.get_indexer(idx)] = True
    return computed


def benchmark_all(store: Store, *, vs: Literal["england", "region"] = "england") -> pd.DataFrame:
    """Label every local area x indicator x breakdown x period against England (or its region).

    Parameters
    ----------
    store : Store
    vs : {"england", "region"}

    Returns
    -------
    DataFrame
        One row per observation with a value of an area other than England and the regions:
        the observation's keys, value and limits, ``comparator_code``, ``comparator_value``,
        ``label95``, ``label998`` (better/similar/worse, or higher/similar/lower, or not
        compared), ``ci998_computed`` (99.8% limits computed here from count and denominator),
        ``quintile`` (1 = lowest values, among areas of the same tier), ``quintile_label`` and
        ``rank`` / ``n_ranked`` within that tier group.
    """
    check_choice("vs", vs, ("england", "region"))
    out = store.benchmark_all_rows(vs, ENGLAND)
    if out.empty:
        raise StoreError("the store holds no observations to benchmark; run 'placeimpact data load' first")
    out["ci998_computed"] = _fill_998(out)
    pol = out["polarity"].to_numpy(dtype=object)
    comparator = out["comparator_value"].to_numpy(dtype=float)
    value, lo95, hi95 = (out[c].to_numpy(dtype=float) for c in ("value", "lci95", "uci95"))
    out["label95"] = compare_with_benchmark(value, lo95, hi95, comparator, polarity=pol)
    out["label998"] = compare_with_benchmark(value, out["lci998"].to_numpy(dtype=float),
                                             out["uci998"].to_numpy(dtype=float), comparator, polarity=pol)
    group = out["tier_group"].to_numpy()
    out["quintile"], spans = tie_safe_quintiles(value, group)
    out["quintile_label"] = quintile_label(out["quintile"].to_numpy(), pol, spans)
    out["rank"], out["n_ranked"] = rank_in_group(value, group, polarity=pol)
    return out.drop(columns=["tier_group"])


_UNITARY_TIER = ("unitary", "metropolitan_district", "london_borough")


def _tier(area_type: object) -> str:
    """Fingertips compares single-tier councils together: unitary, metropolitan and London boroughs."""
    if area_type in _UNITARY_TIER:
        return "unitary_tier"
    return str(area_type) if isinstance(area_type, str) and area_type else "other"


def _latest(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of each series' latest period (by period end, then start)."""
    df = df.sort_values(_SERIES + ["period_end", "period_start"])
    last = df.groupby(_SERIES, dropna=False)[["period_label"]].transform("last")["period_label"]
    return df[df["period_label"] == last]


def benchmark_area(
    store: Store,
    area: str,
    *,
    vs: Versus = "england",
    period: str = "latest",
    group_id: str = "oflog-nn",
) -> pd.DataFrame:
    """The spine-chart table for one area: each indicator's value with CI against a comparator.

    Parameters
    ----------
    store : Store
    area : str
        Area code or exact name.
    vs : {"england", "region", "neighbours"}
        Comparator: England's value, the region's value, or the mean of the neighbour group.
    period : str
        ``"latest"`` (each indicator's latest period with a value for the area) or a period label.
    group_id : str
        Comparator group for ``vs="neighbours"`` and for the rank (default ``oflog-nn``).

    Returns
    -------
    DataFrame
        ``area_code, area_name, indicator_id, indicator_name, sex, age, category, period_label, value,
        lci95, uci95, lci998, uci998, ci_origin, ci998_computed, unit, polarity, comparator,
        comparator_value, label95, label998, rank, n_ranked, quintile, quintile_label``; rank is within
        the comparator group (the area and its neighbours; NaN where the group is unknown), quintile
        among areas of the same tier in England (unitary, metropolitan and London boroughs together).
    """
    check_choice("vs", vs, ("england", "region", "neighbours"))
    code = store.resolve_area(area)
    info = store.area(code)
    members = store.groups(focal=code, group_id=group_id)
    member_codes = [m for m in members["member_area"].tolist() if m != code] if len(members) else []
    if vs == "neighbours" and not member_codes:
        err = StoreError(f"no comparator group {group_id!r} for {info.get('name') or code} ({code}); "
                         "load the neighbour lists or choose another group")
        err.option = "comparators"
        raise err
    if vs == "region" and not info.get("region_code"):
        raise StoreError(f"no region recorded for {info.get('name') or code} ({code}); load the lookups folder "
                         "or compare with England")
    own = store.benchmark_rows(code)
    if own.empty:
        raise StoreError(f"no observations for {info.get('name') or code} ({code})")
    own["category"] = own["category"].fillna("")
    own = _latest(own) if period == "latest" else own[own["period_label"] == period]
    if own.empty:
        raise StoreError(f"no observations for {code} in period {period!r}; use --period latest or a label "
                         "listed by 'placeimpact series'")
    own = own.reset_index(drop=True)
    own["ci998_computed"] = _fill_998(own)
    key = _SERIES + ["period_label"]
    wanted = own[key + ["polarity"]].drop_duplicates(key).reset_index(drop=True)
    # the peers that matter: England, the region, the group and the areas of the same tier
    tier = _tier(info.get("area_type"))
    tier_types = [t for t in (info.get("area_type"), *_UNITARY_TIER) if isinstance(t, str) and _tier(t) == tier] \
        if tier != "other" else []
    peers = store.benchmark_peer_rows(wanted, areas=[ENGLAND, code, *member_codes]
                                      + ([str(info["region_code"])] if info.get("region_code") else []),
                                      area_types=tier_types)
    k = peers["key_row"].to_numpy()
    area_of = peers["area_code"].to_numpy(dtype=object)
    if vs == "england":
        comp = peers[area_of == ENGLAND].groupby("key_row")["value"].first()
        comparator = "England"
    elif vs == "region":
        region = str(info["region_code"])
        comp = peers[area_of == region].groupby("key_row")["value"].first()
        try:
            comparator = f"{store.area(region).get('name') or region} ({region})"
        except StoreError:
            comparator = region
    else:
        comp = peers[np.isin(area_of, member_codes)].groupby("key_row")["value"].mean()
        comparator = f"mean of {group_id}"
    out = own.merge(wanted[key].assign(_row=np.arange(len(wanted))), on=key, how="left")
    out["comparator_value"] = out["_row"].map(comp)
    out["comparator"] = comparator
    out = _label_columns(out, out["comparator_value"])
    pol = out["polarity"].where(out["polarity"].isin(["high_is_good", "low_is_good"]), "no_judgement")
    # rank within the comparator group (area + neighbours)
    if member_codes:
        in_group = np.isin(area_of, member_codes + [code])
        kp = wanted["polarity"].to_numpy(dtype=object)[k[in_group]]
        gp = np.where(np.isin(kp, ["high_is_good", "low_is_good"]), kp, "no_judgement")
        rank, n_ranked = rank_in_group(peers["value"].to_numpy(dtype=float)[in_group], k[in_group], polarity=gp)
        mine = pd.DataFrame({"_row": k[in_group], "rank": rank, "n_ranked": n_ranked})[area_of[in_group] == code]
        out = out.merge(mine.drop_duplicates("_row"), on="_row", how="left")
    else:
        out["rank"], out["n_ranked"] = np.nan, np.nan
    # quintile among areas of the same tier
    same = np.array([_tier(t) == tier for t in peers["area_type"].to_numpy(dtype=object)], dtype=bool) \
        if tier != "other" else np.zeros(len(peers), dtype=bool)
    if same.any():
        quint, spans = tie_safe_quintiles(peers["value"].to_numpy(dtype=float)[same], k[same])
        mine = pd.DataFrame({"_row": k[same], "quintile": quint, "_spans": spans})[area_of[same] == code]
        out = out.merge(mine.drop_duplicates("_row"), on="_row", how="left")
    else:
        out["quintile"], out["_spans"] = np.nan, False
    out["quintile_label"] = quintile_label(out["quintile"], pol.to_numpy(), out["_spans"].fillna(False).to_numpy(bool))
    out["area_name"] = info.get("name") or code
    cols = ["area_code", "area_name", "indicator_id", "indicator_name", "sex", "age", "category", "period_label",
            "value", "lci95", "uci95", "lci998", "uci998", "ci_origin", "ci998_computed", "unit", "polarity",
            "comparator", "comparator_value", "label95", "label998", "rank", "n_ranked", "quintile", "quintile_label"]
    return out[cols].sort_values(["indicator_id", "sex", "age", "category"]).reset_index(drop=True)
