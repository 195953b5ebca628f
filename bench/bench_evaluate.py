"""Benchmark: the worked example (frameworks/wigan-deal.yaml) end to end, with the store already loaded.

Target (issue 6): under 60 s on the 2-core reference machine for evaluate + write. There is no
peer package doing the same job, so the ratio printed is against that target. Issue 12's target is
the *command* ``placeimpact evaluate frameworks/wigan-deal.yaml --out DIR`` end to end (a new
process: start-up, imports, evaluation, the report with its maps) under 5 s: it is timed too, with
``--peer-src OTHER/src`` (another checkout's ``src``) run interleaved for a same-run ratio.

    .venv/bin/python bench/bench_evaluate.py [--store PATH] [--repeat N] [--peer-src OTHER/src]

With no ``--store`` (and no ``$PLACEIMPACT_STORE`` file) it loads ``../shared/data`` into a
temporary store first; that load is not timed. Prints the median and range of N runs of
``evaluate`` (every method on every outcome, synthesis) and of ``Evaluation.write`` (charts,
report.html, findings.json/csv), and the time per outcome x method. The evaluation includes the
sensitivity grid, the side-by-side cut-offs of the framework's ``as_of`` and the minimum detectable
effects where the methods give them (issue 13); the same-run ratio to an evaluation without the grid
and the cut-offs shows what they cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import placeimpact as pi  # noqa: E402
from placeimpact.evaluation import evaluate  # noqa: E402
from _util import as_installed, store_path  # noqa: E402

TARGET_S = 60.0
COMMAND_TARGET_S = 5.0
_CLI = "import sys; from placeimpact.cli import main; sys.argv[0] = 'placeimpact'; main()"


def _command_once(src: Path, framework: Path, store: Path, out: Path) -> float:
    """Wall seconds of one ``placeimpact evaluate`` process run with ``src`` first on the path."""
    env = {**as_installed(src), "PYTHONPATH": str(src)}
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _CLI, "evaluate", str(framework), "--out", str(out), "--store",
                        str(store), "--no-progress"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        raise SystemExit(f"evaluate failed ({src}): {r.stderr[-2000:]}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None, help="a loaded store (default $PLACEIMPACT_STORE)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--framework", type=Path, default=ROOT / "frameworks" / "wigan-deal.yaml")
    ap.add_argument("--peer-src", type=Path, default=None, help="another checkout's src/, timed interleaved")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="bench-evaluate-")
    path = store_path(args.store, tmp.name)
    store = pi.open_store(path, read_only=True)

    ev_times, write_times = [], []
    ev = None
    for i in range(args.repeat):
        t0 = time.perf_counter()
        ev = evaluate(store, args.framework, progress=False)
        t1 = time.perf_counter()
        ev.write(Path(tmp.name) / f"out{i}")
        t2 = time.perf_counter()
        ev_times.append(t1 - t0)
        write_times.append(t2 - t1)
    bare = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        evaluate(store, args.framework, progress=False, sensitivity=False, as_of=())
        bare.append(time.perf_counter() - t0)
    store.close()
    assert ev is not None
    total = [a + b for a, b in zip(ev_times, write_times)]
    n_cells = len(ev.findings)
    med = statistics.median(total)
    print(f"framework: {args.framework.name}  area: {ev.area_name}  outcomes: {len(ev.outcomes)}  "
          f"methods: {len(ev.methods)}  outcome x method rows: {n_cells}  runs: {args.repeat}")
    print(f"evaluate        median {statistics.median(ev_times):7.2f} s   (min {min(ev_times):.2f}, max {max(ev_times):.2f})")
    print(f"write (report)  median {statistics.median(write_times):7.2f} s   "
          f"(min {min(write_times):.2f}, max {max(write_times):.2f})")
    print(f"end to end      median {med:7.2f} s   = {1000 * med / n_cells:.0f} ms per outcome x method")
    n_grid = len(ev.sensitivity)
    n_flip = sum(1 for g in ev.sensitivity.values() if g["flips"])
    n_mde = sum(1 for g in ev.sensitivity.values() if g.get("mde") is not None)
    print(f"evaluate without grid and cut-offs  median {statistics.median(bare):7.2f} s; with them / without: "
          f"{statistics.median(ev_times) / statistics.median(bare):.2f}x  (grid for {n_grid} outcomes, "
          f"{n_flip} fragile; {len(ev.as_of)} cut-offs; MDE on {n_mde} headlines)")
    print(f"ratio to the 60 s target: {med / TARGET_S:.3f}  ({'met' if med < TARGET_S else 'NOT met'})")
    if ev.errors:
        print("method errors recorded:", *ev.errors, sep="\n  ")
    srcs = {"this checkout": ROOT / "src"} | ({"peer": args.peer_src} if args.peer_src else {})
    runs: dict[str, list[float]] = {k: [] for k in srcs}
    for i in range(args.repeat):
        for k, src in srcs.items():
            runs[k].append(_command_once(src, args.framework, path, Path(tmp.name) / f"cmd-{i}"))
    print(f"the command end to end (new process, report with maps; load average {os.getloadavg()[0]:.1f}):")
    for k, v in runs.items():
        print(f"  {k:14s} median {statistics.median(v):6.2f} s  (min {min(v):.2f}, max {max(v):.2f})")
    mine = statistics.median(runs["this checkout"])
    if args.peer_src:
        print(f"  ratio this / peer: {mine / statistics.median(runs['peer']):.2f}")
    print(f"  target < {COMMAND_TARGET_S:.0f} s: {'met' if mine < COMMAND_TARGET_S else 'NOT met'}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
