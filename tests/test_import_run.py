"""One import of many files gives what importing them one by one gives: the same store, and the same
first error. (The import works out clashes, replaced rows and the area register once per import.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from placeimpact import InputError, open_store
from placeimpact.sources import read_file_as, read_tree

TABLES = {
    "areas": "SELECT * FROM areas",
    "indicators": "SELECT * FROM indicators",
    "observations": "SELECT o.* EXCLUDE (import_id), i.source, i.path FROM observations o JOIN imports i USING (import_id)",
    "groups": "SELECT g.* EXCLUDE (import_id), i.path FROM comparator_groups g LEFT JOIN imports i USING (import_id)",
    "imports": "SELECT source, path, sha256, rows, version FROM imports",
    "boundaries": "SELECT layer, source, sha256 FROM boundaries",
}


def _tables(path: Path) -> dict:
    with open_store(path, read_only=True) as s:
        return {k: sorted(map(repr, s.con.execute(q).fetchall())) for k, q in TABLES.items()}


def _tree(tmp_path: Path, data_dir: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    for name in ("lookups", "ons-els-app", "trafford-themes-55c6d8c5"):
        (root / name).symlink_to(data_dir / name)
    (root / "ons-els").mkdir()
    for ds in ("claimant-count", "cigarette-smokers", "male-healthy-life-expectancy"):
        (root / "ons-els" / ds).symlink_to(data_dir / "ons-els" / ds)
    (root / "ons-els-2025-10-06").symlink_to(data_dir / "ons-els-2025-10-06")
    return root


def test_one_import_equals_file_by_file(tmp_path, data_dir):
    batches = list(read_tree(_tree(tmp_path, data_dir), workers=1))
    with open_store(tmp_path / "one.duckdb") as s:
        s.import_batches(batches)
    with open_store(tmp_path / "each.duckdb") as s:
        for b in batches:
            s.import_batches([b])
    one, each = _tables(tmp_path / "one.duckdb"), _tables(tmp_path / "each.duckdb")
    assert one["observations"] and one == each


def _local(tmp_path: Path, name: str, rows: list[str]) -> Path:
    p = tmp_path / name
    p.write_text("indicator_id,indicator_name,area_code,period,value,unit,value_type,polarity\n"
                 + "".join(r + "\n" for r in rows), encoding="utf-8")
    return p


def test_replacing_a_file_and_moving_its_rows_in_one_import(tmp_path):
    """A new version of file A gives up period 2017, which file B now brings: file by file (A first)
    this is fine; B first it clashes with A's old rows. One import must say the same in both orders."""
    a1 = _local(tmp_path, "a.csv", ["x,X,E08000010,2016,1,n,mean,high_is_good", "x,X,E08000010,2017,2,n,mean,high_is_good"])
    for order in ("a-first", "b-first"):
        d = tmp_path / order
        d.mkdir()
        for path, how in ((d / "one.duckdb", "one"), (d / "each.duckdb", "each")):
            with open_store(path) as s:
                s.import_batches([read_file_as(a1, "local-csv")])
                a2 = _local(d, "a.csv", ["x,X,E08000010,2016,1,n,mean,high_is_good"])
                b = _local(d, "b.csv", ["x,X,E08000010,2017,2,n,mean,high_is_good"])
                new = [read_file_as(a2, "local-csv"), read_file_as(b, "local-csv")]
                for batch in new:
                    batch.key = Path(batch.files[0]).name      # a2 is the same file as a1 (same key)
                new = new if order == "a-first" else new[::-1]
                outcome = []
                try:
                    if how == "one":
                        s.import_batches(new, replace=True)
                    else:
                        for batch in new:
                            s.import_batches([batch], replace=True)
                except InputError as exc:
                    outcome.append(str(exc))
            if how == "one":
                first = outcome
            else:
                assert outcome == first, order
        if order == "a-first":
            assert first == [] and _tables(d / "one.duckdb") == _tables(d / "each.duckdb")
        else:
            assert first and "already stored" in first[0]


def test_the_first_error_is_the_earlier_file(tmp_path):
    """File 2 repeats file 1's rows; file 3's rows name an indicator with no metadata (an error found
    while file 3 is imported, before the clash check at the end). The clash, file 2's, is reported."""
    f1 = _local(tmp_path, "f1.csv", ["x,X,E08000010,2016,1,n,mean,high_is_good"])
    f2 = _local(tmp_path, "f2.csv", ["x,X,E08000010,2016,1,n,mean,high_is_good"])
    f3 = _local(tmp_path, "f3.csv", ["y,Y,E08000010,2016,1,n,mean,high_is_good"])
    batches = [read_file_as(f, "local-csv") for f in (f1, f2, f3)]
    batches[2].indicators = batches[2].indicators.iloc[0:0]
    with open_store(tmp_path / "alone.duckdb") as s:                # file 3 alone: its own error
        with pytest.raises(InputError, match="no metadata"):
            s.import_batches(batches[2:])
    with open_store(tmp_path / "s.duckdb") as s:
        with pytest.raises(InputError, match="already stored from local-csv file f1.csv") as exc:
            s.import_batches(batches)
        assert exc.value.path == "f2.csv"
        assert s.is_empty()                                   # all or nothing
