"""A user's own comparator list: a small CSV (``docs/comparator-csv-format.md``).

Header (any column order; UTF-8, with or without a byte-order mark)::

    focal_area,member_area,rank[,group_id][,distance]

One row per (focal area, member). ``rank`` is a whole number from 1; ``group_id`` names
the group (default ``user:<file name without .csv>``); ``distance`` is optional and
non-negative. Checked strictly, each error naming file, line, field and value: unknown
columns, codes that are not GSS codes, a member equal to its focal area, a member or a
rank given twice for the same focal area and group.

Load it with ``placeimpact data load --file my-neighbours.csv --source comparator-csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..records import Batch, area_frame, check_area_codes, check_unique, group_frame, read_text_csv, to_number

__all__ = ["SOURCE", "read_file", "REQUIRED", "OPTIONAL"]

SOURCE = "comparator-csv"
REQUIRED = ("focal_area", "member_area", "rank")
OPTIONAL = ("group_id", "distance")


def read_file(path: Path, *, group_id: str | None = None, key: str | None = None) -> Batch:
    """Read a comparator CSV into a :class:`Batch` of groups (kind ``user``).

    Parameters
    ----------
    path:
        The CSV file.
    group_id:
        Group name for rows without a ``group_id`` column (default ``user:<file stem>``).
    key:
        Import key (default: the file name).
    """
    path = Path(path)
    df = read_text_csv(path, required=REQUIRED)
    lines = df["_line"].to_numpy()
    extra = [c for c in df.columns if c != "_line" and c not in REQUIRED + OPTIONAL]
    if extra:
        raise InputError("the header has an unknown column", path=path, line=1, field=extra[0],
                         expected="only " + ", ".join(REQUIRED + OPTIONAL), got=extra[0],
                         hint="Rename or remove the column (see docs/comparator-csv-format.md)")
    focal = df["focal_area"].str.strip()
    member = df["member_area"].str.strip()
    check_area_codes(focal, path=path, field="focal_area", lines=lines)
    check_area_codes(member, path=path, field="member_area", lines=lines)

    rank = to_number(df["rank"], path=path, field="rank", lines=lines, missing=frozenset())
    bad = ~(np.isfinite(rank) & (rank >= 1) & (rank == np.round(rank)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("a rank is not a whole number of 1 or more", path=path, line=int(lines[i]), field="rank",
                         expected="1, 2, 3, ... (1 = nearest)", got=str(df["rank"].iloc[i]))
    if "distance" in df.columns:
        dist = to_number(df["distance"], path=path, field="distance", lines=lines)
        neg = np.nan_to_num(dist, nan=0.0) < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise InputError("a distance is negative", path=path, line=int(lines[i]), field="distance",
                             expected="a number of 0 or more, or an empty cell", got=str(df["distance"].iloc[i]))
    else:
        dist = np.full(len(df), np.nan)
    default_id = group_id or f"user:{path.stem}"
    if "group_id" in df.columns:
        gid = df["group_id"].str.strip()
        gid = gid.where(gid != "", default_id)
    else:
        gid = pd.Series(default_id, index=df.index)

    same = (focal == member).to_numpy()
    if same.any():
        i = int(np.flatnonzero(same)[0])
        raise InputError("an area is listed as its own neighbour", path=path, line=int(lines[i]),
                         field="member_area", expected=f"an area other than the focal area {focal.iloc[i]}",
                         got=member.iloc[i], hint="Remove the row: the focal area is never its own comparator")
    rows = pd.DataFrame({"group_id": gid.to_numpy(), "focal_area": focal.to_numpy(),
                         "member_area": member.to_numpy(), "rank": rank.astype(int)})
    check_unique(rows, ["group_id", "focal_area", "member_area"], path=path, lines=lines, what="member")
    check_unique(rows, ["group_id", "focal_area", "rank"], path=path, lines=lines, what="rank")
    groups = group_frame(rows.assign(kind="user", distance=dist, source=f"user file {path.name}"))
    codes = pd.unique(np.concatenate([focal.to_numpy(), member.to_numpy()]))
    return Batch(source=SOURCE, key=key or path.name, files=[path], groups=groups,
                 areas=area_frame(pd.DataFrame({"code": codes})))
