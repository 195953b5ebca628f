"""Charts for the evidence report, drawn with matplotlib into SVG text (no pyplot, no global state).

* :func:`spine_chart` — each outcome's latest value against England (centre line) and the
  neighbours' range (light band: lowest to highest; dark band: middle half), better to the right.
* :func:`trend_chart` — the area's series with its 95% interval, England, the neighbours'
  range and median, and the reform start.
* :func:`method_chart` — a method's own series (``MethodResult.series``): the interrupted
  time series fit and counterfactual, the synthetic control's gap with its placebo gaps.

:func:`to_svg` returns standalone SVG text; :func:`inline_svg` the same without the XML
prologue and with element ids prefixed so that many charts can share one HTML page.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from ..methods.result import MethodResult
from ..panel import Panel

__all__ = ["spine_chart", "trend_chart", "method_chart", "to_svg", "inline_svg", "COLOURS"]

COLOURS = {
    "area": "#08519c", "england": "#4d4d4d", "band": "#d9d9d9", "band_mid": "#a6a6a6", "reform": "#b2182b",
    "better": "#2c7bb6", "worse": "#d7191c", "similar": "#fdae61", "not compared": "#ffffff",
    "higher": "#9970ab", "lower": "#9970ab", "placebo": "#bdbdbd", "fit": "#1b7837", "counterfactual": "#e08214",
}
_RC = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
       "font.family": ["DejaVu Sans", "sans-serif"]}


def to_svg(fig: Figure, *, salt: str = "placeimpact") -> str:
    """Standalone SVG text of a figure (text kept as text; deterministic ids)."""
    buf = io.StringIO()
    with rc_context({**_RC, "svg.hashsalt": salt}):
        FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None, "Creator": "placeimpact"})
    return buf.getvalue()


def inline_svg(svg: str, *, prefix: str, title: str = "") -> str:
    """SVG text for embedding in HTML: no prologue, ids made unique with ``prefix``, a <title>."""
    body = svg[svg.index("<svg"):]
    ids = set(re.findall(r'\bid="([^"]+)"', body))
    body = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', body)
    body = re.sub(r'(url\(#|href="#)([^")]+)',
                  lambda m: m.group(1) + (f"{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(2)), body)
    esc = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1).replace("<svg", '<svg role="img"', 1)
                  + (f"<title>{esc}</title>" if esc else ""), body, count=1)


def _new(width: float, height: float) -> tuple[Figure, Any]:
    with rc_context(_RC):
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def _band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise min, median and max of (n_areas, n_periods), NaN where a column is empty."""
    p = values.shape[1]
    lo, med, hi = (np.full(p, np.nan) for _ in range(3))
    if values.shape[0] == 0:
        return lo, med, hi
    has = np.isfinite(values).any(axis=0)
    if has.any():
        v = values[:, has]
        lo[has] = np.where(np.isfinite(v), v, np.inf).min(axis=0)
        hi[has] = np.where(np.isfinite(v), v, -np.inf).max(axis=0)
        med[has] = np.nanmedian(v, axis=0)
    return lo, med, hi


def _reform_line(ax: Any, x: float) -> None:
    ax.axvline(x, color=COLOURS["reform"], lw=1.2, ls="--", zorder=1)
    ax.annotate("reform start", xy=(x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -10),
                textcoords="offset points", color=COLOURS["reform"], fontsize=8)


def trend_chart(panel: Panel, *, title: str | None = None) -> Figure:
    """The area, its 95% interval, England, the neighbours' range and median, and the reform line."""
    with rc_context(_RC):
        fig, ax = _new(7.2, 3.0)
        t = panel.t
        lo, med, hi = _band(panel.comparator_values)
        if np.isfinite(lo).any():
            ax.fill_between(t, lo, hi, color=COLOURS["band"], lw=0, label="neighbours (lowest to highest)", zorder=0)
            ax.plot(t, med, color=COLOURS["band_mid"], lw=1, ls=":", label="neighbours' median")
        if np.isfinite(panel.england_values).any():
            ax.plot(t, panel.england_values, color=COLOURS["england"], lw=1.4, ls="--", label="England")
        f = panel.focal_values
        if np.isfinite(panel.lci[0]).any():
            ax.fill_between(t, panel.lci[0], panel.uci[0], color=COLOURS["area"], alpha=0.15, lw=0,
                            label=f"{panel.focal_name} 95% CI")
        ax.plot(t, f, color=COLOURS["area"], lw=2, marker="o", ms=3.5, label=panel.focal_name)
        _reform_line(ax, panel.reform_t)
        ax.set_ylabel(panel.unit or "value")
        ax.set_xlabel("mid-point of period" if panel.period_years > 1.5 else "year")
        ax.set_title(title or panel.indicator_name, loc="left", fontsize=10)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=4, frameon=False, fontsize=8)
        fig.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.32)
    return fig


_STYLE = [
    (r"placebo", dict(color=COLOURS["placebo"], lw=0.7)),
    (r"gap|effect", dict(color=COLOURS["area"], lw=2.2)),
    (r"counterfactual|synthetic|expected|projected", dict(color=COLOURS["counterfactual"], lw=1.8, ls="--")),
    (r"observed|\bactual|focal|treated", dict(color=COLOURS["area"], lw=2, marker="o", ms=3)),
    (r"fit", dict(color=COLOURS["fit"], lw=1.8)),
]
_WORDS = {"observed": "observed", "fitted": "fitted trend (segmented regression)",
          "counterfactual": "pre-reform trend projected", "gap": "gap: area minus synthetic control",
          "placebo_gaps": "placebo gaps (each comparator in turn)", "focal": "area", "synthetic": "synthetic control"}


def _style(key: str) -> dict[str, Any]:
    for rx, st in _STYLE:
        if re.search(rx, key, flags=re.IGNORECASE):
            return dict(st)
    return dict(color=COLOURS["england"], lw=1.2)


def _numeric(v: Any) -> np.ndarray | None:
    try:
        a = np.asarray(v)
    except (TypeError, ValueError):
        return None
    if a.dtype.kind not in "fiu" or a.ndim not in (1, 2):
        return None
    return a.astype(float)


def method_chart(result: MethodResult, panel: Panel, *, lines: Sequence[str], bundles: Sequence[str] = (),
                 title: str | None = None, zero_line: bool = False) -> Figure | None:
    """Named series of a method against time (None when none of them can be drawn).

    Parameters
    ----------
    result : MethodResult
        Its ``series`` holds ``t`` (n,) and the arrays named in ``lines`` (each (n,)) and
        ``bundles`` (each (k, n): one row per placebo, drawn as thin grey lines beneath).
    panel : Panel
        For the reform start and units.
    lines, bundles : sequence of str
        Series keys to draw; missing or misshapen ones are skipped.
    zero_line : bool
        Draw y = 0 (for gaps).
    """
    s: Mapping[str, Any] = result.series or {}
    x = _numeric(s.get("t"))
    if x is None or x.ndim != 1:
        return None
    n = x.shape[0]
    ones = {k: a for k in lines if (a := _numeric(s.get(k))) is not None and a.shape == (n,) and np.isfinite(a).any()}
    many = {k: a for k in bundles if (a := _numeric(s.get(k))) is not None and a.ndim == 2 and a.shape[1] == n}
    if not ones:
        return None
    with rc_context(_RC):
        fig, ax = _new(7.2, 2.8)
        for k, a in many.items():
            st = _style("placebo")
            for j, row in enumerate(a):
                ax.plot(x, row, label=_WORDS.get(k, k.replace("_", " ")) if j == 0 else None, zorder=1, **st)
        for k, a in ones.items():
            ax.plot(x, a, label=_WORDS.get(k, k.replace("_", " ")), zorder=3, **_style(k))
        if zero_line:
            ax.axhline(0, color="black", lw=0.6, zorder=2)
        _reform_line(ax, panel.reform_t)
        ax.set_ylabel(panel.unit or "value", fontsize=8)
        ax.set_title(title or result.method, loc="left", fontsize=10)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False, fontsize=8)
        fig.subplots_adjust(left=0.09, right=0.98, top=0.87, bottom=0.3)
    return fig


def spine_chart(rows: Sequence[Mapping[str, Any]]) -> Figure:
    """Fingertips-style spine chart.

    Parameters
    ----------
    rows : sequence of mappings, length n
        Each with ``label``, ``polarity``, ``value``, ``england``, ``comp_min``, ``comp_q1``,
        ``comp_q3``, ``comp_max`` and ``comparison`` (better / worse / similar / higher /
        lower / not compared), as from :func:`placeimpact.evaluation.context.benchmark_latest`.

    Each row is centred on England (or, marked †, the neighbours' median when England has no
    value) and scaled by its largest distance from it; better is to the right (higher to the right for
    indicators without polarity).
    """
    n = max(len(rows), 1)
    with rc_context(_RC):
        fig, ax = _new(7.6, 0.9 + 0.34 * n)
        for i, r in enumerate(rows):
            y = n - 1 - i
            centre = r["england"] if math.isfinite(r["england"]) else r["comp_median"]
            pts = np.array([r["value"], r["comp_min"], r["comp_max"]], float) - centre
            scale = np.nanmax(np.abs(pts)) if np.isfinite(pts).any() else 1.0
            scale = scale if scale > 0 else 1.0
            sign = -1.0 if r["polarity"] == "low_is_good" else 1.0
            z = lambda v: sign * (v - centre) / scale  # noqa: E731
            a, b = sorted((z(r["comp_min"]), z(r["comp_max"])))
            if math.isfinite(a):
                ax.barh(y, b - a, left=a, height=0.55, color=COLOURS["band"], zorder=1)
                q1, q3 = sorted((z(r["comp_q1"]), z(r["comp_q3"])))
                ax.barh(y, q3 - q1, left=q1, height=0.55, color=COLOURS["band_mid"], zorder=2)
            colour = COLOURS.get(r["comparison"], COLOURS["not compared"])
            ax.scatter([z(r["value"])], [y], s=46, color=colour, edgecolor="black", linewidth=0.8, zorder=4)
        ax.axvline(0, color="black", lw=1.2, zorder=3)
        ax.set_yticks(range(n))
        def short(r: Mapping[str, Any]) -> str:
            text = (r["label"][:44] + "…") if len(r["label"]) > 45 else r["label"]
            return text if math.isfinite(r["england"]) else text + " †"

        ax.set_yticklabels([short(r) for r in rows][::-1], fontsize=8)
        ax.set_xlim(-1.15, 1.15)
        ax.set_xticks([-1, 0, 1])
        ax.set_xticklabels(["worse / lower", "England", "better / higher"], fontsize=8)
        ax.set_ylim(-0.7, n - 0.3)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.set_title("Latest value against England (centre) and the neighbours' range", loc="left", fontsize=10)
        fig.subplots_adjust(left=0.40, right=0.97, top=1 - 0.45 / (0.9 + 0.34 * n), bottom=0.35 / (0.9 + 0.34 * n))
    return fig
