"""The result every evaluation method returns: small, frozen, typed.

Methods are pure functions ``(panel, *, options) -> MethodResult``. The result holds the
estimate in the indicator's own units (or the unit named in ``estimand``), its 95%
interval and p-value where the method gives them, a direction judged with the
indicator's polarity, a label specific to the method, the strength of evidence, a
one-sentence plain-English summary, diagnostics and (for charts) named series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd

__all__ = ["MethodResult", "Direction", "Evidence", "direction_from", "CaveatKind", "CAVEAT_KINDS", "Scale"]

Direction = Literal["better", "worse", "higher", "lower", "no_clear_change", "not_assessed"]
Evidence = Literal["strong", "moderate", "weak", "none", "insufficient"]
#: the scale a method ran on: the indicator's own units, or logs (effects reported as % changes)
Scale = Literal["absolute", "relative"]

#: typed caveats a method (or the data) raises; the synthesis reads these, never the English warnings
CaveatKind = Literal["pre_trend", "poor_pre_fit", "outside_hull", "few_donors", "overlapping_periods",
                     "implausible_projection", "straddling_baseline", "pandemic_window", "few_periods",
                     "placebo_floor", "national_trend"]
CAVEAT_KINDS: tuple[str, ...] = ("pre_trend", "poor_pre_fit", "outside_hull", "few_donors", "overlapping_periods",
                                 "implausible_projection", "straddling_baseline", "pandemic_window", "few_periods",
                                 "placebo_floor", "national_trend")


def direction_from(estimate: float, ci_low: float, ci_high: float, polarity: str) -> Direction:
    """Better/worse (or higher/lower without polarity) if the 95% CI excludes zero, else no clear change.

    An unbounded interval (infinite limits, e.g. a placebo test with too few donors to reach
    5%) includes zero: no clear change. Only a missing estimate or limit is "not_assessed".
    """
    if not math.isfinite(estimate) or math.isnan(ci_low) or math.isnan(ci_high):
        return "not_assessed"
    if ci_low <= 0 <= ci_high:
        return "no_clear_change"
    up = estimate > 0
    if polarity == "high_is_good":
        return "better" if up else "worse"
    if polarity == "low_is_good":
        return "worse" if up else "better"
    return "higher" if up else "lower"


def _freeze(d: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class MethodResult:
    """One method's answer for one indicator in one area.

    Attributes
    ----------
    method:
        Short name: ``change_vs_neighbours``, ``trend_difference``, ``its``, ``did``, ``synthetic_control``.
    indicator_id, area_code:
        What was evaluated.
    estimand:
        What ``estimate`` measures, in words ("post-reform level change, per 100,000").
    estimate, ci_low, ci_high, p_value:
        The effect (post minus counterfactual, in indicator units unless ``estimand`` says otherwise),
        its 95% interval and two-sided p-value; NaN where the method gives none.
    direction:
        Judged with polarity: better / worse / higher / lower / no_clear_change / not_assessed.
    label:
        Method-specific class (``trend reversal``, ``ranked 3rd of 16``, ...).
    evidence:
        strong / moderate / weak / none / insufficient.
    summary:
        One plain-English sentence, honest about attribution.
    warnings:
        Reasons the evidence is weak (poor pre-fit, pre-trends, few comparators, overlapping periods).
    diagnostics:
        Method-specific numbers (pre-RMSPE, placebo rank, slopes, ...), read-only.
    series:
        Arrays for charts, keyed by name (e.g. ``periods``, ``fitted``, ``gap``, ``placebo_gaps``), read-only.
    caveats:
        The kinds of the caveats in ``warnings`` (:data:`CAVEAT_KINDS`), as data: the synthesis reads
        these, never the English.
    scale:
        ``absolute`` (indicator units) or ``relative`` (the method ran on logs; ``estimate``, ``ci_low``
        and ``ci_high`` are % effects, ``100 * (exp(b) - 1)``).
    mde:
        Minimum detectable effect: the smallest effect a 5% test would detect with 80% power, in the
        estimate's units (inf: no effect could have been declared; NaN: not assessed). Methods may
        set it; otherwise it is derived from the 95% interval (:mod:`placeimpact.methods.mde`).
    mde_basis:
        How ``mde`` was found, in words.
    """

    method: str
    indicator_id: str
    area_code: str
    estimand: str
    estimate: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    direction: Direction = "not_assessed"
    label: str = ""
    evidence: Evidence = "insufficient"
    summary: str = ""
    warnings: tuple[str, ...] = ()
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    series: Mapping[str, Any] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()
    scale: Scale = "absolute"
    #: group methods: one dict per treated area (area_code, area_name, estimate, ci_low, ci_high, p_value, weight)
    per_area: tuple[Mapping[str, Any], ...] = ()
    #: group methods: the event-study path (event_time, estimate, ci_low, ci_high, se, n_areas lists) or None
    event_study: Mapping[str, Any] | None = None
    mde: float = math.nan
    mde_basis: str = ""

    def __post_init__(self) -> None:
        bad = [k for k in self.caveats if k not in CAVEAT_KINDS]
        if bad:
            raise ValueError(f"unknown caveat kind(s) {bad}; expected some of {', '.join(CAVEAT_KINDS)}")
        object.__setattr__(self, "caveats", tuple(dict.fromkeys(self.caveats)))
        object.__setattr__(self, "diagnostics", _freeze(self.diagnostics))
        object.__setattr__(self, "series", _freeze(self.series))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        if math.isnan(self.mde) and math.isfinite(self.estimate) and not math.isnan(self.p_value):
            from .mde import mde_from_interval

            object.__setattr__(self, "mde", mde_from_interval(self.ci_low, self.ci_high))
            if not math.isnan(self.mde) and not self.mde_basis:
                object.__setattr__(self, "mde_basis", "from the 95% interval: 2.80 standard errors "
                                   "(5% two-sided test, 80% power)")

    @property
    def mde_text(self) -> str:
        """'this design could have detected a change of about X or more', or '' when not assessed."""
        from .mde import mde_text

        return mde_text(self.mde)

    def caveat_kinds(self) -> tuple[str, ...]:
        """The typed caveats: ``caveats`` plus those a method states in its diagnostics as data.

        A method that sets no ``caveats`` (synthetic control) still flags, through its diagnostics,
        ``outside_hull`` and ``poor_pre_fit`` (booleans) and a placebo floor (``n_placebos`` below 19,
        so no 5% test is possible).
        """
        d = self.diagnostics
        extra = [k for k in ("outside_hull", "poor_pre_fit") if d.get(k) is True]
        n_pl = d.get("n_placebos")
        if isinstance(n_pl, (int, np.integer)) and not isinstance(n_pl, bool) and n_pl < 19:
            extra.append("placebo_floor")
        return tuple(dict.fromkeys(tuple(self.caveats) + tuple(extra)))

    def conf_int(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)

    def to_dict(self, *, with_series: bool = False) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None; arrays -> lists)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, (np.floating,)):
                return clean(float(v))
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (np.bool_,)):
                return bool(v)
            if isinstance(v, np.ndarray):
                return [clean(x) for x in v.tolist()]
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            if isinstance(v, Mapping):
                return {str(k): clean(x) for k, x in v.items()}
            return v

        d = {
            "method": self.method, "indicator_id": self.indicator_id, "area_code": self.area_code,
            "estimand": self.estimand, "estimate": self.estimate, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "p_value": self.p_value, "direction": self.direction,
            "label": self.label, "evidence": self.evidence, "summary": self.summary,
            "warnings": list(self.warnings), "diagnostics": dict(self.diagnostics),
            "caveats": list(self.caveats), "scale": self.scale,
            "mde": self.mde, "mde_basis": self.mde_basis,
        }
        if self.per_area:
            d["per_area"] = [dict(x) for x in self.per_area]
        if self.event_study is not None:
            d["event_study"] = dict(self.event_study)
        if with_series:
            d["series"] = dict(self.series)
        return clean(d)

    def to_frame(self) -> pd.DataFrame:
        d = self.to_dict()
        d.pop("diagnostics")
        d.pop("per_area", None)
        d.pop("event_study", None)
        d["warnings"] = "; ".join(d["warnings"])
        d["caveats"] = "; ".join(d["caveats"])
        return pd.DataFrame([d])

    def summary_text(self) -> str:
        ci = ("" if math.isnan(self.ci_low) else " (95% interval unbounded)" if math.isinf(self.ci_low)
              or math.isinf(self.ci_high) else f" (95% CI {self.ci_low:.3g} to {self.ci_high:.3g})")
        p = "" if math.isnan(self.p_value) else f", p = {self.p_value:.3g}"
        w = "" if not self.warnings else " Caveats: " + "; ".join(self.warnings) + "."
        m = (f" ({self.mde_text[:1].upper()}{self.mde_text[1:]}.)" if self.direction == "no_clear_change"
             and self.mde_text and "have detected" not in self.summary else "")
        return f"[{self.method}] {self.estimand}: {self.estimate:.3g}{ci}{p}. {self.summary}{m}{w}"
