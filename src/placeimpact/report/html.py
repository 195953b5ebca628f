"""Write an evaluation: report.html (one self-contained file), findings.json, findings.csv, figures/*.svg|csv.

The HTML file needs nothing beyond itself: styles are inline, charts are inline SVG drawn by
:mod:`.charts` and :mod:`.maps`, each chart's numbers are a table beneath it and a CSV
download (a ``data:`` link, and the same file in ``figures/``), and there is no script and no
external reference, so it opens offline and can be e-mailed.

It reads top-down for a director of public health: one sentence answering the framework's
question with the strength of the evidence, the scorecard, the primary outcomes, then every
outcome as a closed card (verdict, headline estimate, sparkline, one-line reason) that opens
on the charts, every method's numbers and the caveats. Below: where the area stands now
(a Fingertips spine chart with its table), indicator definitions, methods, data provenance
with file hashes, and limitations. No statistics are computed here beyond laying out numbers:
everything comes from the :class:`~placeimpact.evaluation.run.Evaluation` and, when a store
is given, the same indicators for every area of the tier (:mod:`.national`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import quote

import jinja2
import numpy as np
import pandas as pd

from ..evaluation.context import period_words
from ..evaluation.synthesis import METHOD_NAMES, method_name
from ..formatting import number
from ..stats import compare_with_benchmark
from . import charts, maps
from .schema import SCHEMA_VERSION, findings_document

if TYPE_CHECKING:
    from ..evaluation.run import Evaluation

__all__ = ["write_report", "render_html", "build_charts", "Chart", "METHOD_TEXT", "answer_sentence",
           "comparator_words", "method_words", "KIND_WORDS"]

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
                         "reform; the gap after the reform is the estimate. Inference is by placebo (Abadie, Diamond & "
                         "Hainmueller 2010): the same analysis for every comparator, the p-value being the share of "
                         "areas whose post/pre-reform RMSPE ratio is at least as large. With 15 "
                         "comparators the smallest possible p-value is 1/16 = 0.0625.",
    "conformal_synthetic_control": "The synthetic control's gap with a conformal interval (Chernozhukov, Wüthrich & Zhu "
                                   "2021): the area's own series is permuted in time under each possible effect; needs "
                                   "20 periods or more.",
    "augmented_synthetic_control": "Ridge-augmented synthetic control (Ben-Michael, Feller & Rothstein 2021): the "
                                   "synthetic control corrected by a ridge regression for what its weights could not "
                                   "match before the reform; conformal interval.",
    "demeaned_synthetic_control": "De-meaned synthetic control (Ferman & Pinto): the weights match the area's changes, "
                                  "not its level (each series less its pre-reform mean); conformal interval.",
}

#: how the answer sentence counts each verdict kind (kinds it does not know are worded from their name)
KIND_WORDS: dict[str, str] = {
    "improved": "improved relative to comparable councils",
    "worse": "worsened",
    "no_clear_change": "showed no clear change",
    "changed": "moved (higher or lower) where the indicator has no better or worse direction",
    "mixed": "showed mixed evidence",
    "mixed_evidence": "showed mixed evidence",
    "not_assessed": "could not be tested with the data held",
}
#: the scorecard's label for each kind
SCORE_LABELS: dict[str, str] = {
    "improved": "better than expected", "worse": "worse than expected", "no_clear_change": "no clear change",
    "changed": "changed (no better/worse judgement)", "mixed": "mixed evidence", "mixed_evidence": "mixed evidence",
    "not_assessed": "not tested (data do not span the reform)",
}
_SOURCE_NAMES = {
    "ons-els": "ONS Explore Local Statistics", "fingertips-next": "OHID Fingertips (FingertipsNext extract)",
    "fingertips": "OHID Fingertips", "trafford-dashboard": "OHID Fingertips, via Trafford Data Lab's dashboard",
    "trafford-themes": "OHID Fingertips, via Trafford Data Lab's themes",
    "ascof": "NHS England: Adult Social Care Outcomes Framework (ASCOF)", "oflog": "Office for Local Government (Oflog)",
    "eyfsp": "Department for Education: Early Years Foundation Stage Profile", "health-index": "ONS Health Index",
    "local-csv": "your own data (local CSV)",
}
_POLARITY = {"high_is_good": "higher is better", "low_is_good": "lower is better",
             "no_judgement": "no better or worse direction"}

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


def method_words(method: str | None) -> str:
    """A method's name in words ('difference-in-differences'), never its code."""
    if not method:
        return "–"
    return method_name(method, lower=True)


_ENV.filters["num"] = _num
_ENV.globals["ci"] = _ci
_ENV.filters["pval"] = _pval
_ENV.filters["period"] = period_words
_ENV.filters["words"] = lambda s: str(s).replace("_", " ")
_ENV.filters["method"] = method_words


@dataclass(frozen=True)
class Chart:
    """One figure: file name stem, caption, standalone SVG, the inline version, its legend and its numbers."""

    name: str
    title: str
    svg: str
    inline: str
    outcome: int | None = None
    kind: str = "chart"
    legend: tuple[tuple[str, str, str], ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    note: str = ""
    csv: str = field(default="", repr=False)

    @property
    def csv_uri(self) -> str:
        return "data:text/csv;charset=utf-8," + quote(self.csv, safe=",.-_:;()'/+")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "x"


def _from_plot(name: str, title: str, plot: charts.Plot, outcome: int | None, kind: str, note: str = "") -> Chart:
    return Chart(name=name, title=title, svg=plot.svg, inline=plot.svg[plot.svg.index("<svg"):], outcome=outcome,
                 kind=kind, legend=tuple(plot.legend), header=tuple(plot.header),
                 rows=tuple(tuple(r) for r in plot.rows), note=note, csv=plot.csv())


_METHOD_CHARTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("its", "interrupted time series fit", {"lines": ("observed", "fitted", "counterfactual")}),
    ("synthetic_control", "synthetic control gap and placebos",
     {"lines": ("gap",), "bundles": ("placebo_gaps",), "zero_line": True}),
)


def comparator_words(ev: "Evaluation") -> str:
    """The comparator group by its human name and source: "Oflog's 15 nearest statistical neighbours"."""
    n = len(ev.comparator_codes)
    g = (ev.comparator_group or "").lower()
    if g.startswith("oflog"):
        return f"Oflog's {n} nearest statistical neighbours"
    if g.startswith("cipfa"):
        return f"CIPFA's {n} nearest neighbours"
    if g.startswith("ons"):
        return f"ONS's {n} most similar areas"
    text = str(ev.comparator_text)
    text = re.sub(r"\s*\([^()]*\bfrom [^()]*\)", "", text)        # "(group, from path)" is for the data section
    return re.sub(r"^its ", "", text)


_ORDER = ("improved", "worse", "mixed", "mixed_evidence", "no_clear_change", "changed")


def _count_phrases(scorecard: Mapping[str, int]) -> list[str]:
    """'2 outcomes improved relative to comparable councils', '1 worsened', ... (improved and worsened always)."""
    kinds = [k for k in _ORDER if k in scorecard] + [k for k in scorecard if k not in _ORDER and k != "not_assessed"]
    kinds += ["not_assessed"] if "not_assessed" in scorecard else []
    parts = [f"{int(scorecard[k])} {KIND_WORDS.get(k, k.replace('_', ' '))}" for k in kinds
             if k in ("improved", "worse") or scorecard[k]]
    if parts:
        n = int(parts[0].split()[0])
        parts[0] = parts[0].replace(" ", " outcome " if n == 1 else " outcomes ", 1)
    return parts


def _join(parts: list[str]) -> str:
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else "no outcomes"


def answer_sentence(scorecard: Mapping[str, int], verdicts: Any = ()) -> str:
    """One plain sentence answering "did outcomes change?" with the strength of the evidence.

    It counts every verdict kind present (kinds added later are worded from their name).
    """
    up, down = int(scorecard.get("improved", 0)), int(scorecard.get("worse", 0))
    strength = [v.evidence for v in verdicts if v.kind in ("improved", "worse")]
    best = next((s for s in ("strong", "moderate", "weak") if s in strength), "")
    if up and down:
        lead = "Mixed evidence"
    elif up:
        lead = f"{best.capitalize() or 'Some'} evidence that outcomes improved"
    elif down:
        lead = f"{best.capitalize() or 'Some'} evidence that outcomes worsened"
    else:
        lead = "No clear evidence either way"
    return f"{lead}: {_join(_count_phrases(scorecard))}."


def _headline(f: pd.DataFrame, v: Any) -> dict[str, Any]:
    row = f[(f["outcome"] == v.outcome) & (f["method"] == (v.headline_method or ""))]
    get = lambda c: float(row[c].iloc[0]) if len(row) else math.nan  # noqa: E731
    unit = str(row["unit"].iloc[0]) if len(row) and "unit" in row else ""
    est, lo, hi = get("estimate"), get("ci_low"), get("ci_high")
    unit_words = "percentage points" if unit.strip() == "%" else unit
    text = ""
    if v.headline_method and math.isfinite(est):
        ci = _ci(lo, hi)
        text = (f"{method_words(v.headline_method).capitalize()}: {_num(est)}{' ' + unit_words if unit_words else ''}"
                + (f" (95% CI {ci})" if ci not in ("–",) else ""))
    return {"v": v, "estimate": est, "ci_low": lo, "ci_high": hi, "q": get("q_value"), "text": text}


def _reason(v: Any) -> str:
    """The one line under a verdict: why it is what it is."""
    if v.kind == "not_assessed":
        s = re.sub(r"^.*?not assessed\.\s*", "", v.sentence)
        return s.split(". ")[0].rstrip(".") + "."
    bits = []
    if v.kind == "no_clear_change":
        bits.append("The 95% interval includes no change" if not v.caveats or not str(v.caveats[0]).startswith(
            "methods disagree") else str(v.caveats[0]).capitalize())
    elif v.agreement:
        bits.append(v.agreement[0].upper() + v.agreement[1:].split(" (")[0])
    caveat = next((c for c in v.caveats if not str(c).startswith("methods disagree")), "")
    if caveat:
        bits.append("caveat: " + str(caveat).split(";")[0])
    return "; ".join(bits) + "."


def _definitions(ev: "Evaluation") -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for r in ev.outcomes:
        ind = dict(r.indicator)
        iid = str(ind.get("id"))
        p = r.panel
        periods = (f"{period_words(p.period_labels[0])} to {period_words(p.period_labels[-1])} "
                   f"({len(p.period_labels)} periods)") if p is not None and len(p.period_labels) else "none held"
        has_counts = p is not None and bool(np.isfinite(p.count[0]).any() and np.isfinite(p.denominator[0]).any())
        vt = str(ind.get("value_type") or "")
        if has_counts:
            numden = "Numerator (count of events or people) and denominator (population) held for this area"
        elif vt in ("proportion", "crude_rate", "dsr"):
            numden = f"A {vt.replace('_', ' ').replace('dsr', 'directly standardised rate')}; counts not in the data held"
        else:
            numden = "Not published in the data held"
        entry = seen.setdefault(iid, {
            "id": iid, "name": ind.get("name") or iid, "labels": [], "source": _SOURCE_NAMES.get(str(ind.get("source")),
                                                                                           str(ind.get("source"))),
            "source_id": ind.get("source_id") or "", "definition": ind.get("description") or "",
            "numden": numden, "polarity": _POLARITY.get(p.polarity if p is not None else str(ind.get("polarity")),
                                                        "no better or worse direction"),
            "unit": ind.get("unit") or "", "periods": periods, "link": _official_link(ind),
        })
        entry["labels"].append(r.label)
    return list(seen.values())


def _official_link(ind: Mapping[str, Any]) -> str:
    src, sid = str(ind.get("source") or ""), str(ind.get("source_id") or "")
    if src == "ons-els":
        return f"https://www.ons.gov.uk/explore-local-statistics/indicators/{quote(sid)}"
    if src.startswith(("fingertips", "trafford")) and sid.isdigit():
        return f"https://fingertips.phe.org.uk/search/{sid}"
    return {
        "ascof": "https://digital.nhs.uk/data-and-information/publications/statistical/adult-social-care-outcomes-framework-ascof",
        "oflog": "https://oflog.data.gov.uk/",
        "eyfsp": "https://explore-education-statistics.service.gov.uk/find-statistics/early-years-foundation-stage-profile-results",
        "health-index": "https://www.ons.gov.uk/peoplepopulationandcommunity/healthandsocialcare/healthandwellbeing/"
                        "datasets/healthindexscoresengland",
    }.get(src, "https://fingertips.phe.org.uk/" if src.startswith(("fingertips", "trafford")) else "")


def _trend_arrow(label: str | None, polarity: str) -> tuple[str, str]:
    """Fingertips' recent-trend label as an arrow and words (and a colour class)."""
    if not label:
        return "", "–"
    low = label.lower()
    arrow = "↑" if "increas" in low else "↓" if "decreas" in low else "→"
    return arrow, label


def _spine_rows(ev: "Evaluation", national: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in ev.outcomes:
        b = r.benchmark
        if b is None or r.panel is None:
            continue
        nat = national.get(r.outcome)
        pol = r.panel.polarity
        if nat is not None:
            cell = dict(nat)
            source = "England"
        else:   # no store given: the comparators' range stands in for England's
            lo, hi = b["comp_min"], b["comp_max"]
            worst, best = (hi, lo) if pol == "low_is_good" else (lo, hi)
            cell = {"value": b["value"], "england": b["england"] if math.isfinite(b["england"]) else b["comp_median"],
                    "worst": worst, "best": best, "q25": b["comp_q1"], "q75": b["comp_q3"],
                    "comparison": b["comparison"], "comparators": [], "count": math.nan}
            source = "comparators"
        arrow, words = _trend_arrow(b.get("trend"), pol)
        rows.append({"label": r.label, "anchor": f"outcome-{r.outcome + 1}", "period": period_words(b["period_label"]),
                     "count": cell.get("count", math.nan), "value": b["value"], "england": cell["england"],
                     "worst": cell["worst"], "best": cell["best"], "comparison": b["comparison"],
                     "arrow": arrow, "trend": words, "svg": charts.spine_cell({**cell, "comparison": b["comparison"]}, width=200),
                     "range_from": source, "unit": r.panel.unit})
    return rows


def _spine_svg(rows: list[dict[str, Any]], title: str) -> str:
    """The spine chart as one standalone SVG (labels and the rows' spine cells) for figures/spine.svg."""
    h, top, label_w = 26, 30, 330
    parts = [f'<text x="4" y="18" font-size="14" font-weight="bold">{_xml(title)}</text>']
    for i, r in enumerate(rows):
        y = top + i * h
        parts.append(f'<text x="4" y="{y + 16}" font-size="12">{_xml(r["label"][:52])}</text>')
        if r["svg"]:
            parts.append(r["svg"].replace("<svg ", f'<svg x="{label_w}" y="{y + 2}" ', 1))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + 210}" height="{top + h * len(rows) + 4}" '
            f'font-family="DejaVu Sans, Arial, sans-serif" role="img"><title>{_xml(title)}</title>'
            f'{"".join(parts)}</svg>')


def _xml(s: Any) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _compare_chart(r: Any, name: str) -> Chart | None:
    """Compare-areas bars: the area, its comparators and England in the latest period, with 95% intervals."""
    p, b = r.panel, r.benchmark
    if p is None or b is None:
        return None
    j = p.period_labels.index(b["period_label"]) if b["period_label"] in p.period_labels else None
    if j is None:
        return None
    vals, lo, hi = p.values[:, j], p.lci[:, j], p.uci[:, j]
    eng = float(p.england_values[j])
    labels = compare_with_benchmark(vals, lo, hi, eng, polarity=p.polarity) if math.isfinite(eng) else \
        np.array(["not compared"] * len(vals), dtype=object)
    rows = [(p.area_names[i], float(vals[i]), float(lo[i]), float(hi[i]), str(labels[i]), i == 0)
            for i in range(len(vals)) if math.isfinite(vals[i])]
    if len(rows) < 2:
        return None
    rows.sort(key=lambda x: -x[1])
    allv = [x for row in rows for x in row[1:4] if math.isfinite(x)] + ([eng] if math.isfinite(eng) else [])
    vmin, vmax = min(min(allv), 0.0), max(allv)
    body = []
    for area, v, l_, h, lab, focal in rows:
        colour = charts.FINGERTIPS.get(lab, "#FFFFFF")
        bar = charts.ci_bar(v, l_, h, vmin=vmin, vmax=vmax, colour=colour, england=eng)
        body.append((area, v, l_, h, lab, focal, bar))
    if math.isfinite(eng):
        e_lo, e_hi = float(p.england_lci[j]), float(p.england_uci[j])
        body.append(("England", eng, e_lo, e_hi, "benchmark", False,
                     charts.ci_bar(eng, e_lo, e_hi, vmin=vmin, vmax=vmax, colour="#8c8c8c", england=eng)))
    header = ("area", "value", "lower 95% CI", "upper 95% CI", "compared with England")
    csv_rows = [(a, charts.fmt(v), charts.fmt(l_), charts.fmt(h), lab) for a, v, l_, h, lab, _, _ in body]
    import io

    from ..csvsafe import SafeWriter

    buf = io.StringIO()
    w = SafeWriter(buf, lineterminator="\n")   # names from the data: formula cells neutralised
    w.writerow(header)
    w.writerows(csv_rows)
    return Chart(name=name, title=f"{r.label}: {p.focal_name}, its comparators and England, "
                                  f"{period_words(b['period_label'])}", svg="", inline="", outcome=r.outcome,
                 kind="compare", header=header, rows=tuple(tuple(x) for x in body), csv=buf.getvalue(),
                 note=f"England {charts.fmt(eng)} (red line)" if math.isfinite(eng) else "")


def _map_chart(ev: "Evaluation", r: Any, nat: Mapping[str, Any], paths: Mapping[str, tuple[str, str]],
               name: str) -> Chart | None:
    areas = nat["areas"]
    areas = areas[areas["area_code"].isin(paths)]
    if len(areas) < 10:
        return None
    labels = areas["label"].astype(str)
    use_labels = (labels != "not compared").mean() >= 0.5
    legend: list[tuple[str, str, str]]
    if use_labels:
        fills = {c: charts.FINGERTIPS.get(lab, "#FFFFFF") for c, lab in zip(areas["area_code"], labels)}
        present = [k for k in ("better", "similar", "worse", "higher", "lower", "not compared") if (labels == k).any()]
        legend = [(f"{k} than England" if k in ("better", "worse", "higher", "lower") else
                   "similar to England" if k == "similar" else "not compared", charts.FINGERTIPS[k], "box")
                  for k in present]
        how = "coloured by comparison with England (the area's 95% interval against England's value)"
    else:
        shades = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
        q = pd.qcut(areas["value"].rank(method="first"), 5, labels=False)
        fills = {c: shades[int(k)] for c, k in zip(areas["area_code"], q)}
        edges = np.quantile(areas["value"], [0, .2, .4, .6, .8, 1])
        legend = [(f"{charts.fmt(edges[i])} to {charts.fmt(edges[i + 1])}", shades[i], "box") for i in range(5)]
        how = "shaded by fifths of the areas' values (darker = higher)"
    title = f"{r.label}: every council, {period_words(nat['period_label'])}"
    tally = ", ".join(f"{int((labels == k).sum())} {k}" for k in ("better", "similar", "worse", "higher", "lower",
                                                                 "not compared") if (labels == k).any())
    mine = areas[areas["area_code"] == ev.area_code]
    focal_txt = (f"{ev.area_name}: {charts.fmt(mine['value'].iloc[0])} ({mine['label'].iloc[0]})" if len(mine) else
                 f"{ev.area_name}: no value")
    desc = (f"Map of {len(areas)} councils {how}; {ev.area_name} outlined in black, its comparators in dark blue. "
            f"{focal_txt}. Councils by comparison with England: {tally}. Every council's value is in the CSV file.")
    kw = dict(title=title, desc=desc, focal=ev.area_code, comparators=ev.comparator_codes)
    inline = maps.choropleth(paths, fills, shared=True, **kw)
    standalone = maps.choropleth(paths, fills, shared=False, **kw)
    header = ("area code", "area", "value", "lower 95% CI", "upper 95% CI", "compared with England")
    rows = tuple((str(a.area_code), str(a.area_name), charts.fmt(a.value), charts.fmt(a.lci95), charts.fmt(a.uci95),
                  str(a.label)) for a in areas.sort_values("value").itertuples())
    plot = charts.Plot(standalone, legend, list(header), [list(x) for x in rows])
    return Chart(name=name, title=title, svg=standalone, inline=inline, outcome=r.outcome, kind="map",
                 legend=tuple(legend), header=header, rows=(), csv=plot.csv(), note=f"{desc} {maps.CREDIT}")


def build_charts(ev: "Evaluation", national: Mapping[int, Mapping[str, Any]] | None = None,
                 topology: Mapping[str, Any] | None = None) -> list[Chart]:
    """Per outcome: its trend chart, compare-areas chart, map (with ``national`` and ``topology``), and
    the interrupted-time-series and synthetic-control charts where those methods ran."""
    out: list[Chart] = []
    paths = maps.area_paths(topology, "utla") if topology is not None and national else {}
    for r in ev.outcomes:
        if r.panel is None:
            continue
        stem = f"{r.outcome + 1:02d}-{_slug(r.label)}"
        out.append(_from_plot(f"{stem}-trend", f"{r.label}: {ev.area_name}, England and comparators",
                              charts.trend_chart(r.panel, title=r.label), r.outcome, "trend"))
        cmp = _compare_chart(r, f"{stem}-compare")
        if cmp is not None:
            out.append(cmp)
        if national and r.outcome in national and paths:
            m = _map_chart(ev, r, national[r.outcome], paths, f"{stem}-map")
            if m is not None:
                out.append(m)
        for method, words, kw in _METHOD_CHARTS:
            res = r.result(method)
            if res is None or res.evidence == "insufficient" or not res.series:
                continue
            plot = charts.method_chart(res, r.panel, title=f"{r.label}: {words}", **kw)
            if plot is not None:
                out.append(_from_plot(f"{stem}-{method.replace('_', '-')}", f"{r.label}: {words}", plot, r.outcome,
                                      method))
    return out


def _context(ev: "Evaluation", chart_list: list[Chart], national: Mapping[int, Mapping[str, Any]],
             topology: Mapping[str, Any] | None) -> dict[str, Any]:
    from .. import __version__

    syn = ev.synthesis
    f = syn.findings
    by_outcome: dict[int, list[Chart]] = {}
    for c in chart_list:
        if c.outcome is not None:
            by_outcome.setdefault(c.outcome, []).append(c)
    runs = {r.outcome: r for r in ev.outcomes}
    items_by_outcome = {}
    for v in syn.verdicts:
        rows = f[f["outcome"] == v.outcome]
        methods = [{
            "name": METHOD_NAMES.get(m["method"], m["method"]), "estimand": m["estimand"], "estimate": m["estimate"],
            "ci_low": m["ci_low"], "ci_high": m["ci_high"], "p": m["p_value"], "q": m["q_value"],
            "direction": m["direction"], "evidence": m["evidence"], "label": m["label"], "summary": m["summary"],
            "warnings": list(m["warnings"]), "headline": m["method"] == v.headline_method,
        } for m in rows.to_dict("records")]
        run = runs[v.outcome]
        p = run.panel
        spark = charts.sparkline(p.t, p.focal_values, p.reform_t,
                                 label=_spark_label(run)) if p is not None else ""
        items_by_outcome[v.outcome] = {
            "v": v, "run": run, "methods": methods, "charts": by_outcome.get(v.outcome, []),
            "anchor": f"outcome-{v.outcome + 1}", "head": _headline(f, v), "spark": spark, "reason": _reason(v),
        }
    domains = []
    for d in syn.domains:
        domains.append({"summary": d, "items": [items_by_outcome[v.outcome] for v in syn.verdicts
                                                if v.domain == d.name and not v.primary]})
    primary = [items_by_outcome[v.outcome] for v in syn.verdicts if v.primary]
    attribution = [a.replace(ev.comparator_text, comparator_words(ev)) for a in syn.attribution]
    specific = [a for a in attribution[1:] if a.startswith("For ")]
    limitations = [attribution[0]] + [a for a in attribution[1:] if not a.startswith("For ")] + [
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
    score = dict(syn.scorecard)
    n_primary = sum(1 for v in syn.verdicts if v.primary)
    primary_score = {k: 0 for k in score}
    for v in syn.verdicts:
        if v.primary:
            primary_score[v.kind] = primary_score.get(v.kind, 0) + 1
    any_map = any(c.kind == "map" for c in chart_list)
    return {
        "ev": ev, "fw": ev.framework, "syn": syn, "score": score, "score_labels": SCORE_LABELS,
        "answer": answer_sentence(score, syn.verdicts),
        "primary_answer": (f"Of the {n_primary} primary outcome{'s' if n_primary != 1 else ''} chosen before looking at "
                           f"the results, " + _join(_count_phrases(primary_score)).replace(" outcomes ", " ", 1)
                           .replace(" outcome ", " ", 1) + "." if n_primary else ""),
        "attribution": syn.attribution[0].replace(ev.comparator_text, comparator_words(ev)),
        "n_primary": n_primary, "comparators": comparator_words(ev),
        "domains": domains, "primary": primary, "version": __version__,
        "methods": [(METHOD_NAMES.get(m, m), METHOD_TEXT.get(m, "")) for m in ev.methods],
        "provenance": prov.to_dict("records"), "limitations": limitations, "specific_caveats": specific, "schema_version": SCHEMA_VERSION,
        "title": ev.framework.title or f"Did the reform change outcomes in {ev.area_name}?",
        "generated": ev.generated_at.strftime("%d %B %Y, %H:%M UTC"),
        "reform": (ev.group.start_text() if ev.group is not None
                   else f"reform start {ev.reform_start.day} {ev.reform_start:%B %Y}"), "alpha": syn.alpha,
        "n_outcomes": len(syn.verdicts), "spine": _spine_rows(ev, national), "national": bool(national),
        "definitions": _definitions(ev), "fingertips": charts.FINGERTIPS,
        "map_defs": maps.map_defs(maps.area_paths(topology, "utla")) if any_map and topology else "",
        "map_credit": maps.CREDIT,
    }


def _spark_label(run: Any) -> str:
    p = run.panel
    ok = np.flatnonzero(np.isfinite(p.focal_values))
    if ok.size < 2:
        return ""
    a, b = ok[0], ok[-1]
    return (f"Trend in {p.focal_name}: {charts.fmt(p.focal_values[a])} in {period_words(p.period_labels[a])}, "
            f"{charts.fmt(p.focal_values[b])} in {period_words(p.period_labels[b])}")


def _prepare(ev: "Evaluation", store: Any = None) -> tuple[list[Chart], dict[int, dict[str, Any]], dict | None]:
    from .national import national_context

    national = national_context(store, ev) if store is not None else {}
    topo = maps.load_topology(store) if national else None
    return build_charts(ev, national, topo), national, topo


def render_html(ev: "Evaluation", chart_list: list[Chart] | None = None, *, store: Any = None,
                national: Mapping[int, Mapping[str, Any]] | None = None,
                topology: Mapping[str, Any] | None = None) -> str:
    """The report as one self-contained HTML string (``store``: add England's spread and maps)."""
    if chart_list is None:
        chart_list, national, topology = _prepare(ev, store)
    return _ENV.get_template("report.html.j2").render(**_context(ev, chart_list, national or {}, topology))


def write_report(ev: "Evaluation", out_dir: str | Path, *, store: Any = None) -> dict[str, Path]:
    """Write report.html, findings.json, findings.csv and figures/*.svg|csv; return their paths.

    With ``store`` (the one the evaluation read) the spine chart spans England's areas and each
    outcome gets a map; without it the comparators' range stands in and there are no maps.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(exist_ok=True)
    chart_list, national, topo = _prepare(ev, store)
    paths: dict[str, Path] = {}
    for c in chart_list:
        if c.svg:
            p = fig_dir / f"{c.name}.svg"
            p.write_text(c.svg, encoding="utf-8")
            paths[f"figures/{p.name}"] = p
        if c.csv:
            p = fig_dir / f"{c.name}.csv"
            p.write_text(c.csv, encoding="utf-8")
            paths[f"figures/{p.name}"] = p
    spine = _spine_rows(ev, national)
    if spine:
        p = fig_dir / "spine.svg"
        p.write_text(_spine_svg(spine, f"{ev.area_name}: latest values against England"), encoding="utf-8")
        paths["figures/spine.svg"] = p
        p = fig_dir / "spine.csv"
        keys = ["label", "period", "count", "value", "england", "worst", "best", "comparison", "trend"]
        from ..csvsafe import write_csv

        write_csv(pd.DataFrame([{k: r[k] for k in keys} for r in spine]), p, index=False)
        paths["figures/spine.csv"] = p
    paths["report.html"] = out_dir / "report.html"
    paths["report.html"].write_text(render_html(ev, chart_list, national=national, topology=topo), encoding="utf-8")
    paths["findings.json"] = out_dir / "findings.json"
    paths["findings.json"].write_text(json.dumps(findings_document(ev), indent=2, allow_nan=False, ensure_ascii=False)
                                      + "\n", encoding="utf-8")
    csv = ev.findings
    for col in ("warnings", "context_warnings"):
        csv[col] = csv[col].map(lambda ws: "; ".join(ws))
    for col in ("caveats", "context_caveats"):     # typed caveat kinds (issue 13)
        if col in csv:
            csv[col] = csv[col].map(lambda ks: "; ".join(k for k in ks if k))
    paths["findings.csv"] = out_dir / "findings.csv"
    from ..csvsafe import write_csv

    write_csv(csv, paths["findings.csv"])
    return paths
