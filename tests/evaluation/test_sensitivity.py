"""The sensitivity grid and the side-by-side cut-offs of the worked example, re-computed by independent paths.

Each grid row is checked against the same method run another way: a pre-pandemic window against a panel the
store builds with that cut-off, the other scale against the method run on logged values by hand, the
comparator group against the panel built with the other group, leave-one-out against dropping the comparator
from the store's group; the cut-off views against evaluate_indicator with ``until``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from placeimpact.evaluation.sensitivity import GRID_ROWS, PRE_PANDEMIC_END
from placeimpact.methods import get_method
from placeimpact.methods.runner import evaluate_indicator
from placeimpact.methods.scale import log_panel, pct
from placeimpact.panel import build_panel

CVD = "ons-els:preventable-cardiovascular-mortality-england"


def _cvd(ev):
    return next(r for r in ev.outcomes if r.indicator["id"] == CVD)


def test_every_outcome_with_a_headline_has_a_full_grid(wigan_report):
    ev, _ = wigan_report
    heads = {v.outcome for v in ev.synthesis.verdicts if v.headline_method}
    assert heads and set(ev.sensitivity) == heads
    for g in ev.sensitivity.values():
        assert set(g["rows"]) == set(GRID_ROWS)
        assert g["flips"] == [k for k in GRID_ROWS if g["rows"][k].get("flips")]
        assert ("The verdict is fragile" in g["note"]) == bool(g["flips"])
    for v in ev.synthesis.verdicts:     # a flip, and why methods disagree, are said on the verdict card itself
        g = ev.sensitivity.get(v.outcome)
        if g and g["flips"]:
            assert "The verdict is fragile" in v.sentence
        if g and v.kind == "mixed":
            assert g["disagreement"] and "Why the methods differ" in v.sentence
        elif g:
            assert g["disagreement"] == []


def test_mixed_evidence_explains_scale_and_window(wigan_report):
    from placeimpact.evaluation.sensitivity import subset_periods
    from placeimpact.methods.scale import run_on_scale

    ev, _ = wigan_report
    for v in (v for v in ev.synthesis.verdicts if v.kind == "mixed"):
        run = next(r for r in ev.outcomes if r.outcome == v.outcome)
        for d in ev.sensitivity[v.outcome]["disagreement"]:
            fn = get_method(d["method"])
            alt = "absolute" if run.scale == "relative" else "relative"
            if f"{alt} scale" in d["under"]:
                assert d["under"][f"{alt} scale"] == run_on_scale(fn, run.panel, alt).direction
            keep = run.panel.period_end <= np.datetime64(PRE_PANDEMIC_END, "D")
            if "pre-pandemic window" in d["under"]:
                assert d["under"]["pre-pandemic window"] == run_on_scale(
                    fn, subset_periods(run.panel, keep), run.scale).direction


def test_grid_rows_match_independent_runs(wigan_report, loaded_store):
    ev, _ = wigan_report
    run = _cvd(ev)
    g = ev.sensitivity[run.outcome]
    method = g["headline_method"]
    fn = get_method(method)
    assert run.scale == "relative" == g["scale"]          # a directly standardised rate: auto -> relative
    head = run.result(method)
    assert_allclose(g["headline"]["estimate"], head.estimate)
    # (b) pre-pandemic: the store's own panel cut at 2019-12-31, on logs
    p19 = build_panel(loaded_store, indicator=CVD, area="E08000010", comparators="oflog-nn",
                      reform_start=ev.reform_start, cutoff=PRE_PANDEMIC_END)
    assert_allclose(g["rows"]["pre_pandemic"]["estimate"], pct(fn(log_panel(p19)).estimate), rtol=1e-9)
    # (c) the other scale: the method on the untouched panel, in the indicator's units
    assert g["rows"]["scale"]["scale"] == "absolute"
    assert_allclose(g["rows"]["scale"]["estimate"], fn(run.panel).estimate, rtol=1e-9)
    # (a) the other comparator group: computed neighbours
    other = g["rows"]["comparators"]
    assert "computed" in other["group"] or "nearest neighbours computed" in other["group"]
    assert other["estimate"] is not None and not math.isclose(other["estimate"], head.estimate)
    # (d) leave one out: the range over dropping each of the 15 comparators from the group
    loo = g["rows"]["leave_one_out"]
    assert loo["n"] == run.panel.n_areas - 1 == 15
    ests = []
    for code in run.panel.area_codes[1:]:
        keep = [c for c in run.panel.area_codes[1:] if c != code]
        p = build_panel(loaded_store, indicator=CVD, area="E08000010", comparators=keep, reform_start=ev.reform_start)
        ests.append(pct(fn(log_panel(p)).estimate))
    assert_allclose([loo["low"], loo["high"]], [min(ests), max(ests)], rtol=1e-9)


def test_cutoffs_side_by_side_match_evaluate_indicator(wigan_report, loaded_store):
    ev, _ = wigan_report
    assert [c.label for c in ev.as_of] == ["data to 30 June 2019", "latest data"]
    assert [c.main for c in ev.as_of] == [False, True]
    mid, now = ev.as_of
    assert dict(now.scorecard) == dict(ev.scorecard)
    run = _cvd(ev)
    v19 = mid.verdict(run.outcome)
    assert v19["headline_method"] == "did" and v19["scale"] == "relative"
    ind = evaluate_indicator(loaded_store, area="E08000010", indicator=CVD, start=ev.reform_start,
                             until="2019-06-30", methods=["did"], scale="relative")
    assert_allclose(v19["estimate"], ind.results[0].estimate, rtol=1e-9)
    assert ind.panel.cutoff.isoformat() == "2019-06-30"
    assert np.all(ind.panel.period_end <= np.datetime64("2019-06-30"))
    html = (wigan_report[1] / "report.html").read_text(encoding="utf-8")
    assert 'id="cutoffs"' in html and "data to 30 June 2019" in html
    assert "Sensitivity of the headline" in html and "Plain % change." in html


def test_findings_json_carries_grid_cutoffs_and_kinds(wigan_report):
    import json

    ev, out = wigan_report
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    run = _cvd(ev)
    o = next(x for x in doc["outcomes"] if x["outcome"] == run.outcome)
    assert o["scale"] == "relative" and o["sensitivity"]["headline_method"] == "did"
    assert o["percent_change"]["area"]["pct"] < 0 and o["percent_change"]["rank"] >= 1
    assert len(doc["as_of"]) == 2 and "mixed" in doc["scorecard"]
    rows = [f for f in doc["findings"] if f["outcome"] == run.outcome]
    assert all(isinstance(f["caveats"], list) and f["scale"] in ("absolute", "relative") for f in rows)


def test_cli_scale_option(loaded_store, tmp_path):
    import json

    from placeimpact.cli import app

    r = CliRunner().invoke(app, ["evaluate-indicator", "--store", str(loaded_store.path), "--area", "Wigan",
                                 "--indicator", CVD, "--start", "2011-04-01", "--methods", "did",
                                 "--scale", "relative", "--format", "json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)["results"][0]
    assert res["scale"] == "relative" and "%" in res["estimand"]


def test_cutoff_view_equals_a_fresh_evaluation_at_that_cutoff(wigan_report, loaded_store):
    """The side-by-side view re-runs methods on the main panels cut at 2019-06-30; a fresh evaluation reads the store."""
    from placeimpact.evaluation import evaluate

    ev, _ = wigan_report
    fresh = evaluate(loaded_store, ev.framework, cutoff="2019-06-30", sensitivity=False, as_of=(), progress=False)
    view = ev.as_of[0]
    assert view.cutoff.isoformat() == "2019-06-30" and dict(view.scorecard) == dict(fresh.scorecard)
    for v in fresh.synthesis.verdicts:
        x = view.verdict(v.outcome)
        assert (x["verdict"], x["headline_method"]) == (v.kind, v.headline_method), v.indicator_label
        if x["estimate"] is not None:
            f = fresh.findings
            row = f[(f["outcome"] == v.outcome) & (f["method"] == v.headline_method)].iloc[0]
            assert_allclose(x["estimate"], row["estimate"], rtol=1e-9)
