"""Frames to plain JSON rows: dates as ISO strings, NaN and NA as null, NumPy scalars as Python."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):   # NumPy scalar
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df`` as a list of JSON-ready dicts (a copy; the frame is not changed)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return [{str(k): _plain(v) for k, v in row.items()} for row in out.astype(object).to_dict("records")]
