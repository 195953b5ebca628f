"""The ``placeimpact`` command line: thin shells over library calls.

Each module here registers its commands on :data:`app` through ``register(app)``;
``--store PATH`` (or ``$PLACEIMPACT_STORE``) and ``--format table|csv|json`` are common.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import PlaceImpactError

if TYPE_CHECKING:
    import typer

# command modules, in help order; each defines register(app)
_MODULES = ("data", "explore", "stats", "neighbours", "evaluate", "screen", "serve")

#: top-level commands whose module is known: ``main`` then imports only that module, so a
#: light command (``series``) does not pay for the imports of every other command
_COMMAND_MODULE = {"data": "data", "areas": "explore", "indicators": "explore", "series": "explore"}


def build_app(modules: Sequence[str] = _MODULES) -> typer.Typer:
    """A Typer app with the commands of ``modules`` registered."""
    import typer

    new = typer.Typer(
        name="placeimpact",
        help="Did this place's reform change outcomes? Load public indicator data, compare an area with "
        "England and its statistical neighbours, and evaluate a reform.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name in modules:
        importlib.import_module(f"{__name__}.{name}").register(new)
    return new


def __getattr__(name: str) -> Any:
    """``app`` (every command) is built on first use (PEP 562)."""
    if name == "app":
        value = globals()["app"] = build_app()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point: library errors become one clear line on stderr and exit code 2.

    Output piped into a reader that stops early (``| head``) ends quietly, as Unix tools do.
    """
    try:
        _main()
        sys.stdout.flush()
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
        sys.exit(141)


def _main() -> None:
    first = sys.argv[1] if len(sys.argv) > 1 else None
    try:
        if first == "series":  # fast path: no Typer, no pandas (see _fast)
            from ._fast import try_series

            if try_series(sys.argv[2:]):
                return
    except PlaceImpactError as exc:
        _fail(exc)
    import typer

    app = build_app([_COMMAND_MODULE[first]]) if first in _COMMAND_MODULE else build_app()
    try:
        app(standalone_mode=False)
    except PlaceImpactError as exc:
        _fail(exc)
    except (typer.Exit,) as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors (Typer >= 0.2x vendors click as typer._click)
        import click

        vendored = getattr(getattr(getattr(typer, "_click", None), "exceptions", None), "ClickException", None)
        if isinstance(exc, tuple(t for t in (click.ClickException, vendored) if t is not None)):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        raise


#: how the command line says the library's advice (:attr:`PlaceImpactError.option` / ``.action``)
_OPTION_WORDS = {
    "area": "pass --area", "reform_start": "pass --reform-start", "cutoff": "pass --cutoff",
    "comparators": "choose the comparators: --group imported, computed, all or a group id; "
                   "'comparators:' in a framework",
}
_ACTION_WORDS = {
    "search_areas": "Search with 'placeimpact areas search TEXT'.",
    "list_indicators": "List them with 'placeimpact indicators list'.",
}


def cli_message(exc: PlaceImpactError) -> str:
    """The library's message with its advice worded for the command line."""
    msg = str(exc)
    option = _OPTION_WORDS.get(exc.option or "")
    if option and option not in msg:
        msg = f"{msg.rstrip('.')} ({option})"
    action = _ACTION_WORDS.get(exc.action or "")
    return f"{msg} {action}" if action else msg


def _fail(exc: PlaceImpactError) -> None:
    """One clear line on stderr, exit code 2."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(cli_message(exc))}",
                                                                markup=True)
    sys.exit(2)
