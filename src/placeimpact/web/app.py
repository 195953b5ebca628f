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
from . import frameworks, pages
from .convert import records

__all__ = ["create_app"]

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
    return f"{msg} {action}" if action else msg


def _status(exc: PlaceImpactError) -> int:
    """404 for what the store does not hold, 400 for any other bad input."""
    return 404 if isinstance(exc, StoreError) else 400


#: what /api/evaluate and the form take (anything else is refused, so a misspelt cut-off is never dropped)
_EVALUATE_PARAMS = ("framework", "area", "reform_start", "cutoff", "comparators")


def _comparators(text: str | None) -> str | tuple[str, ...] | None:
    """The form's comparator choice: a group id, ``computed``, or area codes separated by commas."""
    text = (text or "").strip()
    if not text:
        return None
    parts = [p for p in re.split(r"[\s,]+", text) if p]
    if len(parts) > 1 or _GSS.match(parts[0]):
        return tuple(p.upper() for p in parts)
    return parts[0]


def create_app(store_path: str | Path) -> FastAPI:
    """The web app over the store at ``store_path`` (opened read-only for each request).

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

    @contextmanager
    def store() -> Iterator[Store]:
        with Store(app.state.store_path, read_only=True) as s:
            yield s

    def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = _ENV.get_template(template).render(version=__version__, store_path=app.state.store_path, **context)
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
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": type(exc).__name__, "detail": _web_message(exc)}, status_code=code)
        return page("error.html.j2", status_code=code, error=type(exc).__name__, message=_web_message(exc), code=code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        """A missing or malformed parameter: the same one-message shape as the library's errors."""
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ())[1:]) or "request"
            parts.append(f"missing parameter {where!r}" if e.get("type") == "missing" else f"{where}: {e.get('msg')}")
        detail = "; ".join(parts) or "bad request"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "InputError", "detail": detail}, status_code=400)
        return page("error.html.j2", status_code=400, error="InputError", message=detail, code=400)

    # -- pages (web/pages.py) ------------------------------------------------------------------
    pages.register(app, page, _web_message)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Nothing (the report has no icon): a browser's automatic request gets 204, not a 404 console error."""
        return Response(status_code=204)

    # -- JSON --------------------------------------------------------------------------------
    @app.get("/api/areas")
    def api_areas(q: str = "") -> list[dict[str, Any]]:
        """Areas whose name contains ``q`` or whose code starts with it (all areas without ``q``)."""
        with store() as s:
            return records(s.areas(q.strip() or None, councils_first=True)[_AREA_COLUMNS])

    @app.get("/api/indicators")
    def api_indicators(q: str = "") -> list[dict[str, Any]]:
        """Indicators whose id, name or concept contains ``q``, with their observation counts."""
        with store() as s:
            df = s.indicators(q.strip() or None)
        return records(df[[c for c in _INDICATOR_COLUMNS if c in df.columns]])

    @app.get("/api/series")
    def api_series(area: str, indicator: str, sex: str | None = None, age: str | None = None,
                   category: str | None = None) -> list[dict[str, Any]]:
        """One area's series of one indicator with 95% and 99.8% limits (as ``placeimpact series``)."""
        with store() as s:
            return records(s.series(area, indicator, sex=sex, age=age, category=category))

    @app.api_route("/api/evaluate", methods=["GET", "POST"])
    async def api_evaluate(request: Request) -> JSONResponse:
        """findings.json's document for a shipped framework; parameters in the query or a JSON body."""
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST" and (await request.body()).strip():
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return JSONResponse({"error": "InputError", "detail": "the request body is not a JSON object; send "
                                     "{\"framework\": ..., \"area\": ..., \"reform_start\": ...}"}, status_code=400)
            params.update(body)
        unknown = sorted(set(params) - set(_EVALUATE_PARAMS))
        if unknown:
            return JSONResponse({"error": "InputError", "detail": f"unknown parameter {unknown[0]!r}; expected some of "
                                 + ", ".join(_EVALUATE_PARAMS)}, status_code=400)
        from starlette.concurrency import run_in_threadpool

        return JSONResponse(await run_in_threadpool(_findings, params))

    def _findings(params: Mapping[str, Any]) -> dict[str, Any]:
        from ..report.schema import findings_document

        with store() as s:
            return findings_document(run_evaluation(s, params))

    return app

