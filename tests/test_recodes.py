"""Recodes learnt from the sources that state them join series and comparator groups across codes (issue 11)."""

from __future__ import annotations

import pandas as pd
import pytest

from placeimpact.panel import build_panel
from placeimpact.sources.ons_els import recodes_from_notes

RECODED = {"E08000016": "E08000038", "E08000019": "E08000039"}    # Barnsley, Sheffield (2025)


def test_notes_state_the_recode():
    codes = pd.Series(["E08000016", "E08000016", "E08000010", "E06000024"])
    notes = pd.Series(["Obsolete code since 2025 (replaced by E08000038 Barnsley)", "", "",
                       "Obsolete code since 2021 (replaced by E06000061 North Northamptonshire and "
                       "E06000062 West Northamptonshire)"])
    r = recodes_from_notes(codes, notes).set_index("code")
    assert r.loc["E08000016", "replaced_by"] == "E08000038" and r.loc["E08000016", "valid_to"] == "2024-12-31"
    assert r.loc["E06000024", "replaced_by"] == "E06000061,E06000062" and "E08000010" not in r.index


def test_register_learns_barnsley_and_sheffield(loaded_store):
    rec = loaded_store.exact_recodes()
    for old, new in RECODED.items():
        assert rec[old] == new
        assert loaded_store.resolve_area(old) == new
    assert loaded_store.resolve_area("Barnsley") == "E08000038"
    # split or merged areas are not exact recodes
    assert "E10000021" not in rec                        # Northamptonshire, split in 2021


@pytest.mark.parametrize("text,code,former", [("barnsley", "E08000038", "E08000016"),
                                               ("Sheffield", "E08000039", "E08000019"),
                                               ("E08000016", "E08000038", "E08000016")])
def test_search_shows_one_area_with_its_former_codes(loaded_store, text, code, former):
    a = loaded_store.areas(text)
    councils = a[a["code"].str[:3] == "E08"]
    assert councils["code"].tolist() == [code] and councils["former_codes"].tolist() == [former]


def test_series_has_full_history_by_either_code(loaded_store):
    ind = "trafford-themes-55c6d8c5:healthy_life_expectancy"     # published under the old codes only
    for old, new in RECODED.items():
        a = loaded_store.series(old, ind, sex="Male")
        b = loaded_store.series(new, ind, sex="Male")
        assert len(a) == len(b) == 9 and (a["value"].to_numpy() == b["value"].to_numpy()).all()
        assert a["note"].str.startswith("published under former code " + old).all()
        rows = loaded_store.series_rows(new, ind, sex="Male")
        assert [r[9] for r in rows] == b["value"].tolist()


@pytest.mark.parametrize("area", ["E08000016", "E08000038", "Barnsley", "E08000019", "E08000039"])
def test_oflog_neighbours_by_either_code(loaded_store, area):
    g = loaded_store.groups(focal=loaded_store.resolve_area(area), group_id="oflog-nn")
    assert len(g) == 15 and g["rank"].tolist() == list(range(1, 16))
    assert not set(g["member_area"]) & set(RECODED)           # members given their current codes


def test_wigan_neighbours_name_current_codes(loaded_store):
    g = loaded_store.groups(focal="E08000010", group_id="oflog-nn")
    assert {"E08000038", "E08000039"} <= set(g["member_area"]) and len(g) == 15


def test_barnsley_panel_joins_former_code_history(loaded_store):
    for area in ("E08000016", "E08000038"):
        p = build_panel(loaded_store, indicator="trafford-themes-55c6d8c5:healthy_life_expectancy", area=area,
                        comparators="oflog-nn", reform_start="2014-04-01", sex="Female", age="All ages",
                        category="")
        assert p.area_codes[0] == "E08000038" and len(p.area_codes) == 16
        assert pd.notna(p.values[0]).sum() == 9
