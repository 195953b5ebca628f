"""FingertipsNext extract: published values, limits, counts and breakdowns kept exactly as in healthdata.csv."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from numpy.testing import assert_allclose

from placeimpact import open_store
from placeimpact.records import POLARITIES, VALUE_TYPES
from placeimpact.sources import fingertips_next
from placeimpact.sources.fingertips_meta import CURATED


@pytest.fixture(scope="module")
def extract(data_dir):
    return data_dir / "fingertips-nw-extract"


@pytest.fixture(scope="module")
def batch(extract):
    return fingertips_next.read_extract(extract)


def _raw_rows(extract, **match):
    """Rows of healthdata.csv read with the csv module (independent of the reader)."""
    with open(extract / "healthdata.csv", encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.DictReader(fh) if all(r[k] == v for k, v in match.items())]


def test_value_limits_count_denominator_exactly_as_published(batch, extract):
    raw = _raw_rows(extract, IndicatorId="93763", AreaCode="E08000010", Sex="Persons", Category="")
    assert len(raw) == 6  # Wigan alcohol-related mortality 2018-2023
    obs = batch.observations
    got = obs[(obs.indicator_id == "fingertips:93763") & (obs.area_code == "E08000010") & (obs.sex == "Persons")
              & (obs.category == "")].set_index("period_label")
    for r in raw:
        row = got.loc[r["Year"]]
        want = [float(r[c]) for c in ("Value", "LowerCI", "UpperCI", "Count", "Denominator")]
        assert_allclose(row[["value", "lci95", "uci95", "count", "denominator"]].to_numpy(float), want,
                        rtol=0, atol=0)
        assert row["ci_origin"] == "published"


def test_breakdowns_stay_distinct(batch):
    obs = batch.observations
    eng = obs[(obs.indicator_id == "fingertips:20401") & (obs.area_code == "E92000001") & (obs.period_label == "2019")]
    # all-persons row plus 10 deciles under each of the two decile geographies
    assert (eng.category == "").sum() == 1
    cats = eng.category[eng.category != ""]
    assert len(cats) == cats.nunique() == 20
    assert all(": " in c and not c.startswith('"') for c in cats)
    assert obs.duplicated(["indicator_id", "area_code", "sex", "age", "category", "period_label"]).sum() == 0
    sexes = set(obs.loc[obs.indicator_id == "fingertips:22401", "sex"])
    assert sexes == {"Persons", "Male", "Female"}


def test_ambiguous_rows_are_left_out_and_counted(batch):
    obs = batch.observations
    assert not (obs.indicator_id == "fingertips:91040").any()  # quarters not labelled in the extract
    assert batch.dropped["quarterly indicator given without its quarter (91040)"] == 1166
    # two vintages of the sub-ICB breast screening figures: neither is imported
    assert not ((obs.indicator_id == "fingertips:94063") & (obs.area_code == "E38000014")).any()
    assert batch.dropped["same indicator/area/breakdown/year published with different values"] == 170


def test_inconsistent_published_limits_are_blanked_not_used(batch):
    obs = batch.observations
    bad = obs[obs.note.fillna("").str.contains("inconsistent")]
    assert len(bad) == batch.dropped[
        "published confidence limits inconsistent with the value (limits blanked, row kept)"] == 31
    # 30 acute hepatitis B rows carry limits far from the rate (0.07 with 1.6 to 11.7); England's 2022 row
    # of 93701 gives 15.6 (15.556% rounded) above its upper limit 15.59
    assert (bad.indicator_id == "fingertips:93124").sum() == 30
    assert bad[["lci95", "uci95"]].isna().all().all()
    ok = obs[obs.lci95.notna()]
    assert (ok.lci95 <= ok.value + 1e-9).all() and (ok.uci95 >= ok.value - 1e-9).all()


def test_curated_metadata_covers_every_indicator_and_matches_the_data(batch):
    ind = batch.indicators.set_index("source_id")
    assert set(ind.index) <= set(CURATED) and len(ind) == 31
    assert ind.value_type.isin(VALUE_TYPES).all() and ind.polarity.isin(POLARITIES).all()
    # the multiplier is what turns count/denominator into the published value for crude figures
    obs = batch.observations.assign(source_id=lambda d: d.indicator_id.str.split(":").str[1])
    crude = [k for k, m in CURATED.items() if m.ci_method in ("wilson", "byar") and m.value_type != "ratio"]
    for sid in crude:
        o = obs[(obs.source_id == sid) & obs["count"].notna() & obs.denominator.notna() & obs.value.notna()]
        if len(o) == 0:
            continue
        mult = ind.loc[sid, "multiplier"]
        ratio = o.value / (o["count"] / o.denominator * mult)
        assert np.nanmedian(ratio) == pytest.approx(1.0, abs=2e-3), sid


def test_areas_have_parents_and_types(batch):
    a = batch.areas.set_index("code")
    assert a.loc["E07000117", "parent_code"] == "E10000017"  # Burnley in Lancashire
    assert a.loc["E07000117", "region_code"] == "E12000002"
    assert a.loc["E08000010", "name"] == "Wigan"
    assert a.loc["A82003", "area_type"] == "gp_practice" and a.loc["A82003", "parent_code"] == "U25520"
    assert a.loc["U25520", "area_type"] == "primary_care_network"


def test_import_is_idempotent(tmp_path, data_dir):
    folder = data_dir / "fingertips-nw-extract"
    with open_store(tmp_path / "ft.duckdb") as s:
        first = s.import_batches(fingertips_next.read_folder(folder, data_dir))
        before = s.counts()
        again = s.import_batches(fingertips_next.read_folder(folder, data_dir))
        assert first.table.status.tolist() == ["new"] and again.table.status.tolist() == ["unchanged"]
        assert s.counts() == before
        df = s.series("Wigan", "fingertips:93763", sex="Persons", category="")
        assert df.period_label.tolist() == ["2018", "2019", "2020", "2021", "2022", "2023"]
        assert s.area("E07000117")["parent_code"] == "E10000017"
