"""``neighbours``: an area's comparator group, imported or computed, with its explanation."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from ..errors import InputError
from . import _validate as V
from ._common import Format, FormatOpt, StoreOpt, console, emit, emit_json, open_for_read, open_for_write


class Method(str, Enum):
    """Where the neighbours come from: imported lists or computed now."""
    imported = "imported"
    computed = "computed"


class Among(str, Enum):
    """Which areas computed neighbours are chosen among."""
    tier = "tier"
    type = "type"


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _weights(values: list[str] | None) -> dict[str, float] | None:
    if not values:
        return None
    out: dict[str, float] = {}
    for item in _split(values) or []:
        name, sep, val = item.partition("=")
        try:
            out[name.strip()] = float(val)
        except ValueError:
            raise InputError("a weight is not FEATURE=NUMBER", field="--weight", expected="e.g. employment-rate=2",
                             got=item) from None
        if not sep:
            raise InputError("a weight is not FEATURE=NUMBER", field="--weight", expected="e.g. employment-rate=2",
                             got=item)
    return out


def register(app: typer.Typer) -> None:
    """Add the ``neighbours`` command to ``app``."""
    @app.command("neighbours")
    def neighbours(
        area: Annotated[str, typer.Option("--area", "-a", help="Area code or exact name.", callback=V.text)],
        method: Annotated[Method, typer.Option("--method", "-m", help="imported: a stored list; computed: "
                                               "nearest neighbours on pre-reform features.")] = Method.imported,
        group: Annotated[str, typer.Option("--group", "-g", help="Stored group to show (imported), or to compare "
                                           "with (computed).", callback=V.text)] = "oflog-nn",
        k: Annotated[int, typer.Option("--k", min=1, max=1000, help="Number of computed neighbours.")] = 15,
        year: Annotated[Optional[int], typer.Option("--year", "-y", help="Reference year for computed neighbours: "
                                                    "the last year before the reform (2010 for 2011).", min=1900, max=2100)] = None,
        features: Annotated[Optional[list[str]], typer.Option(
            "--features", help="Feature indicator ids or short names, comma separated (default: income, employment, "
            "housing, productivity; qualifications, deprivation, population where measured by --year).",
            callback=V.text)] = None,
        weight: Annotated[Optional[list[str]], typer.Option("--weight", help="FEATURE=NUMBER, repeatable.", callback=V.text)] = None,
        among: Annotated[Among, typer.Option(
            "--among", help="tier: same tier (upper: counties, unitaries, metropolitan districts, London boroughs); "
            "type: same type.")] = Among.tier,
        stability_year: Annotated[Optional[int], typer.Option("--stability-year", help="Also compute from this "
                                                              "year and report how far the lists agree.", min=1900, max=2100)] = None,
        save: Annotated[bool, typer.Option("--save", help="Save the computed group for evaluations.")] = False,
        list_groups: Annotated[bool, typer.Option("--list", help="List the stored groups for the area.")] = False,
        store: StoreOpt = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Show an area's comparator group: an imported list, or nearest neighbours computed and explained."""
        from ..comparators import available_groups, compute_neighbours, imported_neighbours, stability

        if method == Method.imported and (year is not None or features or weight or save or stability_year):
            raise InputError("--year, --features, --weight, --stability-year and --save apply to --method computed",
                             field="--method", expected="computed", got=method.value)
        opener = open_for_write if save else open_for_read
        with opener(store) as s:
            if list_groups:
                emit(available_groups(s, area), fmt, title=f"Comparator groups for {area}")
                return
            if method == Method.imported:
                res = imported_neighbours(s, area, group_id=group)
                if fmt == Format.json:
                    emit_json(res.to_dict())
                    return
                emit(res.to_frame().dropna(axis=1, how="all") if fmt == Format.table else res.to_frame(), fmt,
                     title=f"{res.group_id}: neighbours of {res.focal_name}")
                if fmt == Format.table:
                    console.print(res.summary())
                return
            if year is None:
                raise InputError("computed neighbours need a reference year", field="--year",
                                 expected="the last year before the reform, e.g. --year 2010 for a 2011 reform")
            opts = dict(k=k, features=_split(features), weights=_weights(weight), among=among.value)
            res = compute_neighbours(s, area, year=year, compare_with=group, **opts)
            stab = stability(s, area, years=(stability_year, year), **opts) if stability_year is not None else None
            if save:
                s.save_group(res.to_group())
        if fmt == Format.json:
            out = res.to_dict()
            if stab is not None:
                out["stability"] = stab.overlap.to_dict() | {"summary": stab.summary()}
            emit_json(out)
            return
        emit(res.to_frame(), fmt, title=f"Nearest neighbours of {res.focal_name} from {year} features")
        if fmt == Format.table:
            console.print(res.summary())
            if stab is not None:
                console.print(stab.summary())
            if save:
                console.print(f"Saved as comparator group {res.group_id!r}.")
