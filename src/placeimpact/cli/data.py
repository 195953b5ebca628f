"""``data load | fetch | status``: fill the store and see what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..store import default_data_dir
from ._common import Format, FormatOpt, StoreOpt, console, emit, open_for_read, open_for_write


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="Load, fetch and inspect data.", no_args_is_help=True)

    @data_app.command("load")
    def load(
        from_: Annotated[Optional[Path], typer.Option("--from", help="Data folder laid out like ../shared/data.")] = None,
        file: Annotated[Optional[Path], typer.Option("--file", help="Load one file (with --source).")] = None,
        source: Annotated[Optional[str], typer.Option("--source", help="Reader for --file: local-csv, fingertips-csv, ...")] = None,
        store: StoreOpt = None,
    ) -> None:
        """Read every known folder (or one file) and import it in one all-or-nothing transaction."""
        from ..sources import read_file_as, read_tree

        root = from_ or default_data_dir()
        with open_for_write(store) as s:
            if file is not None:
                batches = [read_file_as(file, source)]
            else:
                batches = []
                with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=console, transient=True) as bar:
                    task = bar.add_task("reading files", total=None)
                    for b in read_tree(root):
                        batches.append(b)
                        bar.update(task, advance=1, description=f"read {b.key}")
            report = s.import_batches(batches)
        console.print(report.summary())

    @data_app.command("status")
    def status(store: StoreOpt = None, fmt: FormatOpt = Format.table) -> None:
        """Sources in the store: files, rows, indicators, periods, last import."""
        with open_for_read(store) as s:
            df = s.status()
        emit(df, fmt, title="Store status")

    app.add_typer(data_app, name="data")
