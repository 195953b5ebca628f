"""Evaluation methods: pure functions ``(panel, **options) -> MethodResult``.

=============================  ====================  =============================
name                           module                what it estimates
=============================  ====================  =============================
change_vs_neighbours           :mod:`.change`        pre->post change, ranked
trend_difference               :mod:`.trend`         post-pre slope vs England
its                            :mod:`.its`           level and slope change
did                            :mod:`.did`           DiD vs the comparator group
synthetic_control              :mod:`.synth`         gap vs a weighted donor mix
conformal_synthetic_control    :mod:`.conformal`     the same gap, conformal CI
augmented_synthetic_control    :mod:`.conformal`     ridge-augmented SC gap
demeaned_synthetic_control     :mod:`.conformal`     intercept-shifted SC gap
=============================  ====================  =============================

:data:`METHODS` maps each name to ``"module:function"``; :func:`get_method` imports it.
:data:`METHOD_TITLES` gives each a readable name for reports.
"""

from __future__ import annotations

import importlib
from typing import Callable

from .result import MethodResult

__all__ = ["METHODS", "METHOD_TITLES", "GROUP_METHODS", "get_method", "get_group_method", "MethodResult"]

METHODS: dict[str, str] = {
    "change_vs_neighbours": "change:change_vs_neighbours",
    "trend_difference": "trend:trend_difference",
    "its": "its:interrupted_time_series",
    "did": "did:difference_in_differences",
    "synthetic_control": "synth:synthetic_control",
    "conformal_synthetic_control": "conformal:conformal_synthetic_control",
    "augmented_synthetic_control": "conformal:augmented_synthetic_control",
    "demeaned_synthetic_control": "conformal:demeaned_synthetic_control",
}

#: readable names, one per registered method
METHOD_TITLES: dict[str, str] = {
    "change_vs_neighbours": "Change ranked against neighbours",
    "trend_difference": "Trend difference",
    "its": "Interrupted time series",
    "did": "Difference-in-differences",
    "synthetic_control": "Synthetic control",
    "conformal_synthetic_control": "Synthetic control, conformal interval",
    "augmented_synthetic_control": "Augmented synthetic control (ridge)",
    "demeaned_synthetic_control": "De-meaned synthetic control",
}


def get_method(name: str) -> Callable[..., MethodResult]:
    """The function for a method name; ValueError listing the names if unknown."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}")
    mod, fn = METHODS[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), fn)


#: methods for a treated GROUP of areas: ``(GroupPanel, **options) -> MethodResult`` with
#: ``per_area`` and ``event_study`` filled (see :mod:`placeimpact.group_panel`)
GROUP_METHODS: dict[str, str] = {
    "staggered_did": "staggered_did:callaway_santanna",
    "imputation_did": "staggered_did:imputation_did",
    "group_synthetic_control": "group_synth:group_synthetic_control",
    "generalized_synthetic_control": "gsynth:generalized_synthetic_control",
    "group_change_vs_neighbours": "group_compare:group_change_vs_neighbours",
    "group_trend_difference": "group_compare:group_trend_difference",
}


def get_group_method(name: str) -> Callable[..., MethodResult]:
    """The function for a group method name; ValueError listing the names if unknown."""
    if name not in GROUP_METHODS:
        raise ValueError(f"unknown group method {name!r}; expected one of {', '.join(GROUP_METHODS)}")
    mod, fn = GROUP_METHODS[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), fn)
