"""Pure kernels: missing-feature handling, z-scores and the standardised Euclidean distance.

Nothing here reads the store; :mod:`placeimpact.comparators.computed` wraps these for areas.

The distance of area ``i`` from the focal area ``f`` over features ``j`` with weights
``w_j >= 0`` is the weighted root-mean-square difference of z-scores,

    d_i = sqrt( sum_j w_j (z_ij - z_fj)^2 / sum_j w_j ),

so ``d = 1`` means "one standard deviation apart on a typical feature". z-scores use the
mean and population standard deviation (``ddof=0``) over the candidate areas, which makes
the ranking invariant to each feature's unit and to the order of the areas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["zscores", "standardised_distance", "rank_order", "MissingReport", "handle_missing",
           "MISSING_ACTIONS"]

MissingAction = Literal["dropped feature", "dropped area", "imputed median"]
MISSING_ACTIONS: tuple[str, ...] = MissingAction.__args__  # type: ignore[attr-defined]


def zscores(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column z-scores.

    Parameters
    ----------
    x:
        ``(n_areas, n_features)`` finite values.

    Returns
    -------
    z, mean, sd:
        ``(n_areas, n_features)`` z-scores and the ``(n_features,)`` column means and
        population standard deviations. A constant column (sd 0) gets z = 0.
    """
    x = np.asarray(x, dtype=float)
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    safe = np.where(sd > 0, sd, 1.0)
    return (x - mean) / safe, mean, sd


def standardised_distance(z: np.ndarray, focal: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted root-mean-square z-difference of every area from the focal one.

    Parameters
    ----------
    z:
        ``(n_areas, n_features)`` z-scores.
    focal:
        Row index of the focal area.
    weights:
        ``(n_features,)`` non-negative weights, not all zero; None for equal weights.

    Returns
    -------
    ``(n_areas,)`` distances (0 for the focal area itself).
    """
    z = np.asarray(z, dtype=float)
    w = np.ones(z.shape[1]) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (z.shape[1],) or np.any(~np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise ValueError(f"weights must be {z.shape[1]} finite non-negative numbers, not all zero; got {w!r}")
    diff = z - z[focal]
    return np.sqrt((diff**2) @ w / w.sum())


def rank_order(distance: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Indices sorting by distance, ties broken by area code (so the order of rows never matters).

    Distances are rounded to 12 digits relative to the largest first, so floating-point noise from a
    different summation order cannot swap two areas that are equally far.
    """
    d = np.asarray(distance, dtype=float)
    scale = np.nanmax(np.abs(d)) if d.size else 1.0
    rounded = np.round(d / (scale if scale > 0 else 1.0), 12)
    return np.lexsort((np.asarray(codes, dtype=str), rounded))


@dataclass(frozen=True)
class MissingReport:
    """What was done about gaps: every dropped feature, dropped area and imputed cell.

    ``table`` columns: ``action`` (one of :data:`MISSING_ACTIONS`), ``area_code`` (None for a
    dropped feature), ``feature`` (None for a dropped area), ``value`` (the imputed median),
    ``reason``.
    """

    table: pd.DataFrame

    def count(self, action: str) -> int:
        return int((self.table["action"] == action).sum())

    def summary(self) -> str:
        if self.table.empty:
            return "No feature values were missing."
        parts = []
        df = self.table
        feats = df.loc[df["action"] == "dropped feature", "feature"].tolist()
        if feats:
            parts.append(f"{len(feats)} feature(s) dropped ({', '.join(feats)})")
        areas = df.loc[df["action"] == "dropped area", "area_code"].tolist()
        if areas:
            shown = ", ".join(areas[:8]) + (f" and {len(areas) - 8} more" if len(areas) > 8 else "")
            parts.append(f"{len(areas)} area(s) dropped for missing most features ({shown})")
        imp = df[df["action"] == "imputed median"]
        if len(imp):
            shown = ", ".join(f"{r.area_code}/{r.feature}" for r in imp.head(6).itertuples())
            more = f" and {len(imp) - 6} more" if len(imp) > 6 else ""
            parts.append(f"{len(imp)} missing value(s) imputed with the feature's median ({shown}{more})")
        return "; ".join(parts) + "."


def handle_missing(
    values: pd.DataFrame,
    focal: str,
    *,
    max_feature_missing: float = 0.2,
    max_area_missing: float = 0.5,
) -> tuple[pd.DataFrame, MissingReport]:
    """Drop or impute missing feature values, and say which.

    In order: (1) features the focal area lacks are dropped (a neighbour cannot be judged
    on what the focal area does not have); (2) areas lacking more than ``max_area_missing``
    of the remaining features are dropped (imputing most of an area would place it at the
    centre of the distribution, falsely "average"); (3) features lacking more than
    ``max_feature_missing`` of the remaining areas are dropped; (4) remaining gaps are
    filled with the feature's median over the remaining areas. Never a silent zero.

    Parameters
    ----------
    values:
        Areas (index: codes) by features; NaN marks a gap. Not modified.
    focal:
        The focal area's code (must be in the index).

    Returns
    -------
    filled, report:
        A complete copy (rows and columns possibly fewer) and the :class:`MissingReport`.
    """
    for name, frac in (("max_feature_missing", max_feature_missing), ("max_area_missing", max_area_missing)):
        if not 0 <= frac <= 1:
            raise ValueError(f"{name} must be a fraction between 0 and 1, got {frac!r}")
    x = values.copy()
    rows: list[dict] = []
    lacking = x.columns[x.loc[focal].isna().to_numpy()]
    rows += [{"action": "dropped feature", "area_code": None, "feature": f, "value": np.nan,
              "reason": "missing for the focal area"} for f in lacking]
    x = x.drop(columns=lacking)
    if x.shape[1]:
        share = x.isna().mean(axis=1)
        bad = share.index[(share > max_area_missing).to_numpy() & (share.index != focal)]
        rows += [{"action": "dropped area", "area_code": a, "feature": None, "value": np.nan,
                  "reason": f"missing {int(x.loc[a].isna().sum())} of {x.shape[1]} features"} for a in bad]
        x = x.drop(index=bad)
        share = x.isna().mean(axis=0)
        badf = share.index[(share > max_feature_missing).to_numpy()]
        rows += [{"action": "dropped feature", "area_code": None, "feature": f, "value": np.nan,
                  "reason": f"missing for {share[f]:.0%} of areas (more than {max_feature_missing:.0%})"}
                 for f in badf]
        x = x.drop(columns=badf)
    med = x.median(axis=0)
    gaps = x.isna()
    r, c = np.nonzero(gaps.to_numpy())
    rows += [{"action": "imputed median", "area_code": x.index[i], "feature": x.columns[j],
              "value": float(med.iloc[j]), "reason": "no value in the reference period"} for i, j in zip(r, c)]
    x = x.fillna(med)
    report = pd.DataFrame(rows, columns=["action", "area_code", "feature", "value", "reason"])
    return x, MissingReport(report)
