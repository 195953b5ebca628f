"""Bulk panels for the national screen: one :class:`~placeimpact.panel.Panel` per indicator, all areas.

:func:`build_panel` reads one focal area's panel; a screen needs every area of a type for
every indicator, so this module reads all observations of those areas in ONE query and
pivots them per indicator with array indexing (no per-area queries). The breakdown and
period-length choices, and the joining of exactly recoded series, are the rules of
:mod:`placeimpact.panel_rules`, shared with :func:`placeimpact.panel.build_panel`, so a row of a
bulk panel equals the focal row of the single-area panel (tests/test_panel_rules.py checks it).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geography import COMBINED_AREAS, combined_areas_of, combined_note
from ..constants import ENGLAND
from ..panel import Panel, _to_date
from ..panel_rules import choose_breakdowns, join_exact_recodes, main_lengths, period_lengths, recode_sources
from ..periods import parse_period
from .kernel import periods_reason

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["AreaType", "screen_areas", "bulk_panels", "panels_from_frame"]

AreaType = Literal["upper", "lower", "unitary", "metropolitan_district", "london_borough", "county", "district"]
_AREA_TYPES = ("upper", "lower", "unitary", "metropolitan_district", "london_borough", "county", "district")


def screen_areas(store: Store, area_type: str = "upper") -> pd.DataFrame:
    """Areas of a type (``upper``/``lower`` tier or an area_type name): code, name, sorted by code.

    The areas are those of :func:`~placeimpact.evaluation.comparators.tier_areas`, the
    comparator resolver's ``all`` for a whole tier.
    """
    if area_type not in _AREA_TYPES:
        raise InputError("unknown area type for the screen", field="area_type",
                         expected=" | ".join(_AREA_TYPES), got=area_type)
    from ..evaluation.comparators import tier_areas

    codes = tier_areas(store, area_type)
    names = store.area_names(codes)
    return pd.DataFrame({"code": codes, "name": [names.get(c) for c in codes]})


def bulk_panels(
    store: Store,
    *,
    reform_start: str | date,
    area_type: str = "upper",
    indicators: Sequence[str] | None = None,
    cutoff: str | date | None = None,
    min_periods: int = 0,
    left_out: dict[str, str] | None = None,
) -> list[Panel]:
    """One all-areas panel per indicator (rows sorted by area code), read in a single query.

    ``indicators`` are ids (or anything :meth:`Store.indicator` resolves); None means every
    indicator in the store. Indicators with no data for these areas are left out, and so, in
    the query itself, are those with fewer than ``min_periods`` distinct periods (they cannot
    qualify for a screen that needs that many). The rules of :mod:`placeimpact.panel_rules`
    choose the rows, as for :func:`~placeimpact.panel.build_panel`.

    ``left_out`` (a dict, filled here): the panels that the screen would leave out for their periods
    alone (:func:`.kernel.periods_reason`: too few pre-reform periods, or none after) are not built;
    their ids and reasons go in the dict instead (:func:`.run.screen_panels` takes it as ``skipped``).
    """
    areas = screen_areas(store, area_type)
    meta = store.indicator_table()
    if isinstance(indicators, str):      # one id, not its characters
        indicators = [indicators]
    if indicators is not None:
        ids = [store.indicator(i)["id"] for i in indicators]
        meta = meta[meta["id"].isin(ids)]
    co = _to_date(cutoff, "cutoff", end=True)
    rs = _reform_start(reform_start)
    combos = combined_areas_of(areas["code"])
    targets, preds = recode_sources(store, [*areas["code"], ENGLAND])
    table = store.bulk_observations(meta["id"].tolist(), [*areas["code"], ENGLAND, *combos, *preds],
                                    until=co.isoformat() if co is not None else None, min_periods=min_periods)
    extra = [*(targets[p] for p in preds), *(COMBINED_AREAS[c].taker for c in combos)]
    obs = _Coded.from_arrow(table, extra_areas=extra)
    if preds:
        obs = _join_recodes(obs, targets)
    obs = _give_combined(obs, combos)
    if not len(obs):
        return []
    counts = store.breakdown_counts(obs.names["indicator_id"][np.unique(obs["indicator_id"])].tolist())
    return _pivot(_choose_rows(obs, counts), meta=meta, areas=areas, reform_start=rs, cutoff=co, left_out=left_out)


class _Coded:
    """Observations as arrays, in the store's row order: each text column as integer codes into its
    sorted distinct values (``names``; -1 is a missing value), so that the panel rules run as integer
    comparisons and sorts instead of string merges. Code order is the text's sort order (code points,
    as Python and Arrow compare strings). ``_combined``: codes into ``combos`` (-1: none).

    :meth:`take` keeps positions only; a column is gathered when it is read (``obs["value"]``), so a
    rule pays for the columns it reads, not for every column at every step.
    """

    def __init__(self, cols: dict[str, np.ndarray], names: dict[str, np.ndarray], combos: Sequence[str] = (),
                 at: np.ndarray | None = None) -> None:
        self.cols, self.names, self.combos, self.at = cols, names, list(combos), at
        self._got: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.cols["value"]) if self.at is None else len(self.at)

    def __getitem__(self, col: str) -> np.ndarray:
        if self.at is None:
            return self.cols[col]
        if col not in self._got:
            self._got[col] = self.cols[col][self.at]
        return self._got[col]

    @classmethod
    def from_arrow(cls, table: Any, extra_areas: Sequence[str] = ()) -> _Coded:
        """From :meth:`Store.bulk_observations` (text columns dictionary-encoded by Arrow, not Python)."""
        cols, names = {}, {}
        for col in _TEXT:
            enc = table.column(col).combine_chunks().dictionary_encode()
            idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            cols[col], names[col] = _sorted_codes(idx, enc.dictionary.to_pylist(),
                                                  extra_areas if col == "area_code" else ())
        cols |= {c: table.column(c).to_numpy().astype("datetime64[D]") for c in ("period_start", "period_end")}
        cols |= {c: table.column(c).to_numpy().astype(float) for c in _VALUES}
        return cls(cols, names)

    @classmethod
    def from_frame(cls, obs: pd.DataFrame) -> _Coded:
        """From tidy observations (:func:`panels_from_frame`); a ``_combined`` column is kept."""
        cols, names = {}, {}
        for col in _TEXT:
            idx, uniq = pd.factorize(obs[col], use_na_sentinel=True)
            cols[col], names[col] = _sorted_codes(np.asarray(idx), list(uniq))
        cols |= {c: pd.to_datetime(obs[c]).to_numpy().astype("datetime64[D]") for c in ("period_start", "period_end")}
        cols |= {c: obs[c].to_numpy(dtype=float) for c in _VALUES}
        combos: list[str] = []
        if "_combined" in obs:
            idx, uniq = pd.factorize(obs["_combined"], use_na_sentinel=True)
            cols["_combined"], combos = np.asarray(idx, dtype=np.int32), [str(u) for u in uniq]
        return cls(cols, names, combos)

    def take(self, keep: np.ndarray) -> _Coded:
        """The rows where ``keep`` (a mask, or positions in order)."""
        pos = np.flatnonzero(keep) if keep.dtype == bool else keep
        return _Coded(self.cols, self.names, self.combos, pos if self.at is None else self.at[pos])

    def with_columns(self, **cols: np.ndarray) -> _Coded:
        """The same rows with these columns (one value per row) replaced or added."""
        new = dict(self.cols)
        for k, v in cols.items():
            if self.at is not None:          # spread over the full arrays; rows not kept are never read
                full = np.zeros(len(self.cols["value"]), dtype=v.dtype)
                full[self.at] = v
                v = full
            new[k] = v
        return _Coded(new, self.names, self.combos, self.at)

    def code(self, col: str, text: object) -> int:
        """The code of ``text`` in column ``col``: -1 for a missing value, -2 where no row has it."""
        return int(self.codes_of(col, [text])[0])

    def codes_of(self, col: str, texts: Sequence[object]) -> np.ndarray:
        """:meth:`code` of each text."""
        names = self.names[col]
        arr = np.array(list(texts), dtype=object)
        missing = pd.isna(arr) if arr.size else np.zeros(0, dtype=bool)
        arr[missing] = ""
        i = np.minimum(np.searchsorted(names, arr), max(len(names) - 1, 0)) if len(names) else np.zeros(arr.size, int)
        found = names[i] == arr if len(names) else np.zeros(arr.size, dtype=bool)
        return np.where(missing, -1, np.where(found, i, -2)).astype(np.int64)

    def texts(self, col: str, codes: np.ndarray) -> np.ndarray:
        """The texts of codes (NaN for a missing value, as pandas gives it)."""
        return np.append(self.names[col], np.nan)[codes]


_TEXT = ("indicator_id", "area_code", "sex", "age", "category", "period_label")
_VALUES = ("value", "lci95", "uci95")


def _sorted_codes(idx: np.ndarray, values: list, extra: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Re-number dictionary codes ``idx`` (-1 missing) of ``values`` so that code order is sort order;
    ``extra`` texts get codes too (areas that rows are moved to)."""
    names = np.array(sorted(set(values) | set(extra)), dtype=object)
    rank = np.append(np.searchsorted(names, np.array(values, dtype=object)), -1).astype(np.int32)
    return rank[idx], names          # idx -1 (missing) takes the appended -1


def _join_recodes(obs: _Coded, targets: dict[str, str]) -> _Coded:
    """:func:`~placeimpact.panel_rules.join_exact_recodes` on the rows it can touch: those under a former
    code and those under a current code that a former one moves to (every other row stays as it is)."""
    area_names = obs.names["area_code"]
    moved_from = [a for a in area_names.tolist() if a in targets]
    if not moved_from:
        return obs
    touched = np.isin(area_names, [*moved_from, *(targets[a] for a in moved_from)])
    rows = np.flatnonzero(touched[obs["area_code"]])
    sub = pd.DataFrame({c: obs.texts(c, obs[c][rows]) for c in _TEXT}, index=rows)
    out = join_exact_recodes(sub, targets)
    area = obs["area_code"].copy()
    area[out.index.to_numpy()] = np.searchsorted(area_names, out["area_code"].to_numpy(dtype=object))
    keep = np.ones(len(obs), dtype=bool)
    keep[rows] = False
    keep[out.index.to_numpy()] = True
    return obs.with_columns(area_code=area).take(keep)


def _give_combined(obs: _Coded, combos: Sequence[str]) -> _Coded:
    """Each combined area's rows (Cornwall with the Isles of Scilly, E67000002, ...) become its
    taker's, for the indicators where no member council has values of its own; otherwise they
    are dropped. As in :func:`placeimpact.geography.assign_combined`, each combined series is
    counted once (the taker, the larger council) and never mixed with a member's own values.
    """
    obs = obs.with_columns(_combined=np.full(len(obs), -1, dtype=np.int32))
    obs.combos = list(combos)
    n_ind = len(obs.names["indicator_id"])
    for k, code in enumerate(combos):
        ca = COMBINED_AREAS[code]
        area, ind = obs["area_code"], obs["indicator_id"]
        mine = area == obs.code("area_code", code)
        if not mine.any():
            continue
        members = np.isin(area, [obs.code("area_code", m) for m in ca.member_codes])
        own = np.zeros(n_ind, dtype=bool)
        own[ind[members & ~np.isnan(obs["value"])]] = True
        give = mine & ~own[ind]
        given = np.zeros(n_ind, dtype=bool)
        given[ind[give]] = True
        members_empty = members & given[ind]
        obs = obs.with_columns(area_code=np.where(give, obs.code("area_code", ca.taker), area).astype(np.int32),
                               _combined=np.where(give, k, obs["_combined"]).astype(np.int32))
        obs = obs.take(~((mine & ~give) | members_empty))
    return obs


def _per_indicator(obs: _Coded, frame: pd.DataFrame, column: str, fill: float = -3) -> np.ndarray:
    """A column of a one-row-per-indicator frame as an array indexed by indicator code (``fill`` for
    indicators not in the frame); the frame's ``indicator_id`` are ids or already codes."""
    out = np.full(len(obs.names["indicator_id"]), fill, dtype=float)
    ids = frame["indicator_id"]
    if len(ids) and not np.issubdtype(np.asarray(ids).dtype, np.integer):
        ids = obs.codes_of("indicator_id", ids)
    ids = np.asarray(ids, dtype=np.int64)
    ok = ids >= 0
    out[ids[ok]] = frame[column].to_numpy(dtype=float)[ok]
    return out


def _choose_rows(obs: _Coded, counts: pd.DataFrame | None = None) -> _Coded:
    """Keep each indicator's preferred breakdown and its most common period length (:mod:`~placeimpact.panel_rules`),
    and the first row of each indicator, area and period.

    ``counts`` are the store's rows per breakdown (:meth:`Store.breakdown_counts`); without
    them the rows of ``obs`` are counted.
    """
    by = ["indicator_id", "sex", "age", "category"]
    if counts is None:
        counts = pd.DataFrame({k: obs.texts(k, obs[k]) for k in by})
        counts = counts.groupby(by, sort=False, dropna=False).size().rename("n").reset_index()
    chosen = choose_breakdowns(counts)
    ind = obs["indicator_id"]
    keep = np.ones(len(obs), dtype=bool)
    for col in ("sex", "age", "category"):
        want = chosen.assign(_code=obs.codes_of(col, chosen[col]))
        keep &= obs[col] == _per_indicator(obs, want, "_code")[ind]
    obs = obs.take(keep)
    lens = period_lengths(pd.DataFrame({"period_start": obs["period_start"], "period_end": obs["period_end"]}))
    lens = lens.to_numpy(dtype=float)
    local = obs["area_code"] != obs.code("area_code", ENGLAND)
    main = main_lengths(pd.DataFrame({"indicator_id": obs["indicator_id"][local], "_len": lens[local]}))
    obs = obs.take(lens == _per_indicator(obs, main, "_len", fill=np.nan)[obs["indicator_id"]])
    return obs.take(np.sort(_first_of(obs, "indicator_id", "area_code", "period_label")))


def _key(obs: _Coded, *cols: str) -> np.ndarray:
    """One int64 per row for the combination of text columns ``cols`` (order-preserving: sorts as the tuple)."""
    key = np.zeros(len(obs), dtype=np.int64)
    for col in cols:
        key = key * (len(obs.names[col]) + 1) + obs[col] + 1
    return key


def _first_of(obs: _Coded, *cols: str) -> np.ndarray:
    """Positions of the first row of each combination of ``cols``, sorted by that combination."""
    return np.unique(_key(obs, *cols), return_index=True)[1]


def panels_from_frame(
    obs: pd.DataFrame,
    *,
    meta: pd.DataFrame,
    areas: pd.DataFrame,
    reform_start: str | date,
    cutoff: date | None = None,
    breakdowns: pd.DataFrame | None = None,
) -> list[Panel]:
    """Pivot tidy observations (indicator_id, area_code, sex, age, category, period_*, value, lci95, uci95).

    ``meta`` is the indicators table (id, name, unit, value_type, polarity); ``areas`` has code
    and name. Returns panels sorted by indicator id; areas without any value are dropped.
    """
    rs = _reform_start(reform_start)
    if obs.empty:
        return []
    coded = _choose_rows(_Coded.from_frame(obs), breakdowns)
    return _pivot(coded, meta=meta, areas=areas, reform_start=rs, cutoff=cutoff)


def _reform_start(reform_start: str | date) -> date:
    rs = _to_date(reform_start, "reform_start")
    if rs is None:
        raise InputError("the screen needs a reform start", field="start", expected="a year or ISO date", got=None)
    return rs


def _pivot(obs: _Coded, *, meta: pd.DataFrame, areas: pd.DataFrame, reform_start: date,
           cutoff: date | None, left_out: dict[str, str] | None = None) -> list[Panel]:
    """Every indicator's panel in one vectorised pass: row and column indices computed for all rows at once
    (integer keys, no merges), then each indicator's arrays filled from its slice."""
    ind = obs["indicator_id"]
    eng_code = obs.code("area_code", ENGLAND)
    valued = (obs["area_code"] != eng_code) & ~np.isnan(obs["value"])
    has = np.zeros(len(obs.names["indicator_id"]), dtype=bool)
    has[ind[valued]] = True
    obs = obs.take(has[ind])
    if not len(obs):
        return []
    ind, area, label = obs["indicator_id"], obs["area_code"], obs["period_label"]
    valued = (area != eng_code) & ~np.isnan(obs["value"])
    # columns: each indicator's periods (first row of each), sorted by start, end, label
    per = _first_of(obs, "indicator_id", "period_label")
    per = per[np.lexsort((label[per], obs["period_end"][per], obs["period_start"][per], ind[per]))]
    per_ind = ind[per]
    per_bounds = np.flatnonzero(np.r_[True, per_ind[1:] != per_ind[:-1], True])
    col_of = np.arange(per.size) - np.repeat(per_bounds[:-1], np.diff(per_bounds))
    per_key = _key(obs, "indicator_id", "period_label")[per]
    srt = np.argsort(per_key)
    col = col_of[srt][np.searchsorted(per_key[srt], _key(obs, "indicator_id", "period_label"))]
    # rows: each indicator's areas with a value, sorted by code
    rows_at = np.flatnonzero(valued)[_first_of(obs.take(valued), "indicator_id", "area_code")]
    row_ind = ind[rows_at]
    row_bounds = np.flatnonzero(np.r_[True, row_ind[1:] != row_ind[:-1], True])
    row_of = np.arange(rows_at.size) - np.repeat(row_bounds[:-1], np.diff(row_bounds))
    row_key = _key(obs, "indicator_id", "area_code")
    pos = np.minimum(np.searchsorted(row_key[rows_at], row_key), rows_at.size - 1)
    row = np.where(row_key[rows_at][pos] == row_key, row_of[pos], -1)
    order = np.argsort(ind, kind="stable")
    bounds = np.flatnonzero(np.r_[True, ind[order][1:] != ind[order][:-1], True])
    return _fill(obs, order, bounds, col, row, per, per_bounds, rows_at, row_bounds, meta=meta, areas=areas,
                 reform_start=reform_start, cutoff=cutoff, left_out=left_out)


def _fill(obs: _Coded, order: np.ndarray, bounds: np.ndarray, col: np.ndarray, row: np.ndarray, per: np.ndarray,
          per_bounds: np.ndarray, rows_at: np.ndarray, row_bounds: np.ndarray, *, meta: pd.DataFrame,
          areas: pd.DataFrame, reform_start: date, cutoff: date | None,
          left_out: dict[str, str] | None = None) -> list[Panel]:
    """Each indicator's :class:`Panel` from its slice of the rows (``order``: rows grouped by indicator);
    with ``left_out``, the reasons of those the screen leaves out for their periods, instead of their panels."""
    ind, area = obs["indicator_id"][order], obs["area_code"][order]
    col, row = col[order], row[order]
    eng = area == obs.code("area_code", ENGLAND)
    vals = {k: obs[k][order] for k in _VALUES}
    per_labels = obs.names["period_label"][obs["period_label"][per]]
    per_start, per_end = obs["period_start"][per], obs["period_end"][per]
    row_codes = obs.names["area_code"][obs["area_code"][rows_at]]
    labels_t = {lab: parse_period(lab).mid_year for lab in set(per_labels.tolist())}
    notes: dict[int, list[tuple[str, str]]] = {}
    if "_combined" in obs.cols:      # combined publications given to one council (see _give_combined)
        comb = obs["_combined"][order]
        for i in np.flatnonzero((comb >= 0) & (row >= 0)):
            note = (obs.combos[comb[i]], str(obs.names["area_code"][area[i]]))
            if note not in notes.setdefault(int(ind[i]), []):
                notes[int(ind[i])].append(note)
    names = {c: str(n or c) for c, n in zip(areas["code"], areas["name"])}
    info = {r["id"]: r for r in meta.to_dict("records")}
    start_day = np.datetime64(reform_start, "D")
    out: list[Panel] = []
    for k in range(len(bounds) - 1):
        lo, hi = bounds[k], bounds[k + 1]
        pl, ph = per_bounds[k], per_bounds[k + 1]
        rl, rh = row_bounds[k], row_bounds[k + 1]
        indicator = str(obs.names["indicator_id"][ind[lo]])
        starts, ends = per_start[pl:ph], per_end[pl:ph]
        if left_out is not None:
            why = periods_reason(int((ends < start_day).sum()), int((starts >= start_day).sum()))  # Panel.pre/post
            if why is not None:
                left_out[indicator] = why
                continue
        labels = per_labels[pl:ph].tolist()
        codes = row_codes[rl:rh].tolist()
        shape = (len(codes), len(labels))
        r, c, e = row[lo:hi], col[lo:hi], eng[lo:hi]
        ok = r >= 0
        arrs, engs = {}, {}
        for key, v in vals.items():
            a = np.full(shape, np.nan)
            a[r[ok], c[ok]] = v[lo:hi][ok]
            arrs[key] = a
            b = np.full(len(labels), np.nan)
            b[c[e]] = v[lo:hi][e]
            engs[key] = b
        m = info.get(indicator, {})
        nan = np.full(shape, np.nan)
        first = order[lo]
        sex, age, category = (obs.texts(x, obs[x][first:first + 1])[0] for x in ("sex", "age", "category"))
        out.append(Panel(
            indicator_id=indicator, indicator_name=str(m.get("name") or indicator), unit=str(m.get("unit") or ""),
            value_type=str(m.get("value_type") or "mean"), polarity=str(m.get("polarity") or "no_judgement"),
            area_codes=tuple(codes), area_names=tuple(names.get(x) or x for x in codes),
            period_labels=tuple(labels), period_start=starts, period_end=ends,
            t=np.array([labels_t[x] for x in labels]), values=arrs["value"], lci=arrs["lci95"], uci=arrs["uci95"],
            count=nan, denominator=nan, england_values=engs["value"], england_lci=engs["lci95"],
            england_uci=engs["uci95"], reform_start=reform_start, cutoff=cutoff,
            period_years=float(np.median((ends - starts).astype(float) + 1) / 365.25),
            sex=str(sex), age=str(age), category=str(category),
            warnings=tuple(combined_note(cc, a) for cc, a in notes.get(int(ind[lo]), ())),
        ))
    return out
