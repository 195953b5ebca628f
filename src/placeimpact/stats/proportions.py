"""Confidence intervals for proportions: the Wilson score method.

Fingertips uses the Wilson score interval for every indicator of type proportion
(Fingertips technical guidance, "Confidence intervals"). Unlike the normal
(Wald) interval it stays inside [0, 1], is asymmetric near 0 and 1, and behaves
well for small numerators.

References
----------
Wilson EB. Probable inference, the law of succession, and statistical inference.
J Am Stat Assoc 1927; 22: 209-212.
Newcombe RG, Altman DG. Proportions and their differences. In: Altman DG et al. (eds)
Statistics with confidence, 2nd edn. London: BMJ Books, 2000: 46-48.
"""

from __future__ import annotations

import numpy as np

from ._common import OnInvalid, apply_invalid, as_float, value_with_limits, z_value

__all__ = ["wilson_ci", "proportion"]


def wilson_ci(
    x: np.ndarray | float,
    n: np.ndarray | float,
    *,
    confidence: float = 0.95,
    multiplier: float = 1.0,
    on_invalid: OnInvalid = "raise",
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits for ``x`` successes out of ``n``.

    .. math::
        \\frac{2x + z^2 \\mp z\\sqrt{z^2 + 4x(1 - x/n)}}{2(n + z^2)}

    Parameters
    ----------
    x : array_like, shape (m,) or broadcastable with ``n``
        Numerators (need not be whole numbers, e.g. apportioned counts).
    n : array_like, broadcastable with ``x``
        Denominators.
    confidence : float
        Two-sided level, 0.95 or 0.998 in Fingertips (95 and 99.8 are accepted too).
    multiplier : float
        Scale of the result: 1 for a proportion, 100 for a percentage.
    on_invalid : {"raise", "nan"}
        A missing value, ``n <= 0``, ``x < 0`` or ``x > n`` raises :class:`InputError`
        (default), or gives NaN limits for that element.

    Returns
    -------
    lower, upper : ndarray, broadcast shape of ``x`` and ``n``
    """
    x, n = np.broadcast_arrays(as_float(x), as_float(n))
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        bad = ~np.isfinite(x) | ~np.isfinite(n) | (n <= 0) | (x < 0) | (x > n)
    apply_invalid(bad & np.isfinite(x) & np.isfinite(n), on_invalid, what="numerator outside [0, denominator]",
                  field="x", expected="0 <= x <= n with n > 0", values=x)
    any_bad = bool(bad.any())
    xs = np.where(bad, 0.0, x) if any_bad else x
    ns = np.where(bad, 1.0, n) if any_bad else n
    z2 = z * z
    centre = 2.0 * xs + z2
    half = z * np.sqrt(np.maximum(z2 + 4.0 * xs * (1.0 - xs / ns), 0.0))
    scale = multiplier / (2.0 * (ns + z2))
    # the limits lie in [0, 1] exactly; clip the last-bit rounding (x = n gave 1 + 2e-16)
    lower = np.clip((centre - half) * scale, 0.0, multiplier)
    upper = np.clip((centre + half) * scale, 0.0, multiplier)
    if any_bad:
        lower = np.where(bad, np.nan, lower)
        upper = np.where(bad, np.nan, upper)
    return lower, upper


def proportion(
    x: np.ndarray | float,
    n: np.ndarray | float,
    *,
    multiplier: float = 100.0,
    on_invalid: OnInvalid = "raise",
) -> dict[str, np.ndarray]:
    """Value with Wilson limits at 95% and 99.8%, named as the store's observation columns.

    Parameters
    ----------
    x, n : array_like, broadcastable
        Numerators and denominators.
    multiplier : float
        100 for a percentage (default), 1 for a proportion.
    on_invalid : {"raise", "nan"}
        See :func:`wilson_ci`.

    Returns
    -------
    dict of ndarray
        ``value``, ``lci95``, ``uci95``, ``lci998``, ``uci998``.
    """
    return value_with_limits(wilson_ci, x, n, multiplier=multiplier, on_invalid=on_invalid, nan_from="lower")
