"""Printing plain rows (tuples) as a table, CSV or JSON, without pandas or Typer.

The light commands (``series``) use this so that they start quickly; :func:`emit` in
``_common`` does the same for data frames.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Sequence

from ..formatting import cell

__all__ = ["cell_text", "plain", "emit_rows"]


def cell_text(v: object) -> str:
    """A value as table text: empty for missing, four significant figures for floats."""
    if v is None:
        return ""
    if isinstance(v, float):
        return cell(v)
    if "pandas" in sys.modules and v is sys.modules["pandas"].NaT:  # no pandas import just to check
        return ""
    return str(v)


def plain(v: object) -> Any:
    """A value for CSV/JSON: dates as ISO text, NaN as None."""
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()  # type: ignore[union-attr]
    return v


def emit_rows(columns: Sequence[str], rows: Sequence[tuple], fmt: str, *, title: str | None = None,
              console: Any = None) -> None:
    """Print rows (tuples in ``columns`` order) as ``fmt`` ``table``, ``csv`` or ``json`` (records).

    Table columns empty in every row are left out; CSV and JSON keep every column.
    """
    fmt = getattr(fmt, "value", fmt)
    if fmt not in ("table", "csv", "json"):
        raise ValueError(f"fmt must be 'table', 'csv' or 'json', got {fmt!r}")
    if fmt == "csv":
        from ..csvsafe import SafeWriter

        w = SafeWriter(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        w.writerows([["" if (p := plain(v)) is None else p for v in r] for r in rows])
        return
    if fmt == "json":
        records = [{c: plain(v) for c, v in zip(columns, r)} for r in rows]
        sys.stdout.write(json.dumps(records, indent=2, default=str) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    keep = [j for j in range(len(columns)) if any(cell_text(r[j]) != "" for r in rows)]
    table = Table(title=title, show_lines=False)
    for j in keep:
        numeric = all(isinstance(r[j], (int, float)) or r[j] is None for r in rows)
        table.add_column(str(columns[j]), justify="right" if numeric else "left", overflow="fold")
    for r in rows:
        table.add_row(*(cell_text(r[j]) for j in keep))
    (console or Console(highlight=False, soft_wrap=False)).print(table)
