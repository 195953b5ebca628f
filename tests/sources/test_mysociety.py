"""mySociety area register: real rows of uk_local_authorities.csv, its slips, and bad registers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from placeimpact.errors import InputError
from placeimpact.sources import mysociety

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def register(data_dir):
    batch = next(mysociety.read_folder(data_dir / "lookups", data_dir))
    return batch


def _row(areas: pd.DataFrame, code: str) -> dict:
    hit = areas[areas["code"] == code]
    assert len(hit) == 1, code
    return hit.iloc[0].to_dict()


def test_counts_and_dropped(register):
    # 470 rows - 25 NI districts without a GSS code = 445 councils, + 13 former codes, + England,
    # 9 regions and 3 other nations
    assert register.source == "lookups" and register.key == "lookups/data/uk_local_authorities.csv"
    assert len(register.areas) == 445 + 13 + 13
    assert register.areas["code"].is_unique
    assert register.dropped == {
        "council without a GSS code (Northern Ireland districts abolished in 2015)": 25,
        "county region differs from all its districts' (publication slip; districts' region used)": 2,
        "county-la names a county in another region (publication slip; parent not used)": 1,
    }
    assert len(register.files) == 2  # the GSS lookup was read and cross-checked


def test_wigan_and_england(register):
    w = _row(register.areas, "E08000010")
    assert (w["name"], w["area_type"], w["region_code"]) == ("Wigan", "metropolitan_district", "E12000002")
    assert w["upper_tier"] and w["lower_tier"] and pd.isna(w["valid_to"]) and w["replaced_by"] is None
    assert _row(register.areas, "E92000001")["name"] == "England"
    assert _row(register.areas, "E12000002")["name"] == "North West"
    assert set(register.areas.loc[register.areas["area_type"] == "region", "code"]) == {
        f"E1200000{i}" for i in range(1, 10)}


def test_end_dates_are_last_days(register):
    a = register.areas
    # published 2023-04-01 (the successor's first day) -> 2023-03-31
    allerdale = _row(a, "E07000026")
    assert allerdale["valid_to"] == date(2023, 3, 31) and allerdale["replaced_by"] == "E06000063"
    # published 2019-03-31 already
    bournemouth = _row(a, "E06000028")
    assert bournemouth["valid_to"] == date(2019, 3, 31) and bournemouth["replaced_by"] == "E06000058"
    assert _row(a, "E10000006")["replaced_by"] == "E06000063,E06000064"  # Cumbria split
    assert _row(a, "E06000058")["valid_from"] == date(2019, 4, 1)


def test_former_codes_and_parents(register):
    a = register.areas
    assert _row(a, "E06000048")["replaced_by"] == "E06000057"  # Northumberland recoded
    assert _row(a, "E08000020")["replaced_by"] == "E08000037"  # Gateshead recoded
    assert pd.isna(_row(a, "E06000048")["valid_to"])  # no date in the register: not guessed
    assert _row(a, "E07000004")["parent_code"] == "E10000002"  # Aylesbury Vale in Buckinghamshire
    # slips: Derbyshire published as West Midlands, Forest Heath's county as Surrey
    assert _row(a, "E10000007")["region_code"] == "E12000004"
    assert _row(a, "E07000032")["parent_code"] == "E10000007"
    assert _row(a, "E07000201")["parent_code"] is None
    assert _row(a, "E07000201")["region_code"] == "E12000006"  # from its successor, West Suffolk


def test_register_is_authoritative_in_the_store(loaded_store):
    bcp = loaded_store.area("E06000058")
    assert bcp["name"] == "Bournemouth, Christchurch and Poole"
    assert loaded_store.area("E10000002")["replaced_by"] == "E06000060"


def test_small_register_reads(tmp_path):
    folder = FIXTURES / "lookups"
    b = mysociety.read_register(folder / "uk_local_authorities.csv")
    a = b.areas.set_index("code")
    assert a.loc["E10000901", "valid_to"] == date(2020, 3, 31)  # end = successor's start -> day before
    assert a.loc["E07000901", "parent_code"] == "E10000901"
    assert a.loc["E06000900", "replaced_by"] == "E06000901"


def test_lookup_that_disagrees_raises():
    folder = FIXTURES / "lookups"
    with pytest.raises(InputError, match="disagrees") as e:
        mysociety.read_register(folder / "uk_local_authorities.csv", folder / "lookup_disagrees.csv")
    assert e.value.line == 5 and e.value.field == "local-authority-code" and e.value.got == "BBB"
    assert e.value.path.endswith("lookup_disagrees.csv")


def test_unknown_successor_raises():
    with pytest.raises(InputError, match="no GSS code") as e:
        mysociety.read_register(FIXTURES / "lookups" / "unknown_successor.csv")
    assert (e.value.line, e.value.field, e.value.got) == (2, "replaced-by", "ZZZ")
