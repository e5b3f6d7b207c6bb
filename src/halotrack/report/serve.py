"""A small local web server: an index of watched players and each player's page, rendered
live from the database on every request.

Why routes use XUIDs: gamertags change and may hold any character; the XUID is the key the
store uses, and a gamertag is only ever displayed (escaped). The server binds to 127.0.0.1
unless told otherwise: the pages have no authentication.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from halotrack.errors import ConfigError, Unknown
from halotrack.models.xuid import maybe_xuid
from halotrack.report.build import build_page_data
from halotrack.report.render import IndexRow, assets, content_security_policy, render_index
from halotrack.report.render import render_page as _render_page
from halotrack.store import Store

log = logging.getLogger(__name__)

STORE_KEY: web.AppKey[Store] = web.AppKey("store", Store)
CLOCK_KEY: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def _index_rows(store: Store) -> list[IndexRow]:
    watched = store.watch_list()
    if watched:
        rows = [
            IndexRow(str(w.xuid), w.gamertag or str(w.xuid), w.last_checked_at) for w in watched
        ]
    else:
        rows = [
            IndexRow(str(p.xuid), p.gamertag or str(p.xuid), None) for p in store.list_players()
        ]
    return sorted(rows, key=lambda r: r.gamertag.lower())


async def index(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    rows = await asyncio.to_thread(_index_rows, store)
    return web.Response(
        text=render_index(rows),
        content_type="text/html",
        charset="utf-8",
        headers=_headers(content_security_policy()),
    )


def _player_html(store: Store, xuid: str, now: datetime) -> str:
    return _render_page(build_page_data(store, xuid, now=now), home_url="/")


async def player(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    xuid = request.match_info["xuid"]
    if maybe_xuid(xuid) is None:  # 0 or past the signed 64-bit range: nobody, not a 500
        raise web.HTTPNotFound(text=f"no player with XUID {xuid} in this database")
    now = request.app[CLOCK_KEY]()
    try:
        html = await asyncio.to_thread(_player_html, store, xuid, now)
    except Unknown as exc:
        raise web.HTTPNotFound(text=f"no player with XUID {xuid} in this database") from exc
    a = assets()
    return web.Response(
        text=html,
        content_type="text/html",
        charset="utf-8",
        headers=_headers(content_security_policy(a.uplot_js, a.page_js)),
    )


def make_app(store: Store, *, clock: Callable[[], datetime] | None = None) -> web.Application:
    """The web application; the caller owns the store and closes it."""
    app = web.Application()
    app[STORE_KEY] = store
    app[CLOCK_KEY] = clock or (lambda: datetime.now(UTC))
    app.router.add_get("/", index)
    app.router.add_get(r"/player/{xuid:\d{1,20}}", player)
    return app


def serve(
    store: Store,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Run until interrupted (the `halotrack serve` command). `on_ready` runs once the port
    is bound, so "serving on" is never printed for a server that failed to start."""
    if host not in LOOPBACK:
        log.warning("serving on %s: anyone who can reach it can read these pages", host)
    ready = (lambda _message: on_ready()) if on_ready is not None else None
    try:
        web.run_app(make_app(store), host=host, port=port, print=ready, access_log=None)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port, or stop whatever already uses it",
        ) from exc
