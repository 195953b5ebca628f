"""The outcome framework: a YAML file naming the area, the reform, the comparators and the outcomes.

The format is documented in ``docs/framework-format.md``. A minimal file::

    area: Wigan                  # code or exact name
    reform_start: 2011-04-01
    comparators: oflog-nn        # a comparator group id, "computed", "all", or a list of area codes
    cutoff: 2020-03-31           # optional: use only periods that ended by then
    methods: [did, its]          # optional: default every method
    domains:
      - name: Health outcomes
        indicators:
          - id: ons-els:male-healthy-life-expectancy
            primary: true

:func:`load_framework` parses and validates the file; every error is a
:class:`~placeimpact.errors.FrameworkError` naming the file, the line (from YAML's node
marks), the field (``domains[0].indicators[1].polarity``), what was expected and what was
found. Whether the ids exist in a store is checked later, by
:func:`placeimpact.evaluation.run.check_framework`, with the same line numbers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import FrameworkError, InputError
from ..methods import GROUP_METHODS, METHODS
from ..records import POLARITIES

__all__ = ["Framework", "Domain", "IndicatorSpec", "load_framework", "FRAMEWORK_KEYS"]

#: allowed keys at each level (anything else is a typo and an error)
FRAMEWORK_KEYS = ("title", "description", "area", "reform_start", "comparators", "cutoff", "methods",
                  "data", "domains", "areas", "exclude")
#: keys of one entry of ``areas:`` written as a mapping (an area with its own start)
AREA_KEYS = ("area", "reform_start")
DOMAIN_KEYS = ("name", "description", "indicators")
INDICATOR_KEYS = ("id", "label", "polarity", "primary", "sex", "age", "category", "note")


@dataclass(frozen=True)
class IndicatorSpec:
    """One outcome: a store indicator id and how to read it.

    ``line`` is where it was written in the framework file (None for a dict).
    """

    id: str
    primary: bool = False
    polarity: str | None = None
    label: str | None = None
    sex: str | None = None
    age: str | None = None
    category: str | None = None
    note: str | None = None
    line: int | None = None
    field: str = ""


@dataclass(frozen=True)
class Domain:
    """A group of outcomes (health outcomes, behaviours, children and young people, ...)."""

    name: str
    indicators: tuple[IndicatorSpec, ...]
    description: str = ""


@dataclass(frozen=True)
class Framework:
    """A validated outcome framework (immutable).

    ``comparators`` is a group id (``"oflog-nn"``), ``"computed"``, ``"all"`` (every area of the
    same tier) or a tuple of area codes.
    ``area`` and ``reform_start`` may be absent from a generic framework; they must then be
    given to :func:`placeimpact.evaluate` (``--area``, ``--reform-start``).
    """

    domains: tuple[Domain, ...]
    area: str | None = None
    reform_start: date | None = None
    comparators: str | tuple[str, ...] = "oflog-nn"
    cutoff: date | None = None
    methods: tuple[str, ...] = tuple(METHODS)
    data: tuple[Path, ...] = ()
    title: str = ""
    description: str = ""
    path: Path | None = None
    sha256: str | None = None
    lines: Mapping[str, int] | None = None
    #: a treated group: area codes or names (or one combined-authority / region code that expands
    #: to its member councils); empty for a single-area evaluation
    areas: tuple[str, ...] = ()
    #: each group area's own reform start (None: the framework's ``reform_start``), parallel to ``areas``
    area_starts: tuple[date | None, ...] = ()
    #: areas never used as comparators or donors (other areas with similar reforms)
    exclude: tuple[str, ...] = ()

    @property
    def is_group(self) -> bool:
        """True when the framework names a treated group (``areas:``)."""
        return bool(self.areas)

    @property
    def indicators(self) -> tuple[tuple[Domain, IndicatorSpec], ...]:
        """Every (domain, indicator) pair in file order."""
        return tuple((d, i) for d in self.domains for i in d.indicators)

    @property
    def primary_ids(self) -> tuple[str, ...]:
        return tuple(i.id for _, i in self.indicators if i.primary)

    def line_of(self, field: str) -> int | None:
        return (self.lines or {}).get(field)

    def with_overrides(self, *, area: str | None = None, reform_start: str | date | None = None,
                       cutoff: str | date | None = None) -> "Framework":
        """A copy with the area, reform start or cut-off replaced (command-line overrides)."""
        changes: dict[str, Any] = {}
        if area is not None:
            changes["area"] = str(area)
        if reform_start is not None:
            changes["reform_start"] = _date_value(reform_start, self._ctx("reform_start"))
        if cutoff is not None:
            changes["cutoff"] = _date_value(cutoff, self._ctx("cutoff"))
        out = replace(self, **changes) if changes else self
        if out.cutoff is not None and out.reform_start is not None and out.cutoff <= out.reform_start:
            raise self._ctx("cutoff").error("the cut-off is not after the reform start",
                                            expected=f"a date after {out.reform_start}", got=out.cutoff.isoformat())
        return out

    def _ctx(self, field: str) -> "_Ctx":
        return _Ctx(self.path, self.line_of(field), field)


# -- parsing with line numbers -----------------------------------------------------------------
@dataclass(frozen=True)
class _Loc:
    """A YAML value with the 1-based line it starts on (None when parsed from a dict)."""

    value: Any
    line: int | None


@dataclass(frozen=True)
class _Ctx:
    path: Path | None
    line: int | None
    field: str

    def error(self, message: str, *, expected: str | None = None, got: object = None,
              hint: str | None = None) -> FrameworkError:
        if message.startswith(("is ", "must ")):   # give the sentence its subject: "polarity is not ..."
            leaf = self.field.rsplit(".", 1)[-1] if self.field else "the framework"
            message = f"{leaf} {message}"
        return FrameworkError(message, path=self.path, line=self.line, field=self.field or None,
                              expected=expected, got=got, hint=hint)


def _located(node: yaml.Node, loader: yaml.SafeLoader, path: Path) -> _Loc:
    """Plain values with lines; a mapping's values carry their key's line (where the field is written)."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Loc] = {}
        for k, v in node.value:
            key = str(loader.construct_object(k, deep=True))
            if key in out:
                raise FrameworkError("a key is written twice in the same mapping", path=path, line=k.start_mark.line + 1,
                                     field=key, hint=f"It was first written on line {out[key].line}; keep one")
            out[key] = _Loc(_located(v, loader, path).value, k.start_mark.line + 1)
        return _Loc(out, line)
    if isinstance(node, yaml.SequenceNode):
        return _Loc([_located(v, loader, path) for v in node.value], line)
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError:   # e.g. 2011-13-01 looks like a date to YAML but is not one: keep the text
        value = node.value
    return _Loc(value, line)


def _from_plain(obj: Any) -> _Loc:
    if isinstance(obj, Mapping):
        return _Loc({str(k): _from_plain(v) for k, v in obj.items()}, None)
    if isinstance(obj, (list, tuple)):
        return _Loc([_from_plain(v) for v in obj], None)
    return _Loc(obj, None)


def _parse_yaml(path: Path) -> _Loc:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FrameworkError("the framework file does not exist", path=path,
                             hint="Give the path of a YAML outcome framework, e.g. frameworks/wigan-deal.yaml") from None
    except UnicodeDecodeError as exc:
        raise FrameworkError("the framework file is not UTF-8 text", path=path, got=str(exc)) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise FrameworkError("the framework file is empty", path=path, expected="a YAML mapping with domains")
        return _located(node, loader, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise FrameworkError(f"the file is not valid YAML: {exc.problem or exc}", path=path, line=line,
                             hint="Check indentation and that lists start with '- '") from None
    except yaml.YAMLError as exc:
        raise FrameworkError(f"the file is not valid YAML: {exc}", path=path) from None
    finally:
        loader.dispose()


# -- validation ------------------------------------------------------------------------------
def _mapping(loc: _Loc, ctx: _Ctx, allowed: tuple[str, ...]) -> dict[str, _Loc]:
    if not isinstance(loc.value, dict):
        raise ctx.error("must be a mapping of keys to values", expected=f"keys {', '.join(allowed)}",
                        got=type(loc.value).__name__ if loc.value is not None else "nothing")
    for key, val in loc.value.items():
        if key not in allowed:
            near = [a for a in allowed if a[:3] == key[:3]]
            hint = f"Did you mean {near[0]!r}?" if near else f"Allowed keys: {', '.join(allowed)}"
            raise _Ctx(ctx.path, val.line, _join(ctx.field, key)).error(
                "unknown key", expected="one of " + ", ".join(allowed), got=key, hint=hint)
    return loc.value


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _string(loc: _Loc, ctx: _Ctx) -> str:
    v = loc.value
    if isinstance(v, bool) or not isinstance(v, (str, int)) or str(v).strip() == "":
        raise ctx.error("must be a non-empty text value", expected="text", got=v)
    return str(v).strip()


def _date_value(v: Any, ctx: _Ctx) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, int) and not isinstance(v, bool) and 1900 <= v <= 2100:   # a year: its end for a cut-off
        return date(v, 12, 31) if ctx.field == "cutoff" else date(v, 1, 1)
    if isinstance(v, str):
        from ..periods import parse_date

        try:
            return parse_date(v, ctx.field, end=ctx.field == "cutoff")
        except InputError:
            pass
    raise ctx.error("is not a date", expected="a year (2011), a month (2011-04) or an ISO date (2011-04-01)", got=v,
                    hint="Write the date as YYYY-MM-DD")


def _bool(loc: _Loc, ctx: _Ctx) -> bool:
    if not isinstance(loc.value, bool):
        raise ctx.error("must be true or false", expected="true or false", got=loc.value)
    return loc.value


def _choice(loc: _Loc, ctx: _Ctx, options: tuple[str, ...]) -> str:
    v = loc.value
    if v not in options:
        raise ctx.error("is not an allowed value", expected="one of " + ", ".join(options), got=v)
    return v


def _list(loc: _Loc, ctx: _Ctx, *, what: str) -> list[_Loc]:
    if not isinstance(loc.value, list) or not loc.value:
        raise ctx.error("must be a non-empty list", expected=f"a list of {what} (lines starting with '- ')",
                        got=loc.value if not isinstance(loc.value, list) else "an empty list")
    return loc.value


def _indicator(loc: _Loc, ctx: _Ctx) -> IndicatorSpec:
    if isinstance(loc.value, str):   # shorthand: just the id
        return IndicatorSpec(id=_string(loc, ctx), line=loc.line, field=ctx.field)
    m = _mapping(loc, ctx, INDICATOR_KEYS)
    sub = lambda k: _Ctx(ctx.path, m[k].line, _join(ctx.field, k))  # noqa: E731
    if "id" not in m:
        raise ctx.error("an indicator needs an id", expected="id: <indicator id from 'placeimpact indicators list'>",
                        got=", ".join(m) or "no keys")
    kw: dict[str, Any] = {"id": _string(m["id"], sub("id")), "line": m["id"].line, "field": ctx.field}
    if "primary" in m:
        kw["primary"] = _bool(m["primary"], sub("primary"))
    if "polarity" in m:
        kw["polarity"] = _choice(m["polarity"], sub("polarity"), POLARITIES)
    for k in ("label", "sex", "age", "category", "note"):
        if k in m and m[k].value is not None:
            kw[k] = str(m[k].value) if k == "category" else _string(m[k], sub(k))
    return IndicatorSpec(**kw)


def _domain(loc: _Loc, ctx: _Ctx) -> Domain:
    m = _mapping(loc, ctx, DOMAIN_KEYS)
    sub = lambda k: _Ctx(ctx.path, m[k].line, _join(ctx.field, k))  # noqa: E731
    if "name" not in m:
        raise ctx.error("a domain needs a name", expected="name: <e.g. Health outcomes>", got=", ".join(m))
    if "indicators" not in m:
        raise ctx.error("a domain needs indicators", expected="indicators: a list of {id: ...}",
                        got=", ".join(m))
    items = _list(m["indicators"], sub("indicators"), what="indicators")
    specs = tuple(_indicator(it, _Ctx(ctx.path, it.line, f"{ctx.field}.indicators[{j}]"))
                  for j, it in enumerate(items))
    desc = _string(m["description"], sub("description")) if "description" in m else ""
    return Domain(name=_string(m["name"], sub("name")), indicators=specs, description=desc)


def _build(root: _Loc, path: Path | None) -> Framework:
    top = _mapping(root, _Ctx(path, root.line, ""), FRAMEWORK_KEYS)
    ctx = lambda k: _Ctx(path, top[k].line, k)  # noqa: E731
    kw: dict[str, Any] = {"path": path, "lines": {k: v.line for k, v in top.items() if v.line is not None}}
    for k in ("title", "description", "area"):
        if k in top and top[k].value is not None:
            kw[k] = _string(top[k], ctx(k))
    for k in ("reform_start", "cutoff"):
        if k in top and top[k].value is not None:
            kw[k] = _date_value(top[k].value, ctx(k))
    if "comparators" in top:
        c = top["comparators"]
        if isinstance(c.value, list):
            kw["comparators"] = tuple(_string(x, _Ctx(path, x.line, f"comparators[{j}]")).upper()
                                      for j, x in enumerate(_list(c, ctx("comparators"), what="area codes")))
        else:
            kw["comparators"] = _string(c, ctx("comparators"))
    if "methods" in top:
        items = _list(top["methods"], ctx("methods"), what="method names")
        kw["methods"] = tuple(_choice(x, _Ctx(path, x.line, f"methods[{j}]"), tuple(METHODS) + tuple(GROUP_METHODS))
                              for j, x in enumerate(items))
    if "data" in top:
        items = _list(top["data"], ctx("data"), what="CSV paths")
        base = path.parent if path is not None else Path(".")
        kw["data"] = tuple(base / _string(x, _Ctx(path, x.line, f"data[{j}]")) for j, x in enumerate(items))
    if "areas" in top and top["areas"].value is not None:
        kw["areas"], kw["area_starts"] = _areas(top["areas"], ctx("areas"), path)
        if "area" in top and top["area"].value is not None:
            raise ctx("areas").error("a framework names either one area or a group of areas, not both",
                                     expected="'area:' for one area, or 'areas:' for a group", got="both",
                                     hint="Remove 'area:' (a group's areas go under 'areas:')")
    if "exclude" in top and top["exclude"].value is not None:
        c = top["exclude"]
        items = c.value if isinstance(c.value, list) else [c]
        kw["exclude"] = tuple(_string(x, _Ctx(path, x.line, f"exclude[{j}]")) for j, x in enumerate(items))
    if "domains" not in top:
        raise _Ctx(path, root.line, "domains").error(
            "the framework has no domains", expected="domains: a list of {name, indicators}",
            hint="See docs/framework-format.md")
    items = _list(top["domains"], ctx("domains"), what="domains")
    kw["domains"] = tuple(_domain(it, _Ctx(path, it.line, f"domains[{j}]")) for j, it in enumerate(items))
    fw = Framework(**kw)
    if fw.areas and fw.reform_start is None and any(d is None for d in fw.area_starts):
        raise ctx("areas").error("an area of the group has no reform start",
                                 expected="'reform_start:' for the group, or one per area ({area: ..., reform_start: ...})",
                                 got=next(a for a, d in zip(fw.areas, fw.area_starts) if d is None))
    if fw.cutoff is not None and fw.reform_start is not None and fw.cutoff <= fw.reform_start:
        raise ctx("cutoff").error("the cut-off is not after the reform start", expected=f"a date after {fw.reform_start}",
                                  got=fw.cutoff.isoformat())
    seen: dict[tuple, IndicatorSpec] = {}
    for _, spec in fw.indicators:
        key = (spec.id, spec.sex, spec.age, spec.category)
        if key in seen:
            raise FrameworkError("the same indicator (and breakdown) is listed twice", path=path, line=spec.line,
                                 field=f"{spec.field}.id", got=spec.id,
                                 hint=f"It is already listed at line {seen[key].line}; remove one")
        seen[key] = spec
    return fw


def _areas(loc: _Loc, ctx: _Ctx, path: Path | None) -> tuple[tuple[str, ...], tuple[date | None, ...]]:
    """``areas:``: one code (a combined authority or region), or a list of codes/names or {area, reform_start}."""
    if not isinstance(loc.value, list):
        return (_string(loc, ctx),), (None,)
    names: list[str] = []
    starts: list[date | None] = []
    for j, it in enumerate(_list(loc, ctx, what="area codes or names")):
        sub = _Ctx(path, it.line, f"areas[{j}]")
        if isinstance(it.value, dict):
            m = _mapping(it, sub, AREA_KEYS)
            if "area" not in m:
                raise sub.error("an entry of areas needs an area", expected="area: <code or name>",
                                got=", ".join(m) or "no keys")
            names.append(_string(m["area"], _Ctx(path, m["area"].line, f"areas[{j}].area")))
            starts.append(_date_value(m["reform_start"].value, _Ctx(path, m["reform_start"].line, "reform_start"))
                          if "reform_start" in m and m["reform_start"].value is not None else None)
        else:
            names.append(_string(it, sub))
            starts.append(None)
    if len(set(n.lower() for n in names)) < len(names):
        dup = next(n for n in names if sum(x.lower() == n.lower() for x in names) > 1)
        raise ctx.error("an area is listed twice in areas", expected="each area once", got=dup)
    return tuple(names), tuple(starts)


def load_framework(source: str | Path | Mapping[str, Any] | Framework) -> Framework:
    """Read and validate an outcome framework from a YAML file, a dict, or pass a Framework through.

    Raises
    ------
    FrameworkError
        Naming the file, the line, the field (``domains[1].indicators[0].primary``), what was
        expected and what was found.
    """
    if isinstance(source, Framework):
        return source
    if isinstance(source, Mapping):
        return _build(_from_plain(source), None)
    path = Path(source)
    root = _parse_yaml(path)
    fw = _build(root, path)
    return replace(fw, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
