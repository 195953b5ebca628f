"""Trafford Data Lab tidy CSVs and comparator lists: known cells of the real files, and bad files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placeimpact.errors import InputError
from placeimpact.periods import parse_period
from placeimpact.sources import fingertips_tidy as ft

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tidy"


@pytest.fixture(scope="module")
def batches(data_dir) -> dict:
    out = {}
    for folder in ft.SOURCES:
        for b in ft.read_folder(data_dir / folder, data_dir):
            out[b.key] = b
    return out


def _obs(batches, key: str) -> pd.DataFrame:
    return batches[key].observations


def test_every_indicator_file_read_and_listings_skipped(batches, data_dir):
    keys = set(batches)
    assert len(keys) == 80  # 33 + 5 comparator lists (themes), 1 (older themes), 41 (dashboard)
    assert "trafford-dashboard/data/pride/potholes.csv" not in keys
    assert "trafford-dashboard/data/housing/licensed_hmos.csv" not in keys
    assert all(b.source == k.split("/")[0] for k, b in batches.items())
    ids = pd.concat([b.indicators for b in batches.values()])["id"]
    assert ids.is_unique  # the two trafford_themes vintages never collide
    assert len(_obs(batches, "trafford-themes/data/health/mortality_rate.csv")) == 9801
    assert len(_obs(batches, "trafford-themes-55c6d8c5/data/health/healthy_life_expectancy.csv")) == 4308


def test_wigan_healthy_life_expectancy_by_sex_with_published_comparison(batches):
    o = _obs(batches, "trafford-themes/data/health/healthy_life_expectancy.csv")
    w = o[(o["area_code"] == "E08000010") & (o["period_label"] == "2015 - 17")].set_index("sex")
    assert_allclose(w.loc[["Male", "Female"], "value"], [60.7, 61.5], rtol=0, atol=1e-9)
    assert w.loc["Male", "note"] == "compared_to_england=Worse"
    assert w.loc["Female", "note"] == "compared_to_england=Similar"
    assert w.loc["Male", "period_start"] == date(2015, 1, 1) and w.loc["Male", "period_end"] == date(2017, 12, 31)
    ind = batches["trafford-themes/data/health/healthy_life_expectancy.csv"].indicators.iloc[0]
    assert (ind["id"], ind["source_id"], ind["concept"], ind["polarity"], ind["value_type"]) == (
        "trafford-themes:healthy_life_expectancy", "90362", "healthy-life-expectancy", "high_is_good",
        "life_expectancy")
    old = _obs(batches, "trafford-dashboard/data/health/healthy_life_expectancy_at_birth.csv")
    w0 = old[(old["area_code"] == "E08000010") & (old["period_label"] == "2009-11")].set_index("sex")
    assert_allclose(w0.loc[["Male", "Female"], "value"], [58.9, 60.0], rtol=0, atol=1e-9)


def test_sex_from_unit_and_deprivation_category(batches):
    o = _obs(batches, "trafford-themes/data/health/mortality_rate.csv")
    w = o[(o["area_code"] == "E08000010") & (o["period_label"] == "2014")].set_index("sex")["value"]
    assert_allclose(w[["Male", "Female", "Persons"]], [242.6, 122.8, 182.4], rtol=0, atol=1e-9)
    ob = _obs(batches, "trafford-themes/data/children/obese_reception.csv")
    assert {"Most deprived quintile", "Least deprived quintile", ""} <= set(ob["category"])


def test_fingertips_ids_matched_from_metadata(batches):
    ind = batches["trafford-themes/data/children/obese_reception.csv"].indicators.set_index("name")["source_id"]
    assert ind["Reception prevalence of obesity (including severe obesity)"] == "90319"
    assert ind["Reception prevalence of obesity (including severe obesity), 5 years data combined"] == "92026"
    assert ind["Reception prevalence of obesity (including severe obesity), 3 years data combined"] == "93105"
    mmr = batches["trafford-themes/data/children/vaccination_mmr.csv"].indicators.set_index("name")["source_id"]
    assert mmr["Population vaccination coverage: MMR for two doses (5 years old)"] == "30311"
    assert pd.isna(mmr["Population vaccination coverage: MMR for one dose (2 years old)"])  # linked by a word


def test_swapped_code_and_name_put_right(batches):
    o = _obs(batches, "trafford-dashboard/data/green/co2_emissions.csv")
    assert set(o["area_code"]) == {"E08000009"} and len(o) == 52
    assert o["note"].str.contains("swapped").all()
    assert batches["trafford-dashboard/data/green/co2_emissions.csv"].areas["name"].tolist() == ["Trafford"]


def test_mixed_periods_fractions_and_missing_values(batches):
    hc = _obs(batches, "trafford-themes/data/health/nhs_health_checks.csv")
    row = hc[(hc["area_code"] == "E08000010") & (hc["period_label"] == "2021/22 Q1 - 2025/26 Q3")].iloc[0]
    assert_allclose(row["value"], 51.9, rtol=0, atol=1e-9)
    assert (row["period_start"], row["period_end"]) == (date(2021, 4, 1), date(2025, 12, 31))
    with pytest.raises(ValueError, match="last quarter before the first"):
        parse_period("2022/23 Q1 - 2021/22 Q4")
    crime = _obs(batches, "trafford-dashboard/data/pride/crime_rate.csv")
    assert crime["value"].isna().sum() == (pd.read_csv(
        Path(batches["trafford-dashboard/data/pride/crime_rate.csv"].files[0]), dtype=str)["value"] == ":").sum()
    rec = batches["trafford-dashboard/data/pride/recycling.csv"].indicators.iloc[0]
    assert (rec["value_type"], rec["multiplier"]) == ("proportion", 1.0)  # published as 0.408, not 40.8


def test_comparator_lists(batches):
    g = batches["trafford-themes/data/cipfa2019.csv"].groups
    assert (g["group_id"].unique().tolist(), g["focal_area"].unique().tolist()) == (["cipfa-2019"], ["E08000009"])
    assert g["rank"].tolist() == list(range(1, 16)) and g["member_area"].iloc[0] == "E06000007"  # Warrington
    sizes = {k.split("/")[-1]: len(b.groups) for k, b in batches.items() if len(b.groups)}
    assert sizes == {"cipfa2019.csv": 15, "cipfa2021.csv": 15, "cipfalga0724.csv": 15, "cssn.csv": 10,
                     "nhsennpg.csv": 15}


def test_same_fingertips_indicator_agrees_across_repositories(batches):
    """Fingertips 92443 (adult smoking, APS) in the 2019 dashboard and the 2026 themes file."""
    a = _obs(batches, "trafford-dashboard/data/health/smoking_adults.csv")
    b = _obs(batches, "trafford-themes/data/health/adults_smoking.csv")
    j = a.merge(b, on=["area_code", "period_label", "sex"])
    assert len(j) > 2000
    assert_allclose(j["value_x"], j["value_y"], rtol=0, atol=1e-9, equal_nan=True)


def test_themes_hle_matches_ons_els_in_the_store(loaded_store):
    """The 2026 vintage carries ONS's revised back series: same numbers as Explore Local Statistics."""
    t = loaded_store.observations("trafford-themes:healthy_life_expectancy", areas=["E08000010"])
    o = loaded_store.observations("ons-els:male-healthy-life-expectancy", areas=["E08000010"])
    j = t[t["sex"] == "Male"].merge(o, on=["area_code", "period_start", "period_end"])
    assert len(j) >= 6
    assert_allclose(j["value_x"], j["value_y"], rtol=0, atol=1e-9)


def test_bad_value_names_the_right_file_among_several(tmp_path):
    folder = tmp_path / "trafford-test"
    (folder / "data" / "health").mkdir(parents=True)
    shutil.copy(FIXTURES / "good.csv", folder / "data" / "health" / "a_good.csv")
    shutil.copy(FIXTURES / "bad_value.csv", folder / "data" / "health" / "b_bad.csv")
    with pytest.raises(InputError, match="not a number") as e:
        list(ft.read_folder(folder, tmp_path))
    assert e.value.path.endswith("b_bad.csv") and (e.value.line, e.value.field, e.value.got) == (3, "value", "forty")


def test_good_fixture_reads():
    b = ft.read_file(FIXTURES / "good.csv", folder="trafford-test")
    assert b.indicators["id"].tolist() == ["trafford-test:good"]
    assert_allclose(b.observations["value"], [50.0, 45.5])
    assert b.observations["note"].tolist()[1] == "compared_to_england=Worse"
    assert np.isnan(b.observations["lci95"]).all()  # no confidence limits in this format


def test_conflicting_duplicate_and_missing_column():
    with pytest.raises(InputError, match="duplicated") as e:
        ft.read_file(FIXTURES / "conflicting_duplicate.csv", folder="trafford-test")
    assert e.value.line == 4 and "line 2" in str(e.value)
    with pytest.raises(InputError, match="lacks required columns") as e:
        ft.read_file(FIXTURES / "missing_value_column.csv", folder="trafford-test")
    assert (e.value.line, e.value.field) == (1, "value")
