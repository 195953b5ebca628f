"""``evaluate`` (an outcome framework -> the evidence report) and ``evaluate-indicator`` (one indicator)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import _validate as V
from ._common import Format, FormatOpt, StoreOpt, console, open_for_read, open_for_write


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    _register_evaluate_framework(app)
    _register_evaluate_indicator(app)


def _register_evaluate_framework(app: typer.Typer) -> None:
    """``placeimpact evaluate FRAMEWORK --out DIR``: the main job (helper G's command)."""
    @app.command("evaluate")
    def evaluate_cmd(
        framework: Annotated[Path, typer.Argument(help="Outcome framework YAML, e.g. frameworks/wigan-deal.yaml.",
                                                  exists=True, dir_okay=False, readable=True)],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder for report.html, findings.json/csv, figures/.",
                                          callback=V.out_dir)],
        area: Annotated[Optional[str], typer.Option("--area", help="Area code or name (overrides the framework's).",
                                                    callback=V.text)] = None,
        reform_start: Annotated[Optional[str], typer.Option("--reform-start", "--start", help="ISO date (overrides the framework's).",
                                                            callback=V.date)] = None,
        cutoff: Annotated[Optional[str], typer.Option("--cutoff", "--until", help="Use only periods ended by this ISO date.",
                                                      callback=V.cutoff)] = None,
        progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
        allow_data: Annotated[Optional[list[Path]], typer.Option(
            "--allow-data", help="A folder (besides the framework's own) whose files the framework's data: entries "
            "may import (repeat for more).", callback=V.existing_dirs)] = None,
        store: StoreOpt = None,
        scale: Annotated[Optional[str], typer.Option("--scale", help="absolute, relative (logs; effects as %) or auto "
                                                     "(relative for rates, ratios and counts); overrides the "
                                                     "framework's.")] = None,
        areas: Annotated[Optional[str], typer.Option(
            "--areas", help="A treated group: comma-separated codes or names, or one combined-authority / region code "
                            "(E47000001 = the ten Greater Manchester councils); overrides the framework's.")] = None,
        exclude: Annotated[Optional[str], typer.Option(
            "--exclude", help="Comma-separated areas never used as comparators or donors (added to the framework's).")] = None,
    ) -> None:
        """Evaluate a reform: every method on every outcome, then the evidence report.

        An --area that is a combined authority or region, or --areas, evaluates a treated group."""
        from ..evaluation import evaluate, load_framework

        fw = load_framework(framework, allow_data=allow_data)
        opener = open_for_write if fw.data else open_for_read   # local CSVs are imported first
        with opener(store) as s:
            ev = evaluate(s, fw, area=area, reform_start=reform_start, cutoff=cutoff, progress=progress, scale=scale,
                          areas=areas, exclude=[x.strip() for x in exclude.split(",") if x.strip()] if exclude else None)
            from ..report.html import write_report

            paths = write_report(ev, Path(out), store=s)   # the store adds England's spread and the maps
        console.print(ev.summary())
        console.print(f"[bold]report:[/] {paths['report.html']}  ([dim]{len(paths)} files in {out}; "
                      f"evaluated in {ev.elapsed_s:.1f} s[/])")


# -- evaluate-indicator (helper E1): every method on one indicator -------------------------------
def _ci_cell(lo: float, hi: float) -> str:
    """Table text of a 95% interval: blank when none, "unbounded" (or -inf/inf at one end) when infinite."""
    from ..methods._common import fmt as num

    if lo != lo or hi != hi:
        return ""
    if lo == float("-inf") and hi == float("inf"):
        return "unbounded"
    end = {float("-inf"): "−∞", float("inf"): "∞"}
    return f"{end.get(lo) or num(lo)} to {end.get(hi) or num(hi)}"


def _register_evaluate_indicator(app: typer.Typer) -> None:
    """``placeimpact evaluate-indicator``: every method's result for one indicator and one area."""

    @app.command("evaluate-indicator")
    def evaluate_indicator_cmd(
        area: Annotated[str, typer.Option("--area", "-a", help="Area code or exact name, e.g. Wigan.", callback=V.text)],
        indicator: Annotated[str, typer.Option("--indicator", "-i", help="Indicator id (see 'indicators list').",
                                               callback=V.text)],
        start: Annotated[str, typer.Option("--start", "--reform-start", help="Reform start: a year (1 January) or an ISO date, "
                                                          "e.g. 2011-04-01.", callback=V.date)],
        until: Annotated[Optional[str], typer.Option("--until", "--cutoff", help="Analysis cut-off: use only periods "
                                                                     "ended by this ISO date.", callback=V.cutoff)] = None,
        group: Annotated[str, typer.Option("--group", "-g", help="Comparators: imported (Oflog nearest "
                                                                 "neighbours), computed, all (every area of the same "
                                                                 "tier), or a group id.", callback=V.text)] = "imported",
        methods: Annotated[Optional[list[str]], typer.Option("--methods", "-m", help="Methods to run (repeat or "
                                                             "comma-separate); default all.", callback=V.text)] = None,
        sex: Annotated[Optional[str], typer.Option(help="Persons, Male or Female.", callback=V.text)] = None,
        age: Annotated[Optional[str], typer.Option(help="Age band, default all.", callback=V.text)] = None,
        store: StoreOpt = None,
        fmt: FormatOpt = Format.table,
        scale: Annotated[str, typer.Option("--scale", help="absolute, relative (logs; effects as %) or auto "
                                           "(relative for rates, ratios and counts).")] = "absolute",
    ) -> None:
        """Evaluate one indicator: change vs neighbours, trend difference, ITS, DiD, synthetic control."""
        import pandas as pd

        from ..evaluation.indicator import evaluate_indicator
        from ._common import emit, emit_json

        names = [m.strip() for x in (methods or []) for m in x.split(",") if m.strip()] or None
        with open_for_read(store) as s:
            ev = evaluate_indicator(s, area=area, indicator=indicator, start=start, until=until, group=group,
                                    methods=names, sex=sex, age=age, scale=scale)
        if fmt == Format.json:
            emit_json(ev.to_dict())
            return
        df = ev.to_frame()
        if fmt == Format.csv:
            emit(df, fmt)
            return
        p = ev.panel
        cut = f", data up to {p.cutoff}" if p.cutoff else ""
        title = (f"{p.indicator_name} — {p.focal_name} ({p.focal}); reform {p.reform_start}{cut}; "
                 f"{p.n_areas - 1} comparators ({ev.comparators}); {int(p.pre.sum())} pre / {int(p.post.sum())} "
                 f"post periods")
        from ..methods._common import fmt as num

        show = pd.DataFrame({
            "method": df["method"], "estimate": [num(x) for x in df["estimate"].astype(float)],
            "95% CI": [_ci_cell(r.ci_low, r.ci_high) for r in ev.results],   # the frame has inf as missing
            "p": [f"{x:.2g}" if x == x else "" for x in df["p_value"].astype(float)],
            "direction": df["direction"], "evidence": df["evidence"], "label": df["label"]})
        emit(show, fmt, title=title)
        for w in ev.warnings:
            console.print(f"[yellow]warning:[/] {w}")
        for r in ev.results:
            console.print(f"[bold]{r.method}[/]: {r.summary}", soft_wrap=True)
            for w in r.warnings:
                if w not in p.warnings:
                    console.print(f"   [dim]caveat: {w}[/]", soft_wrap=True)
        if p.warnings:
            console.print("[dim]data caveats: " + "; ".join(p.warnings) + "[/]", soft_wrap=True)
