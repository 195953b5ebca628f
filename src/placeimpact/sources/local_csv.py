"""A user's own indicators and survey results: the documented long CSV (``docs/local-csv-format.md``).

One row per indicator x area x breakdown x period. Required columns ``indicator_id``,
``area_code``, ``period`` and ``value`` (a ``value`` cell may be blank when ``count`` and
``denominator`` are given: survey results; the value is then ``count / denominator x
multiplier``). Optional: ``indicator_name``, ``lower_ci``, ``upper_ci``, ``lower_ci_998``,
``upper_ci_998``, ``count``, ``denominator``, ``unit``, ``value_type``, ``multiplier``,
``polarity``, ``concept``, ``sex``, ``age``, ``category``, ``note``.

Validation is strict, because nobody else has checked the file: an unknown column, a
non-numeric number, an area code that is not a GSS code of a known type, a period in no
known form, a confidence limit on the wrong side of the value, a count above its
denominator, indicator metadata that differs between rows of one indicator, or a key
given twice each raise one :class:`InputError` naming file, line, field and what was
expected. Indicator ids become ``local:<indicator_id>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geography import area_type_from_code
from ..periods import parse_period
from ..records import (
    fail_first,
    POLARITIES,
    VALUE_TYPES,
    Batch,
    add_periods,
    check_area_codes,
    check_ci_order,
    check_unique,
    indicator_frame,
    observation_frame,
    read_text_csv,
    to_number,
)

SOURCE = "local-csv"
PREFIX = "local"
REQUIRED = ("indicator_id", "area_code", "period", "value")
OPTIONAL = ("indicator_name", "lower_ci", "upper_ci", "lower_ci_998", "upper_ci_998", "count", "denominator",
            "unit", "value_type", "multiplier", "polarity", "concept", "sex", "age", "category", "note")
INDICATOR_FIELDS = ("indicator_name", "unit", "value_type", "multiplier", "polarity", "concept")
SEXES = {"persons": "Persons", "male": "Male", "female": "Female"}
DEFAULT_MULTIPLIER = {"proportion": 100.0, "crude_rate": 100000.0, "dsr": 100000.0}


_fail = fail_first   # the first bad row raises one error naming file, line, field and value


def _indicator_table(df: pd.DataFrame, path: Path, lines: np.ndarray) -> pd.DataFrame:
    """One row per indicator; a field given differently on two rows of one indicator is an error."""
    rows = []
    for ind, grp in df.groupby("indicator_id", sort=True):
        meta = {}
        for col in INDICATOR_FIELDS:
            vals = grp[col].str.strip()
            given = vals[vals != ""]
            if given.nunique() > 1:
                second = given[given != given.iloc[0]].index[0]
                raise InputError(f"indicator {ind!r} has two different {col} values", path=path,
                                 line=int(lines[second]), field=col,
                                 expected=f"the same {col} on every row of the indicator ({given.iloc[0]!r})",
                                 got=str(df.at[second, col]))
            meta[col] = given.iloc[0] if len(given) else ""
        rows.append({"indicator_id": ind, **meta})
    return pd.DataFrame(rows)


def read_file(path: Path, *, key: str | None = None) -> Batch:
    """Read one local long CSV into a :class:`Batch`, validating every row."""
    path = Path(path)
    df = read_text_csv(path, required=REQUIRED)
    lines = df["_line"].to_numpy()
    unknown = [c for c in df.columns if c not in REQUIRED + OPTIONAL + ("_line",)]
    if unknown:
        raise InputError("the header has a column this format does not know", path=path, line=1, field=unknown[0],
                         expected="columns among " + ", ".join(REQUIRED + OPTIONAL),
                         got=unknown[0], hint="Rename or remove it (see docs/local-csv-format.md)")
    for col in OPTIONAL:
        if col not in df.columns:
            df[col] = ""
    for col in REQUIRED + OPTIONAL:
        df[col] = df[col].str.strip()

    ids = df["indicator_id"]
    _fail(path, lines, ~ids.str.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*"), "an indicator id is not a simple name",
          "indicator_id", "letters, digits, '.', '_' or '-' (e.g. survey-satisfaction)", ids)
    check_area_codes(df["area_code"], path=path, field="area_code", lines=lines)
    _fail(path, lines, df["area_code"].map(area_type_from_code) == "other", "an area code is of an unknown type",
          "area_code", "a GSS code of a known area type (E92 England, E12 region, E06/E07/E08/E09/E10 councils, ...)",
          df["area_code"], hint="Check the code with 'placeimpact areas search NAME'")
    sex = df["sex"].str.lower().map(SEXES)
    _fail(path, lines, sex.isna() & (df["sex"] != ""), "a sex is not Persons, Male or Female", "sex",
          "Persons, Male, Female or blank (Persons)", df["sex"])
    _fail(path, lines, ~df["value_type"].isin(("",) + VALUE_TYPES), "a value type is not known", "value_type",
          "one of " + ", ".join(VALUE_TYPES), df["value_type"])
    _fail(path, lines, ~df["polarity"].isin(("",) + POLARITIES), "a polarity is not known", "polarity",
          "one of " + ", ".join(POLARITIES) + " or blank (no_judgement)", df["polarity"])

    num = {c: to_number(df[c], path=path, field=c, lines=lines, missing=frozenset({"", "NA"}))
           for c in ("value", "lower_ci", "upper_ci", "lower_ci_998", "upper_ci_998", "count", "denominator",
                     "multiplier")}
    count, denom = num["count"], num["denominator"]
    _fail(path, lines, count < 0, "a count is negative", "count", "a count of 0 or more", df["count"])
    _fail(path, lines, denom <= 0, "a denominator is not positive", "denominator", "a denominator above 0",
          df["denominator"])
    _fail(path, lines, num["multiplier"] <= 0, "a multiplier is not positive", "multiplier",
          "100 for a percentage, 100000 for a rate per 100,000, 1 otherwise", df["multiplier"])
    _fail(path, lines, (df["value_type"] == "proportion").to_numpy() & (count > denom), "a count exceeds its denominator",
          "count", "a count no larger than the denominator for a proportion", df["count"])
    _fail(path, lines, np.isnan(num["value"]) & (np.isnan(count) | np.isnan(denom)) & (df["note"] == "").to_numpy(),
          "a value is missing", "value", "a number, or count and denominator (survey results), or a note saying why",
          df["value"])

    inds = _indicator_table(df, path, lines)
    vt = inds.set_index("indicator_id")["value_type"].replace("", "mean")
    given = pd.Series(num["multiplier"]).groupby(ids.to_numpy()).first().reindex(vt.index)  # first non-blank
    mult = given.fillna(vt.map(lambda t: DEFAULT_MULTIPLIER.get(t, 1.0))).astype(float)
    row_mult = ids.map(mult).to_numpy(dtype=float)
    value = np.where(np.isnan(num["value"]), count / denom * row_mult, num["value"])

    obs = pd.DataFrame({
        "indicator_id": (PREFIX + ":" + ids).to_numpy(), "area_code": df["area_code"].to_numpy(),
        "sex": sex.fillna("Persons").to_numpy(), "age": df["age"].where(df["age"] != "", "All ages").to_numpy(),
        "category": df["category"].to_numpy(), "value": value, "lci95": num["lower_ci"], "uci95": num["upper_ci"],
        "lci998": num["lower_ci_998"], "uci998": num["upper_ci_998"], "count": count, "denominator": denom,
        "note": df["note"].where(df["note"] != "", None).to_numpy(), "_line": lines,
    })
    obs = add_periods(obs, df["period"], path=path, field="period", lines=lines)
    # checks on frames named as the file's columns, so that errors name the file's fields
    limits = pd.DataFrame({"value": value, **{c: num[c] for c in ("lower_ci", "upper_ci", "lower_ci_998",
                                                                    "upper_ci_998")}})
    check_ci_order(limits, path=path, lines=lines, lower="lower_ci", upper="upper_ci", on_error="raise")
    check_ci_order(limits, path=path, lines=lines, lower="lower_ci_998", upper="upper_ci_998", on_error="raise")
    keys = obs[["sex", "age", "category", "period_label"]].assign(indicator_id=ids.to_numpy(),
                                                                 area_code=obs["area_code"])
    check_unique(keys.rename(columns={"period_label": "period"}),
                 ["indicator_id", "area_code", "sex", "age", "category", "period"], path=path, lines=lines)

    first_label = obs.drop_duplicates("indicator_id").set_index("indicator_id")["period_label"]
    meta = [{"id": f"{PREFIX}:{r.indicator_id}", "source": SOURCE, "source_id": r.indicator_id,
             "name": r.indicator_name or r.indicator_id, "unit": r.unit or None, "value_type": vt[r.indicator_id],
             "multiplier": mult[r.indicator_id], "polarity": r.polarity or "no_judgement",
             "period_kind": parse_period(first_label[f"{PREFIX}:{r.indicator_id}"]).kind,
             "ci_method": "published" if obs.loc[obs["indicator_id"] == f"{PREFIX}:{r.indicator_id}", "lci95"].notna().any()
             else "none", "concept": r.concept or r.indicator_id, "description": f"local file {path.name}"}
            for r in inds.itertuples(index=False)]
    return Batch(source=SOURCE, key=key or path.name, files=[path], indicators=indicator_frame(meta),
                 observations=observation_frame(obs), areas=pd.DataFrame({"code": obs["area_code"].unique()}))


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """Every ``*.csv`` under a ``local/`` data folder."""
    for p in sorted(Path(folder).rglob("*.csv")):
        yield read_file(p, key=p.relative_to(root).as_posix())
