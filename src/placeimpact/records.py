"""Canonical records: what every reader in :mod:`placeimpact.sources` produces.

A reader turns one file (or one dataset: a CSV and its JSON metadata) into a
:class:`Batch` of pandas frames whose columns are exactly those below. Readers know
nothing of DuckDB; :mod:`placeimpact.store` writes batches in one transaction.

Column meanings follow ``DESIGN.md``. Missing numbers are NaN; missing text is None.
``sex`` is ``Persons``, ``Male`` or ``Female``; ``age`` is ``All ages`` unless the
source breaks the indicator down by age; ``category`` is ``""`` unless the source
breaks it down otherwise (deprivation decile, ethnic group, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Literal

from ._lazy import lazy_module
from .errors import InputError
from .periods import PeriodParseError, parse_period

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # deferred: the store (and so the command line) imports this module on every start
    np, pd = lazy_module("numpy"), lazy_module("pandas")

__all__ = [
    "Batch",
    "INDICATOR_COLUMNS",
    "OBSERVATION_COLUMNS",
    "AREA_COLUMNS",
    "GROUP_COLUMNS",
    "VALUE_TYPES",
    "POLARITIES",
    "ValueType",
    "Polarity",
    "indicator_frame",
    "observation_frame",
    "area_frame",
    "group_frame",
    "to_number",
    "add_periods",
    "check_ci_order",
    "check_unique",
    "check_columns",
    "read_text_csv",
]

ValueType = Literal["proportion", "crude_rate", "dsr", "life_expectancy", "mean", "count", "index", "ratio"]
Polarity = Literal["high_is_good", "low_is_good", "no_judgement"]
VALUE_TYPES: tuple[str, ...] = ValueType.__args__  # type: ignore[attr-defined]
POLARITIES: tuple[str, ...] = Polarity.__args__  # type: ignore[attr-defined]

INDICATOR_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",            # e.g. "ons-els:preventable-cardiovascular-mortality-england" or "fingertips:93722"
    "source": "VARCHAR",        # reader name, e.g. "ons-els"
    "source_id": "VARCHAR",     # the source's own id (Fingertips IndicatorID, ONS dataset slug, column code)
    "name": "VARCHAR",
    "unit": "VARCHAR",          # e.g. "per 100,000", "%", "years"
    "value_type": "VARCHAR",    # one of VALUE_TYPES
    "multiplier": "DOUBLE",     # 100 for percentages, 100000 for rates per 100,000, 1 otherwise
    "polarity": "VARCHAR",      # one of POLARITIES; unknown -> no_judgement
    "period_kind": "VARCHAR",   # annual, rolling, financial, academic, ...
    "ci_method": "VARCHAR",     # wilson, byar, dobson, t, published, none
    "concept": "VARCHAR",       # shared key linking the same concept across sources, e.g. "healthy-life-expectancy"
    "description": "VARCHAR",
    "collection": "VARCHAR",    # survey (national sample survey) | own-survey | None (see placeimpact.experience)
}

OBSERVATION_COLUMNS: dict[str, str] = {
    "indicator_id": "VARCHAR",
    "area_code": "VARCHAR",
    "sex": "VARCHAR",
    "age": "VARCHAR",
    "category": "VARCHAR",
    "period_start": "DATE",
    "period_end": "DATE",
    "period_label": "VARCHAR",
    "value": "DOUBLE",
    "lci95": "DOUBLE",
    "uci95": "DOUBLE",
    "lci998": "DOUBLE",
    "uci998": "DOUBLE",
    "count": "DOUBLE",
    "denominator": "DOUBLE",
    "ci_origin": "VARCHAR",     # published | computed | None (no CI)
    "note": "VARCHAR",
}
OBSERVATION_KEY = ("indicator_id", "area_code", "sex", "age", "category", "period_label")

AREA_COLUMNS: dict[str, str] = {
    "code": "VARCHAR",
    "name": "VARCHAR",
    "area_type": "VARCHAR",      # country, region, county, unitary, metropolitan_district, london_borough, district, ...
    "upper_tier": "BOOLEAN",
    "lower_tier": "BOOLEAN",
    "parent_code": "VARCHAR",
    "region_code": "VARCHAR",
    "valid_from": "DATE",
    "valid_to": "DATE",
    "replaced_by": "VARCHAR",    # successor code(s), comma separated
}

GROUP_COLUMNS: dict[str, str] = {
    "group_id": "VARCHAR",       # e.g. "oflog-nn", "cipfa-2019", "computed:..."
    "kind": "VARCHAR",           # imported | computed | user
    "focal_area": "VARCHAR",
    "member_area": "VARCHAR",
    "rank": "INTEGER",
    "distance": "DOUBLE",
    "source": "VARCHAR",
}


_EMPTY: dict[tuple, pd.DataFrame] = {}


def _frame(columns: dict[str, str], data: pd.DataFrame | None) -> pd.DataFrame:
    """``data``'s columns of ``columns`` (in that order, dtypes kept), missing ones empty (NaN or None)."""
    if data is None or not len(data.columns):
        key = tuple(columns.items())
        if key not in _EMPTY:
            _EMPTY[key] = pd.DataFrame({col: pd.Series(dtype=float if typ == "DOUBLE" else object)
                                        for col, typ in columns.items()})
        return _EMPTY[key].copy()
    out = pd.DataFrame({col: data[col] if col in data.columns else (np.nan if typ == "DOUBLE" else None)
                        for col, typ in columns.items()}, index=data.index)
    return out.reset_index(drop=True)


def indicator_frame(data: pd.DataFrame | Iterable[dict] | None = None) -> pd.DataFrame:
    """Indicators with exactly :data:`INDICATOR_COLUMNS` (missing columns filled)."""
    df = pd.DataFrame(list(data)) if data is not None and not isinstance(data, pd.DataFrame) else data
    out = _frame(INDICATOR_COLUMNS, df)
    out["polarity"] = out["polarity"].fillna("no_judgement")
    out["multiplier"] = out["multiplier"].fillna(1.0).astype(float)
    if len(out):
        from .experience import collection_of

        out["collection"] = out["collection"].where(out["collection"].notna(), out["id"].map(collection_of))
    return out


def observation_frame(data: pd.DataFrame) -> pd.DataFrame:
    """Observations with exactly :data:`OBSERVATION_COLUMNS`; defaults for sex, age, category."""
    out = _frame(OBSERVATION_COLUMNS, data)
    out["sex"] = out["sex"].fillna("Persons")
    out["age"] = out["age"].fillna("All ages")
    out["category"] = out["category"].fillna("")
    for c in ("value", "lci95", "uci95", "lci998", "uci998", "count", "denominator"):
        if out[c].dtype != np.float64:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    has_ci = out["lci95"].notna() & out["uci95"].notna()
    out["ci_origin"] = out["ci_origin"].where(out["ci_origin"].notna(), np.where(has_ci, "published", None))
    for extra in ("_line", "_file"):        # kept for the validation layer's messages; never stored
        if extra in data.columns:
            out[extra] = data[extra].to_numpy()
    return out


def area_frame(data: pd.DataFrame | Iterable[dict]) -> pd.DataFrame:
    """Areas as a frame with the store's area columns and types."""
    df = pd.DataFrame(list(data)) if not isinstance(data, pd.DataFrame) else data
    return _frame(AREA_COLUMNS, df)


def group_frame(data: pd.DataFrame | Iterable[dict]) -> pd.DataFrame:
    """Comparator-group rows as a frame with the store's group columns and types."""
    df = pd.DataFrame(list(data)) if not isinstance(data, pd.DataFrame) else data
    return _frame(GROUP_COLUMNS, df)


def sha256_of(files: Iterable[Path]) -> str:
    """The provenance digest of an import unit: SHA-256 over the SHA-256 of each of its files, in order."""
    import hashlib

    h = hashlib.sha256()
    for f in files:
        h.update(hashlib.sha256(Path(f).read_bytes()).hexdigest().encode())
    return h.hexdigest()


def observation_table(obs: pd.DataFrame) -> object:
    """The observations' :data:`OBSERVATION_COLUMNS` as an Arrow table (DuckDB scans it faster than a pandas
    frame), or as a frame where Arrow cannot take a column."""
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(obs[list(OBSERVATION_COLUMNS)], preserve_index=False, nthreads=1)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return obs[list(OBSERVATION_COLUMNS)]


@dataclass
class Batch:
    """What one reader produced from one import unit (a file, or a CSV with its metadata).

    ``files`` are the files read, for provenance (their SHA-256 is stored); ``key`` is
    the stable name of the unit (relative path under the data folder), so that a new
    version of the same file replaces the old one instead of duplicating it.
    """

    source: str
    key: str
    files: list[Path]
    indicators: pd.DataFrame = field(default_factory=lambda: indicator_frame(None))
    observations: pd.DataFrame = field(default_factory=lambda: observation_frame(pd.DataFrame()))
    areas: pd.DataFrame = field(default_factory=lambda: area_frame([]))
    groups: pd.DataFrame = field(default_factory=lambda: group_frame([]))
    version: str | None = None
    #: rows of the file deliberately not imported, by reason (reported by ``data status``)
    dropped: dict[str, int] = field(default_factory=dict)
    #: map layers published with the data: name -> TopoJSON text, stored as is (``boundaries`` table)
    boundaries: dict[str, str] = field(default_factory=dict)
    #: rows refused by the validation layer under ``--lenient`` (file, line, field, value, expected, message)
    quarantine: pd.DataFrame | None = None
    #: set by the validation layer; the store validates a batch that has not been (every path in)
    validated: bool = False
    #: the files' provenance digest (:func:`sha256_of`) where the reading process computed it (the reading
    #: processes of :func:`placeimpact.sources.read_tree` do); else the store computes it
    sha256: str | None = field(default=None, repr=False, compare=False)

    @property
    def rows(self) -> int:
        return len(self.observations) + len(self.groups) + len(self.areas)


# ---------------------------------------------------------------------------
# vectorised validation helpers (line numbers: header is line 1, first data row line 2)
# ---------------------------------------------------------------------------

#: cells meaning "no value" in the real files; "NaN"/"nan" are not among them (issue 11: never a value, and
#: no real file writes them), so they are refused as not finite
MISSING_TOKENS = frozenset({"", "NA", "N/A", "na", "n/a", ":", "..", "-", "x", "*", "c", "u", "z", "null", "NULL"})


def read_text_csv(path: Path, *, required: Iterable[str] = (), encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Read a CSV as text (every column ``str``), BOM-aware, with clear errors.

    Raises :class:`InputError` for an empty file, undecodable bytes, a ragged or
    truncated row, or missing required columns. Keeps a ``_line`` column with each
    row's physical line number (assuming no embedded newlines before it).
    """
    path = Path(path)
    raw = path.read_bytes()
    required = list(required)
    if not raw.strip():
        raise InputError("the file is empty", path=path, line=1, field=required[0] if required else None,
                         expected="a header line and at least one data row")
    if b"\x00" in raw[:65536]:
        k = raw.index(b"\x00")
        raise InputError("the file is binary, not CSV text", path=path, line=raw[:k].count(b"\n") + 1,
                         expected="a UTF-8 CSV text file", got=raw[max(0, k - 4): k + 4].hex(" "),
                         hint="Export the data as CSV")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            "the file is not valid UTF-8", path=path, line=line, field=_field_at(raw, exc.start, encoding),
            expected="UTF-8 text (with or without a byte-order mark)",
            got=raw[exc.start: exc.start + 8].hex(" "),
            hint="Re-save the file as UTF-8",
        ) from None
    import io
    import csv as _csv
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise InputError("the file has no header", path=path, expected="a header line") from None
    except (pd.errors.ParserError, _csv.Error) as exc:
        msg = str(exc)
        import re as _re
        m = _re.search(r"line (\d+)", msg)
        raise InputError(
            "a row has the wrong number of fields (truncated or ragged file)",
            path=path, line=int(m[1]) if m else None,
            expected="the same number of fields as the header", got=msg,
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    check_columns(df, required, path=path)
    if df.empty:
        raise InputError("the file has a header but no data rows", path=path, line=2,
                         field=str(df.columns[0]) if len(df.columns) else None, expected="at least one data row")
    df["_line"] = np.arange(2, len(df) + 2)
    if not _every_record_full(raw, len(df.columns) - 1):
        _check_short_rows(text, len(df.columns) - 1, list(df.columns), path)
    return df


_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13


def _every_record_full(raw: bytes, ncols: int) -> bool:
    """Whether every non-blank record of a well-formed CSV has at least ``ncols`` fields, found with a few
    array passes over the bytes instead of Python's ``csv`` module.

    It answers yes only where it can be sure the ``csv`` module would count the same fields: no NUL
    and no carriage return outside a CR LF line end, no record longer than the module's field limit,
    and every quote opening a field (after a comma, a line end or another quote) and closing one
    (before a comma, a line end or another quote), so that the number of quotes before a comma or line
    end says whether it is inside a field. Anything else, and any short record, is left to
    :func:`_check_short_rows` (which names the line and field).
    """
    import csv

    offset = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    if len(raw) <= offset or raw.find(b"\x00", offset) != -1:
        return False
    b = np.frombuffer(raw, dtype=np.uint8, offset=offset)
    if b"\r" in raw:
        cr = np.flatnonzero(b == _CR)
        if cr[-1] == len(b) - 1 or (b[cr + 1] != _LF).any():
            return False
    quotes = np.flatnonzero(b == _QUOTE)
    lf, commas = np.flatnonzero(b == _LF), np.flatnonzero(b == _COMMA)
    if len(quotes):
        if len(quotes) % 2:                              # a quoted field never closed
            return False
        opening, closing = quotes[0::2], quotes[1::2]    # quotes alternate, opening first
        before = b[np.maximum(opening - 1, 0)]
        before[opening == 0] = _LF
        after = b[np.minimum(closing + 1, len(b) - 1)]
        after[closing == len(b) - 1] = _LF
        if not (np.isin(before, (_COMMA, _LF, _QUOTE)).all() and np.isin(after, (_COMMA, _LF, _CR, _QUOTE)).all()):
            return False
        lf = lf[(np.searchsorted(quotes, lf, side="right") & 1) == 0]            # outside quoted fields
        commas = commas[(np.searchsorted(quotes, commas, side="right") & 1) == 0]
    ends = lf if len(lf) and lf[-1] == len(b) - 1 else np.append(lf, len(b))    # the last line may lack its end
    starts = np.concatenate(([0], ends[:-1] + 1))
    if int((ends - starts).max()) > csv.field_size_limit():
        return False                                     # a field may be longer than the csv module allows
    widths = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    length = ends - starts - (b[np.clip(ends - 1, 0, len(b) - 1)] == _CR)
    widths[length <= 0] = 0                              # a blank line is no record
    return bool(((widths == 0) | (widths >= ncols)).all())


def _check_short_rows(text: str, ncols: int, columns: list, path: Path) -> None:
    """Raise on the first record with fewer fields than the header (pandas pads those silently)."""
    import csv as _csv
    import io

    try:
        widths = np.fromiter(map(len, _csv.reader(io.StringIO(text))), dtype=np.int64)
    except _csv.Error as exc:       # a stray carriage return or NUL inside a field, or a huge field
        reader = _csv.reader(io.StringIO(text))
        try:
            for _ in reader:
                pass
        except _csv.Error:
            pass
        if "field larger than" in str(exc):
            raise InputError("a field is too long", path=path, line=reader.line_num or None,
                             expected=f"fields of at most {_csv.field_size_limit():,} characters",
                             got=str(exc)[:80]) from None
        raise InputError("a field holds a stray line break or control character", path=path,
                         line=reader.line_num or None, expected="one record per line (quote fields with line breaks)",
                         got=str(exc)[:80]) from None
    short = (widths > 0) & (widths < ncols)
    if not short.any():
        return
    k = int(np.flatnonzero(short)[0])
    reader = _csv.reader(io.StringIO(text))
    for _ in range(k + 1):
        next(reader)
    w = int(widths[k])
    raise InputError("a row has fewer fields than the header (truncated or ragged file)", path=path,
                     line=reader.line_num, field=str(columns[w]), expected=f"{ncols} fields as in the header",
                     got=f"{w} fields", hint="The file may have been cut off; download or export it again")


def _field_at(raw: bytes, pos: int, encoding: str) -> str | None:
    """Name of the CSV column holding byte ``pos`` (for an undecodable byte), from the header."""
    import csv as _csv

    start = raw.rfind(b"\n", 0, pos) + 1
    header = raw.split(b"\n", 1)[0].decode(encoding, errors="replace").lstrip("\ufeff")
    cols = next(_csv.reader([header]), [])
    before = raw[start:pos].decode(encoding, errors="replace")
    try:
        k = len(next(_csv.reader([before + "x"]), [""])) - 1
    except _csv.Error:          # a carriage return or other control byte inside the line
        return None
    return cols[k].strip() if 0 <= k < len(cols) else None


def check_columns(df: pd.DataFrame, required: Iterable[str], *, path: Path | str) -> None:
    """Raise an InputError naming the file when a required column is missing."""
    cols = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in cols]
    if missing:
        raise InputError(
            "the header lacks required columns", path=path, line=1, field=missing[0],
            expected=f"columns {', '.join(required)}", got=",".join(cols)[:200],
        )


def to_number(
    values: pd.Series,
    *,
    path: Path | str,
    field: str,
    lines: pd.Series | np.ndarray | None = None,
    missing: frozenset[str] = MISSING_TOKENS,
) -> np.ndarray:
    """Strings to float, strictly (:func:`placeimpact.sources.validate.parse_numbers`): tokens in
    ``missing`` become NaN; commas, inf/NaN words, overflowing numbers and any other text raise."""
    from .sources.validate import parse_numbers

    return parse_numbers(values, path=path, field=field, lines=lines, missing=missing)


def add_periods(obs: pd.DataFrame, labels: pd.Series, *, path: Path | str, field: str,
                lines: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """Set period_label, period_start, period_end from labels (parsing each distinct label once)."""
    labels = labels.astype(str).str.strip()
    parsed = {}
    for lab in labels.unique():
        try:
            parsed[lab] = parse_period(lab)
        except PeriodParseError as exc:
            i = int(np.flatnonzero((labels == lab).to_numpy())[0])
            line = int(np.asarray(lines)[i]) if lines is not None else i + 2
            raise InputError("a period is not in a known form", path=path, line=line, field=field,
                             expected="a period such as 2011, 2017/18, 2015 - 17 or 2001-01-01/P3Y",
                             got=lab) from exc
    obs["period_label"] = labels.to_numpy()
    codes, uniques = pd.factorize(labels)          # each distinct label's dates once, then spread by code
    for col, attr in (("period_start", "start"), ("period_end", "end")):
        dates = np.array([pd.Timestamp(getattr(parsed[u], attr)).date() for u in uniques] + [pd.NaT], dtype=object)
        obs[col] = dates[codes]
    return obs


def check_ci_order(obs: pd.DataFrame, *, path: Path | str, lines: np.ndarray | pd.Series | None = None,
                   lower: str = "lci95", upper: str = "uci95", tol: float = 1e-9,
                   on_error: Literal["raise", "drop"] = "raise") -> int:
    """Check lower <= value <= upper for every row.

    ``on_error="raise"`` (user files): raise :class:`InputError` at the first bad row.
    ``on_error="drop"`` (an official publication with known slips, e.g. a limit rounded
    past its value): blank both limits of the bad rows, set their note to say so, and
    return how many rows were affected, so nothing inconsistent is used silently.
    """
    if on_error not in ("raise", "drop"):
        raise ValueError(f"on_error must be 'raise' or 'drop', got {on_error!r}")
    v = obs["value"].to_numpy(dtype=float)
    if on_error == "drop":
        from .sources.validate import allowed_ci_slips, is_lenient

        lo = obs[lower].to_numpy(dtype=float)
        hi = obs[upper].to_numpy(dtype=float)
        scale = tol * np.maximum(1, np.abs(v))
        bad = np.nan_to_num((lo > v + scale) | (hi < v - scale), nan=False).astype(bool)
        ids = obs["indicator_id"].to_numpy() if "indicator_id" in obs.columns else None
        unexplained = bad & ~allowed_ci_slips(ids, v, lo, hi)
        if unexplained.any() and not is_lenient():   # damage, not a rounding or publication slip: refuse
            return check_ci_order(obs[unexplained], path=path, lower=lower, upper=upper, tol=tol,
                                  lines=np.asarray(lines)[unexplained] if lines is not None else None)
        bad &= ~unexplained          # (lenient) left for the validation layer to quarantine
        if bad.any():
            obs.loc[bad, [lower, upper]] = np.nan
            obs.loc[bad, "note"] = "published confidence limits inconsistent with the value; limits not used"
        return int(bad.sum())
    for col, bad in (
        (lower, obs[lower].to_numpy(dtype=float) > v + tol * np.maximum(1, np.abs(v))),
        (upper, obs[upper].to_numpy(dtype=float) < v - tol * np.maximum(1, np.abs(v))),
    ):
        bad = np.nan_to_num(bad, nan=False).astype(bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            line = int(np.asarray(lines)[i]) if lines is not None else i + 2
            rel = "at or below" if col == lower else "at or above"
            raise InputError("a confidence limit is on the wrong side of the value", path=path, line=line,
                             field=col, expected=f"{col} {rel} the value {v[i]:g}",
                             got=str(obs[col].iloc[i]))
    return 0


def drop_identical_duplicates(df: pd.DataFrame, key: Iterable[str], value_cols: Iterable[str]) -> pd.Series:
    """Mask keeping the first of rows that repeat key *and* values (a publication listing the
    same area under two geography levels, say); conflicting repeats are left for :func:`check_unique`."""
    key = list(key)
    if not df.duplicated(subset=key).any():        # the usual case: no key twice, so nothing to drop
        return pd.Series(True, index=df.index)
    cols = key + list(value_cols)
    return ~df[cols].astype(str).duplicated(keep="first")


def check_unique(df: pd.DataFrame, key: Iterable[str], *, path: Path | str,
                 lines: np.ndarray | pd.Series | None = None, what: str = "row") -> None:
    """Raise on the first duplicated key, naming both lines."""
    key = list(key)
    dup = df.duplicated(subset=key, keep=False).to_numpy()
    if dup.any():
        idx = np.flatnonzero(dup)
        first = idx[0]
        same = df.iloc[idx][key].eq(df.iloc[first][key]).all(axis=1).to_numpy()
        second = idx[same][1]
        ln = np.asarray(lines) if lines is not None else np.arange(2, len(df) + 2)
        desc = ", ".join(f"{k}={df.iloc[first][k]!s}" for k in key)
        raise InputError(f"a duplicated {what} (same {desc}) also appears at line {int(ln[first])}",
                         path=path, line=int(ln[second]), field=key[0],
                         expected="each key once", got=str(df.iloc[second][key[0]]))


def check_area_codes(codes: pd.Series, *, path: Path | str, field: str,
                     lines: np.ndarray | pd.Series | None = None) -> None:
    """Raise on the first value that is not a GSS-style area code (E08000010, E92000001, ...)."""
    from .geography import GSS_CODE

    s = codes.astype(str).str.strip()
    ok = s.str.match(GSS_CODE.pattern)
    if not ok.all():
        i = int(np.flatnonzero(~ok.to_numpy())[0])
        line = int(np.asarray(lines)[i]) if lines is not None else i + 2
        raise InputError("an area code is not a GSS code", path=path, line=line, field=field,
                         expected="a nine-character ONS GSS code such as E08000010",
                         got=str(codes.iloc[i]),
                         hint="Use ONS codes, not names; 'placeimpact areas search NAME' finds them")


def fail_first(path: Path | str, lines: np.ndarray, mask: np.ndarray | pd.Series, msg: str, field: str,
               expected: str, got: pd.Series, hint: str | None = None) -> None:
    """Raise :class:`InputError` for the first row where ``mask`` is true, naming its line, field and value
    (the value cut to 80 characters); do nothing when no row is."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        raise InputError(msg, path=path, line=int(lines[i]), field=field, expected=expected,
                         got=str(got.iloc[i])[:80], hint=hint)


__all__ += ["check_area_codes", "drop_identical_duplicates", "fail_first"]
