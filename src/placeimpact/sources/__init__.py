"""Readers of the real formats, one module per format.

Each module exposes ``SOURCE`` (its name) and ``read_folder(folder, root) -> Iterator[Batch]``
(every import unit in a folder laid out as in ``../shared/data``); most also expose a
function reading a single file. Readers return :class:`placeimpact.records.Batch`
objects and know nothing of DuckDB. Validation errors are
:class:`placeimpact.errors.InputError` naming file, line, field and what was expected.

:data:`FOLDERS` maps the top-level folders of the shared data to their reader.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Iterator

from ..records import Batch

__all__ = ["FOLDERS", "read_tree", "reader_for", "read_user_file"]

#: top-level folder of ../shared/data -> reader module (relative to this package)
FOLDERS: dict[str, str] = {
    "lookups": "mysociety",
    "ons-els": "ons_els",
    "ons-els-2025-10-06": "ons_els",
    "ons-els-app": "ons_els_app",         # ONS similar-areas lists and map boundaries
    "trafford-themes": "fingertips_tidy",
    "trafford-themes-55c6d8c5": "fingertips_tidy",
    "trafford-dashboard": "fingertips_tidy",
    "fingertips-nw-extract": "fingertips_next",
    "ascof": "ascof",
    "oflog": "oflog",
    "eyfsp-gld": "eyfsp",
    "health-index": "health_index",
    "fingertips-api": "fingertips_csv",   # written by 'data fetch'
    "local": "local_csv",                 # a user's own long CSVs (docs/local-csv-format.md)
    "surveys": "survey",                  # a user's own survey results (docs/survey-format.md)
}


def reader_for(folder_name: str):
    """The reader module for a top-level data folder (None if unknown)."""
    mod = FOLDERS.get(folder_name)
    if mod is None:
        return None
    try:
        return importlib.import_module(f"{__name__}.{mod}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{mod}":
            return None
        raise


def read_tree(root: Path, *, progress: bool = False, lenient: bool = False,
              workers: int | None = None) -> Iterator[Batch]:
    """Every batch of every known folder under root; the area registries (lookups, then the ONS
    boundaries, which declare the 2025 codes) first. Each batch passes the validation layer
    (:func:`placeimpact.sources.validate.validate_batch`); ``lenient`` quarantines bad rows.

    ``workers`` processes read ahead while the caller uses the batches already read (default:
    :func:`read_workers`). The batches, their order and the first error are the same however
    many read them: a unit (a folder, or a part of a large one) is read by one worker, and
    results are handed on in the order of the units.
    """
    from ..errors import InputError

    root = Path(root)
    if not root.is_dir():
        raise InputError("the data folder does not exist" if not root.exists() else "not a folder", path=root,
                         expected="a folder laid out like ../shared/data",
                         hint="Pass --from DIR, load one file with --file F --source NAME, or run 'placeimpact data fetch'")
    known = {p: reader_for(p.name) for p in root.iterdir() if p.is_dir()}
    order = sorted((p for p, reader in known.items() if reader is not None),
                   key=lambda p: (p.name != "lookups", p.name != "ons-els-app", p.name))
    if not order:
        raise InputError("no known data folder in it", path=root,
                         expected="sub-folders named like ../shared/data's: " + ", ".join(sorted(FOLDERS)),
                         hint="Point --from at the folder that holds them")
    units = []
    for folder in order:
        reader = known[folder]
        name = reader.__name__.rsplit(".", 1)[-1]
        parts = getattr(reader, "parts", None)
        if parts is None:
            units.append((name, "", str(folder), str(root), lenient))
        else:
            units += [(name, str(folder), str(part), str(root), lenient) for part in parts(folder)]
    n = read_workers(root) if workers is None else max(1, int(workers))
    context = _fork_context() if n > 1 and len(units) > 1 else None
    if context is None:
        return _read_in_turn(units)
    return _read_in_parallel(units, min(n, len(units)), context)


def _read_in_turn(units: list) -> Iterator[Batch]:
    for unit in units:
        yield from _read_unit(unit, digest=False)


def _read_in_parallel(units: list, n: int, context) -> Iterator[Batch]:
    """Start ``n`` reading processes now (before the caller starts threads of its own, such as a progress
    bar) and hand their batches on in the order of the units."""
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    _warm_up()
    pool = ProcessPoolExecutor(n, mp_context=context)
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a process with threads (DuckDB's) may deadlock the child if it
            # takes a lock another thread held; the children only run the readers, never DuckDB or the console
            warnings.filterwarnings("ignore", message=r".*fork\(\) may lead to deadlocks", category=DeprecationWarning)
            results = pool.map(_read_unit, units)           # every process starts here
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    return _handed_on(pool, results)


def _handed_on(pool, results) -> Iterator[Batch]:
    try:
        for batches in results:
            yield from batches
    finally:                 # an error or an abandoned generator: nothing more is read
        pool.shutdown(wait=True, cancel_futures=True)


#: the data size from which reading in parallel pays for starting the worker processes
PARALLEL_FROM_BYTES = 8_000_000


def read_workers(root: Path) -> int:
    """How many processes read a data folder: ``$PLACEIMPACT_READ_WORKERS`` if set, else up to four
    of the machine's cores for a folder of at least :data:`PARALLEL_FROM_BYTES`, else one."""
    import os

    env = os.environ.get("PLACEIMPACT_READ_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            from ..errors import InputError

            raise InputError("PLACEIMPACT_READ_WORKERS is not a whole number", field="PLACEIMPACT_READ_WORKERS",
                             expected="a number of processes such as 1 or 2", got=env) from None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2:
        return 1
    size = 0
    for path in Path(root).rglob("*"):
        if path.is_file():
            size += path.stat().st_size
            if size >= PARALLEL_FROM_BYTES:
                return min(cores, 4)
    return 1


#: modules every reading process would otherwise import on its first unit (imported once, before the fork)
WARM_UP = ("placeimpact.sources.validate", "placeimpact.stats.fill", "placeimpact.experience", "pyarrow.compute",
           "pyarrow.pandas_compat", "python_calamine", "encodings.utf_8_sig", "csv")


def _warm_up() -> None:
    for name in WARM_UP:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _fork_context():
    """Fork, where processes can start at once with the readers already imported and without re-running
    the caller's script (Linux); None elsewhere, where the tree is read in this process."""
    import multiprocessing as mp
    import sys

    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    return None


def _read_unit(unit: tuple[str, str, str, str, bool], digest: bool = True) -> list[Batch]:
    """The validated batches of one unit: a whole folder (``part`` empty), or one part of a folder
    whose reader splits it (``parts(folder)`` and ``read_part(folder, part, root)``)."""
    name, folder, path, root, lenient = unit
    reader = importlib.import_module(f"{__name__}.{name}")
    from .validate import lenient_mode, validate_batch

    with lenient_mode() if lenient else _nothing():
        batches = (reader.read_folder(Path(path), Path(root)) if not folder
                   else reader.read_part(Path(folder), Path(path), Path(root)))
        done = [validate_batch(complete_cis(b), lenient=lenient) for b in batches]
        return [_digest(b) for b in done] if digest else done


def _digest(batch: Batch) -> Batch:
    """In a reading process: the files' digest, so that the importing process need not read them again."""
    from ..records import sha256_of

    batch.sha256 = sha256_of(batch.files)
    return batch


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


#: single-file readers for ``data load --file F --source NAME`` -> module with read_file(path)
FILE_READERS: dict[str, str] = {
    "ons-els": "ons_els",
    "comparator-csv": "comparator_csv",   # a user's own neighbour list (docs/comparator-csv-format.md)
    "fingertips-csv": "fingertips_csv",
    "local-csv": "local_csv",
    "survey": "survey",                   # survey results, CSV or .xlsx (docs/survey-format.md)
}


def read_file_as(path: Path, source: str | None, *, lenient: bool = False) -> Batch:
    """Read one file with the named reader (``data load --file``)."""
    from ..errors import InputError

    if source is None or source not in FILE_READERS:
        raise InputError("unknown or missing --source for a single file", path=path, field="--source",
                         expected="one of " + ", ".join(sorted(FILE_READERS)), got=source)
    if not Path(path).is_file():
        raise InputError("the file does not exist" if not Path(path).exists() else "not a file", path=path)
    mod = importlib.import_module(f"{__name__}.{FILE_READERS[source]}")
    from .validate import lenient_mode, validate_batch

    with lenient_mode() if lenient else _nothing():
        return validate_batch(complete_cis(mod.read_file(Path(path))), lenient=lenient)


def read_user_file(path: Path) -> Batch:
    """A user's own data file, by its shape: a survey file (.xlsx, or a CSV whose header has
    ``question_id`` and ``response``; ``docs/survey-format.md``) or a local indicator CSV
    (``docs/local-csv-format.md``)."""
    path = Path(path)
    survey = path.suffix.lower() in (".xlsx", ".xlsm")
    if not survey and path.is_file():
        with path.open("rb") as f:
            head = f.readline(4096).decode("utf-8-sig", errors="replace").lower()
        survey = "question_id" in head and "response" in head
    return read_file_as(path, "survey" if survey else "local-csv")


def complete_cis(batch: Batch) -> Batch:
    """Compute the confidence limits a source left out where its counts and denominators allow.

    Proportions get Wilson limits and crude rates Byar's (exact Poisson below 10 events),
    as Fingertips does; the rows say ``ci_origin = "computed"``. Published limits are never
    replaced. See :func:`placeimpact.stats.fill.fill_missing_cis`.
    """
    obs = batch.observations
    if obs.empty or obs["count"].isna().all() or obs["denominator"].isna().all():
        return batch
    from ..stats.fill import COMPUTABLE, fill_missing_cis

    meta = batch.indicators.set_index("id")
    parts = []
    changed = False
    for ind_id, rows in obs.groupby("indicator_id", sort=False):
        vt = meta["value_type"].get(ind_id)
        needs = rows["lci95"].isna() & rows["count"].notna() & rows["denominator"].notna()
        if vt in COMPUTABLE and needs.any():
            rows = fill_missing_cis(rows, vt, float(meta["multiplier"].get(ind_id) or 1.0))
            changed = True
        parts.append(rows)
    if changed:
        import pandas as pd

        batch.observations = pd.concat(parts).loc[obs.index].reset_index(drop=True)
    return batch
