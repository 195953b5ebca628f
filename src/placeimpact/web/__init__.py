"""The web app: ``placeimpact serve``, a thin face over the same library as the command line.

======================  ==========================================================================
module                  what it holds
======================  ==========================================================================
:mod:`.app`             :func:`create_app` (FastAPI): pages, JSON API, error pages
:mod:`.frameworks`      the shipped outcome frameworks the form offers
:mod:`.convert`         frames to plain JSON rows (dates as ISO strings, NaN as null)
``templates/``          Jinja2 pages with inline CSS; no font or external file, no script but the progress page's
======================  ==========================================================================

No statistics live here: searching is :meth:`Store.areas` / :meth:`Store.indicators`, series
are :meth:`Store.series`, the area page is :func:`placeimpact.stats.benchmark_area`, and an
evaluation is :func:`placeimpact.evaluate` rendered by :func:`placeimpact.report.html.render_html`
(the very report the CLI writes). The store is opened read-only for each request.
"""

from .app import create_app

__all__ = ["create_app"]
