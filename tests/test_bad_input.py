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


# -- the readers' corpus (tests/fixtures/bad/readers, written by make_readers_corpus.py): every reader -------

READERS = BAD / "readers"

READER_CASES = {
    'cmp_binary.csv': (1, None, 'the file is binary, not CSV text'),
    'cmp_rank_comma.csv': (3, 'rank', 'a number has a comma (decimal and thousands commas are not g'),
    'cmp_rank_inf.csv': (3, 'rank', 'a value is not a finite number'),
    'ft_bad_area.csv': (2, 'Area Code', 'an area code is neither a GSS code nor an NHS (ODS) code'),
    'ft_decimal_comma.csv': (2, 'Value', 'a number has a comma (decimal and thousands commas are not g'),
    'ft_future_period.csv': (2, 'period', 'a period starts in the future'),
    'ft_inf.csv': (2, 'Value', 'a value is not a finite number'),
    'ft_lower_above_value.csv': (2, 'lci95', 'a confidence limit is on the wrong side of the value'),
    'ft_negative_count.csv': (2, 'count', 'a count is negative'),
    'ft_same_period_two_spellings.csv': (4, 'period', "the same period appears twice (as '2015 - 17' at line 2)"),
    'oflog_decimal_comma.csv': (3, 'Value', 'a number has a comma (decimal and thousands commas are not g'),
    'oflog_inf.csv': (3, 'Value', 'a value is not a finite number'),
    'oflog_nn_name_not_code.json': (3, 'neighbour list', 'an area code is not a GSS code'),
    'oflog_nn_not_json.json': (1, None, 'the file is not valid JSON'),
    'oflog_text.csv': (3, 'Value', 'a value is not a number'),
    'ons_area_name_as_code.csv': (2, 'areacd', 'an area code is not a GSS code'),
    'ons_bad_period.csv': (2, 'period', 'a period is not in a known form'),
    'ons_binary.csv': (1, None, 'the file is binary, not CSV text'),
    'ons_decimal_comma.csv': (2, 'observation', 'a number has a comma (decimal and thousands commas are not g'),
    'ons_future_period.csv': (2, 'period', 'a period starts in the future'),
    'ons_gzip.csv': (1, None, 'the file is binary, not CSV text'),
    'ons_inf.csv': (2, 'observation', 'a value is not a finite number'),
    'ons_infinity.csv': (2, 'observation', 'a value is not a finite number'),
    'ons_life_expectancy_200.csv': (2, 'value', 'a value is outside the plausible range'),
    'ons_lower_above_value.csv': (2, 'lci95', 'a confidence limit is on the wrong side of the value'),
    'ons_missing_columns.csv': (1, 'indicator', 'the header lacks a required column'),
    'ons_nan_word.csv': (2, 'observation', 'a value is not a finite number'),
    'ons_negative_life_expectancy.csv': (2, 'value', 'a value is outside the plausible range'),
    'ons_overflow.csv': (2, 'observation', 'a number is too large to store'),
    'ons_same_period_two_spellings.csv': (5, 'period', "the same period appears twice (as '2011-01-01/P3Y' at line 3"),
    'ons_text_value.csv': (2, 'observation', 'a value is not a number'),
    'ons_thousands_comma.csv': (2, 'observation', 'a number has a comma (decimal and thousands commas are not g'),
    'ons_truncated.csv': (4, 'observation', 'a row has fewer fields than the header (truncated or ragged '),
    'ons_upper_below_value.csv': (2, 'uci95', 'a confidence limit is on the wrong side of the value'),
    'ons_utf16.csv': (1, None, 'the file is binary, not CSV text'),
    'similar_deep.json': (None, None, 'the file is nested too deeply'),
    'similar_name.json': (2, 'global list', 'an area code is not a GSS code'),
    'similar_not_list.json': (None, 'E08000010.global', 'the global list of an area is not a list of codes'),
    'similar_self.json': (None, 'global', 'an area is listed as similar to itself'),
    'tidy_decimal_comma.csv': (3, 'value', 'a number has a comma (decimal and thousands commas are not g'),
    'tidy_future_period.csv': (3, 'period', 'a period starts in the future'),
    'tidy_nan.csv': (3, 'value', 'a value is not a finite number'),
    'topo_no_code.json': (None, 'objects.ltla', 'a geometry has no area code'),
    'topo_not_topology.json': (None, 'type', 'the file is not TopoJSON'),
}


def _read(name: str):
    """Read a corpus file with its reader, through the validation layer (as 'data load' does)."""
    from placeimpact.sources import complete_cis, fingertips_tidy, oflog, ons_els_app
    from placeimpact.sources.validate import validate_batch

    p = READERS / name
    prefix = name.split("_", 1)[0]
    single = {"ons": "ons-els", "ft": "fingertips-csv", "cmp": "comparator-csv"}
    if prefix in single:
        return read_file_as(p, single[prefix])
    read = {"oflog": oflog.read_neighbours if name.startswith("oflog_nn") else oflog.read_data,
            "tidy": lambda q: fingertips_tidy.read_file(q, folder="trafford-themes"),
            "similar": ons_els_app.read_similar, "topo": ons_els_app.read_boundaries}[prefix]
    return validate_batch(complete_cis(read(p)))


def test_readers_corpus_is_covered_and_large_enough():
    files = {p.name for p in READERS.iterdir()}
    assert files == set(READER_CASES)
    assert len(files) + len(CASES) >= 40
    assert len({n.split("_", 1)[0] for n in files}) >= 7        # ONS, Fingertips, comparator, Oflog x2, tidy, app


@pytest.mark.parametrize("name", sorted(READER_CASES))
def test_reader_corpus_one_clear_error(name):
    line, field, words = READER_CASES[name]
    with pytest.raises(InputError) as ei:
        _read(name)
    e = ei.value
    assert Path(e.path).name == name and e.line == line and e.field == field, str(e)
    assert words in str(e) and e.expected, str(e)


def test_store_unchanged_after_each_reader_corpus_file(store):
    before = _fingerprint(store)
    for name in READER_CASES:
        with pytest.raises(InputError):
            store.import_batches(_read(name) for _ in range(1))
        assert _fingerprint(store) == before, name


@pytest.mark.parametrize("name,source", [("ons_decimal_comma.csv", "ons-els"), ("ons_binary.csv", "ons-els"),
                                         ("ons_overflow.csv", "ons-els"), ("ft_inf.csv", "fingertips-csv"),
                                         ("cmp_binary.csv", "comparator-csv")])
def test_cli_reader_corpus_exit_2_no_traceback(name, source, store_path):
    with open_store(store_path, read_only=True) as s:
        before = _fingerprint(s)
    r = subprocess.run([sys.executable, "-m", "placeimpact", "data", "load", "--file", str(READERS / name),
                        "--source", source, "--store", store_path], capture_output=True, text=True, timeout=120)
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(err) == 1 and "Traceback" not in r.stderr, r.stderr
    assert err[0].startswith("error: ") and name in err[0]
    with open_store(store_path, read_only=True) as s:
        assert _fingerprint(s) == before


# -- the array check of record widths never passes a file Python's csv module would fault -------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "1", "", '"x,y"', '"q""q"', '"', "b c", "\r", '"l\nm"', "\x00",
                                          ' "s"', 'x"y', "\n", "\r\n", ",", '""', "é", '"é,\r\n"']),
                         min_size=0, max_size=5), min_size=1, max_size=6),
       st.sampled_from(["\n", "\r\n", "\r"]), st.booleans(), st.booleans(), st.integers(1, 4))
def test_width_check_agrees_with_the_csv_module(rows, eol, final_eol, bom, ncols):
    import csv
    import io

    from placeimpact.records import _every_record_full

    text = eol.join(",".join(r) for r in rows) + (eol if final_eol else "")
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    if _every_record_full(raw, ncols):
        widths = [len(r) for r in csv.reader(io.StringIO(raw.decode("utf-8-sig")))]   # must not raise
        assert all(w == 0 or w >= ncols for w in widths), (text, widths)


def test_short_row_after_a_quoted_comma_is_still_found(tmp_path):
    from placeimpact.records import read_text_csv

    p = tmp_path / "q.csv"
    p.write_text('code,name,value\nE1,"Bristol, City of",1\nE2,"Leeds"\nE3,York,3\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_text_csv(p)
    assert exc.value.line == 3 and exc.value.field == "value"
