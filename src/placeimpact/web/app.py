"""``create_app(store_path)``: the FastAPI app behind ``placeimpact serve``.

Pages (:mod:`.pages`)
    ``/``                 search areas by name or code; the evaluation form
    ``/evaluate?...``     the evidence report at a shareable address (cached; a progress page meanwhile)
    ``/area/{code}``      the area's indicators against England, grouped, filterable, with spine charts
    ``/indicator/{id}``   one indicator for every council: ranked, funnel plot, map
JSON
    ``/api/areas?q=``, ``/api/indicators?q=``, ``/api/series?area=&indicator=`` (with CIs),
    ``/api/evaluate?framework=&area=&reform_start=&cutoff=&comparators=`` (findings.json's document)

Every route is a thin shell over one library call. A :class:`~placeimpact.errors.PlaceImpactError`
becomes a 4xx carrying the library's message (404 for an unknown area or indicator, 400 for
other bad input): JSON ``{"error": ..., "detail": ...}`` under ``/api/``, an HTML page elsewhere.
A parameter of the wrong type or length is a 422 (request models in :mod:`.models`); a store
held by a data load is a 503 with ``Retry-After``. Limits, HEAD, security headers and message
scrubbing are in :mod:`.security`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from .. import __version__
from ..errors import PlaceImpactError, StoreError
from ..formatting import cell
from ..store import Store
from . import frameworks, models, pages, security
from .convert import records

__all__ = ["create_app", "warm_up"]

log = logging.getLogger("placeimpact.web")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("placeimpact.web", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
)
_GSS = re.compile(r"^[EWSNK]\d{8}$", re.IGNORECASE)
_AREA_COLUMNS = ["code", "name", "area_type", "upper_tier", "region_code", "region_name", "valid_from", "valid_to",
                 "replaced_by"]
_INDICATOR_COLUMNS = ["id", "source", "name", "unit", "value_type", "polarity", "period_kind", "n_obs",
                      "first_period", "last_period"]


def _num(x: Any) -> str:
    """A number as the tables show it (4 significant figures, thousands separated); blank if missing."""
    return cell(x)


_ENV.filters["num"] = _num


def _period(label: str | None) -> str:
    from ..evaluation.context import period_words

    return period_words(label)


_ENV.filters["period"] = _period


#: how the web app says the library's advice (:attr:`PlaceImpactError.option` / ``.action``)
_OPTION_WORDS = {
    "area": "fill in the area", "reform_start": "fill in the reform start", "cutoff": "fill in the cut-off",
    "comparators": "choose the comparators: a group id, computed, all, or area codes separated by commas",
}
_ACTION_WORDS = {
    "search_areas": "Search for it with the box on the home page.",
    "list_indicators": "Search for it on /api/indicators?q=...",
}


def _web_message(exc: PlaceImpactError) -> str:
    """The library's message with the framework file named, not its path on the server, and web advice."""
    msg = str(exc)
    path = getattr(exc, "path", None)
    if path:
        msg = msg.replace(str(path), Path(str(path)).name)
    option = _OPTION_WORDS.get(exc.option or "")
    if option:
        msg = f"{msg.rstrip('.')} ({option})"
    action = _ACTION_WORDS.get(exc.action or "")
    msg = f"{msg} {action}" if action else msg
    return security.scrub(msg)   # no server paths or process ids; long values cut


def _status(exc: PlaceImpactError) -> int:
    """404 for what the store does not hold, 503 while it is busy, 400 for any other bad input."""
    if isinstance(exc, security.StoreUnavailable):
        return 503
    return 404 if isinstance(exc, StoreError) else 400


#: what /api/evaluate and the form take (anything else is refused, so a misspelt cut-off is never dropped)
_EVALUATE_PARAMS = ("framework", "area", "reform_start", "cutoff", "comparators")


def _comparators(text: str | None) -> str | tuple[str, ...] | None:
    """The form's comparator choice: a group id, ``computed``, or area codes separated by commas."""
    text = (text or "").strip()
    if not text:
        return None
    parts = [p for p in re.split(r"[\s,]+", text) if p]
    if not parts:                        # only separators: repeated blank values (",", ", ,")
        return None
    if len(parts) > 1 or _GSS.match(parts[0]):
        return tuple(p.upper() for p in parts)
    return parts[0]


def warm_up(store_path: str | Path) -> None:
    """Do once what every first page would: import the modules behind the pages and evaluations, and
    compute the store's shared reference values (area register, indicators, breakdown choices, boundary
    changes, map outlines), so the first visitor waits no longer than the next."""
    from ..evaluation import run as _run  # noqa: F401 - imported for its cost, now rather than on a first request
    from ..methods import METHODS, get_method
    from ..panel import _preferred_breakdown
    from ..panel_rules import recode_sources
    from ..report import maps
    from ..stats import benchmarking as _bench  # noqa: F401

    for name in METHODS:
        get_method(name)
    for template in _ENV.list_templates(extensions=["j2"]):
        _ENV.get_template(template)        # compiled once, kept by the environment
    try:
        with security.open_store(str(store_path)) as s:
            s.areas(upper_tier=True)
            s.indicators()
            recode_sources(s, [])
            ids = s.indicators()["id"].tolist()
            if ids:
                try:
                    _preferred_breakdown(s, ids[0])
                except Exception:  # noqa: BLE001 - an indicator without rows: nothing to warm
                    pass
            topo = maps.load_topology(s)
            if topo is not None:
                for layer in ("utla", "ltla"):
                    maps.area_paths(topo, layer)
    except Exception:  # noqa: BLE001 - warming is a courtesy: the first request reports any real problem
        log.debug("warm-up skipped", exc_info=True)


def create_app(store_path: str | Path, *, warm: bool = False) -> FastAPI:
    """The web app over the store at ``store_path`` (opened read-only for each request).

    ``warm`` starts :func:`warm_up` in a background thread (``placeimpact serve`` does), so the
    first page is as quick as the later ones.

    Raises
    ------
    StoreError
        When there is no store at ``store_path`` (load one with ``placeimpact data load``).
    """
    path = Path(store_path)
    if not path.is_file():
        raise StoreError(f"no store at {path}; run 'placeimpact data load' first or pass --store PATH")
    # no Swagger/ReDoc pages: they load script from a CDN; the schema itself is at /api/openapi.json
    app = FastAPI(title="placeimpact", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.store_path = str(path)
    if warm:
        import threading

        threading.Thread(target=warm_up, args=(str(path),), name="placeimpact-warm-up", daemon=True).start()
    security.install(app)   # limits, HEAD, security headers (outermost: even on a 500)

    @contextmanager
    def store() -> Iterator[Store]:
        with security.open_store(app.state.store_path) as s:   # read-only, patient while a load holds it
            yield s

    def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = _ENV.get_template(template).render(version=__version__, store_path=path.name, **context)
        return HTMLResponse(html, status_code=status_code)

    def run_evaluation(s: Store, params: Mapping[str, Any]):
        from ..evaluation import evaluate, load_framework

        name = str(params.get("framework") or "generic-upper-tier")
        fw = load_framework(frameworks.framework_path(name))
        comp = _comparators(params.get("comparators"))
        if comp is not None and comp != fw.comparators:   # the framework's description names its own comparators
            fw = dataclasses.replace(fw, comparators=comp, description="")
        blank = lambda k: (str(params.get(k) or "").strip() or None)  # noqa: E731
        return evaluate(s, fw, area=blank("area"), reform_start=blank("reform_start"), cutoff=blank("cutoff"),
                        progress=False)

    # -- errors ------------------------------------------------------------------------------
    @app.exception_handler(PlaceImpactError)
    async def library_error(request: Request, exc: PlaceImpactError) -> Response:
        code = _status(exc)
        retry = {"Retry-After": str(security.RETRY_AFTER)} if code == 503 else None
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": type(exc).__name__, "detail": _web_message(exc)}, status_code=code,
                                headers=retry)
        resp = page("error.html.j2", status_code=code, error=type(exc).__name__, message=_web_message(exc), code=code)
        resp.headers.update(retry or {})
        return resp

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        """A missing or malformed parameter: the same one-message shape as the library's errors."""
        parts = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ())]
            where = ".".join(loc[1:] if loc and loc[0] in ("query", "path", "body", "header", "cookie") else loc)
            where = security.scrub(where or "request", 80)
            parts.append(f"missing parameter {where!r}" if e.get("type") == "missing" else f"{where}: {e.get('msg')}")
        detail = security.scrub("; ".join(dict.fromkeys(parts)) or "bad request")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "InputError", "detail": detail}, status_code=422)
        return page("error.html.j2", status_code=422, error="InputError", message=detail, code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        """A bug: logged here, answered with a plain 500 that names no file, path or process."""
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"error": "InternalError", "detail": "unexpected error; it has been logged"},
                            status_code=500)

    # -- pages (web/pages.py) ------------------------------------------------------------------
    pages.register(app, page, _web_message)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Nothing (the report has no icon): a browser's automatic request gets 204, not a 404 console error."""
        return Response(status_code=204)

    # -- JSON --------------------------------------------------------------------------------
    @app.get("/api/areas")
    def api_areas(q: models.Text = "") -> list[dict[str, Any]]:
        """Areas whose name contains ``q`` or whose code starts with it (all areas without ``q``)."""
        with store() as s:
            return records(s.areas(q.strip() or None, councils_first=True)[_AREA_COLUMNS])

    @app.get("/api/indicators")
    def api_indicators(q: models.Text = "") -> list[dict[str, Any]]:
        """Indicators whose id, name or concept contains ``q``, with their observation counts."""
        with store() as s:
            df = s.indicators(q.strip() or None)
        return records(df[[c for c in _INDICATOR_COLUMNS if c in df.columns]])

    @app.get("/api/series")
    def api_series(area: models.Text, indicator: models.Text, sex: models.OptText = None, age: models.OptText = None,
                   category: models.OptText = None) -> list[dict[str, Any]]:
        """One area's series of one indicator with 95% and 99.8% limits (as ``placeimpact series``)."""
        with store() as s:
            return records(s.series(area, indicator, sex=sex, age=age, category=category))

    @app.get("/api/evaluate", openapi_extra=models.EVALUATE_OPENAPI_GET, operation_id="api_evaluate_get")
    @app.post("/api/evaluate", openapi_extra=models.EVALUATE_OPENAPI, operation_id="api_evaluate_post")
    async def api_evaluate(request: Request) -> JSONResponse:
        """findings.json's document for a shipped framework; parameters in the query or a JSON body."""
        body = await request.body() if request.method == "POST" else b""
        params = models.evaluate_params(request.query_params.multi_items(), body)   # typed: 400/422, never 500
        from starlette.concurrency import run_in_threadpool

        return JSONResponse(await run_in_threadpool(_findings, params))

    def _findings(params: Mapping[str, Any]) -> dict[str, Any]:
        from ..report.schema import findings_document

        with store() as s:
            return security.strip_paths(findings_document(run_evaluation(s, params)))   # no server paths

    return app

