"""Benchmarking kernels as Fingertips does it: compare with a benchmark, quantiles, rank in a group.

Fingertips marks an area *better* or *worse* than a benchmark (England, the region,
the mean of a comparator group) when the area's confidence interval lies wholly on
one side of the benchmark's value, at 95% and separately at 99.8%; otherwise
*similar*. Without a polarity (no judgement of good or bad) the words are *higher* /
*similar* / *lower*. Where a value or limit is missing the area is *not compared*.
``rule="ci_overlap"`` offers the stricter test that needs the two intervals not to overlap.

Quantiles follow the PHE algorithm (OHID technical guide "Assigning deprivation
categories"): with N ranked values and Q quantiles, rank r (ascending, ties take the
lowest rank) goes to quantile ``floor((Q + 1) - ceil(((N + 1) - r) / (N / Q)))``
(0 becomes 1); groups with fewer than Q values get none.

References
----------
Public Health England. Fingertips technical guidance: "Benchmarking", "Quintiles".
Flowers J. Statistical process control methods in public health intelligence.
APHO Technical Briefing 2, 2007.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ._common import as_float, check_choice, polarity_array as _polarity_array

__all__ = ["compare_with_benchmark", "quantiles", "quintile_label", "rank_in_group", "tie_safe_quintiles", "BENCHMARK_LABELS",
           "Rule"]

Rule = Literal["benchmark_value", "ci_overlap"]
BENCHMARK_LABELS = ("better", "similar", "worse", "higher", "lower", "not compared")
def compare_with_benchmark(
    value: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    benchmark: np.ndarray | float,
    *,
    polarity: str | np.ndarray = "no_judgement",
    benchmark_lower: np.ndarray | float | None = None,
    benchmark_upper: np.ndarray | float | None = None,
    rule: Rule = "benchmark_value",
) -> np.ndarray:
    """Label each area against its benchmark.

    Parameters
    ----------
    value, lower, upper : array_like, shape (m,)
        Area values and their confidence limits (at the level being tested).
    benchmark : array_like, shape (m,) or scalar
        The benchmark's value (England, region, comparator mean).
    polarity : str or array of str, shape (m,)
        ``high_is_good``, ``low_is_good`` or ``no_judgement`` (per row or for all).
    benchmark_lower, benchmark_upper : array_like, optional
        The benchmark's limits, needed for ``rule="ci_overlap"``.
    rule : {"benchmark_value", "ci_overlap"}
        Fingertips' rule (area CI against the benchmark value) or the CI-overlap rule.

    Returns
    -------
    ndarray of str, shape (m,)
        ``better`` / ``similar`` / ``worse`` (with polarity), ``higher`` / ``similar`` /
        ``lower`` (without), or ``not compared``.
    """
    check_choice("rule", rule, ("benchmark_value", "ci_overlap"))
    value, lower, upper, bench = np.broadcast_arrays(as_float(value), as_float(lower), as_float(upper),
                                                     as_float(benchmark))
    if rule == "ci_overlap":
        if benchmark_lower is None or benchmark_upper is None:
            from ..errors import InputError

            raise InputError("the CI-overlap rule needs the benchmark's limits", field="benchmark_lower",
                             expected="benchmark_lower and benchmark_upper arrays", got="None",
                             hint="Pass them, or use rule='benchmark_value' (Fingertips' rule)")
        b_lo = np.broadcast_to(as_float(benchmark_lower), value.shape)
        b_hi = np.broadcast_to(as_float(benchmark_upper), value.shape)
    else:
        b_lo = b_hi = bench
    pol = _polarity_array(polarity, value.shape)
    missing = ~(np.isfinite(value) & np.isfinite(lower) & np.isfinite(upper) & np.isfinite(b_lo) & np.isfinite(b_hi))
    above = ~missing & (lower > b_hi)
    below = ~missing & (upper < b_lo)
    high_good = pol == "high_is_good"
    low_good = pol == "low_is_good"
    out = np.full(value.shape, "similar", dtype=object)
    out[above] = np.where(high_good[above], "better", np.where(low_good[above], "worse", "higher"))
    out[below] = np.where(high_good[below], "worse", np.where(low_good[below], "better", "lower"))
    out[missing] = "not compared"
    return out


def quantiles(
    values: np.ndarray | pd.Series,
    groups: np.ndarray | pd.Series | None = None,
    *,
    n_quantiles: int = 5,
    invert: bool | np.ndarray = False,
    ties: str = "min",
) -> np.ndarray:
    """PHE quantile (1..Q) of each value within its group.

    Parameters
    ----------
    values : array_like, shape (m,)
        Values to rank (NaN gets no quantile).
    groups : array_like, shape (m,), optional
        Group labels (e.g. indicator x period x area type); all one group if omitted.
    n_quantiles : int
        5 for quintiles, 10 for deciles.
    invert : bool or array of bool, shape (m,)
        True puts the highest values in quantile 1 (per row; constant within a group).
    ties : {"min", "max"}
        How tied values are ranked: ``"min"`` as PHEindicatormethods does (the reference), or
        ``"max"``; :func:`tie_safe_quintiles` uses both to find ties that span quantiles.

    Returns
    -------
    ndarray of float, shape (m,)
        Quantile numbers 1..Q; NaN for missing values and for groups with fewer than Q values.
    """
    if ties not in ("min", "max"):
        raise ValueError(f"ties must be 'min' or 'max'; got {ties!r}")
    v = pd.Series(as_float(values))
    g = pd.Series(np.zeros(len(v), dtype=int) if groups is None else np.asarray(groups))
    inv = np.broadcast_to(np.asarray(invert, dtype=bool), v.shape)
    gmax = v.groupby(g).transform("max").to_numpy()
    adj = pd.Series(np.where(inv, gmax - v.to_numpy(), v.to_numpy()))
    rank = adj.groupby(g).rank(method=ties).to_numpy()
    n = v.notna().groupby(g).transform("sum").to_numpy().astype(float)
    q = float(n_quantiles)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.floor((q + 1.0) - np.ceil(((n + 1.0) - rank) / (n / q)))
    out[out == 0] = 1.0
    out[(n < q) | np.isnan(rank)] = np.nan
    return out


def tie_safe_quintiles(values: np.ndarray | pd.Series,
                       groups: np.ndarray | pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """PHE quintiles, except for values whose tie block spans more than one quintile.

    When many areas share a value (95 of 157 councils at 100%), the PHE formula puts the
    whole block in the quintile of its lowest rank, so the highest possible value can read
    "Worse". Such values get no quintile (NaN) and ``spans`` is True: the banding cannot
    place them. Values with no tie, or a tie inside one quintile, keep the PHE quintile.

    Returns
    -------
    (quintile, spans) : ndarrays of shape (m,), float and bool
    """
    lo = quantiles(values, groups, n_quantiles=5, ties="min")
    hi = quantiles(values, groups, n_quantiles=5, ties="max")
    spans = np.isfinite(lo) & np.isfinite(hi) & (lo != hi)
    return np.where(spans, np.nan, lo), spans


def quintile_label(quintile: np.ndarray, polarity: str | np.ndarray = "no_judgement",
                   spans: np.ndarray | None = None) -> np.ndarray:
    """Words for quintiles 1 (lowest values) .. 5: Lowest ... Highest, or Best ... Worst with polarity.

    Parameters
    ----------
    quintile : array_like, shape (m,)
        Quintile numbers where 1 holds the lowest values.
    polarity : str or array of str, shape (m,)
    spans : array of bool, shape (m,), optional
        From :func:`tie_safe_quintiles`: rows labelled "tied across quintiles".

    Returns
    -------
    ndarray of str, shape (m,) ("" where the quintile is missing)
    """
    q = as_float(quintile)
    pol = _polarity_array(polarity, q.shape)
    plain = np.array(["", "Lowest", "Low", "Middle", "High", "Highest"], dtype=object)
    high_good = np.array(["", "Worst", "Worse", "Middle", "Better", "Best"], dtype=object)
    low_good = np.array(["", "Best", "Better", "Middle", "Worse", "Worst"], dtype=object)
    idx = np.where(np.isfinite(q) & (q >= 1) & (q <= 5), np.nan_to_num(q), 0).astype(int)
    out = np.where(pol == "high_is_good", high_good[idx], np.where(pol == "low_is_good", low_good[idx], plain[idx]))
    if spans is not None:
        out = np.where(np.asarray(spans, dtype=bool), "tied across quintiles", out)
    return out


def rank_in_group(
    values: np.ndarray | pd.Series,
    groups: np.ndarray | pd.Series | None = None,
    *,
    polarity: str | np.ndarray = "no_judgement",
) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each value within its group: 1 is the best (or the highest without polarity).

    Parameters
    ----------
    values : array_like, shape (m,)
    groups : array_like, shape (m,), optional
    polarity : str or array of str, shape (m,)
        ``low_is_good`` ranks the lowest value first; otherwise the highest.

    Returns
    -------
    rank, size : ndarray of float, shape (m,)
        Rank (ties share the best rank; NaN for missing values) and the number of ranked values in the group.
    """
    v = as_float(values)
    pol = _polarity_array(polarity, v.shape)
    key = pd.Series(np.where(pol == "low_is_good", v, -v))
    g = pd.Series(np.zeros(len(v), dtype=int) if groups is None else np.asarray(groups))
    rank = key.groupby(g).rank(method="min").to_numpy()
    size = key.notna().groupby(g).transform("sum").to_numpy().astype(float)
    return rank, size
