"""Fingertips data CSV: the website's "Export table" download and the API's ``all_data/csv``.

The header, as the Fingertips code writes it (``PholioVisualisation`` CSV header writer)::

    Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,
    Category Type,Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,
    Lower CI 99.8 limit,Upper CI 99.8 limit,Count,Denominator,Value note,Recent Trend,
    Compared to England value or percentiles,Compared to <parent type> value or percentiles,
    Time period Sortable,New data,Compared to goal

(newer exports add ``Time period range``). The sub-national comparison heading varies with
the parent area type, so only the columns up to ``Value note`` are required. Fetch one
with :mod:`.fingertips_api`; ``placeimpact data fetch`` keeps them under
``fingertips-api/<indicator>-<area type>.csv``.

Indicator ids are ``fingertips-csv:<Indicator ID>`` (concept ``fingertips-<id>``, shared
with the FingertipsNext extract's ``fingertips:<id>``); metadata from
:mod:`.fingertips_meta`. Breakdowns stay distinct (``category`` is
``"<Category Type>: <Category>"``). Rows repeating another exactly are dropped (the API
lists an area once per parent); any other repeated key is an error. Published limits
on the wrong side of the value are blanked and noted, as for the other official sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geography import GSS_CODE
from ..periods import parse_period
from ..records import (
    Batch,
    add_periods,
    check_ci_order,
    check_unique,
    drop_identical_duplicates,
    indicator_frame,
    observation_frame,
    read_text_csv,
    to_number,
)
from .fingertips_meta import NHS_CODE, metadata

SOURCE = "fingertips-csv"
PREFIX = "fingertips-csv"
HEADER = ("Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
          "Sex", "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
          "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
          "Value note")
REQUIRED = ("Indicator ID", "Area Code", "Time period", "Value")
KEY = ["indicator_id", "area_code", "sex", "age", "category", "period_label"]


def read_file(path: Path, *, key: str | None = None) -> Batch:
    """Read one Fingertips data CSV into a :class:`Batch`."""
    path = Path(path)
    df = read_text_csv(path, required=REQUIRED)
    lines = df["_line"].to_numpy()
    for col in HEADER:
        if col not in df.columns:
            df[col] = ""
    codes = df["Area Code"].str.strip()
    ok = codes.str.match(GSS_CODE.pattern) | codes.str.match(NHS_CODE.pattern)
    if not ok.all():
        i = int(np.flatnonzero(~ok.to_numpy())[0])
        raise InputError("an area code is neither a GSS code nor an NHS (ODS) code", path=path,
                         line=int(lines[i]), field="Area Code", expected="a code such as E08000010 or A82003",
                         got=df["Area Code"].iloc[i])
    src_id = df["Indicator ID"].str.strip()
    bad_id = ~src_id.str.fullmatch(r"\d+")
    if bad_id.any():
        i = int(np.flatnonzero(bad_id.to_numpy())[0])
        raise InputError("an indicator id is not a whole number", path=path, line=int(lines[i]),
                         field="Indicator ID", expected="a Fingertips indicator id such as 93763", got=src_id.iloc[i])
    ctype = df["Category Type"].str.strip()
    cat = df["Category"].str.strip()
    sex = df["Sex"].str.strip()
    age = df["Age"].str.strip()
    note = df["Value note"].str.strip()
    obs = pd.DataFrame({
        "_line": lines,
        "indicator_id": (PREFIX + ":" + src_id).to_numpy(),
        "area_code": codes.to_numpy(),
        "sex": sex.where(sex != "", "Persons").to_numpy(),
        "age": age.where(age != "", "All ages").to_numpy(),
        "category": np.where(cat != "", np.where(ctype != "", ctype + ": " + cat, cat), "").astype(object),
        "value": to_number(df["Value"], path=path, field="Value", lines=lines),
        "lci95": to_number(df["Lower CI 95.0 limit"], path=path, field="Lower CI 95.0 limit", lines=lines),
        "uci95": to_number(df["Upper CI 95.0 limit"], path=path, field="Upper CI 95.0 limit", lines=lines),
        "lci998": to_number(df["Lower CI 99.8 limit"], path=path, field="Lower CI 99.8 limit", lines=lines),
        "uci998": to_number(df["Upper CI 99.8 limit"], path=path, field="Upper CI 99.8 limit", lines=lines),
        "count": to_number(df["Count"], path=path, field="Count", lines=lines),
        "denominator": to_number(df["Denominator"], path=path, field="Denominator", lines=lines),
        "note": np.where(note != "", note, None).astype(object),
    })
    obs = add_periods(obs, df["Time period"], path=path, field="Time period", lines=lines)
    keep = drop_identical_duplicates(obs, KEY, ["value", "lci95", "uci95", "count", "denominator"]).to_numpy()
    obs, df, lines = obs[keep].reset_index(drop=True), df[keep].reset_index(drop=True), lines[keep]
    check_unique(obs, KEY, path=path, lines=lines)
    dropped: dict[str, int] = {}
    if n := int((~keep).sum()):
        dropped["exact repeat of another row (an area listed under two parents)"] = n
    for lo, hi in (("lci95", "uci95"), ("lci998", "uci998")):
        if n := check_ci_order(obs, path=path, lines=lines, lower=lo, upper=hi, on_error="drop"):
            dropped[f"published {lo}/{hi} inconsistent with the value (limits blanked, row kept)"] = n

    inds = []
    ids = src_id[keep].reset_index(drop=True)
    first = ~ids.duplicated().to_numpy()
    for sid, name in zip(ids[first], df.loc[first, "Indicator Name"].str.strip()):
        name = name or f"Fingertips indicator {sid}"
        m = metadata(sid, name)
        labels = obs.loc[obs["indicator_id"] == f"{PREFIX}:{sid}", "period_label"]
        inds.append({"id": f"{PREFIX}:{sid}", "source": SOURCE, "source_id": sid, "name": name, "unit": m.unit,
                     "value_type": m.value_type, "multiplier": float(m.multiplier), "polarity": m.polarity,
                     "period_kind": parse_period(labels.iloc[0]).kind if len(labels) else None,
                     "ci_method": m.ci_method, "concept": f"fingertips-{sid}",
                     "description": "Fingertips data CSV (export or API all_data/csv)"})
    parents = df["Parent Code"].str.strip()
    areas = pd.DataFrame({"code": obs["area_code"], "name": df["Area Name"].str.strip().replace("", None),
                          "parent_code": parents.where(parents != "", None)}).drop_duplicates("code")
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(obs), areas=areas, dropped=dropped)


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """Every ``*.csv`` in the folder (``fingertips-api/<indicator>-<area type>.csv`` from ``data fetch``)."""
    for p in sorted(Path(folder).rglob("*.csv")):
        yield read_file(p, key=p.relative_to(root).as_posix())
