"""EYFSP school readiness: the CSV (with counts) and the two workbooks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from numpy.testing import assert_allclose

from placeimpact.sources import eyfsp, health_index


@pytest.fixture(scope="module")
def csv(data_dir):
    return eyfsp.read_csv(data_dir / "eyfsp-gld" / eyfsp.CSV)


def test_wigan_good_level_of_development(csv):
    o = csv.observations
    w = o[(o["indicator_id"] == "eyfsp:gld") & (o["area_code"] == "E08000010") & (o["sex"] == "Persons")]
    w = w.sort_values("period_start")
    assert w["period_label"].tolist() == ["201213", "201314", "201415", "201516", "201617", "201718", "201819"]
    assert_allclose(w["value"], [37.7, 55.4, 63.8, 67.0, 69.3, 68.6, 67.9], rtol=0, atol=1e-9)
    assert_allclose(w[["count", "denominator"]].iloc[0], [1431, 3799])
    assert (w["period_start"].iloc[0], w["period_end"].iloc[0]) == (date(2012, 9, 1), date(2013, 8, 31))


def test_counts_reproduce_the_published_percentages(csv):
    """gld_number / number_of_children, rounded to one decimal as DfE publishes, is gld_percent."""
    o = csv.observations[csv.observations["count"].notna()]
    assert len(o) == 3 * 3420
    assert_allclose(100 * o["count"] / o["denominator"], o["value"], rtol=0, atol=0.05 + 1e-9)


def test_areas_and_breakdowns(csv):
    o = csv.observations
    assert len(o) == 4 * 3420
    assert set(o["sex"]) == {"Persons", "Female", "Male"}
    gld = o[(o["indicator_id"] == "eyfsp:gld") & (o["sex"] == "Persons")]
    per_year = gld[gld["area_code"].str[:3].isin(["E06", "E08", "E09", "E10"])].groupby("period_label").size()
    assert per_year["201718"] == 152 and per_year["201819"] == 151  # BCP and Dorset replace 3 councils
    assert "E06000058" in set(gld.loc[gld["period_label"] == "201819", "area_code"])
    assert {"E92000001", "E12000002", "E13000001"} <= set(gld["area_code"])
    ind = csv.indicators.set_index("id").loc["eyfsp:gld"]
    assert (ind["concept"], ind["polarity"], ind["period_kind"]) == ("school-readiness-gld", "high_is_good",
                                                                     "academic")


def test_health_index_early_years_input_is_the_academic_year_ending_in_its_year(csv, data_dir):
    """The Health Index's ey_dev for 2016 is EYFSP GLD for 2015/16 (computed unrounded, so within 0.06)."""
    book = health_index.read_codebook(data_dir / "health-index")
    hi = health_index.read_table(data_dir / "health-index" / "data" / "England_all_geog_aggregated_2016.csv",
                                 book).observations
    hi = hi[hi["indicator_id"] == "health-index:ey_dev"].set_index("area_code")["value"]
    o = csv.observations
    g = o[(o["indicator_id"] == "eyfsp:gld") & (o["sex"] == "Persons") & (o["period_label"] == "201516")]
    j = g.set_index("area_code")["value"].to_frame("gld").join(hi.rename("hi"), how="inner")
    assert len(j) >= 140
    assert np.mean(np.abs(j["gld"] - j["hi"]) <= 0.06) > 0.95


def test_workbooks(data_dir):
    la = eyfsp.read_la_xlsx(data_dir / "eyfsp-gld" / eyfsp.LA_XLSX)
    assert len(la.observations) == 10245
    assert set(la.observations["category"]) == {"", "FSM", "Not FSM"}
    dot = la.observations["value"].isna()
    assert dot.sum() == 9 and la.observations.loc[dot, "note"].str.startswith("not applicable").all()
    w = la.observations[(la.observations["area_code"] == "E08000010")
                        & (la.observations["indicator_id"] == "eyfsp:at-least-expected-literacy")
                        & (la.observations["period_label"] == "201819")].set_index("category")
    assert set(w.index) == {"", "FSM", "Not FSM"}
    assert_allclose(100 * w["count"] / w["denominator"], w["value"], rtol=0, atol=0.5 + 1e-9)  # whole percents
    lad = eyfsp.read_lad_xlsx(data_dir / "eyfsp-gld" / eyfsp.LAD_XLSX)
    assert len(lad.observations) == 3 * 2001
    assert (lad.observations["area_code"].str[:3] == "E07").sum() == 3 * 1197
