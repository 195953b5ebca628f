"""Charts for the evidence report and the web pages, written as small static SVG.

Every chart here is plain SVG text drawn from the numbers it shows: no plotting-library
figure per chart (a report holds dozens; a matplotlib figure and its SVG backend cost about
170 ms each, these cost well under a millisecond), no script and no external reference.
Tick positions use the "nice numbers" rule (1, 2, 2.5, 5 x 10^k); the text is sized in CSS
pixels and the page keeps a chart at least :data:`MIN_WIDTH` wide (scrolling inside its own
box on a phone) so that no chart text is drawn smaller than 11 px.

* :func:`trend_chart` - the area's series with its 95% interval, England, the comparators'
  range and median, and the reform start.
* :func:`method_chart` - a method's own series (``MethodResult.series``): the interrupted
  time series fit and counterfactual, the synthetic control's gap with its placebo gaps.
* :func:`sparkline` - the area's series in a 120 x 28 box for an outcome's summary line.
* :func:`spine_cell` - one row of a Fingertips spine chart: England's worst to best, the
  25th-75th percentile band, England's value, comparators and the area's marker.
* :func:`ci_bar` - one row of a compare-areas bar chart with its 95% interval.

Each line or area chart is a :class:`Plot`: its SVG text plus a legend and the numbers it
draws as a table (``header``, ``rows``), which the report prints beneath it as the chart's
text alternative and offers as CSV.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..methods.result import MethodResult
from ..panel import Panel

__all__ = ["trend_chart", "method_chart", "sparkline", "spine_cell", "ci_bar", "Plot", "COLOURS", "FINGERTIPS",
           "MIN_WIDTH", "nice_ticks", "fmt"]

#: line and band colours (each line at least 3:1 against white)
COLOURS = {
    "area": "#08519c", "england": "#222222", "band": "#dcdcdc", "band_mid": "#6b6b6b", "reform": "#b2182b",
    "placebo": "#9e9e9e", "fit": "#1b7837", "counterfactual": "#b35806", "grid": "#ececec", "axis": "#595959",
}
#: Fingertips' benchmark colours: better green, similar amber, worse red, not compared white; blue shades
#: (darker for lower, lighter for higher) where the indicator has no polarity
FINGERTIPS = {"better": "#92D050", "similar": "#FFC000", "worse": "#C00000", "not compared": "#FFFFFF",
              "lower": "#5555E6", "higher": "#BED2FF"}

WIDTH, HEIGHT = 600, 250
FONT = 13            # px at natural size
MIN_WIDTH = 510      # px: the narrowest a chart is drawn (13 * 510 / 600 = 11.05 px text)


def fmt(x: Any) -> str:
    """A number for a chart or its table: 4 significant figures at most, '' when missing."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(x):
        return ""
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    if a >= 1 or a == 0:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def _esc(s: Any) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 x 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return np.array([0.0, 1.0])
    if hi <= lo:
        pad = abs(lo) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    stop = math.ceil(hi / step) * step
    return np.round(np.arange(start, stop + step / 2, step), 10)


@dataclass
class Plot:
    """One chart: SVG text, a legend (label, colour, style: line / dash / box) and the numbers drawn, as a table."""

    svg: str
    legend: list[tuple[str, str, str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def csv(self) -> str:
        """The chart's numbers as CSV text."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.header)
        w.writerows(self.rows)
        return buf.getvalue()


class _Canvas:
    """Data-to-pixel mapping and SVG elements for one line chart."""

    def __init__(self, x: Sequence[float], ys: Sequence[np.ndarray], *, zero: bool = False) -> None:
        self.left, self.right, self.top, self.bottom = 62, 14, 22, 30
        xs = np.asarray(x, float)
        self.xlo, self.xhi = float(np.nanmin(xs)), float(np.nanmax(xs))
        if self.xhi <= self.xlo:
            self.xlo, self.xhi = self.xlo - 1, self.xhi + 1
        pad = (self.xhi - self.xlo) * 0.03
        self.xlo, self.xhi = self.xlo - pad, self.xhi + pad
        vals = np.concatenate([np.asarray(y, float).ravel() for y in ys] + ([np.zeros(1)] if zero else []))
        vals = vals[np.isfinite(vals)]
        lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)
        self.yticks = nice_ticks(lo, hi, 4)
        self.ylo, self.yhi = float(self.yticks[0]), float(self.yticks[-1])
        self.parts: list[str] = []

    def px(self, x: float) -> float:
        return self.left + (x - self.xlo) / (self.xhi - self.xlo) * (WIDTH - self.left - self.right)

    def py(self, y: float) -> float:
        return HEIGHT - self.bottom - (y - self.ylo) / (self.yhi - self.ylo) * (HEIGHT - self.top - self.bottom)

    def _pts(self, x: np.ndarray, y: np.ndarray) -> list[str]:
        """Polyline point lists, one per run of finite values."""
        runs, cur = [], []
        for a, b in zip(x, y):
            if math.isfinite(a) and math.isfinite(b):
                cur.append(f"{self.px(a):.1f},{self.py(b):.1f}")
            elif cur:
                runs.append(cur)
                cur = []
        if cur:
            runs.append(cur)
        return [" ".join(r) for r in runs]

    def axes(self) -> None:
        x0, x1 = self.left, WIDTH - self.right
        for v in self.yticks:
            y = self.py(v)
            self.parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>')
            self.parts.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{_esc(fmt(v))}</text>')
        lo, hi = self.xlo + (self.xhi - self.xlo) * 0.03 / 1.06, self.xhi - (self.xhi - self.xlo) * 0.03 / 1.06
        for v in nice_ticks(lo, hi, 6):
            if self.xlo <= v <= self.xhi:
                x = self.px(v)
                label = str(int(v)) if float(v).is_integer() else fmt(v)
                self.parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{HEIGHT - self.bottom}" '
                                  f'y2="{HEIGHT - self.bottom + 4}" stroke="{COLOURS["axis"]}"/>')
                self.parts.append(f'<text x="{x:.1f}" y="{HEIGHT - self.bottom + 18}" text-anchor="middle">{label}</text>')
        self.parts.append(f'<line x1="{x0}" x2="{x1}" y1="{HEIGHT - self.bottom}" y2="{HEIGHT - self.bottom}" '
                          f'stroke="{COLOURS["axis"]}"/>')

    def line(self, x: np.ndarray, y: np.ndarray, colour: str, width: float = 2.0, dash: str = "",
             dots: bool = False) -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        for pts in self._pts(x, y):
            self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width}"{d}/>')
        if dots:
            for a, b in zip(x, y):
                if math.isfinite(a) and math.isfinite(b):
                    self.parts.append(f'<circle cx="{self.px(a):.1f}" cy="{self.py(b):.1f}" r="3" fill="{colour}"/>')

    def band(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, colour: str, opacity: float = 1.0) -> None:
        ok = np.isfinite(x) & np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() < 1:
            return
        xs, ls, hs = x[ok], lo[ok], hi[ok]
        pts = [f"{self.px(a):.1f},{self.py(b):.1f}" for a, b in zip(xs, hs)]
        pts += [f"{self.px(a):.1f},{self.py(b):.1f}" for a, b in zip(xs[::-1], ls[::-1])]
        op = f' fill-opacity="{opacity}"' if opacity < 1 else ""
        self.parts.append(f'<polygon points="{" ".join(pts)}" fill="{colour}"{op}/>')

    def hline(self, y: float, colour: str = "#000") -> None:
        self.parts.append(f'<line x1="{self.left}" x2="{WIDTH - self.right}" y1="{self.py(y):.1f}" '
                          f'y2="{self.py(y):.1f}" stroke="{colour}"/>')

    def reform(self, x: float) -> None:
        px = self.px(x)
        self.parts.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{self.top - 6}" y2="{HEIGHT - self.bottom}" '
                          f'stroke="{COLOURS["reform"]}" stroke-width="1.5" stroke-dasharray="5 3"/>')
        anchor, dx = ("end", -4) if px > WIDTH * 0.7 else ("start", 4)
        self.parts.append(f'<text x="{px + dx:.1f}" y="{self.top - 8}" text-anchor="{anchor}" '
                          f'fill="{COLOURS["reform"]}">reform start</text>')

    def svg(self, title: str, desc: str) -> str:
        body = "".join(self.parts)
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
                f'height="{HEIGHT}" role="img" font-family="DejaVu Sans, Arial, sans-serif" font-size="{FONT}" '
                f'fill="#1a1a1a"><title>{_esc(title)}</title><desc>{_esc(desc)}</desc>{body}</svg>')


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


def trend_chart(panel: Panel, *, title: str | None = None) -> Plot:
    """The area, its 95% interval, England, the comparators' range and median, and the reform line."""
    t = np.asarray(panel.t, float)
    lo, med, hi = _band(panel.comparator_values)
    f, flo, fhi, eng = panel.focal_values, panel.lci[0], panel.uci[0], panel.england_values
    c = _Canvas(t, [f, flo, fhi, eng, lo, hi])
    c.axes()
    legend: list[tuple[str, str, str]] = []
    if np.isfinite(lo).any():
        c.band(t, lo, hi, COLOURS["band"])
        c.line(t, med, COLOURS["band_mid"], 1.5, "2 3")
        legend += [("comparators: lowest to highest", COLOURS["band"], "box"),
                   ("comparators' median", COLOURS["band_mid"], "dash")]
    if np.isfinite(eng).any():
        c.line(t, eng, COLOURS["england"], 1.6, "6 4")
        legend.append(("England", COLOURS["england"], "dash"))
    if np.isfinite(flo).any():
        c.band(t, flo, fhi, COLOURS["area"], 0.15)
        legend.append((f"{panel.focal_name}: 95% confidence interval", "#c6d4e6", "box"))
    c.line(t, f, COLOURS["area"], 2.4, dots=True)
    legend.insert(0, (panel.focal_name, COLOURS["area"], "line"))
    c.reform(panel.reform_t)
    header = ["period", panel.focal_name, "lower 95% CI", "upper 95% CI", "England", "comparators lowest",
              "comparators median", "comparators highest"]
    rows = [[str(lab), fmt(f[j]), fmt(flo[j]), fmt(fhi[j]), fmt(eng[j]), fmt(lo[j]), fmt(med[j]), fmt(hi[j])]
            for j, lab in enumerate(panel.period_labels)]
    name = title or panel.indicator_name
    desc = (f"{name}: {panel.focal_name} against England and its comparators, by period"
            + (f" ({panel.unit})" if panel.unit else "") + "; the table beneath holds every value.")
    return Plot(c.svg(name, desc), legend, header, rows)


_STYLE = [
    (r"placebo", (COLOURS["placebo"], 1.0, "", False)),
    (r"gap|effect", (COLOURS["area"], 2.4, "", False)),
    (r"counterfactual|synthetic|expected|projected", (COLOURS["counterfactual"], 2.0, "6 4", False)),
    (r"observed|\bactual|focal|treated", (COLOURS["area"], 2.2, "", True)),
    (r"fit", (COLOURS["fit"], 2.0, "", False)),
]
_WORDS = {"observed": "observed", "fitted": "fitted trend (segmented regression)",
          "counterfactual": "pre-reform trend projected", "gap": "gap: area minus synthetic control",
          "placebo_gaps": "placebo gaps (each comparator in turn)", "focal": "area", "synthetic": "synthetic control"}


def _style(key: str) -> tuple[str, float, str, bool]:
    for rx, st in _STYLE:
        if re.search(rx, key, flags=re.IGNORECASE):
            return st
    return (COLOURS["england"], 1.4, "", False)


def _numeric(v: Any) -> np.ndarray | None:
    try:
        a = np.asarray(v)
    except (TypeError, ValueError):
        return None
    if a.dtype.kind not in "fiu" or a.ndim not in (1, 2):
        return None
    return a.astype(float)


def method_chart(result: MethodResult, panel: Panel, *, lines: Sequence[str], bundles: Sequence[str] = (),
                 title: str | None = None, zero_line: bool = False) -> Plot | None:
    """Named series of a method against time (None when none of them can be drawn).

    Parameters
    ----------
    result : MethodResult
        Its ``series`` holds ``t`` (n,) and the arrays named in ``lines`` (each (n,)) and
        ``bundles`` (each (k, n): one row per placebo, drawn as thin grey lines beneath).
    panel : Panel
        For the reform start.
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
    c = _Canvas(x, list(ones.values()) + [a for a in many.values()], zero=zero_line)
    c.axes()
    legend: list[tuple[str, str, str]] = []
    for k, a in many.items():
        colour, width, dash, _ = _style("placebo")
        for row in a:
            c.line(x, row, colour, width, dash)
        legend.append((_WORDS.get(k, k.replace("_", " ")), colour, "line"))
    if zero_line:
        c.hline(0.0)
    for k, a in ones.items():
        colour, width, dash, dots = _style(k)
        c.line(x, a, colour, width, dash, dots)
        legend.append((_WORDS.get(k, k.replace("_", " ")), colour, "dash" if dash else "line"))
    c.reform(panel.reform_t)
    header = ["time (decimal year)"] + [_WORDS.get(k, k.replace("_", " ")) for k in ones]
    rows = [[fmt(x[j])] + [fmt(a[j]) for a in ones.values()] for j in range(n)]
    name = title or result.method
    desc = f"{name}; the table beneath holds every value drawn" + (" (placebo lines omitted)" if many else "") + "."
    return Plot(c.svg(name, desc), legend, header, rows)


def sparkline(t: Sequence[float], values: Sequence[float], reform_t: float | None = None, *,
              label: str = "") -> str:
    """A 120 x 28 line of the area's values with the reform start marked (no text inside)."""
    t, v = np.asarray(t, float), np.asarray(values, float)
    ok = np.isfinite(t) & np.isfinite(v)
    w, h, pad = 120, 28, 3
    if ok.sum() < 2:
        return ""
    t0, t1 = float(t[ok].min()), float(t[ok].max())
    v0, v1 = float(v[ok].min()), float(v[ok].max())
    v1 = v1 if v1 > v0 else v0 + 1
    X = lambda a: pad + (a - t0) / (t1 - t0) * (w - 2 * pad)  # noqa: E731
    Y = lambda b: h - pad - (b - v0) / (v1 - v0) * (h - 2 * pad)  # noqa: E731
    pts = " ".join(f"{X(a):.1f},{Y(b):.1f}" for a, b in zip(t[ok], v[ok]))
    parts = []
    if reform_t is not None and t0 <= reform_t <= t1:
        parts.append(f'<line x1="{X(reform_t):.1f}" x2="{X(reform_t):.1f}" y1="0" y2="{h}" '
                     f'stroke="{COLOURS["reform"]}" stroke-dasharray="2 2"/>')
    parts.append(f'<polyline points="{pts}" fill="none" stroke="{COLOURS["area"]}" stroke-width="1.8"/>')
    last = np.flatnonzero(ok)[-1]
    parts.append(f'<circle cx="{X(t[last]):.1f}" cy="{Y(v[last]):.1f}" r="2.5" fill="{COLOURS["area"]}"/>')
    aria = f' role="img" aria-label="{_esc(label)}"' if label else ' aria-hidden="true"'
    return (f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
            f'height="{h}"{aria}>{"".join(parts)}</svg>')


def spine_cell(row: Mapping[str, Any], *, width: int = 240, height: int = 22) -> str:
    """One row of a Fingertips spine chart as a small SVG (no text: the table row around it holds the numbers).

    ``row`` holds ``value``, ``england``, ``worst``, ``q25``, ``q75``, ``best`` (England's
    areas of the same tier, worst and best by polarity), ``comparison`` (better / similar / worse
    / higher / lower / not compared), ``polarity`` and optional ``comparators`` (values).
    As Fingertips draws it, England's value is the centre line, the bar runs from the worst
    (left) to the best (right) area, scaled so that the longer half fills its side, the darker
    band is the 25th to 75th percentile, and the marker is the area, coloured by comparison.
    Without a polarity the left end is the lowest value.
    """
    eng, worst, best = (float(row.get(k, math.nan)) for k in ("england", "worst", "best"))
    if not all(math.isfinite(v) for v in (eng, worst, best)):
        return ""
    half = max(abs(eng - worst), abs(best - eng)) or 1.0
    pad = 6
    mid = width / 2

    def X(v: float) -> float:   # worst to the left of centre, best to the right
        side = (v - eng) / half * (1 if best >= worst else -1)
        return mid + side * (mid - pad)

    parts = [f'<rect x="{X(worst):.1f}" y="5" width="{X(best) - X(worst):.1f}" height="{height - 10}" fill="#dbe4ee"/>']
    q25, q75 = float(row.get("q25", math.nan)), float(row.get("q75", math.nan))
    if math.isfinite(q25) and math.isfinite(q75):
        a, b = sorted((X(q25), X(q75)))
        parts.append(f'<rect x="{a:.1f}" y="5" width="{b - a:.1f}" height="{height - 10}" fill="#7f9bbd"/>')
    parts.append(f'<line x1="{mid}" x2="{mid}" y1="1" y2="{height - 1}" stroke="#c00000" stroke-width="2"/>')
    for v in row.get("comparators") or ():
        if math.isfinite(float(v)):
            x = X(float(v))
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="6" y2="{height - 6}" stroke="#1a1a1a" '
                         f'stroke-width="1"/>')
    val = float(row.get("value", math.nan))
    if math.isfinite(val):
        colour = FINGERTIPS.get(str(row.get("comparison")), "#FFFFFF")
        parts.append(f'<circle cx="{X(val):.1f}" cy="{height / 2}" r="6" fill="{colour}" stroke="#1a1a1a" '
                     f'stroke-width="1.2"/>')
    return (f'<svg class="spinecell" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'aria-hidden="true">{"".join(parts)}</svg>')


def ci_bar(value: float, lo: float, hi: float, *, vmin: float, vmax: float, colour: str, width: int = 220,
           height: int = 18, england: float | None = None) -> str:
    """One bar of a compare-areas chart: the value from zero (or the axis start), its 95% interval as a whisker."""
    if not math.isfinite(value):
        return ""
    span = (vmax - vmin) or 1.0
    X = lambda v: 2 + (v - vmin) / span * (width - 4)  # noqa: E731
    origin = 0.0 if vmin <= 0 <= vmax else vmin
    x0, x1 = sorted((X(origin), X(value)))
    parts = [f'<rect x="{x0:.1f}" y="3" width="{max(x1 - x0, 1):.1f}" height="{height - 6}" fill="{colour}" '
             f'stroke="#1a1a1a" stroke-width="0.6"/>']
    if math.isfinite(lo) and math.isfinite(hi):
        y = height / 2
        parts.append(f'<line x1="{X(lo):.1f}" x2="{X(hi):.1f}" y1="{y}" y2="{y}" stroke="#1a1a1a" stroke-width="1.4"/>'
                     f'<line x1="{X(lo):.1f}" x2="{X(lo):.1f}" y1="{y - 4}" y2="{y + 4}" stroke="#1a1a1a"/>'
                     f'<line x1="{X(hi):.1f}" x2="{X(hi):.1f}" y1="{y - 4}" y2="{y + 4}" stroke="#1a1a1a"/>')
    if england is not None and math.isfinite(england):
        parts.append(f'<line x1="{X(england):.1f}" x2="{X(england):.1f}" y1="0" y2="{height}" stroke="#c00000" '
                     f'stroke-width="1.5"/>')
    return (f'<svg class="cibar" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" aria-hidden="true">{"".join(parts)}</svg>')
