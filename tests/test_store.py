"""Store: loading real data, idempotent re-import, the worked-example value."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from placeimpact import InputError, StoreError, open_store
from placeimpact.sources import ons_els, read_tree


def test_wigan_preventable_cvd_2001_03_matches_ons_file(loaded_store):
    df = loaded_store.series("E08000010", "ons-els:preventable-cardiovascular-mortality-england")
    row = df[df["period_label"] == "2001-01-01/P3Y"].iloc[0]
    np.testing.assert_allclose([row.value, row.lci95, row.uci95], [84.40979, 77.60514, 91.64692], rtol=0, atol=1e-9)
    assert round(row.value, 1) == 84.4 and round(row.lci95, 1) == 77.6 and round(row.uci95, 1) == 91.6


def test_reimport_same_file_changes_nothing(tmp_path, data_dir):
    folder = data_dir / "ons-els" / "healthy-life-expectancy"
    b = ons_els.read_file(folder / "healthy-life-expectancy.csv", folder / "healthy-life-expectancy.json",
                          key="ons-els/healthy-life-expectancy/healthy-life-expectancy.csv")
    with open_store(tmp_path / "s.duckdb") as s:
        first = s.import_batches([b])
        before = s.counts()
        again = s.import_batches([b])
        assert first.table["status"].tolist() == ["new"]
        assert again.table["status"].tolist() == ["unchanged"]
        assert s.counts() == before


def test_changed_reading_code_reimports_the_same_file(tmp_path, data_dir, monkeypatch):
    """Bytes unchanged but the reader changed (a fix, a new column): its rows are replaced, not kept stale."""
    import placeimpact.store as store_mod

    folder = data_dir / "ons-els" / "healthy-life-expectancy"
    b = ons_els.read_file(folder / "healthy-life-expectancy.csv", folder / "healthy-life-expectancy.json",
                          key="ons-els/healthy-life-expectancy/healthy-life-expectancy.csv")
    with open_store(tmp_path / "s.duckdb") as s:
        s.import_batches([b])
        before = s.counts()
        monkeypatch.setattr(store_mod, "_READER_FINGERPRINT", "reader changed")
        assert s.import_batches([b]).table["status"].tolist() == ["replaced"]
        assert s.counts() == before                                    # replaced, never duplicated
        assert s.frame("SELECT version FROM imports")["version"].tolist() == ["reader changed"]
        assert s.import_batches([b]).table["status"].tolist() == ["unchanged"]


def test_unknown_area_error_suggests_matches(loaded_store):
    with pytest.raises(StoreError, match="Wigan"):
        loaded_store.resolve_area("Wiga")


def test_areas_carry_their_region_name(loaded_store):
    a = loaded_store.areas("Wigan").set_index("code")
    assert a.loc["E08000010", ["region_code", "region_name"]].tolist() == ["E12000002", "North West"]
    cornwall = loaded_store.areas(area_type="unitary").set_index("code").loc["E06000052"]
    assert cornwall["region_name"] == "South West"


# -- guarded replacement, --check, the register, loads swapped in (issue 11) ---------------------------------

HLE_DIR = "ons-els/healthy-life-expectancy"


def _tree(tmp_path, data_dir, rows: int | None = None, name: str = "d"):
    """A data folder with the real HLE dataset, optionally cut to its first ``rows`` rows."""
    folder = tmp_path / name / HLE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    src = data_dir / HLE_DIR / "healthy-life-expectancy.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    (folder / "healthy-life-expectancy.csv").write_text(
        "\n".join(lines if rows is None else lines[: rows + 1]) + "\n", encoding="utf-8")
    shutil.copy(data_dir / HLE_DIR / "healthy-life-expectancy.json", folder)
    return tmp_path / name


def test_shrunken_file_does_not_replace_the_full_one(tmp_path, data_dir):
    full = _tree(tmp_path, data_dir)
    with open_store(tmp_path / "s.duckdb") as s:
        s.load(full)
        before = s.counts()
        small = _tree(tmp_path, data_dir, rows=199, name="small")
        batches = list(read_tree(small))
        with pytest.raises(InputError, match="removes") as ei:
            s.import_batches(batches)
        assert "--replace" in str(ei.value)
        assert s.counts() == before
        # --check reports the differences and writes nothing
        rep = s.import_batches(batches, check=True, replace=True)
        ch = rep.changes()
        assert ch.loc[0, "status"] == "replaced" and ch.loc[0, "old_rows"] == 5814 and ch.loc[0, "new_rows"] == 199
        assert ch.loc[0, "areas_removed"] > 0 and "nothing written" in rep.summary()
        assert s.counts() == before
        # --replace accepts it
        s.import_batches(batches, replace=True)
        assert s.counts()["observations"] == 199


def test_losing_a_share_of_rows_needs_replace(tmp_path, data_dir):
    full = _tree(tmp_path, data_dir)
    lines = (full / HLE_DIR / "healthy-life-expectancy.csv").read_text().splitlines()
    with open_store(tmp_path / "s.duckdb") as s:
        s.load(full)
        # drop the male rows of every area but keep every area and period: 50% fewer rows
        kept = [lines[0]] + [ln for ln in lines[1:] if "Female" in ln or ln.split(",")[0] in ("E92000001",)]
        (full / HLE_DIR / "healthy-life-expectancy.csv").write_text("\n".join(kept) + "\n")
        with pytest.raises(InputError, match="more than 10% fewer"):
            s.load(full)


def test_unknown_council_code_never_creates_an_area(tmp_path, data_dir):
    from placeimpact.sources import local_csv, mysociety

    with open_store(tmp_path / "s.duckdb") as s:
        s.import_batches(list(mysociety.read_folder(data_dir / "lookups", data_dir)))
        n = s.counts()["areas"]
        p = tmp_path / "x.csv"
        p.write_text("indicator_id,area_code,period,value\nx,E08000010,2016,1.5\nx,E08000099,2016,2.5\n")
        with pytest.raises(InputError, match="not in the area register") as ei:
            s.import_batches([local_csv.read_file(p)])
        assert (ei.value.line, ei.value.field, ei.value.got) == (3, "area_code", "E08000099")
        assert s.counts()["areas"] == n and s.frame("SELECT * FROM areas WHERE code = 'E08000099'").empty


def test_reload_with_nothing_changed_reads_no_file(tmp_path, data_dir, monkeypatch):
    from placeimpact.cli.data import _load_tree
    import placeimpact.sources as sources

    tree = _tree(tmp_path, data_dir)
    store = tmp_path / "s.duckdb"
    _load_tree(store, tree)
    monkeypatch.setattr(sources, "read_tree", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed")))
    _load_tree(store, tree)                      # hashed, found unchanged: no reader called
    (tree / HLE_DIR / "healthy-life-expectancy.json").write_text(
        (tree / HLE_DIR / "healthy-life-expectancy.json").read_text() + " ")
    with pytest.raises(AssertionError, match="parsed"):
        _load_tree(store, tree)                  # one byte changed: read again


def test_reads_answered_during_a_load(tmp_path, data_dir):
    """Every read-only open and series during a full 'data load' (in another process) is answered."""
    import subprocess
    import sys
    import time

    tree = _tree(tmp_path, data_dir)
    for ds in ("cigarette-smokers", "adult-obesity-prevalence", "employment-rate", "claimant-count"):
        dst = tmp_path / "d" / "ons-els" / ds
        shutil.copytree(data_dir / "ons-els" / ds, dst)
    store = tmp_path / "s.duckdb"
    with open_store(store) as s:
        s.load(_tree(tmp_path, data_dir, name="first"))
    proc = subprocess.Popen([sys.executable, "-m", "placeimpact", "data", "load", "--from", str(tree), "--store",
                             str(store)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answered = failed = 0
    errors = []
    try:
        while proc.poll() is None:
            try:
                with open_store(store, read_only=True) as r:
                    assert len(r.series("E08000010", "ons-els:male-healthy-life-expectancy")) > 5
                answered += 1
            except Exception as exc:  # noqa: BLE001 - counted, and the test fails below
                failed += 1
                errors.append(repr(exc))
            time.sleep(0.01)
    finally:
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert failed == 0, errors[:3]
    assert answered >= 5                           # reads really happened while the load ran
    with open_store(store, read_only=True) as r:   # and the new store is in place
        assert r.frame("SELECT count(*) AS n FROM indicators WHERE id = 'ons-els:claimant-count'")["n"][0] == 1


def test_derived_values_are_forgotten_when_the_store_changes(tmp_path):
    # read-only stores of one file share derived values (groups here); a write makes them stale, so a
    # later read-only store of the changed file must see the change, as must the writer itself
    import pandas as pd

    path = tmp_path / "s.duckdb"
    row = {"group_id": "g", "focal_area": "E08000010", "member_area": "E08000001", "rank": 1}
    with open_store(path) as w:
        w.save_group(pd.DataFrame([row]))
        assert w.groups(group_id="g")["member_area"].tolist() == ["E08000001"]
        w.save_group(pd.DataFrame([row, {**row, "member_area": "E08000002", "rank": 2}]))
        assert w.groups(group_id="g")["member_area"].tolist() == ["E08000001", "E08000002"]
    with open_store(path, read_only=True) as r:
        assert len(r.groups(group_id="g")) == 2
    with open_store(path, read_only=True) as r:
        got = r.groups(group_id="g")
        got.loc[0, "member_area"] = "changed by the caller"      # a copy: the shared value is not touched
        assert r.groups(group_id="g")["member_area"].tolist() == ["E08000001", "E08000002"]
    with open_store(path) as w:
        w.save_group(pd.DataFrame([{**row, "member_area": "E08000003"}]))
    with open_store(path, read_only=True) as r:
        assert r.groups(group_id="g")["member_area"].tolist() == ["E08000003"]
