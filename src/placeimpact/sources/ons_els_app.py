"""The ONS Explore Local Statistics *app* files: "similar areas" lists and map boundaries.

Two import units from the ``ons-els-app`` folder (a copy of ONSdigital/explore-local-statistics-app):

* ``src/lib/data/areas-similar.json``: for each of 397 UK local authorities, three lists of the
  20 most similar areas (``global``, ``economic``, ``demographic``), as ONS uses them on Explore
  Local Statistics. They become three imported comparator groups, usable wherever ``--group``
  takes a stored group id: ``ons-similar-global``, ``ons-similar-economic`` and
  ``ons-similar-demographic`` (names in :data:`GROUP_NAMES`). When that file is absent the same
  lists are read from ``scripts/config/clusters/<kind>-neighbours.csv`` (``AREACD,1..20``).
  The focal area itself never appears among its members; order (rank 1 most similar) is kept.
* ``src/lib/data/topo.json``: generalised UK boundaries (TopoJSON, 2025 codes) in layers
  ``uk``, ``ctry``, ``rgn``, ``cauth``, ``mcty``, ``cty``, ``utla`` and ``ltla``. The text is
  stored as published (``boundaries`` table; :meth:`placeimpact.store.Store.boundaries` returns
  it parsed) for maps to draw; every geometry's ``areacd``/``areanm`` is declared to the area
  register (it never overrides the mySociety register's names). Maps drawn from it must say
  "Source: Office for National Statistics licensed under the Open Government Licence v3.0.
  Contains OS data © Crown copyright and database right".

The ONS cluster memberships (``areas-clusters.json``) are not imported: a cluster of
about a hundred areas is not a comparator list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from ..records import Batch, check_area_codes, group_frame, read_text_csv

__all__ = ["SOURCE", "KINDS", "GROUP_NAMES", "BOUNDARY_LAYER", "read_similar", "read_similar_csv",
           "read_boundaries", "read_folder"]

SOURCE = "ons-els-app"
KINDS = ("global", "economic", "demographic")
GROUP_NAMES: dict[str, str] = {
    "ons-similar-global": "ONS similar areas, overall (Explore Local Statistics)",
    "ons-similar-economic": "ONS similar areas, economic (Explore Local Statistics)",
    "ons-similar-demographic": "ONS similar areas, demographic (Explore Local Statistics)",
}
SIMILAR = "src/lib/data/areas-similar.json"
TOPO = "src/lib/data/topo.json"
NEIGHBOUR_CSV = "scripts/config/clusters/{kind}-neighbours.csv"
#: the name the boundaries are stored under (``boundaries.layer``)
BOUNDARY_LAYER = "ons-2025"
#: largest TopoJSON accepted (the published one is 705 KB)
MAX_TOPO_BYTES = 50_000_000
ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right")


def _load_json(path: Path, expected: str) -> object:
    from .validate import load_json

    return load_json(path, expected)


def _groups(lists: dict[str, dict[str, list]], path: Path, key: str) -> pd.DataFrame:
    """Long group rows from {kind: {focal: [member, ...]}}; checks codes, self-membership, repeats."""
    parts = []
    for kind, by_focal in lists.items():
        focal = np.repeat(list(by_focal), [len(v) for v in by_focal.values()])
        member = [str(c).strip() for v in by_focal.values() for c in v]
        long = pd.DataFrame({"focal_area": focal, "member_area": member})
        check_area_codes(pd.Series(list(by_focal), dtype=str), path=path, field=f"{kind} (area key)")
        check_area_codes(long["member_area"], path=path, field=f"{kind} list")
        selfm = long["focal_area"] == long["member_area"]
        if selfm.any():
            i = int(np.flatnonzero(selfm.to_numpy())[0])
            raise InputError("an area is listed as similar to itself", path=path, field=kind,
                             expected="a list of other areas", got=str(long["focal_area"].iloc[i]))
        dup = long.duplicated(keep="first")
        if dup.any():
            i = int(np.flatnonzero(dup.to_numpy())[0])
            raise InputError(f"an area appears twice in the {kind} list of {long['focal_area'].iloc[i]}", path=path,
                             field=kind, expected="each similar area once", got=str(long["member_area"].iloc[i]))
        long["rank"] = long.groupby("focal_area").cumcount() + 1
        long["group_id"] = f"ons-similar-{kind}"
        parts.append(long)
    g = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["focal_area", "member_area"])
    return group_frame(g.assign(kind="imported", distance=np.nan, source=key))


def read_similar(path: Path, *, key: str | None = None) -> Batch:
    """``areas-similar.json`` -> the three ``ons-similar-*`` comparator groups."""
    path = Path(path)
    expected = '{"E08000010": {"global": [20 codes], "economic": [...], "demographic": [...]}, ...}'
    data = _load_json(path, expected)
    if not isinstance(data, dict) or not data:
        raise InputError("the file is not an object keyed by area code", path=path, expected=expected,
                         got=type(data).__name__)
    lists: dict[str, dict[str, list]] = {k: {} for k in KINDS}
    for code, entry in data.items():
        if not isinstance(entry, dict):
            raise InputError("an area's entry is not an object of lists", path=path, field=str(code)[:20],
                             expected=expected, got=type(entry).__name__)
        for kind in KINDS:
            v = entry.get(kind)
            if v is None:
                continue
            if not isinstance(v, list) or not all(isinstance(c, str) for c in v):
                raise InputError(f"the {kind} list of an area is not a list of codes", path=path,
                                 field=f"{str(code)[:20]}.{kind}", expected="a list of area codes",
                                 got=str(v)[:60])
            lists[kind][str(code).strip()] = v
    groups = _groups(lists, path, key or path.name)
    if groups.empty:
        raise InputError("no similar-area list in the file", path=path, expected=expected)
    return Batch(source=SOURCE, key=key or path.name, files=[path], groups=groups)


def read_similar_csv(paths: dict[str, Path], *, key: str) -> Batch:
    """The same lists from ``<kind>-neighbours.csv`` files (``AREACD,1,...,20``; ragged rows allowed)."""
    lists: dict[str, dict[str, list]] = {}
    for kind, path in paths.items():
        text = Path(path).read_bytes()
        try:
            lines = text.decode("utf-8-sig").splitlines()
        except UnicodeDecodeError:
            read_text_csv(path)  # raises the shared, precise error
            raise
        import csv

        rows = list(csv.reader(lines))
        if not rows or not rows[0] or rows[0][0].strip().upper() != "AREACD":
            raise InputError("the header is not AREACD,1,2,...", path=path, line=1, field="AREACD",
                             expected="AREACD,1,2,...,20", got=",".join(rows[0])[:80] if rows else "")
        by_focal = {}
        for n, r in enumerate(rows[1:], start=2):
            if not r or not r[0].strip():
                continue
            if r[0].strip() in by_focal:
                raise InputError("an area has two rows", path=path, line=n, field="AREACD",
                                 expected="each area once", got=r[0])
            by_focal[r[0].strip()] = [c for c in r[1:] if c.strip()]
        lists[kind] = by_focal
    first = next(iter(paths.values()))
    return Batch(source=SOURCE, key=key, files=list(paths.values()), groups=_groups(lists, first, key))


def read_boundaries(path: Path, *, key: str | None = None) -> Batch:
    """``topo.json``: the TopoJSON text (stored as is) and every geometry's code and name (declared areas)."""
    path = Path(path)
    if path.stat().st_size > MAX_TOPO_BYTES:
        raise InputError("the boundary file is too large", path=path, expected=f"at most {MAX_TOPO_BYTES:,} bytes",
                         got=f"{path.stat().st_size:,} bytes")
    expected = 'a TopoJSON object ({"type": "Topology", "arcs": [...], "objects": {...}})'
    data = _load_json(path, expected)
    if not isinstance(data, dict) or data.get("type") != "Topology" or not isinstance(data.get("objects"), dict) \
            or not isinstance(data.get("arcs"), list):
        raise InputError("the file is not TopoJSON", path=path, field="type", expected=expected,
                         got=str(data.get("type") if isinstance(data, dict) else type(data).__name__)[:40])
    rows = []
    for layer, obj in data["objects"].items():
        geoms = obj.get("geometries") if isinstance(obj, dict) else None
        if not isinstance(geoms, list):
            raise InputError("a layer has no geometries", path=path, field=f"objects.{str(layer)[:30]}",
                             expected="a GeometryCollection", got=type(obj).__name__)
        for g in geoms:
            props = g.get("properties") if isinstance(g, dict) else None
            if not isinstance(props, dict) or not props.get("areacd"):
                raise InputError("a geometry has no area code", path=path, field=f"objects.{str(layer)[:30]}",
                                 expected="properties.areacd and properties.areanm", got=str(props)[:60])
            rows.append((str(props["areacd"]).strip(), str(props.get("areanm") or "").strip() or None, layer))
    areas = pd.DataFrame(rows, columns=["code", "name", "layer"])
    areas = areas[areas["code"].str.match(r"^[EWSNK]\d{8}$")]  # 'uk' is K02000001; others are GSS codes
    check_area_codes(areas["code"], path=path, field="properties.areacd")
    areas = areas.drop_duplicates("code")[["code", "name"]]
    text = path.read_bytes().decode("utf-8-sig")
    return Batch(source=SOURCE, key=key or path.name, files=[path], areas=areas,
                 boundaries={BOUNDARY_LAYER: text})


def read_folder(folder: Path, root: Path) -> Iterator[Batch]:
    """The boundaries first (they declare the 2025 codes), then the similar-areas lists."""
    folder = Path(folder)
    topo = folder / TOPO
    if topo.exists():
        yield read_boundaries(topo, key=topo.relative_to(root).as_posix())
    similar = folder / SIMILAR
    if similar.exists():
        yield read_similar(similar, key=similar.relative_to(root).as_posix())
        return
    csvs = {k: folder / NEIGHBOUR_CSV.format(kind=k) for k in KINDS}
    csvs = {k: p for k, p in csvs.items() if p.exists()}
    if csvs:
        yield read_similar_csv(csvs, key=(folder / "scripts/config/clusters").relative_to(root).as_posix())
