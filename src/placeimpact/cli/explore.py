"""``areas``, ``indicators`` and ``series``: look at what the store holds."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import _validate as V
from ._common import Format, FormatOpt, StoreOpt, console, emit, open_for_read


def register(app: typer.Typer) -> None:
    """Add the ``areas``, ``indicators`` and ``series`` commands to ``app``."""
    areas_app = typer.Typer(help="Find areas (codes, names, types, validity).", no_args_is_help=True)
    ind_app = typer.Typer(help="List indicators in the store.", no_args_is_help=True)

    @areas_app.command("search")
    def areas_search(
        text: Annotated[str, typer.Argument(help="Part of a name or a code prefix.", callback=V.text)],
        area_type: Annotated[Optional[str], typer.Option("--type", help="e.g. unitary, county, district",
                                                                  callback=V.text)] = None,
        store: StoreOpt = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Search areas by name or code."""
        with open_for_read(store) as s:
            df = s.areas(text, area_type=area_type)
        cols = ["code", "name", "area_type", "upper_tier", "region_name", "valid_from", "valid_to", "replaced_by",
                "former_codes"]
        emit(df[cols] if fmt == Format.table else df, fmt, title=f"Areas matching {text!r}")

    @ind_app.command("list")
    def indicators_list(
        search: Annotated[Optional[str], typer.Option("--search", "-s", help="Text in the name, id or concept.",
                                                                      callback=V.text)] = None,
        source: Annotated[Optional[str], typer.Option("--source", help="Only this source.", callback=V.text)] = None,
        store: StoreOpt = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """List indicators with their unit, polarity and coverage."""
        with open_for_read(store) as s:
            df = s.indicators(search, source=source)
        cols = ["id", "name", "unit", "value_type", "polarity", "n_obs", "first_period", "last_period"]
        emit(df[cols] if fmt == Format.table else df, fmt, title="Indicators")

    @app.command("series")
    def series(
        area: Annotated[str, typer.Option("--area", "-a", help="Area code or exact name.", callback=V.text)],
        indicator: Annotated[str, typer.Option("--indicator", "-i", help="Indicator id (see 'indicators list').",
                                               callback=V.text)],
        sex: Annotated[Optional[str], typer.Option(help="Persons, Male or Female.", callback=V.text)] = None,
        age: Annotated[Optional[str], typer.Option(help="Age band, default all.", callback=V.text)] = None,
        store: StoreOpt = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """One area's series of one indicator, with 95% confidence limits."""
        from ._fast import series_command

        series_command(area=area, indicator=indicator, sex=sex, age=age, store=store, fmt=fmt, console=console)

    app.add_typer(areas_app, name="areas")
    app.add_typer(ind_app, name="indicators")
