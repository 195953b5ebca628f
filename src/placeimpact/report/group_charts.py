"""Charts and context for the group section of a report (``templates/_group.html.j2``).

Three charts per outcome, drawn with the same matplotlib style and SVG helpers as
:mod:`.charts`: the per-area effects of the headline group method (a forest plot, one row per
treated area with its 95% interval, the group's average as a band), small multiples of each
treated area's gap against the clean comparators' mean over time (its own start marked), and
the event-study path (effect by years since each area's start, with its 95% band).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..methods.result import MethodResult
from .charts import COLOURS

#: natural width of every group chart: the report shows charts at 510-600 px (``.fig svg``), so at 5.3 in
#: (509 px) nothing is scaled down and 9 pt text stays at least 12 px, over the 11 px floor
WIDTH_IN = 5.3
#: the smallest text on a group chart, in points (9 pt = 12 px)
SMALL_PT = 9

_RC = {"svg.fonttype": "none", "font.size": SMALL_PT, "axes.spines.top": False, "axes.spines.right": False,
       "font.family": ["DejaVu Sans", "sans-serif"]}


def to_svg(fig: Figure, *, salt: str = "placeimpact") -> str:
    """The figure as SVG text (fonts as text, reproducible ids)."""
    import io

    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buf = io.StringIO()
    with rc_context({**_RC, "svg.hashsalt": salt}):
        FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None})
    return buf.getvalue()


def inline_svg(svg: str, *, prefix: str, title: str = "") -> str:
    """SVG for inlining in HTML: no XML prolog or doctype, ids prefixed to stay unique, a title for screen readers."""
    import re
    from html import escape

    body = svg[svg.index("<svg"):]
    body = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', body)
    body = re.sub(r'(url\(#|xlink:href="#|href="#)([^)"]+)', lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)
    if title:
        body = body.replace(">", f' role="img" aria-label="{escape(title)}">', 1)
    return body

__all__ = ["forest_chart", "event_chart", "small_multiples", "group_context"]


def _wrap(title: str, width: int = 58) -> str:
    """A chart title in lines that fit the chart's width (long indicator names would be cut off)."""
    import textwrap

    return "\n".join(textwrap.wrap(title, width)) or title


def _c(key: str, default: str) -> str:
    return COLOURS.get(key, default) if isinstance(COLOURS, dict) else default


def forest_chart(res: MethodResult, title: str) -> Figure:
    """Each treated area's effect with its interval, and the aggregate."""
    rows = list(res.per_area)
    n = len(rows)
    fig = Figure(figsize=(WIDTH_IN, 0.34 * n + 1.3))
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    est = np.array([float(r["estimate"]) for r in rows])
    lo = np.array([float(r["ci_low"]) if r.get("ci_low") is not None else np.nan for r in rows])
    hi = np.array([float(r["ci_high"]) if r.get("ci_high") is not None else np.nan for r in rows])
    if math.isfinite(res.ci_low) and math.isfinite(res.ci_high):
        ax.axvspan(res.ci_low, res.ci_high, color="#cfe3f5", zorder=0, label="group average, 95% CI")
    ax.axvline(res.estimate, color=COLOURS["area"], lw=1.2)
    ax.axvline(0, color="#555555", lw=0.8, ls="--")
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.hlines(y[ok], lo[ok], hi[ok], color="#333333", lw=1.2)
    ax.plot(est, y, "o", color=COLOURS["area"], ms=5)
    ax.set_yticks(y, [str(r["area_name"]) for r in rows], fontsize=SMALL_PT)
    ax.set_title(_wrap(title), fontsize=SMALL_PT + 1, loc="left")
    ax.set_xlabel("effect (indicator units)", fontsize=SMALL_PT)
    ax.tick_params(axis="x", labelsize=SMALL_PT)
    fig.tight_layout()
    return fig


def event_chart(res: MethodResult, title: str) -> Figure | None:
    """The effect by time since each area's start (None when the result has no event-study path)."""
    ev = res.event_study
    if not ev or not ev.get("event_time"):
        return None
    e = np.array(ev["event_time"], float)
    est = np.array([np.nan if x is None else x for x in ev["estimate"]], float)
    lo = np.array([np.nan if x is None else x for x in ev.get("ci_low", [None] * len(e))], float)
    hi = np.array([np.nan if x is None else x for x in ev.get("ci_high", [None] * len(e))], float)
    fig = Figure(figsize=(WIDTH_IN, 2.9))
    ax = fig.subplots()
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.fill_between(e[ok], lo[ok], hi[ok], color="#cfe3f5", step=None, label="95% CI")
    ax.plot(e, est, "o-", color=COLOURS["area"], ms=4, lw=1.2, label="effect")
    ax.axhline(0, color="#555555", lw=0.8, ls="--")
    ax.axvline(-0.5, color=COLOURS["reform"], lw=1, ls=":")
    ax.set_xlabel("periods since each area's start (0 = first period after it)", fontsize=SMALL_PT)
    ax.set_title(_wrap(title), fontsize=SMALL_PT + 1, loc="left")
    ax.tick_params(labelsize=SMALL_PT)
    ax.legend(fontsize=SMALL_PT, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def small_multiples(gp, title: str) -> Figure:
    """Each treated area's gap to the clean comparators' mean over time, its own start marked."""
    p = gp.panel
    k = gp.n_treated
    from matplotlib.ticker import MaxNLocator

    cols = min(3, k)
    rows = int(math.ceil(k / cols))
    fig = Figure(figsize=(WIDTH_IN, 1.55 * rows + 0.8))
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)).ravel()
    donors = p.values[k:]
    with np.errstate(all="ignore"):
        ref = np.nanmean(donors, axis=0) if donors.size else np.full(p.n_periods, np.nan)
    for i in range(len(axes)):
        ax = axes[i]
        if i >= k:
            ax.set_axis_off()
            continue
        gap = p.values[i] - ref
        ax.axhline(0, color="#999999", lw=0.6)
        ax.plot(p.t, gap, "-", color=COLOURS["area"], lw=1.1)
        s = gp.starts[i]
        ax.axvline(s.year + (s.timetuple().tm_yday - 1) / 365.25, color=COLOURS["reform"], lw=0.8, ls=":")
        ax.set_title(str(p.area_names[i]), fontsize=SMALL_PT)
        ax.tick_params(labelsize=SMALL_PT)
        ax.xaxis.set_major_locator(MaxNLocator(3, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(4))
    fig.suptitle(_wrap(title, 70), fontsize=SMALL_PT + 1, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def group_context(ev) -> dict[str, Any]:
    """What ``_group.html.j2`` renders: areas, removals, and per outcome the charts and leave-one-out rows."""
    g = ev.group
    head = g.headline_method
    outcomes = []
    for r in ev.outcomes:
        res = r.result(head)
        gp = g.panels.get(r.outcome)
        item: dict[str, Any] = {"label": r.label, "anchor": f"group-outcome-{r.outcome + 1}", "charts": [],
                                "loo": list(g.leave_one_out.get(r.outcome, [])), "headline": res,
                                "aggregate": r.outcome in g.aggregate_outcomes}
        if res is not None and res.evidence != "insufficient" and res.per_area:
            name = f"group-{r.outcome + 1:02d}"
            for suffix, fig, words in (
                ("areas", forest_chart(res, f"{r.label}: effect in each treated area"), "effect in each treated area"),
                ("event", event_chart(res, f"{r.label}: effect by time since the start"), "effect by time since the start"),
                ("gaps", small_multiples(gp, f"{r.label}: each area minus the clean comparators' mean")
                 if gp is not None else None, "each area minus the clean comparators' mean"),
            ):
                if fig is None:
                    continue
                svg = to_svg(fig, salt=f"{name}-{suffix}")
                item["charts"].append({"inline": inline_svg(svg, prefix=f"{name}-{suffix}", title=words),
                                       "title": f"{r.label}: {words}"})
        outcomes.append(item)
    t = g.treated
    return {
        "areas": [{"code": c, "name": n, "start": s} for c, n, s in zip(t.codes, t.names, t.starts)],
        "expanded_from": t.expanded_from, "removed": [{"code": c, "name": g.removed_names.get(c, c), "why": w}
                                                      for c, w in g.removed.items()],
        "outcomes": outcomes, "headline_name": head,
    }
