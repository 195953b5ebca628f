"""Write an evaluation: report.html (one self-contained file), findings.json, findings.csv, figures/*.svg.

The HTML file needs nothing beyond itself: styles are inline, charts are inline SVG drawn by
:mod:`.charts`, and there is no script and no external reference, so it opens offline and
can be e-mailed. It reads top-down for a director of public health (the scorecard and the
plain-English verdicts first) and bottom-up for an analyst (every method's numbers, the
methods, data provenance with file hashes, and limitations). No statistics are computed
here: everything comes from the :class:`~placeimpact.evaluation.run.Evaluation`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from ..evaluation.context import period_words
from ..evaluation.synthesis import METHOD_NAMES
from ..formatting import number
from . import charts
from .schema import SCHEMA_VERSION, findings_document

if TYPE_CHECKING:
    from ..evaluation.run import Evaluation

__all__ = ["write_report", "render_html", "build_charts", "Chart", "METHOD_TEXT"]

METHOD_TEXT: dict[str, str] = {
    "change_vs_neighbours": "Compares the change from before to after the reform start in the area with the same change in "
                            "each comparator area, and ranks it among them.",
    "trend_difference": "Compares the area's trend (slope per year) after the reform with its trend before, against "
                        "the same difference for England.",
    "its": "Interrupted time series: fits the area's own pre-reform trend, projects it forward as the counterfactual, and "
           "estimates the change in level and slope at the reform start, allowing for serially correlated errors.",
    "did": "Difference-in-differences: the area's change from before to after the reform minus the comparator group's "
           "average change. It assumes the area would otherwise have moved in parallel with its comparators; diverging "
           "pre-reform trends are reported as a caveat.",
    "synthetic_control": "Synthetic control: a weighted mix of comparator areas chosen to track the area before the "
                         "reform; the gap after the reform is the estimate. Inference is by placebo: the same analysis "
                         "for every comparator, the p-value being the share of placebo gaps at least as large. With 15 "
                         "comparators the smallest possible p-value is 1/16 = 0.0625.",
}

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("placeimpact.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
)


def _ci(lo: Any, hi: Any) -> str:
    """'a to b', 'unbounded' for an interval too few comparators can bound, '–' when there is none."""
    vals = [float(v) if v is not None and v is not pd.NA else math.nan for v in (lo, hi)]
    if any(math.isinf(v) for v in vals):
        return "unbounded"
    if any(math.isnan(v) for v in vals):
        return "–"
    return f"{_num(vals[0])} to {_num(vals[1])}"


def _num(x: Any) -> str:
    return number(x, missing="–")


def _pval(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return "<0.001" if x < 0.001 else f"{x:.3f}"


_ENV.filters["num"] = _num
_ENV.globals["ci"] = _ci
_ENV.filters["pval"] = _pval
_ENV.filters["period"] = period_words
_ENV.filters["words"] = lambda s: str(s).replace("_", " ")


@dataclass(frozen=True)
class Chart:
    """One figure: file name stem, caption, standalone SVG text and the inline version."""

    name: str
    title: str
    svg: str
    inline: str
    outcome: int | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "x"


def _chart(name: str, title: str, fig, outcome: int | None = None) -> Chart:
    svg = charts.to_svg(fig, salt=name)
    return Chart(name=name, title=title, svg=svg, inline=charts.inline_svg(svg, prefix=name, title=title),
                 outcome=outcome)


_METHOD_CHARTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("its", "interrupted time series fit", {"lines": ("observed", "fitted", "counterfactual")}),
    ("synthetic_control", "synthetic control gap and placebos",
     {"lines": ("gap",), "bundles": ("placebo_gaps",), "zero_line": True}),
)


def build_charts(ev: "Evaluation") -> list[Chart]:
    """The spine chart, then per outcome its trend chart and the ITS and synthetic-control charts."""
    out: list[Chart] = []
    rows = [{**r.benchmark, "label": r.label, "polarity": r.panel.polarity}
            for r in ev.outcomes if r.benchmark is not None and r.panel is not None]
    if rows:
        out.append(_chart("spine", f"{ev.area_name}: latest values against England and its neighbours",
                          charts.spine_chart(rows)))
    for r in ev.outcomes:
        if r.panel is None:
            continue
        stem = f"{r.outcome + 1:02d}-{_slug(r.label)}"
        out.append(_chart(f"{stem}-trend", f"{r.label}: {ev.area_name}, England and neighbours",
                          charts.trend_chart(r.panel, title=r.label), r.outcome))
        for method, words, kw in _METHOD_CHARTS:
            res = r.result(method)
            if res is None or res.evidence == "insufficient" or not res.series:
                continue
            fig = charts.method_chart(res, r.panel, title=f"{r.label}: {words}", **kw)
            if fig is not None:
                out.append(_chart(f"{stem}-{method.replace('_', '-')}", f"{r.label}: {words}", fig, r.outcome))
    return out


def _headline(f: pd.DataFrame, v) -> dict[str, Any]:
    row = f[(f["outcome"] == v.outcome) & (f["method"] == (v.headline_method or ""))]
    get = lambda c: float(row[c].iloc[0]) if len(row) else math.nan  # noqa: E731
    return {"v": v, "estimate": get("estimate"), "ci_low": get("ci_low"), "ci_high": get("ci_high"), "q": get("q_value")}


def _context(ev: "Evaluation", chart_list: list[Chart]) -> dict[str, Any]:
    from .. import __version__

    syn = ev.synthesis
    f = syn.findings
    by_outcome: dict[int, list[Chart]] = {}
    for c in chart_list:
        if c.outcome is not None:
            by_outcome.setdefault(c.outcome, []).append(c)
    runs = {r.outcome: r for r in ev.outcomes}
    domains = []
    for d in syn.domains:
        items = []
        for v in (v for v in syn.verdicts if v.domain == d.name):
            rows = f[f["outcome"] == v.outcome]
            methods = [{
                "name": METHOD_NAMES.get(m["method"], m["method"]), "estimand": m["estimand"], "estimate": m["estimate"],
                "ci_low": m["ci_low"], "ci_high": m["ci_high"], "p": m["p_value"], "q": m["q_value"],
                "direction": m["direction"], "evidence": m["evidence"], "label": m["label"], "summary": m["summary"],
                "warnings": list(m["warnings"]), "headline": m["method"] == v.headline_method,
            } for m in rows.to_dict("records")]
            run = runs[v.outcome]
            items.append({"v": v, "run": run, "methods": methods, "charts": by_outcome.get(v.outcome, []),
                          "anchor": f"outcome-{v.outcome + 1}"})
        domains.append({"summary": d, "items": items})
    limitations = list(syn.attribution) + [
        "Indicators come from open published extracts; some stop or start at different years, and rolling three-year "
        "periods that straddle the reform start are left out of both windows.",
        "Benchmarking against England uses the area's 95% confidence interval against England's value (as Fingertips "
        "does); indicators without intervals are not compared.",
        "Estimates are not adjusted for anything the comparators do not share with the area (case-mix, boundary changes, "
        "data-collection changes). A verdict of 'no clear change' means the data cannot tell, not that there was no effect.",
    ] + [f"Method error: {e}" for e in ev.errors]
    prov = ev.provenance.copy()
    if "imported_at" in prov:
        prov["imported_at"] = pd.to_datetime(prov["imported_at"]).dt.strftime("%Y-%m-%d %H:%M")
    spine = next((c for c in chart_list if c.name == "spine"), None)
    return {
        "ev": ev, "fw": ev.framework, "syn": syn, "score": syn.scorecard, "domains": domains, "spine": spine,
        "primary": [_headline(f, v) for v in syn.verdicts if v.primary], "version": __version__, "methods": [(METHOD_NAMES.get(m, m), METHOD_TEXT.get(m, ""))
                                                                     for m in ev.methods],
        "provenance": prov.to_dict("records"), "limitations": limitations, "schema_version": SCHEMA_VERSION,
        "title": ev.framework.title or f"Did the reform change outcomes in {ev.area_name}?",
        "generated": ev.generated_at.strftime("%d %B %Y, %H:%M UTC"),
        "reform": f"{ev.reform_start.day} {ev.reform_start:%B %Y}", "alpha": syn.alpha,
        "n_outcomes": len(syn.verdicts),
    }


def render_html(ev: "Evaluation", chart_list: list[Chart] | None = None) -> str:
    """The report as one self-contained HTML string."""
    chart_list = build_charts(ev) if chart_list is None else chart_list
    return _ENV.get_template("report.html.j2").render(**_context(ev, chart_list))


def write_report(ev: "Evaluation", out_dir: Path) -> dict[str, Path]:
    """Write report.html, findings.json, findings.csv and figures/*.svg; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(exist_ok=True)
    chart_list = build_charts(ev)
    paths: dict[str, Path] = {}
    for c in chart_list:
        p = fig_dir / f"{c.name}.svg"
        p.write_text(c.svg, encoding="utf-8")
        paths[f"figures/{p.name}"] = p
    paths["report.html"] = out_dir / "report.html"
    paths["report.html"].write_text(render_html(ev, chart_list), encoding="utf-8")
    paths["findings.json"] = out_dir / "findings.json"
    paths["findings.json"].write_text(json.dumps(findings_document(ev), indent=2, allow_nan=False, ensure_ascii=False)
                                      + "\n", encoding="utf-8")
    csv = ev.findings
    for col in ("warnings", "context_warnings"):
        csv[col] = csv[col].map(lambda ws: "; ".join(ws))
    paths["findings.csv"] = out_dir / "findings.csv"
    csv.to_csv(paths["findings.csv"], index=False)
    return paths
