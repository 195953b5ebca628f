"""Charts: SVG text that embeds safely (unique ids), and what is drawn from which series."""

from __future__ import annotations

import re

import numpy as np

from placeimpact.methods.result import MethodResult
from placeimpact.panel import panel_from_arrays
from placeimpact.report import charts


def _panel(rng):
    t = np.arange(2005, 2020) + 0.5
    v = 50 + rng.normal(0, 1, (6, t.size))      # simulated, seeded
    return panel_from_arrays(v, t, reform_t=2011.25, england=v.mean(axis=0), polarity="low_is_good")


def test_inline_svg_prefixes_every_id_and_reference(rng):
    p = _panel(rng)
    svg = charts.to_svg(charts.trend_chart(p), salt="a")
    a = charts.inline_svg(svg, prefix="a", title="Trend <1>")
    b = charts.inline_svg(svg, prefix="b")
    assert a.startswith("<svg") and 'role="img"' in a and "<title>Trend &lt;1&gt;</title>" in a
    ids_a, ids_b = set(re.findall(r'\bid="([^"]+)"', a)), set(re.findall(r'\bid="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b and all(i.startswith("a-") for i in ids_a)
    refs = re.findall(r'(?:url\(#|href="#)([^")]+)', a)
    assert refs and set(refs) <= ids_a                       # every internal reference resolves


def test_trend_chart_tolerates_empty_columns(rng):
    p = _panel(rng)
    p.values[1:, 3] = np.nan                                  # a period with no comparator data
    svg = charts.to_svg(charts.trend_chart(p))
    assert svg.count("<path") > 5


def test_method_chart_draws_named_series_only(rng):
    p = _panel(rng)
    n = p.n_periods
    gap = rng.normal(0, 1, n)
    res = MethodResult("synthetic_control", "x", "A000", "gap", 1.0,
                       series={"t": p.t, "gap": gap, "placebo_gaps": rng.normal(0, 1, (5, n)),
                               "weights": np.ones(n)})
    fig = charts.method_chart(res, p, lines=("gap",), bundles=("placebo_gaps",), zero_line=True)
    ax = fig.axes[0]
    assert len(ax.lines) == 5 + 1 + 2                         # placebos, gap, zero line and reform line
    assert charts.method_chart(res, p, lines=("missing",)) is None
    short = MethodResult("its", "x", "A000", "e", 1.0, series={"t": p.t[:4], "observed": gap})
    assert charts.method_chart(short, p, lines=("observed",)) is None


def test_spine_chart_centres_on_england_or_marks_the_median():
    rows = [dict(label="A", polarity="high_is_good", value=5.0, england=4.0, comp_min=2.0, comp_q1=3.0,
                 comp_median=4.0, comp_q3=5.0, comp_max=6.0, comparison="better"),
            dict(label="B", polarity="low_is_good", value=5.0, england=float("nan"), comp_min=2.0, comp_q1=3.0,
                 comp_median=4.0, comp_q3=5.0, comp_max=6.0, comparison="not compared")]
    fig = charts.spine_chart(rows)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["B †", "A"]
    xs = [c.get_offsets()[0][0] for c in ax.collections]     # the two dots
    # A: (5 - 4) / max(|5-4|, |2-4|, |6-4|) = 0.5 to the right; B: low is good, centred on 4 -> -0.5
    np.testing.assert_allclose(sorted(xs), [-0.5, 0.5], atol=1e-12)
