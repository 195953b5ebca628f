"""The ONS Explore Local Statistics app files: similar-areas groups and boundaries, against the real files."""

from __future__ import annotations

import csv
import json

import pytest

from placeimpact.errors import InputError
from placeimpact.sources import ons_els_app

APP = "ons-els-app"


@pytest.fixture(scope="module")
def app_dir(data_dir):
    return data_dir / APP


def test_similar_json_three_groups_in_order(app_dir, data_dir):
    path = app_dir / ons_els_app.SIMILAR
    b = ons_els_app.read_similar(path, key="x")
    raw = json.loads(path.read_text(encoding="utf-8-sig"))
    g = b.groups
    assert set(g["group_id"]) == set(ons_els_app.GROUP_NAMES)
    for kind in ons_els_app.KINDS:
        wigan = g[(g["group_id"] == f"ons-similar-{kind}") & (g["focal_area"] == "E08000010")].sort_values("rank")
        assert wigan["member_area"].tolist() == raw["E08000010"][kind]
        assert wigan["rank"].tolist() == list(range(1, 21))
    assert g.groupby(["group_id", "focal_area"]).size().max() == 20
    assert g["focal_area"].nunique() == 397
    assert (g["kind"] == "imported").all()


def test_csv_lists_agree_with_json(app_dir):
    """The CSV copies give the same lists (an independent reading of the same publication)."""
    paths = {k: app_dir / ons_els_app.NEIGHBOUR_CSV.format(kind=k) for k in ons_els_app.KINDS}
    from_csv = ons_els_app.read_similar_csv(paths, key="c").groups
    from_json = ons_els_app.read_similar(app_dir / ons_els_app.SIMILAR, key="j").groups
    cols = ["group_id", "focal_area", "member_area", "rank"]
    order = ["group_id", "focal_area", "rank"]
    a = from_csv[cols].sort_values(order).reset_index(drop=True)
    b = from_json[cols].sort_values(order).reset_index(drop=True)
    # the CSVs are read by a different code path (csv module, ragged rows): same lists
    with open(paths["global"], encoding="utf-8-sig") as fh:
        row = next(r for r in csv.reader(fh) if r and r[0] == "E08000010")
    assert a[(a.group_id == "ons-similar-global") & (a.focal_area == "E08000010")]["member_area"].tolist() == row[1:]
    assert len(a) == len(b) and (a == b).all().all()


def test_boundaries_declare_2025_codes(app_dir):
    b = ons_els_app.read_boundaries(app_dir / ons_els_app.TOPO, key="t")
    codes = dict(zip(b.areas["code"], b.areas["name"]))
    assert codes["E08000038"] == "Barnsley" and codes["E08000039"] == "Sheffield"
    topo = json.loads(b.boundaries[ons_els_app.BOUNDARY_LAYER])
    assert topo["type"] == "Topology" and len(topo["objects"]["ltla"]["geometries"]) == 409


def test_stored(loaded_store, app_dir):
    topo = loaded_store.boundaries()
    assert topo["type"] == "Topology" and len(topo["objects"]["utla"]["geometries"]) == 232
    g = loaded_store.groups(focal="E08000010", group_id="ons-similar-economic")
    assert len(g) == 20 and g["rank"].tolist() == list(range(1, 21))
    st = loaded_store.status().set_index("source")
    raw = json.loads((app_dir / ons_els_app.SIMILAR).read_text(encoding="utf-8-sig"))
    # a few areas have fewer than 20 similar areas listed; every listed one is stored
    assert st.loc["ons-els-app", "group_rows"] == sum(len(v[k]) for v in raw.values() for k in ons_els_app.KINDS)


def test_damaged_files_refused(tmp_path):
    p = tmp_path / "areas-similar.json"
    for text, msg in [("", "empty"), ("[1,2]", "not an object"), ('{"E08000010": {"global": ["E08000010"]}}', "itself"),
                      ('{"E08000010": {"global": ["Wigan"]}}', "not a GSS code"), ("{", "not valid JSON")]:
        p.write_text(text)
        with pytest.raises(InputError, match=msg):
            ons_els_app.read_similar(p)
    t = tmp_path / "topo.json"
    t.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(InputError, match="binary"):
        ons_els_app.read_boundaries(t)
    t.write_bytes(b'{"type": "Topology\xff"}')
    with pytest.raises(InputError, match="not valid UTF-8"):
        ons_els_app.read_boundaries(t)
    t.write_text('{"type": "FeatureCollection"}')
    with pytest.raises(InputError, match="not TopoJSON"):
        ons_els_app.read_boundaries(t)
