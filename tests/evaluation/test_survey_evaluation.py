"""Survey measures in an evaluation: a framework mixing public indicators and a survey file gives one report,
with a wave-to-wave comparison where no comparator asked the question, and the own-survey caveat."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from placeimpact import open_store
from placeimpact.evaluation import evaluate
from placeimpact.experience import NATIONAL_SURVEY_MEASURES, OWN_SURVEY_CAVEAT
from placeimpact.stats.survey import newcombe_diff_ci, percent_change_ci

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "fixtures" / "survey" / "good.csv"


@pytest.fixture(scope="module")
def writable_store(loaded_store, tmp_path_factory):
    """A copy of the loaded store that a framework's data files can be imported into."""
    path = tmp_path_factory.mktemp("survey-store") / "s.duckdb"
    shutil.copy(loaded_store.path, path)
    s = open_store(path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def mixed(writable_store, tmp_path_factory):
    d = tmp_path_factory.mktemp("fw")
    shutil.copy(GOOD, d / "residents.csv")
    (d / "fw.yaml").write_text(
        "title: Residents and staff\narea: E08000010\nreform_start: 2016-04-01\ncomparators: oflog-nn\n"
        "data: [residents.csv]\ndomains:\n  - name: People's experience\n    indicators:\n"
        "      - survey:residents-survey:Q1\n      - ons-els:satisfaction\n      - ascof:3A\n")
    ev = evaluate(writable_store, d / "fw.yaml", progress=False, on_error="raise")
    out = d / "out"
    ev.write(out)
    return ev, out


def test_wave_change_is_newcombe_from_the_waves_limits(mixed):
    ev, _ = mixed
    f = ev.findings
    row = f[(f.indicator_id == "survey:residents-survey:Q1") & (f.method == "wave_change")].iloc[0]
    # 2015: 120/200 (deff 1); 2018: 180/250 with design effect 2 -> Newcombe in percentage points
    ref = newcombe_diff_ci(180, 250, 120, 200, deff1=2.0)
    assert row.estimate == pytest.approx(12.0)
    assert [row.ci_low, row.ci_high] == pytest.approx([100 * float(ref.lower), 100 * float(ref.upper)], rel=1e-9)
    assert row.direction == "better"                  # the interval (1.3 to 21.9 points) excludes 0
    assert row.p_value < 0.05 and row.evidence == "weak"   # moderate by p, capped: no comparison group
    assert "no comparison group" in row.summary and "not proof" in row.summary
    verdict = next(v for v in ev.synthesis.verdicts if v.indicator_id == "survey:residents-survey:Q1")
    assert verdict.headline_method == "wave_change"
    assert verdict.phrase == "better than the last survey wave before the reform (weak evidence; no comparison group)"


def test_comparative_methods_still_run_for_the_public_survey_measure(mixed):
    ev, _ = mixed
    f = ev.findings
    assert "wave_change" not in set(f[f.indicator_id == "ons-els:satisfaction"].method)
    assert (f[f.indicator_id == "ons-els:satisfaction"].evidence != "insufficient").any()


def test_report_says_which_measures_are_surveys(mixed):
    ev, out = mixed
    caveats = {r.indicator["id"]: r.caveats for r in ev.outcomes}
    assert OWN_SURVEY_CAVEAT in caveats["survey:residents-survey:Q1"]
    assert any("sample survey (Annual Population Survey" in c for c in caveats["ons-els:satisfaction"])
    html = (out / "report.html").read_text()
    assert "own survey: not independently collected" in html.replace("&#39;", "'")
    assert "Change between survey waves" in html


def test_national_survey_measures_are_marked_in_the_store(loaded_store):
    for ind in ("ons-els:satisfaction", "ons-els:anxiety", "ascof:3A", "oflog:ASC3", "health-index:srwb_sat"):
        assert loaded_store.indicator(ind)["collection"] == "survey", ind
    assert loaded_store.indicator("ons-els:preventable-cardiovascular-mortality-england")["collection"] is None
    assert loaded_store.indicator("ons-els:satisfaction")["polarity"] == "high_is_good"
    stored = set(loaded_store.indicators()["id"])
    assert set(NATIONAL_SURVEY_MEASURES) <= stored          # the curated table names only indicators we hold


def test_illustrative_staff_survey_example_runs_descriptively(writable_store, tmp_path):
    ev = evaluate(writable_store, ROOT / "docs" / "examples" / "wigan-with-staff-survey.yaml", progress=False,
                  on_error="raise")
    f = ev.findings.set_index(["indicator_id", "method"])
    row = f.loc[("survey:illustrative-staff-survey-simulated:theme:staff-engagement", "wave_change")]
    assert row.direction == "not_assessed" and "descriptive only" in row.label   # 2013 is after April 2011
    d = dict(ev.outcomes[0].results[-1].diagnostics)
    pc = percent_change_ci(d["latest"], 1, d["baseline"], 1)
    assert d["percent_change"] == pytest.approx(float(pc.estimate))
    assert np.isfinite(row.ci_low) and row.ci_low < row.estimate < row.ci_high
