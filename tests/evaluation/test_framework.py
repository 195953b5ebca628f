"""The outcome framework: parsing, and every validation error naming file, line, field, expected and got."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from placeimpact import FrameworkError
from placeimpact.evaluation import check_framework, load_framework
from placeimpact.methods import METHODS

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "frameworks"
SHIPPED = Path(__file__).resolve().parents[2] / "frameworks"


def test_valid_framework_parses_with_lines():
    fw = load_framework(FIX / "valid.yaml")
    assert fw.title == "Test framework" and fw.area == "Wigan"
    assert fw.reform_start == date(2011, 4, 1) and fw.cutoff == date(2019, 12, 31)
    assert fw.comparators == "oflog-nn" and fw.methods == ("did", "its")
    assert [d.name for d in fw.domains] == ["Health outcomes", "Behaviours and risk factors"]
    assert fw.domains[0].description == "Length and quality of life."
    specs = [s for _, s in fw.indicators]
    assert [s.id for s in specs] == ["ons-els:male-healthy-life-expectancy",
                                     "ons-els:preventable-cardiovascular-mortality-england",
                                     "ons-els:cigarette-smokers", "ons-els:cigarette-smokers"]
    assert [s.primary for s in specs] == [True, True, False, False]
    assert specs[1].polarity == "low_is_good" and specs[1].label == "Preventable CVD mortality"
    assert specs[3].sex == "Male"
    assert [s.line for s in specs] == [12, 14, 20, 21]   # where each id is written
    assert fw.line_of("reform_start") == 4
    assert fw.primary_ids == (specs[0].id, specs[1].id)
    assert len(fw.sha256) == 64


def test_dict_framework_defaults():
    fw = load_framework({"reform_start": "2011-04-01", "comparators": ["e08000001", "E08000002"],
                         "domains": [{"name": "A", "indicators": ["x"]}]})
    assert fw.area is None and fw.cutoff is None and fw.path is None
    assert fw.comparators == ("E08000001", "E08000002")
    assert fw.methods == tuple(METHODS)
    assert fw.indicators[0][1].line is None


def test_overrides_replace_area_and_dates():
    fw = load_framework(FIX / "valid.yaml").with_overrides(area="Bolton", reform_start="2012-01-01", cutoff="2020-01-01")
    assert (fw.area, fw.reform_start, fw.cutoff) == ("Bolton", date(2012, 1, 1), date(2020, 1, 1))
    with pytest.raises(FrameworkError, match=r"is not a date.*got '1st April'"):
        fw.with_overrides(reform_start="1st April")


@pytest.mark.parametrize(
    ("name", "pieces"),
    [
        ("bad_polarity.yaml", ["bad_polarity.yaml, line 7", "is not an allowed value",
                               "field 'domains[0].indicators[0].polarity'",
                               "expected one of high_is_good, low_is_good, no_judgement", "got 'good_is_high'"]),
        ("unknown_key.yaml", ["line 7", "unknown key", "field 'domains[0].indicators[0].primray'", "got 'primray'",
                              "Did you mean 'primary'?"]),
        ("bad_date.yaml", ["line 2", "is not a date", "field 'reform_start'", "got '2011-13-01'", "YYYY-MM-DD"]),
        ("bad_yaml.yaml", ["line 7", "not valid YAML", "indentation"]),
        ("no_domains.yaml", ["the framework has no domains", "field 'domains'", "docs/framework-format.md"]),
        ("empty_indicators.yaml", ["line 5", "must be a non-empty list", "field 'domains[0].indicators'",
                                   "got 'an empty list'"]),
        ("missing_id.yaml", ["line 6", "an indicator needs an id", "field 'domains[0].indicators[0]'",
                             "got 'label, primary'"]),
        ("primary_not_bool.yaml", ["line 7", "must be true or false", "field 'domains[0].indicators[0].primary'",
                                   "got 'maybe'"]),
        ("unknown_method.yaml", ["line 5", "field 'methods[1]'", "got 'regression_discontinuity'", "synthetic_control"]),
        ("duplicate_indicator.yaml", ["line 9", "listed twice", "got 'ons-els:male-healthy-life-expectancy'",
                                      "already listed at line 6"]),
        ("duplicate_key.yaml", ["line 3", "written twice", "field 'area'", "first written on line 1"]),
        ("cutoff_before_reform.yaml", ["line 3", "not after the reform start", "got '2010-12-31'"]),
    ],
)
def test_invalid_frameworks_say_where_and_what(name, pieces):
    with pytest.raises(FrameworkError) as info:
        load_framework(FIX / name)
    msg = str(info.value)
    assert str(FIX / name) in msg
    for piece in pieces:
        assert piece in msg, f"{piece!r} not in {msg!r}"


def test_missing_file_and_wrong_top_level(tmp_path):
    with pytest.raises(FrameworkError, match="does not exist"):
        load_framework(tmp_path / "nope.yaml")
    p = tmp_path / "list.yaml"
    p.write_text("- a\n- b\n")
    with pytest.raises(FrameworkError, match=r"line 1: the framework must be a mapping"):
        load_framework(p)
    p.write_text("# only a comment\n")
    with pytest.raises(FrameworkError, match="empty"):
        load_framework(p)


def test_unknown_indicator_names_its_line(loaded_store):
    fw = load_framework(FIX / "unknown_indicator.yaml")
    with pytest.raises(FrameworkError) as info:
        check_framework(loaded_store, fw)
    msg = str(info.value)
    assert "unknown_indicator.yaml, line 8" in msg and "not in the store" in msg
    assert "field 'domains[0].indicators[1].id'" in msg and "got 'ons-els:healthy-life-expectancy-of-dragons'" in msg


@pytest.mark.parametrize("name", ["wigan-deal.yaml", "generic-upper-tier.yaml"])
def test_shipped_frameworks_resolve_in_the_loaded_store(loaded_store, name):
    fw = load_framework(SHIPPED / name)
    meta = check_framework(loaded_store, fw)
    assert set(meta) == {s.id for _, s in fw.indicators}
    assert fw.primary_ids, "a shipped framework names its primary outcomes"
    groups = loaded_store.groups(focal="E08000010", group_id=fw.comparators)
    assert len(groups) >= 15, "the comparator group exists for Wigan"


# -- an untrusted file: limits on size, depth and aliases; data only from allowed folders ---------
_BOMB = "".join(f"{a}: &{a} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
                for p, a in zip([""] + list("abcdefgh"), "abcdefghi"))


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(("text", "words"), [
    (_BOMB, "expands to too many values"),                                      # "billion laughs": 9**9 values
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),                # flow nesting
    ("".join(" " * i + f"k{i}:\n" for i in range(400)), "nested too deeply"),     # block nesting
    ("a: &a [1, 2]\n? *a\n: 1\n", "a key is not plain text"),
    ("".join(f"k{i}: &x{i} 1\n" for i in range(200)) + "l: [" + ", ".join(f"*x{i}" for i in range(200)) + "]\n",
     "too many aliases"),
])
def test_hostile_yaml_is_one_error_fast_in_bounded_memory(tmp_path, text, words):
    import time

    assert len(_BOMB) < 400
    p = tmp_path / "hostile.yaml"
    p.write_text(text)
    before = _peak_mb()
    t0 = time.perf_counter()
    with pytest.raises(FrameworkError, match=words) as info:
        load_framework(p)
    assert time.perf_counter() - t0 < 5
    assert _peak_mb() - before < 200          # the bomb would need gigabytes
    assert "hostile.yaml" in str(info.value)


def test_large_binary_and_folder_frameworks_are_refused(tmp_path):
    from placeimpact.evaluation.framework import MAX_BYTES

    big = tmp_path / "big.yaml"
    big.write_text("title: " + "x" * MAX_BYTES + "\n")
    with pytest.raises(FrameworkError, match="too large"):
        load_framework(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x01binary")
    with pytest.raises(FrameworkError, match="not UTF-8 text; got 'byte 0xff at offset 0'"):
        load_framework(binary)
    with pytest.raises(FrameworkError, match="is a folder, not a file"):
        load_framework(tmp_path)
    deep: dict = {}
    for _ in range(5000):
        deep = {"x": deep}
    with pytest.raises(FrameworkError, match="nested too deeply"):
        load_framework(deep)


def test_messages_quote_no_more_than_the_offending_value(tmp_path):
    secret = "root:*:17000:0:99999:7:::" * 20
    p = tmp_path / "f.yaml"
    p.write_text(f"title: ok\nsecret_{'k' * 500}: {secret}\n")
    with pytest.raises(FrameworkError) as info:
        load_framework(p)
    assert "root:*" not in str(info.value) and len(str(info.value)) < 600
    p.write_text(f"title: {secret}\n  bad: [\n")     # YAML's own message would print the line
    with pytest.raises(FrameworkError, match="not valid YAML") as info:
        load_framework(p)
    assert "root:*" not in str(info.value)


_WITH_DATA = "area: Wigan\nreform_start: 2011\ndata: [{}]\ndomains:\n  - name: A\n    indicators: [x]\n"


@pytest.mark.parametrize("entry", ["/etc/passwd", "../outside.csv", "sub/../../outside.csv", "link.csv"])
def test_data_outside_the_framework_folder_is_refused(tmp_path, entry):
    fw_dir = tmp_path / "fw"
    fw_dir.mkdir()
    (tmp_path / "outside.csv").write_text("secret\n")
    (fw_dir / "link.csv").symlink_to(tmp_path / "outside.csv")
    p = fw_dir / "f.yaml"
    p.write_text(_WITH_DATA.format(entry))
    with pytest.raises(FrameworkError) as info:
        load_framework(p)
    msg = str(info.value)
    assert "outside the framework's folder" in msg and "field 'data[0]'" in msg and "line 3" in msg
    assert "--allow-data" in msg and "secret" not in msg


def test_data_inside_the_folder_or_an_allowed_one_is_accepted(tmp_path):
    fw_dir, other = tmp_path / "fw", tmp_path / "other"
    fw_dir.mkdir()
    other.mkdir()
    p = fw_dir / "f.yaml"
    p.write_text(_WITH_DATA.format("sub/survey.csv"))
    assert load_framework(p).data == (fw_dir / "sub" / "survey.csv",)
    p.write_text(_WITH_DATA.format(other / "survey.csv"))
    with pytest.raises(FrameworkError, match="outside the framework's folder"):
        load_framework(p)
    assert load_framework(p, allow_data=other).data == (other / "survey.csv",)
    assert load_framework(p, allow_data=[str(other)]).data == (other / "survey.csv",)
    with pytest.raises(FrameworkError, match="outside"):
        load_framework(p, allow_data=fw_dir)
    from placeimpact.errors import InputError

    with pytest.raises(InputError, match="allowed for data does not exist"):
        load_framework(p, allow_data=tmp_path / "missing")
