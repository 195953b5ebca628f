"""Absolute or relative scale: every method can run on the indicator's own units or on logs.

On the **relative** (log) scale a method's effect ``b`` is a difference of logs, reported as a
percentage effect ``100 * (exp(b) - 1)`` with its 95% interval transformed the same way (the
transform is monotone, so the p-value and the direction are unchanged). A steeply falling
rate then falls by a constant *share* a year instead of a constant amount, so a projected
trend can never run below zero (the counterfactual of an interrupted time series is
``exp(line) > 0``), and areas of different size or level are compared by proportional change.

``auto`` picks the relative scale for rates, ratios and counts (value types ``crude_rate``,
``dsr``, ``ratio``, ``count``) and the absolute scale for percentages and years
(``proportion``, ``life_expectancy``) and anything else (means, scores, indices); a series
with a value at or below zero can only be read on the absolute scale.

Example::

    from placeimpact.methods import get_method
    from placeimpact.methods.scale import run_on_scale

    res = run_on_scale(get_method("did"), panel, "relative")   # res.estimate is a % effect
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable, Literal

import numpy as np

from ..errors import MethodError
from ..panel import Panel
from .result import MethodResult

__all__ = ["SCALES", "ScaleChoice", "resolve_scale", "log_panel", "to_relative", "run_on_scale", "pct"]

ScaleChoice = Literal["absolute", "relative", "auto"]
SCALES: tuple[str, ...] = ("absolute", "relative", "auto")

#: value types read on the relative scale by ``auto``
RELATIVE_TYPES = frozenset({"crude_rate", "dsr", "ratio", "count"})
#: series keys that hold levels (exponentiated back to the indicator's units for charts)
_LEVEL_SERIES = frozenset({"observed", "fitted", "counterfactual", "focal", "synthetic", "comparator_mean",
                           "area_observed", "area_fitted", "england_observed", "england_fitted",
                           "neighbours_observed", "neighbours_fitted"})


def pct(b: float) -> float:
    """A log difference as a percentage effect: ``100 * (exp(b) - 1)`` (inf stays inf, NaN NaN)."""
    if math.isnan(b):
        return math.nan
    if math.isinf(b):
        return math.inf if b > 0 else -100.0
    return 100.0 * math.expm1(b)


def _positive(panel: Panel) -> bool:
    v = np.concatenate([np.ravel(panel.values), np.ravel(panel.england_values)])
    v = v[np.isfinite(v)]
    return bool(v.size) and bool((v > 0).all())


def resolve_scale(scale: str, panel: Panel | None = None, *, value_type: str | None = None) -> str:
    """``absolute`` or ``relative`` for a requested scale (``auto`` decided from the value type).

    Raises :class:`MethodError` for an unknown scale, or ``relative`` on a series with a value at
    or below zero (its log does not exist). ``auto`` on such a series is ``absolute``.
    """
    if scale not in SCALES:
        raise MethodError(f"scale {scale!r} is not valid; expected one of {', '.join(SCALES)}")
    vt = value_type if value_type is not None else (panel.value_type if panel is not None else "")
    if scale == "auto":
        want = "relative" if vt in RELATIVE_TYPES else "absolute"
        if want == "relative" and panel is not None and not _positive(panel):
            return "absolute"
        return want
    if scale == "relative" and panel is not None and not _positive(panel):
        raise MethodError("the relative (log) scale needs every value above zero; this series has a value at or "
                          "below zero, so use scale='absolute'")
    return scale


def _log(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(a) & (a > 0), np.log(np.where(a > 0, a, 1.0)), np.nan)


def log_panel(panel: Panel) -> Panel:
    """The panel on the log scale: values, limits and England logged; unit ``log units``.

    Logged 95% limits give the standard error of the log value, ``(log uci - log lci) / 3.92``
    (the delta method for a ratio estimate). Non-positive values become NaN. The value type
    becomes ``log``, so no range check or total rescaling applies (logs have no floor, and a
    proportional change needs no rescaling to the area's size).
    """
    return replace(panel, values=_log(panel.values), lci=_log(panel.lci), uci=_log(panel.uci),
                   england_values=_log(panel.england_values), england_lci=_log(panel.england_lci),
                   england_uci=_log(panel.england_uci), unit="log units", value_type="log")


def to_relative(res: MethodResult) -> MethodResult:
    """A result computed on a :func:`log_panel` reported as % effects (``scale="relative"``).

    The estimate and its limits become ``100 * (exp(b) - 1)``; the log-scale numbers stay in the
    diagnostics (``log_estimate``, ``log_ci_low``, ``log_ci_high``); level series (observed,
    fitted, counterfactual, synthetic, ...) are exponentiated back to the indicator's units.
    """
    if res.scale == "relative":
        return res
    diag = dict(res.diagnostics)
    diag.update(log_estimate=res.estimate, log_ci_low=res.ci_low, log_ci_high=res.ci_high)
    series = {k: (np.exp(np.asarray(v, dtype=float)) if k in _LEVEL_SERIES else v) for k, v in res.series.items()}
    est, lo, hi = pct(res.estimate), pct(res.ci_low), pct(res.ci_high)
    estimand = (res.estimand.replace(", log units", "").replace(" log units", "")
                + " (relative scale: % effect, 100 x (exp(log effect) - 1))") if res.estimand else res.estimand
    summary = res.summary
    if math.isfinite(est):
        ci = (f"95% CI {lo:+.1f}% to {hi:+.1f}%" if math.isfinite(lo) and math.isfinite(hi)
              else "95% interval unbounded" if not math.isnan(lo) else "no interval")
        summary = (f"On the relative (log) scale the effect is {est:+.1f}% ({ci}); the numbers below are in log "
                   f"units. {summary}")
    m = float(res.mde)       # a minimum detectable log effect, as the smallest detectable % rise
    return replace(res, estimate=est, ci_low=lo, ci_high=hi, estimand=estimand, summary=summary,
                   diagnostics=diag, series=series, scale="relative", mde=pct(m) if math.isfinite(m) else m)


def run_on_scale(fn: Callable[..., MethodResult], panel: Panel, scale: str = "absolute", **options) -> MethodResult:
    """Run ``fn(panel, **options)`` on the requested scale (``absolute``, ``relative`` or ``auto``)."""
    use = resolve_scale(scale, panel)
    if use == "absolute":
        return fn(panel, **options)
    return to_relative(fn(log_panel(panel), **options))
