"""Maps of an indicator across England's councils, drawn offline from the ONS boundaries.

The boundaries are the TopoJSON file of ONS's Explore Local Statistics app
(``ons-els-app/src/lib/data/topo.json``: generalised ONS Open Geography boundaries, layers
``utla`` and ``ltla`` with ``areacd``/``areanm``). :func:`load_topology` asks the store for
them (``Store.boundaries()`` where the store offers it) and otherwise reads the file from the
data folder. :func:`area_paths` decodes the TopoJSON arcs (delta-encoded, quantised, a
negative index meaning a reversed arc), projects longitude and latitude with a simple
equirectangular projection scaled by cos(53 deg) and writes one SVG path per area, rounded to
the drawing's pixel grid. :func:`choropleth` colours the areas and outlines the focal area
and its comparators.

Any map drawn from these boundaries must carry :data:`CREDIT` (OGL v3 licence terms).
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

__all__ = ["load_topology", "area_paths", "choropleth", "map_defs", "CREDIT", "TOPO_RELATIVE"]

CREDIT = ("Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
          "Contains OS data © Crown copyright and database right 2025.")
TOPO_RELATIVE = Path("ons-els-app") / "src" / "lib" / "data" / "topo.json"
MAP_W, MAP_H = 300, 360
_LAT0 = math.cos(math.radians(53.0))


def _data_dirs() -> list[Path]:
    here = Path(__file__).resolve()
    out = []
    if os.environ.get("PLACEIMPACT_DATA"):
        out.append(Path(os.environ["PLACEIMPACT_DATA"]))
    out += [here.parents[3].parent / "shared" / "data", Path.cwd().parent / "shared" / "data",
            Path.cwd() / "shared" / "data"]
    return out


def load_topology(store: Any = None) -> dict | None:
    """The ONS TopoJSON as a dict: ``store.boundaries()`` when the store has it, else the data folder; None if absent.

    Parsed once per store (kept with the store's other derived values)."""
    derived = getattr(store, "derived", None) if store is not None else None
    if callable(derived):
        return derived("topology", lambda: _load_topology(store))
    return _load_topology(store)


def _load_topology(store: Any) -> dict | None:
    get = getattr(store, "boundaries", None) if store is not None else None
    if callable(get):
        try:
            topo = get()
        except Exception:  # noqa: BLE001 - a store without boundaries loaded: fall back to the folder
            topo = None
        if isinstance(topo, (str, bytes)):
            topo = json.loads(topo)
        if isinstance(topo, dict) and "arcs" in topo:
            return topo
    for d in _data_dirs():
        p = d / TOPO_RELATIVE
        if p.is_file():
            return _read(str(p))
    return None


@lru_cache(maxsize=2)
def _read(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _decode_arcs(topo: Mapping[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc as absolute (lon, lat) points (undoing delta encoding and quantisation)."""
    tr = topo.get("transform")
    sx, sy = (tr["scale"] if tr else (1.0, 1.0))
    tx, ty = (tr["translate"] if tr else (0.0, 0.0))
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for p in arc:
            if tr:
                x += p[0]
                y += p[1]
                pts.append((x * sx + tx, y * sy + ty))
            else:
                pts.append((float(p[0]), float(p[1])))
        out.append(pts)
    return out


def _ring(arcs: list[list[tuple[float, float]]], idx: Sequence[int]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in idx:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a if not pts else a[1:])
    return pts


_CACHE: dict[tuple, dict[str, tuple[str, str]]] = {}


def area_paths(topo: Mapping[str, Any], layer: str = "utla", prefix: str = "E") -> dict[str, tuple[str, str]]:
    """``{code: (name, svg path d)}`` for the layer's areas whose code starts with ``prefix``, fitted to the map box."""
    key = (layer, prefix, len(topo["arcs"]), id(topo) if not isinstance(topo, dict) else len(str(topo.get("transform"))))
    if key in _CACHE:
        return _CACHE[key]
    arcs = _decode_arcs(topo)
    geoms = [g for g in topo["objects"][layer]["geometries"]
             if str(g.get("properties", {}).get("areacd", "")).startswith(prefix)]
    rings: dict[str, tuple[str, list[list[tuple[float, float]]]]] = {}
    for g in geoms:
        props = g["properties"]
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"] if g["type"] == "MultiPolygon" else []
        rs = [[(lon * _LAT0, lat) for lon, lat in _ring(arcs, r)] for poly in polys for r in poly]
        rings[str(props["areacd"])] = (str(props.get("areanm") or props["areacd"]), rs)
    xs = [p[0] for _, rs in rings.values() for r in rs for p in r]
    ys = [p[1] for _, rs in rings.values() for r in rs for p in r]
    if not xs:
        return {}
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    k = min((MAP_W - 8) / (x1 - x0), (MAP_H - 8) / (y1 - y0))
    ox = (MAP_W - k * (x1 - x0)) / 2
    oy = (MAP_H - k * (y1 - y0)) / 2
    out: dict[str, tuple[str, str]] = {}
    for code, (name, rs) in rings.items():
        d = []
        for r in rs:
            pts = []
            for x, y in r:     # whole-pixel grid; points within 1.5 px of the last kept one dropped
                q = (float(round(ox + k * (x - x0))), float(round(oy + k * (y1 - y))))
                if not pts or abs(q[0] - pts[-1][0]) + abs(q[1] - pts[-1][1]) >= 2:
                    pts.append(q)
            if len(pts) < 3:
                continue
            seg = [f"M{_n(pts[0][0])} {_n(pts[0][1])}"]
            seg += [f"l{_n(b[0] - a[0])} {_n(b[1] - a[1])}" for a, b in zip(pts, pts[1:])]
            d.append("".join(seg) + "z")
        out[code] = (name, "".join(d))
    _CACHE[key] = out
    return out


def _n(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _esc(s: Any) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def map_defs(paths: Mapping[str, tuple[str, str]], prefix: str = "m") -> str:
    """A hidden SVG holding every area's path once, for :func:`choropleth` maps drawn with ``shared=True``."""
    body = "".join(f'<path id="{prefix}-{code}" d="{d}"/>' for code, (_, d) in paths.items())
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0" class="mapdefs" aria-hidden="true" '
            f'focusable="false"><defs>{body}</defs></svg>')


def choropleth(paths: Mapping[str, tuple[str, str]], fills: Mapping[str, str], *, title: str, desc: str,
               focal: str | None = None, comparators: Sequence[str] = (), shared: bool = False,
               prefix: str = "m", links: Mapping[str, str] | None = None) -> str:
    """An SVG map: each area filled with ``fills[code]`` (light grey when absent), the focal area outlined
    thick black and its comparators outlined in dark blue. ``shared`` draws ``<use>`` references to
    :func:`map_defs` paths (one copy of the boundaries for a page of maps). ``links`` (code -> URL)
    makes areas links."""
    comps = set(comparators) - {focal}
    parts = []
    order = [c for c in paths if c != focal and c not in comps] + [c for c in paths if c in comps] \
        + ([focal] if focal in paths else [])
    for code in order:
        name, d = paths[code]
        fill = fills.get(code, "#f2f2f2")
        stroke, sw = ("#000000", 2.2) if code == focal else ("#1f3d7a", 1.3) if code in comps else ("#ffffff", 0.4)
        shape = (f'<use href="#{prefix}-{code}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>' if shared else
                 f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>')
        tip = f"<title>{_esc(name)}</title>"
        if links and code in links:
            parts.append(f'<a href="{_esc(links[code])}" aria-label="{_esc(name)}">{shape.replace("/>", ">" + tip + "</use>" if shared else ">" + tip + "</path>", 1)}</a>')
        else:
            parts.append(shape.replace("/>", (">" + tip + "</use>") if shared else (">" + tip + "</path>"), 1))
    return (f'<svg class="map" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="0 0 {MAP_W} {MAP_H}" width="{MAP_W}" height="{MAP_H}" role="{"group" if links else "img"}" '
            f'aria-label="{_esc(title)}" '
            f'stroke-linejoin="round"><title>{_esc(title)}</title><desc>{_esc(desc)}</desc>{"".join(parts)}</svg>')
