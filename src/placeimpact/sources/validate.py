"""One validation layer for every reader: numbers, limits, ranges, periods, dates, area codes.

Every batch a reader produces passes through :func:`validate_batch` (called by
:func:`placeimpact.sources.read_tree` and :func:`placeimpact.sources.read_file_as`), and every
number a reader parses goes through :func:`parse_numbers` (``records.to_number``). The rules:

* **Numbers** are plain decimals (``-12``, ``3.5``, ``.5``, ``1e-3``). No thousands or decimal
  commas are guessed (``61,3`` and ``1,234`` are refused), and ``inf``, ``Infinity``, ``NaN`` or
  a number too large for a double (``-1e400``) is never a value. A missing value is one of the
  reader's missing tokens (empty, ``NA``, ``:``, ``x``, ...).
* **Confidence limits** lie around the value (lower <= value <= upper), for 95% and 99.8%
  limits. Known slips in official publications are listed in :data:`CI_SLIPS` (indicator id ->
  why): there the limits are blanked, the row's note says so, and the count is reported with
  the batch's ``dropped`` rows; a slip anywhere else stops the import.
* **Plausible ranges** by value type (:data:`RANGES`): a proportion between 0 and its
  multiplier (0-100 for a percentage), a rate or standardised rate not below 0, a life
  expectancy above 0 and at most 125 years. Counts, means, indices and ratios may be negative
  (net additions to housing, emissions balances, a gap in life expectancy in years).
  Counts and denominators themselves are never negative.
* **Periods**: one canonical key, the (start, end) dates, so two spellings of one period
  (``2011-13`` and ``2011-01-01/P3Y``; ``2016`` and ``2016-01-01/P1Y``) are the same period and
  a second row for it is refused. A period may not start after today plus the source's
  horizon (:data:`HORIZON_DAYS`, default one year): no observed data from 2091.
* **Area codes** must be GSS-shaped (each reader checks) and, when the area register is loaded,
  local-authority codes must be in it or declared by an official source (the ONS boundaries):
  checked by the store, which knows the register (:meth:`placeimpact.store.Store.import_batches`).

A failing row stops the import with one :class:`~placeimpact.errors.InputError` naming file,
line, field, value and what was expected. With ``lenient`` (``data load --lenient``) the failing
rows are taken out into ``batch.quarantine`` instead, and the store keeps them in its
``quarantine`` table, with counts reported by the load: never silently.
"""

from __future__ import annotations

import contextvars
import json
import re
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["parse_numbers", "validate_batch", "lenient_mode", "CI_SLIPS", "RANGES", "HORIZON_DAYS",
           "QUARANTINE_COLUMNS", "NUMBER_PATTERN", "LA_PREFIXES"]

#: a plain decimal number, optionally with an exponent; no commas, no inf/nan words
NUMBER_PATTERN = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")

#: indicator id -> why its published limits sometimes miss the value (limits blanked, counted)
CI_SLIPS: dict[str, str] = {
    "fingertips:93124": "FingertipsNext extract: deprivation-decile limits for England published around another value",
    "fingertips:93701": "value rounded to 1 decimal place, limits to 2 (15.6 with upper 15.59)",
    "ons-els:engaged-with-the-arts": "ITL1 rows published with limits of another breakdown",
}

#: value type -> (lowest, highest, expected text); "mult" means the indicator's multiplier
RANGES: dict[str, tuple[float | str, float | str, str]] = {
    "proportion": (0.0, "mult", "a proportion between 0 and {hi:g}"),
    "crude_rate": (0.0, np.inf, "a rate of 0 or more"),
    "dsr": (0.0, np.inf, "a standardised rate of 0 or more"),
    "life_expectancy": (0.0, 125.0, "a life expectancy between 0 and 125 years"),
}

#: source -> days after today that a period may start (published projections); default 366
HORIZON_DAYS: dict[str, int] = {}
DEFAULT_HORIZON_DAYS = 366

#: local-authority code prefixes that the area register lists (others are declared by the data)
LA_PREFIXES = ("E06", "E07", "E08", "E09", "E10", "W06", "S12", "N09")

SLIP_REASON = "confidence limits blanked (rounding or known publication slip)"

QUARANTINE_COLUMNS = ["file", "line", "field", "value", "expected", "message"]

_lenient: contextvars.ContextVar[list | None] = contextvars.ContextVar("placeimpact_lenient", default=None)


@contextmanager
def lenient_mode() -> Iterator[list]:
    """Within the block, unparseable numbers are recorded (and become NaN) instead of raising.

    :func:`validate_batch` with ``lenient=True`` then moves the rows they came from into the
    batch's quarantine. Yields the list of recorded problems (dicts of :data:`QUARANTINE_COLUMNS`).
    """
    token = _lenient.set([])
    try:
        yield _lenient.get()
    finally:
        _lenient.reset(token)


#: largest JSON file a reader accepts (the largest real one, areas.json, is about 3 MB)
MAX_JSON_BYTES = 100_000_000


def load_json(path: Path | str, expected: str, *, what: str = "the file", object_pairs_hook=None) -> object:
    """Parse a JSON file with one clean :class:`InputError` for every kind of damage: empty, binary or
    not UTF-8, too large, invalid JSON (with its line), or nested too deeply."""
    path = Path(path)
    if path.stat().st_size > MAX_JSON_BYTES:
        raise InputError(f"{what} is too large", path=path, expected=f"at most {MAX_JSON_BYTES:,} bytes",
                         got=f"{path.stat().st_size:,} bytes")
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(f"{what} is empty", path=path, expected=expected)
    if b"\x00" in raw[:65536]:
        raise InputError(f"{what} is binary, not JSON text", path=path, expected=expected)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not valid UTF-8", path=path, line=raw[: exc.start].count(b"\n") + 1,
                         expected=expected, got=raw[exc.start: exc.start + 8].hex(" ")) from None
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} is not valid JSON", path=path, line=exc.lineno, expected=expected,
                         got=exc.msg) from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply", path=path, expected=expected) from None


def is_lenient() -> bool:
    """Whether a :func:`lenient_mode` block is active (readers then leave bad rows to the quarantine)."""
    return _lenient.get() is not None


def parse_numbers(values: pd.Series, *, path: Path | str, field: str, lines=None,
                  missing: frozenset[str] = frozenset()) -> np.ndarray:
    """Strings to float, strictly (see the module's rules); ``missing`` tokens become NaN."""
    parsed = _parse_arrow(values, missing)
    if parsed is not None:
        num, ok, is_missing = parsed
    else:
        s = values.astype("string").str.strip()
        is_missing = (s.isna() | s.isin(missing)).to_numpy()
        ok = s.str.fullmatch(NUMBER_PATTERN.pattern).fillna(False).to_numpy(dtype=bool)
        num = np.full(len(s), np.nan)
        with np.errstate(over="ignore"):
            if ok.any():
                num[ok] = pd.to_numeric(s[ok], errors="coerce").to_numpy(dtype=float)
    bad = ~is_missing & (~ok | ~np.isfinite(num))
    if bad.any():
        idx = np.flatnonzero(bad)
        ln = np.asarray(lines) if lines is not None else np.arange(2, len(values) + 2)
        sink = _lenient.get()
        if sink is None or lines is None:
            i = idx[0]
            why, exp = _number_problem(str(values.iloc[i]))
            raise InputError(why, path=path, line=int(ln[i]), field=field, expected=exp, got=str(values.iloc[i])[:80])
        for i in idx:
            why, exp = _number_problem(str(values.iloc[i]))
            sink.append({"file": str(path), "line": int(ln[i]), "field": field, "value": str(values.iloc[i])[:80],
                         "expected": exp, "message": why})
        num[bad] = np.nan
    num[is_missing] = np.nan
    return num


def _parse_arrow(values: pd.Series, missing: frozenset[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(numbers, well formed, missing) of text held by Arrow, with Arrow's own kernels (the same trim,
    pattern and decimal parsing as the pandas route, without a pandas call per step); None for other
    columns, or where Arrow cannot parse a well-formed number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(values.dtype, pd.StringDtype) or values.dtype.storage != "pyarrow":
        return None
    arr = pa.array(values)
    s = pc.utf8_trim_whitespace(arr)
    is_missing = pc.or_(pc.is_null(s), pc.is_in(s, value_set=pa.array(sorted(missing), type=s.type)))
    ok = pc.fill_null(pc.match_substring_regex(s, NUMBER_PATTERN.pattern), False)
    num = np.full(len(s), np.nan)
    okn = ok.to_numpy(zero_copy_only=False)
    if okn.any():
        try:
            num[okn] = pc.cast(pc.filter(s, ok), pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    return num, okn, is_missing.to_numpy(zero_copy_only=False)


def _number_problem(raw: str) -> tuple[str, str]:
    """(what is wrong, what was expected) for a cell that is not a plain finite number."""
    text = raw.strip()
    if "," in text and re.fullmatch(r"[+-]?[\d.,]+", text):
        why = "a number has a comma (decimal and thousands commas are not guessed)"
        exp = "a plain number with a decimal point and no thousands separator, e.g. 61.3 or 1234"
    elif re.fullmatch(r"[+-]?(inf|infinity|nan)", text, flags=re.I):
        why = "a value is not a finite number"
        exp = "a finite number (inf, Infinity and NaN are not values; leave the cell empty)"
    elif NUMBER_PATTERN.match(text):
        why = "a number is too large to store"
        exp = "a finite number within the range of a double"
    else:
        why = "a value is not a number"
        exp = "a number or an empty/NA cell"
    return why, exp


def rounding_tolerance(v: np.ndarray) -> np.ndarray:
    """Half a unit in the last decimal place the value is published to (15.6 -> 0.05, 89 -> 0.5).

    A confidence limit past its value by no more than this is a rounding slip (the value and its
    limits rounded to different places), not damage. Values with more than 6 decimals get 5e-7.
    """
    v = np.nan_to_num(np.asarray(v, dtype=float))
    tol = np.full(v.shape, 5e-7)
    done = np.zeros(v.shape, dtype=bool)
    for d in range(7):
        x = v * 10.0 ** d
        at = ~done & (np.abs(x - np.round(x)) < 1e-6 * np.maximum(1.0, np.abs(x)))
        tol[at] = 0.5 * 10.0 ** -d
        done |= at
    return tol


def allowed_ci_slips(indicator_ids, value, lower, upper) -> np.ndarray:
    """Rows whose limits miss the value only by rounding, or whose indicator is in :data:`CI_SLIPS`."""
    v = np.asarray(value, dtype=float)
    tol = rounding_tolerance(v)
    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    by_rounding = ~np.nan_to_num(lo > v + tol, nan=False).astype(bool) & \
        ~np.nan_to_num(hi < v - tol, nan=False).astype(bool)
    listed = pd.Series(np.asarray(indicator_ids)).isin(list(CI_SLIPS)).to_numpy() if indicator_ids is not None \
        else np.zeros(len(v), dtype=bool)
    return by_rounding | listed


# ---------------------------------------------------------------------------------------------


def _file_of(batch) -> str:
    return str(batch.files[0]) if batch.files else batch.key


def validate_batch(batch, *, lenient: bool = False, today: date | None = None):
    """Check a reader's batch against the rules above; raise, or (``lenient``) quarantine bad rows.

    Returns the batch (observations possibly reduced; ``batch.quarantine`` set when lenient).
    """
    obs = batch.observations
    problems: list[dict] = []
    recorded = _lenient.get() if lenient else None
    if recorded:
        problems.extend(recorded)
        recorded.clear()
    if obs is None or obs.empty:
        return _finish(batch, obs, problems, np.zeros(0, dtype=bool), lenient)
    file = _file_of(batch)
    lines = obs["_line"].to_numpy() if "_line" in obs.columns else None
    files = obs["_file"].astype(str).to_numpy() if "_file" in obs.columns and obs["_file"].dtype == object else None
    bad_all = np.zeros(len(obs), dtype=bool)
    if recorded is not None and problems and lines is not None:
        hit = {(p["file"], p["line"]) for p in problems}
        fcol = files if files is not None else np.full(len(obs), file)
        bad_all |= np.fromiter(((f, int(ln)) in hit for f, ln in zip(fcol, lines)), dtype=bool, count=len(obs))
        # a reader may have parsed with a different path string: match by line within the one file
        if not bad_all.any() and files is None:
            ln_bad = {p["line"] for p in problems}
            bad_all |= np.isin(lines, list(ln_bad))

    def fail(mask: np.ndarray, why: str, field: str, expected: str, got_col: str | None) -> None:
        nonlocal bad_all
        mask = np.asarray(mask, dtype=bool) & ~bad_all
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        for k, i in enumerate(idx if lenient else idx[:1]):
            row = obs.iloc[i]
            got = str(row[got_col]) if got_col else ""
            where = f" (indicator {row['indicator_id']}, area {row['area_code']}, period {row['period_label']})"
            err = InputError(why + where, path=files[i] if files is not None else file,
                             line=int(lines[i]) if lines is not None else None, field=field, expected=expected,
                             got=got[:80])
            if not lenient:
                raise err
            problems.append({"file": err.path, "line": err.line, "field": field, "value": got[:80],
                             "expected": expected, "message": why + where})
        bad_all |= mask

    num = {c: obs[c].to_numpy(dtype=float) for c in ("value", "lci95", "uci95", "lci998", "uci998", "count",
                                                      "denominator")}
    for c, v in num.items():
        fail(np.isinf(v), "a number is not finite", c, "a finite number", c)
    for c in ("count", "denominator"):
        fail(num[c] < 0, f"a {c} is negative", c, f"a {c} of 0 or more", c)

    ids = batch.indicators["id"] if len(batch.indicators) else pd.Series(dtype=object)
    if ids.duplicated().any():
        raise InputError("two indicators of the file have the same id (names differing only in punctuation "
                         "or stray characters?)", path=file, field="indicator", expected="each indicator once",
                         got=str(ids[ids.duplicated()].iloc[0])[:80])
    meta = batch.indicators.set_index("id") if len(batch.indicators) else pd.DataFrame()
    ind = obs["indicator_id"]
    codes, uniq = pd.factorize(ind)                 # each indicator's metadata looked up once
    vt = _spread(meta["value_type"], uniq, codes, None) if "value_type" in meta else np.full(len(obs), None)
    mult = _spread(meta["multiplier"].astype(float), uniq, codes, np.nan) if "multiplier" in meta \
        else np.ones(len(obs))
    mult = np.where(np.isnan(mult.astype(float)), 1.0, mult.astype(float)) if "multiplier" in meta else mult

    # confidence limits around the value (known slips of official publications blanked and counted)
    v = num["value"]
    tol = 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(v)))
    for lo_c, hi_c in (("lci95", "uci95"), ("lci998", "uci998")):
        lo, hi = num[lo_c], num[hi_c]
        lo_bad = np.nan_to_num(lo > v + tol, nan=False).astype(bool)
        hi_bad = np.nan_to_num(hi < v - tol, nan=False).astype(bool)
        order_bad = np.nan_to_num(lo > hi, nan=False).astype(bool)
        any_bad = lo_bad | hi_bad | order_bad
        slips = any_bad & allowed_ci_slips(ind.to_numpy(), v, lo, hi) if any_bad.any() else any_bad
        if slips.any():
            obs = obs.copy() if obs is batch.observations else obs
            obs.loc[slips, [lo_c, hi_c]] = np.nan
            obs.loc[slips, "ci_origin"] = None
            obs.loc[slips, "note"] = "published confidence limits inconsistent with the value; limits not used"
            batch.dropped = {**batch.dropped, SLIP_REASON: batch.dropped.get(SLIP_REASON, 0) + int(slips.sum())}
            num[lo_c], num[hi_c] = obs[lo_c].to_numpy(dtype=float), obs[hi_c].to_numpy(dtype=float)
            lo_bad, hi_bad, order_bad = lo_bad & ~slips, hi_bad & ~slips, order_bad & ~slips
        fail(order_bad, "a lower confidence limit is above the upper", lo_c,
             f"{lo_c} at or below {hi_c}", lo_c)
        fail(lo_bad, "a confidence limit is on the wrong side of the value", lo_c,
             f"{lo_c} at or below the value", lo_c)
        fail(hi_bad, "a confidence limit is on the wrong side of the value", hi_c,
             f"{hi_c} at or above the value", hi_c)

    # plausible ranges by value type
    for t, (lo_r, hi_r, text) in RANGES.items():
        is_t = vt == t
        if not is_t.any():
            continue
        hi_arr = mult if hi_r == "mult" else np.full(len(obs), float(hi_r))
        out = is_t & ((v < float(lo_r)) | (v > hi_arr * (1 + 1e-9)))
        if out.any():
            i = int(np.flatnonzero(out)[0])
            fail(out, "a value is outside the plausible range", "value", text.format(hi=hi_arr[i]), "value")

    # periods: well formed, not in the future, one row per canonical period
    (start, start_codes), (end, end_codes) = _timestamps(obs["period_start"]), _timestamps(obs["period_end"])
    fail((end < start).to_numpy(), "a period ends before it starts", "period", "an end on or after the start",
         "period_label")
    today = today or date.today()
    horizon = pd.Timestamp(today + timedelta(days=HORIZON_DAYS.get(batch.source, DEFAULT_HORIZON_DAYS)))
    fail((start > horizon).to_numpy(), "a period starts in the future", "period",
         f"a period starting no later than {horizon:%Y-%m-%d} (today plus the source's horizon)", "period_label")
    key = ["indicator_id", "area_code", "sex", "age", "category"]
    dup = _repeats([*(obs[c] for c in key), start_codes, end_codes]) & ~bad_all
    if dup.any():
        k = obs[key].assign(_s=start.to_numpy(), _e=end.to_numpy())
        first = k.duplicated(keep=False).to_numpy()
        i = int(np.flatnonzero(dup)[0])
        same = (k.iloc[np.flatnonzero(first)] == k.iloc[i]).all(axis=1)
        j = int(np.flatnonzero(first)[same.to_numpy()][0])
        other = obs["period_label"].iloc[j]
        at = f" line {int(lines[j])}" if lines is not None else ""
        fail(dup, f"the same period appears twice (as {other!r} at{at or ' another row'})", "period",
             "each period once, however it is written", "period_label")

    return _finish(batch, obs, problems, bad_all, lenient)


def _spread(by_id: pd.Series, ids: object, codes: np.ndarray, fill: object) -> np.ndarray:
    """Per row, the value ``by_id`` gives the row's id (``ids[codes]``); ``fill`` where it gives none."""
    values = by_id[~by_id.index.duplicated(keep="first")].reindex(pd.Index(ids)).to_numpy(dtype=object)
    return np.append(values, fill)[codes]       # code -1 (a missing id) takes the fill


def _timestamps(dates: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates (date objects, strings or timestamps) as timestamps, NaT where not a date, each distinct one
    converted once; and each row's code (equal dates, equal codes)."""
    codes, uniq = pd.factorize(dates)
    stamps = pd.to_datetime(pd.Series(uniq, dtype=object), errors="coerce").to_numpy()
    spread = np.append(stamps, np.datetime64("NaT", "ns")).astype(stamps.dtype)[codes]
    return pd.Series(spread, index=dates.index), codes


def _repeats(columns: list) -> np.ndarray:
    """Rows whose values in every column repeat an earlier row's (``DataFrame.duplicated``, missing values
    equal), from each column's factorised codes combined into one integer."""
    n = len(columns[0])
    key, span = np.zeros(n, dtype=np.int64), 1
    for col in columns:
        codes = col if isinstance(col, np.ndarray) and col.dtype.kind == "i" else pd.factorize(col)[0]
        card = int(codes.max(initial=-1)) + 2            # code -1 (missing) included
        if span * card >= 2 ** 62:                        # too many combinations for one integer
            return pd.DataFrame({i: np.asarray(c) for i, c in enumerate(columns)}).duplicated().to_numpy()
        key, span = key * card + (codes + 1), span * card
    return pd.Series(key).duplicated(keep="first").to_numpy()


def _finish(batch, obs, problems: list[dict], bad: np.ndarray, lenient: bool):
    if obs is not None and len(obs) and bad.any():
        obs = obs[~bad].reset_index(drop=True)
    if obs is not None:
        batch.observations = obs
    batch.validated = True
    if lenient:
        q = pd.DataFrame(problems, columns=QUARANTINE_COLUMNS)
        batch.quarantine = q
    return batch
