"""The outcome frameworks the web form offers, found by name (never a path from the browser).

They are the files in the repository's ``frameworks/`` folder (a source checkout or editable
install); an installed wheel, which has no such folder, falls back to the copies of
``generic-upper-tier.yaml`` and ``generic-lower-tier.yaml`` shipped as package data in
``placeimpact/evaluation/``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

#: name -> what the form says about it
SHIPPED: dict[str, str] = {
    "generic-upper-tier": "Generic: any upper-tier council, or a combined authority's councils as a group "
                          "(give the area and the reform start)",
    "generic-lower-tier": "Generic: any district council (give the area and the reform start)",
    "wigan-deal": "The worked example: the Wigan Deal (Wigan, from 1 April 2011)",
    "greater-manchester-devolution": "The group example: Greater Manchester health and social-care devolution "
                                     "(ten councils, from 1 April 2016)",
}

_PACKAGE = Path(__file__).resolve().parents[1]
_DIRS = (_PACKAGE.parents[1] / "frameworks", _PACKAGE / "evaluation")


#: the tier of council a shipped framework is written for, where it is not the upper tier
TIERS: dict[str, str] = {"generic-lower-tier": "lower"}


def tier(name: str) -> str:
    """``upper`` or ``lower``: the councils a shipped framework evaluates (the form checks the area against it)."""
    return TIERS.get(name, "upper")


def available() -> dict[str, str]:
    """The shipped frameworks found on this installation: name -> description."""
    return {name: text for name, text in SHIPPED.items() if any((d / f"{name}.yaml").is_file() for d in _DIRS)}


def framework_path(name: str) -> Path:
    """The YAML file of a shipped framework; InputError naming the choices for anything else."""
    if name in SHIPPED:
        for d in _DIRS:
            p = d / f"{name}.yaml"
            if p.is_file():
                return p
    raise InputError("unknown framework", field="framework", expected="one of " + ", ".join(available()),
                     got=name, hint="Choose one of the shipped frameworks, or run your own with 'placeimpact evaluate'")
