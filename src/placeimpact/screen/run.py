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

import itertools
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..panel import Panel
from ..stats.multiple import benjamini_hochberg
from .kernel import COLUMNS, _usable, n_fit_blocks, screen_columns, screen_fits, skip_reason

__all__ = ["Executor", "ScreenResult", "screen_panels", "benjamini_hochberg", "plan_batches", "pin_blas_threads",
           "screen_store_dask"]

Executor = Literal["serial", "local", "dask"]
_EXECUTORS = ("serial", "local", "dask")


@dataclass(frozen=True)
class ScreenResult:
    """Rows per (indicator, area), the indicators left out with why, and how it was run.

    ``table`` columns: :data:`.kernel.COLUMNS` plus ``q_area`` (Benjamini-Hochberg q-value of
    ``placebo_p`` across the area's indicators), ``q_all`` (BH across every area x indicator pair)
    and ``stands_out`` (placebo p <= alpha); :meth:`chance` sets the count found beside the
    count chance gives;
    ``direction`` (the mean post-reform gap judged with polarity) is ``no_clear_change`` unless the
    row stands out.
    """

    table: pd.DataFrame
    skipped: pd.DataFrame
    start: str
    area_type: str
    alpha: float = 0.05
    meta: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def area(self, code: str) -> pd.DataFrame:
        """Where one area stands, per indicator (its rank among all areas), best-ranked first."""
        t = self.table[self.table["area_code"] == code]
        return t.sort_values(["placebo_p", "indicator_id"]).reset_index(drop=True)

    def chance(self, n_perm: int = 200) -> dict:
        """How many pairs and areas stand out against how many chance alone gives.

        Pairs: ``found`` of ``pairs`` (area x indicator rows) have placebo p <= alpha; ``expected``
        is what chance gives: within an indicator of A areas the placebo p-values are the ranks
        1/A ... 1, so floor(alpha x A) areas rank in the top alpha whatever happened, and the count
        of pairs carries no evidence by construction; ``binomial_p`` = P(count >= found) for a
        binomial(pairs, expected / pairs) count. For the same reason Benjamini-Hochberg across all
        pairs (``q_all``, smallest ``min_q_all``) cannot reject: the p-values are a fixed grid.

        Areas: ``areas_flagged`` of ``areas`` stand out in more of their indicators than chance gives
        (the one-sided binomial p of the area's count, ``chance_p`` in :meth:`by_area`, <= alpha).
        ``areas_expected`` and ``areas_p`` come from a permutation null (seeded, ``n_perm`` draws):
        each indicator's placebo p-values shuffled among its areas independently, i.e. no area
        departs more than chance across indicators; ``areas_p`` = (1 + #(null count >= flagged)) /
        (1 + n_perm). ``consistent_with_chance``: binomial p > alpha and areas_p > alpha.
        """
        key = ("chance", n_perm)
        if key not in self._cache:
            self._cache[key] = self._chance(n_perm)
        return dict(self._cache[key])

    def _chance(self, n_perm: int) -> dict:
        """The counts of :meth:`chance` (computed once per result)."""
        t = self.table
        pairs = len(t)
        if pairs == 0:
            return {"pairs": 0, "found": 0, "expected": 0.0, "binomial_p": 1.0, "min_q_all": float("nan"),
                    "areas": 0, "areas_flagged": 0, "areas_expected": 0.0, "areas_p": 1.0, "n_perm": n_perm,
                    "alpha": self.alpha, "consistent_with_chance": True}
        found = int(t["stands_out"].sum())
        sizes = t.groupby("indicator_id")["n_areas"].first().to_numpy(dtype=float)
        expected = float(np.floor(self.alpha * sizes + 1e-9).sum())
        binom_p = _binomial_tail(found, pairs, expected / pairs)
        area_idx = pd.factorize(t["area_code"])[0]
        ind_idx = pd.factorize(t["indicator_id"])[0]
        pv = t["placebo_p"].to_numpy(dtype=float)
        areas = int(area_idx.max()) + 1
        n_ind = np.bincount(area_idx, minlength=areas)
        flagged = _areas_beyond_chance(area_idx, pv, n_ind, self.alpha)
        null = _permutation_null(area_idx, ind_idx, pv, n_ind, self.alpha, n_perm)
        areas_p = float((1 + np.sum(null >= flagged)) / (1 + n_perm))
        q_all = t["q_all"].to_numpy(dtype=float)
        return {"pairs": pairs, "found": found, "expected": expected, "binomial_p": binom_p,
                "min_q_all": float(np.nanmin(q_all)) if np.isfinite(q_all).any() else float("nan"),
                "areas": areas, "areas_flagged": flagged, "areas_expected": float(null.mean()),
                "areas_p": areas_p, "n_perm": n_perm, "alpha": self.alpha,
                "consistent_with_chance": bool(binom_p > self.alpha and areas_p > self.alpha)}

    def chance_sentence(self) -> str:
        """The counts found beside the counts chance gives, and the verdict in words."""
        c = self.chance()
        a = f"{self.alpha:.0%}"
        text = (f"Found {c['found']:,} of {c['pairs']:,} area-indicator pairs in the top {a} of their indicator; "
                f"expected by chance {c['expected']:,.0f} (a placebo p-value is a rank among areas, so about {a} "
                f"of areas always rank there; binomial p = {c['binomial_p']:.2g}; smallest Benjamini-Hochberg q "
                f"across all pairs {c['min_q_all']:.2g}). {c['areas_flagged']:,} of {c['areas']:,} areas stand out in more "
                f"of their indicators than chance gives (binomial p <= {self.alpha:g}); expected by chance "
                f"{c['areas_expected']:,.1f} (permutation p = {c['areas_p']:.2g}). ")
        if c["consistent_with_chance"]:
            return text + "These counts are consistent with chance: no single departure here is evidence on its own."
        return text + "More stand out than chance gives; the pairs with the smallest q are the ones to examine first."

    def standouts(self) -> pd.DataFrame:
        """Rows whose post-reform departure ranks in the top ``alpha`` of all areas, by ``q_area`` (BH
        across the area's indicators) then p then ratio. ``attrs["chance"]`` holds :meth:`chance`."""
        t = self.table[self.table["stands_out"]]
        out = t.sort_values(["q_area", "placebo_p", "rmspe_ratio", "indicator_id", "area_code"],
                            ascending=[True, True, False, True, True]).reset_index(drop=True)
        out.attrs["chance"] = self.chance()
        return out

    def by_area(self) -> pd.DataFrame:
        """One row per area: indicators screened, how many stand out, how many chance gives
        (alpha x indicators), the one-sided binomial p of that count, and the smallest q."""
        g = self.table.groupby(["area_code", "area_name"], sort=True)
        out = g.agg(indicators=("indicator_id", "size"), stand_out=("stands_out", "sum"),
                    min_q=("q_area", "min")).reset_index()
        out.insert(4, "expected", self.alpha * out["indicators"])
        out.insert(5, "chance_p", [_binomial_tail(int(k), int(n), self.alpha)
                                   for k, n in zip(out["stand_out"], out["indicators"])])
        return out.sort_values(["stand_out", "min_q", "area_code"], ascending=[False, True, True]).reset_index(drop=True)

    def summary(self) -> str:
        """A few sentences, honest about what a screen can say."""
        n_ind = self.table["indicator_id"].nunique()
        n_area = self.table["area_code"].nunique()
        return (f"Screened {n_ind} indicators across {n_area} areas ({self.area_type} tier), reform start "
                f"{self.start}; {len(self.skipped)} indicators left out. {self.chance_sentence()} A screen "
                "finds departures that stand out among areas; it does not show that a reform caused them.")


def _areas_beyond_chance(area_idx: np.ndarray, p: np.ndarray, n_ind: np.ndarray, alpha: float) -> int:
    """Areas whose count of placebo p <= alpha has a one-sided binomial(n_ind, alpha) p <= alpha."""
    from scipy.special import bdtrc

    k = np.bincount(area_idx, weights=(p <= alpha).astype(float), minlength=n_ind.size)
    tail = np.where(k > 0, bdtrc(np.maximum(k - 1, 0), n_ind, alpha), 1.0)
    return int(np.sum(tail <= alpha))


def _permutation_null(area_idx: np.ndarray, ind_idx: np.ndarray, p: np.ndarray, n_ind: np.ndarray, alpha: float,
                      n_perm: int, chunk: int | None = None) -> np.ndarray:
    """:func:`_areas_beyond_chance` under ``n_perm`` shuffles of the p-values among each indicator's areas
    (seeded), ``chunk`` shuffles at a time (default: ~4 million draws) as arrays rather than one at a time.

    Shuffle b sorts each indicator's rows by the b-th draw of ``rng.random(pairs)`` (ties by row), and
    gives the rows of the indicator, in row order, the p-values in that sorted order: the draws and
    the orders are those of one ``np.lexsort((draw, ind_idx))`` per shuffle, so the null counts are too.
    Only where a p-value at most ``alpha`` lands counts, and a row's p-value lands at the rank of its
    draw among its indicator's draws; so the ranks of those rows' draws are counted (ties by row, as
    lexsort), and nothing is sorted.
    """
    from scipy.special import bdtrc

    rng = np.random.default_rng(20110401)
    pairs, areas = p.size, n_ind.size
    chunk = chunk or max(1, min(n_perm, 2 ** 22 // max(pairs, 1)))
    order = np.argsort(ind_idx, kind="stable")                   # rows grouped by indicator, in row order
    edges = np.flatnonzero(np.r_[True, np.diff(ind_idx[order]) != 0, True])
    area_of = area_idx[order]
    small = p[order] <= alpha
    groups = [(g0, g1, np.flatnonzero(small[g0:g1])) for g0, g1 in zip(edges[:-1], edges[1:])]
    null = np.empty(n_perm)
    for lo in range(0, n_perm, chunk):
        c = min(chunk, n_perm - lo)
        draws = rng.random((c, pairs))                          # the same stream as one call per shuffle
        hits = [_landing(draws[:, order[g0:g1]], s) + g0 for g0, g1, s in groups if s.size]
        hit = area_of[np.concatenate(hits, axis=1)] if hits else np.zeros((c, 0), dtype=np.int64)
        slot = (np.arange(c)[:, None] * areas + hit).ravel()
        k = np.bincount(slot, minlength=c * areas).reshape(c, areas).astype(float)
        tail = np.where(k > 0, bdtrc(np.maximum(k - 1, 0), n_ind[None, :], alpha), 1.0)
        null[lo:lo + c] = np.sum(tail <= alpha, axis=1)
    return null


def _landing(draws: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Where the p-values of ``rows`` land in each shuffle of one indicator: the rank of each one's draw
    among the indicator's draws (0 = smallest; equal draws in row order). draws (shuffles, areas) -> (shuffles, rows)."""
    n = draws.shape[1]
    step = max(1, 2 ** 22 // max(rows.size * n, 1))              # bounded (shuffles x rows x areas) arrays
    out = np.empty((draws.shape[0], rows.size), dtype=np.int64)
    for r0 in range(0, draws.shape[0], step):
        block = draws[r0:r0 + step, None, :]                     # (b, 1, areas)
        mine = draws[r0:r0 + step, rows][:, :, None]             # (b, rows, 1)
        rank = (block < mine).sum(axis=2)
        same = block == mine
        if (same.sum(axis=2) > 1).any():                          # tied draws: the earlier row first
            rank += (same & (np.arange(n)[None, None, :] < rows[None, :, None])).sum(axis=2)
        out[r0:r0 + step] = rank
    return out


def _binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ binomial(n, p) (1 for k <= 0)."""
    from scipy.special import bdtrc

    if k <= 0 or n <= 0:
        return 1.0
    return float(bdtrc(k - 1, n, min(max(p, 0.0), 1.0)))


def _executor_check(executor: str, scheduler: str | None, dask_local: int | None) -> str:
    if scheduler is not None or dask_local is not None:
        executor = "dask"
    if executor not in _EXECUTORS:
        raise InputError("unknown executor", field="executor", expected=" | ".join(_EXECUTORS), got=executor)
    return executor


def _run_one(panel: Panel, tol: float) -> tuple[str, dict[str, np.ndarray] | None, str | None]:
    cols, why = screen_columns(panel, tol=tol)
    return panel.indicator_id, cols, why


def _cost(panel: Panel) -> float:
    """Rough work of one indicator: areas^2 x pre-periods (the leave-one-out fits), plus a constant."""
    a, m = panel.values.shape[0], int(np.sum(panel.pre))
    return float(a) * a * max(m, 1) + 5e4


def plan_batches(panels: Sequence[Panel], n_workers: int, per_worker: int = 4) -> list[list[tuple[int, range | None]]]:
    """Group the work into about ``per_worker`` tasks per worker of similar cost (greedy: the
    costliest unit to the lightest task), so that task overhead is paid a few times per core, not
    once per indicator. A unit is ``(panel index, None)`` (the whole indicator) or, for an indicator
    costlier than a task's share, ``(panel index, range of fit blocks)`` (indicator x block of
    areas: :func:`.kernel.screen_fits`). Deterministic; the results do not depend on the grouping."""
    n_tasks = max(1, n_workers * per_worker)
    costs = [_cost(p) for p in panels]
    share = sum(costs) / n_tasks
    units: list[tuple[float, int, range | None]] = []
    for i, (p, c) in enumerate(zip(panels, costs)):
        nb = n_fit_blocks(p) if n_workers > 1 and c > share and skip_reason(p) is None else 0
        k = min(nb, int(np.ceil(c / share))) if nb > 1 else 1
        if k <= 1:
            units.append((c, i, None))
            continue
        edges = np.linspace(0, nb, k + 1).round().astype(int)
        units += [(c / k, i, range(lo, hi)) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]
    units.sort(key=lambda u: (-u[0], u[1], u[2].start if u[2] is not None else -1))
    n_tasks = min(n_tasks, len(units))
    load = [0.0] * n_tasks
    tasks: list[list[tuple[int, range | None]]] = [[] for _ in range(n_tasks)]
    for c, i, blocks in units:
        k = min(range(n_tasks), key=lambda j: (load[j], j))
        tasks[k].append((i, blocks))
        load[k] += c
    return [t for t in tasks if t]


def _run_unit(panel: Panel, blocks: range | None, tol: float):
    if blocks is None:
        return ("rows", _run_one(panel, tol))
    return ("fits", panel.indicator_id, screen_fits(panel, blocks, tol=tol))


def _merge(panels: Sequence[Panel], results, tol: float) -> Iterable[tuple[str, dict | None, str | None]]:
    """Yield indicators' rows as they come; a split indicator once all its fit blocks are in."""
    need: dict[str, int] = {}
    parts: dict[str, list[dict]] = {}
    by_id = {p.indicator_id: p for p in panels}
    for r in results:
        if r[0] == "rows":
            yield r[1]
            continue
        _, ind, fit = r
        parts.setdefault(ind, []).append(fit)
        if ind not in need:
            need[ind] = int(_usable(by_id[ind]).sum())
        if sum(len(f["rows"]) for f in parts[ind]) == need[ind]:
            cols, why = screen_columns(by_id[ind], tol=tol, fits=parts.pop(ind))
            yield ind, cols, why


def pin_blas_threads() -> None:
    """Hold BLAS to one thread in this process (screen workers: parallelism comes from processes)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


_SHARED: Sequence[Panel] = ()        # panels handed to forked workers by memory, not by pickling


def _run_batch_shared(units: list[tuple[int, range | None]], tol: float) -> list:
    return [_run_unit(_SHARED[i], blocks, tol) for i, blocks in units]


def _run_batch(units: list[tuple[Panel, range | None]], tol: float) -> list:
    pin_blas_threads()
    return [_run_unit(p, blocks, tol) for p, blocks in units]


def _iter_local(panels, tol, workers) -> Iterable[tuple[str, dict | None, str | None]]:
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
                futs = [pool.submit(_run_batch, [(panels[i], blocks) for i, blocks in b], tol) for b in batches]
            import scipy.special  # noqa: F401  (for ScreenResult.chance, ~0.1 s: imported while the workers run)

            yield from _merge(panels, (r for f in as_completed(futs) for r in f.result()), tol)
    finally:
        _SHARED = ()


def _iter_dask(panels, tol, scheduler, dask_local) -> Iterable[tuple[str, dict | None, str | None]]:
    from dask.distributed import as_completed as dask_completed

    with _dask_client(scheduler, dask_local) as (client, n_workers):
        batches = plan_batches(panels, n_workers)
        futs = [client.submit(_run_batch, [(panels[i], blocks) for i, blocks in b], tol, pure=False)
                for b in batches]
        yield from _merge(panels, (r for f in dask_completed(futs) for r in f.result()), tol)


@contextmanager
def _dask_client(scheduler: str | None, dask_local: int | None) -> Iterator[tuple[Any, int]]:
    """A Dask client on ``scheduler`` (or on a local cluster of ``dask_local`` single-threaded worker
    processes) and its number of workers; both are closed on exit."""
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=int(dask_local or 1), threads_per_worker=1, processes=True,
                               dashboard_address=None)
    client = Client(scheduler if scheduler is not None else cluster)
    try:
        yield client, max(1, len(client.scheduler_info().get("workers", {})) or int(dask_local or 1))
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
    skipped: Mapping[str, str] | None = None,
) -> ScreenResult:
    """Screen every panel (one indicator, all areas) and combine the rows.

    ``on_done(indicator_id)`` is called as each indicator finishes (progress bars). ``skipped``:
    indicators already known to be left out, with the reason (``bulk_panels(left_out=...)``:
    their panels were not built); they are listed as the kernel's own skips are.
    """
    executor = _executor_check(executor, scheduler, dask_local)
    if not 0 < alpha < 1:
        raise InputError("alpha must be between 0 and 1", field="alpha", expected="e.g. 0.05", got=alpha)
    t0 = time.perf_counter()
    known = ((ind, None, why) for ind, why in (skipped or {}).items())
    if executor == "serial" or len(panels) <= 1:
        it = (_run_one(p, tol) for p in panels)
    elif executor == "local":
        it = _iter_local(panels, tol, workers or min(len(panels), os.cpu_count() or 1))
    else:
        it = _iter_dask(panels, tol, scheduler, dask_local)
    return _assemble(itertools.chain(known, it), start=start, area_type=area_type, alpha=alpha, on_done=on_done,
                     t0=t0, meta={"executor": executor, "indicators": len(panels) + len(skipped or {})})


def _assemble(it, *, start, area_type, alpha, on_done, t0, meta) -> ScreenResult:
    """Combine (indicator, columns, reason) results in one order whatever the executor, add q-values."""
    parts, skipped = [], []
    for ind, cols, why in it:
        if why is None:
            parts.append(cols)
        else:
            skipped.append({"indicator_id": ind, "reason": why})
        if on_done is not None:
            on_done(ind)
    table = (pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in COLUMNS}) if parts
             else pd.DataFrame(columns=COLUMNS))
    table = table.sort_values(["indicator_id", "area_code"]).reset_index(drop=True)
    q = np.full(len(table), np.nan)
    for _, idx in table.groupby("area_code", sort=False).indices.items():
        q[idx] = benjamini_hochberg(table["placebo_p"].to_numpy(dtype=float)[idx])
    table["q_area"] = q
    table["q_all"] = benjamini_hochberg(table["placebo_p"].to_numpy(dtype=float))
    table["stands_out"] = table["placebo_p"].astype(float) <= alpha
    # a direction only where the departure stands out, as MethodResult does where a CI excludes zero
    table["direction"] = table["direction"].where(table["stands_out"], "no_clear_change")
    skipped_df = pd.DataFrame(skipped, columns=["indicator_id", "reason"]).sort_values("indicator_id")
    return ScreenResult(table=table, skipped=skipped_df.reset_index(drop=True), start=str(start),
                        area_type=area_type, alpha=alpha, meta={**meta, "seconds": time.perf_counter() - t0})


def _screen_ids_from_store(path: str, ids: list[str], start: str, area_type: str, cutoff, tol: float):
    """A Dask task: open the store read-only, build these indicators' panels here, screen them."""
    from ..store import Store
    from .panels import bulk_panels

    pin_blas_threads()
    with Store(path, read_only=True) as s:
        panels = bulk_panels(s, reform_start=start, area_type=area_type, indicators=ids, cutoff=cutoff)
    return [_run_one(p, tol) for p in panels]


def screen_store_dask(
    store_path: str,
    indicator_ids: Sequence[str],
    *,
    start: str,
    area_type: str = "upper",
    cutoff=None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    alpha: float = 0.05,
    tol: float = 1e-8,
    per_worker: int = 4,
    on_done: Callable[[str], None] | None = None,
) -> ScreenResult:
    """The screen on Dask with workers reading their own panels from the store file (DuckDB, read-only).

    The client sends only indicator ids, about ``per_worker`` tasks per worker (ids dealt round
    the tasks in sorted order); each task opens the store read-only, builds its indicators' panels
    (:func:`.panels.bulk_panels`) and screens them, so no panel crosses the network. The rows are
    assembled as by :func:`screen_panels`: bit-identical to a local run on the same store. Every
    worker must see the store file at ``store_path``.
    """
    from dask.distributed import as_completed as dask_completed

    if not 0 < alpha < 1:
        raise InputError("alpha must be between 0 and 1", field="alpha", expected="e.g. 0.05", got=alpha)
    t0 = time.perf_counter()
    with _dask_client(scheduler, dask_local) as (client, n_workers):
        ids = sorted(set(indicator_ids))
        n_tasks = max(1, min(len(ids), n_workers * per_worker))
        batches = [ids[k::n_tasks] for k in range(n_tasks)]
        futs = [client.submit(_screen_ids_from_store, str(store_path), b, str(start), area_type, cutoff, tol,
                              pure=False) for b in batches if b]

        def it():
            for f in dask_completed(futs):
                yield from f.result()

        n = [0]

        def count(ind: str) -> None:
            n[0] += 1
            if on_done is not None:
                on_done(ind)

        res = _assemble(it(), start=start, area_type=area_type, alpha=alpha, on_done=count, t0=t0,
                        meta={"executor": "dask", "panels_read_by": "workers"})
    res.meta["indicators"] = n[0]
    return res
