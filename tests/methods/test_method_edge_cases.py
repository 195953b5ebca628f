"""Input validation for change, trend, ITS and DiD in one place: damaged panels give clear answers, not crashes."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from placeimpact.errors import MethodError
from placeimpact.methods import get_method
from placeimpact.panel import panel_from_arrays

MINE = ("change_vs_neighbours", "trend_difference", "its", "did")
YEARS = np.arange(2003, 2020)
T = YEARS + 0.5


def _panel(rng, *, n_comp=6, start=2003, ci=True):
    years = np.arange(start, 2020)
    t = years + 0.5
    v = 20 - 0.3 * (t - 2011) + rng.normal(0, 1, (n_comp + 1, years.size))
    kw = {"lci": v - 2, "uci": v + 2} if ci else {}
    return panel_from_arrays(v, t, reform_t=2011.0, england=20 - 0.3 * (t - 2011), polarity="high_is_good", **kw)


@pytest.mark.parametrize("method", MINE)
def test_missing_periods_are_skipped(rng, method):
    p = _panel(rng)
    v = p.values.copy()
    v[0, [2, 9, 12]] = np.nan          # focal gaps before and after the reform
    v[3, 5] = np.nan                   # a comparator gap
    r = get_method(method)(dataclasses.replace(p, values=v))
    assert math.isfinite(r.estimate) and r.evidence != "insufficient"
    if method in ("its", "trend_difference", "did"):
        assert r.diagnostics["n_pre"] == 7 and r.diagnostics["n_post"] == 7


@pytest.mark.parametrize("method", ("trend_difference", "its", "did"))
def test_fewer_than_three_pre_points_is_insufficient(rng, method):
    r = get_method(method)(_panel(rng, start=2009))
    assert r.evidence == "insufficient" and r.direction == "not_assessed" and math.isnan(r.estimate)
    assert "only 2 pre-reform" in r.summary and "need 3" in r.summary


def test_change_needs_one_pre_point(rng):
    assert change_ok(get_method("change_vs_neighbours")(_panel(rng, start=2010)))
    none = get_method("change_vs_neighbours")(_panel(rng, start=2011))
    assert none.evidence == "insufficient" and "no pre-reform period" in none.summary


def change_ok(r):
    return math.isfinite(r.estimate) and r.evidence != "insufficient"


@pytest.mark.parametrize("method,ok", [("change_vs_neighbours", False), ("did", False), ("its", True),
                                       ("trend_difference", True)])
def test_no_comparator_data(rng, method, ok):
    p = _panel(rng)
    alone = panel_from_arrays(p.values[:1], p.t, reform_t=2011.0, england=p.england_values, polarity=p.polarity)
    all_nan = dataclasses.replace(p, values=np.vstack([p.values[:1], np.full_like(p.values[1:], np.nan)]))
    for q in (alone, all_nan):
        r = get_method(method)(q)
        if ok:
            assert math.isfinite(r.estimate)
            if method == "its":
                assert any("no comparator series" in w for w in r.warnings)
        else:
            assert r.evidence == "insufficient" and "comparator" in r.summary


def test_trend_without_england_or_comparators_is_insufficient(rng):
    p = _panel(rng)
    q = panel_from_arrays(p.values[:1], p.t, reform_t=2011.0)
    r = get_method("trend_difference")(q)
    assert r.evidence == "insufficient" and "England" in r.summary


@pytest.mark.parametrize("method", MINE)
def test_boundary_change_is_carried_and_downgrades(rng, method):
    p = _panel(rng, n_comp=20)
    v = p.values.copy()
    v[0, p.post] += 8.0 + 1.5 * (p.t[p.post] - 2011)   # a clear effect, so the evidence has room to drop
    clean = get_method(method)(dataclasses.replace(p, values=v))
    note = "Newtown was created on 2009-04-01; earlier data belongs to its predecessors"
    moved = get_method(method)(dataclasses.replace(p, values=v, warnings=(note,)))
    assert note in moved.warnings
    order = ["insufficient", "none", "weak", "moderate", "strong"]
    assert clean.evidence in ("strong", "moderate")
    assert order.index(moved.evidence) < order.index(clean.evidence)


@pytest.mark.parametrize("method", MINE)
def test_without_cis_runs(rng, method):
    r = get_method(method)(_panel(rng, ci=False))
    assert math.isfinite(r.estimate)


@pytest.mark.parametrize("method,option", [("change_vs_neighbours", {"baseline": "first"}),
                                           ("trend_difference", {"reference": "wales"}),
                                           ("its", {"effect": "step"}), ("its", {"control": "region"}),
                                           ("did", {"inference": "bootstrap"})])
def test_bad_options_raise_method_error_naming_the_value(rng, method, option):
    (key, val), = option.items()
    with pytest.raises(MethodError, match=f"{key}='{val}'.*expected one of"):
        get_method(method)(_panel(rng), **option)


@pytest.mark.parametrize("method", MINE)
def test_no_post_period(rng, method):
    p = _panel(rng)
    r = get_method(method)(dataclasses.replace(p, reform_start=p.reform_start.replace(year=2030)))
    assert r.evidence == "insufficient" and "post-reform" in r.summary


@pytest.mark.parametrize("method", MINE)
def test_does_not_mutate_the_panel_and_serialises(rng, method):
    p = _panel(rng)
    before = {k: getattr(p, k).copy() for k in ("values", "lci", "uci", "england_values", "t")}
    r = get_method(method)(p)
    for k, a in before.items():
        np.testing.assert_array_equal(getattr(p, k), a)
    json.dumps(r.to_dict(with_series=True))
    with pytest.raises(TypeError):
        r.diagnostics["x"] = 1  # read-only
