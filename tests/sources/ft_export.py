"""Test helper: rows of the FingertipsNext extract written in the Fingertips data-CSV (API) format.

Real published values, re-laid in the API's columns, so that the API reader and the
download path are tested on real numbers rather than invented ones.
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from pathlib import Path

from placeimpact.sources.fingertips_csv import HEADER

FULL_HEADER = HEADER + ("Recent Trend", "Compared to England value or percentiles",
                        "Compared to Regions value or percentiles", "Time period Sortable", "New data",
                        "Compared to goal")
#: area type id -> GSS prefixes of its areas (England always included)
AREA_TYPES = {502: ("E06", "E08", "E09", "E10"), 501: ("E06", "E07", "E08", "E09")}


@lru_cache(maxsize=4)
def _extract(folder: Path) -> tuple[list[dict], dict, dict]:
    with open(folder / "healthdata.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(folder / "indicators.csv", encoding="utf-8-sig", newline="") as fh:
        names = {r["IndicatorID"]: r["IndicatorName"] for r in csv.DictReader(fh)}
    areas = {a["areaCode"]: a for a in json.loads((folder / "areas.json").read_text(encoding="utf-8-sig"))}
    return rows, names, areas


def rows_for(folder: Path, indicator_id: int | str, area_type: int) -> list[dict]:
    """Unambiguous extract rows of one indicator for England and the areas of one type."""
    rows, _, _ = _extract(Path(folder))
    prefixes = AREA_TYPES[int(area_type)] + ("E92",)
    keyf = ("AreaCode", "Sex", "Age", "CategoryType", "Category", "Year")
    picked: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["IndicatorId"] == str(indicator_id) and r["AreaCode"][:3] in prefixes:
            picked.setdefault(tuple(r[k] for k in keyf), []).append(r)
    out = []
    for group in picked.values():
        distinct = {tuple(r[c] for c in ("Value", "LowerCI", "UpperCI", "Count", "Denominator")) for r in group}
        if len(distinct) == 1:
            out.append(group[0])
    return out


def export_csv(folder: Path, indicator_id: int | str, area_type: int) -> bytes:
    """The CSV the Fingertips API would give for this indicator and area type (UTF-8 with BOM)."""
    _, names, areas = _extract(Path(folder))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(FULL_HEADER)
    for r in rows_for(folder, indicator_id, area_type):
        area = areas.get(r["AreaCode"], {})
        parent = ((area.get("parentAreas") or [{}])[0]).get("areaCode", "")
        w.writerow([r["IndicatorId"], names.get(r["IndicatorId"], ""), parent, areas.get(parent, {}).get("areaName", ""),
                    r["AreaCode"], area.get("areaName", ""), area.get("areaType", ""), r["Sex"], r["Age"],
                    r["CategoryType"].strip('"'), r["Category"], r["Year"], r["Value"], r["LowerCI"], r["UpperCI"],
                    "", "", r["Count"], r["Denominator"], "", r["Trend"], "", "", r["Year"] + "0000", "", ""])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")
