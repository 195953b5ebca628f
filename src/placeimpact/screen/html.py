"""Write a screen's table (CSV) and a self-contained HTML page (Jinja2, inline CSS, no scripts)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pandas as pd

from ..formatting import cell
from .run import ScreenResult

__all__ = ["write_screen", "render_html"]

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>National screen: reform start {{ r.start }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1b1b}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{background:#f4f4f4;padding:.6rem 1rem;border-left:4px solid #888}
.better{color:#0a6b2e}.worse{color:#a4161a}
</style></head><body>
<h1>National screen: reform start {{ r.start }}</h1>
<p>{{ r.summary() }}</p>
<p class="note"><strong>Found {{ "{:,}".format(c.found) }}, expected by chance {{ "{:,.0f}".format(c.expected) }}</strong>
area-indicator pairs in the top {{ (r.alpha * 100) | round | int }}%;
<strong>{{ "{:,}".format(c.areas_flagged) }} areas</strong> standing out in more indicators than chance gives,
expected by chance {{ "{:,.1f}".format(c.areas_expected) }}.
{% if c.consistent_with_chance %}<strong>Consistent with chance.</strong>{% endif %}</p>
<p class="note">Each area is treated in turn as if it had reformed in {{ r.start }}. Its synthetic control
(a weighted mix of the other areas matching its pre-reform series) gives the post-reform gap; the placebo
p-value is the share of all areas whose post/pre RMSPE ratio is at least as large. Rolling periods overlap,
few pre-reform periods or a poor pre-reform fit make a ranking weak (see the warnings). q_all controls the
false discovery rate across every area and indicator, q_area across one area's indicators. Standing out is association, not proof of causation.</p>
{% if focal is not none %}
<h2>Where {{ focal_name }} ({{ focal }}) stands</h2>
{{ table(focal_rows) }}
{% endif %}
<h2>Pairs in the top {{ (r.alpha * 100) | round | int }}%, by q (first 50)</h2>
{{ table(standouts) }}
<h2>Areas with the most indicators in the top {{ (r.alpha * 100) | round | int }}%</h2>
<p>expected: what chance gives an area (alpha x its indicators); chance_p: one-sided binomial p of its count.</p>
{{ table(areas) }}
<h2>Top-ranked departures per indicator</h2>
{{ table(top) }}
{% if skipped is not none %}<h2>Indicators left out</h2>{{ table(skipped) }}{% endif %}
</body></html>
"""


def _cell(v: object) -> str:
    return cell(v, digits=3) if isinstance(v, float) else "" if v is None else str(v)


def _table(df: pd.DataFrame) -> jinja2.utils.Markup:
    esc = jinja2.utils.markupsafe.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, rec):
            cls = ' class="n"' if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
            if c == "direction" and v in ("better", "worse"):
                cls = f' class="{v}"'
            cells.append(f"<td{cls}>{esc(_cell(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return jinja2.utils.markupsafe.Markup(f"<table><tr>{head}</tr>{''.join(rows)}</table>")


_SHOW = ["indicator_name", "area_name", "area_code", "placebo_rank", "n_areas", "placebo_p", "q_all", "q_area",
         "rmspe_ratio", "gap_mean", "direction", "its_slope", "warnings"]


def render_html(result: ScreenResult, *, focal: str | None = None, per_indicator: int = 5) -> str:
    """The page as a string: the focal area's standing (if given), areas by standouts, top areas per indicator."""
    t = result.table
    top = (t.sort_values(["indicator_id", "placebo_rank", "area_code"]).groupby("indicator_id", sort=True)
           .head(per_indicator))[_SHOW]
    focal_rows, focal_name = None, None
    if focal is not None:
        fr = result.area(focal)
        focal_name = fr["area_name"].iloc[0] if len(fr) else focal
        focal_rows = fr[_SHOW]
    areas = result.by_area().head(30)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(
        r=result, c=result.chance(), standouts=result.standouts().head(50)[_SHOW], focal=focal,
        focal_name=focal_name, focal_rows=focal_rows, areas=areas, top=top,
        skipped=result.skipped if len(result.skipped) else None, table=_table)


def write_screen(result: ScreenResult, out: str | Path, *, focal: str | None = None) -> dict[str, Path]:
    """Write ``screen.csv`` (every row, sorted by ``q_area``), ``screen-skipped.csv``, ``screen-chance.csv``
    (the count found beside the count chance gives: :meth:`ScreenResult.chance`) and ``screen.html``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "screen.csv", "skipped": out / "screen-skipped.csv", "chance": out / "screen-chance.csv",
             "html": out / "screen.html"}
    from ..csvsafe import write_csv

    write_csv(result.table.sort_values(["q_area", "placebo_p", "indicator_id", "area_code"]), paths["csv"])
    write_csv(pd.DataFrame([result.chance()]), paths["chance"])
    write_csv(result.skipped, paths["skipped"])
    paths["html"].write_text(render_html(result, focal=focal), encoding="utf-8")
    return paths
