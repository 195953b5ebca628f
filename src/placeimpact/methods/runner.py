"""Every method on one indicator: the library call behind ``placeimpact evaluate-indicator``.

Example::

    import placeimpact as pi
    from placeimpact.methods.runner import evaluate_indicator

    store = pi.open_store("placeimpact.duckdb", read_only=True)
    ev = evaluate_indicator(store, area="Wigan", indicator="ons-els:preventable-cardiovascular-mortality-england",
                            start="2011-04-01", until="2018-12-31")
    print(ev.to_frame())          # one row per method
    print(ev.results[0].summary)

Estimators stay pure (``panel -> MethodResult``); only :func:`evaluate_indicator` reads the
store, through :func:`placeimpact.panel.build_panel` and the store's comparator groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

import pandas as pd

from ..errors import InputError, MethodError, StoreError
from ..panel import Panel, build_panel
from . import METHODS, get_method
from .result import MethodResult

__all__ = ["run_methods", "evaluate_indicator", "IndicatorEvaluation", "resolve_group", "IMPORTED_GROUP"]

#: the imported neighbour group used by ``--group imported`` (Oflog nearest neighbours)
IMPORTED_GROUP = "oflog-nn"


def _failed(method: str, panel: Panel, message: str) -> MethodResult:
    return MethodResult(method=method, indicator_id=panel.indicator_id, area_code=panel.focal, estimand="",
                        estimate=math.nan, direction="not_assessed", label="not assessed",
                        evidence="insufficient", summary=f"Not assessed: {message}", warnings=tuple(panel.warnings))


def run_methods(panel: Panel, methods: Sequence[str] | None = None,
                options: Mapping[str, Mapping] | None = None, *, scale: str = "absolute") -> tuple[MethodResult, ...]:
    """Run each method on the panel; a :class:`MethodError` becomes an ``insufficient`` result.

    ``methods`` defaults to every registered method whose module is installed; ``options``
    maps a method name to its keyword options; ``scale`` is ``absolute``, ``relative`` (logs,
    effects as %) or ``auto`` (:mod:`placeimpact.methods.scale`).
    """
    from .scale import resolve_scale, run_on_scale

    use = resolve_scale(scale, panel)
    names = list(methods) if methods else list(METHODS)
    out = []
    for name in names:
        try:
            fn = get_method(name)
        except ModuleNotFoundError:
            if methods:
                raise MethodError(f"method {name!r} is registered but its module is not installed") from None
            continue
        except ValueError as exc:
            raise MethodError(str(exc)) from None
        try:
            out.append(run_on_scale(fn, panel, use, **dict((options or {}).get(name, {}))))
        except MethodError as exc:
            out.append(_failed(name, panel, str(exc)))
    return tuple(out)


def resolve_group(store, focal: str, group: str, *, start: date) -> tuple[str | list[str] | None, str, list[str]]:
    """What :func:`build_panel` is given for ``--group``, words for it, and warnings.

    ``imported`` is the Oflog nearest-neighbour group, ``computed`` a saved computed group (or
    neighbours computed now from features measured before ``start``), ``all`` every area of the
    same tier, anything else a group id.
    A missing imported group falls back to every area of the same tier, with a warning.
    """
    warns: list[str] = []
    if group == "all":
        return None, "every area of the same tier", warns
    if group == "computed":
        saved = store.groups(focal=focal)
        saved = saved[saved["group_id"].astype(str).str.startswith("computed")]
        if not saved.empty:
            gid = str(saved["group_id"].iloc[0])
            return gid, f"computed group {gid}", warns
        try:
            from ..comparators import compute_neighbours

            nn = compute_neighbours(store, focal, year=start.year - 1, compare_with=None)
            codes = [c for c in nn.codes if c != focal]
            return codes, f"{len(codes)} neighbours computed from {start.year - 1} features", warns
        except (StoreError, MethodError, ValueError) as exc:
            warns.append(f"could not compute neighbours ({exc}); compared with every area of the same tier instead")
            return None, "every area of the same tier", warns
    gid = IMPORTED_GROUP if group == "imported" else group
    if store.groups(focal=focal, group_id=gid).empty:
        if group != "imported":
            have = sorted(store.groups(focal=focal)["group_id"].unique().tolist())
            raise StoreError(f"comparator group {gid!r} has no members for {focal}; stored groups for it: "
                             f"{', '.join(have) or 'none'} (or use --group imported|computed|all)")
        warns.append(f"the imported neighbour group {gid!r} is not loaded for this area; compared with every "
                     "area of the same tier instead (load ../shared/data/oflog to use it)")
        return None, "every area of the same tier", warns
    return gid, f"comparator group {gid}", warns


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
        p = self.panel
        return {"area_code": p.focal, "area_name": p.focal_name, "indicator_id": p.indicator_id,
                "indicator_name": p.indicator_name, "polarity": p.polarity, "reform_start": p.reform_start.isoformat(),
                "cutoff": p.cutoff.isoformat() if p.cutoff else None, "comparators": self.comparators,
                "n_comparators": p.n_areas - 1, "periods": list(p.period_labels),
                "n_pre": int(p.pre.sum()), "n_post": int(p.post.sum()), "warnings": list(self.warnings),
                "results": [r.to_dict() for r in self.results]}


def evaluate_indicator(store, *, area: str, indicator: str, start: str | date, until: str | date | None = None,
                       group: str = "imported", methods: Sequence[str] | None = None,
                       sex: str | None = None, age: str | None = None,
                       options: Mapping[str, Mapping] | None = None, scale: str = "absolute") -> IndicatorEvaluation:
    """Build the panel for one indicator and area and run every method on it.

    ``start`` is the reform start (a year means 1 January of it); ``until`` the analysis
    cut-off (only periods ended by then); ``group`` is ``imported``, ``computed`` or a group id.
    """
    from ..periods import parse_date

    s = parse_date(start, "start")
    cut = parse_date(until, "until", end=True)
    if cut is not None and cut <= s:
        raise InputError(f"the cut-off {cut} is not after the reform start {s}: no post-reform period could be used",
                         field="until", got=str(until), expected=f"a date after {s}")
    focal = store.resolve_area(area)
    comp, words, warns = resolve_group(store, focal, group, start=s)
    panel = build_panel(store, indicator=indicator, area=focal, comparators=comp, reform_start=s, cutoff=cut,
                        sex=sex, age=age)
    results = run_methods(panel, methods, options, scale=scale)
    return IndicatorEvaluation(panel=panel, comparators=words, results=results, warnings=tuple(warns))
