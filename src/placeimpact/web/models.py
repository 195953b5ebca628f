"""Typed requests of the web app: what each route accepts, checked before any library call.

:class:`EvaluateParams` is what ``/api/evaluate`` (query string or JSON body) and the form's
``POST /evaluate`` take. Text fields are strings of bounded length; a year may be given as a
JSON number (``2011``); ``comparators`` may be one text (a group id, or codes separated by
commas) or a JSON list of area codes (or the query parameter repeated). Anything else — a
number or an object where text is expected, a list where one value makes sense — is a 422
naming the field; a body that is not JSON, nested too deeply or not an object is a 400.

``Text``, ``Code`` and ``Choice`` are the annotated types of the other routes' parameters.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Mapping, Optional, Union

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from ..errors import InputError

__all__ = ["EvaluateParams", "EVALUATE_OPENAPI", "EVALUATE_OPENAPI_GET", "FORM_OPENAPI", "EVALUATE_FIELDS", "Text", "Code", "Choice", "OptText",
           "evaluate_params", "form_params", "MAX_TEXT", "MAX_DEPTH"]

#: the longest text a parameter may carry (an area name is at most ~60 characters)
MAX_TEXT = 200
#: the deepest JSON a body may nest (an evaluate body is an object holding at most a list: depth 2)
MAX_DEPTH = 8
#: the most comparator codes a request may list (there are ~150 upper-tier areas)
MAX_CODES = 400

Text = Annotated[str, Query(max_length=MAX_TEXT)]
OptText = Annotated[Optional[str], Query(max_length=MAX_TEXT)]
Choice = Annotated[str, Query(max_length=40)]
Code = Annotated[str, Path(max_length=MAX_TEXT)]

_Str = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
_Date = Union[Annotated[StrictStr, Field(max_length=40)], Annotated[StrictInt, Field(ge=1800, le=2200)]]


class EvaluateParams(BaseModel):
    """An evaluation request: a shipped framework, the area, the reform start, an optional cut-off and comparators."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    framework: Optional[Annotated[StrictStr, Field(max_length=60)]] = Field(
        None, description="A shipped framework: generic-upper-tier (default) or wigan-deal.")
    area: Optional[_Str] = Field(None, description="Area code or name, e.g. Wigan or E08000010.")
    reform_start: Optional[_Date] = Field(None, description="A year (2011), a month (2011-04) or an ISO date.")
    cutoff: Optional[_Date] = Field(None, description="Use only periods that ended by this date.")
    comparators: Optional[Union[_Str, Annotated[list[Annotated[StrictStr, Field(max_length=20)]],
                                                Field(max_length=MAX_CODES)]]] = Field(
        None, description="A comparator group id, 'computed', 'all', or area codes (a list, or separated by commas).")

    def as_params(self) -> dict[str, str | None]:
        """Plain text values for the library call (a list of codes joined by commas; a year as text)."""
        out: dict[str, str | None] = {}
        for k, v in self.model_dump().items():
            if isinstance(v, list):
                v = ",".join(v)
            out[k] = None if v is None else str(v)
        return out


EVALUATE_FIELDS = tuple(EvaluateParams.model_fields)


def _openapi() -> dict[str, Any]:
    schema = EvaluateParams.model_json_schema()
    params = []
    for name, prop in schema["properties"].items():
        p = {"name": name, "in": "query", "required": False, "schema": {"type": "string", "maxLength": MAX_TEXT},
             "description": prop.get("description", "")}
        if name == "comparators":
            p["schema"] = {"type": "array", "items": {"type": "string", "maxLength": MAX_TEXT}}
            p["style"], p["explode"] = "form", True
        params.append(p)
    return {"parameters": params,
            "requestBody": {"required": False, "content": {"application/json": {"schema": schema}}}}


#: the OpenAPI description of /api/evaluate (its handler reads the query and body itself)
EVALUATE_OPENAPI = _openapi()
EVALUATE_OPENAPI_GET = {"parameters": EVALUATE_OPENAPI["parameters"]}
#: the form's body (POST /evaluate), for the OpenAPI description
FORM_OPENAPI = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
    "schema": {"type": "object", "properties": {k: {"type": "string", "maxLength": MAX_TEXT} for k in EVALUATE_FIELDS},
               "additionalProperties": False}}}}}


def _depth(obj: Any, limit: int) -> int:
    """How deeply ``obj`` nests (stops counting past ``limit``)."""
    stack, deepest = [(obj, 1)], 0
    while stack:
        o, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o)
    return deepest


def _validate(values: Mapping[str, Any]) -> dict[str, str | None]:
    unknown = sorted(set(values) - set(EVALUATE_FIELDS), key=str)
    if unknown:
        from .security import scrub

        raise InputError(f"unknown parameter {scrub(unknown[0], 80)!r}; expected some of " + ", ".join(EVALUATE_FIELDS))
    try:
        return EvaluateParams.model_validate(dict(values)).as_params()
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False, include_url=False)) from None


def _json_body(body: bytes) -> dict[str, Any]:
    shape = "send {\"framework\": ..., \"area\": ..., \"reform_start\": ...}"
    try:
        data = json.loads(body)
    except RecursionError:
        raise InputError(f"the request body is nested too deeply; expected at most {MAX_DEPTH} levels; {shape}") from None
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"the request body is not JSON; {shape}") from None
    if not isinstance(data, dict):
        raise InputError(f"the request body is not a JSON object; {shape}")
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise InputError(f"the request body is nested too deeply; expected at most {MAX_DEPTH} levels; {shape}")
    return data


def evaluate_params(query: list[tuple[str, str]], body: bytes = b"") -> dict[str, str | None]:
    """The parameters of ``/api/evaluate`` from its query items and optional JSON body (the body wins)."""
    values: dict[str, Any] = {}
    for k, v in query:
        if k == "comparators" and k in values:   # repeated: a list of codes
            values[k] = (values[k] if isinstance(values[k], list) else [values[k]]) + [v]
        elif k in values:
            values[k] = [values[k], v] if not isinstance(values[k], list) else values[k] + [v]
        else:
            values[k] = v
    if body.strip():
        values.update(_json_body(body))
    return _validate(values)


def form_params(body: bytes) -> dict[str, str | None]:
    """The evaluation form's fields (``application/x-www-form-urlencoded``), validated as :class:`EvaluateParams`."""
    from urllib.parse import parse_qsl

    try:
        items = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=50)
    except ValueError:
        raise InputError("the form has too many fields") from None
    values = {k: v for k, v in items}   # the last of a repeated field, as browsers send one
    return _validate(values)
