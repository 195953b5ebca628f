"""Faces of an evaluation on paper: the self-contained HTML report, findings.json and its schema, charts.

==============================  ============================================================
module                          what it holds
==============================  ============================================================
:mod:`.html`                    :func:`write_report`: report.html, findings.json/csv, figures
:mod:`.charts`                  spine, trend and method charts as inline SVG (matplotlib)
:mod:`.schema`                  the findings.json document and its versioned JSON Schema
``templates/report.html.j2``    the report's layout (Jinja2; inline CSS, no scripts)
``findings.schema.json``        JSON Schema (draft 2020-12) of findings.json
==============================  ============================================================

No statistics live here: everything shown comes from an
:class:`~placeimpact.evaluation.run.Evaluation`.
"""

from .html import write_report
from .schema import SCHEMA_VERSION, findings_document, load_schema, validate_findings

__all__ = ["SCHEMA_VERSION", "findings_document", "load_schema", "validate_findings", "write_report"]
