"""The community site as an ASGI application (Litestar), served by uvicorn.

Why the server binds its own socket: a busy port becomes one line with a hint, and "serving
on" is printed only once the port is bound. It binds to 127.0.0.1 unless told otherwise: the
pages have no authentication.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime

from litestar import Litestar
from litestar.datastructures import ResponseHeader, State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from halotrack.errors import ConfigError
from halotrack.site.api import router
from halotrack.site.data import BoardCache, InsightCache
from halotrack.site.http import SECURITY_HEADERS
from halotrack.site.opening import Enqueue, OpenSearch, TokenBucket
from halotrack.site.pages import PAGES
from halotrack.store import Store

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def make_app(
    store: Store,
    *,
    clock: Callable[[], datetime] | None = None,
    open_search: OpenSearch | None = None,
) -> Litestar:
    """The site; the caller owns the store and closes it. With `open_search`, searching an
    unknown player queues it for tracking (`serve --open`)."""
    return Litestar(
        route_handlers=[*PAGES, router()],
        state=_state(store, clock, open_search),
        openapi_config=OpenAPIConfig(
            title="halotrack",
            version="1",
            path="/api/v1",
            render_plugins=[JsonRenderPlugin()],
        ),
        response_headers=[ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()],
        logging_config=None,
    )


def _state(
    store: Store, clock: Callable[[], datetime] | None, open_search: OpenSearch | None
) -> State:
    return State(
        {
            "store": store,
            "clock": clock or (lambda: datetime.now(UTC)),
            "boards": BoardCache(),
            "insights": InsightCache(),
            "open": open_search,
        }
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a ConfigError that says what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port, or stop whatever already uses it",
        ) from exc
    sock.set_inheritable(True)
    return sock


def serve(
    store: Store,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[], None] | None = None,
    enqueue: Enqueue | None = None,
) -> None:
    """Run until interrupted (the `halotrack serve` command). `enqueue` (from `--open`)
    resolves and watches a player a visitor searched for."""
    import uvicorn

    if host not in LOOPBACK:
        log.warning("serving on %s: anyone who can reach it can read these pages", host)
    sock = bind(host, port)
    config = uvicorn.Config(
        make_app(
            store, open_search=None if enqueue is None else OpenSearch(enqueue, TokenBucket())
        ),
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
