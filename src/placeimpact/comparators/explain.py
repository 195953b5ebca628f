"""Explaining neighbour lists: what makes each neighbour near, and how far two lists agree.

* :func:`feature_reasons` — for each neighbour, the features on which it is most alike the
  focal area and those that set it apart (z-differences, weighted by their share of the
  squared distance).
* :class:`Overlap` / :func:`overlap` — how many members two lists share ("9 of the 15 agree").
* :class:`Stability` — the overlap of lists computed from two nearby reference years
  (built by :func:`placeimpact.comparators.computed.stability`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["Overlap", "overlap", "feature_reasons", "Stability"]


@dataclass(frozen=True)
class Overlap:
    """Agreement of two neighbour lists.

    Attributes
    ----------
    label_a, label_b:
        What the lists are ("computed from 2010 features", "oflog-nn").
    a, b:
        Their member codes, in rank order.
    common, only_a, only_b:
        Codes in both, only in ``a``, only in ``b`` (each in ``a``'s or ``b``'s rank order).
    """

    label_a: str
    label_b: str
    a: tuple[str, ...]
    b: tuple[str, ...]
    common: tuple[str, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]

    @property
    def n_common(self) -> int:
        return len(self.common)

    @property
    def share(self) -> float:
        """Shared members as a share of the first list (NaN for an empty list)."""
        return self.n_common / len(self.a) if self.a else float("nan")

    def summary(self) -> str:
        return (f"{self.n_common} of the {len(self.a)} {self.label_a} agree with {self.label_b} "
                f"({len(self.b)} members).")

    def to_dict(self) -> dict:
        return {"label_a": self.label_a, "label_b": self.label_b, "n_common": self.n_common,
                "n_a": len(self.a), "n_b": len(self.b), "common": list(self.common),
                "only_a": list(self.only_a), "only_b": list(self.only_b), "summary": self.summary()}


def overlap(a: Sequence[str], b: Sequence[str], *, label_a: str = "first list",
            label_b: str = "second list") -> Overlap:
    """Members two lists share (order within each list kept)."""
    a, b = tuple(dict.fromkeys(a)), tuple(dict.fromkeys(b))
    sb, sa = set(b), set(a)
    return Overlap(label_a, label_b, a, b, tuple(c for c in a if c in sb),
                   tuple(c for c in a if c not in sb), tuple(c for c in b if c not in sa))


def feature_reasons(dz: np.ndarray, weights: np.ndarray, labels: Sequence[str], *,
                    n: int = 2) -> tuple[list[str], list[str]]:
    """Plain-text reasons per neighbour: most similar and most different features.

    Parameters
    ----------
    dz:
        ``(n_members, n_features)`` z-differences, member minus focal area.
    weights:
        ``(n_features,)`` feature weights (features with weight 0 are never cited).
    labels:
        ``n_features`` short feature names.
    n:
        How many features to cite on each side.

    Returns
    -------
    similar, different:
        One string per member, e.g. ``"Employment rate (+0.05 sd)"`` and
        ``"Gross median weekly pay (-1.3 sd)"``.
    """
    dz = np.asarray(dz, dtype=float)
    w = np.asarray(weights, dtype=float)
    used = w > 0
    contrib = np.where(used, w * dz**2, -np.inf)  # different: largest weighted squared gap
    close = np.where(used, np.abs(dz), np.inf)    # similar: smallest gap
    m = min(n, int(used.sum()))
    lab = np.asarray(labels, dtype=object)

    def fmt(idx: np.ndarray, row: int) -> str:
        return "; ".join(f"{lab[j]} ({dz[row, j]:+.2g} sd)" for j in idx)

    most_similar = np.argsort(close, axis=1, kind="stable")[:, :m]
    most_different = np.argsort(-contrib, axis=1, kind="stable")[:, :m]
    return ([fmt(most_similar[i], i) for i in range(dz.shape[0])],
            [fmt(most_different[i], i) for i in range(dz.shape[0])])


@dataclass(frozen=True)
class Stability:
    """Neighbours computed from two reference years, and how far they agree."""

    year_a: int
    year_b: int
    overlap: Overlap
    same_period_features: tuple[str, ...]
    results: tuple  # (ComputedNeighbours for year_a, for year_b)

    def summary(self) -> str:
        text = (f"Neighbours computed from {self.year_a} and {self.year_b} features: "
                f"{self.overlap.n_common} of {len(self.overlap.a)} agree.")
        if self.same_period_features:
            text += (f" {len(self.same_period_features)} feature(s) were read at the same period for both years "
                     f"({', '.join(self.same_period_features)}), which makes the lists agree more by construction.")
        return text

    def to_frame(self) -> pd.DataFrame:
        """One row per area in either list: its rank in each year (NaN where absent)."""
        ra = self.results[0].members.set_index("code")["rank"].rename(f"rank_{self.year_a}")
        rb = self.results[1].members.set_index("code")["rank"].rename(f"rank_{self.year_b}")
        names = pd.concat([self.results[0].members.set_index("code")["name"],
                           self.results[1].members.set_index("code")["name"]])
        names = names[~names.index.duplicated()]
        df = pd.concat([names, ra, rb], axis=1).reset_index(names="code")
        return df.sort_values([f"rank_{self.year_b}", f"rank_{self.year_a}"]).reset_index(drop=True)
