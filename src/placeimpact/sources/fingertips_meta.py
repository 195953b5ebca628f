"""Curated metadata for Fingertips indicators, shared by the Fingertips readers.

Neither the FingertipsNext extract nor the Fingertips CSV export says what kind of
number an indicator is or which direction is better. :data:`CURATED` records it for the
indicators of ``../shared/data/fingertips-nw-extract`` (and any other id a user adds).
Each entry was set from the indicator's published name and definition (Fingertips
indicator metadata, NHS Digital specifications) and checked against the extract itself
(``value / (count / denominator)`` gives the multiplier: 100 for percentages, 1,000 or
100,000 for rates; a ratio that varies row to row means standardisation). Where the
direction is a matter of judgement (prevalence of a recorded condition, place of death,
service use) polarity is ``no_judgement``: never a guess presented as fact.

Indicators not in the table get :func:`infer` from their name, and always
``no_judgement`` polarity.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Meta", "CURATED", "metadata", "infer", "NHS_CODE"]

#: ODS-style codes Fingertips uses for GP practices (A81001) and primary care networks (U25520)
NHS_CODE = re.compile(r"^[A-Z]\d{5}$")


class Meta(NamedTuple):
    """What the reader needs to know about one Fingertips indicator."""
    value_type: str          # one of records.VALUE_TYPES
    unit: str
    multiplier: float
    polarity: str            # high_is_good | low_is_good | no_judgement
    ci_method: str           # how the publisher computed its CIs (published values are kept as they are)


_P, _R = "proportion", "crude_rate"
CURATED: dict[str, Meta] = {
    "241": Meta(_P, "%", 100, "no_judgement", "wilson"),            # Diabetes: QOF prevalence (17+)
    "247": Meta(_P, "%", 100, "no_judgement", "wilson"),            # Dementia: QOF prevalence
    "337": Meta("count", "persons", 1, "no_judgement", "none"),     # GP registered population
    "352": Meta(_P, "%", 100, "no_judgement", "none"),              # % with caring responsibility (GPPS, weighted)
    "383": Meta(_P, "%", 100, "no_judgement", "none"),              # % reporting dementia (GPPS, weighted)
    "20401": Meta(_R, "per 1,000", 1000, "low_is_good", "byar"),    # Under 18s conception rate
    "22401": Meta("dsr", "per 100,000", 100000, "low_is_good", "dobson"),  # falls admissions 65+
    "30302": Meta(_P, "%", 100, "high_is_good", "wilson"),          # Hepatitis B vaccination coverage
    "41101": Meta(_P, "% (indirectly standardised)", 100, "low_is_good", "published"),  # readmissions
    "41203": Meta(_R, "per 100,000", 100000, "low_is_good", "byar"),  # preventable sight loss: diabetic eye
    "90453": Meta(_P, "%", 100, "no_judgement", "none"),            # % former smokers (GPPS)
    "91040": Meta(_P, "%", 100, "high_is_good", "wilson"),          # NHS Health Checks offered (quarterly)
    "91344": Meta("ratio", "indirectly standardised ratio x 100", 100, "no_judgement", "byar"),  # 2WW referrals
    "91894": Meta(_P, "%", 100, "no_judgement", "wilson"),          # place of death hospital: dementia
    "92026": Meta(_P, "%", 100, "low_is_good", "wilson"),           # Reception obesity, 5 years combined
    "92033": Meta(_P, "%", 100, "low_is_good", "wilson"),           # Year 6 obesity, 5 years combined
    "92266": Meta(_R, "per 1,000 women aged 15-44", 1000, "no_judgement", "byar"),  # general fertility rate
    "92708": Meta("count", "persons", 1, "no_judgement", "none"),   # resident population
    "92904": Meta(_R, "per 100,000", 100000, "low_is_good", "byar"),  # alcohol-specific admissions <18
    "93015": Meta(_P, "% (survey weighted)", 100, "low_is_good", "published"),  # physically inactive adults
    "93085": Meta(_P, "%", 100, "low_is_good", "wilson"),           # smoking at time of delivery
    "93088": Meta(_P, "% (survey weighted)", 100, "low_is_good", "published"),  # overweight adults
    "93124": Meta(_R, "per 100,000", 100000, "low_is_good", "byar"),  # acute hepatitis B incidence
    "93474": Meta(_P, "%", 100, "no_judgement", "wilson"),          # deaths in hospital
    "93553": Meta("mean", "IMD 2019 score", 1, "no_judgement", "none"),  # deprivation score
    "93701": Meta(_P, "%", 100, "low_is_good", "wilson"),           # children in absolute low income families
    "93748": Meta("dsr", "per 100,000", 100000, "low_is_good", "dobson"),  # smoking attributable mortality
    "93763": Meta("dsr", "per 100,000", 100000, "low_is_good", "dobson"),  # alcohol-related mortality
    "93861": Meta(_P, "%", 100, "low_is_good", "none"),             # mortality attributable to PM2.5 (modelled)
    "94035": Meta("dsr", "per 100,000", 100000, "no_judgement", "dobson"),  # cataract surgery 65+
    "94063": Meta(_P, "%", 100, "high_is_good", "wilson"),          # breast screening coverage
    "94103": Meta(_P, "%", 100, "no_judgement", "published"),       # perinatal mental health (modelled)
}

#: Fingertips indicators whose series the extract gives by quarter without saying which quarter
QUARTERLY: frozenset[str] = frozenset({"91040"})


def infer(name: str) -> Meta:
    """Value type, unit and multiplier guessed from an indicator's name; polarity always no_judgement."""
    n = str(name).lower()
    if "standardised" in n and "ratio" in n:
        return Meta("ratio", "ratio x 100", 100, "no_judgement", "published")
    if re.search(r"(per|/)\s*100,?000", n):
        vt = "dsr" if "standardised" in n or "mortality" in n else _R
        return Meta(vt, "per 100,000", 100000, "no_judgement", "published")
    if re.search(r"(per|/)\s*1,?000\b", n):
        return Meta(_R, "per 1,000", 1000, "no_judgement", "published")
    if "%" in n or "percentage" in n or "proportion" in n or "prevalence" in n or "coverage" in n:
        return Meta(_P, "%", 100, "no_judgement", "published")
    if "life expectancy" in n:
        return Meta("life_expectancy", "years", 1, "no_judgement", "published")
    return Meta("mean", "", 1, "no_judgement", "published")


def metadata(indicator_id: str | int, name: str) -> Meta:
    """Curated metadata for a Fingertips indicator id, else :func:`infer` from its name."""
    return CURATED.get(str(indicator_id).strip(), None) or infer(name)
