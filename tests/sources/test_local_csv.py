"""The user's long-CSV format: the documented example loads, survey counts become values, metadata is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from placeimpact import InputError, open_store
from placeimpact.sources import FILE_READERS, local_csv, read_file_as

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_documented_example_loads_and_survey_counts_give_values(tmp_path):
    assert FILE_READERS["local-csv"] == "local_csv"
    b = read_file_as(ROOT / "docs" / "examples" / "local-indicators.csv", "local-csv")
    obs = b.observations.set_index(["indicator_id", "period_label"])
    # blank value with count and denominator: 612 of 1000 is 61.2%
    assert_allclose(obs.loc[("local:resident-survey-satisfied", "2016"), "value"], 61.2, rtol=1e-12)
    # survey counts without limits get Wilson limits, marked as computed (statsmodels as the oracle)
    from statsmodels.stats.proportion import proportion_confint

    row = obs.loc[("local:resident-survey-satisfied", "2016")]
    assert row["ci_origin"] == "computed"
    lo, hi = proportion_confint(612, 1000, alpha=0.05, method="wilson")
    assert_allclose([row["lci95"], row["uci95"]], [100 * lo, 100 * hi], rtol=1e-9)
    assert obs.loc[("local:community-volunteers", "2017/18"), "ci_origin"] == "published"
    ind = b.indicators.set_index("id")
    assert ind.loc["local:resident-survey-satisfied", "multiplier"] == 100.0
    assert ind.loc["local:community-volunteers", "period_kind"] == "financial"
    assert set(ind.polarity) == {"high_is_good"}
    with open_store(tmp_path / "s.duckdb") as s:
        s.import_batches([b])
        df = s.series("E08000010", "local:community-volunteers")
        assert_allclose(df[["value", "lci95", "uci95"]].to_numpy(), [[23.5, 21.0, 26.1], [24.9, 22.3, 27.6]],
                        rtol=0, atol=1e-12)


def test_conflicting_indicator_metadata_is_an_error(tmp_path):
    p = tmp_path / "conflict.csv"
    p.write_text("indicator_id,area_code,period,value,unit\nx,E08000010,2016,1.5,%\nx,E08000010,2017,1.6,per 1000\n",
                 encoding="utf-8")
    with pytest.raises(InputError) as ei:
        local_csv.read_file(p)
    assert (ei.value.line, ei.value.field) == (3, "unit") and "two different unit values" in str(ei.value)


def test_sex_is_normalised_and_checked(tmp_path):
    p = tmp_path / "sex.csv"
    p.write_text("indicator_id,area_code,period,value,sex\nx,E08000010,2016,1.5,male\nx,E08000010,2016,1.7,FEMALE\n",
                 encoding="utf-8")
    assert local_csv.read_file(p).observations.sex.tolist() == ["Male", "Female"]
    p.write_text("indicator_id,area_code,period,value,sex\nx,E08000010,2016,1.5,men\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        local_csv.read_file(p)
    assert (ei.value.line, ei.value.field, ei.value.got) == (2, "sex", "men")


def test_rate_from_count_and_denominator_uses_the_multiplier(tmp_path):
    p = tmp_path / "rate.csv"
    p.write_text('indicator_id,area_code,period,value,count,denominator,value_type,multiplier\n'
                 'r,E08000010,2016,,5,20000,crude_rate,1000\nr,E08000010,2017,,7,20000,crude_rate,\n',
                 encoding="utf-8")
    b = local_csv.read_file(p)
    assert_allclose(b.observations.value, [5 / 20000 * 1000, 7 / 20000 * 1000], rtol=1e-12)
    assert b.indicators.multiplier.tolist() == [1000.0]
    # thousands (or decimal) commas are never guessed (issue 11): "20,000" could be 20.000
    p.write_text('indicator_id,area_code,period,value,count,denominator,value_type,multiplier\n'
                 'r,E08000010,2016,,5,"20,000",crude_rate,1000\n', encoding="utf-8")
    with pytest.raises(InputError, match="comma") as ei:
        local_csv.read_file(p)
    assert (ei.value.line, ei.value.field, ei.value.got) == (2, "denominator", "20,000")
