"""fingertipsR-style tidy CSVs of the Trafford Data Lab (folders ``trafford-themes``,
``trafford-themes-55c6d8c5`` and ``trafford-dashboard``), and Trafford's comparator lists.

Each indicator file is long, one row per area x period (x breakdown), with a value and, for
series pulled from Fingertips, the published comparison with England::

    area_code,area_name,area_type,period,indicator,measure,unit,value,compared_to_England,inequality
    area_code,area_name,period,value,indicator,measure,unit,significance[,group]
    area_code,area_name,period,indicator,measure,unit,value[,group]

(columns in several orders). There are no confidence limits, counts or denominators. Read
as published: ``NA`` and ``:`` are missing values; ``unit`` holds the sex (Male, Female,
Females, Persons) in some files and a unit word in others; ``inequality`` or ``group``
holds the sex (Male/Female) or a breakdown (deprivation quintile, sector, offence type),
which becomes ``category``; periods mix ``2011``, ``2017/18``, ``2015 - 17``, ``2001-03``,
``2013-01-01``, ``Nov 2023`` and cumulative quarters ``2021/22 Q1 - 2022/23 Q4``. In
``trafford-dashboard/data/green/co2_emissions.csv`` the area code and name columns are
swapped; such rows are put right and say so in their note.

The compared-to-England label (``compared_to_England`` or ``significance``: Better, Worse,
Similar, Higher, Lower, ``Lower 99.8``, ...) is kept in each observation's note as
``compared_to_england=Worse``; ``Not compared`` and ``NA`` are not notes.

Ids are ``<folder>:<file stem>`` (``trafford-themes:healthy_life_expectancy``), so the two
vintages of trafford_themes never collide; a file holding several indicators (or one in
several measures) adds ``:<slug>``. ``source_id`` is the Fingertips indicator id linked
from the file's ``metadata/<stem>.md`` (matched by name when it links several). Polarity
and value type come from the curated tables below (unknown polarity means no judgement);
``concept`` links the same concept across sources (ONS ELS, ASCOF, EYFSP, the Health
Index), else ``fingertips-<id>`` so the two Trafford repositories' copies of one Fingertips
indicator are linked. The vintages are not interchangeable: healthy life expectancy for
2015-17 on was revised by ONS, so the 2026 file differs from the 2019-2024 ones for the
same periods (and agrees with ONS Explore Local Statistics).

Comparator lists (``trafford-themes/data/cipfa2019.csv``, ``cipfa2021.csv``,
``cipfalga0724.csv``, ``cssn.csv``, ``nhsennpg.csv``; ``area_code,area_name``) are
Trafford's (E08000009) neighbours only: each becomes a group of kind ``imported`` with
focal area Trafford and rank = row order.

Files not read, and why (:data:`SKIPPED`): point listings with no indicator value
(schools, childcare providers, care homes, green flag parks, car charging points, the HMO
licence register); the GeoJSON boundaries; air-quality readings by monitoring site
(nitrogen dioxide, particulate matter: no area code); potholes (counts of FixMyStreet
reports by road, a self-selected reporting platform rather than a statistic of the area);
council-tax bands of new properties (one pooled period ``2010 to 2019``, a composition
rather than a series).
"""

from __future__ import annotations

import re
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
    check_area_codes,
    check_unique,
    drop_identical_duplicates,
    group_frame,
    indicator_frame,
    observation_frame,
    read_text_csv,
    to_number,
)
from .ons_els import slug

SOURCE = "fingertips-tidy"  #: the format; batches carry their folder's name as source
SOURCES = ("trafford-themes", "trafford-themes-55c6d8c5", "trafford-dashboard")
REQUIRED = ("area_code", "area_name", "period", "indicator", "measure", "unit", "value")
_OPTIONAL = ("compared_to_England", "significance", "inequality", "group")
_KEY = ["indicator_id", "area_code", "sex", "category", "period_label"]
TRAFFORD = "E08000009"

#: file stem -> why it is not an indicator series
SKIPPED: dict[str, str] = {
    "childcare_providers": "listing of childcare providers (points), no indicator value",
    "primary_schools": "listing of schools (points), no indicator value",
    "secondary_schools": "listing of schools (points), no indicator value",
    "special_schools": "listing of schools (points), no indicator value",
    "care_homes": "listing of care homes (points), no indicator value",
    "green_flags": "listing of Green Flag parks (points), no indicator value",
    "car_charging_points": "listing of car charging points, no indicator value",
    "licensed_hmos": "HMO licence register (addresses), no indicator value",
    "nitrogen_dioxide": "readings by monitoring site, not by area",
    "particulate_matter": "readings by monitoring site, not by area",
    "potholes": "counts of FixMyStreet reports by road: a self-selected platform, not a statistic of the area",
    "council_tax_bands": "one pooled period (2010 to 2019), a composition rather than a series",
}

#: comparator list stem -> group id
GROUPS: dict[str, str] = {"cipfa2019": "cipfa-2019", "cipfa2021": "cipfa-2021",
                          "cipfalga0724": "cipfa-lga-2024-07", "cssn": "cssn", "nhsennpg": "nhse-nnpg"}
#: what each group is (for documentation and reports)
GROUP_NAMES = {"cipfa-2019": "CIPFA nearest neighbours (2019)", "cipfa-2021": "CIPFA nearest neighbours (2021)",
               "cipfa-lga-2024-07": "CIPFA nearest neighbours as listed by LG Inform, July 2024",
               "cssn": "Children's Services Statistical Neighbours",
               "nhse-nnpg": "NHS England Near Neighbour Peer Group"}

H, L, N = "high_is_good", "low_is_good", "no_judgement"
#: curated polarity by file stem (the same stem means the same concept in both repositories)
POLARITY: dict[str, str] = {
    # trafford-themes health / children
    "active_adults": H, "admissions_care_homes_65p": L, "adults_depression": N, "adults_smoking": L,
    "adults_smoking_manual": L, "adults_walking_or_cycling": H, "antibiotics_broad_s": L,
    "care_homes_rating": H, "chlamydia_screening": H, "contraception_larc": N, "fairly_active_adults": N,
    "healthy_life_expectancy": H, "inactive_adults": L, "inequality_life_expectancy": L, "life_expectancy": H,
    "mortality_rate": L, "nhs_health_checks": H, "overweight_adult": L, "social_care_satisfaction": H,
    "active_children": H, "children_dental_decay": L, "children_offending": L, "children_poverty": L,
    "cla_dental_check": H, "cla_health_assessment": H, "expected_standard_ks2": H, "grades_5_or_above_ks4": H,
    "neet": L, "obese_reception": L, "obese_year6": L, "progress_8_score": H, "school_readiness": H,
    "vaccination_mmr": H,
    # trafford-dashboard
    "admissions_self_harm_young_people": L, "child_protection_plans": N, "children_in_care": N,
    "dental_decay": H, "excess_weight_reception": L, "excess_weight_year6": L, "low_income_families": L,
    "neets": L, "school_readiness_fsm": H, "co2_emissions": L, "licensed_vehicles": N, "admissions_falls": L,
    "admissions_self_harm": L, "alcohol_related_admissions": L, "alcohol_related_mortality": L,
    "deaths_at_home": N, "dementia_diagnosis": H, "healthy_life_expectancy_at_birth": H,
    "mortality_serious_mental_illness": L, "physically_inactive": L, "preventable_mortality_from_cancer": L,
    "slope_index_of_inequality": L, "smoking_adults": L, "smoking_adults_manual": L, "affordability_ratio": L,
    "net_additional_dwellings": N, "vacant_properties": L, "apprenticeships": H, "claimant_count": L,
    "employment_rate": H, "gva": H, "median_resident_earnings": H, "real_living_wage": L, "crime_rate": L,
    "crime_severity": L, "flytipping": L, "recycling": H, "dtoc": L, "home_after_discharge": H,
    "residential_home_admissions": L, "rough_sleeping": L,
}

#: concept keys shared with other sources, by Fingertips id or file stem
CONCEPT_BY_ID: dict[str, str] = {
    "90362": "healthy-life-expectancy", "90366": "life-expectancy", "92443": "smoking-prevalence-adults",
    "92445": "smoking-prevalence-routine-manual", "93015": "physically-inactive-adults",
    "93088": "adult-overweight-obesity", "92901": "inequality-life-expectancy-sii",
    "93721": "preventable-mortality-u75", "90631": "school-readiness-gld", "90632": "school-readiness-gld-fsm",
}
CONCEPT_BY_STEM: dict[str, str] = {
    "social_care_satisfaction": "ascof-3a", "admissions_care_homes_65p": "ascof-2a2",
    "home_after_discharge": "ascof-2b1",
}

#: Fingertips ids for files copied without their metadata/*.md (folder, stem) -> id; the older
#: trafford_themes commit's healthy life expectancy is Fingertips 90362 per that repository's R script
SOURCE_ID_FALLBACK: dict[tuple[str, str], str] = {
    ("trafford-themes-55c6d8c5", "healthy_life_expectancy"): "90362"}

#: stems whose 'Percentage' values are published as fractions (0-1)
FRACTIONS = frozenset({"vacant_properties", "recycling"})
#: stems whose measure column mislabels the value ("Percentage" for a Progress 8 score)
VALUE_TYPE_OVERRIDE: dict[str, tuple[str, float, str]] = {"progress_8_score": ("mean", 1.0, "score")}

_SEX_WORDS = {"male": "Male", "males": "Male", "female": "Female", "females": "Female", "persons": "Persons"}
_LINK = re.compile(r'fingertips\.phe\.org\.uk/search/([^"#/?]+)[^"]*"[^>]*>\s*([^<]*?)\s*</a>', re.I)


def _value_type(stem: str, indicator: str, measure: str, unit: str = "") -> tuple[str, float, str]:
    """(value_type, multiplier, unit) for one indicator, from curated overrides or its text.

    ``unit`` is the file's unit column when it names a unit rather than a sex (kt, £, Days).
    """
    if stem in VALUE_TYPE_OVERRIDE:
        return VALUE_TYPE_OVERRIDE[stem]
    if stem in FRACTIONS:
        return "proportion", 1.0, "proportion (0 to 1)"
    text = f"{measure} {indicator}".lower().replace("100000", "100,000")
    m = measure.strip()
    if "per 100,000" in text:
        return ("dsr" if "standardised" in text else "crude_rate"), 100000.0, "per 100,000"
    if "per 10,000" in text:
        return "crude_rate", 10000.0, "per 10,000"
    if "per 1,000" in text or "/ 1,000" in text:
        return "crude_rate", 1000.0, "per 1,000"
    if any(w in m.lower() for w in ("percentage", "proportion")) or "%" in m:
        return "proportion", 100.0, "%"
    if "life expectancy" in m.lower():
        return "life_expectancy", 1.0, "years"
    if "slope index" in m.lower():
        return "mean", 1.0, "years"
    if "ratio" in m.lower():
        return "ratio", 1.0, m
    if m.lower() in ("count", "frequency"):
        return "count", 1.0, m.lower()
    if "score" in m.lower():
        return "index", 1.0, "score"
    return "mean", 1.0, f"{m} ({unit})" if unit else m


def _metadata(md: Path) -> tuple[str | None, list[tuple[str, str]]]:
    """(first line as description, [(fingertips id, link text)]) from a metadata/*.md file."""
    if not md.exists():
        return None, []
    text = md.read_text(encoding="utf-8-sig", errors="replace")
    first = next((ln.strip().lstrip("#").strip() for ln in text.splitlines() if ln.strip()), None)
    return first, [(i, t) for i, t in _LINK.findall(text)]


def _match_id(name: str, links: list[tuple[str, str]], n_indicators: int) -> str | None:
    """The linked Fingertips id whose link text best matches the indicator name.

    Links to a search word rather than an id (``search/mmr``) take part in the matching but
    give no id.
    """
    ids = sorted({i for i, _ in links})
    if n_indicators == 1 and len(ids) == 1:
        return ids[0] if ids[0].isdigit() else None
    words = set(re.findall(r"[a-z0-9]+", name.lower()))
    best, score = None, 0.0
    for i, t in links:
        w = set(re.findall(r"[a-z0-9]+", t.lower()))
        j = len(words & w) / max(1, len(words | w))
        if j > score:
            best, score = i, j
    return best if score >= 0.5 and best is not None and best.isdigit() else None


def _load(path: Path) -> pd.DataFrame:
    """One tidy CSV as text, stripped, with every optional column present (empty when absent)."""
    df = read_text_csv(path, required=REQUIRED)
    for col in _OPTIONAL:
        if col not in df.columns:
            df[col] = ""
    return df[[*REQUIRED, *_OPTIONAL, "_line"]]


def _process(df: pd.DataFrame, stems: list[str], *, folder: str,
             path: Path | str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Observations, indicator combos and identical repeats dropped per file, for rows of one or
    more files (``_file`` indexes ``stems``).

    ``path`` names the file in error messages (the caller re-reads file by file on an error
    when several files were processed together, so that the message names the right one).
    """
    lines = df["_line"].to_numpy()
    df = df.assign(**{c: df[c].str.strip() for c in (*REQUIRED, *_OPTIONAL)})
    code, name = df["area_code"], df["area_name"]
    swapped = (~code.str.match(GSS_CODE.pattern) & name.str.match(GSS_CODE.pattern)).to_numpy()
    if swapped.any():
        code, name = code.where(~swapped, name), name.where(~swapped, code)
    check_area_codes(code, path=path, field="area_code", lines=lines)

    combos = df[["_file", "indicator", "measure", "unit"]].drop_duplicates(["_file", "indicator", "measure"]) \
        .reset_index(drop=True)
    combos["unit"] = combos["unit"].where(combos["unit"].str.lower().map(_SEX_WORDS).isna(), "")
    per = combos.groupby("_file")
    n = per["indicator"].transform("size")
    n_ind = per["indicator"].transform("nunique")
    n_meas = per["measure"].transform("nunique")
    suffix = np.select(
        [n == 1, n_ind == n, n_meas == n],
        ["", ":" + combos["indicator"].map(slug), ":" + combos["measure"].map(slug)],
        ":" + (combos["indicator"] + " " + combos["measure"]).map(slug))
    stem = combos["_file"].map(dict(enumerate(stems)))
    combos["stem"] = stem
    combos["n"] = n
    combos["id"] = folder + ":" + stem + suffix
    ids = df[["_file", "indicator", "measure"]].merge(combos, how="left", on=["_file", "indicator", "measure"])["id"]

    sex = df["unit"].str.lower().map(_SEX_WORDS)
    category = pd.Series("", index=df.index, dtype=object)
    for col in ("inequality", "group"):
        v = df[col]
        vsex = v.str.lower().map(_SEX_WORDS)
        sex = vsex.where(vsex.notna(), sex)
        is_cat = vsex.isna() & ~v.isin(["", "NA"])
        category = category.where(~is_cat.to_numpy(), v)
    label = df["compared_to_England"].where(df["compared_to_England"] != "", df["significance"])
    note = ("compared_to_england=" + label).where(~label.isin(["", "NA", "Not compared"]))
    if swapped.any():
        fix = "area_code and area_name published swapped; put right"
        note = pd.Series(np.where(swapped, np.where(note.isna(), fix, note.fillna("") + "; " + fix), note),
                         index=df.index, dtype=object)
    obs = pd.DataFrame({
        "indicator_id": ids.to_numpy(), "area_code": code.to_numpy(), "sex": sex.fillna("Persons").to_numpy(),
        "category": category.to_numpy(), "note": note.to_numpy(dtype=object), "_file": df["_file"].to_numpy(),
        "_name": name.to_numpy(),
    })
    obs["value"] = to_number(df["value"], path=path, field="value", lines=lines)
    obs = add_periods(obs, df["period"], path=path, field="period", lines=lines)
    obs["_line"] = lines
    keep = drop_identical_duplicates(obs, _KEY, ["value"]).to_numpy()
    n_identical = pd.Series(~keep).groupby(df["_file"].to_numpy()).sum()
    obs = obs[keep].reset_index(drop=True)
    check_unique(obs, _KEY, path=path, lines=obs["_line"].to_numpy())
    return obs, combos, n_identical


def _batches(obs: pd.DataFrame, combos: pd.DataFrame, identical: pd.Series, paths: list[Path], *,
             folder: str, keys: list[str]) -> Iterator[Batch]:
    """Split processed rows into one batch per file, with its indicators' metadata."""
    first = obs.drop_duplicates("indicator_id").set_index("indicator_id")["period_label"]
    inds = []
    meta = {i: _metadata(p.parent / "metadata" / f"{p.stem}.md") for i, p in enumerate(paths)}
    for row in combos.rename(columns={"_file": "file"}).itertuples(index=False):
        description, links = meta[row.file]
        vt, mult, unit = _value_type(row.stem, row.indicator, row.measure, row.unit)
        fid = _match_id(row.indicator, links, row.n) or SOURCE_ID_FALLBACK.get((folder, row.stem))
        inds.append({
            "id": row.id, "source": folder, "source_id": fid, "name": row.indicator, "unit": unit,
            "value_type": vt, "multiplier": mult, "polarity": POLARITY.get(row.stem, N),
            "period_kind": parse_period(first[row.id]).kind, "ci_method": "none",
            "concept": CONCEPT_BY_STEM.get(row.stem) or CONCEPT_BY_ID.get(fid or "")
            or (f"fingertips-{fid}" if fid else slug(row.indicator)),
            "description": description,
        })
    all_inds = indicator_frame(inds)
    ind_rows = pd.Series(np.arange(len(combos))).groupby(combos["_file"].to_numpy()).indices
    all_obs = observation_frame(obs.drop(columns=["_name", "_file"]))
    all_areas = pd.DataFrame({"code": obs["area_code"], "name": obs["_name"], "_file": obs["_file"]}) \
        .drop_duplicates(["_file", "code"])
    area_rows = all_areas.groupby("_file").indices
    obs_rows = obs.groupby("_file").indices
    for i, path in enumerate(paths):
        if i not in obs_rows:
            continue
        n_dup = int(identical.get(i, 0))
        yield Batch(source=folder, key=keys[i], files=[path],
                    indicators=all_inds.take(ind_rows[i]).reset_index(drop=True),
                    observations=all_obs.take(obs_rows[i]).reset_index(drop=True),
                    areas=all_areas.take(area_rows[i])[["code", "name"]].reset_index(drop=True),
                    groups=group_frame([]), dropped={"identical duplicate rows": n_dup} if n_dup else {})


def read_file(path: Path, *, folder: str, key: str | None = None) -> Batch:
    """Read one tidy indicator CSV of the Trafford folder ``folder`` into a :class:`Batch`."""
    path = Path(path)
    df = _load(path).assign(_file=0)
    obs, combos, identical = _process(df, [path.stem], folder=folder, path=path)
    return next(_batches(obs, combos, identical, [path], folder=folder, keys=[key or path.name]))


def read_files(paths: list[Path], *, folder: str, keys: list[str]) -> Iterator[Batch]:
    """Read several tidy CSVs of one folder in one vectorised pass (one batch per file).

    On an error the files are read one by one, so that the message names the right file and line.
    """
    frames = [_load(p).assign(_file=i) for i, p in enumerate(paths)]
    if not frames:
        return iter(())
    try:
        obs, combos, identical = _process(pd.concat(frames, ignore_index=True), [p.stem for p in paths],
                                          folder=folder, path=Path(folder))
    except InputError:
        for p, k in zip(paths, keys):
            read_file(p, folder=folder, key=k)
        raise
    return _batches(obs, combos, identical, list(paths), folder=folder, keys=keys)


def read_group(path: Path, *, folder: str, key: str | None = None, focal: str = TRAFFORD) -> Batch:
    """One comparator list (``area_code,area_name``) as the group of ``focal`` (Trafford)."""
    path = Path(path)
    group_id = GROUPS.get(path.stem, slug(path.stem))
    df = read_text_csv(path, required=("area_code", "area_name"))
    lines = df["_line"].to_numpy()
    codes = df["area_code"].str.strip()
    check_area_codes(codes, path=path, field="area_code", lines=lines)
    check_unique(pd.DataFrame({"area_code": codes}), ["area_code"], path=path, lines=lines, what="member")
    members = codes[codes != focal].to_numpy()
    groups = group_frame(pd.DataFrame({
        "group_id": group_id, "kind": "imported", "focal_area": focal, "member_area": members,
        "rank": np.arange(1, len(members) + 1), "distance": np.nan, "source": key or path.name,
    }))
    areas = pd.DataFrame({"code": codes, "name": df["area_name"].str.strip()})
    return Batch(source=folder, key=key or path.name, files=[path], groups=groups, areas=areas)


def _indicator_paths(under: Path, folder: Path) -> list[Path]:
    """The indicator CSVs under ``under`` (comparator lists at the top of ``data`` and :data:`SKIPPED` left out)."""
    return [p for p in sorted(Path(under).rglob("*.csv"))
            if not (p.parent == folder / "data" and p.stem in GROUPS) and p.stem not in SKIPPED]


def parts(folder: Path) -> list[Path]:
    """The parts :func:`placeimpact.sources.read_tree` may read in parallel: the comparator lists (``data``
    itself), then each theme folder of ``data``. A folder with indicator CSVs at the top of ``data`` is one
    part (the folder), so that the batches keep their order."""
    folder = Path(folder)
    data = folder / "data"
    if not data.is_dir() or any(p.stem not in GROUPS for p in data.glob("*.csv")):
        return [folder]
    return [data, *sorted(d for d in data.iterdir() if d.is_dir())]


def read_part(folder: Path, part: Path, root: Path) -> Iterator[Batch]:
    """One part of :func:`parts`: the comparator lists, one theme folder, or the whole folder."""
    folder, part = Path(folder), Path(part)
    if part == folder:
        yield from read_folder(folder, root)
    elif part == folder / "data":
        for path in sorted(part.glob("*.csv")):
            yield read_group(path, folder=folder.name, key=path.relative_to(root).as_posix())
    else:
        paths = _indicator_paths(part, folder)
        yield from read_files(paths, folder=folder.name, keys=[p.relative_to(root).as_posix() for p in paths])


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """Every indicator CSV under ``folder/data`` (skipping :data:`SKIPPED`) and the comparator lists."""
    folder = Path(folder)
    for path in sorted((folder / "data").rglob("*.csv")):
        if path.parent == folder / "data" and path.stem in GROUPS:
            yield read_group(path, folder=folder.name, key=path.relative_to(root).as_posix())
    paths = _indicator_paths(folder / "data", folder)
    yield from read_files(paths, folder=folder.name, keys=[p.relative_to(root).as_posix() for p in paths])
