"""Group methods on the ten Greater Manchester councils x every indicator with enough data (real data),
and two-way fixed effects' bias under heterogeneous staggered effects (SIMULATED data).

Prints, for each group method, the median over repeats of the total time across every indicator
(panels built once, outside the timing), the peer package's time on the same panels (diff-diff's
CallawaySantAnna and ImputationDiD, where installed), and the ratio. Target: every group method
on every indicator under 30 s in all.

Then a seeded simulation (staggered starts, effects that differ between areas and grow with
time since the start) prints the mean bias and RMSE of static two-way fixed effects beside the
Callaway-Sant'Anna and imputation estimators, and their 95% coverage.

    .venv/bin/python bench/bench_group.py [--store PATH] [--repeats 3] [--sims 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd

from placeimpact import open_store
from placeimpact.errors import MethodError, StoreError
from placeimpact.group_panel import build_group_panel, resolve_group
from placeimpact.methods import GROUP_METHODS, get_group_method


def panels(store):
    group = resolve_group(store, "E47000001", reform_start=pd.Timestamp("2016-04-01").date())
    # indicators every GM council has both before and after April 2016 (one query), then the panels
    ids = store.frame(
        "SELECT indicator_id FROM observations WHERE area_code IN (SELECT unnest(?)) AND value IS NOT NULL "
        "GROUP BY indicator_id HAVING count(DISTINCT CASE WHEN period_end < DATE '2016-04-01' THEN area_code || "
        "period_label END) >= 20 AND count(DISTINCT CASE WHEN period_start >= DATE '2016-04-01' THEN area_code END) "
        "= ? ORDER BY indicator_id", [list(group.codes), len(group.codes)])["indicator_id"].tolist()
    out = []
    t0 = time.perf_counter()
    for ind in ids:
        try:
            gp = build_group_panel(store, indicator=ind, group=group, exclude=["E06000052"])
        except (MethodError, StoreError, ValueError, KeyError):
            continue
        s = gp.status()
        obs = np.isfinite(gp.panel.values[: gp.n_treated])
        if (obs & (s[: gp.n_treated] == 0)).sum(axis=1).min() >= 2 and (obs & (s[: gp.n_treated] == 1)).sum(axis=1).min() >= 1:
            out.append(gp)
    return out, time.perf_counter() - t0


def long_frame(gp):
    from placeimpact.methods._group import prepare_group

    d = prepare_group(gp)
    n, T = d.Y.shape
    ft = np.zeros(n, dtype=int)
    ft[: d.n_treated] = d.first_post + 1
    return pd.DataFrame({"unit": np.repeat(np.arange(n), T), "time": np.tile(np.arange(1, T + 1), n),
                         "y": d.Y.ravel(), "ft": np.repeat(ft, T)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sims", type=int, default=200)
    a = ap.parse_args()
    store = open_store(a.store, read_only=True)
    gps, t_build = panels(store)
    print(f"Greater Manchester (10 councils) x {len(gps)} indicators with >= 2 pre and >= 1 post periods "
          f"(panels built in {t_build:.1f} s, not timed below)")
    total = 0.0
    times = {}
    for m in GROUP_METHODS:
        fn = get_group_method(m)
        reps = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            for gp in gps:
                fn(gp)
            reps.append(time.perf_counter() - t0)
        times[m] = statistics.median(reps)
        total += times[m]
    peer = {}
    try:
        from diff_diff import CallawaySantAnna, ImputationDiD

        frames = []
        for gp in gps:
            try:
                frames.append(long_frame(gp))
            except MethodError:
                pass
        for name, make in (("staggered_did", lambda: CallawaySantAnna(base_period="universal", estimation_method="reg")),
                           ("imputation_did", lambda: ImputationDiD())):
            reps = []
            for _ in range(max(1, a.repeats - 1)):
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    for df in frames:
                        try:
                            make().fit(df, "y", "unit", "time", "ft", aggregate="event_study")
                        except Exception:   # noqa: BLE001 - the peer refusing a panel is not our timing
                            pass
                reps.append(time.perf_counter() - t0)
            peer[name] = statistics.median(reps)
    except ImportError:
        pass
    print(f"{'method':34s} {'median s (all indicators)':>26s} {'peer (diff-diff) s':>20s} {'ratio':>8s}")
    for m, t in times.items():
        p = peer.get(m)
        print(f"{m:34s} {t:26.2f} {p if p is not None else float('nan'):20.2f} "
              f"{(t / p) if p else float('nan'):8.2f}")
    print(f"{'all group methods':34s} {total:26.2f}   (target < 30 s)")

    # two-way fixed effects' bias under heterogeneous staggered effects (SIMULATED)
    from placeimpact.methods.staggered_did import callaway_santanna, imputation_did, twfe_static
    from placeimpact.simulate_group import simulate_group

    rng = np.random.default_rng(20160401)
    err = {"twfe": [], "cs": [], "bjs": []}
    cover = {"cs": 0, "bjs": 0}
    for _ in range(a.sims):
        gp, truth = simulate_group(rng, n_treated=8, n_donors=6, n_pre=6, n_post=8, n_cohorts=4, effect=1.0,
                                   heterogeneity=0.5, growth=0.6)
        tw = twfe_static(gp)
        cs = callaway_santanna(gp, aggregate="cells")
        bj = imputation_did(gp, aggregate="cells")
        # the cell-weighted truth (each treated post period equally): what all three aim at
        post = truth.effects[truth.effects != 0]
        target = float(np.mean(post)) if post.size else 0.0
        err["twfe"].append(tw - target)
        err["cs"].append(cs.estimate - target)
        err["bjs"].append(bj.estimate - target)
        cover["cs"] += cs.ci_low <= target <= cs.ci_high
        cover["bjs"] += bj.ci_low <= target <= bj.ci_high
    print(f"\nSimulated (seeded): 8 treated areas in 4 staggered cohorts, 6 never-treated, effects growing with "
          f"time since start; {a.sims} replications; target = mean effect over treated post periods")
    print(f"{'estimator':30s} {'mean bias':>10s} {'RMSE':>8s} {'95% coverage':>14s}")
    for k, lab in (("twfe", "two-way fixed effects (static)"), ("cs", "Callaway-Sant'Anna"), ("bjs", "imputation (BJS)")):
        e = np.array(err[k])
        cov = f"{cover[k] / a.sims:.3f}" if k in cover else "-"
        print(f"{lab:30s} {e.mean():10.3f} {np.sqrt(np.mean(e ** 2)):8.3f} {cov:>14s}")


if __name__ == "__main__":
    main()
