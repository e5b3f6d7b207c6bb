"""`halotrack serve [--host 127.0.0.1] [--port 8000]`: browse every player's page locally."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from halotrack.cli.common import console, open_db

if TYPE_CHECKING:
    pass


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind; keep it local.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve an index of watched players and their pages, rendered live."""
    from halotrack.report.serve import serve as run_server

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
