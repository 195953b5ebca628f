"""After loading everything: every shared folder's source is listed with plausible row counts."""

from __future__ import annotations

import pandas as pd
import pytest

from placeimpact.sources import FOLDERS, fingertips_tidy, reader_for

#: lowest plausible observation rows per source (the real files hold more; see each reader's tests)
MIN_ROWS = {
    "ons-els": 250_000, "trafford-themes": 60_000, "trafford-themes-55c6d8c5": 4_000,
    "trafford-dashboard": 50_000, "fingertips-next": 30_000, "ascof": 35_000, "oflog": 6_000,
    "eyfsp": 25_000, "health-index": 40_000, "lookups": 0,
}


def _expected_sources(data_dir) -> set[str]:
    out = set()
    for folder in (p.name for p in data_dir.iterdir() if p.is_dir()):
        reader = reader_for(folder)
        if reader is None:
            continue
        out.add(folder if reader is fingertips_tidy else reader.SOURCE)
    return out


@pytest.fixture(scope="module")
def status(loaded_store) -> pd.DataFrame:
    return loaded_store.status().set_index("source")


def test_every_shared_folder_has_its_source(status, data_dir):
    folders = {p.name for p in data_dir.iterdir() if p.is_dir()}
    assert folders <= set(FOLDERS), folders - set(FOLDERS)  # every shared folder has a reader
    expected = _expected_sources(data_dir)
    assert expected <= set(status.index), expected - set(status.index)


def test_plausible_row_counts(status):
    for source, low in MIN_ROWS.items():
        if source not in status.index:
            continue
        row = status.loc[source]
        assert row["rows"] >= low, (source, row["rows"])
        if low:
            assert row["indicators"] >= 1 and row["areas"] >= 1 and pd.notna(row["first_period"]), source
    assert status.loc["oflog", "rows"] == 6376 and status.loc["oflog", "group_rows"] == 5175
    assert status.loc["trafford-themes", "group_rows"] == 15 + 15 + 15 + 10 + 15
    assert status.loc["trafford-themes", "files"] == 33 + 5
    assert status.loc["trafford-dashboard", "files"] == 41


def test_registry_and_groups(loaded_store):
    counts = loaded_store.counts()
    assert counts["areas"] >= 471  # the register's councils, former codes, England, regions, nations
    nn = loaded_store.groups(focal="E08000010", group_id="oflog-nn")
    assert len(nn) == 15 and nn["rank"].tolist() == list(range(1, 16))
    cipfa = loaded_store.groups(focal="E08000009", group_id="cipfa-2019")
    assert len(cipfa) == 15


def test_concepts_link_sources(loaded_store):
    ind = loaded_store.frame("SELECT id, concept FROM indicators")
    by = ind.groupby("concept")["id"].agg(set)
    assert {"ascof:3A", "trafford-themes:social_care_satisfaction"} <= by["ascof-3a"]
    assert {"oflog:ASC2", "ascof:1J"} <= by["ascof-1j"]
    assert {"eyfsp:gld", "health-index:ey_dev"} <= by["school-readiness-gld"]
    assert {"trafford-themes:adults_smoking", "trafford-dashboard:smoking_adults",
            "health-index:smoke"} <= by["smoking-prevalence-adults"]
    # three Trafford vintages of Fingertips 90362 (sex as a breakdown) and ONS's male and female series
    assert by["healthy-life-expectancy"] == {
        "trafford-themes:healthy_life_expectancy", "trafford-themes-55c6d8c5:healthy_life_expectancy",
        "trafford-dashboard:healthy_life_expectancy_at_birth",
        "ons-els:male-healthy-life-expectancy", "ons-els:female-healthy-life-expectancy"}
