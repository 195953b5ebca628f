"""Benchmark: load everything in ../shared/data into a new store, and start-to-finish ``series``.

Run: ``.venv/bin/python bench/bench_load.py [--repeats 3] [--series-repeats 15]``

Targets (issue 2, on the 2-core machine): the load under 30 s; ``placeimpact series
--area Wigan --indicator ons-els:preventable-cardiovascular-mortality-england`` under 0.3 s
as a whole command (a new process: interpreter start, imports, store open, query, table).

*Load*: ``Store.load(../shared/data)`` into a new store file, median wall time of
``--repeats`` runs; rows/s = observations + comparator rows + area rows written / time.
Peers in the same run: reading the same CSV files as text with ``pandas.read_csv`` only
(``dtype=str``), the parsing floor every reader pays before validation and import; and
DuckDB's own ``read_csv_auto`` of every one of those CSV files into a table of a new database
file (issue 12's floor: the load within 2x of it). The load reads in worker processes by default
(:func:`placeimpact.sources.read_workers`); it is also timed read in one process. Neither peer reads the Excel and JSON files
the load also reads, validates anything, or keeps provenance.

*Series*: median (and minimum) wall time of ``--series-repeats`` runs of the installed
``placeimpact`` command, output discarded, after the store exists; CPU time (user + sys)
too, as the machine is shared. Peers in the same run: ``python -c pass`` (interpreter
start) and a bare ``python`` that imports duckdb, opens the store and fetches the same
rows (the floor for any command using DuckDB).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BIN = Path(sys.executable).parent
INDICATOR = "ons-els:preventable-cardiovascular-mortality-england"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import as_installed  # noqa: E402

ENV = as_installed(ROOT / "src")          # the timed commands run byte-code cached, as an installation does


def _load_once(store_path: Path, workers: int | None = None) -> tuple[float, int]:
    """What ``Store.load`` does, with the number of reading processes given (None: the default)."""
    from placeimpact import open_store
    from placeimpact.sources import read_tree

    t0 = time.perf_counter()
    with open_store(store_path) as s:
        report = s.import_batches(read_tree(DATA, workers=workers))
    return time.perf_counter() - t0, int(report.table["rows"].sum())


def _peer_parse() -> float:
    import pandas as pd

    t0 = time.perf_counter()
    for p in sorted(DATA.rglob("*.csv")):
        pd.read_csv(io.BytesIO(p.read_bytes()), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return time.perf_counter() - t0


def _peer_duckdb(tmp: Path) -> float:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(str(tmp / f"floor-{time.monotonic_ns()}.duckdb"))
    for i, p in enumerate(sorted(DATA.rglob("*.csv"))):
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv_auto(?)", [str(p)])
    con.close()
    return time.perf_counter() - t0


def _run(cmd: list[str], repeats: int) -> tuple[float, float, float]:
    """(median wall, min wall, median CPU) seconds of a command, output discarded."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr}")
    return statistics.median(walls), min(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--series-repeats", type=int, default=15)
    args = ap.parse_args()
    if not DATA.exists():
        raise SystemExit(f"no data folder at {DATA}")

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        times, rows = [], 0
        for i in range(args.repeats):
            t, rows = _load_once(Path(tmp) / f"load{i}.duckdb")
            times.append(t)
        peer = statistics.median(_peer_parse() for _ in range(args.repeats))
        load = statistics.median(times)
        print(f"load ../shared/data into a new store: median {load:.2f} s of {args.repeats} "
              f"({', '.join(f'{t:.2f}' for t in times)}); {rows:,} rows, {rows / load:,.0f} rows/s; "
              f"target < 30 s: {'met' if load < 30 else 'NOT met'}")
        print(f"  peer: pandas.read_csv of the same CSVs as text only: {peer:.2f} s; ratio ours/peer {load / peer:.2f}")
        duck = statistics.median(_peer_duckdb(Path(tmp)) for _ in range(args.repeats))
        print(f"  peer: DuckDB read_csv_auto of the same CSVs into tables: {duck:.2f} s; ratio ours/peer "
              f"{load / duck:.2f} (issue 12 target <= 2: {'met' if load <= 2 * duck else 'NOT met'})")
        one = statistics.median(_load_once(Path(tmp) / f"one{i}.duckdb", workers=1)[0] for i in range(args.repeats))
        print(f"  the same load read in one process (read_tree workers=1): {one:.2f} s; "
              f"ratio to DuckDB {one / duck:.2f}")

        store = str(Path(tmp) / "load0.duckdb")
        env_cmd = [str(BIN / "placeimpact"), "series", "--area", "Wigan", "--indicator", INDICATOR, "--store", store]
        ours = _run(env_cmd, args.series_repeats)
        bare = _run([sys.executable, "-c", "pass"], args.series_repeats)
        floor = _run([sys.executable, "-c",
                      "import duckdb; c = duckdb.connect(%r, read_only=True); "
                      "c.execute(\"SELECT * FROM observations WHERE indicator_id = ? AND area_code = 'E08000010'\", "
                      "[%r]).fetchall()" % (store, INDICATOR)], args.series_repeats)
        print(f"series --area Wigan --indicator {INDICATOR} (whole command): median {ours[0]:.3f} s, "
              f"min {ours[1]:.3f} s, CPU {ours[2]:.3f} s over {args.series_repeats} runs; "
              f"target < 0.3 s: {'met' if ours[0] < 0.3 else 'NOT met'} (median)")
        print(f"  peer: python -c pass {bare[0]:.3f} s; python + duckdb open + same query {floor[0]:.3f} s "
              f"(CPU {floor[2]:.3f} s); ratio ours/duckdb-floor {ours[0] / floor[0]:.2f}")
        print(f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
