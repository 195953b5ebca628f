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
    from placeimpact.report.html import write_report

    write_report(ev, out, store=loaded_store)     # with the store: England's spread and the maps
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


AXE_JS = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: the WCAG 2.1 A and AA rules of axe-core
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def page_checks():
    """Checks run inside a page: axe-core's WCAG 2.1 AA violations, horizontal overflow, smallest chart text.

    axe-core comes from the npm registry (scripts/setup.sh --test installs it under .venv/axe);
    it is evaluated through the DevTools protocol, so a page's Content-Security-Policy does not block it.
    """
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is not installed ({AXE_JS}); run 'bash scripts/setup.sh --test' (needs npm)")
    source = AXE_JS.read_text(encoding="utf-8")

    class Checks:
        @staticmethod
        def axe(page) -> list[dict]:
            if not page.evaluate("() => !!window.axe"):
                page.evaluate(source + "\n;true")
            res = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
                                ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
                                "n: v.nodes.length, target: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))",
                                AXE_TAGS)
            return res

        @staticmethod
        def overflow_px(page) -> int:
            """How far the page scrolls sideways (0 when it does not)."""
            return page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")

        @staticmethod
        def smallest_chart_text(page) -> float:
            """The smallest rendered font size (px) of any visible SVG text (inf when none is visible)."""
            return page.evaluate("""() => {
                let m = Infinity;
                for (const t of document.querySelectorAll('svg text')) {
                    const r = t.getBoundingClientRect();
                    if (r.width === 0 || r.height === 0) continue;
                    const svg = t.ownerSVGElement; const vb = svg.viewBox && svg.viewBox.baseVal;
                    const scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
                    m = Math.min(m, parseFloat(getComputedStyle(t).fontSize) * scale);
                }
                return m; }""")

        @staticmethod
        def open_all_details(page) -> None:
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")

    return Checks
