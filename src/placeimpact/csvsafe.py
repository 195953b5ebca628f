"""The one CSV writer: every CSV placeimpact writes goes through here (CSV/formula injection guard).

A spreadsheet opening a CSV runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or carriage return) as a formula: an indicator name such as
``=HYPERLINK("http://...")`` or ``-2+3+cmd|' /C calc'!A0`` would become a live link or a
command. Following the OWASP rule, such text cells are written with a leading single quote
(``'=HYPERLINK(...)``), which spreadsheets show as text. Numbers stay numbers: a float or int
is never touched, and neither is text that is a plain decimal number (``-1.5``, ``+3``,
``-2e-3``), which a spreadsheet reads as that number and never as a formula.

Use :func:`write_csv` for a data frame (a path or an open text stream), :func:`csv_text` for
a download body, and :class:`SafeWriter` for plain rows (no pandas needed).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TRIGGERS", "safe_cell", "safe_frame", "write_csv", "csv_text", "SafeWriter"]

#: first characters that make a spreadsheet evaluate a cell (OWASP CSV injection)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text starting with a formula trigger gets a leading ``'``; anything else unchanged.

    Leading spaces are looked through (``"  =1+1"`` is a formula to some spreadsheets); text
    that is a plain number (``"-1.5"``) is left alone.
    """
    if not isinstance(value, str) or not value:
        return value
    head = value.lstrip(" ")
    if head[:1] in TRIGGERS and head[:1] != "" and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def safe_frame(df: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of ``df`` with every text cell (and column name) made safe; numeric columns are not touched."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) \
                or pd.api.types.is_bool_dtype(s):
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        out[col] = s.map(safe_cell, na_action="ignore")
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(df: "pd.DataFrame", target: str | Path | IO[str], **kwargs: Any) -> None:
    """``df.to_csv(target, index=False, **kwargs)`` with every text cell neutralised (see :func:`safe_cell`)."""
    kwargs.setdefault("index", False)
    safe_frame(df).to_csv(target, **kwargs)


def csv_text(df: "pd.DataFrame", **kwargs: Any) -> str:
    """The safe CSV of ``df`` as a string (a web download's body)."""
    buf = io.StringIO()
    write_csv(df, buf, **kwargs)
    return buf.getvalue()


class SafeWriter:
    """:func:`csv.writer` whose rows pass through :func:`safe_cell` (for plain rows, without pandas)."""

    def __init__(self, stream: IO[str], **kwargs: Any) -> None:
        self._w = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for r in rows:
            self.writerow(r)
