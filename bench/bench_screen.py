"""Benchmark: the full England screen, every indicator in the store, upper tier, full in-space placebos.

Run: ``.venv/bin/python bench/bench_screen.py [--store FILE] [--start YEAR] [--executor local|serial|dask] [--workers N]``

``--start`` is the reform start (default 2011, the worked example). Most series in the store begin
after 2011, so a later start (``--start 2018``) screens many more indicators: the heavier load.

Without ``--store`` the shared data (``../shared/data``) is loaded into a temporary store first,
in a separate process (not timed). The screen then runs in a fresh child process so that its
memory figures are its own: wall time of reading the panels (one query) and of screening them,
peak RSS of the screening process (``getrusage`` self), of its worker processes (``getrusage``
children: the largest one) and the peak of the whole process tree's summed RSS (psutil, sampled
every 20 ms). Targets: screen < 60 s on the 2-core machine, peak memory < 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
_CLI = "from placeimpact.cli import main; main()"


def _child(args) -> None:
    import psutil

    from placeimpact import open_store
    from placeimpact.screen import bulk_panels, screen_panels

    me = psutil.Process()
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                rss = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                rss = 0
            peak[0] = max(peak[0], rss)
            time.sleep(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    with open_store(args.store, read_only=True) as s:
        t0 = time.perf_counter()
        panels = bulk_panels(s, reform_start=args.start, area_type="upper")
        t1 = time.perf_counter()
    res = screen_panels(panels, start=args.start, executor=args.executor, workers=args.workers,
                        dask_local=args.workers if args.executor == "dask" else None)
    t2 = time.perf_counter()
    stop.set()
    th.join()
    t = res.table
    sizes = t.groupby("indicator_id")["n_areas"].first()
    problems = int(sizes.sum())
    out = {
        "indicators_in_store": len(panels), "screened": int(t["indicator_id"].nunique()),
        "skipped": len(res.skipped), "areas": int(t["area_code"].nunique()), "rows": len(t),
        "fits": problems, "placebo_fits": int((sizes * sizes).sum()),
        "skip_reasons": res.skipped["reason"].str.replace(r"^\d+ ", "", regex=True).value_counts().to_dict(), "uncertified_rows": int(t["warnings"].str.contains("not certified").sum()),
        "read_s": t1 - t0, "screen_s": t2 - t1,
        "rss_self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "rss_tree_peak_mib": peak[0] / 2 ** 20,
        "wigan_standouts": t[(t["area_code"] == "E08000010") & t["stands_out"]]["indicator_id"].tolist(),
    }
    print("RESULT " + json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path)
    ap.add_argument("--start", default="2011", help="reform start (default 2011)")
    ap.add_argument("--executor", default="local", choices=["local", "serial", "dask"])
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args)
        return
    tmp = None
    if args.store is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-screen-")
        args.store = Path(tmp.name) / "all.duckdb"
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", _CLI, "data", "load", "--from", str(DATA), "--store", str(args.store)],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"loaded ../shared/data into a temporary store in {time.perf_counter() - t:.1f} s (not timed)")
    cmd = [sys.executable, __file__, "--child", "--store", str(args.store), "--executor", args.executor,
           "--start", args.start]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    line = [x for x in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()
            if x.startswith("RESULT ")][-1]
    r = json.loads(line[7:])
    print(f"reform start {args.start}")
    print(f"indicators with data for upper-tier areas: {r['indicators_in_store']}; screened {r['screened']}; "
          f"left out {r['skipped']} ({r['skip_reasons']})")
    print(f"areas {r['areas']}; {r['fits']:,} leave-one-out synthetic-control fits, equal to the {r['placebo_fits']:,} "
          f"fits of a full in-space placebo test for every area; rows with uncertified fits: {r['uncertified_rows']}")
    print(f"executor {args.executor}: read panels {r['read_s']:.2f} s, screen {r['screen_s']:.2f} s, "
          f"total {r['read_s'] + r['screen_s']:.2f} s (target < 60 s)")
    peak = max(r["rss_tree_peak_mib"], r["rss_self_mib"] + r["rss_children_mib"])
    print(f"peak RSS: screening process {r['rss_self_mib']:.0f} MiB, largest worker {r['rss_children_mib']:.0f} MiB, "
          f"process tree (sampled sum) {r['rss_tree_peak_mib']:.0f} MiB; bound used {peak:.0f} MiB (target < 2048 MiB)")
    ok = r["read_s"] + r["screen_s"] < 60 and peak < 2048
    print(f"targets: {'PASS' if ok else 'FAIL'}")
    print(f"Wigan (E08000010) in the top 5% for: {', '.join(r['wigan_standouts']) or 'no indicator'}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
