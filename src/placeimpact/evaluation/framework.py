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

The file is untrusted input: it is parsed with YAML's safe loader under limits on its size
(:data:`MAX_BYTES`), its nesting depth (:data:`MAX_DEPTH`), its aliases (:data:`MAX_ALIASES`)
and the number of values it expands to (:data:`MAX_NODES`), so a "billion laughs" alias bomb
or a deeply nested file is one clear :class:`FrameworkError` at once, in bounded memory. Its
``data:`` entries may only name files inside the framework's own folder or a folder the user
allows (``allow_data=``, ``--allow-data DIR``); error messages quote at most the offending
value, cut to 80 characters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from ..errors import FrameworkError, InputError
from ..methods import GROUP_METHODS, METHODS
from ..records import POLARITIES

__all__ = ["Framework", "Domain", "IndicatorSpec", "load_framework", "FRAMEWORK_KEYS",
           "MAX_BYTES", "MAX_DEPTH", "MAX_ALIASES", "MAX_NODES"]

#: limits on an untrusted framework file (far above any real framework: the worked example is ~3 kB, depth 5)
MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_NODES = 50_000
_SHOW = 80   # characters of a value quoted in a message

#: allowed keys at each level (anything else is a typo and an error)
FRAMEWORK_KEYS = ("title", "description", "area", "reform_start", "comparators", "cutoff", "methods",
                  "data", "domains", "areas", "exclude", "scale", "as_of", "sensitivity", "change_window")
#: allowed values of ``scale`` (see docs/framework-format.md)
SCALE_CHOICES = ("absolute", "relative", "auto")
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
    ``scale`` is ``absolute``, ``relative`` (logs; effects as %) or ``auto`` (relative for rates,
    ratios and counts). ``as_of`` lists cut-offs to evaluate side by side (``None`` = latest
    data, written ``latest``); ``sensitivity`` switches the per-outcome sensitivity grid;
    ``change_window`` is the (from, to) window of the plain % change (None: last pre-reform, latest).
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
    scale: str = "absolute"
    as_of: tuple[date | None, ...] = ()
    sensitivity: bool = True
    change_window: tuple[date | None, date | None] | None = None
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


def _short(text: object) -> str:
    """``text`` cut to :data:`_SHOW` characters (a message quotes no more of a file than that)."""
    s = str(text)
    return s if len(s) <= _SHOW else s[: _SHOW - 1] + "…"


class _Budget:
    """Counts the values a parsed file expands to (aliases re-use nodes, so a walk can blow up)."""

    def __init__(self, path: Path | None) -> None:
        self.left, self.path = MAX_NODES, path

    def spend(self, line: int | None) -> None:
        self.left -= 1
        if self.left < 0:
            raise FrameworkError("the framework expands to too many values", path=self.path, line=line,
                                 expected=f"at most {MAX_NODES:,} values (keys, list items and text)",
                                 hint="A framework needs far fewer; remove repeated aliases (*name)")


def _located(node: yaml.Node, loader: yaml.SafeLoader, path: Path, budget: _Budget | None = None) -> _Loc:
    """Plain values with lines; a mapping's values carry their key's line (where the field is written)."""
    budget = budget or _Budget(path)
    line = node.start_mark.line + 1
    budget.spend(line)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Loc] = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                raise FrameworkError("a key is not plain text", path=path, line=k.start_mark.line + 1,
                                     expected="a key such as 'area' or 'id'", got=type(k).__name__.replace("Node", "").lower())
            key = str(loader.construct_object(k, deep=True))
            if key in out:
                raise FrameworkError("a key is written twice in the same mapping", path=path, line=k.start_mark.line + 1,
                                     field=_short(key), hint=f"It was first written on line {out[key].line}; keep one")
            out[key] = _Loc(_located(v, loader, path, budget).value, k.start_mark.line + 1)
        return _Loc(out, line)
    if isinstance(node, yaml.SequenceNode):
        return _Loc([_located(v, loader, path, budget) for v in node.value], line)
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError:   # e.g. 2011-13-01 looks like a date to YAML but is not one: keep the text
        value = node.value
    return _Loc(value, line)


def _from_plain(obj: Any, depth: int = 0) -> _Loc:
    if depth > MAX_DEPTH:
        raise FrameworkError("the framework is nested too deeply", expected=f"at most {MAX_DEPTH} levels")
    if isinstance(obj, Mapping):
        return _Loc({str(k): _from_plain(v, depth + 1) for k, v in obj.items()}, None)
    if isinstance(obj, (list, tuple)):
        return _Loc([_from_plain(v, depth + 1) for v in obj], None)
    return _Loc(obj, None)


class _LimitedLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing deep nesting and many aliases while it composes the node tree."""

    def __init__(self, stream: str, path: Path) -> None:
        super().__init__(stream)
        self._depth, self._aliases, self._path = 0, 0, path

    def compose_node(self, parent: Any, index: Any) -> Any:   # type: ignore[override]
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise FrameworkError("the framework uses too many aliases", path=self._path, line=line,
                                     expected=f"at most {MAX_ALIASES} aliases (*name)",
                                     hint="Write the values out; a framework does not need aliases")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise FrameworkError("the framework is nested too deeply", path=self._path, line=line,
                                 expected=f"at most {MAX_DEPTH} levels of nesting",
                                 hint="A framework is at most a few levels deep: domains, indicators, their keys")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _read_text(path: Path) -> str:
    """The file's text, read no further than :data:`MAX_BYTES` (FrameworkError for a folder, a big or binary file)."""
    try:
        if path.is_dir():
            raise FrameworkError("the framework is a folder, not a file", path=path,
                                 hint="Give the path of a YAML outcome framework, e.g. frameworks/wigan-deal.yaml")
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise FrameworkError("the framework file does not exist", path=path,
                             hint="Give the path of a YAML outcome framework, e.g. frameworks/wigan-deal.yaml") from None
    except OSError as exc:
        raise FrameworkError("the framework file cannot be read", path=path,
                             got=exc.strerror or type(exc).__name__) from None
    if len(raw) > MAX_BYTES:
        raise FrameworkError("the framework file is too large", path=path,
                             expected=f"at most {MAX_BYTES:,} bytes (a framework is a few kilobytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FrameworkError("the framework file is not UTF-8 text", path=path,
                             got=f"byte 0x{raw[exc.start]:02x} at offset {exc.start}") from None


def _parse_yaml(path: Path) -> _Loc:
    text = _read_text(path)
    loader = _LimitedLoader(text, path)
    try:
        node = loader.get_single_node()
        if node is None:
            raise FrameworkError("the framework file is empty", path=path, expected="a YAML mapping with domains")
        return _located(node, loader, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = _short(exc.problem or exc.context or "a syntax error")   # never YAML's quoted snippet of the file
        raise FrameworkError(f"the file is not valid YAML: {problem}", path=path, line=line,
                             hint="Check indentation and that lists start with '- '") from None
    except yaml.YAMLError as exc:
        raise FrameworkError(f"the file is not valid YAML: {_short(type(exc).__name__)}", path=path) from None
    except RecursionError:   # a backstop: the depth limit above is far below Python's
        raise FrameworkError("the framework is nested too deeply", path=path,
                             expected=f"at most {MAX_DEPTH} levels of nesting") from None
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
            raise _Ctx(ctx.path, val.line, _join(ctx.field, _short(key))).error(
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


def _build(root: _Loc, path: Path | None, allow_data: tuple[Path, ...] = ()) -> Framework:
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
        kw["data"] = tuple(_data_path(_string(x, _Ctx(path, x.line, f"data[{j}]")), base, allow_data,
                                      _Ctx(path, x.line, f"data[{j}]"))
                           for j, x in enumerate(items))
    if "scale" in top:
        kw["scale"] = _choice(top["scale"], ctx("scale"), SCALE_CHOICES)
    if "sensitivity" in top:
        kw["sensitivity"] = _bool(top["sensitivity"], ctx("sensitivity"))
    if "change_window" in top:
        items = _list(top["change_window"], ctx("change_window"), what="two dates: from and to ('latest')")
        if len(items) != 2:
            raise ctx("change_window").error("must list two dates", expected="[FROM, TO], e.g. [2010, latest]",
                                             got=[x.value for x in items])
        ends = [None if isinstance(x.value, str) and x.value.strip().lower() == "latest"
                else _date_value(x.value, _Ctx(path, x.line, "cutoff")) for x in items]
        if ends[0] is None or (ends[1] is not None and ends[1] <= ends[0]):
            raise ctx("change_window").error("is not a window", expected="a first date before the second (or latest)",
                                             got=[x.value for x in items])
        kw["change_window"] = (ends[0], ends[1])
    if "as_of" in top:
        items = _list(top["as_of"], ctx("as_of"), what="cut-off dates or 'latest'")
        cuts: list[date | None] = []
        for j, x in enumerate(items):
            sub = _Ctx(path, x.line, f"as_of[{j}]")
            cuts.append(None if isinstance(x.value, str) and x.value.strip().lower() == "latest"
                        else _date_value(x.value, _Ctx(path, x.line, "cutoff")))
            if cuts[-1] is not None and "reform_start" in kw and cuts[-1] <= kw["reform_start"]:
                raise sub.error("the cut-off is not after the reform start", expected=f"a date after {kw['reform_start']}",
                                got=cuts[-1].isoformat())
        if len(set(cuts)) != len(cuts):
            raise ctx("as_of").error("a cut-off is listed twice", got=[c.isoformat() if c else "latest" for c in cuts])
        kw["as_of"] = tuple(cuts)
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


def _allowed_roots(base: Path, allow_data: tuple[Path, ...]) -> list[Path]:
    return [p.resolve() for p in (base, *allow_data)]


def _data_path(written: str | Path, base: Path, allow_data: tuple[Path, ...], ctx: _Ctx) -> Path:
    """``base / written`` if it lies (after following links) inside the framework's folder or an allowed one.

    Anything else (an absolute path elsewhere, ``../``, a link out of the folder) is a FrameworkError.
    """
    p = base / written
    real = p.resolve()
    roots = _allowed_roots(base, allow_data)
    if any(real == r or r in real.parents for r in roots):
        return p
    raise ctx.error("names a file outside the framework's folder", got=_short(written),
                    expected="a file in the framework's folder (or a folder given with --allow-data DIR)",
                    hint="Copy the file next to the framework, or allow its folder with --allow-data DIR "
                         "(allow_data= in Python)")


def _as_dirs(allow_data: str | Path | Sequence[str | Path] | None) -> tuple[Path, ...]:
    if allow_data is None:
        return ()
    if isinstance(allow_data, (str, Path)):
        allow_data = [allow_data]
    out = []
    for d in allow_data:
        d = Path(d)
        if not d.is_dir():
            raise InputError("the folder allowed for data does not exist", field="allow_data",
                             expected="an existing folder", got=_short(d))
        out.append(d)
    return tuple(out)


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


def load_framework(source: str | Path | Mapping[str, Any] | Framework, *,
                   allow_data: str | Path | Sequence[str | Path] | None = None) -> Framework:
    """Read and validate an outcome framework from a YAML file, a dict, or pass a Framework through.

    ``allow_data`` names folders (besides the framework's own; the working folder for a dict)
    whose files the framework's ``data:`` entries may import.

    Raises
    ------
    FrameworkError
        Naming the file, the line, the field (``domains[1].indicators[0].primary``), what was
        expected and what was found; also for a file too large, nested too deeply, with too
        many aliases, or with ``data:`` outside the allowed folders.
    """
    if isinstance(source, Framework):   # already checked when it was loaded
        return source
    dirs = _as_dirs(allow_data)
    if isinstance(source, Mapping):
        return _build(_from_plain(source), None, dirs)
    path = Path(source)
    root = _parse_yaml(path)
    fw = _build(root, path, dirs)
    return replace(fw, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
