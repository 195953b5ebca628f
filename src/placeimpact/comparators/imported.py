"""Imported comparator groups: the lists people already use, read back from the store.

The readers in :mod:`placeimpact.sources` store them in ``comparator_groups``:
``oflog-nn`` (the Office for Local Government's 15 nearest neighbours of each English
council, ``oflog/src/lib/NN.json``), CIPFA groups (``cipfa-2019``, ``cipfa-2021``, ...),
and a user's own list (``sources.comparator_csv``, kind ``user``). Computed groups saved
with :meth:`placeimpact.store.Store.save_group` are read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import StoreError

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["NeighbourGroup", "imported_neighbours", "available_groups", "DEFAULT_GROUP"]

DEFAULT_GROUP = "oflog-nn"


@dataclass(frozen=True)
class NeighbourGroup:
    """A stored comparator group for one focal area.

    ``members`` columns: rank, code, name, distance (NaN for imported lists).
    """

    group_id: str
    kind: str
    source: str
    focal_area: str
    focal_name: str
    members: pd.DataFrame

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.members["code"])

    def to_frame(self) -> pd.DataFrame:
        return self.members.copy()

    def to_dict(self) -> dict:
        m = self.members.astype(object).where(self.members.notna(), None)
        return {"group_id": self.group_id, "kind": self.kind, "source": self.source,
                "focal_area": self.focal_area, "focal_name": self.focal_name, "members": m.to_dict("records"),
                "summary": self.summary()}

    def summary(self) -> str:
        return (f"{len(self.members)} members of group {self.group_id!r} ({self.kind}) for {self.focal_name} "
                f"({self.focal_area}); source: {self.source}.")


def available_groups(store: Store, area: str | None = None) -> pd.DataFrame:
    """Groups in the store (for one focal area if given): group_id, kind, source, focal areas, members."""
    return store.group_summary(store.resolve_area(area) if area is not None else None)


def imported_neighbours(store: Store, area: str, *, group_id: str = DEFAULT_GROUP) -> NeighbourGroup:
    """The members of ``group_id`` for ``area`` (code or name), in rank order, the focal area excluded.

    Raises
    ------
    StoreError
        The store holds no such group for this area; the message lists the groups it does hold.
    """
    focal = store.resolve_area(area)
    g = store.groups(focal=focal, group_id=group_id)
    if g.empty:
        have = available_groups(store, focal)["group_id"].tolist()
        hint = (f"groups for {focal}: {', '.join(have)}" if have else
                f"the store holds no group for {focal}; load the data ('placeimpact data load'), a list of your own "
                "('data load --file F --source comparator-csv') or use --method computed")
        change = store.area_change_note(focal)
        if change:
            hint = f"{change}; choose a current area" + (f" ({hint})" if have else "")
        raise StoreError(f"no comparator group {group_id!r} for {focal}; {hint}")
    g = g[g["member_area"] != focal].sort_values(["rank", "member_area"])
    names = store.area_names(g["member_area"].tolist() + [focal])
    members = pd.DataFrame({"rank": g["rank"].astype(int).to_numpy(), "code": g["member_area"].to_numpy(),
                            "name": g["member_area"].map(names).to_numpy(),
                            "distance": g["distance"].astype(float).to_numpy()})
    sources = g["source"].dropna().unique().tolist()
    return NeighbourGroup(group_id, str(g["kind"].iloc[0]), "; ".join(map(str, sources)) or "unknown", focal,
                          str(names.get(focal, focal)), members)
