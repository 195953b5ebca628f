"""mySociety's UK local-authority register (folder ``lookups``): the authoritative area registry.

``data/uk_local_authorities.csv`` has one row per council, current or abolished, keyed by a
stable three-letter ``local-authority-code``, with its GSS code (``gss-code``), ``start-date``,
``end-date``, successors (``replaced-by``, as registry codes), ``region``, type, county
(``county-la``, a registry code) and earlier GSS codes of the same council
(``former-gss-codes``). ``data/lookup_gss_to_registry.csv`` maps every current and former GSS
code to the registry code; it is read to cross-check the register (a disagreement raises).

What the store gets (source ``lookups``, which makes these areas authoritative):

* one area per council with a GSS code: ``name`` (``nice-name``), ``area_type`` (from the GSS
  prefix), tiers, ``parent_code`` (the county's GSS code, for districts), ``region_code``
  (E12 code; the nation's code outside England), ``valid_from``, ``valid_to`` and
  ``replaced_by`` (successors' GSS codes, comma separated);
* one area per former GSS code, ``replaced_by`` the council's current code (Northumberland
  E06000048 -> E06000057, Gateshead E08000020 -> E08000037, four Hertfordshire districts,
  Scottish councils). The register gives no date for these changes, so their ``valid_to``
  is left empty rather than guessed;
* England, the nine English regions and the other three nations, with their names.

Read as published, with these documented normalisations:

* ``end-date`` is written either as the last day of a council (Bournemouth, 2019-03-31) or as
  its successor's first day (Allerdale, 2023-04-01). ``valid_to`` is always the last day: an
  end date equal to a successor's start date is moved back one day.
* Abolished councils have no ``region``; they take their successor's.
* Derbyshire and Lincolnshire county councils carry the region West Midlands and Yorkshire
  and The Humber, while every one of their districts is (rightly) East Midlands: a county
  whose districts all lie in one other region takes their region (counted in
  ``Batch.dropped``).
* Forest Heath's ``county-la`` names Surrey, a county in another region (the council was in
  Suffolk). A county outside the council's own region is then a publication slip: the
  parent is not used, and the row is counted in ``Batch.dropped``.
* The 25 Northern Ireland districts abolished in 2015 have no GSS code and are not stored
  (counted in ``Batch.dropped``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geography import NATION_CODES, REGION_CODES, area_type_from_code, region_code_from_name, tiers_from_code
from ..records import Batch, area_frame, check_area_codes, check_unique, group_frame, read_text_csv

SOURCE = "lookups"
REGISTER = "data/uk_local_authorities.csv"
LOOKUP = "data/lookup_gss_to_registry.csv"
REQUIRED = ("local-authority-code", "nice-name", "gss-code", "start-date", "end-date", "replaced-by",
            "nation", "region", "local-authority-type", "county-la", "former-gss-codes")

#: names of the areas added beside the councils
EXTRA_AREAS: dict[str, str] = {code: name for name, code in (REGION_CODES | NATION_CODES).items()}

#: area types for codes whose GSS prefix alone says nothing (registry type -> area type)
_TYPE_FALLBACK = {"SRA": "strategic_regional_authority", "COMB": "combined_authority", "CC": "london_borough",
                  "NMD": "district", "MD": "metropolitan_district", "LBO": "london_borough", "UA": "unitary",
                  "CTY": "county", "SCO": "council_area", "WPA": "unitary", "NID": "district"}


def _dates(values: pd.Series, *, path: Path, field: str, lines: np.ndarray) -> pd.Series:
    s = values.str.strip()
    parsed = pd.to_datetime(s.where(s != ""), format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() & (s != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("a date is not in YYYY-MM-DD form", path=path, line=int(lines[i]), field=field,
                         expected="a date such as 2019-04-01, or an empty cell", got=str(values.iloc[i]))
    return parsed


def _map_registry(values: pd.Series, reg_to_gss: pd.Series, *, path: Path, field: str,
                  lines: np.ndarray) -> pd.Series:
    """Comma-separated registry codes -> comma-separated GSS codes (None when empty)."""
    parts = values.str.strip().str.split(",").explode().str.strip()
    parts = parts[parts.fillna("") != ""]
    gss = parts.map(reg_to_gss)
    unknown = gss.isna()
    if unknown.any():
        row = int(parts.index[unknown.to_numpy()][0])
        raise InputError("a registry code has no GSS code in the register", path=path, line=int(lines[row]),
                         field=field, expected="a local-authority-code of a council with a gss-code",
                         got=str(parts[unknown].iloc[0]))
    joined = gss.groupby(level=0).agg(",".join)
    return joined.reindex(values.index).astype(object).where(lambda s: s.notna(), None)


def read_register(register: Path, lookup: Path | None = None, *, key: str | None = None) -> Batch:
    """Read the register (and cross-check it against the GSS lookup) into a :class:`Batch` of areas."""
    register = Path(register)
    df = read_text_csv(register, required=REQUIRED)
    df = df.apply(lambda c: c.str.strip() if c.dtype == object or str(c.dtype).startswith("str") else c)
    lines = df["_line"].to_numpy()
    check_unique(df, ["local-authority-code"], path=register, lines=lines, what="council")
    dropped: dict[str, int] = {}

    no_gss = (df["gss-code"] == "").to_numpy()
    if no_gss.any():
        dropped["council without a GSS code (Northern Ireland districts abolished in 2015)"] = int(no_gss.sum())
    has = ~no_gss
    check_area_codes(df.loc[has, "gss-code"], path=register, field="gss-code", lines=lines[has])
    check_unique(df[has], ["gss-code"], path=register, lines=lines[has], what="GSS code")
    reg_to_gss = df.loc[has].set_index("local-authority-code")["gss-code"]

    former = df.loc[has, ["gss-code", "former-gss-codes"]].assign(
        former=lambda d: d["former-gss-codes"].str.split(",")).explode("former")
    former["former"] = former["former"].str.strip()
    former = former[former["former"].fillna("") != ""]
    check_area_codes(former["former"], path=register, field="former-gss-codes", lines=lines[former.index])
    clash = former["former"].isin(set(df["gss-code"]))
    if clash.any():
        i = int(former.index[clash.to_numpy()][0])
        raise InputError("a former GSS code is also a council's current code", path=register,
                         line=int(lines[i]), field="former-gss-codes", expected="codes no council uses now",
                         got=str(former.loc[clash, "former"].iloc[0]))

    if lookup is not None:
        _check_lookup(Path(lookup), df, former)

    start = _dates(df["start-date"], path=register, field="start-date", lines=lines)
    end = _dates(df["end-date"], path=register, field="end-date", lines=lines)
    replaced = _map_registry(df["replaced-by"], reg_to_gss, path=register, field="replaced-by", lines=lines)
    first_succ = df["replaced-by"].str.split(",").str[0].str.strip()
    succ_start = first_succ.map(df.set_index("local-authority-code")["start-date"])
    succ_start = pd.to_datetime(succ_start.where(succ_start.fillna("") != ""), errors="coerce")
    valid_to = end.where(~(end.notna() & end.eq(succ_start)), end - pd.Timedelta(days=1))

    region_name = df["region"].where(df["region"] != "")
    region_name = region_name.fillna(first_succ.map(df.set_index("local-authority-code")["region"]).replace("", None))
    unknown = region_name.notna() & region_code_from_name(region_name.fillna("")).isna()
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError("a region name is not an English region or UK nation", path=register,
                         line=int(lines[i]), field="region", expected="e.g. North West, Wales",
                         got=str(df["region"].iloc[i]))
    region_code = region_code_from_name(region_name.fillna(""))

    county = df["county-la"]
    parent = _map_registry(county, reg_to_gss, path=register, field="county-la", lines=lines)
    # a county whose districts all lie in one other region carries the wrong region itself
    by_county = pd.DataFrame({"county": county, "region": region_code})[(county != "") & region_code.notna()]
    agree = by_county.groupby("county")["region"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else None).dropna()
    reg_code = df["local-authority-code"]
    own = pd.Series(region_code.to_numpy(), index=reg_code)
    wrong = agree[(own.reindex(agree.index) != agree).to_numpy()]
    if len(wrong):
        fix = reg_code.isin(wrong.index).to_numpy()
        region_code = region_code.where(~fix, reg_code.map(wrong))
        dropped["county region differs from all its districts' (publication slip; districts' region used)"] = \
            int(fix.sum())
    county_region = county.map(pd.Series(region_code.to_numpy(), index=reg_code))
    slip = (county != "") & county_region.notna() & region_code.notna() & (county_region != region_code)
    if slip.any():
        dropped["county-la names a county in another region (publication slip; parent not used)"] = int(slip.sum())
        parent = parent.where(~slip, None)

    codes = df["gss-code"]
    area_type = codes.map(area_type_from_code)
    area_type = area_type.where(area_type != "other", df["local-authority-type"].map(_TYPE_FALLBACK).fillna("other"))
    tiers = codes.map(tiers_from_code)
    councils = pd.DataFrame({
        "code": codes, "name": df["nice-name"], "area_type": area_type,
        "upper_tier": tiers.str[0].astype(bool), "lower_tier": tiers.str[1].astype(bool),
        "parent_code": parent, "region_code": region_code,
        "valid_from": start.dt.date, "valid_to": valid_to.dt.date, "replaced_by": replaced,
    })[has]
    old = pd.DataFrame({
        "code": former["former"].to_numpy(),
        "name": df.loc[former.index, "nice-name"].to_numpy(),
        "parent_code": parent[former.index].to_numpy(),
        "region_code": region_code[former.index].to_numpy(),
        "replaced_by": former["gss-code"].to_numpy(),
    })
    old_tiers = old["code"].map(tiers_from_code)
    old = old.assign(area_type=old["code"].map(area_type_from_code), upper_tier=old_tiers.str[0].astype(bool),
                     lower_tier=old_tiers.str[1].astype(bool), valid_from=None, valid_to=None)
    extra = pd.DataFrame({"code": list(EXTRA_AREAS), "name": list(EXTRA_AREAS.values())})
    extra = extra.assign(area_type=extra["code"].map(area_type_from_code), upper_tier=False, lower_tier=False,
                         region_code=np.where(extra["code"].str.startswith("E12"), extra["code"], None))
    areas = area_frame(pd.concat([councils, old, extra], ignore_index=True))
    return Batch(source=SOURCE, key=key or register.name,
                 files=[register] + ([Path(lookup)] if lookup is not None else []),
                 areas=areas, groups=combined_authority_groups(df, reg_to_gss), dropped=dropped)


#: group id of combined-authority membership (focal area: the combined authority's E47 code)
COMBINED_AUTHORITY_GROUP = "combined-authority"


def combined_authority_groups(df: pd.DataFrame, reg_to_gss: pd.Series) -> pd.DataFrame:
    """Current member councils of each combined authority (register column ``combined-authority``).

    One row per (combined authority, member): ``group_id`` :data:`COMBINED_AUTHORITY_GROUP`,
    ``focal_area`` the authority's GSS code (E47...), ``member_area`` the council's. Abolished
    councils and authorities without a GSS code are left out; an absent column gives none.
    """
    if "combined-authority" not in df.columns:
        return group_frame([])
    cur = df[(df["combined-authority"].fillna("") != "") & (df["end-date"].fillna("") == "")
             & (df["gss-code"].fillna("") != "")]
    ca = cur["combined-authority"].map(reg_to_gss)
    cur = cur[ca.notna()].assign(focal=ca[ca.notna()]).sort_values(["focal", "gss-code"])
    if cur.empty:
        return group_frame([])
    rank = cur.groupby("focal").cumcount() + 1
    return group_frame(pd.DataFrame({
        "group_id": COMBINED_AUTHORITY_GROUP, "kind": "imported", "focal_area": cur["focal"].to_numpy(),
        "member_area": cur["gss-code"].to_numpy(), "rank": rank.to_numpy(), "distance": np.nan,
        "source": "mySociety local-authority register (combined-authority)"}))


def _check_lookup(lookup: Path, df: pd.DataFrame, former: pd.DataFrame) -> None:
    """Every GSS code in the lookup must be the named council's current or former code."""
    lk = read_text_csv(lookup, required=("gss-code", "local-authority-code"))
    lk_lines = lk["_line"].to_numpy()
    gss = lk["gss-code"].str.strip()
    reg = lk["local-authority-code"].str.strip()
    known = pd.concat([
        pd.Series(df["local-authority-code"].to_numpy(), index=df["gss-code"].to_numpy()),
        pd.Series(df.loc[former.index, "local-authority-code"].to_numpy(), index=former["former"].to_numpy()),
    ])
    known = known[known.index != ""]
    expect = gss.map(known)
    bad = (gss != "") & (expect != reg)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("the GSS lookup disagrees with the register", path=lookup, line=int(lk_lines[i]),
                         field="local-authority-code",
                         expected=f"{expect.iloc[i]} (the council whose current or former code is {gss.iloc[i]})",
                         got=str(reg.iloc[i]))
    unknown_reg = ~reg.isin(set(df["local-authority-code"]))
    if unknown_reg.any():
        i = int(np.flatnonzero(unknown_reg.to_numpy())[0])
        raise InputError("the GSS lookup names a council missing from the register", path=lookup,
                         line=int(lk_lines[i]), field="local-authority-code",
                         expected="a local-authority-code of uk_local_authorities.csv", got=str(reg.iloc[i]))


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """The register of ``folder`` (``lookups``), cross-checked with its GSS lookup when present."""
    folder = Path(folder)
    register = folder / REGISTER
    if not register.exists():
        return
    lookup = folder / LOOKUP
    yield read_register(register, lookup if lookup.exists() else None,
                        key=register.relative_to(root).as_posix())
