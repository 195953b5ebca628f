"""Charts: static SVG drawn from the numbers (checked against them), maps decoded from the ONS TopoJSON."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from placeimpact.methods.result import MethodResult
from placeimpact.panel import panel_from_arrays
from placeimpact.report import charts, maps
from placeimpact.report.html import answer_sentence

NS = "{http://www.w3.org/2000/svg}"


def _panel(rng):
    t = np.arange(2005, 2020) + 0.5
    v = 50 + rng.normal(0, 1, (6, t.size))      # simulated, seeded
    return panel_from_arrays(v, t, reform_t=2011.25, england=v.mean(axis=0), polarity="low_is_good")


def test_trend_chart_is_valid_svg_with_its_numbers(rng):
    p = _panel(rng)
    plot = charts.trend_chart(p, title="Trend <1>")
    root = ET.fromstring(plot.svg)                          # well-formed XML
    assert root.find(f"{NS}title").text == "Trend <1>" and root.find(f"{NS}desc") is not None
    assert len(plot.rows) == p.n_periods and plot.header[0] == "period"
    assert plot.rows[0][1] == charts.fmt(p.focal_values[0])
    assert plot.csv().splitlines()[0].startswith("period,")
    # the area's line passes through each value: y pixel decreases as the value rises
    line = [e for e in root.iter(f"{NS}polyline") if e.get("stroke") == charts.COLOURS["area"]][0]
    ys = np.array([float(pt.split(",")[1]) for pt in line.get("points").split()])
    np.testing.assert_array_equal(np.argsort(ys, kind="stable"), np.argsort(-p.focal_values, kind="stable"))
    sizes = {float(e.get("font-size", root.get("font-size"))) for e in root.iter(f"{NS}text")} | {charts.FONT}
    assert min(sizes) * charts.MIN_WIDTH / charts.WIDTH >= 11          # never under 11 px at the narrowest


def test_trend_chart_tolerates_empty_columns(rng):
    p = _panel(rng)
    p.values[1:, 3] = np.nan                                  # a period with no comparator data
    assert charts.trend_chart(p).svg.count("<polyline") >= 3


def test_method_chart_draws_named_series_only(rng):
    p = _panel(rng)
    n = p.n_periods
    gap = rng.normal(0, 1, n)
    res = MethodResult("synthetic_control", "x", "A000", "gap", 1.0,
                       series={"t": p.t, "gap": gap, "placebo_gaps": rng.normal(0, 1, (5, n)),
                               "weights": np.ones(n)})
    plot = charts.method_chart(res, p, lines=("gap",), bundles=("placebo_gaps",), zero_line=True)
    assert plot.svg.count("<polyline") == 5 + 1                          # placebos and gap
    assert [x[0] for x in plot.legend] == ["placebo gaps (each comparator in turn)", "gap: area minus synthetic control"]
    assert charts.method_chart(res, p, lines=("missing",)) is None
    short = MethodResult("its", "x", "A000", "e", 1.0, series={"t": p.t[:4], "observed": gap})
    assert charts.method_chart(short, p, lines=("observed",)) is None


def test_nice_ticks_are_round_and_cover_the_range():
    t = charts.nice_ticks(3.2, 87.0, 4)
    assert t[0] <= 3.2 and t[-1] >= 87.0
    step = np.diff(t)
    assert np.allclose(step, step[0]) and step[0] in (20.0, 25.0)


def _x(svg: str, tag: str, attr: str) -> list[float]:
    return [float(m) for m in re.findall(rf'<{tag}[^>]*\b{attr}="([-\d.]+)"', svg)]


def test_spine_cell_puts_england_in_the_middle_and_best_to_the_right():
    row = dict(value=5.0, england=4.0, worst=2.0, q25=3.0, q75=5.0, best=8.0, comparison="better",
               polarity="high_is_good")
    svg = charts.spine_cell(row, width=200)
    (cx,) = _x(svg, "circle", "cx")
    # half-width 4 (best - England); 6 px padding: value 5 sits a quarter of the right half from the centre
    assert cx == pytest.approx(100 + 0.25 * 94, abs=0.1)
    assert charts.FINGERTIPS["better"] in svg
    low = dict(row, polarity="low_is_good", worst=8.0, best=2.0, comparison="worse")
    (cx_low,) = _x(charts.spine_cell(low, width=200), "circle", "cx")
    assert cx_low == pytest.approx(100 - 0.25 * 94, abs=0.1)            # lower is better: 5 > 4 lies on the worse side
    assert charts.spine_cell(dict(row, england=float("nan"))) == ""


def test_answer_sentence_counts_every_verdict_kind():
    s = answer_sentence({"improved": 2, "no_clear_change": 0, "worse": 1, "mixed": 5, "not_assessed": 12})
    assert s == ("Mixed evidence: 2 outcomes improved relative to comparable councils, 1 worsened, "
                 "5 showed mixed evidence and 12 could not be tested with the data held.")
    assert answer_sentence({"improved": 0, "worse": 0, "no_clear_change": 3}).startswith("No clear evidence either way")
    one = answer_sentence({"improved": 0, "worse": 0, "mixed": 1, "no_clear_change": 1})
    assert "1 showed mixed evidence" in one and "1 showed no clear change" in one     # one verb form for 1 and many


def test_topojson_decoding_matches_a_hand_made_square():
    topo = {"type": "Topology", "transform": {"scale": [1, 1], "translate": [0, 50]},
            "arcs": [[[0, 0], [1, 0], [0, 1]], [[1, 1], [-1, 0], [0, -1]]],
            "objects": {"utla": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "properties": {"areacd": "E1", "areanm": "Square"}},
                {"type": "Polygon", "arcs": [[~1, ~0]], "properties": {"areacd": "E2", "areanm": "Reversed"}}]}}}
    paths = maps.area_paths(topo, "utla")
    assert paths["E1"][0] == "Square"
    pts = lambda d: re.findall(r"[Ml](-?[\d.]+) (-?[\d.]+)", d)  # noqa: E731
    a, b = pts(paths["E1"][1]), pts(paths["E2"][1])
    assert len(a) == len(b) == 5                              # four corners and back to the start
    w = max(abs(float(x)) for x, _ in a[1:])                  # a 1 x 1 degree square at latitude ~50
    h = max(abs(float(y)) for _, y in a[1:])
    assert w / h == pytest.approx(np.cos(np.radians(53.0)), abs=0.01)   # equirectangular, scaled by cos(53 deg)
    svg = maps.choropleth(paths, {"E1": "#92D050"}, title="t", desc="d", focal="E1")
    ET.fromstring(svg)
    assert 'fill="#92D050" stroke="#000000"' in svg


def test_real_boundaries_draw_every_english_upper_tier_council(data_dir):
    topo = maps.load_topology()
    assert topo is not None
    paths = maps.area_paths(topo, "utla")
    assert "E08000010" in paths and paths["E08000010"][0] == "Wigan"
    assert all(code.startswith("E") for code in paths) and len(paths) > 140
    assert sum(len(d) for _, d in paths.values()) < 80_000        # small enough to embed once per page
