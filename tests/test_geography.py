"""Boundary changes: successor_map on the real register, harmonise on real series."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from placeimpact.geography import existed_during, harmonise, region_code_from_name, successor_map
from placeimpact.sources import mysociety


@pytest.fixture(scope="module")
def areas(data_dir) -> pd.DataFrame:
    return next(mysociety.read_folder(data_dir / "lookups", data_dir)).areas


@pytest.fixture(scope="module")
def smap(areas) -> pd.DataFrame:
    return successor_map(areas)


def _edges(m: pd.DataFrame, new: str) -> pd.DataFrame:
    return m[m["new_code"] == new].set_index("old_code")


def test_2019_bcp_is_a_merge_not_mapped(smap):
    bcp = _edges(smap, "E06000058")
    assert set(bcp.index) == {"E06000028", "E06000029", "E07000048"}  # Bournemouth, Poole, Christchurch
    assert (bcp["kind"] == "merge").all() and not bcp["exact"].any()
    assert set(bcp["changed_on"]) == {date(2019, 4, 1)}
    # Dorset County lost Christchurch to BCP: not the same boundary as Dorset Council
    assert smap.set_index("old_code").loc["E10000009", "kind"] == "merge"


def test_2020_buckinghamshire(smap):
    bucks = _edges(smap, "E06000060")
    districts = {"E07000004", "E07000005", "E07000006", "E07000007"}
    assert set(bucks.index) == districts | {"E10000002"}
    assert (bucks.loc[sorted(districts), "kind"] == "merge").all()
    assert bucks.loc["E10000002", "kind"] == "same_boundary" and bucks.loc["E10000002", "exact"]
    assert bucks.loc["E10000002", "changed_on"] == date(2020, 4, 1)


def test_2021_northamptonshire_split(smap):
    nth = smap[smap["old_code"] == "E10000021"]
    assert set(nth["new_code"]) == {"E06000061", "E06000062"}
    assert (nth["kind"] == "split").all() and not nth["exact"].any()
    assert _edges(smap, "E06000061").loc["E07000150", "kind"] == "merge"  # Corby


def test_2023_cumbria_north_yorkshire_somerset(smap):
    old = smap.set_index(["old_code", "new_code"])
    assert old.loc[("E10000006", "E06000063"), "kind"] == "split"  # Cumbria
    assert old.loc[("E10000023", "E06000065"), "kind"] == "same_boundary"  # North Yorkshire
    # Somerset: Taunton Deane reached the unitary through Somerset West and Taunton (2019)
    assert old.loc[("E10000027", "E06000066"), "kind"] == "same_boundary"
    assert old.loc[("E07000190", "E07000246"), "kind"] == "merge"
    assert old.loc[("E07000246", "E06000066"), "kind"] == "merge"


def test_recodes_and_year_filter(smap, areas):
    old = smap.set_index("old_code")
    assert old.loc["E06000048", "kind"] == "recode" and old.loc["E06000048", "exact"]  # Northumberland
    assert old.loc["E08000020", "new_code"] == "E08000037" and old.loc["E08000020", "exact"]  # Gateshead
    assert not old.loc["E47000005", "exact"]  # a combined authority that changed members
    m = successor_map(areas, years=(2019, 2020, 2021, 2023))
    assert set(pd.to_datetime(m["changed_on"]).dt.year) == {2019, 2020, 2021, 2023}
    assert len(m) == 50  # every English reorganisation edge of those years, no recodes (undated)


def test_store_input_gives_the_same_map(loaded_store, smap):
    """The store's map is the register's plus the recodes the ONS files state (issue 11: Barnsley and
    Sheffield's 2025 codes, from the ONS rows' 'Obsolete code ... replaced by' notes and boundaries)."""
    m = successor_map(loaded_store)
    key = ["old_code", "new_code", "kind"]
    store_edges = set(map(tuple, m[key].to_numpy()))
    register_edges = set(map(tuple, smap[key].to_numpy()))
    assert register_edges <= store_edges
    assert store_edges - register_edges == {
        ("E08000016", "E08000038", "recode"), ("E08000019", "E08000039", "recode"),   # Barnsley, Sheffield
        ("E11000004", "E11000007", "recode"),                                          # Tyne and Wear
        ("E47000010", "E47000014", "merge"), ("E47000011", "E47000014", "merge")}      # North East CA 2024


def test_harmonise_real_ascof_series(loaded_store):
    obs = loaded_store.observations("ascof:3A", sex="Persons", age="All ages")
    before = obs.copy()
    h = harmonise(obs, loaded_store)
    pd.testing.assert_frame_equal(obs, before)  # the caller's frame is not touched
    bucks = h[h["area_code"] == "E06000060"].sort_values("period_start")
    # Buckinghamshire County's 2018/19 and 2019/20 values join the council's 2020/21 (same boundary)
    assert bucks["period_label"].tolist() == ["2018/19", "2019/20", "2020/21"]
    assert bucks["boundary_status"].tolist() == ["recoded", "recoded", "current"]
    assert bucks["reported_code"].tolist() == ["E10000002", "E10000002", "E06000060"]
    # Bournemouth and Poole are flagged and never mixed into BCP
    bour = h[h["reported_code"] == "E06000028"]
    assert len(bour) == 1 and bour["boundary_status"].iloc[0] == "abolished"
    assert "E06000058" in bour["boundary_note"].iloc[0] and bour["area_code"].iloc[0] == "E06000028"
    assert (h.loc[h["area_code"] == "E06000058", "boundary_status"] == "current").all()
    assert not h.duplicated(["area_code", "sex", "age", "category", "period_label"]).any()


def test_harmonise_prefers_the_row_published_under_the_current_code(areas):
    obs = pd.DataFrame({"indicator_id": "x", "area_code": ["E06000048", "E06000057", "E06000048"],
                        "sex": "Persons", "age": "All ages", "category": "",
                        "period_label": ["2011", "2011", "2010"], "value": [1.0, 2.0, 3.0]})
    h = harmonise(obs, areas)
    assert h["boundary_status"].tolist() == ["superseded", "current", "recoded"]
    assert h["area_code"].tolist() == ["E06000048", "E06000057", "E06000057"]


def test_region_names_and_existed_during(areas):
    codes = region_code_from_name(pd.Series(["North West", "yorkshire and the humber", "Wales", "Atlantis"]))
    assert codes.tolist() == ["E12000002", "E12000003", "W92000004", None]
    during = existed_during(areas.set_index("code").loc[["E06000028", "E06000058"]].reset_index(),
                            date(2017, 4, 1), date(2018, 3, 31))
    assert during.tolist() == [True, False]


def test_existed_during_with_no_dates_known():
    """Areas with no validity dates at all (a register not loaded) count as existing."""
    from datetime import date

    import pandas as pd

    from placeimpact.geography import existed_during

    areas = pd.DataFrame({"code": ["E08000010", "E06000058"], "valid_from": [None, None], "valid_to": [None, None]})
    assert existed_during(areas, date(2010, 1, 1), date(2010, 12, 31)).tolist() == [True, True]
    areas["valid_from"] = [None, "2019-04-01"]
    assert existed_during(areas, date(2010, 1, 1), date(2010, 12, 31)).tolist() == [True, False]
