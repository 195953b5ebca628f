"""Every method on one indicator for one area: the library call behind ``placeimpact evaluate-indicator``.

Example::

    import placeimpact as pi

    store = pi.open_store("placeimpact.duckdb", read_only=True)
    ev = pi.evaluate_indicator(store, area="Wigan", indicator="ons-els:preventable-cardiovascular-mortality-england",
                               start="2011-04-01", until="2018-12-31")
    print(ev.to_frame())          # one row per method
    print(ev.results[0].summary)

The comparators come from :func:`~placeimpact.evaluation.comparators.resolve_comparators` (the
same resolver as :func:`~placeimpact.evaluation.evaluate`), the panel from
:func:`~placeimpact.panel.build_panel`, and the estimators run through the pure
:func:`~placeimpact.methods.runner.run_methods`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Mapping, Sequence

import pandas as pd

from ..errors import InputError
from ..methods.result import MethodResult
from ..methods.runner import run_methods
from ..panel import Panel, build_panel
from .comparators import resolve_comparators

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["evaluate_indicator", "IndicatorEvaluation"]


@dataclass(frozen=True, eq=False)
class IndicatorEvaluation:
    """One indicator, one area: the panel, the comparator choice and every method's result."""

    panel: Panel
    comparators: str
    results: tuple[MethodResult, ...]
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        p = self.panel
        res = "; ".join(f"{r.method} {r.direction} ({r.evidence})" for r in self.results)
        return (f"<IndicatorEvaluation {p.indicator_id} in {p.focal_name} ({p.focal}), reform {p.reform_start}, "
                f"{self.comparators}: {res}; .to_frame() for the table>")

    def to_frame(self) -> pd.DataFrame:
        """One row per method: estimate, CI, p, direction, label, evidence, summary, warnings."""
        return pd.concat([r.to_frame() for r in self.results], ignore_index=True)

    def to_dict(self) -> dict:
        """The evaluation as JSON-ready data (what ``evaluate-indicator --format json`` prints)."""
        p = self.panel
        return {"area_code": p.focal, "area_name": p.focal_name, "indicator_id": p.indicator_id,
                "indicator_name": p.indicator_name, "polarity": p.polarity, "reform_start": p.reform_start.isoformat(),
                "cutoff": p.cutoff.isoformat() if p.cutoff else None, "comparators": self.comparators,
                "n_comparators": p.n_areas - 1, "periods": list(p.period_labels),
                "n_pre": int(p.pre.sum()), "n_post": int(p.post.sum()), "warnings": list(self.warnings),
                "results": [r.to_dict() for r in self.results]}


def evaluate_indicator(store: Store, *, area: str, indicator: str, start: str | date, until: str | date | None = None,
                       group: str = "imported", methods: Sequence[str] | None = None,
                       sex: str | None = None, age: str | None = None,
                       options: Mapping[str, Mapping] | None = None, scale: str = "absolute") -> IndicatorEvaluation:
    """Build the panel for one indicator and area and run every method on it.

    ``start`` is the reform start (a year means 1 January of it); ``until`` the analysis
    cut-off (only periods ended by then); ``group`` is a comparator choice of
    :func:`~placeimpact.evaluation.comparators.resolve_comparators` (``imported``, ``computed``,
    ``all``, a group id, or a list of areas). A group with no members for the area raises
    :class:`~placeimpact.evaluation.comparators.ComparatorError`. ``scale`` is ``absolute``,
    ``relative`` (effects as %) or ``auto``.
    """
    from ..periods import parse_date

    s = parse_date(start, "start")
    cut = parse_date(until, "until", end=True)
    if cut is not None and cut <= s:
        raise InputError(f"the cut-off {cut} is not after the reform start {s}: no post-reform period could be used",
                         field="until", got=str(until), expected=f"a date after {s}")
    focal = store.resolve_area(area)
    comp = resolve_comparators(store, focal, group, reform_start=s)
    panel = build_panel(store, indicator=indicator, area=focal, comparators=comp.panel_arg, reform_start=s,
                        cutoff=cut, sex=sex, age=age)
    results = run_methods(panel, methods, options, scale=scale)
    return IndicatorEvaluation(panel=panel, comparators=comp.text, results=results)
