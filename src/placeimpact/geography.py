"""Areas: types and tiers from GSS codes, and boundary-change checks.

GSS code prefixes (ONS): E92 England, E12 region, E10 county (upper tier only),
E06 unitary, E08 metropolitan district, E09 London borough (all three are both
upper and lower tier), E07 non-metropolitan district (lower tier only), E11
metropolitan county, E13 Inner/Outer London, E47 combined authority.

Boundary changes (:func:`successor_map`, :func:`harmonise`): the 2019 (Dorset,
Bournemouth-Christchurch-Poole, Suffolk, Somerset West and Taunton), 2020
(Buckinghamshire), 2021 (Northamptonshire) and 2023 (Cumbria, North Yorkshire,
Somerset) reorganisations, and code changes of one authority, as recorded in the
area registry (``replaced_by``). A series is moved onto a successor's code only
when the boundary is provably the same; merged, split or absorbed areas are
flagged and left under their own code, never mixed with their successor.

Combined publication areas (:data:`COMBINED_AREAS`, :func:`assign_combined`): some indicators
are published only for two councils together (the Isles of Scilly with Cornwall, the City of
London with Hackney, under ONS's E67 codes). A council with no values of its own for such an
indicator can be given the combined series, said so in a note or warning; one with values of its
own never is, and in one panel the combined series goes to one member only.

pandas and numpy are imported on first use: ``placeimpact series`` reads :data:`COMBINED_AREAS`
and must start without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Iterable, Literal, Mapping, Sequence

from ._lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # deferred: the 'series' fast path imports this module for COMBINED_AREAS only
    np = lazy_module("numpy")
    pd = lazy_module("pandas")

__all__ = ["area_type_from_code", "tiers_from_code", "GSS_CODE", "is_valid_code", "AREA_TYPES",
           "existed_during", "REGION_CODES", "NATION_CODES", "region_code_from_name", "successor_map",
           "harmonise", "BoundaryKind", "CombinedArea", "COMBINED_AREAS", "combined_areas_of", "combined_note",
           "assign_combined", "follow_chains"]

GSS_CODE = re.compile(r"^[EWSNK]\d{8}$|^TL[A-Z0-9]{1,3}$|^UK[A-Z0-9]{0,3}$")

_PREFIX_TYPES = {
    "E92": "country", "K02": "uk", "K03": "gb", "K04": "england_and_wales",
    "W92": "country", "S92": "country", "N92": "country",
    "E12": "region", "E13": "inner_outer_london", "E10": "county", "E11": "metropolitan_county",
    "E06": "unitary", "E08": "metropolitan_district", "E09": "london_borough", "E07": "district",
    "E47": "combined_authority", "E38": "sub_icb", "E54": "icb", "E40": "nhs_region",
    "E22": "community_safety_partnership", "E23": "police_force_area",
    "W06": "unitary", "S12": "council_area", "N09": "district",
    "E05": "electoral_ward", "E61": "strategic_regional_authority",
}

AREA_TYPES = tuple(sorted(set(_PREFIX_TYPES.values()) | {"other"}))

_UPPER = {"E10", "E06", "E08", "E09"}
_LOWER = {"E07", "E06", "E08", "E09"}


def is_valid_code(code: str) -> bool:
    """True for a GSS-style area code (a letter and eight digits)."""
    return bool(GSS_CODE.match(str(code)))


def area_type_from_code(code: str) -> str:
    """The area type its code prefix says (``other`` when the prefix is not known)."""
    return _PREFIX_TYPES.get(str(code)[:3], "other")


def tiers_from_code(code: str) -> tuple[bool, bool]:
    """(upper_tier, lower_tier) for an English local-authority code; False, False otherwise."""
    p = str(code)[:3]
    return p in _UPPER, p in _LOWER


def existed_during(areas: pd.DataFrame, start: date, end: date) -> np.ndarray:
    """Boolean mask: areas whose validity [valid_from, valid_to] overlaps [start, end]."""
    vf = pd.to_datetime(areas["valid_from"], errors="coerce")
    vt = pd.to_datetime(areas["valid_to"], errors="coerce")
    ok_from = vf.isna() | (vf <= pd.Timestamp(end))
    ok_to = vt.isna() | (vt >= pd.Timestamp(start))
    return (ok_from & ok_to).to_numpy()


# ---------------------------------------------------------------------------
# regions and nations by name (as written by the registry, DfE, Oflog, ONS)
# ---------------------------------------------------------------------------

#: the nine English regions (ONS E12 codes), keyed by their usual names
REGION_CODES: dict[str, str] = {
    "North East": "E12000001", "North West": "E12000002", "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004", "West Midlands": "E12000005", "East of England": "E12000006",
    "London": "E12000007", "South East": "E12000008", "South West": "E12000009",
}

#: the four nations (ONS country codes), keyed by name
NATION_CODES: dict[str, str] = {
    "England": "E92000001", "Wales": "W92000004", "Scotland": "S92000003", "Northern Ireland": "N92000002",
}

_NAME_KEY = {k.lower(): v for k, v in (REGION_CODES | NATION_CODES).items()}
_NAME_KEY.update({"yorkshire and the humber": "E12000003", "east": "E12000006", "eastern": "E12000006"})


def region_code_from_name(names: pd.Series) -> pd.Series:
    """Region (or nation) codes for names, case-insensitively; unknown or blank names give None."""
    key = names.astype("string").str.strip().str.lower()
    return key.map(_NAME_KEY).astype(object).where(lambda s: s.notna(), None)


# ---------------------------------------------------------------------------
# boundary changes
# ---------------------------------------------------------------------------

BoundaryKind = Literal["recode", "same_boundary", "merge", "split"]
_COUNCIL_PREFIXES = frozenset({"E06", "E07", "E08", "E09", "E10", "W06", "S12", "N09"})
_MAP_COLUMNS = ["old_code", "old_name", "new_code", "new_name", "changed_on", "kind", "exact",
                "n_successors", "n_predecessors"]


def _areas_frame(areas) -> pd.DataFrame:
    """Accept a store (anything with ``.areas()``) or an areas frame."""
    if hasattr(areas, "areas") and callable(areas.areas):
        areas = areas.areas()
    if not isinstance(areas, pd.DataFrame):
        raise TypeError(f"expected a Store or an areas DataFrame, got {type(areas).__name__}")
    missing = [c for c in ("code", "replaced_by") if c not in areas.columns]
    if missing:
        raise ValueError(f"the areas frame lacks column {missing[0]!r} (expected the store's areas table)")
    return areas


def successor_map(areas, *, years: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Every abolished or recoded area with its successor(s), and whether the mapping is exact.

    Parameters
    ----------
    areas:
        A :class:`~placeimpact.store.Store` or a frame with the store's area columns
        (``code``, ``name``, ``replaced_by`` comma-separated, ``valid_to``, ``parent_code``,
        ``area_type``).
    years:
        Keep only changes that took effect in these calendar years (e.g. ``(2019, 2020, 2021,
        2023)``); changes with no recorded date are dropped by this filter.

    Returns
    -------
    pandas.DataFrame
        One row per (old code, new code) pair: ``old_code``, ``old_name``, ``new_code``,
        ``new_name``, ``changed_on`` (first day under the successor; NaT when the registry
        gives no date), ``kind`` and ``exact``. Kinds, most conservative first:

        * ``recode``: one successor of the same type whose only predecessor is this area (a
          new code for the same authority, e.g. Northumberland E06000048 -> E06000057, issued
          after a minor boundary adjustment that the publishers splice over). Exact.
        * ``same_boundary``: a county replaced by one unitary whose predecessors are that
          county and its own districts only, each of which went to that unitary (directly or
          through another of the county's districts, as Taunton Deane via Somerset West and
          Taunton), so the unitary covers exactly the county (Buckinghamshire 2020, North
          Yorkshire and Somerset 2023). Exact for the county's (upper-tier) series.
        * ``merge``: one of several predecessors of the successor (Bournemouth, Poole and
          Christchurch -> BCP in 2019; a district into a new unitary; Dorset County, which
          lost Christchurch to BCP). Not exact: flagged, never mapped.
        * ``split``: several successors (Northamptonshire 2021, Cumbria 2023). Not exact.

        Only councils' changes can be exact: a combined authority's new code (North East
        E47000005 -> E47000010) came with a change of member councils.
    """
    a = _areas_frame(areas)
    a = a.assign(name=a["name"] if "name" in a.columns else None,
                 parent_code=a["parent_code"] if "parent_code" in a.columns else None,
                 valid_to=a["valid_to"] if "valid_to" in a.columns else None,
                 area_type=a["area_type"] if "area_type" in a.columns else a["code"].map(area_type_from_code))
    rep = a.loc[a["replaced_by"].notna() & (a["replaced_by"].astype(str).str.strip() != ""),
                ["code", "name", "replaced_by", "valid_to", "area_type"]]
    edges = (rep.assign(new_code=rep["replaced_by"].astype(str).str.split(","))
             .explode("new_code").assign(new_code=lambda d: d["new_code"].str.strip()))
    edges = edges[edges["new_code"] != ""].rename(columns={"code": "old_code", "name": "old_name"})
    if edges.empty:
        return pd.DataFrame(columns=_MAP_COLUMNS)
    names = a.drop_duplicates("code").set_index("code")["name"]
    edges["new_name"] = edges["new_code"].map(names)
    edges["n_successors"] = edges.groupby("old_code")["new_code"].transform("size")
    edges["n_predecessors"] = edges.groupby("new_code")["old_code"].transform("size")
    vt = pd.to_datetime(edges["valid_to"], errors="coerce")
    edges["changed_on"] = (vt + pd.Timedelta(days=1)).dt.date

    # same_boundary: a county -> one unitary whose other predecessors are exactly the county's districts
    is_county = (edges["area_type"].eq("county") | edges["old_code"].astype(str).str.startswith("E10")).to_numpy()
    succ_of = edges.groupby("old_code")["new_code"].agg(frozenset).to_dict()
    preds_of = edges.groupby("new_code")["old_code"].agg(frozenset).to_dict()
    kids_of = a.loc[a["parent_code"].notna()].groupby("parent_code")["code"].agg(frozenset).to_dict()
    kinds = []
    for old, new, n_succ, n_pred, county in zip(edges["old_code"], edges["new_code"], edges["n_successors"],
                                                edges["n_predecessors"], is_county):
        kids = kids_of.get(old, frozenset())
        if n_succ > 1:
            kinds.append("split")
        elif n_pred == 1 and area_type_from_code(old) == area_type_from_code(new):
            kinds.append("recode")
        elif (county and kids and preds_of[new] - {old} <= kids
              and all(succ_of.get(k, frozenset()) and succ_of[k] <= kids | {new} for k in kids)):
            kinds.append("same_boundary")
        else:
            kinds.append("merge")
    edges["kind"] = kinds
    # combined authorities change membership under one body: their recodes are not exact
    council = edges["old_code"].astype(str).str[:3].isin(_COUNCIL_PREFIXES)
    edges["exact"] = edges["kind"].isin(["recode", "same_boundary"]) & council
    out = edges[_MAP_COLUMNS].sort_values(["changed_on", "old_code", "new_code"], na_position="last")
    if years is not None:
        yrs = pd.to_datetime(out["changed_on"], errors="coerce").dt.year
        out = out[yrs.isin(list(years)).to_numpy()]
    return out.reset_index(drop=True)


def follow_chains(step: Mapping[str, str]) -> dict[str, str]:
    """Old code -> last code, following ``step`` (old -> new) through chains of changes (cycles stop)."""
    out = {}
    for old in step:
        cur, seen = old, {old}
        while cur in step and step[cur] not in seen:
            cur = step[cur]
            seen.add(cur)
        out[old] = cur
    return out


def _exact_targets(m: pd.DataFrame) -> dict[str, str]:
    """Old code -> current code, following chains of exact changes only."""
    return follow_chains(dict(zip(m.loc[m["exact"], "old_code"], m.loc[m["exact"], "new_code"])))


def harmonise(obs: pd.DataFrame, areas) -> pd.DataFrame:
    """Put series on current area codes where that is exact; flag everything else.

    Parameters
    ----------
    obs:
        Observations (at least ``area_code``; usually the store's observation columns).
        Not modified.
    areas:
        A store or an areas frame (see :func:`successor_map`).

    Returns
    -------
    pandas.DataFrame
        A copy with ``area_code`` replaced by the current code for exact changes
        (``recode``, ``same_boundary``, followed through chains), and three added columns:
        ``reported_code`` (the code as published), ``boundary_status`` and ``boundary_note``.
        ``boundary_status`` is ``current`` (no change), ``recoded`` (mapped exactly),
        ``abolished`` (merged or split: left under its own code and flagged, because its
        boundary differs from any successor's) or ``superseded`` (an exact mapping would
        duplicate another row for the same period, published under the current code or
        mapped onto it: the row keeps its old code and is not to be used).
    """
    m = successor_map(areas)
    out = obs.copy()
    out["reported_code"] = out["area_code"]
    out["boundary_status"] = "current"
    out["boundary_note"] = None
    if m.empty:
        return out
    target = _exact_targets(m)
    inexact = m[~m["exact"]]
    note_inexact = (inexact.assign(txt=inexact["new_code"] + " (" + inexact["kind"] + ")")
                    .groupby("old_code").agg(txt=("txt", ", ".join), on=("changed_on", "first")))
    codes = out["area_code"].astype(str)
    mapped = codes.map(target)
    is_exact = mapped.notna().to_numpy()
    if is_exact.any():
        out.loc[is_exact, "area_code"] = mapped[is_exact].to_numpy()
        out.loc[is_exact, "boundary_status"] = "recoded"
        out.loc[is_exact, "boundary_note"] = ("published under " + codes[is_exact] + "; same boundary as "
                                              + mapped[is_exact]).to_numpy()
        key = [c for c in ("indicator_id", "sex", "age", "category", "period_label") if c in out.columns]
        dup = out.duplicated(subset=["area_code", *key], keep=False).to_numpy()
        clash = dup & is_exact
        if clash.any():
            # the row published under the current code is the one to use; recoded duplicates are not
            out.loc[clash, "area_code"] = out.loc[clash, "reported_code"]
            out.loc[clash, "boundary_status"] = "superseded"
            out.loc[clash, "boundary_note"] = ("another row for this period is published under, or maps "
                                               "exactly to, the current code " + mapped[clash]
                                               + "; this row is not used").to_numpy()
    ab = codes.isin(note_inexact.index).to_numpy() & ~is_exact
    if ab.any():
        info = note_inexact.reindex(codes[ab])
        unknown = "an unrecorded date"
        on = pd.Series(info["on"].to_numpy()).astype(str).replace({"NaT": unknown, "None": unknown})
        out.loc[ab, "boundary_status"] = "abolished"
        out.loc[ab, "boundary_note"] = ("abolished on " + on.to_numpy() + ", replaced by "
                                        + info["txt"].to_numpy() + "; boundaries differ, not mapped")
    return out


# ---------------------------------------------------------------------------
# combined publication areas
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CombinedArea:
    """A code under which a publisher gives one value for several councils together.

    ``members`` pairs each member council's code with its name. ``taker`` is the member given
    the combined series when more than one member is in a panel: the one holding nearly all of
    the combined population. ``source`` says where the combination is documented.
    """

    code: str
    name: str
    members: tuple[tuple[str, str], ...]
    taker: str
    source: str

    @property
    def member_codes(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.members)

    def label(self, code: str) -> str:
        """'Cornwall (E06000052)' for a member's code."""
        return f"{dict(self.members).get(code, code)} ({code})"


#: Combined publication codes, keyed by code. Only combinations documented by their publisher
#: are listed: ONS Explore Local Statistics gives the two E67 codes (names as published there),
#: with the caveat "The data source combines the City of London totals with Hackney, and the
#: Isles of Scilly totals with Cornwall to prevent potential disclosure of individuals"
#: (preventable cardiovascular mortality; the cancer-diagnosis and child-weight metadata say the
#: same). ITL regions such as TLK30 "Cornwall and Isles of Scilly" are statistical geographies,
#: not combined publications of council figures, and are not listed. Populations (mySociety
#: register, 2020): Cornwall 573,299 and the Isles of Scilly 2,226; Hackney 280,941 and the City
#: of London 10,938.
COMBINED_AREAS: dict[str, CombinedArea] = {
    "E67000001": CombinedArea(
        "E67000001", "City of London, Hackney", (("E09000001", "City of London"), ("E09000012", "Hackney")),
        taker="E09000012",
        source="ONS Explore Local Statistics (preventable cardiovascular mortality): City of London totals "
               "combined with Hackney to prevent disclosure"),
    "E67000002": CombinedArea(
        "E67000002", "Isles of Scilly, Cornwall", (("E06000053", "Isles of Scilly"), ("E06000052", "Cornwall")),
        taker="E06000052",
        source="ONS Explore Local Statistics (preventable cardiovascular mortality, cancer diagnosis at stage 1 "
               "and 2, child weight): Isles of Scilly totals combined with Cornwall to prevent disclosure"),
}


def combined_areas_of(codes: Iterable[str]) -> list[str]:
    """Codes of the combined areas (:data:`COMBINED_AREAS`) with a member among ``codes``, in table order."""
    wanted = set(codes)
    return [c for c, ca in COMBINED_AREAS.items() if wanted.intersection(ca.member_codes)]


def combined_note(code: str, area: str | None = None, *, role: str = "") -> str:
    """Words for values that belong to combined area ``code`` (given to member ``area``, if named).

    ``role`` (e.g. ``"comparator"``) is put before the member's name.
    """
    ca = COMBINED_AREAS[code]
    whose = f"values for {role + ' ' if role else ''}{ca.label(area)} are" if area else "values are"
    return f"{whose} for {ca.name} combined ({code}): this indicator is published only for the combined area"


def assign_combined(obs: pd.DataFrame, codes: Sequence[str], *,
                    own: Iterable[str] = ()) -> tuple[pd.DataFrame, list[str]]:
    """Give each combined area's series to one member council, in a panel, that has none of its own.

    Parameters
    ----------
    obs:
        Observations of one indicator (the store's columns, at least ``area_code`` and
        ``value``) for the panel's areas and the combined areas of :func:`combined_areas_of`.
        Not modified.
    codes:
        The panel's areas, the focal area first.
    own:
        Member councils that have values of their own for the indicator anywhere (in any
        breakdown or period, not only those in ``obs``). Areas with a value in ``obs`` count too.

    Returns
    -------
    tuple[pandas.DataFrame, list[str]]
        A copy of ``obs`` in which each combined area's rows that are used carry the taker's
        code in ``area_code`` (``reported_code`` keeps the published code and ``area_name`` the
        combined area's name), the taker's own empty rows are dropped, and the rows of combined
        areas not used are dropped; and warnings that say what was done.

    Rules, per combined area with values in ``obs`` and members among ``codes``:

    * a member with values of its own uses only those: it never takes the combined series;
    * only the combined area's designated ``taker`` (the larger council, nearly all of the
      series) takes it; the smaller member, even as the focal area, never does (it is told why);
    * the combined series includes every member, so it is counted once: other members without
      values stay without; a comparator does not take it while another member is in the panel
      with its own values (those would count twice); and when the focal area takes it,
      comparators that are members with values of their own are left out.
    """
    codes = list(codes)
    focal = codes[0] if codes else None
    out = obs.copy()
    if "reported_code" not in out.columns:
        out["reported_code"] = out["area_code"]
    area = out["area_code"].astype(str)
    with_values = set(area[out["value"].notna().to_numpy()])
    own_values = set(own) | with_values
    in_panel = set(codes)
    moves: dict[str, str] = {}
    left_out: set[str] = set()
    warnings: list[str] = []
    for ca in COMBINED_AREAS.values():  # the curated table: a few entries
        members = [m for m in ca.member_codes if m in in_panel]
        lacking = [m for m in members if m not in own_values]
        if ca.code not in with_values or ca.code in in_panel or not lacking:
            continue
        has_own = [m for m in members if m in own_values]
        labels = lambda cs: ", ".join(ca.label(c) for c in cs)  # noqa: E731
        if focal in lacking and focal != ca.taker:   # the small member: the series is nearly all its partner's
            warnings.append(f"{ca.label(focal)} has no values of its own, and those for {ca.name} combined "
                            f"({ca.code}) are almost all {ca.label(ca.taker)}'s, so they are not used for it")
            continue
        taker = ca.taker
        # the larger council has its own values or is not in the panel, or is a comparator beside a member
        # with its own values (which the combined series includes)
        if taker not in lacking or (taker != focal and has_own):
            if has_own:
                warnings.append(f"{labels(lacking)} not given the values for {ca.name} combined ({ca.code}): they "
                                f"include {labels(has_own)}, which is in the panel with values of its own")
            continue
        moves[ca.code] = taker
        warnings.append(combined_note(ca.code, taker, role="" if taker == focal else "comparator"))
        others = [m for m in lacking if m != taker]
        if others:
            warnings.append(f"{labels(others)} left without data: the values for {ca.name} combined ({ca.code}) "
                            f"are given to {ca.label(taker)} only, so that they are counted once")
        if has_own:  # the focal area took it: members with their own values are inside the focal series
            left_out.update(has_own)
            warnings.append(f"comparator {labels(has_own)} left out: the values for {ca.name} combined "
                            f"({ca.code}) used for {ca.label(taker)} include it")
    taken = area.map(moves)
    unused = area.isin(list(COMBINED_AREAS)) & taken.isna() & ~area.isin(codes)
    replaced = area.isin(list(moves.values()) + sorted(left_out))
    moved = taken.notna().to_numpy()
    if moved.any():
        out.loc[moved, "area_code"] = taken[moved].to_numpy()
    return out[~(unused | replaced).to_numpy()], warnings
