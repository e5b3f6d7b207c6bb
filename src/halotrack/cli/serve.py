"""`halotrack serve [--host 127.0.0.1] [--port 8000]`: the community site, locally."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from halotrack.cli.common import console, state
from halotrack.store import Store, open_store


def run_server(store: Store, **options: Any) -> None:
    """The site, imported only when served: `--help` and other commands stay light."""
    from halotrack.site import serve

    serve(store, **options)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option(help="Address to bind; keep it local.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ) -> None:
        """Serve the leaderboard, player and match pages and the JSON API, rendered live."""
        with open_store(state(ctx).settings().database_url(), write=False) as store:
            run_server(
                store,
                host=host,
                port=port,
                on_ready=lambda: console.print(
                    f"serving on http://{host}:{port}/ (Ctrl-C to stop)",
                    markup=False,
                    highlight=False,
                ),
            )
