"""Sensitivity grid: does each outcome's headline estimate survive reasonable changes to the design?

For every outcome with a headline method, :func:`sensitivity_grid` re-runs that method under

(a) **the other comparator group** — imported (Oflog nearest neighbours) if the evaluation used
    computed neighbours, computed neighbours otherwise;
(b) **a pre-pandemic window** — only post-reform periods that end by 2019-12-31;
(c) **the other scale** — relative (logs, % effects) if the headline ran on the absolute scale,
    and the reverse;
(d) **leave one comparator out** — the range of the estimate over dropping each comparator in
    turn (for synthetic control, the method's own leave-one-donor-out refits).

Each row holds the estimate, its 95% interval, p-value and direction; a row whose direction
differs from the headline's (better / worse / higher / lower / no clear change) *flips* the
verdict, and the outcome's ``note`` says under which. :func:`attach` adds that note to the
verdict sentence. Nothing here changes a verdict: the grid says how fragile it is.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import MethodError, PlaceImpactError, StoreError
from ..methods.result import MethodResult
from ..methods.scale import resolve_scale, run_on_scale
from ..panel import Panel, build_panel

__all__ = ["sensitivity_grid", "attach", "subset_periods", "PRE_PANDEMIC_END", "GRID_ROWS"]

PRE_PANDEMIC_END = date(2019, 12, 31)
GRID_ROWS = ("comparators", "pre_pandemic", "scale", "leave_one_out")

_ROW_WORDS = {"comparators": "other comparator group", "pre_pandemic": "pre-pandemic window (to 2019)",
              "scale": "other scale", "leave_one_out": "leaving one comparator out"}


def subset_periods(panel: Panel, keep: np.ndarray, cutoff: date | None = PRE_PANDEMIC_END) -> Panel:
    """The panel restricted to the periods where ``keep`` is true (its cut-off set to ``cutoff`` when earlier)."""
    keep = np.asarray(keep, bool)
    cols = lambda a: a[:, keep]  # noqa: E731
    return replace(panel, period_labels=tuple(x for x, k in zip(panel.period_labels, keep) if k),
                   period_start=panel.period_start[keep], period_end=panel.period_end[keep], t=panel.t[keep],
                   values=cols(panel.values), lci=cols(panel.lci), uci=cols(panel.uci), count=cols(panel.count),
                   denominator=cols(panel.denominator), england_values=panel.england_values[keep],
                   england_lci=panel.england_lci[keep], england_uci=panel.england_uci[keep],
                   cutoff=cutoff if cutoff is not None and (panel.cutoff is None or panel.cutoff > cutoff)
                   else panel.cutoff)


def drop_area(panel: Panel, row: int) -> Panel:
    """The panel without comparator row ``row`` (row 0 is the focal area and is never dropped)."""
    keep = [i for i in range(panel.n_areas) if i != row]
    take = lambda a: a[keep]  # noqa: E731
    return replace(panel, area_codes=tuple(panel.area_codes[i] for i in keep),
                   area_names=tuple(panel.area_names[i] for i in keep), values=take(panel.values),
                   lci=take(panel.lci), uci=take(panel.uci), count=take(panel.count),
                   denominator=take(panel.denominator))


def _cell(res: MethodResult | None, head_dir: str, note: str = "") -> dict[str, Any]:
    if res is None or res.evidence == "insufficient" or not math.isfinite(res.estimate):
        why = note or (res.summary if res is not None else "could not be run")
        return {"estimate": None, "ci_low": None, "ci_high": None, "p_value": None, "direction": "not_assessed",
                "scale": res.scale if res is not None else None, "flips": False, "note": why}
    f = lambda x: float(x) if math.isfinite(x) else None  # noqa: E731
    return {"estimate": f(res.estimate), "ci_low": f(res.ci_low), "ci_high": f(res.ci_high), "p_value": f(res.p_value),
            "direction": res.direction, "scale": res.scale, "flips": res.direction != head_dir, "note": note}


def _safe(call: Callable[[], MethodResult]) -> tuple[MethodResult | None, str]:
    try:
        return call(), ""
    except (MethodError, StoreError, ValueError) as exc:
        return None, str(exc)


def _other_group(store, fw, focal: str) -> tuple[Any, str] | None:
    """(build_panel comparators, words) for the other comparator group, or None when there is none."""
    from .run import _comparators

    current = fw.comparators
    other = "computed" if current != "computed" else "oflog-nn"
    try:
        comp = _comparators(store, replace(fw, comparators=other), focal)
    except (PlaceImpactError, ValueError) as exc:
        return None if other == "oflog-nn" else (exc, "")
    return comp.panel_arg, comp.text


def sensitivity_grid(store, fw, focal: str, runs: Sequence, verdicts: Sequence, fns: Mapping[str, Callable],
                     scales: Mapping[int, str]) -> dict[int, dict[str, Any]]:
    """The grid for every outcome with a headline method: ``{outcome: {"headline": ..., "rows": {...}, ...}}``.

    ``runs`` are the evaluation's outcome runs (panels), ``verdicts`` the synthesis verdicts,
    ``fns`` the method functions by name and ``scales`` the scale each outcome ran on.
    """
    by_outcome = {r.outcome: r for r in runs}
    other = None
    grid: dict[int, dict[str, Any]] = {}
    for v in verdicts:
        run = by_outcome.get(v.outcome)
        if v.headline_method is None or run is None or run.panel is None or v.headline_method not in fns:
            continue
        fn, panel, method = fns[v.headline_method], run.panel, v.headline_method
        head = run.result(method)
        if head is None:
            continue
        scale = scales.get(v.outcome, "absolute")
        rows: dict[str, dict[str, Any]] = {}
        # (a) the other comparator group
        if other is None:
            other = _other_group(store, fw, focal) or ("none", "")
        if other == ("none", "") or isinstance(other[0], Exception):
            rows["comparators"] = _cell(None, head.direction, "no other comparator group is available"
                                        + (f" ({other[0]})" if isinstance(other[0], Exception) else ""))
        else:
            def build() -> MethodResult:
                p = build_panel(store, indicator=run.indicator["id"], area=focal, comparators=other[0],
                                reform_start=fw.reform_start, cutoff=fw.cutoff, sex=run.spec.sex, age=run.spec.age,
                                category=run.spec.category, polarity=run.spec.polarity)
                return run_on_scale(fn, p, scale)
            res, err = _safe(build)
            rows["comparators"] = _cell(res, head.direction, err)
            rows["comparators"]["group"] = other[1]
        # (b) pre-pandemic window
        keep = panel.period_end <= np.datetime64(PRE_PANDEMIC_END, "D")
        if keep.all():
            rows["pre_pandemic"] = _cell(head, head.direction, "every period already ends by 2019")
        elif not (keep & panel.post).any():
            rows["pre_pandemic"] = _cell(None, head.direction, "no post-reform period ends by 2019")
        else:
            res, err = _safe(lambda: run_on_scale(fn, subset_periods(panel, keep), scale))
            rows["pre_pandemic"] = _cell(res, head.direction, err)
        # (c) the other scale
        alt = "absolute" if scale == "relative" else "relative"
        try:
            resolve_scale(alt, panel)
            res, err = _safe(lambda: run_on_scale(fn, panel, alt))
        except MethodError as exc:
            res, err = None, str(exc)
        rows["scale"] = _cell(res, head.direction, err)
        rows["scale"]["scale"] = alt
        # (d) leave one comparator out
        rows["leave_one_out"] = _leave_one_out(fn, panel, head, scale)
        flips = [k for k in GRID_ROWS if rows.get(k, {}).get("flips")]
        note = ""
        if flips:
            note = "The verdict is fragile: the headline direction changes under " + "; ".join(
                f"{_ROW_WORDS[k]} ({_dir_words(rows[k])})" for k in flips) + "."
        mde = getattr(head, "mde", None)      # the minimum detectable effect, where the method gives one
        if mde is None:
            mde = head.diagnostics.get("mde")
        why = _disagreement(fn_of=fns, run=run, panel=panel, verdict=v, head=head, scale=scale) \
            if v.kind == "mixed" else []
        if why:
            note = (note + " " if note else "") + "Why the methods differ: " + "; ".join(w["text"] for w in why) + "."
        from .synthesis import METHOD_NAMES

        grid[v.outcome] = {"headline_method": method, "headline_name": METHOD_NAMES.get(method, method), "scale": scale, "headline": _cell(head, head.direction),
                           "rows": rows, "flips": flips, "note": note, "disagreement": why,
                           "mde": float(mde) if isinstance(mde, (int, float)) and math.isfinite(mde) else None}
    return grid


def _disagreement(*, fn_of: Mapping[str, Callable], run, panel: Panel, verdict, head: MethodResult,
                  scale: str) -> list[dict[str, Any]]:
    """For a mixed verdict: each method that reads differently from the headline, re-run on the other scale and
    in the pre-pandemic window, so the card can say whether scale or window explains the disagreement."""
    from .synthesis import method_name

    out = []
    keep = panel.period_end <= np.datetime64(PRE_PANDEMIC_END, "D")
    alt = "absolute" if scale == "relative" else "relative"
    for res in run.results:
        if res.method == head.method or res.method not in fn_of or res.evidence == "insufficient" \
                or res.direction in ("not_assessed", head.direction) or res.direction == "no_clear_change":
            continue
        fn = fn_of[res.method]
        dirs: dict[str, str] = {}
        try:
            resolve_scale(alt, panel)
            r, _ = _safe(lambda: run_on_scale(fn, panel, alt))
            dirs[f"{alt} scale"] = r.direction if r is not None else "not_assessed"
        except MethodError:
            pass
        if (~keep).any() and (keep & panel.post).any():
            r, _ = _safe(lambda: run_on_scale(fn, subset_periods(panel, keep), scale))
            dirs["pre-pandemic window"] = r.direction if r is not None else "not_assessed"
        name = method_name(res.method, lower=True)
        gone = [k for k, d in dirs.items() if d != res.direction]
        if gone:
            text = (f"{name} says {res.direction} on the {scale} scale with all the data, but "
                    + " and ".join(f"{dirs[k].replace('_', ' ')} on the {k}" if k.endswith("scale")
                                   else f"{dirs[k].replace('_', ' ')} in the {k}" for k in gone))
        else:
            text = f"{name} says {res.direction} on either scale and in the pre-pandemic window"
        out.append({"method": res.method, "direction": res.direction, "under": dirs, "text": text})
    return out


def _dir_words(cell: Mapping[str, Any]) -> str:
    if cell.get("kind") == "range":
        return cell.get("note") or "range"
    return str(cell.get("direction", "")).replace("_", " ")


def _leave_one_out(fn: Callable, panel: Panel, head: MethodResult, scale: str) -> dict[str, Any]:
    d = head.diagnostics
    if head.method == "synthetic_control":
        lo, hi = d.get("loo_low"), d.get("loo_high")
        if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
            return {"kind": "range", "low": None, "high": None, "n": 0, "directions": [], "flips": False,
                    "note": "the synthetic control's leave-one-donor-out refits are not available"}
        sign_flip = head.estimate != 0 and (np.sign(lo) != np.sign(head.estimate) or
                                            np.sign(hi) != np.sign(head.estimate))
        return {"kind": "range", "low": float(lo), "high": float(hi), "n": int(d.get("loo_n") or 0), "directions": [],
                "flips": bool(sign_flip), "note": "estimate changes sign" if sign_flip else ""}
    ests, dirs, dropped = [], [], []
    for row in range(1, panel.n_areas):
        res, _ = _safe(lambda: run_on_scale(fn, drop_area(panel, row), scale))
        if res is None or not math.isfinite(res.estimate) or res.evidence == "insufficient":
            continue
        ests.append(res.estimate)
        dirs.append(res.direction)
        dropped.append(panel.area_codes[row])
    if not ests:
        return {"kind": "range", "low": None, "high": None, "n": 0, "directions": [], "flips": False,
                "note": "no comparator could be left out"}
    changed = [c for c, x in zip(dropped, dirs) if x != head.direction]
    return {"kind": "range", "low": float(min(ests)), "high": float(max(ests)), "n": len(ests),
            "directions": sorted(set(dirs)), "flips": bool(changed), "changed_without": changed,
            "note": (f"direction changes without {len(changed)} of {len(ests)} comparators "
                     f"({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''})") if changed else ""}


def attach(syn, grid: Mapping[int, Mapping[str, Any]]):
    """The synthesis with each fragile verdict's sentence saying under which variation it flips."""
    if not any(g.get("note") for g in grid.values()):
        return syn
    verdicts = tuple(replace(v, sentence=f"{v.sentence} {grid[v.outcome]['note']}",
                             caveats=v.caveats + (grid[v.outcome]["note"].rstrip("."),))
                     if grid.get(v.outcome, {}).get("note") else v for v in syn.verdicts)
    return replace(syn, verdicts=verdicts)
