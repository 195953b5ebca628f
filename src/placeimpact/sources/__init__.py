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


def read_tree(root: Path, *, progress: bool = False, lenient: bool = False) -> Iterator[Batch]:
    """Every batch of every known folder under root; the area registries (lookups, then the ONS
    boundaries, which declare the 2025 codes) first. Each batch passes the validation layer
    (:func:`placeimpact.sources.validate.validate_batch`); ``lenient`` quarantines bad rows."""
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
    from .validate import lenient_mode, validate_batch

    for folder in order:
        with lenient_mode() if lenient else _nothing():
            for batch in known[folder].read_folder(folder, root):
                yield validate_batch(complete_cis(batch), lenient=lenient)


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
