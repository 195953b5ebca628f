"""Fingertips data CSV (export / API) reader and the API client, on real values from the extract."""

from __future__ import annotations

import httpx
import pytest
from ft_export import export_csv, rows_for
from numpy.testing import assert_allclose

from placeimpact import FetchError, InputError
from placeimpact.sources import fingertips_csv
from placeimpact.sources._http import RetryPolicy
from placeimpact.sources.fingertips_api import FingertipsClient


@pytest.fixture(scope="module")
def extract(data_dir):
    return data_dir / "fingertips-nw-extract"


def test_reads_published_values_exactly(tmp_path, extract):
    path = tmp_path / "93763-502.csv"
    path.write_bytes(export_csv(extract, 93763, 502))
    b = fingertips_csv.read_file(path)
    raw = rows_for(extract, 93763, 502)
    assert len(b.observations) == len(raw) > 100
    obs = b.observations.set_index(["area_code", "sex", "category", "period_label"])
    for r in raw[:: max(1, len(raw) // 40)]:
        cat = f"{r['CategoryType'].strip(chr(34))}: {r['Category']}" if r["Category"] else ""
        row = obs.loc[(r["AreaCode"], r["Sex"], cat, r["Year"])]
        got = row[["value", "lci95", "uci95", "count", "denominator"]].to_numpy(float)
        want = [float(r[c]) if r[c] else float("nan") for c in ("Value", "LowerCI", "UpperCI", "Count", "Denominator")]
        assert_allclose(got, want, rtol=0, atol=0, equal_nan=True)
    ind = b.indicators.iloc[0]
    assert ind.id == "fingertips-csv:93763" and ind["name"] == "Alcohol-related mortality"
    assert ind.value_type == "dsr" and ind.polarity == "low_is_good" and ind.concept == "fingertips-93763"
    assert set(b.areas.loc[b.areas.code == "E08000010", "parent_code"]) == {"E12000002"}


def test_minimal_header_and_missing_required_column(tmp_path):
    ok = tmp_path / "min.csv"
    ok.write_text("Indicator ID,Area Code,Time period,Value\n93763,E08000010,2019 - 21,47.9\n", encoding="utf-8")
    b = fingertips_csv.read_file(ok)
    row = b.observations.iloc[0]
    assert (row.sex, row.age, row.category, row.period_label) == ("Persons", "All ages", "", "2019 - 21")
    assert_allclose(row.value, 47.9, rtol=0, atol=1e-12)
    bad = tmp_path / "bad.csv"
    bad.write_text("Indicator ID,Area Code,Period,Value\n93763,E08000010,2019 - 21,47.9\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        fingertips_csv.read_file(bad)
    assert (ei.value.line, ei.value.field) == (1, "Time period")


def test_conflicting_repeat_is_an_error_naming_both_lines(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("Indicator ID,Area Code,Time period,Value\n93763,E08000010,2019,47.9\n93763,E08000010,2019,48.0\n"
                 "93763,E08000010,2019,47.9\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        fingertips_csv.read_file(p)
    assert ei.value.line == 3 and "line 2" in str(ei.value)


def test_client_builds_the_api_url_and_retries(tmp_path, extract):
    calls: list[httpx.Request] = []
    body = export_csv(extract, 93763, 502)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) <= 2:
            return httpx.Response(503)
        return httpx.Response(200, content=body)

    waits: list[float] = []
    with FingertipsClient(base_url="https://example.test/api", transport=httpx.MockTransport(handler),
                          retry=RetryPolicy(retries=3, backoff=0.5), sleep=waits.append) as ft:
        b = ft.read(93763, child_area_type_id=502, folder=tmp_path)
    assert calls[-1].url.path == "/api/all_data/csv/by_indicator_id"
    assert dict(calls[-1].url.params) == {"indicator_ids": "93763", "child_area_type_id": "502"}
    assert len(calls) == 3 and waits == [0.5, 1.0]  # exponential backoff
    assert b.key == "fingertips-api/93763-502.csv" and (tmp_path / "93763-502.csv").read_bytes() == body


def test_client_gives_up_clearly(tmp_path):
    calls = []

    def not_found(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404)

    with FingertipsClient(transport=httpx.MockTransport(not_found), sleep=lambda s: None) as ft:
        with pytest.raises(FetchError, match="HTTP 404") as ei:
            ft.all_data_csv([1], child_area_type_id=502)
    assert len(calls) == 1 and "by_indicator_id" in ei.value.path

    def always_down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with FingertipsClient(transport=httpx.MockTransport(always_down), retry=RetryPolicy(retries=2),
                          sleep=lambda s: None) as ft:
        with pytest.raises(FetchError, match="after 3 attempts") as ei:
            ft.all_data_csv([1], child_area_type_id=502)
    assert "ConnectError" in str(ei.value.got)
