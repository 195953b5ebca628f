"""Benchmark: the screen kernel for one indicator at 336 to 7,000 simulated units (MSOA scale).

Run: ``.venv/bin/python bench/bench_screen_kernel.py [--sizes 336 1000 2000 4000 7000] [--pre 20]``

SIMULATED data (seeded, said so): a 3-factor model (random-walk factors + noise), ``--pre``
pre-reform and 5 post-reform periods per unit. Each size runs :func:`placeimpact.screen.screen_panel`
(every unit's leave-one-out synthetic control = a full in-space placebo test, plus the ITS) once in a
fresh child process, so that its memory is its own: CPU seconds of the process (time per indicator
per core; BLAS is held to one thread), wall seconds, and peak RSS (``getrusage``) with the process's
RSS before the kernel (interpreter, NumPy, pandas) beside it. Targets at 7,000 units x 20 pre-periods:
under 10 s per core and under 1 GiB peak.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _child(n: int, m: int, block: int | None) -> None:
    import numpy as np

    from placeimpact.panel import panel_from_arrays
    from placeimpact.screen import screen_panel

    rng = np.random.default_rng(20110401 + n)
    T = m + 5
    F = rng.normal(size=(T, 3)).cumsum(axis=0)
    Y = (50 + 2 * F @ rng.normal(size=(3, n)) + 0.3 * rng.normal(size=(T, n))).T
    p = panel_from_arrays(Y, 2001.5 + np.arange(T), reform_t=2001.0 + m, england=Y.mean(axis=0),
                          indicator_id=f"simulated-{n}")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c0, t0 = time.process_time(), time.perf_counter()
    df, why = screen_panel(p, block=block)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    assert why is None and len(df) == n
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps({"units": n, "cpu_s": cpu, "wall_s": wall, "base_mib": base, "peak_mib": peak,
                                  "uncertified": int(df["warnings"].str.contains("not certified").sum())}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[336, 1000, 2000, 4000, 7000])
    ap.add_argument("--pre", type=int, default=20)
    ap.add_argument("--block", type=int, default=None, help="leave-one-out fits per block (default ~2**20 / N)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.pre, args.block)
        return
    print(f"screen kernel, one SIMULATED indicator (seeded 3-factor model), {args.pre} pre-periods, 5 post")
    print(f"{'units':>6} {'cpu s':>8} {'wall s':>8} {'us/fit':>8} {'peak MiB':>9} {'base MiB':>9} {'uncertified':>11}")
    last = None
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(n), "--pre", str(args.pre)]
        if args.block:
            cmd += ["--block", str(args.block)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        r = json.loads([x for x in out.splitlines() if x.startswith("RESULT ")][-1][7:])
        print(f"{n:>6} {r['cpu_s']:>8.2f} {r['wall_s']:>8.2f} {1e6 * r['cpu_s'] / n:>8.0f} {r['peak_mib']:>9.0f} "
              f"{r['base_mib']:>9.0f} {r['uncertified']:>11}", flush=True)
        last = r
    if last is not None:
        ok_t, ok_m = last["cpu_s"] < 10, last["peak_mib"] < 1024
        print(f"\nat {last['units']:,} units: {last['cpu_s']:.1f} s per core (target < 10 s: {'PASS' if ok_t else 'FAIL'}), "
              f"peak {last['peak_mib']:.0f} MiB (target < 1024 MiB: {'PASS' if ok_m else 'FAIL'})")
    print(f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          "load on the shared machine inflates wall time, CPU time is the per-core figure)")


if __name__ == "__main__":
    main()
