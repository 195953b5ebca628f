"""Panel: one indicator for a focal area, its comparators and England, as aligned arrays.

Methods never query the store: they take a :class:`Panel`. Rows of the 2-D arrays are
areas (row 0 is the focal area, rows 1.. the comparators), columns are periods sorted
in time. England is held separately. Missing cells are NaN.

A period is *pre* if it ended before the reform start, *post* if it began on or after
it, and *transition* otherwise (a three-year rolling period straddling the start is
neither; methods exclude it from both windows).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from .constants import ENGLAND, Z95
from .errors import MethodError, StoreError
from .panel_rules import choose_breakdowns, join_exact_recodes, main_lengths, period_lengths, recode_sources
from .periods import parse_period

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Panel", "build_panel", "panel_from_arrays", "ENGLAND"]



@dataclass(frozen=True, eq=False)
class Panel:
    """Aligned arrays for one indicator.

    Shapes: ``values``, ``lci``, ``uci``, ``count``, ``denominator`` are
    (n_areas, n_periods) with row 0 the focal area; ``england_*`` are (n_periods,);
    ``t`` (mid-point decimal years), ``pre``, ``post``, ``period_labels`` are (n_periods,).
    """

    indicator_id: str
    indicator_name: str
    unit: str
    value_type: str
    polarity: str
    area_codes: tuple[str, ...]
    area_names: tuple[str, ...]
    period_labels: tuple[str, ...]
    period_start: np.ndarray          # datetime64[D], (n_periods,)
    period_end: np.ndarray            # datetime64[D], (n_periods,)
    t: np.ndarray                     # float, mid-point decimal year
    values: np.ndarray
    lci: np.ndarray
    uci: np.ndarray
    count: np.ndarray
    denominator: np.ndarray
    england_values: np.ndarray
    england_lci: np.ndarray
    england_uci: np.ndarray
    reform_start: date
    cutoff: date | None = None
    period_years: float = 1.0         # length of one period (3.0 for three-year rolling periods)
    sex: str = "Persons"
    age: str = "All ages"
    category: str = ""
    group_id: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        cut = f", data to {self.cutoff}" if self.cutoff else ""
        return (f"<Panel {self.indicator_id} ({self.sex}, {self.age}): {self.focal_name} ({self.focal}) + "
                f"{self.n_areas - 1} comparators x {self.n_periods} periods "
                f"({int(self.pre.sum())} pre, {int(self.post.sum())} post), reform {self.reform_start}{cut}; "
                ".to_frame() for the data>")

    # -- derived --------------------------------------------------------------------------
    @property
    def focal(self) -> str:
        return self.area_codes[0]

    @property
    def focal_name(self) -> str:
        return self.area_names[0]

    @property
    def n_areas(self) -> int:
        return self.values.shape[0]

    @property
    def n_periods(self) -> int:
        return self.values.shape[1]

    @property
    def reform_t(self) -> float:
        d = self.reform_start
        return d.year + (d.timetuple().tm_yday - 1) / 365.25

    @property
    def pre(self) -> np.ndarray:
        return self.period_end < np.datetime64(self.reform_start, "D")

    @property
    def post(self) -> np.ndarray:
        return self.period_start >= np.datetime64(self.reform_start, "D")

    @property
    def transition(self) -> np.ndarray:
        return ~(self.pre | self.post)

    @property
    def overlapping(self) -> bool:
        """True when consecutive periods overlap (rolling multi-year periods)."""
        return self.n_periods > 1 and bool(np.any(self.period_start[1:] <= self.period_end[:-1]))

    @property
    def focal_values(self) -> np.ndarray:
        return self.values[0]

    @property
    def comparator_values(self) -> np.ndarray:
        return self.values[1:]

    @property
    def se(self) -> np.ndarray:
        """Standard errors from the 95% limits ((uci - lci) / (2 * 1.96)); NaN where no CI."""
        return (self.uci - self.lci) / (2 * Z95)

    def with_focal(self, row: int) -> "Panel":
        """The same panel with area ``row`` as the focal area (for in-space placebos)."""
        order = [row] + [i for i in range(self.n_areas) if i != row]
        take = lambda a: a[order]  # noqa: E731
        return replace(
            self, area_codes=tuple(self.area_codes[i] for i in order),
            area_names=tuple(self.area_names[i] for i in order),
            values=take(self.values), lci=take(self.lci), uci=take(self.uci),
            count=take(self.count), denominator=take(self.denominator),
        )

    def to_frame(self) -> pd.DataFrame:
        """Long frame: area_code, area_name, role, period_label, t, value, lci, uci."""
        rows = []
        for i, code in enumerate(self.area_codes):
            role = "focal" if i == 0 else "comparator"
            rows.append(pd.DataFrame({"area_code": code, "area_name": self.area_names[i], "role": role,
                                      "period_label": self.period_labels, "t": self.t,
                                      "value": self.values[i], "lci": self.lci[i], "uci": self.uci[i]}))
        rows.append(pd.DataFrame({"area_code": ENGLAND, "area_name": "England", "role": "england",
                                  "period_label": self.period_labels, "t": self.t,
                                  "value": self.england_values, "lci": self.england_lci, "uci": self.england_uci}))
        return pd.concat(rows, ignore_index=True)


def same_tier_codes(store: Store, focal: str) -> list[str]:
    """Every other area of the focal area's tier (upper tier) or type: the comparators of ``comparators=None``."""
    a = store.area(focal)
    same = store.areas(upper_tier=True) if a.get("upper_tier") else store.areas(area_type=a.get("area_type"))
    return [c for c in same["code"].tolist() if c != focal]


def _area_name(store: Store, code: str) -> str:
    try:
        return str(store.area(code).get("name") or code)
    except Exception:   # an area the register does not hold: its code stands for it
        return code


def _to_date(x: str | date | None, field: str = "date", *, end: bool = False) -> date | None:
    from .periods import parse_date

    return parse_date(x, field, end=end)


def panel_from_arrays(
    values: np.ndarray,
    t: Sequence[float],
    *,
    reform_t: float,
    england: np.ndarray | None = None,
    lci: np.ndarray | None = None,
    uci: np.ndarray | None = None,
    polarity: str = "no_judgement",
    period_years: float = 1.0,
    indicator_id: str = "simulated",
    value_type: str = "mean",
) -> Panel:
    """A panel from plain arrays (simulations, tests): row 0 focal; periods at decimal years ``t``.

    Each period runs from ``t - period_years/2`` to ``t + period_years/2``.
    """
    v = np.asarray(values, dtype=float)
    n, p = v.shape
    tt = np.asarray(t, dtype=float)

    def to_d(y: float) -> np.datetime64:
        yr = int(np.floor(y))
        day = int(round((y - yr) * 365.25))
        return np.datetime64(f"{yr:04d}-01-01", "D") + np.timedelta64(day, "D")

    starts = np.array([to_d(x - period_years / 2) for x in tt])
    ends = np.array([to_d(x + period_years / 2) - np.timedelta64(1, "D") for x in tt])
    ry = int(np.floor(reform_t))
    rs = (np.datetime64(f"{ry:04d}-01-01", "D") + np.timedelta64(int(round((reform_t - ry) * 365.25)), "D")).astype(date)
    nan = np.full((n, p), np.nan)
    e = np.full(p, np.nan) if england is None else np.asarray(england, dtype=float)
    return Panel(
        indicator_id=indicator_id, indicator_name=indicator_id, unit="", value_type=value_type, polarity=polarity,
        area_codes=tuple(f"A{i:03d}" for i in range(n)), area_names=tuple(f"Area {i}" for i in range(n)),
        period_labels=tuple(f"{x:g}" for x in tt), period_start=starts, period_end=ends, t=tt, values=v,
        lci=nan.copy() if lci is None else np.asarray(lci, float), uci=nan.copy() if uci is None else np.asarray(uci, float),
        count=nan.copy(), denominator=nan.copy(), england_values=e, england_lci=np.full(p, np.nan),
        england_uci=np.full(p, np.nan), reform_start=rs, period_years=period_years,
    )


def build_panel(
    store: Store,
    *,
    indicator: str,
    area: str,
    comparators: Sequence[str] | str | None = None,
    reform_start: str | date,
    cutoff: str | date | None = None,
    sex: str | None = None,
    age: str | None = None,
    category: str | None = None,
    polarity: str | None = None,
) -> Panel:
    """Read one indicator for a focal area, its comparators and England from the store.

    ``comparators`` is a list of area codes, a comparator group id (its members for the
    focal area), or None for every area of the focal area's type that has data.
    ``cutoff`` keeps only periods that ended on or before that date. ``polarity``
    overrides the stored one. Raises :class:`MethodError` when the focal area has no data.

    A council whose indicator is published only inside a combined area (Cornwall with the
    Isles of Scilly, Hackney with the City of London: :data:`~placeimpact.geography.COMBINED_AREAS`)
    and that has no values of its own gets the combined series, said so in ``warnings``; when
    both members are in the panel only one of them gets it (see
    :func:`~placeimpact.geography.assign_combined`).
    """
    ind = store.indicator(indicator)
    focal = store.resolve_area(area)
    rs = _to_date(reform_start, "reform_start")
    co = _to_date(cutoff, "cutoff", end=True)
    warnings: list[str] = []

    group_id = comparators if isinstance(comparators, str) else None
    comp = _comparator_codes(store, focal, comparators)

    # breakdown: the one asked for, else the most common
    if sex is None or age is None or category is None:
        pref = _preferred_breakdown(store, ind["id"])
        sex = pref["sex"] if sex is None else sex
        age = pref["age"] if age is None else age
        category = pref["category"] if category is None else category

    obs = _panel_rows(store, ind["id"], focal, comp, sex=sex, age=age, category=category, cutoff=co,
                      warnings=warnings)
    f = obs[obs["area_code"] == focal]
    if f["value"].notna().sum() == 0:
        why = next((w for w in warnings if w.startswith(f"{store.area(focal).get('name')} ({focal}) has no values "
                                                        "of its own")), "")
        raise MethodError(f"no data for {ind['id']} in {focal}"
                          + (f" up to {co}" if co else "") + f" (sex={sex}, age={age}, category={category!r})"
                          + (f": {why}" if why else ""))
    # keep the period kind the focal series mostly uses (e.g. 3-year rolling, not pooled 5-year)
    obs = obs.assign(_len=period_lengths(obs), indicator_id=ind["id"])
    main_len = main_lengths(obs[obs["area_code"] == focal])["_len"].iloc[0]
    n_other = int((obs.loc[obs["area_code"] == focal, "_len"] != main_len).sum())
    if n_other:
        warnings.append(f"{n_other} focal periods of another length were left out")
    obs = obs[obs["_len"] == main_len]
    periods, codes, arrs, eng, names = _arrays(obs, focal, comp, warnings)
    labels = periods["period_label"].tolist()
    warnings += _validity_warnings(store.area(focal))
    starts = pd.to_datetime(periods["period_start"]).to_numpy().astype("datetime64[D]")
    ends = pd.to_datetime(periods["period_end"]).to_numpy().astype("datetime64[D]")
    t = np.array([parse_period(lab).mid_year for lab in labels])
    years = float(np.median((ends - starts).astype(float) + 1) / 365.25) if len(labels) else 1.0
    return Panel(
        indicator_id=ind["id"], indicator_name=ind["name"], unit=ind.get("unit") or "",
        value_type=ind.get("value_type") or "mean", polarity=polarity or ind.get("polarity") or "no_judgement",
        area_codes=tuple(codes), area_names=tuple(names[c] or _area_name(store, c) for c in codes),
        period_labels=tuple(labels),
        period_start=starts, period_end=ends, t=t, values=arrs["value"], lci=arrs["lci95"], uci=arrs["uci95"],
        count=arrs["count"], denominator=arrs["denominator"], england_values=eng["value"],
        england_lci=eng["lci95"], england_uci=eng["uci95"], reform_start=rs, cutoff=co, period_years=years,
        sex=sex, age=age, category=category, group_id=group_id, warnings=tuple(warnings),
    )


def _preferred_breakdown(store: Store, ind_id: str) -> dict[str, str]:
    """The indicator's preferred breakdown by :func:`choose_breakdowns` (sex, age, category).

    Every indicator's choice comes from one pass over the store (kept until its next write), so an
    evaluation of many outcomes reads the observations' breakdowns once."""
    table = store.derived("preferred breakdowns",
                          lambda: choose_breakdowns(store.breakdown_counts(None)).set_index("indicator_id"))
    if ind_id not in table.index:
        raise MethodError(f"indicator {ind_id} has no observations")
    return table.loc[ind_id].to_dict()


def _comparator_codes(store: Store, focal: str, comparators: Sequence[str] | str | None) -> list[str]:
    """The comparator codes for ``build_panel``'s ``comparators`` (a group id, None for the tier, or areas)."""
    if isinstance(comparators, str):
        g = store.groups(focal=focal, group_id=comparators)
        if g.empty:
            raise StoreError(f"comparator group {comparators!r} has no members for {focal}")
        return [c for c in g.sort_values("rank")["member_area"].tolist() if c != focal]
    if comparators is None:
        return same_tier_codes(store, focal)
    return [store.resolve_area(c) for c in comparators if c != focal]


def _panel_rows(store: Store, ind_id: str, focal: str, comp: list[str], *, sex: str, age: str, category: str,
                cutoff: date | None, warnings: list[str]) -> pd.DataFrame:
    """The panel's observations of one breakdown, exact recodes joined and combined series assigned."""
    co = cutoff
    # boundary changes: series published under a predecessor's code join the current code only
    # where the change was exact (a recode, or a county replaced by one unitary on the same
    # boundary); merged or split areas are never mixed with their successors
    from .geography import COMBINED_AREAS, assign_combined, combined_areas_of

    wanted = {focal, ENGLAND, *comp}
    targets, preds = recode_sources(store, list(wanted))
    # councils published only inside a combined area (Cornwall with the Isles of Scilly, as E67000002)
    combos = combined_areas_of(wanted)
    obs = store.observations(ind_id, areas=[focal, ENGLAND, *comp, *preds, *combos], sex=sex, age=age,
                             category=category, until=co.isoformat() if co else None)
    if preds and len(obs):
        obs = join_exact_recodes(obs, targets)
        recoded = obs[(obs["boundary_status"] == "recoded") & (obs["area_code"] == focal)]
        if len(recoded):
            warnings.append(f"{len(recoded)} periods of {focal} were published under its former code(s) "
                            f"{', '.join(sorted(set(recoded['reported_code'])))} (same boundary) and are joined")
    if combos and len(obs):
        # a member council with values of its own anywhere (any breakdown or period, under its code or an
        # exactly recoded one) uses only those; one without gets the combined series, in one row only
        members = [m for c in combos for m in COMBINED_AREAS[c].member_codes if m in wanted]
        mine = store.observations(ind_id, areas=members + [old for old in preds if targets[old] in members])
        mine = mine[mine["value"].notna()]
        own = set(mine["area_code"].map(targets).fillna(mine["area_code"]))
        obs, notes = assign_combined(obs, [focal, *comp], own=own)
        warnings += notes
    return obs


def _arrays(obs: pd.DataFrame, focal: str, comp: list[str], warnings: list[str]
            ) -> tuple[pd.DataFrame, list[str], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, str]]:
    """Periods, area codes (focal first), (area x period) arrays, England's arrays and names from the rows."""
    periods = (obs[["period_label", "period_start", "period_end"]].drop_duplicates("period_label")
               .sort_values(["period_start", "period_end"]))
    labels = periods["period_label"].tolist()
    col = {lab: j for j, lab in enumerate(labels)}
    have = set(obs["area_code"])
    present = [c for c in comp if c in have]
    dropped = len(comp) - len(present)
    if dropped:
        warnings.append(f"{dropped} comparator areas have no data for this indicator")
    codes = [focal, *present]
    row = {c: i for i, c in enumerate(codes)}
    shape = (len(codes), len(labels))
    arrs = {k: np.full(shape, np.nan) for k in ("value", "lci95", "uci95", "count", "denominator")}
    eng = {k: np.full(len(labels), np.nan) for k in ("value", "lci95", "uci95")}
    names = dict.fromkeys(codes, "")
    j = obs["period_label"].map(col).to_numpy()
    area = obs["area_code"].to_numpy()
    if ENGLAND != focal:
        e = area == ENGLAND
        for k in eng:
            eng[k][j[e]] = obs[k].to_numpy(dtype=float, na_value=np.nan)[e]
    i = obs["area_code"].map(row)
    mine = i.notna().to_numpy()
    i = i[mine].astype(int).to_numpy()
    for k in arrs:       # numpy assigns in row order: a repeated (area, period) keeps its last row, as before
        arrs[k][i, j[mine]] = obs[k].to_numpy(dtype=float, na_value=np.nan)[mine]
    # a combined series keeps the council's name: names come from rows published under the area's own code
    own = obs[mine & (obs["reported_code"] == obs["area_code"]).to_numpy()] if "reported_code" in obs else obs[mine]
    for code, name in zip(own["area_code"], own["area_name"]):
        names[code] = name or code
    return periods, codes, arrs, eng, names


def _validity_warnings(a: dict) -> list[str]:
    """Sentences saying that the focal area was abolished, or created after 1998, and what that means."""
    out = []
    if a.get("valid_to") is not None and not pd.isna(a.get("valid_to")):
        out.append(f"{a.get('name')} was abolished on {pd.Timestamp(a['valid_to']):%Y-%m-%d} "
                   f"(replaced by {a.get('replaced_by')}); its series ends there")
    if a.get("valid_from") is not None and not pd.isna(a.get("valid_from")) and pd.Timestamp(a["valid_from"]).year > 1998:
        out.append(f"{a.get('name')} was created on {pd.Timestamp(a['valid_from']):%Y-%m-%d}; "
                   "earlier data belongs to its predecessors")
    return out
