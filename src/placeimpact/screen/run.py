"""Run the screen over many indicators through an executor, and hold its result.

Executors (``executor=``):

- ``"serial"``: in this process, one indicator after another;
- ``"local"`` (default): a :class:`concurrent.futures.ProcessPoolExecutor` over indicators;
- ``"dask"``: :mod:`dask.distributed`, on the cluster at ``scheduler`` (an address) or on a
  ``LocalCluster`` of ``dask_local`` worker processes started here and closed after.

Every executor runs the same pure kernel (:func:`.kernel.screen_panel`) on the same panels
and the rows are sorted the same way, so the results are identical (bit for bit: the kernel's
blocks do not depend on the executor, and BLAS runs on one thread everywhere).

Work is sent in a few tasks per worker (:func:`plan_batches`: indicators grouped by cost), not
one task per indicator; forked local workers inherit the panels instead of unpickling them; every
worker holds BLAS to one thread (:func:`pin_blas_threads`), so processes do not oversubscribe cores.
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
from .kernel import COLUMNS, screen_panel

__all__ = ["Executor", "ScreenResult", "screen_panels", "benjamini_hochberg", "plan_batches", "pin_blas_threads"]

Executor = Literal["serial", "local", "dask"]
_EXECUTORS = ("serial", "local", "dask")


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg (1995) q-values of p-values p (n,); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    n = order.size
    raw = p[order] * n / np.arange(1, n + 1)
    q[order] = np.minimum(np.minimum.accumulate(raw[::-1])[::-1], 1.0)
    return q


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


def _cost(panel: Panel) -> float:
    """Rough work of one indicator: areas^2 x pre-periods (the leave-one-out fits), plus a constant."""
    a, m = panel.values.shape[0], int(np.sum(panel.pre))
    return float(a) * a * max(m, 1) + 5e4


def plan_batches(panels: Sequence[Panel], n_workers: int, per_worker: int = 4) -> list[list[int]]:
    """Group panel indices into about ``per_worker`` tasks per worker of similar cost (greedy: the
    costliest indicator to the lightest task), so that task overhead is paid a few times per core,
    not once per indicator. Deterministic; the results do not depend on the grouping."""
    n_tasks = max(1, min(len(panels), n_workers * per_worker))
    order = sorted(range(len(panels)), key=lambda i: (-_cost(panels[i]), i))
    load = [0.0] * n_tasks
    tasks: list[list[int]] = [[] for _ in range(n_tasks)]
    for i in order:
        k = min(range(n_tasks), key=lambda j: (load[j], j))
        tasks[k].append(i)
        load[k] += _cost(panels[i])
    return [t for t in tasks if t]


def pin_blas_threads() -> None:
    """Hold BLAS to one thread in this process (screen workers: parallelism comes from processes)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


_SHARED: Sequence[Panel] = ()        # panels handed to forked workers by memory, not by pickling


def _run_batch_shared(idx: list[int], tol: float) -> list[tuple[str, pd.DataFrame, str | None]]:
    return [_run_one(_SHARED[i], tol) for i in idx]


def _run_batch(panels: list[Panel], tol: float) -> list[tuple[str, pd.DataFrame, str | None]]:
    pin_blas_threads()
    return [_run_one(p, tol) for p in panels]


def _iter_local(panels, tol, workers) -> Iterable[tuple[str, pd.DataFrame, str | None]]:
    import multiprocessing as mp

    global _SHARED
    batches = plan_batches(panels, workers)
    fork = "fork" in mp.get_all_start_methods()
    if fork:             # forked workers inherit the panels: tasks carry indices only
        _SHARED = panels
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"),
                                   initializer=pin_blas_threads)
    else:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=pin_blas_threads)
    try:
        with pool:
            if fork:
                futs = [pool.submit(_run_batch_shared, b, tol) for b in batches]
            else:
                futs = [pool.submit(_run_batch, [panels[i] for i in b], tol) for b in batches]
            for f in as_completed(futs):
                yield from f.result()
    finally:
        _SHARED = ()


def _iter_dask(panels, tol, scheduler, dask_local) -> Iterable[tuple[str, pd.DataFrame, str | None]]:
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=int(dask_local or 1), threads_per_worker=1, processes=True,
                               dashboard_address=None)
    client = Client(scheduler if scheduler is not None else cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or int(dask_local or 1))
        batches = plan_batches(panels, n_workers)
        futs = [client.submit(_run_batch, [panels[i] for i in b], tol, pure=False) for b in batches]
        for f in dask_completed(futs):
            yield from f.result()
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
