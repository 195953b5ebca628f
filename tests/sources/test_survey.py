"""Survey files (docs/survey-format.md): measures with correct intervals, one clear error per damaged file,
and the store unchanged after a refused import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placeimpact import InputError, open_store
from placeimpact.sources import read_file_as, read_user_file
from placeimpact.sources.survey import read_file
from placeimpact.stats.survey import mean_score, rescale_0_10, theme_index, wilson_deff_ci

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
GOOD = FIX / "survey" / "good.csv"
EXAMPLE = ROOT / "docs" / "examples" / "staff-survey-simulated.csv"
BAD = FIX / "bad_survey"

#: file -> (line, field, words of the message)
CASES = {
    "count_above_base.csv": (2, "count", "exceeds its base"),
    "answers_exceed_base.csv": (2, "count", "add up to more than the base"),
    "base_differs.csv": (3, "base", "base differs"),
    "deff_below_one.csv": (2, "deff", "design effect is below 1"),
    "duplicate_answer.csv": (3, "response", "listed twice"),
    "negative_count.csv": (2, "count", "negative"),
    "count_not_number.csv": (2, "count", "not a number"),
    "positive_not_yes_no.csv": (2, "positive", "not yes or no"),
    "nothing_favourable.csv": (2, "positive", "no favourable answers"),
    "question_worded_twice.csv": (3, "question_text", "two different question texts"),
    "unknown_area.csv": (2, "area_code", "unknown type"),
    "bad_wave.csv": (2, "wave", "not in a known form"),
    "zero_base.csv": (2, "base", "not positive"),
    "theme_without_scores.csv": (2, "score", "no scores"),
    "missing_base_column.csv": (1, "base", "lacks required columns"),
    "unknown_column.csv": (1, "colour", "does not know"),
    "truncated.csv": (3, "count", "fewer fields"),
    "damaged.xlsx": (None, None, "Excel file cannot be read"),
}


def _rows(batch, ind, **where):
    o = batch.observations
    sel = o["indicator_id"] == ind
    for k, v in where.items():
        sel &= o[k] == v
    return o[sel].sort_values("period_start")


def test_percent_positive_mean_and_design_effect():
    b = read_file(GOOD)
    pos = _rows(b, "survey:residents-survey:Q1")
    assert pos["period_label"].tolist() == ["2015", "2018"]
    assert_allclose(pos["value"], [60.0, 72.0])
    lo, hi = wilson_deff_ci(np.array([120, 180]), np.array([200, 250]), deff=np.array([1.0, 2.0]), multiplier=100)
    assert_allclose(pos[["lci95", "uci95"]].to_numpy(), np.c_[lo, hi])
    assert_allclose(pos["lci95"].iloc[1], wilson_deff_ci(90, 125, multiplier=100)[0])   # deff 2 = half the base
    mean = _rows(b, "survey:residents-survey:Q1:mean")
    ms = mean_score(np.array([10, 30, 40, 80, 40]), np.arange(1, 6))
    assert_allclose(mean[["value", "lci95", "uci95"]].iloc[0], [ms.mean, ms.lower, ms.upper])
    ind = b.indicators.set_index("id")
    assert (ind["collection"] == "own-survey").all() and (ind["polarity"] == "high_is_good").all()
    assert ind.loc["survey:residents-survey:Q1", "unit"] == "%"


def test_top_two_box_from_scores_when_nothing_is_marked(tmp_path):
    df = pd.read_csv(GOOD, dtype=str, keep_default_na=False).drop(columns=["positive"])
    p = tmp_path / "scores-only.csv"
    df.to_csv(p, index=False)
    assert_allclose(_rows(read_file(p), "survey:residents-survey:Q1")["value"], [60.0, 72.0])


def test_engagement_index_and_subgroups_of_the_illustrative_file():
    b = read_file(EXAMPLE)
    raw = pd.read_csv(EXAMPLE)
    assert raw["survey"].str.contains("simulated").all() and raw["note"].str.contains("SIMULATED").all()
    theme = _rows(b, "survey:illustrative-staff-survey-simulated:theme:staff-engagement", category="")
    assert theme["period_label"].tolist() == ["2013", "2016", "2017"]
    tot = raw[raw["subgroup"].isna() & (raw["wave"] == 2013) & (raw["theme"] == "Staff engagement")]
    items = [mean_score(g["count"].to_numpy(), rescale_0_10(g["score"].to_numpy(float), low=1, high=5), deff=1.2)
             for _, g in tot.groupby("question_id")]
    ti = theme_index(items)
    assert_allclose(theme[["value", "lci95", "uci95"]].iloc[0], [ti.mean, ti.lower, ti.upper])
    services = _rows(b, "survey:illustrative-staff-survey-simulated:Q1")["category"].unique()
    assert set(services) == {"", "service: Adult social care", "service: Children's services",
                             "service: Place and communities"}


def test_excel_reads_like_csv(tmp_path):
    x = tmp_path / "survey.xlsx"
    pd.read_csv(GOOD, dtype=str, keep_default_na=False).to_excel(x, index=False)
    a, b = read_file(GOOD).observations, read_file(x).observations
    assert_allclose(a[["value", "lci95", "uci95"]].to_numpy(float), b[["value", "lci95", "uci95"]].to_numpy(float))
    assert read_user_file(x).source == "survey" and read_user_file(GOOD).source == "survey"


def test_every_damaged_file_is_covered():
    assert {p.name for p in BAD.iterdir()} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_clear_error_naming_file_line_field(name):
    line, field, words = CASES[name]
    with pytest.raises(InputError) as ei:
        read_file_as(BAD / name, "survey")
    e = ei.value
    assert (Path(e.path).name, e.line, e.field) == (name, line, field)
    assert words in str(e) and e.expected


def test_refused_survey_leaves_the_store_unchanged(tmp_path):
    with open_store(tmp_path / "s.duckdb") as s:
        s.import_batches([read_file(GOOD)])
        before = s.frame("SELECT count(*) n, sum(hash(indicator_id, area_code, category, period_label, value, lci95))"
                         " h FROM observations").iloc[0].tolist()
        with pytest.raises(InputError):
            # a generator: the good file is written inside the transaction before the bad one is read
            s.import_batches(read_file_as(p, "survey") for p in (EXAMPLE, BAD / "count_above_base.csv"))
        after = s.frame("SELECT count(*) n, sum(hash(indicator_id, area_code, category, period_label, value, lci95))"
                        " h FROM observations").iloc[0].tolist()
        assert before == after
        assert s.frame("SELECT count(*) n FROM indicators WHERE id LIKE 'survey:illustrative%'").n[0] == 0
        assert s.indicator("survey:residents-survey:Q1")["collection"] == "own-survey"
