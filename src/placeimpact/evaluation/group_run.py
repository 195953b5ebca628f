"""Run an outcome framework for a treated GROUP of areas (``areas:`` in the framework).

:func:`evaluate_group` resolves the group (codes, names, or a combined authority / region that
expands to its member councils from the register), builds one
:class:`~placeimpact.group_panel.GroupPanel` per outcome with a clean donor pool (no treated
and no ``exclude``d area is ever a donor or comparator), runs every group method, adds the
group's published aggregate series where the source has one (as an extra trend-difference
row, said so), re-runs the headline method leaving out each treated area in turn, and
returns an :class:`~placeimpact.evaluation.run.Evaluation` whose ``group`` holds what the
group section of the report needs. The outcome's ``panel`` is the group's mean series
against the clean comparators, so the existing report (benchmark, trend chart) reads it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Mapping, Sequence

from ..errors import FrameworkError, InputError, MethodError, StoreError
from ..group_panel import GroupPanel, TreatedGroup, build_group_panel, resolve_group
from ..methods import GROUP_METHODS, get_group_method
from ..methods.result import MethodResult
from ..panel import same_tier_codes
from .context import benchmark_latest, data_caveats, period_counts
from .framework import Framework
from .synthesis import METHOD_NAMES, synthesize

__all__ = ["evaluate_group", "GroupInfo", "GROUP_METHOD_NAMES", "GROUP_METHOD_TEXT", "HEADLINE_GROUP_METHOD"]

HEADLINE_GROUP_METHOD = "staggered_did"

GROUP_METHOD_NAMES: dict[str, str] = {
    "staggered_did": "Staggered difference-in-differences (Callaway & Sant'Anna)",
    "imputation_did": "Imputation difference-in-differences (Borusyak, Jaravel & Spiess)",
    "group_synthetic_control": "Synthetic control per area, averaged",
    "generalized_synthetic_control": "Generalised synthetic control (Xu)",
    "group_change_vs_neighbours": "Group change against comparators",
    "group_trend_difference": "Group trend difference",
    "group_aggregate_trend_difference": "Published aggregate: trend difference",
}

GROUP_METHOD_TEXT: dict[str, str] = {
    "staggered_did": "Each treated area's change from its last pre-reform period against the clean never-treated "
                     "comparators' change over the same periods (Callaway & Sant'Anna group-time effects), averaged "
                     "by area, by time since each area's start, and overall; no already-treated area is ever a "
                     "comparator, so staggered starts with effects that differ do not bias it as two-way fixed effects do.",
    "imputation_did": "Area and year effects fitted on every untreated observation, each treated area's untreated "
                      "outcome imputed after its start, and the differences averaged (Borusyak, Jaravel & Spiess).",
    "group_synthetic_control": "A synthetic control for each treated area from the clean donors, the gaps averaged "
                               "(unweighted; population-weighted in the details); inference from random placebo groups "
                               "of the same size drawn from the donors.",
    "generalized_synthetic_control": "Interactive fixed effects (Xu 2017): latent factors estimated from the donors, each "
                                     "treated area's loadings from its pre-reform years; refuses with too few of them.",
    "group_change_vs_neighbours": "The group's mean change since the reform against the clean comparators' mean change.",
    "group_trend_difference": "The change in the group's yearly slope at the reform against England's.",
    "group_aggregate_trend_difference": "The same trend difference on the group's own published series (e.g. the "
                                        "combined authority's rows), where the source publishes one.",
}

# the shared tables show the group methods' names (additive: the single-area names are untouched)
for _k, _v in GROUP_METHOD_NAMES.items():
    METHOD_NAMES.setdefault(_k, _v)


def start_words(starts: Sequence[date]) -> str:
    """One start as "1 April 2016"; several as "staggered starts from April 2011 to April 2016"."""
    ordered = sorted(set(starts))
    if len(ordered) == 1:
        return f"{ordered[0].day} {ordered[0]:%B %Y}"
    return f"staggered starts from {ordered[0]:%B %Y} to {ordered[-1]:%B %Y}"


@dataclass(frozen=True, eq=False)
class GroupInfo:
    """What the group section of a report needs."""

    treated: TreatedGroup
    removed: Mapping[str, str]
    removed_names: Mapping[str, str]
    exclude: tuple[str, ...]
    panels: Mapping[int, GroupPanel] = field(default_factory=dict)
    leave_one_out: Mapping[int, list[dict[str, Any]]] = field(default_factory=dict)
    aggregate_outcomes: tuple[int, ...] = ()
    headline_method: str = HEADLINE_GROUP_METHOD

    def start_text(self) -> str:
        """The reform start for a report's header: "reform start 1 April 2016", or "staggered starts from
        April 2011 to April 2016"."""
        words = start_words(self.treated.starts)
        return words if self.treated.staggered else f"reform start {words}"

    def removed_text(self) -> str:
        t = [self.removed_names.get(c, c) for c, why in self.removed.items() if why == "treated"]
        x = [self.removed_names.get(c, c) for c, why in self.removed.items() if why != "treated"]
        parts = []
        if t:
            parts.append(f"{len(t)} treated area(s) never used as comparators ({', '.join(t)})")
        if x:
            parts.append(f"{len(x)} area(s) excluded by the framework ({', '.join(x)})")
        return "; ".join(parts) or "none"

    def report_context(self, ev) -> dict[str, Any]:
        """Charts and tables for the report's group section (``report/templates/_group.html.j2``)."""
        from ..report.group_charts import group_context

        return group_context(ev)

    def to_dict(self) -> dict[str, Any]:
        return {
            "areas": [{"code": c, "name": n, "reform_start": s.isoformat()}
                      for c, n, s in zip(self.treated.codes, self.treated.names, self.treated.starts)],
            "group_code": self.treated.group_code, "group_name": self.treated.group_name,
            "expanded_from": self.treated.expanded_from,
            "removed_from_comparators": [{"code": c, "name": self.removed_names.get(c, c), "why": w}
                                         for c, w in self.removed.items()],
            "aggregate_outcomes": list(self.aggregate_outcomes),
            "leave_one_out": {str(k): v for k, v in self.leave_one_out.items()},
        }


def _leave_one_out(gp: GroupPanel, method: str) -> list[dict[str, Any]]:
    fn = get_group_method(method)
    out = []
    for i in range(gp.n_treated):
        try:
            r = fn(gp.drop_treated(i))
        except MethodError:
            continue
        out.append({"dropped_code": gp.treated_codes[i], "dropped_name": gp.treated_names[i],
                    "estimate": float(r.estimate), "ci_low": float(r.ci_low), "ci_high": float(r.ci_high),
                    "p_value": float(r.p_value), "direction": r.direction})
    return out


def evaluate_group(store, fw: Framework, *, methods: Sequence[str] | None = None, alpha: float = 0.05,
                   progress: bool = True, on_error: str = "record", leave_one_out: bool = True):
    """Evaluate a reform covering a group of areas; see the module docstring."""
    from .run import Evaluation, OutcomeRun, _excluded_codes, _failed, _findings, _label, _load_local_data, _Progress, \
        check_framework

    t0 = time.perf_counter()
    try:
        group = resolve_group(store, fw.areas, fw.area_starts or None, reform_start=fw.reform_start)
    except InputError as exc:
        raise FrameworkError(exc.args[0] if exc.args else str(exc), path=fw.path, line=fw.line_of("areas"),
                             field=exc.field or "areas", expected=exc.expected, got=exc.got, hint=exc.hint) from None
    names = tuple(methods) if methods is not None else tuple(m for m in fw.methods if m in GROUP_METHODS)
    if not names:
        names = tuple(GROUP_METHODS)
    bad = [m for m in names if m not in GROUP_METHODS]
    if bad:
        raise FrameworkError(f"method {bad[0]!r} is for one area, not a group", path=fw.path,
                             line=fw.line_of("methods"), field="methods",
                             expected="one of " + ", ".join(GROUP_METHODS), got=bad[0])
    fns = {m: get_group_method(m) for m in names}
    _load_local_data(store, fw)
    excl = list(_excluded_codes(store, fw))
    meta = check_framework(store, fw)
    given = "comparators" in (fw.lines or {}) or fw.comparators != "oflog-nn"
    comp = fw.comparators if given else "all"
    if isinstance(comp, tuple):
        comp = list(comp)
    if comp == "all":
        pool_words = "every other area of the same tier"
        cand = same_tier_codes(store, group.codes[0])
    elif comp == "computed":   # each treated area's computed neighbours (features the year before its start), pooled
        from ..comparators import compute_neighbours

        cand = []
        for c, st in zip(group.codes, group.starts):
            cand += list(compute_neighbours(store, c, year=st.year - 1, compare_with=None).codes)
        comp = list(dict.fromkeys(cand))
        pool_words = "the computed nearest neighbours of the treated areas, pooled"
    elif isinstance(comp, str):
        pool_words = f"the {comp} neighbours of the treated areas"
        g = store.groups(group_id=comp)
        cand = g[g["focal_area"].isin(group.codes)]["member_area"].tolist()
    else:
        pool_words = "the named comparator areas"
        cand = [store.resolve_area(c) for c in comp]
    from ..group_panel import clean_pool

    pool, removed = clean_pool(cand, group.codes, excl)
    names_df = store.areas()
    name_of = dict(zip(names_df["code"], names_df["name"]))
    runs = []
    errors: list[str] = []
    panels: dict[int, GroupPanel] = {}
    loo: dict[int, list] = {}
    agg_outcomes = []
    label_group = group.label
    area_code = group.group_code or "+".join(group.codes[:3]) + ("..." if len(group.codes) > 3 else "")
    with _Progress(len(fw.indicators) * (len(fns) + 1), progress) as bar:
        for k, (domain, spec) in enumerate(fw.indicators):
            ind = meta[spec.id]
            label = _label(spec, ind)
            bar.step(f"{label}: data")
            gp = None
            err = None
            try:
                gp = build_group_panel(store, indicator=ind["id"], group=group,
                                       comparators=None if comp == "all" else comp, exclude=excl, cutoff=fw.cutoff,
                                       sex=spec.sex, age=spec.age, category=spec.category, polarity=spec.polarity)
            except (MethodError, StoreError) as exc:
                err = str(exc)
            results: list[MethodResult] = []
            for m, fn in fns.items():
                bar.step(f"{label}: {GROUP_METHOD_NAMES.get(m, m)}")
                if gp is None:
                    results.append(_failed(m, ind["id"], area_code, str(err)))
                    continue
                try:
                    results.append(fn(gp))
                except MethodError as exc:
                    results.append(_failed(m, ind["id"], area_code, str(exc)))
                except Exception as exc:  # noqa: BLE001 - a bug in a method must not sink the whole report
                    if on_error == "raise":
                        raise
                    msg = f"{m} failed unexpectedly on {ind['id']} ({type(exc).__name__}: {exc}); please report this"
                    errors.append(msg)
                    results.append(_failed(m, ind["id"], area_code, msg))
            panel = None
            if gp is not None:
                panels[k] = gp
                if gp.aggregate is not None:
                    from ..methods.group_compare import group_trend_difference

                    try:
                        results.append(group_trend_difference(gp, series="aggregate"))
                        agg_outcomes.append(k)
                    except MethodError as exc:
                        results.append(_failed("group_aggregate_trend_difference", ind["id"], area_code, str(exc)))
                head = next((r for r in results if r.method == HEADLINE_GROUP_METHOD), None)
                if leave_one_out and head is not None and head.evidence != "insufficient" and gp.n_treated > 2:
                    loo[k] = _leave_one_out(gp, HEADLINE_GROUP_METHOD)
                try:
                    panel = gp.average_panel()
                except MethodError:
                    panel = None
            runs.append(OutcomeRun(
                outcome=k, domain=domain.name, spec=spec, indicator=dict(ind), label=label, panel=panel,
                results=tuple(results), benchmark=_safe(benchmark_latest, panel),
                caveats=tuple(data_caveats(panel)) + ((f"the group's published aggregate ({group.group_code}) is "
                                                       "used as an extra series (trend difference)",)
                                                      if gp is not None and gp.aggregate is not None else ())
                if panel is not None else (), periods=period_counts(panel) if panel is not None else {},
                error=err))
    findings = _findings(runs, area_code, label_group)
    when = start_words(group.starts)
    removed_names = {c: str(name_of.get(c) or c) for c in removed}
    info = GroupInfo(treated=group, removed=removed, removed_names=removed_names, exclude=tuple(excl), panels=panels,
                     leave_one_out=loo, aggregate_outcomes=tuple(agg_outcomes))
    comp_text = (f"{len(pool)} clean comparator areas ({pool_words}); removed from every comparison: "
                 f"{info.removed_text()}")
    syn = synthesize(findings, alpha=alpha, area=label_group, reform=f"the reform ({when})", comparators=comp_text)
    prov = store.provenance([r.indicator["id"] for r in runs])
    return Evaluation(
        framework=fw, area_code=area_code, area_name=label_group, reform_start=min(group.starts), cutoff=fw.cutoff,
        comparator_group=comp if isinstance(comp, str) else None, comparator_codes=tuple(pool),
        comparator_names=tuple(str(name_of.get(c) or c) for c in pool), comparator_text=comp_text,
        methods=tuple(fns) + (("group_aggregate_trend_difference",) if agg_outcomes else ()), outcomes=tuple(runs),
        synthesis=syn, provenance=prov, generated_at=datetime.now(timezone.utc).replace(microsecond=0),
        elapsed_s=time.perf_counter() - t0, errors=tuple(errors), group=info, excluded=tuple(excl),
    )


def _safe(fn, panel):
    if panel is None:
        return None
    try:
        return fn(panel)
    except Exception:   # noqa: BLE001 - a group mean without limits may not benchmark; the report says "no data"
        return None


def _nan(x: float) -> float | None:
    return None if not math.isfinite(x) else x
