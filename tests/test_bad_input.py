"""The bad-input corpus (tests/fixtures/bad): one clear error each, and the store left exactly as it was."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from placeimpact import InputError, open_store
from placeimpact.sources import local_csv, ons_els, read_file_as

BAD = Path(__file__).parent / "fixtures" / "bad"
GOOD = Path(__file__).parent / "fixtures" / "local" / "good.csv"

#: file -> (line, field, words of the message, words of "expected")
CASES = {
    "truncated.csv": (3, "lower_ci", "fewer fields than the header", "12 fields"),
    "missing_header.csv": (1, "indicator_id", "lacks required columns", "columns indicator_id"),
    "wrong_header.csv": (1, "area_code", "lacks required columns", "columns indicator_id, area_code"),
    "unknown_column.csv": (1, "colour", "column this format does not know", "columns among"),
    "non_numeric.csv": (3, "value", "not a number", "a number"),
    "duplicate_key.csv": (4, "indicator_id", "also appears at line 2", "each key once"),
    "invalid_area_code.csv": (3, "area_code", "not a GSS code", "GSS code such as E08000010"),
    "unknown_area_code.csv": (3, "area_code", "unknown type", "known area type"),
    "lower_ci_above_value.csv": (3, "lower_ci", "wrong side of the value", "at or below the value 65.5"),
    "count_above_denominator.csv": (3, "count", "exceeds its denominator", "no larger than the denominator"),
    "bad_period.csv": (3, "period", "not in a known form", "2017/18"),
    "latin1.csv": (3, "indicator_name", "not valid UTF-8", "UTF-8 text"),
    "empty.csv": (1, "indicator_id", "empty", "a header line"),
    "header_only.csv": (2, "indicator_id", "no data rows", "at least one data row"),
}


def test_every_corpus_file_is_covered():
    assert {p.name for p in BAD.glob("*.csv")} == set(CASES) | {"bom_reads_fine.csv"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_clear_error_naming_file_line_field_expected(name):
    line, field, words, expected = CASES[name]
    with pytest.raises(InputError) as ei:
        read_file_as(BAD / name, "local-csv")
    e = ei.value
    assert (Path(e.path).name, e.line, e.field) == (name, line, field)
    assert expected in e.expected and words in str(e)
    msg = str(e)
    assert msg.startswith(f"{BAD / name}, line {line}: ") and f"field {field!r}" in msg and "expected " in msg


def test_byte_order_mark_reads_like_the_plain_file():
    with_bom = local_csv.read_file(BAD / "bom_reads_fine.csv").observations
    plain = local_csv.read_file(GOOD).observations
    assert list(with_bom.columns) == list(plain.columns)
    assert_allclose(with_bom[["value", "lci95", "uci95"]].to_numpy(float), plain[["value", "lci95", "uci95"]]
                    .to_numpy(float), rtol=0, atol=0, equal_nan=True)
    assert with_bom.indicator_id.tolist() == ["local:resident-survey-satisfied"] * 3


def _fingerprint(store) -> tuple:
    h = store.frame("SELECT count(*) AS n, sum(hash(indicator_id, area_code, sex, age, category, period_label, value, "
                    "lci95, uci95, count, denominator, import_id)) AS h FROM observations").iloc[0]
    return (tuple(sorted(store.counts().items())), int(h.n), int(h.h))


@pytest.fixture()
def store_path(tmp_path, data_dir) -> str:
    """A store file holding one real ONS dataset and the good local file (closed, so a CLI can open it)."""
    ds = data_dir / "ons-els" / "healthy-life-expectancy"
    path = str(tmp_path / "bad-input.duckdb")
    with open_store(path) as s:
        s.import_batches([ons_els.read_file(ds / "healthy-life-expectancy.csv", ds / "healthy-life-expectancy.json",
                                            key="ons-els/healthy-life-expectancy/healthy-life-expectancy.csv"),
                          local_csv.read_file(GOOD, key="local/good.csv")])
    return path


@pytest.fixture()
def store(store_path):
    with open_store(store_path) as s:
        yield s


def test_store_unchanged_after_each_bad_file(store):
    before = _fingerprint(store)
    for name in CASES:
        with pytest.raises(InputError):
            store.import_batches(read_file_as(BAD / name, "local-csv") for _ in range(1))
        assert _fingerprint(store) == before, name


def test_all_or_nothing_good_and_bad_files_together(store, tmp_path):
    before = _fingerprint(store)
    folder = tmp_path / "data" / "local"
    folder.mkdir(parents=True)
    (folder / "a-new-good.csv").write_text(GOOD.read_text().replace("resident-survey-satisfied", "other-survey"))
    shutil.copy(BAD / "lower_ci_above_value.csv", folder / "b-bad.csv")
    with pytest.raises(InputError, match="b-bad.csv, line 3"):
        store.load(tmp_path / "data")
    assert _fingerprint(store) == before
    # a failure inside the transaction (rows already stored from another file) rolls the good batch back
    good = local_csv.read_file(folder / "a-new-good.csv", key="local/a-new-good.csv")
    clash = local_csv.read_file(GOOD, key="local/copy-of-good.csv")
    with pytest.raises(InputError, match="already stored"):
        store.import_batches([good, clash])
    assert _fingerprint(store) == before
    assert store.import_batches([good]).table.status.tolist() == ["new"]  # alone it loads


@pytest.mark.parametrize("name", ["truncated.csv", "latin1.csv", "duplicate_key.csv", "empty.csv"])
def test_cli_exit_code_2_and_one_error_line(name, store_path, monkeypatch, capsys):
    from placeimpact.cli import main

    with open_store(store_path, read_only=True) as s:
        before = _fingerprint(s)
    path = store_path
    monkeypatch.setattr(sys, "argv", ["placeimpact", "data", "load", "--file", str(BAD / name), "--source",
                                      "local-csv", "--store", path])
    with pytest.raises(SystemExit) as ei:
        main()
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    line = CASES[name][0]
    assert ei.value.code == 2 and len(err) == 1
    assert err[0].startswith("error: ") and f"{name}, line {line}:" in err[0]
    with open_store(store_path, read_only=True) as s:
        assert _fingerprint(s) == before


def test_cli_subprocess_load_from_folder(store_path, tmp_path):
    with open_store(store_path, read_only=True) as s:
        before = _fingerprint(s)
    path = store_path
    folder = tmp_path / "d" / "local"
    folder.mkdir(parents=True)
    shutil.copy(BAD / "non_numeric.csv", folder / "survey.csv")
    r = subprocess.run([sys.executable, "-m", "placeimpact", "data", "load", "--from", str(tmp_path / "d"),
                        "--store", path], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and "survey.csv, line 3: a value is not a number; field 'value'" in err[0], r.stderr
    with open_store(store_path, read_only=True) as s:
        assert _fingerprint(s) == before
