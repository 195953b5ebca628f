"""Checks of command-line arguments, run before a command does any work.

Each function is a Typer ``callback``: it returns the value unchanged, or raises
:class:`typer.BadParameter`, which :func:`placeimpact.cli.main` prints as one line
(``error: placeimpact screen: Invalid value for '--workers': ...``) with exit code 2.
Numeric ranges that need no code use Typer's ``min=``/``max=`` instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

__all__ = ["MAX_TEXT", "short", "text", "date", "cutoff", "out_dir", "existing_dir", "existing_dirs", "url",
           "positive", "scheduler", "host", "store", "check_listen"]

#: the longest name, id or search text a command accepts (an area name is at most ~60 characters)
MAX_TEXT = 500


def short(value: object, width: int = 80) -> str:
    """``value`` as text of at most ``width`` characters (messages never echo a whole long argument)."""
    s = str(value)
    return s if len(s) <= width else s[: width - 1] + "…"


def text(value: Any) -> Any:
    """A name, id or search text (or a list of them): at most :data:`MAX_TEXT` characters, no control characters."""
    for v in value if isinstance(value, (list, tuple)) else [value]:
        if v is None:
            continue
        if len(v) > MAX_TEXT:
            raise typer.BadParameter(f"is {len(v):,} characters long; expected at most {MAX_TEXT}")
        if any(ord(c) < 32 for c in v):
            raise typer.BadParameter(f"contains a control character; got {short(v)!r}")
    return value


def _date(value: str | None, end: bool, name: str) -> str | None:
    if value is None:
        return value
    text(value)
    from ..errors import InputError
    from ..periods import parse_date

    try:
        parse_date(value, name, end=end)
    except InputError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def date(param: typer.CallbackParam, value: str | None) -> str | None:
    """A reform start: a year, a month or a real ISO date (``2016-02-30`` is refused)."""
    return _date(value, False, param.name or "date")


def cutoff(param: typer.CallbackParam, value: str | None) -> str | None:
    """A cut-off date, checked as :func:`date`."""
    return _date(value, True, param.name or "cutoff")


def out_dir(value: Path | None) -> Path | None:
    """An output folder: created if missing; refused if it is a file or cannot be written."""
    if value is None:
        return value
    text(str(value))
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{short(value)} is a file, not a folder; give a new or existing folder")
    try:
        value.mkdir(parents=True, exist_ok=True)
        import tempfile

        with tempfile.TemporaryFile(dir=value):
            pass
    except OSError as exc:
        raise typer.BadParameter(f"cannot write to {short(value)}: {exc.strerror or type(exc).__name__}") from None
    return value


def existing_dir(value: Path | None) -> Path | None:
    """A folder that must exist."""
    if value is not None and not value.is_dir():
        what = "is a file, not a folder" if value.exists() else "does not exist"
        raise typer.BadParameter(f"{short(value)} {what}")
    return value


def existing_dirs(value: list[Path] | None) -> list[Path] | None:
    """Folders that must exist (a repeatable option)."""
    for v in value or []:
        existing_dir(v)
    return value


def url(value: str | None) -> str | None:
    """An http(s) URL with a host."""
    if value is None:
        return value
    from urllib.parse import urlsplit

    text(value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise typer.BadParameter(f"{short(value)!r} is not a web address; expected e.g. https://example.org/path")
    return value


def positive(value: float | None) -> float | None:
    """A number above zero (a timeout)."""
    if value is not None and not (value > 0 and value < float("inf")):
        raise typer.BadParameter(f"{value} is not a positive number of seconds")
    return value


def _address(value: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    text(value)
    parts = urlsplit(value if "://" in value else f"tcp://{value}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None or not 0 < port < 65536:
        raise typer.BadParameter(f"{short(value)!r} is not a scheduler address; expected e.g. tcp://10.0.0.5:8786")
    return parts.hostname, port


def scheduler(value: str | None) -> str | None:
    """A dask.distributed scheduler address that answers (checked with a 5-second TCP connection)."""
    if value is None:
        return value
    import socket

    host_name, port = _address(value)
    try:
        with socket.create_connection((host_name, port), timeout=5):
            pass
    except OSError as exc:
        reason = exc.strerror or ("timed out" if isinstance(exc, TimeoutError) else type(exc).__name__)
        raise typer.BadParameter(f"no Dask scheduler answers at {short(value)} ({reason}); start one "
                                 "('dask scheduler') or use --dask-local N") from None
    return value


def host(value: str | None) -> str | None:
    """A host name or address this machine can resolve."""
    if value is None:
        return value
    import socket

    text(value)
    try:
        socket.getaddrinfo(value, None)
    except (OSError, UnicodeError):
        raise typer.BadParameter(f"{short(value)!r} is not an address this machine can listen on; "
                                 "expected e.g. 127.0.0.1") from None
    return value


def check_listen(host_name: str, port: int) -> None:
    """BadParameter unless ``host_name:port`` can be bound now (port in use, address not local)."""
    import socket

    try:
        family = socket.getaddrinfo(host_name, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host_name, port))
    except OSError as exc:
        raise typer.BadParameter(f"cannot listen on {short(host_name)}:{port} ({exc.strerror or exc}); "
                                 "choose another --port or --host", param_hint="'--host' / '--port'") from None


def store(value: Path | None) -> Path | None:
    """The store option: a file (existing or to be created), never a folder."""
    if value is None:
        return value
    text(str(value))
    if value.is_dir():
        raise typer.BadParameter(f"{short(value)} is a folder; expected a DuckDB file such as placeimpact.duckdb")
    if os.sep in str(value) and not value.parent.exists():
        raise typer.BadParameter(f"the folder of {short(value)} does not exist")
    return value
