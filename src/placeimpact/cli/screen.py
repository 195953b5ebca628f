"""``screen``: every area as if it were the treated one; rank the departures that stand out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import _validate as V
from ._common import Format, FormatOpt, StoreOpt, console, emit, open_for_read, progress_console

_SHOW = ["indicator_id", "area_code", "area_name", "placebo_rank", "n_areas", "placebo_p", "q_all", "q_area",
         "rmspe_ratio", "gap_mean", "direction", "warnings"]
#: the ranges the options take (the Typer options and the fast path in ``_fast`` both check them)
WORKERS_RANGE = (1, 512)
ALPHA_RANGE = (0.0, 1.0)

_SHOW_AREA = ["indicator_name", "placebo_rank", "n_areas", "placebo_p", "q_all", "q_area", "gap_mean", "direction",
              "warnings"]


def register(app: typer.Typer) -> None:
    """Add the ``screen`` command."""

    @app.command("screen")
    def screen(
        start: Annotated[str, typer.Option("--start", "--reform-start", help="Reform start: a year (1 January) or an ISO date.",
                                            callback=V.date)],
        indicators: Annotated[Optional[list[str]], typer.Option(
            "--indicators", "-i", help="Indicator ids (repeat or comma-separate; default: every indicator).",
            callback=V.text)] = None,
        area_type: Annotated[str, typer.Option("--area-type", help="upper | lower | unitary | district | ...",
                                             callback=V.text)]
        = "upper",
        area: Annotated[Optional[str], typer.Option("--area", help="Print where this area stands per indicator.",
                                                                callback=V.text)]
        = None,
        out: Annotated[Optional[Path], typer.Option("--out", help="Write screen.csv and screen.html here.",
                                                                callback=V.out_dir)] = None,
        cutoff: Annotated[Optional[str], typer.Option("--cutoff", "--until", help="Ignore periods ending after this date.",
                                                                  callback=V.cutoff)]
        = None,
        scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="dask.distributed scheduler address.",
                                                                     callback=V.scheduler)]
        = None,
        dask_local: Annotated[Optional[int], typer.Option("--dask-local", help="Start a local Dask cluster with "
                                                          "N worker processes.", min=WORKERS_RANGE[0], max=WORKERS_RANGE[1])] = None,
        workers: Annotated[Optional[int], typer.Option("--workers", help="Local worker processes (default: "
                                                       "one per CPU; 1 runs in this process).", min=WORKERS_RANGE[0],
                                                       max=WORKERS_RANGE[1])] = None,
        alpha: Annotated[float, typer.Option("--alpha", help="Placebo p-value that counts as standing out.",
                                            min=ALPHA_RANGE[0], max=ALPHA_RANGE[1])]
        = 0.05,
        fmt: FormatOpt = Format.table,
        store: StoreOpt = None,
    ) -> None:
        """Screen every area of a type (default upper tier) for post-reform departures, with placebo p-values."""
        screen_command(start=start, indicators=indicators, area_type=area_type, area=area, out=out, cutoff=cutoff,
                       scheduler=scheduler, dask_local=dask_local, workers=workers, alpha=alpha, fmt=fmt, store=store)


def screen_command(*, start: str, indicators: list[str] | None = None, area_type: str = "upper",
                   area: str | None = None, out: Path | None = None, cutoff: str | None = None,
                   scheduler: str | None = None, dask_local: int | None = None, workers: int | None = None,
                   alpha: float = 0.05, fmt: Format = Format.table, store: Path | None = None) -> None:
    """The ``screen`` command on checked arguments (Typer's, or :func:`._fast.try_screen`'s)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..screen import run_screen

    if scheduler is not None and dask_local is not None:
        raise typer.BadParameter("give --scheduler or --dask-local, not both")
    ids = [x.strip() for v in (indicators or []) for x in v.split(",") if x.strip()] or None
    executor = "serial" if workers == 1 and scheduler is None and dask_local is None else "local"
    with open_for_read(store) as s:
        focal = s.resolve_area(area) if area else None
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=progress_console, transient=True)
        with progress:
            task = progress.add_task("reading panels", total=None)
            res = run_screen(
                s, start=start, indicators=ids, area_type=area_type, cutoff=cutoff, executor=executor,
                workers=workers, scheduler=scheduler, dask_local=dask_local, alpha=alpha,
                on_panels=lambda n: progress.update(task, total=n, description="screening indicators"),
                on_done=lambda ind: progress.update(task, advance=1, description=ind),
            )
    if out is not None:
        from ..screen import write_screen

        paths = write_screen(res, out, focal=focal)
        console.print(f"wrote {paths['csv']} and {paths['html']}")
    if focal is not None:
        emit(res.area(focal)[_SHOW_AREA if fmt == Format.table else _SHOW], fmt, title=f"Where {focal} stands among {area_type}-tier areas")
    else:
        emit(res.standouts()[_SHOW], fmt, title=f"Departures in the top {alpha:.0%} of areas, by q")
    if fmt == Format.table:
        console.print(res.summary())
    else:                       # keep stdout machine-readable; the count against chance goes to stderr
        progress_console.print(res.chance_sentence())
