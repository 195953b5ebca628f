"""Councils published only inside a combined area (Cornwall with the Isles of Scilly, Hackney with the
City of London): the series, the ``series`` fast path and panels use the combined series, say so, never
mix it with a council's own values and never count it twice in one panel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from placeimpact import build_panel
from placeimpact.errors import MethodError, StoreError
from placeimpact.geography import COMBINED_AREAS, assign_combined, combined_areas_of, combined_note

CVD = "ons-els:preventable-cardiovascular-mortality-england"
STAGE = "ons-els:cancer-diagnosis-at-stage-1-and-2"  # combined for Cornwall only; Hackney and the City have their own
CORNWALL, SCILLY, HACKNEY, CITY, WIGAN = "E06000052", "E06000053", "E09000012", "E09000001", "E08000010"


# -- the curated table --------------------------------------------------------------------------------

def test_table_holds_the_published_combined_codes_and_nothing_else(loaded_store):
    """Every E67 code in the real data is in the table, under its published name, and vice versa."""
    got = loaded_store.frame("SELECT DISTINCT o.area_code, a.name FROM observations o JOIN areas a "
                             "ON a.code = o.area_code WHERE o.area_code LIKE 'E67%'")
    assert dict(zip(got["area_code"], got["name"])) == {c: ca.name for c, ca in COMBINED_AREAS.items()}
    assert set(COMBINED_AREAS["E67000002"].member_codes) == {CORNWALL, SCILLY}
    assert set(COMBINED_AREAS["E67000001"].member_codes) == {HACKNEY, CITY}
    # the designated takers are the larger councils, and real councils in the register
    assert [ca.taker for ca in COMBINED_AREAS.values()] == [HACKNEY, CORNWALL]
    areas = loaded_store.areas().set_index("code")
    for ca in COMBINED_AREAS.values():
        for code, name in ca.members:
            assert areas.loc[code, "name"] == name and pd.isna(areas.loc[code, "valid_to"])


def test_combined_areas_of_and_note():
    assert combined_areas_of([SCILLY]) == ["E67000002"]
    assert combined_areas_of([WIGAN, HACKNEY, CORNWALL]) == ["E67000001", "E67000002"]
    assert combined_areas_of([WIGAN]) == []
    assert combined_note("E67000002", CORNWALL) == (
        "values for Cornwall (E06000052) are for Isles of Scilly, Cornwall combined (E67000002): "
        "this indicator is published only for the combined area")


# -- assign_combined on small frames ------------------------------------------------------------------

def _obs(**series) -> pd.DataFrame:
    """Two periods per area; a value of None makes empty rows (published but suppressed)."""
    rows = [{"area_code": code, "period_label": p, "value": (None if v is None else v + k),
             "area_name": {"E67000002": "Isles of Scilly, Cornwall"}.get(code, code)}
            for code, v in series.items() for k, p in enumerate(("2019", "2020"))]
    return pd.DataFrame(rows).astype({"value": float})


def test_the_small_focal_member_is_not_given_its_partners_series():
    """The Isles of Scilly's 2,200 people are 0.4% of the combined series: it is Cornwall's, not theirs."""
    obs = _obs(E06000053=None, E67000002=30.0, E08000010=80.0)
    out, warns = assign_combined(obs, [SCILLY, WIGAN])
    assert out.loc[out["area_code"] == SCILLY, "value"].isna().all()
    assert "E67000002" not in set(out["area_code"])
    assert warns == ["Isles of Scilly (E06000053) has no values of its own, and those for Isles of Scilly, Cornwall "
                     "combined (E67000002) are almost all Cornwall (E06000052)'s, so they are not used for it"]
    assert obs["area_code"].tolist()[0] == SCILLY and "reported_code" not in obs  # input not modified


def test_the_larger_focal_member_takes_the_combined_series_once():
    obs = _obs(E06000052=None, E67000002=30.0, E08000010=80.0)
    out, warns = assign_combined(obs, [CORNWALL, SCILLY, WIGAN])
    cornwall = out[out["area_code"] == CORNWALL]
    assert cornwall["value"].tolist() == [30.0, 31.0]  # the empty published rows are replaced, not mixed
    assert set(cornwall["reported_code"]) == {"E67000002"}
    assert SCILLY not in set(out["area_code"]) and (out["reported_code"] == "E67000002").sum() == 2  # counted once
    assert warns[0].startswith("values for Cornwall (E06000052) are for Isles of Scilly, Cornwall combined")
    assert "Isles of Scilly (E06000053) left without data" in warns[1]


def test_comparators_give_the_combined_series_to_the_larger_council():
    obs = _obs(E67000002=30.0, E08000010=80.0)
    out, warns = assign_combined(obs, [WIGAN, SCILLY, CORNWALL])
    assert out.loc[out["area_code"] == CORNWALL, "value"].tolist() == [30.0, 31.0]
    assert SCILLY not in set(out["area_code"])
    assert warns[0].startswith("values for comparator Cornwall (E06000052) are for")
    assert "Isles of Scilly (E06000053) left without data" in warns[1]


def test_a_council_with_its_own_values_uses_only_those():
    obs = _obs(E06000052=40.0, E67000002=30.0, E08000010=80.0)
    out, warns = assign_combined(obs, [CORNWALL, WIGAN])
    assert out.loc[out["area_code"] == CORNWALL, "value"].tolist() == [40.0, 41.0]
    assert "E67000002" not in set(out["area_code"]) and warns == []
    # own values elsewhere (another breakdown or period, passed as own) count too
    out, warns = assign_combined(_obs(E06000052=None, E67000002=30.0), [CORNWALL], own=[CORNWALL])
    assert out.loc[out["area_code"] == CORNWALL, "value"].isna().all() and warns == []


def test_the_combined_series_never_sits_beside_a_member_with_its_own_values():
    # a comparator without values is not given it when the other member is in the panel with its own
    obs = _obs(E06000052=40.0, E67000002=30.0, E08000010=80.0)
    out, warns = assign_combined(obs, [WIGAN, CORNWALL, SCILLY])
    assert SCILLY not in set(out["area_code"]) and "E67000002" not in set(out["area_code"])
    assert "Isles of Scilly (E06000053) not given the values" in warns[0] and "Cornwall (E06000052)" in warns[0]
    # the small member as the focal area does not take it either; Cornwall keeps its own values
    out, warns = assign_combined(obs, [SCILLY, CORNWALL, WIGAN])
    assert out.loc[out["area_code"] == SCILLY, "value"].isna().all()
    assert out.loc[out["area_code"] == CORNWALL, "value"].tolist() == [40.0, 41.0]


# -- the store and the command line -------------------------------------------------------------------

def test_cornwall_cvd_series_is_the_combined_series(loaded_store):
    s = loaded_store.series("Cornwall", CVD)
    combined = loaded_store.observations(CVD, areas=["E67000002"])
    assert len(s) == 22 and set(s["area_code"]) == {"E67000002"}
    assert set(s["area_name"]) == {"Isles of Scilly, Cornwall"}
    np.testing.assert_array_equal(s["value"].to_numpy(), combined["value"].to_numpy())
    assert s["note"].str.startswith("values are for Isles of Scilly, Cornwall combined (E67000002): "
                                    "this indicator is published only for the combined area").all()
    assert s.loc[s["period_label"] == "2001-01-01/P3Y", "value"].iloc[0] == pytest.approx(51.06802)
    assert list(s.columns) == list(loaded_store.series("Wigan", CVD).columns)
    # the partner councils: the Isles of Scilly (same series) and the City of London (Hackney's)
    pd.testing.assert_frame_equal(loaded_store.series("Isles of Scilly", CVD), s)
    assert set(loaded_store.series(CITY, CVD)["area_code"]) == {"E67000001"}
    assert set(loaded_store.series("Hackney", CVD)["area_code"]) == {"E67000001"}


def test_councils_with_their_own_data_are_unaffected(loaded_store):
    wigan = loaded_store.series("Wigan", CVD)
    assert set(wigan["area_code"]) == {WIGAN} and wigan["note"].isna().all()
    assert round(wigan.loc[wigan["period_label"] == "2001-01-01/P3Y", "value"].iloc[0], 1) == 84.4
    # cancer stage: Cornwall only combined, Hackney and the City of London (partly suppressed) their own
    assert set(loaded_store.series("Cornwall", STAGE)["area_code"]) == {"E67000002"}
    assert set(loaded_store.series("Hackney", STAGE)["area_code"]) == {HACKNEY}
    city = loaded_store.series(CITY, STAGE)
    assert set(city["area_code"]) == {CITY} and city["value"].isna().any() and city["value"].notna().any()
    # no combined series in the breakdown asked for: still no data
    with pytest.raises(StoreError, match="no data"):
        loaded_store.series("Cornwall", CVD, sex="Male")


def test_series_fast_path_shows_the_combined_series(loaded_store, capsys):
    from placeimpact.cli._fast import series_command

    series_command(area="Cornwall", indicator=CVD, store=Path(loaded_store.path), fmt="json")
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 22 and {r["area_code"] for r in rows} == {"E67000002"}
    assert rows[0]["period_label"] == "2001-01-01/P3Y" and rows[0]["value"] == pytest.approx(51.06802)
    assert all("Isles of Scilly, Cornwall combined (E67000002)" in r["note"] for r in rows)
    series_command(area="Wigan", indicator=CVD, store=Path(loaded_store.path), fmt="json")
    rows = json.loads(capsys.readouterr().out)
    assert {r["area_code"] for r in rows} == {WIGAN} and round(rows[0]["value"], 1) == 84.4
    with pytest.raises(StoreError, match="no data"):
        series_command(area="Cornwall", indicator=CVD, sex="Male", store=Path(loaded_store.path), fmt="json")
    with pytest.raises(StoreError, match="unknown area"):
        series_command(area="Nowhere at all", indicator=CVD, store=Path(loaded_store.path), fmt="json")


# -- panels -------------------------------------------------------------------------------------------

def test_cornwall_cvd_panel_uses_the_combined_series_with_a_warning(loaded_store):
    p = build_panel(loaded_store, indicator=CVD, area="Cornwall", comparators="oflog-nn", reform_start="2015-04-01")
    assert p.focal == CORNWALL and p.focal_name == "Cornwall"      # the council's name; the warning says whose data
    combined = loaded_store.observations(CVD, areas=["E67000002"])
    np.testing.assert_array_equal(p.focal_values, combined["value"].to_numpy())
    assert any(w.startswith("values for Cornwall (E06000052) are for Isles of Scilly, Cornwall combined "
                            "(E67000002)") for w in p.warnings)


def test_all_areas_panel_counts_each_combined_series_once(loaded_store):
    p = build_panel(loaded_store, indicator=CVD, area="Wigan", comparators=None, reform_start="2015-04-01")
    assert round(p.focal_values[0], 1) == 84.4 and p.period_labels[0] == "2001-01-01/P3Y"
    assert CORNWALL in p.area_codes and HACKNEY in p.area_codes
    assert SCILLY not in p.area_codes and CITY not in p.area_codes
    for code in ("E67000001", "E67000002"):
        series = loaded_store.observations(CVD, areas=[code])["value"].to_numpy()
        same = [c for c, row in zip(p.area_codes, p.values) if np.array_equal(row, series, equal_nan=True)]
        assert len(same) == 1  # one row carries it, not two
    assert any("Isles of Scilly (E06000053) left without data" in w and "given to Cornwall (E06000052) only" in w
               for w in p.warnings)
    assert any("City of London (E09000001) left without data" in w for w in p.warnings)
    # the small partner council is not evaluated on its partner's data, and says why
    with pytest.raises(MethodError, match=r"almost all Cornwall \(E06000052\)'s, so they are not used for it"):
        build_panel(loaded_store, indicator=CVD, area="Isles of Scilly", comparators=None, reform_start="2015-04-01")


def test_panel_of_a_council_with_its_own_data_ignores_the_combined_series(loaded_store):
    p = build_panel(loaded_store, indicator=STAGE, area="Hackney", comparators=None, reform_start="2018-04-01")
    own = loaded_store.observations(STAGE, areas=[HACKNEY])
    np.testing.assert_array_equal(p.focal_values, own["value"].to_numpy())
    assert not any("E67000001" in w or "Hackney" in w for w in p.warnings)  # no combined code for them here
    assert CITY in p.area_codes  # the City of London keeps its own (partly suppressed) values
    np.testing.assert_array_equal(p.values[p.area_codes.index(CITY)],
                                  loaded_store.observations(STAGE, areas=[CITY])["value"].to_numpy())
    # Cornwall, a comparator here, has none of its own: it gets the combined series, said so
    assert CORNWALL in p.area_codes and SCILLY not in p.area_codes
    assert any(w.startswith("values for comparator Cornwall (E06000052)") for w in p.warnings)


def test_cornwall_cvd_is_assessed_and_the_results_say_whose_values_they_are(loaded_store):
    from placeimpact.methods.runner import evaluate_indicator

    ev = evaluate_indicator(loaded_store, area="Cornwall", indicator=CVD, start="2015-04-01",
                            methods=["change_vs_neighbours", "did"])
    assert ev.panel.n_areas > 1 and np.isfinite(ev.panel.focal_values).sum() == 22
    for res in ev.results:
        assert res.direction != "not_assessed", res.summary
        assert any("Isles of Scilly, Cornwall combined (E67000002)" in w for w in res.warnings)


def test_screen_gives_each_combined_series_to_its_taker_once(loaded_store):
    from placeimpact.screen import bulk_panels

    (p,) = bulk_panels(loaded_store, reform_start="2011", indicators=[CVD])
    assert "E06000052" in p.area_codes and "E09000012" in p.area_codes          # Cornwall, Hackney
    assert "E06000053" not in p.area_codes and "E09000001" not in p.area_codes  # counted once
    cornwall = p.values[p.area_codes.index("E06000052")]
    published = loaded_store.observations(CVD, areas=["E67000002"]).set_index("period_label")["value"]
    got = dict(zip(p.period_labels, cornwall))
    assert all(got[k] == v for k, v in published.items() if k in got)


def test_screen_rows_say_when_they_use_a_combined_series(loaded_store):
    from placeimpact.screen import run_screen

    t = run_screen(loaded_store, start=2011, indicators=[CVD], executor="serial").table.set_index("area_code")
    assert "Isles of Scilly, Cornwall combined (E67000002)" in t.loc["E06000052", "warnings"]
    assert "City of London, Hackney combined (E67000001)" in t.loc["E09000012", "warnings"]
    assert "combined" not in t.loc["E08000010", "warnings"]
