"""Benchmark: start-up of ``placeimpact --help`` and ``placeimpact series`` against a bare DuckDB floor.

Run: ``.venv/bin/python bench/bench_startup.py [--store FILE] [--repeats 11]``

Each command runs as a new process (interpreter start, imports, store open, query, output),
``--repeats`` times, interleaved with its peers so that all see the same machine load; medians of
wall and of CPU time (user + sys) are printed. The floor is a bare ``python -c "import duckdb"``
plus the same query on the same store (the least any DuckDB command can cost); the target
(issue 12) is each command within 1.5x that floor. Without ``--store`` the shared data
(``../shared/data``) is loaded into a temporary store first (not timed).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import as_installed  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
INDICATOR = "ons-els:preventable-cardiovascular-mortality-england"
_CLI = "import sys; from placeimpact.cli import main; sys.argv[0] = 'placeimpact'; main()"


def _once(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path)
    ap.add_argument("--repeats", type=int, default=11)
    args = ap.parse_args()
    tmp = None
    if args.store is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-startup-")
        args.store = Path(tmp.name) / "all.duckdb"
        subprocess.run([sys.executable, "-c", _CLI, "data", "load", "--from", str(DATA), "--store", str(args.store)],
                       check=True, stdout=subprocess.DEVNULL)
    store = str(args.store)
    query = ("import duckdb; c = duckdb.connect(%r, read_only=True); "
             "print(c.execute(\"SELECT * FROM observations WHERE indicator_id = ? AND area_code = 'E08000010'\", "
             "[%r]).fetchall())" % (store, INDICATOR))
    cmds = {
        "python -c 'import duckdb' + query (floor)": [sys.executable, "-c", query],
        "placeimpact --help": [sys.executable, "-c", _CLI, "--help"],
        "placeimpact series (Wigan, CVD, table)": [sys.executable, "-c", _CLI, "series", "--area", "Wigan",
                                                   "--indicator", INDICATOR, "--store", store],
    }
    env = as_installed(ROOT / "src")          # byte-code cached, as an installation runs
    res: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
    for _ in range(args.repeats):
        for k, c in cmds.items():
            res[k].append(_once(c, env))
    floor_w = statistics.median(w for w, _ in res[next(iter(cmds))])
    floor_c = statistics.median(c for _, c in res[next(iter(cmds))])
    print(f"start-up, median of {args.repeats} interleaved runs (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs)")
    print(f"{'command':<44} {'wall s':>7} {'CPU s':>7} {'x floor (wall)':>15} {'x floor (CPU)':>14}")
    ok = True
    for k in cmds:
        w = statistics.median(x for x, _ in res[k])
        c = statistics.median(y for _, y in res[k])
        print(f"{k:<44} {w:>7.3f} {c:>7.3f} {w / floor_w:>15.2f} {c / floor_c:>14.2f}")
        if k != next(iter(cmds)):
            ok &= c / floor_c <= 1.5
    print(f"\ntarget: each command within 1.5x the floor (CPU, the load-independent figure): {'PASS' if ok else 'FAIL'}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
