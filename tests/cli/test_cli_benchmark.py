"""``placeimpact benchmark``: a thin shell over :func:`placeimpact.stats.benchmark_area`."""

from __future__ import annotations

import io
import json

import pandas as pd
from typer.testing import CliRunner

from placeimpact.cli import app
from placeimpact.stats import benchmark_area


def test_benchmark_csv_equals_the_library_frame(loaded_store):
    res = CliRunner().invoke(app, ["benchmark", "--area", "Wigan", "--vs", "england", "--format", "csv",
                                   "--store", loaded_store.path])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(io.StringIO(res.output), keep_default_na=False, na_values=[""])
    want = benchmark_area(loaded_store, "Wigan", vs="england")
    assert len(got) == len(want)
    assert got["label95"].tolist() == want["label95"].tolist()
    assert got["indicator_id"].tolist() == want["indicator_id"].tolist()


def test_benchmark_table_shows_value_with_ci_and_labels(loaded_store):
    res = CliRunner().invoke(app, ["benchmark", "--area", "E08000010", "--store", loaded_store.path],
                             env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    assert "Wigan (E08000010) compared with England" in res.output
    for word in ("value (95% CI)", "comparator", "99.8%", "rank", " to "):
        assert word in res.output


def test_benchmark_json_and_unknown_area(loaded_store):
    res = CliRunner().invoke(app, ["benchmark", "-a", "Wigan", "-f", "json", "--store", loaded_store.path])
    assert res.exit_code == 0
    assert isinstance(json.loads(res.output), list)
    bad = CliRunner().invoke(app, ["benchmark", "-a", "Nowhere-on-Sea", "--store", loaded_store.path])
    assert bad.exit_code != 0
    bad_vs = CliRunner().invoke(app, ["benchmark", "-a", "Wigan", "--vs", "world", "--store", loaded_store.path])
    assert bad_vs.exit_code == 2 and "world" in bad_vs.output
