"""Wave-to-wave change in one area: the comparison a survey allows when no comparator asked it.

A council's own survey (and any series with no comparator data) cannot support a comparative
method. What it can say is how the last wave before the reform compares with the latest wave,
with an honest interval:

* proportions: Newcombe's hybrid score interval for the difference (method 10), built from each
  wave's published or computed Wilson limits (so a design effect already in them is kept);
* means, scores and indices: the difference with a normal interval from each wave's limits;
* both: the percentage change ("+18.5%", as the King's Fund reported staff engagement) with a
  delta-method interval on the log scale, and a two-sided test of no change.

A before-after comparison inside one area has no comparison group: it cannot separate the
reform from anything else that changed, so its evidence is never graded above "weak".
"""

from __future__ import annotations

import math

import numpy as np
from .. import distributions as _st

from ..errors import MethodError
from ..panel import Panel
from ..stats.survey import percent_change_ci
from ._common import ATTRIBUTION, fmt, grade, period_name, what_of
from .result import MethodResult, direction_from

__all__ = ["wave_change", "needs_wave_comparison"]

_Z95 = float(_st.norm_ppf(0.975))


def needs_wave_comparison(panel: Panel) -> bool:
    """True when no comparator has a value in any period (the comparative methods cannot run)."""
    if panel.n_areas <= 1:
        return True
    return not bool(np.isfinite(panel.values[1:]).any())


def _se(lo: float, hi: float) -> float:
    return (hi - lo) / (2 * _Z95) if math.isfinite(lo) and math.isfinite(hi) else math.nan


def wave_change(panel: Panel) -> MethodResult:
    """Change in the focal area from the last wave before the reform to the latest wave.

    When no wave ends before the reform start, the change from the first to the latest wave is
    given as a description only (direction ``not_assessed``, evidence ``insufficient``: no verdict).
    Raises :class:`MethodError` (the evaluation then reports "not assessed" with the reason) when
    fewer than two waves have a value and limits, or no wave began after the reform start.
    """
    v, lo, hi = panel.values[0], panel.lci[0], panel.uci[0]
    ok = np.isfinite(v) & np.isfinite(lo) & np.isfinite(hi)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        raise MethodError("fewer than two survey waves with a value and confidence limits")
    pre = idx[panel.pre[idx]]
    post = idx[panel.post[idx]]
    if post.size == 0:
        raise MethodError(f"no survey wave after the reform start {panel.reform_start}")
    j1 = int(post[-1])
    descriptive = pre.size == 0        # no baseline before the reform: the change is described, not judged
    j0 = int(pre[-1]) if pre.size else int(idx[0])
    if j0 == j1:
        raise MethodError("only one survey wave after the reform and none before it")
    p0, p1 = float(v[j0]), float(v[j1])
    d = p1 - p0
    proportion = panel.value_type == "proportion"
    if proportion:   # Newcombe's hybrid score interval from each wave's Wilson limits
        low = d - math.sqrt((p1 - lo[j1]) ** 2 + (hi[j0] - p0) ** 2)
        high = d + math.sqrt((hi[j1] - p1) ** 2 + (p0 - lo[j0]) ** 2)
    else:
        half = _Z95 * math.hypot(_se(lo[j0], hi[j0]), _se(lo[j1], hi[j1]))
        low, high = d - half, d + half
    se_d = math.hypot(_se(lo[j0], hi[j0]), _se(lo[j1], hi[j1]))
    p = float(2 * _st.norm_sf(abs(d) / se_d)) if se_d > 0 else math.nan
    pct = percent_change_ci(p1, _se(lo[j1], hi[j1]), p0, _se(lo[j0], hi[j0])) if p0 > 0 and p1 > 0 else None
    direction = "not_assessed" if descriptive else direction_from(d, low, high, panel.polarity)
    evidence = "insufficient" if descriptive else grade(p, downgrades=2)   # no comparison group: at most weak
    unit = "percentage points" if proportion else (panel.unit or "units")
    w0, w1 = period_name(panel, j0), period_name(panel, j1)
    pct_text = "" if pct is None else (f" ({float(pct.estimate):+.1f}%, 95% CI {float(pct.lower):+.1f}% to "
                                       f"{float(pct.upper):+.1f}%)")
    clear = not (low <= 0 <= high)
    moved = "changed little" if not clear else "rose" if d > 0 else "fell"
    pc = "%" if unit == "percentage points" else ""
    when = "after the reform had started, so there is no pre-reform baseline" if descriptive else "before the reform"
    summary = (f"In {panel.focal_name}, {what_of(panel)} {moved} from {fmt(p0)}{pc} ({w0}, {when}) to "
               f"{fmt(p1)}{pc} ({w1}): {d:+.3g} {unit}, 95% CI {low:+.3g} to {high:+.3g}{pct_text}. "
               + ("Descriptive only: without a wave before the reform this cannot show what the reform changed. "
                  if descriptive else "")
               + "A before-after comparison within one area has no comparison group, so it cannot separate the "
               f"reform from anything else that changed; {ATTRIBUTION}.")
    return MethodResult(
        method="wave_change", indicator_id=panel.indicator_id, area_code=panel.focal,
        estimand=f"change from {w0} to {w1}, {unit}", estimate=d, ci_low=low, ci_high=high, p_value=p,
        direction=direction, label=(f"descriptive only: {d:+.3g} {unit} from {w0}" if descriptive
                                    else f"{d:+.3g} {unit} since {w0}"), evidence=evidence, summary=summary,
        warnings=tuple(panel.warnings) + ("no comparison group: a before-after comparison within one area",),
        diagnostics={"baseline_wave": panel.period_labels[j0], "descriptive_only": descriptive, "latest_wave": panel.period_labels[j1],
                     "baseline": p0, "latest": p1,
                     "percent_change": None if pct is None else float(pct.estimate),
                     "percent_change_ci": None if pct is None else [float(pct.lower), float(pct.upper)],
                     "percent_change_p": None if pct is None else float(pct.p_value)},
        series={"periods": list(panel.period_labels), "values": v.copy(), "lci": lo.copy(), "uci": hi.copy()},
    )
