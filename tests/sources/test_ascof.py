"""ASCOF final_data files: measures as one series across years, the 2019-20 label clash, area features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placeimpact.sources import ascof


@pytest.fixture(scope="module")
def batches(data_dir) -> dict:
    return {b.key.split("/")[-2] + "/" + b.key.split("/")[-1]: b
            for b in ascof.read_folder(data_dir / "ascof", data_dir)}


def _final(batches, year: int) -> pd.DataFrame:
    return batches[f"{year}/final_data_{year}.csv"].observations


def test_files_read_once(batches):
    assert sorted(batches) == ["2019/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx",
                               "2019/final_data_2019.csv", "2020/final_data_2020.csv", "2021/final_data_2021.csv"]
    # measure rows as published (2019 and 2021 have no duplicates; 2020 has 946 label clashes, resolved)
    for year, n in ((2019, 16275), (2020, 12019), (2021, 6518)):
        o = _final(batches, year)
        assert (~o["indicator_id"].isin(["ascof:annual-pay-mean", "ascof:population-18plus"])).sum() == n
    assert batches["2021/final_data_2021.csv"].dropped == {
        "population column repeating final_data_2020's mid-2020 estimates (read once)": 803}


def test_wigan_user_satisfaction_3a(batches):
    values = {}
    for year in (2019, 2020, 2021):
        o = _final(batches, year)
        w = o[(o["indicator_id"] == "ascof:3A") & (o["area_code"] == "E08000010") & (o["sex"] == "Persons")
              & (o["age"] == "All ages")]
        values.update(dict(zip(w["period_label"], w["value"])))
    # 2020-21: the survey was voluntary during the pandemic and Wigan has no 3A value
    assert sorted(values) == ["2018/19", "2019/20"]
    assert_allclose([values["2018/19"], values["2019/20"]], [66.9, 65.8], rtol=0, atol=1e-9)
    ind = batches["2019/final_data_2019.csv"].indicators.set_index("id").loc["ascof:3A"]
    assert (ind["polarity"], ind["concept"], ind["unit"], ind["period_kind"]) == (
        "high_is_good", "ascof-3a", "%", "financial")


def test_2019_20_users_and_carers_told_apart(batches):
    o = _final(batches, 2020)
    eng = o[(o["area_code"] == "E92000001") & (o["sex"] == "Persons") & (o["age"] == "All ages")]
    eng = eng.set_index("indicator_id")["value"]
    assert_allclose(eng[["ascof:1C2A", "ascof:1C2B", "ascof:1C1A", "ascof:1C1B"]], [27.9, 77.1, 91.9, 86.9],
                    rtol=0, atol=1e-9)
    # the assignment by row order agrees with the previous year, where the four are named apart
    prev = _final(batches, 2019)

    def series(frame, ind):
        f = frame[(frame["indicator_id"] == ind) & (frame["sex"] == "Persons") & (frame["age"] == "All ages")]
        return f.set_index("area_code")["value"]

    for users, carers in (("ascof:1C2A", "ascof:1C2B"), ("ascof:1C1A", "ascof:1C1B")):
        same = pd.concat([series(o, users), series(prev, users)], axis=1).dropna().corr().iloc[0, 1]
        cross = pd.concat([series(o, users), series(prev, carers)], axis=1).dropna().corr().iloc[0, 1]
        assert same > 0.4 and same > cross + 0.25, (users, same, cross)


def test_measure_names_match_nhs_digital_codes(data_dir):
    """Every 2020-21 measure name maps to the ASCOF code NHS Digital's own file gives it."""
    raw = pd.read_excel(data_dir / "ascof" / "Data" / "2021" / "meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx",
                        dtype=str, engine="openpyxl", usecols=["Measure Group", "Measure Group Description"]).drop_duplicates()
    raw["mine"] = raw["Measure Group Description"].map(ascof._norm).map(ascof._MEASURE_KEY)
    assert raw["mine"].notna().all()
    assert (raw["mine"] == raw["Measure Group"].str.strip()).all()


def test_imd_from_iod_workbook_equals_the_joined_column(batches, data_dir):
    iod = batches["2019/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"].observations
    rank = iod[iod["indicator_id"] == "ascof:iod2019-imd-average-rank"].set_index("area_code")["value"]
    assert len(rank) == 151
    assert_allclose(rank["E08000010"], 18600.47, rtol=0, atol=1e-9)
    for year in (2019, 2020, 2021):
        raw = pd.read_csv(data_dir / "ascof" / "Data" / str(year) / f"final_data_{year}.csv", dtype=str,
                          keep_default_na=False)
        joined = (raw[raw["IMD - Average rank "] != ""].drop_duplicates("ONS Code")
                  .set_index("ONS Code")["IMD - Average rank "].astype(float))
        common = joined.index.intersection(rank.index)
        assert len(common) >= 140
        assert_allclose(joined[common], rank[common], rtol=0, atol=1e-9)


def test_area_features(batches):
    o = pd.concat([_final(batches, y) for y in (2019, 2020, 2021)])
    pay = o[(o["indicator_id"] == "ascof:annual-pay-mean") & (o["area_code"] == "E08000010")]
    assert dict(zip(pay["period_label"], pay["value"])) == {"2019": 26028.0, "2020": 27507.0, "2021": 28970.0}
    pop = o[(o["indicator_id"] == "ascof:population-18plus") & (o["area_code"] == "E92000001")
            & (o["sex"] == "Persons") & (o["age"] == "All ages")]
    assert_allclose(pop.sort_values("period_label")["value"], [44263393.0, 44456850.0], rtol=0, atol=0.5)
    assert not o.duplicated(["indicator_id", "area_code", "sex", "age", "period_label"]).any()
    assert np.isfinite(pay["value"]).all()
