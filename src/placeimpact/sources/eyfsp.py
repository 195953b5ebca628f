"""Early years foundation stage profile (EYFSP) results, 2012/13 to 2018/19 (folder ``eyfsp-gld``).

Department for Education statistics, as tabulated by Nesta (``outputs/``):

* ``APS_GLD_ELG_EXP_2013_2019.csv``: England, regions (with Inner and Outer London) and every
  upper-tier council, by ``gender`` (Total, Girls, Boys -> sex Persons, Female, Male)::

      time_identifier,time_period,geographic_level,country_code,country_name,region_code,
      region_name,old_la_code,new_la_code,la_name,gender,number_of_children,point_score,
      average_point_score,elg_number,elg_percent,gld_number,gld_percent,comm_lang_lit_number,
      comm_lang_lit_percent

  becomes ``eyfsp:gld`` (school readiness: % of children with a good level of development,
  with ``gld_number`` as count and ``number_of_children`` as denominator), ``eyfsp:elg``
  (% at the expected level in all early learning goals), ``eyfsp:comm-lang-lit`` (%
  at the expected level in communication, language and literacy) and
  ``eyfsp:average-point-score``. Councils are identified by ``new_la_code``; regions by
  ``region_code``; England by ``country_code``. ``time_period`` ``201213`` is the academic
  year 2012/13.
* ``EYFSP_LA_2_com_lit_maths_additional_tables_2013_2019.xlsx``: % of pupils at least at the
  expected level in communication and language, literacy and mathematics, by free school
  meal status (``fsm``: Total, FSM, All other pupils -> category "", "FSM", "Not FSM"), as
  ``eyfsp:at-least-expected-<area of learning>``.
* ``EYFSP_LAD_pr_additional_tables_2014_2019.xlsx``: GLD and ELG by the local authority
  district where pupils live (``lad_code_pupil``, including non-metropolitan districts), as
  ``eyfsp:gld-by-residence``, ``eyfsp:elg-by-residence`` and
  ``eyfsp:average-point-score-by-residence`` (a different base from the council tables, so
  other indicators).

These are counts of whole cohorts, not samples: no confidence limits are published.
The profile was revised in September 2021, so results from 2021/22 on (as in the Trafford
files) are not comparable with these; the concept key is the same, the caveat is in each
indicator's description.
"""

from __future__ import annotations

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
    MISSING_TOKENS,
    indicator_frame,
    observation_frame,
    read_text_csv,
    to_number,
)
from .ons_els import slug

SOURCE = "eyfsp"
CSV = "outputs/APS_GLD_ELG_EXP_2013_2019.csv"
LA_XLSX = "outputs/EYFSP_LA_2_com_lit_maths_additional_tables_2013_2019.xlsx"
LAD_XLSX = "outputs/EYFSP_LAD_pr_additional_tables_2014_2019.xlsx"
CAVEAT = ("DfE EYFSP; the profile was revised in September 2021, so later results are not comparable "
          "with these.")
_SEX = {"Total": "Persons", "Girls": "Female", "Boys": "Male"}
_FSM = {"Total": "", "FSM": "FSM", "All other pupils": "Not FSM"}
_LEVEL = {"National", "Regional", "Local Authority", "Local Authority District"}
#: DfE's symbols: '.' not applicable (no pupils in the group), besides the usual missing tokens
_MISSING = MISSING_TOKENS | {"."}


def _ind(ind_id: str, name: str, *, unit: str = "%", vt: str = "proportion", mult: float = 100.0,
         concept: str | None = None) -> dict:
    return {"id": f"{SOURCE}:{ind_id}", "source": SOURCE, "source_id": ind_id, "name": name, "unit": unit,
            "value_type": vt, "multiplier": mult, "polarity": "high_is_good", "period_kind": "academic",
            "ci_method": "none", "concept": concept or f"eyfsp-{ind_id}", "description": CAVEAT}


def _areas(df: pd.DataFrame, *, path: Path, la_col: str, region_col: str, lines: np.ndarray,
           name_col: str) -> tuple[pd.Series, pd.Series]:
    """Area code and name per row from the geographic level (England, region or council)."""
    level = df["geographic_level"].str.strip().str.title().str.replace("Of", "of")
    bad = ~level.isin(_LEVEL)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("an unknown geographic level", path=path, line=int(lines[i]), field="geographic_level",
                         expected="National, Regional or Local Authority (District)",
                         got=str(df["geographic_level"].iloc[i]))
    code = np.select([level == "National", level == "Regional"],
                     [df["country_code"].str.strip(), df[region_col].str.strip()], df[la_col].str.strip())
    name = np.select([level == "National", level == "Regional"],
                     [df["country_name"].str.strip(), df["region_name"].str.strip()], df[name_col].str.strip())
    code = pd.Series(code, index=df.index)
    check_area_codes(code, path=path, field=la_col, lines=lines)
    return code, pd.Series(name, index=df.index)


def _period(df: pd.DataFrame) -> pd.Series:
    """DfE's ``time_period`` as published (``201213``: the academic year 2012/13)."""
    return df["time_period"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)


def read_csv(path: Path, *, key: str | None = None) -> Batch:
    """``APS_GLD_ELG_EXP_2013_2019.csv`` -> GLD, ELG, communication/language/literacy, average point score."""
    path = Path(path)
    measures = {"gld": ("gld_percent", "gld_number"), "elg": ("elg_percent", "elg_number"),
                "comm-lang-lit": ("comm_lang_lit_percent", "comm_lang_lit_number"),
                "average-point-score": ("average_point_score", None)}
    required = ("time_period", "geographic_level", "country_code", "country_name", "region_code", "region_name",
                "new_la_code", "la_name", "gender", "number_of_children",
                *[c for pair in measures.values() for c in pair if c])
    df = read_text_csv(path, required=required)
    lines = df["_line"].to_numpy()
    code, name = _areas(df, path=path, la_col="new_la_code", region_col="region_code", lines=lines,
                        name_col="la_name")
    gender = df["gender"].str.strip()
    if not gender.isin(list(_SEX)).all():
        i = int(np.flatnonzero(~gender.isin(list(_SEX)).to_numpy())[0])
        raise InputError("an unknown gender", path=path, line=int(lines[i]), field="gender",
                         expected="Total, Girls or Boys", got=str(df["gender"].iloc[i]))
    denom = to_number(df["number_of_children"], path=path, field="number_of_children", lines=lines)
    base = pd.DataFrame({"area_code": code.to_numpy(), "sex": gender.map(_SEX).to_numpy()})
    base = add_periods(base, _period(df), path=path, field="time_period", lines=lines)
    frames = []
    for ind_id, (value_col, count_col) in measures.items():
        f = base.copy()
        f["indicator_id"] = f"{SOURCE}:{ind_id}"
        f["value"] = to_number(df[value_col], path=path, field=value_col, lines=lines)
        if count_col:
            f["count"] = to_number(df[count_col], path=path, field=count_col, lines=lines)
            f["denominator"] = denom
        frames.append(f)
    obs = pd.concat(frames, ignore_index=True)
    check_unique(obs, ["indicator_id", "area_code", "sex", "period_label"], path=path, lines=np.tile(lines, 4))
    inds = [_ind("gld", "School readiness: children achieving a good level of development at the end of Reception",
                 concept="school-readiness-gld"),
            _ind("elg", "Children at the expected level in all early learning goals"),
            _ind("comm-lang-lit", "Children at the expected level in communication, language and literacy"),
            _ind("average-point-score", "Average total point score across the early learning goals",
                 unit="points", vt="mean", mult=1.0)]
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(obs), groups=group_frame([]),
                 areas=pd.DataFrame({"code": code, "name": name}).drop_duplicates("code"))


def _read_sheet(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
    except Exception as exc:  # the Excel reader raises several types for a damaged workbook
        raise InputError("the workbook cannot be read", path=path, expected="an .xlsx workbook",
                         got=f"{type(exc).__name__}: {exc}") from None
    df = next(iter(sheets.values()))
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError("the sheet lacks a required column", path=path, line=1, field=missing[0],
                         expected="columns " + ", ".join(required), got=",".join(df.columns[:16]))
    return df.fillna("")


def read_la_xlsx(path: Path, *, key: str | None = None) -> Batch:
    """At least the expected level in each area of learning, by free-school-meal status."""
    path = Path(path)
    required = ("time_period", "geographic_level", "country_code", "country_name", "region_code", "region_name",
                "new_la_code", "la_name", "fsm", "area_of_learning", "number_of_pupils",
                "at_least_expected_number", "at_least_expected_percent")
    df = _read_sheet(path, required)
    lines = np.arange(2, len(df) + 2)
    code, name = _areas(df, path=path, la_col="new_la_code", region_col="region_code", lines=lines,
                        name_col="la_name")
    fsm = df["fsm"].str.strip()
    if not fsm.isin(list(_FSM)).all():
        i = int(np.flatnonzero(~fsm.isin(list(_FSM)).to_numpy())[0])
        raise InputError("an unknown free school meal status", path=path, line=int(lines[i]), field="fsm",
                         expected="Total, FSM or All other pupils", got=str(df["fsm"].iloc[i]))
    learning = df["area_of_learning"].str.strip()
    obs = pd.DataFrame({"indicator_id": (f"{SOURCE}:at-least-expected-" + learning.map(slug)).to_numpy(),
                        "area_code": code.to_numpy(), "category": fsm.map(_FSM).to_numpy()})
    obs["value"] = to_number(df["at_least_expected_percent"], path=path, field="at_least_expected_percent",
                             lines=lines, missing=_MISSING)
    obs["count"] = to_number(df["at_least_expected_number"], path=path, field="at_least_expected_number",
                             lines=lines, missing=_MISSING)
    dot = (df["at_least_expected_percent"].str.strip() == ".").to_numpy()
    obs["note"] = np.where(dot, "not applicable ('.': no pupils in the group)", None)
    obs["denominator"] = to_number(df["number_of_pupils"], path=path, field="number_of_pupils", lines=lines)
    obs = add_periods(obs, _period(df), path=path, field="time_period", lines=lines)
    check_unique(obs, ["indicator_id", "area_code", "category", "period_label"], path=path, lines=lines)
    inds = [_ind(f"at-least-expected-{slug(a)}", f"Children at least at the expected level in {a.lower()}")
            for a in sorted(learning.unique())]
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(obs), groups=group_frame([]),
                 areas=pd.DataFrame({"code": code, "name": name}).drop_duplicates("code"))


def read_lad_xlsx(path: Path, *, key: str | None = None) -> Batch:
    """GLD, ELG and average point score by the district where pupils live."""
    path = Path(path)
    cols = {"gld-by-residence": ("gld_percent", "gld_number"), "elg-by-residence": ("elg_percent", "elg_number"),
            "average-point-score-by-residence": ("average_point_score", None)}
    required = ("time_period", "geographic_level", "country_code", "country_name", "region_code_pupil",
                "region_name", "lad_code_pupil", "lad_name", "all_pupils",
                *[c for pair in cols.values() for c in pair if c])
    df = _read_sheet(path, required)
    lines = np.arange(2, len(df) + 2)
    code, name = _areas(df, path=path, la_col="lad_code_pupil", region_col="region_code_pupil", lines=lines,
                        name_col="lad_name")
    denom = to_number(df["all_pupils"], path=path, field="all_pupils", lines=lines)
    base = add_periods(pd.DataFrame({"area_code": code.to_numpy()}), _period(df), path=path, field="time_period",
                       lines=lines)
    frames = []
    for ind_id, (value_col, count_col) in cols.items():
        f = base.assign(indicator_id=f"{SOURCE}:{ind_id}",
                        value=to_number(df[value_col], path=path, field=value_col, lines=lines))
        if count_col:
            f["count"] = to_number(df[count_col], path=path, field=count_col, lines=lines)
            f["denominator"] = denom
        frames.append(f)
    obs = pd.concat(frames, ignore_index=True)
    check_unique(obs, ["indicator_id", "area_code", "period_label"], path=path, lines=np.tile(lines, len(cols)))
    inds = [_ind("gld-by-residence", "Good level of development at the end of Reception, by pupils' district "
                 "of residence"),
            _ind("elg-by-residence", "Expected level in all early learning goals, by pupils' district of residence"),
            _ind("average-point-score-by-residence", "Average total point score, by pupils' district of residence",
                 unit="points", vt="mean", mult=1.0)]
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(inds),
                 observations=observation_frame(obs), groups=group_frame([]),
                 areas=pd.DataFrame({"code": code, "name": name}).drop_duplicates("code"))


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """The CSV and the two workbooks of ``eyfsp-gld/outputs``."""
    folder = Path(folder)
    for rel, reader in ((CSV, read_csv), (LA_XLSX, read_la_xlsx), (LAD_XLSX, read_lad_xlsx)):
        path = folder / rel
        if path.exists():
            yield reader(path, key=path.relative_to(root).as_posix())
