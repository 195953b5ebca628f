"""Benchmark: batched simplex-constrained least squares vs pysyncon, Clarabel and SciPy SLSQP.

Run: ``.venv/bin/python bench/bench_simplex.py [--quick]``; the scale run (150 to 5,000 donors, 20
pre-periods, simulated, Clarabel timed on a sample and extrapolated):
``.venv/bin/python bench/bench_simplex.py --scale [N ...]``

Identical problems ``min ||y - X w||^2, w >= 0, sum w = 1`` for every solver:

- *real*: preventable cardiovascular mortality (ONS Explore Local Statistics, 3-year rolling
  periods from 2001-03), upper-tier areas with a complete series, first 10 or 20 periods.
  150-donor sets are the leave-one-out placebo batch (every area from all the others);
  15-donor sets fit every other area from 15 areas drawn with a fixed seed.
- *simulated*: a seeded 3-factor model (random-walk factors + noise) of the same shapes.

Ours solves each set in one batched call (time per problem = batch time / batch size, median
of repeats). Peers solve problems one at a time (median per-problem time over a sample):
pysyncon ``Synth.fit(custom_V=...)`` (its SLSQP with numerical gradients; ``custom_V`` is set to
the squared row scales so its objective equals ours), a Clarabel QP per problem (default
settings, matrix build included), SciPy SLSQP with the analytic gradient. Objective relative
difference = (ours - theirs) / theirs on the sampled problems (positive: ours worse), with the
peers' weights first made feasible (clipped at 0, rescaled to sum to 1).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from placeimpact.geography import tiers_from_code
from placeimpact.methods.simplex import simplex_least_squares
from placeimpact.sources import ons_els

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "ons-els" / "preventable-cardiovascular-mortality-england"


def real_panel() -> np.ndarray:
    """(periods, areas) preventable CVD mortality for upper-tier areas with all periods present."""
    b = ons_els.read_file(DATA / f"{DATA.name}.csv", DATA / f"{DATA.name}.json")
    o = b.observations
    o = o[(o["sex"] == "Persons") & o["area_code"].map(lambda c: tiers_from_code(c)[0])]
    wide = o.pivot_table(index="period_start", columns="area_code", values="value", aggfunc="first")
    return wide.dropna(axis=1).to_numpy()


def sim_panel(rng, m: int, n: int) -> np.ndarray:
    F = rng.normal(size=(m, 3)).cumsum(axis=0)
    return 50 + 5 * F @ rng.normal(size=(3, n)) + rng.normal(size=(m, n))


def problem_sets(rng):
    """(label, X (m, N), Y (P, m), allowed (P, N)) for each shape and source."""
    Z = real_panel()
    sets = []
    for source in ("real", "simulated"):
        for m in (10, 20):
            full = Z[:m] if source == "real" else sim_panel(rng, m, min(151, Z.shape[1]))
            n_all = full.shape[1]
            sets.append((f"{source} m={m} N={n_all - 1} (leave-one-out, P={n_all})", full, full.T,
                         ~np.eye(n_all, dtype=bool)))
            pick = rng.choice(n_all, size=15, replace=False)
            rest = np.setdiff1d(np.arange(n_all), pick)
            sets.append((f"{source} m={m} N=15 (15 fixed donors, P={rest.size})", full[:, pick], full[:, rest].T,
                         np.ones((rest.size, 15), bool)))
    return sets


def obj(X, y, w):
    """Objective at w made feasible (negatives clipped, rescaled to sum 1): peers meet sum(w) = 1 only to
    their tolerance (~1e-6), and a slightly longer w can fit a series' level better than any feasible w."""
    w = np.clip(w, 0, None)
    w = w / w.sum()
    return float(np.sum((y - X @ w) ** 2))


def clarabel_qp(X, y):
    import clarabel
    from scipy import sparse

    k = X.shape[1]
    P = sparse.csc_matrix(np.triu(2 * X.T @ X))
    A = sparse.vstack([sparse.csc_matrix(np.ones((1, k))), -sparse.identity(k)]).tocsc()
    s = clarabel.DefaultSettings()
    s.verbose = False
    sol = clarabel.DefaultSolver(P, -2 * X.T @ y, A, np.r_[1.0, np.zeros(k)],
                                 [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(k)], s).solve()
    w = np.clip(np.asarray(sol.x), 0, None)
    return w / w.sum()


def clarabel_lifted(X, y):
    """Clarabel on the sparse lifted QP: min ||r||^2 s.t. X w + r = y, sum w = 1, w >= 0 (variables w, r).
    Its size grows as N + m rather than N^2: the fair formulation for a general QP solver at large N."""
    import clarabel
    from scipy import sparse

    m, k = X.shape
    P = sparse.block_diag([sparse.csc_matrix((k, k)), 2 * sparse.identity(m)]).tocsc()
    A = sparse.vstack([sparse.hstack([sparse.csc_matrix(X), sparse.identity(m)]),
                       sparse.hstack([sparse.csc_matrix(np.ones((1, k))), sparse.csc_matrix((1, m))]),
                       sparse.hstack([-sparse.identity(k), sparse.csc_matrix((k, m))])]).tocsc()
    s = clarabel.DefaultSettings()
    s.verbose = False
    sol = clarabel.DefaultSolver(P, np.zeros(k + m), A, np.r_[y, 1.0, np.zeros(k)],
                                 [clarabel.ZeroConeT(m + 1), clarabel.NonnegativeConeT(k)], s).solve()
    w = np.clip(np.asarray(sol.x)[:k], 0, None)
    return w / w.sum()


def scale_run(rng, sizes, m: int = 20) -> None:
    """Leave-one-out batches of N + 1 SIMULATED units (N donors each), m pre-periods: ours on the whole
    batch vs Clarabel (lifted sparse QP) per problem on a sample, extrapolated to the batch."""
    from placeimpact.methods.simplex import simplex_leave_one_out

    print(f"\nscale: leave-one-out batches of SIMULATED units (seeded 3-factor model), m = {m} pre-periods")
    print("ours: CPU seconds for the whole batch (BLAS on one thread), per problem = batch / P; Clarabel: the lifted")
    print("sparse QP solved per problem on a random SAMPLE of problems (median CPU time), extrapolated to the batch")
    print("as median x P. relobj = max (ours - Clarabel) / Clarabel over the sample (target <= 1e-8).\n")
    print(f"{'N':>6} {'P':>6} {'ours s':>8} {'ours us/pb':>10} {'sample':>6} {'clarabel ms/pb':>14} "
          f"{'clarabel s (extrap.)':>20} {'speed-up':>8} {'relobj':>9}")
    worst = np.inf
    worst_obj = -np.inf
    for n in sizes:
        Z = sim_panel(rng, m, n + 1)
        reps = 3 if n <= 1000 else 1
        times = []
        for _ in range(reps):
            t = time.process_time()
            fit = simplex_leave_one_out(Z)
            times.append(time.process_time() - t)
        ours = float(np.median(times))
        k = 8 if n <= 1000 else 4
        sample = rng.choice(n + 1, size=k, replace=False)
        ct, rel = [], []
        for p in sample:
            cols = np.r_[0:p, p + 1:n + 1]
            t = time.process_time()
            w = clarabel_lifted(Z[:, cols], Z[:, p])
            ct.append(time.process_time() - t)
            theirs = obj(Z[:, cols], Z[:, p], w)
            rel.append((fit.objective[p] - theirs) / max(theirs, 1e-9 * float(Z[:, p] @ Z[:, p])))
        per = float(np.median(ct))
        ratio = per * (n + 1) / ours
        worst, worst_obj = min(worst, ratio), max(worst_obj, max(rel))
        print(f"{n:>6} {n + 1:>6} {ours:>8.2f} {1e6 * ours / (n + 1):>10.0f} {k:>6} {1e3 * per:>14.1f} "
              f"{per * (n + 1):>20.1f} {ratio:>7.0f}x {max(rel):>9.1e}", flush=True)
    print(f"\ntargets: >= 20x Clarabel at every size: {'PASS' if worst >= 20 else 'FAIL'} (min {worst:.0f}x); "
          f"objective never worse by > 1e-8 relative: {'PASS' if worst_obj <= 1e-8 else 'FAIL'} (max {worst_obj:.1e})")


def slsqp(X, y):
    from scipy.optimize import minimize

    k = X.shape[1]
    G, c = X.T @ X, X.T @ y
    res = minimize(lambda w: w @ G @ w - 2 * c @ w + y @ y, np.full(k, 1 / k), jac=lambda w: 2 * (G @ w - c),
                   method="SLSQP", bounds=[(0, 1)] * k, constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1,
                                                                      "jac": lambda w: np.ones(k)}])
    return res.x


def pysyncon_fit(X, y):
    from pysyncon import Synth

    cols = [f"d{i}" for i in range(X.shape[1])]
    X0 = pd.DataFrame(X, columns=cols)
    X1 = pd.Series(y, name="treated")
    scale = pd.concat([X0, X1], axis=1).std(axis=1).to_numpy()
    s = Synth()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.fit(X0=X0, X1=X1, Z0=X0, Z1=X1, custom_V=scale ** 2)     # V * (1/scale)^2 = identity
    return np.asarray(s.W, dtype=float)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer peer samples")
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--scale", type=int, nargs="*", default=None,
                    help="only the scale run, at these donor counts (default 150 300 1000 2000 5000)")
    args = ap.parse_args()
    rng = np.random.default_rng(20110401)
    if args.scale is not None:
        scale_run(rng, args.scale or [150, 300, 1000, 2000, 5000])
        return
    peers = {"pysyncon": pysyncon_fit, "clarabel": clarabel_qp, "slsqp": slsqp}
    rows = []
    for label, X, Y, allowed in problem_sets(rng):
        P = Y.shape[0]
        fit = simplex_least_squares(X, Y, allowed=allowed)           # warm-up, and the objectives compared
        samples = {}
        for name in peers:
            k = (3 if args.quick else 5) if (name == "pysyncon" and X.shape[1] > 50) else (8 if args.quick else 25)
            samples[name] = rng.choice(P, size=min(k, P), replace=False)
        ours_t, peer_t, rel, above = [], {n: [] for n in peers}, {n: [] for n in peers}, {n: [] for n in peers}
        for r in range(args.repeats):          # interleaved rounds: ours and the peers see the same machine load
            t = time.perf_counter()
            simplex_least_squares(X, Y, allowed=allowed)
            ours_t.append((time.perf_counter() - t) / P)
            for name, fn in peers.items():
                for p in samples[name][r::args.repeats]:
                    cols = np.flatnonzero(allowed[p])
                    t = time.perf_counter()
                    w = fn(X[:, cols], Y[p])
                    peer_t[name].append(time.perf_counter() - t)
                    theirs = obj(X[:, cols], Y[p], w)
                    floor = 1e-9 * float(Y[p] @ Y[p])
                    rel[name].append((fit.objective[p] - theirs) / max(theirs, floor))
                    above[name].append((theirs - fit.objective[p]) / max(fit.objective[p], floor))
        ours = float(np.median(ours_t))
        row = {"problems": label, "ours_us": ours * 1e6, "certified": f"{fit.certified.mean():.0%}",
               "fallback": fit.n_fallback}
        for name in peers:
            row[f"{name}_ms"] = float(np.median(peer_t[name])) * 1e3
            row[f"x_{name}"] = float(np.median(peer_t[name])) / ours
            row[f"relobj_{name}"] = max(rel[name])
            row[f"{name}_above_max"] = max(above[name])
        rows.append(row)
        print(f"done: {label}", flush=True)
    df = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    print("\nper-problem time (ours: batch / P, median of repeats; peers: median over a sample), speed-up ratios,")
    print("relobj_* = max (ours - theirs) / theirs (<= 1e-6 required); *_above_max = max (theirs - ours) / ours, how far")
    print("above our optimum the peer stopped (denominators floored at 1e-9 |y|^2: targets inside the hull fit exactly)\n")
    cols = ["problems", "ours_us", "pysyncon_ms", "x_pysyncon", "clarabel_ms", "x_clarabel", "slsqp_ms", "x_slsqp",
            "certified", "fallback"]
    print(df[cols].to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    print()
    cols2 = ["problems", "relobj_pysyncon", "relobj_clarabel", "relobj_slsqp", "pysyncon_above_max",
             "clarabel_above_max", "slsqp_above_max"]
    print(df[cols2].to_string(index=False, float_format=lambda v: f"{v:.2e}"))
    ok_speed = (df["x_pysyncon"] >= 100).all() and (df["x_clarabel"] >= 10).all()
    ok_obj = (df[["relobj_pysyncon", "relobj_clarabel", "relobj_slsqp"]] <= 1e-6).all().all()
    print(f"\ntargets: >=100x pysyncon and >=10x Clarabel on every set: {'PASS' if ok_speed else 'FAIL'} "
          f"(min {df['x_pysyncon'].min():,.0f}x, {df['x_clarabel'].min():,.1f}x); objective never worse by >1e-6 "
          f"relative: {'PASS' if ok_obj else 'FAIL'}")


if __name__ == "__main__":
    main()
