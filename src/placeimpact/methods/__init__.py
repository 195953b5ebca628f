"""Evaluation methods: pure functions ``(panel, **options) -> MethodResult``.

=========================  =====================================  ==========================
name                       module                                 what it estimates
=========================  =====================================  ==========================
change_vs_neighbours       :mod:`.change`                         pre->post change, ranked
trend_difference           :mod:`.trend`                          post-pre slope vs England
its                        :mod:`.its`                            level and slope change
did                        :mod:`.did`                            DiD vs the comparator group
synthetic_control          :mod:`.synth`                          gap vs a weighted donor mix
=========================  =====================================  ==========================

:data:`METHODS` maps each name to ``"module:function"``; :func:`get_method` imports it.
"""

from __future__ import annotations

import importlib
from typing import Callable

from .result import MethodResult

__all__ = ["METHODS", "get_method", "MethodResult"]

METHODS: dict[str, str] = {
    "change_vs_neighbours": "change:change_vs_neighbours",
    "trend_difference": "trend:trend_difference",
    "its": "its:interrupted_time_series",
    "did": "did:difference_in_differences",
    "synthetic_control": "synth:synthetic_control",
}


def get_method(name: str) -> Callable[..., MethodResult]:
    """The function for a method name; ValueError listing the names if unknown."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}")
    mod, fn = METHODS[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), fn)
