"""The web app (``placeimpact serve``): every route against the real store, and one browser run.

The routes are thin shells over the library, so the checks compare them with the library
calls they wrap (``Store.series``, ``benchmark_area``, ``findings_document``) and check that
bad input gives a 4xx carrying the library's own message.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from placeimpact.web import create_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CVD = "ons-els:preventable-cardiovascular-mortality-england"
WIGAN = "E08000010"
GENERIC = {"framework": "generic-upper-tier", "area": "Wigan", "reform_start": "2011-04-01", "comparators": "",
           "cutoff": ""}


def _test_client():
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():  # Starlette >= 1.x prefers the httpx2 fork; httpx still works
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient
    return TestClient


@pytest.fixture(scope="module")
def client(loaded_store):
    with _test_client()(create_app(loaded_store.path), raise_server_exceptions=True) as c:
        yield c


def _evaluate(client, params, timeout: float = 180.0):
    """GET /evaluate, polling as the progress page does until the report (or an error) comes back."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get("/evaluate", params=params)
        if r.headers.get("x-evaluation") != "running":
            return r
        assert time.monotonic() < deadline, "the evaluation did not finish"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def report_html(client) -> str:
    r = _evaluate(client, {"framework": "generic-upper-tier", "area": "Wigan", "start": "2011-04-01"})
    assert r.status_code == 200, r.text[-2000:]
    return r.text


# -- search and series ---------------------------------------------------------------------------
def test_search_finds_wigan(client):
    r = client.get("/api/areas", params={"q": "wigan"})
    assert r.status_code == 200
    assert [(a["code"], a["name"], a["region_name"]) for a in r.json()] == [(WIGAN, "Wigan", "North West")]
    page = client.get("/", params={"q": "Wigan"})
    assert page.status_code == 200 and f'href="/area/{WIGAN}"' in page.text
    assert "<td>North West</td>" in page.text
    assert "No area matches" in client.get("/", params={"q": "Atlantis"}).text


def test_indicator_search(client, loaded_store):
    got = [x["id"] for x in client.get("/api/indicators", params={"q": "mortality"}).json()]
    assert CVD in got and got == loaded_store.indicators("mortality")["id"].tolist()


def test_series_equals_store_series(client, loaded_store):
    rows = client.get("/api/series", params={"area": "Wigan", "indicator": CVD}).json()
    df = loaded_store.series("Wigan", CVD)
    assert [r["period_label"] for r in rows] == df["period_label"].tolist()
    for col in ("value", "lci95", "uci95"):
        assert_allclose([np.nan if r[col] is None else r[col] for r in rows], df[col].to_numpy(float),
                        rtol=0, atol=1e-12)
    first = rows[0]
    assert (first["period_start"], first["period_end"]) == ("2001-01-01", "2003-12-31")
    assert_allclose([first["value"], first["lci95"], first["uci95"]], [84.40979, 77.60514, 91.64692], rtol=0, atol=1e-9)
    assert first["lci998"] is None   # NaN becomes null, never an invalid JSON NaN


def test_area_page_is_the_benchmark_table(client, loaded_store):
    from placeimpact.stats import benchmark_area

    r = client.get(f"/area/{WIGAN}")
    assert r.status_code == 200 and "Wigan" in r.text and "compared with England" in r.text
    assert r.text.count('href="/indicator/') == len(benchmark_area(loaded_store, WIGAN, vs="england"))


# -- evaluation ------------------------------------------------------------------------------
def test_evaluate_returns_the_report_with_its_scorecard(report_html):
    assert report_html.startswith("<!DOCTYPE html>")
    assert 'id="scorecard"' in report_html and "Wigan" in report_html
    assert "<script" not in report_html and 'src="http' not in report_html   # the self-contained report


def test_api_evaluate_is_the_findings_document(client):
    import jsonschema

    schema = json.loads((ROOT / "src" / "placeimpact" / "report" / "findings.schema.json").read_text())
    r = client.post("/api/evaluate", json={**GENERIC, "cutoff": "2016-12-31"})
    assert r.status_code == 200, r.text
    doc = r.json()
    jsonschema.validate(doc, schema)
    assert doc["area"]["code"] == WIGAN and doc["findings"]


# -- bad input: a 4xx with the library's message ----------------------------------------------
@pytest.mark.parametrize(("url", "params", "status", "message"), [
    ("/api/series", {"area": "Atlantis", "indicator": CVD}, 404, "unknown area 'Atlantis'"),
    ("/api/series", {"area": "Wigan", "indicator": "no-such-indicator"}, 404, "unknown indicator 'no-such-indicator'"),
    ("/api/evaluate", {**GENERIC, "area": "Atlantis"}, 400, "unknown area 'Atlantis'"),
    ("/api/evaluate", {**GENERIC, "reform_start": "April 2011"}, 400, "reform_start is not a date"),
    ("/api/evaluate", {**GENERIC, "framework": "../secret"}, 400, "unknown framework"),
    ("/api/evaluate", {**GENERIC, "comparators": "cssn"}, 400, "comparator group 'cssn' has no members"),
    ("/api/evaluate", {**GENERIC, "cut_off": "2012-01-01"}, 400, "unknown parameter 'cut_off'"),
    ("/api/series", {"area": "Wigan"}, 422, "missing parameter 'indicator'"),   # a typed-request error
    ("/api/series", {"area": "Wigan", "indicator": CVD, "sex": "Alien"}, 404, "with sex='Alien'; it has: Persons"),
    ("/api/evaluate", {**GENERIC, "reform_start": "2011-13-01"}, 400, "reform_start is not a date"),
])
def test_bad_api_input_is_a_4xx_with_the_message(client, url, params, status, message):
    r = client.get(url, params=params)
    assert r.status_code == status
    assert r.json()["error"].endswith("Error") and message in r.json()["detail"]


def test_bad_page_input_is_an_html_4xx_with_the_message(client):
    r = client.post("/evaluate", data={**GENERIC, "area": "Atlantis"})    # an old form post: on to the GET address
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "unknown area &#39;Atlantis&#39;" in r.text and 'id="area-error"' in r.text
    assert 'value="Atlantis"' in r.text                                      # the typed value is kept
    r = client.get("/area/NOWHERE")
    assert r.status_code == 404 and "unknown area &#39;NOWHERE&#39;" in r.text
    r = client.get(f"/area/{WIGAN}", params={"vs": "galaxy"})
    assert r.status_code == 400 and "unknown vs" in r.text


def test_search_helps_with_typos_and_offers_evaluation_only_for_councils(client):
    assert "Did you mean: Wigan (E08000010)?" in client.get("/", params={"q": "Wign"}).text
    first = client.get("/api/areas", params={"q": "Durham"}).json()[0]
    assert (first["code"], first["name"]) == ("E06000047", "County Durham")     # the council before the police
    page = client.get("/", params={"q": "Durham"}).text
    assert 'href="/?area=E06000047#evaluate"' in page              # County Durham: a council
    assert 'href="/?area=E23000008#evaluate"' not in page          # the police force area of that name
    assert 'href="/area/E23000008"' in page                        # still benchmarkable
    form = client.get("/").text
    assert '<option value="all"' in form and "stored for one area only" in form


def test_web_errors_speak_to_the_web_user(client):
    r = client.get("/evaluate", params={"framework": "generic-upper-tier", "area": "", "start": "", "until": "2016"})
    assert r.status_code == 400
    assert "Fill in the area" in r.text and "Fill in the reform start" in r.text and "--area" not in r.text
    assert 'id="area-error"' in r.text and 'id="start-error"' in r.text and str(ROOT) not in r.text
    assert 'aria-invalid="true"' in r.text and 'value="2016"' in r.text     # errors by their field, values kept
    r = client.get("/evaluate", params={"framework": "generic-upper-tier", "area": "Wigan", "start": "April 2011"})
    assert r.status_code == 400 and "is not a date" in r.text and 'value="April 2011"' in r.text
    r = _evaluate(client, {**GENERIC, "comparators": "cssn"})                   # found by the evaluation itself
    assert r.status_code == 400 and 'id="group-error"' in r.text and "cssn" in r.text


def test_evaluation_has_a_shareable_cached_address(client, report_html):
    params = {"framework": "generic-upper-tier", "area": "Wigan", "start": "2011-04-01"}
    again = client.get("/evaluate", params=params)
    assert again.status_code == 200 and again.text == report_html          # the cached report, same generation time
    old = client.get("/evaluate", params={"area": "Wigan", "reform_start": "2011-04-01"})   # the API's names work too
    assert old.text == report_html
    r = client.post("/evaluate", data={"area": "Leeds", "reform_start": "2015-04-01"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/evaluate?framework=generic-upper-tier&area=Leeds&start=2015-04-01"


def test_a_slow_evaluation_shows_a_progress_page_that_polls(client):
    params = {"framework": "generic-upper-tier", "area": "Leeds", "start": "2016"}
    first = client.get("/evaluate", params=params)
    assert first.status_code == 200
    if first.headers.get("x-evaluation") == "running":      # usually: the work runs in the background
        assert 'href="/evaluate?framework=generic-upper-tier&amp;area=Leeds&amp;start=2016"' in first.text
        assert 'role="status"' in first.text and 'http-equiv="refresh"' not in first.text
        assert 'method: "HEAD"' in first.text and first.headers["cache-control"] == "no-store"
        csp = first.headers["content-security-policy"]
        assert "script-src 'sha256-" in csp and "connect-src 'self'" in csp     # its one script, this host only
        assert client.head("/evaluate", params=params).status_code == 200
    assert 'id="answer-sentence"' in _evaluate(client, params).text


def test_no_page_loads_anything_from_another_host(client):
    assert client.get("/api/docs").status_code == 404          # Swagger UI would load a CDN's script
    for url in ("/", "/?q=wigan", f"/area/{WIGAN}", f"/indicator/{CVD}"):
        text = client.get(url).text
        assert "<script" not in text and 'src="http' not in text and "<link rel=\"stylesheet" not in text


def test_area_page_groups_filters_and_draws_spines(client):
    text = client.get(f"/area/{WIGAN}", params={"q": "mortality"}).text
    import re

    names = re.findall(r'<a href="/indicator/[^"]+">([^<]+)</a>', text)
    assert names and all("mortality" in n.lower() for n in names)
    assert "ONS Explore Local Statistics (" in text and 'class="spinecell"' in text and 'class="map"' in text
    assert "Contains OS data © Crown copyright and database right" in text


def test_indicator_page_ranks_every_council(client, loaded_store):
    text = client.get(f"/indicator/{CVD}", params={"area": WIGAN}).text
    import re

    values = [float(v.replace(",", "")) for v in re.findall(r'<td class="num">(\d[\d,.]*)</td>\s*<td class="num">', text)]
    assert len(values) > 100 and values == sorted(values)              # lower is better: best first
    assert 'class="focal"' in text and 'class="map"' in text and "Funnel plot" not in text or "funnel" in text.lower()


def test_a_framework_applied_to_another_area_is_retitled(client):
    r = _evaluate(client, {"framework": "wigan-deal", "area": "Leeds", "start": "2015-04-01"})
    assert r.status_code == 200
    assert "<h1>Did outcomes change in Leeds after the reform starting 1 April 2015?</h1>" in r.text
    assert "written for Wigan" in r.text and "Is the Wigan Deal real?</h1>" not in r.text


def test_missing_store_is_a_clear_error(tmp_path):
    from placeimpact import StoreError

    with pytest.raises(StoreError, match="no store at"):
        create_app(tmp_path / "none.duckdb")


# -- one browser run -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def live_server(loaded_store):
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(loaded_store.path), host="127.0.0.1", port=port,
                                           log_level="warning", ws="none", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.mark.browser
def test_browser_fills_the_form_and_gets_the_report(live_server, chromium_page):
    with chromium_page({"width": 1100, "height": 900}) as (page, log):
        page.goto(f"{live_server}/?q=wigan", wait_until="load")
        assert page.locator("#areas").inner_text().count("Wigan") >= 1
        page.select_option("#framework", "generic-upper-tier")
        page.fill("#area", "Wigan")
        page.fill("#start", "2011-04-01")
        page.select_option("#group", "oflog-nn")
        with page.expect_navigation(wait_until="load", timeout=60_000):
            page.click("#run")
        page.wait_for_selector("#answer-sentence", timeout=120_000)      # through the polling progress page
        assert "Wigan" in page.title()
        assert "/evaluate?framework=generic-upper-tier&area=Wigan&start=2011-04-01&group=oflog-nn" in page.url
    console, requests = log["console"], log["requests"]
    assert [(t, m) for t, m in console if t in ("error", "pageerror", "warning")] == []
    assert [u for u in requests if not u.startswith(live_server + "/")] == []


PAGES = {"home": "/", "search": "/?q=durham", "form-errors": "/evaluate?framework=generic-upper-tier&area=Atlantis&start=x",
         "area": f"/area/{WIGAN}", "area-filtered": f"/area/{WIGAN}?q=mortality",
         "indicator": f"/indicator/{CVD}?area={WIGAN}",
         "report": "/evaluate?framework=generic-upper-tier&area=Wigan&start=2011-04-01"}


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_every_page_fits_the_screen_and_passes_axe(live_server, chromium_page, page_checks, width):
    """At desktop and phone widths: no sideways scroll, chart text >= 11 px, no request elsewhere, zero axe violations."""
    import httpx

    httpx.get(live_server + PAGES["report"], timeout=60)          # start the evaluation; the loop below waits for it
    problems = {}
    with chromium_page({"width": width, "height": 900}) as (page, log):
        # the progress page, caught before its evaluation ends (an area and start no other test asks for)
        page.goto(f"{live_server}/evaluate?framework=generic-upper-tier&area=Bolton&start=201{width % 7}",
                  wait_until="load")
        if page.locator("#progress").count():
            page.screenshot(path=str(ARTIFACTS / f"web-progress-{width}.png"))
            found = {"overflow": page_checks.overflow_px(page), "axe": page_checks.axe(page)}
            if found["overflow"] or found["axe"]:
                problems["progress"] = found
        for name, url in PAGES.items():
            page.goto(live_server + url, wait_until="load")
            deadline = time.monotonic() + 120
            while page.locator("#progress").count() and time.monotonic() < deadline:
                page.wait_for_timeout(500)
                page.goto(live_server + url, wait_until="load")
            page.screenshot(path=str(ARTIFACTS / f"web-{name}-{width}.png"))
            found = {"overflow": page_checks.overflow_px(page), "axe": page_checks.axe(page)}
            page_checks.open_all_details(page)
            found["overflow_open"] = page_checks.overflow_px(page)
            found["smallest_text"] = page_checks.smallest_chart_text(page)
            if found["overflow"] or found["overflow_open"] or found["axe"] or found["smallest_text"] < 11:
                problems[name] = found
    assert problems == {}
    assert [u for u in log["requests"] if not u.startswith(live_server + "/")] == []
    expected = "status of 400"           # the form-errors page answers 400 on purpose
    assert [(t, m) for t, m in log["console"] if t in ("error", "pageerror") and expected not in m] == []


def test_packaged_generic_framework_is_the_shipped_one():
    """The fallback copy in the package (for installs without frameworks/) must not drift."""
    from placeimpact.web import frameworks

    for name in ("generic-upper-tier", "generic-lower-tier"):
        packaged = ROOT / "src" / "placeimpact" / "evaluation" / f"{name}.yaml"
        assert packaged.read_bytes() == (ROOT / "frameworks" / f"{name}.yaml").read_bytes()
    assert set(frameworks.available()) == {"generic-upper-tier", "generic-lower-tier", "wigan-deal",
                                           "greater-manchester-devolution"}


def test_districts_and_groups_are_evaluated_from_the_form(client):
    """A district with the district framework, a combined authority's councils as a group, and the group
    example (which names its own areas) pass the form; a council of the wrong tier is told which to choose."""
    r = _evaluate(client, {"framework": "generic-lower-tier", "area": "Preston", "start": "2015"})
    assert r.status_code == 200 and 'id="answer-sentence"' in r.text and "Preston" in r.text
    wrong = client.get("/evaluate", params={"framework": "generic-lower-tier", "area": "Lancashire", "start": "2015"})
    assert wrong.status_code == 400 and "Lancashire is not a district council" in wrong.text
    wrong = client.get("/evaluate", params={"framework": "generic-upper-tier", "area": "Preston", "start": "2015"})
    assert wrong.status_code == 400 and "choose the district framework" in wrong.text
    for params in ({"framework": "generic-upper-tier", "area": "E47000007", "start": "2017-05"},
                   {"framework": "greater-manchester-devolution"}):
        first = client.get("/evaluate", params=params)          # accepted: the report, or its progress page
        assert first.status_code == 200, first.text[-1500:]
    found = client.get("/", params={"q": "preston"}).text
    assert "/?framework=generic-lower-tier&amp;area=E07000123#evaluate" in found
