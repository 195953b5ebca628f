"""Context for each outcome: where the area stands against England and its neighbours, and how much data there is.

:func:`benchmark_latest` compares the focal area's latest value with England the way
Fingertips does (the area's 95% interval against England's value, judged with polarity)
and places it in its neighbours' range (the spine chart), with Fingertips' recent-trend label
(both from :mod:`placeimpact.stats`). :func:`data_caveats` lists what limits an
evaluation on this panel (few periods before the reform, few comparators, overlapping
periods); the synthesis turns them into plain words.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..formatting import number
from ..panel import Panel
from ..periods import PeriodParseError, parse_period
from ..stats import compare_with_benchmark, recent_trend

__all__ = ["benchmark_latest", "data_caveats", "data_caveat_kinds", "PANDEMIC", "period_counts", "period_words", "MIN_COMPARATORS", "MIN_PRE_PERIODS"]

MIN_COMPARATORS = 10
MIN_PRE_PERIODS = 3


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def period_words(label: str | None) -> str:
    """A period label as people write it: 2019, 2019/20, 2017-19, Nov 2024 to Oct 2025 (the label if unparsed)."""
    if not label:
        return ""
    try:
        p = parse_period(label)
    except (PeriodParseError, ValueError):
        return str(label)
    s, e = p.start, p.end
    years = round(p.years)
    if s == e:
        return f"{s.day} {s:%b %Y}"
    if (s.year, s.month) == (e.year, e.month):
        return f"{s:%b %Y}"
    if (s.month, s.day) == (1, 1) and (e.month, e.day) == (12, 31):
        return str(s.year) if years == 1 else f"{s.year}-{e.year % 100:02d}"
    if (s.month, s.day) in ((4, 1), (9, 1), (8, 1)) and abs(p.years - years) < 0.02:
        return f"{s.year}/{(s.year + 1) % 100:02d}" if years == 1 else f"{s.year}/{(s.year + 1) % 100:02d} to {e.year - 1}/{e.year % 100:02d}"
    return f"{s:%b %Y} to {e:%b %Y}"


def _compare(value: float, lci: float, uci: float, england: float, polarity: str) -> str:
    """Fingertips' rule (the area's 95% CI against England's value), from :mod:`placeimpact.stats`."""
    return str(compare_with_benchmark(np.array([value]), np.array([lci]), np.array([uci]), england,
                                      polarity=polarity)[0])


def _recent_trend(panel: Panel) -> str | None:
    """Fingertips' recent-trend label on the focal area's last five points (None if it cannot be computed)."""
    ok = np.flatnonzero(np.isfinite(panel.focal_values))[-5:]
    if ok.size < 5:
        return None
    cnt, den = panel.count[0, ok], panel.denominator[0, ok]
    if panel.value_type == "proportion" and np.isfinite(cnt).all() and np.isfinite(den).all():
        tab = recent_trend(counts=cnt[None], denominators=den[None], method="proportion", polarity=panel.polarity)
    else:
        tab = recent_trend(panel.focal_values[ok][None], panel.lci[0, ok][None], panel.uci[0, ok][None],
                           polarity=panel.polarity)
    label = str(tab["label"].iloc[0])
    return None if label == "Could not be calculated" else label


_fmt = number


def benchmark_latest(panel: Panel) -> dict[str, Any] | None:
    """The focal area's latest value against England and the neighbours' range.

    Returns None when the focal area has no value. Keys: ``period_label``, ``value``, ``lci``,
    ``uci``, ``england``, ``comp_min``, ``comp_q1``, ``comp_median``, ``comp_q3``, ``comp_max``,
    ``n_comparators``, ``comparison`` (better / worse / similar / higher / lower / not compared),
    ``trend`` (Fingertips' recent-trend label, or None),
    ``rank`` (1 = best, or highest without polarity), ``n_ranked``, ``sentence``.
    """
    focal = panel.focal_values
    ok = np.flatnonzero(np.isfinite(focal))
    if ok.size == 0:
        return None
    j = int(ok[-1])
    v, lo, hi = float(focal[j]), float(panel.lci[0, j]), float(panel.uci[0, j])
    eng = float(panel.england_values[j])
    comps = panel.comparator_values[:, j]
    comps = comps[np.isfinite(comps)]
    q = np.quantile(comps, [0.0, 0.25, 0.5, 0.75, 1.0]) if comps.size else np.full(5, np.nan)
    comparison = _compare(v, lo, hi, eng, panel.polarity)
    allv = np.concatenate([[v], comps])
    sign = -1.0 if panel.polarity == "low_is_good" else 1.0
    rank = int(1 + np.sum(sign * allv[1:] > sign * v))
    name = panel.focal_name
    ci = f" (95% CI {_fmt(lo)} to {_fmt(hi)})" if math.isfinite(lo) and math.isfinite(hi) else ""
    unit = "" if not panel.unit else panel.unit if panel.unit == "%" else f" {panel.unit}"
    sentence = f"In {period_words(panel.period_labels[j])}, {name}: {_fmt(v)}{unit}{ci}"
    if math.isfinite(eng):
        sentence += f"; England {_fmt(eng)}"
        sentence += {"not compared": " (no interval to compare)", "similar": ", similar to England"}.get(
            comparison, f", {comparison} than England")
    if comps.size:
        order = "1 = best" if panel.polarity in ("high_is_good", "low_is_good") else "1 = highest"
        sentence += (f". {_ordinal(rank)} of {comps.size + 1} with its neighbours ({order}; neighbours range "
                     f"{_fmt(q[0])} to {_fmt(q[4])})")
    trend = _recent_trend(panel)
    if trend is not None:
        sentence += f". Recent trend (last five points): {trend.lower()}"
    return {
        "trend": trend, "period_label": panel.period_labels[j], "value": v, "lci": lo, "uci": hi, "england": eng,
        "comp_min": float(q[0]), "comp_q1": float(q[1]), "comp_median": float(q[2]), "comp_q3": float(q[3]),
        "comp_max": float(q[4]), "n_comparators": int(comps.size), "comparison": comparison,
        "rank": rank, "n_ranked": int(comps.size + 1), "sentence": sentence + ".",
    }


#: the COVID-19 pandemic years: a post-reform period that overlaps them carries the ``pandemic_window`` caveat
PANDEMIC = (np.datetime64("2020-03-01", "D"), np.datetime64("2021-12-31", "D"))


def _data_caveat_pairs(panel: Panel) -> list[tuple[str, str]]:
    """(text, kind) of every data caveat; kind "" when it has none."""
    focal_ok = np.isfinite(panel.focal_values)
    n_pre = int(np.sum(focal_ok & panel.pre))
    n_post = int(np.sum(focal_ok & panel.post))
    has = np.any(np.isfinite(panel.comparator_values), axis=1) if panel.n_areas > 1 else np.zeros(0, bool)
    n_comp = int(np.sum(has))
    out: list[tuple[str, str]] = [(w, "") for w in panel.warnings]
    if n_pre == 0:
        out.append(("no period ends before the reform start, so there is no clean pre-reform baseline", ""))
    elif n_pre < MIN_PRE_PERIODS:
        out.append((f"only {n_pre} period{'s' if n_pre != 1 else ''} before the reform", "few_periods"))
    if n_post == 0:
        out.append(("no data after the reform start", ""))
    if n_comp < MIN_COMPARATORS:
        out.append((f"only {n_comp} comparator areas have data", "few_donors"))
    if panel.overlapping:
        out.append((f"periods overlap (rolling {panel.period_years:.0f}-year averages)", "overlapping_periods"))
    post_used = focal_ok & panel.post
    if np.any(post_used & (panel.period_end >= PANDEMIC[0]) & (panel.period_start <= PANDEMIC[1])):
        out.append(("the post-reform periods include the COVID-19 pandemic (2020-21)", "pandemic_window"))
    return out


def data_caveats(panel: Panel) -> tuple[str, ...]:
    """What limits an evaluation on this panel, in words (empty when nothing does)."""
    return tuple(t for t, _ in _data_caveat_pairs(panel))


def data_caveat_kinds(panel: Panel) -> tuple[str, ...]:
    """The typed kind of each of :func:`data_caveats` (same order; "" where a caveat has no kind)."""
    return tuple(k for _, k in _data_caveat_pairs(panel))


def period_counts(panel: Panel) -> dict[str, Any]:
    """First and last period with a focal value, and the number before and after the reform."""
    ok = np.isfinite(panel.focal_values)
    idx = np.flatnonzero(ok)
    labels = panel.period_labels
    n_comp = int(np.sum(np.any(np.isfinite(panel.comparator_values), axis=1))) if panel.n_areas > 1 else 0
    return {
        "period_first": labels[idx[0]] if idx.size else None,
        "period_last": labels[idx[-1]] if idx.size else None,
        "n_pre": int(np.sum(ok & panel.pre)), "n_post": int(np.sum(ok & panel.post)),
        "n_comparators": n_comp,
    }
