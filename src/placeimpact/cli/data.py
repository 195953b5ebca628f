"""``data load | fetch | status``: fill the store and see what it holds."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import _validate as V
from ._common import Format, FormatOpt, StoreOpt, console, emit, open_for_read, progress_console


class StatusBy(str, Enum):
    """How ``data status`` groups its table."""
    folder = "folder"
    source = "source"


def _bar():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=progress_console, transient=True)


def _report(report, check: bool) -> None:
    if check:
        ch = report.changes()
        if ch.empty:
            console.print("Nothing would change.")
        else:
            emit(ch, Format.table, title="What the load would change (nothing written)")
    console.print(report.summary())


def _load_tree(store: Path | None, root: Path, *, replace: bool = False, check: bool = False,
               lenient: bool = False) -> None:
    from ..sources import read_tree
    from ..store import default_store_path, load_unchanged, remember_load, tree_fingerprint, writing_copy

    path = store or default_store_path()
    fingerprint = tree_fingerprint(root) if Path(root).is_dir() else None
    if fingerprint and load_unchanged(path, root, fingerprint):     # hashed before anything is parsed
        console.print(f"Nothing changed in {root}: the store already holds every file (no file read).")
        return
    with writing_copy(path, keep=not check) as s:
        batches = read_tree(root, lenient=lenient)   # reading processes start before the progress bar's thread
        with _bar() as bar:              # each file is imported as soon as it is read (one transaction)
            task = bar.add_task("reading files", total=None)
            report = s.import_batches(batches, replace=replace, check=check,
                                      progress=lambda b: bar.update(task, advance=1, description=f"read {b.key}"))
        if fingerprint and not check and not report.quarantined:
            remember_load(s, root, fingerprint)
    _report(report, check)


def register(app: typer.Typer) -> None:
    """Add the ``data`` commands (load, fetch, status) to ``app``."""
    data_app = typer.Typer(help="Load, fetch and inspect data.", no_args_is_help=True)

    @data_app.command("load")
    def load(
        from_: Annotated[Optional[Path], typer.Option("--from", help="Data folder laid out like ../shared/data.")] = None,
        file: Annotated[Optional[Path], typer.Option("--file", help="Load one file (with --source).")] = None,
        source: Annotated[Optional[str], typer.Option("--source", help="Reader for --file: local-csv, fingertips-csv, ...")] = None,
        replace: Annotated[bool, typer.Option("--replace", help="Accept a new version of a stored file that "
                                              "removes areas, periods or more than 10% of its rows.")] = False,
        check: Annotated[bool, typer.Option("--check", help="Validate and print what would change "
                                            "(new, replaced with row/area/period differences, unchanged); "
                                            "write nothing.")] = False,
        lenient: Annotated[bool, typer.Option("--lenient", help="Keep going past bad rows: they go to the "
                                              "store's quarantine table, with counts reported.")] = False,
        store: StoreOpt = None,
    ) -> None:
        """Read every known folder (or one file) and import it in one all-or-nothing transaction.

        The load writes a copy of the store and swaps it in when done, so reads keep working
        from the previous store meanwhile; a reload where no file changed reads nothing.
        """
        from ..sources import read_file_as
        from ..store import default_data_dir, default_store_path, writing_copy

        if file is None:
            _load_tree(store, from_ or default_data_dir(), replace=replace, check=check, lenient=lenient)
            return
        batch = read_file_as(file, source, lenient=lenient)
        with writing_copy(store or default_store_path(), keep=not check) as s:
            report = s.import_batches([batch], replace=replace, check=check)
        _report(report, check)

    @data_app.command("quarantine")
    def quarantine(
        store: StoreOpt = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Rows refused by a '--lenient' load: file, line, field, value and what was expected."""
        with open_for_read(store) as s:
            df = s.quarantine()
        emit(df, fmt, title="Quarantined rows")

    @data_app.command("fetch")
    def fetch(
        cache: Annotated[Path, typer.Option("--cache", envvar="PLACEIMPACT_CACHE",
                                            help="Folder the files are kept in (laid out like ../shared/data).",
                                            callback=V.out_dir)]
        = Path("placeimpact-data"),
        mirror: Annotated[Optional[Path], typer.Option("--mirror", help="Read the same layout from this folder "
                                                       "instead of the internet.", callback=V.existing_dir)] = None,
        dataset: Annotated[Optional[list[str]], typer.Option("--dataset", "-d", help="ONS Explore Local Statistics "
                                                             "dataset (repeat; default: all known).", callback=V.text)] = None,
        no_ons: Annotated[bool, typer.Option("--no-ons", help="Fetch no ONS datasets.")] = False,
        indicator: Annotated[Optional[list[int]], typer.Option("--indicator", "-i", help="Fingertips indicator id "
                                                               "(repeat).", min=1)] = None,
        area_type: Annotated[Optional[list[int]], typer.Option("--area-type", help="Fingertips child area type id "
                                                               "(repeat; default 502, upper-tier LAs).", min=1)] = None,
        ons_base: Annotated[Optional[str], typer.Option("--ons-base", help="Base URL of the ONS files.", callback=V.url)] = None,
        fingertips_base: Annotated[Optional[str], typer.Option("--fingertips-base", help="Fingertips API root.",
                                                                           callback=V.url)] = None,
        timeout: Annotated[float, typer.Option(help="Seconds before a request times out.", callback=V.positive)] = 30.0,
        retries: Annotated[int, typer.Option(help="Retries of a failed request (exponential backoff).", min=0, max=20)] = 3,
        backoff: Annotated[float, typer.Option(help="First wait between retries, seconds (doubles).", min=0.0, max=600.0)] = 0.5,
        load: Annotated[bool, typer.Option("--load/--no-load", help="Load the cache into the store afterwards.")] = True,
        store: StoreOpt = None,
    ) -> None:
        """Download ONS Explore Local Statistics files and Fingertips indicators, then load them."""
        from ..sources import fetch as F
        from ..sources._http import RetryPolicy

        items = F.plan(datasets=[] if no_ons else dataset, indicators=indicator or (), area_types=area_type or (502,),
                       ons_base=ons_base or F.ONS_BASE, fingertips_base=fingertips_base or F.FINGERTIPS_BASE)
        with _bar() as bar:
            task = bar.add_task("fetching", total=len(items))

            def tick(item: F.FetchItem, status: str) -> None:
                bar.update(task, advance=1, description=f"{status} {item.relpath}")

            report = F.fetch(cache, items=items, mirror=mirror, timeout=timeout,
                             retry=RetryPolicy(retries=retries, backoff=backoff), progress=tick)
        console.print(report.summary())
        if load:
            _load_tree(store, cache)

    @data_app.command("status")
    def status(
        by: Annotated[StatusBy, typer.Option("--by", help="One row per data folder or per source (reader).")]
        = StatusBy.folder,
        store: StoreOpt = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """What the store holds, per data folder (files, rows, periods, last import) or per source."""
        with open_for_read(store) as s:
            df = s.folder_status() if by == StatusBy.folder else s.status()
        emit(df, fmt, title=f"Store status by {by.value}")

    app.add_typer(data_app, name="data")
