"""ONS Explore Local Statistics reader: how each indicator's value type is chosen from its unit text.

Totals (extensive quantities that scale with an area's size: "£ million", "Number of ...")
are ``count``; rates, shares, ratios and averages are not, whatever words they share with
a count ("Count per 10,000 people" is a rate). Checked on the unit texts ONS publishes and
on the real files in ../shared/data.
"""

from __future__ import annotations

import pytest

from placeimpact.sources import ons_els
from placeimpact.sources.ons_els import _value_type

REGULATING = ("ons-els:air-pollution-regulating", "ons-els:greenhouse-gas-regulating",
              "ons-els:urban-heat-regulating")


@pytest.mark.parametrize("slug,measure,unit,sub,expected", [
    # totals: money amounts and numbers of things
    ("air-pollution-regulating", "Pounds", "£ million", "in £ millions, 2024 prices", ("count", 1.0)),
    ("value-of-uk-exports", "Pounds", "£ million", "in £ millions", ("count", 1.0)),
    ("anything", "Pounds", "£m", "", ("count", 1.0)),
    ("active-businesses", "Number of enterprises", "Number of enterprises", "", ("count", 1.0)),
    ("number-of-guest-nights-at-a-short-term-let", "Number of guest nights", "Number of guest nights", "",
     ("count", 1.0)),
    # counts of things per N people are rates, not totals
    ("sports-facilities", "Counts of sports facilities per 10,000 people", "Count per 10,000 people",
     "per 10,000 population", ("crude_rate", 10000.0)),
    ("museums", "Counts of museums per 100,000 people", "Count per 100,000 people", "", ("crude_rate", 100000.0)),
    # money per head, per job, per capita are averages
    ("gross-median-weekly-pay", "Pounds", "£", "", ("mean", 1.0)),
    ("greenhouse-gas-emissions", "Emissions (tCO2e) per capita", "Tonnes of CO2 equivalent", "tCO2e per capita",
     ("mean", 1.0)),
    ("gas-consumption", "Consumption per meter point", "kWh per meter point", "", ("mean", 1.0)),
    ("preventable-cardiovascular-mortality-england", "Rate per 100,000 population", "Rate per 100,000 population",
     "", ("dsr", 100000.0)),
    ("employment-rate", "Percentage", "%", "", ("proportion", 100.0)),
    ("anxiety", "Mean (Where 0 is 'not at all anxious' and 10 is 'completely anxious')", "Score out of 10", "",
     ("mean", 1.0)),
    # published as "Percentage"/"%" but the values are price-to-earnings ratios
    ("housing-affordability-ratio-residence-based", "Percentage", "%", "affordability ratio", ("ratio", 1.0)),
])
def test_value_type_from_unit_text(slug, measure, unit, sub, expected):
    vt, mult, _ = _value_type(slug, measure, unit, sub)
    assert (vt, mult) == expected


def test_real_environment_regulating_files_are_totals(data_dir):
    ds = data_dir / "ons-els" / "environment-regulating"
    b = ons_els.read_file(ds / "environment-regulating.csv", ds / "environment-regulating.json")
    ind = b.indicators.set_index("id")
    assert set(REGULATING) <= set(ind.index)
    for i in REGULATING:
        assert ind.loc[i, "value_type"] == "count" and ind.loc[i, "multiplier"] == 1.0
        assert "£ million" in ind.loc[i, "unit"]


def test_real_rates_per_10000_are_not_totals(data_dir):
    for name in ("sports-facilities", "supermarkets"):
        ds = data_dir / "ons-els" / name
        b = ons_els.read_file(ds / f"{name}.csv", ds / f"{name}.json")
        row = b.indicators.iloc[0]
        assert (row["value_type"], row["multiplier"]) == ("crude_rate", 10000.0), name


def test_loaded_store_classifies_every_ons_total(loaded_store):
    ind = loaded_store.frame("select id, unit, value_type from indicators where source = 'ons-els'")
    by_id = ind.set_index("id")
    for i in REGULATING:
        assert by_id.loc[i, "value_type"] == "count"
    counts = ind[ind["value_type"] == "count"]
    # every ELS total is a money amount or a number of things, never a rate
    assert not counts["unit"].str.contains(r"\bper\b|%", regex=True).any(), counts
    money = ind[ind["unit"].str.contains("£ million", regex=False)]
    assert len(money) >= 8 and (money["value_type"] == "count").all()
    assert by_id.loc["ons-els:housing-affordability-ratio-residence-based", "value_type"] == "ratio"
