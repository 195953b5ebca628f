"""How numbers and the attribution caveat are written, once for every face (CLI, web, report, library text).

* :func:`number` — a value in a sentence or a report cell: ``1,234``, ``56.7``, ``0.12``, ``0.0034``.
* :func:`significant` — an estimate to a few significant figures without an exponent: ``1,230``, ``0.0123``.
* :func:`cell` — a table cell (CLI tables, web tables, the screen): four significant figures, thousands
  separated; blank when missing.
* :data:`ATTRIBUTION` / :data:`ATTRIBUTION_STATEMENT` — the association-not-causation clause every
  method summary ends with, and the report's paragraph built around it.

No module imports pandas or NumPy here: the CLI's fast path formats with it too.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["number", "significant", "cell", "ATTRIBUTION", "ATTRIBUTION_STATEMENT"]

#: the clause every method's summary ends with
ATTRIBUTION = "this is an association, not proof that the reform caused it"

#: the report's attribution paragraph (``str.format`` with ``area``, ``reform`` and ``comparators``)
ATTRIBUTION_STATEMENT = (
    "These results describe how outcomes in {area} moved after {reform} compared with {comparators}. "
    "They show association, not causation: other things changed over the same years (national policy, "
    "funding, the economy, the pandemic), and no comparison can rule all of them out."
)


def _finite(x: Any) -> float | None:
    """``x`` as a finite float, or None for anything missing (None, NaN, pandas NA, infinities, text)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def number(x: Any, *, missing: str = "n/a") -> str:
    """A value as sentences and reports write it: whole above 1,000, one decimal above 10, two below.

    Values under 0.01 keep two significant figures (``0.0034``); zero is ``0``.
    """
    v = _finite(x)
    if v is None:
        return missing
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:,.1f}"
    if a >= 0.01:
        return f"{v:.2f}"
    return f"{v:.2g}"


def significant(x: Any, digits: int = 3, *, missing: str = "n/a") -> str:
    """``x`` to ``digits`` significant figures with thousands separated and no exponent (``1,230``, ``0.0123``)."""
    v = _finite(x)
    if v is None:
        return missing
    if v == 0:
        return "0"
    mag = int(math.floor(math.log10(abs(v))))
    return f"{v:,.{max(0, digits - 1 - mag)}f}"


def cell(x: Any, *, digits: int = 4, missing: str = "") -> str:
    """A table cell: ``digits`` significant figures, thousands separated (whole numbers from a million)."""
    v = _finite(x)
    if v is None:
        return missing
    return f"{v:,.{digits}g}" if abs(v) < 1e6 else f"{v:,.0f}"
