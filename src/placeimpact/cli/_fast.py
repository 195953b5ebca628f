"""``series`` without Typer: the light command must start in well under 0.3 s; ``screen`` without
Typer's parsing.

Typer (with pydantic, which it uses to coerce every parameter) and pandas each take
longer to import than the whole ``series`` command may take. :func:`main` in
``placeimpact.cli`` therefore first offers ``series`` to :func:`try_series`, which parses
the same options with :mod:`argparse` and prints through :func:`series_command`; the
Typer command in ``explore`` calls the same :func:`series_command`. Anything the small
parser does not accept (``--help``, a typo, a missing option) goes to Typer, which gives
the usual help and error messages.

``screen`` is offered to :func:`try_screen` the same way (issue 12: the screen's own time is
measured end to end, and Typer's pydantic coercion of its 14 options was ~0.1 s of it): it
parses the local-run options, runs the same checks as the Typer callbacks (:mod:`._validate`),
and calls :func:`placeimpact.cli.screen.screen_command`, as the Typer command does. Dask
options, ``--help`` and anything a check refuses go to Typer.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["series_command", "try_series", "try_screen", "TABLE_COLUMNS"]

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


def _parse(prog: str, argv: list[str], add: Any) -> argparse.Namespace | None:
    """``argv`` parsed with the options ``add(parser)`` declares, plus ``--store`` and ``--format`` that
    every fast command shares; None for help or anything the small parser refuses (Typer takes it)."""
    if any(a in ("-h", "--help") for a in argv):
        return None
    p = _Parser(prog=prog, add_help=False, allow_abbrev=False)
    add(p)
    p.add_argument("--store", type=Path)
    p.add_argument("--format", "-f", dest="fmt", choices=("table", "csv", "json"), default="table")
    try:
        return p.parse_args(argv)
    except _Refuse:
        return None


def try_series(argv: list[str]) -> bool:
    """Run ``series`` from ``argv`` (the words after ``series``); False if Typer should handle it instead."""
    def add(p: argparse.ArgumentParser) -> None:
        p.add_argument("--area", "-a", required=True)
        p.add_argument("--indicator", "-i", required=True)
        p.add_argument("--sex")
        p.add_argument("--age")

    ns = _parse("placeimpact series", argv, add)
    if ns is None:
        return False
    series_command(area=ns.area, indicator=ns.indicator, sex=ns.sex, age=ns.age, store=ns.store, fmt=ns.fmt)
    return True


def try_screen(argv: list[str]) -> bool:
    """Run ``screen`` from ``argv`` (the words after ``screen``); False if Typer should handle it instead.

    Only arguments that the Typer command would accept as they are run here: the same checks
    (:mod:`._validate`, the ranges of ``--workers`` and ``--alpha``, ``$PLACEIMPACT_STORE`` for a
    missing ``--store``), with the output folder (which the check creates) checked last.
    """
    def add(p: argparse.ArgumentParser) -> None:
        p.add_argument("--start", "--reform-start", required=True)
        p.add_argument("--indicators", "-i", action="append")
        p.add_argument("--area-type", default="upper")
        p.add_argument("--area")
        p.add_argument("--out", type=Path)
        p.add_argument("--cutoff", "--until")
        p.add_argument("--workers", type=int)
        p.add_argument("--alpha", type=float, default=0.05)

    ns = _parse("placeimpact screen", argv, add)
    if ns is None:
        return False
    import os

    import typer

    from . import _validate as V
    from ._common import Format
    from .screen import ALPHA_RANGE, WORKERS_RANGE, screen_command

    env_store = os.environ.get("PLACEIMPACT_STORE")
    if ns.store is None and env_store is not None and not env_store:
        return False                                    # an empty variable: as Typer reads it
    store = ns.store if ns.store is not None else (Path(env_store) if env_store else None)
    if (ns.workers is not None and not WORKERS_RANGE[0] <= ns.workers <= WORKERS_RANGE[1]) \
            or not ALPHA_RANGE[0] <= ns.alpha <= ALPHA_RANGE[1]:
        return False
    try:
        V._date(ns.start, False, "start")
        V._date(ns.cutoff, True, "cutoff")
        V.text(ns.indicators)
        V.text(ns.area_type)
        V.text(ns.area)
        V.store(store)
        V.out_dir(ns.out)
    except typer.BadParameter:
        return False
    screen_command(start=ns.start, indicators=ns.indicators, area_type=ns.area_type, area=ns.area, out=ns.out,
                   cutoff=ns.cutoff, workers=ns.workers, alpha=ns.alpha, fmt=Format(ns.fmt), store=store)
    return True
