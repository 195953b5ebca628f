"""Panels from the store: alignment, windows, and boundary changes (exact recodes joined, merges never)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from placeimpact import MethodError, build_panel
from placeimpact.errors import InputError
from placeimpact.periods import parse_date


def test_wigan_cvd_panel_is_aligned_with_the_store(loaded_store):
    p = build_panel(loaded_store, indicator="ons-els:preventable-cardiovascular-mortality-england", area="Wigan",
                    comparators="oflog-nn", reform_start="2011-04-01")
    assert p.focal == "E08000010" and p.n_areas == 16
    s = loaded_store.series("E08000010", "ons-els:preventable-cardiovascular-mortality-england")
    np.testing.assert_allclose(p.focal_values, s["value"].to_numpy(), rtol=0, atol=1e-12)
    # three-year rolling periods: 2009-11 and 2010-12 straddle April 2011, so they are neither pre nor post
    assert p.overlapping
    assert [lab for lab, t in zip(p.period_labels, p.transition) if t] == [
        "2009-01-01/P3Y", "2010-01-01/P3Y", "2011-01-01/P3Y"]
    assert not (p.pre & p.post).any()


def test_cutoff_keeps_only_periods_ended_by_then(loaded_store):
    p = build_panel(loaded_store, indicator="ons-els:preventable-cardiovascular-mortality-england", area="Wigan",
                    comparators="oflog-nn", reform_start="2011-04-01", cutoff="2018-12-31")
    assert p.period_labels[-1] == "2016-01-01/P3Y"
    assert (p.period_end <= np.datetime64("2018-12-31")).all()


def test_exact_recode_is_joined_to_the_current_code(loaded_store):
    """Gateshead was recoded E08000020 -> E08000037 (same council); its earlier rows join the new code."""
    ind = "ons-els:drive-to-work"
    old = loaded_store.observations(ind, areas=["E08000020"])
    assert len(old) > 0
    p = build_panel(loaded_store, indicator=ind, area="E08000037", reform_start="2011-04-01")
    assert any("E08000020" in w for w in p.warnings)
    for row in old.itertuples():
        j = p.period_labels.index(row.period_label)
        assert p.focal_values[j] == pytest.approx(row.value, abs=1e-12)


def test_merged_areas_are_never_mixed_with_their_successor(loaded_store):
    """Bournemouth (abolished 2019, merged into BCP) never lends its series to BCP E06000058."""
    ind = "eyfsp:gld"
    bournemouth = loaded_store.observations(ind, areas=["E06000028"])
    assert len(bournemouth) > 0
    try:
        p = build_panel(loaded_store, indicator=ind, area="E06000058", reform_start="2016-04-01")
    except MethodError:
        return  # too little of BCP's own series: refused, not filled from a predecessor
    own = loaded_store.observations(ind, areas=["E06000058"], sex=p.sex, age=p.age, category=p.category)
    assert np.isfinite(p.focal_values).sum() == own["value"].notna().sum()


@pytest.mark.parametrize("text, expected", [("2011", date(2011, 1, 1)), ("2011-04", date(2011, 4, 1)),
                                            (" 2011-04-01 ", date(2011, 4, 1)), (date(2011, 4, 1), date(2011, 4, 1)),
                                            (None, None)])
def test_parse_date_accepts_years_months_and_iso_dates(text, expected):
    assert parse_date(text, "start") == expected


@pytest.mark.parametrize("text, why", [("2011-13-01", "not a real date"), ("2020-02-30", "not a real date"),
                                       ("2011/12", "not a date"), ("junk", "not a date"), ("11", "not a date")])
def test_parse_date_errors_name_the_field_and_the_value(text, why):
    with pytest.raises(InputError) as e:
        parse_date(text, "--start")
    msg = str(e.value)
    assert why in msg and "--start" in msg and repr(text) in msg and "2011-04-01" in msg


def test_evaluate_indicator_rejects_a_cutoff_before_the_start(loaded_store):
    from placeimpact.methods.runner import evaluate_indicator

    with pytest.raises(InputError, match="not after the reform start"):
        evaluate_indicator(loaded_store, area="Wigan", indicator="ons-els:preventable-cardiovascular-mortality-england",
                           start="2011", until="2010-01-01")


@pytest.mark.parametrize("text, expected", [("2018", date(2018, 12, 31)), ("2020-02", date(2020, 2, 29)),
                                            ("2019-04", date(2019, 4, 30)), ("2019-04-01", date(2019, 4, 1))])
def test_a_cutoff_year_or_month_means_its_last_day(text, expected):
    assert parse_date(text, "cutoff", end=True) == expected


def test_a_month_cutoff_keeps_the_periods_ending_in_that_month(loaded_store):
    """'data up to 2020-03' includes 2019/20 (which ends on 31 March 2020); nothing is silently dropped."""
    kw = dict(indicator="ascof:1A", area="Wigan", reform_start="2018-04-01")
    by_month = build_panel(loaded_store, cutoff="2020-03", **kw)
    by_day = build_panel(loaded_store, cutoff="2020-03-31", **kw)
    assert by_month.period_labels == by_day.period_labels and by_month.period_labels[-1] == "2019/20"
