"""The worked example's report.html opened in headless Debian chromium through Playwright.

Checks what a reader's browser would show: no console errors, no request other than the
file itself (the report works offline), every chart drawn with a non-zero size, and a
full-page screenshot kept in ``test-artifacts/report.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # made by the chromium_page fixture

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page_report(wigan_report, chromium_page):
    ev, out = wigan_report
    with chromium_page({"width": 1100, "height": 1400}) as (page, log):
        page.goto((out / "report.html").resolve().as_uri(), wait_until="load")
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('svg')).map(s => {
            const r = s.getBoundingClientRect(); return [r.width, r.height, s.querySelectorAll('path, text').length]; })""")
        headings = page.evaluate("() => Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim())")
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    console, requests, failures = log["console"], log["requests"], log["failures"]
    return {"ev": ev, "out": out, "console": console, "requests": requests, "failures": failures, "boxes": boxes,
            "headings": headings}


def test_no_console_errors(page_report):
    bad = [(t, m) for t, m in page_report["console"] if t in ("error", "pageerror", "warning")]
    assert bad == []


def test_no_network_requests(page_report):
    assert page_report["requests"], "the page itself was requested"
    assert [u for u in page_report["requests"] if not u.startswith("file://")] == []
    assert page_report["failures"] == []


def test_every_chart_is_rendered(page_report):
    n_files = len(list((page_report["out"] / "figures").glob("*.svg")))
    boxes = page_report["boxes"]
    assert len(boxes) == n_files >= 3
    for width, height, marks in boxes:
        assert width > 100 and height > 50 and marks > 10


def test_scorecard_comes_first_and_screenshot_is_kept(page_report):
    assert page_report["headings"][0].startswith("In brief")
    shot = ARTIFACTS / "report.png"
    assert shot.exists() and shot.stat().st_size > 50_000
