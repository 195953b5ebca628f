"""Exceptions raised by placeimpact.

One root type, so callers can catch everything the package raises on purpose::

    PlaceImpactError
    ├── InputError            a file or value we were given is not what was expected
    │   ├── FrameworkError    an outcome-framework YAML file is invalid
    │   └── FetchError        a download failed (after retries) or a mirror lacks a file
    ├── StoreError            the store cannot do what was asked (unknown area, indicator, ...)
    └── MethodError           an estimator cannot run on this panel (too few periods, no donors)

Messages name the file, line and field where there is one, the value received,
what was expected, and how to fix it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "PlaceImpactError",
    "InputError",
    "FrameworkError",
    "FetchError",
    "StoreError",
    "MethodError",
]


class PlaceImpactError(Exception):
    """Root of every error raised on purpose by placeimpact.

    Messages name concepts, never one face's options. Where the fix is to change an option or
    to look something up, the error says which as data, and each face (CLI, web, Python)
    words it its own way: :attr:`option` is the setting to change (``area``, ``reform_start``,
    ``cutoff``, ``comparators``), :attr:`action` what to do next (``search_areas``,
    ``list_indicators``).
    """

    option: str | None = None
    action: str | None = None


class InputError(PlaceImpactError, ValueError):
    """Bad input: names file, line, field, what was expected and what was received.

    Parameters
    ----------
    message:
        What is wrong, in one sentence.
    path:
        The file, if the input came from one.
    line:
        1-based physical line in the file (the header is line 1).
    field:
        Column or key name.
    expected:
        What a valid value looks like.
    got:
        The value received (repr'd in the message).
    hint:
        How to fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        got: object = None,
        hint: str | None = None,
    ) -> None:
        self._given = (message, {"path": path, "line": line, "field": field, "expected": expected, "got": got,
                                 "hint": hint})
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.expected = expected
        self.got = got
        self.hint = hint
        where = ""
        if self.path is not None:
            where = self.path
            if line is not None:
                where += f", line {line}"
            where += ": "
        parts = [f"{where}{message}"]
        if field is not None:
            parts.append(f"field {field!r}")
        if expected is not None:
            parts.append(f"expected {expected}")
        if got is not None:
            shown = got if isinstance(got, str) and len(got) <= 80 else repr(got)[:80]
            parts.append(f"got {shown!r}" if isinstance(got, str) else f"got {shown}")
        msg = "; ".join(parts)
        if hint:
            msg += f". {hint}"
        super().__init__(msg)

    def __reduce__(self) -> tuple:
        """Pickle with every field (an error raised in a reading process reaches the caller whole)."""
        message, fields = self._given
        return _rebuild_input_error, (type(self), message, fields), self.__dict__


def _rebuild_input_error(cls: type, message: str, fields: dict) -> InputError:
    return cls(message, **fields)


class FrameworkError(InputError):
    """An outcome framework (YAML) is invalid."""


class FetchError(InputError):
    """A download failed after its retries, or a mirror lacks the file."""


class StoreError(PlaceImpactError, LookupError):
    """The store cannot answer: unknown area or indicator, empty store, schema mismatch."""


class MethodError(PlaceImpactError, ValueError):
    """An estimator cannot run on the panel it was given; the message says why and what to do."""
