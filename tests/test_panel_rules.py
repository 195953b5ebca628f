"""One panel rule set: a row of a bulk (screen) panel equals the focal row of the single-area panel.

Both builders choose the breakdown, the period length, the exact recodes and the combined-area
series through :mod:`placeimpact.panel_rules`; this builds the panels both ways on the real store
for a seeded sample of indicators and areas (with the areas where the rules bite: combined
publications and exactly recoded councils) and asserts identical arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placeimpact import build_panel
from placeimpact.errors import MethodError
from placeimpact.panel_rules import choose_breakdowns, join_exact_recodes, main_lengths, period_lengths

CVD = "ons-els:preventable-cardiovascular-mortality-england"
SPECIAL = ("E06000052", "E09000012", "E06000065", "E06000057", "E08000037", "E08000010")  # combined, recoded, Wigan
START = "2015-04-01"


def test_breakdown_choice_prefers_persons_all_ages_then_rows():
    counts = pd.DataFrame({"indicator_id": ["a"] * 4 + ["b"] * 2,
                           "sex": ["Male", "Persons", "Persons", "Persons", "Female", "Male"],
                           "age": ["All ages", "18+", "All ages", "All ages", "All ages", "All ages"],
                           "category": ["", "", "Deprivation", "", "", ""], "n": [900, 800, 700, 10, 5, 6]})
    got = choose_breakdowns(counts)
    assert got.to_dict("records") == [
        {"indicator_id": "a", "sex": "Persons", "age": "All ages", "category": ""},
        {"indicator_id": "b", "sex": "Male", "age": "All ages", "category": ""}]   # tie on score: more rows


def test_main_length_is_the_most_common_and_the_shorter_on_a_tie():
    f = pd.DataFrame({"indicator_id": ["a"] * 5 + ["b"] * 2,
                      "period_start": pd.to_datetime(["2001-01-01", "2002-01-01", "2001-01-01", "2001-01-01",
                                                      "2003-01-01", "2001-01-01", "2001-01-01"]),
                      "period_end": pd.to_datetime(["2003-12-31", "2004-12-31", "2001-12-31", "2005-12-31",
                                                    "2005-12-31", "2001-12-31", "2003-12-31"])})
    f["_len"] = period_lengths(f)
    assert f["_len"].tolist() == [3, 3, 1, 5, 3, 1, 3]
    assert dict(main_lengths(f).itertuples(index=False)) == {"a": 3, "b": 1}


def test_main_length_of_one_series_equals_the_grouped_rule():
    # one series takes a path without a groupby: it must agree with the grouped rule on random lengths
    rng = np.random.default_rng(5)
    for _ in range(200):
        lens = rng.integers(0, 4, size=int(rng.integers(1, 12))).astype(float)
        one = pd.DataFrame({"indicator_id": "a", "_len": lens})
        two = pd.concat([one, pd.DataFrame({"indicator_id": ["b"], "_len": [9.0]})], ignore_index=True)
        assert main_lengths(one)["_len"].iloc[0] == main_lengths(two).set_index("indicator_id").loc["a", "_len"]


def test_exact_recodes_join_and_never_duplicate_a_current_row():
    obs = pd.DataFrame({"indicator_id": "x", "sex": "Persons", "age": "All ages", "category": "",
                        "area_code": ["OLD", "OLD", "NEW"], "period_label": ["2018", "2019", "2019"],
                        "value": [1.0, 2.0, 3.0]})
    got = join_exact_recodes(obs, {"OLD": "NEW"})
    assert got[["area_code", "period_label", "value", "reported_code"]].values.tolist() == [
        ["NEW", "2018", 1.0, "OLD"], ["NEW", "2019", 3.0, "NEW"]]


@pytest.mark.slow
def test_bulk_rows_equal_single_area_panels_on_the_real_store(loaded_store):
    from placeimpact.screen import bulk_panels

    rng = np.random.default_rng(12)
    ids = loaded_store.indicator_table()["id"].tolist()
    sample = sorted({CVD, *rng.choice(ids, size=5, replace=False).tolist()})
    panels = bulk_panels(loaded_store, reform_start=START, indicators=sample)
    assert len(panels) >= 4
    checked = 0
    for p in panels:
        others = [c for c in p.area_codes if c not in SPECIAL]
        codes = [c for c in SPECIAL if c in p.area_codes] + rng.choice(others, size=min(6, len(others)),
                                                                       replace=False).tolist()
        for code in codes:
            i = p.area_codes.index(code)
            try:
                q = build_panel(loaded_store, indicator=p.indicator_id, area=code, comparators=None,
                                reform_start=START)
            except MethodError as exc:     # only the small partner of a combined area is refused
                assert "are not used for it" in str(exc), (p.indicator_id, code, exc)
                continue
            where = f"{p.indicator_id} in {code}"
            assert (q.sex, q.age, q.category) == (p.sex, p.age, p.category), where
            assert q.period_labels == p.period_labels, where
            for a, b in ((q.values[0], p.values[i]), (q.lci[0], p.lci[i]), (q.uci[0], p.uci[i]),
                         (q.england_values, p.england_values)):
                np.testing.assert_array_equal(a, b, err_msg=where)
            checked += 1
    assert checked >= 30
