"""ONS Health Index input tables, melted to long form, and the population lookup."""

from __future__ import annotations

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placeimpact.sources import health_index


@pytest.fixture(scope="module")
def batches(data_dir) -> dict:
    return {b.key.split("/")[-1]: b for b in health_index.read_folder(data_dir / "health-index", data_dir)}


def test_every_cell_melted(batches):
    # 149 upper-tier councils x 64 / 67 / 66 / 70 indicator columns
    for year, ncol in ((2015, 64), (2016, 67), (2017, 66), (2018, 70)):
        b = batches[f"England_all_geog_aggregated_{year}.csv"]
        assert len(b.indicators) == ncol and len(b.observations) == 149 * ncol
        assert set(b.observations["period_label"]) == {str(year)}
        assert b.observations["area_code"].nunique() == 149


def test_wigan_cells_and_names(batches):
    o = batches["England_all_geog_aggregated_2015.csv"].observations
    w = o[o["area_code"] == "E08000010"].set_index("indicator_id")["value"]
    assert_allclose(w[["health-index:hyp_ten", "health-index:smoke"]], [15.95, 18.7], rtol=0, atol=1e-12)
    ind = batches["England_all_geog_aggregated_2015.csv"].indicators.set_index("id")
    smoke = ind.loc["health-index:smoke"]
    assert smoke["name"] == "Smoking Prevalence in adults (18+) - current smokers"  # stray U+FFFD removed
    assert (smoke["concept"], smoke["polarity"], smoke["value_type"]) == (
        "smoking-prevalence-adults", "low_is_good", "proportion")
    assert ind.loc["health-index:avoid_mort", "value_type"] == "dsr"
    assert ind.loc["health-index:Li.2.1.n", "name"] == "Li.2.1.n"  # not in the codebook: code kept
    assert ind.loc["health-index:Li.2.1.n", "polarity"] == "no_judgement"


def test_population_lookup(batches, data_dir):
    b = batches["geog_pop_lookup.csv"]
    o = b.observations
    assert len(o) == 5 * (149 + 9 + 1)  # councils, regions and England, 2015-2019, each once
    pop = o.set_index(["area_code", "period_label"])["value"]
    assert_allclose([pop[("E08000010", "2015")], pop[("E92000001", "2015")], pop[("E12000002", "2019")]],
                    [322244, 54777305, 7341196], rtol=0, atol=0.5)
    areas = b.areas.set_index("code")
    assert areas.loc["E08000010", "region_code"] == "E12000002"
    # regions add up to England in every year
    reg = o[o["area_code"].str.startswith("E12")].groupby("period_label")["value"].sum()
    eng = o[o["area_code"] == "E92000001"].set_index("period_label")["value"]
    assert_allclose(reg.sort_index(), eng.sort_index(), rtol=0, atol=0.5)


def test_codebook_covers_most_columns(data_dir):
    book = health_index.read_codebook(data_dir / "health-index")
    cols = pd.read_csv(data_dir / "health-index" / "data" / "England_all_geog_aggregated_2018.csv", nrows=0).columns
    named = {c for c in cols[2:] if c in book.index and isinstance(book.loc[c, "name"], str)}
    # every column but the Health Index's 14 intermediate codes (Li.2.1.n, Pe.3.2.b, ...)
    intermediate = {c for c in cols[2:] if "." in c}
    assert len(intermediate) == 14 and named == set(cols[2:]) - intermediate
