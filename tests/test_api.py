"""The Python API as an analyst uses it in a notebook: top-level names, short reprs, forgiving arguments."""

from __future__ import annotations

import math

import placeimpact as pi

CVD = "ons-els:preventable-cardiovascular-mortality-england"
ROOT_FRAMEWORKS = __import__("pathlib").Path(__file__).resolve().parents[1] / "frameworks"


def test_analyst_functions_are_at_the_top_level():
    for name in ("open_store", "benchmark_area", "imported_neighbours", "compute_neighbours", "evaluate_indicator",
                 "evaluate", "run_screen"):
        assert name in pi.__all__ and callable(getattr(pi, name)) and getattr(pi, name).__doc__


def test_reprs_are_one_line_summaries(loaded_store):
    assert repr(loaded_store) == f"<Store {loaded_store.path} (read-only)>"
    ev = pi.evaluate_indicator(loaded_store, area="Wigan", indicator=CVD, start="2011-04-01")
    r = repr(ev)
    assert r.startswith(f"<IndicatorEvaluation {CVD} in Wigan (E08000010)") and len(r) < 600 and "\n" not in r
    p = repr(ev.panel)
    assert p.startswith(f"<Panel {CVD}") and "15 comparators" in p and len(p) < 400
    full = pi.evaluate(loaded_store, ROOT_FRAMEWORKS / "wigan-deal.yaml", progress=False)
    assert repr(full).startswith("<Evaluation Wigan (E08000010), reform 2011-04-01: 28 outcomes x 8 methods")
    assert len(repr(full)) < 400


def test_unbounded_interval_reads_as_such(loaded_store):
    ev = pi.evaluate_indicator(loaded_store, area="Wigan", indicator=CVD, start="2011-04-01",
                               methods=["synthetic_control"])
    sc = ev.results[0]
    assert math.isinf(sc.ci_low) and "unbounded" in sc.summary_text() and "inf" not in sc.summary_text()


def test_run_screen_takes_one_indicator_as_a_string(loaded_store):
    res = pi.run_screen(loaded_store, start=2011, indicators=CVD, executor="serial")
    assert res.table["indicator_id"].unique().tolist() == [CVD]


def test_a_year_is_a_reform_start_in_frameworks_too(loaded_store):
    ev = pi.evaluate(loaded_store, ROOT_FRAMEWORKS / "generic-upper-tier.yaml", area="Cornwall", reform_start="2015",
                     progress=False)
    assert str(ev.reform_start) == "2015-01-01"
