"""Small helpers shared by the change, trend, ITS and DiD methods.

Wording (polarity, units), evidence grading, the "insufficient" result, t intervals,
the placebo-t test that compares one treated area with a handful of comparators, and
what the indicator's unit allows: whether it is a total (:func:`is_total`, with
:func:`size_scale` to make a reference comparable) and its possible range
(:func:`possible_range`).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from .._lazy import lazy_module
from ..errors import MethodError
from ..formatting import ATTRIBUTION, significant
from ..panel import Panel
from .result import Evidence, MethodResult

if TYPE_CHECKING:
    from scipy import special
else:  # deferred: only the t interval needs it, and the screen kernel imports this module (~0.1 s)
    special = lazy_module("scipy.special")

__all__ = [
    "check_choice", "good_sign", "better_phrase", "fmt", "unit_of", "what_of", "period_name", "grade",
    "carried_warnings", "is_total", "size_scale", "total_note", "size_note", "possible_range", "first_outside",
    "insufficient", "window_shortfall", "t_interval", "placebo_t", "rank_p_value", "rank_interval", "ATTRIBUTION",
]

#: closing clause for summaries of a single area's change

_BOUNDARY_WORDS = ("abolished", "was created", "boundary", "predecessor", "reorganis")
_LEVELS: tuple[Evidence, ...] = ("strong", "moderate", "weak", "none")
#: a unit that is a rate, share, score or average, never a total, whatever the value type says
_NOT_TOTAL = re.compile(r"\bper\b|%|percent|\brate\b|\bratio\b|\bscore\b|\bproportion\b|\baverage\b|\bmean\b"
                        r"|\bindex\b|\bshare\b")
#: a money amount in thousands, millions or billions (published totals, e.g. "in £ millions, 2024 prices")
_MONEY_TOTAL = re.compile(r"£\s*(?:m|bn|k)\b|£\s*(?:millions?|billions?|thousands?)\b"
                          r"|\b(?:millions?|billions?) of pounds\b")
#: value types that cannot be negative (rates, shares, years of life, ratios, counts)
_NON_NEGATIVE = frozenset({"proportion", "crude_rate", "dsr", "life_expectancy", "ratio", "count"})
_SCALE = re.compile(r"\(\s*0\s+to\s+(\d+(?:\.\d+)?)\s*\)|\bout of\s+(\d+(?:\.\d+)?)\b")


def check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    """Raise :class:`MethodError` unless ``value`` is one of ``allowed`` (Literal options)."""
    if value not in allowed:
        raise MethodError(f"option {name}={value!r} is not valid; expected one of {', '.join(map(repr, allowed))}")


def good_sign(polarity: str) -> int:
    """+1 if higher is better, -1 if lower is better, 0 if no judgement."""
    return {"high_is_good": 1, "low_is_good": -1}.get(polarity, 0)


def better_phrase(polarity: str) -> str:
    return {"high_is_good": "higher is better", "low_is_good": "lower is better"}.get(
        polarity, "no direction is judged better")


fmt = significant


def what_of(panel: Panel) -> str:
    """The indicator's name for use mid-sentence (first letter lowered unless an acronym)."""
    n = panel.indicator_name or panel.indicator_id
    return n[:1].lower() + n[1:] if n[1:2].islower() else n


def period_name(panel: Panel, j: int) -> str:
    """A short human name for period ``j``: 2008-10 (three calendar years), 2011, 2011/12 (April start)."""
    start, end = panel.period_start[j], panel.period_end[j]
    years = ((end - start).astype(int) + 1) / 365.25
    n = int(round(years))
    if n < 1 or abs(years - n) > 0.1:
        return panel.period_labels[j]
    y0 = int(start.astype("datetime64[Y]").astype(int) + 1970)
    month = int(start.astype("datetime64[M]").astype(int) % 12) + 1
    day_one = start == start.astype("datetime64[M]").astype("datetime64[D]")
    if not day_one:
        return panel.period_labels[j]
    if month == 1:
        return str(y0) if n == 1 else f"{y0}-{(y0 + n - 1) % 100:02d}"
    if n == 1:
        return f"{y0}/{(y0 + 1) % 100:02d}"
    return panel.period_labels[j]


def unit_of(panel: Panel) -> str:
    u = (panel.unit or "").strip()
    if u in ("", "number"):
        return ""
    if u == "%":
        return " percentage points"
    return f" {u}"


def carried_warnings(panel: Panel) -> tuple[list[str], int]:
    """The panel's warnings and how many evidence levels they cost (boundary changes cost one)."""
    w = list(panel.warnings)
    boundary = any(any(b in x.lower() for b in _BOUNDARY_WORDS) for x in w)
    return w, int(boundary)


def is_total(panel: Panel) -> bool:
    """True when the indicator is a total: an extensive quantity that scales with the area's size.

    Value type ``count`` (people, enterprises, guest nights, and money amounts such as
    "£ million" since sources classify them so), or a unit naming money in thousands,
    millions or billions (stores loaded before such totals were classified ``count``); never
    a unit that reads as a rate, share, score or average ("per 10,000 people", "%", "ratio").
    England's total is then not comparable with an area's: see :func:`size_scale`.
    """
    unit = (panel.unit or "").lower()
    if _NOT_TOTAL.search(unit):
        return False
    return panel.value_type == "count" or bool(_MONEY_TOTAL.search(unit))


def size_scale(rows: np.ndarray, ref: np.ndarray, pre: np.ndarray) -> np.ndarray:
    """Each row's pre-reform size relative to ``ref``: ``sum(rows) / sum(ref)`` over the pre periods both have.

    For a total, ``scale * ref`` is the reference rescaled to the area's size (England's
    total times the area's pre-reform share of it): a gap from it measures departure from
    keeping that share, in the area's own units. NaN where there is no common pre period
    or either sum is not positive (a share of a non-positive total means nothing).

    Parameters
    ----------
    rows : ndarray, shape (k, n)    area series
    ref : ndarray, shape (n,)       reference series (England or a comparator mean)
    pre : ndarray of bool, shape (n,)

    Returns
    -------
    ndarray, shape (k,)
    """
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    ref = np.asarray(ref, dtype=float)
    ok = np.isfinite(rows) & (np.isfinite(ref) & np.asarray(pre, bool))[None, :]
    num = np.where(ok, rows, 0.0).sum(axis=1)
    den = np.where(ok, ref[None, :], 0.0).sum(axis=1)
    good = ok.any(axis=1) & (num > 0) & (den > 0)
    return np.where(good, num / np.where(good, den, 1.0), np.nan)


def total_note(panel: Panel, ref_name: str, scale: float) -> str:
    """The warning that says a total is compared with a rescaled reference (no evidence level lost)."""
    what = (f"{panel.focal_name}'s pre-reform share of it ({scale:.2%})" if ref_name == "England"
            else f"{panel.focal_name}'s pre-reform size ({fmt(scale)} times it)")
    return (f"this indicator is a total, which scales with the area's size: {ref_name}'s total is not comparable "
            f"with {panel.focal_name}'s, so it is rescaled to {what}")


def size_note(panel: Panel, focal: np.ndarray, comparators: np.ndarray, pre: np.ndarray) -> str | None:
    """For a total, a warning when the area's pre-reform size is not within 2/3 to 3/2 of the comparators' mean.

    Methods that compare absolute changes with comparators (change, DiD) are fair for a
    total only among areas of similar size: a common proportional change moves a larger
    area's total further. ``focal`` (n,), ``comparators`` (m, n) and ``pre`` (n,) cover the
    same periods. None when the indicator is not a total or the sizes are similar.
    """
    c = np.atleast_2d(np.asarray(comparators, dtype=float))
    if not is_total(panel) or c.shape[0] == 0:
        return None
    ok = np.isfinite(c)
    cnt = ok.sum(axis=0)
    mean = np.where(cnt > 0, np.where(ok, c, 0.0).sum(axis=0) / np.maximum(cnt, 1), np.nan)
    r = float(size_scale(np.asarray(focal, dtype=float)[None, :], mean, pre)[0])
    if math.isfinite(r) and 2 / 3 <= r <= 1.5:
        return None
    size = (f"before the reform {panel.focal_name} was {fmt(r, 2)} times the comparators' mean size"
            if math.isfinite(r) else "the sizes cannot be compared")
    return (f"this indicator is a total, which scales with the area's size, and {size}: differences in absolute "
            "change partly reflect size, not only the reform")


def possible_range(panel: Panel) -> tuple[float, float]:
    """(low, high): values the indicator cannot leave, from its value type and unit; -inf/inf when open.

    Zero is the floor of rates, proportions, ratios, life expectancy, counts and totals
    (value types ``proportion``, ``crude_rate``, ``dsr``, ``life_expectancy``, ``ratio``,
    ``count``) and of an explicit scale, unless a value in the panel is negative (a net
    amount). The ceiling is 100 for a percentage (a ``proportion`` in "%" or "percent"),
    and N for a unit that names its scale: "proportion (0 to 1)", "score (0 to 12)",
    "score out of 10".
    """
    unit = (panel.unit or "").lower()
    m = _SCALE.search(unit)
    top = float(m.group(1) or m.group(2)) if m else math.inf
    if panel.value_type == "proportion" and not m and ("%" in unit or "percent" in unit):
        top = 100.0
    low = -math.inf
    if panel.value_type in _NON_NEGATIVE or m:
        seen = np.concatenate([np.ravel(panel.values), np.ravel(panel.england_values)])
        seen = seen[np.isfinite(seen)]
        if not (seen < 0).any():
            low = 0.0
    return low, top


def first_outside(values: np.ndarray, low: float, high: float) -> tuple[int, str] | None:
    """(index, "below" | "above") of the first finite value outside [low, high], or None."""
    v = np.asarray(values, dtype=float)
    bad = np.isfinite(v) & ((v < low) | (v > high))
    if not bad.any():
        return None
    j = int(np.flatnonzero(bad)[0])
    return j, "below" if v[j] < low else "above"


def grade(p: float, downgrades: int = 0) -> Evidence:
    """Evidence from a two-sided p-value, lowered one level per serious caveat.

    p < 0.01 strong, < 0.05 moderate, < 0.10 weak, else none; caveats never raise it and
    never lower "none".
    """
    if not math.isfinite(p):
        return "insufficient"
    base = 0 if p < 0.01 else 1 if p < 0.05 else 2 if p < 0.10 else 3
    if base == 3:
        return "none"
    return _LEVELS[min(2, base + downgrades)] if downgrades else _LEVELS[base]


def insufficient(method: str, panel: Panel, estimand: str, reason: str,
                 warnings: Iterable[str] = (), diagnostics: dict | None = None) -> MethodResult:
    """A result that says why the method could not be run on this panel."""
    w = list(panel.warnings) + [x for x in warnings if x not in panel.warnings]
    return MethodResult(
        method=method, indicator_id=panel.indicator_id, area_code=panel.focal, estimand=estimand,
        estimate=math.nan, direction="not_assessed", label="not assessed", evidence="insufficient",
        summary=f"Not assessed for {panel.focal_name}: {reason}.", warnings=tuple(w),
        diagnostics=diagnostics or {},
    )


def window_shortfall(n_pre: int, n_post: int, min_pre: int = 3) -> str | None:
    """Why a segmented fit cannot be made on ``n_pre``/``n_post`` points, or None when it can.

    At least ``max(3, min_pre)`` pre-reform points and 2 post-reform points are needed
    (the ITS and trend-difference methods share this rule and wording).
    """
    need = max(3, min_pre)
    if n_pre < need:
        return (f"only {n_pre} pre-reform point(s) (need {need}); "
                "load a longer series or choose a later reform start")
    if n_post < 2:
        return f"only {n_post} post-reform point(s) (need 2)"
    return None


def t_interval(estimate: float, se: float, df: float, *, level: float = 0.95) -> tuple[float, float, float]:
    """(ci_low, ci_high, two-sided p) of a t statistic with ``df`` degrees of freedom."""
    if not (math.isfinite(se) and se > 0 and df > 0):
        return math.nan, math.nan, math.nan
    q = float(special.stdtrit(df, 0.5 + level / 2))
    p = float(2 * special.stdtr(df, -abs(estimate / se)))
    return float(estimate - q * se), float(estimate + q * se), p


def placebo_t(focal: float, comparators: np.ndarray) -> dict[str, float]:
    """Compare one area's statistic with the same statistic in its comparators.

    Under the null the focal statistic is one more draw from the comparators'
    distribution, so ``(focal - mean) / (sd * sqrt(1 + 1/m))`` follows Student's t with
    ``m - 1`` degrees of freedom (the prediction-interval test; exact under normality and
    a common variance; Bertrand, Duflo and Mullainathan 2004 collapse the panel this way).

    Parameters
    ----------
    focal : float
    comparators : ndarray, shape (m,)

    Returns
    -------
    dict with estimate (focal minus comparator mean), se, df, ci_low, ci_high, p_value.
    """
    c = np.asarray(comparators, dtype=float)
    c = c[np.isfinite(c)]
    m = c.size
    est = float(focal - c.mean()) if m else math.nan
    if m < 2:
        return {"estimate": est, "se": math.nan, "df": 0, "ci_low": math.nan, "ci_high": math.nan,
                "p_value": math.nan}
    se = float(c.std(ddof=1) * math.sqrt(1 + 1 / m))
    lo, hi, p = t_interval(est, se, m - 1)
    return {"estimate": est, "se": se, "df": m - 1, "ci_low": lo, "ci_high": hi, "p_value": p}


def rank_p_value(focal: float, comparators: np.ndarray) -> tuple[float, float]:
    """Two-sided randomisation p-value of ``focal`` among ``comparators`` (centred on their mean).

    Returns (p, smallest attainable p). With ``m`` comparators p is a multiple of 1/(m+1):
    fewer than 39 comparators can never give p <= 0.05.
    """
    c = np.asarray(comparators, dtype=float)
    c = c[np.isfinite(c)]
    if c.size == 0:
        return math.nan, math.nan
    centre = np.mean(np.append(c, focal))
    at_least = 1 + int(np.sum(np.abs(c - centre) >= abs(focal - centre) - 1e-12))
    return at_least / (c.size + 1), 1 / (c.size + 1)


def rank_interval(focal: float, comparators: np.ndarray, *, level: float = 0.95) -> tuple[float, float]:
    """The effects ``delta`` that :func:`rank_p_value` does not reject: ``p(focal - delta) > 1 - level``.

    Inverts the randomisation test of ``focal - mean(comparators)``: under ``H0: effect = delta``
    the focal statistic less ``delta`` is exchangeable with the comparators'. The accepted set
    is an interval containing the point estimate; it is unbounded, ``(-inf, inf)``, when the
    smallest attainable p-value ``1/(m + 1)`` exceeds ``1 - level``.

    Returns
    -------
    (ci_low, ci_high); NaN, NaN without comparators.
    """
    c = np.asarray(comparators, dtype=float)
    c = c[np.isfinite(c)]
    m = c.size
    if m == 0 or not math.isfinite(focal):
        return math.nan, math.nan
    alpha = 1 - level
    if 1 / (m + 1) > alpha:
        return -math.inf, math.inf
    # p depends on x = focal - delta and changes only where |c_j - centre(x)| = |x - centre(x)|,
    # i.e. at x = c_j or x = (2 sum(c) - (m + 1) c_j) / (m - 1); in between it is constant.
    s = c.sum()
    brk = [c]
    if m > 1:
        brk.append((2 * s - (m + 1) * c) / (m - 1))
    b = np.unique(np.concatenate(brk + [[c.mean()]]))
    span = float(b[-1] - b[0]) + 1.0
    mids = np.concatenate([[b[0] - span], (b[:-1] + b[1:]) / 2, [b[-1] + span]])
    ok = np.array([rank_p_value(x, c)[0] > alpha for x in mids])
    if not ok.any():        # cannot happen: p = 1 next to the comparator mean
        return math.nan, math.nan
    i, j = int(np.flatnonzero(ok)[0]), int(np.flatnonzero(ok)[-1])
    x_lo = -math.inf if i == 0 else float(b[i - 1])
    x_hi = math.inf if j == len(mids) - 1 else float(b[j])
    return float(focal - x_hi), float(focal - x_lo)
