"""The ``placeimpact`` command line: thin shells over library calls.

Each module here registers its commands on :data:`app` through ``register(app)``;
``--store PATH`` (or ``$PLACEIMPACT_STORE``) and ``--format table|csv|json`` are common.
"""

from __future__ import annotations

import importlib
import sys

import typer

from ..errors import PlaceImpactError

app = typer.Typer(
    name="placeimpact",
    help="Did this place's reform change outcomes? Load public indicator data, compare an area with "
    "England and its statistical neighbours, and evaluate a reform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# command modules, in help order; each defines register(app)
_MODULES = ("data", "explore", "stats", "neighbours", "evaluate", "screen")
for _name in _MODULES:
    importlib.import_module(f"{__name__}.{_name}").register(app)


def main() -> None:
    """Entry point: library errors become one clear line on stderr and exit code 2."""
    try:
        app(standalone_mode=False)
    except PlaceImpactError as exc:
        from rich.console import Console

        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {exc}", markup=True)
        sys.exit(2)
    except (typer.Exit,) as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
