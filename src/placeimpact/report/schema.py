"""findings.json: the machine-readable record of an evaluation, and its versioned JSON Schema.

The schema is ``findings.schema.json`` next to this file (JSON Schema draft 2020-12; every
field carries a description). :data:`SCHEMA_VERSION` follows semantic versioning: a minor
version only adds optional fields, a major one changes or removes fields. The human-readable
description is in ``docs/findings-format.md``.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..evaluation.run import Evaluation

__all__ = ["SCHEMA_VERSION", "SCHEMA_PATH", "load_schema", "findings_document", "validate_findings"]

SCHEMA_VERSION = "1.0.0"
SCHEMA_PATH = Path(__file__).with_name("findings.schema.json")


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The JSON Schema of findings.json (a fresh dict)."""
    return json.loads(_schema_text())


def _clean(v: Any) -> Any:
    """JSON-ready: NaN/NA -> None, numpy scalars -> Python, tuples -> lists, dates -> ISO text."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_clean(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


_FINDING_FIELDS = ("area_code", "area_name", "domain", "outcome", "indicator_id", "indicator_label", "indicator_name",
                   "primary", "method", "estimand", "unit", "polarity", "sex", "age", "category", "period_first",
                   "period_last", "n_pre", "n_post", "n_comparators", "estimate", "ci_low", "ci_high", "p_value",
                   "q_value", "direction", "label", "evidence", "summary", "warnings", "context_warnings")


def findings_document(ev: "Evaluation") -> dict[str, Any]:
    """The findings.json document of an evaluation (plain JSON types; valid against the schema)."""
    from .. import __version__

    fw = ev.framework
    syn = ev.synthesis
    findings = [{k: _clean(rec.get(k)) for k in _FINDING_FIELDS} for rec in syn.findings.to_dict("records")]
    by_outcome = {r.outcome: r for r in ev.outcomes}
    outcomes = [{
        "outcome": v.outcome, "domain": v.domain, "indicator_id": v.indicator_id, "indicator_label": v.indicator_label,
        "primary": v.primary, "verdict": v.kind, "evidence": v.evidence, "headline_method": v.headline_method,
        "sentence": v.sentence, "caveats": list(v.caveats),
        "benchmark": _clean(dict(by_outcome[v.outcome].benchmark)) if by_outcome[v.outcome].benchmark else None,
    } for v in syn.verdicts]
    prov = [_clean(r) for r in ev.provenance.to_dict("records")]
    extra: dict[str, Any] = {}
    if getattr(ev, "excluded", ()):
        extra["excluded"] = list(ev.excluded)
    if getattr(ev, "group", None) is not None:
        g = ev.group.to_dict()
        g["results"] = [{"outcome": r.outcome, "method": m.method, "per_area": _clean([dict(x) for x in m.per_area]),
                         "event_study": _clean(dict(m.event_study)) if m.event_study is not None else None}
                        for r in ev.outcomes for m in r.results if m.per_area or m.event_study is not None]
        extra["group"] = _clean(g)
    return extra | {
        "schema_version": SCHEMA_VERSION,
        "generated_at": ev.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generator": {"name": "placeimpact", "version": __version__},
        "framework": {
            "title": fw.title or (fw.path.stem if fw.path else "outcome framework"),
            "path": str(fw.path) if fw.path else None, "sha256": fw.sha256,
            "reform_start": ev.reform_start.isoformat(), "cutoff": ev.cutoff.isoformat() if ev.cutoff else None,
            "comparators": fw.comparators if isinstance(fw.comparators, str) else list(fw.comparators),
            "methods": list(ev.methods), "alpha": syn.alpha,
        },
        "area": {"code": ev.area_code, "name": ev.area_name},
        "comparators": {"group": ev.comparator_group, "description": ev.comparator_text,
                        "areas": [{"code": c, "name": n} for c, n in zip(ev.comparator_codes, ev.comparator_names)]},
        "scorecard": dict(syn.scorecard),
        "overall": syn.overall,
        "attribution": list(syn.attribution),
        "domains": [{"name": d.name, "summary": d.text, "counts": dict(d.counts)} for d in syn.domains],
        "outcomes": outcomes,
        "findings": findings,
        "provenance": prov,
        "errors": list(ev.errors),
    }


def validate_findings(doc: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if ``doc`` breaks the schema (needs the jsonschema package)."""
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - jsonschema is a test dependency
        raise ImportError("validating findings.json needs the 'jsonschema' package: pip install jsonschema") from exc
    jsonschema.validate(doc, load_schema(), format_checker=jsonschema.FormatChecker())
