"""The web app's HTML pages: search and the evaluation form, shareable evaluations, area and indicator pages.

Pages
    ``/``                         search areas; the evaluation form (GET, so every evaluation has a URL)
    ``/evaluate?framework=&area=&start=[&until=&group=]``
                                  the evidence report. The first visit starts the evaluation in the
                                  background and answers with a progress page (header ``X-Evaluation:
                                  running``) whose one small script asks the same address (HEAD) each
                                  second and opens the report when the work is done (no meta refresh,
                                  which would reload the page under a screen reader every second);
                                  reports are cached by their parameters and the store's version (its
                                  file's size and modification time), so a second visit is immediate.
                                  Form errors come back on the form, next to their field, values kept.
    ``/area/{code}``              the area's latest value of every indicator against England, grouped by
                                  source, with a filter (``?q=``), recent-trend arrows, a spine chart per
                                  row and the area's place on the map
    ``/indicator/{id}``           one indicator for every council: ranked with 95% intervals, funnel plot, map

Every page is server-rendered HTML with no external file; the progress page's polling script is the
only script (allowed by its hash in the Content-Security-Policy, and fetching from this server only).
"""

from __future__ import annotations

import gzip
import math
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import InputError, PlaceImpactError, StoreError
from ..store import Store
from . import frameworks

__all__ = ["register", "EvaluationCache", "SOURCE_NAMES"]

#: the form's field names and the older names the JSON API uses for them
FIELDS = {"framework": "framework", "area": "area", "start": "reform_start", "until": "cutoff", "group": "comparators"}
SOURCE_NAMES = {
    "fingertips-next": "OHID Fingertips", "fingertips": "OHID Fingertips",
    "trafford-dashboard": "OHID Fingertips (Trafford Data Lab dashboard)",
    "trafford-themes": "OHID Fingertips (Trafford Data Lab themes)", "ons-els": "ONS Explore Local Statistics",
    "ascof": "Adult social care (ASCOF)", "oflog": "Oflog", "eyfsp": "Early years (DfE EYFSP)",
    "health-index": "ONS Health Index", "local-csv": "Your own data",
}
_ARROWS = {"increasing": "↑", "decreasing": "↓"}


def _source_name(src: str) -> str:
    for k, v in SOURCE_NAMES.items():
        if src == k or src.startswith(k + "-"):
            return v
    return src


def _send(request: Request, body: bytes | memoryview, gz: bytes | None = None) -> Response:
    """An HTML page, gzip-compressed when the client accepts it and a compressed copy is at hand."""
    if gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gz, media_type="text/html; charset=utf-8",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(bytes(body), media_type="text/html; charset=utf-8", headers={"Vary": "Accept-Encoding"})


class EvaluationCache:
    """Reports by (parameters, store version), and the evaluations running in the background."""

    def __init__(self, size: int = 32, workers: int = 2) -> None:
        self.size = size
        self.done: OrderedDict[tuple, tuple[str, bytes]] = OrderedDict()
        self.running: dict[tuple, tuple[Future, float]] = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="placeimpact-evaluate")

    def get(self, key: tuple) -> tuple[str, bytes] | None:
        """The report (HTML text and its gzip-compressed bytes) if it is ready."""
        with self.lock:
            hit = self.done.get(key)
            if hit is not None:
                self.done.move_to_end(key)
            return hit

    def start(self, key: tuple, work: Callable[[], str]) -> tuple[Future, float]:
        """The running job for ``key`` (started now if there is none)."""
        with self.lock:
            if key in self.running:
                return self.running[key]
            fut = self.pool.submit(work)
            self.running[key] = (fut, time.monotonic())
            fut.add_done_callback(lambda f, k=key: self._finish(k, f))
            return self.running[key]

    def _finish(self, key: tuple, fut: Future) -> None:
        with self.lock:
            if fut.exception() is None:
                html = fut.result()
                self.done[key] = (html, gzip.compress(html.encode("utf-8"), compresslevel=6))
                while len(self.done) > self.size:
                    self.done.popitem(last=False)
                self.running.pop(key, None)

    def take_failure(self, key: tuple) -> BaseException | None:
        """The error of a finished, failed job (forgotten, so that the next visit tries again)."""
        with self.lock:
            job = self.running.get(key)
            if job and job[0].done() and job[0].exception() is not None:
                self.running.pop(key)
                return job[0].exception()
            return None


def _store_version(path: str) -> tuple[int, int]:
    st = Path(path).stat()
    return (st.st_mtime_ns, st.st_size)


def _form_values(params: Mapping[str, str]) -> dict[str, str]:
    """The form's values from the query, accepting the JSON API's names too (reform_start, cutoff, comparators)."""
    out = {}
    for name, old in FIELDS.items():
        out[name] = str(params.get(name) or params.get(old) or "").strip()
    out["framework"] = out["framework"] or "generic-upper-tier"
    return out


#: code prefixes of areas that may stand for a group of councils (combined authorities, regions): offered
#: as choices and linked to the form; whether one really has members is :func:`group_members`'s to say
_GROUP_PREFIXES = ("E47", "E12")


def _tier_problem(s: Store, code: str, tier: str) -> dict[str, str]:
    """``{"area": message}`` when the area is not of the tier the chosen framework evaluates, else ``{}``
    (for the upper tier, a combined authority or region with member councils is evaluated as their group)."""
    from ..group_panel import group_members

    area = s.area(code)
    name = area.get("name") or code
    if tier == "lower":
        if area.get("lower_tier"):
            return {}
        return {"area": f"{name} is not a district council; the district framework evaluates lower-tier councils "
                        "(districts, unitaries, metropolitan and London boroughs). For a county choose the "
                        "upper-tier framework."}
    if area.get("upper_tier") or group_members(s, code) is not None:
        return {}
    return {"area": f"{name} is not an upper-tier council; this framework evaluates counties, unitaries, metropolitan "
                    "and London boroughs, or a combined authority's or region's councils as a group. For a district "
                    "choose the district framework."}


def _date_ok(text: str) -> bool:
    from ..periods import parse_date

    try:
        parse_date(text, "date")
    except (InputError, ValueError):
        return False
    return True


def register(app: FastAPI, page: Callable[..., HTMLResponse], web_message: Callable[[PlaceImpactError], str]) -> None:
    """Add the HTML pages to ``app`` (``page(template, status_code=..., **context)`` renders a template)."""
    cache = EvaluationCache()
    app.state.evaluations = cache

    @contextmanager
    def store() -> Iterator[Store]:
        from .security import open_store

        with open_store(app.state.store_path) as s:   # read-only, patient while a data load holds it
            yield s

    def form_context(s: Store, form: Mapping[str, str], errors: Mapping[str, str] | None = None,
                     q: str = "") -> dict[str, Any]:
        from .convert import records

        found = s.areas(q.strip(), councils_first=True) if q.strip() else None
        hint = s.area_hint(q.strip()) if found is not None and found.empty else ""
        councils = s.areas()       # current councils of either tier, and combined authorities and regions
        tiered = councils["upper_tier"].fillna(False).astype(bool) | councils["lower_tier"].fillna(False).astype(bool)
        choices = councils[(tiered | councils["code"].str.startswith(_GROUP_PREFIXES))
                           & councils["valid_to"].isna()][["code", "name"]]
        groups = s.groups()
        groups = (groups.groupby("group_id")["focal_area"].nunique().rename("n_areas").reset_index()
                  .sort_values(["n_areas", "group_id"], ascending=[False, True])) if len(groups) else \
            pd.DataFrame(columns=["group_id", "n_areas"])
        return {"q": q, "hint": hint if hint.startswith("Did you mean") else "",
                "found": records(found[["code", "name", "area_type", "upper_tier", "lower_tier", "region_name"]])
                if found is not None else None,
                "choices": records(choices), "groups": records(groups), "frameworks": frameworks.available(),
                "group_prefixes": _GROUP_PREFIXES,
                "counts": s.counts(), "form": dict(form), "errors": dict(errors or {})}

    def check_form(s: Store, form: Mapping[str, str]) -> dict[str, str]:
        """Errors a person can fix on the form, by field (empty when the form is fine)."""
        from ..evaluation import load_framework

        errors: dict[str, str] = {}
        try:
            fw = load_framework(frameworks.framework_path(form["framework"]))
        except PlaceImpactError as exc:
            return {"framework": web_message(exc)}
        if not form["area"] and fw.area is None and not fw.areas:      # a group framework names its own areas
            errors["area"] = "Fill in the area: a council's name or code, such as Wigan or E08000010."
        elif form["area"]:
            try:
                code = s.resolve_area(form["area"])
                errors.update(_tier_problem(s, code, frameworks.tier(form["framework"])))
            except StoreError as exc:
                errors["area"] = web_message(exc)
        if not form["start"] and fw.reform_start is None:
            errors["start"] = "Fill in the reform start: a year (2011), a month (2011-04) or a day (2011-04-01)."
        elif form["start"] and not _date_ok(form["start"]):
            errors["start"] = f"'{form['start']}' is not a date; give a year (2011), a month (2011-04) or a day."
        if form["until"] and not _date_ok(form["until"]):
            errors["until"] = f"'{form['until']}' is not a date; give a year, a month or a day, or leave it empty."
        return errors

    def run(form: Mapping[str, str]) -> str:
        import dataclasses

        from ..evaluation import evaluate, load_framework
        from ..report.html import render_html
        from .app import _comparators

        with store() as s:
            fw = load_framework(frameworks.framework_path(form["framework"]))
            comp = _comparators(form["group"])
            if comp is not None and comp != fw.comparators:
                fw = dataclasses.replace(fw, comparators=comp, description="")
            ev = evaluate(s, fw, area=form["area"] or None, reform_start=form["start"] or None,
                          cutoff=form["until"] or None, progress=False)
            return render_html(ev, store=s)

    def field_of(exc: BaseException) -> str:
        f = str(getattr(exc, "field", "") or "")
        return {"comparators": "group", "reform_start": "start", "cutoff": "until", "area": "area"}.get(
            f.split("[")[0].split(".")[0], "form")

    # -- routes ------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, q: str = "") -> HTMLResponse:
        with store() as s:
            return page("index.html.j2", **form_context(s, _form_values(request.query_params), q=q))

    @app.get("/evaluate", response_class=HTMLResponse, include_in_schema=False)
    def evaluate_page(request: Request) -> Response:
        form = _form_values(request.query_params)
        with store() as s:
            errors = check_form(s, form)
            if errors:
                return page("index.html.j2", status_code=400, **form_context(s, form, errors))
            area_code = s.resolve_area(form["area"]) if form["area"] else ""
        key = (form["framework"], area_code, form["start"], form["until"], form["group"],
               _store_version(app.state.store_path))
        hit = cache.get(key)
        if hit is not None:
            return _send(request, hit[0].encode("utf-8"), hit[1])
        failed = cache.take_failure(key)
        if failed is not None:
            if not isinstance(failed, PlaceImpactError):
                raise failed
            with store() as s:
                return page("index.html.j2", status_code=400,
                            **form_context(s, form, {field_of(failed): web_message(failed)}))
        fut, started = cache.start(key, lambda: run(form))
        try:   # a quick evaluation (or a nearly finished one) answers at once
            fut.result(timeout=0.5)
        except Exception:  # noqa: BLE001 - still running, or failed: the next branch or visit says which
            pass
        hit = cache.get(key)
        if hit is not None:
            return _send(request, hit[0].encode("utf-8"), hit[1])
        if fut.done():
            return evaluate_page(request)
        url = "/evaluate?" + urlencode({k: v for k, v in form.items() if v})
        resp = page("progress.html.j2", url=url, elapsed=time.monotonic() - started, form=form)
        resp.headers["X-Evaluation"] = "running"        # what the progress page's script asks for
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.post("/evaluate", include_in_schema=False)
    async def evaluate_post(request: Request) -> Response:
        """An old-style form post: sent on to the shareable GET address."""
        from urllib.parse import parse_qs

        body = (await request.body()).decode("utf-8", errors="replace")
        params = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        form = _form_values(params)
        return RedirectResponse("/evaluate?" + urlencode({k: v for k, v in form.items() if v}), status_code=303)

    pages_done: OrderedDict[tuple, tuple[HTMLResponse, bytes]] = OrderedDict()
    pages_lock = threading.Lock()

    async def cached(request: Request, make: Callable[[], HTMLResponse]) -> Response:
        """A page by its address and the store's version (64 kept): the store is read-only, so it cannot go stale.
        Kept gzip-compressed too, and sent so to clients that accept it. A hit is served on the event loop; a miss
        is made in the thread pool."""
        from starlette.concurrency import run_in_threadpool

        key = (request.url.path, request.url.query, _store_version(app.state.store_path))
        with pages_lock:
            hit = pages_done.get(key)
            if hit is not None:
                pages_done.move_to_end(key)
        if hit is None:
            resp = await run_in_threadpool(make)
            if resp.status_code != 200:
                return resp
            hit = (resp, gzip.compress(bytes(resp.body), compresslevel=6))
            with pages_lock:
                pages_done[key] = hit
                while len(pages_done) > 64:
                    pages_done.popitem(last=False)
        return _send(request, hit[0].body, hit[1])

    @app.get("/area/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def area_page(request: Request, code: str, vs: str = "england", group: str = "oflog-nn",
                        q: str = "") -> Response:
        return await cached(request, lambda: _area_page(code, vs, group, q))

    def _area_page(code: str, vs: str, group: str, q: str) -> HTMLResponse:
        from ..panel import same_tier_codes
        from ..stats import benchmark_area

        with store() as s:
            df = benchmark_area(s, code, vs=vs, group_id=group)  # type: ignore[arg-type]
            focal = s.resolve_area(code)
            info = s.area(focal)
            history = s.area_observations(focal)
            peers = same_tier_codes(s, focal) + [focal]
            keys = df[["indicator_id", "sex", "age", "category", "period_label"]].drop_duplicates()
            spread = s.spread(keys, peers)
            eng = s.spread(keys, ["E92000001"])[["indicator_id", "sex", "age", "category", "period_label", "lo"]]
            topo = _topology(s)
            sources = s.indicators()[["id", "source"]].rename(columns={"id": "indicator_id"})
        rows = _area_rows(df, spread, eng.rename(columns={"lo": "england"}), history, sources, q)
        groups: dict[str, list[dict]] = {}
        order = list(dict.fromkeys(SOURCE_NAMES.values()))
        for r in sorted(rows, key=lambda r: order.index(r["source_name"]) if r["source_name"] in order else len(order)):
            groups.setdefault(r["source_name"], []).append(r)
        counts = pd.Series([r["label95"] for r in rows]).value_counts().to_dict() if rows else {}
        map_svg = _position_map(topo, focal, str(info.get("name") or focal))
        return page("area.html.j2", area={"code": focal, "name": info.get("name") or focal,
                                          "area_type": info.get("area_type") or "", "region": info.get("region_name")},
                    groups=groups, n_rows=len(rows), n_all=len(df), vs=vs, group=group, q=q, counts=counts,
                    comparator=str(df["comparator"].iloc[0]) if len(df) else vs, map_svg=map_svg)

    @app.get("/indicator/{indicator_id:path}", response_class=HTMLResponse, include_in_schema=False)
    async def indicator_page(request: Request, indicator_id: str, sex: str | None = None, age: str | None = None,
                             category: str | None = None, period: str | None = None, area: str = "") -> Response:
        return await cached(request, lambda: _indicator_page(indicator_id, sex, age, category, period, area))

    def _indicator_page(indicator_id: str, sex: str | None, age: str | None, category: str | None,
                        period: str | None, area: str) -> HTMLResponse:
        with store() as s:
            ind = s.indicator(indicator_id)
            if sex is None or age is None:
                b = s.breakdowns(ind["id"])
                persons = b[(b["sex"] == "Persons")] if (b["sex"] == "Persons").any() else b
                sex = sex or str(persons["sex"].iloc[0])
                age = age or str(persons["age"].iloc[0])
            vals = s.latest_values(ind["id"], sex=sex, age=age, category=category, period=period)
            focal = s.resolve_area(area) if area else ""
            topo = _topology(s)
        return page("indicator.html.j2", **_indicator_context(ind, vals, sex, age, focal, topo))


def _topology(s: Store) -> Any:
    from ..report import maps

    return maps.load_topology(s)      # parsed once per store file (Store.derived), so a reload is seen


def _position_map(topo: Any, code: str, name: str) -> str:
    from ..report import maps

    if topo is None:
        return ""
    for layer in ("utla", "ltla"):
        paths = maps.area_paths(topo, layer)
        if code in paths:
            return maps.choropleth(paths, {code: "#0b5394"}, title=f"Where {name} is in England",
                                   desc=f"Map of England's councils with {name} filled dark blue and outlined.",
                                   focal=code)
    return ""


def _none(v: Any) -> Any:
    """None for a missing number (NaN or NA), the value otherwise."""
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) or v is pd.NA else v


def _trend_labels(history: pd.DataFrame) -> pd.DataFrame:
    """Fingertips' recent-trend label (last five points) for each of the area's series, where it can be computed."""
    from ..stats import recent_trend

    key = ["indicator_id", "sex", "age", "category"]
    last5 = history.groupby(key, sort=False).tail(5)
    sizes = last5.groupby(key, sort=False)["value"].transform("size")
    last5 = last5[(sizes == 5) & last5["lci95"].notna() & last5["uci95"].notna()]
    full = last5.groupby(key, sort=False)["value"].transform("size") == 5
    last5 = last5[full]
    if last5.empty:
        return pd.DataFrame(columns=key + ["trend"])
    m = len(last5) // 5
    v = last5["value"].to_numpy(float).reshape(m, 5)
    lo = last5["lci95"].to_numpy(float).reshape(m, 5)
    hi = last5["uci95"].to_numpy(float).reshape(m, 5)
    pol = last5["polarity"].fillna("no_judgement").to_numpy(object).reshape(m, 5)[:, 0]
    pol = np.where(np.isin(pol, ["high_is_good", "low_is_good"]), pol, "no_judgement")
    tab = recent_trend(v, lo, hi, polarity=pol)
    out = last5[key].iloc[::5].reset_index(drop=True)
    out["trend"] = tab["label"].to_numpy()
    return out


def _area_rows(df: pd.DataFrame, spread: pd.DataFrame, eng: pd.DataFrame, history: pd.DataFrame,
               sources: pd.DataFrame, q: str) -> list[dict[str, Any]]:
    from ..evaluation.context import period_words
    from ..report import charts

    key = ["indicator_id", "sex", "age", "category", "period_label"]
    d = df.merge(spread, on=key, how="left").merge(eng, on=key, how="left").merge(sources, on="indicator_id", how="left")
    d = d.merge(_trend_labels(history), on=["indicator_id", "sex", "age", "category"], how="left")
    if q.strip():
        needle = q.strip().lower()
        d = d[d["indicator_name"].fillna("").str.lower().str.contains(needle, regex=False)
              | d["indicator_id"].str.lower().str.contains(needle, regex=False)
              | d["source"].fillna("").map(_source_name).str.lower().str.contains(needle, regex=False)]
    rows = []
    for r in d.to_dict("records"):
        pol = r["polarity"] if r["polarity"] in ("high_is_good", "low_is_good") else "no_judgement"
        lo, hi = r.get("lo"), r.get("hi")
        worst, best = (hi, lo) if pol == "low_is_good" else (lo, hi)
        cell = {"value": r["value"], "england": r.get("england") if pd.notna(r.get("england")) else r["comparator_value"],
                "worst": worst, "best": best, "q25": r.get("q25"), "q75": r.get("q75"), "comparison": r["label95"]}
        cell = {k: (float(v) if isinstance(v, (int, float, np.floating)) and v is not None else v) for k, v in cell.items()}
        trend = r.get("trend") if isinstance(r.get("trend"), str) else ""
        arrow = next((a for w, a in _ARROWS.items() if w in trend.lower()), "→" if trend and "no significant" in
                     trend.lower() else "")
        bd = ", ".join(x for x in (r["sex"], r["age"], r["category"]) if x and x not in ("Persons", "All ages"))
        rows.append({
            "indicator_id": r["indicator_id"], "name": r["indicator_name"] or r["indicator_id"], "breakdown": bd,
            "sex": r["sex"], "age": r["age"],
            "period": period_words(r["period_label"]), "value": r["value"], "lci95": _none(r["lci95"]),
            "uci95": _none(r["uci95"]),
            "comparator_value": r["comparator_value"], "label95": r["label95"], "label998": r["label998"],
            "rank": r["rank"], "n_ranked": r["n_ranked"], "quintile_label": r["quintile_label"] or "",
            "unit": r["unit"] or "", "source": r.get("source") or "", "source_name": _source_name(str(r.get("source") or "")),
            "worst": worst, "best": best, "trend": trend, "arrow": arrow,
            "spine": charts.spine_cell(cell, width=160) if all(
                isinstance(cell[k], float) and math.isfinite(cell[k]) for k in ("england", "worst", "best")) else "",
        })
    return rows


def _indicator_context(ind: Mapping[str, Any], vals: pd.DataFrame, sex: str, age: str, focal: str,
                       topo: Any) -> dict[str, Any]:
    from ..evaluation.context import period_words
    from ..report import charts, maps
    from ..stats import compare_with_benchmark

    eng_rows = vals[vals["area_code"] == "E92000001"]
    eng = float(eng_rows["value"].iloc[0]) if len(eng_rows) else math.nan
    councils = vals[vals["upper_tier"].fillna(False).astype(bool) & vals["area_code"].str.startswith("E")]
    if councils.empty:
        councils = vals[vals["area_code"] != "E92000001"]
    councils = councils.drop_duplicates("area_code").copy()
    pol = str(ind.get("polarity") or "no_judgement")
    pol = pol if pol in ("high_is_good", "low_is_good") else "no_judgement"
    v = councils["value"].to_numpy(float)
    councils["label"] = compare_with_benchmark(v, councils["lci95"].to_numpy(float), councils["uci95"].to_numpy(float),
                                               eng, polarity=pol) if math.isfinite(eng) else "not compared"
    asc = pol == "low_is_good"
    councils = councils.sort_values("value", ascending=asc).reset_index(drop=True)
    allv = np.concatenate([v, councils["lci95"].dropna().to_numpy(float), councils["uci95"].dropna().to_numpy(float)])
    vmin, vmax = (min(float(np.nanmin(allv)), 0.0), float(np.nanmax(allv))) if allv.size else (0.0, 1.0)
    rows = []
    for i, r in enumerate(councils.itertuples(), 1):
        rows.append({"rank": i, "code": r.area_code, "name": r.area_name or r.area_code, "value": r.value,
                     "lci95": r.lci95, "uci95": r.uci95, "label": r.label, "focal": r.area_code == focal,
                     "bar": charts.ci_bar(float(r.value), float(r.lci95) if pd.notna(r.lci95) else math.nan,
                                          float(r.uci95) if pd.notna(r.uci95) else math.nan, vmin=vmin, vmax=vmax,
                                          colour=charts.FINGERTIPS.get(str(r.label), "#FFFFFF"), england=eng, width=200)})
    period = str(vals["period_label"].iloc[0]) if len(vals) else ""
    map_svg = ""
    if topo is not None and len(councils) >= 10:
        paths = maps.area_paths(topo, "utla")
        fills = {c: charts.FINGERTIPS.get(str(lab), "#FFFFFF") for c, lab in zip(councils["area_code"], councils["label"])}
        map_svg = maps.choropleth(paths, fills, title=f"{ind.get('name')}: councils against England",
                                  desc="Each council coloured by comparison with England; the ranked table lists "
                                       "every value.", focal=focal or None,
                                  links={c: f"/area/{c}" for c in councils["area_code"]})
    funnel_svg = _funnel(ind, councils, eng)
    return {"ind": ind, "rows": rows, "sex": sex, "age": age, "period": period_words(period), "england": eng,
            "map_svg": map_svg, "funnel_svg": funnel_svg, "credit": maps.CREDIT, "polarity": pol,
            "source_name": _source_name(str(ind.get("source") or ""))}


def _funnel(ind: Mapping[str, Any], councils: pd.DataFrame, eng: float) -> str:
    """A funnel plot (value against denominator, 95% and 99.8% limits around England) where denominators exist."""
    from ..report import charts
    from ..stats.funnel import poisson_funnel, proportion_funnel

    d = councils[councils["denominator"].notna() & (councils["denominator"] > 0)]
    vt = str(ind.get("value_type") or "")
    mult = float(ind.get("multiplier") or 1.0)
    if len(d) < 10 or vt not in ("proportion", "crude_rate") or not math.isfinite(eng):
        return ""
    n = np.geomspace(float(d["denominator"].min()), float(d["denominator"].max()), 60)
    fn = proportion_funnel if vt == "proportion" else poisson_funnel
    lims = {c: fn(n, eng, confidence=c, multiplier=mult) for c in (0.95, 0.998)}
    x = np.log10(n)
    c = charts._Canvas(x, [d["value"].to_numpy(float)] + [a for lo_hi in lims.values() for a in lo_hi])
    c.axes()
    for conf, (lo, hi) in lims.items():
        dash = "6 4" if conf == 0.95 else ""
        c.line(x, np.asarray(lo, float), "#595959", 1.4, dash)
        c.line(x, np.asarray(hi, float), "#595959", 1.4, dash)
    c.hline(eng, "#c00000")
    for r in d.itertuples():
        c.parts.append(f'<circle cx="{c.px(math.log10(r.denominator)):.1f}" cy="{c.py(r.value):.1f}" r="3.5" '
                       f'fill="#0b5394" fill-opacity="0.7"><title>{charts._esc(r.area_name)}: {charts.fmt(r.value)}'
                       f'</title></circle>')
    return c.svg(f"Funnel plot: {ind.get('name')}",
                 "Each dot is a council: value against the size of its population (denominator, log scale, shown as "
                 "powers of ten); dashed lines are 95% limits and solid lines 99.8% limits around England's value "
                 "(red).")
