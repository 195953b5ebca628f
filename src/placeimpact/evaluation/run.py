"""Run an outcome framework: every method on every outcome, then the synthesis.

``evaluate(store, "frameworks/wigan-deal.yaml")`` reads the framework, checks that every
indicator id exists in the store (errors name the framework's line), builds one
:class:`~placeimpact.panel.Panel` per outcome, benchmarks the latest value against England
and the neighbours, runs each method (a :class:`~placeimpact.errors.MethodError` becomes a
finding with evidence ``insufficient`` and the reason), and synthesises verdicts. The
returned :class:`Evaluation` holds everything the report needs; ``.write(DIR)`` writes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence

import pandas as pd

from ..errors import FrameworkError, MethodError, PlaceImpactError, StoreError
from ..methods import get_method
from ..experience import experience_caveat
from ..methods.result import MethodResult
from ..methods.runner import not_assessed as _failed
from ..methods.wave_change import needs_wave_comparison, wave_change
from ..panel import Panel, build_panel
from .comparators import ComparatorError, Comparators, resolve_comparators
from .context import benchmark_latest, data_caveat_kinds, data_caveats, period_counts
from .framework import Framework, IndicatorSpec, load_framework
from .synthesis import METHOD_NAMES, Synthesis, synthesize

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["evaluate", "Evaluation", "OutcomeRun", "check_framework"]

OnError = Literal["record", "raise"]


@dataclass(frozen=True, eq=False)
class OutcomeRun:
    """One outcome of the framework: its panel, benchmark and every method's result."""

    outcome: int
    domain: str
    spec: IndicatorSpec
    indicator: Mapping[str, Any]
    label: str
    panel: Panel | None
    results: tuple[MethodResult, ...]
    benchmark: Mapping[str, Any] | None
    caveats: tuple[str, ...]
    periods: Mapping[str, Any]
    error: str | None = None
    scale: str = "absolute"
    percent_change: Mapping[str, Any] | None = None

    def result(self, method: str) -> MethodResult | None:
        return next((r for r in self.results if r.method == method), None)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The answer to "did the reform change outcomes?" for one area and framework.

    ``findings`` is one row per outcome × method; ``synthesis`` holds the verdicts, domain
    summaries, scorecard and attribution text; ``write(out_dir)`` writes report.html,
    findings.json, findings.csv and figures/*.svg.
    """

    framework: Framework
    area_code: str
    area_name: str
    reform_start: date
    cutoff: date | None
    comparator_group: str | None
    comparator_codes: tuple[str, ...]
    comparator_names: tuple[str, ...]
    comparator_text: str
    methods: tuple[str, ...]
    outcomes: tuple[OutcomeRun, ...]
    synthesis: Synthesis
    provenance: pd.DataFrame
    generated_at: datetime
    elapsed_s: float
    errors: tuple[str, ...] = field(default_factory=tuple)
    #: per outcome: the headline under other comparators, a pre-pandemic window, the other scale, leave-one-out
    sensitivity: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    #: the same framework at other cut-offs (framework key ``as_of``), side by side: see evaluation.cutoffs
    as_of: tuple[Any, ...] = field(default_factory=tuple)
    #: a treated group's details (:class:`~placeimpact.evaluation.group_run.GroupInfo`), None for one area
    group: Any = None
    #: areas the framework excludes, removed from every comparator group and donor pool
    excluded: tuple[str, ...] = field(default_factory=tuple)

    @property
    def findings(self) -> pd.DataFrame:
        """One row per outcome × method (a copy), with q-values for primary outcomes."""
        return self.synthesis.findings.copy()

    @property
    def scorecard(self) -> Mapping[str, int]:
        return self.synthesis.scorecard

    def __repr__(self) -> str:
        card = ", ".join(f"{k} {v}" for k, v in self.scorecard.items())
        return (f"<Evaluation {self.area_name} ({self.area_code}), reform {self.reform_start}: "
                f"{len(self.outcomes)} outcomes x {len(self.methods)} methods; {card}; "
                ".summary(), .findings, .write(dir)>")

    def summary(self) -> str:
        """The scorecard, domain summaries and attribution statement as plain text."""
        lines = [f"{self.area_name} ({self.area_code}), reform start {self.reform_start}: {self.synthesis.overall}"]
        lines += [d.text for d in self.synthesis.domains]
        lines += list(self.synthesis.attribution)
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write report.html, findings.json, findings.csv and figures/*.svg into ``out_dir``."""
        from ..report.html import write_report

        return write_report(self, Path(out_dir))


# -- helpers ---------------------------------------------------------------------------------
def _label(spec: IndicatorSpec, ind: Mapping[str, Any]) -> str:
    if spec.label:
        return spec.label
    name = str(ind.get("name") or spec.id)
    extra = [x for x in (spec.sex, spec.age, spec.category) if x and x not in ("Persons", "All ages")]
    return f"{name} ({', '.join(extra)})" if extra else name


def check_framework(store: Store, framework: Framework) -> dict[str, dict]:
    """Metadata of every indicator in the framework; FrameworkError (file, line, field) for an unknown id."""
    out: dict[str, dict] = {}
    for _, spec in framework.indicators:
        try:
            out[spec.id] = store.indicator(spec.id)
        except StoreError as exc:
            raise FrameworkError("the indicator is not in the store", path=framework.path, line=spec.line,
                                 field=f"{spec.field}.id", got=spec.id,
                                 hint=f"{str(exc).split('. ', 1)[-1]} Load the data first ('placeimpact data load') "
                                      "or correct the id") from None
    return out


def _comparators(store: Store, fw: Framework, focal: str) -> Comparators:
    """The framework's comparators through the one resolver; its errors name the framework's line."""
    try:
        return resolve_comparators(store, focal, fw.comparators, reform_start=fw.reform_start)
    except ComparatorError as exc:
        expected = ("one of " + ", ".join(exc.stored)) if exc.stored else "a stored group id"
        err = FrameworkError(str(exc), path=fw.path, line=fw.line_of("comparators"), field=exc.field,
                             expected=expected if exc.field == "comparators" else None, got=exc.got,
                             hint=exc.hint[:1].upper() + exc.hint[1:] if exc.hint else None)
        err.option = "comparators"
        raise err from None


def _retitle(store: Store, original: Framework, fw: Framework, focal: str, area_name: str) -> Framework:
    """A framework written for one area (its title names it) applied to another keeps the title as provenance only."""
    if not original.title or original.area is None:
        return fw
    try:
        code = store.resolve_area(original.area)
        written_for = str(store.area(code).get("name") or code)
    except StoreError:
        code, written_for = None, str(original.area)
    if code == focal and fw.reform_start == original.reform_start:
        return fw
    from dataclasses import replace

    when = f"{fw.reform_start.day} {fw.reform_start:%B %Y}"
    note = (f"This report applies the outcome framework '{original.title}', written for {written_for} with a reform "
            f"starting {original.reform_start}, to {area_name} with a reform starting {when}.")
    return replace(fw, title=f"Did outcomes change in {area_name} after the reform starting {when}?", description=note)


def _load_local_data(store: Store, fw: Framework) -> None:
    """Import the framework's own data files (local indicator CSVs and survey files) before evaluating."""
    if not fw.data:
        return
    from ..sources import read_user_file

    for p in fw.data:
        if not p.exists():
            raise FrameworkError("the local data file does not exist", path=fw.path, line=fw.line_of("data"),
                                 field="data", got=str(p), hint="Paths are relative to the framework file")
    store.import_batches([read_user_file(p) for p in fw.data])


class _Progress:
    """A Rich progress bar on stderr, or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description:<48}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=False)
            self.task = self.bar.add_task("evaluating", total=total)

    def __enter__(self) -> "_Progress":
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def step(self, text: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=text[:48])


def _caveats(panel: Panel | None, ind: Mapping[str, Any]) -> tuple[str, ...]:
    """What limits the evaluation of one outcome: the panel's data caveats and a survey measure's note."""
    note = experience_caveat(ind)
    return (data_caveats(panel) if panel is not None else ()) + ((note,) if note else ())


def _run_methods(fns: Mapping[str, Callable[..., MethodResult]], panel: Panel | None, err: str | None, ind_id: str,
                 focal: str, on_error: OnError, errors: list[str], step: Callable[[str], None],
                 scale: str = "absolute") -> list[MethodResult]:
    """Every method on one outcome's panel, on the given scale (:mod:`placeimpact.methods.scale`): a
    MethodError (or no panel) is a not-assessed result; a bug is recorded in ``errors`` (or raised, with
    ``on_error="raise"``)."""
    from ..methods.scale import run_on_scale

    results: list[MethodResult] = []
    for m, fn in fns.items():
        step(m)
        if panel is None:
            results.append(_failed(m, ind_id, focal, str(err)))
            continue
        try:
            results.append(run_on_scale(fn, panel, scale))
        except MethodError as exc:
            results.append(_failed(m, ind_id, focal, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a bug in a method must not sink the whole report
            if on_error == "raise":
                exc.add_note(f"while running {m} on {ind_id} for {focal}")
                raise
            msg = f"{m} failed unexpectedly on {ind_id} ({type(exc).__name__}: {exc}); please report this"
            errors.append(msg)
            results.append(_failed(m, ind_id, focal, msg))
    if panel is not None and needs_wave_comparison(panel):   # e.g. a council's own survey
        try:
            results.append(wave_change(panel))
        except MethodError as exc:
            results.append(_failed("wave_change", ind_id, focal, str(exc)))
    return results


# -- the run ---------------------------------------------------------------------------------
def evaluate(
    store: Store,
    framework: str | Path | Mapping[str, Any] | Framework,
    *,
    area: str | None = None,
    reform_start: str | date | None = None,
    cutoff: str | date | None = None,
    methods: Sequence[str] | None = None,
    alpha: float = 0.05,
    progress: bool = True,
    on_error: OnError = "record",
    scale: str | None = None,
    sensitivity: bool | None = None,
    as_of: Sequence[str | date | None] | None = None,
    areas: Sequence[str] | str | None = None,
    exclude: Sequence[str] | None = None,
    allow_data: str | Path | Sequence[str | Path] | None = None,
) -> Evaluation:
    """Evaluate a reform with an outcome framework.

    Parameters
    ----------
    store : Store
        An open store holding the framework's indicators (read-only is enough unless the
        framework lists local ``data`` files to import).
    framework : path, dict or Framework
        The outcome framework (see ``docs/framework-format.md``).
    area, reform_start, cutoff : optional
        Override the framework's values (a generic framework leaves area and reform start out).
    methods : list of str, optional
        Method names (default: the framework's, else all of :data:`placeimpact.methods.METHODS`).
    alpha : float
        False discovery rate across primary outcomes (and p threshold for the others).
    progress : bool
        Show a Rich progress bar on stderr.
    on_error : {"record", "raise"}
        What to do when a method fails with an unexpected exception (a bug, not a
        :class:`MethodError`): record it as an ``insufficient`` finding naming the error
        (default), or re-raise it.
    scale : {"absolute", "relative", "auto"}, optional
        The scale every method runs on (default: the framework's ``scale``, else absolute); see
        :mod:`placeimpact.methods.scale`.
    sensitivity : bool, optional
        Compute the per-outcome sensitivity grid (default: the framework's ``sensitivity``, true).
    as_of : list of dates or None, optional
        Cut-offs to evaluate side by side (default: the framework's ``as_of``); None means the
        latest data. See :mod:`placeimpact.evaluation.cutoffs`.
    areas : list of codes or names, or one combined-authority / region code, optional
        Evaluate a treated group instead of one area (overrides the framework's ``areas``);
        an ``area`` that is a combined authority or region is a group too.
    exclude : list of codes or names, optional
        Areas never used as comparators or donors (added to the framework's ``exclude``).
    allow_data : folder or list of folders, optional
        Folders besides the framework's own whose files its ``data:`` entries may import.
    """
    if on_error not in ("record", "raise"):
        raise ValueError(f"on_error must be 'record' or 'raise'; got {on_error!r}")
    t0 = time.perf_counter()
    original = load_framework(framework, allow_data=allow_data)
    fw = original.with_overrides(area=area, reform_start=reform_start, cutoff=cutoff)
    fw = _group_overrides(store, fw, areas=areas, exclude=exclude)
    if fw.is_group:
        from .group_run import evaluate_group

        return evaluate_group(store, fw, methods=methods, alpha=alpha, progress=progress, on_error=on_error)
    for key, val in (("area", fw.area), ("reform_start", fw.reform_start)):
        if val is None:
            err = FrameworkError(f"the framework gives no {key}", path=fw.path, field=key,
                                 expected="a value in the file or given with the evaluation",
                                 hint=f"Add '{key}:' to the file or give the {key.replace('_', ' ')}")
            err.option = key
            raise err
    from .framework import SCALE_CHOICES
    from dataclasses import replace as _replace

    if scale is not None:
        if scale not in SCALE_CHOICES:
            raise FrameworkError("the scale is not allowed", field="scale", expected=" | ".join(SCALE_CHOICES), got=scale)
        fw = _replace(fw, scale=scale)
    names = tuple(methods) if methods is not None else fw.methods
    try:
        fns: dict[str, Callable[..., MethodResult]] = {m: get_method(m) for m in names}
    except ValueError as exc:
        raise FrameworkError(str(exc), path=fw.path, line=fw.line_of("methods"), field="methods") from None
    _load_local_data(store, fw)
    try:
        focal = store.resolve_area(fw.area)
    except StoreError as exc:
        raise FrameworkError("unknown area", path=fw.path, line=fw.line_of("area"), field="area", got=fw.area,
                             hint=str(exc)) from None
    area_name = str(store.area(focal).get("name") or focal)
    fw = _retitle(store, original, fw, focal, area_name)
    meta = check_framework(store, fw)
    comp = _comparators(store, fw, focal)
    comp_arg, comp_codes, comp_text = comp.panel_arg, comp.codes, comp.text
    excluded: tuple[str, ...] = ()
    if fw.exclude:   # clean comparators: excluded areas leave every comparator group
        excluded = _excluded_codes(store, fw)
        dropped = [c for c in comp_codes if c in set(excluded)]
        comp_codes = tuple(c for c in comp_codes if c not in set(excluded))
        comp_arg = list(comp_codes)
        names_x = [str(store.area(c).get("name") or c) for c in excluded]
        comp_text += (f"; excluded by the framework: {', '.join(names_x)}"
                      f" ({len(dropped)} of them were in the group and removed)")
    name_of = store.area_names(comp_codes)
    pairs = fw.indicators
    runs: list[OutcomeRun] = []
    errors: list[str] = []
    with _Progress(len(pairs) * (len(fns) + 1), progress) as bar:
        for k, (domain, spec) in enumerate(pairs):
            ind = meta[spec.id]
            label = _label(spec, ind)
            bar.step(f"{label}: data")
            panel: Panel | None = None
            err: str | None = None
            try:
                panel = build_panel(store, indicator=ind["id"], area=focal, comparators=comp_arg,
                                    reform_start=fw.reform_start, cutoff=fw.cutoff, sex=spec.sex, age=spec.age,
                                    category=spec.category, polarity=spec.polarity)
            except (MethodError, StoreError) as exc:
                err = str(exc)
            from ..methods.scale import resolve_scale

            try:
                scale_k = resolve_scale(fw.scale, panel) if panel is not None else "absolute"
            except MethodError:       # 'relative' asked of a series with zeros: each method says so
                scale_k = fw.scale
            results = _run_methods(fns, panel, err, ind["id"], focal, on_error, errors,
                                   lambda m: bar.step(f"{label}: {METHOD_NAMES.get(m, m)}"), scale_k)
            runs.append(OutcomeRun(
                outcome=k, domain=domain.name, spec=spec, indicator=dict(ind), label=label, panel=panel,
                results=tuple(results), benchmark=benchmark_latest(panel) if panel is not None else None,
                caveats=_caveats(panel, ind),
                periods=period_counts(panel) if panel is not None else {}, error=err, scale=scale_k,
                percent_change=_percent_change(panel, fw.change_window)))
    findings = _findings(runs, focal, area_name)
    reform_words = f"the reform starting {fw.reform_start.day} {fw.reform_start:%B %Y}"
    syn = synthesize(findings, alpha=alpha, area=area_name, reform=reform_words, comparators=comp_text)
    grid: dict = {}
    if (fw.sensitivity if sensitivity is None else sensitivity):
        from .sensitivity import attach, sensitivity_grid

        grid = sensitivity_grid(store, fw, focal, runs, syn.verdicts, fns, {r.outcome: r.scale for r in runs})
        syn = attach(syn, grid)
    cut_views: tuple = ()
    cuts = tuple(as_of) if as_of is not None else fw.as_of
    if cuts:
        from .cutoffs import evaluate_cutoffs

        cut_views = evaluate_cutoffs(store, fw, cuts, syn, area=focal, methods=tuple(fns), alpha=alpha,
                                     on_error=on_error, runs=runs, fns=fns, area_name=area_name)
    prov = store.provenance([r.indicator["id"] for r in runs])
    return Evaluation(
        framework=fw, area_code=focal, area_name=area_name, reform_start=fw.reform_start, cutoff=fw.cutoff,
        comparator_group=comp_arg if isinstance(comp_arg, str) else None, comparator_codes=comp_codes,
        comparator_names=tuple(str(name_of.get(c) or c) for c in comp_codes), comparator_text=comp_text,
        methods=tuple(fns), outcomes=tuple(runs), synthesis=syn, provenance=prov,
        generated_at=datetime.now(timezone.utc).replace(microsecond=0), elapsed_s=time.perf_counter() - t0,
        errors=tuple(errors), sensitivity=grid, as_of=cut_views, excluded=excluded,
    )


def _excluded_codes(store, fw: Framework) -> tuple[str, ...]:
    out = []
    for j, x in enumerate(fw.exclude):
        try:
            code = store.resolve_area(x)
            from ..group_panel import group_members

            mem = group_members(store, code) if code.startswith("E47") else None
            out += mem[0] if mem else [code]
        except StoreError as exc:
            raise FrameworkError("unknown area to exclude", path=fw.path, line=fw.line_of("exclude"),
                                 field=f"exclude[{j}]", got=x, hint=str(exc)) from None
    return tuple(dict.fromkeys(out))


def _group_overrides(store, fw: Framework, *, areas, exclude) -> Framework:
    """Command-line / API group options: ``areas`` (or an ``area`` that is a combined authority or region)."""
    from dataclasses import replace

    if exclude:
        fw = replace(fw, exclude=tuple(dict.fromkeys([*fw.exclude, *exclude])))
    if areas is not None:
        items = [areas] if isinstance(areas, str) else list(areas)
        if len(items) == 1 and "," in items[0]:
            items = [x.strip() for x in items[0].split(",") if x.strip()]
        return replace(fw, areas=tuple(items), area_starts=(None,) * len(items), area=None)
    if not fw.is_group and fw.area is not None:
        try:
            code = store.resolve_area(fw.area)
        except StoreError:
            return fw
        from ..group_panel import group_members

        if group_members(store, code) is not None:
            return replace(fw, areas=(code,), area_starts=(None,), area=None)
    return fw


def _context_kinds(run: OutcomeRun) -> tuple[str, ...]:
    """The typed kind of each of the outcome's data caveats (aligned with ``run.caveats``; "" for none)."""
    kinds = data_caveat_kinds(run.panel) if run.panel is not None else ()
    return tuple(kinds) + ("",) * (len(run.caveats) - len(kinds))


def _percent_change(panel: Panel | None, window=None) -> Mapping[str, Any] | None:
    """The King's Fund comparison (% change in the area vs England and each comparator), or None."""
    if panel is None:
        return None
    from ..methods.change import percent_change

    try:
        return percent_change(panel, between=window)
    except (MethodError, ValueError):
        return None


def _findings(runs: Sequence[OutcomeRun], focal: str, area_name: str) -> pd.DataFrame:
    rows = []
    for r in runs:
        for res in r.results:
            rows.append({
                "area_code": focal, "area_name": area_name, "domain": r.domain, "outcome": r.outcome,
                "indicator_id": r.indicator["id"], "indicator_label": r.label,
                "indicator_name": r.indicator.get("name"), "primary": r.spec.primary,
                "polarity": r.panel.polarity if r.panel is not None else r.indicator.get("polarity"),
                "unit": r.indicator.get("unit") or "", "sex": r.panel.sex if r.panel is not None else r.spec.sex,
                "age": r.panel.age if r.panel is not None else r.spec.age,
                "category": r.panel.category if r.panel is not None else r.spec.category,
                "method": res.method, "estimand": res.estimand,
                "period_first": r.periods.get("period_first"), "period_last": r.periods.get("period_last"),
                "n_pre": r.periods.get("n_pre"), "n_post": r.periods.get("n_post"),
                "n_comparators": r.periods.get("n_comparators"),
                "estimate": float(res.estimate), "ci_low": float(res.ci_low), "ci_high": float(res.ci_high),
                "p_value": float(res.p_value), "mde": float(res.mde), "direction": res.direction, "label": res.label,
                "evidence": res.evidence, "summary": res.summary, "warnings": tuple(res.warnings),
                "context_warnings": tuple(r.caveats),
                "caveats": res.caveat_kinds(), "scale": res.scale,
                "context_caveats": _context_kinds(r),
            })
    df = pd.DataFrame(rows)
    if df.empty:
        raise PlaceImpactError("the framework produced no findings (no outcomes or no methods)")
    for c in ("estimate", "ci_low", "ci_high", "p_value"):
        df[c] = df[c].astype(float)
    df["n_pre"] = df["n_pre"].astype("Int64")
    df["n_post"] = df["n_post"].astype("Int64")
    df["n_comparators"] = df["n_comparators"].astype("Int64")
    return df
