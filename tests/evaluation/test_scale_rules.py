"""Relative scale, typed caveats, baseline rules and the King's Fund % change, on panels with known answers.

Every panel here is simulated by seeded code (panel_from_arrays), not real data; expected values are
computed independently with NumPy (closed forms: log differences, the delta method).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from placeimpact.errors import MethodError
from placeimpact.methods import get_method
from placeimpact.methods.change import change_vs_neighbours, percent_change, share_before
from placeimpact.methods.result import CAVEAT_KINDS, MethodResult
from placeimpact.methods.scale import log_panel, pct, resolve_scale, run_on_scale
from placeimpact.panel import panel_from_arrays

Z = 1.959963984540054


def _rates(seed=1, n_comp=12, n_pre=8, n_post=6, drop=0.06, effect=0.0):
    """Rates falling ~6% a year everywhere; the focal area's post values multiplied by exp(effect)."""
    rng = np.random.default_rng(seed)
    t = 2003.5 + np.arange(n_pre + n_post)
    base = rng.uniform(80, 160, n_comp + 1)[:, None]
    v = base * np.exp(-drop * (t - t[0]))[None, :] * np.exp(rng.normal(0, 0.02, (n_comp + 1, t.size)))
    v[0, n_pre:] *= math.exp(effect)
    eng = 120 * np.exp(-drop * (t - t[0]))
    return panel_from_arrays(v, t, reform_t=2003.0 + n_pre, england=eng, polarity="low_is_good", value_type="dsr")


def test_relative_did_is_the_log_difference_as_a_percentage():
    panel = _rates(effect=-0.10)
    res = run_on_scale(get_method("did"), panel, "relative")
    logs = np.log(panel.values)
    post = panel.post
    d = logs[:, post].mean(axis=1) - logs[:, ~post].mean(axis=1)
    b = d[0] - d[1:].mean()
    assert res.scale == "relative"
    assert_allclose(res.estimate, 100 * (math.exp(b) - 1), rtol=1e-10)
    assert_allclose(res.diagnostics["log_estimate"], b, rtol=1e-10)
    # the interval is the log-scale interval transformed; p and direction are unchanged by the transform
    on_logs = get_method("did")(log_panel(panel))
    assert_allclose([res.ci_low, res.ci_high], [pct(on_logs.ci_low), pct(on_logs.ci_high)], rtol=1e-10)
    assert res.p_value == on_logs.p_value and res.direction == on_logs.direction == "better"
    assert "%" in res.estimand and res.summary.startswith("On the relative (log) scale the effect is -")
    # the true effect, -9.5%, lies inside the interval
    assert res.ci_low < 100 * math.expm1(-0.10) < res.ci_high


def test_relative_its_projection_never_goes_below_zero():
    """A rate falling 15% a year: a straight line crosses zero, the log-scale projection cannot."""
    t = 2000.5 + np.arange(16)
    rng = np.random.default_rng(3)
    v = 100 * np.exp(-0.15 * (t - t[0]))[None, :] * np.exp(rng.normal(0, 0.01, (6, t.size)))
    panel = panel_from_arrays(v, t, reform_t=2008.0, polarity="low_is_good", value_type="crude_rate")
    its = get_method("its")
    absolute = its(panel)
    relative = run_on_scale(its, panel, "relative")
    assert np.nanmin(absolute.series["counterfactual"]) < 0 and "implausible_projection" in absolute.caveats
    cf = relative.series["counterfactual"]
    assert np.nanmin(cf) > 0 and "implausible_projection" not in relative.caveats
    # the exponentiated counterfactual is the log-line: its log is linear in t over the used periods
    ok = np.isfinite(cf)
    slope = np.diff(np.log(cf[ok])) / np.diff(t[ok])
    assert_allclose(slope, slope[0], rtol=1e-8)
    # no real change on the log scale: the relative effect is near zero, the absolute one is not
    assert abs(relative.estimate) < 5 and relative.direction == "no_clear_change"


def test_auto_scale_and_bad_scales():
    assert resolve_scale("auto", value_type="dsr") == "relative"
    assert resolve_scale("auto", value_type="crude_rate") == "relative"
    assert resolve_scale("auto", value_type="count") == "relative"
    assert resolve_scale("auto", value_type="ratio") == "relative"
    assert resolve_scale("auto", value_type="proportion") == "absolute"
    assert resolve_scale("auto", value_type="life_expectancy") == "absolute"
    assert resolve_scale("auto", value_type="mean") == "absolute"
    zero = panel_from_arrays(np.array([[0.0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5]]), [2000.5, 2001.5, 2002.5, 2003.5],
                             reform_t=2002.0, value_type="count")
    assert resolve_scale("auto", zero) == "absolute"
    with pytest.raises(MethodError, match="above zero"):
        resolve_scale("relative", zero)
    with pytest.raises(MethodError, match="not valid"):
        resolve_scale("logarithmic")
    assert pct(math.inf) == math.inf and pct(-math.inf) == -100.0 and math.isnan(pct(math.nan))


def test_caveat_kinds_are_checked_data():
    with pytest.raises(ValueError, match="unknown caveat kind"):
        MethodResult(method="did", indicator_id="x", area_code="E1", estimand="", estimate=1.0, caveats=("vibes",))
    r = MethodResult(method="synthetic_control", indicator_id="x", area_code="E1", estimand="", estimate=1.0,
                     caveats=("few_donors",), diagnostics={"outside_hull": True, "poor_pre_fit": False, "n_placebos": 15})
    assert r.caveat_kinds() == ("few_donors", "outside_hull", "placebo_floor")
    assert r.to_dict()["caveats"] == ["few_donors"] and r.to_dict()["scale"] == "absolute"
    assert set(CAVEAT_KINDS) >= {"pre_trend", "poor_pre_fit", "outside_hull", "few_donors", "overlapping_periods",
                                 "implausible_projection", "straddling_baseline", "pandemic_window"}


def test_methods_emit_kinds_for_their_caveats():
    # four comparators, and a focal area drifting away before the reform: DiD says pre_trend and few_donors
    t = 2000.5 + np.arange(12)
    rng = np.random.default_rng(5)
    v = 50 + rng.normal(0, 0.3, (5, t.size))
    v[0] += 1.5 * (t - t[0])
    panel = panel_from_arrays(v, t, reform_t=2006.0, value_type="mean", polarity="high_is_good")
    did = get_method("did")(panel)
    assert {"pre_trend", "few_donors"} <= set(did.caveats)
    trend = get_method("trend_difference")(panel, reference="neighbours")
    assert "pre_trend" in trend.caveats
    # three-year rolling periods: every method says overlapping_periods
    rolling = panel_from_arrays(v, t, reform_t=2006.0, value_type="mean", period_years=3.0)
    assert "overlapping_periods" in get_method("change_vs_neighbours")(rolling).caveats


def _straddle(reform_t: float, gain: float = -30.0):
    """Three-year rolling periods 2015-17 .. 2019-21; the focal area falls by ``gain`` after the first period."""
    t = np.array([2016.5, 2017.5, 2018.5, 2019.5, 2020.5])
    rng = np.random.default_rng(11)
    v = 100 + rng.normal(0, 1.0, (16, t.size))
    v[0, 1:] += gain
    return panel_from_arrays(v, t, reform_t=reform_t, period_years=3.0, polarity="low_is_good", value_type="dsr")


def test_share_before_closed_form():
    p = _straddle(2016.25)          # 2015-01-01 to 2017-12-31 against a start near 1 April 2016
    start = np.datetime64(p.reform_start, "D")
    days = (p.period_end[0] - p.period_start[0]).astype(int) + 1
    assert_allclose(share_before(p, 0), (start - p.period_start[0]).astype(int) / days)
    assert 0.40 < share_before(p, 0) < 0.43


def test_a_baseline_less_than_half_before_the_start_carries_no_verdict():
    res = change_vs_neighbours(_straddle(2016.25))
    assert res.evidence == "insufficient" and "straddling_baseline" in res.caveats
    assert "descriptive only: no pre-reform baseline" in res.summary


def test_a_baseline_more_than_half_before_the_start_is_flagged_and_capped_at_weak():
    panel = _straddle(2016.75)      # 2015-17 lies 58% before a start in October 2016
    assert 0.5 < share_before(panel, 0) < 0.6
    res = change_vs_neighbours(panel)
    assert res.p_value < 0.001 and res.direction == "better"     # a huge fall: strong on p alone
    assert res.evidence == "weak" and "straddling_baseline" in res.caveats
    assert res.diagnostics["baseline_flagged"] is True


def test_percent_change_matches_the_delta_method():
    t = np.array([2010.5, 2011.5, 2012.5, 2013.5])
    v = np.array([[200.0, 190, 180, 150], [100, 100, 95, 90], [50, 52, 54, 60]])
    se_log = np.array([[0.05, 0.05, 0.05, 0.04], [0.03, 0.03, 0.03, 0.03], [0.10, 0.1, 0.1, 0.08]])
    lci, uci = v * np.exp(-Z * se_log), v * np.exp(Z * se_log)
    eng = np.array([120.0, 118, 110, 100])
    panel = panel_from_arrays(v, t, reform_t=2011.0, england=eng, lci=lci, uci=uci, polarity="low_is_good",
                              value_type="dsr")
    out = percent_change(panel)
    assert (out["baseline_label"], out["endpoint_label"]) == ("2010.5", "2013.5")
    b, s = math.log(150 / 200), math.hypot(0.05, 0.04)
    assert_allclose([out["area"]["pct"], out["area"]["ci_low"], out["area"]["ci_high"]],
                    [-25.0, 100 * math.expm1(b - Z * s), 100 * math.expm1(b + Z * s)], rtol=1e-9)
    assert_allclose(out["england"]["pct"], -100 / 6, rtol=1e-9)
    # relative to England: ratio of ratios; England without limits adds no variance
    assert_allclose(out["vs_england"]["pct"], 100 * ((150 / 200) / (100 / 120) - 1), rtol=1e-9)
    assert_allclose(out["vs_england"]["ci_low"], 100 * math.expm1(b - math.log(100 / 120) - Z * s), rtol=1e-9)
    # low is good: a 25% fall beats a 10% fall and a 20% rise -> rank 1 of 3
    assert out["rank"] == 1 and out["n_ranked"] == 3
    assert_allclose([c["pct"] for c in out["comparators"]], [-10.0, 20.0], rtol=1e-9)
    assert out["comparators"][0]["vs_area_distinguishable"] is True
    assert "fell 25.0% in Area 0" in out["sentence"] and "a fall of 16.7% in England" in out["sentence"]
    # a chosen window, and a window with nothing before the endpoint
    assert_allclose(percent_change(panel, baseline="2011.5", endpoint=2)["area"]["pct"], 100 * (180 / 190 - 1))
    assert percent_change(panel, baseline=3, endpoint=3) is None


def test_percent_change_window_by_dates():
    from datetime import date

    t = np.array([2010.5, 2011.5, 2012.5, 2013.5])
    v = np.array([[200.0, 190, 180, 150], [100, 100, 95, 90], [50, 52, 54, 60]])
    panel = panel_from_arrays(v, t, reform_t=2011.0, value_type="dsr")
    out = percent_change(panel, between=(date(2011, 12, 31), date(2012, 12, 31)))
    assert (out["baseline_label"], out["endpoint_label"]) == ("2011.5", "2012.5")
    assert_allclose(out["area"]["pct"], 100 * (180 / 190 - 1))
    assert out["area"]["ci_low"] != out["area"]["ci_low"]     # no limits, no counts: no interval (NaN)
    assert out["england"] is None and out["vs_england"] is None


def test_framework_keys_for_scale_cutoffs_and_window(tmp_path):
    from datetime import date

    from placeimpact import FrameworkError
    from placeimpact.evaluation import load_framework

    base = {"area": "E08000010", "reform_start": "2011-04-01",
            "domains": [{"name": "d", "indicators": ["x"]}]}
    fw = load_framework({**base, "scale": "auto", "as_of": ["2019-06-30", "latest"], "change_window": [2010, "latest"],
                         "sensitivity": False})
    assert fw.scale == "auto" and fw.as_of == (date(2019, 6, 30), None) and fw.sensitivity is False
    assert fw.change_window == (date(2010, 12, 31), None)
    assert load_framework(base).scale == "absolute" and load_framework(base).as_of == ()
    for bad, match in (({"scale": "log"}, "scale"), ({"as_of": ["2010-01-01"]}, "as_of"),
                       ({"as_of": ["latest", "latest"]}, "twice"), ({"change_window": [2015, 2012]}, "window"),
                       ({"change_window": [2015]}, "two dates")):
        with pytest.raises(FrameworkError, match=match):
            load_framework({**base, **bad})
    # written in a file, the error names the line
    p = tmp_path / "fw.yaml"
    p.write_text("area: E08000010\nreform_start: 2011-04-01\nscale: logarithmic\ndomains:\n  - name: d\n"
                 "    indicators: [x]\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="line 3"):
        load_framework(p)


def test_evaluate_rejects_an_unknown_scale_before_running(loaded_store):
    from placeimpact import FrameworkError
    from placeimpact.evaluation import evaluate

    fw = {"area": "E08000010", "reform_start": "2011-04-01", "domains": [{"name": "d", "indicators": ["x"]}]}
    with pytest.raises(FrameworkError, match="scale"):
        evaluate(loaded_store, fw, scale="logarithmic", progress=False)
