"""Shared fixtures: the real data folder, a store loaded once per session, a seeded rng."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PLACEIMPACT_DATA", ROOT.parent / "shared" / "data"))
REFERENCE = ROOT.parent / "shared" / "reference" / "phe-methods"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.exists():
        pytest.fail(f"the shared data folder is missing: {DATA}")
    return DATA


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


@pytest.fixture(scope="session")
def loaded_store(tmp_path_factory, data_dir):
    """A store with everything in ../shared/data loaded (read it, don't write to it)."""
    from placeimpact import open_store

    path = tmp_path_factory.mktemp("store") / "all.duckdb"
    s = open_store(path)
    s.load(data_dir)
    s.close()
    s = open_store(path, read_only=True)
    yield s
    s.close()


@pytest.fixture(scope="session")
def wigan_report(loaded_store, tmp_path_factory):
    """The worked example (frameworks/wigan-deal.yaml) evaluated once and written: (Evaluation, out dir)."""
    from placeimpact.evaluation import evaluate

    ev = evaluate(loaded_store, ROOT / "frameworks" / "wigan-deal.yaml", progress=False, on_error="raise")
    out = tmp_path_factory.mktemp("wigan-report")
    ev.write(out)
    return ev, out


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20190401)
