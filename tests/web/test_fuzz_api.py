"""Property test of the web API from its own OpenAPI schema: no request gets a 5xx.

Hypothesis draws an operation from ``/api/openapi.json`` (every route it documents, including
``/api/evaluate`` with its JSON body and the form's ``POST /evaluate``) and fills its parameters
from the schema: values from a pool of real and near-real inputs (Wigan, 2016-02-30, ../secret),
arbitrary text, text around the length limits, lists where the schema has arrays, missing
required parameters, arbitrary JSON and bytes as bodies, and HEAD or an unsupported method.
Every answer must be below 500, carry the security headers, quote no server path, and be JSON
under ``/api/`` when it is a 2xx.

An evaluation that passes every check is not recomputed for each example (minutes each): the
library call is replaced by one that does the same checks (framework, dates, area) and returns
the worked example's evaluation, which the real report and findings.json code then render.
schemathesis was not used: it would add a large test dependency for what these few
strategies do offline against the same schema.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placeimpact.web import create_app

ROOT = Path(__file__).resolve().parents[2]
CVD = "ons-els:preventable-cardiovascular-mortality-england"

POOL: dict[str, list] = {
    "q": ["wigan", "", "%", "E08", "Durham", "'; DROP TABLE areas; --"],
    "area": ["Wigan", "E08000010", "Leeds", "Atlantis", "", "Durham", "E92000001", "E23000008"],
    "code": ["E08000010", "NOWHERE", "E92000001", "E12000002", "..", "E08000010.json"],
    "indicator": [CVD, "ascof:1A", "no-such-indicator", ""],
    "sex": ["Persons", "Male", "Alien", ""],
    "age": ["All ages", "18+", ""],
    "category": ["", "x"],
    "vs": ["england", "region", "neighbours", "galaxy"],
    "group": ["oflog-nn", "computed", "cssn", "all"],
    "framework": ["generic-upper-tier", "wigan-deal", "../secret", "/etc/passwd", ""],
    "reform_start": ["2011", "2011-04-01", "2016-02-30", "2011-13-01", "April 2011", "", "2011-04"],
    "cutoff": ["2016-12-31", "2010-01-01", "", "2020-02-30"],
    "comparators": ["oflog-nn", "computed", "all", "E08000001,E08000002", "", "cssn"],
}
_ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                         | st.text(max_size=12),
                         lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                         max_leaves=12)


def _text(name: str) -> st.SearchStrategy[str]:
    pool = POOL.get(name, ["x"])
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool), st.text(max_size=20),
                     st.text(alphabet="x€\x00/.%", min_size=195, max_size=205))


def _value(name: str, schema: dict) -> st.SearchStrategy:
    if schema.get("type") == "array":
        return st.lists(_text(name), max_size=4)
    return _text(name)


def _body(schema: dict) -> st.SearchStrategy:
    props = schema.get("properties", {})
    typed = st.fixed_dictionaries({}, optional={k: st.one_of(_text(k), st.integers(1800, 2200), st.lists(_text(k),
                                                                                                      max_size=3),
                                                             st.none(), _ANY_JSON) for k in props})
    return st.one_of(typed, typed, _ANY_JSON, st.binary(max_size=40))


@pytest.fixture(scope="module")
def fuzz_client(loaded_store, wigan_report):
    """A client whose evaluations stop after the library's checks and return the worked example."""
    from starlette.exceptions import StarletteDeprecationWarning

    import placeimpact.evaluation as evaluation

    ev, _ = wigan_report

    def checked_evaluation(store, framework, *, area=None, reform_start=None, cutoff=None, **kw):
        fw = evaluation.load_framework(framework).with_overrides(area=area, reform_start=reform_start, cutoff=cutoff)
        if fw.area is None or fw.reform_start is None:
            raise evaluation.framework.FrameworkError("the framework gives no area or reform_start")
        try:
            store.resolve_area(fw.area)
        except evaluation.run.StoreError as exc:
            raise evaluation.framework.FrameworkError("unknown area", got=fw.area, hint=str(exc)) from None
        return ev

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient
    mp = pytest.MonkeyPatch()
    mp.setattr(evaluation, "evaluate", checked_evaluation)
    try:
        with TestClient(create_app(loaded_store.path), raise_server_exceptions=False) as c:
            yield c
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def operations(fuzz_client) -> list[tuple[str, str, dict]]:
    spec = fuzz_client.get("/api/openapi.json").json()
    ops = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert {("/api/evaluate", "post"), ("/api/evaluate", "get"), ("/api/series", "get")} <= {(p, m) for p, m, _ in ops}
    return ops


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(data=st.data())
def test_no_request_from_the_schema_gets_a_5xx(fuzz_client, operations, loaded_store, data):
    path, method, op = data.draw(st.sampled_from(operations), label="operation")
    url, query = path, []
    for p in op.get("parameters", []):
        name, schema = p["name"], p.get("schema", {})
        if not p.get("required") and data.draw(st.booleans(), label=f"omit {name}"):
            continue
        if p.get("required") and data.draw(st.integers(0, 19), label=f"drop {name}") == 0:
            continue                                               # now and then a required one is missing
        value = data.draw(_value(name, schema), label=name)
        if p["in"] == "path":
            url = url.replace("{" + name + "}", quote(str(value) or "x", safe=""))
        else:
            query += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    verb = method.upper()
    if verb == "GET":
        verb = data.draw(st.sampled_from(["GET", "GET", "GET", "HEAD", "PUT"]), label="verb")
    kwargs: dict = {"params": query}
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = data.draw(_body(content["application/json"]["schema"]), label="json body")
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        kwargs.update(content=raw, headers={"content-type": "application/json"})
    elif "application/x-www-form-urlencoded" in content:
        form = data.draw(st.dictionaries(st.sampled_from(["framework", "area", "reform_start", "cutoff",
                                                          "comparators", "other"]),
                                         st.one_of(*(_text(k) for k in ("area", "reform_start", "framework"))),
                                         max_size=5), label="form")
        kwargs["data"] = form
    r = fuzz_client.request(verb, url, follow_redirects=False, **kwargs)
    assert r.status_code < 500, (verb, url, query, r.status_code, r.text[:500])
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")
    text = r.text
    assert str(ROOT.parent) not in text and str(Path(loaded_store.path).parent) not in text   # no server paths
    assert "Traceback" not in text
    if verb == "HEAD":
        assert r.content == b""
    elif path.startswith("/api/") and r.status_code < 300:
        json.loads(text)
    elif path.startswith("/api/") and r.status_code >= 400 and r.status_code != 405:
        assert set(r.json()) == {"error", "detail"} and len(r.json()["detail"]) <= 1000
