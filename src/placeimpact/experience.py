"""People's experience as evidence: which indicators are survey measures, and of which survey.

Sample surveys publish estimates with sampling error, and a council's own survey is neither
independently collected nor comparable with other councils unless the questions match. So
every indicator carries a ``collection`` in its metadata:

==============  ================================================================================
``survey``      a national sample survey published by council (ONS Annual Population Survey
                personal well-being, the Adult Social Care Survey, the Survey of Adult Carers)
``own-survey``  a council's or team's own survey, loaded from a survey file
                (:mod:`placeimpact.sources.survey`, ``docs/survey-format.md``)
(empty)         administrative, registration or modelled data
==============  ================================================================================

:data:`NATIONAL_SURVEY_MEASURES` is the curated table of the survey measures that the shared data
hold (matched by indicator id); readers' indicator frames get their ``collection`` from it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SurveyInfo", "NATIONAL_SURVEY_MEASURES", "OWN_SURVEY_CAVEAT", "collection_of", "survey_info",
           "is_own_survey", "experience_caveat"]


@dataclass(frozen=True)
class SurveyInfo:
    """A national survey behind a published measure."""

    survey: str
    publisher: str
    about: str          # who is asked, how many, what the published limits mean

    def sentence(self) -> str:
        about = self.about[:1].lower() + self.about[1:]
        return f"a sample survey ({self.survey}, {self.publisher}): {about.rstrip('.')}"


_APS = SurveyInfo(
    "Annual Population Survey, personal well-being", "Office for National Statistics",
    "A sample of adults aged 16+ in each council (a few hundred to a few thousand a year); the published "
    "95% confidence limits carry the sampling error, which is large for small councils.")
_ASCS = SurveyInfo(
    "Adult Social Care Survey", "NHS England (formerly NHS Digital)",
    "An annual postal survey of a sample of people receiving long-term support funded by the council; "
    "results are weighted estimates with sampling error (not published with limits here).")
_SACE = SurveyInfo(
    "Survey of Adult Carers in England", "NHS England (formerly NHS Digital)",
    "A biennial survey of a sample of carers known to the council; weighted estimates with sampling error "
    "(not published with limits here).")

#: indicator id -> the national survey behind it (the user-experience measures in ../shared/data)
NATIONAL_SURVEY_MEASURES: dict[str, SurveyInfo] = {
    # ONS APS personal well-being, by council from 2011/12 (ONS Explore Local Statistics)
    "ons-els:satisfaction": _APS,
    "ons-els:worthwhile": _APS,
    "ons-els:happiness": _APS,
    "ons-els:anxiety": _APS,
    # the same items in the ONS Health Index inputs (self-reported well-being)
    "health-index:srwb_sat": _APS,
    "health-index:srwb_worth": _APS,
    "health-index:srwb_hap": _APS,
    "health-index:srwb_anx": _APS,
    # ASCOF measures from the Adult Social Care Survey
    "ascof:1A": _ASCS,    # social care-related quality of life
    "ascof:1B": _ASCS,    # control over daily life
    "ascof:1I1": _ASCS,   # social contact
    "ascof:1J": _ASCS,    # impact of services on quality of life
    "ascof:3A": _ASCS,    # overall satisfaction with care and support
    "ascof:3D1": _ASCS,   # ease of finding information
    "ascof:4A": _ASCS,    # feel safe
    "ascof:4B": _ASCS,    # services made them feel safe
    "trafford-themes:social_care_satisfaction": _ASCS,   # ASCOF 3A through Fingertips
    "oflog:ASC2": _ASCS,  # quality of life
    "oflog:ASC3": _ASCS,  # ease of finding information: users
    # ASCOF / Oflog measures from the carers' survey
    "ascof:1D": _SACE,
    "ascof:1I2": _SACE,
    "ascof:3B": _SACE,
    "ascof:3C": _SACE,
    "ascof:3D2": _SACE,
    "oflog:ASC1": _SACE,
    "oflog:ASC4": _SACE,
}

OWN_SURVEY_CAVEAT = ("a council's own survey: not independently collected, and not comparable with other councils "
                     "unless they asked the same questions in the same way")


def collection_of(indicator_id: object) -> str | None:
    """``survey`` for a curated national survey measure, ``own-survey`` for a survey-file indicator, else None."""
    if not isinstance(indicator_id, str):
        return None
    if indicator_id in NATIONAL_SURVEY_MEASURES:
        return "survey"
    if indicator_id.startswith("survey:"):
        return "own-survey"
    return None


def survey_info(indicator_id: str) -> SurveyInfo | None:
    """The national survey behind a curated measure (None for other indicators)."""
    return NATIONAL_SURVEY_MEASURES.get(indicator_id)


def is_own_survey(indicator: dict) -> bool:
    """Whether an indicator's metadata (a :meth:`Store.indicator` dict) marks a council's own survey."""
    return indicator.get("collection") == "own-survey" or collection_of(indicator.get("id")) == "own-survey"


def experience_caveat(indicator: dict) -> str | None:
    """The sentence a report prints beside a survey measure (None for other indicators)."""
    if is_own_survey(indicator):
        return OWN_SURVEY_CAVEAT
    info = survey_info(str(indicator.get("id")))
    return info.sentence() if info else None
