"""The national screen: every area of a type as if it were the treated area, for every indicator.

=====================  ===================================================================
module                 what it holds
=====================  ===================================================================
:mod:`.panels`         one all-areas panel per indicator from a single store query
:mod:`.kernel`         one indicator: leave-one-out synthetic controls (= full in-space
                       placebos), placebo p-values, a cheap ITS per area
:mod:`.run`            executors (serial, local processes, dask.distributed), ScreenResult
:mod:`.html`           CSV and a self-contained HTML page
=====================  ===================================================================

Usage::

    from placeimpact.screen import run_screen, write_screen
    res = run_screen(store, start=2011, area_type="upper")
    res.area("E08000010")            # where Wigan stands, per indicator
    write_screen(res, "out/")
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from .._lazy import lazy_attributes as _lazy_attributes
from .kernel import COLUMNS, screen_panel
from .panels import bulk_panels, screen_areas
from .run import Executor, ScreenResult, benjamini_hochberg, screen_panels

if TYPE_CHECKING:
    from .html import render_html, write_screen

#: names imported on first use (PEP 562): the page's Jinja2 and formatting only when a page is written
_LAZY: dict[str, str] = {"render_html": ".html", "write_screen": ".html"}

__all__ = ["run_screen", "ScreenResult", "screen_panels", "screen_panel", "bulk_panels", "screen_areas",
           "write_screen", "render_html", "benjamini_hochberg", "COLUMNS", "Executor"]


def run_screen(
    store,
    *,
    start: str | int | date,
    indicators: Sequence[str] | None = None,
    area_type: str = "upper",
    cutoff: str | date | None = None,
    executor: Executor = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    alpha: float = 0.05,
    on_panels: Callable[[int], None] | None = None,
    on_done: Callable[[str], None] | None = None,
) -> ScreenResult:
    """Read the panels from the store (one query) and screen them with the chosen executor.

    ``start`` is the reform start (a year means 1 January). ``on_panels(n)`` is called once the
    n panels are read; ``on_done(indicator_id)`` as each indicator finishes. On Dask (``scheduler``
    or ``dask_local``) with a store file, the workers read their own panels from the file
    (:func:`.run.screen_store_dask`; ``on_panels`` gets the number of indicators sent).
    """
    path = getattr(store, "path", None)
    if (scheduler is not None or dask_local is not None) and path and Path(str(path)).is_file():
        from .run import screen_store_dask

        ids = list(indicators) if indicators is not None else store.indicators()["id"].tolist()
        if isinstance(indicators, str):
            ids = [indicators]
        if on_panels is not None:
            on_panels(len(ids))
        return screen_store_dask(str(path), ids, start=str(start), area_type=area_type, cutoff=cutoff,
                                 scheduler=scheduler, dask_local=dask_local, alpha=alpha, on_done=on_done)
    left_out: dict[str, str] = {}          # indicators that cannot qualify for their periods: no panel built
    panels = bulk_panels(store, reform_start=str(start), area_type=area_type, indicators=indicators, cutoff=cutoff,
                         left_out=left_out)
    if on_panels is not None:
        on_panels(len(panels) + len(left_out))
    return screen_panels(panels, start=str(start), area_type=area_type, executor=executor, workers=workers,
                         scheduler=scheduler, dask_local=dask_local, alpha=alpha, on_done=on_done, skipped=left_out)


__getattr__, __dir__ = _lazy_attributes(__name__, _LAZY, __all__)   # names imported on first use (PEP 562)
