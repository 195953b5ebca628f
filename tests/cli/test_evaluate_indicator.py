"""``placeimpact evaluate-indicator`` on the real data (Wigan), and the library call behind it."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from placeimpact.cli import app
from placeimpact.errors import MethodError, StoreError
from placeimpact.methods.runner import evaluate_indicator, run_methods
from placeimpact.simulate import SMOKING, simulate_panels

CVD = "ons-els:preventable-cardiovascular-mortality-england"
HLE = "ons-els:male-healthy-life-expectancy"
runner = CliRunner()


def _cli(store, *args):
    return runner.invoke(app, ["evaluate-indicator", "--store", store.path, *args])


def test_table_with_cutoff(loaded_store):
    r = _cli(loaded_store, "--area", "Wigan", "--indicator", CVD, "--start", "2011-04-01", "--until", "2018-12-31")
    assert r.exit_code == 0, r.output
    for m in ("change_vs_neighbours", "trend_difference", "its", "did"):
        assert m in r.output
    text = " ".join(r.output.split())          # the table title wraps
    assert "8 pre / 5 post" in text and "data up to 2018-12-31" in text
    assert "not proof that the reform caused it" in text


def test_json_selected_methods(loaded_store):
    r = _cli(loaded_store, "--area", "E08000010", "--indicator", CVD, "--start", "2011-04-01",
             "--methods", "its,did", "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [x["method"] for x in out["results"]] == ["its", "did"]
    assert out["n_pre"] == 8 and out["n_post"] == 11 and out["cutoff"] is None
    assert all(math.isfinite(x["estimate"]) for x in out["results"])


def test_healthy_life_expectancy_says_what_is_missing(loaded_store):
    """ONS HLE starts with 2011-13, which straddles an April 2011 start: no pre-reform trend to fit."""
    r = _cli(loaded_store, "--area", "Wigan", "--indicator", HLE, "--start", "2011-04-01", "--format", "json",
             "--methods", "change_vs_neighbours,its,did,trend_difference")
    assert r.exit_code == 0, r.output
    res = {x["method"]: x for x in json.loads(r.output)["results"]}
    assert res["its"]["evidence"] == "insufficient" and "pre-reform point" in res["its"]["summary"]
    assert res["did"]["evidence"] == "insufficient"
    # 2011-13 lies only 8% before an April 2011 start: no baseline, so no verdict (issue 13's verdict rules)
    ch = res["change_vs_neighbours"]
    assert ch["evidence"] == "insufficient" and "descriptive only: no pre-reform baseline" in ch["summary"]
    assert "straddling_baseline" in ch["caveats"]


def test_unknown_group_and_method(loaded_store):
    with pytest.raises(StoreError, match="no members"):
        evaluate_indicator(loaded_store, area="Wigan", indicator=CVD, start="2011", group="no-such-group")
    with pytest.raises(MethodError, match="unknown method"):
        evaluate_indicator(loaded_store, area="Wigan", indicator=CVD, start="2011", methods=["regression"])


def test_run_methods_turns_method_errors_into_rows():
    p = simulate_panels(SMOKING, 1, n_pre=6, n_post=4, seed=1)[0].panel
    res = run_methods(p, ["its", "did"], options={"its": {"effect": "nonsense"}})
    assert res[0].evidence == "insufficient" and "effect='nonsense'" in res[0].summary
    assert math.isfinite(res[1].estimate)


def test_unbounded_interval_is_named_in_the_table_and_null_in_json(loaded_store):
    """15 neighbours cannot give a 5% placebo test: the synthetic control's interval is unbounded."""
    args = ("--area", "Wigan", "--indicator", CVD, "--start", "2011-04-01", "--methods", "synthetic_control,did")
    r = _cli(loaded_store, *args, "--format", "json")
    assert r.exit_code == 0, r.output
    sc = {x["method"]: x for x in json.loads(r.output)["results"]}["synthetic_control"]
    assert sc["ci_low"] is None and sc["ci_high"] is None and sc["estimate"] is not None
    r = _cli(loaded_store, *args)
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if "synthetic_control" in line)
    assert "unbounded" in row


def test_ci_cell_text():
    from placeimpact.cli.evaluate import _ci_cell

    inf = float("inf")
    assert _ci_cell(float("nan"), float("nan")) == ""
    assert _ci_cell(-inf, inf) == "unbounded"
    assert _ci_cell(-inf, 2.5) == "−∞ to 2.50" and _ci_cell(1.0, inf) == "1.00 to ∞"
    assert _ci_cell(1.0, 2.5) == "1.00 to 2.50"
