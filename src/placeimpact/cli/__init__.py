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
    """Entry point: library errors and bad arguments become one clear line on stderr and exit code 2.

    Output piped into a reader that stops early (``| head``) ends quietly, as Unix tools do.
    Anything unexpected (a bug) is one line too, with exit code 1; set ``PLACEIMPACT_DEBUG=1``
    to see its traceback.
    """
    try:
        _main()
        sys.stdout.flush()
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
        sys.exit(141)
    except KeyboardInterrupt:
        _say("interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except PlaceImpactError as exc:
        _fail(exc)
    except Exception as exc:  # the backstop: arguments are validated before this can happen
        import os

        if os.environ.get("PLACEIMPACT_DEBUG"):
            raise
        _unexpected(exc)


def _main() -> None:
    first = sys.argv[1] if len(sys.argv) > 1 else None
    if first == "series":  # fast path: no Typer, no pandas (see _fast)
        from ._fast import try_series

        if try_series(sys.argv[2:]):
            return
    if first == "screen":  # fast path: the same command without Typer's parsing (see _fast)
        from ._fast import try_screen

        if try_screen(sys.argv[2:]):
            return
    import typer

    app = build_app([_COMMAND_MODULE[first]]) if first in _COMMAND_MODULE else build_app()
    try:
        app(standalone_mode=False)
    except (typer.Exit,) as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors (Typer >= 0.2x vendors click as typer._click)
        import click

        vendored = getattr(getattr(typer, "_click", None), "exceptions", None)
        usage = tuple(t for t in (click.UsageError, getattr(vendored, "UsageError", None)) if t is not None)
        clicks = tuple(t for t in (click.ClickException, getattr(vendored, "ClickException", None)) if t is not None)
        helps = tuple(t for t in (getattr(click.exceptions, "NoArgsIsHelpError", None),
                                  getattr(vendored, "NoArgsIsHelpError", None)) if t is not None)
        if isinstance(exc, usage) and not isinstance(exc, helps):
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "placeimpact"
            _say(f"{where}: {exc.format_message()} (see '{where} --help')")  # type: ignore[attr-defined]
            sys.exit(2)
        if isinstance(exc, clicks):
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


#: a message quotes at most this much of any one word (a 5 MB argument is not echoed back)
_WORD = 120


def _shorten(text: str) -> str:
    import re

    one_line = " ".join(text.split())
    return re.sub(r"\S{%d,}" % (_WORD + 1), lambda m: m.group(0)[:80] + "…", one_line)[:2000]


def _say(message: str) -> None:
    """``error: message`` on stderr, on one line."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(_shorten(message))}",
                                                                markup=True)


def _fail(exc: PlaceImpactError) -> None:
    """One clear line on stderr, exit code 2."""
    _say(cli_message(exc))
    sys.exit(2)


def _unexpected(exc: BaseException) -> None:
    """The backstop for what no check caught: one line, exit code 2 for bad input, 1 for a bug."""
    import csv

    if isinstance(exc, csv.Error):
        _say(f"a CSV file could not be read ({exc}); check the file is a CSV with one record per line")
        sys.exit(2)
    if isinstance(exc, MemoryError):
        _say("out of memory; the input is too large")
        sys.exit(2)
    if isinstance(exc, OSError):
        name = getattr(exc, "filename", None)
        _say(f"{exc.strerror or type(exc).__name__}" + (f": {name}" if name else ""))
        sys.exit(2)
    _say(f"unexpected {type(exc).__name__}: {exc}. This is a bug in placeimpact; please report it with the "
         "command you ran (PLACEIMPACT_DEBUG=1 shows the traceback)")
    sys.exit(1)
