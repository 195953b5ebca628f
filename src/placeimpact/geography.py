"""Areas: types and tiers from GSS codes, and boundary-change checks.

GSS code prefixes (ONS): E92 England, E12 region, E10 county (upper tier only),
E06 unitary, E08 metropolitan district, E09 London borough (all three are both
upper and lower tier), E07 non-metropolitan district (lower tier only), E11
metropolitan county, E13 Inner/Outer London, E47 combined authority.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

__all__ = ["area_type_from_code", "tiers_from_code", "GSS_CODE", "is_valid_code", "AREA_TYPES",
           "existed_during"]

GSS_CODE = re.compile(r"^[EWSNK]\d{8}$|^TL[A-Z0-9]{1,3}$|^UK[A-Z0-9]{0,3}$")

_PREFIX_TYPES = {
    "E92": "country", "K02": "uk", "K03": "gb", "K04": "england_and_wales",
    "W92": "country", "S92": "country", "N92": "country",
    "E12": "region", "E13": "inner_outer_london", "E10": "county", "E11": "metropolitan_county",
    "E06": "unitary", "E08": "metropolitan_district", "E09": "london_borough", "E07": "district",
    "E47": "combined_authority", "E38": "sub_icb", "E54": "icb", "E40": "nhs_region",
    "E22": "community_safety_partnership", "E23": "police_force_area",
    "W06": "unitary", "S12": "council_area", "N09": "district",
}

AREA_TYPES = tuple(sorted(set(_PREFIX_TYPES.values()) | {"other"}))

_UPPER = {"E10", "E06", "E08", "E09"}
_LOWER = {"E07", "E06", "E08", "E09"}


def is_valid_code(code: str) -> bool:
    return bool(GSS_CODE.match(str(code)))


def area_type_from_code(code: str) -> str:
    return _PREFIX_TYPES.get(str(code)[:3], "other")


def tiers_from_code(code: str) -> tuple[bool, bool]:
    """(upper_tier, lower_tier) for an English local-authority code; False, False otherwise."""
    p = str(code)[:3]
    return p in _UPPER, p in _LOWER


def existed_during(areas: pd.DataFrame, start: date, end: date) -> np.ndarray:
    """Boolean mask: areas whose validity [valid_from, valid_to] overlaps [start, end]."""
    vf = pd.to_datetime(areas["valid_from"]).dt.date
    vt = pd.to_datetime(areas["valid_to"]).dt.date
    ok_from = vf.isna() | (vf <= end)
    ok_to = vt.isna() | (vt >= start)
    return (ok_from & ok_to).to_numpy()
