"""`halotrack serve [--host 127.0.0.1] [--port 8000]`: the community site, locally."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from halotrack.cli.common import console, open_db

if TYPE_CHECKING:
    from halotrack.store import Store


def run_server(store: Store, **options: Any) -> None:
    """The site, imported only when served: `--help` and other commands stay light."""
    from halotrack.site import serve as site_serve

    site_serve(store, **options)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind; keep it local.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the leaderboard, player and match pages and the JSON API, rendered live."""
    with open_db(ctx, write=False) as store:
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
