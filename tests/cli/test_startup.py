"""``series`` starts light (no pandas, Typer or pydantic imported) and ``data status`` lists folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from placeimpact import open_store
from placeimpact.sources import local_csv

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "local" / "good.csv"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("cli") / "small.duckdb")
    with open_store(path) as s:
        s.import_batches([local_csv.read_file(GOOD, key="local/good.csv")])
    return path


def test_series_imports_no_heavy_module(small_store):
    code = (
        "import sys; from placeimpact.cli import main; "
        f"sys.argv = ['placeimpact', 'series', '--area', 'E08000010', '--indicator', "
        f"'local:resident-survey-satisfied', '--store', {small_store!r}, '--format', 'json']; main(); "
        "print(sorted(m for m in ('pandas', 'numpy', 'typer', 'pydantic', 'scipy') if m in sys.modules), "
        "file=sys.stderr)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "[]"
    rows = json.loads(r.stdout)
    assert [(x["period_label"], x["value"], x["count"]) for x in rows] == [("2016", 61.2, 612.0),
                                                                          ("2017", 65.5, 655.0)]
    assert rows[0]["period_start"] == "2016-01-01" and rows[0]["area_name"] is None


def test_series_help_and_usage_errors_fall_back_to_typer(small_store, monkeypatch, capsys):
    from placeimpact.cli import main

    monkeypatch.setattr(sys, "argv", ["placeimpact", "series", "--help"])
    main()
    assert "--indicator" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["placeimpact", "series", "--area", "E08000010", "--store", small_store])
    with pytest.raises(SystemExit) as ei:
        main()
    assert ei.value.code == 2 and "Missing option '--indicator'" in capsys.readouterr().err


def test_status_by_folder(small_store, monkeypatch, capsys):
    from placeimpact.cli import main

    monkeypatch.setattr(sys, "argv", ["placeimpact", "data", "status", "--store", small_store, "--format", "json"])
    main()
    rows = json.loads(capsys.readouterr().out)
    assert [(r["folder"], r["sources"], r["files"], r["observations"]) for r in rows] == [("local", "local-csv", 1, 3)]


def test_help_imports_no_heavy_module():
    """``placeimpact --help`` builds every command but imports no pandas, numpy, scipy or pyarrow (start-up)."""
    code = (
        "import sys, io, contextlib; from placeimpact.cli import main; sys.argv = ['placeimpact', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    main()\n"
        "assert 'screen' in out.getvalue() and 'series' in out.getvalue()\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'pyarrow', 'matplotlib', 'statsmodels') "
        "if m in sys.modules), file=sys.stderr)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "[]"
