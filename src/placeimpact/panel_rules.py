"""The panel rules, once: pure functions on a frame of observations, used by every panel builder.

:func:`placeimpact.panel.build_panel` (one focal area) and
:func:`placeimpact.screen.panels.bulk_panels` (every area of a tier, every indicator) apply
the same rules, so a row of a bulk panel equals the focal row of the single-area panel
(``tests/test_panel_rules.py`` builds both on the real store and compares them):

* **breakdown** — :func:`choose_breakdowns`: Persons, then All ages, then no category, then
  the breakdown with the most rows in the whole store;
* **period length** — :func:`period_lengths` and :func:`main_lengths`: periods are grouped by
  their length in whole years, and each series keeps its most common length (the shorter on
  a tie), so a three-year rolling series is not mixed with pooled five-year values;
* **recodes** — :func:`join_exact_recodes`: series published under a former code join the
  current code only where the change was exact (same boundary); other rows stay apart;
* **combined areas** — :func:`placeimpact.geography.assign_combined` (one panel) gives a
  combined publication to the one council that takes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .store import Store

__all__ = ["breakdown_score", "choose_breakdowns", "period_lengths", "main_lengths", "join_exact_recodes",
           "recode_sources"]


def breakdown_score(frame: pd.DataFrame) -> pd.Series:
    """How much a breakdown is preferred: Persons 4, All ages 2, no category 1 (summed)."""
    return ((frame["sex"] == "Persons").astype(int) * 4 + (frame["age"] == "All ages").astype(int) * 2
            + (frame["category"].fillna("") == "").astype(int))


def choose_breakdowns(counts: pd.DataFrame) -> pd.DataFrame:
    """The preferred breakdown of each indicator.

    ``counts`` has ``indicator_id, sex, age, category, n`` (rows per breakdown, as
    :meth:`Store.breakdown_counts <placeimpact.store.Store.breakdown_counts>` gives them); the
    result has one row per indicator with the highest :func:`breakdown_score`, then the most
    rows, then the first in sort order of sex, age and category.
    """
    c = counts.assign(_score=breakdown_score(counts))
    c = c.sort_values(["indicator_id", "_score", "n", "sex", "age", "category"],
                      ascending=[True, False, False, True, True, True], kind="mergesort")
    return c.drop_duplicates("indicator_id")[["indicator_id", "sex", "age", "category"]].reset_index(drop=True)


def period_lengths(frame: pd.DataFrame) -> pd.Series:
    """Each row's period length in whole years (``period_end - period_start``, rounded, at least 0)."""
    days = (pd.to_datetime(frame["period_end"]) - pd.to_datetime(frame["period_start"])).dt.days
    return (days / 365.25).round(0).clip(lower=0)


def main_lengths(frame: pd.DataFrame, by: Sequence[str] = ("indicator_id",)) -> pd.DataFrame:
    """The most common period length (``_len`` column) of each group of ``by``; the shorter on a tie."""
    keys = list(by)
    lens = frame["_len"].to_numpy(dtype=float)
    if len(frame) and not np.isnan(lens).any() and all(frame[k].nunique(dropna=False) == 1 for k in keys):
        # one series (a single-area panel): the same rule without a groupby; np.unique sorts the
        # lengths ascending and argmax takes the first of the most common, so the shorter on a tie
        values, counts = np.unique(lens, return_counts=True)
        return pd.DataFrame({**{k: frame[k].iloc[:1].to_numpy() for k in keys}, "_len": [values[np.argmax(counts)]]})
    n = frame.groupby([*keys, "_len"], sort=False).size().rename("_n").reset_index()
    n = n.sort_values([*keys, "_n", "_len"], ascending=[True] * len(keys) + [False, True], kind="mergesort")
    return n.drop_duplicates(keys)[[*keys, "_len"]].reset_index(drop=True)


def recode_sources(store: Store, wanted: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Exact former-code -> current-code targets, and the former codes whose current code is wanted."""
    from .geography import _exact_targets, successor_map

    def exact_targets() -> dict[str, str]:
        changes = successor_map(store)
        return _exact_targets(changes) if len(changes) else {}

    targets = store.derived("exact_recode_targets", exact_targets)
    want = set(wanted)
    return targets, [old for old, new in targets.items() if new in want]


def join_exact_recodes(obs: pd.DataFrame, targets: Mapping[str, str]) -> pd.DataFrame:
    """Rows published under a former code moved to the current code where the change was exact.

    ``targets`` maps former codes to current ones (:func:`recode_sources`). As
    :func:`placeimpact.geography.harmonise`, a moved row that would duplicate another row of the
    same series and period under the current code is dropped (the row published under the
    current code is the one to use). Adds ``reported_code`` (the code as published) and
    ``boundary_status`` (``current`` or ``recoded``).
    """
    codes = obs["area_code"].astype(str)
    mapped = codes.map(dict(targets))
    moved = mapped.notna().to_numpy()
    out = obs.assign(reported_code=codes.to_numpy(), boundary_status="current")
    if not moved.any():
        return out
    out.loc[moved, "area_code"] = mapped[moved].to_numpy()
    out.loc[moved, "boundary_status"] = "recoded"
    key = ["area_code", *(c for c in ("indicator_id", "sex", "age", "category", "period_label") if c in out.columns)]
    near = out["area_code"].isin(set(mapped[moved])).to_numpy()    # only these rows can clash
    clash = np.zeros(len(out), dtype=bool)
    clash[near] = out.loc[near].duplicated(subset=key, keep=False).to_numpy()
    return out[~(clash & moved)]
