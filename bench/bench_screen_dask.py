"""Benchmark: where Dask overtakes the local process pool, by units x indicators (SIMULATED panels).

Run: ``.venv/bin/python bench/bench_screen_dask.py [--workers 2] [--units 336 1000 2000] [--indicators 4 16 48]``

SIMULATED data (seeded 3-factor model, 20 pre-periods, 5 post) for each cell of the grid. Each cell
is screened with the local pool (``executor="local"``, forked workers that inherit the panels) and
with a Dask cluster of the same number of single-threaded worker processes, started ONCE before
the grid (its start-up is printed apart: a user with a running cluster does not pay it per run).
Both send a few cost-balanced tasks per worker and hold BLAS to one thread, and the tables are
checked bit-identical. Printed: median wall seconds of ``--repeats`` runs and local / Dask (above 1:
Dask faster). On one machine the two share the same cores, so Dask can only catch up as the work
grows and its per-task overhead shrinks relative to it; it overtakes where it brings more cores
(a cluster of machines), which this single-machine bench cannot show.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd


def panels(n_units: int, n_ind: int, m: int = 20):
    from placeimpact.panel import panel_from_arrays

    rng = np.random.default_rng(20110401 + n_units * 1000 + n_ind)
    out = []
    T = m + 5
    for i in range(n_ind):
        F = rng.normal(size=(T, 3)).cumsum(axis=0)
        Y = (50 + 2 * F @ rng.normal(size=(3, n_units)) + 0.3 * rng.normal(size=(T, n_units))).T
        out.append(panel_from_arrays(Y, 2001.5 + np.arange(T), reform_t=2001.0 + m, england=Y.mean(axis=0),
                                     indicator_id=f"simulated-{i:03d}"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--units", type=int, nargs="+", default=[336, 1000, 2000])
    ap.add_argument("--indicators", type=int, nargs="+", default=[4, 16, 48])
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    from dask.distributed import Client, LocalCluster

    from placeimpact.screen import screen_panels

    t = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    print(f"Dask LocalCluster of {args.workers} single-threaded workers started in {time.perf_counter() - t:.1f} s "
          f"(not counted below); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'units':>6} {'indicators':>10} {'local s':>8} {'dask s':>8} {'local/dask':>10}  identical")
    try:
        for n in args.units:
            for k in args.indicators:
                ps = panels(n, k)
                tl, td = [], []
                for _ in range(args.repeats):
                    t = time.perf_counter()
                    a = screen_panels(ps, executor="local", workers=args.workers)
                    tl.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    d = screen_panels(ps, scheduler=cluster.scheduler_address)
                    td.append(time.perf_counter() - t)
                try:
                    pd.testing.assert_frame_equal(a.table, d.table, check_exact=True)
                    same = "yes"
                except AssertionError:
                    same = "NO"
                ml, md = statistics.median(tl), statistics.median(td)
                print(f"{n:>6} {k:>10} {ml:>8.2f} {md:>8.2f} {ml / md:>10.2f}  {same}", flush=True)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
