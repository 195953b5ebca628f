"""FingertipsNext extract (``fingertips-nw-extract/``): North West England health data.

Files (all UTF-8 with a byte-order mark, read as published):

``healthdata.csv``
    ``IndicatorId,Category,CategoryType,Age,Sex,Trend,Denominator,CategoryTypeId,UpperCI,
    Value,Count,AreaCode,SexID,AgeID,Year,LowerCI,CategoryId``: one row per indicator x
    area x sex x age band x category x year, with the published value, 95% limits, count
    and denominator (kept exactly as published: helper tests of the CI formulas use them).
``indicators.csv``
    ``IndicatorID,IndicatorName``.
``agedata.csv`` / ``sex.csv`` / ``categories.csv``
    the id -> label tables; each row's ``Age`` is checked against ``agedata.csv``.
``areas.json``
    the Fingertips area hierarchy (8,139 areas with parents); areas the data uses are
    emitted with their name, type and parent (GP practices and primary care networks
    included, under their ODS codes).

Breakdowns stay distinct: ``sex`` and ``age`` as published, ``category`` is
``"<category type>: <category>"`` (the type's stray quotes removed) or ``""``.
Indicator ids are ``fingertips:<IndicatorId>``; metadata comes from
:mod:`.fingertips_meta`.

What is not imported, and why (counted in ``Batch.dropped``):

* rows repeating another row exactly;
* an empty-valued row whose key also has a row with a value;
* indicator 91040 (NHS Health Checks offered *in the quarter*): the extract gives up to
  four quarters under one ``Year`` without saying which is which;
* rows whose key (indicator, area, sex, age, category, year) appears with different
  values (two data vintages of the same sub-ICB figures): which is right is unknown.

``Year`` is kept as the period label: the extract gives only the start year of each
period (a financial year 2018/19 and a calendar year 2018 both read ``2018``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geography import GSS_CODE
from ..records import (
    Batch,
    add_periods,
    check_ci_order,
    drop_identical_duplicates,
    indicator_frame,
    observation_frame,
    read_text_csv,
    to_number,
)
from .fingertips_meta import NHS_CODE, QUARTERLY, metadata

SOURCE = "fingertips-next"
PREFIX = "fingertips"
REQUIRED = ("IndicatorId", "AreaCode", "Sex", "Age", "Year", "Value", "LowerCI", "UpperCI", "Count",
            "Denominator", "Category", "CategoryType")
KEY = ["indicator_id", "area_code", "sex", "age", "category", "period_label"]

_AREA_TYPES = {"GPs": "gp_practice", "NHS Primary Care Networks": "primary_care_network"}


def _indicator_names(path: Path) -> dict[str, str]:
    df = read_text_csv(path, required=("IndicatorID", "IndicatorName"))
    return dict(zip(df["IndicatorID"].str.strip(), df["IndicatorName"].str.strip()))


def _check_ages(df: pd.DataFrame, path: Path, ages_path: Path, lines: np.ndarray) -> None:
    if not ages_path.exists() or "AgeID" not in df.columns:
        return
    ages = read_text_csv(ages_path, required=("AgeID", "Age"))
    label = df["AgeID"].str.strip().map(dict(zip(ages["AgeID"].str.strip(), ages["Age"].str.strip())))
    bad = (label.notna() & (label != df["Age"].str.strip())).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("an age band does not match its AgeID in agedata.csv", path=path, line=int(lines[i]),
                         field="Age", expected=repr(label.iloc[i]), got=df["Age"].iloc[i])


def _areas(areas_path: Path, codes: pd.Series) -> pd.DataFrame:
    """Areas used by the data, with their ancestors, from the Fingertips hierarchy."""
    if not areas_path.exists():
        return pd.DataFrame({"code": codes.unique()})
    from .validate import load_json

    tree = load_json(areas_path, "a JSON list of areas", what="the area hierarchy")
    if not isinstance(tree, list):
        raise InputError("the area hierarchy is not a list", path=areas_path, expected="a JSON list of areas",
                         got=type(tree).__name__)
    by_code = {a["areaCode"]: a for a in tree if isinstance(a, dict) and "areaCode" in a}
    parent = {c: (a.get("parentAreas") or [{}])[0].get("areaCode") for c, a in by_code.items()}
    wanted, todo = set(), list(codes.unique())
    while todo:
        c = todo.pop()
        if c in wanted:
            continue
        wanted.add(c)
        if parent.get(c):
            todo.append(parent[c])

    def region(c: str | None) -> str | None:
        seen = 0
        while c and seen < 10:
            if c.startswith("E12"):
                return c
            c, seen = parent.get(c), seen + 1
        return None

    rows = []
    for c in sorted(wanted):
        a = by_code.get(c, {})
        rows.append({"code": c, "name": (a.get("areaName") or "").strip() or None,
                     "area_type": _AREA_TYPES.get(a.get("areaType", "")),
                     "parent_code": parent.get(c), "region_code": region(parent.get(c))})
    out = pd.DataFrame(rows)
    nhs_local = out["area_type"].notna()
    out.loc[nhs_local, ["upper_tier", "lower_tier"]] = False
    return out


def read_extract(folder: Path, *, key: str | None = None) -> Batch:
    """Read the extract in ``folder`` (``healthdata.csv`` and its lookup tables) into one batch."""
    folder = Path(folder)
    path = folder / "healthdata.csv"
    df = read_text_csv(path, required=REQUIRED)
    lines = df["_line"].to_numpy()
    codes = df["AreaCode"].str.strip()
    ok = codes.str.match(GSS_CODE.pattern) | codes.str.match(NHS_CODE.pattern)
    if not ok.all():
        i = int(np.flatnonzero(~ok.to_numpy())[0])
        raise InputError("an area code is neither a GSS code nor an NHS (ODS) code", path=path, line=int(lines[i]),
                         field="AreaCode", expected="a code such as E08000010 or A82003", got=df["AreaCode"].iloc[i])
    _check_ages(df, path, folder / "agedata.csv", lines)
    names = _indicator_names(folder / "indicators.csv") if (folder / "indicators.csv").exists() else {}

    src_id = df["IndicatorId"].str.strip()
    ctype = df["CategoryType"].str.strip().str.strip('"').str.strip()
    cat = df["Category"].str.strip()
    trend = df["Trend"].str.strip() if "Trend" in df.columns else pd.Series("", index=df.index)
    obs = pd.DataFrame({
        "indicator_id": (PREFIX + ":" + src_id).to_numpy(),
        "area_code": codes.to_numpy(),
        "sex": df["Sex"].str.strip().to_numpy(),
        "age": df["Age"].str.strip().to_numpy(),
        "category": np.where(cat != "", ctype + ": " + cat, "").astype(object),
        "value": to_number(df["Value"], path=path, field="Value", lines=lines),
        "lci95": to_number(df["LowerCI"], path=path, field="LowerCI", lines=lines),
        "uci95": to_number(df["UpperCI"], path=path, field="UpperCI", lines=lines),
        "count": to_number(df["Count"], path=path, field="Count", lines=lines),
        "denominator": to_number(df["Denominator"], path=path, field="Denominator", lines=lines),
        "note": np.where(trend != "", "recent trend: " + trend, None).astype(object),
    })
    obs = add_periods(obs, df["Year"], path=path, field="Year", lines=lines)

    dropped: dict[str, int] = {}
    values = ["value", "lci95", "uci95", "count", "denominator"]
    keep = drop_identical_duplicates(obs, KEY, values).to_numpy().copy()
    _count(dropped, "exact repeat of another row", keep)
    has_value_sibling = obs.assign(_v=obs["value"].notna()).groupby(KEY)["_v"].transform("any").to_numpy()
    empty_dup = keep & obs["value"].isna().to_numpy() & has_value_sibling
    keep &= ~empty_dup
    _count(dropped, "empty row whose key also has a published value", ~empty_dup)
    quarterly = src_id.isin(QUARTERLY).to_numpy()
    keep &= ~quarterly
    _count(dropped, "quarterly indicator given without its quarter (91040)", ~quarterly)
    conflict = np.zeros(len(obs), bool)
    conflict[keep] = obs[keep].duplicated(KEY, keep=False).to_numpy()
    keep &= ~conflict
    _count(dropped, "same indicator/area/breakdown/year published with different values", ~conflict)
    obs = obs[keep].reset_index(drop=True)
    bad_ci = check_ci_order(obs, path=path, lines=lines[keep], on_error="drop")
    if bad_ci:
        dropped["published confidence limits inconsistent with the value (limits blanked, row kept)"] = bad_ci

    inds = []
    for sid in sorted(src_id.unique(), key=int):
        name = names.get(sid, f"Fingertips indicator {sid}")
        m = metadata(sid, name)
        inds.append({"id": f"{PREFIX}:{sid}", "source": SOURCE, "source_id": sid, "name": name, "unit": m.unit,
                     "value_type": m.value_type, "multiplier": float(m.multiplier), "polarity": m.polarity,
                     "period_kind": "annual", "ci_method": m.ci_method, "concept": f"fingertips-{sid}",
                     "description": "FingertipsNext North West extract; periods labelled by start year only"})
    extra = [folder / f for f in ("indicators.csv", "agedata.csv", "sex.csv", "categories.csv", "areas.json")]
    return Batch(source=SOURCE, key=key or "fingertips-nw-extract/healthdata.csv",
                 files=[path] + [f for f in extra if f.exists()],
                 indicators=indicator_frame(inds), observations=observation_frame(obs),
                 areas=_areas(folder / "areas.json", obs["area_code"]), dropped=dropped)


def _count(dropped: dict[str, int], reason: str, kept: np.ndarray) -> None:
    n = int((~kept).sum())
    if n:
        dropped[reason] = n


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """The one batch of the extract folder (its key is ``<folder>/healthdata.csv``)."""
    folder = Path(folder)
    if (folder / "healthdata.csv").exists():
        yield read_extract(folder, key=(folder / "healthdata.csv").relative_to(root).as_posix())
