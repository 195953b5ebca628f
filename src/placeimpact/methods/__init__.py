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

__all__ = ["METHODS", "METHOD_TITLES", "get_method", "MethodResult"]

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
