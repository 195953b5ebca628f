"""Comparator groups: imported statistical neighbours, and transparent computed ones.

Module map:

============================  ==============================================================
``comparators/imported.py``   stored groups (Oflog, CIPFA, a user's own CSV, saved computed ones)
``comparators/features.py``   which features, read at one period on or before the reference year
``comparators/distance.py``   pure kernels: missing-value handling, z-scores, standardised distance
``comparators/computed.py``   nearest neighbours of an area, the result object, stability
``comparators/explain.py``    reasons per neighbour, overlap of two lists, stability result
============================  ==============================================================

Example::

    from placeimpact.comparators import compute_neighbours, imported_neighbours
    nn = compute_neighbours(store, "Wigan", year=2010)      # features measured by end-2010
    print(nn.summary())                                       # incl. overlap with 'oflog-nn'
    store.save_group(nn.to_group())                           # name it in evaluations
"""

from .computed import ComputedNeighbours, candidate_areas, compute_neighbours, nearest_neighbours, stability
from .distance import MissingReport, handle_missing, standardised_distance, zscores
from .explain import Overlap, Stability, overlap
from .features import DEFAULT_FEATURES, FeatureSpec
from .imported import DEFAULT_GROUP, NeighbourGroup, available_groups, imported_neighbours

__all__ = [
    "ComputedNeighbours",
    "DEFAULT_FEATURES",
    "DEFAULT_GROUP",
    "FeatureSpec",
    "MissingReport",
    "NeighbourGroup",
    "Overlap",
    "Stability",
    "available_groups",
    "candidate_areas",
    "compute_neighbours",
    "handle_missing",
    "imported_neighbours",
    "nearest_neighbours",
    "overlap",
    "stability",
    "standardised_distance",
    "zscores",
]
