"""Benchmark: one million Wilson and Byar intervals, and benchmarking every area x indicator x period.

Targets (issue 3): 1e6 Wilson or Byar intervals in under 1 s; ``benchmark_all`` over the whole
loaded store in under 5 s (2-core shared machine).

    .venv/bin/python bench/bench_stats.py [--store PATH] [--repeat 5]

Peers measured in the same run, on the same arrays (simulated: seeded random counts):

* Wilson: ``statsmodels.stats.proportion.proportion_confint(method="wilson")`` (vectorised), and a
  naive per-row loop of ``scipy.stats.norm.ppf`` + ``math.sqrt`` on 20,000 rows, extrapolated to 1e6.
* Byar / exact Poisson (``rate_ci``: exact below 10 events, Byar from 10): the exact interval from
  ``scipy.stats.chi2.ppf`` on all rows (vectorised), and a per-row scipy loop on 20,000 rows,
  extrapolated.

With no ``--store`` (and no ``$PLACEIMPACT_STORE`` file) it loads ``../shared/data`` into a
temporary store first; that load is not timed. Medians of ``--repeat`` runs are printed.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats as sps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import placeimpact as pi  # noqa: E402
from placeimpact.stats import benchmark_all, rate_ci, wilson_ci  # noqa: E402
from _util import store_path  # noqa: E402

N = 1_000_000
LOOP_N = 20_000


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _naive_wilson(x: np.ndarray, n: np.ndarray) -> None:
    for xi, ni in zip(x.tolist(), n.tolist()):
        z = sps.norm.ppf(0.975)
        p = xi / ni
        half = z * math.sqrt(z * z + 4 * xi * (1 - p))
        (2 * xi + z * z - half) / (2 * (ni + z * z)), (2 * xi + z * z + half) / (2 * (ni + z * z))


def _naive_rate(x: np.ndarray, n: np.ndarray) -> None:
    for xi, ni in zip(x.tolist(), n.tolist()):
        lo = sps.chi2.ppf(0.025, 2 * xi) / 2 if xi > 0 else 0.0
        hi = sps.chi2.ppf(0.975, 2 * xi + 2) / 2
        lo / ni, hi / ni


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None, help="a loaded store (default $PLACEIMPACT_STORE)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(20190401)  # simulated inputs, fixed seed
    n = rng.integers(50, 200_000, size=N).astype(float)
    x = np.floor(rng.beta(2, 8, size=N) * n)
    events = rng.negative_binomial(2, 0.01, size=N).astype(float)  # ~1.6% below 10 events
    pop = rng.integers(5_000, 500_000, size=N).astype(float)

    print(f"1e6 intervals, median of {args.repeat} runs (simulated counts, seed 20190401)")
    w = _median(lambda: wilson_ci(x, n), args.repeat)
    w_sm = _median(lambda: proportion_confint(x, n, method="wilson"), max(1, args.repeat // 2))
    w_loop = _median(lambda: _naive_wilson(x[:LOOP_N], n[:LOOP_N]), 1) * N / LOOP_N
    lo, hi = wilson_ci(x, n)
    sm_lo, sm_hi = proportion_confint(x, n, method="wilson")
    agree = max(np.max(np.abs(lo - sm_lo)), np.max(np.abs(hi - sm_hi)))
    print(f"  Wilson  placeimpact {w:6.3f} s | statsmodels {w_sm:6.3f} s (x{w_sm / w:5.1f}) | "
          f"per-row loop ~{w_loop:7.1f} s (x{w_loop / w:6.0f}) | max |diff| vs statsmodels {agree:.1e}")
    b = _median(lambda: rate_ci(events, pop), args.repeat)

    def exact_all() -> None:
        sps.chi2.ppf(0.025, 2 * np.maximum(events, 1e-9))
        sps.chi2.ppf(0.975, 2 * events + 2)

    b_ex = _median(exact_all, max(1, args.repeat // 2))
    b_loop = _median(lambda: _naive_rate(events[:LOOP_N], pop[:LOOP_N]), 1) * N / LOOP_N
    print(f"  Byar    placeimpact {b:6.3f} s | scipy chi2 exact (vectorised) {b_ex:6.3f} s (x{b_ex / b:5.1f}) | "
          f"per-row loop ~{b_loop:7.1f} s (x{b_loop / b:6.0f})")
    print(f"  target: under 1 s each -> Wilson {'met' if w < 1 else 'NOT met'}, Byar {'met' if b < 1 else 'NOT met'}")

    tmp = tempfile.TemporaryDirectory(prefix="bench-stats-")
    path = store_path(args.store, tmp.name)
    with pi.open_store(path, read_only=True) as store:
        store.con.execute("SET enable_progress_bar = false")
        rows = len(benchmark_all(store))  # warm-up
        t_all = _median(lambda: benchmark_all(store), max(1, args.repeat // 2))
        t_reg = _median(lambda: benchmark_all(store, vs="region"), 1)
    print(f"benchmark_all: {rows:,} area x indicator x breakdown x period rows vs England in {t_all:.2f} s "
          f"(median), vs region {t_reg:.2f} s; target under 5 s -> {'met' if t_all < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
