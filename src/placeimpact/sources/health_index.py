"""ONS Health Index (beta) input indicators, 2015-2018 (folder ``health-index``).

``data/England_all_geog_aggregated_<year>.csv``: one row per upper-tier council, one column
per indicator code (``Area code,Area name,hyp_ten,low_bw,alc,...``; the set differs by
year). Each table is melted to long form, one indicator per code, ``health-index:<code>``,
with the file's year as the period (``2015`` ...: the Health Index year the values feed,
not necessarily the period the underlying statistic covers: ``ey_dev`` for 2016 is the
EYFSP result of the academic year 2015/16).

Names and units come from ``input_files/mymetadata.csv`` (``code,label,Indicator,Type of value
and Unit,<kind>``; a few labels carry a stray U+FFFD or no-break space, removed) and, for
codes it lacks, ``input_files/ParentsLabels.csv`` (short labels); the domain and subdomain
from ``input_files/Dico.csv``. Codes described nowhere (``Li.2.1.n``, ``Pe.3.2.b`` ... the
Health Index's own intermediate columns) keep their code as name, unit unknown. Polarity
is curated for codes whose direction is plain (:data:`POLARITY`); the rest carry no
judgement.

``lookups/geog_pop_lookup.csv`` (``UTLA20CD,UTLA20NM,RGN20CD,RGN20NM,Year,UTLA_population,
Region_population,National_population``) gives each council's region and the populations of
councils, regions and England for 2015-2019, stored as ``health-index:population``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
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

SOURCE = "health-index"
H, L = "high_is_good", "low_is_good"
#: curated direction for codes whose meaning is plain; the rest carry no judgement
POLARITY: dict[str, str] = {
    "hle": H, "avoid_mort": L, "suicide": L, "inf_mort": L, "srwb_sat": H, "srwb_worth": H, "srwb_hap": H,
    "srwb_anx": L, "self_harm": L, "ow_obs_child": L, "ow_obs": L, "low_bw": L, "alc": L, "smoke": L,
    "drug": L, "activity": H, "eating": H, "vac": H, "teen_preg": L, "in_eet": H, "pupil_abs": L,
    "ey_dev": H, "ks4_dev": H, "training": H, "low_pay": L, "pov_child": L, "unempl": L, "wp_safety": L,
    "air_poll": L, "house_overcrowd": L, "rough_sleep": L, "house_afford": L, "GP_dist": L, "pharm_dist": L,
    "sport_dist": L, "crime_pers": L, "can_screen": H, "frailty": L,
}
#: shared concept keys for codes that are the same concept as another source's indicator
CONCEPT: dict[str, str] = {"smoke": "smoking-prevalence-adults", "ow_obs": "adult-overweight-obesity",
                           "ey_dev": "school-readiness-gld"}
_KIND = {"percentage": ("proportion", 100.0), "rate": ("crude_rate", 1.0), "years": ("life_expectancy", 1.0),
         "ratio": ("ratio", 1.0), "continous": ("mean", 1.0)}


def _clean(text: object) -> str | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = re.sub(r"[\ufffd\u00a0]", " ", str(text))
    s = re.sub(r"\s+", " ", s).strip()
    return s or None


def read_codebook(folder: Path) -> pd.DataFrame:
    """Per indicator code: name, unit, value type, multiplier, domain (from the input_files codebooks)."""
    folder = Path(folder)
    meta_path = folder / "input_files" / "mymetadata.csv"
    meta = read_text_csv(meta_path, required=("code", "label", "Indicator", "Type of value and Unit"))
    kind_col = meta.columns[4] if len(meta.columns) > 5 else None  # the unnamed fifth column
    book = pd.DataFrame({
        "code": meta["code"].str.strip(),
        "name": meta["label"].map(_clean),
        "unit": meta["Type of value and Unit"].map(_clean),
        "kind": (meta[kind_col].map(_clean) if kind_col else pd.Series(None, index=meta.index)),
    })
    check_unique(book, ["code"], path=meta_path, lines=meta["_line"].to_numpy(), what="indicator code")
    labels_path = folder / "input_files" / "ParentsLabels.csv"
    if labels_path.exists():
        lab = read_text_csv(labels_path, required=("Labels", "Labels2"))
        lab = pd.DataFrame({"code": lab["Labels"].str.strip(), "short": lab["Labels2"].map(_clean)})
        book = book.merge(lab.drop_duplicates("code"), on="code", how="outer")
        book["name"] = book["name"].fillna(book["short"])
        book = book.drop(columns="short")
    dico_path = folder / "input_files" / "Dico.csv"
    if dico_path.exists():
        dico = read_text_csv(dico_path, required=("Var", "Domains", "Subdomains"))
        dico = pd.DataFrame({"code": dico["Var"].str.strip(), "domain": dico["Domains"].str.strip(),
                             "subdomain": dico["Subdomains"].str.strip()}).drop_duplicates("code")
        book = book.merge(dico, on="code", how="left")
    return book.set_index("code")


def _indicator(code: str, book: pd.DataFrame) -> dict:
    row = book.loc[code] if code in book.index else None
    name = (row["name"] if row is not None and isinstance(row["name"], str) else None) or code
    unit = row["unit"] if row is not None and isinstance(row["unit"], str) else None
    kind = str(row["kind"]).lower() if row is not None and isinstance(row["kind"], str) else ""
    vt, mult = _KIND.get(kind, ("mean", 1.0))
    text = (unit or "").lower()
    if vt == "crude_rate":
        mult = 100000.0 if "100,000" in text else 10000.0 if "10,000" in text else 1000.0 if "1000" in text else 1.0
        vt = "dsr" if "standardised" in text else "crude_rate"
        if mult == 1.0:
            vt = "mean"
    domain = row.get("subdomain") if row is not None and "subdomain" in row.index else None
    return {"id": f"{SOURCE}:{code}", "source": SOURCE, "source_id": code, "name": name, "unit": unit,
            "value_type": vt, "multiplier": mult, "polarity": POLARITY.get(code, "no_judgement"),
            "period_kind": "annual", "ci_method": "none", "concept": CONCEPT.get(code, f"health-index-{code}"),
            "description": "ONS Health Index (beta) input" + (f", subdomain {domain}" if isinstance(domain, str)
                                                             else ", not in the Health Index codebook")}


def read_table(path: Path, book: pd.DataFrame, *, key: str | None = None) -> Batch:
    """One ``England_all_geog_aggregated_<year>.csv`` melted to long form."""
    path = Path(path)
    m = re.search(r"(\d{4})$", path.stem)
    if m is None:
        raise InputError("the file name carries no year", path=path, expected="England_all_geog_aggregated_<year>.csv")
    df = read_text_csv(path, required=("Area code", "Area name"))
    lines = df["_line"].to_numpy()
    code = df["Area code"].str.strip()
    check_area_codes(code, path=path, field="Area code", lines=lines)
    check_unique(pd.DataFrame({"c": code}), ["c"], path=path, lines=lines, what="area")
    cols = [c for c in df.columns if c not in ("Area code", "Area name", "_line")]
    dup = pd.Index(cols)[pd.Index(cols).duplicated()]
    if len(dup):
        raise InputError("an indicator column appears twice", path=path, line=1, field=str(dup[0]),
                         expected="each indicator code once")
    long = df[cols].melt(var_name="code", value_name="raw", ignore_index=False)
    row_lines = lines[long.index.to_numpy()]
    obs = pd.DataFrame({"indicator_id": (SOURCE + ":" + long["code"]).to_numpy(),
                        "area_code": code.to_numpy()[long.index.to_numpy()]})
    obs["value"] = to_number(long["raw"].reset_index(drop=True), path=path, field="value", lines=row_lines)
    obs = add_periods(obs, pd.Series(m[1], index=obs.index), path=path, field="year")
    inds = [_indicator(c, book) for c in cols]
    areas = pd.DataFrame({"code": code, "name": df["Area name"].str.strip()})
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(obs), areas=areas, groups=group_frame([]))


def read_population(path: Path, *, key: str | None = None) -> Batch:
    """``geog_pop_lookup.csv``: council -> region, and council, region and England populations by year."""
    path = Path(path)
    req = ("UTLA20CD", "UTLA20NM", "RGN20CD", "RGN20NM", "Year", "UTLA_population", "Region_population",
           "National_population")
    df = read_text_csv(path, required=req)
    lines = df["_line"].to_numpy()
    for col in ("UTLA20CD", "RGN20CD"):
        check_area_codes(df[col], path=path, field=col, lines=lines)
    parts = []
    for code_col, pop_col in (("UTLA20CD", "UTLA_population"), ("RGN20CD", "Region_population"),
                              (None, "National_population")):
        f = pd.DataFrame({"area_code": df[code_col].str.strip() if code_col else "E92000001",
                          "value": to_number(df[pop_col], path=path, field=pop_col, lines=lines),
                          "year": df["Year"].str.strip(), "_line": lines, "_field": pop_col})
        parts.append(f)
    pop = pd.concat(parts, ignore_index=True).drop_duplicates(["area_code", "year", "value"])
    check_unique(pop, ["area_code", "year"], path=path, lines=pop["_line"].to_numpy(), what="population")
    obs = add_periods(pop.drop(columns=["_line", "_field", "year"]).assign(indicator_id=f"{SOURCE}:population"),
                      pop["year"], path=path, field="Year", lines=pop["_line"].to_numpy())
    inds = [{"id": f"{SOURCE}:population", "source": SOURCE, "source_id": "UTLA_population",
             "name": "Resident population (mid-year estimate)", "unit": "people", "value_type": "count",
             "multiplier": 1.0, "polarity": "no_judgement", "period_kind": "annual", "ci_method": "none",
             "concept": "population", "description": "Population lookup of the ONS Health Index inputs"}]
    utla = pd.DataFrame({"code": df["UTLA20CD"].str.strip(), "name": df["UTLA20NM"].str.strip(),
                         "region_code": df["RGN20CD"].str.strip()})
    rgn = pd.DataFrame({"code": df["RGN20CD"].str.strip(), "name": df["RGN20NM"].str.strip()})
    areas = pd.concat([utla, rgn]).drop_duplicates("code")
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(obs), areas=areas, groups=group_frame([]))


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """The four yearly tables (with the codebooks) and the population lookup."""
    folder = Path(folder)
    tables = sorted((folder / "data").glob("England_all_geog_aggregated_*.csv"))
    if tables:
        book = read_codebook(folder)
        for path in tables:
            yield read_table(path, book, key=path.relative_to(root).as_posix())
    pop = folder / "lookups" / "geog_pop_lookup.csv"
    if pop.exists():
        yield read_population(pop, key=pop.relative_to(root).as_posix())
