"""Run the screen over many indicators through an executor, and hold its result.

Executors (``executor=``):

- ``"serial"``: in this process, one indicator after another;
- ``"local"`` (default): a :class:`concurrent.futures.ProcessPoolExecutor` over indicators;
- ``"dask"``: :mod:`dask.distributed`, on the cluster at ``scheduler`` (an address) or on a
  ``LocalCluster`` of ``dask_local`` worker processes started here and closed after.

Every executor runs the same pure kernel (:func:`.kernel.screen_panel`) on the same panels
and the rows are sorted the same way, so the results are identical.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..panel import Panel
from ..stats.multiple import benjamini_hochberg
from .kernel import COLUMNS, screen_panel

__all__ = ["Executor", "ScreenResult", "screen_panels", "benjamini_hochberg"]

Executor = Literal["serial", "local", "dask"]
_EXECUTORS = ("serial", "local", "dask")


@dataclass(frozen=True)
class ScreenResult:
    """Rows per (indicator, area), the indicators left out with why, and how it was run.

    ``table`` columns: :data:`.kernel.COLUMNS` plus ``q_area`` (Benjamini-Hochberg q-value of
    ``placebo_p`` across the area's indicators) and ``stands_out`` (placebo p <= alpha);
    ``direction`` (the mean post-reform gap judged with polarity) is ``no_clear_change`` unless the
    row stands out.
    """

    table: pd.DataFrame
    skipped: pd.DataFrame
    start: str
    area_type: str
    alpha: float = 0.05
    meta: dict = field(default_factory=dict)

    def area(self, code: str) -> pd.DataFrame:
        """Where one area stands, per indicator (its rank among all areas), best-ranked first."""
        t = self.table[self.table["area_code"] == code]
        return t.sort_values(["placebo_p", "indicator_id"]).reset_index(drop=True)

    def standouts(self) -> pd.DataFrame:
        """Rows whose post-reform departure ranks in the top ``alpha`` of all areas, by p then ratio."""
        t = self.table[self.table["stands_out"]]
        return t.sort_values(["placebo_p", "rmspe_ratio"], ascending=[True, False]).reset_index(drop=True)

    def by_area(self) -> pd.DataFrame:
        """One row per area: indicators screened, how many stand out, smallest q across indicators."""
        g = self.table.groupby(["area_code", "area_name"], sort=True)
        out = g.agg(indicators=("indicator_id", "size"), stand_out=("stands_out", "sum"),
                    min_q=("q_area", "min")).reset_index()
        return out.sort_values(["stand_out", "min_q", "area_code"], ascending=[False, True, True]).reset_index(drop=True)

    def summary(self) -> str:
        """A few sentences, honest about what a screen can say."""
        n_ind = self.table["indicator_id"].nunique()
        n_area = self.table["area_code"].nunique()
        return (f"Screened {n_ind} indicators across {n_area} areas ({self.area_type} tier), reform start "
                f"{self.start}; {len(self.skipped)} indicators left out. {int(self.table['stands_out'].sum())} "
                f"area-indicator pairs rank in the top {self.alpha:.0%} of post/pre RMSPE ratios. A screen "
                "finds departures that stand out among areas; it does not show that a reform caused them.")


def _executor_check(executor: str, scheduler: str | None, dask_local: int | None) -> str:
    if scheduler is not None or dask_local is not None:
        executor = "dask"
    if executor not in _EXECUTORS:
        raise InputError("unknown executor", field="executor", expected=" | ".join(_EXECUTORS), got=executor)
    return executor


def _run_one(panel: Panel, tol: float) -> tuple[str, pd.DataFrame, str | None]:
    df, why = screen_panel(panel, tol=tol)
    return panel.indicator_id, df, why


def _iter_local(panels, tol, workers) -> Iterable[tuple[str, pd.DataFrame, str | None]]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futs = [pool.submit(_run_one, p, tol) for p in panels]
        for f in as_completed(futs):
            yield f.result()


def _iter_dask(panels, tol, scheduler, dask_local) -> Iterable[tuple[str, pd.DataFrame, str | None]]:
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=int(dask_local or 1), threads_per_worker=1, processes=True,
                               dashboard_address=None)
    client = Client(scheduler if scheduler is not None else cluster)
    try:
        futs = client.map(_run_one, panels, tol=tol, pure=False)
        for f in dask_completed(futs):
            yield f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def screen_panels(
    panels: Sequence[Panel],
    *,
    start: str = "",
    area_type: str = "upper",
    executor: Executor = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    alpha: float = 0.05,
    tol: float = 1e-8,
    on_done: Callable[[str], None] | None = None,
) -> ScreenResult:
    """Screen every panel (one indicator, all areas) and combine the rows.

    ``on_done(indicator_id)`` is called as each indicator finishes (progress bars).
    """
    executor = _executor_check(executor, scheduler, dask_local)
    if not 0 < alpha < 1:
        raise InputError("alpha must be between 0 and 1", field="alpha", expected="e.g. 0.05", got=alpha)
    t0 = time.perf_counter()
    if executor == "serial" or len(panels) <= 1:
        it = (_run_one(p, tol) for p in panels)
    elif executor == "local":
        it = _iter_local(panels, tol, workers or min(len(panels), os.cpu_count() or 1))
    else:
        it = _iter_dask(panels, tol, scheduler, dask_local)
    frames, skipped = [], []
    for ind, df, why in it:
        if why is None:
            frames.append(df)
        else:
            skipped.append({"indicator_id": ind, "reason": why})
        if on_done is not None:
            on_done(ind)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    table = table.sort_values(["indicator_id", "area_code"]).reset_index(drop=True)
    q = np.full(len(table), np.nan)
    for _, idx in table.groupby("area_code", sort=False).indices.items():
        q[idx] = benjamini_hochberg(table["placebo_p"].to_numpy(dtype=float)[idx])
    table["q_area"] = q
    table["stands_out"] = table["placebo_p"].astype(float) <= alpha
    # a direction only where the departure stands out, as MethodResult does where a CI excludes zero
    table["direction"] = table["direction"].where(table["stands_out"], "no_clear_change")
    skipped_df = pd.DataFrame(skipped, columns=["indicator_id", "reason"]).sort_values("indicator_id")
    return ScreenResult(table=table, skipped=skipped_df.reset_index(drop=True), start=str(start),
                        area_type=area_type, alpha=alpha,
                        meta={"executor": executor, "seconds": time.perf_counter() - t0, "indicators": len(panels)})
