"""Survey results: a council's own (or a team's) survey, as CSV or Excel (``docs/survey-format.md``).

One row per survey x area x wave x question x subgroup x response category, with the number of
respondents choosing it (``count``) and the number answering the question (``base``).
Required columns: ``area_code``, ``survey``, ``wave``, ``question_id``, ``question_text``,
``response``, ``count``, ``base``. Optional: ``score`` (the category's score on the response
scale), ``positive`` (yes/no: a favourable answer, counted in the "% positive"), ``scale``,
``weighted_count``, ``weighted_base``, ``deff`` (design effect), ``theme`` (questions forming an
index), ``subgroup_type`` and ``subgroup`` (sex, age band, service, team), ``note``.

Each question becomes indicators with correct intervals (:mod:`placeimpact.stats.survey`):

* ``survey:<survey>:<question>``: % giving a favourable answer (the ``positive`` categories, or
  the top two scores of a scale of four or more), Wilson limits on the effective base ``base / deff``;
* ``survey:<survey>:<question>:mean``: the mean score, t limits on the effective base;
* ``survey:<survey>:theme:<theme>``: an engagement-style index, the mean of the theme's items
  rescaled to 0-10 as the NHS Staff Survey scores its themes.

Validation is strict (nobody else has checked the file): a count above its base or below zero, a
base that differs within one question, answers adding up to more than the base, a design effect
below 1, the same answer twice, a question worded two ways, a question with nothing marked as
favourable and no scores, an unknown column or area code each raise one :class:`InputError`
naming the file, line, field and what was expected. The import is all-or-nothing (the store's).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geography import area_type_from_code
from ..periods import parse_period
from ..records import Batch, fail_first, add_periods, check_area_codes, indicator_frame, observation_frame, read_text_csv, to_number
from ..stats.survey import MeanScore, mean_score, rescale_0_10, theme_index, wilson_deff_ci

__all__ = ["SOURCE", "REQUIRED", "OPTIONAL", "read_file", "read_folder", "survey_slug"]

SOURCE = "survey"
PREFIX = "survey"
REQUIRED = ("area_code", "survey", "wave", "question_id", "question_text", "response", "count", "base")
OPTIONAL = ("score", "positive", "scale", "weighted_count", "weighted_base", "deff", "theme", "subgroup_type",
            "subgroup", "note")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
SEXES = {"persons": "Persons", "all": "Persons", "male": "Male", "men": "Male", "female": "Female",
         "women": "Female"}
MISSING = frozenset({"", "NA"})
#: a question's rows: one answer of one question in one wave, area and subgroup
GROUP = ["survey", "area_code", "wave", "question_id", "subgroup_type", "subgroup"]


def survey_slug(text: str) -> str:
    """A survey's or theme's name as an id part: lower case, words joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "survey"


_fail = fail_first   # the first bad row raises one error naming file, line, field and value


def _read_table(path: Path) -> pd.DataFrame:
    """The file's rows as text with a ``_line`` column (CSV line, or Excel row number)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, engine="calamine")
        except Exception as exc:  # noqa: BLE001 - the Excel reader raises many types for a damaged workbook
            raise InputError("the Excel file cannot be read", path=path, expected="an .xlsx workbook whose first "
                             "sheet holds the survey table", got=type(exc).__name__,
                             hint="Open and re-save it in Excel, or export the sheet as CSV") from None
        df.columns = [str(c).strip() for c in df.columns]
        missing = [c for c in REQUIRED if c not in df.columns]
        if missing:
            raise InputError("the header lacks required columns", path=path, line=1, field=missing[0],
                             expected=f"columns {', '.join(REQUIRED)}", got=",".join(df.columns)[:200])
        if df.empty:
            raise InputError("the sheet has a header but no data rows", path=path, line=2, field=REQUIRED[0],
                             expected="at least one data row")
        df = df.map(lambda v: "" if v is None else str(v))
        df["_line"] = np.arange(2, len(df) + 2)
        return df
    return read_text_csv(path, required=REQUIRED)


def read_file(path: str | Path, *, key: str | None = None) -> Batch:
    """Read one survey file (CSV or .xlsx) into a :class:`Batch` of survey indicators."""
    path = Path(path)
    df = _read_table(path)
    lines = df["_line"].to_numpy()
    unknown = [c for c in df.columns if c not in REQUIRED + OPTIONAL + ("_line",)]
    if unknown:
        raise InputError("the header has a column this format does not know", path=path, line=1, field=unknown[0],
                         expected="columns among " + ", ".join(REQUIRED + OPTIONAL), got=unknown[0],
                         hint="Rename or remove it (see docs/survey-format.md)")
    for col in OPTIONAL:
        if col not in df.columns:
            df[col] = ""
    for col in REQUIRED + OPTIONAL:
        df[col] = df[col].astype(str).str.strip()
    _check_text(df, path, lines)
    num = {c: to_number(df[c], path=path, field=c, lines=lines, missing=MISSING)
           for c in ("count", "base", "score", "weighted_count", "weighted_base", "deff")}
    _check_numbers(df, num, path, lines)
    positive = _positive(df, num, path, lines)
    obs_rows, meta = _measures(df, num, positive, path, lines)
    obs = pd.DataFrame(obs_rows)
    obs = add_periods(obs, obs.pop("wave_label"), path=path, field="wave", lines=obs.pop("_line").to_numpy())
    first_label = obs.drop_duplicates("indicator_id").set_index("indicator_id")["period_label"]
    for ind, m in meta.items():
        m["period_kind"] = parse_period(first_label[ind]).kind
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(list(meta.values())),
                 observations=observation_frame(obs), areas=pd.DataFrame({"code": obs["area_code"].unique()}))


def _check_text(df: pd.DataFrame, path: Path, lines: np.ndarray) -> None:
    for col in ("survey", "wave", "question_id", "question_text", "response"):
        _fail(path, lines, df[col] == "", f"a {col.replace('_', ' ')} is missing", col, f"a {col} on every row",
              df[col])
    _fail(path, lines, ~df["question_id"].str.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*"),
          "a question id is not a simple name", "question_id", "letters, digits, '.', '_' or '-' (e.g. Q21a)",
          df["question_id"])
    check_area_codes(df["area_code"], path=path, field="area_code", lines=lines)
    _fail(path, lines, df["area_code"].map(area_type_from_code) == "other", "an area code is of an unknown type",
          "area_code", "a GSS code of a council, region or England (E06/E07/E08/E09/E10, E12, E92)", df["area_code"],
          hint="Check the code with 'placeimpact areas search NAME'")
    bad_pos = ~df["positive"].str.lower().isin(YES | NO)
    _fail(path, lines, bad_pos, "a positive flag is not yes or no", "positive",
          "yes (a favourable answer, counted in the % positive), no, or blank", df["positive"])
    _fail(path, lines, (df["subgroup"] != "") & (df["subgroup_type"] == ""), "a subgroup has no subgroup type",
          "subgroup_type", "a subgroup type such as sex, age, service or team", df["subgroup_type"])
    _fail(path, lines, (df["subgroup_type"] != "") & (df["subgroup"] == ""), "a subgroup type has no subgroup",
          "subgroup", "the subgroup's name (e.g. Female, 18-34, Adult social care)", df["subgroup"])
    sex_rows = df["subgroup_type"].str.lower().isin(("sex", "gender"))
    _fail(path, lines, sex_rows & df["subgroup"].str.lower().map(SEXES).isna(), "a sex subgroup is not known",
          "subgroup", "Male, Female or Persons for subgroup type sex", df["subgroup"])
    # one wording and one scale per question, one answer per category
    for col in ("question_text", "scale", "theme"):
        per_q = df.groupby(["survey", "question_id"])[col].transform("first")
        _fail(path, lines, df[col] != per_q, f"a question has two different {col.replace('_', ' ')}s", col,
              f"the same {col} on every row of a question (waves asking it differently need different ids)", df[col])
    dup = df.duplicated(GROUP + ["response"], keep="first").to_numpy()
    _fail(path, lines, dup, "the same answer is listed twice for one question, wave and subgroup", "response",
          "each response category once per question, wave and subgroup", df["response"])


def _check_numbers(df: pd.DataFrame, num: dict[str, np.ndarray], path: Path, lines: np.ndarray) -> None:
    count, base = num["count"], num["base"]
    _fail(path, lines, np.isnan(count), "a count is missing", "count", "the number of respondents giving this answer",
          df["count"])
    _fail(path, lines, np.isnan(base) | (base <= 0), "a base is missing or not positive", "base",
          "the number of respondents answering the question (above 0)", df["base"])
    _fail(path, lines, count < 0, "a count is negative", "count", "a count of 0 or more", df["count"])
    _fail(path, lines, count > base, "a count exceeds its base", "count", "a count no larger than the base",
          df["count"])
    _fail(path, lines, (num["deff"] < 1), "a design effect is below 1", "deff",
          "a design effect of 1 or more (1 for a simple random sample; blank means 1)", df["deff"])
    wc, wb = num["weighted_count"], num["weighted_base"]
    _fail(path, lines, np.isnan(wb) & ~np.isnan(wc), "a weighted count has no weighted base", "weighted_base",
          "a weighted base wherever a weighted count is given", df["weighted_base"])
    _fail(path, lines, ~np.isnan(wb) & (wb <= 0), "a weighted base is not positive", "weighted_base",
          "a weighted base above 0", df["weighted_base"])
    _fail(path, lines, ~np.isnan(wc) & ((wc < 0) | (wc > wb)), "a weighted count is outside 0 to its weighted base",
          "weighted_count", "0 <= weighted_count <= weighted_base", df["weighted_count"])
    keyed = df[GROUP].copy()
    for col in ("base", "deff", "weighted_base"):
        vals = pd.Series(num[col]).fillna(-1.0)
        first = vals.groupby([keyed[c] for c in GROUP]).transform("first")
        _fail(path, lines, vals.to_numpy() != first.to_numpy(),
              f"the {col.replace('_', ' ')} differs between answers of one question", col,
              f"one {col} for every answer of a question in a wave and subgroup ({first.iloc[0]:g} on its first row)",
              df[col])
    total = pd.Series(count).groupby([keyed[c] for c in GROUP]).transform("sum").to_numpy()
    _fail(path, lines, total > base * (1 + 1e-9), "the answers add up to more than the base", "count",
          "counts of one question adding up to no more than its base", pd.Series(total))


def _positive(df: pd.DataFrame, num: dict[str, np.ndarray], path: Path, lines: np.ndarray) -> np.ndarray:
    """Which rows are favourable answers: the ``positive`` column, else the top two (or top) scores."""
    flagged = df["positive"].str.lower().isin(YES).to_numpy()
    has_flag = pd.Series(flagged).groupby([df["survey"], df["question_id"]]).transform("any").to_numpy()
    score = num["score"]
    out = flagged.copy()
    for (_, _), idx in df.groupby(["survey", "question_id"]).groups.items():
        idx = np.asarray(idx)
        if has_flag[idx[0]]:
            continue
        s = np.unique(score[idx][~np.isnan(score[idx])])
        if s.size < 2:
            i = idx[0]
            raise InputError("a question has no favourable answers marked and no scores", path=path,
                             line=int(lines[i]), field="positive",
                             expected="'yes' in positive for the favourable answers, or a score for each answer",
                             got=df.at[i, "question_id"])
        top = s[-2:] if s.size >= 4 else s[-1:]
        out[idx] = np.isin(score[idx], top)
    return out


def _breakdown(sub_type: str, sub: str) -> tuple[str, str, str]:
    """(sex, age, category) columns for a subgroup."""
    t = sub_type.lower()
    if t in ("sex", "gender"):
        return SEXES[sub.lower()], "All ages", ""
    if t in ("age", "age band", "age group"):
        return "Persons", sub, ""
    if not t:
        return "Persons", "All ages", ""
    return "Persons", "All ages", f"{sub_type}: {sub}"


def _measures(df: pd.DataFrame, num: dict[str, np.ndarray], positive: np.ndarray, path: Path,
              lines: np.ndarray) -> tuple[list[dict], dict[str, dict]]:
    rows: list[dict] = []
    meta: dict[str, dict] = {}
    themes: dict[tuple, list[MeanScore]] = {}
    theme_line: dict[tuple, int] = {}
    theme_names: dict[str, tuple[str, str]] = {}
    for key, idx in df.groupby(GROUP, sort=True).groups.items():
        idx = np.asarray(idx)
        survey, area, wave, qid, sub_type, sub = key
        first = idx[0]
        sslug = survey_slug(survey)
        sex, age, category = _breakdown(sub_type, sub)
        base = float(num["base"][first])
        deff = float(num["deff"][first]) if np.isfinite(num["deff"][first]) else 1.0
        wb = num["weighted_base"][first]
        pos = idx[positive[idx]]
        count = float(num["count"][pos].sum())
        if np.isfinite(wb):
            p = float(np.nan_to_num(num["weighted_count"][pos]).sum() / wb)
        else:
            p = count / base
        text = df.at[first, "question_text"]
        where = dict(area_code=area, sex=sex, age=age, category=category, wave_label=wave, _line=int(lines[first]))
        ind = f"{PREFIX}:{sslug}:{qid}"
        labels = sorted(set(df.loc[pos, "response"]), key=list(df.loc[idx, "response"]).index)
        meta.setdefault(ind, _meta(ind, f"{text} (% {' or '.join(labels) or 'favourable'})", "%", "proportion", 100.0,
                                   survey, qid, f"{survey}: {text}; favourable answers: {', '.join(labels)}", path))
        rows.append(_ci_row(ind, where, p * 100, *_wilson(p, base, deff), count=p * base, denominator=base))
        scored = idx[~np.isnan(num["score"][idx])]
        if scored.size >= 2:
            ms = mean_score(num["count"][scored], num["score"][scored], deff=deff)
            lo_s, hi_s = np.nanmin(num["score"][scored]), np.nanmax(num["score"][scored])
            mid = f"{ind}:mean"
            meta.setdefault(mid, _meta(mid, f"{text} (mean score, {lo_s:g} to {hi_s:g})",
                                       f"mean score ({lo_s:g} to {hi_s:g})", "mean", 1.0, survey, f"{qid}:mean",
                                       f"{survey}: {text}; mean of the scored answers", path))
            rows.append(_ci_row(mid, where, ms.mean, ms.lower, ms.upper, count=np.nan, denominator=ms.n))
            theme = df.at[first, "theme"]
            if theme:
                scale_all = num["score"][df.index[(df["survey"] == survey) & (df["question_id"] == qid)]]
                item = mean_score(num["count"][scored], rescale_0_10(num["score"][scored], low=np.nanmin(scale_all),
                                                                     high=np.nanmax(scale_all)), deff=deff)
                tkey = (survey, area, wave, sub_type, sub, theme)
                themes.setdefault(tkey, []).append(item)
                theme_line.setdefault(tkey, int(lines[first]))
                theme_names[f"{PREFIX}:{sslug}:theme:{survey_slug(theme)}"] = (survey, theme)
        elif df.at[first, "theme"]:
            raise InputError("a question in a theme has no scores", path=path, line=int(lines[first]), field="score",
                             expected="a score for each answer of a question that belongs to a theme",
                             got=df.at[first, "score"])
    for (survey, area, wave, sub_type, sub, theme), items in themes.items():
        tid = f"{PREFIX}:{survey_slug(survey)}:theme:{survey_slug(theme)}"
        ti = theme_index(items)
        sex, age, category = _breakdown(sub_type, sub)
        meta.setdefault(tid, _meta(tid, f"{theme} (index, 0 to 10)", "score (0 to 10)", "index", 1.0, survey,
                                   f"theme:{theme}", f"{survey}: mean of the theme's items, each rescaled to 0-10 "
                                   "(NHS Staff Survey method); interval assumes fully correlated items (conservative)",
                                   path))
        rows.append(_ci_row(tid, dict(area_code=area, sex=sex, age=age, category=category, wave_label=wave,
                                      _line=theme_line[(survey, area, wave, sub_type, sub, theme)]),
                            ti.mean, ti.lower, ti.upper, count=np.nan, denominator=ti.n,
                            note=f"{len(items)} items"))
    return rows, meta


def _wilson(p: float, base: float, deff: float) -> tuple[float, float]:
    lo, hi = wilson_deff_ci(p * base, base, deff=deff, multiplier=100.0)
    return float(lo), float(hi)


def _ci_row(ind: str, where: dict, value: float, lo: float, hi: float, *, count: float, denominator: float,
            note: str | None = None) -> dict:
    return {"indicator_id": ind, **where, "value": value, "lci95": lo, "uci95": hi, "count": count,
            "denominator": denominator, "ci_origin": "computed", "note": note}


def _meta(ind: str, name: str, unit: str, value_type: str, multiplier: float, survey: str, source_id: str,
          description: str, path: Path) -> dict:
    return {"id": ind, "source": SOURCE, "source_id": source_id, "name": name, "unit": unit, "value_type": value_type,
            "multiplier": multiplier, "polarity": "high_is_good", "period_kind": None, "ci_method": "wilson-deff"
            if value_type == "proportion" else "t", "concept": ind, "collection": "own-survey",
            "description": f"{description}. Own survey file {path.name}."}


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """Every survey file (``*.csv``, ``*.xlsx``) under a ``surveys/`` data folder."""
    for p in sorted(Path(folder).rglob("*")):
        if p.suffix.lower() in (".csv", ".xlsx") and p.is_file():
            yield read_file(p, key=p.relative_to(root).as_posix())

