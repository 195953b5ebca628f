"""``benchmark``: one area against England, its region or its neighbours (a spine-chart-like table)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from .._lazy import lazy_module
from . import _validate as V
from ..formatting import cell
from ._common import Format, FormatOpt, StoreOpt, emit, open_for_read

if TYPE_CHECKING:
    import pandas as pd
else:  # deferred: building the app for '--help' must not import pandas (start-up time)
    pd = lazy_module("pandas")


class Versus(str, Enum):
    """What ``benchmark`` compares an area with."""
    england = "england"
    region = "region"
    neighbours = "neighbours"


def _with_ci(value: float, lo: float, hi: float) -> str:
    if pd.isna(value):
        return ""
    if pd.isna(lo) or pd.isna(hi):
        return cell(value)
    return f"{cell(value)} ({cell(lo)} to {cell(hi)})"


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def spine_table(df: pd.DataFrame, group: str = "group") -> pd.DataFrame:
    """The columns a reader scans: indicator, breakdown, period, value with 95% CI, comparator, labels, rank.

    The rank is within the comparator ``group`` (the area and its neighbours); the quintile is
    among all areas of the same tier in England.
    """
    rank = [("" if pd.isna(r) else f"{int(r)} of {int(n)}") for r, n in zip(df["rank"], df["n_ranked"])]
    breakdown = (df["sex"] + ", " + df["age"] + df["category"].map(lambda c: f", {c}" if c else ""))
    return pd.DataFrame({
        "indicator": df["indicator_name"].fillna(df["indicator_id"]).map(_short),
        "breakdown": breakdown,
        "period": df["period_label"],
        "value (95% CI)": [_with_ci(v, lo, hi) for v, lo, hi in zip(df["value"], df["lci95"], df["uci95"])],
        "comparator": df["comparator_value"].map(cell),
        "95%": df["label95"],
        "99.8%": df["label998"],
        f"rank in {group}": rank,
        "national quintile": df["quintile_label"],
    })


def register(app: typer.Typer) -> None:
    """Add ``benchmark`` to the app."""

    @app.command("benchmark")
    def benchmark(
        area: Annotated[str, typer.Option("--area", "-a", help="Area code or exact name, e.g. Wigan or E08000010.",
                                          callback=V.text)],
        vs: Annotated[Versus, typer.Option("--vs", help="Compare with England, the region or the neighbours' mean.")]
        = Versus.england,
        period: Annotated[str, typer.Option("--period", help="'latest' or a period label such as 2022/23.",
                                             callback=V.text)]
        = "latest",
        group: Annotated[str, typer.Option("--group", help="Comparator group for --vs neighbours and the rank.",
                                            callback=V.text)]
        = "oflog-nn",
        store: StoreOpt = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Each indicator's value with its 95% CI against a comparator, labelled as Fingertips does.

        Labels: better / similar / worse where the indicator has a polarity, otherwise higher /
        similar / lower, at 95% and at 99.8%; "not compared" where a limit or the comparator is
        missing. A label describes a difference, not its cause.
        """
        from ..stats import benchmark_area

        with open_for_read(store) as s:
            df = benchmark_area(s, area, vs=vs.value, period=period, group_id=group)
            change = s.area_change_note(str(df["area_code"].iloc[0])) if len(df) else None
        for col in ("rank", "n_ranked", "quintile"):
            if col in df:
                df[col] = df[col].round().astype("Int64")
        if fmt == Format.table:
            title = f"{df['area_name'].iloc[0]} ({df['area_code'].iloc[0]}) compared with {df['comparator'].iloc[0]}"
            if change:
                title += f"\nnote: {change}; these are its last published values"
            emit(spine_table(df, group), fmt, title=title)
        else:
            emit(df, fmt)
