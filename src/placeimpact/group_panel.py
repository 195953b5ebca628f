"""Group panel: one indicator for a treated GROUP of areas, each with its own reform start, and a clean donor pool.

A reform often covers several areas at once (Greater Manchester's ten councils) or spreads
from one area to others at different dates. :class:`GroupPanel` holds one indicator for:

* the treated areas (rows ``0 .. n_treated-1`` of ``panel``), each with its reform start;
* the clean donor pool (rows ``n_treated ..``): comparators with every treated area and every
  area the framework excludes removed, so that no treated area is ever a donor or comparator
  for another (:attr:`GroupPanel.removed` lists who was removed, and why);
* the group's published aggregate where the source has one (e.g. the combined authority's
  own ONS rows), aligned to the same periods, kept apart as an extra outcome series.

It is built with the single-area machinery (:func:`placeimpact.panel.build_panel`: boundary
changes, combined areas, period kinds), so the group's arrays are the same numbers a
single-area evaluation of each member would see.

:func:`resolve_group` turns what a user writes (codes, names, a combined-authority code such
as ``E47000001``, a region code) into member councils from the register.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Sequence

import numpy as np

from .errors import InputError, MethodError, StoreError
from .panel import ENGLAND, Panel, build_panel, same_tier_codes

__all__ = ["GroupPanel", "TreatedGroup", "resolve_group", "build_group_panel", "clean_pool", "group_panel_from_arrays",
           "COMBINED_AUTHORITY_GROUP", "group_members"]

COMBINED_AUTHORITY_GROUP = "combined-authority"


@dataclass(frozen=True)
class TreatedGroup:
    """Resolved treated areas: ``codes`` with ``starts`` (parallel), the group's own code/name if it has one."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    starts: tuple[date, ...]
    group_code: str | None = None
    group_name: str = ""
    expanded_from: str | None = None

    @property
    def label(self) -> str:
        if self.group_name:
            return self.group_name
        return f"{len(self.codes)} areas" if len(self.codes) > 3 else ", ".join(self.names)

    @property
    def staggered(self) -> bool:
        return len(set(self.starts)) > 1


def group_members(store, code: str) -> tuple[list[str], str] | None:
    """Member councils of a combined authority (register) or of a region (its upper-tier councils)."""
    g = store.groups(focal=code, group_id=COMBINED_AUTHORITY_GROUP)
    if len(g):
        return g.sort_values("rank")["member_area"].tolist(), "combined authority"
    if code.startswith("E12"):
        a = store.areas(upper_tier=True)
        a = a[(a["region_code"] == code) & a["valid_to"].isna()]
        if len(a):
            return a["code"].tolist(), "region"
    return None


def resolve_group(store, areas: Sequence[str] | str, starts: Sequence[date | None] | None = None, *,
                  reform_start: date | None = None, field: str = "areas") -> TreatedGroup:
    """Resolve codes or names (or one combined-authority / region code) to treated councils with starts.

    A single entry that is a combined authority (E47...) or region (E12...) expands to its
    member councils (from the register), all with that entry's start. Raises
    :class:`InputError` naming the entry for an unknown area or a missing start.
    """
    items = [areas] if isinstance(areas, str) else list(areas)
    st = list(starts) if starts is not None else [None] * len(items)
    if len(st) != len(items):
        raise InputError("areas and their reform starts differ in number", field=field,
                         expected=f"{len(items)} starts", got=len(st))
    codes: list[str] = []
    out_starts: list[date] = []
    group_code = group_name = None
    expanded = None
    for j, (x, s) in enumerate(zip(items, st)):
        s = s or reform_start
        if s is None:
            raise InputError("an area of the group has no reform start", field=f"{field}[{j}]",
                             expected="a reform_start for the group or for this area", got=x)
        try:
            code = store.resolve_area(str(x))
        except StoreError as exc:
            raise InputError("unknown area in the group", field=f"{field}[{j}]", got=x, hint=str(exc)) from None
        mem = group_members(store, code)
        if mem is not None:
            if len(items) == 1:
                group_code = code
                group_name = str(store.area(code).get("name") or code)
                expanded = f"{group_name} ({code}), a {mem[1]}: {len(mem[0])} member councils from the register"
            codes += mem[0]
            out_starts += [s] * len(mem[0])
        else:
            codes.append(code)
            out_starts.append(s)
    seen: dict[str, date] = {}
    for c, s in zip(codes, out_starts):
        seen.setdefault(c, s)
    codes = list(seen)
    names = tuple(str(store.area(c).get("name") or c) for c in codes)
    return TreatedGroup(codes=tuple(codes), names=names, starts=tuple(seen[c] for c in codes),
                        group_code=group_code, group_name=group_name or "", expanded_from=expanded)


def clean_pool(candidates: Sequence[str], treated: Sequence[str], exclude: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Candidates with treated and excluded areas removed; ``removed`` maps each removed code to why."""
    t, x = set(treated), set(exclude)
    keep, removed = [], {}
    for c in dict.fromkeys(candidates):
        if c in t:
            removed[c] = "treated"
        elif c in x:
            removed[c] = "excluded by the framework"
        else:
            keep.append(c)
    for c in treated:   # every treated and excluded area is listed even when it was not a candidate
        removed.setdefault(c, "treated")
    for c in exclude:
        removed.setdefault(c, "excluded by the framework")
    return keep, removed


@dataclass(frozen=True, eq=False)
class GroupPanel:
    """One indicator for a treated group and its clean donor pool.

    ``panel`` rows ``0 .. n_treated-1`` are the treated areas (in ``starts`` order), the rest
    clean donors; ``panel.reform_start`` is the earliest start. ``weights`` (n_treated,) are
    population weights (sum 1) or None; ``aggregate`` (n_periods,) is the group's published
    series or None. ``removed`` maps every area kept out of the donor pool to the reason.
    """

    panel: Panel
    n_treated: int
    starts: tuple[date, ...]
    group_code: str | None = None
    group_name: str = ""
    weights: np.ndarray | None = None
    weight_source: str = ""
    aggregate: np.ndarray | None = None
    removed: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        p = self.panel
        return (f"<GroupPanel {p.indicator_id}: {self.n_treated} treated ({', '.join(self.treated_names[:3])}"
                f"{'...' if self.n_treated > 3 else ''}) + {self.n_donors} clean donors x {p.n_periods} periods; "
                f"starts {min(self.starts)}..{max(self.starts)}; {len(self.removed)} removed from the pool>")

    @property
    def indicator_id(self) -> str:
        return self.panel.indicator_id

    @property
    def label(self) -> str:
        return self.group_name or f"{self.n_treated} treated areas"

    @property
    def treated_codes(self) -> tuple[str, ...]:
        return self.panel.area_codes[: self.n_treated]

    @property
    def treated_names(self) -> tuple[str, ...]:
        return self.panel.area_names[: self.n_treated]

    @property
    def donor_codes(self) -> tuple[str, ...]:
        return self.panel.area_codes[self.n_treated:]

    @property
    def n_donors(self) -> int:
        return self.panel.n_areas - self.n_treated

    @property
    def Y(self) -> np.ndarray:
        return self.panel.values

    def pre_mask(self, i: int) -> np.ndarray:
        """Periods that ended before treated area ``i``'s start."""
        return self.panel.period_end < np.datetime64(self.starts[i], "D")

    def post_mask(self, i: int) -> np.ndarray:
        """Periods that began on or after treated area ``i``'s start."""
        return self.panel.period_start >= np.datetime64(self.starts[i], "D")

    def status(self) -> np.ndarray:
        """(n_areas, n_periods) int: 0 untreated (donors; treated before their start), 1 treated, -1 transition."""
        s = np.zeros(self.panel.values.shape, dtype=int)
        for i in range(self.n_treated):
            pre, post = self.pre_mask(i), self.post_mask(i)
            s[i, post] = 1
            s[i, ~(pre | post)] = -1
        return s

    def treated_weights(self, weighting: str = "equal") -> np.ndarray:
        """Weights of the treated areas (sum 1): ``equal`` or ``population`` (equal where none are known)."""
        if weighting == "population" and self.weights is not None:
            return np.asarray(self.weights, float)
        return np.full(self.n_treated, 1.0 / self.n_treated)

    def drop_treated(self, i: int) -> "GroupPanel":
        """The group without treated area ``i`` (removed altogether: it never becomes a donor)."""
        if self.n_treated < 2:
            raise MethodError("a group of one area has nothing left when it is dropped")
        rows = [r for r in range(self.panel.n_areas) if r != i]
        p = self.panel
        take = lambda a: a[rows]  # noqa: E731
        starts = tuple(s for j, s in enumerate(self.starts) if j != i)
        w = None
        if self.weights is not None:
            w = np.delete(np.asarray(self.weights, float), i)
            w = w / w.sum()
        p2 = replace(p, area_codes=tuple(p.area_codes[r] for r in rows), area_names=tuple(p.area_names[r] for r in rows),
                     values=take(p.values), lci=take(p.lci), uci=take(p.uci), count=take(p.count),
                     denominator=take(p.denominator), reform_start=min(starts))
        return replace(self, panel=p2, n_treated=self.n_treated - 1, starts=starts, weights=w)

    def member_panel(self, i: int) -> Panel:
        """A single-area panel: treated area ``i`` with its own start, the clean donors as comparators."""
        rows = [i, *range(self.n_treated, self.panel.n_areas)]
        p = self.panel
        take = lambda a: a[rows]  # noqa: E731
        return replace(p, area_codes=tuple(p.area_codes[r] for r in rows), area_names=tuple(p.area_names[r] for r in rows),
                       values=take(p.values), lci=take(p.lci), uci=take(p.uci), count=take(p.count),
                       denominator=take(p.denominator), reform_start=self.starts[i])

    def average_panel(self, weighting: str = "equal", *, series: str = "members") -> Panel:
        """A single-area panel whose focal row is the group (members' weighted mean, or the published aggregate).

        For the whole-group change-against-neighbours and trend-difference comparisons; the start is
        the earliest. Cells where any member is missing are missing. The focal row's confidence
        limits are dropped (an average's uncertainty is not the members').
        """
        p = self.panel
        if series == "aggregate":
            if self.aggregate is None:
                raise MethodError("the group has no published aggregate series for this indicator")
            row = np.asarray(self.aggregate, float)
            code, name = self.group_code or "GROUP", f"{self.group_name} (published aggregate)"
        else:
            w = self.treated_weights(weighting)
            row = w @ p.values[: self.n_treated]   # NaN where any member is missing
            code, name = self.group_code or "GROUP", f"{self.label} (average of {self.n_treated} members)"
        rows = list(range(self.n_treated, p.n_areas))
        nanrow = np.full((1, p.n_periods), np.nan)
        stack = lambda a, first: np.vstack([first[None, :] if first.ndim == 1 else first, a[rows]])  # noqa: E731
        return replace(p, area_codes=(code, *(p.area_codes[r] for r in rows)),
                       area_names=(name, *(p.area_names[r] for r in rows)),
                       values=stack(p.values, row), lci=stack(p.lci, nanrow), uci=stack(p.uci, nanrow),
                       count=stack(p.count, nanrow), denominator=stack(p.denominator, nanrow),
                       reform_start=min(self.starts))


def _population_weights(store, codes: Sequence[str], year: int) -> tuple[np.ndarray | None, str]:
    """Mid-year population of each code from a stored population indicator, nearest to ``year``."""
    try:
        inds = store.indicators("population")
    except Exception:   # noqa: BLE001 - a store without the table: no weights
        return None, ""
    if inds.empty:
        return None, ""
    cand = inds[inds["name"].str.lower().str.contains("population") & ~inds["name"].str.lower().str.contains(
        "density|change|%|percent|proportion|rate|aged|age ", regex=True)]
    for ind_id in cand["id"].tolist():
        obs = store.observations(ind_id, areas=list(codes))
        if obs.empty:
            continue
        obs = obs[obs["value"].notna() & (obs["sex"] == "Persons") & (obs["age"].isin(["All ages", ""]))]
        if obs.empty or set(obs["area_code"]) != set(codes):
            continue
        obs = obs.assign(_y=obs["period_start"].astype(str).str[:4].astype(int))
        obs = obs.assign(_d=(obs["_y"] - year).abs()).sort_values(["_d", "_y"])
        latest = obs.drop_duplicates("area_code").set_index("area_code")["value"]
        w = latest.reindex(list(codes)).to_numpy(float)
        if np.all(np.isfinite(w)) and np.all(w > 0):
            return w / w.sum(), f"population ({ind_id}, nearest {year})"
    return None, ""


def build_group_panel(
    store,
    *,
    indicator: str,
    group: TreatedGroup,
    comparators: Sequence[str] | str | None = None,
    exclude: Sequence[str] = (),
    cutoff: str | date | None = None,
    sex: str | None = None,
    age: str | None = None,
    category: str | None = None,
    polarity: str | None = None,
    weights: tuple[np.ndarray | None, str] | None = None,
) -> GroupPanel:
    """One indicator for a treated group and its clean donor pool, from the store.

    ``comparators``: None or ``"all"`` (every area of the first treated area's tier or type:
    districts are compared with districts), a stored group id (the union of each treated
    area's members) or a list of codes. Treated and ``exclude``d areas are removed from the
    pool. A treated area without data is dropped with a warning; MethodError when none has data.
    """
    treated = list(group.codes)
    excl = [store.resolve_area(x) for x in exclude]
    if comparators is None or comparators == "all":
        cand = same_tier_codes(store, treated[0])
    elif isinstance(comparators, str):
        g = store.groups(group_id=comparators)
        g = g[g["focal_area"].isin(treated)].sort_values(["focal_area", "rank"])
        if g.empty:
            raise StoreError(f"comparator group {comparators!r} has no members for any treated area")
        cand = g["member_area"].tolist()
    else:
        cand = [store.resolve_area(c) for c in comparators]
    pool, removed = clean_pool(cand, treated, excl)
    warnings: list[str] = []
    panel = None
    err = None
    for k, focal in enumerate(treated):   # the first treated area with data anchors the panel
        others = [c for c in treated if c != focal]
        try:
            panel = build_panel(store, indicator=indicator, area=focal, comparators=others + pool,
                                reform_start=min(group.starts), cutoff=cutoff, sex=sex, age=age, category=category,
                                polarity=polarity)
            break
        except MethodError as exc:
            err = exc
    if panel is None:
        raise MethodError(f"no treated area has data for {indicator}: {err}")
    present = set(panel.area_codes)
    t_rows = [panel.area_codes.index(c) for c in treated if c in present]
    missing = [n for c, n in zip(treated, group.names) if c not in present]
    if missing:
        warnings.append(f"{len(missing)} treated area(s) have no data for this indicator and are left out: "
                        f"{', '.join(missing)}")
    d_rows = [i for i, c in enumerate(panel.area_codes) if c not in set(treated)]
    order = t_rows + d_rows
    take = lambda a: a[order]  # noqa: E731
    starts = tuple(s for c, s in zip(treated, group.starts) if c in present)
    p2 = replace(panel, area_codes=tuple(panel.area_codes[i] for i in order),
                 area_names=tuple(panel.area_names[i] for i in order), values=take(panel.values),
                 lci=take(panel.lci), uci=take(panel.uci), count=take(panel.count),
                 denominator=take(panel.denominator), reform_start=min(starts), group_id=None,
                 warnings=tuple(w for w in panel.warnings if "comparator areas have no data" not in w))
    agg = None
    if group.group_code is not None:
        obs = store.observations(panel.indicator_id, areas=[group.group_code], sex=panel.sex, age=panel.age,
                                 category=panel.category)
        if len(obs):
            col = {lab: j for j, lab in enumerate(p2.period_labels)}
            agg = np.full(p2.n_periods, np.nan)
            for r in obs.itertuples(index=False):
                j = col.get(r.period_label)
                if j is not None:
                    agg[j] = r.value
            if not np.isfinite(agg).any():
                agg = None
    if weights is None:
        w, src = _population_weights(store, p2.area_codes[: len(t_rows)], min(starts).year - 1)
    else:
        w, src = weights
        if w is not None and len(w) != len(t_rows):
            keep = [j for j, c in enumerate(treated) if c in present]
            w = np.asarray(w, float)[keep]
            w = w / w.sum()
    return GroupPanel(panel=p2, n_treated=len(t_rows), starts=starts, group_code=group.group_code,
                      group_name=group.group_name, weights=w, weight_source=src, aggregate=agg, removed=removed,
                      warnings=tuple(warnings) + p2.warnings)


def group_panel_from_arrays(values: np.ndarray, t: Sequence[float], *, n_treated: int, starts_t: Sequence[float],
                            weights: np.ndarray | None = None, polarity: str = "no_judgement",
                            indicator_id: str = "simulated") -> GroupPanel:
    """A group panel from plain arrays (simulations, tests): rows ``0..n_treated-1`` treated, start ``starts_t[i]``.

    Periods are one year long, centred on ``t``; a start ``s`` (decimal year) makes period
    ``t`` post when ``t - 0.5 >= s``.
    """
    from .panel import panel_from_arrays

    p = panel_from_arrays(values, t, reform_t=float(min(starts_t)), polarity=polarity, indicator_id=indicator_id)

    def to_date(y: float) -> date:
        yr = int(np.floor(y))
        return (np.datetime64(f"{yr:04d}-01-01", "D") + np.timedelta64(int(round((y - yr) * 365.25)), "D")).astype(date)

    return GroupPanel(panel=p, n_treated=n_treated, starts=tuple(to_date(s) for s in starts_t),
                      weights=None if weights is None else np.asarray(weights, float) / np.sum(weights),
                      weight_source="given" if weights is not None else "")


def england_code() -> str:
    return ENGLAND
