"""Options and output shared by the commands."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, Sequence

import typer
from rich.console import Console

from .._lazy import lazy_module
from . import _validate as V
from ._rows import cell_text
from ._rows import emit_rows as _emit_rows

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store
else:  # deferred: 'series' prints rows without pandas (start-up time)
    pd = lazy_module("pandas")


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


StoreOpt = Annotated[
    Optional[Path],
    typer.Option("--store", envvar="PLACEIMPACT_STORE", help="DuckDB store file (default: placeimpact.duckdb).",
                 callback=V.store),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]

# wide enough for data tables when the output is a file or pipe (Rich would assume 80 columns)
console = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200)
# progress bars go to stderr, so CSV and JSON on stdout stay clean when piped
progress_console = Console(stderr=True, highlight=False)


def open_for_read(store: Path | None) -> Store:
    """The store read-only (duckdb is imported here, not when the command line is built: '--help' needs none)."""
    from ..store import Store, default_store_path

    return Store(store or default_store_path(), read_only=True)


def open_for_write(store: Path | None) -> Store:
    """The store for writing."""
    from ..store import Store, default_store_path

    return Store(store or default_store_path())


KEY_COLUMNS = frozenset({"id", "code", "indicator_id", "area_code", "group_id"})


def emit(df: pd.DataFrame, fmt: Format, *, title: str | None = None) -> None:
    """Print a frame as a Rich table, CSV or JSON records (dates as ISO strings, NaN as null)."""
    if fmt == Format.csv:
        from ..csvsafe import write_csv

        write_csv(df, sys.stdout)
        return
    if fmt == Format.json:
        sys.stdout.write(df.to_json(orient="records", date_format="iso", indent=2) + "\n")
        return
    if df.empty:
        console.print(f"{title}: none." if title else "Nothing to show.")
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for c in df.columns:
        justify = "right" if pd.api.types.is_numeric_dtype(df[c]) else "left"
        if str(c) in KEY_COLUMNS:      # ids are copied and pasted: never fold them
            table.add_column(str(c), justify=justify, no_wrap=True,
                             min_width=int(df[c].astype(str).str.len().max()))
        else:
            table.add_column(str(c), justify=justify, overflow="fold")
    for row in df.itertuples(index=False):
        table.add_row(*(cell_text(v) for v in row))
    console.print(table)


def emit_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def emit_rows(columns: Sequence[str], rows: Sequence[tuple], fmt: Format, *, title: str | None = None) -> None:
    """As :func:`emit`, for plain rows (tuples in ``columns`` order), without pandas."""
    _emit_rows(columns, rows, fmt, title=title, console=console)
