"""`halotrack serve [--host 127.0.0.1] [--port 8000] [--open] [--trusted-proxy IP]`: the
community site, locally."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from halotrack.cli.common import console, open_db, state
from halotrack.errors import HaloTrackError

if TYPE_CHECKING:
    from halotrack.config import Settings
    from halotrack.site.opening import Enqueue, Queued
    from halotrack.store import Store


def run_server(store: Store, **options: Any) -> None:
    """The site, imported only when served: `--help` and other commands stay light."""
    from halotrack.site import serve as site_serve

    site_serve(store, **options)


def watcher(settings: Settings, store: Store) -> Enqueue:
    """`--open`'s lookup: what `watch add --matches` does for one player, run in the site's
    worker thread (the site allows it only within each visitor's budget)."""
    from halotrack.cli.common import run
    from halotrack.site.opening import Queued
    from halotrack.usecases import StoreEtagCache, add_players
    from halotrack.wiring.client import client_from_settings

    def enqueue(query: str) -> Queued:
        async def go() -> Queued:
            async with client_from_settings(settings, cache=StoreEtagCache(store)) as client:
                added, failed = await add_players(client, store, [query], matches=True)
            if added:
                return Queued(query, added[0].xuid, added[0].gamertag)
            return Queued(query, None, None, failed[0].error if failed else "not found")

        try:
            result: Queued = run(go())
        except HaloTrackError as exc:  # e.g. nobody signed in: the page says what to do
            return Queued(
                query, None, None, f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            )
        return result

    return enqueue


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind; keep it local.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    open_: Annotated[
        bool,
        typer.Option(
            "--open",
            help="Searching an unknown gamertag starts tracking it (3 new players per "
            "visitor per hour).",
        ),
    ] = False,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            help="A reverse proxy's address or network (repeatable): from it, the client "
            "is the right-most X-Forwarded-For address that is no proxy. Without one, "
            "the header is ignored.",
        ),
    ] = None,
) -> None:
    """Serve the leaderboard, player and match pages and the JSON API, rendered live."""
    with open_db(ctx, write=open_) as store:
        run_server(
            store,
            host=host,
            port=port,
            proxies=trusted_proxy or [],
            enqueue=watcher(state(ctx).settings(), store) if open_ else None,
            on_ready=lambda: console.print(
                f"serving on http://{host}:{port}/ (Ctrl-C to stop)"
                + (" · unknown gamertags are queued" if open_ else ""),
                markup=False,
                highlight=False,
            ),
        )
