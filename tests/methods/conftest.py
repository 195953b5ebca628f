"""Fixtures shared by the method tests."""

from __future__ import annotations

import csv

import pytest


@pytest.fixture
def published_cvd(data_dir):
    """Look up a published row of preventable cardiovascular mortality: (value, lci_95, uci_95)."""
    path = data_dir / "ons-els" / "preventable-cardiovascular-mortality-england" / \
        "preventable-cardiovascular-mortality-england.csv"

    def lookup(area: str, period: str) -> tuple[float, float, float]:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["areacd"] == area and row["period"] == period:
                    return float(row["observation"]), float(row["lci_95"]), float(row["uci_95"])
        raise KeyError((area, period))

    return lookup
