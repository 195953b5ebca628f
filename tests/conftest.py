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


ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


@pytest.fixture(scope="session")
def chromium_page():
    """Factory: ``with chromium_page(viewport) as (page, log): ...`` drives Debian's chromium through
    Playwright; ``log`` collects console messages, page errors and every request URL."""
    from contextlib import contextmanager

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (scripts/setup.sh installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)

    @contextmanager
    def open_page(viewport: dict):
        log = {"console": [], "requests": [], "failures": []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=viewport)
                page.on("console", lambda m: log["console"].append((m.type, m.text)))
                page.on("pageerror", lambda e: log["console"].append(("pageerror", str(e))))
                page.on("request", lambda r: log["requests"].append(r.url))
                page.on("requestfailed", lambda r: log["failures"].append(r.url))
                yield page, log
            finally:
                browser.close()

    return open_page
