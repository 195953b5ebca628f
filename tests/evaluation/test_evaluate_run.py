"""evaluate() on the real worked example, the files it writes, the CLI shell, and the error paths."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.multitest import multipletests
from typer.testing import CliRunner

import placeimpact as pi
from placeimpact import FrameworkError
from placeimpact.evaluation import evaluate, load_framework
from placeimpact.methods import METHODS
from placeimpact.report.schema import SCHEMA_VERSION, load_schema, validate_findings

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = ROOT / "frameworks" / "wigan-deal.yaml"


def test_public_evaluate_is_the_library_call():
    assert pi.evaluate is evaluate


def test_worked_example_has_one_row_per_outcome_and_method(wigan_report):
    ev, _ = wigan_report
    fw = load_framework(FRAMEWORK)
    f = ev.findings
    assert len(f) == len(fw.indicators) * len(METHODS)
    assert all(sorted(g) == sorted(METHODS) for _, g in f.groupby("outcome")["method"])
    assert ev.area_code == "E08000010" and ev.area_name == "Wigan"
    assert len(ev.comparator_codes) == 15 and "E08000010" not in ev.comparator_codes
    assert ev.errors == (), ev.errors
    assert sum(ev.scorecard.values()) == len(fw.indicators)
    # insufficient rows carry the reason and no numbers
    bad = f[f["evidence"] == "insufficient"]
    assert bad["estimate"].isna().all() and (bad["summary"].str.len() > 10).all()


def test_worked_example_values_come_from_the_store(wigan_report, loaded_store):
    """The benchmark in the report is the stored Wigan and England value of the latest period."""
    ev, _ = wigan_report
    run = next(r for r in ev.outcomes if r.indicator["id"] == "ons-els:preventable-cardiovascular-mortality-england")
    b = run.benchmark
    s = loaded_store.series("E08000010", run.indicator["id"])
    row = s[s["period_label"] == b["period_label"]].iloc[0]
    assert_allclose([b["value"], b["lci"], b["uci"]], [row.value, row.lci95, row.uci95], rtol=0, atol=1e-12)
    eng = loaded_store.series("E92000001", run.indicator["id"])
    assert_allclose(b["england"], eng.loc[eng["period_label"] == b["period_label"], "value"].iloc[0], atol=1e-12)
    assert b["comparison"] in {"better", "worse", "similar"}


def test_q_values_follow_bh_over_primary_outcomes(wigan_report):
    ev, _ = wigan_report
    f = ev.findings
    for method, g in f[f["primary"]].groupby("method"):
        ok = g["p_value"].notna()
        if ok.any():
            assert_allclose(g.loc[ok, "q_value"], multipletests(g.loc[ok, "p_value"], method="fdr_bh")[1], atol=1e-12)
    assert f.loc[~f["primary"], "q_value"].isna().all()


def test_written_files_and_schema(wigan_report):
    ev, out = wigan_report
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    validate_findings(doc)                                       # jsonschema, with format checks
    assert doc["schema_version"] == SCHEMA_VERSION
    assert re.fullmatch(load_schema()["properties"]["schema_version"]["pattern"], SCHEMA_VERSION)
    assert doc["area"] == {"code": "E08000010", "name": "Wigan"}
    assert len(doc["findings"]) == len(ev.findings) and len(doc["outcomes"]) == len(ev.outcomes)
    assert all(len(p["sha256"]) == 64 for p in doc["provenance"]) and doc["provenance"]
    csv = pd.read_csv(out / "findings.csv")
    assert len(csv) == len(doc["findings"])
    assert_allclose(csv["estimate"].to_numpy(float),
                    [math.nan if r["estimate"] is None else r["estimate"] for r in doc["findings"]], equal_nan=True)
    figs = sorted(p.name for p in (out / "figures").glob("*.svg"))
    assert "spine.svg" in figs and any(n.endswith("-trend.svg") for n in figs)
    assert any(n.endswith("-its.svg") for n in figs) and any(n.endswith("-synthetic-control.svg") for n in figs)


def test_schema_rejects_a_broken_document(wigan_report):
    import jsonschema

    _, out = wigan_report
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    doc["findings"][0]["direction"] = "sideways"
    with pytest.raises(jsonschema.ValidationError, match="sideways"):
        validate_findings(doc)
    del doc["scorecard"]
    with pytest.raises(jsonschema.ValidationError):
        validate_findings(doc)


def test_report_is_self_contained_and_plain_spoken(wigan_report):
    ev, out = wigan_report
    html = (out / "report.html").read_text(encoding="utf-8")
    # no external resource (a link the reader may follow to a publisher's page is not one)
    assert not re.search(r"""(src|<link[^>]*href)\s*=\s*["']?(https?:)?//""", html), "no external references"
    assert "<script" not in html and "@import" not in html and "url(http" not in html
    # the answer and scorecard first, then primary outcomes, every outcome, the spine chart (issue 15's order)
    assert html.index('id="answer-sentence"') < html.index('id="scorecard"') < html.index('id="primary"') \
        < html.index('id="outcomes"') < html.index('id="spine"') < html.index('id="methods"') \
        < html.index('id="provenance"') < html.index('id="limitations"')
    assert "association, not causation" in html
    charts = [p.stem for p in (out / "figures").glob("*.svg") if p.stem != "spine"]
    assert charts and all(f'download="{c}.csv"' in html for c in charts)   # each drawn, with its data as CSV
    for v in ev.synthesis.verdicts:
        assert v.indicator_label in html


def test_cli_runs_the_documented_generic_example(loaded_store, tmp_path):
    """docs/framework-format.md: the generic framework for any upper-tier council, area and date on the command line."""
    from placeimpact.cli import build_app

    out = tmp_path / "trafford"
    res = CliRunner().invoke(build_app(("evaluate",)), [
        "evaluate", str(ROOT / "frameworks" / "generic-upper-tier.yaml"), "--area", "Trafford",
        "--reform-start", "2015-04-01", "--out", str(out), "--store", loaded_store.path, "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "Trafford (E08000009), reform start 2015-04-01" in res.output and "report:" in res.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    validate_findings(doc)
    assert doc["area"]["code"] == "E08000009" and doc["framework"]["reform_start"] == "2015-04-01"
    assert {f["area_code"] for f in doc["findings"]} == {"E08000009"}
    n = len(load_framework(ROOT / "frameworks" / "generic-upper-tier.yaml").indicators)
    assert len(doc["outcomes"]) == n and len(doc["findings"]) == n * len(METHODS)
    bad = CliRunner().invoke(build_app(("evaluate",)), [
        "evaluate", str(ROOT / "frameworks" / "generic-upper-tier.yaml"), "--out", str(tmp_path / "x"),
        "--store", loaded_store.path, "--no-progress"])
    assert isinstance(bad.exception, FrameworkError) and "gives no area" in str(bad.exception)


def test_area_override_and_missing_reform_start(loaded_store):
    fw = {"comparators": "oflog-nn", "methods": ["change_vs_neighbours"],
          "domains": [{"name": "Health", "indicators": ["ons-els:preventable-cardiovascular-mortality-england"]}]}
    from placeimpact.cli import cli_message

    # the library names the concept and carries the option as data; the command line words it as its flag
    with pytest.raises(FrameworkError, match="gives no area") as err:
        evaluate(loaded_store, fw, progress=False)
    assert err.value.option == "area" and "--" not in str(err.value) and "--area" in cli_message(err.value)
    with pytest.raises(FrameworkError, match="gives no reform_start") as err:
        evaluate(loaded_store, fw, area="Bolton", progress=False)
    assert err.value.option == "reform_start" and "--reform-start" in cli_message(err.value)
    ev = evaluate(loaded_store, fw, area="Bolton", reform_start="2011-04-01", progress=False, on_error="raise")
    assert ev.area_code == "E08000001" and ev.findings["area_code"].eq("E08000001").all()


def test_unknown_group_and_area_are_framework_errors(loaded_store):
    fw = {"area": "Wigan", "reform_start": "2011-04-01", "comparators": "no-such-group",
          "domains": [{"name": "Health", "indicators": ["ons-els:preventable-cardiovascular-mortality-england"]}]}
    with pytest.raises(FrameworkError, match=r"comparator group 'no-such-group' has no members.*oflog-nn"):
        evaluate(loaded_store, fw, progress=False)
    with pytest.raises(FrameworkError, match="unknown area.*Wiggan"):
        evaluate(loaded_store, {**fw, "area": "Wiggan"}, progress=False)


def test_a_method_bug_is_recorded_or_raised(loaded_store, monkeypatch):
    from placeimpact.evaluation import run as run_mod

    def broken(panel, **_):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(run_mod, "get_method", lambda name: broken)
    fw = {"area": "Wigan", "reform_start": "2011-04-01", "methods": ["did"],
          "domains": [{"name": "Health", "indicators": ["ons-els:preventable-cardiovascular-mortality-england"]}]}
    ev = evaluate(loaded_store, fw, progress=False)
    assert ev.errors and "ZeroDivisionError: boom" in ev.errors[0]
    assert ev.findings["evidence"].tolist() == ["insufficient"]
    with pytest.raises(ZeroDivisionError) as info:
        evaluate(loaded_store, fw, progress=False, on_error="raise")
    assert any("while running did" in n for n in info.value.__notes__)
    with pytest.raises(ValueError, match="on_error"):
        evaluate(loaded_store, fw, progress=False, on_error="ignore")  # type: ignore[arg-type]


def test_inputs_are_not_modified(loaded_store):
    fw = {"area": "Wigan", "reform_start": "2011-04-01", "methods": ["its"],
          "domains": [{"name": "Health", "indicators": ["ons-els:preventable-cardiovascular-mortality-england"]}]}
    before = json.dumps(fw, sort_keys=True)
    ev = evaluate(loaded_store, fw, progress=False, on_error="raise")
    assert json.dumps(fw, sort_keys=True) == before
    f = ev.findings
    f.loc[:, "estimate"] = np.nan
    assert ev.findings["estimate"].notna().all()


def test_local_csv_data_is_imported_then_evaluated(tmp_path, rng):
    """A framework's ``data:`` CSV (simulated survey values, seeded) is loaded, then evaluated like any indicator."""
    codes = ["E08000010", "E08000001", "E08000002", "E08000006", "E08000007", "E08000008"]
    years = np.arange(2005, 2018)
    rows = ["indicator_id,indicator_name,area_code,period,value,unit,value_type,polarity"]
    for i, code in enumerate(codes):
        level = 60 + i + 0.5 * (years - 2005) + rng.normal(0, 0.3, years.size)
        if i == 0:
            level = level + np.where(years >= 2012, 5.0, 0.0)      # a known step of +5 after the reform
        rows += [f"resident-satisfaction,Resident satisfaction,{code},{y},{v:.3f},%,mean,high_is_good"
                 for y, v in zip(years, level)]
    csv = tmp_path / "survey.csv"
    csv.write_text("\n".join(rows) + "\n")
    fw = tmp_path / "local.yaml"
    fw.write_text("area: E08000010\nreform_start: 2011-04-01\ncomparators: [" + ", ".join(codes[1:]) + "]\n"
                  "methods: [did]\ndata: [survey.csv]\ndomains:\n  - name: Residents\n    indicators:\n"
                  "      - id: local:resident-satisfaction\n        primary: true\n")
    with pi.open_store(tmp_path / "s.duckdb") as store:
        ev = evaluate(store, fw, progress=False, on_error="raise")
    row = ev.findings.iloc[0]
    assert row["indicator_id"] == "local:resident-satisfaction" and row["method"] == "did"
    # every post period (2012-17) carries the +5 step and the trend is shared, so the DiD truth is 5
    assert abs(row["estimate"] - 5.0) < 0.5 and row["ci_low"] < 5.0 < row["ci_high"]
    assert ev.synthesis.verdicts[0].kind == "improved"
