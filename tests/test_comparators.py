"""Comparator groups: imported lists, computed neighbours, explanations, stability, the CLI.

References: Wigan's Oflog group is read straight from ``oflog/src/lib/NN.json``; the area
register (validity dates) from mySociety's ``lookups`` file through its reader; distances are
checked against SciPy's ``seuclidean``/weighted ``euclidean``. Feature values in the hand-built
stores are simulated (seeded), never presented as real.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

from placeimpact import InputError, MethodError, StoreError, open_store
from placeimpact.comparators import (
    candidate_areas,
    compute_neighbours,
    handle_missing,
    imported_neighbours,
    nearest_neighbours,
    overlap,
    stability,
    standardised_distance,
    zscores,
)
from placeimpact.records import Batch, area_frame, group_frame, indicator_frame, observation_frame
from placeimpact.sources import comparator_csv, read_file_as

FIXTURES = Path(__file__).parent / "fixtures" / "comparator_csv"
EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "greater-manchester-peers.csv"
WIGAN = "E08000010"


def _oflog_wigan(data_dir: Path) -> list[str]:
    nn = json.loads((data_dir / "oflog" / "src" / "lib" / "NN.json").read_text(encoding="utf-8"))
    return [c for c in nn[WIGAN] if c != WIGAN]


# ---------------------------------------------------------------------------------------------
# hand-built stores (simulated feature values, seeded)
# ---------------------------------------------------------------------------------------------

def _feature_batch(values: pd.DataFrame, year: int, key: str) -> Batch:
    """Observations of features ``sim:<column>`` for calendar ``year`` (simulated, for tests)."""
    long = values.rename_axis("area_code").reset_index().melt("area_code", var_name="f", value_name="value")
    long = long.dropna(subset=["value"])
    obs = pd.DataFrame({"indicator_id": "sim:" + long["f"], "area_code": long["area_code"],
                        "period_label": str(year), "period_start": date(year, 1, 1),
                        "period_end": date(year, 12, 31), "value": long["value"]})
    inds = indicator_frame([{"id": f"sim:{c}", "source": "sim", "source_id": c, "name": f"Simulated {c}",
                             "value_type": "mean"} for c in values.columns])
    return Batch(source="sim", key=key, files=[], indicators=inds, observations=observation_frame(obs))


@pytest.fixture
def reorganised_store(data_dir, rng):
    """The real area register plus simulated features for 2010 and 2022 on today's and old codes.

    Every area gets values in both years (as publishers back-cast to current boundaries),
    and the reorganised areas are made the nearest of all to Wigan, so only the validity
    dates can keep them out.
    """
    from placeimpact.sources import mysociety

    reg = mysociety.read_register(data_dir / "lookups" / "data" / "uk_local_authorities.csv")
    codes = [WIGAN, "E06000058", "E06000028", "E06000029", "E10000009", "E10000021", "E06000061",
             "E06000062"] + [f"E080000{i:02d}" for i in range(1, 10)] + [f"E060000{i:02d}" for i in range(1, 21)]
    x = pd.DataFrame(rng.normal(size=(len(codes), 3)) * 3, index=codes, columns=["a", "b", "c"])
    x.loc[WIGAN] = 0.0
    x.iloc[1:8] = rng.normal(scale=0.01, size=(7, 3))  # reorganised areas: nearest to Wigan
    s = open_store(":memory:")
    s.import_batches([reg, _feature_batch(x, 2010, "sim-2010"), _feature_batch(x, 2022, "sim-2022")])
    yield s
    s.close()


def _members(res) -> set[str]:
    return set(res.codes)


# ---------------------------------------------------------------------------------------------
# imported groups
# ---------------------------------------------------------------------------------------------

def test_wigan_imported_group_equals_oflog_json(loaded_store, data_dir):
    pytest.importorskip("placeimpact.sources.oflog", reason="the Oflog reader (sources/oflog.py) is not there yet")
    expected = _oflog_wigan(data_dir)
    res = imported_neighbours(loaded_store, "Wigan")
    assert len(expected) == 15
    # same codes, rank = order in the JSON; members listed under a former code of an exact recode get
    # their current code (issue 11: Barnsley E08000016 -> E08000038, Sheffield E08000019 -> E08000039)
    recoded = {"E08000016": "E08000038", "E08000019": "E08000039"}
    assert list(res.codes) == [recoded.get(c, c) for c in expected]
    assert set(expected) & set(recoded)         # the JSON really uses the former codes
    assert res.members["rank"].tolist() == list(range(1, 16))
    assert WIGAN not in res.codes
    assert res.members["name"].notna().all()


def test_imported_group_from_a_hand_built_store():
    g = group_frame({"group_id": "test-nn", "kind": "imported", "focal_area": WIGAN, "member_area": m, "rank": r,
                     "source": "test"} for r, m in [(2, "E08000002"), (1, "E08000001"), (3, "E08000003")])
    with open_store(":memory:") as s:
        areas = area_frame(pd.DataFrame({"code": [WIGAN, "E08000001", "E08000002", "E08000003"]}))
        s.import_batches([Batch(source="test", key="g", files=[], groups=g, areas=areas)])
        res = imported_neighbours(s, WIGAN, group_id="test-nn")
        assert list(res.codes) == ["E08000001", "E08000002", "E08000003"]
        with pytest.raises(StoreError, match="groups for E08000010: test-nn"):
            imported_neighbours(s, WIGAN, group_id="cipfa-2019")


# ---------------------------------------------------------------------------------------------
# computed neighbours on the real data
# ---------------------------------------------------------------------------------------------

def test_wigan_computed_from_2010_features_overlaps_oflog(loaded_store, data_dir):
    res = compute_neighbours(loaded_store, WIGAN, year=2010, k=15)
    ov = overlap(res.codes, _oflog_wigan(data_dir))
    print(f"\nWigan, computed from 2010 features vs Oflog NN.json: {ov.n_common} of 15 agree: {ov.common}")
    assert len(res.members) == 15
    assert ov.n_common >= 8                      # measured 10 of 15 (ONS ELS features, 2010)
    # every feature was measured by the end of 2010 (none after the reform began)
    assert (pd.to_datetime(res.features["period_end"]) <= pd.Timestamp("2010-12-31")).all()
    assert not res.features["after_reference"].any()
    assert (res.members["distance"].diff().dropna() >= 0).all()
    assert res.members["similar"].str.len().gt(0).all() and res.members["different"].str.len().gt(0).all()
    if res.comparison is not None:               # the store's oflog-nn group, when loaded
        assert res.comparison.n_common == ov.n_common
        assert f"{ov.n_common} of the 15" in res.summary()


def test_stability_2009_vs_2010(loaded_store):
    stab = stability(loaded_store, WIGAN, years=(2009, 2010))
    print(f"\nWigan neighbours, 2009 vs 2010 features: {stab.overlap.n_common} of 15 agree")
    assert stab.overlap.n_common >= 8            # measured 10 of 15
    assert stab.same_period_features == ()       # each year read its own periods
    assert "agree" in stab.summary()
    assert set(stab.to_frame()["code"]) == set(stab.results[0].codes) | set(stab.results[1].codes)


@pytest.mark.parametrize("year", [2010, 2022])
def test_real_store_members_existed_in_the_reference_year(loaded_store, year):
    areas = loaded_store.areas().set_index("code")
    if areas[["valid_from", "valid_to"]].isna().all().all():
        pytest.fail("the area register (lookups) did not load validity dates")
    pool, _ = candidate_areas(loaded_store, WIGAN, year=year)
    on = pd.Timestamp(year, 12, 31)
    vf = pd.to_datetime(areas.loc[pool["code"], "valid_from"])
    vt = pd.to_datetime(areas.loc[pool["code"], "valid_to"])
    assert ((vf.isna() | (vf <= on)) & (vt.isna() | (vt >= on))).all()
    codes = set(pool["code"])
    if year == 2010:
        assert "E06000058" not in codes and "E06000061" not in codes and "E10000021" in codes
    else:
        assert "E10000021" not in codes and "E06000028" not in codes and "E06000058" in codes


# ---------------------------------------------------------------------------------------------
# boundary changes: areas never appear for a year in which they did not exist
# ---------------------------------------------------------------------------------------------

def test_reorganised_areas_only_in_years_they_existed(reorganised_store):
    feats = ["sim:a", "sim:b", "sim:c"]
    r2010 = compute_neighbours(reorganised_store, WIGAN, year=2010, k=6, features=feats, compare_with=None)
    r2022 = compute_neighbours(reorganised_store, WIGAN, year=2022, k=6, features=feats, compare_with=None)
    # 2010: Bournemouth, Poole, Dorset County, Northamptonshire existed; BCP (2019) and the
    # Northamptonshire unitaries (2021) did not
    assert {"E06000058", "E06000061", "E06000062"}.isdisjoint(_members(r2010))
    assert {"E06000028", "E06000029", "E10000009", "E10000021"} <= _members(r2010)
    # 2022: the reverse
    assert {"E06000028", "E06000029", "E10000009", "E10000021"}.isdisjoint(_members(r2022))
    assert {"E06000058", "E06000061", "E06000062"} <= _members(r2022)


def test_focal_area_must_exist_in_the_reference_year(reorganised_store):
    with pytest.raises(StoreError, match="did not exist on 2010-12-31"):
        compute_neighbours(reorganised_store, "E06000058", year=2010, features=["sim:a"], compare_with=None)


# ---------------------------------------------------------------------------------------------
# missing features: reported, never a silent zero
# ---------------------------------------------------------------------------------------------

def test_missing_feature_report():
    rng = np.random.default_rng(7)
    idx = [f"E0600{i:04d}" for i in range(20)]
    x = pd.DataFrame(rng.normal(10, 2, size=(20, 4)), index=idx, columns=["f1", "f2", "sparse", "focal_gap"])
    x.loc[idx[1:8], "sparse"] = np.nan          # 7 of 20 = 35% missing -> dropped
    x.loc[idx[0], "focal_gap"] = np.nan         # the focal area lacks it -> dropped
    x.loc[idx[5], ["f1", "f2"]] = np.nan        # area missing everything -> dropped
    x.loc[idx[9], "f2"] = np.nan                # one gap -> imputed with the median
    before = x.copy()
    filled, rep = handle_missing(x, idx[0], max_feature_missing=0.2, max_area_missing=0.5)
    pd.testing.assert_frame_equal(x, before)     # the caller's frame is untouched
    t = rep.table
    assert set(t.loc[t["action"] == "dropped feature", "feature"]) == {"sparse", "focal_gap"}
    assert t.loc[t["action"] == "dropped area", "area_code"].tolist() == [idx[5]]
    imp = t[t["action"] == "imputed median"]
    assert imp[["area_code", "feature"]].values.tolist() == [[idx[9], "f2"]]
    others = x.drop(index=[idx[5], idx[9]])["f2"]
    assert_allclose(imp["value"].iloc[0], np.median(others), rtol=1e-12)
    assert_allclose(filled.loc[idx[9], "f2"], np.median(others), rtol=1e-12)
    assert list(filled.columns) == ["f1", "f2"] and idx[5] not in filled.index
    assert not filled.isna().any().any()
    text = rep.summary()
    assert "2 feature(s) dropped" in text and "1 area(s) dropped" in text and "1 missing value(s) imputed" in text


def test_computed_result_reports_missing(reorganised_store):
    res = compute_neighbours(reorganised_store, WIGAN, year=2010, k=3, features=["sim:a", "sim:b"],
                             compare_with=None)
    # areas valid in 2010 but with no simulated values (most of the register) are dropped, and said so
    assert res.missing.count("dropped area") > 0
    assert "dropped for missing most features" in res.summary()


def test_post_reform_feature_warns_when_named_and_is_left_out_by_default(reorganised_store):
    s = reorganised_store
    codes = s.frame("SELECT DISTINCT area_code FROM observations WHERE indicator_id = 'sim:a'")["area_code"]
    late = _feature_batch(pd.DataFrame({"late": np.arange(len(codes), dtype=float)}, index=codes), 2022, "late")
    s.import_batches([late])
    res = compute_neighbours(s, WIGAN, year=2010, k=3, features=["sim:a", "sim:late"], compare_with=None)
    assert res.features.set_index("feature").loc["sim:a", "period_label"] == "2010"
    assert res.features.set_index("feature").loc["sim:late", "after_reference"]
    assert any("sim:late" in w and "2022" in w for w in res.warnings)


# ---------------------------------------------------------------------------------------------
# the distance: an independent reference, and its invariances
# ---------------------------------------------------------------------------------------------

def test_distance_matches_scipy(rng):
    x = rng.normal(size=(40, 5)) * [1, 10, 100, 0.1, 3]
    w = np.array([1.0, 2.0, 0.5, 0.0, 3.0])
    z, mean, sd = zscores(x)
    assert_allclose(sd, x.std(axis=0), rtol=1e-12)
    d = standardised_distance(z, 4)
    ref = cdist(x, x[4:5], "seuclidean", V=x.var(axis=0)).ravel() / np.sqrt(5)
    assert_allclose(d, ref, rtol=1e-10, atol=1e-12)
    dw = standardised_distance(z, 4, w)
    refw = cdist(x, x[4:5], "euclidean", w=w / x.var(axis=0)).ravel() / np.sqrt(w.sum())
    assert_allclose(dw, refw, rtol=1e-10, atol=1e-12)


def _frame(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(values, index=[f"E0600{i:04d}" for i in range(len(values))],
                        columns=[f"f{j}" for j in range(values.shape[1])])


matrices = st.integers(min_value=0, max_value=2**32 - 1).map(
    lambda seed: np.random.default_rng(seed).normal(size=(25, 4)))


@settings(max_examples=40, deadline=None)
@given(x=matrices, scale=st.floats(0.01, 1000), per_feature=st.lists(st.floats(0.01, 100), min_size=4, max_size=4),
       shift=st.floats(-100, 100))
def test_rescaling_features_does_not_change_neighbours(x, scale, per_feature, shift):
    base = nearest_neighbours(_frame(x), "E06000000", k=8)
    uniform = nearest_neighbours(_frame(x * scale), "E06000000", k=8)
    each = nearest_neighbours(_frame(x * np.array(per_feature) + shift), "E06000000", k=8)
    for other in (uniform, each):
        assert other.members["code"].tolist() == base.members["code"].tolist()
        assert_allclose(other.members["distance"], base.members["distance"], rtol=1e-7, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(x=matrices, perm_seed=st.integers(0, 2**32 - 1), w=st.lists(st.floats(0.0, 5.0), min_size=4, max_size=4))
def test_permuting_areas_does_not_change_results(x, perm_seed, w):
    weights = {f"f{j}": v for j, v in enumerate(w)} if sum(w) > 0 else None
    df = _frame(x)
    perm = np.random.default_rng(perm_seed).permutation(len(df))
    a = nearest_neighbours(df, "E06000003", k=10, weights=weights)
    b = nearest_neighbours(df.iloc[perm], "E06000003", k=10, weights=weights)
    assert a.members["code"].tolist() == b.members["code"].tolist()
    assert_allclose(a.members["distance"], b.members["distance"], rtol=1e-10, atol=1e-12)
    pd.testing.assert_frame_equal(a.differences, b.differences, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(x=matrices, j=st.integers(0, 3), c=st.floats(0.1, 100))
def test_weights_change_the_ranking_as_expected(x, j, c):
    df = _frame(x)
    # all weight on feature j: neighbours are ranked by |z difference| on j alone
    only = {f"f{i}": (1.0 if i == j else 0.0) for i in range(4)}
    res = nearest_neighbours(df, "E06000000", k=24, weights=only)
    z = (x[:, j] - x[:, j].mean()) / x[:, j].std()
    gap = np.abs(z[1:] - z[0])
    expected = np.array(df.index[1:])[np.argsort(gap, kind="stable")]
    assert_allclose(res.members["distance"], np.sort(gap), rtol=1e-9, atol=1e-12)
    assert res.members["code"].tolist() == expected.tolist()
    # scaling every weight by the same constant changes nothing
    w = {f"f{i}": 1.0 + i for i in range(4)}
    a = nearest_neighbours(df, "E06000000", k=10, weights=w)
    b = nearest_neighbours(df, "E06000000", k=10, weights={f: c * v for f, v in w.items()})
    assert a.members["code"].tolist() == b.members["code"].tolist()


def test_weight_decides_between_two_kinds_of_neighbour():
    x = pd.DataFrame({"pay": [0.0, 0.1, 3.0, 5.0, -5.0], "jobs": [0.0, 3.0, 0.1, 5.0, -5.0]},
                     index=["E06000001", "E06000002", "E06000003", "E06000004", "E06000005"])
    by_pay = nearest_neighbours(x, "E06000001", k=1, weights={"pay": 10, "jobs": 1})
    by_jobs = nearest_neighbours(x, "E06000001", k=1, weights={"pay": 1, "jobs": 10})
    assert by_pay.members["code"].tolist() == ["E06000002"]
    assert by_jobs.members["code"].tolist() == ["E06000003"]


def test_bad_options_raise_clear_errors():
    x = _frame(np.arange(20.0).reshape(10, 2) ** 1.5)
    with pytest.raises(InputError, match="names a feature that is not used.*got 'nope'"):
        nearest_neighbours(x, "E06000000", weights={"nope": 1})
    with pytest.raises(InputError, match="zero or more"):
        nearest_neighbours(x, "E06000000", weights={"f0": -1})
    with pytest.raises(InputError, match="every feature weight is zero"):
        nearest_neighbours(x, "E06000000", weights={"f0": 0, "f1": 0})
    with pytest.raises(MethodError, match="not among the candidate areas"):
        nearest_neighbours(x, "E09999999")
    with pytest.raises(InputError, match="k must be"):
        nearest_neighbours(x, "E06000000", k=0)


# ---------------------------------------------------------------------------------------------
# saving a computed group so evaluations can name it
# ---------------------------------------------------------------------------------------------

def test_saved_computed_group_reads_back(reorganised_store):
    res = compute_neighbours(reorganised_store, WIGAN, year=2022, k=5, features=["sim:a", "sim:b", "sim:c"],
                             compare_with=None)
    reorganised_store.save_group(res.to_group())
    back = imported_neighbours(reorganised_store, WIGAN, group_id=res.group_id)
    assert back.kind == "computed" and res.group_id.startswith("computed:2022:k5")
    assert list(back.codes) == list(res.codes)
    assert_allclose(back.members["distance"], res.members["distance"], rtol=1e-12)
    ex = res.explain(res.codes[0])
    assert_allclose(ex["share_of_distance"].sum(), 1.0, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# a user's own list (comparator CSV)
# ---------------------------------------------------------------------------------------------

def test_documented_example_csv_loads():
    b = read_file_as(EXAMPLE, "comparator-csv")
    g = b.groups
    assert set(g["group_id"]) == {"user:greater-manchester"} and set(g["kind"]) == {"user"}
    assert g["rank"].tolist() == list(range(1, 10)) and (g["focal_area"] == WIGAN).all()
    with open_store(":memory:") as s:
        s.import_batches([b])
        assert len(imported_neighbours(s, WIGAN, group_id="user:greater-manchester").members) == 9


def test_group_id_defaults_to_file_name(tmp_path):
    p = tmp_path / "my-peers.csv"
    p.write_text("focal_area,member_area,rank,distance\nE08000010,E08000001,1,0.5\nE08000010,E08000002,2,\n")
    g = comparator_csv.read_file(p).groups
    assert set(g["group_id"]) == {"user:my-peers"}
    assert_allclose(g["distance"].to_numpy(), [0.5, np.nan])


@pytest.mark.parametrize("name, line, field, text", [
    ("unknown_column.csv", 1, "members_note", "unknown column"),
    ("bad_code.csv", 3, "member_area", "not a GSS code"),
    ("self_neighbour.csv", 3, "member_area", "its own neighbour"),
    ("duplicate_rank.csv", 4, "group_id", "duplicated rank"),
    ("duplicate_member.csv", 3, "group_id", "duplicated member"),
    ("fractional_rank.csv", 3, "rank", "whole number"),
    ("negative_distance.csv", 3, "distance", "negative"),
    ("missing_rank_column.csv", 1, "rank", "lacks required columns"),
    ("truncated_row.csv", 3, "rank", "fewer fields"),
])
def test_bad_comparator_csv_names_line_and_field(name, line, field, text):
    with pytest.raises(InputError) as err:
        comparator_csv.read_file(FIXTURES / name)
    e = err.value
    assert e.line == line and e.field == field and text in str(e)
    assert name in str(e)


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------

def test_cli_neighbours(tmp_path, data_dir, rng):
    from typer.testing import CliRunner

    import typer

    from placeimpact.cli import neighbours

    path = tmp_path / "cli.duckdb"
    codes = [WIGAN] + [f"E080000{i:02d}" for i in range(1, 10)]
    x = pd.DataFrame(rng.normal(size=(len(codes), 2)), index=codes, columns=["a", "b"])
    with open_store(path) as s:
        s.import_batches([_feature_batch(x, 2010, "sim"), read_file_as(EXAMPLE, "comparator-csv")])
    app, run = typer.Typer(), CliRunner().invoke
    app.callback()(lambda: None)  # a group, as in the full app
    neighbours.register(app)
    r = run(app, ["neighbours", "--area", WIGAN, "--group", "user:greater-manchester", "--store", str(path),
                  "--format", "json"])
    assert r.exit_code == 0, r.output
    assert [m["code"] for m in json.loads(r.output)["members"]] == [f"E080000{i:02d}" for i in range(1, 10)]
    r = run(app, ["neighbours", "--area", WIGAN, "--method", "computed", "--year", "2010", "--k", "3",
                  "--features", "sim:a,sim:b", "--weight", "a=2", "--group", "user:greater-manchester",
                  "--save", "--store", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert len(out["members"]) == 3 and out["comparison"]["n_common"] == 3  # all GM boroughs here
    with open_store(path, read_only=True) as s:
        assert list(imported_neighbours(s, WIGAN, group_id=out["group_id"]).codes) == \
            [m["code"] for m in out["members"]]
    r = run(app, ["neighbours", "--area", WIGAN, "--method", "computed", "--store", str(path)])
    assert r.exit_code != 0 and "reference year" in str(r.exception)
