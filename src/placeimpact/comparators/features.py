"""Features for computed neighbours: which indicators, and which one period of each.

A feature is an indicator in the store describing a place's circumstances (income,
employment, housing, productivity, qualifications, deprivation, population), never an
outcome the reform might have changed. For a reference year ``Y`` each feature is read at
ONE period: the latest that ended on or before 31 December ``Y``. Features measured only
after that are biased by whatever happened since (the reform included), so

* a default feature first measured after ``Y`` is not used, and the report says so;
* a feature the caller names explicitly is read at its earliest period, with a warning.

Only all-persons, all-ages, uncategorised rows are read (``sex='Persons'``,
``age='All ages'``, ``category=''``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Sequence

import pandas as pd

from ..errors import StoreError

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["FeatureSpec", "DEFAULT_FEATURES", "OPTIONAL_CONCEPTS", "FeatureTable", "read_features",
           "reference_date"]


@dataclass(frozen=True)
class FeatureSpec:
    """A candidate feature: an indicator id (or its short name) and the domain it describes."""

    key: str
    domain: str


#: used by default where the store holds them (ONS Explore Local Statistics, all measured before 2011)
DEFAULT_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("ons-els:gross-disposable-household-income", "income"),
    FeatureSpec("ons-els:gross-median-weekly-pay", "income"),
    FeatureSpec("ons-els:employment-rate", "employment"),
    FeatureSpec("ons-els:economically-inactive", "employment"),
    FeatureSpec("ons-els:claimant-count", "employment"),
    FeatureSpec("ons-els:housing-affordability-ratio-residence-based", "housing"),
    FeatureSpec("ons-els:gross-value-added-per-hour-worked", "productivity"),
    FeatureSpec("ons-els:level-3-or-above-qualifications-great-britain", "qualifications"),
    FeatureSpec("ons-els:no-qualifications", "qualifications"),
)

#: indicator concepts also used by default when some source in the store provides them
#: (in the shared data all are measured after 2011, so a pre-reform reference year leaves them out)
OPTIONAL_CONCEPTS: dict[str, str] = {
    "iod2019-imd-average-rank": "deprivation",   # ASCOF folder: Indices of Deprivation 2019, upper tier
    "population-18plus": "population",           # ASCOF folder: mid-year estimates
    "population": "population",
    "population-density": "population",
}


def reference_date(year: int) -> date:
    """The last day of the reference year: features must have ended by it, areas must exist on it."""
    return date(int(year), 12, 31)


@dataclass(frozen=True)
class FeatureTable:
    """Feature values for the candidate areas, one period per feature.

    Attributes
    ----------
    values:
        Areas (index: code) by features (columns: indicator id); NaN where an area has no value.
    features:
        One row per feature used: ``feature, name, domain, period_label, period_end,
        after_reference`` (True when measured after the reference year), ``n_areas``.
    not_used:
        Candidate features left out before any computing: ``feature, reason``.
    warnings:
        Plain sentences (features measured after the reference year, ...).
    """

    values: pd.DataFrame
    features: pd.DataFrame
    not_used: pd.DataFrame
    warnings: tuple[str, ...]


def _resolve(store: Store, keys: Sequence[str]) -> list[dict]:
    return [store.indicator(k) for k in keys]


def _default_specs(store: Store) -> list[FeatureSpec]:
    specs = list(DEFAULT_FEATURES)
    known = {s.key for s in specs}
    if OPTIONAL_CONCEPTS:
        extra = store.indicators_of_concepts(list(OPTIONAL_CONCEPTS))
        specs += [FeatureSpec(r.id, OPTIONAL_CONCEPTS[r.concept]) for r in extra.itertuples() if r.id not in known]
    return specs


def read_features(
    store: Store,
    areas: Sequence[str],
    *,
    year: int,
    features: Sequence[str] | None = None,
) -> FeatureTable:
    """Read each feature at its reference period for ``areas``.

    Parameters
    ----------
    store:
        An open :class:`placeimpact.store.Store`.
    areas:
        Candidate area codes (the focal area and its possible neighbours).
    year:
        Reference year: each feature is read at its latest period ending on or before 31 December.
    features:
        Indicator ids or short names; None for :data:`DEFAULT_FEATURES` plus any indicator whose
        concept is in :data:`OPTIONAL_CONCEPTS`.

    Raises
    ------
    StoreError
        A named feature is not in the store.
    """
    cutoff = pd.Timestamp(reference_date(year))
    explicit = features is not None
    not_used: list[dict] = []
    if explicit:
        metas = _resolve(store, list(features))
        known = {s.key: s.domain for s in DEFAULT_FEATURES}
        domains = {m["id"]: known.get(m["id"], OPTIONAL_CONCEPTS.get(m.get("concept") or "", "")) for m in metas}
    else:
        specs = _default_specs(store)
        present = set(store.indicator_table([s.key for s in specs])["id"])
        not_used += [{"feature": s.key, "reason": "not in the store"} for s in specs if s.key not in present]
        metas = _resolve(store, [s.key for s in specs if s.key in present])
        domains = {s.key: s.domain for s in specs}
    ids = list(dict.fromkeys(m["id"] for m in metas))
    names = {m["id"]: m["name"] for m in metas}
    obs = store.persons_values(ids, list(areas))
    obs["period_end"] = pd.to_datetime(obs["period_end"])
    periods = (obs.groupby(["feature", "period_label", "period_end"], as_index=False)
               .agg(n_areas=("area_code", "nunique")))
    periods["after_reference"] = periods["period_end"] > cutoff
    # latest period ending by the cutoff (most areas, then label, breaking ties); else the earliest after it
    before = periods[~periods["after_reference"]].sort_values(
        ["feature", "period_end", "n_areas", "period_label"], ascending=[True, False, False, True])
    after = periods[periods["after_reference"]].sort_values(
        ["feature", "period_end", "n_areas", "period_label"], ascending=[True, True, False, True])
    chosen = pd.concat([before.drop_duplicates("feature"), after.drop_duplicates("feature")])
    chosen = chosen.drop_duplicates("feature", keep="first")
    warnings: list[str] = []
    for fid in ids:
        row = chosen[chosen["feature"] == fid]
        if row.empty:
            not_used.append({"feature": fid, "reason": "no all-persons values for these areas"})
            continue
        if bool(row["after_reference"].iloc[0]):
            first = row["period_label"].iloc[0]
            if not explicit:
                not_used.append({"feature": fid, "reason": f"first measured {first}, after {year}; "
                                 "name it in the features to use it anyway"})
            else:
                warnings.append(f"{names[fid]} ({fid}) has no period ending by {year}; its earliest, {first}, "
                                "is used, and it may reflect changes since then, the reform's included")
    dropped = {d["feature"] for d in not_used}
    chosen = chosen[~chosen["feature"].isin(dropped)]
    chosen = chosen.set_index("feature").loc[[f for f in ids if f in set(chosen["feature"])]].reset_index()
    keep = obs.merge(chosen[["feature", "period_label"]], on=["feature", "period_label"])
    values = keep.pivot(index="area_code", columns="feature", values="value")
    values = values.reindex(index=pd.Index(list(areas), name="area_code"), columns=chosen["feature"].tolist())
    values.columns.name = None
    table = chosen.assign(name=chosen["feature"].map(names), domain=chosen["feature"].map(domains).fillna(""))
    table = table[["feature", "name", "domain", "period_label", "period_end", "after_reference", "n_areas"]]
    if not len(table):
        raise StoreError(f"none of the features has values for these areas in or before {year}: "
                         + "; ".join(f"{d['feature']}: {d['reason']}" for d in not_used)
                         + ". Load ONS Explore Local Statistics ('placeimpact data load') or name other features")
    return FeatureTable(values=values.astype(float), features=table.reset_index(drop=True),
                        not_used=pd.DataFrame(not_used, columns=["feature", "reason"]), warnings=tuple(warnings))
