"""What a new user types: names as people write them, dates in several forms, typos, pipes, empty results.

Each case came from trying the CLI as a council analyst would; each must give the right area
or one clear line, never a traceback. Real data: the session store loaded from ../shared/data.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from placeimpact.errors import InputError, StoreError

CVD = "ons-els:preventable-cardiovascular-mortality-england"


def _cli(args: list[str], store) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "placeimpact", *args, "--store", str(store.path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name, code", [
    ("Wigan", "E08000010"), ("wigan", "E08000010"), ("E08000010", "E08000010"),
    ("Durham", "E06000047"),                 # County Durham, not the police force area 'Durham'
    ("Bristol, City of", "E06000023"),       # the ONS spelling, not the ITL region of that name
    ("Bristol", "E06000023"),
    ("Northumberland", "E06000057"),         # the current code, not the former E06000048
    ("Northamptonshire", "E10000021"),       # the county council (abolished), not the police force area
    ("London", "E12000007"), ("England", "E92000001"), ("St Helens", "E08000013"),
    ("Royal Borough of Greenwich", "E09000011"), ("London Borough of Hackney", "E09000012"),
    ("Kingston upon Hull, City of", "E06000010"), ("City of London", "E09000001"),
])
def test_names_resolve_to_councils_first(loaded_store, name, code):
    assert loaded_store.resolve_area(name) == code


def test_a_city_is_not_its_county(loaded_store):
    with pytest.raises(StoreError, match="unknown area 'Durham City'"):
        loaded_store.resolve_area("Durham City")


def test_misspelt_area_gets_a_suggestion(loaded_store):
    with pytest.raises(StoreError, match=r"Did you mean: Leeds \(E08000035\)"):
        loaded_store.resolve_area("Leeeds")


def test_misspelt_indicator_gets_a_suggestion(loaded_store):
    with pytest.raises(StoreError, match=f"Did you mean: {CVD}"):
        loaded_store.indicator(CVD.replace("mortality", "mortalty"))


def test_abolished_area_is_named_as_such(loaded_store):
    note = loaded_store.area_change_note("E10000021")
    assert note == ("Northamptonshire (E10000021) was abolished on 2021-03-31 and replaced by "
                    "North Northamptonshire (E06000061), West Northamptonshire (E06000062)")
    assert loaded_store.area_change_note("E08000010") is None
    from placeimpact.comparators import imported_neighbours

    with pytest.raises(StoreError, match="was abolished on 2021-03-31"):
        imported_neighbours(loaded_store, "Northamptonshire")


def test_computed_neighbours_before_an_area_existed_prints_plain_dates(loaded_store):
    from placeimpact.comparators import compute_neighbours

    with pytest.raises(StoreError) as e:
        compute_neighbours(loaded_store, "West Northamptonshire", year=2010)
    assert "(valid 2021-04-01 to open)" in str(e.value) and "NaT" not in str(e.value)


@pytest.mark.parametrize("args, words", [
    (["--start", "2011-13-01"], "start is not a real date"),
    (["--start", "2011/12"], "start is not a date"),
    (["--start", "2011", "--until", "2020-02-30"], "until is not a real date"),
    (["--start", "2011", "--until", "2010-01-01"], "is not after the reform start"),
])
def test_bad_dates_give_one_line_not_a_traceback(loaded_store, args, words):
    r = _cli(["evaluate-indicator", "--area", "Wigan", "--indicator", CVD, *args], loaded_store)
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(err) == 1 and words in err[0], r.stderr


def test_month_and_alias_options_are_accepted(loaded_store):
    from placeimpact.methods.runner import evaluate_indicator

    ev = evaluate_indicator(loaded_store, area="Wigan", indicator=CVD, start="2011-04", methods=["did"])
    assert str(ev.panel.reform_start) == "2011-04-01"
    r = _cli(["evaluate-indicator", "--area", "Wigan", "--indicator", CVD, "--reform-start", "2011-04-01",
              "--cutoff", "2019-12-31", "--methods", "did", "--format", "csv"], loaded_store)
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(pd.io.common.StringIO(r.stdout))["method"].tolist() == ["did"]


def test_group_all_compares_with_every_area_of_the_tier(loaded_store):
    from placeimpact.methods.runner import evaluate_indicator

    ev = evaluate_indicator(loaded_store, area="Wigan", indicator=CVD, start="2011-04-01", group="all",
                            methods=["synthetic_control"])
    assert ev.comparators.startswith("every area of the same tier") and ev.panel.n_areas > 140
    assert ev.results[0].p_value < 1      # enough donors for a placebo test that can reach 5%
    assert "no 5% test is possible" not in " ".join(ev.results[0].warnings)


def test_data_load_bad_paths(tmp_path):
    from placeimpact.sources import read_file_as, read_tree

    with pytest.raises(InputError, match="the data folder does not exist"):
        list(read_tree(tmp_path / "nowhere"))
    (tmp_path / "unrelated").mkdir()
    with pytest.raises(InputError, match="no known data folder in it.*ons-els"):
        list(read_tree(tmp_path))
    with pytest.raises(InputError, match="the file does not exist"):
        read_file_as(tmp_path / "nowhere.csv", "local-csv")


def test_output_piped_into_head_ends_quietly(loaded_store):
    cmd = (f"{sys.executable} -m placeimpact benchmark --area Wigan --format csv --store {loaded_store.path} "
           "| head -n 1")
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("area_code,") and "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr


def test_csv_output_has_no_progress_noise_and_integer_ranks(loaded_store):
    r = _cli(["screen", "--start", "2011", "--indicators", CVD, "--workers", "1", "--format", "csv"], loaded_store)
    assert r.returncode == 0 and r.stdout.startswith("indicator_id,"), r.stdout[:200]
    b = _cli(["benchmark", "--area", "Wigan", "--format", "csv"], loaded_store)
    row = b.stdout.splitlines()[1].split(",")
    header = b.stdout.splitlines()[0].split(",")
    rank = row[header.index("rank")]
    assert rank.isdigit(), rank


def test_tables_say_when_nothing_matches_and_keep_ids_whole(loaded_store):
    from placeimpact.cli import app

    run = CliRunner()
    r = run.invoke(app, ["indicators", "list", "--search", "zzzz", "--store", loaded_store.path])
    assert r.exit_code == 0 and "Indicators: none." in r.output
    r = run.invoke(app, ["areas", "search", "zzzz", "--store", loaded_store.path])
    assert "Areas matching 'zzzz': none." in r.output
    r = run.invoke(app, ["indicators", "list", "--search", "preventable cardio", "--store", loaded_store.path])
    assert CVD in r.output
    r = run.invoke(app, ["areas", "search", "Wigan", "--store", loaded_store.path])
    assert "North West" in r.output


def test_no_data_says_what_there_is(loaded_store):
    with pytest.raises(StoreError, match=r"with sex='Alien'; it has: Persons, All ages"):
        loaded_store.series("Wigan", CVD, sex="Alien")
    with pytest.raises(StoreError, match=r"the indicator is published for \d+ unitary areas"):
        loaded_store.series("E23000008", "ascof:1A")          # a police force area
    r = _cli(["series", "--area", "Wigan", "--indicator", CVD, "--sex", "Alien"], loaded_store)
    assert r.returncode == 2 and "it has: Persons, All ages" in r.stderr


def test_no_data_for_a_breakdown_the_indicator_lacks_says_so(loaded_store):
    with pytest.raises(StoreError, match=r"has no breakdown sex='Male' for any area; it has: Persons, All ages"):
        loaded_store.series("Cornwall", CVD, sex="Male")


def test_too_few_points_is_said_before_a_totals_size(loaded_store):
    from placeimpact.methods.runner import evaluate_indicator

    ev = evaluate_indicator(loaded_store, area="Wigan", indicator="ons-els:active-businesses", start="2016",
                            methods=["its", "trend_difference"], options={"its": {"control": "england"}})
    for r in ev.results:
        assert r.evidence == "insufficient" and "pre-reform point" in r.summary, r.summary
