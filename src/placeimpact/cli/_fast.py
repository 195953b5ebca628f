"""``series`` without Typer: the light command must start in well under 0.3 s.

Typer (with pydantic, which it uses to coerce every parameter) and pandas each take
longer to import than the whole ``series`` command may take. :func:`main` in
``placeimpact.cli`` therefore first offers ``series`` to :func:`try_series`, which parses
the same options with :mod:`argparse` and prints through :func:`series_command`; the
Typer command in ``explore`` calls the same :func:`series_command`. Anything the small
parser does not accept (``--help``, a typo, a missing option) goes to Typer, which gives
the usual help and error messages.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["series_command", "try_series", "TABLE_COLUMNS"]

#: columns shown in the table format (CSV and JSON give every column of ``Store.SERIES_COLUMNS``)
TABLE_COLUMNS = ("area_name", "sex", "age", "category", "period_label", "value", "lci95", "uci95", "count",
                 "denominator", "note")


def series_command(*, area: str, indicator: str, sex: str | None = None, age: str | None = None,
                   store: Path | None = None, fmt: str = "table", console: Any = None) -> None:
    """Print one area's series of one indicator (with confidence limits) as a table, CSV or JSON.

    As :meth:`Store.series <placeimpact.store.Store.series>`: a council with no values of its own
    that is published only inside a combined area (Cornwall with the Isles of Scilly) is shown the
    combined area's rows, under the combined code and name, with a note saying so.
    """
    from ..errors import StoreError
    from ..store import Store, default_store_path
    from ._rows import emit_rows

    with Store(store or default_store_path(), read_only=True) as s:
        columns: tuple[str, ...] = s.SERIES_COLUMNS
        missing: StoreError | None = None
        try:
            rows = s.series_rows(area, indicator, sex=sex, age=age)
        except StoreError as exc:  # an unknown area or indicator (raised again below), or no rows
            missing, rows = exc, []
        value = columns.index("value")
        if all(r[value] is None for r in rows):
            combined = s.combined_series(area, indicator, sex=sex, age=age)
            if combined is not None:
                rows = combined
            elif missing is not None:
                raise missing
    if getattr(fmt, "value", fmt) == "table":
        idx = [columns.index(c) for c in TABLE_COLUMNS]
        columns, rows = TABLE_COLUMNS, [tuple(r[i] for i in idx) for r in rows]
    emit_rows(columns, rows, fmt, title=f"{indicator} — {area}", console=console)


class _Refuse(Exception):
    """The fast parser does not take these arguments: let Typer handle them."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _Refuse(message)


def try_series(argv: list[str]) -> bool:
    """Run ``series`` from ``argv`` (the words after ``series``); False if Typer should handle it instead."""
    if any(a in ("-h", "--help") for a in argv):
        return False
    p = _Parser(prog="placeimpact series", add_help=False, allow_abbrev=False)
    p.add_argument("--area", "-a", required=True)
    p.add_argument("--indicator", "-i", required=True)
    p.add_argument("--sex")
    p.add_argument("--age")
    p.add_argument("--store", type=Path)
    p.add_argument("--format", "-f", dest="fmt", choices=("table", "csv", "json"), default="table")
    try:
        ns = p.parse_args(argv)
    except _Refuse:
        return False
    series_command(area=ns.area, indicator=ns.indicator, sex=ns.sex, age=ns.age, store=ns.store, fmt=ns.fmt)
    return True
