"""Computed nearest neighbours: standardised distance on pre-reform features, explained.

:func:`compute_neighbours` picks, for a focal area and a reference year, the ``k`` areas
of the same tier that existed on 31 December of that year and were closest on open
socio-economic features measured by then (:mod:`.features`), with the standardised
Euclidean distance of :mod:`.distance`. Every gap is reported (:class:`MissingReport`),
each neighbour comes with the features that make it similar or different, and the list
is compared with an imported one where the store holds it. :func:`stability` repeats the
computation for two nearby reference years and reports how far the lists agree.

Candidate areas come from the store's area register: areas created later (Bournemouth,
Christchurch and Poole, 2019) or abolished earlier (Northamptonshire County, 2021) than
the reference date are never candidates. Without validity dates in the store (the area
register not loaded) this check cannot be made, and a warning says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, MethodError, StoreError
from ..records import GROUP_COLUMNS
from .distance import MissingReport, handle_missing, rank_order, standardised_distance, zscores
from .explain import Overlap, Stability, feature_reasons, overlap
from .features import read_features, reference_date

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["ComputedNeighbours", "NeighbourFit", "nearest_neighbours", "compute_neighbours",
           "candidate_areas", "existed_on", "stability", "Among"]

Among = Literal["tier", "type"]
AMONG: tuple[str, ...] = Among.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NeighbourFit:
    """What :func:`nearest_neighbours` found on a plain feature table (no store, no names).

    ``members``: rank, code, distance. ``differences``: members by features, z-difference
    (member minus focal). ``z``: every kept area's z-scores. ``weights``: per kept feature.
    """

    members: pd.DataFrame
    differences: pd.DataFrame
    z: pd.DataFrame
    mean: pd.Series
    sd: pd.Series
    weights: pd.Series
    missing: MissingReport


def _weights(columns: Sequence[str], weights: Mapping[str, float] | None) -> pd.Series:
    w = pd.Series(1.0, index=list(columns))
    if not weights:
        return w
    short = {c.split(":", 1)[-1]: c for c in columns}
    for key, val in weights.items():
        col = key if key in w.index else short.get(str(key).split(":", 1)[-1])
        if col is None:
            raise InputError("a weight names a feature that is not used", field="weights",
                             expected="one of " + ", ".join(columns), got=str(key),
                             hint="Weights are keyed by the feature's indicator id or its short name")
        try:
            v = float(val)
        except (TypeError, ValueError):
            v = float("nan")
        if not np.isfinite(v) or v < 0:
            raise InputError("a feature weight must be a finite number, zero or more", field="weights",
                             expected="a number >= 0", got=f"{key}={val}")
        w[col] = v
    return w


def nearest_neighbours(
    values: pd.DataFrame,
    focal: str,
    *,
    k: int = 15,
    weights: Mapping[str, float] | None = None,
    max_feature_missing: float = 0.2,
    max_area_missing: float = 0.5,
) -> NeighbourFit:
    """The ``k`` rows of ``values`` closest to ``focal`` by standardised Euclidean distance.

    Parameters
    ----------
    values:
        Areas (index: codes) by features (columns); NaN for gaps. Not modified.
    focal:
        Code of the focal area (a row of ``values``).
    k:
        Number of neighbours (fewer if fewer areas remain).
    weights:
        Feature -> weight (>= 0; default 1 each); keys are column names or their short names.
    max_feature_missing, max_area_missing:
        Thresholds of :func:`handle_missing`.

    Raises
    ------
    MethodError
        The focal area is absent, or no feature or no other area remains.
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError("k must be a whole number of neighbours, 1 or more", field="k", got=str(k))
    if focal not in values.index:
        raise MethodError(f"the focal area {focal} is not among the candidate areas")
    if values.index.duplicated().any():
        raise InputError("an area appears twice among the candidates", field="area_code",
                         got=str(values.index[values.index.duplicated()][0]))
    filled, report = handle_missing(values, focal, max_feature_missing=max_feature_missing,
                                    max_area_missing=max_area_missing)
    x = filled.to_numpy(dtype=float)
    codes = filled.index.to_numpy(dtype=str)
    z, mean, sd = zscores(x)
    const = sd == 0
    if const.any():
        extra = pd.DataFrame([{"action": "dropped feature", "area_code": None, "feature": f, "value": np.nan,
                               "reason": "the same value for every area"} for f in filled.columns[const]])
        report = MissingReport(pd.concat([report.table, extra], ignore_index=True))
        z, mean, sd = z[:, ~const], mean[~const], sd[~const]
        filled = filled.loc[:, ~const]
    if z.shape[1] == 0:
        raise MethodError(f"no feature is left to compare areas with ({report.summary()})")
    if len(codes) < 2:
        raise MethodError("no other area has enough feature values to be compared with the focal area")
    w = _weights(list(filled.columns), weights)
    if not (w > 0).any():
        raise InputError("every feature weight is zero", field="weights", expected="at least one weight above 0")
    fi = int(np.flatnonzero(codes == focal)[0])
    d = standardised_distance(z, fi, w.to_numpy())
    order = [i for i in rank_order(d, codes) if i != fi][:k]
    members = pd.DataFrame({"rank": np.arange(1, len(order) + 1), "code": codes[order], "distance": d[order]})
    zf = pd.DataFrame(z, index=pd.Index(codes, name="area_code"), columns=filled.columns)
    diffs = zf.iloc[order] - zf.iloc[fi]
    return NeighbourFit(members, diffs, zf, pd.Series(mean, index=filled.columns),
                        pd.Series(sd, index=filled.columns), w, report)


def existed_on(areas: pd.DataFrame, on: date) -> np.ndarray:
    """Boolean mask: areas whose [valid_from, valid_to] contains ``on`` (a missing bound is open)."""
    t = pd.Timestamp(on)
    vf = pd.to_datetime(areas["valid_from"], errors="coerce")
    vt = pd.to_datetime(areas["valid_to"], errors="coerce")
    return ((vf.isna() | (vf <= t)) & (vt.isna() | (vt >= t))).to_numpy(dtype=bool)


def candidate_areas(store: Store, focal: str, *, year: int, among: Among = "tier") -> tuple[pd.DataFrame, list[str]]:
    """English areas of the focal area's tier (or type) in existence on 31 December ``year``.

    Returns the areas (code, name) and warnings. Raises :class:`StoreError` if the focal
    area itself did not exist then.
    """
    if among not in AMONG:
        raise InputError("unknown choice of candidate areas", field="among", expected=" or ".join(AMONG),
                         got=str(among))
    a = store.area(focal)
    areas = store.areas()
    if among == "type":
        pool = areas[areas["area_type"] == a["area_type"]]
    elif a.get("upper_tier"):
        pool = areas[areas["upper_tier"].eq(True)]
    else:
        pool = areas[areas["lower_tier"].eq(True)]
    pool = pool[pool["code"].str.startswith(str(focal)[0])]
    # a former code of a council that still exists (replaced_by its current code, no end date) is
    # that council under another name: its current code stands for it, so it is not a candidate
    recoded = pool["replaced_by"].notna() & pool["valid_to"].isna()
    pool = pool[~recoded.to_numpy(dtype=bool)]
    on = reference_date(year)
    alive = existed_on(pool, on)
    warnings: list[str] = []
    if not existed_on(areas[areas["code"] == focal], on).all():
        def day(x) -> str:
            return "open" if pd.isna(x) else f"{pd.Timestamp(x):%Y-%m-%d}"

        change = store.area_change_note(focal)
        raise StoreError(f"{a['name']} ({focal}) did not exist on {on} (valid {day(a['valid_from'])} to "
                         f"{day(a['valid_to'])}); choose a reference year in which it existed"
                         + (f". {change}" if change else ""))
    if areas[["valid_from", "valid_to"]].isna().all().all():
        warnings.append("the store holds no validity dates for areas (load the area register, 'lookups'), so areas "
                        f"created or abolished by boundary changes around {year} could not be excluded")
    return pool.loc[alive, ["code", "name"]].reset_index(drop=True), warnings


@dataclass(frozen=True)
class ComputedNeighbours:
    """A computed neighbour list with everything needed to judge it.

    Attributes
    ----------
    focal_area, focal_name, year, k, among, group_id:
        What was computed (``group_id`` is the name to save it under, e.g. ``computed:2010:k15``).
    members:
        rank, code, name, distance, similar, different (the features making it alike / apart).
    features:
        feature, name, domain, period_label, period_end, after_reference, weight, mean, sd,
        focal_value, n_imputed: the features used and the one period of each.
    not_used:
        Candidate features left out before computing (feature, reason).
    missing:
        Areas and features dropped, and cells imputed (:class:`MissingReport`).
    differences:
        Members by features: z-difference, member minus focal area.
    n_candidates:
        Areas compared (after dropping those missing most features), focal area included.
    comparison:
        Overlap with an imported list for the same area, if the store holds one.
    warnings:
        Plain sentences on what weakens the list.
    """

    focal_area: str
    focal_name: str
    year: int
    k: int
    among: str
    group_id: str
    members: pd.DataFrame
    features: pd.DataFrame
    not_used: pd.DataFrame
    missing: MissingReport
    differences: pd.DataFrame
    n_candidates: int
    comparison: Overlap | None = None
    warnings: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.members["code"])

    def to_frame(self) -> pd.DataFrame:
        """The members table (a copy)."""
        return self.members.copy()

    def to_group(self) -> pd.DataFrame:
        """Rows for :meth:`placeimpact.store.Store.save_group` (kind ``computed``)."""
        m = self.members
        g = pd.DataFrame({"group_id": self.group_id, "kind": "computed", "focal_area": self.focal_area,
                          "member_area": m["code"], "rank": m["rank"].astype(int), "distance": m["distance"],
                          "source": f"placeimpact: standardised distance on {len(self.features)} features "
                                    f"measured by {self.year}"})
        return g[list(GROUP_COLUMNS)]

    def explain(self, code: str) -> pd.DataFrame:
        """One neighbour, feature by feature: z of each area, their difference and its share of d^2."""
        if code not in self.differences.index:
            raise StoreError(f"{code} is not among the computed neighbours of {self.focal_area}")
        f = self.features.set_index("feature")
        dz = self.differences.loc[code]
        contrib = f["weight"] * dz**2
        return pd.DataFrame({"feature": dz.index, "name": f.loc[dz.index, "name"].to_numpy(),
                             "z_difference": dz.to_numpy(),
                             "share_of_distance": (contrib / contrib.sum()).to_numpy()
                             if contrib.sum() > 0 else 0.0}).sort_values("share_of_distance", ascending=False,
                                                                         ignore_index=True)

    def to_dict(self) -> dict:
        def records(df: pd.DataFrame) -> list[dict]:
            return df.astype(object).where(df.notna(), None).to_dict("records")

        return {"focal_area": self.focal_area, "focal_name": self.focal_name, "year": self.year, "k": self.k,
                "among": self.among, "group_id": self.group_id, "members": records(self.members),
                "features": records(self.features.assign(period_end=self.features["period_end"].astype(str))),
                "not_used": records(self.not_used), "missing": records(self.missing.table),
                "n_candidates": self.n_candidates,
                "comparison": self.comparison.to_dict() if self.comparison else None,
                "warnings": list(self.warnings), "summary": self.summary()}

    def summary(self) -> str:
        f = self.features
        feats = ", ".join(f"{r.name} ({r.period_label})" for r in f.itertuples())
        lines = [f"{len(self.members)} nearest neighbours of {self.focal_name} ({self.focal_area}) among "
                 f"{self.n_candidates - 1} areas of the same {self.among} that existed at the end of {self.year}, by "
                 f"standardised distance on {len(f)} features measured by then: {feats}.",
                 f"Missing values: {self.missing.summary()}"]
        if len(self.not_used):
            lines.append("Not used: " + "; ".join(f"{r.feature} ({r.reason})" for r in self.not_used.itertuples())
                         + ".")
        if self.comparison is not None:
            lines.append(self.comparison.summary())
        lines += [f"Caution: {w}." for w in self.warnings]
        lines.append("Similar on these features does not mean similar on everything: a neighbour list is a "
                     "judgement, and results compared against it should be read with that in mind.")
        return "\n".join(lines)


def _group_id(year: int, k: int, features: Sequence[str] | None, weights: Mapping[str, float] | None,
              among: str) -> str:
    base = f"computed:{year}:k{k}"
    if features is None and not weights and among == "tier":
        return base
    spec = repr((sorted(features or []), sorted((weights or {}).items()), among))
    return f"{base}:{hashlib.sha1(spec.encode()).hexdigest()[:6]}"


def compute_neighbours(
    store: Store,
    area: str,
    *,
    year: int,
    k: int = 15,
    features: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    among: Among = "tier",
    max_feature_missing: float = 0.2,
    max_area_missing: float = 0.5,
    compare_with: str | None = "oflog-nn",
) -> ComputedNeighbours:
    """Nearest neighbours of ``area`` from features measured by the end of ``year``.

    Parameters
    ----------
    store:
        An open store.
    area:
        Focal area code or name.
    year:
        Reference year, before the reform (2010 for a reform starting in 2011).
    k:
        Number of neighbours.
    features:
        Indicator ids or short names (default: :data:`placeimpact.comparators.features.DEFAULT_FEATURES`).
    weights:
        Feature -> weight >= 0 (default 1 each).
    among:
        ``"tier"``: areas of the focal area's tier (upper tier: counties, unitaries, metropolitan
        districts, London boroughs); ``"type"``: only areas of its exact type.
    max_feature_missing, max_area_missing:
        Drop a feature missing for more than this share of areas; drop an area missing more
        than this share of features. Remaining gaps get the feature's median (reported).
    compare_with:
        Imported group id to report the overlap with (None to skip).
    """
    focal = store.resolve_area(area)
    pool, warnings = candidate_areas(store, focal, year=year, among=among)
    ft = read_features(store, pool["code"].tolist(), year=year, features=features)
    warnings += list(ft.warnings)
    fit = nearest_neighbours(ft.values, focal, k=k, weights=weights, max_feature_missing=max_feature_missing,
                             max_area_missing=max_area_missing)
    names = pool.set_index("code")["name"]
    info = ft.features.set_index("feature").loc[list(fit.weights.index)]
    labels = info["name"].astype(str).str.replace(r"\s*\([^)]*\)", "", regex=True).tolist()
    similar, different = feature_reasons(fit.differences.to_numpy(), fit.weights.to_numpy(), labels)
    members = fit.members.assign(name=fit.members["code"].map(names).to_numpy(), similar=similar,
                                 different=different)[["rank", "code", "name", "distance", "similar", "different"]]
    imputed = fit.missing.table[fit.missing.table["action"] == "imputed median"]["feature"].value_counts()
    feats = info.reset_index().assign(weight=fit.weights.to_numpy(), mean=fit.mean.to_numpy(),
                                      sd=fit.sd.to_numpy(),
                                      focal_value=ft.values.loc[focal, list(fit.weights.index)].to_numpy(),
                                      n_imputed=[int(imputed.get(f, 0)) for f in fit.weights.index])
    n_cand = len(fit.z)
    if len(members) < k:
        warnings.append(f"only {len(members)} areas could be compared, fewer than the {k} asked for")
    if fit.missing.count("imputed median") > 0.05 * n_cand * len(feats):
        warnings.append("more than 5% of feature values were imputed")
    if bool(feats["after_reference"].any()):
        warnings.append("some features were measured after the reference year")
    comparison = None
    if compare_with:
        g = store.groups(focal=focal, group_id=compare_with)
        if len(g):
            ref = [c for c in g.sort_values("rank")["member_area"] if c != focal]
            comparison = overlap(members["code"].tolist(), ref, label_a=f"neighbours computed from {year} features",
                                 label_b=compare_with)
    gid = _group_id(year, k, features, weights, among)
    return ComputedNeighbours(focal, str(names.get(focal, focal)), int(year), int(k), among, gid, members,
                              feats, ft.not_used, fit.missing, fit.differences, n_cand, comparison, tuple(warnings))


def stability(store: Store, area: str, *, years: tuple[int, int] = (2009, 2010), **options) -> Stability:
    """Neighbours from two reference years and their overlap (options as :func:`compute_neighbours`)."""
    ya, yb = (int(y) for y in years)
    options.setdefault("compare_with", None)
    ra = compute_neighbours(store, area, year=ya, **options)
    rb = compute_neighbours(store, area, year=yb, **options)
    ov = overlap(ra.codes, rb.codes, label_a=f"neighbours from {ya} features", label_b=f"those from {yb}")
    pa = ra.features.set_index("feature")["period_label"]
    pb = rb.features.set_index("feature")["period_label"]
    same = tuple(f for f in pa.index.intersection(pb.index) if pa[f] == pb[f])
    return Stability(ya, yb, ov, same, (ra, rb))
