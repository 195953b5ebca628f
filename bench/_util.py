"""Pieces shared by the benchmark scripts (run as ``.venv/bin/python bench/<script>.py``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def store_path(store: Path | None, tmp_dir: str) -> Path:
    """The store to time: ``store``, else the ``$PLACEIMPACT_STORE`` file, if it exists.

    Otherwise ``../shared/data`` is loaded into ``tmp_dir/store.duckdb`` first (not timed, but
    the time it took is printed) and that path is returned.
    """
    import placeimpact as pi  # the caller has put src/ on sys.path

    path = store or (Path(os.environ["PLACEIMPACT_STORE"]) if os.environ.get("PLACEIMPACT_STORE") else None)
    if path is None or not path.exists():
        path = Path(tmp_dir) / "store.duckdb"
        t = time.perf_counter()
        with pi.open_store(path) as s:
            s.load(ROOT.parent / "shared" / "data")
        print(f"(loaded ../shared/data into a temporary store in {time.perf_counter() - t:.1f} s; not timed)")
    return path


def as_installed(*srcs: Path) -> dict[str, str]:
    """The environment for timing a command as an installation runs it: with its byte-code cached.

    With ``PYTHONDONTWRITEBYTECODE`` set (some machines set it) every new process compiles every
    module of ours it imports, on every run: tens of milliseconds of start-up that no installed
    package pays. The variable is dropped for the timed commands, and ``srcs`` (source folders,
    e.g. ``src`` of each checkout timed) are compiled once first.
    """
    import compileall

    for src in srcs:
        compileall.compile_dir(str(src), quiet=1)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
