"""The worked example's report.html opened in headless Debian chromium through Playwright, at 1366 px and 390 px.

Checks what a reader's browser shows: no console errors and no request other than the file
itself (the report works offline), the answer sentence first, every outcome a closed card
(the page under 6,000 px tall on a desktop with the cards closed), no sideways scroll on a
phone, chart text never under 11 px, every chart drawn, and zero axe-core WCAG 2.1 AA
violations. Screenshots are kept in ``test-artifacts/`` for a person to read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # made by the chromium_page fixture

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module", params=sorted(WIDTHS))
def seen(request, wigan_report, chromium_page, page_checks):
    ev, out = wigan_report
    name = request.param
    with chromium_page(WIDTHS[name]) as (page, log):
        page.goto((out / "report.html").resolve().as_uri(), wait_until="load")
        closed_height = page.evaluate("() => document.documentElement.scrollHeight")
        first = page.evaluate("() => document.querySelector('main p.answer, main h2 + p').textContent.trim()")
        overflow_closed = page_checks.overflow_px(page)
        page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"))
        page.screenshot(path=str(ARTIFACTS / f"report-{name}-full.png"), full_page=True)
        n_cards = page.evaluate("() => document.querySelectorAll('details.outcome').length")
        n_open = page.evaluate("() => document.querySelectorAll('details.outcome[open]').length")
        violations_closed = page_checks.axe(page)
        page_checks.open_all_details(page)
        overflow_open = page_checks.overflow_px(page)
        smallest = page_checks.smallest_chart_text(page)
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.fig svg')).map(s => {
            const r = s.getBoundingClientRect(); return [r.width, r.height, s.querySelectorAll('path, polyline, use, text').length]; })""")
        violations_open = page_checks.axe(page)
    return {"name": name, "ev": ev, "out": out, "log": log, "height": closed_height, "first": first,
            "overflow": (overflow_closed, overflow_open), "smallest": smallest, "boxes": boxes,
            "cards": (n_cards, n_open), "axe": violations_closed + violations_open}


def test_no_console_errors_and_no_network(seen):
    log = seen["log"]
    assert [(t, m) for t, m in log["console"] if t in ("error", "pageerror", "warning")] == []
    assert log["requests"], "the page itself was requested"
    assert [u for u in log["requests"] if not u.startswith("file://")] == []
    assert log["failures"] == []


def test_the_answer_comes_first_in_plain_words(seen):
    first = seen["first"]
    assert first.startswith(("No clear evidence either way", "Mixed evidence", "Some evidence", "Strong evidence",
                             "Moderate evidence", "Weak evidence"))
    assert "could not be tested with the data held" in first        # 12 of the Wigan outcomes lack the data


def test_every_outcome_is_a_closed_card(seen):
    n, n_open = seen["cards"]
    assert n == len(seen["ev"].outcomes) and n_open == 0


def test_desktop_page_is_short_with_cards_closed(seen):
    if seen["name"] == "desktop":
        assert seen["height"] < 6000


def test_no_sideways_scroll_and_readable_chart_text(seen):
    assert seen["overflow"] == (0, 0)
    assert seen["smallest"] >= 11


def test_every_chart_is_rendered(seen):
    boxes = seen["boxes"]
    assert len(boxes) >= 20
    for width, height, marks in boxes:
        assert width > 100 and height > 50 and marks > 10


def test_axe_finds_no_wcag_aa_violation(seen):
    assert seen["axe"] == []


GROUP_FRAMEWORK = """\
title: "A programme copied by neighbours: Wigan 2011, Bolton 2014, Salford 2016"
areas:
  - {area: Wigan, reform_start: 2011-04-01}
  - {area: Bolton, reform_start: 2014-04-01}
  - {area: Salford, reform_start: 2016-04-01}
comparators: all
domains:
  - name: Health
    indicators:
      - {id: ons-els:preventable-cardiovascular-mortality-england, primary: true}
      - {id: ons-els:employment-rate}
"""


@pytest.fixture(scope="module")
def group_report(loaded_store, tmp_path_factory):
    """A treated group with staggered starts, evaluated and written (its own section, charts and tables)."""
    from placeimpact.evaluation import evaluate
    from placeimpact.report.html import write_report

    out = tmp_path_factory.mktemp("group-report")
    (out / "fw.yaml").write_text(GROUP_FRAMEWORK, encoding="utf-8")
    ev = evaluate(loaded_store, out / "fw.yaml", progress=False, on_error="raise")
    write_report(ev, out, store=loaded_store)
    return out / "report.html"


@pytest.mark.parametrize("name", sorted(WIDTHS))
def test_a_group_report_fits_the_screen_and_passes_axe(group_report, chromium_page, page_checks, name):
    """The group section (areas, group scorecard, per-area charts, leave-one-out) scrolls inside its own
    boxes on a phone, keeps chart text readable and passes axe; the header names the staggered starts."""
    with chromium_page(WIDTHS[name]) as (page, log):
        page.goto(group_report.resolve().as_uri(), wait_until="load")
        meta = page.locator("p.meta").first.inner_text()
        closed = (page.locator("details.group-outcome").count(), page.locator("details.group-outcome[open]").count())
        found = {"overflow": page_checks.overflow_px(page), "axe": page_checks.axe(page)}
        page_checks.open_all_details(page)
        found.update(overflow_open=page_checks.overflow_px(page), smallest=page_checks.smallest_chart_text(page),
                     axe_open=page_checks.axe(page), group_charts=page.locator("#group .fig svg").count())
        page.screenshot(path=str(ARTIFACTS / f"group-report-{name}.png"))
    assert "staggered starts from April 2011 to April 2016" in meta
    assert (found["overflow"], found["overflow_open"]) == (0, 0), found
    assert found["smallest"] >= 11, found
    assert found["axe"] == [] and found["axe_open"] == [], found
    assert found["group_charts"] >= 2
    assert closed[0] >= 1 and closed[1] == 0         # each outcome's by-area charts are closed until asked for
