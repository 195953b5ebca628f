"""Benchmark: the whole ``placeimpact screen`` command, --start 2011 and 2018, upper and lower tier.

Run: ``.venv/bin/python bench/bench_screen_cli.py --store FILE [--peer-src OTHER/src] [--repeats 3]``

Each command runs as a new process (start-up, panels, screen, output as CSV to /dev/null), wall
time and CPU time (user + sys of the process and its workers) as medians of ``--repeats``. With
``--peer-src`` (the ``src`` folder of another checkout, e.g. the main branch) the same commands run
with that code too, interleaved run by run, so both see the same machine load; the ratio
ours / peer is printed (issue 12 target: each under 0.5 of main's time).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

_CLI = "import sys; from placeimpact.cli import main; sys.argv[0] = 'placeimpact'; main()"
SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import as_installed  # noqa: E402

_ENVS: dict[Path, dict[str, str]] = {}


def _once(src: Path, args: list[str]) -> tuple[float, float]:
    env = {**_ENVS.setdefault(src, as_installed(src)), "PYTHONPATH": str(src)}    # byte-code cached, as installed
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _CLI, *args], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"screen failed ({src}): {r.stderr[-2000:]}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--peer-src", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    srcs = {"ours": SRC} | ({"peer": a.peer_src} if a.peer_src else {})
    print(f"placeimpact screen ... --format csv, median of {a.repeats} (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs)")
    print(f"{'start':>5} {'tier':>6} " + " ".join(f"{k + ' wall':>10} {k + ' CPU':>9}" for k in srcs)
          + ("  ours/peer wall  ours/peer CPU" if a.peer_src else ""))
    for start in ("2011", "2018"):
        for tier in ("upper", "lower"):
            args = ["screen", "--start", start, "--area-type", tier, "--store", str(a.store), "--format", "csv"]
            res = {k: [] for k in srcs}
            for _ in range(a.repeats):
                for k, src in srcs.items():
                    res[k].append(_once(src, args))
            med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in res.items()}
            line = f"{start:>5} {tier:>6} " + " ".join(f"{w:>10.2f} {c:>9.2f}" for w, c in med.values())
            if a.peer_src:
                line += f"  {med['ours'][0] / med['peer'][0]:>14.2f} {med['ours'][1] / med['peer'][1]:>14.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
