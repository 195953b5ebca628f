"""Adult Social Care Outcomes Framework (ASCOF) measures, 2018-19 to 2020-21 (folder ``ascof``).

``Data/<year>/final_data_<year>.csv`` (year 2019, 2020, 2021 = ASCOF 2018-19, 2019-20,
2020-21), one row per council (or region, or England) x measure x disaggregation::

    Geographical Description,Geographical Level,ONS Code,Measure Group Description,
    Disaggregation Level,Measure Value,IMD - Average rank ,Annual Pay Mean,Population,Year

(note the space in ``IMD - Average rank ``). Measures are named differently from year to
year; :data:`MEASURES` gives each published name its ASCOF code (checked against the codes
of NHS Digital's own 2020-21 file, ``meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx``), and
each code is one indicator, ``ascof:3A`` ..., so a measure is one series across the three
years. Disaggregations become breakdowns: Total (Persons, All ages), 18-64, 65 and over
(age), Female, Male (sex).

The 2019-20 file names two measures with one label each: "Proportion of people using
social care who receive direct payments" and "... self-directed support" appear twice per
council and breakdown, first for people who use services (1C(2A), 1C(1A)) and then for
carers (1C(2B), 1C(1B)). Rows are assigned by that order; the order was checked against the
2018-19 file, where the four measures are named apart (correlation across councils 0.90 and
0.93 for the matching measure, about 0.3 for the other).

Area features joined to every row (constant per council and file) are stored once per
council as indicators, for neighbour models:

* ``ascof:annual-pay-mean`` (ONS ASHE table 8.7a, mean gross annual pay of residents,
  period = the ASHE year; 2021 is ASHE's provisional release);
* ``ascof:population-18plus`` (ONS mid-year estimates of the population aged 18 and over, by
  the same breakdowns). ``final_data_2021`` repeats the mid-2020 estimates of
  ``final_data_2020`` (both folders hold the same mid-2020 file), so they are read once;
* the IMD column is not read from these files: it is the IoD2019 upper-tier summary, read
  in full from ``File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx``
  (identical in the three folders; read once) as ``ascof:iod2019-<measure>`` for every
  domain's average rank, average score, share of LSOAs in the most deprived 10%, extent,
  local concentration and scale (the "rank of" columns are orderings of these and are not
  stored). In these summaries a higher average rank or score means more deprived.

Not read: the other raw inputs (ASHE and population ``.xls``, NHS Digital's 2020-21 ``.xlsx``):
``final_data_*`` hold the same numbers, already joined to the councils (the 2020-21 file
also has numerators, denominators and margins of error, left for a later reader).
"""

from __future__ import annotations

import hashlib
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
    drop_identical_duplicates,
    group_frame,
    indicator_frame,
    observation_frame,
    read_text_csv,
    to_number,
)
from .ons_els import slug

SOURCE = "ascof"
REQUIRED = ("Geographical Description", "Geographical Level", "ONS Code", "Measure Group Description",
            "Disaggregation Level", "Measure Value", "Year")
IOD_FILE = "File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"

H, L = "high_is_good", "low_is_good"
#: ASCOF code -> (name, unit, value_type, multiplier, polarity)
CODES: dict[str, tuple[str, str, str, float, str]] = {
    "1A": ("Social care-related quality of life score", "score (0 to 24)", "mean", 1.0, H),
    "1B": ("People who use services who have control over their daily life", "%", "proportion", 100.0, H),
    "1C1A": ("People who use services who receive self-directed support", "%", "proportion", 100.0, H),
    "1C1B": ("Carers who receive self-directed support", "%", "proportion", 100.0, H),
    "1C2A": ("People who use services who receive direct payments", "%", "proportion", 100.0, H),
    "1C2B": ("Carers who receive direct payments", "%", "proportion", 100.0, H),
    "1D": ("Carer-reported quality of life score", "score (0 to 12)", "mean", 1.0, H),
    "1E": ("Adults with a learning disability in paid employment", "%", "proportion", 100.0, H),
    "1F": ("Adults in contact with secondary mental health services in paid employment", "%", "proportion",
           100.0, H),
    "1G": ("Adults with a learning disability who live in their own home or with their family", "%",
           "proportion", 100.0, H),
    "1H": ("Adults in contact with secondary mental health services living independently", "%", "proportion",
           100.0, H),
    "1I1": ("People who use services who have as much social contact as they would like", "%", "proportion",
            100.0, H),
    "1I2": ("Carers who have as much social contact as they would like", "%", "proportion", 100.0, H),
    "1J": ("Adjusted social care-related quality of life: impact of adult social care services", "score",
           "mean", 1.0, H),
    "2A1": ("Younger adults (18-64) whose long-term support needs are met by admission to residential and "
            "nursing care homes", "per 100,000", "crude_rate", 100000.0, L),
    "2A2": ("Older adults (65+) whose long-term support needs are met by admission to residential and "
            "nursing care homes", "per 100,000", "crude_rate", 100000.0, L),
    "2B1": ("Older people (65+) still at home 91 days after discharge from hospital into reablement",
            "%", "proportion", 100.0, H),
    "2B2": ("Older people (65+) offered reablement services after discharge from hospital", "%",
            "proportion", 100.0, H),
    "2C1": ("Delayed transfers of care from hospital", "per 100,000", "crude_rate", 100000.0, L),
    "2C2": ("Delayed transfers of care from hospital attributable to adult social care", "per 100,000",
            "crude_rate", 100000.0, L),
    "2C3": ("Delayed transfers of care from hospital jointly attributable to the NHS and adult social care",
            "per 100,000", "crude_rate", 100000.0, L),
    "2D": ("Outcome of short-term services: sequel to service (no ongoing or lower-level support)", "%",
           "proportion", 100.0, H),
    "3A": ("Overall satisfaction of people who use services with their care and support", "%", "proportion",
           100.0, H),
    "3B": ("Overall satisfaction of carers with social services", "%", "proportion", 100.0, H),
    "3C": ("Carers who report that they have been included or consulted in discussion about the person "
           "they care for", "%", "proportion", 100.0, H),
    "3D1": ("People who use services who find it easy to find information about services", "%",
            "proportion", 100.0, H),
    "3D2": ("Carers who find it easy to find information about services", "%", "proportion", 100.0, H),
    "4A": ("People who use services who feel safe", "%", "proportion", 100.0, H),
    "4B": ("People who use services who say that those services have made them feel safe and secure", "%",
           "proportion", 100.0, H),
}

#: published measure name (any year) -> ASCOF code
MEASURES: dict[str, str] = {
    "Social care-related quality of life score": "1A", "Social care-related quality of life": "1A",
    "The proportion of people who use services who have control over their daily life": "1B",
    "Proportion of people who use services who have control over their daily life": "1B",
    "The proportion of people who use services who receive self-directed support": "1C1A",
    "Proportion of people using social care who receive self-directed support": "1C1A",
    "The proportion of carers who receive self-directed support": "1C1B",
    "Proportion of carers who receive self-directed support": "1C1B",
    "The proportion of people who use services who receive direct payments": "1C2A",
    "Proportion of people using social care who receive direct payments": "1C2A",
    "The proportion of carers who receive direct payments": "1C2B",
    "Proportion of carers who receive direct payments": "1C2B",
    "Carer-reported quality of life score": "1D",
    "The proportion of adults with a learning disability in paid employment": "1E",
    "Proportion of adults with learning disabilities in paid employment": "1E",
    "The proportion of adults in contact with secondary mental health services in paid employment": "1F",
    "Proportion of adults in contact with secondary mental health services in paid employment": "1F",
    "The proportion of adults with a learning disability who live in their own home or with their family": "1G",
    "Proportion of adults with learning disabilities who live in their own home or with their family": "1G",
    "The proportion of adults in contact with secondary mental health services living independently, "
    "with or without support": "1H",
    "Proportion of adults in contact with secondary mental health services who live independently, "
    "with or without support": "1H",
    "The proportion of people who use services who reported that they had as much social contact as they "
    "would like": "1I1",
    "Proportion of people who use services who reported that they had as much social contact as they "
    "would like": "1I1",
    "The proportion of carers who reported that they had as much social contact as they would like": "1I2",
    "Adjusted Social care-related quality of life – impact of Adult Social Care services": "1J",
    "Long-term support needs of younger adults aged 18-64 met by admission to residential and nursing care "
    "homes, per 100,000 population": "2A1",
    "Long-term support needs of older adults aged 65 and over met by admission to residential and nursing "
    "care homes, per 100,000 population": "2A2",
    "The proportion of older people (aged 65 and over) who were still at home 91 days after discharge from "
    "hospital into reablement/rehabilitation services": "2B1",
    "Proportion of older people 65 and over who were still at home 91 days after discharge from hospital "
    "into reablement/rehabilitation services effectiveness of the service": "2B1",
    "The proportion of older people (aged 65 and over) who received reablement/rehabilitation services after "
    "discharge from hospital": "2B2",
    "Proportion of older people 65 and over who were still at home 91 days after discharge from hospital "
    "into reablement/rehabilitation services offered the service": "2B2",
    "Delayed transfers of care from hospital, per 100,000 population": "2C1",
    "Delayed transfers of care from hospital per 100,000 population": "2C1",
    "Delayed transfers of care from hospital that are attributable to adult social care, per 100,000 "
    "population": "2C2",
    "Delayed transfers of care from hospital which are attributable to adult social care per 100,000 "
    "population": "2C2",
    "Delayed transfers of care from hospital that are jointly attributable to NHS and adult social care, per "
    "100,000 population": "2C3",
    "Delayed transfers of care from hospital which are jointly attributable to the NHS and adult social care "
    "per 100,000 population": "2C3",
    "The outcome of short-term services: sequel to service": "2D",
    "Proportion of those that received a short term service during the year where the sequel to service "
    "was either no ongoing support or support of a lower level": "2D",
    "Overall satisfaction of people who use services with their care and support": "3A",
    "Overall satisfaction of carers with social services": "3B",
    "The proportion of carers who report that they have been included or consulted in discussion about the "
    "person they care for": "3C",
    "The proportion of people who use services who find it easy to find information about support": "3D1",
    "Proportion of people who use services and carers who find it easy to find information about services":
        "3D1",
    "The proportion of carers who find it easy to find information about support": "3D2",
    "The proportion of people who use services who feel safe": "4A",
    "Proportion of people who use services who feel safe": "4A",
    "The proportion of people who use services who say that those services have made them feel safe and "
    "secure": "4B",
    "Proportion of people who use services who say that those services have made them feel safe and "
    "secure": "4B",
}
#: a second row with one of these labels (2019-20 file) is the carers' measure
SECOND_OCCURRENCE: dict[str, str] = {"1C2A": "1C2B", "1C1A": "1C1B"}

#: disaggregation -> (sex, age)
BREAKDOWNS = {"Total": ("Persons", "All ages"), "18-64": ("Persons", "18-64"), "65 and over": ("Persons", "65+"),
              "Female": ("Female", "All ages"), "Male": ("Male", "All ages")}
#: final_data year -> period label of its mid-year population estimates (None: repeats another file's)
POPULATION_YEAR = {"2019": "2019", "2020": "2020", "2021": None}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("–", "-").strip().lower())


_MEASURE_KEY = {_norm(k): v for k, v in MEASURES.items()}


def read_final_data(path: Path, *, key: str | None = None) -> Batch:
    """Read one ``final_data_<year>.csv`` into a :class:`Batch` (measures and area features)."""
    path = Path(path)
    df = read_text_csv(path, required=REQUIRED)
    df.columns = [c.strip() for c in df.columns]  # 'IMD - Average rank ' as published
    lines = df["_line"].to_numpy()
    code = df["ONS Code"].str.strip()
    check_area_codes(code, path=path, field="ONS Code", lines=lines)
    years = df["Year"].str.strip().unique()
    if len(years) != 1 or not re.fullmatch(r"\d{4}", years[0]):
        raise InputError("the Year column is not one four-digit year", path=path, field="Year",
                         expected="one value such as 2019 for the whole file", got=", ".join(years[:3]))
    year = years[0]
    period = f"{int(year) - 1}/{year[2:]}"

    names = df["Measure Group Description"]
    measure = names.map({n: _MEASURE_KEY.get(_norm(n)) for n in names.unique()})     # each name once
    if measure.isna().any():
        i = int(np.flatnonzero(measure.isna().to_numpy())[0])
        raise InputError("an unknown ASCOF measure", path=path, line=int(lines[i]), field="Measure Group Description",
                         expected="a measure named as in the 2018-19 to 2020-21 files (see ascof.MEASURES)",
                         got=str(df["Measure Group Description"].iloc[i]))
    disagg = df["Disaggregation Level"].str.strip()
    if not disagg.isin(list(BREAKDOWNS)).all():
        i = int(np.flatnonzero(~disagg.isin(list(BREAKDOWNS)).to_numpy())[0])
        raise InputError("an unknown disaggregation", path=path, line=int(lines[i]), field="Disaggregation Level",
                         expected=", ".join(BREAKDOWNS), got=str(df["Disaggregation Level"].iloc[i]))
    occurrence = pd.DataFrame({"c": code, "m": measure, "d": disagg}).groupby(["c", "m", "d"]).cumcount()
    second = (occurrence == 1) & measure.isin(list(SECOND_OCCURRENCE))
    measure = measure.where(~second, measure.map(SECOND_OCCURRENCE))

    sex = disagg.map({k: v[0] for k, v in BREAKDOWNS.items()})
    age = disagg.map({k: v[1] for k, v in BREAKDOWNS.items()})
    obs = pd.DataFrame({"indicator_id": (SOURCE + ":" + measure).to_numpy(), "area_code": code.to_numpy(),
                        "sex": sex.to_numpy(), "age": age.to_numpy()})
    obs["value"] = to_number(df["Measure Value"], path=path, field="Measure Value", lines=lines)
    obs = add_periods(obs, pd.Series(period, index=df.index), path=path, field="Year", lines=lines)
    keep = drop_identical_duplicates(obs, ["indicator_id", "area_code", "sex", "age"], ["value"]).to_numpy()
    dropped = {"identical duplicate rows": int((~keep).sum())} if not keep.all() else {}
    obs, lines_k = obs[keep].reset_index(drop=True), lines[keep]
    check_unique(obs, ["indicator_id", "area_code", "sex", "age", "period_label"], path=path, lines=lines_k)

    features = [_feature(df, code, "Annual Pay Mean", f"{SOURCE}:annual-pay-mean", year, path=path, by_age=False,
                         note="ASHE provisional" if year == "2021" else None)]
    if POPULATION_YEAR.get(year):
        features.append(_feature(df, code, "Population", f"{SOURCE}:population-18plus", POPULATION_YEAR[year],
                                 path=path, by_age=True, sex=sex, age=age))
    elif "Population" in df.columns:
        dropped["population column repeating final_data_2020's mid-2020 estimates (read once)"] = \
            int(df[["ONS Code", "Disaggregation Level"]].drop_duplicates().shape[0])
    observations = pd.concat([obs, *[f for f in features if f is not None]], ignore_index=True)

    codes_here = sorted(set(measure))
    inds = [{"id": f"{SOURCE}:{c}", "source": SOURCE, "source_id": c, "name": CODES[c][0], "unit": CODES[c][1],
             "value_type": CODES[c][2], "multiplier": CODES[c][3], "polarity": CODES[c][4],
             "period_kind": "financial", "ci_method": "none", "concept": f"ascof-{c.lower()}",
             "description": f"ASCOF measure {c}"} for c in codes_here]
    inds += [
        {"id": f"{SOURCE}:annual-pay-mean", "source": SOURCE, "source_id": "Annual Pay Mean",
         "name": "Mean gross annual pay of residents (ASHE table 8.7a)", "unit": "£", "value_type": "mean",
         "period_kind": "annual", "ci_method": "none", "concept": "annual-pay-mean-residents",
         "description": "ONS Annual Survey of Hours and Earnings, as joined to the ASCOF files"},
        {"id": f"{SOURCE}:population-18plus", "source": SOURCE, "source_id": "Population",
         "name": "Population aged 18 and over (mid-year estimate)", "unit": "people", "value_type": "count",
         "period_kind": "annual", "ci_method": "none", "concept": "population-18plus",
         "description": "ONS mid-year population estimates, as joined to the ASCOF files"},
    ]
    areas = pd.DataFrame({"code": code, "name": df["Geographical Description"].str.strip()}).drop_duplicates("code")
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(observations), areas=areas, groups=group_frame([]),
                 dropped=dropped)


def _feature(df: pd.DataFrame, code: pd.Series, column: str, indicator_id: str, period: str, *, path: Path,
             by_age: bool, sex: pd.Series | None = None, age: pd.Series | None = None,
             note: str | None = None) -> pd.DataFrame | None:
    """One value per council (and breakdown) of a column repeated on every row; conflicting repeats raise."""
    if column not in df.columns:
        return None
    lines = df["_line"].to_numpy()
    f = pd.DataFrame({"area_code": code.to_numpy(), "value": to_number(df[column], path=path, field=column,
                                                                        lines=lines), "_line": lines})
    f["sex"] = sex.to_numpy() if by_age else "Persons"
    f["age"] = age.to_numpy() if by_age else "All ages"
    f = f[~np.isnan(f["value"].to_numpy())]
    f = f.drop_duplicates(["area_code", "sex", "age", "value"])
    check_unique(f, ["area_code", "sex", "age"], path=path, lines=f["_line"].to_numpy(), what=f"{column} value")
    f = f.drop(columns="_line").assign(indicator_id=indicator_id, note=note)
    return add_periods(f.reset_index(drop=True), pd.Series(period, index=range(len(f))), path=path, field="Year")


def read_iod(path: Path, *, key: str | None = None) -> Batch:
    """The IoD2019 upper-tier summaries (every sheet's measures) as ``ascof:iod2019-*`` indicators."""
    path = Path(path)
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
    except Exception as exc:  # the Excel reader raises several types for a damaged workbook
        raise InputError("the workbook cannot be read", path=path, expected="an .xlsx workbook",
                         got=f"{type(exc).__name__}: {exc}") from None
    frames, inds, names = [], [], []
    for sheet, tab in sheets.items():
        if tab.empty:
            continue
        tab.columns = [str(c).strip() for c in tab.columns]
        code_col, name_col = tab.columns[0], tab.columns[1]
        if not code_col.lower().endswith("code (2019)"):
            raise InputError("a sheet does not start with the area code column", path=path, line=1, field=code_col,
                             expected="'Upper Tier Local Authority District code (2019)'", got=f"sheet {sheet}")
        lines = np.arange(2, len(tab) + 2)
        codes = tab[code_col].str.strip()
        check_area_codes(codes, path=path, field=f"{sheet}!{code_col}", lines=lines)
        names.append(pd.DataFrame({"code": codes, "name": tab[name_col].str.strip()}))
        for col in tab.columns[2:]:
            if "rank of" in col.lower():
                continue
            label = re.sub(r"\s+", " ", col.replace("IMD 2019 -", "IMD -")).strip()
            ind_id = f"{SOURCE}:iod2019-{slug(label)}"
            low = label.lower()
            vt, unit, mult = (("proportion", "proportion (0 to 1)", 1.0) if "proportion" in low or "extent" in low
                              else ("count", "people", 1.0) if "scale" in low
                              else ("index", "average rank (higher = more deprived)", 1.0) if "average rank" in low
                              else ("index", "score (higher = more deprived)", 1.0))
            inds.append({"id": ind_id, "source": SOURCE, "source_id": f"{sheet}: {col}",
                         "name": f"Indices of Deprivation 2019, {label}", "unit": unit, "value_type": vt,
                         "multiplier": mult, "polarity": "no_judgement", "period_kind": "annual", "ci_method": "none",
                         "concept": f"iod2019-{slug(label)}",
                         "description": "MHCLG English Indices of Deprivation 2019, upper-tier council summary"})
            frames.append(pd.DataFrame({"indicator_id": ind_id, "area_code": codes.to_numpy(),
                                        "value": to_number(tab[col], path=path, field=f"{sheet}!{col}",
                                                           lines=lines)}))
    obs = pd.concat(frames, ignore_index=True)
    obs = add_periods(obs, pd.Series("2019", index=obs.index), path=path, field="period")
    check_unique(obs, ["indicator_id", "area_code"], path=path)
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(obs), areas=pd.concat(names).drop_duplicates("code"),
                 groups=group_frame([]))


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """The ``final_data_<year>.csv`` files and one copy of the IoD2019 summaries."""
    folder = Path(folder)
    for path in sorted(folder.glob("Data/*/final_data_*.csv")):
        yield read_final_data(path, key=path.relative_to(root).as_posix())
    copies = sorted(folder.glob(f"Data/*/{IOD_FILE}"))
    if copies:
        digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in copies}
        if len(digests) > 1:
            raise InputError("the copies of the IoD2019 summaries differ", path=copies[-1],
                             expected=f"the same file as {copies[0].relative_to(root).as_posix()}",
                             hint="Keep one version of the workbook")
        yield read_iod(copies[0], key=copies[0].relative_to(root).as_posix())
