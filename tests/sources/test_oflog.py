"""Oflog adult social care metrics and the NN.json neighbour lists."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from placeimpact.errors import InputError
from placeimpact.sources import ascof, oflog

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oflog"


@pytest.fixture(scope="module")
def data(data_dir):
    return oflog.read_data(data_dir / "oflog" / oflog.DATA)


@pytest.fixture(scope="module")
def nn(data_dir):
    return oflog.read_neighbours(data_dir / "oflog" / oflog.NEIGHBOURS)


def test_metrics_polarity_from_mixed_rank_order(data):
    ind = data.indicators.set_index("id")
    assert list(ind.index) == [f"oflog:ASC{i}" for i in range(1, 8)]
    # DESC / desc -> higher is better; None -> no judgement; blank cells take the metric's value
    assert ind["polarity"].tolist() == ["high_is_good"] * 5 + ["no_judgement"] * 2
    assert len(data.observations) == 6376
    missing = data.observations["value"].isna()
    assert missing.sum() == 298 and (data.observations.loc[missing, "note"] == "no value published").all()


def test_wigan_values(data):
    o = data.observations
    w = o[o["area_code"] == "E08000010"].set_index(["indicator_id", "period_label"])["value"]
    assert_allclose([w[("oflog:ASC2", "2016-17")], w[("oflog:ASC3", "2015-16")], w[("oflog:ASC1", "2021-22")]],
                    [0.416, 66.5, 7.0], rtol=0, atol=1e-12)
    assert o.loc[o["period_label"] == "2016-17", "period_start"].iloc[0].isoformat() == "2016-04-01"


def test_asc_metrics_equal_their_ascof_measures(data, data_dir):
    """ASC1, ASC2, ASC3, ASC5 are ASCOF 1D, 1J, 3D(1), 2D: identical values in the 2018-19 ASCOF file."""
    a = ascof.read_final_data(data_dir / "ascof" / "Data" / "2019" / "final_data_2019.csv").observations
    a = a[(a["sex"] == "Persons") & (a["age"] == "All ages")]
    o = data.observations[data.observations["period_label"] == "2018-19"]
    for metric, code in (("ASC1", "1D"), ("ASC2", "1J"), ("ASC3", "3D1"), ("ASC5", "2D")):
        j = o[o["indicator_id"] == f"oflog:{metric}"].merge(a[a["indicator_id"] == f"ascof:{code}"], on="area_code")
        assert len(j) > 140, metric
        assert_allclose(j["value_x"], j["value_y"], rtol=0, atol=1e-9, equal_nan=True)


def test_wigan_has_exactly_the_15_listed_neighbours(nn, data_dir):
    raw = json.loads((data_dir / "oflog" / oflog.NEIGHBOURS).read_text())
    g = nn.groups
    w = g[g["focal_area"] == "E08000010"].sort_values("rank")
    assert w["member_area"].tolist() == [c for c in raw["E08000010"] if c != "E08000010"]
    assert w["rank"].tolist() == list(range(1, 16))
    assert set(g["group_id"]) == {"oflog-nn"} and set(g["kind"]) == {"imported"}
    assert np.isnan(g["distance"]).all()


def test_repeated_codes_dropped_and_counted(nn):
    g = nn.groups
    assert not g.duplicated(["focal_area", "member_area"]).any()
    assert (g["focal_area"] != g["member_area"]).all()
    assert len(g[g["focal_area"] == "E07000112"]) == 15  # its list is published with every code twice
    assert nn.dropped == {"code repeated within a neighbour list": 39}
    assert "E06000053" not in set(g["focal_area"])  # Isles of Scilly: only itself


def test_rank_order_in_two_directions_raises():
    with pytest.raises(InputError, match="two directions") as e:
        oflog.read_data(FIXTURES / "rank_conflict.csv")
    assert (e.value.line, e.value.field, e.value.got) == (4, "rank_order", "none")


def test_duplicate_key_in_json_raises():
    with pytest.raises(InputError, match="twice as a key") as e:
        oflog.read_neighbours(FIXTURES / "duplicate_key.json")
    assert "E08000010" in str(e.value)
