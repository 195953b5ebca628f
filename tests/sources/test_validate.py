"""The validation layer shared by every reader (issue 11): damage in a real ONS file is refused, with one
clear error naming file, line, field, value and what was expected; --lenient quarantines instead."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from placeimpact import InputError, open_store
from placeimpact.sources import read_file_as, read_tree
from placeimpact.sources.validate import parse_numbers, rounding_tolerance

HLE = "ons-els/healthy-life-expectancy/healthy-life-expectancy.csv"


@pytest.fixture()
def hle_lines(data_dir) -> list[str]:
    return (data_dir / HLE).read_text(encoding="utf-8-sig").splitlines()


def _damage(tmp_path, lines, line_no: int, column: int, value: str) -> tuple:
    """A copy of the HLE file with one cell replaced (line_no is the 1-based line in the file)."""
    out = list(lines)
    cells = out[line_no - 1].split(",")
    cells[column] = value
    out[line_no - 1] = ",".join(cells)
    p = tmp_path / "healthy-life-expectancy.csv"
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return p, out


# column positions in the ONS header: areacd 0, areanm 1, ..., period 4, observation 5, lci_95 8, uci_95 9
@pytest.mark.parametrize("column,value,words,field", [
    (5, '"61,3"', "comma", "observation"),
    (5, "inf", "not a finite number", "observation"),
    (5, "Infinity", "not a finite number", "observation"),
    (5, "-1e400", "too large", "observation"),
    (5, "NaNa", "not a number", "observation"),
    (5, "-61.3", "plausible range", "value"),
    (5, "190", "plausible range", "value"),
    (8, "99.5", "wrong side of the value", "lci95"),
    (9, "1.5", "wrong side of the value", "uci95"),
    (4, "2091-01-01/P3Y", "starts in the future", "period"),
])
def test_damaged_ons_cell_is_refused(tmp_path, hle_lines, column, value, words, field):
    line = 40
    if words == "plausible range":      # without limits, so that the range rule (not the limits) speaks
        hle_lines = list(hle_lines)
        cells = hle_lines[line - 1].split(",")
        cells[8] = cells[9] = ""
        hle_lines[line - 1] = ",".join(cells)
    p, _ = _damage(tmp_path, hle_lines, line, column, value)
    with pytest.raises(InputError) as ei:
        read_file_as(p, "ons-els")
    e = ei.value
    assert words in str(e) and e.field == field and e.line == line and e.path.endswith(p.name), str(e)
    assert e.expected


def test_same_period_in_two_spellings_is_one_period(tmp_path, hle_lines):
    # line 2 is UK male 2011-01-01/P3Y; add the same row spelt '2011-13'
    cells = hle_lines[1].split(",")
    cells[4] = "2011 - 13"
    p = tmp_path / "hle.csv"
    p.write_text("\n".join(hle_lines + [",".join(cells)]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="same period appears twice") as ei:
        read_file_as(p, "ons-els")
    assert ei.value.line == len(hle_lines) + 1 and "2011-01-01/P3Y" in str(ei.value)


def test_same_period_across_files_is_refused_by_the_store(tmp_path, data_dir):
    from placeimpact.sources import local_csv

    a = tmp_path / "a.csv"
    a.write_text("indicator_id,area_code,period,value\nx,E08000010,2016,1.5\n")
    b = tmp_path / "b.csv"
    b.write_text("indicator_id,area_code,period,value\nx,E08000010,2016-01-01/P1Y,1.5\n")
    with open_store(tmp_path / "s.duckdb") as s:
        s.import_batches([local_csv.read_file(a, key="a.csv")])
        with pytest.raises(InputError, match="already stored"):
            s.import_batches([local_csv.read_file(b, key="b.csv")])


def test_binary_file_one_clean_error(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        read_file_as(p, "ons-els")
    p.write_bytes(bytes(range(1, 256)) * 4)      # no NUL byte: still one clean error
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_file_as(p, "ons-els")


def test_strict_numbers():
    s = pd.Series(["1", "-2.5", ".5", "1e3", "", "NA"])
    np.testing.assert_array_equal(parse_numbers(s, path="f", field="v", missing=frozenset({"", "NA"})),
                                  [1, -2.5, 0.5, 1000, np.nan, np.nan])
    for bad in ["1,234", "61,3", "inf", "-Infinity", "nan", "1e400", "0x10", "1_000", "5%"]:
        with pytest.raises(InputError):
            parse_numbers(pd.Series([bad]), path="f", field="v")


def test_rounding_tolerance():
    np.testing.assert_allclose(rounding_tolerance(np.array([15.6, 89.0, 0.125, 1 / 3])), [0.05, 0.5, 0.0005, 5e-7])


def test_lenient_quarantines_and_counts(tmp_path, hle_lines, data_dir):
    out = list(hle_lines)
    for line, col, val in ((10, 5, "inf"), (20, 8, "99.5"), (30, 5, "-3")):
        cells = out[line - 1].split(",")
        cells[col] = val
        out[line - 1] = ",".join(cells)
    folder = tmp_path / "d" / "ons-els" / "healthy-life-expectancy"
    folder.mkdir(parents=True)
    (folder / "healthy-life-expectancy.csv").write_text("\n".join(out) + "\n", encoding="utf-8")
    with pytest.raises(InputError):
        list(read_tree(tmp_path / "d"))
    (b,) = list(read_tree(tmp_path / "d", lenient=True))
    assert len(b.quarantine) == 3 and sorted(b.quarantine["line"]) == [10, 20, 30]
    assert len(b.observations) == len(hle_lines) - 1 - 3
    with open_store(tmp_path / "s.duckdb") as s:
        rep = s.import_batches([b])
        assert rep.quarantined == 3 and "3 rows quarantined" in rep.summary()
        q = s.quarantine()
        assert sorted(q["line"]) == [10, 20, 30] and set(q["field"]) == {"observation", "lci95"}


def test_real_file_loads_as_before(data_dir):
    b = read_file_as(data_dir / HLE, "ons-els")
    assert len(b.observations) == 5814 and b.quarantine is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789+-.eE ,xNAinf", max_size=8), min_size=1, max_size=12))
def test_arrow_and_pandas_routes_parse_numbers_alike(cells):
    """Text held by Arrow is parsed with Arrow's kernels; object text by pandas: same numbers, same error."""
    from placeimpact.sources.validate import parse_numbers

    out = []
    for values in (pd.Series(cells, dtype="str"), pd.Series(cells, dtype=object)):
        try:
            out.append(parse_numbers(values, path="f.csv", field="value", missing=frozenset({"", "NA"})))
        except InputError as exc:
            out.append(str(exc))
    if isinstance(out[0], str) or isinstance(out[1], str):
        assert out[0] == out[1]
    else:
        np.testing.assert_array_equal(out[0], out[1])
