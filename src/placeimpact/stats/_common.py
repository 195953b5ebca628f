"""Shared pieces of the statistics kernels: confidence levels, array coercion, invalid-input policy."""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np
from .. import distributions as _st

from ..errors import InputError

__all__ = ["OnInvalid", "as_level", "z_value", "as_float", "apply_invalid", "check_choice", "polarity_array",
           "POLARITIES", "value_with_limits"]

OnInvalid = Literal["raise", "nan"]

#: the two levels Fingertips publishes; accepted spellings are 0.95 / 95 and 0.998 / 99.8
LEVELS = (0.95, 0.998)


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    """Raise :class:`InputError` unless ``value`` is one of ``allowed`` (a Literal option)."""
    if value not in allowed:
        raise InputError(f"unknown {name}", field=name, expected="one of " + ", ".join(map(repr, allowed)),
                         got=repr(value))


def as_level(confidence: float) -> float:
    """A confidence level as a fraction: 0.95 and 95 both give 0.95; 99.8 gives 0.998."""
    c = float(confidence)
    if 1.0 < c <= 100.0:
        c = c / 100.0
    if not 0.5 <= c < 1.0:
        raise InputError("confidence level out of range", field="confidence",
                         expected="a level between 0.5 and 1 (or 50 and 100), e.g. 0.95 or 0.998", got=confidence)
    return c


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: 1.959964 for 0.95, 3.090232 for 0.998."""
    return float(_st.norm_ppf(0.5 + as_level(confidence) / 2.0))


def as_float(x: object) -> np.ndarray:
    """``x`` as a float array (a copy never aliases the caller's data when modified later)."""
    return np.asarray(x, dtype=float)


def apply_invalid(bad: np.ndarray, on_invalid: OnInvalid, *, what: str, field: str, expected: str,
                  values: np.ndarray) -> None:
    """Raise on the first invalid element when ``on_invalid == "raise"``; otherwise do nothing.

    Callers set the outputs of invalid elements to NaN themselves.
    """
    check_choice("on_invalid", on_invalid, ("raise", "nan"))
    if on_invalid == "raise" and np.any(bad):
        i = int(np.flatnonzero(np.ravel(bad))[0])
        raise InputError(f"{what} at position {i}", field=field, expected=expected,
                         got=float(np.ravel(values)[i]),
                         hint="Fix or drop the row, or pass on_invalid='nan' to get NaN limits for it")


def value_with_limits(ci: Callable[..., tuple[np.ndarray, np.ndarray]], x: object, n: object, *,
                      multiplier: float, on_invalid: OnInvalid,
                      nan_from: Literal["lower", "upper"]) -> dict[str, np.ndarray]:
    """``x / n * multiplier`` with ``ci``'s limits at 95% and 99.8%, named as the store's observation columns.

    ``ci(x, n, confidence=, multiplier=, on_invalid=)`` gives the limits; ``on_invalid`` applies to
    the 95% limits (the 99.8% ones of an invalid element are NaN). The value is NaN where the 95%
    ``nan_from`` limit is.
    """
    x, n = np.broadcast_arrays(as_float(x), as_float(n))
    lo95, hi95 = ci(x, n, confidence=0.95, multiplier=multiplier, on_invalid=on_invalid)
    lo998, hi998 = ci(x, n, confidence=0.998, multiplier=multiplier, on_invalid="nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(np.isnan(lo95 if nan_from == "lower" else hi95), np.nan, x / n * multiplier)
    return {"value": value, "lci95": lo95, "uci95": hi95, "lci998": lo998, "uci998": hi998}


POLARITIES = ("high_is_good", "low_is_good", "no_judgement")


def polarity_array(polarity: object, shape: tuple[int, ...]) -> np.ndarray:
    """Polarity broadcast to ``shape``; an unknown value raises :class:`InputError` naming it."""
    pol = np.broadcast_to(np.asarray(polarity, dtype=object), shape)
    unknown = ~np.isin(pol, POLARITIES)
    if unknown.any():
        check_choice("polarity", pol[unknown][0], POLARITIES)
    return pol
