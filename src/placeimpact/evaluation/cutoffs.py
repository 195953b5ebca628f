"""The same framework at several cut-offs, side by side: what could have been said then, and what can be said now.

A framework's ``as_of`` key lists cut-offs (``as_of: [2019-06-30, latest]``): each is a date
(only periods that ended by then are used, as with ``cutoff``) or ``latest`` (every period in
the store, or the framework's own ``cutoff``). The main evaluation (scorecard, findings,
sensitivity grid) is the one at the framework's ``cutoff`` (latest when none); each other
cut-off is evaluated in full with the same area, comparators, methods and scale, and kept as
a :class:`CutoffView`: its scorecard and, per outcome, the verdict and headline estimate.
The report shows them in one table, one column per cut-off (``_cutoffs.html.j2``);
findings.json lists them under ``as_of``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Mapping, Sequence

__all__ = ["CutoffView", "evaluate_cutoffs", "cutoff_label"]


def cutoff_label(cut: date | None) -> str:
    """A cut-off in words: "latest data" or "data to 30 June 2019"."""
    return "latest data" if cut is None else f"data to {cut.day} {cut:%B %Y}"


@dataclass(frozen=True)
class CutoffView:
    """One cut-off's answer: label, cut-off (None = latest), whether it is the main evaluation, scorecard, verdicts."""

    label: str
    cutoff: date | None
    main: bool
    scorecard: Mapping[str, int]
    overall: str
    verdicts: tuple[Mapping[str, Any], ...]

    def verdict(self, outcome: int) -> Mapping[str, Any] | None:
        return next((v for v in self.verdicts if v["outcome"] == outcome), None)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "cutoff": self.cutoff.isoformat() if self.cutoff else None, "main": self.main,
                "scorecard": dict(self.scorecard), "overall": self.overall, "verdicts": [dict(v) for v in self.verdicts]}


def _view(syn, cut: date | None, main: bool) -> CutoffView:
    f = syn.findings
    rows = []
    for v in syn.verdicts:
        est = lo = hi = math.nan
        scale = None
        if v.headline_method:
            h = f[(f["outcome"] == v.outcome) & (f["method"] == v.headline_method)]
            if len(h):
                est, lo, hi = (float(h.iloc[0][c]) for c in ("estimate", "ci_low", "ci_high"))
                scale = h.iloc[0].get("scale")
        clean = lambda x: x if math.isfinite(x) else None  # noqa: E731
        rows.append({"outcome": v.outcome, "indicator_label": v.indicator_label, "verdict": v.kind,
                     "phrase": v.phrase, "evidence": v.evidence, "headline_method": v.headline_method,
                     "estimate": clean(est), "ci_low": clean(lo), "ci_high": clean(hi), "scale": scale})
    return CutoffView(label=cutoff_label(cut), cutoff=cut, main=main, scorecard=dict(syn.scorecard),
                      overall=syn.overall, verdicts=tuple(rows))


def evaluate_cutoffs(store, fw, cuts: Sequence[date | None], main_syn, *, area: str, methods: Sequence[str],
                     alpha: float, on_error: str = "record", runs: Sequence | None = None,
                     fns: Mapping | None = None, area_name: str | None = None) -> tuple[CutoffView, ...]:
    """A :class:`CutoffView` per cut-off in ``cuts`` (in order); the one equal to ``fw.cutoff`` reuses ``main_syn``.

    With the main evaluation's ``runs`` and method functions ``fns`` (what :func:`evaluate` passes), an
    earlier cut-off re-runs every method on the main panels cut to the periods that ended by it (the
    panels :func:`~placeimpact.panel.build_panel` gives with that cut-off, without reading the store
    again); otherwise, and for a cut-off later than the main one, the framework is evaluated afresh.
    """
    from .run import evaluate

    out = []
    for cut in cuts:
        if isinstance(cut, str):
            from ..periods import parse_date

            cut = None if cut.strip().lower() == "latest" else parse_date(cut, "as_of", end=True)
        if cut == fw.cutoff:
            out.append(_view(main_syn, cut, True))
            continue
        if runs is not None and fns is not None and cut is not None and (fw.cutoff is None or cut < fw.cutoff):
            out.append(_view(_cut_synthesis(fw, runs, fns, cut, area, area_name or area, alpha), cut, False))
            continue
        sub = replace(fw, cutoff=cut, as_of=(), sensitivity=False, data=())   # local files are already imported
        ev = evaluate(store, sub, area=area, methods=methods, alpha=alpha, progress=False, on_error=on_error,  # type: ignore[arg-type]
                      sensitivity=False, as_of=())
        out.append(_view(ev.synthesis, cut, False))
    return tuple(out)


def _cut_synthesis(fw, runs: Sequence, fns: Mapping, cut: date, focal: str, area_name: str, alpha: float):
    """The synthesis of every outcome's methods re-run on its main panel cut to periods ended by ``cut``."""
    import numpy as np

    from ..errors import MethodError
    from ..methods.scale import run_on_scale
    from .context import data_caveats, period_counts
    from .run import _failed, _findings
    from .sensitivity import subset_periods
    from .synthesis import synthesize

    new = []
    for r in runs:
        if r.panel is None:
            new.append(r)
            continue
        keep = r.panel.period_end <= np.datetime64(cut, "D")
        sub = subset_periods(r.panel, keep, cut)
        extra = tuple(c for c in r.caveats if c not in data_caveats(r.panel))
        results = []
        has_focal = bool(np.isfinite(sub.focal_values).any())
        for m, fn in fns.items():
            if not has_focal:
                results.append(_failed(m, r.indicator["id"], focal, f"no data for {r.indicator['id']} in {focal} "
                                                                   f"up to {cut}"))
                continue
            try:
                results.append(run_on_scale(fn, sub, r.scale))
            except MethodError as exc:
                results.append(_failed(m, r.indicator["id"], focal, str(exc)))
        new.append(replace(r, panel=sub if has_focal else None, results=tuple(results),
                           caveats=(data_caveats(sub) if has_focal else ()) + extra,
                           periods=period_counts(sub) if has_focal else {}, benchmark=None, percent_change=None))
    findings = _findings(new, focal, area_name)
    return synthesize(findings, alpha=alpha, area=area_name)
