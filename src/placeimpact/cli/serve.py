"""``serve``: the web app (search areas, benchmark against England, evaluate a reform) on uvicorn.

FastAPI and uvicorn are imported only when the command runs, so other commands start light.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import _validate as V
from ._common import StoreOpt, console


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the app."""

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0 exposes it to the network).",
                                        callback=V.host)]
        = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8765,
        store: StoreOpt = None,
    ) -> None:
        """Start the web app: search areas, benchmark them against England, evaluate a reform in the browser."""
        import uvicorn

        from ..store import default_store_path
        from ..web import create_app

        web = create_app(store or default_store_path(), warm=True)
        V.check_listen(host, port)
        console.print(f"[bold]placeimpact[/] serving {web.state.store_path} (read-only) at http://{host}:{port}/ "
                      "— press Ctrl+C to stop")
        uvicorn.run(web, host=host, port=port, log_level="info", ws="none")
