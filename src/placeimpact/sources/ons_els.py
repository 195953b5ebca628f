"""ONS Explore Local Statistics (ELS) datasets: ``<dataset>/<dataset>.csv`` plus its JSON metadata.

Long CSV, one row per area x indicator x period::

    areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes

(usually with a UTF-8 byte-order mark). Variants read as they are: the 2025 release's
``AREACD,AREANM,Geography,Variable Name,Indicator,Period,Observation,...,Lower Confidence
Interval (95%),Upper Confidence Interval (95%),Observation Status,Polarity,Notes`` header,
columns in another order, and a repeated ``notes`` column. Periods are ISO-8601
intervals (``2001-01-01/P3Y``) or dates. An empty observation keeps its ``status`` code
(x, u, c, z) as the row's note.

The JSON (``ess-beta-metadata``) gives each indicator's label, unit text, decimal
places and source; polarity comes from the CSV's Polarity column where present,
otherwise from :data:`POLARITY` (curated; unknown means no judgement).

The value type comes from the measure and unit texts (:func:`_value_type`, curated
exceptions in :data:`VALUE_TYPE`): totals, which scale with the area's size ("£ million",
"Number of enterprises"), are ``count``; rates ("per 100,000", "Count per 10,000 people"),
percentages, ratios, scores and averages are not.

Not read: ``uk-small-area-gross-value-added-estimates`` (small areas below local-
authority level, identified by non-GSS codes), which is out of scope for place
evaluation.
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
    check_ci_order,
    check_unique,
    drop_identical_duplicates,
    indicator_frame,
    observation_frame,
    read_text_csv,
    to_number,
)

SOURCE = "ons-els"
SKIP_DATASETS = frozenset({"uk-small-area-gross-value-added-estimates"})

_RENAME = {
    "areacd": "areacd", "areanm": "areanm", "geography": "geography", "indicator": "indicator",
    "period": "period", "observation": "observation", "measure": "measure", "unit": "unit",
    "lci_95": "lci_95", "uci_95": "uci_95", "status": "status", "notes": "notes",
    "lower confidence interval (95%)": "lci_95", "upper confidence interval (95%)": "uci_95",
    "observation status": "status", "polarity": "polarity", "variable name": "variable_name",
}
REQUIRED = ("areacd", "indicator", "period", "observation")

#: curated polarity by indicator-name slug (the ELS CSVs rarely carry one). Unknown -> no_judgement.
POLARITY: dict[str, str] = {
    "preventable-cardiovascular-mortality-england": "low_is_good",
    "male-healthy-life-expectancy": "high_is_good",
    "female-healthy-life-expectancy": "high_is_good",
    "adult-obesity-prevalence": "low_is_good",
    "cigarette-smokers": "low_is_good",
    "cancer-diagnosis-at-stage-1-and-2": "high_is_good",
    "employment-rate": "high_is_good",
    "economically-inactive": "low_is_good",
    "claimant-count": "low_is_good",
    "children-in-relative-poverty-before-housing-costs": "low_is_good",
    "children-in-relative-poverty-after-housing-costs": "low_is_good",
    "gcses-in-english-and-maths": "high_is_good",
    "pupils-at-expected-standards-by-end-of-primary-school": "high_is_good",
    "persistent-absences-for-all-pupils": "low_is_good",
    "persistent-absences-for-pupils-eligible-for-free-school-meals": "low_is_good",
    "persistent-absences-for-pupils-looked-after-by-local-authorities": "low_is_good",
    "qualifications-level-3-or-above": "high_is_good",
    "no-qualifications": "low_is_good",
    "gross-disposable-household-income": "high_is_good",
    "gross-median-weekly-pay": "high_is_good",
    "life-satisfaction": "high_is_good",
    "satisfaction": "high_is_good",                 # APS life satisfaction (personal-wellbeing-estimates)
    "happiness": "high_is_good",
    "feeling-life-is-worthwhile": "high_is_good",
    "worthwhile": "high_is_good",
    "anxiety": "low_is_good",
    "homicide-offences": "low_is_good",
    "modelled-unemployment": "low_is_good",
    "greenhouse-gas-emissions": "low_is_good",
    "housing-affordability-ratio-residence-based": "low_is_good",   # homes cost more years of pay
}

#: value type by slug where the unit text alone does not say
VALUE_TYPE: dict[str, str] = {
    "preventable-cardiovascular-mortality-england": "dsr",
    "male-healthy-life-expectancy": "life_expectancy",
    "female-healthy-life-expectancy": "life_expectancy",
    # published with measure "Percentage" and unit "%", but the values are house price / earnings ratios (~8)
    "housing-affordability-ratio-residence-based": "ratio",
}

CONCEPT: dict[str, str] = {
    "preventable-cardiovascular-mortality-england": "preventable-cvd-mortality-u75",
    "male-healthy-life-expectancy": "healthy-life-expectancy",   # sex is in the name; concept shared with
    "female-healthy-life-expectancy": "healthy-life-expectancy",  # Fingertips 90362 (sex as a breakdown)
    "cigarette-smokers": "smoking-prevalence-adults",
    "adult-obesity-prevalence": "adult-obesity",
}


def slug(text: str) -> str:
    """A lower-case id fragment: runs of anything but letters and digits become one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


_PER = re.compile(r"\bper\s+(\d[\d,]*|thousand|million)\b")
_MONEY_TOTAL = re.compile(r"£\s*(?:m|bn|k)\b|£\s*(?:millions?|billions?|thousands?)\b"
                          r"|\b(?:millions?|billions?) of pounds\b")


def _per(text: str) -> float | None:
    """N of a rate "per N ..." (per 10,000 people -> 10000; per million -> 1e6), else None."""
    m = _PER.search(text)
    if m is None:
        return None
    n = m.group(1)
    return {"thousand": 1e3, "million": 1e6}.get(n) or float(n.replace(",", ""))


def _value_type(slug_: str, measure: str, unit: str, sub_text: str = "") -> tuple[str, float, str]:
    """(value_type, multiplier, unit) from curated table or the measure/unit text (and the JSON's ``subText``).

    Totals, extensive quantities that scale with the area's size, are ``count``: counts of
    things ("Number of enterprises") and money amounts ("£ million"). A count of things per
    N people ("Count per 10,000 people") is a rate, ``crude_rate`` with multiplier N, not a
    total; so is anything else "per" something (per capita, per meter point), which stays
    ``mean`` unless named above.
    """
    text = f"{measure} {unit} {sub_text}".lower()
    per = _per(text)
    if slug_ in VALUE_TYPE:
        vt = VALUE_TYPE[slug_]
    elif "per 100,000" in text or "per 100000" in text:
        vt = "dsr" if "standardised" in text else "crude_rate"
    elif per is not None and "count" in text:
        vt = "crude_rate"
    elif "%" in text or "percent" in text:
        vt = "proportion"
    elif "years" in text or "yrs" in text:
        vt = "life_expectancy" if "life expectancy" in slug_ else "mean"
    elif " per " not in f" {text} " and (text.strip().startswith("number") or "count" in text
                                         or _MONEY_TOTAL.search(text)):
        vt = "count"
    else:
        vt = "mean"
    mult = {"proportion": 100.0, "dsr": 100000.0}.get(vt, 1.0)
    if vt == "crude_rate":
        mult = per or 100000.0
    return vt, mult, (unit or measure or "").strip()


def _metadata(json_path: Path | None) -> dict[str, dict]:
    """Per-indicator metadata from an ELS JSON (shared keys merged into each)."""
    if json_path is None or not json_path.exists():
        return {}
    from .validate import load_json

    data = load_json(json_path, "a JSON object", what="the metadata file")
    meta = data.get("ess-beta-metadata", {}) if isinstance(data, dict) else {}
    if not isinstance(meta, dict):
        return {}
    if "label" in meta:
        return {slug(meta["label"]): meta}
    shared = meta.get("shared", {}) if isinstance(meta.get("shared"), dict) else {}
    return {slug(k): {**shared, **v} for k, v in meta.items() if k != "shared" and isinstance(v, dict)}


def read_file(csv_path: Path, json_path: Path | None = None, *, key: str | None = None) -> Batch:
    """Read one ELS CSV (and its JSON metadata if given) into a :class:`Batch`."""
    csv_path = Path(csv_path)
    df = read_text_csv(csv_path)
    lines = df["_line"].to_numpy()
    # normalise header variants; keep the first of duplicated columns (e.g. a repeated 'notes')
    cols = []
    for c in df.columns:
        cols.append(_RENAME.get(c.strip().lower(), c.strip().lower()))
    df.columns = cols
    df = df.loc[:, ~pd.Index(cols).duplicated()]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError("the header lacks a required column", path=csv_path, line=1, field=missing[0],
                         expected="columns " + ",".join(REQUIRED),
                         got=",".join(c for c in df.columns[:15] if c != "_line"))
    for opt in ("areanm", "measure", "unit", "lci_95", "uci_95", "status", "notes", "polarity"):
        if opt not in df.columns:
            df[opt] = ""
    dropped: dict[str, int] = {}
    nocode = df["areacd"].str.strip().str.lower().isin(["na", ""]).to_numpy()
    if nocode.sum() > len(nocode) / 2:   # a few uncoded rows are real (below); most is a wrong column
        i = int(np.flatnonzero(nocode)[0])
        raise InputError("most rows have no area code (a swapped or misnamed column?)", path=csv_path,
                         line=int(lines[i]), field="areacd", expected="a GSS area code on most rows",
                         got=df["areacd"].iloc[i])
    if nocode.any():  # e.g. Scottish city regions published without a code (60 of 1,580 FDI rows)
        dropped["area published without a code"] = int(nocode.sum())
        df, lines = df[~nocode].reset_index(drop=True), lines[~nocode]
    check_area_codes(df["areacd"], path=csv_path, field="areacd", lines=lines)
    meta = _metadata(json_path)

    obs = pd.DataFrame({"area_code": df["areacd"].str.strip().to_numpy()})
    ind_slug = df["indicator"].map({t: slug(t) for t in df["indicator"].unique()})  # slug each name once
    obs["indicator_id"] = (SOURCE + ":" + ind_slug).to_numpy()
    # ONS puts the sex in the indicator's name ("Male healthy life expectancy"): say so in the breakdown
    obs["sex"] = np.select([ind_slug.str.startswith("female-").to_numpy(), ind_slug.str.startswith("male-").to_numpy()],
                           ["Female", "Male"], default="Persons")
    obs["_line"] = lines
    obs["value"] = to_number(df["observation"], path=csv_path, field="observation", lines=lines)
    obs["lci95"] = to_number(df["lci_95"], path=csv_path, field="lci_95", lines=lines)
    obs["uci95"] = to_number(df["uci_95"], path=csv_path, field="uci_95", lines=lines)
    status = df["status"].str.strip()
    notes = df["notes"].str.strip()
    obs["note"] = np.where(status != "", status, np.where(notes != "", notes, None))
    obs = add_periods(obs, df["period"], path=csv_path, field="period", lines=lines)
    if n := check_ci_order(obs, path=csv_path, lines=lines, on_error="drop"):
        dropped["published confidence limits inconsistent with the value (limits blanked, row kept)"] = n
    keep = drop_identical_duplicates(obs, ["indicator_id", "area_code", "period_label"], ["value", "lci95", "uci95"])
    obs, df, lines = obs[keep.to_numpy()].reset_index(drop=True), df[keep.to_numpy()].reset_index(drop=True), lines[keep.to_numpy()]
    check_unique(obs, ["indicator_id", "area_code", "period_label"], path=csv_path, lines=lines)

    inds = []
    first = df.drop_duplicates("indicator")
    for row in first.itertuples(index=False):
        s = slug(row.indicator)
        m = meta.get(s, {})
        vt, mult, unit = _value_type(s, str(row.measure), str(row.unit), str(m.get("subText") or ""))
        pol_text = str(getattr(row, "polarity", "") or "").strip().lower()
        polarity = {"positive": "high_is_good", "negative": "low_is_good", "1": "high_is_good",
                    "-1": "low_is_good"}.get(pol_text, POLARITY.get(s, "no_judgement"))
        kinds = obs.loc[obs["indicator_id"] == f"{SOURCE}:{s}", "period_label"].head(1)
        from ..periods import parse_period
        kind = parse_period(kinds.iloc[0]).kind if len(kinds) else None
        inds.append({
            "id": f"{SOURCE}:{s}", "source": SOURCE, "source_id": csv_path.stem, "name": m.get("label", row.indicator),
            "unit": (m.get("subText") or unit), "value_type": vt, "multiplier": mult, "polarity": polarity,
            "period_kind": kind, "ci_method": "published" if obs["lci95"].notna().any() else "none",
            "concept": CONCEPT.get(s, s),
            "description": m.get("subtitle") or m.get("longDescription"),
        })
    areas = pd.DataFrame({"code": df["areacd"].str.strip(), "name": df["areanm"].str.strip()}).drop_duplicates("code")
    rec = recodes_from_notes(df["areacd"].str.strip(), df["notes"])
    if len(rec):
        areas = areas.merge(rec, on="code", how="left")
    return Batch(
        source=SOURCE,
        key=key or csv_path.name,
        files=[csv_path] + ([json_path] if json_path is not None and json_path.exists() else []),
        indicators=indicator_frame(inds),
        observations=observation_frame(obs),
        areas=areas,
        dropped=dropped,
    )


_OBSOLETE = re.compile(r"Obsolete code since (\d{4}) \(replaced by ([^)]*)\)", re.I)
_CODE = re.compile(r"\b[EWSNK]\d{8}\b")


def recodes_from_notes(codes: pd.Series, notes: pd.Series) -> pd.DataFrame:
    """Code changes the rows state: "Obsolete code since 2025 (replaced by E08000038 Barnsley)".

    Returns ``code``, ``replaced_by`` (successor codes, comma separated) and ``valid_to`` (the
    31 December before the year named), one row per obsolete code; the store adds them to the
    area register where the register says nothing (it never overrides mySociety's dates).
    """
    hit = notes.astype(str).str.contains("Obsolete code since", case=False, regex=False)
    if not hit.any():
        return pd.DataFrame(columns=["code", "replaced_by", "valid_to"])
    rows = {}
    for code, note in zip(codes[hit], notes[hit]):
        m = _OBSOLETE.search(str(note))
        if m is None:
            continue
        succ = [c for c in _CODE.findall(m.group(2)) if c != code]
        if succ:
            rows.setdefault(code, (",".join(dict.fromkeys(succ)), f"{int(m.group(1)) - 1}-12-31"))
    return pd.DataFrame([(c, r, v) for c, (r, v) in rows.items()], columns=["code", "replaced_by", "valid_to"])


def parts(folder: Path) -> list[Path]:
    """The dataset folders of an ELS folder, read one by one (and, by :func:`placeimpact.sources.read_tree`,
    in parallel)."""
    return sorted(p for p in Path(folder).iterdir() if p.is_dir() and p.name not in SKIP_DATASETS)


def read_part(folder: Path, ds: Path, root: Path) -> Iterator[Batch]:
    """Every CSV of one dataset folder (``<dataset>/<dataset>.csv`` + ``.json``)."""
    for csv_path in sorted(Path(ds).glob("*.csv")):
        json_path = csv_path.with_suffix(".json")
        yield read_file(csv_path, json_path if json_path.exists() else None,
                        key=csv_path.relative_to(root).as_posix())


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """Every dataset folder with a CSV: ``<dataset>/<dataset>.csv`` (+ ``.json``)."""
    for ds in parts(folder):
        yield from read_part(folder, ds, root)
