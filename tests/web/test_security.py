"""The hardened web app: typed requests (4xx, never 500), limits, headers, HEAD, clean messages, a busy store.

Real store (the session's ``loaded_store``) except for the lock tests, which hold a write lock
on a small store of their own from another process, as ``placeimpact data load`` would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from placeimpact.web import create_app

ROOT = Path(__file__).resolve().parents[2]
CVD = "ons-els:preventable-cardiovascular-mortality-england"
GENERIC = {"framework": "generic-upper-tier", "area": "Wigan", "reform_start": "2011-04-01"}


def _client(app):
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(loaded_store):
    with _client(create_app(loaded_store.path)) as c:
        yield c


def _no_server_details(text: str, store_path: str) -> None:
    assert str(ROOT) not in text and str(Path(store_path).parent) not in text
    assert not re.search(r"\bPID\b|Traceback|/usr/|/home/|/root/|site-packages", text), text[:500]


# -- typed requests: 422 with a message, never 500 -----------------------------------------------
@pytest.mark.parametrize(("body", "field"), [
    ({**GENERIC, "area": ["Wigan"]}, "area"),
    ({**GENERIC, "area": 42}, "area"),
    ({**GENERIC, "area": {"code": "E08000010"}}, "area"),
    ({**GENERIC, "reform_start": {"year": 2011}}, "reform_start"),
    ({**GENERIC, "reform_start": 99999}, "reform_start"),
    ({**GENERIC, "reform_start": True}, "reform_start"),
    ({**GENERIC, "framework": ["wigan-deal"]}, "framework"),
    ({**GENERIC, "comparators": [["E08000001"]]}, "comparators"),
    ({**GENERIC, "comparators": 7}, "comparators"),
    ({**GENERIC, "cutoff": 1.5}, "cutoff"),
    ({**GENERIC, "area": "x" * 150_000}, "area"),
])
def test_wrong_types_are_422_naming_the_field(client, loaded_store, body, field):
    r = client.post("/api/evaluate", json=body)
    assert r.status_code == 422, r.text[:500]
    detail = r.json()["detail"]
    assert detail.startswith(field) and len(r.content) < 2000
    _no_server_details(r.text, loaded_store.path)


@pytest.mark.parametrize(("raw", "words"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),          # within the size limit, past the parser's depth
    (b'{"area": ' + b"[" * 50 + b"]" * 50 + b"}", "nested too deeply"),
    (b"not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b"42", "not a JSON object"),
    (b'"text"', "not a JSON object"),
    (b"\xff\xfe", "not JSON"),
    (json.dumps({"k" * 100_000: 1}).encode(), "unknown parameter"),
])
def test_malformed_bodies_are_400(client, loaded_store, raw, words):
    r = client.post("/api/evaluate", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400 and words in r.json()["detail"], r.text[:300]
    assert len(r.content) < 2000
    _no_server_details(r.text, loaded_store.path)


def test_lists_are_accepted_where_a_list_makes_sense(client, loaded_store):
    from placeimpact.web import models

    assert models.evaluate_params([("comparators", "E08000001"), ("comparators", "E08000002")])["comparators"] \
        == "E08000001,E08000002"
    assert models.evaluate_params([], json.dumps({"comparators": ["E08000001", "E08000002"],
                                                  "reform_start": 2011}).encode()) \
        == {"framework": None, "area": None, "reform_start": "2011", "cutoff": None,
            "comparators": "E08000001,E08000002"}
    members = loaded_store.groups(focal="E08000010", group_id="oflog-nn")["member_area"].tolist()[:8]
    r = client.post("/api/evaluate", json={**GENERIC, "reform_start": 2011, "cutoff": "2016-12-31",
                                           "comparators": members})
    assert r.status_code == 200, r.text[:500]
    doc = r.json()
    assert doc["area"]["code"] == "E08000010"
    assert doc["framework"]["path"] == "generic-upper-tier.yaml"      # the file's name, not the server's path
    _no_server_details(r.text, loaded_store.path)
    assert str(ROOT.parent) not in r.text
    assert sorted(a["code"] for a in doc["comparators"]["areas"]) == sorted(members)


def test_a_repeated_single_value_is_422(client):
    r = client.get("/api/evaluate", params=[("area", "Wigan"), ("area", "Leeds"), ("reform_start", "2011")])
    assert r.status_code == 422 and r.json()["detail"].startswith("area")


@pytest.mark.parametrize(("url", "params"), [
    ("/api/areas", {"q": "x" * 5000}),
    ("/api/series", {"area": "x" * 5000, "indicator": CVD}),
])
def test_long_parameters_are_422_without_an_echo(client, url, params):
    r = client.get(url, params=params)
    assert r.status_code == 422 and "at most" in r.text and "x" * 200 not in r.text and "E" * 200 not in r.text


# -- limits ----------------------------------------------------------------------------------
def test_a_20_mb_field_is_refused_and_not_echoed(client):
    big = "x" * 20_000_000
    r = client.post("/api/evaluate", json={**GENERIC, "area": big})
    assert r.status_code == 413 and len(r.content) < 1000
    r = client.post("/evaluate", data={**GENERIC, "area": big})
    assert r.status_code == 413 and len(r.content) < 1000
    r = client.get("/api/areas", params={"q": "x" * 20_000})
    assert r.status_code == 414 and len(r.content) < 1000


def test_a_body_without_content_length_is_counted(client):
    def chunks():
        for _ in range(100):
            yield b"x" * 10_000

    r = client.post("/api/evaluate", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


# -- headers, HEAD ---------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/", "/?q=wigan", "/api/areas?q=wigan", "/area/E08000010", "/area/NOWHERE",
                                 "/api/series?area=Wigan", "/no-such-page", "/api/openapi.json"])
def test_security_headers_on_every_response(client, url):
    r = client.get(url)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
    assert csp["frame-ancestors"] == "'none'" and csp["default-src"] == "'none'"
    assert "script-src" not in csp          # no script at all (default-src 'none')


def test_the_progress_page_allows_only_its_own_script_by_hash():
    """The one page with a script (the evaluation's progress page) allows exactly that script, by its
    SHA-256, and lets it fetch from this server only: never 'unsafe-inline', never another host."""
    from placeimpact.web import security
    from placeimpact.web.app import _ENV

    html = _ENV.get_template("progress.html.j2").render(
        version="x", store_path="s", url="/evaluate?framework=wigan-deal", elapsed=1.0, form={"area": "Wigan"})
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S)
    assert len(scripts) == 1 and "fetch(url" in scripts[0]
    csp = dict(part.strip().split(" ", 1) for part in security.csp_for(html.encode()).split(";"))
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert csp["script-src"] == f"'sha256-{digest}'" and csp["connect-src"] == "'self'"
    assert csp["default-src"] == "'none'" and 'http-equiv="refresh"' not in html


@pytest.mark.parametrize("url", ["/", "/?q=wigan", "/api/areas?q=wigan", "/area/E08000010", "/api/indicators",
                                 "/favicon.ico", "/api/openapi.json"])
def test_head_is_answered_on_get_routes(client, url):
    g, h = client.get(url), client.head(url)
    assert h.status_code == g.status_code and h.status_code < 400
    assert h.content == b"" and h.headers.get("content-type") == g.headers.get("content-type")
    assert h.headers["x-content-type-options"] == "nosniff"


# -- no server details -------------------------------------------------------------------------
def test_pages_and_errors_name_no_server_path(client, loaded_store):
    for r in (client.get("/"), client.get("/area/NOWHERE"), client.post("/evaluate", data={**GENERIC, "area": ""}),
              client.get("/api/series", params={"area": "Atlantis", "indicator": CVD})):
        _no_server_details(r.text, loaded_store.path)


# -- a store held by a writer ------------------------------------------------------------------
@pytest.fixture()
def small_store(tmp_path):
    from placeimpact import open_store

    path = tmp_path / "small.duckdb"
    open_store(path).close()
    return path


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    code = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "time.sleep(float(sys.argv[2])); c.close()")
    p = subprocess.Popen([sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_a_locked_store_is_503_with_retry_after_not_404(small_store, monkeypatch):
    """While a writer holds the store (DuckDB's lock error), reads answer 503 + Retry-After, never 404."""
    import placeimpact.store as store_mod
    from placeimpact.errors import StoreError

    with _client(create_app(small_store)) as c:
        assert c.get("/api/areas").status_code == 200

        def locked(*a, **k):
            raise StoreError(f'cannot open the store {small_store}: IO Error: Could not set lock on file '
                             f'"{small_store}": Conflicting lock is held in /usr/bin/python3 (PID 4242). '
                             'See also https://duckdb.org/docs/current/connect/concurrency')

        monkeypatch.setattr(store_mod, "Store", locked)
        t0 = time.monotonic()
        r = c.get("/api/areas")
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert "busy" in r.json()["detail"] and time.monotonic() - t0 < 5
        _no_server_details(r.text, str(small_store))
        assert "PID" not in r.text and str(small_store) not in r.text and "4242" not in r.text
        monkeypatch.undo()
        assert c.get("/api/areas").status_code == 200        # the lock is gone: answered again


def test_a_brief_lock_is_waited_out(small_store):
    with _client(create_app(small_store)) as c:
        p = _hold_lock(small_store, 0.4)
        try:
            r = c.get("/api/areas")
        finally:
            p.wait()
        assert r.status_code == 200


def test_csv_downloads_go_through_the_safe_writer():
    import pandas as pd

    from placeimpact.web.security import csv_response

    r = csv_response(pd.DataFrame({"name": ["=HYPERLINK(1)", "Wigan"], "value": [-1.5, 2.0]}), '../evil"\r\n.csv')
    assert r.body.decode() == "name,value\n'=HYPERLINK(1),-1.5\nWigan,2.0\n"
    assert r.headers["content-disposition"] == 'attachment; filename="evil-.csv"'
    assert r.media_type.startswith("text/csv")


@pytest.mark.parametrize("query", [[("comparators", ""), ("comparators", "")], [("comparators", " , ")]])
def test_blank_comparators_mean_the_frameworks_own(client, query):
    """Repeated blank (or separator-only) comparators are no choice, not a crash: the request fails only
    for what is really missing (found by the schema fuzz test as a 500)."""
    r = client.post("/api/evaluate", params=query)
    assert r.status_code == 400 and "area" in r.json()["detail"], r.text[:300]
