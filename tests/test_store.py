"""Store: loading real data, idempotent re-import, the worked-example value."""

from __future__ import annotations

import numpy as np
import pytest

from placeimpact import StoreError, open_store
from placeimpact.sources import ons_els


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
