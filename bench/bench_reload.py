"""A reload where nothing changed: ``placeimpact data load`` on a folder already in the store.

The files are hashed before anything is parsed (``store.tree_fingerprint``) and compared with
the fingerprint the last load recorded, so the command reads no file into rows and writes
nothing. Prints the median wall time of the whole command (a fresh process each time, so
interpreter start-up is included) over a few repeats, the median of hashing the tree alone,
and, as a same-run peer, ``sha256sum`` over the same files. Target: under 2 s.

    .venv/bin/python bench/bench_reload.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from placeimpact.sources import FOLDERS
    from placeimpact.store import tree_fingerprint

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store.duckdb"
        cmd = [sys.executable, "-m", "placeimpact", "data", "load", "--from", str(DATA), "--store", str(store)]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        print(f"(first load of ../shared/data: {time.perf_counter() - t:.1f} s; not timed)")
        runs, hashes, peers = [], [], []
        files = [str(f) for d in sorted(DATA.iterdir()) if d.is_dir() and d.name in FOLDERS
                 for f in sorted(d.rglob("*")) if f.is_file()]
        for _ in range(args.repeats):
            t = time.perf_counter()
            r = subprocess.run(cmd, check=True, capture_output=True, text=True)
            runs.append(time.perf_counter() - t)
            assert "Nothing changed" in r.stdout, r.stdout
            t = time.perf_counter()
            tree_fingerprint(DATA)
            hashes.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run(["sha256sum", *files], check=True, capture_output=True)
            peers.append(time.perf_counter() - t)
    med, hmed, pmed = statistics.median(runs), statistics.median(hashes), statistics.median(peers)
    print(f"reload with nothing changed ({len(files)} files): median {med:.2f} s over {args.repeats} runs "
          f"(target < 2 s)")
    print(f"  hashing the tree in-process: median {hmed:.2f} s; sha256sum over the same files: {pmed:.2f} s "
          f"(ratio {hmed / pmed:.2f})")


if __name__ == "__main__":
    main()
