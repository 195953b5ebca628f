"""Oflog (Office for Local Government) adult social care data and neighbour lists (folder ``oflog``).

``src/lib/ASC_data.csv``: seven adult social care metrics, one row per council x metric x
financial year::

    Financial year,Local authority code,Local authority name,Grouping,Entity_Name,Region,
    Measure,Code,Value,MEDIAN,MADs_from_median,rank_order

Each metric (``Code`` ASC1 to ASC7) becomes the indicator ``oflog:ASC1`` ... Polarity comes
from ``rank_order``, written ``DESC``, ``desc``, ``None`` or left blank: a metric ranked in
descending order is one where a higher value is better; ``None`` means Oflog ranks it in no
direction (no judgement); blank cells take the metric's other rows' value, and two
different directions for one metric raise. A blank ``Value`` is kept as a missing value
(Oflog publishes the row). ``MEDIAN`` and ``MADs_from_median`` are Oflog's summaries of the
councils' values for that year and are not stored (they can be recomputed from the values).

ASC1, ASC2, ASC3, ASC4 and ASC5 are the Adult Social Care Outcomes Framework measures 1D,
1J, 3D(1), 3D(2) and 2D (their concept keys, ``ascof-1d`` ..., link them to
:mod:`placeimpact.sources.ascof`).

``src/lib/NN.json``: ``{"<council code>": ["<code>", ...], ...}``, each council's
nearest-neighbour list as used by Oflog (mostly 16 codes including the council itself). It
becomes the comparator group ``oflog-nn`` (kind ``imported``): for each key the members
are the listed codes without the key itself, ``rank`` their order in the list (the lists
are published in code order, so rank is not a closeness order). A code repeated within a
list (Folkestone and Hythe, E07000112, appears twice in 24 other councils' lists, and every
code of its own list twice) is kept once and the repeats counted in ``Batch.dropped``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geography import region_code_from_name
from ..records import (
    Batch,
    add_periods,
    check_area_codes,
    check_unique,
    group_frame,
    indicator_frame,
    observation_frame,
    read_text_csv,
    to_number,
)

SOURCE = "oflog"
GROUP_ID = "oflog-nn"
DATA = "src/lib/ASC_data.csv"
NEIGHBOURS = "src/lib/NN.json"
REQUIRED = ("Financial year", "Local authority code", "Local authority name", "Region", "Measure", "Code",
            "Value", "rank_order")

#: metric code -> (unit, value_type, multiplier, concept)
METRICS: dict[str, tuple[str, str, float, str]] = {
    "ASC1": ("score (0 to 12)", "mean", 1.0, "ascof-1d"),
    "ASC2": ("score", "mean", 1.0, "ascof-1j"),
    "ASC3": ("%", "proportion", 100.0, "ascof-3d1"),
    "ASC4": ("%", "proportion", 100.0, "ascof-3d2"),
    "ASC5": ("%", "proportion", 100.0, "ascof-2d"),
    "ASC6": ("per 100,000 adults", "crude_rate", 100000.0, "oflog-asc6-requests-resulting-in-service"),
    "ASC7": ("%", "proportion", 100.0, "adult-social-care-workforce-turnover"),
}
_DIRECTION = {"desc": "high_is_good", "asc": "low_is_good", "none": "no_judgement"}


def read_data(path: Path, *, key: str | None = None) -> Batch:
    """Read ``ASC_data.csv`` into a :class:`Batch` of seven indicators."""
    path = Path(path)
    df = read_text_csv(path, required=REQUIRED)
    lines = df["_line"].to_numpy()
    code = df["Local authority code"].str.strip()
    check_area_codes(code, path=path, field="Local authority code", lines=lines)
    metric = df["Code"].str.strip()
    unknown = ~metric.isin(list(METRICS))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError("an unknown metric code", path=path, line=int(lines[i]), field="Code",
                         expected="one of " + ", ".join(METRICS), got=str(df["Code"].iloc[i]))

    direction = df["rank_order"].str.strip().str.lower()
    bad = ~direction.isin(["", *_DIRECTION])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("an unknown rank order", path=path, line=int(lines[i]), field="rank_order",
                         expected="DESC, desc, ASC, None or an empty cell", got=str(df["rank_order"].iloc[i]))
    dirs = pd.DataFrame({"metric": metric, "d": direction, "line": lines})
    dirs = dirs[dirs["d"] != ""].drop_duplicates(["metric", "d"])
    two = dirs["metric"].duplicated(keep=False)
    if two.any():
        rows = dirs[two]
        raise InputError(f"metric {rows['metric'].iloc[0]} is ranked in two directions", path=path,
                         line=int(rows["line"].iloc[1]), field="rank_order",
                         expected=f"{rows['d'].iloc[0]!r} as on line {int(rows['line'].iloc[0])}",
                         got=str(rows["d"].iloc[1]))
    polarity = dirs.set_index("metric")["d"].map(_DIRECTION)

    obs = pd.DataFrame({"indicator_id": (SOURCE + ":" + metric).to_numpy(), "area_code": code.to_numpy()})
    obs["value"] = to_number(df["Value"], path=path, field="Value", lines=lines)
    obs["note"] = np.where(np.isnan(obs["value"].to_numpy()), "no value published", None)
    obs = add_periods(obs, df["Financial year"], path=path, field="Financial year", lines=lines)
    check_unique(obs, ["indicator_id", "area_code", "period_label"], path=path, lines=lines)

    names = df.drop_duplicates("Code").set_index(metric.drop_duplicates().to_numpy())["Measure"]
    inds = []
    for m, (unit, vt, mult, concept) in METRICS.items():
        if m not in names.index:
            continue
        inds.append({"id": f"{SOURCE}:{m}", "source": SOURCE, "source_id": m,
                     "name": str(names[m]).removeprefix("Outcome, ").strip(), "unit": unit, "value_type": vt,
                     "multiplier": mult, "polarity": polarity.get(m, "no_judgement"), "period_kind": "financial",
                     "ci_method": "none", "concept": concept,
                     "description": f"Oflog adult social care metric {m}"})
    areas = pd.DataFrame({"code": code, "name": df["Local authority name"].str.strip(),
                          "region_code": region_code_from_name(df["Region"])}).drop_duplicates("code")
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(obs), areas=areas, groups=group_frame([]))


def _pairs_no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicated key {sorted(dup)[0]!r}")
    return dict(pairs)


def read_neighbours(path: Path, *, key: str | None = None) -> Batch:
    """Read ``NN.json`` into the comparator group ``oflog-nn``."""
    path = Path(path)
    from .validate import load_json

    try:
        data = load_json(path, "a JSON object of neighbour lists", object_pairs_hook=_pairs_no_duplicate_keys)
    except InputError:
        raise
    except ValueError as exc:
        raise InputError("an area appears twice as a key", path=path, expected="each area code once",
                         got=str(exc)) from None
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise InputError("the file is not an object of lists", path=path,
                         expected='{"E08000010": ["E06000004", ...], ...}', got=type(data).__name__)
    long = pd.DataFrame({"focal_area": np.repeat(list(data), [len(v) for v in data.values()]),
                         "member_area": [str(c).strip() for v in data.values() for c in v]})
    check_area_codes(pd.Series(list(data)), path=path, field="key")
    check_area_codes(long["member_area"], path=path, field="neighbour list")
    long = long[long["member_area"] != long["focal_area"]]
    rep = long.duplicated(keep="first").to_numpy()
    dropped = {"code repeated within a neighbour list": int(rep.sum())} if rep.any() else {}
    long = long[~rep]
    long["rank"] = long.groupby("focal_area").cumcount() + 1
    groups = group_frame(long.assign(group_id=GROUP_ID, kind="imported", distance=np.nan,
                                     source=key or path.name))
    return Batch(source=SOURCE, key=key or path.name, files=[path], groups=groups, dropped=dropped)


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """``ASC_data.csv`` and ``NN.json`` of the ``oflog`` folder."""
    folder = Path(folder)
    for rel, reader in ((DATA, read_data), (NEIGHBOURS, read_neighbours)):
        path = folder / rel
        if path.exists():
            yield reader(path, key=path.relative_to(root).as_posix())
